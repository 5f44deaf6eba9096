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
#include <stdio.h>
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

	/* fault_temp: the temperature of the replies not to be taken, a
	 * bad-MIC one and the late one; the others carry the drive's */
	d.temperature = 35;
	d.fault_temp = 99;
	handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(resp[10], 35);
	d.bad_mic = true;
	handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(resp[10], 99);
	d.bad_mic = false;
	d.late_ms = 450;
	handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(resp[10], 99);
	d.late_ms = 0;
	d.truncate = 0;
	d.mpr_ms = 150; /* its final reply is a good one */
	handle(&d, m, mi_req(m, 0x01, 0, 0));
	assert_int_equal(resp[10], 35);
	d.mpr_ms = 0;

	len = emu_mi_mpr_reply(m, 5, resp);
	check_mic(resp, len);
	assert_int_equal(len, 12);
	assert_int_equal(resp[4], EMU_MI_MPR);
	assert_int_equal(le16(resp + 6), 5);
}

/* Admin request with data from the host (Firmware Image Download), as
 * libnvme 1.3 sends it: DLV flag, DLEN = the data after the header. */
static size_t admin_data_req(uint8_t *m, uint8_t opcode, uint32_t cdw10,
			     uint32_t cdw11, const uint8_t *data, size_t len)
{
	memset(m, 0, 68);
	m[0] = 0x84;
	m[1] = EMU_NMIMT_ADMIN << 3;
	m[4] = opcode;
	m[5] = 0x01;
	put32(m + 32, (uint32_t)len);
	put32(m + 44, cdw10);
	put32(m + 48, cdw11);
	memcpy(m + 68, data, len);
	return seal(m, 68 + len);
}

/* The NVMe status of an Admin reply: DNR b14, SCT b10..8, SC b7..0 */
static uint16_t admin_status(void)
{
	return (uint16_t)(le32(resp + 16) >> 17);
}

static uint8_t big[EMU_MSG_MAX];

/* Download len bytes of image at byte offset off (the piece's bytes:
 * img + off); returns the status. */
static uint16_t fw_download(struct emu_drive *d, const uint8_t *img,
			    uint32_t off, uint32_t len, uint64_t now)
{
	size_t rlen = 0, n;

	n = admin_data_req(big, 0x11, len / 4 - 1, off / 4, img + off, len);
	assert_int_equal(emu_mi_handle(d, big, n, now, resp, &rlen), 0);
	check_mic(resp, rlen);
	assert_int_equal(resp[4], EMU_MI_SUCCESS);
	assert_int_equal(rlen, 24); /* no data back */
	return admin_status();
}

static uint16_t admin_cmd(struct emu_drive *d, uint8_t opcode, uint32_t nsid,
			  uint32_t cdw10, uint32_t cdw11, uint32_t dlen,
			  uint64_t now)
{
	uint8_t m[80];
	size_t rlen = 0, n = admin_req(m, opcode, nsid, 0, dlen, cdw10, cdw11);

	assert_int_equal(emu_mi_handle(d, m, n, now, resp, &rlen), 0);
	check_mic(resp, rlen);
	assert_int_equal(resp[4], EMU_MI_SUCCESS);
	return admin_status();
}

static uint16_t fw_commit(struct emu_drive *d, uint8_t fs, uint8_t ca)
{
	return admin_cmd(d, 0x10, 0, (uint32_t)ca << 3 | fs, 0, 0, 0);
}

/* Get Log Page of 512 bytes (NUMDL 127) into resp + 20 */
static uint16_t get_log(struct emu_drive *d, uint8_t lid, uint64_t now)
{
	return admin_cmd(d, 0x02, 0xffffffff, 127u << 16 | lid, 0, 512, now);
}

/* an image of the emulator's format: "EMFW", the revision, payload */
static uint8_t image[4 * 4096 + 100]; /* the gap step reads 12288..16383 */

