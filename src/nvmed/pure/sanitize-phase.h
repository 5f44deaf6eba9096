/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A sanitize's phases as pure transitions (mgmt/sanitize.c runs them
 * with I/O requests and timers; nothing here does I/O):
 *
 *   COMMAND -> RUNNING (the drive took it; log 81h read once a poll
 *                       interval) -> COMPLETED or FAILED
 *      |    -> REFUSED (an error answer: the caller is told)
 *      `-> CONFIRM (the Sanitize got no answer: log 81h tells) -> as
 *          COMMAND's answer would
 *
 * SAN_STATUS_FAILURES_MAX unreadable status logs in a row end it FAILED
 * (the drive itself goes on after a power loss, NVMe Base 2.0 8.21).
 */
#pragma once

#include <stdbool.h>

#include "admin.h"

#define SAN_STATUS_FAILURES_MAX 30

enum san_phase {
	SAN_COMMAND, /* the Sanitize sent, the caller waiting */
	SAN_CONFIRM, /* it got no answer: the Sanitize Status log is read */
	SAN_RUNNING, /* taken: the status log is followed */
	SAN_COMPLETED,
	SAN_FAILED,
	SAN_REFUSED, /* the drive refused the command */
	_SAN_PHASE_MAX,
};

/* Common.Progress's OperationStatus, in the order of status_names */
enum san_status {
	SAN_ST_IN_PROGRESS,
	SAN_ST_COMPLETED,
	SAN_ST_FAILED,
};

struct san_state {
	enum san_phase phase;
	unsigned failures; /* status logs unreadable in a row */
};

void san_state_init(struct san_state *s);
/* The Sanitize's answer r (0, an NVMe status, -errno): CONFIRM when it
 * was lost (first time only), RUNNING when taken, else REFUSED. */
enum san_phase san_command_done(struct san_state *s, int r);
/* Whether the status log read after a lost Sanitize shows it taken. */
bool san_command_taken(const struct admin_sanitize_status *st);
/* A status log read: r (0, an NVMe status, -errno, or a decoding
 * error) and, when r is 0, what it says. RUNNING: read it again. */
enum san_phase san_status_done(struct san_state *s, int r,
			       const struct admin_sanitize_status *st);
/* It cannot be followed (a timer): FAILED. */
enum san_phase san_fail(struct san_state *s);

enum san_status san_phase_status(enum san_phase p);
/* The sanitize holds the drive (InProgress). */
bool san_phase_running(enum san_phase p);
