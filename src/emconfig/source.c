/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every source shares: the schema filter, validation, the duplicate
 * Name rule, and reconciliation of what is seen now against what was
 * delivered, so that the JSON and D-Bus sources report alike. The kinds
 * of source (dbus.c, json.c) are reached only through their ops.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "internal.h"
#include "log.h"

int emc_source_alloc(const struct emc_source_ops *ops, sd_event *event,
		     const struct emc_schema *const *schemas,
		     emc_handler_t handler, void *userdata,
		     struct emc_source **ret)
{
	struct emc_source *s;

	assert(ops);
	assert(ops->size >= sizeof(*s));
	assert(event);
	assert(schemas);
	assert(handler);
	assert(ret);

	s = calloc(1, ops->size);
	if (!s)
		return -ENOMEM;
	s->ops = ops;
	s->event = sd_event_ref(event);
	s->schemas = schemas;
	s->handler = handler;
	s->userdata = userdata;
	*ret = s;
	return 0;
}

static void records_drop(struct emc_record ***records, size_t *n)
{
	emc_records_free(*records, *n);
	*records = NULL;
	*n = 0;
}

void emc_source_destroy(struct emc_source *s)
{
	if (!s)
		return;
	if (s->ops->release)
		s->ops->release(s);
	records_drop(&s->delivered, &s->n_delivered);
	records_drop(&s->invalid, &s->n_invalid);
	sd_event_unref(s->event);
	free(s);
}

struct emc_source *emc_source_free(struct emc_source *s)
{
	if (!s)
		return NULL;
	if (s->busy > 0) {
		/* Freed from a handler: finish when delivery returns. */
		s->dead = true;
		return NULL;
	}
	emc_source_destroy(s);
	return NULL;
}

int emc_source_write_double(struct emc_source *s, const struct emc_record *r,
			    const char *child_key, size_t index,
			    const char *key, double value)
{
	assert(s);
	assert(r);
	assert(key);

	if (!s->ops->write_double)
		return -EOPNOTSUPP;
	if (!r->type)
		return -EINVAL;
	return s->ops->write_double(s, r, child_key, index, key, value);
}

void emc_source_set_ready_callback(struct emc_source *s, emc_ready_t ready,
				   void *userdata)
{
	assert(s);
	s->ready = ready;
	s->ready_userdata = userdata;
}

void emc_source_notify_ready(struct emc_source *s)
{
	if (s->ready_done)
		return;
	s->ready_done = true;
	if (s->ready)
		s->ready(s, s->ready_userdata);
}

const struct emc_schema *emc_source_schema(const struct emc_source *s,
					   const char *type)
{
	if (!type)
		return NULL;
	for (size_t i = 0; s->schemas[i]; i++)
		if (s->schemas[i]->type &&
		    strcmp(s->schemas[i]->type, type) == 0)
			return s->schemas[i];
	return NULL;
}

static bool same_key(const struct emc_record *a, const struct emc_record *b)
{
	if (strcmp(a->path, b->path) != 0)
		return false;
	if (!a->type || !b->type)
		return a->type == b->type;
	return strcmp(a->type, b->type) == 0;
}

/* Why r cannot be delivered (malloc'ed, without the record prefix), or
 * NULL when it is valid as a record on its own. */
static int check_record(const struct emc_source *s, const struct emc_record *r,
			char **ret_error)
{
	const struct emc_schema *schema = emc_source_schema(s, r->type);
	char *msg = NULL;
	int q;

	if (!schema) {
		/* Only typeless records get here (see reconcile). */
		msg = strdup(r->error ? r->error : "key 'Type': missing");
		if (!msg)
			return -ENOMEM;
		*ret_error = msg;
		return 0;
	}
	q = emc_validate_flags(schema, r,
			       s->defer_templates ? EMC_VALIDATE_TEMPLATES : 0,
			       &msg);
	if (q == -ENOMEM)
		return q;
	if (q == 0 && !emc_record_name(r)) {
		msg = strdup("key 'Name': missing or not a string");
		if (!msg)
			return -ENOMEM;
	}
	*ret_error = msg;
	return 0;
}

