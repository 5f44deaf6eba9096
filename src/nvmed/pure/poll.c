// SPDX-License-Identifier: Apache-2.0
#include <errno.h>

#include "backoff.h"
#include "poll.h"

void poll_init(struct poll_state *s, uint64_t period_usec, unsigned window)
{
	*s = (struct poll_state){
		.step = STEP_IDLE,
		.period_usec = period_usec,
		.window = window ? window : 1,
	};
}

uint64_t poll_next_due(uint64_t period_usec, uint64_t now, uint64_t due)
{
	(void)due; /* on the grid, one period after it; or the grid's next */
	return (now / period_usec + 1) * period_usec;
}

uint64_t poll_retry_usec(const struct poll_state *s)
{
	if (s->failures < s->window)
		return s->period_usec;
	/* twice the interval at the window, doubling per failure */
	return backoff_delay(s->period_usec, s->failures - s->window + 2,
			     POLL_BACKOFF_MAX_MS * 1000ull);
}

enum drive_step poll_first_step(const struct poll_state *s)
{
	return s->identified ? STEP_HEALTH : STEP_SUBSYS_INFO;
}

void poll_restart(struct poll_state *s, enum drive_step step, bool reset)
{
	s->step = step;
	if (reset)
		s->failures = 0;
	if (step == STEP_SUBSYS_INFO || step == STEP_IDLE)
		s->identified = false;
}

void poll_sent(struct poll_state *s, uint64_t now, uint64_t due)
{
	if (s->step == STEP_HEALTH || s->step == STEP_BASIC_STATUS)
		s->next_due_usec = poll_next_due(s->period_usec, now, due);
}

static uint64_t at_next_due(const struct poll_state *s, uint64_t now)
{
	return s->next_due_usec > now ? s->next_due_usec : now;
}

/* A failure counted at now; the next attempt after the back-off. */
static struct poll_action failed(struct poll_state *s, uint64_t now)
{
	struct poll_action a = { .failed = true };

	s->failures++;
	a.window_reached = s->failures == s->window;
	a.failing = s->failures >= s->window;
	a.at_usec = now + poll_retry_usec(s);
	return a;
}

static struct poll_action mi_failed(struct poll_state *s, int r, uint64_t now)
{
	struct poll_action a;

	if (r == -ETIME && s->failures < s->window + POLL_TIMEOUT_PENALTY - 1)
		s->failures = s->window + POLL_TIMEOUT_PENALTY - 1;
	a = failed(s, now);
	/* a drive silent this long may come back as another drive */
	if (a.failing)
		s->identified = false;
	s->step = poll_first_step(s);
	s->polls = 0; /* SMART right after the next health poll */
	return a;
}

/* Every POLL_SMART_EVERY health polls, unless SMART was refused lately. */
static bool smart_due(struct poll_state *s)
{
	bool due = s->polls++ % POLL_SMART_EVERY == 0;

	if (s->smart_skip) {
		s->smart_skip--;
		return false;
	}
	return due;
}

static struct poll_action identify_done(struct poll_state *s, int r,
					uint64_t now)
{
	struct poll_action a = { .at_usec = now };

	if (r > 0) {
		/* the drive answers; we just do not know who it is */
		a.refused = !s->identify_refused;
		s->identify_refused = true;
		s->since_identify = POLL_IDENTIFY_EVERY - POLL_REFUSED_RETRY;
	} else {
		a.refused_over = s->identify_refused;
		s->identify_refused = false;
		s->since_identify = 0;
	}
	s->identified = true;
	s->step = STEP_HEALTH;
	s->polls = 0;
	return a;
}

static struct poll_action health_done(struct poll_state *s, uint64_t now)
{
	struct poll_action a = { .answers_again = s->failures >= s->window };

	s->failures = 0;
	a.at_usec = at_next_due(s, now);
	if (++s->since_identify >= POLL_IDENTIFY_EVERY) {
		s->step = STEP_IDENTIFY;
	} else if (smart_due(s)) {
		s->step = STEP_SMART;
		a.at_usec = now;
	}
	return a;
}

static struct poll_action smart_done(struct poll_state *s, int r, uint64_t now)
{
	struct poll_action a = { .at_usec = at_next_due(s, now) };

	if (r > 0) {
		/* refused, not a lost drive: keep polling health */
		a.refused = !s->smart_refused;
		s->smart_refused = true;
		s->smart_skip = POLL_REFUSED_RETRY;
	} else {
		a.refused_over = s->smart_refused;
		s->smart_refused = false;
	}
	s->step = STEP_HEALTH;
	return a;
}

struct poll_action poll_mi_done(struct poll_state *s, int r, uint64_t now)
{
	bool refusable = s->step == STEP_IDENTIFY || s->step == STEP_SMART;

	if (r < 0 || (r > 0 && !refusable))
		return mi_failed(s, r, now);
	switch (s->step) {
	case STEP_SUBSYS_INFO:
		s->step = STEP_IDENTIFY;
		return (struct poll_action){ .at_usec = now };
	case STEP_IDENTIFY:
		return identify_done(s, r, now);
	case STEP_HEALTH:
		return health_done(s, now);
	case STEP_SMART:
		return smart_done(s, r, now);
	default:
		/* not an NVMe-MI step: nothing was sent */
		return (struct poll_action){ .at_usec = now };
	}
}

struct poll_action poll_basic_done(struct poll_state *s, int r, bool io,
				   uint64_t now)
{
	struct poll_action a = { 0 };

	if (r < 0) {
		if (io)
			s->step = STEP_BASIC_VPD;
		return failed(s, now);
	}
	if (s->step == STEP_BASIC_VPD) {
		s->step = STEP_BASIC_STATUS;
		s->polls = 0;
		a.at_usec = now;
		return a;
	}
	a.answers_again = s->failures >= s->window;
	s->failures = 0;
	if (++s->polls % POLL_BASIC_VPD_EVERY == 0)
		s->step = STEP_BASIC_VPD;
	a.at_usec = at_next_due(s, now);
	return a;
}
