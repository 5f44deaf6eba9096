// SPDX-License-Identifier: Apache-2.0
/*
 * Carrying out the reconciler's decisions (drives.h). Each drive made
 * here has a slot with a copy of the configuration it was made (or last
 * updated) from, which is what the reconciler compares the wanted one
 * with; a wanted drive that was refused has a slot too, without a drive,
 * so that a refusal is logged once, not at every pass.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drive.h"
#include "drives.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "mctpd.h"
#include "records.h"

struct drive_slot {
	struct drive_slot *next;
	struct drive *d; /* NULL: refused */
	struct drive_config cfg; /* the strings and th below */
	struct threshold_set th;
	char *name, *config_path, *board, *endpoint;
};

struct drive_slots {
	struct drive_slot *list;
	bool busy, again;
};

static struct drive_slots *slots_of(struct manager *m)
{
	if (!m->slots)
		m->slots = calloc(1, sizeof(*m->slots));
	return m->slots;
}

/* No slot left: nothing to keep (a manager that made no drive here, as
 * the seam tests' own, owes nothing at exit). */
static void slots_release(struct manager *m)
{
	if (m->slots && !m->slots->list && !m->slots->busy) {
		free(m->slots);
		m->slots = NULL;
	}
}

static void slot_strings_free(struct drive_slot *s)
{
	free(s->name);
	free(s->config_path);
	free(s->board);
	free(s->endpoint);
	s->name = s->config_path = s->board = s->endpoint = NULL;
}

/* The slot's configuration becomes a copy of cfg. */
static int slot_set(struct drive_slot *s, const struct drive_config *cfg)
{
	struct drive_slot n = { 0 };

	n.name = strdup(cfg->name);
	n.config_path = strdup(cfg->config_path);
	n.board = cfg->board ? strdup(cfg->board) : NULL;
	n.endpoint = cfg->endpoint ? strdup(cfg->endpoint) : NULL;
	if (!n.name || !n.config_path || (cfg->board && !n.board) ||
	    (cfg->endpoint && !n.endpoint)) {
		slot_strings_free(&n);
		return -ENOMEM;
	}
	slot_strings_free(s);
	memcpy(&s->cfg, cfg, sizeof(s->cfg));
	s->name = n.name;
	s->config_path = n.config_path;
	s->board = n.board;
	s->endpoint = n.endpoint;
	s->cfg.name = s->name;
	s->cfg.config_path = s->config_path;
	s->cfg.board = s->board;
	s->cfg.endpoint = s->endpoint;
	if (cfg->thresholds) {
		s->th = *cfg->thresholds;
		s->cfg.thresholds = &s->th;
	}
	return 0;
}

static void slot_unlink(struct drive_slots *set, struct drive_slot *s)
{
	for (struct drive_slot **p = &set->list; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			return;
		}
}

/* The slot and its drive go. */
static void slot_free(struct drive_slots *set, struct drive_slot *s)
{
	slot_unlink(set, s);
	drive_free(s->d);
	slot_strings_free(s);
	free(s);
}

static const char *record_type(const struct drive_config *c)
{
	return c->origin == DRIVE_FROM_JSON ? "NVMeMI" : "NVME1000";
}

/* How the logs name a wanted drive. */
static char *what(const struct drive_config *c)
{
	char *s = NULL;
	int r;

	switch (c->origin) {
	case DRIVE_FROM_PNVME:
		r = asprintf(&s,
			     "phosphor-nvme drive '%s' (config entry "
			     "NVMeDriveIndex %s)",
			     c->name, c->name + strlen("nvme"));
		break;
	case DRIVE_FROM_ENDPOINT:
		r = asprintf(&s, "mctpd endpoint %s (configured by '%s')",
			     c->endpoint, c->config_path);
		break;
	default:
		r = asprintf(&s, "%s record '%s' (%s)", record_type(c), c->name,
			     c->config_path);
		break;
	}
	return r < 0 ? NULL : s;
}

