/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the emulator's pure logic: build NVMe-MI requests, feed
 * them to emu_mi_handle() and check the reply bytes and MIC; the
 * scenario parser and the control protocol.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu.h"

static uint8_t resp[EMU_MSG_MAX];

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static size_t seal(uint8_t *msg, size_t len)
{
	put32(msg + len, emu_mic(msg, len));
	return len + 4;
}

/* MI command request: 16 bytes + MIC */
static size_t mi_req(uint8_t *m, uint8_t opcode, uint32_t nmd0, uint32_t nmd1)
{
	memset(m, 0, 16);
	m[0] = 0x84;
	m[1] = EMU_NMIMT_MI << 3;
	m[4] = opcode;
	put32(m + 8, nmd0);
	put32(m + 12, nmd1);
	return seal(m, 16);
}

/* Admin request: 68 bytes + MIC */
static size_t admin_req(uint8_t *m, uint8_t opcode, uint32_t nsid,
			uint32_t doff, uint32_t dlen, uint32_t cdw10,
			uint32_t cdw11)
{
	memset(m, 0, 68);
	m[0] = 0x84;
	m[1] = EMU_NMIMT_ADMIN << 3;
	m[4] = opcode;
	m[5] = 0x01 | (doff ? 0x02 : 0);
	put32(m + 8, nsid);
	put32(m + 28, doff);
	put32(m + 32, dlen);
	put32(m + 44, cdw10);
	put32(m + 48, cdw11);
	return seal(m, 68);
}

static void check_mic(const uint8_t *r, size_t len)
{
	assert_true(len >= 12);
	assert_int_equal(le32(r + len - 4), emu_mic(r, len - 4));
	assert_int_equal(r[0], 0x84);
	assert_true(r[1] & 0x80); /* ROR */
}

static size_t handle(struct emu_drive *d, const uint8_t *m, size_t len)
{
	size_t rlen = 0;

	assert_int_equal(emu_mi_handle(d, m, len, 0, resp, &rlen), 0);
	check_mic(resp, rlen);
	return rlen;
}

static void test_crc32c(void **state)
{
	/* the CRC-32C check value (RFC 3720 / iSCSI) */
	assert_int_equal(~emu_crc32c_update(0xffffffffu, "123456789", 9),
			 0xe3069283u);
}

static void test_health_poll(void **state)
{
	struct emu_drive d;
	uint8_t m[32];
	size_t len;

	emu_drive_init(&d, 1, 9);
	d.temperature = 42;
	d.percentage_used = 300;
	d.critical_warning = 0x02;
	len = handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(len, 8 + 8 + 4);
	assert_int_equal(resp[4], EMU_MI_SUCCESS);
	assert_int_equal(resp[1], 0x80 | (EMU_NMIMT_MI << 3));
	assert_int_equal(resp[8], 0x38); /* 1.2: DF | RNR | P0LA */
	assert_int_equal(resp[9], 0xfd); /* temperature warning, active low */
	assert_int_equal(resp[10], 42);
	assert_int_equal(resp[11], 255); /* PDLU saturates */
	assert_int_equal(le16(resp + 12), 0x0001); /* RDY */
	assert_int_equal(d.requests, 1);
}

static void test_nss_versions(void **state)
{
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	assert_int_equal(emu_mi_nss(&d), 0x38);
	d.functional = false;
	assert_int_equal(emu_mi_nss(&d), 0x18);
	d.mi_minor = 3; /* newer than 1.2: NRDY b0, DRV b1 */
	assert_int_equal(emu_mi_nss(&d), 0x00);
	d.functional = true;
	assert_int_equal(emu_mi_nss(&d), 0x02);
	d.ready = false;
	assert_int_equal(emu_mi_nss(&d), 0x03);
	d.mi_major = 2;
	d.mi_minor = 0;
	d.ready = true;
	assert_int_equal(emu_mi_nss(&d), 0x02);
}