static char *format_invalid(const struct emc_record *r, const char *error)
{
	_cleanup_free_ char *path = emc_msg_truncate(r->path, EMC_MSG_PATH_MAX);
	_cleanup_free_ char *type =
		r->type ? emc_msg_truncate(r->type, EMC_MSG_VALUE_MAX) : NULL;

	if (!path || (r->type && !type))
		return NULL;
	if (type)
		return fmt_alloc("record '%s' (%s): %s", path, type, error);
	return fmt_alloc("record '%s': %s", path, error);
}

static char *format_duplicate(const struct emc_record *r,
			      const struct emc_record *owner)
{
	const char *other = emc_record_name(owner);
	_cleanup_free_ char *name =
		emc_msg_truncate(emc_record_name(r), EMC_MSG_VALUE_MAX);
	_cleanup_free_ char *path =
		emc_msg_truncate(owner->path, EMC_MSG_PATH_MAX);
	_cleanup_free_ char *other_name = NULL, *raw = NULL, *escaped = NULL;

	if (!name || !path)
		return NULL;
	if (!other || strcmp(other, emc_record_name(r)) == 0)
		return fmt_alloc(
			"duplicate Name '%s' (already used by record '%s')",
			name, path);
	/* Different Names that give the same object path segment. */
	other_name = emc_msg_truncate(other, EMC_MSG_VALUE_MAX);
	raw = emc_escape(emc_record_name(r));
	escaped = raw ? emc_msg_truncate(raw, EMC_MSG_VALUE_MAX) : NULL;
	if (!other_name || !escaped)
		return NULL;
	return fmt_alloc(
		"duplicate Name '%s': escaped to '%s' like Name '%s' of record '%s'",
		name, escaped, other_name, path);
}

/* An accepted record that r's Name or path+Type collides with, if any. */
static const struct emc_record *
find_collision(const struct emc_record *r, struct emc_record *const *accepted,
	       size_t n_accepted)
{
	const char *name = emc_record_name(r);

	for (size_t i = 0; i < n_accepted; i++) {
		const struct emc_record *a = accepted[i];
		const char *other;

		if (same_key(a, r))
			return a;
		if (strcmp(a->type, r->type) != 0)
			continue;
		other = emc_record_name(a);
		/* Names that escape alike would share an object path. */
		if (other && name && emc_escaped_equal(other, name))
			return a;
	}
	return NULL;
}

static bool was_reported_invalid(const struct emc_source *s,
				 const struct emc_record *r)
{
	for (size_t i = 0; i < s->n_invalid; i++)
		if (emc_record_equal(s->invalid[i], r))
			return true;
	return false;
}

static bool was_delivered(const struct emc_source *s,
			  const struct emc_record *r)
{
	for (size_t d = 0; d < s->n_delivered; d++)
		if (same_key(s->delivered[d], r))
			return true;
	return false;
}

/* Accept r unless it collides with an accepted record; then *ret_error
 * says why. -ENOMEM when the message cannot be built. */
static int claim(struct emc_record *r, struct emc_record **accepted,
		 size_t *n_accepted, char **ret_error)
{
	const struct emc_record *owner =
		find_collision(r, accepted, *n_accepted);

	if (!owner) {
		accepted[(*n_accepted)++] = r;
		return 0;
	}
	*ret_error = format_duplicate(r, owner);
	return *ret_error ? 0 : -ENOMEM;
}

struct pending_event {
	enum emc_event event;
	struct emc_record *rec; /* a reference */
	char *error;
};

enum verdict {
	V_SKIP, /* no schema for its Type: not ours */
	V_INVALID, /* error set */
	V_KEEP, /* delivered before with the same content */
	V_ACCEPT, /* to be delivered (ADDED or CHANGED) */
};

/* One reconciliation of s against current[n]: the verdicts, and the
 * state and events it leads to, built before anything changes. */
struct reconcile {
	struct emc_source *s;
	struct emc_record **current;
	size_t n;
	enum verdict *verdict; /* [n] */
	char **errors; /* [n] */
	bool *kept; /* [s->n_delivered]: stays delivered as it is */
	/* The records to be delivered afterwards (borrowed). */
	struct emc_record **accepted;
	size_t n_accepted;
	/* At most one event per delivered record and one per current. */
	struct pending_event *events;
	size_t n_events;
	struct emc_record **new_invalid; /* references */
	size_t n_new_invalid;
};

