/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libemconfig: configuration records for OpenBMC daemons.
 *
 * A record is one entity-manager "Exposes" entry: an object path, a Type,
 * scalar properties and named lists of sub-records (entity-manager's
 * "<Type>.<Key><N>" interfaces, e.g. Thresholds0..N). Records come either
 * from entity-manager over D-Bus or from a JSON file, with one record
 * model and one validation, so a daemon behaves the same with both.
 *
 * Return contract: 0 or positive on success, -errno on failure; output
 * parameters are named ret_* and left untouched on failure. The library
 * logs nothing above debug (but for a signal match the bus refuses, see
 * emc_source_new_dbus); errors are handed to the caller as strings.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EMC_EM_SERVICE		"xyz.openbmc_project.EntityManager"
#define EMC_EM_ROOT		"/xyz/openbmc_project/inventory"
#define EMC_CONFIG_IFACE_PREFIX "xyz.openbmc_project.Configuration."

/* ---- values ---------------------------------------------------------- */

enum emc_value_type {
	EMC_VALUE_BOOL,
	EMC_VALUE_INT, /* signed: D-Bus n/i/x, JSON negative integers */
	EMC_VALUE_UINT, /* unsigned: D-Bus y/q/u/t, JSON integers >= 0 */
	EMC_VALUE_DOUBLE, /* D-Bus d, JSON reals */
	EMC_VALUE_STRING,
	EMC_VALUE_ARRAY, /* of scalars (D-Bus as, at, ad, ...) */
};

struct emc_value;

enum emc_value_type emc_value_type(const struct emc_value *v);
size_t emc_value_array_len(const struct emc_value *v);
const struct emc_value *emc_value_array_at(const struct emc_value *v, size_t i);

/* ---- records ---------------------------------------------------------- */

struct emc_record;

/* Takes a const record (as handlers get them): the reference count is
 * the only thing that changes; returns the record, now owned. */
struct emc_record *emc_record_ref(const struct emc_record *r);
struct emc_record *emc_record_unref(struct emc_record *r);

/* Object path, e.g. /xyz/openbmc_project/inventory/system/board/B/N. */
const char *emc_record_path(const struct emc_record *r);
/* Parent (board) path, or NULL for records that have no board. */
const char *emc_record_board(const struct emc_record *r);
/* "NVME1000", "GPIOCableSensing", ... ; sub-records return their key. */
const char *emc_record_type(const struct emc_record *r);
/* The Name property, or NULL when missing or not a string. */
const char *emc_record_name(const struct emc_record *r);
/* True when both records hold the same path, type, properties and
 * sub-records (used to tell a real change from a re-publication). */
bool emc_record_equal(const struct emc_record *a, const struct emc_record *b);

/* Raw property lookup; NULL when absent. */
const struct emc_value *emc_record_get(const struct emc_record *r,
				       const char *key);
size_t emc_record_n_keys(const struct emc_record *r);
const char *emc_record_key_at(const struct emc_record *r, size_t i);

/*
 * Typed accessors, accepting every encoding entity-manager really uses:
 * numbers from any D-Bus integer type or double (integral values only for
 * the integer getters), and numeric strings ("50", "0x6a") as
 * entity-manager files write them. Return 0, -ENOENT when the key is
 * missing, -EINVAL when the value has the wrong type or does not fit, and
 * -ERANGE when it is outside [min, max] (emc_record_get_uint_range).
 */
int emc_record_get_string(const struct emc_record *r, const char *key,
			  const char **ret);
int emc_record_get_bool(const struct emc_record *r, const char *key, bool *ret);
int emc_record_get_uint(const struct emc_record *r, const char *key,
			uint64_t *ret);
int emc_record_get_uint_range(const struct emc_record *r, const char *key,
			      uint64_t min, uint64_t max, uint64_t *ret);
int emc_record_get_int(const struct emc_record *r, const char *key,
		       int64_t *ret);
int emc_record_get_double(const struct emc_record *r, const char *key,
			  double *ret);

/* Sub-records under key (Thresholds -> Thresholds0..N, in index order). */
size_t emc_record_n_children(const struct emc_record *r, const char *key);
struct emc_record *emc_record_child(const struct emc_record *r, const char *key,
				    size_t i);