static void test_ctemp(void **state)
{
	static const struct {
		int c;
		uint8_t v;
	} cases[] = { { 0, 0x00 },   { 35, 35 },    { 126, 126 },
		      { 127, 0x7f }, { 200, 0x7f }, { -1, 0xff },
		      { -59, 0xc5 }, { -60, 0xc4 }, { -100, 0xc4 } };
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		d.temperature = cases[i].c;
		assert_int_equal(emu_mi_ctemp(&d), cases[i].v);
	}
	d.temp_state = EMU_TEMP_NO_DATA;
	assert_int_equal(emu_mi_ctemp(&d), 0x80);
	d.temp_state = EMU_TEMP_SENSOR_FAILURE;
	assert_int_equal(emu_mi_ctemp(&d), 0x81);
}

static void test_ccs_clear(void **state)
{
	struct emu_state s = { 0 };
	char *reply = NULL;
	uint8_t m[32];

	assert_int_equal(emu_state_load(&s,
					"{\"drives\":[{\"network\":1,"
					"\"eid\":9}]}",
					&reply),
			 0);
	assert_int_equal(
		emu_control(&s, "{\"eid\":9,\"temperature\":90}", &reply), 0);
	assert_string_equal(reply, "{\"ok\":true}");
	free(reply);
	/* without CS the change flag stays */
	handle(s.drives[0], m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(resp[10], 90);
	assert_int_equal(le16(resp + 12), 0x0201);
	/* with CS it is reported once, then cleared */
	handle(s.drives[0], m, mi_req(m, 0x01, 0, 0x80000000u));
	assert_int_equal(le16(resp + 12), 0x0201);
	handle(s.drives[0], m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(le16(resp + 12), 0x0001);
	/* Configuration Set, Health Status Change clears given bits */
	assert_int_equal(emu_control(&s, "{\"eid\":9,\"percentage_used\":9}",
				     &reply),
			 0);
	free(reply);
	handle(s.drives[0], m, mi_req(m, 0x03, 0x02, 1u << 10));
	assert_int_equal(resp[4], 0);
	assert_int_equal(s.drives[0]->ccs_changed, 0);
	emu_state_clear(&s);
}

static void test_read_mi_data(void **state)
{
	struct emu_drive d;
	uint8_t m[32];
	size_t len;

	emu_drive_init(&d, 1, 9);
	d.mi_major = 1;
	d.mi_minor = 1;
	len = handle(&d, m, mi_req(m, 0x00, 0u << 24, 0));
	assert_int_equal(len, 8 + 32 + 4);
	assert_int_equal(resp[5], 32); /* NMRESP: data length */
	assert_int_equal(resp[8], 1); /* NUMP 0's based: two ports */
	assert_int_equal(resp[9], 1);
	assert_int_equal(resp[10], 1);

	len = handle(&d, m, mi_req(m, 0x00, 1u << 24 | 1u << 16, 0));
	assert_int_equal(len, 8 + 32 + 4);
	assert_int_equal(resp[8], 2); /* SMBus */
	assert_int_equal(resp[8 + 10], 0x1d); /* ME address */

	len = handle(&d, m, mi_req(m, 0x00, 2u << 24, 0));
	assert_int_equal(len, 8 + 4 + 4);
	assert_int_equal(le16(resp + 8), 1);

	len = handle(&d, m, mi_req(m, 0x00, 3u << 24, 0));
	assert_int_equal(le16(resp + 8 + 8), 0x1b36);

	/* unknown port, controller and type: Invalid Parameter */
	len = handle(&d, m, mi_req(m, 0x00, 1u << 24 | 5u << 16, 0));
	assert_int_equal(len, 12);
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);
	handle(&d, m, mi_req(m, 0x00, 3u << 24 | 7, 0));
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);
	handle(&d, m, mi_req(m, 0x00, 9u << 24, 0));
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);
	/* unknown opcode */
	handle(&d, m, mi_req(m, 0x42, 0, 0));
	assert_int_equal(resp[4], EMU_MI_INVALID_OPCODE);
}

