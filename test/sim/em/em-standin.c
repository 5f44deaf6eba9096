/* SPDX-License-Identifier: Apache-2.0 */
/*
 * em-standin: publishes entity-manager board files on the system bus the
 * way entity-manager does, so that the configuration library (and the
 * daemons above it) can be tested without entity-manager. It is written
 * from entity-manager's behaviour, not from libemconfig, so it checks the
 * library rather than mirroring it.
 *
 *   em-standin [-v] [--set NAME=VALUE]... [FILE]...
 *
 * Each FILE is a board file (object with "Exposes") or an array of them.
 * --set gives the values that entity-manager would take from the FRU
 * probe ("$bus", "$index", "$PRODUCT_MANUFACTURER", ...); see
 * em-template.h for the substitution and arithmetic rules.
 *
 * Publication (service xyz.openbmc_project.EntityManager, ObjectManager at
 * /xyz/openbmc_project/inventory):
 * - board: /xyz/openbmc_project/inventory/system/<type lower>/<Name esc.>
 *   with xyz.openbmc_project.Inventory.Item.<Type> (the board's scalar
 *   keys: Name, Probe, Type, ...) and one interface per board key named
 *   "xyz.openbmc_project.*" holding an object (Decorator.Asset, ...);
 * - record: <board path>/<Name escaped> with
 *   xyz.openbmc_project.Configuration.<Type>; an object key K gives
 *   ...Configuration.<Type>.<K>, an array of objects ...<Type>.<K><N>;
 * - values: string s, bool b, integer >= 0 t, negative integer x, real d,
 *   arrays of one JSON type as a<that>; empty or mixed arrays and null are
 *   skipped (entity-manager logs "dbus format error"); strings that are
 *   whole decimal or 0x-hex numbers become t;
 * - interfaces of records whose Type, or sub-interfaces whose key, is one
 *   of FanProfile, Pid, Pid.Zone, Stepwise, Thresholds, Polling are
 *   writable (Properties.Set, emits PropertiesChanged) and their numbers
 *   are published as d, as entity-manager does; the others are read-only.
 * - InterfacesAdded/InterfacesRemoved when boards come and go. The name is
 *   requested after the boards given on the command line are published.
 *
 * Test control interface (object /xyz/openbmc_project/test/em, interface
 * xyz.openbmc_project.Test.EntityManager):
 * - AddBoards(s file, a{ss} vars) -> (ao boards): publish the boards of
 *   file with vars (which take precedence over --set); all or nothing.
 * - RemoveBoard(o board): withdraw a board and its records.
 * - SetRecordProperty(o record, s interface, s property, v value): change
 *   a published property (read-only ones too, with the same signature)
 *   and emit PropertiesChanged.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "em-template.h"
#include "log.h"
#include "macros.h"

#define EM_SERVICE	 "xyz.openbmc_project.EntityManager"
#define EM_ROOT		 "/xyz/openbmc_project/inventory"
#define EM_SYSTEM	 EM_ROOT "/system"
#define EM_ITEM_PREFIX	 "xyz.openbmc_project.Inventory.Item."
#define EM_CONFIG_PREFIX "xyz.openbmc_project.Configuration."
#define EM_PDI_PREFIX	 "xyz.openbmc_project."
#define TEST_PATH	 "/xyz/openbmc_project/test/em"
#define TEST_IFACE	 "xyz.openbmc_project.Test.EntityManager"

struct prop {
	char *name;
	char sig[3];
	struct json_object *value;
};

struct iface {
	char *name;
	bool writable;
	struct prop *props;
	size_t n_props;
	sd_bus_vtable *vtable;
	sd_bus_slot *slot;
};

struct object {
	char *path;
	struct iface **ifaces;
	size_t n_ifaces;
};

struct board {
	char *path;
	struct object **objects; /* [0] is the board object */
	size_t n_objects;
	size_t n_records;
	bool published;
};

struct manager {
	sd_bus *bus;
	sd_event *event;
	struct board **boards;
	size_t n_boards;
	struct em_var *vars;
	size_t n_vars;
	/* --publish-delay-ms: the command line files, published one per
	 * delay after the name is taken (as a slow entity-manager does). */
	char **later;
	size_t n_later, next_later;
	uint64_t publish_delay_usec;
};

static const char *const settable[] = {
	"FanProfile", "Pid", "Pid.Zone", "Stepwise", "Thresholds", "Polling",
};

static bool is_settable(const char *key)
{
	for (size_t i = 0; i < ARRAY_SIZE(settable); i++)
		if (strcmp(key, settable[i]) == 0)
			return true;
	return false;
}

/* ---- model ------------------------------------------------------------ */

static struct iface *iface_free(struct iface *i)
{
	if (!i)
		return NULL;
	sd_bus_slot_unref(i->slot);
	for (size_t k = 0; k < i->n_props; k++) {
		free(i->props[k].name);
		json_object_put(i->props[k].value);
	}
	free(i->props);
	free(i->vtable);
	free(i->name);
	free(i);
	return NULL;
}
DEFINE_CLEANUP_FUNC(struct iface, iface_free)

