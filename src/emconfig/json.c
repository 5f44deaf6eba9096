/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON source: entity-manager board files (or bare arrays of records)
 * turned into the same records entity-manager would publish, delivered
 * from a deferred event source like the D-Bus source delivers them.
 *
 * Paths: a board gets /xyz/openbmc_project/inventory/system/<board Type,
 * lower case, default "board">/<escaped board Name>, its records
 * <board path>/<escaped record Name>. Records of a bare array have no
 * board and live under EMC_BARE_RECORD_ROOT. A record that has no usable
 * Name is named "<parent>/Exposes[<index>]" in messages.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "fileio.h"
#include "fmt.h"
#include "internal.h"
#include "log.h"

#define JSON_MAX_DEPTH	   32
#define JSON_MAX_FILE_SIZE (64u << 20)
#define INVENTORY_SYSTEM   "/xyz/openbmc_project/inventory/system"

DEFINE_CLEANUP_FUNC(json_object, json_object_put)
DEFINE_CLEANUP_FUNC(json_tokener, json_tokener_free)

struct record_list {
	struct emc_record **items;
	size_t n;
};

static int list_push(struct record_list *l, struct emc_record *r)
{
	struct emc_record **items;

	items = reallocarray(l->items, l->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->n++] = emc_record_ref(r);
	return 0;
}

static int set_error(char **ret_error, const char *hint, const char *fmt, ...)
	_printf_(3, 4);

static int set_error(char **ret_error, const char *hint, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (!ret_error)
		return -EINVAL;
	va_start(ap, fmt);
	msg = fmt_allocv(fmt, ap);
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	*ret_error = fmt_alloc("%s: %s", hint, msg);
	return *ret_error ? -EINVAL : -ENOMEM;
}

static const char *json_kind(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "bool";
	case json_type_double:
	case json_type_int:
		return "number";
	case json_type_string:
		return "string";
	case json_type_array:
		return "array";
	case json_type_object:
		return "object";
	}
	return "?";
}

/* A scalar JSON value; *why explains values that cannot be one. */
static int scalar_from_json(json_object *o, struct emc_value *ret,
			    const char **why)
{
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		*ret = (struct emc_value){ .type = EMC_VALUE_BOOL,
					   .b = json_object_get_boolean(o) };
		return 0;
	case json_type_int:
		if (json_object_get_int64(o) < 0)
			*ret = (struct emc_value){
				.type = EMC_VALUE_INT,
				.i = json_object_get_int64(o),
			};
		else
			*ret = (struct emc_value){
				.type = EMC_VALUE_UINT,
				.u = json_object_get_uint64(o),
			};
		return 0;
	case json_type_double:
		*ret = (struct emc_value){ .type = EMC_VALUE_DOUBLE,
					   .d = json_object_get_double(o) };
		return 0;
	case json_type_string: {
		const char *s = json_object_get_string(o);
		size_t len = (size_t)json_object_get_string_len(o);
		char *copy;

		if (strlen(s) != len) {
			*why = "string contains a NUL byte";
			return -EINVAL;
		}
		copy = strdup(s);
		if (!copy)
			return -ENOMEM;
		*ret = (struct emc_value){ .type = EMC_VALUE_STRING,
					   .s = copy };
		return 0;
	}
	case json_type_null:
		*why = "null is not a value";
		return -EINVAL;
	default:
		*why = "not a scalar";
		return -EINVAL;
	}
}

/* entity-manager's type of a scalar array element: the JSON type, with
 * integers split into >= 0 and < 0; 0 for what is not a scalar. */
static char scalar_kind(json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_boolean:
		return 'b';
	case json_type_int:
		return json_object_get_int64(o) < 0 ? 'x' : 't';
	case json_type_double:
		return 'd';
	case json_type_string:
		return 's';
	default:
		return 0;
	}
}

/*
 * Why entity-manager would not publish the array o (it skips the key), or
 * NULL: it publishes arrays of one scalar type only (as, at, ax, ad, ab),
 * and no empty ones.
 */
