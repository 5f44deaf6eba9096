/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the emulator's MCTP control message responder
 * (emu-ctrl.c, DSP0236 1.3.1 §12): every command, every error, the EID as
 * state, the faults on control replies, and the control protocol's new
 * keys and operations (uuid, ctrl_silent, power_cycle, swap, selection by
 * bus and address, mctp_control).
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
static size_t rlen;

static struct emu_drive *new_drive(uint8_t eid)
{
	static struct emu_drive d;

	emu_drive_init(&d, 1, eid);
	d.bus = 3;
	d.address = 29;
	return &d;
}

/* Send a control request with instance ID 5; returns emu_ctrl_handle(). */
static int ctrl(struct emu_drive *d, uint8_t cmd, const uint8_t *data,
		size_t dlen)
{
	uint8_t m[64] = { EMU_MCTP_TYPE_CONTROL, 0x80 | 5, cmd };

	if (dlen)
		memcpy(m + 3, data, dlen);
	memset(resp, 0xaa, 64);
	rlen = 0;
	return emu_ctrl_handle(d, m, 3 + dlen, resp, &rlen);
}

/* The response header: type 0, Rq clear, instance 5, cmd, cc. */
static void assert_header(uint8_t cmd, uint8_t cc)
{
	assert_true(rlen >= 4);
	assert_int_equal(resp[0], 0x00);
	assert_int_equal(resp[1], 5);
	assert_int_equal(resp[2], cmd);
	assert_int_equal(resp[3], cc);
}

static void test_get_eid(void **state)
{
	struct emu_drive *d = new_drive(9);

	assert_int_equal(ctrl(d, EMU_CTRL_GET_EID, NULL, 0), 0);
	assert_header(EMU_CTRL_GET_EID, EMU_CC_SUCCESS);
	assert_int_equal(rlen, 7);
	assert_int_equal(resp[4], 9);
	assert_int_equal(resp[5], 0x00); /* simple endpoint, dynamic EID */
	assert_int_equal(resp[6], 0x00);
	assert_int_equal(d->ctrl_requests, 1);
	assert_int_equal(d->requests, 0); /* NVMe-MI requests */

	/* no EID assigned: 0 */
	emu_drive_power_cycle(d);
	assert_int_equal(ctrl(d, EMU_CTRL_GET_EID, NULL, 0), 0);
	assert_header(EMU_CTRL_GET_EID, EMU_CC_SUCCESS);
	assert_int_equal(resp[4], 0);
}

static void test_set_eid(void **state)
{
	struct emu_drive *d = new_drive(9);
	uint8_t req[2];

	/* set EID (00b) */
	req[0] = 0x00;
	req[1] = 20;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_SUCCESS);
	assert_int_equal(rlen, 7);
	assert_int_equal(resp[4], 0x00); /* accepted, no pool */
	assert_int_equal(resp[5], 20);
	assert_int_equal(resp[6], 0); /* pool size */
	assert_int_equal(d->eid, 20);
	assert_int_equal(d->initial_eid, 9);

	/* force EID (01b); reserved bits 7..2 are ignored */
	req[0] = 0xfc | 0x01;
	req[1] = 21;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_SUCCESS);
	assert_int_equal(resp[5], 21);
	assert_int_equal(d->eid, 21);

	/* the null and broadcast EIDs are invalid, for set and force */
	for (int op = 0; op < 2; op++) {
		static const uint8_t bad[] = { 0x00, 0xff };

		for (size_t i = 0; i < 2; i++) {
			req[0] = (uint8_t)op;
			req[1] = bad[i];
			assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
			assert_header(EMU_CTRL_SET_EID,
				      EMU_CC_ERROR_INVALID_DATA);
			assert_int_equal(rlen, 4);
			assert_int_equal(d->eid, 21);
		}
	}

	/* reset EID (10b): a dynamic-EID endpoint has no static EID */
	req[0] = 0x02;
	req[1] = 30;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_ERROR_INVALID_DATA);
	assert_int_equal(rlen, 4);
	assert_int_equal(d->eid, 21);

	/* set discovered flag (11b): success, EID unchanged */
	req[0] = 0x03;
	req[1] = 30;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_SUCCESS);
	assert_int_equal(resp[5], 21);
	assert_int_equal(d->eid, 21);

	/* too short: no EID byte, or no data */
	req[0] = 0x00;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 1), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_ERROR_INVALID_LEN);
	assert_int_equal(rlen, 4);
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, NULL, 0), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_ERROR_INVALID_LEN);
	assert_int_equal(d->eid, 21);

	/* after a power cycle the drive takes an EID again */
	emu_drive_power_cycle(d);
	assert_int_equal(d->eid, 0);
	req[1] = 9;
	assert_int_equal(ctrl(d, EMU_CTRL_SET_EID, req, 2), 0);
	assert_header(EMU_CTRL_SET_EID, EMU_CC_SUCCESS);
	assert_int_equal(d->eid, 9);
}

