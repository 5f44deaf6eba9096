/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the IPMI SDR grouping (src/cable-ipmi/sdr.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sdr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct result {
	struct sdr_group *g;
	int n;
};

static struct result group(const struct sdr_cable *c, size_t n)
{
	struct result r = { NULL, 0 };

	r.n = sdr_group_cables(c, n, &r.g);
	assert_true(r.n >= 0);
	return r;
}

static void check(const struct sdr_group *g, const char *name, unsigned count,
		  uint16_t mask)
{
	assert_string_equal(g->name, name);
	assert_int_equal(g->count, count);
	assert_int_equal(g->mask, mask);
	assert_true(strlen(g->name) <= SDR_NAME_MAX);
}

static void test_split(void **state)
{
	size_t p = 99;
	uint64_t i = 99;

	assert_true(sdr_split_name("cdfp12", &p, &i));
	assert_int_equal(p, 4);
	assert_int_equal(i, 12);
	assert_true(sdr_split_name("a0", &p, &i));
	assert_int_equal(i, 0);
	p = 99;
	assert_false(sdr_split_name("osfp", &p, &i));
	assert_int_equal(p, 99); /* untouched on failure */
	assert_false(sdr_split_name("1234", &p, &i));
	assert_false(sdr_split_name("cable01", &p, &i));
	assert_false(sdr_split_name("c99999999999", &p, &i));
	assert_false(sdr_split_name("", &p, &i));
	assert_false(sdr_split_name(NULL, &p, &i));
}

/* Design example: cdfp0..3 -> one SDR cdfp[0-3]. */
static void test_cdfp(void **state)
{
	const struct sdr_cable c[] = {
		{ "cdfp2", true, NULL },
		{ "cdfp0", true, NULL },
		{ "cdfp3", false, NULL },
		{ "cdfp1", false, NULL },
	};
	struct result r = group(c, 4);

	assert_int_equal(r.n, 1);
	check(&r.g[0], "cdfp[0-3]", 4, 0x5);
	assert_true(r.g[0].indexed);
	assert_string_equal(r.g[0].prefix, "cdfp");
	assert_int_equal(r.g[0].start, 0);
	assert_false(r.g[0].truncated);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* 20 cables: at most 14 states per SDR. */
static void test_twenty(void **state)
{
	struct sdr_cable c[20] = { 0 };
	char names[20][16];
	struct result r;

	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "cable%d", i);
		c[i].name = names[i];
		c[i].present = i == 0 || i == 13 || i == 14 || i == 19;
	}
	r = group(c, 20);
	assert_int_equal(r.n, 2);
	check(&r.g[0], "cable[0-13]", 14, (1u << 0) | (1u << 13));
	check(&r.g[1], "cable[14-19]", 6, (1u << 0) | (1u << 5));
	assert_int_equal(r.g[1].start, 14);
	sdr_groups_free(r.g, (size_t)r.n);
}