static void test_config(void **state)
{
	struct emu_drive d;
	uint8_t m[32];

	emu_drive_init(&d, 1, 9);
	handle(&d, m, mi_req(m, 0x04, 1u << 24 | 0x03, 0));
	assert_int_equal(resp[4], 0);
	assert_int_equal(le16(resp + 5), 64);
	handle(&d, m, mi_req(m, 0x03, 1u << 24 | 0x03, 250));
	assert_int_equal(resp[4], 0);
	handle(&d, m, mi_req(m, 0x04, 1u << 24 | 0x03, 0));
	assert_int_equal(le16(resp + 5), 250);
	handle(&d, m, mi_req(m, 0x03, 1u << 24 | 0x03, 10));
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);

	handle(&d, m, mi_req(m, 0x04, 1u << 24 | 0x01, 0));
	assert_int_equal(resp[5], 1);
	handle(&d, m, mi_req(m, 0x03, 1u << 24 | 2u << 8 | 0x01, 0));
	assert_int_equal(resp[4], 0);
	handle(&d, m, mi_req(m, 0x04, 1u << 24 | 0x01, 0));
	assert_int_equal(resp[5], 2);
	/* 1 MHz is more than this port supports; port 0 is PCIe */
	handle(&d, m, mi_req(m, 0x03, 1u << 24 | 3u << 8 | 0x01, 0));
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);
	handle(&d, m, mi_req(m, 0x04, 0x01, 0));
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);
}

static void test_bad_mic_dropped(void **state)
{
	struct emu_drive d;
	uint8_t m[32];
	size_t len, rlen = 0;

	emu_drive_init(&d, 1, 9);
	len = mi_req(m, 0x01, 0, 0);
	m[len - 1] ^= 1;
	assert_int_equal(emu_mi_handle(&d, m, len, 0, resp, &rlen), -EBADMSG);
	assert_int_equal(d.bad_mic_requests, 1);
	assert_int_equal(d.requests, 0);
	/* not NVMe-MI, or a response: dropped */
	len = mi_req(m, 0x01, 0, 0);
	m[0] = 0x04;
	assert_int_equal(emu_mi_handle(&d, m, len, 0, resp, &rlen), -EPROTO);
	m[0] = 0x84;
	m[1] |= 0x80;
	len = seal(m, 16);
	assert_int_equal(emu_mi_handle(&d, m, len, 0, resp, &rlen), -EPROTO);
	assert_int_equal(emu_mi_handle(&d, m, 6, 0, resp, &rlen), -EPROTO);
}

static void test_identify(void **state)
{
	struct emu_state s = { 0 };
	char *err = NULL;
	uint8_t m[80];
	size_t len;

	assert_int_equal(
		emu_state_load(&s,
			       "{\"drives\":[{\"network\":1,\"eid\":9,"
			       "\"serial\":\"S1\",\"model\":\"M1\","
			       "\"firmware\":\"F1\",\"vid\":5197,"
			       "\"capacity\":960197124096,"
			       "\"warning_temp\":70,\"critical_temp\":80}]}",
			       &err),
		0);
	len = handle(s.drives[0], m, admin_req(m, 0x06, 0, 0, 4096, 1, 0));
	assert_int_equal(len, 20 + 4096 + 4);
	assert_int_equal(resp[4], 0);
	assert_int_equal(le32(resp + 16), 0); /* success */
	assert_int_equal(le16(resp + 20 + 0), 5197);
	assert_memory_equal(resp + 20 + 4, "S1                  ", 20);
	assert_memory_equal(resp + 20 + 24, "M1  ", 4);
	assert_memory_equal(resp + 20 + 64, "F1      ", 8);
	assert_int_equal(le16(resp + 20 + 266), 343);
	assert_int_equal(le16(resp + 20 + 268), 353);
	assert_int_equal(le32(resp + 20 + 280), 960197124096ull & 0xffffffff);
	assert_int_equal(le32(resp + 20 + 284), 960197124096ull >> 32);

	/* DOFF/DLEN: exactly the window asked for */
	len = handle(s.drives[0], m, admin_req(m, 0x06, 0, 4, 20, 1, 0));
	assert_int_equal(len, 20 + 20 + 4);
	assert_memory_equal(resp + 20, "S1                  ", 20);
	/* a window past the data: Invalid Parameter */
	len = handle(s.drives[0], m, admin_req(m, 0x06, 0, 4090, 20, 1, 0));
	assert_int_equal(len, 12);
	assert_int_equal(resp[4], EMU_MI_INVALID_PARAM);

	/* namespace 1, active list, bad namespace, bad CNS */
	handle(s.drives[0], m, admin_req(m, 0x06, 1, 0, 4096, 0, 0));
	assert_int_equal(le32(resp + 20), 960197124096ull / 512);
	handle(s.drives[0], m, admin_req(m, 0x06, 0, 0, 4096, 2, 0));
	assert_int_equal(le32(resp + 20), 1);
	assert_int_equal(le32(resp + 24), 0);
	len = handle(s.drives[0], m, admin_req(m, 0x06, 5, 0, 4096, 0, 0));
	assert_int_equal(len, 24);
	assert_int_equal(le32(resp + 16) >> 17, 0x400b);
	handle(s.drives[0], m, admin_req(m, 0x06, 0, 0, 4096, 0x77, 0));
	assert_int_equal(le32(resp + 16) >> 17, 0x4002);
	/* unknown Admin opcode */
	handle(s.drives[0], m, admin_req(m, 0x99, 0, 0, 0, 0, 0));
	assert_int_equal(le32(resp + 16) >> 17, 0x4001);
	emu_state_clear(&s);
}

