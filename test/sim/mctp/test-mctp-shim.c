/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libmctp-shim.so against nvme-mi-emu with raw AF_MCTP calls: the
 * kernel's errors and datagram semantics, tags, the emulator's timing
 * faults seen on the wire, and pass-through of every other descriptor.
 * The test re-executes itself with LD_PRELOAD (emu_preload_self()).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/sockios.h>
#include <linux/mctp.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu-harness.h"
#include "emu.h"

#ifndef AF_MCTP
#define AF_MCTP 45
#endif

#define WAIT_MS 10000

static struct emu_proc emu;

static const char scenario[] =
	"{\"drives\":["
	"{\"network\":1,\"eid\":9,\"serial\":\"S9\",\"temperature\":40},"
	"{\"network\":1,\"eid\":10},"
	"{\"network\":2,\"eid\":9,\"temperature\":50}]}";

static int setup(void **state)
{
	assert_int_equal(emu_start(&emu, scenario), 0);
	assert_int_equal(setenv("MCTP_SHIM_SOCK", emu.sock, 1), 0);
	return 0;
}

static int teardown(void **state)
{
	int status = emu_stop(&emu);

	/* the emulator must exit cleanly (ASan leak check included) */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

static int mctp_socket(void)
{
	int sd = socket(AF_MCTP, SOCK_DGRAM, 0);

	assert_true(sd >= 0);
	return sd;
}

static struct sockaddr_mctp addr(uint32_t net, uint8_t eid, uint8_t tag)
{
	return (struct sockaddr_mctp){
		.smctp_family = AF_MCTP,
		.smctp_network = net,
		.smctp_addr.s_addr = eid,
		.smctp_type = EMU_MCTP_TYPE_NVME_MI,
		.smctp_tag = tag,
	};
}

/* A health poll request body (without the type byte) with its MIC. */
static size_t health_req(uint8_t *body)
{
	uint8_t m[20] = { 0x84, EMU_NMIMT_MI << 3, 0, 0, 0x01 };
	uint32_t mic = emu_mic(m, 16);

	memcpy(m + 16, &mic, 4);
	memcpy(body, m + 1, 19);
	return 19;
}

static ssize_t send_to(int sd, const struct sockaddr_mctp *a, const void *buf,
		       size_t len)
{
	return sendto(sd, buf, len, 0, (const struct sockaddr *)a, sizeof(*a));
}

static int wait_readable(int sd, int ms)
{
	struct pollfd p = { .fd = sd, .events = POLLIN };

	return poll(&p, 1, ms);
}

static void test_no_env(void **state)
{
	const char *saved = getenv("MCTP_SHIM_SOCK");
	char *copy = strdup(saved);

	unsetenv("MCTP_SHIM_SOCK");
	errno = 0;
	assert_int_equal(socket(AF_MCTP, SOCK_DGRAM, 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
	setenv("MCTP_SHIM_SOCK", copy, 1);
	free(copy);

	assert_int_equal(socket(AF_MCTP, SOCK_STREAM, 0), -1);
	assert_int_equal(errno, ESOCKTNOSUPPORT);
	assert_int_equal(socket(AF_MCTP, SOCK_DGRAM, 1), -1);
	assert_int_equal(errno, EPROTONOSUPPORT);
}

static void test_sendmsg_errors(void **state)
{
	struct sockaddr_mctp a = addr(1, 9, MCTP_TAG_OWNER);
	uint8_t body[32];
	size_t len = health_req(body);
	struct iovec iov = { body, len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sd = mctp_socket();

	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EDESTADDRREQ);
	m.msg_name = &a;
	m.msg_namelen = sizeof(a) - 1;
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	m.msg_namelen = sizeof(a);
	a.smctp_family = AF_UNIX;
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	a = addr(1, 9, MCTP_TAG_OWNER);
	a.__smctp_pad1 = 1;
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	a = addr(1, 9, 0x20);
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* a preallocated tag we do not hold */
	a = addr(1, 9, MCTP_TAG_OWNER | MCTP_TAG_PREALLOC | 3);
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, ENOENT);
	/* no route: EID 42, or EID 10 on network 2 */
	a = addr(1, 42, MCTP_TAG_OWNER);
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	a = addr(2, 10, MCTP_TAG_OWNER);
	assert_int_equal(sendmsg(sd, &m, 0), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	/* MCTP_NET_ANY is the default network, 1 */
	a = addr(MCTP_NET_ANY, 9, MCTP_TAG_OWNER);
	assert_int_equal(sendmsg(sd, &m, 0), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	assert_int_equal(close(sd), 0);
}

static void test_request_reply(void **state)
{
	struct sockaddr_mctp a = addr(2, 9, MCTP_TAG_OWNER), src;
	uint8_t body[64], small[8];
	size_t len = health_req(body);
	struct iovec iov[2] = { { small, 4 }, { small + 4, 4 } };
	struct msghdr m = {
		.msg_name = &src,
		.msg_namelen = sizeof(src),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};
	int sd = mctp_socket();

	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);

	/* peek, truncated: 8 of the 19 bytes, MSG_TRUNC reports the size */
	assert_int_equal(recvmsg(sd, &m, MSG_PEEK | MSG_TRUNC), 19);
	assert_true(m.msg_flags & MSG_TRUNC);
	assert_int_equal(src.smctp_family, AF_MCTP);
	assert_int_equal(src.smctp_network, 2);
	assert_int_equal(src.smctp_addr.s_addr, 9);
	assert_int_equal(src.smctp_type, 0x84);
	assert_int_equal(src.smctp_tag & MCTP_TAG_OWNER, 0);
	assert_int_equal(small[0], 0x80 | (EMU_NMIMT_MI << 3)); /* ROR */

	/* the whole reply, then nothing: EAGAIN with MSG_DONTWAIT */
	iov[0] = (struct iovec){ body, sizeof(body) };
	m.msg_iovlen = 1;
	m.msg_namelen = sizeof(src);
	assert_int_equal(recvmsg(sd, &m, MSG_DONTWAIT), 19);
	assert_false(m.msg_flags & MSG_TRUNC);
	assert_int_equal(body[3], 0); /* status */
	assert_int_equal(body[7 + 2], 50); /* CTEMP of network 2's drive */
	assert_int_equal(recvmsg(sd, &m, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(recvmsg(sd, &m, MSG_OOB), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	close(sd);

	/* SOCK_NONBLOCK is honoured */
	sd = socket(AF_MCTP, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(sd >= 0);
	assert_int_equal(recv(sd, body, sizeof(body), 0), -1);
	assert_int_equal(errno, EAGAIN);
	close(sd);
}

static void test_tags(void **state)
{
	struct sockaddr_mctp a = addr(1, 10, MCTP_TAG_OWNER);
	struct mctp_ioc_tag_ctl ctl;
	int sd = mctp_socket(), other = mctp_socket();
	uint8_t body[32];
	size_t len = health_req(body);
	uint8_t held = 0;

	for (int i = 0; i < 8; i++) {
		ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10 };
		assert_int_equal(ioctl(sd, SIOCMCTPALLOCTAG, &ctl), 0);
		assert_int_equal(ctl.tag & ~MCTP_TAG_MASK,
				 MCTP_TAG_OWNER | MCTP_TAG_PREALLOC);
		held |= 1u << (ctl.tag & MCTP_TAG_MASK);
	}
	assert_int_equal(held, 0xff);
	/* all 8 held: allocation fails, in any socket, and so does an
	 * automatically allocated owner tag */
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10 };
	assert_int_equal(ioctl(sd, SIOCMCTPALLOCTAG, &ctl), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(ioctl(other, SIOCMCTPALLOCTAG, &ctl), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(send_to(other, &a, body, len), -1);
	assert_int_equal(errno, EBUSY);
	/* another peer is not affected */
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 9 };
	assert_int_equal(ioctl(other, SIOCMCTPALLOCTAG, &ctl), 0);

	/* a preallocated tag can be used by its socket only */
	a.smctp_tag = MCTP_TAG_OWNER | MCTP_TAG_PREALLOC | 5;
	assert_int_equal(send_to(other, &a, body, len), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);

	/* drop: only tags we hold */
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10, .tag = 5 };
	assert_int_equal(ioctl(sd, SIOCMCTPDROPTAG, &ctl), -1);
	assert_int_equal(errno, EINVAL);
	ctl.tag = 5 | MCTP_TAG_OWNER | MCTP_TAG_PREALLOC;
	assert_int_equal(ioctl(other, SIOCMCTPDROPTAG, &ctl), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ioctl(sd, SIOCMCTPDROPTAG, &ctl), 0);
	assert_int_equal(ioctl(sd, SIOCMCTPDROPTAG, &ctl), -1);
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10 };
	assert_int_equal(ioctl(other, SIOCMCTPALLOCTAG, &ctl), 0);
	assert_int_equal(ctl.tag & MCTP_TAG_MASK, 5);
	/* flags must be zero */
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10, .flags = 1 };
	assert_int_equal(ioctl(sd, SIOCMCTPALLOCTAG, &ctl), -1);
	assert_int_equal(errno, EINVAL);

	/* closing a socket releases its tags */
	close(sd);
	close(other);
	sd = mctp_socket();
	for (int i = 0; i < 8; i++) {
		ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10 };
		assert_int_equal(ioctl(sd, SIOCMCTPALLOCTAG, &ctl), 0);
	}
	close(sd);

	/* MCTP_SHIM_NO_TAGS: a kernel without the tag ioctls */
	setenv("MCTP_SHIM_NO_TAGS", "1", 1);
	sd = mctp_socket();
	unsetenv("MCTP_SHIM_NO_TAGS");
	ctl = (struct mctp_ioc_tag_ctl){ .peer_addr = 10 };
	assert_int_equal(ioctl(sd, SIOCMCTPALLOCTAG, &ctl), -1);
	assert_int_equal(errno, ENOTTY);
	close(sd);
}

static void test_bind_connect(void **state)
{
	struct sockaddr_mctp a = addr(1, MCTP_ADDR_ANY, MCTP_TAG_OWNER);
	int sd = mctp_socket();

	a.smctp_type = 0x04;
	assert_int_equal(connect(sd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EOPNOTSUPP);
	assert_int_equal(bind(sd, (struct sockaddr *)&a, sizeof(a) - 2), -1);
	assert_int_equal(errno, EINVAL);
	a.__smctp_pad0 = 1;
	assert_int_equal(bind(sd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EINVAL);
	a.__smctp_pad0 = 0;
	/* as libnvme >= 1.14 binds its AEM socket (the IC bit is ignored) */
	a.smctp_type = 0x84;
	assert_int_equal(bind(sd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(bind(sd, (struct sockaddr *)&a, sizeof(a)), -1);
	assert_int_equal(errno, EADDRINUSE);
	close(sd);
}

static void test_bad_mic_and_late(void **state)
{
	struct sockaddr_mctp a = addr(1, 9, MCTP_TAG_OWNER);
	uint8_t body[64];
	size_t len = health_req(body);
	char *reply = NULL;
	int sd = mctp_socket();

	/* a request with a bad MIC is dropped without a reply */
	body[len - 1] ^= 0xff;
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	body[len - 1] ^= 0xff;
	assert_int_equal(emu_ctl(&emu, "{\"get\":{\"eid\":9,\"network\":1}}",
				 &reply),
			 0);
	assert_non_null(strstr(reply, "\"bad_mic_requests\":1"));
	free(reply);
	assert_int_equal(wait_readable(sd, 0), 0);

	/* late: nothing within the client's (short) wait, the reply after */
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"late\":300}");
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, 50), 0);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	assert_int_equal(recv(sd, body, sizeof(body), 0), 19);
	/* late is one-shot: the next reply is prompt again (and the MPR
	 * check below proves replies can come in two parts) */
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"mpr_ms\":200}");
	len = health_req(body);
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	assert_int_equal(recv(sd, body, sizeof(body), 0), 11);
	assert_int_equal(body[3], EMU_MI_MPR);
	assert_true(body[5] * 100 > 200); /* MPRT covers the real delay */
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	assert_int_equal(recv(sd, body, sizeof(body), 0), 19);
	assert_int_equal(body[3], 0);
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"mpr_ms\":0}");

	/* silent: no reply at all; the client closes early (EPIPE on the
	 * emulator side must not hurt it) */
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"silent\":true,"
			 "\"delay_ms\":100}");
	len = health_req(body);
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	close(sd);
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"silent\":false}");
	sd = mctp_socket();
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	close(sd); /* before the delayed reply */
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"delay_ms\":0}");
	sd = mctp_socket();
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	close(sd);
}