static void log_refusal(const struct drive_config *c, enum rc_why why,
			const struct drive_config *o)
{
	_cleanup_free_ char *w = what(c);

	if (!w) {
		log_oom();
		return;
	}
	switch (why) {
	case RC_WHY_DEVICE:
		if (o->i2c_bus == c->i2c_bus)
			log_error_errno(-EADDRINUSE,
					"%s: I2C bus %u address 0x%02x is "
					"already drive '%s' (%s); ignored",
					w, c->i2c_bus, c->i2c_addr, o->name,
					o->config_path);
		else
			log_error_errno(-EADDRINUSE,
					"%s: I2C bus %u address 0x%02x is the "
					"device of drive '%s' (%s) at bus %u "
					"address 0x%02x (bus %u is behind a "
					"mux on bus %u, which reaches both); "
					"ignored",
					w, c->i2c_bus, c->i2c_addr, o->name,
					o->config_path, o->i2c_bus, c->i2c_addr,
					c->root_bus == c->i2c_bus ? o->i2c_bus :
								    c->i2c_bus,
					c->root_bus == c->i2c_bus ?
						c->i2c_bus :
						c->root_bus);
		break;
	case RC_WHY_NAME:
		if (c->origin == DRIVE_FROM_ENDPOINT)
			log_error_errno(-EEXIST, "%s: cannot add drive '%s'", w,
					c->name);
		else if (c->origin == DRIVE_FROM_PNVME)
			log_error_errno(-EEXIST,
					"%s: cannot add (name in use); "
					"ignored",
					w);
		else
			log_error_errno(-EEXIST,
					"%s: another drive already has this "
					"name; ignored",
					w);
		break;
	case RC_WHY_DUPLICATE:
		log_error("%s: another record has this path; ignored", w);
		break;
	default:
		/* an endpoint a configured drive has is that drive: quiet */
		break;
	}
}

static void log_removal(const struct drive_slot *s, enum rc_why why,
			const struct drive_config *o)
{
	const struct drive *d = s->d;

	if (why == RC_WHY_RECORD)
		log_info("Drive '%s': endpoint net %u EID %u taken over from "
			 "drive '%s' (configured by '%s')",
			 o->name, d->net, d->eid, d->name, d->config_path);
	else if (why == RC_WHY_NAME)
		log_info("Drive '%s' (endpoint %s) gives way to the %s record "
			 "'%s' (%s) of the same name",
			 d->name, s->endpoint, record_type(o), o->name,
			 o->config_path);
	else if (s->cfg.origin == DRIVE_FROM_ENDPOINT)
		log_info("Drive '%s': endpoint %s %s", d->name, s->endpoint,
			 why == RC_WHY_CHANGED ? "changed" : "is gone");
	else if (s->cfg.origin == DRIVE_FROM_PNVME)
		log_info("Drive '%s': phosphor-nvme entry removed", d->name);
	else
		log_info("Drive '%s': record %s %s", d->name, s->config_path,
			 why == RC_WHY_CHANGED ? "changed; rebuilt" :
						 "removed");
}

/* Start what the new drive's transport needs. */
static void drive_start(struct manager *m, struct drive *d,
			const struct drive_config *c)
{
	switch (c->origin) {
	case DRIVE_FROM_BASIC:
	case DRIVE_FROM_PNVME:
		drive_power_update(d);
		drive_start_basic(d, c->i2c_bus, c->i2c_addr, c->pec);
		break;
	case DRIVE_FROM_RECORD:
		drive_power_update(d);
		(void)mctpd_setup_endpoint(m->mctpd, d);
		break;
	case DRIVE_FROM_JSON:
		drive_power_update(d);
		(void)drives_set_endpoint(m, d, c->net, c->eid);
		break;
	case DRIVE_FROM_ENDPOINT:
		if (mctpd_endpoint_drive(m->mctpd, d, c->endpoint) >= 0)
			(void)drives_set_endpoint(m, d, c->net, c->eid);
		break;
	}
}

static int create(struct manager *m, struct drive_slots *set,
		  const struct drive_config *c)
{
	_cleanup_free_ char *w = what(c);
	struct drive_slot *s;
	struct drive *d;
	int r;

	if (!w)
		return log_oom();
	s = calloc(1, sizeof(*s));
	if (!s || slot_set(s, c) < 0) {
		free(s);
		return log_oom();
	}
	r = drive_new(m, c, &d);
	if (r < 0) {
		slot_strings_free(s);
		free(s);
		return log_error_errno(r, "%s: cannot add drive", w);
	}
	s->d = d;
	s->next = set->list;
	set->list = s;
	if (c->origin != DRIVE_FROM_ENDPOINT && c->origin != DRIVE_FROM_PNVME)
		log_info("%s: drive added", w);
	drive_start(m, d, c);
	return 0;
}

