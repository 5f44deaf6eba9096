// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/poll.c, the polling schedule's pure transitions. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "macros.h"
#include "poll.h"

#define MS  1000ull
#define SEC (1000 * MS)

static void test_next_due(void **state)
{
	static const struct {
		uint64_t period, now, due, want;
	} t[] = {
		/* on time: one period after it was due, not after it ran */
		{ SEC, 10 * SEC + 3 * MS, 10 * SEC, 11 * SEC },
		{ SEC, 10 * SEC + 999 * MS, 10 * SEC, 11 * SEC },
		/* ran exactly a period late: the next is a period from now */
		{ SEC, 11 * SEC, 10 * SEC, 12 * SEC },
		/* later still: no bunching */
		{ SEC, 25 * SEC, 10 * SEC, 26 * SEC },
		/* the clock went backwards: never more than a period ahead */
		{ SEC, 5 * SEC, 10 * SEC, 6 * SEC },
		/* due == now */
		{ 200 * MS, 4 * SEC, 4 * SEC, 4 * SEC + 200 * MS },
		/* off the grid (a drive that just started): the grid's next,
		 * where the other drives at this interval are due too */
		{ SEC, 10 * SEC + 300 * MS, 10 * SEC + 300 * MS, 11 * SEC },
		{ 200 * MS, 4 * SEC + 50 * MS, 4 * SEC + 50 * MS,
		  4 * SEC + 200 * MS },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++)
		assert_int_equal(poll_next_due(t[i].period, t[i].now, t[i].due),
				 t[i].want);
}

/* A period that holds: 1,000 polls each run up to 5 ms late land on the
 * grid, never drifting. */
static void test_fixed_rate(void **state)
{
	uint64_t due = 7 * SEC;

	for (unsigned i = 0; i < 1000; i++) {
		uint64_t ran = due + (i % 6) * MS;

		due = poll_next_due(SEC, ran, due);
	}
	assert_int_equal(due, 1007 * SEC);
}

static void test_retry(void **state)
{
	static const struct {
		unsigned failures, window;
		uint64_t period, want;
	} t[] = {
		{ 0, 5, SEC, SEC },
		{ 1, 5, SEC, SEC },
		{ 4, 5, SEC, SEC },
		/* at the window: twice the interval, doubling per failure */
		{ 5, 5, SEC, 2 * SEC },
		{ 6, 5, SEC, 4 * SEC },
		{ 8, 5, SEC, 16 * SEC },
		/* the cap */
		{ 9, 5, SEC, POLL_BACKOFF_MAX_MS * MS },
		{ 500, 5, SEC, POLL_BACKOFF_MAX_MS * MS },
		{ 1000000, 1, 100 * MS, POLL_BACKOFF_MAX_MS * MS },
		/* an interval longer than the cap: the cap once failing */
		{ 2, 5, 3600 * SEC, 3600 * SEC },
		{ 5, 5, 3600 * SEC, POLL_BACKOFF_MAX_MS * MS },
		/* window 1: the first failure backs off */
		{ 1, 1, SEC, 2 * SEC },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct poll_state s;

		poll_init(&s, t[i].period, t[i].window);
		s.failures = t[i].failures;
		assert_int_equal(poll_retry_usec(&s), t[i].want);
	}
}

/* An NVMe-MI drive from the open to steady health polls. */
static void test_mi_sequence(void **state)
{
	static const struct {
		enum drive_step step; /* before */
		int r;
		uint64_t now;
		enum drive_step next;
		uint64_t at;
	} t[] = {
		{ STEP_SUBSYS_INFO, 0, 100 * MS, STEP_IDENTIFY, 100 * MS },
		{ STEP_IDENTIFY, 0, 120 * MS, STEP_HEALTH, 120 * MS },
		/* the first health poll is followed by SMART at once */
		{ STEP_HEALTH, 0, 130 * MS, STEP_SMART, 130 * MS },
		/* then health on the grid (the multiples of the interval):
		 * the first poll ran off it at 120 ms, the next is at 1 s */
		{ STEP_SMART, 0, 140 * MS, STEP_HEALTH, 1000 * MS },
		{ STEP_HEALTH, 0, 1010 * MS, STEP_HEALTH, 2000 * MS },
	};
	struct poll_state s;
	uint64_t due = 0;

	poll_init(&s, SEC, 5);
	poll_restart(&s, STEP_SUBSYS_INFO, true);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct poll_action a;

		assert_int_equal(s.step, t[i].step);
		if (s.step == STEP_HEALTH) {
			due = due ? SEC : t[i].now - 10 * MS;
			poll_sent(&s, t[i].now - 10 * MS, due);
		}
		a = poll_mi_done(&s, t[i].r, t[i].now);
		assert_false(a.failed);
		assert_int_equal(s.step, t[i].next);
		assert_int_equal(a.at_usec, t[i].at);
	}
	assert_true(s.identified);
	assert_int_equal(s.failures, 0);
}