static struct object *object_free(struct object *o)
{
	if (!o)
		return NULL;
	for (size_t k = 0; k < o->n_ifaces; k++)
		iface_free(o->ifaces[k]);
	free(o->ifaces);
	free(o->path);
	free(o);
	return NULL;
}

static struct board *board_free(struct board *b)
{
	if (!b)
		return NULL;
	for (size_t k = 0; k < b->n_objects; k++)
		object_free(b->objects[k]);
	free(b->objects);
	free(b->path);
	free(b);
	return NULL;
}
DEFINE_CLEANUP_FUNC(struct board, board_free)

static struct prop *iface_find_prop(struct iface *i, const char *name)
{
	for (size_t k = 0; k < i->n_props; k++)
		if (strcmp(i->props[k].name, name) == 0)
			return &i->props[k];
	return NULL;
}

static struct iface *object_find_iface(struct object *o, const char *name)
{
	for (size_t k = 0; k < o->n_ifaces; k++)
		if (strcmp(o->ifaces[k]->name, name) == 0)
			return o->ifaces[k];
	return NULL;
}

static struct object *board_find_object(struct board *b, const char *path)
{
	for (size_t k = 0; k < b->n_objects; k++)
		if (strcmp(b->objects[k]->path, path) == 0)
			return b->objects[k];
	return NULL;
}

static struct object *manager_find_object(struct manager *m, const char *path)
{
	for (size_t k = 0; k < m->n_boards; k++) {
		struct object *o = board_find_object(m->boards[k], path);

		if (o)
			return o;
	}
	return NULL;
}

static struct board *manager_find_board(struct manager *m, const char *path,
					size_t *ret_index)
{
	for (size_t k = 0; k < m->n_boards; k++)
		if (strcmp(m->boards[k]->path, path) == 0) {
			if (ret_index)
				*ret_index = k;
			return m->boards[k];
		}
	return NULL;
}

/* ---- values ------------------------------------------------------------ */

/* D-Bus type of one JSON scalar, as entity-manager picks it; 0 if none. */
static char scalar_sig(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return 'b';
	case json_type_int:
		return json_object_get_int64(v) < 0 ? 'x' : 't';
	case json_type_double:
		return 'd';
	case json_type_string:
		return 's';
	default:
		return 0;
	}
}

static int append_value(sd_bus_message *m, const char *sig,
			struct json_object *v)
{
	int r;

	switch (sig[0]) {
	case 's':
		return sd_bus_message_append_basic(m, 's',
						   json_object_get_string(v));
	case 'b': {
		int b = json_object_get_boolean(v);

		return sd_bus_message_append_basic(m, 'b', &b);
	}
	case 't': {
		uint64_t u = json_object_get_uint64(v);

		return sd_bus_message_append_basic(m, 't', &u);
	}
	case 'x': {
		int64_t x = json_object_get_int64(v);

		return sd_bus_message_append_basic(m, 'x', &x);
	}
	case 'd': {
		double d = json_object_get_double(v);

		return sd_bus_message_append_basic(m, 'd', &d);
	}
	case 'a':
		r = sd_bus_message_open_container(m, 'a', sig + 1);
		if (r < 0)
			return r;
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			r = append_value(m, sig + 1,
					 json_object_array_get_idx(v, k));
			if (r < 0)
				return r;
		}
		return sd_bus_message_close_container(m);
	default:
		return -EINVAL;
	}
}

/* Read a value of signature sig (one of those append_value writes). */
static int read_value(sd_bus_message *m, const char *sig,
		      struct json_object **ret)
{
	struct json_object *v = NULL;
	int r;

	switch (sig[0]) {
	case 's': {
		const char *s;

		r = sd_bus_message_read_basic(m, 's', &s);
		if (r < 0)
			return r;
		v = json_object_new_string(s);
		break;
	}
	case 'b': {
		int b;

		r = sd_bus_message_read_basic(m, 'b', &b);
		if (r < 0)
			return r;
		v = json_object_new_boolean(b);
		break;
	}
	case 't': {
		uint64_t u;

		r = sd_bus_message_read_basic(m, 't', &u);
		if (r < 0)
			return r;
		v = json_object_new_uint64(u);
		break;
	}
	case 'x': {
		int64_t x;

		r = sd_bus_message_read_basic(m, 'x', &x);
		if (r < 0)
			return r;
		v = json_object_new_int64(x);
		break;
	}
	case 'd': {
		double d;

		r = sd_bus_message_read_basic(m, 'd', &d);
		if (r < 0)
			return r;
		v = json_object_new_double(d);
		break;
	}
	case 'a':
		r = sd_bus_message_enter_container(m, 'a', sig + 1);
		if (r < 0)
			return r;
		v = json_object_new_array();
		if (!v)
			return -ENOMEM;
		while ((r = sd_bus_message_at_end(m, false)) == 0) {
			struct json_object *e;

			r = read_value(m, sig + 1, &e);
			if (r < 0)
				break;
			json_object_array_add(v, e);
		}
		if (r < 0) {
			json_object_put(v);
			return r;
		}
		r = sd_bus_message_exit_container(m);
		if (r < 0) {
			json_object_put(v);
			return r;
		}
		break;
	default:
		return -EINVAL;
	}
	if (!v)
		return -ENOMEM;
	*ret = v;
	return 0;
}