static void update(struct drive_slot *s, const struct drive_config *c)
{
	bool th = drive_config_thresholds_differ(&s->cfg, c);
	bool poll = drive_config_poll_differs(&s->cfg, c);

	/* a new record handle alone: the same values, taken quietly */
	if (th || s->cfg.record != c->record) {
		struct threshold_set none;

		threshold_set_init(&none);
		drive_update_thresholds(s->d, c->record, !!c->thresholds,
					c->thresholds ? c->thresholds : &none,
					c->th_index);
		if (th)
			log_info("Drive '%s': thresholds updated from '%s'",
				 s->d->name, c->config_path);
	}
	if (poll)
		drive_set_poll(s->d, c->poll_ms, c->window);
	if (slot_set(s, c) < 0)
		log_oom();
}

/* The drives there are, as the reconciler sees them; slots[i] is cur[i]'s. */
static size_t current(struct drive_slots *set, struct rc_drive **ret_cur,
		      struct drive_slot ***ret_slots)
{
	size_t n = 0, i = 0;
	struct rc_drive *cur;
	struct drive_slot **slots;

	for (struct drive_slot *s = set->list; s; s = s->next)
		n += s->d != NULL;
	cur = calloc(n + 1, sizeof(*cur));
	slots = calloc(n + 1, sizeof(*slots));
	if (!cur || !slots) {
		free(cur);
		free(slots);
		return (size_t)-1;
	}
	for (struct drive_slot *s = set->list; s; s = s->next) {
		if (!s->d)
			continue;
		cur[i].cfg = s->cfg;
		cur[i].have_endpoint = s->d->have_endpoint;
		cur[i].net = s->d->net;
		cur[i].eid = s->d->eid;
		slots[i++] = s;
	}
	*ret_cur = cur;
	*ret_slots = slots;
	return n;
}

static struct drive_slot *refused_at(struct drive_slots *set,
				     const struct drive_config *c)
{
	for (struct drive_slot *s = set->list; s; s = s->next)
		if (!s->d && s->cfg.origin == c->origin &&
		    strcmp(s->config_path, c->config_path) == 0 &&
		    (c->origin != DRIVE_FROM_ENDPOINT ||
		     strcmp(s->endpoint, c->endpoint) == 0))
			return s;
	return NULL;
}

static void refuse(struct drive_slots *set, const struct drive_config *c,
		   enum rc_why why, const struct drive_config *o,
		   struct drive_slot **refused)
{
	struct drive_slot *s = refused_at(set, c);

	/* refused before, as it is: said already */
	if (!s || drive_config_diff(&s->cfg, c) != DRIVE_CONFIG_SAME)
		log_refusal(c, why, o);
	if (s)
		slot_unlink(set, s);
	else
		s = calloc(1, sizeof(*s));
	if (!s || slot_set(s, c) < 0) {
		if (s)
			slot_strings_free(s);
		free(s);
		log_oom();
		return;
	}
	s->next = *refused;
	*refused = s;
}