/* Failures up to, at and past the window; then the drive answers. */
static void test_mi_failures(void **state)
{
	static const struct {
		int r;
		bool failed, window_reached, failing, answers_again;
		unsigned failures;
		uint64_t delay;
		enum drive_step next;
	} t[] = {
		{ -EIO, true, false, false, false, 1, SEC, STEP_HEALTH },
		{ 0x04, true, false, false, false, 2, SEC, STEP_HEALTH },
		/* exactly the window: reached, failing, the identity is no
		 * longer trusted */
		{ -ETIMEDOUT, true, true, true, false, 3, 2 * SEC,
		  STEP_SUBSYS_INFO },
		{ -EIO, true, false, true, false, 4, 4 * SEC,
		  STEP_SUBSYS_INFO },
	};
	struct poll_state s;
	struct poll_action a;
	uint64_t now = 50 * SEC;

	poll_init(&s, SEC, 3);
	s.step = STEP_HEALTH;
	s.identified = true;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		a = poll_mi_done(&s, t[i].r, now);
		assert_int_equal(a.failed, t[i].failed);
		assert_int_equal(a.window_reached, t[i].window_reached);
		assert_int_equal(a.failing, t[i].failing);
		assert_int_equal(s.failures, t[i].failures);
		assert_int_equal(a.at_usec, now + t[i].delay);
		assert_int_equal(s.step, t[i].next);
		if (s.step == STEP_SUBSYS_INFO)
			s.step = STEP_HEALTH; /* as if reopened: health fails */
	}
	/* answers again: counted once */
	a = poll_mi_done(&s, 0, now);
	assert_true(a.answers_again);
	assert_int_equal(s.failures, 0);
	a = poll_mi_done(&s, 0, now);
	assert_false(a.answers_again);
}

/* Not answered within the limit: the longest back-off at once. */
static void test_mi_timeout(void **state)
{
	struct poll_state s;
	struct poll_action a;

	poll_init(&s, SEC, 5);
	s.step = STEP_HEALTH;
	a = poll_mi_done(&s, -ETIME, 10 * SEC);
	assert_true(a.failed && a.failing);
	assert_int_equal(s.failures, 5 + POLL_TIMEOUT_PENALTY);
	assert_int_equal(a.at_usec, 10 * SEC + POLL_BACKOFF_MAX_MS * MS);
	/* a second one does not count further past the penalty than one */
	a = poll_mi_done(&s, -ETIME, 20 * SEC);
	assert_int_equal(s.failures, 5 + POLL_TIMEOUT_PENALTY + 1);
}

/* A refused Identify: polled on, asked again after POLL_REFUSED_RETRY
 * health polls, the refusal reported once. */
static void test_identify_refused(void **state)
{
	struct poll_state s;
	struct poll_action a;
	unsigned polls = 0;

	poll_init(&s, SEC, 5);
	s.step = STEP_IDENTIFY;
	a = poll_mi_done(&s, 0x02, SEC);
	assert_false(a.failed);
	assert_true(a.refused);
	assert_true(s.identified);
	assert_int_equal(s.step, STEP_HEALTH);
	while (s.step != STEP_IDENTIFY && polls < 1000) {
		assert_int_equal(s.step, STEP_HEALTH);
		a = poll_mi_done(&s, 0, SEC);
		polls++;
		if (s.step == STEP_SMART)
			(void)poll_mi_done(&s, 0, SEC);
	}
	assert_int_equal(polls, POLL_REFUSED_RETRY);
	a = poll_mi_done(&s, 0x02, SEC);
	assert_false(a.refused); /* already said */
	a = poll_mi_done(&s, 0, SEC); /* health */
	s.step = STEP_IDENTIFY;
	a = poll_mi_done(&s, 0, SEC);
	assert_true(a.refused_over);
}

