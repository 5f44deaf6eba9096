/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libemconfig internals: the record model shared by the JSON and D-Bus
 * parsers, and the common source logic (schema filter, validation,
 * duplicate Names, reconciliation and delivery).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emconfig.h"
#include "macros.h"

/* Longest value, path or Name quoted in an error message. */
#define EMC_MSG_VALUE_MAX 64
#define EMC_MSG_PATH_MAX  256
/* Where records without a board (bare JSON arrays) live. */
#define EMC_BARE_RECORD_ROOT \
	"/xyz/openbmc_project/inventory/system/board/config"

struct emc_value {
	enum emc_value_type type;
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		char *s;
		struct {
			struct emc_value *items;
			size_t n;
		} a;
	};
};

struct emc_prop {
	char *key;
	struct emc_value v;
};

/* A key whose value could not be represented (kept to explain it). */
struct emc_bad_key {
	char *key;
	char *why;
};

struct emc_child_list {
	char *key;
	struct emc_record **items;
	size_t n;
};

#define EMC_NO_FILE_BOARD SIZE_MAX

struct emc_record {
	unsigned n_ref;
	char *path;
	char *board;
	char *type;
	/* D-Bus interface the record came from (NULL for JSON records). */
	char *iface;
	/* Sort position among siblings (sub-record index). */
	long order;
	/* Set by a parser when the record itself is malformed. */
	char *error;
	/* JSON: the board of the file it is in (its index in an array of
	 * boards, 0 for a lone board), EMC_NO_FILE_BOARD for bare records
	 * and records from D-Bus. Not part of the content. */
	size_t file_board;
	struct emc_prop *props; /* sorted by key after emc_record_seal() */
	size_t n_props;
	struct emc_bad_key *bad;
	size_t n_bad;
	struct emc_child_list *children; /* sorted by key after sealing */
	size_t n_children;
};

DEFINE_CLEANUP_FUNC(struct emc_record, emc_record_unref)
#define _cleanup_record_ _cleanup_(emc_record_unrefp)

/* ---- record building (record.c) ---------------------------------------- */

void emc_value_clear(struct emc_value *v);
int emc_record_new(const char *path, const char *board, const char *type,
		   struct emc_record **ret);
/* emc_records_free() (declared in emconfig.h) unrefs each of an array of
 * records and frees the array. */
/* Takes the content of *v (cleared on success and on failure). A value
 * no D-Bus string can carry (a string, or a key, that is not valid UTF-8)
 * becomes a bad key instead, explaining why. */
int emc_record_take_prop(struct emc_record *r, const char *key,
			 struct emc_value *v);
int emc_record_add_bad_key(struct emc_record *r, const char *key,
			   const char *why);
/* Appends child (takes a reference) to the list key; a key that is not
 * UTF-8 is a bad key instead (the child is not added). */
int emc_record_add_child(struct emc_record *r, const char *key,
			 struct emc_record *child);
int emc_record_set_error(struct emc_record *r, const char *fmt, ...)
	_printf_(2, 3);
/* Sort properties and child lists by key and children by order. */
void emc_record_seal(struct emc_record *r);
const char *emc_record_bad_key(const struct emc_record *r, const char *key);
/* The typed accessors' conversions on a bare value. */
int emc_value_get_uint(const struct emc_value *v, uint64_t *ret);
int emc_value_get_double(const struct emc_value *v, double *ret);

/* ---- escaping (escape.c) ------------------------------------------------- */

/* Do a and b escape to the same object path segment (pure)? */
bool emc_escaped_equal(const char *a, const char *b);

/* ---- templates (validate.c) --------------------------------------------- */

/* Is v a string holding an entity-manager template ("$bus", "$index",
 * "$BUS % 100 * 8 + 48")? */
bool emc_is_template(const struct emc_value *v);

/* emc_validate, and with EMC_VALIDATE_TEMPLATES a key whose value is a
 * template in place of a number, bool or enum passes unchecked (what
 * --check-config does: only entity-manager can fill it in). */
#define EMC_VALIDATE_TEMPLATES 1u
int emc_validate_flags(const struct emc_schema *schema,
		       const struct emc_record *r, unsigned flags,
		       char **ret_error);
