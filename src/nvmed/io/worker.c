// SPDX-License-Identifier: Apache-2.0
/*
 * An I/O worker: the program nvmed execs per root I2C bus and per MCTP
 * network (wire.h: its arguments). It makes the transfers the parent
 * hands it in batches, one at a time, and answers each; blocking here
 * blocks no one else.
 *
 * Built twice: nvmed-worker-i2c (WORKER_MCTP_BUILD 0: SMBus only, libc
 * only) and nvmed-worker-mctp (WORKER_MCTP_BUILD 1: NVMe-MI, libc and
 * libnvme-mi). One program for both would map libnvme-mi and its own
 * dependencies (libdbus-1, and through it libsystemd on most
 * distributions) in every SMBus worker too: some 170 KB more dirty pages
 * in each, from their relocations alone.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"
#include "wire.h"

#if WORKER_MCTP_BUILD
#include "iowork.h"
#include "mi.h"
#define WORKER_KIND WORKER_MCTP
#else
#include "basic.h"
#define WORKER_KIND WORKER_I2C
struct mi_root;
#endif

#define BLOCK_MAX 32 /* an SMBus block */
/* open /dev/i2c-N, one per device (the address is set on the descriptor):
 * enough for every SMBus address a root bus and its muxes can hold of
 * NVMe drives, so a poll never reopens one */
#define FD_CACHE 256

struct cached_fd {
	unsigned bus;
	uint8_t addr;
	bool pec;
	int fd;
};

#if !WORKER_MCTP_BUILD
static size_t smbus_transfer(struct cached_fd *cache, size_t *n_cache,
			     const struct wire_req *q, struct wire_resp *p)
{
	struct cached_fd *c = NULL;
	size_t len = 0;

	for (size_t i = 0; i < *n_cache; i++)
		if (cache[i].bus == q->bus && cache[i].addr == q->addr &&
		    cache[i].pec == !!q->pec)
			c = &cache[i];
	if (!c) {
		if (*n_cache == FD_CACHE) {
			close(cache[0].fd);
			memmove(cache, cache + 1,
				(FD_CACHE - 1) * sizeof(*cache));
			(*n_cache)--;
		}
		c = &cache[*n_cache];
		*c = (struct cached_fd){ .bus = q->bus,
					 .addr = q->addr,
					 .pec = q->pec };
		p->r = basic_open(q->bus, q->addr, q->pec, &c->fd);
		if (p->r < 0)
			return 0;
		(*n_cache)++;
	}
	p->r = basic_read_block(c->fd, q->cmd, p->data, BLOCK_MAX, &len);
	if (p->r < 0) {
		/* reopen next time, as after any I/O error */
		close(c->fd);
		*c = cache[--(*n_cache)];
		return 0;
	}
	return len;
}

#else
/* One NVMe-MI transaction; the endpoint is reopened after a failure
 * (libnvme before 1.6 leaks a tag on every timeout). */
static size_t mi_transaction(struct mi_root *mi, struct mi_ep **eps,
			     const struct wire_req *q, struct wire_resp *p)
{
	struct mi_ep **ep = &eps[q->eid];
	size_t len = q->len;

	if (q->fresh)
		*ep = mi_close(*ep);
	if (!*ep) {
		p->r = mi_open(mi, q->bus, q->eid, ep);
		if (p->r < 0)
			return 0;
	}
	switch (q->op - OP_MI) {
	case IOWORK_MI_SUBSYS_INFO:
		p->r = mi_read_subsys_info(*ep, p->data, len);
		break;
	case IOWORK_MI_HEALTH:
		p->r = mi_health_poll(*ep, p->data, len);
		break;
	case IOWORK_MI_IDENTIFY:
		p->r = mi_identify_ctrl(*ep, p->data, len);
		break;
	case IOWORK_MI_SMART:
		p->r = mi_smart_log(*ep, p->data, len);
		break;
	default:
		p->r = -EOPNOTSUPP;
		return 0;
	}
	if (p->r < 0)
		*ep = mi_close(*ep);
	return p->r == 0 ? len : 0;
}

/* One Admin command: dout is the data to the drive, after the request. */
static size_t admin_transaction(struct mi_root *mi, struct mi_ep **eps,
				const struct wire_req *q, const uint8_t *dout,
				struct wire_resp *p)
{
	struct mi_ep **ep = &eps[q->eid];
	size_t len = q->dout_len ? q->dout_len : q->len;

	if (q->fresh)
		*ep = mi_close(*ep);
	if (!*ep) {
		p->r = mi_open(mi, q->bus, q->eid, ep);
		if (p->r < 0)
			return 0;
	}
	if (q->dout_len)
		memcpy(p->data, dout, q->dout_len);
	p->r = mi_admin(*ep, &q->admin, p->data, len);
	if (p->r < 0)
		*ep = mi_close(*ep);
	return p->r == 0 && !q->dout_len ? len : 0;
}

#endif

