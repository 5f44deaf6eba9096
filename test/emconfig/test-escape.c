/* SPDX-License-Identifier: Apache-2.0 */
/* emc_escape: entity-manager's object path segment escaping. */
#include "emc-test.h"

static void check(const char *in, const char *expected)
{
	char *out = emc_escape(in);

	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
}

static void test_spaces(void **state)
{
	check("Yosemite5 MB E1S0", "Yosemite5_MB_E1S0");
	check(" lead and trail ", "_lead_and_trail_");
}

static void test_dots_dashes(void **state)
{
	check("Mt.Jade", "Mt_Jade");
	check("cable-0.a/b", "cable_0_a_b");
	check("NVMe $index Temp", "NVMe__index_Temp");
	check("a:b,c(d)e[f]{g}+h=i", "a_b_c_d_e_f__g__h_i");
}

static void test_unicode(void **state)
{
	/* Each byte of a multi-byte character becomes one '_'. */
	check("Temp\xc2\xb0"
	      "C",
	      "Temp__C");
	check("\xe2\x82\xac", "___");
}

static void test_unchanged(void **state)
{
	check("", "");
	check("ABCXYZabcxyz0189_", "ABCXYZabcxyz0189_");
}

static void test_every_byte(void **state)
{
	char in[256], *out;

	for (int i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	in[255] = '\0';
	out = emc_escape(in);
	assert_non_null(out);
	assert_int_equal(strlen(out), 255);
	for (int i = 1; i < 256; i++) {
		bool keep = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
			    (i >= '0' && i <= '9') || i == '_';

		assert_int_equal((unsigned char)out[i - 1], keep ? i : '_');
	}
	free(out);
}

static void test_escaped_equal(void **state)
{
	assert_true(emc_escaped_equal("Cable 1", "Cable-1"));
	assert_true(emc_escaped_equal("Cable 1", "Cable_1"));
	assert_true(emc_escaped_equal("a.b", "a b"));
	assert_true(emc_escaped_equal("", ""));
	assert_true(emc_escaped_equal("x\xc3\xa9", "x__"));
	assert_false(emc_escaped_equal("Cable1", "Cable 1"));
	assert_false(emc_escaped_equal("Cable_1", "Cable_2"));
	assert_false(emc_escaped_equal("a", "A"));
	assert_false(emc_escaped_equal("ab", "a"));
	assert_false(emc_escaped_equal("a", "ab"));
	assert_false(emc_escaped_equal("_x", "yx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spaces),
		cmocka_unit_test(test_dots_dashes),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_escaped_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
