/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of libcable-ipmi's bytes (src/cable-ipmi/record.c): the
 * type 03h record (IPMI 2.0 table 43-3) and the responses of Get Sensor
 * Event Status (35.13) and Get Sensor Reading (35.14), byte for byte,
 * for groups made by the grouping rules (sdr.c).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cable-ipmi.h"
#include "sdr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static void test_record_bytes(void **state)
{
	const struct cable_ipmi_key key = { .record_id = 0x1234,
					    .owner_id = 0x20,
					    .owner_lun = 0x01,
					    .sensor_number = 0x42 };
	const uint8_t want[] = {
		0x34,	  0x12, 0x51, 0x03, 12 + 9, /* header */
		0x20,	  0x01, 0x42, /* key */
		0x1f,	  0x03, 0x1b, 0x70, 0x00,   0x00, 0x00, 0x00, /* body */
		0xc0 | 9, 'c',	'd',  'f',  'p',    '[',  '0',	'-',  '3', ']',
	};
	uint8_t buf[CABLE_IPMI_RECORD_MAX];
	int n;

	memset(buf, 0xee, sizeof(buf));
	n = cable_ipmi_build_record("cdfp[0-3]", 3, &key, buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[n], 0xee); /* nothing past the end */
	/* the record length byte counts what follows the header */
	assert_int_equal(buf[4], n - 5);
}

static void test_record_limits(void **state)
{
	const struct cable_ipmi_key key = { 0 };
	uint8_t buf[CABLE_IPMI_RECORD_MAX];
	int n;

	/* an ID of 20 bytes is cut to 16, the maximum record */
	n = cable_ipmi_build_record("abcdefghijklmnopqrst", 0x85, &key, buf,
				    sizeof(buf));
	assert_int_equal(n, CABLE_IPMI_RECORD_MAX);
	assert_int_equal(buf[16], 0xc0 | 16);
	assert_memory_equal(buf + 17, "abcdefghijklmnop", 16);
	assert_int_equal(buf[9], 0x05); /* bit 7 (logical) never set */
	/* too small a buffer */
	assert_int_equal(cable_ipmi_build_record("cdfp0", 1, &key, buf, 21),
			 -ENOBUFS);
	assert_int_equal(cable_ipmi_build_record("cdfp0", 1, &key, buf, 22),
			 22);
	assert_int_equal(cable_ipmi_build_record("x", 1, NULL, buf, 40),
			 -ENOBUFS);
}

/* The response bytes of both reading commands for state s. */
static void check_state(const struct cable_ipmi_state *s, uint8_t flags,
			uint8_t lo, uint8_t hi)
{
	uint8_t ev[CABLE_IPMI_EVENT_STATUS_SIZE], rd[CABLE_IPMI_READING_SIZE];
	const uint8_t want_ev[] = { flags, lo, hi, 0x00, 0x00 };
	const uint8_t want_rd[] = { 0x00, flags, lo, (uint8_t)(0x80 | hi) };

	assert_int_equal(cable_ipmi_build_event_status(s, ev, sizeof(ev)),
			 sizeof(ev));
	assert_memory_equal(ev, want_ev, sizeof(ev));
	assert_int_equal(cable_ipmi_build_reading(s, rd, sizeof(rd)),
			 sizeof(rd));
	assert_memory_equal(rd, want_rd, sizeof(rd));
}

/* The design's example: cdfp0, 1, 3 present and cdfp2 not. */
static void test_cdfp_bits(void **state)
{
	const struct sdr_cable c[] = {
		{ "cdfp2", false, NULL },
		{ "cdfp0", true, NULL },
		{ "cdfp3", true, NULL },
		{ "cdfp1", true, NULL },
	};
	struct sdr_group *g = NULL;
	struct cable_ipmi_state s;

	assert_int_equal(sdr_group_cables(c, ARRAY_SIZE(c), &g), 1);
	s = (struct cable_ipmi_state){ .mask = g[0].mask, .count = g[0].count };
	check_state(&s, 0x40, 0x0b, 0x00);
	sdr_groups_free(g, 1);
}