static const char *array_unpublished(json_object *o)
{
	size_t n = json_object_array_length(o);
	char kind;

	if (n == 0)
		return "empty array";
	kind = scalar_kind(json_object_array_get_idx(o, 0));
	if (!kind)
		return "array of non-scalar values";
	for (size_t i = 1; i < n; i++)
		if (scalar_kind(json_object_array_get_idx(o, i)) != kind)
			return "array of mixed types";
	return NULL;
}

static int array_from_json(json_object *o, struct emc_value *ret,
			   const char **why)
{
	size_t n = json_object_array_length(o);
	struct emc_value v = { .type = EMC_VALUE_ARRAY };

	v.a.items = calloc(n + 1, sizeof(*v.a.items));
	if (!v.a.items)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int q = scalar_from_json(json_object_array_get_idx(o, i),
					 &v.a.items[i], why);

		if (q < 0) {
			emc_value_clear(&v);
			return q;
		}
		v.a.n++;
	}
	*ret = v;
	return 0;
}

static int fields_from_json(struct emc_record *r, json_object *o,
			    bool allow_children);

static int child_from_json(struct emc_record *parent, const char *key,
			   long order, json_object *o)
{
	_cleanup_record_ struct emc_record *child = NULL;
	int q;

	q = emc_record_new(parent->path, parent->board, key, &child);
	if (q < 0)
		return q;
	child->order = order;
	q = fields_from_json(child, o, false);
	if (q < 0)
		return q;
	return emc_record_add_child(parent, key, child);
}

static bool array_of_objects(json_object *o)
{
	size_t n = json_object_array_length(o);

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!json_object_is_type(json_object_array_get_idx(o, i),
					 json_type_object))
			return false;
	return true;
}

static int field_from_json(struct emc_record *r, const char *key,
			   json_object *val, bool allow_children)
{
	struct emc_value v = { .type = EMC_VALUE_BOOL };
	const char *why = NULL;
	int q = 0;

	if (json_object_is_type(val, json_type_object)) {
		if (!allow_children)
			why = "objects nested in a sub-record are not supported";
		else
			q = child_from_json(r, key, 0, val);
	} else if (json_object_is_type(val, json_type_array) &&
		   array_of_objects(val)) {
		if (!allow_children)
			why = "objects nested in a sub-record are not supported";
		for (size_t i = 0, n = json_object_array_length(val);
		     allow_children && i < n && q >= 0; i++)
			q = child_from_json(r, key, (long)i,
					    json_object_array_get_idx(val, i));
	} else if (json_object_is_type(val, json_type_array)) {
		const char *skip = array_unpublished(val);

		if (skip) {
			/* Skipped as entity-manager skips it, so that the
			 * record is the one it would publish on D-Bus. */
			log_debug("emconfig: %s: key '%s' skipped: %s", r->path,
				  key, skip);
			return 0;
		}
		q = array_from_json(val, &v, &why);
		if (q == 0)
			q = emc_record_take_prop(r, key, &v);
	} else {
		q = scalar_from_json(val, &v, &why);
		if (q == 0)
			q = emc_record_take_prop(r, key, &v);
	}
	if (why) {
		log_debug("emconfig: %s: key '%s' ignored: %s", r->path, key,
			  why);
		q = emc_record_add_bad_key(r, key, why);
	}
	return q;
}

/*
 * Every field of o into r. Nested objects and arrays of objects become
 * sub-records (one level, as entity-manager publishes them); shapes that
 * cannot be represented are remembered as bad keys, so that validation
 * can name them when a schema asks for the key.
 */
static int fields_from_json(struct emc_record *r, json_object *o,
			    bool allow_children)
{
	struct json_object_iterator it = json_object_iter_begin(o);
	struct json_object_iterator end = json_object_iter_end(o);

	for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
		int q = field_from_json(r, json_object_iter_peek_name(&it),
					json_object_iter_peek_value(&it),
					allow_children);

		if (q < 0)
			return q;
	}
	return 0;
}

