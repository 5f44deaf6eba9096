/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCTP control messages (DSP0236 1.3.1 §12) to nvme-mi-emu as a bus owner
 * such as mctpd sends them: through libmctp-shim.so (AF_MCTP SOCK_DGRAM,
 * type 0), through the control socket's "mctp_control" request (physical
 * addressing, which the shim cannot carry), and on the serial link, where
 * the null EID 0 reaches the link's drive. The EID is the drive's state:
 * Set Endpoint ID moves NVMe-MI to the new EID, power_cycle and swap
 * take it away. The test re-executes itself with LD_PRELOAD
 * (emu_preload_self()).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/mctp.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu-harness.h"
#include "emu-serial.h"
#include "emu.h"

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

#define WAIT_MS	 10000
#define QUIET_MS 300

static struct emu_proc emu;

/* 29 and 30 on bus 3, 11 on bus 4: */
static const char scenario[] =
	"{\"drives\":["
	"{\"network\":1,\"eid\":9,\"bus\":3,\"address\":29,\"serial\":\"S9\","
	"\"temperature\":40},"
	"{\"network\":1,\"eid\":10,\"bus\":3,\"address\":30,"
	"\"temperature\":41},"
	"{\"network\":1,\"eid\":11,\"bus\":4,\"address\":29,"
	"\"temperature\":42}]}";

static int setup(void **state)
{
	assert_int_equal(emu_start(&emu, scenario), 0);
	assert_int_equal(setenv("MCTP_SHIM_SOCK", emu.sock, 1), 0);
	return 0;
}