/* A 4 KiB Firmware Image Download chunk on a 100 kb/s link: the request's
 * 4168 bytes cross the wire too, so its short reply takes 0.42 s (it
 * would be 2 ms if only the reply counted). */
static void test_download_slow_link(void **state)
{
	static uint8_t m[68 + 4096 + 4];
	struct sockaddr_mctp a = addr(1, 9, MCTP_TAG_OWNER);
	uint32_t mic, dlen = 4096;
	uint8_t body[64];
	char *reply = NULL;
	int sd = mctp_socket();

	memset(m, 0, sizeof(m));
	m[0] = 0x84;
	m[1] = EMU_NMIMT_ADMIN << 3;
	m[4] = 0x11; /* Firmware Image Download */
	m[5] = 0x01; /* DLEN valid */
	memcpy(m + 32, &dlen, 4);
	m[44] = 0xff; /* NUMD 1023: 4 KiB */
	m[45] = 0x03;
	memcpy(m + 68, "EMFW2.0     ", 12);
	mic = emu_mic(m, 68 + 4096);
	memcpy(m + 68 + 4096, &mic, 4);

	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"link_bps\":100000}");
	assert_int_equal(send_to(sd, &a, m + 1, sizeof(m) - 1),
			 (ssize_t)sizeof(m) - 1);
	assert_int_equal(wait_readable(sd, 300), 0);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	assert_int_equal(recv(sd, body, sizeof(body), 0), 23);
	assert_int_equal(body[3], 0); /* MI success */
	assert_int_equal(body[15] | body[16] | body[17] | body[18], 0);
	emu_ctl_ok(&emu, "{\"eid\":9,\"network\":1,\"link_bps\":0}");
	assert_int_equal(emu_ctl(&emu, "{\"get\":{\"eid\":9,\"network\":1}}",
				 &reply),
			 0);
	assert_non_null(strstr(reply, "\"fw_downloaded\":4096"));
	free(reply);
	close(sd);
}