/* The keys of r that EMC_VALIDATE_TEMPLATES leaves unchecked, as
 * "'Bus', 'Thresholds[0].Value'" in *ret (NULL when none). Returns their
 * number, or -ENOMEM. */
int emc_template_keys(const struct emc_schema *schema,
		      const struct emc_record *r, char **ret);

/* ---- messages (validate.c) ---------------------------------------------- */

/* Describe v for an error message ("string '...'", "number 5", ...),
 * truncating long strings. Returns malloc'ed text or NULL. */
char *emc_value_describe(const struct emc_value *v);
/* Copy of s for messages: at most max bytes, control bytes and bytes
 * that are not UTF-8 as '?', "..." appended when cut (never inside a
 * character). NULL on allocation failure. */
char *emc_msg_truncate(const char *s, size_t max);

/* ---- sources (source.c) ------------------------------------------------- */

/*
 * The common source (source.c) holds what every source shares; each kind
 * of source (the D-Bus source, dbus.c; the JSON source, json.c) adds its
 * own state in an object that begins with a struct emc_source, and
 * registers its ops when it allocates one. Calls go one way: a kind calls
 * source.c, source.c reaches a kind only through its ops.
 */
struct emc_source_ops {
	/* Size of the kind's object (its struct emc_source first). */
	size_t size;
	/* Release what the kind holds; the common part and the object are
	 * freed afterwards. NULL: nothing to release. */
	void (*release)(struct emc_source *s);
	/* Keep the delivered record r, which the records seen now lack (not
	 * REMOVED, its Name still taken)? NULL: never. */
	bool (*keep_unseen)(const struct emc_source *s,
			    const struct emc_record *r);
	/* emc_source_write_double for r, whose Type is set. NULL: the kind
	 * cannot write (emc_source_write_double returns -EOPNOTSUPP). */
	int (*write_double)(struct emc_source *s, const struct emc_record *r,
			    const char *child_key, size_t index,
			    const char *key, double value);
};

struct emc_source {
	const struct emc_source_ops *ops;
	sd_event *event;
	const struct emc_schema *const *schemas;
	emc_handler_t handler;
	void *userdata;

	/* Valid records handed to the handler, in delivery order. */
	struct emc_record **delivered;
	size_t n_delivered;
	/* Invalid records already reported (so each is reported once). */
	struct emc_record **invalid;
	size_t n_invalid;

	/* emc_source_set_ready_callback */
	emc_ready_t ready;
	void *ready_userdata;
	bool ready_done;

	/* Delivery re-entrancy: freed from a handler -> freed afterwards. */
	unsigned busy;
	bool dead;

	/* emc_check_json: templates pass unchecked (EMC_VALIDATE_TEMPLATES) */
	bool defer_templates;
};

/* A zeroed object of ops->size bytes whose struct emc_source is set up. */
int emc_source_alloc(const struct emc_source_ops *ops, sd_event *event,
		     const struct emc_schema *const *schemas,
		     emc_handler_t handler, void *userdata,
		     struct emc_source **ret);
/* Release everything a source holds and free it (ops->release first). */
void emc_source_destroy(struct emc_source *s);
/* The first read is delivered: call the ready callback (once). */
void emc_source_notify_ready(struct emc_source *s);
/* The schema for type, or NULL. */
const struct emc_schema *emc_source_schema(const struct emc_source *s,
					   const char *type);
/*
 * Bring the delivered set in line with current (all records the source
 * sees now, in order; records of types without a schema are skipped):
 * REMOVED, CHANGED, ADDED, then INVALID (once per distinct content).
 * Delivered records absent from current for which ops->keep_unseen says
 * so are kept (and keep their Names). current is only read (the caller
 * keeps its references).
 * Returns 0 when done; 1 when a handler freed the source, which is gone
 * now (the caller must not touch it); -ENOMEM when it could not finish:
 * then no handler was called and the source is as it was, so the next
 * call (or a retry with the same records) catches up.
 */
int emc_source_reconcile(struct emc_source *s, struct emc_record **current,
			 size_t n);

/* ---- the D-Bus source's parser (dbus.c) ------------------------------------ */

/* Records of a GetManagedObjects reply (a{oa{sa{sv}}}), sealed and sorted
 * by path and Type (pure, for the unit tests too). */
int emc_dbus_parse_managed_objects(sd_bus_message *m, struct emc_record ***ret,
				   size_t *ret_n);
