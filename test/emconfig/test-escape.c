/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emc_escape: the object path segment entity-manager makes of a Name
 * (its sanitising, then sdbusplus object_path's escaping), read back with
 * sdbusplus's filename() rule as bmcweb does.
 */
#include "emc-test.h"

#include "../lib/sdbusplus-name.h"

static void check(const char *in, const char *expected)
{
	char *out = emc_escape(in);

	assert_non_null(out);
	assert_string_equal(out, expected);
	free(out);
}

/* What entity-manager's sanitising leaves of s. */
static char *sanitised(const char *s)
{
	char *t = strdup(s);

	assert_non_null(t);
	for (char *p = t; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	return t;
}

/* The segment, decoded as sdbusplus's filename() does, is the name
 * entity-manager gives the record. */
static void check_decodes(const char *in)
{
	char *seg = emc_escape(in), *path, *name, *want = sanitised(in);

	assert_non_null(seg);
	assert_true(asprintf(&path, "/xyz/openbmc_project/inventory/item/%s",
			     seg) > 0);
	name = sdbusplus_filename(path);
	assert_non_null(name);
	assert_string_equal(name, want);
	free(name);
	free(path);
	free(seg);
	free(want);
}

static void test_spaces(void **state)
{
	check("Yosemite5 MB E1S0", "Yosemite5_MB_E1S0");
	check(" lead and trail ", "_5flead_5fand_5ftrail_5f");
	check("trail ", "trail_");
}

static void test_dots_dashes(void **state)
{
	check("Mt.Jade", "Mt_Jade");
	check("cable-0.a/b", "cable_0_a_b");
	check("NVMe $index Temp", "NVMe__index_Temp");
	check("a:b,c(d)e[f]{g}+h=i", "a_b_c_d_e_f__g__h_i");
}

/* A segment that starts with anything but a letter or digit is escaped
 * whole, as sdbusplus's object_path operator/= escapes it. */
static void test_leading(void **state)
{
	check("-rear cable", "_5frear_5fcable");
	check(" front", "_5ffront");
	check("_x", "_5fx");
	check("_", "_5f");
	check("__a_b", "_5f_5fa_5fb");
	check("$index", "_5findex");
	check("\xc3\xa9t\xc3\xa9", "_5f_5ft_5f_5f");
	check("9_a", "9_a");
}

static void test_decodes(void **state)
{
	static const char *const names[] = {
		"-rear cable",
		" space",
		"_under",
		"_",
		"-",
		"__",
		"_5f",
		"_5frear",
		"a",
		"Cable 1",
		"NVMe $index Temp",
		"x_",
		"\xe2\x82\xac",
		"_a_",
		"0",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		check_decodes(names[i]);
	/* the plain form is what a C++ consumer cannot read */
	{
		char *n = sdbusplus_filename("/a/_rear_cable");

		assert_string_equal(n, "");
		free(n);
	}
}

/* Every byte, first and later: decoded, the segment is the sanitised
 * name, so two names share a segment exactly when entity-manager gives
 * them one name. */
static void test_every_byte_decodes(void **state)
{
	for (int i = 1; i < 256; i++)
		for (int j = 1; j < 256; j += 7) {
			char in[4] = { (char)i, (char)j, 'z', '\0' };

			check_decodes(in);
		}
}

/* Names that differ only in bytes the escaping writes as "_5f" stay
 * apart: the escaping is one to one on sanitised names. */
static void test_distinct(void **state)
{
	static const char *const names[] = {
		"_a", "a",   "_5fa",  "__a", "a_",    "a__",  "_",
		"__", "_5f", "_5f5f", "5f",  "_a_5f", "_a__",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (size_t j = 0; j < ARRAY_SIZE(names); j++) {
			char *a = emc_escape(names[i]);
			char *b = emc_escape(names[j]);

			assert_non_null(a);
			assert_non_null(b);
			if (i != j)
				assert_string_not_equal(a, b);
			assert_int_equal(emc_escaped_equal(names[i], names[j]),
					 i == j);
			free(a);
			free(b);
		}
}

static void test_unicode(void **state)
{
	/* Each byte of a multi-byte character becomes one '_'. */
	check("Temp\xc2\xb0"
	      "C",
	      "Temp__C");
	check("\xe2\x82\xac", "_5f_5f_5f");
}

static void test_unchanged(void **state)
{
	check("", "");
	check("ABCXYZabcxyz0189_", "ABCXYZabcxyz0189_");
}

static void test_every_byte(void **state)
{
	char in[257], *out, *o;

	/* behind a letter, no byte is written as "_XX" */
	in[0] = 'a';
	for (int i = 1; i < 256; i++)
		in[i] = (char)i;
	in[256] = '\0';
	out = emc_escape(in);
	assert_non_null(out);
	assert_int_equal(strlen(out), 256);
	for (int i = 1; i < 256; i++) {
		bool keep = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
			    (i >= '0' && i <= '9');

		assert_int_equal((unsigned char)out[i], keep ? i : '_');
	}
	free(out);
	/* at the start, each is "_5f" */
	out = emc_escape(in + 1);
	assert_non_null(out);
	o = out;
	for (int i = 1; i < 256; i++) {
		bool keep = (i >= 'A' && i <= 'Z') || (i >= 'a' && i <= 'z') ||
			    (i >= '0' && i <= '9');

		if (keep) {
			assert_int_equal((unsigned char)*o, i);
			o++;
		} else {
			assert_memory_equal(o, "_5f", 3);
			o += 3;
		}
	}
	assert_int_equal(*o, '\0');
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
		cmocka_unit_test(test_leading),
		cmocka_unit_test(test_decodes),
		cmocka_unit_test(test_every_byte_decodes),
		cmocka_unit_test(test_distinct),
		cmocka_unit_test(test_unicode),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_escaped_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