static void test_routes_follow_control(void **state)
{
	struct sockaddr_mctp a = addr(1, 30, MCTP_TAG_OWNER);
	uint8_t body[64];
	size_t len = health_req(body);
	int sd = mctp_socket();

	assert_int_equal(send_to(sd, &a, body, len), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	emu_ctl_ok(&emu, "{\"add\":{\"network\":1,\"eid\":30}}");
	assert_int_equal(send_to(sd, &a, body, len), (ssize_t)len);
	assert_int_equal(wait_readable(sd, WAIT_MS), 1);
	emu_ctl_ok(&emu, "{\"remove\":{\"eid\":30}}");
	assert_int_equal(send_to(sd, &a, body, len), -1);
	assert_int_equal(errno, EHOSTUNREACH);
	close(sd);
}

static void test_passthrough(void **state)
{
	int sv[2], n = -1;
	char buf[8] = "ping";
	struct iovec iov = { buf, 4 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sd = mctp_socket();

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	assert_int_equal(sendmsg(sv[0], &m, 0), 4);
	assert_int_equal(ioctl(sv[1], FIONREAD, &n), 0);
	assert_int_equal(n, 4);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(recvmsg(sv[1], &m, 0), 4);
	assert_string_equal(buf, "ping");
	/* the MCTP tag ioctls on a plain socket reach the kernel */
	assert_int_equal(ioctl(sv[0], SIOCMCTPALLOCTAG, &n), -1);
	assert_int_not_equal(errno, EBUSY);
	/* a descriptor number reused after dup2() is no longer MCTP */
	assert_int_equal(dup2(sv[0], sd), sd);
	assert_int_equal(send(sd, "x", 1, 0), 1);
	assert_int_equal(recv(sv[1], buf, sizeof(buf), 0), 1);
	close(sd);
	close(sv[0]);
	close(sv[1]);
}

static void test_fork(void **state)
{
	struct sockaddr_mctp a = addr(1, 9, MCTP_TAG_OWNER);
	uint8_t body[64];
	size_t len = health_req(body);
	int sd = mctp_socket(), status;
	pid_t pid;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the child inherits the socket and the shim's table */
		int ok = send_to(sd, &a, body, len) == (ssize_t)len &&
			 wait_readable(sd, WAIT_MS) == 1 &&
			 recv(sd, body, sizeof(body), 0) == 19;
		_exit(ok ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(sd);
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_env),
		cmocka_unit_test(test_sendmsg_errors),
		cmocka_unit_test(test_request_reply),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_bind_connect),
		cmocka_unit_test(test_bad_mic_and_late),
		cmocka_unit_test(test_download_slow_link),
		cmocka_unit_test(test_routes_follow_control),
		cmocka_unit_test(test_passthrough),
		cmocka_unit_test(test_fork),
	};

	if (emu_preload_self(argv) < 0)
		return 1;
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, setup, teardown);
}