size_t emc_record_n_child_keys(const struct emc_record *r);
const char *emc_record_child_key_at(const struct emc_record *r, size_t i);

/* ---- validation (pure) ------------------------------------------------ */

enum emc_kind {
	EMC_STRING, /* non-empty string, at most max_len bytes */
	EMC_ENUM, /* string, one of values[] */
	EMC_BOOL, /* bool */
	EMC_UINT, /* integral number in [min, max], numeric string too */
	EMC_NUMBER, /* any number in [min, max], numeric string too */
	EMC_CHILDREN, /* list of sub-records, each checked against children */
};

struct emc_key {
	const char *name;
	enum emc_kind kind;
	bool required;
	double min, max; /* EMC_UINT, EMC_NUMBER (both 0: no limit) */
	/* EMC_UINT, EMC_NUMBER: a number only, no numeric string (a JSON
	 * schema "type": "integer" or "number"). */
	bool exact;
	size_t max_len; /* EMC_STRING (0: 4096) */
	const char *const *values; /* EMC_ENUM, NULL-terminated */
	const struct emc_schema *children; /* EMC_CHILDREN */
};

struct emc_schema {
	const char *type; /* Configuration type, e.g. "GPIOCableSensing" */
	const struct emc_key *keys; /* terminated by an entry with name NULL */
	/* Keys not in keys[] (other than Type) are refused, as a JSON schema
	 * with "additionalProperties": false refuses them; otherwise they are
	 * accepted and ignored. Sub-records are checked by their own schema. */
	bool closed;
};

/*
 * Check r against schema. On failure returns -EINVAL and, if ret_error is
 * non-NULL, a malloc'ed message naming the key and what is wrong, e.g.
 * "key 'Polarity': unknown value 'up' (expected one of: active_low,
 * active_high)". Keys not in the schema are accepted and ignored, unless
 * the schema is closed: then "key 'Polarty': unknown key".
 */
int emc_validate(const struct emc_schema *schema, const struct emc_record *r,
		 char **ret_error);

/* ---- object path escaping ---------------------------------------------- */

/* The object path segment entity-manager makes of a Name: every byte that
 * is not an ASCII letter or digit becomes '_' (its sanitising), and a
 * result that starts with '_' is then escaped as sdbusplus's object_path
 * appends it, each '_' as "_5f" ("-rear cable" -> "_5frear_5fcable"; "Cable
 * 1" -> "Cable_1"). "" stays "" (entity-manager refuses an empty segment).
 * Returns a malloc'ed string, or NULL on allocation failure. */
char *emc_escape(const char *s);

/* ---- sources ----------------------------------------------------------- */

enum emc_event {
	EMC_ADDED, /* a valid record appeared */
	EMC_CHANGED, /* a record at the same path now has other content */
	EMC_REMOVED, /* a record that was delivered is gone */
	EMC_INVALID, /* a record was rejected; error says why */
};

/*
 * Called on the sd-event loop. rec is valid during the call; take a
 * reference to keep it. For EMC_INVALID, error names the record path and
 * the key; it is also what the daemon should log (once: the library
 * reports a given invalid content only once).
 */
typedef void (*emc_handler_t)(enum emc_event event,
			      const struct emc_record *rec, const char *error,
			      void *userdata);

struct emc_source;

/*
 * Follow entity-manager on bus: GetManagedObjects at start, then
 * InterfacesAdded/InterfacesRemoved/PropertiesChanged and NameOwnerChanged
 * (a restart is re-read and reconciled: nothing reported twice, vanished
 * records reported removed). Only records whose Type has a schema in
 * schemas (NULL-terminated) are delivered; each is validated first.
 * Records with a Name already used by another delivered record of the
 * same Type (or a Name that escapes to the same object path segment, e.g.
 * "Cable 1" and "Cable-1") are rejected as EMC_INVALID. If bus has no event loop yet it
 * is attached to event. Signals are coalesced: one re-read ~75 ms after
 * the first of a burst. When entity-manager leaves the bus the records
 * are kept; its next instance's objects are reconciled against them:
 * since it owns its name before it has published everything, records it
 * has not published again are only reported REMOVED once it has sent no
 * signal for 3 s (30 s after it appeared at the latest), unless it
 * signalled their removal (InterfacesRemoved); ADDED and CHANGED are
 * reported as they come. A signal match the bus refuses (e.g. over
 * dbus-daemon's max_match_rules_per_connection) is logged as a warning
 * and added again every second until it is taken, each time followed by a
 * re-read.
 */
