// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/avail.c, the availability policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "avail.h"

#define SEC 1000000ull
#define DL  (SEC / 2)

/* Polls every second, transactions time out after DL, the last good
 * reading at t = 100 s: the 1st to 4th failures keep it, the 5th
 * (upstream's errorThreshold) drops it. */
static void test_default_window(void **state)
{
	uint64_t good = 100 * SEC;

	for (unsigned f = 1; f < AVAIL_DEFAULT_WINDOW; f++)
		assert_true(avail_keep(f, AVAIL_DEFAULT_WINDOW, SEC, DL, good,
				       good + f * SEC));
	assert_false(avail_keep(AVAIL_DEFAULT_WINDOW, AVAIL_DEFAULT_WINDOW, SEC,
				DL, good, good + 5 * SEC));
	assert_false(avail_keep(AVAIL_DEFAULT_WINDOW + 7, AVAIL_DEFAULT_WINDOW,
				SEC, DL, good, good + 5 * SEC));
}

/* A single silent poll never takes the reading away. */
static void test_single_miss(void **state)
{
	for (unsigned w = 2; w <= AVAIL_MAX_WINDOW; w *= 3)
		assert_true(
			avail_keep(1, w, SEC, DL, 7 * SEC, 8 * SEC + SEC / 2));
}

/* Window 1: the first failure drops it (the strict policy). */
static void test_window_one(void **state)
{
	assert_false(avail_keep(1, 1, SEC, DL, 10 * SEC, 11 * SEC));
	assert_int_equal(avail_expiry(1, SEC, DL, 10 * SEC),
			 10 * SEC + SEC + DL + SEC);
}

/* No reading yet: nothing to keep. */
static void test_no_reading(void **state)
{
	assert_false(avail_keep(1, AVAIL_DEFAULT_WINDOW, SEC, DL, 0, SEC));
}

/* Slower failures than a timeout each, or none completing at all: the
 * age bound cuts in before the count does, so a value older than the
 * window is never published. */
static void test_age_bound(void **state)
{
	uint64_t good = 50 * SEC, expiry;

	expiry = avail_expiry(AVAIL_DEFAULT_WINDOW, SEC, DL, good);
	assert_int_equal(expiry, good + 5 * (SEC + DL) + SEC);
	assert_true(
		avail_keep(2, AVAIL_DEFAULT_WINDOW, SEC, DL, good, expiry - 1));
	assert_false(
		avail_keep(2, AVAIL_DEFAULT_WINDOW, SEC, DL, good, expiry));
	assert_false(avail_keep(3, AVAIL_DEFAULT_WINDOW, SEC, DL, good,
				expiry + 10 * SEC));
}

/* Window 0 behaves as 1; huge products saturate instead of wrapping. */
static void test_limits(void **state)
{
	assert_int_equal(avail_expiry(0, SEC, DL, 3 * SEC),
			 3 * SEC + SEC + DL + SEC);
	assert_int_equal(avail_expiry(AVAIL_MAX_WINDOW, UINT64_MAX / 2, DL,
				      SEC),
			 UINT64_MAX);
	assert_true(avail_keep(AVAIL_MAX_WINDOW - 1, AVAIL_MAX_WINDOW,
			       3600 * SEC, DL, SEC, 3600 * SEC * 900));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_window),
		cmocka_unit_test(test_single_miss),
		cmocka_unit_test(test_window_one),
		cmocka_unit_test(test_no_reading),
		cmocka_unit_test(test_age_bound),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