static bool request_valid(const struct wire_req *q, size_t n)
{
#if !WORKER_MCTP_BUILD
	return q->op == OP_SMBUS_BLOCK_READ && n == sizeof(*q);
#else
	if (q->op == OP_ADMIN)
		return n == sizeof(*q) + q->dout_len &&
		       q->dout_len <= REPLY_MAX && q->len <= REPLY_MAX &&
		       !(q->dout_len && q->len);
	return n == sizeof(*q) && q->op >= OP_MI &&
	       q->op <= OP_MI + IOWORK_MI_SMART && q->len > 0 &&
	       q->len <= REPLY_MAX;
#endif
}

/* The batch's next request at *at, of the n bytes in: its struct and
 * its data to the drive; false when malformed. */
static bool next_request(const uint8_t *in, size_t n, size_t *at,
			 struct wire_req *q, const uint8_t **dout)
{
	if (n - *at < sizeof(*q))
		return false;
	memcpy(q, in + *at, sizeof(*q));
	*at += sizeof(*q);
	if (q->dout_len > n - *at)
		return false;
	*dout = in + *at;
	*at += q->dout_len;
	return request_valid(q, sizeof(*q) + q->dout_len);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000ULL +
	       (uint64_t)ts.tv_nsec / 1000ULL;
}

/* Serve batches on sock until nvmed closes it: each request in turn,
 * each answered as soon as it is done (wire.h). */
static _Noreturn void worker_loop(int sock, struct mi_root *mi)
{
#if !WORKER_MCTP_BUILD
	struct cached_fd cache[FD_CACHE];
	size_t n_cache = 0;
#else
	struct mi_ep *eps[MAX_EID] = { 0 };
#endif
	static struct wire_resp p;
	static uint8_t in[WIRE_BATCH_BYTES];

	for (;;) {
		struct wire_batch hdr;
		size_t at = sizeof(hdr);
		ssize_t n;

		n = recv(sock, in, sizeof(in), 0);
		if (n == 0)
			_exit(0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(hdr))
			_exit(1);
		memcpy(&hdr, in, sizeof(hdr));
		if (hdr.n == 0 || hdr.n > WIRE_BATCH_MAX)
			_exit(1);
		for (uint32_t i = 0; i < hdr.n; i++) {
			const uint8_t *dout;
			struct wire_req q;
			size_t len;

			if (!next_request(in, (size_t)n, &at, &q, &dout))
				_exit(1);
			p.id = q.id;
			p.r = 0;
#if !WORKER_MCTP_BUILD
			(void)mi;
			(void)dout;
			len = smbus_transfer(cache, &n_cache, &q, &p);
#else
			if (q.op == OP_ADMIN)
				len = admin_transaction(mi, eps, &q, dout, &p);
			else
				len = mi_transaction(mi, eps, &q, &p);
#endif
			p.len = (uint32_t)len;
			p.end_usec = now_usec();
			while (send(sock, &p, WIRE_RESP_HDR + len,
				    MSG_NOSIGNAL) < 0)
				if (errno != EINTR)
					_exit(1);
		}
		if (at != (size_t)n)
			_exit(1);
	}
}

/* An unsigned argument, or exit: nvmed wrote it (wire.h). */
static unsigned arg_uint(const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v > max) {
		fprintf(stderr, "<3>nvmed I/O worker: bad argument '%s'\n",
			arg);
		_exit(2);
	}
	return (unsigned)v;
}

static void usage_exit(void)
{
	fprintf(stderr,
		"<3>nvmed I/O worker: started by nvmed only, as\n"
		"  NAME %s KEY PPID%s\n"
		"with its socket on descriptor %d\n",
		WORKER_KIND_NAME(WORKER_KIND),
		WORKER_KIND == WORKER_MCTP ?
			" TIMEOUT_MS MPRT_MAX_MS LOG_LEVEL" :
			"",
		WORKER_FD);
	_exit(2);
}

int main(int argc, char *argv[])
{
	struct mi_root *mi = NULL;
	unsigned key;
	pid_t ppid;
	char name[16];
	sigset_t all;

	if (argc != (WORKER_KIND == WORKER_MCTP ? 7 : 4) ||
	    strcmp(argv[1], WORKER_KIND_NAME(WORKER_KIND)) != 0)
		usage_exit();
	key = arg_uint(argv[2], UINT_MAX);
	ppid = (pid_t)arg_uint(argv[3], INT_MAX);
	/* Set by nvmed's child before the exec too; prctl(2): cleared by an
	 * execve that changes credentials, so set again. A parent that is
	 * not nvmed (init, a subreaper) means nvmed died in between. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != ppid)
		_exit(0);
	snprintf(name, sizeof(name), "nvmed-%s-%u",
		 WORKER_KIND_NAME(WORKER_KIND), key);
	(void)prctl(PR_SET_NAME, name);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	sandbox_close_others(WORKER_FD);
	if (sandbox_worker_caps() < 0)
		_exit(1);
#if WORKER_MCTP_BUILD
	{
		unsigned timeout_ms = arg_uint(argv[4], 3600000);
		unsigned mprt_ms = arg_uint(argv[5], 3600000);
		int level = (int)arg_uint(argv[6], LOG_DEBUG);

		if (mi_root_new(timeout_ms, mprt_ms, level, &mi) < 0) {
			fprintf(stderr,
				"<3>%s: cannot create a libnvme-mi "
				"root\n",
				name);
			_exit(1);
		}
	}
#endif
	sandbox_confine();
	worker_loop(WORKER_FD, mi);
}
