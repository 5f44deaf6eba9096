/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every source shares: the schema filter, validation, the duplicate
 * Name rule, and reconciliation of what is seen now against what was
 * delivered, so that the JSON and D-Bus sources report alike. The kinds
 * of source (dbus.c, json.c) are reached only through their ops.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	q = emc_validate(schema, r, &msg);
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
	char *s;
	int n;

	if (!path || (r->type && !type))
		return NULL;
	if (type)
		n = asprintf(&s, "record '%s' (%s): %s", path, type, error);
	else
		n = asprintf(&s, "record '%s': %s", path, error);
	return n < 0 ? NULL : s;
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
	char *s;

	if (!name || !path)
		return NULL;
	if (!other || strcmp(other, emc_record_name(r)) == 0) {
		if (asprintf(&s,
			     "duplicate Name '%s' (already used by record '%s')",
			     name, path) < 0)
			return NULL;
		return s;
	}
	/* Different Names that give the same object path segment. */
	other_name = emc_msg_truncate(other, EMC_MSG_VALUE_MAX);
	raw = emc_escape(emc_record_name(r));
	escaped = raw ? emc_msg_truncate(raw, EMC_MSG_VALUE_MAX) : NULL;
	if (!other_name || !escaped)
		return NULL;
	if (asprintf(
		    &s,
		    "duplicate Name '%s': escaped to '%s' like Name '%s' of record '%s'",
		    name, escaped, other_name, path) < 0)
		return NULL;
	return s;
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

