/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the entity-manager stand-in's template substitution. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "em-template.h"
#include "macros.h"

static void check(const char *in, const char *expected)
{
	static const struct em_var vars[] = {
		{ "bus", "12" },
		{ "index", "2" },
		{ "PRODUCT_MANUFACTURER", "Intel" },
	};
	_cleanup_free_ char *out = NULL;

	assert_int_equal(em_expand(in, vars, ARRAY_SIZE(vars), &out), 0);
	assert_string_equal(out, expected);
}

static void test_plain(void **state)
{
	check("$bus", "12");
	check("NVMe $index Temp", "NVMe 2 Temp");
	check("$product_manufacturer", "Intel");
	check("$PRODUCT_MANUFACTURER Inc", "Intel Inc");
	check("$index-$index", "2-2");
	check("no template", "no template");
	check("$address", "$address");
	check("$PRODUCT_SERIAL_NUMBER", "$PRODUCT_SERIAL_NUMBER");
}

static void test_math(void **state)
{
	/* left to right, integer arithmetic, no precedence */
	check("$bus / 2 + 2 * 3 % 5 * 3 + 1 / 4 + 102", "105");
	check("Santa Barbara Electra module $bus / 2 + 2 * 3 % 5 * 3 + 1 / 4",
	      "Santa Barbara Electra module 3");
	check("$bus + 1 rest of text", "13 rest of text");
	check("$bus - 20", "-8");
	check("$index * x + 3", "6"); /* non-numbers, "+" too, are skipped */
	check("$bus / 0", "$bus / 0");
	check("$bus +", "$bus +");
}

static void test_to_uint(void **state)
{
	uint64_t u = 0;

	assert_true(em_string_to_uint("0x6a", &u));
	assert_int_equal(u, 0x6a);
	assert_true(em_string_to_uint("29", &u));
	assert_int_equal(u, 29);
	assert_true(em_string_to_uint("18446744073709551615", &u));
	assert_true(u == UINT64_MAX);
	assert_false(em_string_to_uint("18446744073709551616", &u));
	assert_false(em_string_to_uint("0x", &u));
	assert_false(em_string_to_uint("0X6a", &u));
	assert_false(em_string_to_uint("12a", &u));
	assert_false(em_string_to_uint("-1", &u));
	assert_false(em_string_to_uint(" 1", &u));
	assert_false(em_string_to_uint("", &u));
	assert_false(em_string_to_uint("$bus", &u));
}

static void test_escape(void **state)
{
	_cleanup_free_ char *a = em_escape("NVMe 1 Temp");
	_cleanup_free_ char *b = em_escape("a-b.c/d_E9");
	_cleanup_free_ char *c = em_escape("-rear cable");
	_cleanup_free_ char *d = em_escape("_x\xc3\xa9");

	assert_string_equal(a, "NVMe_1_Temp");
	assert_string_equal(b, "a_b_c_d_E9");
	assert_string_equal(c, "_5frear_5fcable");
	assert_string_equal(d, "_5fx_5f_5f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_math),
		cmocka_unit_test(test_to_uint),
		cmocka_unit_test(test_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