/* Deep copy of v with templates substituted and numeric strings turned
 * into numbers. */
static int substitute(struct json_object *v, const struct em_var *vars,
		      size_t n_vars, struct json_object **ret)
{
	struct json_object *out = NULL;
	int r;

	switch (json_object_get_type(v)) {
	case json_type_object:
		out = json_object_new_object();
		if (!out)
			return -ENOMEM;
		json_object_object_foreach (v, key, val) {
			struct json_object *c;

			r = substitute(val, vars, n_vars, &c);
			if (r < 0) {
				json_object_put(out);
				return r;
			}
			json_object_object_add(out, key, c);
		}
		break;
	case json_type_array:
		out = json_object_new_array();
		if (!out)
			return -ENOMEM;
		for (size_t k = 0; k < json_object_array_length(v); k++) {
			struct json_object *c;

			r = substitute(json_object_array_get_idx(v, k), vars,
				       n_vars, &c);
			if (r < 0) {
				json_object_put(out);
				return r;
			}
			json_object_array_add(out, c);
		}
		break;
	case json_type_string: {
		_cleanup_free_ char *s = NULL;
		uint64_t u;

		r = em_expand(json_object_get_string(v), vars, n_vars, &s);
		if (r < 0)
			return r;
		if (em_string_to_uint(s, &u))
			out = json_object_new_uint64(u);
		else
			out = json_object_new_string(s);
		if (!out)
			return -ENOMEM;
		break;
	}
	default:
		out = json_object_get(v);
		break;
	}
	*ret = out;
	return 0;
}

/* ---- D-Bus property callbacks ----------------------------------------- */

static int prop_get(sd_bus *bus, const char *path, const char *interface,
		    const char *property, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	struct iface *i = userdata;
	struct prop *p = iface_find_prop(i, property);

	if (!p)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
					 "no property '%s'", property);
	return append_value(reply, p->sig, p->value);
}

static int prop_set(sd_bus *bus, const char *path, const char *interface,
		    const char *property, sd_bus_message *value, void *userdata,
		    sd_bus_error *error)
{
	struct iface *i = userdata;
	struct prop *p = iface_find_prop(i, property);
	struct json_object *v;
	int r;

	if (!p)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
					 "no property '%s'", property);
	r = read_value(value, p->sig, &v);
	if (r < 0)
		return r;
	json_object_put(p->value);
	p->value = v;
	log_info("set %s %s.%s", path, interface, property);
	r = sd_bus_emit_properties_changed(bus, path, interface, property,
					   NULL);
	if (r < 0)
		log_warning_errno(r, "PropertiesChanged on %s failed", path);
	return 0;
}

/* ---- building boards from JSON ------------------------------------------ */

static int iface_new(const char *name, bool writable, struct iface **ret)
{
	struct iface *i;

	if (!sd_bus_interface_name_is_valid(name))
		return -EINVAL;
	i = calloc(1, sizeof(*i));
	if (!i)
		return -ENOMEM;
	i->name = strdup(name);
	if (!i->name) {
		free(i);
		return -ENOMEM;
	}
	i->writable = writable;
	*ret = i;
	return 0;
}

/* Scalar and scalar-array keys of dict become properties of i; objects
 * and arrays of objects are left to the caller. */
static int iface_add_props(struct iface *i, const char *where,
			   struct json_object *dict)
{
	json_object_object_foreach (dict, key, val) {
		struct json_object *first = val;
		struct prop *p, *props;
		char sig[3] = { 0 };
		bool array = json_object_is_type(val, json_type_array);

		if (array) {
			size_t n = json_object_array_length(val);

			if (n == 0)
				continue;
			first = json_object_array_get_idx(val, 0);
			if (json_object_is_type(first, json_type_object))
				continue;
			for (size_t k = 1; k < n; k++) {
				struct json_object *e =
					json_object_array_get_idx(val, k);

				if (json_object_get_type(e) !=
					    json_object_get_type(first) ||
				    scalar_sig(e) != scalar_sig(first)) {
					log_warning("%s: key '%s': array of "
						    "mixed types, skipped",
						    where, key);
					goto next;
				}
			}
		}
		if (json_object_is_type(first, json_type_object))
			continue;
		sig[array ? 1 : 0] = scalar_sig(first);
		if (array)
			sig[0] = 'a';
		if (!sig[array ? 1 : 0]) {
			log_warning("%s: key '%s': unsupported JSON type, "
				    "skipped",
				    where, key);
			continue;
		}
		if (i->writable &&
		    (sig[array ? 1 : 0] == 't' || sig[array ? 1 : 0] == 'x'))
			sig[array ? 1 : 0] = 'd';
		if (!sd_bus_member_name_is_valid(key)) {
			log_warning("%s: key '%s' is not a D-Bus member name, "
				    "skipped",
				    where, key);
			continue;
		}

		props = reallocarray(i->props, i->n_props + 1,
				     sizeof(*i->props));
		if (!props)
			return -ENOMEM;
		i->props = props;
		p = &i->props[i->n_props];
		p->name = strdup(key);
		if (!p->name)
			return -ENOMEM;
		memcpy(p->sig, sig, sizeof(sig));
		p->value = json_object_get(val);
		i->n_props++;
next:;
	}
	return 0;
}