/* A string that can name an object: not empty, and no NUL inside (json-c
 * keeps "\u0000" in the string, which would cut the path short). */
static bool is_name_string(json_object *o)
{
	return json_object_is_type(o, json_type_string) &&
	       json_object_get_string_len(o) > 0 &&
	       strlen(json_object_get_string(o)) ==
		       (size_t)json_object_get_string_len(o);
}

/* One Exposes entry (or bare record) at position index under base. */
static int record_from_json(const char *base, const char *board,
			    size_t file_board, size_t index, json_object *o,
			    struct record_list *out)
{
	_cleanup_record_ struct emc_record *r = NULL;
	_cleanup_free_ char *path = NULL, *escaped = NULL;
	json_object *type = NULL, *name = NULL;
	const char *type_s = NULL;
	int q;

	if (json_object_is_type(o, json_type_object)) {
		if (json_object_object_get_ex(o, "Type", &type) &&
		    json_object_is_type(type, json_type_string))
			type_s = json_object_get_string(type);
		if (json_object_object_get_ex(o, "Name", &name) &&
		    is_name_string(name)) {
			escaped = emc_escape(json_object_get_string(name));
			if (!escaped)
				return -ENOMEM;
		}
	}
	if (escaped)
		path = fmt_alloc("%s/%s", base, escaped);
	else
		path = fmt_alloc("%s/Exposes[%zu]", base, index);
	if (!path)
		return -ENOMEM;

	q = emc_record_new(path, board, type_s, &r);
	if (q < 0)
		return q;
	r->file_board = file_board;
	if (!json_object_is_type(o, json_type_object))
		q = emc_record_set_error(r, "not an object (got %s)",
					 json_kind(o));
	else if (!type_s)
		q = emc_record_set_error(r,
					 "key 'Type': missing or not a string");
	else
		q = fields_from_json(r, o, true);
	if (q < 0)
		return q;
	emc_record_seal(r);
	return list_push(out, r);
}

static int board_from_json(json_object *o, size_t index, const char *hint,
			   struct record_list *out, char **ret_error)
{
	_cleanup_free_ char *escaped_name = NULL, *escaped_type = NULL,
			    *board = NULL;
	json_object *exposes, *name, *type;
	const char *type_s = "Board";
	int q;

	if (!json_object_object_get_ex(o, "Name", &name) ||
	    !is_name_string(name))
		return set_error(ret_error, hint,
				 "board %zu: 'Name' missing or not a string "
				 "(or empty, or holding a NUL byte)",
				 index);
	if (json_object_object_get_ex(o, "Type", &type)) {
		if (!is_name_string(type))
			return set_error(ret_error, hint,
					 "board %zu: 'Type' is not a string "
					 "(or empty, or holding a NUL byte)",
					 index);
		type_s = json_object_get_string(type);
	}
	json_object_object_get_ex(o, "Exposes", &exposes);
	if (!json_object_is_type(exposes, json_type_array))
		return set_error(
			ret_error, hint,
			"board %zu: 'Exposes' is not an array (got %s)", index,
			json_kind(exposes));

	escaped_name = emc_escape(json_object_get_string(name));
	escaped_type = emc_escape(type_s);
	if (!escaped_name || !escaped_type)
		return -ENOMEM;
	for (char *c = escaped_type; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	board = fmt_alloc(INVENTORY_SYSTEM "/%s/%s", escaped_type,
			  escaped_name);
	if (!board)
		return -ENOMEM;

	for (size_t i = 0, n = json_object_array_length(exposes); i < n; i++) {
		q = record_from_json(board, board, index, i,
				     json_object_array_get_idx(exposes, i),
				     out);
		if (q < 0)
			return q;
	}
	return 0;
}

static bool is_board(json_object *o)
{
	return json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, "Exposes", NULL);
}

static int records_from_json(json_object *root, const char *hint,
			     struct record_list *out, char **ret_error)
{
	int q;

