/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Debounced presence of one cable (pure: no I/O, no clock, no timer).
 *
 * cable.c reads the line, turns the level into presence with the record's
 * polarity (cable_level_present) and hands each reading to presence_step()
 * with the event that caused it and the time, in µs of CLOCK_MONOTONIC;
 * the answer says what to do: publish, (re)arm the debounce timer at an
 * absolute time, disarm it, or nothing. The timer itself (sd-event) stays
 * in cable.c, which also reads the line again when it expires and passes
 * that reading as a PRESENCE_TIMER event.
 *
 * The rules (test/cable/test-presence.c has one table row for each):
 *  - The first reading, and every reading when DebounceMs is 0, is
 *    published at once.
 *  - A reading that differs from the published presence is a candidate.
 *    It is published when a reading at or after since + DebounceMs still
 *    shows it with no edge in between, "since" being when it was last
 *    seen to begin (the edge, or the poll, that first read it). Held
 *    exactly DebounceMs is enough: the timer armed at since + DebounceMs
 *    publishes it if its reading still shows it; an edge back that is
 *    handled before the timer expires cancels it, as any pulse shorter
 *    than DebounceMs is cancelled.
 *  - Only the timer's reading publishes a candidate. A poll that reads
 *    the candidate again leaves the timer running; an edge that reads it
 *    again means the line bounced (the sim and the kernel both report the
 *    net change, so a down-and-up between two reads is one edge that
 *    reads "up"): the wait starts again from that edge.
 *  - A reading equal to the published presence drops the candidate.
 *  - A clock that reads less than "since" (it went backwards) restarts the
 *    wait from the new now: nothing is published before DebounceMs has
 *    passed on the clock as it reads now, and the deadline is never more
 *    than DebounceMs away, so a jump back cannot hold a change for as
 *    long as the jump. CLOCK_MONOTONIC never goes back; the rule is for
 *    a caller that passes another clock, or a broken one.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct presence {
	uint64_t debounce_ms; /* DebounceMs, 0: none */
	bool known; /* a presence was published at least once */
	bool present; /* the published presence (false until known) */
	bool pending; /* a candidate waits for the debounce timer */
	bool pending_present; /* the candidate */
	uint64_t pending_since; /* µs: when the candidate was last seen to begin */
};

enum presence_event {
	PRESENCE_POLL, /* a periodic re-read (or the first read) */
	PRESENCE_EDGE, /* a read after an edge event on the line */
	PRESENCE_TIMER, /* a read when the debounce timer expired */
};

enum presence_do {
	PRESENCE_NOTHING, /* no change; an armed timer stays armed */
	PRESENCE_PUBLISH, /* publish .present now and disarm the timer */
	PRESENCE_ARM, /* (re)arm the debounce timer at .at */
	PRESENCE_DISARM, /* the candidate is gone: disarm the timer */
};

struct presence_action {
	enum presence_do what;
	bool present; /* PUBLISH: the presence to publish */
	bool changed; /* PUBLISH: it differs from the one published before */
	uint64_t at; /* ARM: when, µs, CLOCK_MONOTONIC */
};

/* Nothing known yet: the first reading is published at once. */
void presence_init(struct presence *p, uint64_t debounce_ms);

/* One reading (present, at now µs) caused by ev; p is updated. */
struct presence_action presence_step(struct presence *p, enum presence_event ev,
				     bool present, uint64_t now);

/* The candidate is dropped (the line was released; the caller disarms
 * the timer): the next differing reading starts a new wait. */
void presence_forget(struct presence *p);

/* DebounceMs changed: the candidate is dropped too (the caller disarms
 * the timer) and the next differing reading waits the new DebounceMs. */
void presence_set_debounce(struct presence *p, uint64_t debounce_ms);

/* Forget the published presence too (the polarity changed): the next
 * reading is published at once, as the first one is. */
void presence_reset(struct presence *p);

/*
 * The timer could not be armed: publish the candidate now rather than
 * lose the change. PRESENCE_PUBLISH, or PRESENCE_NOTHING without one.
 */
struct presence_action presence_flush(struct presence *p);
