/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the debounced presence (src/cable-presenced/presence.c):
 * one table per rule of presence.h, each a run of readings with the
 * answer every reading must get. The runner also models the caller's
 * timer (armed by ARM, disarmed by DISARM and PUBLISH) and checks that
 * a candidate is pending exactly while the timer is armed, and that a
 * TIMER reading only comes while it is.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "presence.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MS(x) ((uint64_t)(x)*1000)
#define S(x)  ((uint64_t)(x)*1000000)
#define D     50 /* DebounceMs of most cases */

#define POLL  PRESENCE_POLL
#define EDGE  PRESENCE_EDGE
#define TIMER PRESENCE_TIMER

enum want {
	NOTHING = PRESENCE_NOTHING,
	DISARM = PRESENCE_DISARM,
	ARM = PRESENCE_ARM,
	PUB_ABSENT = 10, /* PUBLISH false */
	PUB_PRESENT, /* PUBLISH true */
};

struct step {
	enum presence_event ev;
	bool present; /* the reading */
	uint64_t now; /* µs */
	enum want want;
	uint64_t at; /* ARM: the deadline */
	bool changed; /* PUBLISH: differs from what was published */
};

struct table {
	const char *name;
	uint64_t debounce_ms;
	const struct step *steps;
	size_t n;
};

static const char *want_name(enum want w)
{
	switch (w) {
	case NOTHING:
		return "NOTHING";
	case DISARM:
		return "DISARM";
	case ARM:
		return "ARM";
	case PUB_ABSENT:
		return "PUBLISH absent";
	case PUB_PRESENT:
		return "PUBLISH present";
	}
	return "?";
}

static enum want got_of(const struct presence_action *a)
{
	if (a->what == PRESENCE_PUBLISH)
		return a->present ? PUB_PRESENT : PUB_ABSENT;
	return (enum want)a->what;
}

static void run_table(const struct table *t)
{
	struct presence p;
	bool armed = false, published = false;

	presence_init(&p, t->debounce_ms);
	for (size_t i = 0; i < t->n; i++) {
		const struct step *s = &t->steps[i];
		struct presence_action a;
		enum want got;

		if (s->ev == TIMER && !armed)
			fail_msg(
				"%s: step %zu: a TIMER reading without a timer",
				t->name, i);
		a = presence_step(&p, s->ev, s->present, s->now);
		got = got_of(&a);
		if (got != s->want)
			fail_msg("%s: step %zu: got %s, want %s", t->name, i,
				 want_name(got), want_name(s->want));
		if (s->want == ARM && a.at != s->at)
			fail_msg("%s: step %zu: armed at %llu, want %llu",
				 t->name, i, (unsigned long long)a.at,
				 (unsigned long long)s->at);
		if ((s->want == PUB_ABSENT || s->want == PUB_PRESENT) &&
		    a.changed != s->changed)
			fail_msg("%s: step %zu: changed %d, want %d", t->name,
				 i, a.changed, s->changed);
		if (a.what == PRESENCE_ARM)
			armed = true;
		else if (a.what != PRESENCE_NOTHING)
			armed = false;
		if (a.what == PRESENCE_PUBLISH)
			published = a.present;
		if (p.pending != armed)
			fail_msg("%s: step %zu: pending %d with the timer %s",
				 t->name, i, p.pending,
				 armed ? "armed" : "disarmed");
		if (p.present != published)
			fail_msg("%s: step %zu: state says %d, published %d",
				 t->name, i, p.present, published);
	}
}