static int object_add_iface(struct object *o, struct iface *i)
{
	struct iface **a;

	if (object_find_iface(o, i->name))
		return -EEXIST;
	a = reallocarray(o->ifaces, o->n_ifaces + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	o->ifaces = a;
	o->ifaces[o->n_ifaces++] = i;
	return 0;
}

/* Build interface name from dict and add it to o. */
static int object_add_dict(struct object *o, const char *name, bool writable,
			   struct json_object *dict)
{
	_cleanup_(iface_freep) struct iface *i = NULL;
	int r;

	r = iface_new(name, writable, &i);
	if (r < 0)
		return log_warning_errno(r, "%s: bad interface name '%s'",
					 o->path, name);
	r = iface_add_props(i, o->path, dict);
	if (r < 0)
		return r;
	r = object_add_iface(o, i);
	if (r < 0)
		return log_warning_errno(r, "%s: interface '%s' twice", o->path,
					 name);
	TAKE_PTR(i);
	return 0;
}

static int board_get_object(struct board *b, const char *path,
			    struct object **ret)
{
	struct object *o = board_find_object(b, path), **a;

	if (o) {
		*ret = o;
		return 0;
	}
	if (!sd_bus_object_path_is_valid(path))
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->path = strdup(path);
	if (!o->path) {
		object_free(o);
		return -ENOMEM;
	}
	a = reallocarray(b->objects, b->n_objects + 1, sizeof(*a));
	if (!a) {
		object_free(o);
		return -ENOMEM;
	}
	b->objects = a;
	b->objects[b->n_objects++] = o;
	*ret = o;
	return 0;
}

/* One Exposes entry; problems are logged and the record skipped, as
 * entity-manager does. Only -ENOMEM is returned. */
static int board_add_record(struct board *b, size_t index,
			    struct json_object *rec)
{
	_cleanup_free_ char *esc = NULL, *path = NULL, *ifname = NULL;
	struct json_object *jname, *jtype;
	const char *name, *type;
	struct object *o;
	size_t first_iface;
	bool writable;
	int r;

	if (!json_object_is_type(rec, json_type_object)) {
		log_warning("%s: Exposes[%zu] is not an object, skipped",
			    b->path, index);
		return 0;
	}
	if (!json_object_object_get_ex(rec, "Name", &jname) ||
	    !json_object_is_type(jname, json_type_string) ||
	    !json_object_object_get_ex(rec, "Type", &jtype) ||
	    !json_object_is_type(jtype, json_type_string)) {
		log_warning("%s: Exposes[%zu] has no string Name and Type, "
			    "skipped",
			    b->path, index);
		return 0;
	}
	name = json_object_get_string(jname);
	type = json_object_get_string(jtype);

	esc = em_escape(name);
	if (!esc || asprintf(&path, "%s/%s", b->path, esc) < 0 ||
	    asprintf(&ifname, EM_CONFIG_PREFIX "%s", type) < 0)
		return log_oom();

	r = board_get_object(b, path, &o);
	if (r == -ENOMEM)
		return log_oom();
	if (r < 0) {
		log_warning("%s: Exposes[%zu]: bad object path '%s', skipped",
			    b->path, index, path);
		return 0;
	}
	first_iface = o->n_ifaces;

	writable = is_settable(type);
	r = object_add_dict(o, ifname, writable, rec);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		goto drop;

	json_object_object_foreach (rec, key, val) {
		_cleanup_free_ char *sub = NULL;

		if (json_object_is_type(val, json_type_object)) {
			if (asprintf(&sub, "%s.%s", ifname, key) < 0)
				return log_oom();
			r = object_add_dict(o, sub, is_settable(key), val);
		} else if (json_object_is_type(val, json_type_array) &&
			   json_object_array_length(val) > 0 &&
			   json_object_is_type(json_object_array_get_idx(val,
									 0),
					       json_type_object)) {
			for (size_t k = 0; k < json_object_array_length(val);
			     k++) {
				struct json_object *e =
					json_object_array_get_idx(val, k);

				free(sub);
				sub = NULL;
				if (!json_object_is_type(e, json_type_object)) {
					log_warning("%s: key '%s': array of "
						    "mixed types, element %zu "
						    "skipped",
						    path, key, k);
					continue;
				}
				if (asprintf(&sub, "%s.%s%zu", ifname, key, k) <
				    0)
					return log_oom();
				r = object_add_dict(o, sub, is_settable(key),
						    e);
				if (r < 0)
					break;
			}
		} else {
			continue;
		}
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			goto drop;
	}
	b->n_records++;
	return 0;

drop:
	/* undo this record's interfaces; the object stays if it had others */
	while (o->n_ifaces > first_iface)
		iface_free(o->ifaces[--o->n_ifaces]);
	if (o->n_ifaces == 0 && b->objects[b->n_objects - 1] == o)
		object_free(b->objects[--b->n_objects]);
	log_warning("%s: Exposes[%zu] ('%s') skipped", b->path, index, name);
	return 0;
}

static int board_build(struct json_object *raw, const struct em_var *vars,
		       size_t n_vars, struct board **ret, char **ret_error)
{
	_cleanup_(board_freep) struct board *b = NULL;
	_cleanup_free_ char *esc = NULL, *lower = NULL, *item = NULL;
	struct json_object *json = NULL, *jname, *jtype, *exposes;
	struct object *o;
	int r;

	if (!json_object_is_type(raw, json_type_object)) {
		*ret_error = strdup("board is not a JSON object");
		return -EINVAL;
	}
	r = substitute(raw, vars, n_vars, &json);
	if (r < 0)
		return r;

	if (!json_object_object_get_ex(json, "Name", &jname) ||
	    !json_object_is_type(jname, json_type_string) ||
	    !json_object_object_get_ex(json, "Type", &jtype) ||
	    !json_object_is_type(jtype, json_type_string)) {
		json_object_put(json);
		*ret_error = strdup("board has no string Name and Type");
		return -EINVAL;
	}

	b = calloc(1, sizeof(*b));
	if (!b)
		goto oom;
	esc = em_escape(json_object_get_string(jname));
	/* entity-manager: basePath / lower-cased sanitised Type / Name */
	lower = em_escape(json_object_get_string(jtype));
	if (!esc || !lower)
		goto oom;
	for (char *p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (asprintf(&b->path, EM_SYSTEM "/%s/%s", lower, esc) < 0) {
		b->path = NULL;
		goto oom;
	}
	r = board_get_object(b, b->path, &o);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0) {
		json_object_put(json);
		r = asprintf(ret_error, "invalid board object path '%s'",
			     b->path);
		return -EINVAL;
	}

	if (asprintf(&item, EM_ITEM_PREFIX "%s",
		     json_object_get_string(jtype)) < 0) {
		item = NULL;
		goto oom;
	}
	r = object_add_dict(o, item, false, json);
	if (r == -ENOMEM)
		goto oom;
	if (r < 0) {
		json_object_put(json);
		r = asprintf(ret_error, "invalid board interface '%s'", item);
		return -EINVAL;
	}

	json_object_object_foreach (json, key, val) {
		if (strncmp(key, EM_PDI_PREFIX, strlen(EM_PDI_PREFIX)) != 0 ||
		    !json_object_is_type(val, json_type_object))
			continue;
		r = object_add_dict(o, key, false, val);
		if (r == -ENOMEM)
			goto oom;
	}

	if (json_object_object_get_ex(json, "Exposes", &exposes) &&
	    json_object_is_type(exposes, json_type_array))
		for (size_t k = 0; k < json_object_array_length(exposes); k++) {
			r = board_add_record(
				b, k, json_object_array_get_idx(exposes, k));
			if (r < 0)
				goto oom;
		}

	json_object_put(json);
	*ret = TAKE_PTR(b);
	return 0;
oom:
	json_object_put(json);
	return -ENOMEM;
}

/* Boards of file (a board or an array of boards), not yet published. */
static int load_file(const char *file, const struct em_var *vars, size_t n_vars,
		     struct board ***ret, size_t *ret_n, char **ret_error)
{
	struct json_object *json;
	struct board **boards = NULL;
	size_t n = 0, count;
	int r = 0;

	json = json_object_from_file(file);
	if (!json) {
		r = asprintf(ret_error, "cannot read '%s': %s", file,
			     json_util_get_last_err());
		return -EINVAL;
	}
	count = json_object_is_type(json, json_type_array) ?
			json_object_array_length(json) :
			1;
	boards = calloc(count ? count : 1, sizeof(*boards));
	if (!boards) {
		json_object_put(json);
		return -ENOMEM;
	}
	for (size_t k = 0; k < count; k++) {
		_cleanup_free_ char *err = NULL;
		struct json_object *raw =
			json_object_is_type(json, json_type_array) ?
				json_object_array_get_idx(json, k) :
				json;

		r = board_build(raw, vars, n_vars, &boards[n], &err);
		if (r < 0) {
			if (asprintf(ret_error, "'%s' board %zu: %s", file, k,
				     err ? err : strerror(-r)) < 0)
				*ret_error = NULL;
			break;
		}
		n++;
	}
	json_object_put(json);
	if (r < 0) {
		for (size_t k = 0; k < n; k++)
			board_free(boards[k]);
		free(boards);
		return r;
	}
	*ret = boards;
	*ret_n = n;
	return 0;
}

/* ---- publication ------------------------------------------------------- */

static int iface_publish(struct manager *m, struct object *o, struct iface *i)
{
	sd_bus_vtable *vt;
	size_t k;

	vt = calloc(i->n_props + 2, sizeof(*vt));
	if (!vt)
		return -ENOMEM;
	vt[0] = (sd_bus_vtable)SD_BUS_VTABLE_START(0);
	for (k = 0; k < i->n_props; k++) {
		struct prop *p = &i->props[k];

		if (i->writable)
			vt[k + 1] = (sd_bus_vtable)SD_BUS_WRITABLE_PROPERTY(
				p->name, p->sig, prop_get, prop_set, 0,
				SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE);
		else
			vt[k + 1] = (sd_bus_vtable)SD_BUS_PROPERTY(
				p->name, p->sig, prop_get, 0,
				SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE);
	}
	vt[k + 1] = (sd_bus_vtable)SD_BUS_VTABLE_END;
	free(i->vtable);
	i->vtable = vt;
	return sd_bus_add_object_vtable(m->bus, &i->slot, o->path, i->name,
					i->vtable, i);
}

/* InterfacesAdded/Removed with every interface of the object, the
 * standard org.freedesktop.DBus.* ones too: phosphor-objmgr's mapper
 * forgets a path of a service only once none of its interfaces is left.
 * Removal is emitted while the vtables still exist (sd-bus lists them). */
static int object_emit(struct manager *m, struct object *o, bool added)
{
	int r;

	if (added)
		r = sd_bus_emit_object_added(m->bus, o->path);
	else
		r = sd_bus_emit_object_removed(m->bus, o->path);
	if (r < 0)
		log_warning_errno(r, "Interfaces%s on %s failed",
				  added ? "Added" : "Removed", o->path);
	return r;
}

static void board_unpublish(struct manager *m, struct board *b)
{
	if (!b->published)
		return;
	/* records first, then the board object, as they were added */
	for (size_t k = b->n_objects; k-- > 0;) {
		struct object *o = b->objects[k];

		(void)object_emit(m, o, false);
		for (size_t j = 0; j < o->n_ifaces; j++)
			o->ifaces[j]->slot =
				sd_bus_slot_unref(o->ifaces[j]->slot);
	}
	b->published = false;
}

static int board_publish(struct manager *m, struct board *b)
{
	int r;

	for (size_t k = 0; k < b->n_objects; k++) {
		struct object *o = b->objects[k];

		for (size_t j = 0; j < o->n_ifaces; j++) {
			r = iface_publish(m, o, o->ifaces[j]);
			if (r < 0) {
				log_error_errno(r, "cannot publish %s %s",
						o->path, o->ifaces[j]->name);
				b->published = true;
				board_unpublish(m, b);
				return r;
			}
		}
	}
	b->published = true;
	for (size_t k = 0; k < b->n_objects; k++)
		(void)object_emit(m, b->objects[k], true);
	log_info("published board %s (%zu records)", b->path, b->n_records);
	return 0;
}

/* Publish every board of boards (taking them) or none. */
static int manager_add_boards(struct manager *m, struct board **boards,
			      size_t n, char **ret_error)
{
	struct board **a;
	size_t k;
	int r;

	for (k = 0; k < n; k++) {
		bool dup = manager_find_board(m, boards[k]->path, NULL);

		for (size_t j = 0; j < k && !dup; j++)
			dup = strcmp(boards[j]->path, boards[k]->path) == 0;
		if (dup) {
			if (asprintf(ret_error, "board %s already published",
				     boards[k]->path) < 0)
				*ret_error = NULL;
			return -EEXIST;
		}
	}
	a = reallocarray(m->boards, m->n_boards + n, sizeof(*a));
	if (!a)
		return -ENOMEM;
	m->boards = a;
	for (k = 0; k < n; k++) {
		r = board_publish(m, boards[k]);
		if (r < 0) {
			while (k-- > 0)
				board_unpublish(m, boards[k]);
			if (asprintf(ret_error, "cannot publish board: %s",
				     strerror(-r)) < 0)
				*ret_error = NULL;
			return r;
		}
	}
	for (k = 0; k < n; k++)
		m->boards[m->n_boards++] = boards[k];
	return 0;
}

static int manager_load(struct manager *m, const char *file,
			const struct em_var *vars, size_t n_vars,
			struct board ***ret_added, size_t *ret_n,
			char **ret_error)
{
	struct board **boards = NULL;
	size_t n = 0;
	int r;

	r = load_file(file, vars, n_vars, &boards, &n, ret_error);
	if (r < 0)
		return r;
	r = manager_add_boards(m, boards, n, ret_error);
	if (r < 0) {
		for (size_t k = 0; k < n; k++)
			board_free(boards[k]);
		free(boards);
		return r;
	}
	if (ret_added) {
		*ret_added = boards;
		*ret_n = n;
	} else {
		free(boards);
	}
	return 0;
}

/* ---- test control interface -------------------------------------------- */

static int method_add_boards(sd_bus_message *msg, void *userdata,
			     sd_bus_error *error)
{
	struct manager *m = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	_cleanup_free_ struct em_var *vars = NULL;
	_cleanup_free_ struct board **added = NULL;
	_cleanup_free_ char *err = NULL;
	size_t n_vars = 0, n_added = 0;
	const char *file;
	int r;

	r = sd_bus_message_read(msg, "s", &file);
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(msg, 'a', "{ss}");
	if (r < 0)
		return r;
	for (;;) {
		const char *k, *v;
		struct em_var *a;

		r = sd_bus_message_read(msg, "{ss}", &k, &v);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		a = reallocarray(vars, n_vars + m->n_vars + 1, sizeof(*a));
		if (!a)
			return -ENOMEM;
		vars = a;
		vars[n_vars++] = (struct em_var){ .name = k, .value = v };
	}
	r = sd_bus_message_exit_container(msg);
	if (r < 0)
		return r;
	if (m->n_vars) {
		struct em_var *a =
			reallocarray(vars, n_vars + m->n_vars, sizeof(*a));

		if (!a)
			return -ENOMEM;
		vars = a;
		memcpy(vars + n_vars, m->vars, m->n_vars * sizeof(*vars));
		n_vars += m->n_vars;
	}

	r = manager_load(m, file, vars, n_vars, &added, &n_added, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		log_warning("AddBoards('%s'): %s", file, err ? err : "failed");
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%s",
					 err ? err : strerror(-r));
	}

	r = sd_bus_message_new_method_return(msg, &reply);
	if (r < 0)
		return r;
	r = sd_bus_message_open_container(reply, 'a', "o");
	if (r < 0)
		return r;
	for (size_t k = 0; k < n_added; k++) {
		r = sd_bus_message_append(reply, "o", added[k]->path);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_close_container(reply);
	if (r < 0)
		return r;
	return sd_bus_send(NULL, reply, NULL);
}

static int method_remove_board(sd_bus_message *msg, void *userdata,
			       sd_bus_error *error)
{
	struct manager *m = userdata;
	struct board *b;
	const char *path;
	size_t index;
	int r;

	r = sd_bus_message_read(msg, "o", &path);
	if (r < 0)
		return r;
	b = manager_find_board(m, path, &index);
	if (!b)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					 "no board %s", path);
	board_unpublish(m, b);
	log_info("removed board %s", b->path);
	board_free(b);
	memmove(m->boards + index, m->boards + index + 1,
		(m->n_boards - index - 1) * sizeof(*m->boards));
	m->n_boards--;
	return sd_bus_reply_method_return(msg, NULL);
}

