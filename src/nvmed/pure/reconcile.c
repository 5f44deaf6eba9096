// SPDX-License-Identifier: Apache-2.0
/*
 * The drive reconciler (reconcile.h): pure, no allocation.
 */
#include <stdlib.h>
#include <string.h>

#include "macros.h"

#include "reconcile.h"

void drive_config_init(struct drive_config *c)
{
	memset(c, 0, sizeof(*c));
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		c->th_index[k] = -1;
}

static bool same_string(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool same_thresholds(const struct drive_config *a,
			    const struct drive_config *b)
{
	if (!a->thresholds || !b->thresholds)
		return a->thresholds == b->thresholds;
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		const struct threshold *x = &a->thresholds->t[k];
		const struct threshold *y = &b->thresholds->t[k];

		/* NaN is "none": alike */
		if (!(x->value == y->value ||
		      (x->value != x->value && y->value != y->value)))
			return false;
		if (x->hysteresis != y->hysteresis)
			return false;
		if (a->th_index[k] != b->th_index[k])
			return false;
	}
	return true;
}

bool drive_config_poll_differs(const struct drive_config *a,
			       const struct drive_config *b)
{
	return a->poll_ms != b->poll_ms || a->window != b->window;
}

bool drive_config_thresholds_differ(const struct drive_config *a,
				    const struct drive_config *b)
{
	return !same_thresholds(a, b);
}

enum drive_config_change drive_config_diff(const struct drive_config *a,
					   const struct drive_config *b)
{
	bool rebuild = false, in_place = false;

	/* each field as its line in DRIVE_CONFIG_FIELDS says; a member at a
	 * time, never the whole struct (its padding is unspecified) */
	/* clang-format off */
#define DC_REBUILD(f)	 rebuild |= memcmp(&a->f, &b->f, sizeof(a->f)) != 0
#define DC_IN_PLACE(f)	 in_place |= memcmp(&a->f, &b->f, sizeof(a->f)) != 0
#define DC_STRING(f)	 rebuild |= !same_string(a->f, b->f)
#define DC_THRESHOLDS(f) in_place |= !same_thresholds(a, b)
#define DRIVE_CONFIG_COMPARE(type, field, dim, how) how(field);
	DRIVE_CONFIG_FIELDS(DRIVE_CONFIG_COMPARE)
#undef DRIVE_CONFIG_COMPARE
#undef DC_REBUILD
#undef DC_IN_PLACE
#undef DC_STRING
#undef DC_THRESHOLDS
	/* clang-format on */
	if (rebuild)
		return DRIVE_CONFIG_REBUILD;
	return in_place ? DRIVE_CONFIG_IN_PLACE : DRIVE_CONFIG_SAME;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

/* As emc_escaped_equal(): escaping is one to one on sanitised names. */
bool rc_names_clash(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if ((is_alnum(x) ? x : '_') != (is_alnum(y) ? y : '_'))
			return false;
	}
	return !*a && !*b;
}

static bool is_basic(const struct drive_config *c)
{
	return c->origin == DRIVE_FROM_BASIC || c->origin == DRIVE_FROM_PNVME;
}

/* One device: the same bus, or a device on a mux's root bus, which
 * answers through every channel of it. */
static bool same_device(const struct drive_config *a,
			const struct drive_config *b)
{
	return is_basic(a) && is_basic(b) && a->i2c_addr == b->i2c_addr &&
	       (a->i2c_bus == b->i2c_bus || a->i2c_bus == b->root_bus ||
		a->root_bus == b->i2c_bus);
}

/* The key a drive is matched by: its record's path, or an endpoint
 * drive's mctpd object. */
static bool same_key(const struct drive_config *a, const struct drive_config *b)
{
	bool ea = a->origin == DRIVE_FROM_ENDPOINT;
	bool eb = b->origin == DRIVE_FROM_ENDPOINT;

	if (ea != eb)
		return false;
	return ea ? same_string(a->endpoint, b->endpoint) :
		    same_string(a->config_path, b->config_path);
}

/* A drive there, or to be made, as the precedence rules see it: the
 * endpoint it polls, if known; for a drive there, its index in cur. */
struct holder {
	const struct drive_config *cfg;
	bool have_endpoint;
	uint32_t net;
	uint8_t eid;
	bool gone; /* an endpoint drive that yielded to a record */
	size_t cur;
};

static struct holder holder_of(const struct drive_config *c,
			       const struct rc_drive *d, size_t cur)
{
	struct holder h = { .cfg = c, .cur = cur };

	if (d && d->have_endpoint) {
		h.have_endpoint = true;
		h.net = d->net;
		h.eid = d->eid;
	} else if (c->origin == DRIVE_FROM_JSON ||
		   c->origin == DRIVE_FROM_ENDPOINT) {
		h.have_endpoint = true;
		h.net = c->net;
		h.eid = c->eid;
	}
	return h;
}

/* Is the configured drive r the device of endpoint drive e: e is
 * configured_by r's NVME1000 mi_i2c record, or at the endpoint r polls? */