static void test_get_uuid(void **state)
{
	struct emu_drive *d = new_drive(9), other;
	uint8_t u1[16], u2[16];
	char text[37];

	assert_int_equal(ctrl(d, EMU_CTRL_GET_UUID, NULL, 0), 0);
	assert_header(EMU_CTRL_GET_UUID, EMU_CC_SUCCESS);
	assert_int_equal(rlen, 4 + 16);
	memcpy(u1, resp + 4, 16);
	assert_int_equal(u1[6] >> 4, 8); /* RFC 9562 version 8 */
	assert_int_equal(u1[8] >> 6, 2); /* variant 10b */

	/* deterministic: the same identity gives the same UUID ... */
	emu_drive_init(&other, 1, 9);
	other.bus = 3;
	other.address = 29;
	emu_drive_uuid(&other, u2);
	assert_memory_equal(u1, u2, 16);
	/* ... not the EID, which changes at run time */
	other.eid = 40;
	emu_drive_uuid(&other, u2);
	assert_memory_equal(u1, u2, 16);
	/* another address, network or serial number: another UUID */
	other.address = 30;
	emu_drive_uuid(&other, u2);
	assert_memory_not_equal(u1, u2, 16);
	other.address = 29;
	other.network = 2;
	emu_drive_uuid(&other, u2);
	assert_memory_not_equal(u1, u2, 16);
	other.network = 1;
	strcpy(other.serial, "OTHER");
	emu_drive_uuid(&other, u2);
	assert_memory_not_equal(u1, u2, 16);

	/* an explicit UUID, in RFC 4122 byte order */
	assert_int_equal(emu_uuid_parse("00112233-4455-6677-8899-AABBCCDDEEFF",
					d->uuid),
			 0);
	d->uuid_set = true;
	assert_int_equal(ctrl(d, EMU_CTRL_GET_UUID, NULL, 0), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(resp[4 + i], 0x11 * i);
	emu_uuid_format(resp + 4, text);
	assert_string_equal(text, "00112233-4455-6677-8899-aabbccddeeff");

	/* malformed strings */
	assert_int_equal(emu_uuid_parse("00112233-4455-6677-8899-aabbccddeef",
					u2),
			 -EINVAL);
	assert_int_equal(emu_uuid_parse("00112233+4455-6677-8899-aabbccddeeff",
					u2),
			 -EINVAL);
	assert_int_equal(emu_uuid_parse("0011223g-4455-6677-8899-aabbccddeeff",
					u2),
			 -EINVAL);
}

static void test_get_version(void **state)
{
	struct emu_drive *d = new_drive(9);
	static const uint8_t v131[] = { 0xf1, 0xf3, 0xf1, 0x00 };
	static const uint8_t v12[] = { 0xf1, 0xf2, 0xff, 0x00 };
	static const uint8_t v20[] = { 0xf2, 0xf0, 0xff, 0x00 };
	static const uint8_t v111[] = { 0xf1, 0x11, 0xff, 0x00 };
	uint8_t type;

	/* base specification and control protocol: 1.3.1 */
	for (int i = 0; i < 2; i++) {
		type = i ? 0x00 : 0xff;
		assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
		assert_header(EMU_CTRL_GET_VERSION, EMU_CC_SUCCESS);
		assert_int_equal(rlen, 4 + 1 + 4);
		assert_int_equal(resp[4], 1);
		assert_memory_equal(resp + 5, v131, 4);
	}

	/* NVMe-MI: the drive's claimed version, no update number */
	type = 0x04;
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
	assert_header(EMU_CTRL_GET_VERSION, EMU_CC_SUCCESS);
	assert_int_equal(resp[4], 1);
	assert_memory_equal(resp + 5, v12, 4);
	d->mi_major = 2;
	d->mi_minor = 0;
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
	assert_memory_equal(resp + 5, v20, 4);
	d->mi_major = 1;
	d->mi_minor = 11; /* two digits: BCD */
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
	assert_memory_equal(resp + 5, v111, 4);

	/* other types: message type not supported */
	type = 0x01; /* PLDM */
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
	assert_header(EMU_CTRL_GET_VERSION, EMU_CC_MSG_TYPE_UNSUPPORTED);
	assert_int_equal(rlen, 4);
	type = 0x84; /* the IC bit is not part of the type number */
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, &type, 1), 0);
	assert_header(EMU_CTRL_GET_VERSION, EMU_CC_MSG_TYPE_UNSUPPORTED);

	/* no type byte */
	assert_int_equal(ctrl(d, EMU_CTRL_GET_VERSION, NULL, 0), 0);
	assert_header(EMU_CTRL_GET_VERSION, EMU_CC_ERROR_INVALID_LEN);
	assert_int_equal(rlen, 4);
}