static void pass(struct manager *m, struct drive_slots *set)
{
	struct drive_wants w = { 0 };
	struct drive_slot **slots = NULL, *refused = NULL;
	struct rc_drive *cur = NULL;
	struct rc_action *acts = NULL;
	void *work = NULL;
	bool partial = false;
	size_t n_cur, n;

	if (records_wants(m, &w) < 0 ||
	    mctpd_wants(m->mctpd, &w, &partial) < 0) {
		log_oom();
		goto out;
	}
	for (size_t i = 0; i < w.n; i++)
		w.v[i].cfg.thresholds = w.v[i].has_th ? &w.v[i].th : NULL;
	n_cur = current(set, &cur, &slots);
	if (n_cur == (size_t)-1) {
		log_oom();
		goto out;
	}
	acts = calloc(n_cur + w.n + 1, sizeof(*acts));
	work = malloc(rc_work_size(n_cur, w.n));
	if (!acts || !work) {
		log_oom();
		goto out;
	}
	{
		/* the wanted configs are spread in struct drive_want: copy */
		struct drive_config *want = calloc(w.n + 1, sizeof(*want));

		if (!want) {
			log_oom();
			goto out;
		}
		for (size_t i = 0; i < w.n; i++)
			memcpy(&want[i], &w.v[i].cfg, sizeof(want[i]));
		n = rc_reconcile(cur, n_cur, want, w.n, partial, work, acts);
		for (size_t i = 0; i < n; i++) {
			const struct rc_action *a = &acts[i];
			struct drive_slot *s =
				a->cur != RC_NONE ? slots[a->cur] : NULL;

			if (a->cur != RC_NONE && !s)
				continue; /* gone meanwhile */
			switch (a->verb) {
			case RC_KEEP:
				break;
			case RC_UPDATE:
				update(s, &want[a->want]);
				break;
			case RC_REMOVE:
				log_removal(s, a->why, a->other);
				slots[a->cur] = NULL;
				slot_free(set, s);
				break;
			case RC_CREATE:
				(void)create(m, set, &want[a->want]);
				break;
			case RC_REFUSE:
				refuse(set, &want[a->want], a->why, a->other,
				       &refused);
				break;
			}
		}
		free(want);
	}
	/* what is refused now replaces what was */
	for (struct drive_slot *s = set->list, *next; s; s = next) {
		next = s->next;
		if (!s->d)
			slot_free(set, s);
	}
	while (refused) {
		struct drive_slot *s = refused;

		refused = s->next;
		s->next = set->list;
		set->list = s;
	}
out:
	free(work);
	free(acts);
	free(cur);
	free(slots);
	drive_wants_clear(&w);
}

void drives_reconcile(struct manager *m)
{
	struct drive_slots *set = slots_of(m);

	if (!set) {
		log_oom();
		return;
	}
	/* a drive's hooks may ask again: once more when done */
	if (set->busy) {
		set->again = true;
		return;
	}
	set->busy = true;
	do {
		set->again = false;
		pass(m, set);
	} while (set->again);
	set->busy = false;
	slots_release(m);
}

int drives_set_endpoint(struct manager *m, struct drive *d, uint32_t net,
			uint8_t eid)
{
	struct drive_slots *set = slots_of(m);
	bool took = false;
	int r;

	for (;;) {
		struct drive_slot **slots = NULL;
		struct rc_drive *cur = NULL;
		size_t n, i, other = RC_NONE;
		enum rc_claim claim = RC_CLAIM_OK;

		if (!set)
			return log_oom();
		n = current(set, &cur, &slots);
		if (n == (size_t)-1)
			return log_oom();
		for (i = 0; i < n && slots[i]->d != d; i++)
			;
		if (i < n)
			claim = rc_endpoint_claim(cur, n, i, net, eid, &other);
		if (claim == RC_CLAIM_TAKEOVER) {
			struct drive *o = slots[other]->d;

			log_info("Drive '%s': endpoint net %u EID %u taken "
				 "over from drive '%s' (configured by '%s')",
				 d->name, net, eid, o->name, o->config_path);
			slot_free(set, slots[other]);
		}
		free(cur);
		free(slots);
		if (claim == RC_CLAIM_REFUSED) {
			struct drive *o = drive_find_by_endpoint(m, net, eid);

			return log_error_errno(-EADDRINUSE,
					       "Drive '%s': endpoint net %u "
					       "EID %u is already drive '%s'; "
					       "ignored",
					       d->name, net, eid,
					       o ? o->name : "?");
		}
		if (claim == RC_CLAIM_OK)
			break;
		took = true;
	}
	slots_release(m);
	r = drive_set_endpoint(d, net, eid);
	/* what the endpoint drive kept out may come in now */
	if (took)
		drives_reconcile(m);
	return r;
}

void drives_free_all(struct manager *m)
{
	struct drive_slots *set = m->slots;

	while (set && set->list)
		slot_free(set, set->list);
	free(set);
	m->slots = NULL;
	while (m->drives)
		drive_free(m->drives);
}