	if (json_object_is_type(root, json_type_object)) {
		if (!is_board(root))
			return set_error(
				ret_error, hint,
				"top-level object has no 'Exposes' (expected a board, an array of boards or an array of records)");
		return board_from_json(root, 0, hint, out, ret_error);
	}
	if (!json_object_is_type(root, json_type_array))
		return set_error(
			ret_error, hint,
			"top-level value is a %s (expected a board object or an array)",
			json_kind(root));

	for (size_t i = 0, n = json_object_array_length(root); i < n; i++) {
		json_object *e = json_object_array_get_idx(root, i);

		if (is_board(e))
			q = board_from_json(e, i, hint, out, ret_error);
		else
			q = record_from_json(EMC_BARE_RECORD_ROOT, NULL,
					     EMC_NO_FILE_BOARD, i, e, out);
		if (q < 0)
			return q;
	}
	return 0;
}

/* The one JSON value text[len] holds (nothing but space after it). */
static int parse_document(const char *text, size_t len, const char *hint,
			  json_object **ret, char **ret_error)
{
	_cleanup_(json_tokener_freep) json_tokener *tok = NULL;
	_cleanup_(json_object_putp) json_object *root = NULL;
	_cleanup_free_ char *copy = NULL;
	enum json_tokener_error jerr;
	size_t end;

	/* A NUL-terminated copy lets the tokener finish a trailing number. */
	copy = malloc(len + 1);
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!copy || !tok)
		return -ENOMEM;
	if (len > 0)
		memcpy(copy, text, len);
	copy[len] = '\0';

	root = json_tokener_parse_ex(tok, copy, (int)len + 1);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		if (jerr == json_tokener_continue)
			return set_error(
				ret_error, hint,
				"JSON syntax error: unexpected end of input");
		return set_error(ret_error, hint,
				 "JSON syntax error at offset %zu: %s",
				 json_tokener_get_parse_end(tok),
				 json_tokener_error_desc(jerr));
	}
	end = json_tokener_get_parse_end(tok);
	for (; end < len; end++)
		if (!isspace((unsigned char)copy[end]))
			break;
	if (end < len)
		return set_error(
			ret_error, hint,
			"JSON syntax error at offset %zu: data after the document",
			end);
	*ret = TAKE_PTR(root);
	return 0;
}

int emc_parse_json(const char *text, size_t len, const char *path_hint,
		   struct emc_record ***ret, char **ret_error)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	struct record_list out = { 0 };
	const char *hint = path_hint ? path_hint : "JSON";
	int q;

	assert(text || len == 0);
	assert(ret);

	if (len > JSON_MAX_FILE_SIZE)
		return set_error(
			ret_error, hint,
			"document of %zu bytes is too large (at most %u)", len,
			JSON_MAX_FILE_SIZE);
	q = parse_document(text, len, hint, &root, ret_error);
	if (q < 0)
		return q;
	q = records_from_json(root, hint, &out, ret_error);
	if (q < 0) {
		emc_records_free(out.items, out.n);
		return q;
	}
	if (!out.items) {
		out.items = calloc(1, sizeof(*out.items));
		if (!out.items)
			return -ENOMEM;
	}
	*ret = out.items;
	return (int)out.n;
}

/* The file at path (read_file, src/common/fileio.h), with a message in
 * *ret_error when it cannot be read. */
static int read_json_file(const char *path, char **ret, size_t *ret_len,
			  char **ret_error)
{
	struct stat st;
	int q;

	q = read_file(path, JSON_MAX_FILE_SIZE, ret, ret_len);
	if (q == -EINVAL)
		return set_error(ret_error, path, "not a regular file");
	if (q == -EFBIG && stat(path, &st) == 0)
		return set_error(ret_error, path,
				 "file of %jd bytes is too large (at most %u)",
				 (intmax_t)st.st_size, JSON_MAX_FILE_SIZE);
	if (q == -EFBIG) /* and gone since */
		return set_error(ret_error, path,
				 "file is too large (at most %u bytes)",
				 JSON_MAX_FILE_SIZE);
	if (q < 0 && ret_error)
		*ret_error =
			fmt_alloc("%s: cannot read: %s", path, strerror(-q));
	return q;
}