static void test_get_msg_types(void **state)
{
	struct emu_drive *d = new_drive(9);

	assert_int_equal(ctrl(d, EMU_CTRL_GET_MSG_TYPES, NULL, 0), 0);
	assert_header(EMU_CTRL_GET_MSG_TYPES, EMU_CC_SUCCESS);
	assert_int_equal(rlen, 6);
	assert_int_equal(resp[4], 1);
	assert_int_equal(resp[5], 0x04);
}

static void test_unsupported(void **state)
{
	static const uint8_t cmds[] = { 0x00, 0x06, 0x07, 0x08, 0x0a,
					0x0b, 0x0c, 0xf0, 0xff };
	struct emu_drive *d = new_drive(9);

	for (size_t i = 0; i < sizeof(cmds); i++) {
		assert_int_equal(ctrl(d, cmds[i], NULL, 0), 0);
		assert_header(cmds[i], EMU_CC_ERROR_UNSUPPORTED);
		assert_int_equal(rlen, 4);
	}
	assert_int_equal(d->eid, 9);
}

static void test_not_answered(void **state)
{
	struct emu_drive *d = new_drive(9);
	uint8_t m[8] = { 0x00, 0x80, EMU_CTRL_GET_EID };

	/* shorter than the header */
	assert_int_equal(emu_ctrl_handle(d, m, 2, resp, &rlen), -EPROTO);
	assert_int_equal(emu_ctrl_handle(d, m, 0, resp, &rlen), -EPROTO);
	/* a response (Rq clear) */
	m[1] = 0x05;
	assert_int_equal(emu_ctrl_handle(d, m, 3, resp, &rlen), -EPROTO);
	/* a datagram */
	m[1] = 0x80 | 0x40;
	assert_int_equal(emu_ctrl_handle(d, m, 3, resp, &rlen), -EPROTO);
	/* not type 0 (the IC bit set, or NVMe-MI) */
	m[1] = 0x80;
	m[0] = 0x80;
	assert_int_equal(emu_ctrl_handle(d, m, 3, resp, &rlen), -EPROTO);
	m[0] = 0x84;
	assert_int_equal(emu_ctrl_handle(d, m, 3, resp, &rlen), -EPROTO);
	assert_int_equal(d->ctrl_requests, 0);
	/* longer than needed: accepted */
	m[0] = 0x00;
	assert_int_equal(emu_ctrl_handle(d, m, 8, resp, &rlen), 0);
	assert_int_equal(resp[3], EMU_CC_SUCCESS);
	assert_int_equal(resp[1], 0); /* instance 0, Rq clear */
}