static void make_image(const char *rev)
{
	for (size_t i = 0; i < sizeof(image); i++)
		image[i] = (uint8_t)(i * 7 + 3);
	memcpy(image, "EMFW", 4);
	memset(image + 4, ' ', 8);
	memcpy(image + 4, rev, strlen(rev));
}

static void test_fw_identify(void **state)
{
	static const struct {
		const char *json;
		uint8_t frmw, fwug;
	} cases[] = {
		/* defaults: two slots, activation without reset, 4 KiB */
		{ "", 0x14, 1 },
		{ ",\"fw_slots\":7,\"fw_slot1_ro\":true", 0x1f, 1 },
		{ ",\"fw_slots\":1,\"fw_no_reset\":false", 0x02, 1 },
		{ ",\"fw_ug\":255", 0x14, 0xff },
		{ ",\"fw_ug\":0", 0x14, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_state s = { 0 };
		char json[256], *err = NULL;

		snprintf(json, sizeof(json),
			 "{\"drives\":[{\"network\":1,\"eid\":9%s}]}",
			 cases[i].json);
		assert_int_equal(emu_state_load(&s, json, &err), 0);
		assert_int_equal(admin_cmd(s.drives[0], 0x06, 0, 1, 0, 4096, 0),
				 0);
		assert_int_equal(resp[20 + 260], cases[i].frmw);
		assert_int_equal(resp[20 + 319], cases[i].fwug);
		assert_true(le16(resp + 20 + 256) & 0x04); /* OACS firmware */
		assert_int_equal(le32(resp + 20 + 328), 0x07); /* SANICAP */
		assert_int_equal(le32(resp + 20 + 516), 1); /* NN */
		emu_state_clear(&s);
	}
}

static void test_fw_download_commit(void **state)
{
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	make_image("2.0.0");
	/* slot log: slot 1 active, holding the scenario firmware */
	assert_int_equal(get_log(&d, 0x03, 0), 0);
	assert_int_equal(resp[20], 0x01);
	assert_memory_equal(resp + 20 + 8, "EMU1.0  ", 8);
	assert_memory_equal(resp + 20 + 16, "\0\0\0\0\0\0\0\0", 8);

	/* three 4 KiB pieces and a final short one */
	for (uint32_t off = 0; off < 3 * 4096; off += 4096)
		assert_int_equal(fw_download(&d, image, off, 4096, 0), 0);
	assert_int_equal(fw_download(&d, image, 3 * 4096, 100, 0), 0);
	assert_int_equal(d.dl_bytes, 3 * 4096 + 100);
	/* CA 3, slot 2: activated at once */
	assert_int_equal(fw_commit(&d, 2, 3), 0);
	assert_int_equal(d.fw_active, 2);
	assert_string_equal(d.firmware, "2.0.0");
	assert_int_equal(d.dl_bytes, 0); /* the image is consumed */
	assert_int_equal(get_log(&d, 0x03, 0), 0);
	assert_int_equal(resp[20], 0x02);
	assert_memory_equal(resp + 20 + 8, "EMU1.0  ", 8);
	assert_memory_equal(resp + 20 + 16, "2.0.0   ", 8);
	assert_int_equal(admin_cmd(&d, 0x06, 0, 1, 0, 4096, 0), 0);
	assert_memory_equal(resp + 20 + 64, "2.0.0   ", 8);

	/* CA 2: slot 1 again at the next reset; a power cycle applies it */
	assert_int_equal(fw_commit(&d, 1, 2), 0);
	assert_int_equal(get_log(&d, 0x03, 0), 0);
	assert_int_equal(resp[20], 0x12);
	emu_drive_power_cycle(&d);
	assert_int_equal(d.fw_active, 1);
	assert_int_equal(d.fw_next, 0);
	assert_string_equal(d.firmware, "EMU1.0");

	/* CA 1, FS 0: the controller picks slot 2 (writable, not active),
	 * activated at the next reset; CA 0 only replaces */
	make_image("3.0");
	assert_int_equal(fw_download(&d, image, 0, 4096, 0), 0);
	assert_int_equal(fw_commit(&d, 0, 1), 0);
	assert_int_equal(d.fw_next, 2);
	assert_string_equal(d.fw_rev[1], "3.0");
	assert_string_equal(d.firmware, "EMU1.0");
	make_image("4.0");
	assert_int_equal(fw_download(&d, image, 0, 4096, 0), 0);
	assert_int_equal(fw_commit(&d, 2, 0), 0);
	assert_string_equal(d.fw_rev[1], "4.0");
	emu_drive_power_cycle(&d);
	assert_string_equal(d.firmware, "4.0");
}

static void test_fw_download_errors(void **state)
{
	static const struct {
		uint8_t fw_ug;
		uint32_t off, len;
		uint16_t status;
	} steps[] = {
		/* after 0..8191 of a download at FWUG 1 (4 KiB) */
		{ 1, 4096, 4096, 0x4114 }, /* overlapping: Overlapping Range */
		{ 1, 12288, 4096, 0x4002 }, /* a gap: Invalid Field */
		{ 1, 8192 + 4, 4092, 0x4002 }, /* offset off the granularity */
		{ 1, 8192, 100, 0 }, /* a short final piece */
		{ 0xff, 8192 + 4, 4, 0x4002 }, /* a gap at dword granularity */
		{ 0xff, 8192, 100, 0 },
		{ 0, 8192, 4, 0 }, /* 0: no information, dwords */
		{ 2, 8192, 4096, 0 }, /* 8 KiB: 8192 is a multiple */
		{ 2, 4096, 4096, 0x4002 }, /* off the granularity first */
	};

	make_image("2.0");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct emu_drive d;

		emu_drive_init(&d, 1, 9);
		assert_int_equal(fw_download(&d, image, 0, 4096, 0), 0);
		assert_int_equal(fw_download(&d, image, 4096, 4096, 0), 0);
		d.fw_ug = steps[i].fw_ug;
		if (fw_download(&d, image, steps[i].off, steps[i].len, 0) !=
		    steps[i].status)
			fail_msg("step %zu: status %#x, expected %#x", i,
				 admin_status(), steps[i].status);
	}

	/* after a short piece nothing more is accepted; offset 0 restarts */
	{
		struct emu_drive d;

		emu_drive_init(&d, 1, 9);
		assert_int_equal(fw_download(&d, image, 0, 100, 0), 0);
		assert_int_equal(fw_download(&d, image, 100, 4, 0), 0x4002);
		assert_int_equal(fw_download(&d, image, 0, 4096, 0), 0);
		assert_int_equal(d.dl_bytes, 4096);
		/* NUMD that does not match the data, DLEN that does not match
		 * the message */
		size_t n = admin_data_req(big, 0x11, 10, 1024, image, 4096),
		       rlen = 0;

		assert_int_equal(emu_mi_handle(&d, big, n, 0, resp, &rlen), 0);
		assert_int_equal(admin_status(), 0x4002);
		n = admin_data_req(big, 0x11, 1023, 1024, image, 4096);
		put32(big + 32, 4000);
		n = seal(big, n - 4);
		assert_int_equal(emu_mi_handle(&d, big, n, 0, resp, &rlen), 0);
		assert_int_equal(resp[4], EMU_MI_INVALID_INPUT_SIZE);
		/* the fault */
		d.fw_download_status = 0x4006;
		assert_int_equal(fw_download(&d, image, 4096, 4096, 0), 0x4006);
		assert_int_equal(d.dl_bytes, 4096);
		/* a lost reply: taken, the reply marked lost, once; the piece
		 * sent again overlaps */
		d.fw_download_status = 0;
		d.fw_miss_at = 4096;
		assert_int_equal(fw_download(&d, image, 4096, 4096, 0), 0);
		assert_int_equal(d.miss, 1);
		assert_int_equal(d.fw_miss_at, 0);
		d.miss = 0;
		assert_int_equal(fw_download(&d, image, 4096, 4096, 0), 0x4114);
		assert_int_equal(d.miss, 0);
		assert_int_equal(d.dl_bytes, 8192);
		/* a power cycle forgets a partial image */
		emu_drive_power_cycle(&d);
		assert_int_equal(d.dl_bytes, 0);
	}
}