static int method_set_record_property(sd_bus_message *msg, void *userdata,
				      sd_bus_error *error)
{
	struct manager *m = userdata;
	const char *path, *ifname, *propname, *contents;
	struct json_object *v;
	struct object *o;
	struct iface *i;
	struct prop *p;
	char type;
	int r;

	r = sd_bus_message_read(msg, "oss", &path, &ifname, &propname);
	if (r < 0)
		return r;
	o = manager_find_object(m, path);
	if (!o)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					 "no object %s", path);
	i = object_find_iface(o, ifname);
	if (!i)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_INTERFACE,
					 "%s has no interface %s", path,
					 ifname);
	p = iface_find_prop(i, propname);
	if (!p)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_PROPERTY,
					 "%s %s has no property %s", path,
					 ifname, propname);
	r = sd_bus_message_peek_type(msg, &type, &contents);
	if (r < 0)
		return r;
	if (type != SD_BUS_TYPE_VARIANT || strcmp(contents, p->sig) != 0)
		return sd_bus_error_setf(
			error, SD_BUS_ERROR_INVALID_ARGS,
			"property %s has signature '%s', "
			"got '%s'",
			propname, p->sig,
			type == SD_BUS_TYPE_VARIANT ? contents : "?");
	r = sd_bus_message_enter_container(msg, 'v', p->sig);
	if (r < 0)
		return r;
	r = read_value(msg, p->sig, &v);
	if (r < 0)
		return r;
	r = sd_bus_message_exit_container(msg);
	if (r < 0) {
		json_object_put(v);
		return r;
	}
	json_object_put(p->value);
	p->value = v;
	log_info("SetRecordProperty %s %s.%s", path, ifname, propname);
	r = sd_bus_emit_properties_changed(m->bus, path, ifname, propname,
					   NULL);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(msg, NULL);
}

