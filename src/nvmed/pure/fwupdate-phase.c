// SPDX-License-Identifier: Apache-2.0
/* A firmware update's phases: see fwupdate-phase.h. */
#include "fwupdate-phase.h"

void fw_state_init(struct fw_state *s, uint64_t size,
		   enum admin_commit_action action)
{
	*s = (struct fw_state){ .phase = FW_DOWNLOAD,
				.action = action,
				.size = size };
}

size_t fw_piece_len(const struct fw_state *s, size_t piece_max)
{
	uint64_t left = s->size - s->sent;

	return left < piece_max ? (size_t)left : piece_max;
}

enum fw_piece fw_piece_done(struct fw_state *s, int r, size_t piece_len)
{
	enum fw_piece what = FW_PIECE_TAKEN;

	if (s->phase != FW_DOWNLOAD)
		return FW_PIECE_FAILED;
	if (r < 0 && s->retries++ < FW_PIECE_RETRIES)
		return FW_PIECE_AGAIN;
	if (r > 0 && s->retries > 0 &&
	    admin_status_code(r) == ADMIN_SC_OVERLAPPING_RANGE) {
		what = FW_PIECE_TAKEN_BEFORE;
		r = 0;
	}
	if (r != 0) {
		s->phase = FW_FAILED;
		return FW_PIECE_FAILED;
	}
	s->retries = 0;
	s->sent += piece_len;
	if (s->sent >= s->size)
		s->phase = FW_COMMIT;
	return what;
}

enum fw_phase fw_commit_done(struct fw_state *s, int r)
{
	int code = r > 0 ? admin_status_code(r) : r;

	if (s->phase == FW_COMMIT && admin_answer_lost(r))
		return s->phase = FW_CONFIRM;
	if (s->phase != FW_COMMIT && s->phase != FW_CONFIRM)
		return s->phase;
	if (r == 0)
		s->phase = s->action == ADMIN_CA_REPLACE_ACTIVATE_NOW ?
				   FW_REIDENTIFY :
				   FW_STAGED;
	else if (code == ADMIN_SC_FW_NEEDS_CONV_RESET ||
		 code == ADMIN_SC_FW_NEEDS_SUBSYS_RESET ||
		 code == ADMIN_SC_FW_NEEDS_RESET)
		s->phase = FW_STAGED;
	else if (code == ADMIN_SC_INVALID_FW_IMAGE)
		s->phase = FW_INVALID;
	else
		s->phase = FW_FAILED;
	return s->phase;
}

bool fw_commit_taken(enum admin_commit_action action, unsigned slot,
		     unsigned active_before, const struct admin_fw_slots *now)
{
	if (action == ADMIN_CA_REPLACE_ACTIVATE_NOW)
		return now->active == slot && active_before != slot;
	return now->next == slot;
}

bool fw_firmware_changed(struct fw_state *s)
{
	if (s->phase != FW_REIDENTIFY && s->phase != FW_STAGED)
		return false;
	s->phase = FW_ACTIVE;
	return true;
}

enum fw_phase fw_reidentify_timeout(struct fw_state *s)
{
	if (s->phase == FW_REIDENTIFY)
		s->phase = FW_ACTIVE;
	return s->phase;
}

enum fw_phase fw_fail(struct fw_state *s)
{
	if (fw_phase_running(s->phase))
		s->phase = FW_FAILED;
	return s->phase;
}

enum fw_activation fw_phase_activation(enum fw_phase p)
{
	switch (p) {
	case FW_STAGED:
		return FW_ACT_STAGED;
	case FW_ACTIVE:
		return FW_ACT_ACTIVE;
	case FW_FAILED:
		return FW_ACT_FAILED;
	case FW_INVALID:
		return FW_ACT_INVALID;
	default:
		return FW_ACT_ACTIVATING;
	}
}

bool fw_phase_running(enum fw_phase p)
{
	return fw_phase_activation(p) == FW_ACT_ACTIVATING;
}