static void test_get_log(void **state)
{
	struct emu_drive d;
	uint8_t m[80];
	size_t len;

	emu_drive_init(&d, 1, 9);
	d.temperature = 35;
	d.percentage_used = 3;
	d.critical_warning = 0x04;
	/* SMART, 512 bytes: NUMDL = 127 */
	len = handle(&d, m,
		     admin_req(m, 0x02, 0xffffffff, 0, 512, 127u << 16 | 2, 0));
	assert_int_equal(len, 20 + 512 + 4);
	assert_int_equal(resp[20 + 0], 0x04);
	assert_int_equal(le16(resp + 20 + 1), 308);
	assert_int_equal(resp[20 + 3], 100);
	assert_int_equal(resp[20 + 5], 3);
	/* firmware slot */
	handle(&d, m,
	       admin_req(m, 0x02, 0xffffffff, 0, 512, 127u << 16 | 3, 0));
	assert_int_equal(resp[20], 1);
	assert_memory_equal(resp + 20 + 8, "EMU1.0  ", 8);
	/* error log: one empty entry */
	len = handle(&d, m,
		     admin_req(m, 0x02, 0xffffffff, 0, 64, 15u << 16 | 1, 0));
	assert_int_equal(len, 20 + 64 + 4);
	/* unknown log page: SCT 1, SC 9, DNR */
	len = handle(&d, m,
		     admin_req(m, 0x02, 0xffffffff, 0, 512, 127u << 16 | 0xc5,
			       0));
	assert_int_equal(len, 24);
	assert_int_equal(le32(resp + 16) >> 17, 0x4109);
}

static void test_faults(void **state)
{
	struct emu_drive d;
	uint8_t m[32];
	size_t len, rlen;

	emu_drive_init(&d, 1, 9);
	d.status = EMU_MI_INTERNAL_ERROR;
	len = handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(len, 12);
	assert_int_equal(resp[4], EMU_MI_INTERNAL_ERROR);
	d.status = 0;

	len = handle(&d, m, mi_req(m, 0x01, 0, 0));
	d.bad_mic = true;
	rlen = emu_mi_apply_faults(&d, resp, len);
	assert_int_equal(rlen, len);
	assert_int_not_equal(le32(resp + len - 4), emu_mic(resp, len - 4));
	d.bad_mic = false;
	d.truncate = 11;
	assert_int_equal(emu_mi_apply_faults(&d, resp, len), 11);
	d.truncate = 100;
	assert_int_equal(emu_mi_apply_faults(&d, resp, len), len);

	len = emu_mi_mpr_reply(m, 5, resp);
	check_mic(resp, len);
	assert_int_equal(len, 12);
	assert_int_equal(resp[4], EMU_MI_MPR);
	assert_int_equal(le16(resp + 6), 5);
}

