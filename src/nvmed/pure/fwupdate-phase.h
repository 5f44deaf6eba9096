/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A firmware update's phases as pure transitions (mgmt/fwupdate.c runs
 * them with I/O requests and timers; nothing here does I/O):
 *
 *   DOWNLOAD -> COMMIT -> REIDENTIFY (activate now) -> ACTIVE
 *                  |   -> STAGED (at the next reset) -> ACTIVE
 *                  `-> CONFIRM (the commit got no answer: the firmware
 *                      slot log tells) -> as COMMIT's answer would
 *   any phase before the end -> FAILED; a commit refused for its image
 *   -> INVALID.
 *
 * A piece of the image that gets no answer is sent again up to
 * FW_PIECE_RETRIES times; one sent again that the drive calls an
 * Overlapping Range was taken the first time, only its answer was lost.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "admin.h"

#define FW_PIECE_RETRIES 3

enum fw_phase {
	FW_DOWNLOAD, /* pieces of the image go to the drive */
	FW_COMMIT, /* Firmware Commit sent */
	FW_CONFIRM, /* the commit got no answer: the slot log is read */
	FW_REIDENTIFY, /* activated now: the new revision is awaited */
	FW_STAGED, /* committed: active after the next reset */
	FW_ACTIVE,
	FW_FAILED,
	FW_INVALID,
	_FW_PHASE_MAX,
};

/* Software.Activation's Activations, in the order of activation_names */
enum fw_activation {
	FW_ACT_ACTIVATING,
	FW_ACT_ACTIVE,
	FW_ACT_STAGED,
	FW_ACT_FAILED,
	FW_ACT_INVALID,
};

struct fw_state {
	enum fw_phase phase;
	enum admin_commit_action action;
	uint64_t size, sent; /* bytes of the image, and taken */
	unsigned retries; /* of the piece at sent */
};

/* What a piece's answer means. */
enum fw_piece {
	FW_PIECE_AGAIN, /* no answer: send it again */
	FW_PIECE_TAKEN, /* the next piece, or the commit (phase COMMIT) */
	FW_PIECE_TAKEN_BEFORE, /* as TAKEN: the first copy arrived */
	FW_PIECE_FAILED, /* phase FAILED */
};

void fw_state_init(struct fw_state *s, uint64_t size,
		   enum admin_commit_action action);
/* The length of the piece at s->sent, at most piece_max. */
size_t fw_piece_len(const struct fw_state *s, size_t piece_max);
/* The answer r (0, an NVMe status, -errno) to the piece of piece_len
 * bytes at s->sent. */
enum fw_piece fw_piece_done(struct fw_state *s, int r, size_t piece_len);
/* The commit's answer r: CONFIRM when it was lost (first time only),
 * else where it ends. */
enum fw_phase fw_commit_done(struct fw_state *s, int r);
/* Whether the firmware slot log read after a lost commit shows it taken:
 * the committed slot runs (activate now, another ran before) or is the
 * one to run after the next reset. */
bool fw_commit_taken(enum admin_commit_action action, unsigned slot,
		     unsigned active_before, const struct admin_fw_slots *now);
/* The drive reports a new firmware revision: REIDENTIFY and STAGED end
 * ACTIVE. Returns whether the phase changed. */
bool fw_firmware_changed(struct fw_state *s);
/* No new revision came in time: ACTIVE all the same. */
enum fw_phase fw_reidentify_timeout(struct fw_state *s);
/* The update cannot go on (the image unreadable, a timer): FAILED. */
enum fw_phase fw_fail(struct fw_state *s);

enum fw_activation fw_phase_activation(enum fw_phase p);
/* The update holds the drive (Activating). */
bool fw_phase_running(enum fw_phase p);
