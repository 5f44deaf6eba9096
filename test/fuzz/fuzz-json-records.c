// SPDX-License-Identifier: Apache-2.0
/*
 * JSON records and entity-manager board files, as libemconfig reads a
 * daemon's --config file: emc_parse_json() on the input, and
 * emc_check_json() (what emc_source_new_json delivers, with nvmed's and
 * cable-presenced's schemas) on a file holding it.
 *
 * Invariants: parsing the same bytes twice gives the same records, or
 * the same refusal, with a message; every string a record holds (keys
 * and values, sub-records too) is valid UTF-8 (a string with a NUL or
 * with bytes that are not UTF-8 is a bad key, never a truncated or
 * invalid value), and every scalar is what json-c reads in the file; a
 * record's path ends in its Name escaped (emc_escape: only [A-Za-z0-9_];
 * read back with sdbusplus's filename() rule it is the Name as
 * entity-manager sanitises it, every byte but a letter or digit as '_';
 * names escape alike exactly when they sanitise alike); a delivered record validates against its schema,
 * has a valid D-Bus object path, and no other delivered record of its
 * Type and board in the file has a Name that escapes alike (a delivered
 * record may hold entity-manager templates where it would be invalid:
 * then it is delivered with a note naming those keys); a refused one has a message that
 * is valid UTF-8 without control bytes; every record of a known Type is
 * delivered or refused; checking twice gives the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "../lib/sdbusplus-name.h"
#include "fuzz-schemas.h"
#include "fuzz.h"
#include "src/emconfig/internal.h"
#include "utf8.h"

#define MAX_EVENTS 1024

/*
 * Sub-record list keys (a JSON key whose value is an object, or an array
 * of objects) are UTF-8 as property keys are: once an open bug of the
 * record model, found by this target; its input is in the corpus
 * (child-key-not-utf8.json).
 */

struct event {
	enum emc_event event;
	struct emc_record *rec;
	char *error;
};

struct events {
	struct event items[MAX_EVENTS];
	size_t n;
	bool overflow;
};

static void collect(enum emc_event event, const struct emc_record *rec,
		    const char *error, void *userdata)
{
	struct events *ev = userdata;

	FUZZ_CHECK(rec, "event %d without a record", event);
	if (ev->n == MAX_EVENTS) {
		ev->overflow = true;
		return;
	}
	ev->items[ev->n++] = (struct event){
		.event = event,
		.rec = emc_record_ref(rec),
		.error = error ? fuzz_oom(strdup(error)) : NULL,
	};
}

static void events_clear(struct events *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		emc_record_unref(ev->items[i].rec);
		free(ev->items[i].error);
	}
	ev->n = 0;
	ev->overflow = false;
}

static bool same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

static bool same_record(const struct emc_record *a, const struct emc_record *b)
{
	return same_string(a->path, b->path) &&
	       same_string(a->board, b->board) &&
	       same_string(a->type, b->type) &&
	       same_string(a->error, b->error) && emc_record_equal(a, b);
}