int emc_source_reconcile(struct emc_source *s, struct emc_record **current,
			 size_t n)
{
	_cleanup_free_ enum verdict *verdict = NULL;
	_cleanup_free_ char **errors = NULL;
	_cleanup_free_ bool *kept = NULL;
	_cleanup_free_ struct emc_record **accepted = NULL;
	_cleanup_free_ struct pending_event *events = NULL;
	struct emc_record **new_delivered = NULL, **new_invalid = NULL;
	size_t n_accepted = 0, n_events = 0, n_new_invalid = 0;
	int q = -ENOMEM;

	assert(s);

	verdict = calloc(n + 1, sizeof(*verdict));
	errors = calloc(n + 1, sizeof(*errors));
	kept = calloc(s->n_delivered + 1, sizeof(*kept));
	accepted = calloc(n + s->n_delivered + 1, sizeof(*accepted));
	/* At most one event per delivered record and one per current. */
	events = calloc(n + s->n_delivered + 1, sizeof(*events));
	new_invalid = calloc(n + 1, sizeof(*new_invalid));
	if (!verdict || !errors || !kept || !accepted || !events ||
	    !new_invalid)
		goto out;

	/* 1. Each record on its own: schema, validation, Name. */
	for (size_t i = 0; i < n; i++) {
		struct emc_record *c = current[i];

		if (c->type && !emc_source_schema(s, c->type)) {
			verdict[i] = V_SKIP;
			continue;
		}
		if (check_record(s, c, &errors[i]) < 0)
			goto out;
		verdict[i] = errors[i] ? V_INVALID : V_ACCEPT;
	}

	/* 2. Unchanged delivered records stay, and keep their Names. */
	for (size_t d = 0; d < s->n_delivered; d++) {
		for (size_t i = 0; i < n; i++) {
			if (verdict[i] != V_ACCEPT ||
			    !same_key(s->delivered[d], current[i]))
				continue;
			if (emc_record_equal(s->delivered[d], current[i])) {
				verdict[i] = V_KEEP;
				kept[d] = true;
				accepted[n_accepted++] = s->delivered[d];
			}
			break;
		}
	}

	/* 2b. Records the source says to keep although it does not see
	 * them now (entity-manager settling after a restart) stay. */
	for (size_t d = 0; s->ops->keep_unseen && d < s->n_delivered; d++) {
		bool seen = false;

		for (size_t i = 0; i < n && !seen; i++)
			seen = same_key(s->delivered[d], current[i]);
		if (seen || kept[d] || !s->ops->keep_unseen(s, s->delivered[d]))
			continue;
		kept[d] = true;
		accepted[n_accepted++] = s->delivered[d];
	}

	/*
	 * 3. The rest: first the changed versions of delivered records (a
	 * record keeps its Name when its content changes), then the new
	 * ones in order; the first of a Name wins.
	 */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (verdict[i] != V_ACCEPT ||
			    was_delivered(s, current[i]) != (pass == 0))
				continue;
			if (claim(current[i], accepted, &n_accepted,
				  &errors[i]) < 0)
				goto out;
			if (errors[i])
				verdict[i] = V_INVALID;
		}

	/* 4. Events: REMOVED, CHANGED, ADDED, INVALID. */
	for (size_t d = 0; d < s->n_delivered; d++) {
		bool replaced = false;

		if (kept[d])
			continue;
		for (size_t i = 0; i < n && !replaced; i++)
			replaced = verdict[i] == V_ACCEPT &&
				   same_key(s->delivered[d], current[i]);
		if (!replaced)
			events[n_events++] = (struct pending_event){
				.event = EMC_REMOVED,
				.rec = emc_record_ref(s->delivered[d]),
			};
	}
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			bool replaces = false;

			if (verdict[i] != V_ACCEPT)
				continue;
			for (size_t d = 0; d < s->n_delivered && !replaces; d++)
				replaces = !kept[d] && same_key(s->delivered[d],
								current[i]);
			if (replaces != (pass == 0))
				continue;
			events[n_events++] = (struct pending_event){
				.event = replaces ? EMC_CHANGED : EMC_ADDED,
				.rec = emc_record_ref(current[i]),
			};
		}
	for (size_t i = 0; i < n; i++) {
		if (verdict[i] != V_INVALID)
			continue;
		new_invalid[n_new_invalid++] = emc_record_ref(current[i]);
		if (was_reported_invalid(s, current[i]))
			continue;
		events[n_events] = (struct pending_event){
			.event = EMC_INVALID,
			.rec = emc_record_ref(current[i]),
			.error = format_invalid(current[i], errors[i]),
		};
		if (!events[n_events++].error)
			goto out;
	}

	/* 5. The new state, then the handler calls. */
	new_delivered = calloc(n_accepted + 1, sizeof(*new_delivered));
	if (!new_delivered)
		goto out;
	for (size_t i = 0; i < n_accepted; i++)
		new_delivered[i] = emc_record_ref(accepted[i]);
	records_drop(&s->delivered, &s->n_delivered);
	records_drop(&s->invalid, &s->n_invalid);
	s->delivered = TAKE_PTR(new_delivered);
	s->n_delivered = n_accepted;
	s->invalid = TAKE_PTR(new_invalid);
	s->n_invalid = n_new_invalid;
	n_new_invalid = 0;

	q = 0;
	s->busy++;
	for (size_t i = 0; i < n_events && !s->dead; i++) {
		log_debug("emconfig: %s '%s'",
			  events[i].event == EMC_ADDED	 ? "added" :
			  events[i].event == EMC_CHANGED ? "changed" :
			  events[i].event == EMC_REMOVED ? "removed" :
							   "invalid",
			  events[i].rec->path);
		s->handler(events[i].event, events[i].rec, events[i].error,
			   s->userdata);
	}
	s->busy--;
	if (s->dead && s->busy == 0) {
		emc_source_destroy(s);
		q = 1;
	}

out:
	for (size_t i = 0; i < n_events; i++) {
		emc_record_unref(events[i].rec);
		free(events[i].error);
	}
	for (size_t i = 0; errors && i < n; i++)
		free(errors[i]);
	if (new_invalid)
		for (size_t i = 0; i < n_new_invalid; i++)
			emc_record_unref(new_invalid[i]);
	free(new_invalid);
	return q;
}