static void test_faults(void **state)
{
	struct emu_drive *d = new_drive(9);
	uint8_t set[5] = { 0x00, 0x80 | 1, EMU_CTRL_SET_EID, 0x00, 20 };
	uint8_t get[3] = { 0x00, 0x80 | 2, EMU_CTRL_GET_EID };
	unsigned int delay = 12345;

	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 1);
	assert_int_equal(delay, 0);
	assert_int_equal(resp[1], 2);

	/* silent and ctrl_silent: ignored, nothing changes */
	d->silent = true;
	assert_int_equal(emu_ctrl_respond(d, set, 5, resp, &rlen, &delay), 0);
	assert_int_equal(d->eid, 9);
	d->silent = false;
	d->ctrl_silent = true;
	assert_int_equal(emu_ctrl_respond(d, set, 5, resp, &rlen, &delay), 0);
	assert_int_equal(d->eid, 9);
	assert_int_equal(d->ctrl_requests, 1);
	d->ctrl_silent = false;

	/* miss: the request took effect, its reply is lost */
	d->miss = 1;
	assert_int_equal(emu_ctrl_respond(d, set, 5, resp, &rlen, &delay), 0);
	assert_int_equal(d->eid, 20);
	assert_int_equal(d->miss, 0);
	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 1);
	assert_int_equal(resp[4], 20);

	/* delay_ms + the one-shot late + link_bps (3 request and 7 reply
	 * bytes, 10 bits each) */
	d->delay_ms = 30;
	d->late_ms = 100;
	d->link_bps = 700;
	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 1);
	assert_int_equal(rlen, 7);
	assert_int_equal(delay, 30 + 100 + 142);
	assert_int_equal(d->late_ms, 0);
	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 1);
	assert_int_equal(delay, 30 + 142);

	/* bad_mic, truncate, status and mpr_ms are NVMe-MI only */
	d->delay_ms = 0;
	d->link_bps = 0;
	d->bad_mic = true;
	d->truncate = 2;
	d->status = EMU_MI_INTERNAL_ERROR;
	d->mpr_ms = 500;
	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 1);
	assert_int_equal(rlen, 7);
	assert_int_equal(resp[3], EMU_CC_SUCCESS);
	assert_int_equal(delay, 0);

	/* not answered at all: no miss used up */
	d->miss = 1;
	get[1] = 0x02;
	assert_int_equal(emu_ctrl_respond(d, get, 3, resp, &rlen, &delay), 0);
	assert_int_equal(d->miss, 1);
}

/* ---- scenario and control protocol ---- */

static const char scenario[] =
	"{\"drives\":["
	"{\"network\":1,\"eid\":9,\"bus\":3,\"address\":29,\"serial\":\"A\"},"
	"{\"network\":1,\"eid\":10,\"bus\":3,\"address\":30,"
	"\"uuid\":\"00112233-4455-6677-8899-aabbccddeeff\","
	"\"ctrl_silent\":true},"
	"{\"network\":2,\"eid\":9,\"bus\":5,\"address\":29}]}";

static void load(struct emu_state *s)
{
	char *err = NULL;

	if (emu_state_load(s, scenario, &err) < 0)
		fail_msg("scenario: %s", err);
}

static char *last;

/* emu_control() that must succeed; returns the reply, valid until the
 * next call or ctl_done(). */
static const char *ctl(struct emu_state *s, const char *line)
{
	char *r = NULL;

	free(last);
	last = NULL;
	assert_int_equal(emu_control(s, line, &r), 0);
	last = r;
	return r;
}

static void ctl_done(struct emu_state *s)
{
	free(last);
	last = NULL;
	emu_state_clear(s);
}

static void assert_ctl_error(struct emu_state *s, const char *line,
			     const char *needle)
{
	const char *r = ctl(s, line);

	if (strncmp(r, "{\"ok\":false", 11) != 0 || !strstr(r, needle))
		fail_msg("\"%s\": \"%s\" lacks an error with \"%s\"", line, r,
			 needle);
}

