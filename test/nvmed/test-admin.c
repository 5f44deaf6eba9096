// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/admin.c: the management commands' dwords and
 * the decoding of their replies (NVMe Base 2.0 figures cited there). */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "admin.h"

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void test_commands(void **state)
{
	struct mi_admin_cmd c;

	/* 8 KiB of log 81h at offset 4096: NUMD 2047, LPO split, RAE */
	admin_get_log(&c, 0x81, 0xffffffffu, 0x05, 0x1234,
		      (UINT64_C(1) << 32) + 4096, 8192);
	assert_int_equal(c.opcode, 0x02);
	assert_int_equal(c.nsid, 0xffffffffu);
	assert_int_equal(c.cdw[0], 0x81 | 0x05 << 8 | 1u << 15 | 2047u << 16);
	assert_int_equal(c.cdw[1], 0x1234u << 16);
	assert_int_equal(c.cdw[2], 4096);
	assert_int_equal(c.cdw[3], 1);
	/* NUMD above 16 bits goes to NUMDU */
	admin_get_log(&c, 0xc0, 0, 0, 0, 0, 0x40000 * 4);
	assert_int_equal(c.cdw[0] >> 16, 0xffff);
	assert_int_equal(c.cdw[1] & 0xffff, 0x3);

	admin_fw_download(&c, 8192, 4096);
	assert_int_equal(c.opcode, 0x11);
	assert_int_equal(c.cdw[0], 1023);
	assert_int_equal(c.cdw[1], 2048);

	admin_fw_commit(&c, 2, ADMIN_CA_REPLACE_ACTIVATE_NOW);
	assert_int_equal(c.opcode, 0x10);
	assert_int_equal(c.cdw[0], 2 | 3 << 3);

	admin_sanitize(&c, ADMIN_SANACT_CRYPTO);
	assert_int_equal(c.opcode, 0x84);
	assert_int_equal(c.cdw[0], 4);
	admin_sanitize(&c, ADMIN_SANACT_OVERWRITE);
	assert_int_equal(c.cdw[0], 3 | 1 << 4);

	admin_identify(&c, 0x02, 7);
	assert_int_equal(c.opcode, 0x06);
	assert_int_equal(c.nsid, 7);
	assert_int_equal(c.cdw[0], 2);
}

static void test_status(void **state)
{
	char buf[96];

	assert_int_equal(admin_status_code(0x4107), 0x107); /* DNR off */
	assert_int_equal(admin_status_code(MI_STATUS_MI | 4), -1);
	assert_string_equal(admin_status_str(0x4107, buf, sizeof(buf)),
			    "NVMe status 0x107 (Invalid Firmware Image)");
	assert_string_equal(admin_status_str(0x10b, buf, sizeof(buf)),
			    "NVMe status 0x10b (Firmware Activation Requires "
			    "Conventional Reset)");
	assert_string_equal(admin_status_str(MI_STATUS_MI | 4, buf,
					     sizeof(buf)),
			    "NVMe-MI status 0x4 (Invalid Parameter)");
	assert_string_equal(admin_status_str(0x7ff, buf, sizeof(buf)),
			    "NVMe status 0x7ff (unknown)");
	assert_string_equal(admin_status_str(-ETIMEDOUT, buf, sizeof(buf)),
			    strerror(ETIMEDOUT));
	/* no errno: named by its number (and INT_MIN has no negation) */
	assert_string_equal(admin_status_str(INT_MIN, buf, sizeof(buf)),
			    "error -2147483648");
}

static void test_caps(void **state)
{
	uint8_t id[512] = { 0 };
	struct admin_ctrl_caps c;

	assert_int_equal(admin_decode_caps(id, 331, &c), -EBADMSG);
	id[256] = 0x0c; /* OACS: firmware, namespace management */
	id[260] = 0x10 | 3 << 1 | 1; /* no-reset, 3 slots, slot 1 RO */
	id[319] = 2;
	put32(id + 328, 0x7);
	assert_int_equal(admin_decode_caps(id, sizeof(id), &c), 0);
	assert_int_equal(c.oacs, 0x0c);
	assert_int_equal(c.slots, 3);
	assert_true(c.slot1_ro);
	assert_true(c.activate_no_reset);
	assert_int_equal(c.fwug, 2);
	assert_int_equal(c.sanicap, 7);
}