/* 20 cables from index 3: cable[3-16] (14 states) and cable[17-22]. */
static void test_split_bits(void **state)
{
	struct sdr_cable c[20] = { 0 };
	char names[20][16];
	struct sdr_group *g = NULL;
	struct cable_ipmi_state s;

	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "cable%d", i + 3);
		c[i].name = names[i];
		/* cable3, cable15, cable16 (the last of 14), cable17, 22 */
		c[i].present = i == 0 || i == 12 || i == 13 || i == 14 ||
			       i == 19;
	}
	assert_int_equal(sdr_group_cables(c, 20, &g), 2);
	assert_string_equal(g[0].name, "cable[3-16]");
	assert_string_equal(g[1].name, "cable[17-22]");
	s = (struct cable_ipmi_state){ .mask = g[0].mask, .count = g[0].count };
	check_state(&s, 0x40, 0x01, 0x30); /* bits 0, 12, 13 */
	s = (struct cable_ipmi_state){ .mask = g[1].mask, .count = g[1].count };
	check_state(&s, 0x40, 0x21, 0x00); /* bits 0 and 5 */
	sdr_groups_free(g, 2);
}

/* A gap splits a range; an unindexed cable uses bit 0 only. */
static void test_gap_and_single(void **state)
{
	const struct sdr_cable c[] = {
		{ "osfp", true, NULL },
		{ "qsfp7", true, NULL },
		{ "qsfp5", true, NULL },
		{ "qsfp4", false, NULL },
	};
	struct sdr_group *g = NULL;
	struct cable_ipmi_state s;

	assert_int_equal(sdr_group_cables(c, ARRAY_SIZE(c), &g), 3);
	assert_string_equal(g[0].name, "osfp");
	assert_string_equal(g[1].name, "qsfp[4-5]");
	assert_string_equal(g[2].name, "qsfp7");
	s = (struct cable_ipmi_state){ .mask = g[0].mask, .count = g[0].count };
	check_state(&s, 0x40, 0x01, 0x00);
	s = (struct cable_ipmi_state){ .mask = g[1].mask, .count = g[1].count };
	check_state(&s, 0x40, 0x02, 0x00);
	s = (struct cable_ipmi_state){ .mask = g[2].mask, .count = g[2].count };
	check_state(&s, 0x40, 0x01, 0x00);
	sdr_groups_free(g, 3);
}

/* Unreadable members: reading unavailable, their bits clear; bits past
 * the member count and past 14 never set. */
static void test_unreadable(void **state)
{
	struct cable_ipmi_state s = { .mask = 0xffff,
				      .unreadable = 0x0002,
				      .count = 14 };
	uint8_t small[4];

	check_state(&s, 0x60, 0xfd, 0x3f);
	s = (struct cable_ipmi_state){ .mask = 0xffff, .count = 3 };
	check_state(&s, 0x40, 0x07, 0x00);
	s = (struct cable_ipmi_state){ .mask = 0x0001,
				       .unreadable = 0x0001,
				       .count = 1 };
	check_state(&s, 0x60, 0x00, 0x00);
	assert_int_equal(cable_ipmi_build_event_status(&s, small, 4), -ENOBUFS);
	assert_int_equal(cable_ipmi_build_reading(&s, small, 3), -ENOBUFS);
}

/* Cut and renamed names go into the record as they are. */
static void test_cut_and_renamed_records(void **state)
{
	const struct sdr_cable c[] = {
		{ "frontpanelcableA0", true, NULL },
		{ "frontpanelcableA1", true, NULL },
		{ "frontpanelcableB0", false, NULL },
		{ "frontpanelcableB1", true, NULL },
	};
	const struct cable_ipmi_key key = { .record_id = 7, .owner_id = 0x20 };
	struct sdr_group *g = NULL;
	uint8_t buf[CABLE_IPMI_RECORD_MAX];

	assert_int_equal(sdr_group_cables(c, ARRAY_SIZE(c), &g), 2);
	assert_string_equal(g[0].name, "frontpane~1[0-1]");
	assert_string_equal(g[1].name, "frontpane~2[0-1]");
	for (int i = 0; i < 2; i++) {
		int n = cable_ipmi_build_record(g[i].name, 1, &key, buf,
						sizeof(buf));

		assert_int_equal(n, 17 + 16);
		assert_int_equal(buf[16], 0xc0 | 16);
		assert_memory_equal(buf + 17, g[i].name, 16);
	}
	sdr_groups_free(g, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_bytes),
		cmocka_unit_test(test_record_limits),
		cmocka_unit_test(test_cdfp_bits),
		cmocka_unit_test(test_split_bits),
		cmocka_unit_test(test_gap_and_single),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_cut_and_renamed_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