static int teardown(void **state)
{
	int status = emu_stop(&emu);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct sockaddr_mctp addr(uint8_t eid, uint8_t type)
{
	return (struct sockaddr_mctp){
		.smctp_family = AF_MCTP,
		.smctp_network = 1,
		.smctp_addr.s_addr = eid,
		.smctp_type = type,
		.smctp_tag = MCTP_TAG_OWNER,
	};
}

static int mctp_socket(void)
{
	int sd = socket(AF_MCTP, SOCK_DGRAM, 0);

	assert_true(sd >= 0);
	return sd;
}

/*
 * Send one message (body without the type byte) to eid and wait up to ms
 * for the reply; returns its length (body without type byte), 0 when none
 * came, -errno when the send failed. The reply must come from eid with
 * the same type and the owner bit clear.
 */
static ssize_t xfer(uint8_t eid, uint8_t type, const void *body, size_t len,
		    uint8_t *out, size_t out_size, int ms)
{
	struct sockaddr_mctp a = addr(eid, type), src;
	socklen_t slen = sizeof(src);
	struct pollfd p;
	int sd = mctp_socket();
	ssize_t n;

	n = sendto(sd, body, len, 0, (struct sockaddr *)&a, sizeof(a));
	if (n < 0) {
		n = -errno;
		close(sd);
		return n;
	}
	assert_int_equal(n, (ssize_t)len);
	p = (struct pollfd){ .fd = sd, .events = POLLIN };
	if (poll(&p, 1, ms) != 1) {
		close(sd);
		return 0;
	}
	n = recvfrom(sd, out, out_size, 0, (struct sockaddr *)&src, &slen);
	assert_true(n >= 0);
	assert_int_equal(src.smctp_addr.s_addr, eid);
	assert_int_equal(src.smctp_type, type);
	assert_int_equal(src.smctp_tag & MCTP_TAG_OWNER, 0);
	close(sd);
	return n;
}

/* A control request (Rq, instance 7) to eid; the reply body in out
 * (out[0] = instance, out[1] = command, out[2] = completion code). */
static ssize_t ctrl(uint8_t eid, uint8_t cmd, const uint8_t *data, size_t dlen,
		    uint8_t *out, int ms)
{
	uint8_t body[32] = { 0x80 | 7, cmd };
	ssize_t n;

	if (dlen)
		memcpy(body + 2, data, dlen);
	n = xfer(eid, EMU_MCTP_TYPE_CONTROL, body, 2 + dlen, out, 64, ms);
	if (n > 0) {
		assert_true(n >= 3);
		assert_int_equal(out[0], 7); /* Rq clear, instance echoed */
		assert_int_equal(out[1], cmd);
	}
	return n;
}

/* The current temperature of the drive at eid by a health poll, or -1
 * when it does not answer; -errno when the send failed. */
static int health_temp(uint8_t eid, int ms)
{
	uint8_t m[20] = { EMU_MCTP_TYPE_NVME_MI, EMU_NMIMT_MI << 3, 0, 0,
			  0x01 };
	uint32_t mic = emu_mic(m, 16);
	uint8_t out[64];
	ssize_t n;

	memcpy(m + 16, &mic, 4);
	n = xfer(eid, EMU_MCTP_TYPE_NVME_MI, m + 1, 19, out, sizeof(out), ms);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -1;
	assert_int_equal(n, 19);
	assert_int_equal(out[3], 0); /* status */
	return out[7 + 2]; /* CTEMP */
}

/* The reply's "response" of an mctp_control request (malloc'ed hex), or
 * NULL for null. */
static char *mctp_control(int bus, int address, const char *hex)
{
	char line[256], *reply = NULL, *at, *end, *v;

	snprintf(line, sizeof(line),
		 "{\"mctp_control\":{\"bus\":%d,\"address\":%d,"
		 "\"request\":\"%s\"}}",
		 bus, address, hex);
	assert_int_equal(emu_ctl(&emu, line, &reply), 0);
	if (strncmp(reply, "{\"ok\":true", 10) != 0)
		fail_msg("\"%s\": %s", line, reply);
	at = strstr(reply, "\"response\":");
	assert_non_null(at);
	at += strlen("\"response\":");
	if (strncmp(at, "null", 4) == 0) {
		free(reply);
		return NULL;
	}
	assert_int_equal(*at, '"');
	end = strchr(at + 1, '"');
	assert_non_null(end);
	v = strndup(at + 1, (size_t)(end - at - 1));
	free(reply);
	return v;
}

/* One string field of the drive at bus/address as "get" reports it. */
static char *get_string(int bus, int address, const char *field)
{
	char line[128], key[64], *reply = NULL, *at, *end, *v;

	snprintf(line, sizeof(line), "{\"get\":{\"bus\":%d,\"address\":%d}}",
		 bus, address);
	snprintf(key, sizeof(key), "\"%s\":\"", field);
	assert_int_equal(emu_ctl(&emu, line, &reply), 0);
	at = strstr(reply, key);
	if (!at)
		fail_msg("no \"%s\" in %s", field, reply);
	at += strlen(key);
	end = strchr(at, '"');
	v = strndup(at, (size_t)(end - at));
	free(reply);
	return v;
}

static void test_commands(void **state)
{
	static const uint8_t v12[] = { 0xf1, 0xf2, 0xff, 0x00 };
	uint8_t out[64], type = 0x04;
	char *uuid, hex[33];

	/* Get Endpoint ID */
	assert_int_equal(ctrl(9, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS), 6);
	assert_int_equal(out[2], EMU_CC_SUCCESS);
	assert_int_equal(out[3], 9);
	assert_int_equal(out[4], 0x00);
	/* Get Message Type Support: NVMe-MI */
	assert_int_equal(ctrl(9, EMU_CTRL_GET_MSG_TYPES, NULL, 0, out, WAIT_MS),
			 5);
	assert_int_equal(out[3], 1);
	assert_int_equal(out[4], 0x04);
	/* Get MCTP Version Support for NVMe-MI */
	assert_int_equal(ctrl(9, EMU_CTRL_GET_VERSION, &type, 1, out, WAIT_MS),
			 8);
	assert_int_equal(out[3], 1);
	assert_memory_equal(out + 4, v12, 4);
	/* Get Endpoint UUID: the one "get" reports */
	assert_int_equal(ctrl(9, EMU_CTRL_GET_UUID, NULL, 0, out, WAIT_MS),
			 3 + 16);
	uuid = get_string(3, 29, "uuid");
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", out[3 + i]);
	assert_int_equal(strlen(uuid), 36);
	for (int i = 0, j = 0; i < 36; i++)
		if (uuid[i] != '-')
			assert_int_equal(uuid[i], hex[j++]);
	free(uuid);
	/* unsupported */
	assert_int_equal(ctrl(9, 0x0a, NULL, 0, out, WAIT_MS), 3);
	assert_int_equal(out[2], EMU_CC_ERROR_UNSUPPORTED);
	assert_true(emu_get_int(&emu, 9, "ctrl_requests") >= 5);
}

static void test_set_eid(void **state)
{
	uint8_t out[64], set[2] = { 0x00, 20 };

	assert_int_equal(health_temp(10, WAIT_MS), 41);
	assert_int_equal(ctrl(10, EMU_CTRL_SET_EID, set, 2, out, WAIT_MS), 6);
	assert_int_equal(out[2], EMU_CC_SUCCESS);
	assert_int_equal(out[3], 0x00); /* accepted */
	assert_int_equal(out[4], 20);
	/* NVMe-MI at the new EID; the old one has no route any more */
	assert_int_equal(health_temp(20, WAIT_MS), 41);
	assert_int_equal(health_temp(10, WAIT_MS), -EHOSTUNREACH);
	assert_int_equal(ctrl(10, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS),
			 -EHOSTUNREACH);
	assert_int_equal(ctrl(20, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS), 6);
	assert_int_equal(out[3], 20);
	assert_int_equal(emu_get_int(&emu, 20, "initial_eid"), 10);
	/* invalid EIDs change nothing */
	set[1] = 0xff;
	assert_int_equal(ctrl(20, EMU_CTRL_SET_EID, set, 2, out, WAIT_MS), 3);
	assert_int_equal(out[2], EMU_CC_ERROR_INVALID_DATA);
	/* back */
	set[1] = 10;
	assert_int_equal(ctrl(20, EMU_CTRL_SET_EID, set, 2, out, WAIT_MS), 6);
	assert_int_equal(health_temp(10, WAIT_MS), 41);
}

static void test_power_cycle(void **state)
{
	long long cycles = emu_get_int(&emu, 9, "power_cycles");
	char *r;

	emu_ctl_ok(&emu, "{\"bus\":3,\"address\":29,\"power_cycle\":true}");
	/* EID 0 is not routable: NVMe-MI to the old EID is gone */
	assert_int_equal(health_temp(9, WAIT_MS), -EHOSTUNREACH);
	/* physical addressing through the control socket: EID 0 */
	r = mctp_control(3, 29, "008102");
	assert_string_equal(r, "00010200000000");
	free(r);
	/* the bus owner assigns an EID again, and NVMe-MI is back */
	r = mctp_control(3, 29, "0082010009");
	assert_string_equal(r, "00020100000900");
	free(r);
	assert_int_equal(emu_get_int(&emu, 9, "power_cycles"), cycles + 1);
	assert_int_equal(health_temp(9, WAIT_MS), 40);
	/* nobody at an address: null */
	assert_null(mctp_control(3, 31, "008102"));
}

static void test_swap(void **state)
{
	uint8_t out[64], before[16];
	char *serial = get_string(3, 29, "serial"), *r, *now;

	assert_int_equal(ctrl(9, EMU_CTRL_GET_UUID, NULL, 0, out, WAIT_MS),
			 3 + 16);
	memcpy(before, out + 3, 16);
	emu_ctl_ok(&emu, "{\"bus\":3,\"address\":29,\"swap\":true}");
	assert_int_equal(health_temp(9, WAIT_MS), -EHOSTUNREACH);
	r = mctp_control(3, 29, "008102");
	assert_string_equal(r, "00010200000000");
	free(r);
	r = mctp_control(3, 29, "0082010009");
	assert_string_equal(r, "00020100000900");
	free(r);
	assert_int_equal(ctrl(9, EMU_CTRL_GET_UUID, NULL, 0, out, WAIT_MS),
			 3 + 16);
	assert_memory_not_equal(before, out + 3, 16);
	now = get_string(3, 29, "serial");
	assert_string_not_equal(now, serial);
	free(now);
	free(serial);
}

static void test_ctrl_silent(void **state)
{
	uint8_t out[64];

	emu_ctl_ok(&emu, "{\"eid\":11,\"ctrl_silent\":true}");
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, QUIET_MS), 0);
	assert_null(mctp_control(4, 29, "008102"));
	assert_int_equal(health_temp(11, WAIT_MS), 42);
	emu_ctl_ok(&emu, "{\"eid\":11,\"ctrl_silent\":false}");
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS), 6);
}

