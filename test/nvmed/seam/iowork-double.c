// SPDX-License-Identifier: Apache-2.0
/*
 * A scripted double of nvmed's I/O workers (iowork.h), for the seam
 * tests: see seam.h. One set at a time (the daemon makes one).
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iowork.h"
#include "seam.h"

struct iowork_req {
	struct seam_req rec;
	struct iowork_set *s;
	struct iowork_req *next; /* the set's queue, oldest first */
	iowork_done_t done;
	void *userdata;
	sd_event_source *defer; /* the scripted reply, due */
	int r;
	uint8_t *data;
	size_t data_len;
};

struct iowork_set {
	sd_event *event;
	struct iowork_req *queue;
	unsigned asked, cancelled;
	struct iowork_stats stats;
};

static struct iowork_set *the_set;

struct iowork_set *seam_set(void)
{
	return the_set;
}

int iowork_set_new(sd_event *event, struct mi_root *mi, struct iowork_set **ret)
{
	struct iowork_set *s;

	assert(!the_set);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->event = sd_event_ref(event);
	the_set = s;
	*ret = s;
	return 0;
}

static void unlink_req(struct iowork_req *q)
{
	for (struct iowork_req **p = &q->s->queue; *p; p = &(*p)->next) {
		if (*p == q) {
			*p = q->next;
			break;
		}
	}
}

static void req_free(struct iowork_req *q)
{
	unlink_req(q);
	sd_event_source_disable_unref(q->defer);
	free(q->rec.dout);
	free(q->data);
	free(q);
}

struct iowork_set *iowork_set_free(struct iowork_set *s)
{
	if (!s)
		return NULL;
	while (s->queue)
		req_free(s->queue);
	sd_event_unref(s->event);
	if (the_set == s)
		the_set = NULL;
	free(s);
	return NULL;
}

static int enqueue(struct iowork_set *s, const struct seam_req *rec,
		   iowork_done_t done, void *userdata, struct iowork_req **ret)
{
	struct iowork_req *q = calloc(1, sizeof(*q)), **p;

	if (!q)
		return -ENOMEM;
	q->rec = *rec;
	q->rec.seq = ++s->asked;
	q->s = s;
	q->done = done;
	q->userdata = userdata;
	for (p = &s->queue; *p; p = &(*p)->next)
		;
	*p = q;
	s->stats.transfers++;
	if (ret)
		*ret = q;
	return 0;
}

int iowork_smbus_block_read(struct iowork_set *s, unsigned root, unsigned bus,
			    uint8_t addr, bool pec, uint8_t cmd,
			    unsigned timeout_ms, iowork_done_t done,
			    void *userdata, struct iowork_req **ret)
{
	struct seam_req rec = {
		.kind = SEAM_SMBUS,
		.root = root,
		.bus = bus,
		.addr = addr,
		.pec = pec,
		.cmd = cmd,
		.timeout_ms = timeout_ms,
	};

	return enqueue(s, &rec, done, userdata, ret);
}

int iowork_mi(struct iowork_set *s, uint32_t net, uint8_t eid,
	      enum iowork_mi_op op, size_t len, bool fresh, unsigned timeout_ms,
	      iowork_done_t done, void *userdata, struct iowork_req **ret)
{
	struct seam_req rec = {
		.kind = SEAM_MI,
		.net = net,
		.eid = eid,
		.op = op,
		.len = len,
		.fresh = fresh,
		.timeout_ms = timeout_ms,
	};

	if (len > 4096)
		return -EINVAL;
	return enqueue(s, &rec, done, userdata, ret);
}

int iowork_admin(struct iowork_set *s, uint32_t net, uint8_t eid,
		 const struct mi_admin_cmd *cmd, const void *dout,
		 size_t dout_len, size_t din_len, iowork_done_t done,
		 void *userdata, struct iowork_req **ret)
{
	struct seam_req rec = {
		.kind = SEAM_ADMIN,
		.net = net,
		.eid = eid,
		.len = din_len,
		.timeout_ms = cmd->timeout_ms,
		.admin = *cmd,
		.dout_len = dout_len,
	};
	int r;

	if (dout_len > 4096 || din_len > 4096)
		return -EINVAL;
	if (dout_len) {
		rec.dout = malloc(dout_len);
		if (!rec.dout)
			return -ENOMEM;
		memcpy(rec.dout, dout, dout_len);
	}
	r = enqueue(s, &rec, done, userdata, ret);
	if (r < 0)
		free(rec.dout);
	return r;
}

void iowork_cancel(struct iowork_req *q)
{
	if (!q)
		return;
	q->s->cancelled++;
	req_free(q);
}

void iowork_get_stats(const struct iowork_set *s, struct iowork_stats *ret)
{
	*ret = s->stats;
}

/* ---- the test's side ---------------------------------------------------- */

static struct iowork_req *req_of(struct seam_req *rec)
{
	return (struct iowork_req *)((char *)rec -
				     offsetof(struct iowork_req, rec));
}

struct seam_req *seam_peek(void)
{
	if (!the_set)
		return NULL;
	for (struct iowork_req *q = the_set->queue; q; q = q->next)
		if (!q->defer)
			return &q->rec;
	return NULL;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

struct seam_req *seam_wait(sd_event *e, unsigned timeout_ms)
{
	uint64_t end = now_usec() + timeout_ms * 1000ull;
	struct seam_req *q;

	while (!(q = seam_peek())) {
		uint64_t now = now_usec();

		if (now >= end)
			return NULL;
		if (sd_event_run(e, end - now) < 0)
			return NULL;
	}
	return q;
}

void seam_settle(sd_event *e)
{
	for (;;) {
		bool due = false;

		for (struct iowork_req *q = the_set ? the_set->queue : NULL; q;
		     q = q->next)
			due |= q->defer != NULL;
		if (!due || sd_event_run(e, 100 * 1000) < 0)
			return;
	}
}

void seam_run_for(sd_event *e, unsigned ms)
{
	uint64_t end = now_usec() + ms * 1000ull;
	uint64_t now;

	while ((now = now_usec()) < end)
		if (sd_event_run(e, end - now) < 0)
			return;
}

/* The worker's reply arrives: the request is gone when done runs. */
static int reply_cb(sd_event_source *es, void *userdata)
{
	struct iowork_req *q = userdata;
	iowork_done_t done = q->done;
	void *ud = q->userdata;
	uint8_t *data = q->data;
	size_t len = q->data_len;
	int r = q->r;

	q->data = NULL;
	if (r == -ETIME)
		q->s->stats.timeouts++;
	else if (r == -ECONNRESET)
		q->s->stats.restarts++;
	req_free(q);
	done(r, data, len, ud);
	free(data);
	return 0;
}

void seam_reply(struct seam_req *rec, int r, const void *data, size_t len)
{
	struct iowork_req *q = req_of(rec);
	int rc;

	assert(!q->defer);
	q->r = r;
	if (len) {
		q->data = malloc(len);
		assert(q->data);
		memcpy(q->data, data, len);
		q->data_len = len;
	}
	rc = sd_event_add_defer(q->s->event, &q->defer, reply_cb, q);
	assert(rc >= 0);
	rc = sd_event_source_set_enabled(q->defer, SD_EVENT_ONESHOT);
	assert(rc >= 0);
	(void)rc;
}

unsigned seam_asked(void)
{
	return the_set ? the_set->asked : 0;
}

unsigned seam_cancelled(void)
{
	return the_set ? the_set->cancelled : 0;
}
