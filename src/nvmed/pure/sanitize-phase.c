// SPDX-License-Identifier: Apache-2.0
/* A sanitize's phases: see sanitize-phase.h. */
#include "sanitize-phase.h"

void san_state_init(struct san_state *s)
{
	*s = (struct san_state){ .phase = SAN_COMMAND };
}

enum san_phase san_command_done(struct san_state *s, int r)
{
	if (s->phase == SAN_COMMAND && admin_answer_lost(r))
		return s->phase = SAN_CONFIRM;
	if (s->phase != SAN_COMMAND && s->phase != SAN_CONFIRM)
		return s->phase;
	return s->phase = r == 0 ? SAN_RUNNING : SAN_REFUSED;
}

bool san_command_taken(const struct admin_sanitize_status *st)
{
	return st->state == ADMIN_SANITIZE_RUNNING;
}

enum san_phase san_status_done(struct san_state *s, int r,
			       const struct admin_sanitize_status *st)
{
	if (s->phase != SAN_RUNNING)
		return s->phase;
	if (r != 0) {
		if (++s->failures >= SAN_STATUS_FAILURES_MAX)
			s->phase = SAN_FAILED;
		return s->phase;
	}
	s->failures = 0;
	if (st->state == ADMIN_SANITIZE_RUNNING)
		return s->phase;
	if (st->state == ADMIN_SANITIZE_DONE ||
	    st->state == ADMIN_SANITIZE_DONE_NO_DEALLOC)
		return s->phase = SAN_COMPLETED;
	return s->phase = SAN_FAILED;
}

enum san_phase san_fail(struct san_state *s)
{
	if (san_phase_running(s->phase))
		s->phase = SAN_FAILED;
	return s->phase;
}

enum san_status san_phase_status(enum san_phase p)
{
	switch (p) {
	case SAN_COMPLETED:
		return SAN_ST_COMPLETED;
	case SAN_FAILED:
	case SAN_REFUSED:
		return SAN_ST_FAILED;
	default:
		return SAN_ST_IN_PROGRESS;
	}
}

bool san_phase_running(enum san_phase p)
{
	return san_phase_status(p) == SAN_ST_IN_PROGRESS;
}