static void test_faults(void **state)
{
	uint8_t out[64];
	long t0;

	/* miss: one control reply lost */
	emu_ctl_ok(&emu, "{\"eid\":11,\"miss\":1}");
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, QUIET_MS), 0);
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS), 6);
	/* silent: control too */
	emu_ctl_ok(&emu, "{\"eid\":11,\"silent\":true}");
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, QUIET_MS), 0);
	emu_ctl_ok(&emu, "{\"eid\":11,\"silent\":false}");
	/* delay_ms */
	emu_ctl_ok(&emu, "{\"eid\":11,\"delay_ms\":200}");
	t0 = now_ms();
	assert_int_equal(ctrl(11, EMU_CTRL_GET_EID, NULL, 0, out, WAIT_MS), 6);
	assert_true(now_ms() - t0 >= 190);
	emu_ctl_ok(&emu, "{\"eid\":11,\"delay_ms\":0}");
}

/* ---- the serial link ---- */

struct serial_peer {
	int fd;
	struct emu_serial_rx rx;
	struct emu_mctp_reasm *reasm;
};

static void serial_send(struct serial_peer *p, uint8_t dst, uint8_t tag,
			const uint8_t *msg, size_t len)
{
	static uint8_t buf[EMU_SERIAL_STREAM_MAX];
	size_t n;

	assert_int_equal(emu_serial_encode_message(8, dst, tag | EMU_MCTP_TO,
						   msg, len, buf, &n),
			 0);
	assert_int_equal(write(p->fd, buf, n), (ssize_t)n);
}