static void test_scenario_errors(void **state)
{
	static const struct {
		const char *json, *error;
	} cases[] = {
		{ "[", "invalid JSON" },
		{ "{\"disks\":[]}", "\"drives\" array" },
		{ "{\"drives\":[{\"eid\":9}]}", "without 'network'" },
		{ "{\"drives\":[{\"network\":1}]}", "without 'eid'" },
		{ "{\"drives\":[{\"network\":1,\"eid\":300}]}", "'eid'" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"temperature\":"
		  "\"hot\"}]}",
		  "'temperature'" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"serial\":"
		  "\"123456789012345678901\"}]}",
		  "'serial' is longer than 20" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"colour\":1}]}",
		  "unknown field 'colour'" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"status\":1}]}",
		  "mpr_ms" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9},"
		  "{\"network\":1,\"eid\":9}]}",
		  "appears twice" },
	};
	struct emu_state s = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;

		assert_true(emu_state_load(&s, cases[i].json, &err) < 0);
		assert_non_null(err);
		if (!strstr(err, cases[i].error))
			fail_msg("\"%s\": error \"%s\" lacks \"%s\"",
				 cases[i].json, err, cases[i].error);
		free(err);
		assert_int_equal(s.n_drives, 0);
	}
}

static void test_control(void **state)
{
	struct emu_state s = { 0 };
	char *r = NULL;

	assert_int_equal(
		emu_state_load(&s,
			       "{\"drives\":[{\"network\":1,\"eid\":9},"
			       "{\"network\":2,\"eid\":9},"
			       "{\"network\":1,\"eid\":10}]}",
			       &r),
		0);
	/* ambiguous EID without network */
	assert_int_equal(emu_control(&s, "{\"eid\":9,\"silent\":true}", &r), 0);
	assert_non_null(strstr(r, "\"ok\":false"));
	assert_non_null(strstr(r, "several networks"));
	free(r);
	assert_int_equal(emu_control(&s,
				     "{\"eid\":9,\"network\":2,\"silent\":true,"
				     "\"delay_ms\":20}",
				     &r),
			 0);
	assert_string_equal(r, "{\"ok\":true}");
	free(r);
	assert_true(emu_state_find(&s, 2, 9)->silent);
	assert_int_equal(emu_state_find(&s, 2, 9)->delay_ms, 20);
	assert_false(emu_state_find(&s, 1, 9)->silent);

	/* a bad field changes nothing, not even the good ones before it */
	assert_int_equal(emu_control(&s,
				     "{\"eid\":10,\"temperature\":50,"
				     "\"bad_mic\":3}",
				     &r),
			 0);
	assert_non_null(strstr(r, "'bad_mic' must be true or false"));
	free(r);
	assert_int_equal(emu_state_find(&s, 1, 10)->temperature, 35);

	/* truncate accepts true or a length */
	assert_int_equal(emu_control(&s, "{\"eid\":10,\"truncate\":true}", &r),
			 0);
	free(r);
	assert_int_equal(emu_state_find(&s, 1, 10)->truncate, 11);

	/* add, get, remove */
	assert_int_equal(emu_control(&s,
				     "{\"add\":{\"network\":1,\"eid\":20,"
				     "\"serial\":\"NEW\"}}",
				     &r),
			 0);
	assert_string_equal(r, "{\"ok\":true}");
	free(r);
	assert_int_equal(
		emu_control(&s, "{\"add\":{\"network\":1,\"eid\":20}}", &r), 0);
	assert_non_null(strstr(r, "already exists"));
	free(r);
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":20}}", &r), 0);
	assert_non_null(strstr(r, "\"serial\":\"NEW\""));
	assert_non_null(strstr(r, "\"temperature\":35"));
	free(r);
	assert_int_equal(emu_control(&s, "{\"remove\":{\"eid\":20}}", &r), 0);
	assert_string_equal(r, "{\"ok\":true}");
	free(r);
	assert_null(emu_state_find(&s, 1, 20));
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":20}}", &r), 0);
	assert_non_null(strstr(r, "no drive with EID 20"));
	free(r);
	assert_int_equal(emu_control(&s, "[1]", &r), 0);
	assert_non_null(strstr(r, "\"ok\":false"));
	free(r);
	assert_int_equal(emu_control(&s,
				     "{\"eid\":10,\"temperature\":"
				     "\"sensor_failure\"}",
				     &r),
			 0);
	free(r);
	assert_int_equal(emu_mi_ctemp(emu_state_find(&s, 1, 10)), 0x81);
	emu_state_clear(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_health_poll),
		cmocka_unit_test(test_nss_versions),
		cmocka_unit_test(test_ctemp),
		cmocka_unit_test(test_ccs_clear),
		cmocka_unit_test(test_read_mi_data),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_bad_mic_dropped),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_get_log),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_scenario_errors),
		cmocka_unit_test(test_control),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