static struct emu_drive *at(struct emu_state *s, int bus, int address)
{
	for (size_t i = 0; i < s->n_drives; i++)
		if (s->drives[i]->bus == bus &&
		    s->drives[i]->address == address)
			return s->drives[i];
	fail_msg("no drive at %d/%d", bus, address);
	return NULL;
}

static void test_scenario_keys(void **state)
{
	struct emu_state s = { 0 };
	char *err = NULL;
	uint8_t u[16];
	static const struct {
		const char *json, *error;
	} bad[] = {
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"uuid\":\"x\"}]}",
		  "'uuid' must be a UUID" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"uuid\":5}]}",
		  "'uuid' must be a UUID" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"ctrl_silent\":1}]}",
		  "'ctrl_silent' must be true or false" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,"
		  "\"power_cycle\":true}]}",
		  "'power_cycle' is an operation" },
		{ "{\"drives\":[{\"network\":1,\"eid\":9,\"swap\":true}]}",
		  "'swap' is an operation" },
		{ "{\"drives\":[{\"network\":1,\"eid\":255}]}",
		  "'eid' must be between 0 and 254" },
	};

	load(&s);
	assert_int_equal(s.n_drives, 3);
	assert_int_equal(at(&s, 3, 30)->initial_eid, 10);
	assert_true(at(&s, 3, 30)->ctrl_silent);
	assert_true(at(&s, 3, 30)->uuid_set);
	emu_drive_uuid(at(&s, 3, 30), u);
	assert_int_equal(u[15], 0xff);
	assert_false(at(&s, 3, 29)->uuid_set);
	emu_state_clear(&s);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(emu_state_load(&s, bad[i].json, &err),
				 -EINVAL);
		if (!strstr(err, bad[i].error))
			fail_msg("\"%s\": \"%s\" lacks \"%s\"", bad[i].json,
				 err, bad[i].error);
		free(err);
		err = NULL;
	}

	/* drives may start without an EID, several of them */
	assert_int_equal(emu_state_load(&s,
					"{\"drives\":["
					"{\"network\":1,\"eid\":0,\"bus\":1},"
					"{\"network\":1,\"eid\":0,\"bus\":2}]}",
					&err),
			 0);
	assert_int_equal(s.n_drives, 2);
	assert_null(emu_state_find(&s, 1, 0));
	emu_state_clear(&s);
}