/* A refused SMART: no SMART for POLL_REFUSED_RETRY health polls. */
static void test_smart_refused(void **state)
{
	struct poll_state s;
	struct poll_action a;
	unsigned healths = 0;

	poll_init(&s, SEC, 5);
	s.step = STEP_SMART;
	s.identified = true;
	a = poll_mi_done(&s, 0x02, SEC);
	assert_true(a.refused);
	assert_false(a.failed);
	assert_int_equal(s.step, STEP_HEALTH);
	do {
		a = poll_mi_done(&s, 0, SEC);
		healths++;
	} while (s.step == STEP_HEALTH && healths < 1000);
	assert_int_equal(s.step, STEP_SMART);
	assert_true(healths > POLL_REFUSED_RETRY);
	/* health itself refusing is a failure, not a refusal */
	s.step = STEP_HEALTH;
	a = poll_mi_done(&s, 0x02, SEC);
	assert_true(a.failed);
}

static void test_basic(void **state)
{
	struct poll_state s;
	struct poll_action a;

	poll_init(&s, SEC, 2);
	poll_restart(&s, STEP_BASIC_VPD, true);
	a = poll_basic_done(&s, 0, true, SEC);
	assert_int_equal(s.step, STEP_BASIC_STATUS);
	assert_int_equal(a.at_usec, SEC);
	/* a bad reading: counted, the VPD is not read again */
	a = poll_basic_done(&s, -ENODATA, false, 2 * SEC);
	assert_true(a.failed);
	assert_false(a.window_reached);
	assert_int_equal(s.step, STEP_BASIC_STATUS);
	/* a failed transfer at the window: the VPD again, backed off */
	a = poll_basic_done(&s, -EIO, true, 3 * SEC);
	assert_true(a.window_reached && a.failing);
	assert_int_equal(s.step, STEP_BASIC_VPD);
	assert_int_equal(a.at_usec, 3 * SEC + 2 * SEC);
	(void)poll_basic_done(&s, 0, true, 5 * SEC);
	a = poll_basic_done(&s, 0, true, 6 * SEC);
	assert_true(a.answers_again);
	/* the VPD every POLL_BASIC_VPD_EVERY status polls */
	for (unsigned i = 1; i < POLL_BASIC_VPD_EVERY; i++) {
		assert_int_equal(s.step, STEP_BASIC_STATUS);
		(void)poll_basic_done(&s, 0, true, 7 * SEC);
	}
	assert_int_equal(s.step, STEP_BASIC_VPD);
}

/* Time going backwards between sending and the reply: the next poll is
 * at its due time, never in the past nor a period beyond now. */
static void test_time_backwards(void **state)
{
	struct poll_state s;
	struct poll_action a;

	poll_init(&s, SEC, 5);
	s.step = STEP_HEALTH;
	s.identified = true;
	s.polls = 1; /* no SMART now */
	poll_sent(&s, 100 * SEC, 100 * SEC);
	assert_int_equal(s.next_due_usec, 101 * SEC);
	a = poll_mi_done(&s, 0, 90 * SEC);
	assert_int_equal(a.at_usec, 101 * SEC);
	/* the next send sees the earlier clock: back on a grid from now */
	poll_sent(&s, 90 * SEC, 101 * SEC);
	assert_int_equal(s.next_due_usec, 91 * SEC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_next_due),
		cmocka_unit_test(test_fixed_rate),
		cmocka_unit_test(test_retry),
		cmocka_unit_test(test_mi_sequence),
		cmocka_unit_test(test_mi_failures),
		cmocka_unit_test(test_mi_timeout),
		cmocka_unit_test(test_identify_refused),
		cmocka_unit_test(test_smart_refused),
		cmocka_unit_test(test_basic),
		cmocka_unit_test(test_time_backwards),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