static void test_fw_commit_errors(void **state)
{
	static const struct {
		const char *json;
		const char *rev; /* image header, NULL: none downloaded */
		uint8_t fs, ca;
		uint16_t status;
		uint8_t active, next;
	} cases[] = {
		{ "", "2.0", 3, 1, 0x4106, 1, 0 }, /* FS > fw_slots */
		{ ",\"fw_slot1_ro\":true", "2.0", 1, 1, 0x4106, 1, 0 },
		{ ",\"fw_slot1_ro\":true", "2.0", 1, 0, 0x4106, 1, 0 },
		{ ",\"fw_slot1_ro\":true,\"fw_slots\":1", "2.0", 0, 3, 0x4106,
		  1, 0 }, /* FS 0 and no writable slot */
		{ ",\"fw_slot1_ro\":true", NULL, 1, 2, 0, 1, 0 }, /* CA 2 ok */
		{ "", NULL, 2, 3, 0x4107, 1, 0 }, /* no image */
		{ "", NULL, 2, 1, 0x4107, 1, 0 },
		{ "", NULL, 2, 0, 0x4107, 1, 0 },
		{ "", NULL, 2, 2, 0x4107, 1, 0 }, /* CA 2 of an empty slot */
		{ "", "BAD", 2, 3, 0x4107, 1, 0 }, /* not "EMFW" */
		{ "", "2.0", 2, 4, 0x4002, 1, 0 }, /* boot partition actions */
		{ "", "2.0", 2, 6, 0x4002, 1, 0 },
		/* CA 3 that needs a reset: the status, next = the slot */
		{ ",\"fw_reset_required\":\"conventional\"", "2.0", 2, 3, 0x10b,
		  1, 2 },
		{ ",\"fw_reset_required\":\"subsystem\"", "2.0", 2, 3, 0x110, 1,
		  2 },
		{ ",\"fw_reset_required\":\"controller\"", "2.0", 2, 3, 0x111,
		  1, 2 },
		{ ",\"fw_no_reset\":false", "2.0", 2, 3, 0x10b, 1, 2 },
		{ ",\"fw_commit_status\":16390", "2.0", 2, 3, 0x4006, 1, 0 },
		{ ",\"fw_reset_required\":\"\"", "2.0", 2, 3, 0, 2, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_state s = { 0 };
		char json[256], *err = NULL;
		struct emu_drive *d;

		snprintf(json, sizeof(json),
			 "{\"drives\":[{\"network\":1,\"eid\":9%s}]}",
			 cases[i].json);
		if (emu_state_load(&s, json, &err) < 0)
			fail_msg("case %zu: %s", i, err);
		d = s.drives[0];
		if (cases[i].rev) {
			make_image(cases[i].rev);
			if (strcmp(cases[i].rev, "BAD") == 0)
				memcpy(image, "XXXX", 4);
			assert_int_equal(fw_download(d, image, 0, 4096, 0), 0);
		}
		if (fw_commit(d, cases[i].fs, cases[i].ca) != cases[i].status)
			fail_msg("case %zu: status %#x, expected %#x", i,
				 admin_status(), cases[i].status);
		assert_int_equal(d->fw_active, cases[i].active);
		assert_int_equal(d->fw_next, cases[i].next);
		if (cases[i].next) {
			/* the reset activates it */
			emu_drive_power_cycle(d);
			assert_int_equal(d->fw_active, cases[i].next);
			assert_string_equal(d->firmware, cases[i].rev);
		}
		emu_state_clear(&s);
	}
}

static void test_sanitize(void **state)
{
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	/* never sanitized */
	assert_int_equal(get_log(&d, 0x81, 1000), 0);
	assert_int_equal(le16(resp + 20), 0xffff);
	assert_int_equal(le16(resp + 22), 0);
	assert_int_equal(le32(resp + 28), 2); /* 2000 ms: 2 s estimates */
	assert_int_equal(le32(resp + 32), 2);
	assert_int_equal(le32(resp + 36), 2);

	/* block erase at t = 1000 ms, sanitize_ms 2000 */
	assert_int_equal(admin_cmd(&d, 0x84, 0, 2, 0, 0, 1000), 0);
	assert_int_equal(get_log(&d, 0x81, 1500), 0);
	assert_int_equal(le16(resp + 20), 16384); /* a quarter */
	assert_int_equal(le16(resp + 22), 2); /* in progress */
	assert_int_equal(le32(resp + 24), 2); /* SCDW10 */
	/* while it runs: Identify, Get Features, the logs 01/02/03/81 work,
	 * the rest is Sanitize In Progress; MI commands are unaffected */
	assert_int_equal(admin_cmd(&d, 0x06, 0, 1, 0, 4096, 1600), 0);
	assert_int_equal(admin_cmd(&d, 0x0a, 0, 4, 0, 0, 1600), 0);
	assert_int_equal(get_log(&d, 0x02, 1600), 0);
	assert_int_equal(get_log(&d, 0x03, 1600), 0);
	assert_int_equal(
		admin_cmd(&d, 0x02, 0xffffffff, 15u << 16 | 1, 0, 64, 1600), 0);
	assert_int_equal(get_log(&d, 0xc0, 1600), 0x401d);
	assert_int_equal(admin_cmd(&d, 0x84, 0, 4, 0, 0, 1600), 0x401d);
	assert_int_equal(fw_commit(&d, 2, 1), 0x401d);
	make_image("2.0");
	assert_int_equal(fw_download(&d, image, 0, 4096, 1600), 0x401d);
	{
		uint8_t m[32];
		size_t rlen = 0, n = mi_req(m, 0x01, 0, 0);

		assert_int_equal(emu_mi_handle(&d, m, n, 1700, resp, &rlen), 0);
		assert_int_equal(resp[4], EMU_MI_SUCCESS);
		assert_int_equal(resp[10], 35);
	}
	/* done at 3000 ms: completed, global data erased */
	assert_int_equal(get_log(&d, 0x81, 3000), 0);
	assert_int_equal(le16(resp + 20), 0xffff);
	assert_int_equal(le16(resp + 22), 0x101);
	assert_int_equal(get_log(&d, 0xc0, 3000), 0);

	/* overwrite, 3 passes, no deallocate: SSTAT 4, passes 3 */
	assert_int_equal(
		admin_cmd(&d, 0x84, 0, 1u << 9 | 3u << 4 | 3, 0, 0, 10000), 0);
	assert_int_equal(get_log(&d, 0x81, 11000), 0);
	assert_int_equal(le16(resp + 20), 32768);
	assert_int_equal(le16(resp + 22), 1u << 3 | 2); /* 1 of 3 passes */
	assert_int_equal(get_log(&d, 0x81, 12000), 0);
	assert_int_equal(le16(resp + 22), 0x100 | 3u << 3 | 4);

	/* sanitize_fail: it ends in Failed; exit failure mode is accepted */
	d.sanitize_fail = true;
	assert_int_equal(admin_cmd(&d, 0x84, 0, 4, 0, 0, 20000), 0);
	assert_int_equal(get_log(&d, 0x81, 22000), 0);
	assert_int_equal(le16(resp + 22), 3);
	assert_int_equal(admin_cmd(&d, 0x84, 0, 1, 0, 0, 22000), 0);
}

static void test_sanitize_errors(void **state)
{
	static const struct {
		const char *sanicap;
		uint32_t cdw10;
		uint16_t status;
	} cases[] = {
		{ "[\"crypto\",\"block\",\"overwrite\"]", 2, 0 },
		{ "[\"crypto\",\"block\",\"overwrite\"]", 3, 0 },
		{ "[\"crypto\",\"block\",\"overwrite\"]", 4, 0 },
		{ "[\"crypto\",\"block\",\"overwrite\"]", 0, 0x4002 },
		{ "[\"crypto\",\"block\",\"overwrite\"]", 5, 0x4002 },
		{ "[\"crypto\",\"block\",\"overwrite\"]", 7, 0x4002 },
		{ "[\"crypto\"]", 2, 0x4002 },
		{ "[\"crypto\"]", 3, 0x4002 },
		{ "[\"block\"]", 4, 0x4002 },
		{ "[\"block\"]", 2, 0 },
		{ "[]", 1, 0 }, /* exit failure mode */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct emu_state s = { 0 };
		char json[256], *err = NULL;
		uint8_t cap = 0;

		snprintf(json, sizeof(json),
			 "{\"drives\":[{\"network\":1,\"eid\":9,"
			 "\"sanicap\":%s}]}",
			 cases[i].sanicap);
		assert_int_equal(emu_state_load(&s, json, &err), 0);
		if (admin_cmd(s.drives[0], 0x84, 0, cases[i].cdw10, 0, 0, 5) !=
		    cases[i].status)
			fail_msg("case %zu: status %#x, expected %#x", i,
				 admin_status(), cases[i].status);
		cap |= strstr(cases[i].sanicap, "crypto") ? 1 : 0;
		cap |= strstr(cases[i].sanicap, "block") ? 2 : 0;
		cap |= strstr(cases[i].sanicap, "overwrite") ? 4 : 0;
		assert_int_equal(admin_cmd(s.drives[0], 0x06, 0, 1, 0, 4096, 5),
				 0);
		assert_int_equal(le32(resp + 20 + 328), cap);
		/* unsupported actions have no estimate */
		assert_int_equal(get_log(s.drives[0], 0x81, 5), 0);
		assert_int_equal(le32(resp + 28), cap & 4 ? 2 : 0xffffffffu);
		assert_int_equal(le32(resp + 32), cap & 2 ? 2 : 0xffffffffu);
		assert_int_equal(le32(resp + 36), cap & 1 ? 2 : 0xffffffffu);
		emu_state_clear(&s);
	}
}

static void test_namespaces(void **state)
{
	struct emu_state s = { 0 };
	char *err = NULL;
	struct emu_drive *d;

	assert_int_equal(
		emu_state_load(&s,
			       "{\"drives\":[{\"network\":1,\"eid\":9,"
			       "\"namespaces\":[{\"nsid\":5,\"size\":"
			       "4096000,\"lbads\":12,\"ms\":8},{\"nsid\":2,"
			       "\"size\":1048576}]}]}",
			       &err),
		0);
	d = s.drives[0];
	assert_int_equal(admin_cmd(d, 0x06, 0, 1, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20 + 516), 5); /* NN */
	/* CNS 02h: IDs above CDW1 NSID, ascending */
	assert_int_equal(admin_cmd(d, 0x06, 0, 2, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20), 2);
	assert_int_equal(le32(resp + 24), 5);
	assert_int_equal(le32(resp + 28), 0);
	assert_int_equal(admin_cmd(d, 0x06, 2, 2, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20), 5);
	assert_int_equal(le32(resp + 24), 0);
	assert_int_equal(admin_cmd(d, 0x06, 5, 2, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20), 0);
	/* CNS 00h */
	assert_int_equal(admin_cmd(d, 0x06, 5, 0, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20 + 0), 1000); /* NSZE */
	assert_int_equal(le32(resp + 20 + 8), 1000); /* NCAP */
	assert_int_equal(le32(resp + 20 + 16), 1000); /* NUSE */
	assert_int_equal(resp[20 + 25], 0); /* NLBAF */
	assert_int_equal(resp[20 + 26], 0); /* FLBAS */
	assert_int_equal(le16(resp + 20 + 128), 8); /* MS */
	assert_int_equal(resp[20 + 130], 12); /* LBADS */
	assert_int_equal(admin_cmd(d, 0x06, 2, 0, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20), 2048);
	assert_int_equal(resp[20 + 130], 9);
	/* inactive or invalid NSIDs */
	assert_int_equal(admin_cmd(d, 0x06, 1, 0, 0, 4096, 0), 0x400b);
	assert_int_equal(admin_cmd(d, 0x06, 0, 0, 0, 4096, 0), 0x400b);
	assert_int_equal(admin_cmd(d, 0x06, 0xfffffffe, 2, 0, 4096, 0), 0x400b);
	/* get reports them */
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":9}}", &err), 0);
	assert_non_null(strstr(err, "\"namespace_count\":2"));
	assert_non_null(strstr(err, "{\"nsid\":2,\"size\":1048576,\"lbads\":9,"
				    "\"ms\":0}"));
	free(err);
	/* no namespaces at all */
	assert_int_equal(emu_control(&s, "{\"eid\":9,\"namespaces\":[]}", &err),
			 0);
	assert_string_equal(err, "{\"ok\":true}");
	free(err);
	assert_int_equal(admin_cmd(d, 0x06, 0, 2, 0, 4096, 0), 0);
	assert_int_equal(le32(resp + 20), 0);
	emu_state_clear(&s);
}