/* The next message from the emulator within ms, or NULL. */
static const struct emu_mctp_msg *serial_recv(struct serial_peer *p, int ms)
{
	long deadline = now_ms() + ms;
	const struct emu_mctp_msg *m;
	uint8_t c;

	for (;;) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		long left = deadline - now_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return NULL;
		assert_int_equal(read(p->fd, &c, 1), 1);
		if (emu_serial_rx_byte(&p->rx, c) != 1)
			continue;
		if (emu_mctp_reasm_push(p->reasm, p->rx.buf, p->rx.len, &m) ==
		    1)
			return m;
	}
}

/* A control request to dst over serial; the reply from src, tag 3. */
static const struct emu_mctp_msg *serial_ctrl(struct serial_peer *p,
					      uint8_t dst, uint8_t cmd,
					      const uint8_t *data, size_t dlen,
					      int ms)
{
	uint8_t msg[32] = { 0x00, 0x80 | 4, cmd };
	const struct emu_mctp_msg *m;

	if (dlen)
		memcpy(msg + 3, data, dlen);
	serial_send(p, dst, 3, msg, 3 + dlen);
	m = serial_recv(p, ms);
	if (m) {
		assert_int_equal(m->src, dst);
		assert_int_equal(m->dst, 8);
		assert_int_equal(m->tag, 3); /* owner bit clear */
		assert_int_equal(m->data[0], 0x00);
		assert_int_equal(m->data[1], 4);
		assert_int_equal(m->data[2], cmd);
	}
	return m;
}

static void test_serial(void **state)
{
	/* the link's drive starts without an EID; a second drive behind
	 * the same link is reached by its EID */
	static const char serial_scenario[] =
		"{\"drives\":["
		"{\"network\":1,\"eid\":0,\"bus\":7,\"address\":29,"
		"\"temperature\":43},"
		"{\"network\":1,\"eid\":12,\"bus\":7,\"address\":30}]}";
	uint8_t m[20] = { EMU_MCTP_TYPE_NVME_MI, EMU_NMIMT_MI << 3, 0, 0,
			  0x01 };
	uint8_t set[2] = { 0x00, 0x21 };
	struct emu_proc link_emu;
	struct serial_peer p = { 0 };
	const struct emu_mctp_msg *r;
	uint32_t mic = emu_mic(m, 16);
	int sv[2], status;

	memcpy(m + 16, &mic, 4);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(fcntl(sv[0], F_SETFD, FD_CLOEXEC), 0);
	p.fd = sv[0];
	p.reasm = calloc(1, sizeof(*p.reasm));
	assert_non_null(p.reasm);
	assert_int_equal(emu_start_serial(&link_emu, serial_scenario, sv[1]),
			 0);
	close(sv[1]);

	/* Get Endpoint ID by physical addressing: none yet */
	r = serial_ctrl(&p, 0, EMU_CTRL_GET_EID, NULL, 0, WAIT_MS);
	assert_non_null(r);
	assert_int_equal(r->len, 7);
	assert_int_equal(r->data[3], EMU_CC_SUCCESS);
	assert_int_equal(r->data[4], 0);
	/* NVMe-MI is not taken at EID 0 */
	serial_send(&p, 0, 1, m, sizeof(m));
	assert_null(serial_recv(&p, QUIET_MS));
	/* Set Endpoint ID at EID 0; the reply still comes from EID 0 */
	r = serial_ctrl(&p, 0, EMU_CTRL_SET_EID, set, 2, WAIT_MS);
	assert_non_null(r);
	assert_int_equal(r->data[3], EMU_CC_SUCCESS);
	assert_int_equal(r->data[5], 0x21);
	/* now the drive answers at 0x21, both types */
	r = serial_ctrl(&p, 0x21, EMU_CTRL_GET_EID, NULL, 0, WAIT_MS);
	assert_non_null(r);
	assert_int_equal(r->data[4], 0x21);
	serial_send(&p, 0x21, 2, m, sizeof(m));
	r = serial_recv(&p, WAIT_MS);
	assert_non_null(r);
	assert_int_equal(r->src, 0x21);
	assert_int_equal(r->len, 20);
	assert_int_equal(r->data[8 + 2], 43); /* CTEMP */
	/* the other drive by its EID */
	r = serial_ctrl(&p, 12, EMU_CTRL_GET_EID, NULL, 0, WAIT_MS);
	assert_non_null(r);
	assert_int_equal(r->data[4], 12);
	/* no drive at EID 0x30 */
	serial_send(&p, 0x30, 1, m, sizeof(m));
	assert_null(serial_recv(&p, QUIET_MS));

	status = emu_stop(&link_emu);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(p.fd);
	free(p.reasm);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_set_eid),
		cmocka_unit_test(test_power_cycle),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_ctrl_silent),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_serial),
	};

	if (emu_preload_self(argv) < 0)
		return 1;
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
