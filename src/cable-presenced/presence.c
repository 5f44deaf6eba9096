/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Debounced presence (presence.h, where the rules are): a function of
 * the state, the event and the time, nothing else.
 */
#include <assert.h>

#include "presence.h"

void presence_init(struct presence *p, uint64_t debounce_ms)
{
	assert(p);
	*p = (struct presence){ .debounce_ms = debounce_ms };
}

void presence_forget(struct presence *p)
{
	p->pending = false;
}

void presence_set_debounce(struct presence *p, uint64_t debounce_ms)
{
	p->debounce_ms = debounce_ms;
	p->pending = false;
}

void presence_reset(struct presence *p)
{
	p->known = false;
	p->pending = false;
}

static struct presence_action publish(struct presence *p, bool present)
{
	struct presence_action a = {
		.what = PRESENCE_PUBLISH,
		.present = present,
		.changed = present != p->present,
	};

	p->known = true;
	p->present = present;
	p->pending = false;
	return a;
}

/* DebounceMs after since, saturating (a deadline that cannot be
 * represented is the end of time rather than a time in the past). */
static uint64_t deadline(const struct presence *p)
{
	uint64_t d = p->debounce_ms * 1000;

	return p->pending_since > UINT64_MAX - d ? UINT64_MAX :
						   p->pending_since + d;
}

/* The candidate (re)starts at now. */
static struct presence_action wait_from(struct presence *p, bool present,
					uint64_t now)
{
	p->pending = true;
	p->pending_present = present;
	p->pending_since = now;
	return (struct presence_action){ .what = PRESENCE_ARM,
					 .at = deadline(p) };
}

struct presence_action presence_step(struct presence *p, enum presence_event ev,
				     bool present, uint64_t now)
{
	assert(p);
	if (!p->known || p->debounce_ms == 0) {
		if (p->known && present == p->present)
			return (struct presence_action){
				.what = PRESENCE_NOTHING
			};
		return publish(p, present);
	}
	if (present == p->present) {
		/* Back to the published presence: forget the candidate. */
		if (!p->pending)
			return (struct presence_action){
				.what = PRESENCE_NOTHING
			};
		p->pending = false;
		return (struct presence_action){ .what = PRESENCE_DISARM };
	}
	/* From here on present is the candidate: a bool has one value
	 * other than the published one. */
	if (!p->pending || ev == PRESENCE_EDGE || now < p->pending_since)
		return wait_from(p, present, now);
	if (ev == PRESENCE_POLL)
		return (struct presence_action){ .what = PRESENCE_NOTHING };
	/* PRESENCE_TIMER */
	if (now >= deadline(p))
		return publish(p, present);
	/* Expired early: never published before its time. */
	return (struct presence_action){ .what = PRESENCE_ARM,
					 .at = deadline(p) };
}

struct presence_action presence_flush(struct presence *p)
{
	if (!p->pending)
		return (struct presence_action){ .what = PRESENCE_NOTHING };
	return publish(p, p->pending_present);
}