/* The JSON source: the file's records until they are delivered. */
struct json_source {
	struct emc_source base;
	sd_event_source *defer;
	struct emc_record **pending;
	size_t n_pending;
};
_Static_assert(offsetof(struct json_source, base) == 0,
	       "a struct json_source is its struct emc_source");

static void json_release(struct emc_source *s)
{
	struct json_source *j = (struct json_source *)s;

	j->defer = sd_event_source_disable_unref(j->defer);
	emc_records_free(j->pending, j->n_pending);
	j->pending = NULL;
	j->n_pending = 0;
}

static const struct emc_source_ops json_ops = {
	.size = sizeof(struct json_source),
	.release = json_release,
};

static int on_defer(sd_event_source *es, void *userdata)
{
	struct json_source *j = userdata;
	struct emc_record **records = TAKE_PTR(j->pending);
	size_t n = j->n_pending;
	int q;

	j->n_pending = 0;
	q = emc_source_reconcile(&j->base, records, n);
	if (q == 1) {
		emc_records_free(records, n);
		return 0; /* the handler freed the source */
	}
	if (q < 0) {
		/* Nothing was delivered (reconcile stops before the first
		 * event): keep the file's records and try again. */
		log_debug_errno(q, "emconfig: delivering JSON records failed, "
				   "retrying");
		j->pending = records;
		j->n_pending = n;
		q = sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
		if (q < 0)
			log_debug_errno(q, "emconfig: cannot retry delivery");
		return 0;
	}
	emc_records_free(records, n);
	emc_source_notify_ready(&j->base); /* last: it may free the source */
	return 0;
}

/* A JSON source delivering records[n] (taken over, also on failure). */
static int json_source_new(struct emc_record **records, size_t n,
			   const char *path, sd_event *event,
			   const struct emc_schema *const *schemas,
			   emc_handler_t handler, void *userdata,
			   struct emc_source **ret, char **ret_error)
{
	struct emc_source *s = NULL;
	struct json_source *j;
	int q;

	q = emc_source_alloc(&json_ops, event, schemas, handler, userdata, &s);
	if (q < 0) {
		emc_records_free(records, n);
		return q;
	}
	j = (struct json_source *)s;
	j->pending = records;
	j->n_pending = n;
	q = sd_event_add_defer(event, &j->defer, on_defer, j);
	if (q >= 0)
		q = sd_event_source_set_enabled(j->defer, SD_EVENT_ONESHOT);
	if (q >= 0)
		(void)sd_event_source_set_description(j->defer,
						      "emconfig-json");
	if (q < 0) {
		emc_source_destroy(s);
		if (ret_error)
			*ret_error =
				fmt_alloc("%s: cannot schedule delivery: %s",
					  path, strerror(-q));
		return q;
	}
	*ret = s;
	return 0;
}

int emc_source_new_json(const char *path, sd_event *event,
			const struct emc_schema *const *schemas,
			emc_handler_t handler, void *userdata,
			struct emc_source **ret, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	struct emc_record **records = NULL;
	size_t len = 0;
	int n, q;

	assert(path);
	assert(event);
	assert(schemas);
	assert(handler);
	assert(ret);

	q = read_json_file(path, &text, &len, ret_error);
	if (q < 0)
		return q;
	n = emc_parse_json(text, len, path, &records, ret_error);
	if (n < 0)
		return n;
	return json_source_new(records, (size_t)n, path, event, schemas,
			       handler, userdata, ret, ret_error);
}

struct check {
	emc_handler_t handler;
	void *userdata;
	struct emc_source *s;
	int n_invalid;
};

/* Refused records are counted (and printed on stderr without a handler);
 * a delivered one whose checks wait for entity-manager's templates comes
 * with a note saying so (printed on stdout without a handler). */