static void test_control_select(void **state)
{
	struct emu_state s = { 0 };
	const char *r;

	load(&s);
	/* by bus and address */
	r = ctl(&s, "{\"bus\":3,\"address\":30,\"temperature\":50}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_int_equal(at(&s, 3, 30)->temperature, 50);
	r = ctl(&s, "{\"get\":{\"bus\":5,\"address\":29}}");
	assert_non_null(strstr(r, "\"network\":2"));
	/* ... with network */
	r = ctl(&s, "{\"get\":{\"network\":1,\"bus\":3,\"address\":29}}");
	assert_non_null(strstr(r, "\"serial\":\"A\""));
	assert_ctl_error(&s,
			 "{\"get\":{\"network\":2,\"bus\":3,\"address\":29}}",
			 "no drive at bus 3 address 29");
	assert_ctl_error(&s, "{\"bus\":3,\"silent\":true}", "together");
	assert_ctl_error(&s, "{\"address\":29,\"silent\":true}", "together");
	assert_ctl_error(&s, "{\"bus\":\"3\",\"address\":29}",
			 "'bus' must be an integer");
	assert_ctl_error(&s, "{\"bus\":3,\"address\":200}",
			 "'address' must be between 0 and 127");
	assert_ctl_error(&s, "{\"silent\":true}", "missing \\\"eid\\\" (or");
	/* with "eid", bus and address are values to set, as before */
	r = ctl(&s, "{\"network\":2,\"eid\":9,\"bus\":6}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_int_equal(at(&s, 6, 29)->network, 2);

	/* two drives without an EID are told apart by bus and address */
	r = ctl(&s, "{\"bus\":3,\"address\":29,\"power_cycle\":true}");
	assert_string_equal(r, "{\"ok\":true}");
	r = ctl(&s, "{\"bus\":3,\"address\":30,\"power_cycle\":true}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_ctl_error(&s, "{\"network\":1,\"eid\":0,\"silent\":true}",
			 "several drives on network 1");
	r = ctl(&s, "{\"bus\":3,\"address\":30,\"silent\":true}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_true(at(&s, 3, 30)->silent);
	assert_false(at(&s, 3, 29)->silent);
	/* a drive's EID is its current one */
	assert_ctl_error(&s, "{\"network\":1,\"eid\":9,\"silent\":true}",
			 "no drive at network 1 EID 9");
	ctl_done(&s);
}

static void test_control_operations(void **state)
{
	struct emu_state s = { 0 };
	struct emu_drive *d;
	char serial[21], uuid[37], before[37];
	uint8_t u[16];
	const char *r;

	load(&s);
	d = at(&s, 3, 29);
	emu_drive_uuid(d, u);
	emu_uuid_format(u, before);
	r = ctl(&s, "{\"get\":{\"eid\":9,\"network\":1}}");
	assert_non_null(strstr(r, before));
	assert_non_null(strstr(r, "\"ctrl_silent\":false"));
	assert_non_null(strstr(r, "\"initial_eid\":9"));
	assert_non_null(strstr(r, "\"ctrl_requests\":0"));

	/* power_cycle: EID 0, power_cycles + 1, same drive */
	assert_int_equal(d->power_cycles, 10);
	r = ctl(&s, "{\"network\":1,\"eid\":9,\"power_cycle\":true}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_int_equal(d->eid, 0);
	assert_int_equal(d->power_cycles, 11);
	assert_null(emu_state_find(&s, 1, 9));
	emu_drive_uuid(d, u);
	emu_uuid_format(u, uuid);
	assert_string_equal(uuid, before);
	assert_string_equal(d->serial, "A");
	r = ctl(&s, "{\"bus\":3,\"address\":29,\"power_cycle\":false}");
	assert_int_equal(d->power_cycles, 11);
	assert_ctl_error(&s, "{\"bus\":3,\"address\":29,\"power_cycle\":1}",
			 "operation 'power_cycle' must be true or false");

	/* swap: another drive: serial number, UUID; EID 0 */
	d->eid = 9;
	strcpy(serial, d->serial);
	r = ctl(&s, "{\"bus\":3,\"address\":29,\"swap\":true}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_int_equal(d->eid, 0);
	assert_string_not_equal(d->serial, serial);
	emu_drive_uuid(d, u);
	emu_uuid_format(u, uuid);
	assert_string_not_equal(uuid, before);
	strcpy(before, uuid);
	strcpy(serial, d->serial);
	r = ctl(&s, "{\"bus\":3,\"address\":29,\"swap\":true}");
	assert_string_not_equal(d->serial, serial);
	emu_drive_uuid(d, u);
	emu_uuid_format(u, uuid);
	assert_string_not_equal(uuid, before);
	/* a swap with keys: the keys describe the new drive */
	r = ctl(&s, "{\"serial\":\"NEW\",\"bus\":3,\"address\":29,"
		    "\"swap\":true}");
	assert_string_equal(d->serial, "NEW");
	/* a drive with an explicit UUID loses it in a swap */
	d = at(&s, 3, 30);
	r = ctl(&s, "{\"bus\":3,\"address\":30,\"swap\":true}");
	assert_false(d->uuid_set);
	/* uuid and ctrl_silent are control keys too; null: derived */
	r = ctl(&s, "{\"bus\":3,\"address\":30,"
		    "\"uuid\":\"ffeeddcc-bbaa-9988-7766-554433221100\","
		    "\"ctrl_silent\":false}");
	assert_string_equal(r, "{\"ok\":true}");
	assert_true(d->uuid_set);
	assert_false(d->ctrl_silent);
	r = ctl(&s, "{\"get\":{\"bus\":3,\"address\":30}}");
	assert_non_null(strstr(r, "ffeeddcc-bbaa-9988-7766-554433221100"));
	r = ctl(&s, "{\"bus\":3,\"address\":30,\"uuid\":null}");
	assert_false(d->uuid_set);
	/* a failing request changes nothing, operations included */
	d->eid = 10;
	assert_ctl_error(&s,
			 "{\"bus\":3,\"address\":30,\"power_cycle\":true,"
			 "\"bad_mic\":3}",
			 "'bad_mic'");
	assert_int_equal(d->eid, 10);
	ctl_done(&s);
}

static void test_mctp_control(void **state)
{
	struct emu_state s = { 0 };
	struct emu_drive *d;
	const char *r;

	load(&s);
	d = at(&s, 3, 29);
	/* Get Endpoint ID, instance 3 */
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008302\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"00030200090000\"}");
	assert_int_equal(d->ctrl_requests, 1);
	/* Set Endpoint ID 0x2a; upper-case hex accepted */
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"0081010002A\"}}");
	assert_non_null(strstr(r, "even number of hex digits"));
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008101002A\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"0001010000"
			       "2a00\"}");
	assert_int_equal(d->eid, 0x2a);
	assert_ptr_equal(emu_state_find(&s, 1, 0x2a), d);
	assert_null(emu_state_find(&s, 1, 9));
	/* by network too */
	r = ctl(&s, "{\"mctp_control\":{\"network\":2,\"bus\":5,"
		    "\"address\":29,\"request\":\"008005\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"0000050001"
			       "04\"}");
	/* after a power cycle: EID 0 */
	ctl(&s, "{\"bus\":3,\"address\":29,\"power_cycle\":true}");
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008002\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"00000200000000\"}");

	/* no answer: null */
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":31,"
		    "\"request\":\"008002\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":null}");
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":30,"
		    "\"request\":\"008002\"}}"); /* ctrl_silent */
	assert_string_equal(r, "{\"ok\":true,\"response\":null}");
	ctl(&s, "{\"bus\":3,\"address\":29,\"silent\":true}");
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008002\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":null}");
	ctl(&s, "{\"bus\":3,\"address\":29,\"silent\":false,\"miss\":1}");
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008101000b\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":null}");
	assert_int_equal(d->eid, 11); /* took effect, reply lost */
	assert_int_equal(d->miss, 0);
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"000002\"}}"); /* a response: ignored */
	assert_string_equal(r, "{\"ok\":true,\"response\":null}");
	/* delays are not waited for; the one-shot late is used up */
	ctl(&s, "{\"bus\":3,\"address\":29,\"late\":60000}");
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008002\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"000002000b0000\"}");
	assert_int_equal(d->late_ms, 0);
	/* unsupported command */
	r = ctl(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
		    "\"request\":\"008009\"}}");
	assert_string_equal(r, "{\"ok\":true,\"response\":\"00000905\"}");

	/* malformed requests */
	assert_ctl_error(&s, "{\"mctp_control\":{\"bus\":3,\"address\":29}}",
			 "(hex)");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"request\":\"00\"}}",
			 "needs \\\"bus\\\"");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"0x8002\"}}",
			 "not hex digits");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"\"}}",
			 "even number of hex digits");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"848002\"}}",
			 "not an MCTP control message");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"eid\":9,\"request\":\"008002\"}}",
			 "unknown key 'eid'");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"008002\"},\"silent\":true}",
			 "takes no other keys");
	/* two drives at one address on different networks */
	ctl(&s, "{\"network\":2,\"eid\":9,\"bus\":3}");
	assert_ctl_error(&s,
			 "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"008002\"}}",
			 "several drives at bus 3 address 29");
	ctl_done(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_eid),
		cmocka_unit_test(test_set_eid),
		cmocka_unit_test(test_get_uuid),
		cmocka_unit_test(test_get_version),
		cmocka_unit_test(test_get_msg_types),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_not_answered),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_scenario_keys),
		cmocka_unit_test(test_control_select),
		cmocka_unit_test(test_control_operations),
		cmocka_unit_test(test_mctp_control),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
