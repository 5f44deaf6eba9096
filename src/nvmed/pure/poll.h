/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The drive polling schedule as pure transitions: what a drive does next,
 * and when, given its state, what the last transaction gave and the
 * monotonic time. drive.c runs it with sd-event timers; nothing here
 * reads a clock.
 *
 *   MCTP:  (open) -> SUBSYS_INFO -> IDENTIFY -> HEALTH <-> SMART (every
 *          POLL_SMART_EVERY health polls); a reopen after a failure goes
 *          straight to HEALTH while the identity is known; IDENTIFY again
 *          every POLL_IDENTIFY_EVERY polls, and from SUBSYS_INFO after a
 *          window of failures (the drive may have been swapped).
 *   basic: BASIC_VPD -> BASIC_STATUS (every poll; VPD again every
 *          POLL_BASIC_VPD_EVERY polls and after a failed transfer).
 *
 * Health polls are fixed-rate against the monotonic clock, on a grid:
 * the multiples of the interval. Each is due one interval after the
 * previous one was due, not after it ran, and every drive polled at one
 * interval falls due at the same instants, so that the worker of a bus
 * gets its drives' transfers in one batch (iowork.h). The
 * steps between health polls (SMART, Identify on the way in) run at
 * once. After a failure the next attempt is one interval later, and once
 * the window of failures is reached the interval doubles per failure up
 * to POLL_BACKOFF_MAX_MS.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Longest back-off between attempts at a failing drive. */
#define POLL_BACKOFF_MAX_MS 30000
/* SMART / Health log every this many health polls. */
#define POLL_SMART_EVERY 10
/* Identify Controller again every this many health polls (a swap without
 * a lost endpoint changes the serial). */
#define POLL_IDENTIFY_EVERY 3600
/* A refused Identify or SMART (a valid reply with an error status) is
 * asked again after this many health polls. */
#define POLL_REFUSED_RETRY 60
/* Re-read the basic VPD this often (a swapped drive has a new serial). */
#define POLL_BASIC_VPD_EVERY 60
/* A transaction not answered within its limit counts as this many
 * failures beyond the window: the longest back-off at once. */
#define POLL_TIMEOUT_PENALTY 16

enum drive_step {
	STEP_IDLE, /* no endpoint */
	STEP_SUBSYS_INFO,
	STEP_IDENTIFY,
	STEP_HEALTH,
	STEP_SMART,
	STEP_BASIC_VPD, /* basic command 8: vendor, serial */
	STEP_BASIC_STATUS, /* basic command 0: health */
};

struct poll_state {
	enum drive_step step;
	uint64_t period_usec; /* the poll interval */
	unsigned window; /* failures that make the reading unavailable */
	unsigned failures; /* consecutive */
	uint64_t next_due_usec; /* when the next health poll is due */
	unsigned polls; /* health polls since the last (re)open */
	unsigned since_identify; /* health polls since Identify */
	unsigned smart_skip; /* health polls without SMART after a refusal */
	bool identified; /* Identify done (or refused) for this endpoint */
	bool identify_refused, smart_refused;
};

/* What a transaction's outcome means, for drive.c to carry out. */
struct poll_action {
	uint64_t at_usec; /* the next step runs then */
	bool failed; /* a failure was counted: reopen, publish per policy */
	bool window_reached; /* this failure is the window's (log it once) */
	bool failing; /* failures >= window: the link may need recovery */
	bool answers_again; /* first good reply after a window of failures */
	bool refused; /* Identify or SMART was refused for the first time */
	bool refused_over; /* ... and is answered again */
};

/* A fresh state for a drive polled every period_usec. */
void poll_init(struct poll_state *s, uint64_t period_usec, unsigned window);

/* The next health poll after the one due at due, run at now: the first
 * multiple of period after now. On time that is due + period; a late
 * poll does not bunch the next ones; a drive that starts (or comes back)
 * between two grid points joins the grid at the next. */
uint64_t poll_next_due(uint64_t period_usec, uint64_t now, uint64_t due);

/* Delay before the next attempt after s->failures consecutive failures. */
uint64_t poll_retry_usec(const struct poll_state *s);

/* (Re)start at step: a new endpoint or power-on (SUBSYS_INFO, identity
 * unknown), a reopened endpoint (poll_first_step()), a basic drive
 * (BASIC_VPD). Clears the failure count when reset is true. */
void poll_restart(struct poll_state *s, enum drive_step step, bool reset);
enum drive_step poll_first_step(const struct poll_state *s);

/* A transaction of the current step is sent at now for a timer due at
 * due: a health poll (or a basic status poll) fixes when the next one is
 * due. */
void poll_sent(struct poll_state *s, uint64_t now, uint64_t due);

/*
 * The current NVMe-MI step's outcome at now: r = 0 answered and decoded,
 * r > 0 a valid reply refusing it (an NVMe status), r = -ETIME not
 * answered within the transaction limit, other r < 0 a failure.
 * SUBSYS_INFO refused is to be given as 0 (decoded as NVMe-MI 1.2).
 */
struct poll_action poll_mi_done(struct poll_state *s, int r, uint64_t now);

/*
 * The current basic-command step's outcome at now: r = 0 answered and
 * decoded, r < 0 a failure; io: the transfer itself failed (reopen and
 * read the VPD again), else the drive answered with something unusable.
 */
struct poll_action poll_basic_done(struct poll_state *s, int r, bool io,
				   uint64_t now);