static void test_fw_slots(void **state)
{
	uint8_t log[512] = { 0 };
	struct admin_fw_slots s;
	struct admin_ctrl_caps caps = { .slots = 2 };
	unsigned slot = 0;

	log[0] = 0x21; /* active 1, next 2 */
	memcpy(log + 8, "1.0     ", 8);
	memcpy(log + 16, "2.0\x01\0\0\0\0", 8);
	assert_int_equal(admin_decode_fw_slots(log, 63, &s), -EBADMSG);
	assert_int_equal(admin_decode_fw_slots(log, sizeof(log), &s), 0);
	assert_int_equal(s.active, 1);
	assert_int_equal(s.next, 2);
	assert_string_equal(s.rev[0], "1.0");
	assert_string_equal(s.rev[1], "2.0?"); /* not ASCII: replaced */
	assert_string_equal(s.rev[2], "");

	/* a slot that is not the active one */
	assert_int_equal(admin_pick_slot(&caps, &s, &slot), 0);
	assert_int_equal(slot, 2);
	s.active = 2;
	assert_int_equal(admin_pick_slot(&caps, &s, &slot), 0);
	assert_int_equal(slot, 1);
	/* one writable slot, the active one */
	caps = (struct admin_ctrl_caps){ .slots = 1 };
	s.active = 1;
	assert_int_equal(admin_pick_slot(&caps, &s, &slot), 0);
	assert_int_equal(slot, 1);
	/* only slot 1, read-only */
	caps.slot1_ro = true;
	assert_int_equal(admin_pick_slot(&caps, &s, &slot), -ENOSPC);
	/* slot 1 read-only and active, slot 2 free */
	caps.slots = 2;
	assert_int_equal(admin_pick_slot(&caps, &s, &slot), 0);
	assert_int_equal(slot, 2);
}

static void test_sanitize_status(void **state)
{
	static const struct {
		uint16_t sprog, sstat;
		enum admin_sanitize_state state;
		uint8_t percent;
	} cases[] = {
		{ 0xffff, 0x0000, ADMIN_SANITIZE_NEVER, 100 },
		{ 0x8000, 0x0002, ADMIN_SANITIZE_RUNNING, 50 },
		{ 0x0000, 0x0002, ADMIN_SANITIZE_RUNNING, 0 },
		{ 0xffff, 0x0002, ADMIN_SANITIZE_RUNNING, 0 },
		{ 0xffff, 0x0109, ADMIN_SANITIZE_DONE, 100 },
		{ 0xffff, 0x0003, ADMIN_SANITIZE_FAILED, 100 },
		{ 0xffff, 0x0004, ADMIN_SANITIZE_DONE_NO_DEALLOC, 100 },
	};
	uint8_t log[512] = { 0 };
	struct admin_sanitize_status st;

	assert_int_equal(admin_decode_sanitize(log, 3, &st), -EBADMSG);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		log[0] = (uint8_t)cases[i].sprog;
		log[1] = (uint8_t)(cases[i].sprog >> 8);
		log[2] = (uint8_t)cases[i].sstat;
		log[3] = (uint8_t)(cases[i].sstat >> 8);
		assert_int_equal(admin_decode_sanitize(log, sizeof(log), &st),
				 0);
		assert_int_equal(st.state, cases[i].state);
		assert_int_equal(st.percent, cases[i].percent);
	}
}

static void test_namespace(void **state)
{
	uint8_t id[4096] = { 0 };
	struct admin_namespace ns;

	put32(id, 1000); /* NSZE */
	put32(id + 8, 900);
	put32(id + 16, 10);
	id[25] = 1; /* two formats */
	id[26] = 1; /* the second */
	id[128 + 2] = 9;
	id[132 + 0] = 8; /* MS 8 */
	id[132 + 2] = 12;
	assert_int_equal(admin_decode_namespace(id, 383, &ns), -EBADMSG);
	assert_int_equal(admin_decode_namespace(id, 384, &ns), 0);
	assert_int_equal(ns.block_size, 4096);
	assert_int_equal(ns.metadata, 8);
	assert_int_equal(ns.format, 1);
	assert_true(ns.size == 1000 * 4096ULL);
	assert_true(ns.capacity == 900 * 4096ULL);
	assert_true(ns.used == 10 * 4096ULL);
	/* a format past NLBAF, an impossible LBADS */
	id[26] = 2;
	assert_int_equal(admin_decode_namespace(id, 384, &ns), -EBADMSG);
	id[26] = 0;
	id[128 + 2] = 8;
	assert_int_equal(admin_decode_namespace(id, 384, &ns), -EBADMSG);
	/* the largest block a 32-bit size holds, and one past it */
	id[128 + 2] = 31;
	assert_int_equal(admin_decode_namespace(id, 384, &ns), 0);
	assert_int_equal(ns.block_size, 1u << 31);
	id[128 + 2] = 32;
	assert_int_equal(admin_decode_namespace(id, 384, &ns), -EBADMSG);
	/* saturating sizes */
	id[128 + 2] = 12;
	memset(id, 0xff, 8);
	assert_int_equal(admin_decode_namespace(id, 384, &ns), 0);
	assert_true(ns.size == UINT64_MAX);
}

static void test_ns_list(void **state)
{
	uint8_t list[4096] = { 0 };
	uint32_t ids[4];

	put32(list, 1);
	put32(list + 4, 2);
	put32(list + 8, 7);
	put32(list + 12, 9);
	put32(list + 16, 11);
	assert_int_equal(admin_decode_ns_list(list, sizeof(list), ids, 4), 4);
	assert_int_equal(ids[3], 9);
	/* not ascending: the list ends there */
	put32(list + 8, 2);
	assert_int_equal(admin_decode_ns_list(list, sizeof(list), ids, 4), 2);
	memset(list, 0, 8);
	assert_int_equal(admin_decode_ns_list(list, sizeof(list), ids, 4), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_fw_slots),
		cmocka_unit_test(test_sanitize_status),
		cmocka_unit_test(test_namespace),
		cmocka_unit_test(test_ns_list),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