static bool owns(const struct holder *r, const struct holder *e)
{
	if (r->cfg->origin == DRIVE_FROM_ENDPOINT ||
	    e->cfg->origin != DRIVE_FROM_ENDPOINT)
		return false;
	if (r->cfg->origin == DRIVE_FROM_RECORD &&
	    same_string(r->cfg->config_path, e->cfg->config_path))
		return true;
	return r->have_endpoint && e->have_endpoint && r->net == e->net &&
	       r->eid == e->eid;
}

static const struct drive_config *
owner(const struct holder *e, const struct holder *live, size_t n_live)
{
	for (size_t i = 0; i < n_live; i++)
		if (!live[i].gone && owns(&live[i], e))
			return live[i].cfg;
	return NULL;
}

/* Why h may not be made beside the live drives; *other: the one in the
 * way. A configured drive is not in the way of an endpoint drive: that
 * yields to it (yield_to()). */
static enum rc_why clash(const struct holder *h, const struct holder *live,
			 size_t n_live, const struct drive_config **other)
{
	bool ep = h->cfg->origin == DRIVE_FROM_ENDPOINT;

	if (ep) {
		*other = owner(h, live, n_live);
		if (*other)
			return RC_WHY_RECORD;
	}
	for (size_t i = 0; i < n_live; i++) {
		if (live[i].gone ||
		    (!ep && live[i].cfg->origin == DRIVE_FROM_ENDPOINT))
			continue;
		if (same_device(live[i].cfg, h->cfg)) {
			*other = live[i].cfg;
			return RC_WHY_DEVICE;
		}
		if (rc_names_clash(live[i].cfg->name, h->cfg->name)) {
			*other = live[i].cfg;
			return RC_WHY_NAME;
		}
	}
	return RC_WHY_NONE;
}

static struct rc_action act(enum rc_verb verb, enum rc_why why, size_t cur,
			    size_t want, const struct drive_config *other)
{
	return (struct rc_action){ verb, why, cur, want, other };
}

size_t rc_work_size(size_t n_cur, size_t n_want)
{
	return (n_cur + n_want + 1) *
	       (sizeof(struct rc_action) + sizeof(struct holder) +
		sizeof(size_t) + 3);
}

/* The live endpoint drives that yield to the new configured drive h,
 * removed: those it owns, and those with its name. */
static size_t yield_to(const struct holder *h, struct holder *live,
		       size_t n_live, bool *stays, struct rc_action *ret,
		       size_t n)
{
	for (size_t i = 0; i < n_live; i++) {
		enum rc_why why = RC_WHY_NONE;

		if (live[i].gone || live[i].cfg->origin != DRIVE_FROM_ENDPOINT)
			continue;
		if (owns(h, &live[i]))
			why = RC_WHY_RECORD;
		else if (rc_names_clash(live[i].cfg->name, h->cfg->name))
			why = RC_WHY_NAME;
		if (why == RC_WHY_NONE)
			continue;
		live[i].gone = true;
		stays[live[i].cur] = false;
		ret[n++] = act(RC_REMOVE, why, live[i].cur, RC_NONE, h->cfg);
	}
	return n;
}