static const sd_bus_vtable test_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("AddBoards",
				SD_BUS_ARGS("s", file, "a{ss}", vars),
				SD_BUS_RESULT("ao", boards), method_add_boards,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("RemoveBoard", SD_BUS_ARGS("o", board),
				SD_BUS_NO_RESULT, method_remove_board,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_METHOD_WITH_ARGS("SetRecordProperty",
				SD_BUS_ARGS("o", record, "s", interface, "s",
					    property, "v", value),
				SD_BUS_NO_RESULT, method_set_record_property,
				SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

/* ---- main -------------------------------------------------------------- */

static void manager_done(struct manager *m)
{
	for (size_t k = 0; k < m->n_boards; k++)
		board_free(m->boards[k]);
	free(m->boards);
	for (size_t k = 0; k < m->n_vars; k++)
		free((char *)m->vars[k].name);
	free(m->vars);
	sd_bus_flush_close_unref(m->bus);
	sd_event_unref(m->event);
}

static int parse_set(struct manager *m, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct em_var *a;
	char *name;

	if (!eq || eq == arg) {
		log_error("--set expects NAME=VALUE, got '%s'", arg);
		return -EINVAL;
	}
	a = reallocarray(m->vars, m->n_vars + 1, sizeof(*a));
	if (!a)
		return log_oom();
	m->vars = a;
	name = strdup(arg);
	if (!name)
		return log_oom();
	name[eq - arg] = '\0';
	m->vars[m->n_vars++] =
		(struct em_var){ .name = name, .value = name + (eq - arg) + 1 };
	return 0;
}

static void help(void)
{
	printf("Usage: em-standin [-v] [--set NAME=VALUE]... "
	       "[--publish-delay-ms N] [FILE]...\n"
	       "Publish entity-manager board files on the system bus as "
	       "entity-manager does.\n"
	       "With --publish-delay-ms the name is taken first and the files "
	       "are published\none every N ms after it.\n");
}

static int on_publish_later(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct manager *m = userdata;
	_cleanup_free_ char *err = NULL;
	const char *file = m->later[m->next_later++];
	int r;

	r = manager_load(m, file, m->vars, m->n_vars, NULL, NULL, &err);
	if (r < 0)
		log_error_errno(r, "%s", err ? err : file);
	else
		log_info("published %s (late)", file);
	if (m->next_later >= m->n_later)
		return sd_event_source_set_enabled(es, SD_EVENT_OFF);
	r = sd_event_source_set_time(es, usec + m->publish_delay_usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(es, SD_EVENT_ONESHOT);
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "set", required_argument, NULL, 's' },
		{ "publish-delay-ms", required_argument, NULL, 'd' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(manager_done) struct manager m = { 0 };
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "s:d:vh", options, NULL)) >= 0) {
		switch (c) {
		case 'd': {
			char *end;
			unsigned long v;

			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > 600000) {
				log_error("invalid --publish-delay-ms '%s'",
					  optarg);
				return EXIT_FAILURE;
			}
			m.publish_delay_usec = (uint64_t)v * 1000;
			break;
		}
		case 's':
			if (parse_set(&m, optarg) < 0)
				return EXIT_FAILURE;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&m.event);
	if (r < 0)
		return log_error_errno(r, "sd_event_default failed"), 1;
	r = sd_event_add_signal(m.event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m.event, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot watch signals"), 1;

	r = sd_bus_open_system(&m.bus);
	if (r < 0)
		return log_error_errno(r, "cannot connect to the system bus"),
		       1;
	r = sd_bus_attach_event(m.bus, m.event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "sd_bus_attach_event failed"), 1;
	r = sd_bus_add_object_manager(m.bus, NULL, EM_ROOT);
	if (r < 0)
		return log_error_errno(r, "cannot add object manager"), 1;
	r = sd_bus_add_object_vtable(m.bus, NULL, TEST_PATH, TEST_IFACE,
				     test_vtable, &m);
	if (r < 0)
		return log_error_errno(r, "cannot add test interface"), 1;

	if (m.publish_delay_usec > 0 && optind < argc) {
		m.later = argv + optind;
		m.n_later = (size_t)(argc - optind);
		r = sd_event_add_time_relative(m.event, NULL, CLOCK_MONOTONIC,
					       m.publish_delay_usec, 0,
					       on_publish_later, &m);
		if (r < 0)
			return log_error_errno(r, "cannot add a timer"), 1;
		optind = argc; /* published later */
	}
	for (int k = optind; k < argc; k++) {
		_cleanup_free_ char *err = NULL;

		r = manager_load(&m, argv[k], m.vars, m.n_vars, NULL, NULL,
				 &err);
		if (r < 0) {
			log_error_errno(r, "%s", err ? err : argv[k]);
			return EXIT_FAILURE;
		}
	}

	r = sd_bus_request_name(m.bus, EM_SERVICE, 0);
	if (r < 0)
		return log_error_errno(r, "cannot own %s", EM_SERVICE), 1;
	log_info("em-standin ready, %zu boards", m.n_boards);

	r = sd_event_loop(m.event);
	if (r < 0)
		return log_error_errno(r, "event loop failed"), 1;
	return EXIT_SUCCESS;
}