int emc_source_new_dbus(sd_bus *bus, sd_event *event,
			const struct emc_schema *const *schemas,
			emc_handler_t handler, void *userdata,
			struct emc_source **ret);

/*
 * Read records from a JSON file: an entity-manager board file (object with
 * "Exposes"), an array of board files, or a bare array of records. Records
 * are delivered from the event loop (a deferred event source), exactly as
 * the D-Bus source delivers them. A file that cannot be read or parsed is
 * an error returned here (with a message in ret_error if non-NULL).
 * Paths: a board is /xyz/openbmc_project/inventory/system/<board Type
 * lower-cased, default "board">/<escaped board Name>, its records
 * <board path>/<escaped Name>; records of a bare array have no board and
 * live under /xyz/openbmc_project/inventory/system/board/config/. Entries
 * that are not objects, or lack a Type or Name string, are EMC_INVALID
 * (named "<board path>/Exposes[<i>]" when there is no Name).
 */
int emc_source_new_json(const char *path, sd_event *event,
			const struct emc_schema *const *schemas,
			emc_handler_t handler, void *userdata,
			struct emc_source **ret, char **ret_error);

/* Parse a JSON document (same formats as above) into records, without
 * validation. For tests, fuzzers and tools. path_hint names the source in
 * errors. Returns the number of records, array in *ret (free with
 * emc_records_free). */
int emc_parse_json(const char *text, size_t len, const char *path_hint,
		   struct emc_record ***ret, char **ret_error);
void emc_records_free(struct emc_record **records, size_t n);

/*
 * Check a JSON file as entity-manager would publish its records (schemas,
 * validation, duplicate Names), without a daemon: handler sees every
 * record, EMC_ADDED or EMC_INVALID, before this returns (NULL: each
 * refused record's message is printed on stderr). What entity-manager
 * settles only when it detects a board is not held against the file:
 * each board of the file is judged on its own (alternative boards of one
 * Name do not clash; bare records are judged together), and a template
 * ("$bus", "$BUS % 100 * 8 + 48") in place of a number, bool or enum
 * passes; such a record comes as EMC_ADDED with error set to a note
 * naming those keys, "checked at run time" (printed on stdout without a
 * handler). Returns the number of records refused, or -errno when the
 * file cannot be read or parsed (with a message in ret_error if
 * non-NULL). For a daemon's --check-config, e.g. in an image build.
 */
int emc_check_json(const char *path, const struct emc_schema *const *schemas,
		   emc_handler_t handler, void *userdata, char **ret_error);

struct emc_source *emc_source_free(struct emc_source *s);

/*
 * Call ready once, on the event loop, after the first read has been
 * delivered: for the D-Bus source, the first GetManagedObjects reply has
 * been reconciled (or entity-manager turned out not to be running); for
 * the JSON source, the file's records. A daemon requests its bus name
 * from there, so that its objects exist before the name does (it should
 * also have a timeout of its own, for an entity-manager that does not
 * answer). ready may free the source.
 */
typedef void (*emc_ready_t)(struct emc_source *s, void *userdata);
void emc_source_set_ready_callback(struct emc_source *s, emc_ready_t ready,
				   void *userdata);

/* Write a property of a record back to entity-manager (Set on the record's
 * interface, or on "<Type>.<child_key><index>" when child_key is not NULL),
 * e.g. a threshold Value changed over D-Bus. Asynchronous; errors are
 * logged at debug and ignored. A no-op returning -EOPNOTSUPP for JSON
 * sources. */
int emc_source_write_double(struct emc_source *s, const struct emc_record *r,
			    const char *child_key, size_t index,
			    const char *key, double value);

#ifdef __cplusplus
}
#endif