static int reconcile_init(struct reconcile *rc)
{
	size_t n = rc->n, n_delivered = rc->s->n_delivered;

	rc->verdict = calloc(n + 1, sizeof(*rc->verdict));
	rc->errors = calloc(n + 1, sizeof(*rc->errors));
	rc->kept = calloc(n_delivered + 1, sizeof(*rc->kept));
	rc->accepted = calloc(n + n_delivered + 1, sizeof(*rc->accepted));
	rc->events = calloc(n + n_delivered + 1, sizeof(*rc->events));
	rc->new_invalid = calloc(n + 1, sizeof(*rc->new_invalid));
	if (!rc->verdict || !rc->errors || !rc->kept || !rc->accepted ||
	    !rc->events || !rc->new_invalid)
		return -ENOMEM;
	return 0;
}

static void reconcile_done(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->n_events; i++) {
		emc_record_unref(rc->events[i].rec);
		free(rc->events[i].error);
	}
	for (size_t i = 0; rc->errors && i < rc->n; i++)
		free(rc->errors[i]);
	emc_records_free(rc->new_invalid, rc->n_new_invalid);
	free(rc->verdict);
	free(rc->errors);
	free(rc->kept);
	free(rc->accepted);
	free(rc->events);
}

/* 1. Each record on its own: schema, validation, Name. */
static int judge_each(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->n; i++) {
		struct emc_record *c = rc->current[i];

		if (c->type && !emc_source_schema(rc->s, c->type)) {
			rc->verdict[i] = V_SKIP;
			continue;
		}
		if (check_record(rc->s, c, &rc->errors[i]) < 0)
			return -ENOMEM;
		rc->verdict[i] = rc->errors[i] ? V_INVALID : V_ACCEPT;
	}
	return 0;
}

/* 2. Unchanged delivered records stay, and keep their Names, also when
 * another record at the same path and Type comes before them (Names that
 * escape alike): that one is then the duplicate. */
static void keep_unchanged(struct reconcile *rc)
{
	const struct emc_source *s = rc->s;

	for (size_t d = 0; d < s->n_delivered; d++) {
		for (size_t i = 0; i < rc->n; i++) {
			if (rc->verdict[i] != V_ACCEPT ||
			    !same_key(s->delivered[d], rc->current[i]) ||
			    !emc_record_equal(s->delivered[d], rc->current[i]))
				continue;
			rc->verdict[i] = V_KEEP;
			rc->kept[d] = true;
			rc->accepted[rc->n_accepted++] = s->delivered[d];
			break;
		}
	}
}

/* 2b. Records the kind keeps although it does not see them now (the
 * D-Bus source while entity-manager settles after a restart) stay. */
static void keep_unseen(struct reconcile *rc)
{
	const struct emc_source *s = rc->s;

	for (size_t d = 0; s->ops->keep_unseen && d < s->n_delivered; d++) {
		bool seen = false;

		for (size_t i = 0; i < rc->n && !seen; i++)
			seen = same_key(s->delivered[d], rc->current[i]);
		if (seen || rc->kept[d] ||
		    !s->ops->keep_unseen(s, s->delivered[d]))
			continue;
		rc->kept[d] = true;
		rc->accepted[rc->n_accepted++] = s->delivered[d];
	}
}

/*
 * 3. The rest: first the changed versions of delivered records (a record
 * keeps its Name when its content changes), then the new ones in order;
 * the first of a Name wins.
 */
static int claim_rest(struct reconcile *rc)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < rc->n; i++) {
			if (rc->verdict[i] != V_ACCEPT ||
			    was_delivered(rc->s, rc->current[i]) != (pass == 0))
				continue;
			if (claim(rc->current[i], rc->accepted, &rc->n_accepted,
				  &rc->errors[i]) < 0)
				return -ENOMEM;
			if (rc->errors[i])
				rc->verdict[i] = V_INVALID;
		}
	return 0;
}

/* 4a. Delivered records neither kept nor replaced: REMOVED. */
static void queue_removed(struct reconcile *rc)
{
	const struct emc_source *s = rc->s;

	for (size_t d = 0; d < s->n_delivered; d++) {
		bool replaced = false;

		if (rc->kept[d])
			continue;
		for (size_t i = 0; i < rc->n && !replaced; i++)
			replaced = rc->verdict[i] == V_ACCEPT &&
				   same_key(s->delivered[d], rc->current[i]);
		if (!replaced)
			rc->events[rc->n_events++] = (struct pending_event){
				.event = EMC_REMOVED,
				.rec = emc_record_ref(s->delivered[d]),
			};
	}
}

