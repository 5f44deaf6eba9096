// SPDX-License-Identifier: Apache-2.0
/*
 * An I/O worker: the child nvmed forks per root I2C bus and per MCTP
 * network. It makes the transfers the parent asks for, one at a time,
 * and answers each; blocking here blocks no one else.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basic.h"
#include "iowork.h"
#include "mi.h"
#include "sandbox.h"
#include "wire.h"

#define BLOCK_MAX 32 /* an SMBus block */
#define FD_CACHE  32 /* open /dev/i2c-N per device */

struct cached_fd {
	unsigned bus;
	uint8_t addr;
	bool pec;
	int fd;
};

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

static bool request_valid(enum worker_kind kind, const struct wire_req *q,
			  size_t n)
{
	if (kind == WORKER_I2C)
		return q->op == OP_SMBUS_BLOCK_READ && n == sizeof(*q);
	if (q->op == OP_ADMIN)
		return n == sizeof(*q) + q->dout_len &&
		       q->dout_len <= REPLY_MAX && q->len <= REPLY_MAX &&
		       !(q->dout_len && q->len);
	return n == sizeof(*q) && q->op >= OP_MI &&
	       q->op <= OP_MI + IOWORK_MI_SMART && q->len > 0 &&
	       q->len <= REPLY_MAX;
}

_Noreturn void worker_main(int sock, enum worker_kind kind, unsigned key,
			   struct mi_root *mi)
{
	struct cached_fd cache[FD_CACHE];
	struct mi_ep *eps[MAX_EID] = { 0 };
	static struct wire_resp p;
	static uint8_t in[sizeof(struct wire_req) + REPLY_MAX];
	size_t n_cache = 0;
	char name[16];
	sigset_t all;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	snprintf(name, sizeof(name), "nvmed-%s-%u",
		 kind == WORKER_I2C ? "i2c" : "mctp", key);
	(void)prctl(PR_SET_NAME, name);
	sigfillset(&all);
	(void)sigprocmask(SIG_SETMASK, &all, NULL);
	sandbox_close_others(sock);
	(void)sandbox_caps_effective(true);
	sandbox_confine();

	for (;;) {
		struct wire_req q;
		size_t len;
		ssize_t n;

		n = recv(sock, in, sizeof(in), 0);
		if (n == 0)
			_exit(0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < (ssize_t)sizeof(q))
			_exit(1);
		memcpy(&q, in, sizeof(q));
		if (!request_valid(kind, &q, (size_t)n))
			_exit(1);
		p.id = q.id;
		p.r = 0;
		if (kind == WORKER_I2C)
			len = smbus_transfer(cache, &n_cache, &q, &p);
		else if (q.op == OP_ADMIN)
			len = admin_transaction(mi, eps, &q, in + sizeof(q),
						&p);
		else
			len = mi_transaction(mi, eps, &q, &p);
		p.len = (uint32_t)len;
		if (send(sock, &p, WIRE_RESP_HDR + len, MSG_NOSIGNAL) < 0 &&
		    errno != EINTR)
			_exit(1);
	}
}