static const char *last_segment(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool is_alnum(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

static void check_escape(const char *name)
{
	_cleanup_free_ char *e = fuzz_oom(emc_escape(name));
	_cleanup_free_ char *want = fuzz_oom(strdup(name));
	_cleanup_free_ char *path = NULL, *back = NULL;
	size_t len = strlen(name);

	for (char *p = want; *p; p++)
		if (!is_alnum(*p))
			*p = '_';
	for (const char *p = e; *p; p++)
		FUZZ_CHECK(is_alnum(*p) || *p == '_', "'%s' escaped to '%s'",
			   name, e);
	/* plain when it starts with a letter or digit, else each '_' as
	 * "_5f" (sdbusplus object_path operator/=) */
	if (len && !is_alnum(name[0]))
		FUZZ_CHECK(strncmp(e, "_5f", 3) == 0, "'%s' escaped to '%s'",
			   name, e);
	else
		FUZZ_CHECK(strcmp(e, want) == 0, "'%s' escaped to '%s'", name,
			   e);
	path = fuzz_asprintf("/a/%s", e);
	back = fuzz_oom(sdbusplus_filename(path));
	FUZZ_CHECK(strcmp(back, want) == 0,
		   "'%s' escaped to '%s', read as '%s'", name, e, back);
	FUZZ_CHECK(emc_escaped_equal(name, want), "'%s' and '%s' escape apart",
		   name, want);
}

static void check_value(const struct emc_record *r, const char *key,
			const struct emc_value *v)
{
	if (v->type == EMC_VALUE_STRING)
		FUZZ_CHECK(utf8_is_valid(v->s), "%s: '%s' is not UTF-8",
			   r->path, key);
	if (v->type == EMC_VALUE_ARRAY)
		for (size_t i = 0; i < v->a.n; i++) {
			FUZZ_CHECK(v->a.items[i].type != EMC_VALUE_ARRAY,
				   "%s: '%s' nests arrays", r->path, key);
			check_value(r, key, &v->a.items[i]);
		}
}

/* Everything a record (and its sub-records) holds is valid UTF-8. */
static void check_strings(const struct emc_record *r)
{
	for (size_t i = 0; i < r->n_props; i++) {
		FUZZ_CHECK(utf8_is_valid(r->props[i].key),
			   "%s: a key is not UTF-8", r->path);
		check_value(r, r->props[i].key, &r->props[i].v);
	}
	for (size_t i = 0; i < r->n_children; i++) {
		FUZZ_CHECK(utf8_is_valid(r->children[i].key),
			   "%s: a child key is not UTF-8", r->path);
		for (size_t j = 0; j < r->children[i].n; j++)
			check_strings(r->children[i].items[j]);
	}
}

static void check_record(const struct emc_record *r)
{
	const char *name = NULL;
	_cleanup_free_ char *escaped = NULL;

	FUZZ_CHECK(r->path && r->path[0] == '/', "record without a path");
	check_strings(r);
	if (emc_record_get_string(r, "Name", &name) < 0 || !*name)
		return;
	check_escape(name);
	escaped = fuzz_oom(emc_escape(name));
	FUZZ_CHECK(strcmp(last_segment(r->path), escaped) == 0,
		   "record of Name '%s' at '%s'", name, r->path);
	FUZZ_CHECK(sd_bus_object_path_is_valid(r->path), "'%s' is no path",
		   r->path);
}

/* The record holds what json-c reads for key (a scalar). */
static void check_scalar(const struct emc_record *r, const char *key,
			 json_object *val)
{
	const struct emc_value *v = emc_record_get(r, key);
	const char *s;
	double d;

	switch (json_object_get_type(val)) {
	case json_type_string:
		s = json_object_get_string(val);
		if (strlen(s) != (size_t)json_object_get_string_len(val) ||
		    !utf8_is_valid(s) || !utf8_is_valid(key)) {
			FUZZ_CHECK(!v && emc_record_bad_key(r, key),
				   "%s: '%s' taken though no D-Bus string",
				   r->path, key);
			return;
		}
		FUZZ_CHECK(v && v->type == EMC_VALUE_STRING &&
				   strcmp(v->s, s) == 0,
			   "%s: string '%s' lost", r->path, key);
		return;
	case json_type_int:
		if (!utf8_is_valid(key))
			return;
		if (json_object_get_int64(val) < 0)
			FUZZ_CHECK(v && v->type == EMC_VALUE_INT &&
					   v->i == json_object_get_int64(val),
				   "%s: integer '%s' lost", r->path, key);
		else
			FUZZ_CHECK(v && v->type == EMC_VALUE_UINT &&
					   v->u == json_object_get_uint64(val),
				   "%s: integer '%s' lost", r->path, key);
		return;
	case json_type_double:
		if (!utf8_is_valid(key))
			return;
		d = json_object_get_double(val);
		FUZZ_CHECK(v && v->type == EMC_VALUE_DOUBLE &&
				   fuzz_same_double(v->d, d),
			   "%s: number '%s' lost", r->path, key);
		return;
	case json_type_boolean:
		if (!utf8_is_valid(key))
			return;
		FUZZ_CHECK(v && v->type == EMC_VALUE_BOOL &&
				   v->b == json_object_get_boolean(val),
			   "%s: bool '%s' lost", r->path, key);
		return;
	case json_type_null:
		FUZZ_CHECK(!v, "%s: null '%s' taken", r->path, key);
		return;
	default:
		return; /* sub-records and arrays: checked as a whole above */
	}
}

static void compare_entry(json_object *e, const struct emc_record *r)
{
	struct json_object_iterator it, end;
	json_object *type = NULL;

	if (!json_object_is_type(e, json_type_object)) {
		FUZZ_CHECK(r->error, "%s: not an object, no error", r->path);
		return;
	}
	if (!json_object_object_get_ex(e, "Type", &type) ||
	    !json_object_is_type(type, json_type_string)) {
		/* refused as a whole: nothing else is read */
		FUZZ_CHECK(r->error && !r->type, "%s: no Type, no error",
			   r->path);
		return;
	}
	FUZZ_CHECK(!r->error && r->type &&
			   strcmp(r->type, json_object_get_string(type)) == 0,
		   "%s: Type lost", r->path);
	it = json_object_iter_begin(e);
	end = json_object_iter_end(e);
	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
		check_scalar(r, json_object_iter_peek_name(&it),
			     json_object_iter_peek_value(&it));
}

static bool is_board(json_object *o)
{
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "Exposes", NULL);
}

static void compare_board(json_object *b, struct emc_record **recs, size_t n,
			  size_t *k)
{
	json_object *exposes = NULL;

	json_object_object_get_ex(b, "Exposes", &exposes);
	for (size_t i = 0; i < json_object_array_length(exposes); i++) {
		FUZZ_CHECK(*k < n, "fewer records than Exposes entries");
		compare_entry(json_object_array_get_idx(exposes, i),
			      recs[(*k)++]);
	}
}

/* The records against the document as json-c reads it, in order. */
static void compare_json(const char *text, size_t len, struct emc_record **recs,
			 size_t n)
{
	_cleanup_free_ char *copy = fuzz_text((const uint8_t *)text, len);
	json_tokener *tok = fuzz_oom(json_tokener_new_ex(32));
	json_object *root = json_tokener_parse_ex(tok, copy, (int)len + 1);
	size_t k = 0;

	FUZZ_CHECK(root, "accepted a document json-c refuses");
	if (json_object_is_type(root, json_type_object)) {
		compare_board(root, recs, n, &k);
	} else {
		for (size_t i = 0; i < json_object_array_length(root); i++) {
			json_object *e = json_object_array_get_idx(root, i);

			if (is_board(e)) {
				compare_board(e, recs, n, &k);
			} else {
				FUZZ_CHECK(k < n, "fewer records than entries");
				compare_entry(e, recs[k++]);
			}
		}
	}
	FUZZ_CHECK(k == n, "%zu records for %zu entries", n, k);
	json_object_put(root);
	json_tokener_free(tok);
}

/* A file holding the input, for emc_check_json (read through /proc). */
static const char *input_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		fd = memfd_create("fuzz-json", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return path;
}

static bool control_free(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

static void check_delivery(const struct events *ev, int q,
			   struct emc_record **recs, size_t n)
{
	size_t invalid = 0;

	FUZZ_CHECK(!ev->overflow, "more events than records");
	for (size_t i = 0; i < ev->n; i++) {
		const struct event *e = &ev->items[i];
		const char *name = emc_record_name(e->rec);
		const struct emc_schema *schema = fz_schema(e->rec->type);

		if (e->event == EMC_INVALID) {
			invalid++;
			FUZZ_CHECK(
				e->error && utf8_is_valid(e->error) &&
					control_free(e->error) &&
					strncmp(e->error, "record '", 8) == 0,
				"refusal of '%s': bad message", e->rec->path);
			continue;
		}
		FUZZ_CHECK(e->event == EMC_ADDED,
			   "first read delivered event %d", e->event);
		FUZZ_CHECK(schema, "'%s' delivered without a schema",
			   e->rec->path);
		/* valid; or valid but for templates, which it names */
		if (!e->error) {
			FUZZ_CHECK(emc_validate(schema, e->rec, NULL) == 0,
				   "'%s' delivered, but invalid", e->rec->path);
		} else {
			_cleanup_free_ char *keys = NULL;

			FUZZ_CHECK(
				emc_template_keys(schema, e->rec, &keys) > 0 &&
					strstr(e->error, keys) &&
					strstr(e->error, "checked at run time"),
				"'%s' delivered with '%s'", e->rec->path,
				e->error);
			FUZZ_CHECK(emc_validate_flags(schema, e->rec,
						      EMC_VALIDATE_TEMPLATES,
						      NULL) == 0,
				   "'%s' delivered, but invalid", e->rec->path);
		}
		FUZZ_CHECK(name && *name && utf8_is_valid(name),
			   "'%s' delivered without a Name", e->rec->path);
		FUZZ_CHECK(sd_bus_object_path_is_valid(e->rec->path),
			   "'%s' delivered, but no object path", e->rec->path);
		for (size_t j = 0; j < i; j++) {
			const struct event *o = &ev->items[j];

			/* each board of a file is judged on its own */
			if (o->event != EMC_ADDED ||
			    o->rec->file_board != e->rec->file_board ||
			    strcmp(o->rec->type, e->rec->type) != 0)
				continue;
			FUZZ_CHECK(!emc_escaped_equal(emc_record_name(o->rec),
						      name),
				   "'%s' and '%s' both delivered",
				   emc_record_name(o->rec), name);
		}
	}
	FUZZ_CHECK(q == (int)invalid, "%d refused, %zu refusals", q, invalid);

	/* Every record a daemon would look at is delivered or refused. */
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		if (recs[i]->type && !fz_schema(recs[i]->type))
			continue;
		for (size_t j = 0; j < ev->n && !seen; j++)
			seen = same_record(ev->items[j].rec, recs[i]);
		FUZZ_CHECK(seen, "'%s' neither delivered nor refused",
			   recs[i]->path);
	}
}

static void check_file(const uint8_t *data, size_t size, int n_parsed,
		       const char *parse_error, struct emc_record **recs)
{
	static struct events ev, again;
	const char *path = input_file(data, size);
	char *err = NULL;
	int q, q2;

	q = emc_check_json(path, fz_schemas, collect, &ev, &err);
	if (n_parsed < 0) {
		/* the same refusal, named after the file */
		const char *a = strchr(parse_error, ':');
		const char *b = err ? strstr(err, ": ") : NULL;

		FUZZ_CHECK(q == n_parsed && ev.n == 0 && a && b &&
				   strcmp(a, b) == 0,
			   "parse said '%s', check said %d '%s'", parse_error,
			   q, err ? err : "");
		free(err);
		return;
	}
	FUZZ_CHECK(q >= 0 && !err, "check failed: %d '%s'", q, err ? err : "");
	check_delivery(&ev, q, recs, (size_t)n_parsed);

	q2 = emc_check_json(path, fz_schemas, collect, &again, NULL);
	FUZZ_CHECK(q2 == q && again.n == ev.n, "checked twice: %d, then %d", q,
		   q2);
	for (size_t i = 0; i < ev.n; i++)
		FUZZ_CHECK(again.items[i].event == ev.items[i].event &&
				   same_record(again.items[i].rec,
					       ev.items[i].rec) &&
				   same_string(again.items[i].error,
					       ev.items[i].error),
			   "checked twice: event %zu differs", i);
	events_clear(&ev);
	events_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct emc_record **recs = NULL, **again = NULL;
	char *err = NULL, *err2 = NULL;
	int n, n2;

	n = emc_parse_json(text, size, "fuzz", &recs, &err);
	n2 = emc_parse_json(text, size, "fuzz", &again, &err2);
	FUZZ_CHECK(n == n2, "parsed twice: %d, then %d", n, n2);
	if (n < 0) {
		FUZZ_CHECK(n == -EINVAL && err && err2 &&
				   strcmp(err, err2) == 0,
			   "refused with %d, message '%s'", n, err ? err : "");
		FUZZ_CHECK(utf8_is_valid(err) && control_free(err),
			   "refusal message is not clean text");
		check_file(data, size, n, err, NULL);
		free(err);
		free(err2);
		return 0;
	}
	FUZZ_CHECK(!err, "records and a message");
	for (int i = 0; i < n; i++) {
		FUZZ_CHECK(same_record(recs[i], again[i]),
			   "parsed twice: record %d differs", i);
		check_record(recs[i]);
	}
	compare_json(text, size, recs, (size_t)n);
	check_file(data, size, n, NULL, recs);
	emc_records_free(recs, (size_t)n);
	emc_records_free(again, (size_t)n2);
	return 0;
}