/* 4b. Accepted records: CHANGED for those replacing a delivered one,
 * then ADDED for the new ones. */
static void queue_accepted(struct reconcile *rc)
{
	const struct emc_source *s = rc->s;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < rc->n; i++) {
			bool replaces = false;

			if (rc->verdict[i] != V_ACCEPT)
				continue;
			for (size_t d = 0; d < s->n_delivered && !replaces; d++)
				replaces = !rc->kept[d] &&
					   same_key(s->delivered[d],
						    rc->current[i]);
			if (replaces != (pass == 0))
				continue;
			rc->events[rc->n_events++] = (struct pending_event){
				.event = replaces ? EMC_CHANGED : EMC_ADDED,
				.rec = emc_record_ref(rc->current[i]),
			};
		}
}

/* 4c. Invalid records: remembered, and INVALID unless reported before
 * with the same content. */
static int queue_invalid(struct reconcile *rc)
{
	for (size_t i = 0; i < rc->n; i++) {
		struct emc_record *c = rc->current[i];
		struct pending_event *e;

		if (rc->verdict[i] != V_INVALID)
			continue;
		rc->new_invalid[rc->n_new_invalid++] = emc_record_ref(c);
		if (was_reported_invalid(rc->s, c))
			continue;
		e = &rc->events[rc->n_events++];
		*e = (struct pending_event){
			.event = EMC_INVALID,
			.rec = emc_record_ref(c),
			.error = format_invalid(c, rc->errors[i]),
		};
		if (!e->error)
			return -ENOMEM;
	}
	return 0;
}

/* 5a. The new state replaces the old (nothing can fail afterwards). */
static int commit_state(struct reconcile *rc)
{
	struct emc_source *s = rc->s;
	struct emc_record **delivered;

	delivered = calloc(rc->n_accepted + 1, sizeof(*delivered));
	if (!delivered)
		return -ENOMEM;
	for (size_t i = 0; i < rc->n_accepted; i++)
		delivered[i] = emc_record_ref(rc->accepted[i]);
	records_drop(&s->delivered, &s->n_delivered);
	records_drop(&s->invalid, &s->n_invalid);
	s->delivered = delivered;
	s->n_delivered = rc->n_accepted;
	s->invalid = TAKE_PTR(rc->new_invalid);
	s->n_invalid = rc->n_new_invalid;
	rc->n_new_invalid = 0;
	return 0;
}

static const char *event_name(enum emc_event event)
{
	switch (event) {
	case EMC_ADDED:
		return "added";
	case EMC_CHANGED:
		return "changed";
	case EMC_REMOVED:
		return "removed";
	case EMC_INVALID:
		return "invalid";
	}
	return "?";
}

/* 5b. The handler calls; 1 when a handler freed the source (now gone). */
static int deliver(struct emc_source *s, const struct pending_event *events,
		   size_t n_events)
{
	s->busy++;
	for (size_t i = 0; i < n_events && !s->dead; i++) {
		log_debug("emconfig: %s '%s'", event_name(events[i].event),
			  events[i].rec->path);
		s->handler(events[i].event, events[i].rec, events[i].error,
			   s->userdata);
	}
	s->busy--;
	if (s->dead && s->busy == 0) {
		emc_source_destroy(s);
		return 1;
	}
	return 0;
}

int emc_source_reconcile(struct emc_source *s, struct emc_record **current,
			 size_t n)
{
	_cleanup_(reconcile_done) struct reconcile rc = {
		.s = s,
		.current = current,
		.n = n,
	};
	int q;

	assert(s);

	q = reconcile_init(&rc);
	if (q >= 0)
		q = judge_each(&rc);
	if (q >= 0) {
		keep_unchanged(&rc);
		keep_unseen(&rc);
		q = claim_rest(&rc);
	}
	if (q >= 0) {
		queue_removed(&rc);
		queue_accepted(&rc);
		q = queue_invalid(&rc);
	}
	if (q >= 0)
		q = commit_state(&rc);
	if (q < 0)
		return q;
	return deliver(s, rc.events, rc.n_events);
}