static void test_unindexed(void **state)
{
	const struct sdr_cable c[] = { { "osfp", true, NULL } };
	struct result r = group(c, 1);

	assert_int_equal(r.n, 1);
	check(&r.g[0], "osfp", 1, 0x1);
	assert_false(r.g[0].indexed);
	sdr_groups_free(r.g, (size_t)r.n);

	const struct sdr_cable absent[] = { { "osfp", false, NULL } };
	r = group(absent, 1);
	check(&r.g[0], "osfp", 1, 0x0);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* A group starting above 0: bit 0 is its first member. */
static void test_start_above_zero(void **state)
{
	const struct sdr_cable c[] = {
		{ "port3", true, NULL },
		{ "port4", false, NULL },
		{ "port5", true, NULL },
	};
	struct result r = group(c, 3);

	assert_int_equal(r.n, 1);
	check(&r.g[0], "port[3-5]", 3, 0x5);
	assert_int_equal(r.g[0].start, 3);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* cable0, cable1, cable5: a gap ends the range; a lone member stands
 * under its own name. */
static void test_gap(void **state)
{
	const struct sdr_cable c[] = {
		{ "cable5", true, NULL },
		{ "cable0", false, NULL },
		{ "cable1", true, NULL },
	};
	struct result r = group(c, 3);

	assert_int_equal(r.n, 2);
	check(&r.g[0], "cable[0-1]", 2, 0x2);
	check(&r.g[1], "cable5", 1, 0x1);
	assert_false(r.g[1].indexed);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* Too long for 16 characters: the range suffix is kept whole. */
static void test_long_names(void **state)
{
	const struct sdr_cable c[] = {
		{ "backplane_cable0", true, NULL },
		{ "backplane_cable1", true, NULL },
		{ "a_very_long_cable_name", true, NULL },
		{ "exactly16chars_x", false, NULL },
	};
	struct result r = group(c, 4);

	assert_int_equal(r.n, 3);
	check(&r.g[0], "a_very_long_cabl", 1, 0x1);
	assert_true(r.g[0].truncated);
	assert_string_equal(r.g[0].full_name, "a_very_long_cable_name");
	check(&r.g[1], "backplane_c[0-1]", 2, 0x3);
	assert_true(r.g[1].truncated);
	assert_string_equal(r.g[1].full_name, "backplane_cable[0-1]");
	check(&r.g[2], "exactly16chars_x", 1, 0x0);
	assert_false(r.g[2].truncated);
	sdr_groups_free(r.g, (size_t)r.n);
}

static void test_mixed(void **state)
{
	const struct sdr_cable c[] = {
		{ "osfp", true, NULL },	  { "cdfp1", true, NULL },
		{ "cdfp0", false, NULL }, { "qsfp07", true, NULL },
		{ "cdfp1", false, NULL }, /* duplicate */
		{ "x", false, NULL },	  { "cdfp", false, NULL },
		{ "12", true, NULL },
	};
	struct result r = group(c, 8);

	assert_int_equal(r.n, 6);
	check(&r.g[0], "12", 1, 0x1);
	check(&r.g[1], "cdfp", 1, 0x0);
	check(&r.g[2], "cdfp[0-1]", 2, 0x2); /* first cdfp1 wins */
	check(&r.g[3], "osfp", 1, 0x1);
	check(&r.g[4], "qsfp07", 1, 0x1);
	check(&r.g[5], "x", 1, 0x0);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* No two SDRs share a name: cut names that meet are renamed ("~<n>"
 * before the range), as is a cable named like a real range. */
static void test_unique_names(void **state)
{
	const struct sdr_cable c[] = {
		{ "frontpanelcableA0", true, NULL },
		{ "frontpanelcableA1", false, NULL },
		{ "frontpanelcableB0", false, NULL },
		{ "frontpanelcableB1", true, NULL },
		{ "c36", true, NULL },
		{ "c37", true, NULL },
		{ "c[36-37]", false, NULL },
		{ "rear_cable_number_one", true, NULL },
		{ "rear_cable_number_two", false, NULL },
		{ "rear_cable_numbe", true,
		  NULL }, /* 16: the cut of the two above */
	};
	struct result r = group(c, ARRAY_SIZE(c));

	assert_int_equal(r.n, 7);
	check(&r.g[0], "c[36-37]", 2, 0x3);
	assert_false(r.g[0].renamed);
	check(&r.g[1], "c[36-37]~1", 1, 0x0);
	assert_true(r.g[1].renamed);
	assert_string_equal(r.g[1].full_name, "c[36-37]");
	check(&r.g[2], "frontpane~1[0-1]", 2, 0x1);
	assert_string_equal(r.g[2].full_name, "frontpanelcableA[0-1]");
	assert_true(r.g[2].renamed && r.g[2].truncated);
	check(&r.g[3], "frontpane~2[0-1]", 2, 0x2);
	assert_string_equal(r.g[3].full_name, "frontpanelcableB[0-1]");
	check(&r.g[4], "rear_cable_numbe", 1, 0x1);
	assert_false(r.g[4].renamed);
	assert_false(r.g[4].truncated);
	check(&r.g[5], "rear_cable_num~1", 1, 0x1);
	assert_string_equal(r.g[5].full_name, "rear_cable_number_one");
	check(&r.g[6], "rear_cable_num~2", 1, 0x0);
	for (int i = 0; i < r.n; i++)
		for (int k = i + 1; k < r.n; k++)
			assert_string_not_equal(r.g[i].name, r.g[k].name);
	sdr_groups_free(r.g, (size_t)r.n);

	/* a cut name that meets nothing is left as it was */
	{
		const struct sdr_cable d[] = {
			{ "frontpanelcableA0", true, NULL },
			{ "frontpanelcableA1", false, NULL },
		};
		struct result q = group(d, 2);

		assert_int_equal(q.n, 1);
		check(&q.g[0], "frontpanelc[0-1]", 2, 0x1);
		assert_false(q.g[0].renamed);
		sdr_groups_free(q.g, (size_t)q.n);
	}
}

/* Many that meet: each gets the lowest free number, unique to the end. */
static void test_unique_names_many(void **state)
{
	struct sdr_cable c[24] = { 0 };
	char names[24][40];
	struct result r;

	for (int i = 0; i < 24; i++) {
		snprintf(names[i], sizeof(names[i]),
			 "very_long_cable_prefix_%c0", 'a' + i);
		c[i] = (struct sdr_cable){ names[i], true, NULL };
	}
	r = group(c, 24);
	assert_int_equal(r.n, 24);
	check(&r.g[0], "very_long_cabl~1", 1, 0x1);
	check(&r.g[9], "very_long_cab~10", 1, 0x1);
	for (int i = 0; i < r.n; i++) {
		assert_true(r.g[i].renamed);
		for (int k = i + 1; k < r.n; k++)
			assert_string_not_equal(r.g[i].name, r.g[k].name);
	}
	sdr_groups_free(r.g, (size_t)r.n);
}

/* Cables group only within their parent object; members are told. */
static void test_parents(void **state)
{
	const struct sdr_cable c[] = {
		{ "cdfp1", true, "/inv/board_b" },
		{ "cdfp0", false, "/inv/board_a" },
		{ "cdfp1", true, "/inv/board_a" },
		{ "cdfp0", true, "/inv/board_b" },
		{ "cdfp2", true, "/inv/board_a" },
	};
	struct result r = group(c, ARRAY_SIZE(c));

	assert_int_equal(r.n, 2);
	/* board_a first: cdfp0 (index 1), cdfp1 (2), cdfp2 (4) */
	check(&r.g[0], "cdfp[0-2]", 3, 0x6);
	assert_int_equal(r.g[0].member[0], 1);
	assert_int_equal(r.g[0].member[1], 2);
	assert_int_equal(r.g[0].member[2], 4);
	/* board_b: a group of its own */
	check(&r.g[1], "cdfp[0-1]", 2, 0x3);
	assert_false(r.g[1].renamed);
	assert_int_equal(r.g[1].member[0], 3);
	assert_int_equal(r.g[1].member[1], 0);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* The same exact names under two parents: the second is renamed. */
static void test_parents_same_names(void **state)
{
	const struct sdr_cable c[] = {
		{ "osfp", true, "/inv/b" },   { "osfp", false, "/inv/a" },
		{ "cdfp0", true, "/inv/b" },  { "cdfp1", true, "/inv/b" },
		{ "cdfp0", false, "/inv/a" }, { "cdfp1", false, "/inv/a" },
	};
	struct result r = group(c, ARRAY_SIZE(c));

	assert_int_equal(r.n, 4);
	check(&r.g[0], "cdfp[0-1]", 2, 0x0);
	check(&r.g[1], "osfp", 1, 0x0);
	check(&r.g[2], "cdfp~1[0-1]", 2, 0x3);
	assert_true(r.g[2].renamed);
	check(&r.g[3], "osfp~1", 1, 0x1);
	assert_true(r.g[3].renamed);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* A duplicate name's member is its first cable. */
static void test_members_duplicates(void **state)
{
	const struct sdr_cable c[] = {
		{ "c1", false, NULL },	 { "c0", true, NULL },
		{ "c1", true, NULL },	 { "solo", true, "" },
		{ "solo", false, NULL },
	};
	struct result r = group(c, ARRAY_SIZE(c));

	assert_int_equal(r.n, 2);
	check(&r.g[0], "c[0-1]", 2, 0x1);
	assert_int_equal(r.g[0].member[0], 1);
	assert_int_equal(r.g[0].member[1], 0);
	check(&r.g[1], "solo", 1, 0x1);
	assert_int_equal(r.g[1].member[0], 3);
	sdr_groups_free(r.g, (size_t)r.n);
}

/* Names as sdbusplus's object_path::filename() reads them back. */
static void test_name_from_path(void **state)
{
	static const char *const cases[][2] = {
		{ "/inv/item/cdfp0", "cdfp0" },
		{ "/inv/item/_5frear_5fcable", "_rear_cable" },
		{ "/inv/item/_2drear_20cable", "-rear cable" },
		{ "/inv/item/_41", "A" },
		{ "/inv/item/_zz", "_zz" }, /* no escape: as it stands */
		{ "/inv/item/_0a", "_0a" }, /* not printable: as it stands */
		{ "/inv/item/_5", "_5" },
		{ "plain", "plain" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *n = sdr_name_from_path(cases[i][0]);

		assert_non_null(n);
		assert_string_equal(n, cases[i][1]);
		free(n);
	}
}

static void test_empty(void **state)
{
	struct sdr_group *g = (void *)1;

	assert_int_equal(sdr_group_cables(NULL, 0, &g), 0);
	assert_null(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_cdfp),
		cmocka_unit_test(test_twenty),
		cmocka_unit_test(test_unindexed),
		cmocka_unit_test(test_start_above_zero),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_long_names),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_parents),
		cmocka_unit_test(test_name_from_path),
		cmocka_unit_test(test_parents_same_names),
		cmocka_unit_test(test_members_duplicates),
		cmocka_unit_test(test_unique_names),
		cmocka_unit_test(test_unique_names_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