static void test_vendor_log(void **state)
{
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	assert_int_equal(get_log(&d, 0xc0, 0), 0);
	assert_memory_equal(resp + 20, "nvme-mi-emu vendor log", 22);
	assert_memory_equal(resp + 20 + 32, "EMU00001009", 11);
	assert_int_equal(get_log(&d, 0xc1, 0), 0x4109);
	assert_int_equal(get_log(&d, 0x80, 0), 0x4109);
}

static void test_link_delay(void **state)
{
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	assert_int_equal(emu_link_delay_ms(&d, 4168, 24), 0);
	d.link_bps = 100000;
	/* a 4 KiB download chunk (68 + 4096 + MIC) and its 24-byte reply */
	assert_int_equal(emu_link_delay_ms(&d, 4168, 24), 419);
	/* a 4 KiB Identify: 72-byte request, 4120-byte reply */
	assert_int_equal(emu_link_delay_ms(&d, 72, 4120), 419);
}

static void test_mgmt_control(void **state)
{
	struct emu_state s = { 0 };
	char *r = NULL;

	assert_int_equal(emu_state_load(&s,
					"{\"drives\":[{\"network\":1,"
					"\"eid\":9,\"firmware\":\"F1\"}]}",
					&r),
			 0);
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":9}}", &r), 0);
	assert_non_null(strstr(r, "\"fw_slots\":2"));
	assert_non_null(strstr(r, "\"fw_slot1_ro\":false"));
	assert_non_null(strstr(r, "\"fw_no_reset\":true"));
	assert_non_null(strstr(r, "\"fw_ug\":1"));
	assert_non_null(strstr(r, "\"fw_reset_required\":\"\""));
	assert_non_null(strstr(r, "\"sanicap\":[\"crypto\",\"block\","
				  "\"overwrite\"]"));
	assert_non_null(strstr(r, "\"sanitize_ms\":2000"));
	assert_non_null(strstr(r, "\"fw_slot_revisions\":[\"F1\",\"\"]"));
	assert_non_null(strstr(r, "\"fw_active_slot\":1"));
	assert_non_null(strstr(r, "\"fw_next_slot\":0"));
	assert_non_null(strstr(r, "\"fw_downloaded\":0"));
	assert_non_null(strstr(r, "\"sanitize_state\":\"never\""));
	assert_non_null(strstr(r, "\"sanitize_progress\":65535"));
	assert_non_null(strstr(r, "\"namespace_count\":1"));
	free(r);
	assert_int_equal(emu_control(&s,
				     "{\"eid\":9,\"fw_slots\":4,"
				     "\"fw_reset_required\":\"subsystem\","
				     "\"sanicap\":[\"block\"],"
				     "\"sanitize_ms\":1000,"
				     "\"fw_download_status\":16386}",
				     &r),
			 0);
	assert_string_equal(r, "{\"ok\":true}");
	free(r);
	assert_int_equal(s.drives[0]->fw_slots, 4);
	assert_int_equal(s.drives[0]->fw_reset_required,
			 EMU_FW_RESET_SUBSYSTEM);
	assert_int_equal(s.drives[0]->sanicap, 0x02);
	assert_int_equal(s.drives[0]->fw_download_status, 0x4002);

	/* a sanitize seen through "get" as time passes */
	assert_int_equal(admin_cmd(s.drives[0], 0x84, 0, 2, 0, 0, 100), 0);
	emu_state_tick(&s, 350);
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":9}}", &r), 0);
	assert_non_null(strstr(r, "\"sanitize_state\":\"in_progress\""));
	assert_non_null(strstr(r, "\"sanitize_progress\":16384"));
	free(r);
	emu_state_tick(&s, 1100);
	assert_int_equal(emu_control(&s, "{\"get\":{\"eid\":9}}", &r), 0);
	assert_non_null(strstr(r, "\"sanitize_state\":\"completed\""));
	free(r);

	/* the running firmware is the active slot's */
	assert_int_equal(emu_control(&s, "{\"eid\":9,\"firmware\":\"F2\"}", &r),
			 0);
	free(r);
	assert_string_equal(s.drives[0]->fw_rev[0], "F2");
	/* the active slot cannot go */
	s.drives[0]->fw_active = 3;
	assert_int_equal(emu_control(&s, "{\"eid\":9,\"fw_slots\":2}", &r), 0);
	assert_non_null(strstr(r, "below the active"));
	free(r);
	assert_int_equal(s.drives[0]->fw_slots, 4);
	emu_state_clear(&s);
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
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"fw_slots\":8}]}",
		  "'fw_slots' must be between 1 and 7" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"fw_slots\":0}]}",
		  "'fw_slots'" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"fw_reset_required\":\"warm\"}]}",
		  "'fw_reset_required' must be" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"sanicap\":[\"shred\"]}]}",
		  "'sanicap' must be a list" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"sanicap\":\"block\"}]}",
		  "'sanicap' must be a list" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"fw_commit_status\":65535}]}",
		  "'fw_commit_status' must be between" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"namespaces\":[{\"size\":4096}]}]}",
		  "'namespaces'[0]: 'nsid' is required" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"namespaces\":[{\"nsid\":1,\"size\":4096,"
		  "\"lbads\":10}]}]}",
		  "'lbads' must be 9 or 12" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"namespaces\":[{\"nsid\":1,\"size\":1000}]}]}",
		  "multiple of the block size" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"namespaces\":[{\"nsid\":1,\"size\":4096},"
		  "{\"nsid\":1,\"size\":4096}]}]}",
		  "NSID 1 appears twice" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"namespaces\":[{\"nsid\":1,\"size\":4096,"
		  "\"colour\":1}]}]}",
		  "unknown key 'colour'" },
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
		cmocka_unit_test(test_fw_identify),
		cmocka_unit_test(test_fw_download_commit),
		cmocka_unit_test(test_fw_download_errors),
		cmocka_unit_test(test_fw_commit_errors),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_sanitize_errors),
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_vendor_log),
		cmocka_unit_test(test_link_delay),
		cmocka_unit_test(test_mgmt_control),
		cmocka_unit_test(test_scenario_errors),
		cmocka_unit_test(test_control),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