#define TABLE(n, ms, ...)                                       \
	static const struct step n##_steps[] = { __VA_ARGS__ }; \
	static const struct table n = { #n, ms, n##_steps,      \
					ARRAY_SIZE(n##_steps) }

/* The first reading is published at once, whatever DebounceMs; a level
 * that stays is never published again, edges that read it included. */
TABLE(steady, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { POLL, false, S(2), NOTHING, 0, false },
      { EDGE, false, S(2) + 1, NOTHING, 0, false },
      { POLL, false, S(3), NOTHING, 0, false });

TABLE(first_present, D, { POLL, true, S(1), PUB_PRESENT, 0, true },
      { EDGE, true, S(2), NOTHING, 0, false });

/* A change held longer than DebounceMs: the timer is armed at exactly
 * the edge + DebounceMs, a poll meanwhile leaves it running, its reading
 * publishes. */
TABLE(held, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { POLL, true, S(2) + MS(10), NOTHING, 0, false },
      { TIMER, true, S(2) + MS(D), PUB_PRESENT, 0, true },
      { POLL, true, S(3), NOTHING, 0, false },
      /* and back, the same way */
      { EDGE, false, S(4), ARM, S(4) + MS(D), false },
      { TIMER, false, S(4) + MS(D), PUB_ABSENT, 0, true });

/* A change a poll finds (the edge was missed): the wait starts at that
 * poll; a later poll, even past the deadline, does not publish: only the
 * timer's reading does. */
TABLE(poll_finds_it, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { POLL, true, S(2), ARM, S(2) + MS(D), false },
      { POLL, true, S(2) + MS(D) + 5, NOTHING, 0, false },
      { TIMER, true, S(2) + MS(D) + 1000, PUB_PRESENT, 0, true });

/* A pulse shorter than DebounceMs is never published. */
TABLE(short_pulse, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { EDGE, false, S(2) + MS(D) - 1, DISARM, 0, false },
      { POLL, false, S(3), NOTHING, 0, false });

/* A pulse exactly DebounceMs long: held for DebounceMs is enough, so it
 * is published when the timer's reading at edge + DebounceMs still shows
 * it; the edge back is then a change of its own, debounced in turn. */
TABLE(exact_pulse_timer_first, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { TIMER, true, S(2) + MS(D), PUB_PRESENT, 0, true },
      { EDGE, false, S(2) + MS(D), ARM, S(2) + MS(2 * D), false });

/* ...but when the edge back is handled first, or the timer's reading
 * already shows the end, it is a pulse that did not hold. */
TABLE(exact_pulse_edge_first, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { EDGE, false, S(2) + MS(D), DISARM, 0, false });

TABLE(exact_pulse_timer_reads_end, D,
      { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { TIMER, false, S(2) + MS(D), DISARM, 0, false });

/* Bounces: every edge restarts the wait, one that reads the candidate
 * again too (down and up between two reads); an expiry before the
 * current deadline re-arms it instead of publishing early. */
TABLE(bounces, D, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), ARM, S(2) + MS(D), false },
      { EDGE, false, S(2) + MS(10), DISARM, 0, false },
      { EDGE, true, S(2) + MS(20), ARM, S(2) + MS(20 + D), false },
      { EDGE, true, S(2) + MS(30), ARM, S(2) + MS(30 + D), false },
      { TIMER, true, S(2) + MS(20 + D), ARM, S(2) + MS(30 + D), false },
      { TIMER, true, S(2) + MS(30 + D) - 1, ARM, S(2) + MS(30 + D), false },
      { TIMER, true, S(2) + MS(30 + D), PUB_PRESENT, 0, true });

/* DebounceMs 0: every change at once, nothing armed. */
TABLE(no_debounce, 0, { POLL, false, S(1), PUB_ABSENT, 0, false },
      { EDGE, true, S(2), PUB_PRESENT, 0, true },
      { EDGE, false, S(2) + 1, PUB_ABSENT, 0, true },
      { POLL, false, S(3), NOTHING, 0, false },
      { POLL, true, S(4), PUB_PRESENT, 0, true });

/* The clock goes back below the candidate's start: the wait restarts at
 * the new now (a timer reading then is not published early: DebounceMs
 * has not passed on the clock as it reads now), and a jump back of an
 * hour does not hold the change an hour (not stuck: the deadline is
 * DebounceMs from the new now). */
TABLE(clock_back, D, { POLL, false, S(10), PUB_ABSENT, 0, false },
      { EDGE, true, S(10), ARM, S(10) + MS(D), false },
      { TIMER, true, S(5), ARM, S(5) + MS(D), false },
      { TIMER, true, S(5) + MS(D) - 1, ARM, S(5) + MS(D), false },
      { TIMER, true, S(5) + MS(D), PUB_PRESENT, 0, true },
      { EDGE, false, S(3600), ARM, S(3600) + MS(D), false },
      { POLL, false, S(1), ARM, S(1) + MS(D), false },
      { POLL, false, S(1) + MS(10), NOTHING, 0, false },
      { TIMER, false, S(1) + MS(D), PUB_ABSENT, 0, true });

static const struct table *const tables[] = {
	&steady,
	&first_present,
	&held,
	&poll_finds_it,
	&short_pulse,
	&exact_pulse_timer_first,
	&exact_pulse_edge_first,
	&exact_pulse_timer_reads_end,
	&bounces,
	&no_debounce,
	&clock_back,
};

static void test_table(void **state)
{
	run_table(*state);
}

/* The timer cannot be armed: the candidate is published at once. */
static void test_flush(void **state)
{
	struct presence p;
	struct presence_action a;

	presence_init(&p, D);
	a = presence_flush(&p);
	assert_int_equal(a.what, PRESENCE_NOTHING);
	(void)presence_step(&p, POLL, false, S(1));
	a = presence_step(&p, EDGE, true, S(2));
	assert_int_equal(a.what, PRESENCE_ARM);
	a = presence_flush(&p);
	assert_int_equal(a.what, PRESENCE_PUBLISH);
	assert_true(a.present);
	assert_true(a.changed);
	assert_false(p.pending);
	assert_true(p.present);
	assert_int_equal(presence_flush(&p).what, PRESENCE_NOTHING);
}

/* The line is released while a change waits: the candidate goes; the
 * reading after the line is back starts a new wait from then. */
static void test_forget(void **state)
{
	struct presence p;
	struct presence_action a;

	presence_init(&p, D);
	(void)presence_step(&p, POLL, false, S(1));
	(void)presence_step(&p, EDGE, true, S(2));
	presence_forget(&p);
	assert_false(p.pending);
	a = presence_step(&p, POLL, true, S(3));
	assert_int_equal(a.what, PRESENCE_ARM);
	assert_int_equal(a.at, S(3) + MS(D));
}

/* DebounceMs changes: the candidate goes, the next one waits the new
 * time; 0 publishes at once. */
static void test_set_debounce(void **state)
{
	struct presence p;
	struct presence_action a;

	presence_init(&p, D);
	(void)presence_step(&p, POLL, false, S(1));
	(void)presence_step(&p, EDGE, true, S(2));
	presence_set_debounce(&p, 200);
	assert_false(p.pending);
	a = presence_step(&p, POLL, true, S(3));
	assert_int_equal(a.what, PRESENCE_ARM);
	assert_int_equal(a.at, S(3) + MS(200));
	presence_set_debounce(&p, 0);
	a = presence_step(&p, POLL, true, S(4));
	assert_int_equal(a.what, PRESENCE_PUBLISH);
	assert_true(a.present);
}

/* The polarity changes: the next reading is published at once, as a
 * first one; changed says whether it differs from what is on D-Bus. */
static void test_reset(void **state)
{
	struct presence p;
	struct presence_action a;

	presence_init(&p, D);
	(void)presence_step(&p, POLL, true, S(1));
	(void)presence_step(&p, EDGE, false, S(2));
	presence_reset(&p);
	assert_false(p.known);
	assert_false(p.pending);
	a = presence_step(&p, POLL, true, S(3));
	assert_int_equal(a.what, PRESENCE_PUBLISH);
	assert_true(a.present);
	assert_false(a.changed);
	presence_reset(&p);
	a = presence_step(&p, POLL, false, S(4));
	assert_int_equal(a.what, PRESENCE_PUBLISH);
	assert_true(a.changed);
	assert_true(p.known);
}

/* A deadline past the end of the clock is the end of the clock, not a
 * time that wrapped into the past (which would publish at once). */
static void test_deadline_saturates(void **state)
{
	struct presence p;
	struct presence_action a;

	presence_init(&p, 60000);
	(void)presence_step(&p, POLL, false, 0);
	a = presence_step(&p, EDGE, true, UINT64_MAX - 5);
	assert_int_equal(a.what, PRESENCE_ARM);
	assert_true(a.at == UINT64_MAX);
	a = presence_step(&p, TIMER, true, UINT64_MAX - 4);
	assert_int_equal(a.what, PRESENCE_ARM);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(tables) + 5];
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(tables); i++)
		tests[n++] = (struct CMUnitTest){
			.name = tables[i]->name,
			.test_func = test_table,
			.initial_state = (void *)tables[i],
		};
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_flush);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_forget);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_set_debounce);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_reset);
	tests[n++] =
		(struct CMUnitTest)cmocka_unit_test(test_deadline_saturates);
	return _cmocka_run_group_tests("presence", tests, n, NULL, NULL);
}
