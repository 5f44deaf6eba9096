// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/threshold.c. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "threshold.h"

#define BIT(k) (1u << (k))

static void test_kind_from_config(void **state)
{
	enum threshold_kind k;

	assert_int_equal(threshold_kind_from_config("greater than", 0, &k), 0);
	assert_int_equal(k, THRESHOLD_WARNING_HIGH);
	assert_int_equal(threshold_kind_from_config("greater than", 1, &k), 0);
	assert_int_equal(k, THRESHOLD_CRITICAL_HIGH);
	assert_int_equal(threshold_kind_from_config("less than", 0, &k), 0);
	assert_int_equal(k, THRESHOLD_WARNING_LOW);
	assert_int_equal(threshold_kind_from_config("less than", 1, &k), 0);
	assert_int_equal(k, THRESHOLD_CRITICAL_LOW);
	assert_int_equal(threshold_kind_from_config("greater than", 2, &k),
			 -EOPNOTSUPP);
	assert_int_equal(threshold_kind_from_config("above", 0, &k), -EINVAL);
	assert_int_equal(threshold_kind_from_config(NULL, 0, &k), -EINVAL);
}

static void test_given(void **state)
{
	struct threshold_set s;

	threshold_set_init(&s);
	assert_int_equal(threshold_given(&s), 0);
	s.t[THRESHOLD_WARNING_HIGH].value = 70;
	s.t[THRESHOLD_CRITICAL_LOW].value = -5;
	assert_int_equal(threshold_given(&s),
			 BIT(THRESHOLD_WARNING_HIGH) |
				 BIT(THRESHOLD_CRITICAL_LOW));
	s.t[THRESHOLD_WARNING_HIGH].value = NAN;
	assert_int_equal(threshold_given(&s), BIT(THRESHOLD_CRITICAL_LOW));
}

static void test_high_hysteresis(void **state)
{
	struct threshold_set s;

	threshold_set_init(&s);
	s.t[THRESHOLD_WARNING_HIGH].value = 70;
	s.t[THRESHOLD_WARNING_HIGH].hysteresis = 2;
	s.t[THRESHOLD_CRITICAL_HIGH].value = 80;
	s.t[THRESHOLD_CRITICAL_HIGH].hysteresis = 2;

	assert_int_equal(threshold_update(&s, 35), 0);
	assert_int_equal(threshold_update(&s, 69.9), 0);
	assert_int_equal(threshold_update(&s, 70), BIT(THRESHOLD_WARNING_HIGH));
	assert_true(s.t[THRESHOLD_WARNING_HIGH].alarm);
	/* inside the hysteresis band: stays asserted */
	assert_int_equal(threshold_update(&s, 68.5), 0);
	assert_int_equal(threshold_update(&s, 68), 0);
	assert_int_equal(threshold_update(&s, 90),
			 BIT(THRESHOLD_CRITICAL_HIGH));
	assert_int_equal(threshold_update(&s, 67.9),
			 BIT(THRESHOLD_WARNING_HIGH) |
				 BIT(THRESHOLD_CRITICAL_HIGH));
	assert_false(s.t[THRESHOLD_WARNING_HIGH].alarm);
	assert_false(s.t[THRESHOLD_CRITICAL_HIGH].alarm);
}

static void test_low(void **state)
{
	struct threshold_set s;

	threshold_set_init(&s);
	s.t[THRESHOLD_WARNING_LOW].value = 5;
	s.t[THRESHOLD_WARNING_LOW].hysteresis = 1;

	assert_int_equal(threshold_update(&s, 6), 0);
	assert_int_equal(threshold_update(&s, 5), BIT(THRESHOLD_WARNING_LOW));
	assert_int_equal(threshold_update(&s, 6), 0);
	assert_int_equal(threshold_update(&s, 6.5), BIT(THRESHOLD_WARNING_LOW));
}

static void test_nan(void **state)
{
	struct threshold_set s;

	threshold_set_init(&s);
	/* no thresholds set: nothing ever asserts */
	assert_int_equal(threshold_update(&s, 1000), 0);
	assert_int_equal(threshold_update(&s, -1000), 0);

	s.t[THRESHOLD_CRITICAL_HIGH].value = 80;
	assert_int_equal(threshold_update(&s, 85),
			 BIT(THRESHOLD_CRITICAL_HIGH));
	/* no reading (a drive that tripped and stopped answering): the
	 * alarm stays, as dbus-sensors keeps it; no de-assert/re-assert */
	assert_int_equal(threshold_update(&s, NAN), 0);
	assert_true(s.t[THRESHOLD_CRITICAL_HIGH].alarm);
	assert_int_equal(threshold_update(&s, NAN), 0);
	assert_int_equal(threshold_update(&s, 85), 0);
	/* a reading below clears it */
	assert_int_equal(threshold_update(&s, 40),
			 BIT(THRESHOLD_CRITICAL_HIGH));
	/* a threshold removed (NaN) clears its alarm */
	assert_int_equal(threshold_update(&s, 85),
			 BIT(THRESHOLD_CRITICAL_HIGH));
	s.t[THRESHOLD_CRITICAL_HIGH].value = NAN;
	assert_int_equal(threshold_update(&s, 85),
			 BIT(THRESHOLD_CRITICAL_HIGH));
	assert_false(s.t[THRESHOLD_CRITICAL_HIGH].alarm);
}

static void test_clear(void **state)
{
	struct threshold_set s;

	threshold_set_init(&s);
	assert_int_equal(threshold_clear(&s), 0);
	s.t[THRESHOLD_WARNING_HIGH].value = 70;
	s.t[THRESHOLD_CRITICAL_HIGH].value = 80;
	s.t[THRESHOLD_WARNING_LOW].value = 5;
	assert_int_equal(threshold_update(&s, 85),
			 BIT(THRESHOLD_WARNING_HIGH) |
				 BIT(THRESHOLD_CRITICAL_HIGH));
	/* power off: every asserted alarm de-asserted, reported once */
	assert_int_equal(threshold_clear(&s),
			 BIT(THRESHOLD_WARNING_HIGH) |
				 BIT(THRESHOLD_CRITICAL_HIGH));
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		assert_false(s.t[k].alarm);
	assert_int_equal(threshold_clear(&s), 0);
	/* the values are kept */
	assert_true(s.t[THRESHOLD_CRITICAL_HIGH].value == 80);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kind_from_config),
		cmocka_unit_test(test_given),
		cmocka_unit_test(test_high_hysteresis),
		cmocka_unit_test(test_low),
		cmocka_unit_test(test_nan),
		cmocka_unit_test(test_clear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