size_t rc_reconcile(const struct rc_drive *cur, size_t n_cur,
		    const struct drive_config *want, size_t n_want,
		    bool endpoints_partial, void *work, struct rc_action *ret)
{
	/* work: rc_work_size() bytes, carved by alignment */
	size_t n_all = n_cur + n_want + 1;
	struct rc_action *tail = work;
	struct holder *live = (struct holder *)(tail + n_all);
	size_t *match = (size_t *)(live + n_all);
	bool *taken = (bool *)(match + n_all), *stays = taken + n_all;
	bool *dup = stays + n_all;
	size_t n_live = 0, n = 0, n_tail = 0;

	for (size_t c = 0; c < n_cur; c++)
		taken[c] = stays[c] = false;
	/* Match each wanted drive to the drive there is at its key. */
	for (size_t w = 0; w < n_want; w++) {
		match[w] = RC_NONE;
		dup[w] = false;
		for (size_t v = 0; v < w && !dup[w]; v++)
			dup[w] = same_key(&want[v], &want[w]);
		if (dup[w])
			continue;
		for (size_t c = 0; c < n_cur; c++)
			if (!taken[c] && same_key(&cur[c].cfg, &want[w])) {
				taken[c] = true;
				match[w] = c;
				break;
			}
	}
	/* Kept or updated where the change allows it, else rebuilt. */
	for (size_t w = 0; w < n_want; w++) {
		size_t c = match[w];

		if (c == RC_NONE)
			continue;
		switch (drive_config_diff(&cur[c].cfg, &want[w])) {
		case DRIVE_CONFIG_SAME:
			tail[n_tail++] = act(RC_KEEP, RC_WHY_NONE, c, w, NULL);
			stays[c] = true;
			break;
		case DRIVE_CONFIG_IN_PLACE:
			tail[n_tail++] =
				act(RC_UPDATE, RC_WHY_NONE, c, w, NULL);
			stays[c] = true;
			break;
		case DRIVE_CONFIG_REBUILD:
			ret[n++] = act(RC_REMOVE, RC_WHY_CHANGED, c, RC_NONE,
				       NULL);
			match[w] = RC_NONE;
			break;
		}
	}
	/* No longer wanted; while the endpoints are being read, an endpoint
	 * drive stays. */
	for (size_t c = 0; c < n_cur; c++) {
		if (taken[c])
			continue;
		if (endpoints_partial &&
		    cur[c].cfg.origin == DRIVE_FROM_ENDPOINT) {
			stays[c] = true;
			tail[n_tail++] =
				act(RC_KEEP, RC_WHY_NONE, c, RC_NONE, NULL);
			continue;
		}
		ret[n++] = act(RC_REMOVE, RC_WHY_GONE, c, RC_NONE, NULL);
	}
	/* The drives that stay: the configured ones, then the endpoint
	 * drives but those that yield to one of them. */
	for (size_t c = 0; c < n_cur; c++)
		if (stays[c] && cur[c].cfg.origin != DRIVE_FROM_ENDPOINT)
			live[n_live++] = holder_of(&cur[c].cfg, &cur[c], c);
	for (size_t c = 0, n_conf = n_live; c < n_cur; c++) {
		struct holder e;
		const struct drive_config *other;

		if (!stays[c] || cur[c].cfg.origin != DRIVE_FROM_ENDPOINT)
			continue;
		e = holder_of(&cur[c].cfg, &cur[c], c);
		other = owner(&e, live, n_conf);
		if (other) {
			ret[n++] = act(RC_REMOVE, RC_WHY_RECORD, c, RC_NONE,
				       other);
			stays[c] = false;
		} else {
			live[n_live++] = e;
		}
	}
	/* Then the new ones, records first (an endpoint drive there yields
	 * to a record that owns it), each in order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t w = 0; w < n_want; w++) {
			struct holder h = holder_of(&want[w], NULL, RC_NONE);
			const struct drive_config *other = NULL;
			bool ep = want[w].origin == DRIVE_FROM_ENDPOINT;
			enum rc_why why;

			if (match[w] != RC_NONE || ep != (pass == 1))
				continue;
			if (dup[w]) {
				for (size_t v = 0; v < w && !other; v++)
					if (same_key(&want[v], &want[w]))
						other = &want[v];
				tail[n_tail++] = act(RC_REFUSE,
						     RC_WHY_DUPLICATE, RC_NONE,
						     w, other);
				continue;
			}
			why = clash(&h, live, n_live, &other);
			if (why != RC_WHY_NONE) {
				tail[n_tail++] =
					act(RC_REFUSE, why, RC_NONE, w, other);
				continue;
			}
			n = yield_to(&h, live, n_live, stays, ret, n);
			live[n_live++] = h;
			tail[n_tail++] =
				act(RC_CREATE, RC_WHY_NONE, RC_NONE, w, NULL);
		}
	/* A KEEP/UPDATE of a drive that yielded to a record: its wanted
	 * one is refused, for the record that removed it. */
	for (size_t i = 0; i < n_tail; i++) {
		struct rc_action r = act(RC_REFUSE, RC_WHY_RECORD, RC_NONE,
					 tail[i].want, NULL);

		if ((tail[i].verb != RC_KEEP && tail[i].verb != RC_UPDATE) ||
		    stays[tail[i].cur]) {
			ret[n++] = tail[i];
			continue;
		}
		if (tail[i].want == RC_NONE)
			continue;
		for (size_t j = 0; j < n; j++)
			if (ret[j].verb == RC_REMOVE &&
			    ret[j].cur == tail[i].cur) {
				r.why = ret[j].why;
				r.other = ret[j].other;
			}
		ret[n++] = r;
	}
	return n;
}

enum rc_claim rc_endpoint_claim(const struct rc_drive *cur, size_t n_cur,
				size_t i, uint32_t net, uint8_t eid,
				size_t *other)
{
	for (size_t c = 0; c < n_cur; c++) {
		if (c == i || !cur[c].have_endpoint || cur[c].net != net ||
		    cur[c].eid != eid)
			continue;
		*other = c;
		/* A configured drive wins over mctpd's view of the same
		 * device, whichever came first. */
		if (cur[c].cfg.origin == DRIVE_FROM_ENDPOINT &&
		    cur[i].cfg.origin != DRIVE_FROM_ENDPOINT)
			return RC_CLAIM_TAKEOVER;
		return RC_CLAIM_REFUSED;
	}
	return RC_CLAIM_OK;
}

struct drive_want *drive_wants_add(struct drive_wants *w)
{
	struct drive_want *e;

	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 16;
		struct drive_want *v = reallocarray(w->v, cap, sizeof(*v));

		if (!v)
			return NULL;
		w->v = v;
		w->cap = cap;
	}
	e = &w->v[w->n++];
	memset(e, 0, sizeof(*e));
	drive_config_init(&e->cfg);
	return e;
}

void drive_wants_clear(struct drive_wants *w)
{
	for (size_t i = 0; i < w->n; i++)
		for (size_t j = 0; j < ARRAY_SIZE(w->v[i].own); j++)
			free(w->v[i].own[j]);
	free(w->v);
	*w = (struct drive_wants){ 0 };
}