static void check_handler(enum emc_event event, const struct emc_record *rec,
			  const char *error, void *userdata)
{
	struct check *c = userdata;
	_cleanup_free_ char *keys = NULL, *note = NULL, *path = NULL;
	const struct emc_schema *schema;
	int n = 0;

	if (event == EMC_INVALID) {
		c->n_invalid++;
		if (!c->handler)
			fprintf(stderr, "%s\n", error ? error : "?");
	}
	schema = event == EMC_ADDED ? emc_source_schema(c->s, rec->type) : NULL;
	if (schema)
		n = emc_template_keys(schema, rec, &keys);
	if (n > 0)
		path = emc_msg_truncate(rec->path, EMC_MSG_PATH_MAX);
	if (n > 0 && path)
		note = fmt_alloc(
			"record '%s' (%s): %s %s a template that "
			"entity-manager fills in when it detects the board: "
			"checked at run time",
			path, rec->type, keys, n == 1 ? "holds" : "hold");
	if (n > 0 && !note)
		log_debug("emconfig: out of memory describing templates");
	if (note && !c->handler)
		printf("%s\n", note);
	if (c->handler)
		c->handler(event, rec, note ? note : error, c->userdata);
}

static void check_ready(struct emc_source *s, void *userdata)
{
	(void)sd_event_exit(userdata, 0);
	(void)s;
}

/* Check records[n] (taken over) as one JSON source delivers them. */
static int check_records(struct check *c, struct emc_record **records, size_t n,
			 const char *path,
			 const struct emc_schema *const *schemas,
			 char **ret_error)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	int q;

	q = sd_event_new(&event);
	if (q < 0) {
		emc_records_free(records, n);
		return q;
	}
	q = json_source_new(records, n, path, event, schemas, check_handler, c,
			    &c->s, ret_error);
	if (q < 0)
		return q;
	c->s->defer_templates = true;
	emc_source_set_ready_callback(c->s, check_ready, event);
	q = sd_event_loop(event);
	c->s = emc_source_free(c->s);
	return q;
}

/*
 * entity-manager probes each board of a file on its own, and of
 * alternative boards (one Name, probes that exclude each other, e.g.
 * meta/yv5/yosemite5_mb_ssd.json) publishes the one detected: records are
 * judged with the others of their board, not across boards (bare records
 * together). Templates are left for entity-manager to fill in.
 */
int emc_check_json(const char *path, const struct emc_schema *const *schemas,
		   emc_handler_t handler, void *userdata, char **ret_error)
{
	_cleanup_free_ char *text = NULL;
	struct check c = { .handler = handler, .userdata = userdata };
	struct emc_record **records = NULL;
	size_t len = 0, done = 0, n;
	bool *taken = NULL;
	int q;

	assert(path);
	assert(schemas);
	q = read_json_file(path, &text, &len, ret_error);
	if (q < 0)
		return q;
	q = emc_parse_json(text, len, path, &records, ret_error);
	if (q < 0)
		return q;
	n = (size_t)q;
	taken = calloc(n + 1, sizeof(*taken));
	if (!taken) {
		emc_records_free(records, n);
		return -ENOMEM;
	}
	/* one group per board, in the file's order */
	for (size_t first = 0; first < n && q >= 0; first++) {
		struct emc_record **group;
		size_t k = 0;

		if (taken[first])
			continue;
		group = calloc(n - done + 1, sizeof(*group));
		if (!group) {
			q = -ENOMEM;
			break;
		}
		for (size_t i = first; i < n; i++)
			if (!taken[i] && records[i]->file_board ==
						 records[first]->file_board) {
				taken[i] = true;
				group[k++] = emc_record_ref(records[i]);
			}
		done += k;
		q = check_records(&c, group, k, path, schemas, ret_error);
	}
	free(taken);
	emc_records_free(records, n);
	return q < 0 ? q : c.n_invalid;
}
