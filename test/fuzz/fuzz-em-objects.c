// SPDX-License-Identifier: Apache-2.0
/*
 * entity-manager's GetManagedObjects replies, built as real sd-bus
 * messages from the input (on a bus that is never connected, as
 * test/emconfig/test-dbus-parse.c builds them), through the D-Bus
 * source's parser, emc_dbus_parse_managed_objects().
 *
 * Input: objects, each a path (a board and an object name from the
 * input), its interfaces (Configuration interfaces of record Types and
 * of sub-records "<Type>.<Key><N>", dotted Types, foreign interfaces, or
 * names of the input's own) and their properties (a key and a value of
 * any D-Bus type a reply can carry: every basic type, arrays of them,
 * dictionaries, structs, nested variants).
 *
 * Invariants, against what was put in the message: the parse succeeds
 * and gives the same records twice, sorted by path and Type; there is a
 * record for every Configuration interface that is not a sub-record of
 * another of its object, none for the others; each holds exactly the
 * values of the basic types and arrays of them, converted as the
 * header says (unsigned and signed integers, bools, doubles bit for
 * bit, strings), and a bad key for every other type; sub-records are in
 * the list of their key, in index order; the same objects with their
 * interfaces and properties in the other order give equal records.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "fuzz.h"
#include "src/emconfig/internal.h"
#include "utf8.h"

#define CFG EMC_CONFIG_IFACE_PREFIX

#define MAX_OBJECTS 6
#define MAX_IFACES  6
#define MAX_PROPS   8
#define MAX_ITEMS   4

static const char *const boards[] = {
	"/xyz/openbmc_project/inventory/system/board/B",
	"/xyz/openbmc_project/inventory/system/chassis/C",
	"",
};

static const char *const iface_names[] = {
	CFG "NVME1000",
	CFG "NVME1000.Thresholds0",
	CFG "NVME1000.Thresholds1",
	CFG "NVME1000.Thresholds12",
	CFG "GPIOCableSensing",
	CFG "A.B",
	CFG "A.B.C",
	CFG "A",
	CFG "NVME1000.",
	CFG "X.123",
	CFG,
	"xyz.openbmc_project.Inventory.Item",
	"org.freedesktop.DBus.Properties",
};

static const char *const keys[] = {
	"Name",	    "Bus",	"Address",  "Value", "Direction",
	"Severity", "Polarity", "GpioLine", "Type",  "",
};

/* Variant signatures: the basic types, arrays of them, then those a
 * record cannot hold. */
static const char *const sigs[] = {
	"b",  "y",  "n",  "q",	"i",  "u",  "x",   "t",	   "d",	    "s",
	"o",  "g",  "ab", "ay", "an", "aq", "ai",  "au",   "ax",    "at",
	"ad", "as", "ao", "ag", "v",  "av", "aas", "(ii)", "a{ss}",
};
#define N_SUPPORTED 24 /* sigs[] before "v" */

struct scalar {
	uint64_t bits;
	char *s; /* s, o, g */
};

struct prop {
	char *key;
	const char *sig;
	struct scalar items[MAX_ITEMS]; /* one for a scalar */
	size_t n_items;
};

struct iface {
	char *name;
	struct prop props[MAX_PROPS];
	size_t n_props;
};

struct object {
	char *path;
	struct iface ifaces[MAX_IFACES];
	size_t n_ifaces;
};

struct model {
	struct object objects[MAX_OBJECTS];
	size_t n_objects;
};

static sd_bus *bus;
static uint64_t cookie;

static void bus_init(void)
{
	int fds[2];

	if (bus)
		return;
	/* Messages need a started bus; this one never talks to anyone
	 * (and lives as long as the process). */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
	    sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 ||
	    sd_bus_start(bus) < 0)
		abort();
}

/* Any bytes as a D-Bus string: NUL and what is not UTF-8 replaced. */
static char *read_text(struct fuzz_in *in, size_t max)
{
	_cleanup_free_ char *raw = fuzz_string(in, max);

	return fuzz_oom(utf8_sanitize(raw));
}

/* An object path segment: [A-Za-z0-9_]+. */
static char *read_segment(struct fuzz_in *in)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN"
				    "OPQRSTUVWXYZ0123456789_";
	char *s = fuzz_string(in, 12);

	if (!*s) {
		free(s);
		return fuzz_oom(strdup("x"));
	}
	for (char *c = s; *c; c++)
		*c = chars[(unsigned char)*c % (sizeof(chars) - 1)];
	return s;
}

static char *read_path(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	_cleanup_free_ char *a = NULL, *b = NULL;

	if (sel % 16 == 15)
		return fuzz_oom(strdup("/"));
	a = read_segment(in);
	if (sel & 0x10)
		b = read_segment(in);
	return fuzz_asprintf("%s/%s%s%s", boards[sel % ARRAY_SIZE(boards)], a,
			     b ? "/" : "", b ? b : "");
}

static char *read_iface(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);
	_cleanup_free_ char *own = NULL;

	if (sel < 0xc0)
		return fuzz_oom(
			strdup(iface_names[sel % ARRAY_SIZE(iface_names)]));
	own = read_text(in, 24);
	return fuzz_asprintf("%s%s", sel & 1 ? CFG : "", own);
}

static void read_scalar(struct fuzz_in *in, char type, struct scalar *ret)
{
	static const char *const paths[] = {
		"/", "/a/b", "/xyz/openbmc_project/inventory/system/board/B"
	};
	static const char *const signatures[] = { "", "s", "a{sv}", "(ii)" };
	uint8_t sel;

	*ret = (struct scalar){ 0 };
	switch (type) {
	case 's':
		ret->s = read_text(in, 16);
		return;
	case 'o':
		ret->s = fuzz_oom(
			strdup(paths[fuzz_u8(in) % ARRAY_SIZE(paths)]));
		return;
	case 'g':
		ret->s = fuzz_oom(strdup(
			signatures[fuzz_u8(in) % ARRAY_SIZE(signatures)]));
		return;
	default:
		/* mostly small numbers, sometimes any bits */
		sel = fuzz_u8(in);
		ret->bits = sel & 0x80 ? fuzz_u64(in) : (uint64_t)(sel & 0x7f);
		if (sel == 0x7f)
			ret->bits = (uint64_t)-1;
		return;
	}
}

static bool key_taken(const struct iface *f, const char *key)
{
	for (size_t i = 0; i < f->n_props; i++)
		if (strcmp(f->props[i].key, key) == 0)
			return true;
	return false;
}

static bool iface_taken(const struct object *o, const char *name)
{
	for (size_t i = 0; i < o->n_ifaces; i++)
		if (strcmp(o->ifaces[i].name, name) == 0)
			return true;
	return false;
}

static bool path_taken(const struct model *m, const char *path)
{
	for (size_t i = 0; i < m->n_objects; i++)
		if (strcmp(m->objects[i].path, path) == 0)
			return true;
	return false;
}

static void read_prop(struct fuzz_in *in, struct iface *f)
{
	uint8_t sel = fuzz_u8(in);
	struct prop *p = &f->props[f->n_props];
	char *key = sel < 0xe0 ?
			    fuzz_oom(strdup(keys[sel % ARRAY_SIZE(keys)])) :
			    read_text(in, 12);
	char elem;

	if (key_taken(f, key)) {
		free(key);
		return;
	}
	*p = (struct prop){ .key = key,
			    .sig = sigs[fuzz_u8(in) % ARRAY_SIZE(sigs)] };
	if (p->sig[0] == 'a' && p->sig[1] != '{' && p->sig[1] != 'a' &&
	    p->sig[1] != 'v') {
		p->n_items = fuzz_u8(in) % (MAX_ITEMS + 1);
		elem = p->sig[1];
	} else {
		/* a scalar, or the payload of a type a record cannot hold */
		p->n_items = 1;
		elem = strchr("bynqiuxtdsog", p->sig[0]) ? p->sig[0] : 's';
	}
	for (size_t i = 0; i < p->n_items; i++)
		read_scalar(in, elem, &p->items[i]);
	f->n_props++;
}

static void model_read(struct fuzz_in *in, struct model *m)
{
	while (!fuzz_done(in) && m->n_objects < MAX_OBJECTS) {
		struct object *o = &m->objects[m->n_objects];
		size_t n_ifaces = 1 + fuzz_u8(in) % MAX_IFACES;

		*o = (struct object){ .path = read_path(in) };
		if (path_taken(m, o->path)) {
			free(o->path);
			continue;
		}
		m->n_objects++;
		for (size_t i = 0; i < n_ifaces && !fuzz_done(in); i++) {
			struct iface *f = &o->ifaces[o->n_ifaces];
			size_t n_props = fuzz_u8(in) % (MAX_PROPS + 1);

			*f = (struct iface){ .name = read_iface(in) };
			if (iface_taken(o, f->name)) {
				free(f->name);
				continue;
			}
			o->n_ifaces++;
			for (size_t k = 0; k < n_props && !fuzz_done(in); k++)
				read_prop(in, f);
		}
	}
}

static void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n_objects; i++) {
		struct object *o = &m->objects[i];

		for (size_t j = 0; j < o->n_ifaces; j++) {
			struct iface *f = &o->ifaces[j];

			for (size_t k = 0; k < f->n_props; k++) {
				for (size_t l = 0; l < f->props[k].n_items; l++)
					free(f->props[k].items[l].s);
				free(f->props[k].key);
			}
			free(f->name);
		}
		free(o->path);
	}
}

/* ---- the message ------------------------------------------------------- */

#define OK(expr)                                                     \
	do {                                                         \
		int r_ = (expr);                                     \
		FUZZ_CHECK(r_ >= 0, "%s: %s", #expr, strerror(-r_)); \
	} while (0)

static void append_scalar(sd_bus_message *m, char type, const struct scalar *s)
{
	uint64_t b = s->bits;
	union {
		int b;
		uint8_t y;
		int16_t n;
		uint16_t q;
		int32_t i;
		uint32_t u;
		int64_t x;
		uint64_t t;
		double d;
	} v;

	switch (type) {
	case 's':
	case 'o':
	case 'g':
		OK(sd_bus_message_append_basic(m, type, s->s));
		return;
	case 'b':
		v.b = (int)(b & 1);
		break;
	case 'y':
		v.y = (uint8_t)b;
		break;
	case 'n':
		v.n = (int16_t)b;
		break;
	case 'q':
		v.q = (uint16_t)b;
		break;
	case 'i':
		v.i = (int32_t)b;
		break;
	case 'u':
		v.u = (uint32_t)b;
		break;
	case 'x':
		v.x = (int64_t)b;
		break;
	case 't':
		v.t = b;
		break;
	default: /* 'd' */
		memcpy(&v.d, &b, sizeof(v.d));
		break;
	}
	OK(sd_bus_message_append_basic(m, type, &v));
}

static void append_value(sd_bus_message *m, const struct prop *p)
{
	const char *sig = p->sig;

	OK(sd_bus_message_open_container(m, 'v', sig));
	if (strcmp(sig, "v") == 0) {
		OK(sd_bus_message_append(m, "v", "s", p->items[0].s));
	} else if (strcmp(sig, "av") == 0) {
		OK(sd_bus_message_append(m, "av", 1, "s", p->items[0].s));
	} else if (strcmp(sig, "aas") == 0) {
		OK(sd_bus_message_append(m, "aas", 1, 1, p->items[0].s));
	} else if (strcmp(sig, "(ii)") == 0) {
		OK(sd_bus_message_append(m, "(ii)", 1, 2));
	} else if (strcmp(sig, "a{ss}") == 0) {
		OK(sd_bus_message_append(m, "a{ss}", 1, "k", p->items[0].s));
	} else if (sig[0] == 'a') {
		OK(sd_bus_message_open_container(m, 'a', sig + 1));
		for (size_t i = 0; i < p->n_items; i++)
			append_scalar(m, sig[1], &p->items[i]);
		OK(sd_bus_message_close_container(m));
	} else {
		append_scalar(m, sig[0], &p->items[0]);
	}
	OK(sd_bus_message_close_container(m));
}

/* idx(i, n): i, or counting from the end when reversed. */
#define IDX(i, n) (reverse ? (n)-1 - (i) : (i))

static sd_bus_message *build(const struct model *md, bool reverse)
{
	sd_bus_message *m = NULL;

	OK(sd_bus_message_new_signal(bus, &m, "/t", "t.T", "R"));
	OK(sd_bus_message_open_container(m, 'a', "{oa{sa{sv}}}"));
	for (size_t i = 0; i < md->n_objects; i++) {
		const struct object *o = &md->objects[IDX(i, md->n_objects)];

		OK(sd_bus_message_open_container(m, 'e', "oa{sa{sv}}"));
		OK(sd_bus_message_append(m, "o", o->path));
		OK(sd_bus_message_open_container(m, 'a', "{sa{sv}}"));
		for (size_t j = 0; j < o->n_ifaces; j++) {
			const struct iface *f = &o->ifaces[IDX(j, o->n_ifaces)];

			OK(sd_bus_message_open_container(m, 'e', "sa{sv}"));
			OK(sd_bus_message_append(m, "s", f->name));
			OK(sd_bus_message_open_container(m, 'a', "{sv}"));
			for (size_t k = 0; k < f->n_props; k++) {
				const struct prop *p =
					&f->props[IDX(k, f->n_props)];

				OK(sd_bus_message_open_container(m, 'e', "sv"));
				OK(sd_bus_message_append(m, "s", p->key));
				append_value(m, p);
				OK(sd_bus_message_close_container(m));
			}
			OK(sd_bus_message_close_container(m));
			OK(sd_bus_message_close_container(m));
		}
		OK(sd_bus_message_close_container(m));
		OK(sd_bus_message_close_container(m));
	}
	OK(sd_bus_message_close_container(m));
	OK(sd_bus_message_seal(m, ++cookie, 0));
	return m;
}

static size_t parse(sd_bus_message *m, struct emc_record ***ret)
{
	size_t n = 0;
	int r;

	OK(sd_bus_message_rewind(m, true));
	r = emc_dbus_parse_managed_objects(m, ret, &n);
	FUZZ_CHECK(r == 0, "a well-formed reply refused: %s", strerror(-r));
	return n;
}

/* ---- what the records must be ------------------------------------------ */

/* The Type of a Configuration interface, or NULL for another one. */
static const char *rest_of(const char *iface)
{
	size_t len = strlen(CFG);

	if (strncmp(iface, CFG, len) != 0 || !iface[len])
		return NULL;
	return iface + len;
}

/* The interface of o that iface f is a sub-record of: the longest
 * "<Type>." in front of its Type; NULL for a record of its own. */
static const struct iface *parent_of(const struct object *o,
				     const struct iface *f)
{
	const char *rest = rest_of(f->name);
	const struct iface *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; rest && i < o->n_ifaces; i++) {
		const char *p = rest_of(o->ifaces[i].name);
		size_t len = p ? strlen(p) : 0;

		if (p && len < strlen(rest) && rest[len] == '.' &&
		    strncmp(rest, p, len) == 0 && len > best_len) {
			best = &o->ifaces[i];
			best_len = len;
		}
	}
	return best;
}

static struct emc_value expected_scalar(char type, const struct scalar *s)
{
	uint64_t b = s->bits;
	struct emc_value v = { .type = EMC_VALUE_UINT };

	switch (type) {
	case 'b':
		return (struct emc_value){ .type = EMC_VALUE_BOOL, .b = b & 1 };
	case 'y':
		v.u = (uint8_t)b;
		return v;
	case 'q':
		v.u = (uint16_t)b;
		return v;
	case 'u':
		v.u = (uint32_t)b;
		return v;
	case 't':
		v.u = b;
		return v;
	case 'n':
		return (struct emc_value){ .type = EMC_VALUE_INT,
					   .i = (int16_t)b };
	case 'i':
		return (struct emc_value){ .type = EMC_VALUE_INT,
					   .i = (int32_t)b };
	case 'x':
		return (struct emc_value){ .type = EMC_VALUE_INT,
					   .i = (int64_t)b };
	case 'd':
		v.type = EMC_VALUE_DOUBLE;
		memcpy(&v.d, &b, sizeof(v.d));
		return v;
	default: /* s, o, g: borrowed */
		return (struct emc_value){ .type = EMC_VALUE_STRING,
					   .s = s->s };
	}
}

static bool scalar_equal(const struct emc_value *a, const struct emc_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case EMC_VALUE_BOOL:
		return a->b == b->b;
	case EMC_VALUE_INT:
		return a->i == b->i;
	case EMC_VALUE_UINT:
		return a->u == b->u;
	case EMC_VALUE_DOUBLE:
		return fuzz_same_double(a->d, b->d);
	case EMC_VALUE_STRING:
		return strcmp(a->s, b->s) == 0;
	default:
		return false;
	}
}

/* r holds exactly the properties of f that a record can hold. */
static void check_props(const struct emc_record *r, const struct iface *f)
{
	size_t supported = 0;

	for (size_t k = 0; k < f->n_props; k++) {
		const struct prop *p = &f->props[k];
		const struct emc_value *v = emc_record_get(r, p->key);
		size_t s = 0;

		while (s < ARRAY_SIZE(sigs) && strcmp(sigs[s], p->sig) != 0)
			s++;
		if (s >= N_SUPPORTED) {
			FUZZ_CHECK(!v && emc_record_bad_key(r, p->key),
				   "%s: '%s' of type %s held", r->path, p->key,
				   p->sig);
			continue;
		}
		supported++;
		FUZZ_CHECK(v, "%s: '%s' (%s) lost", r->path, p->key, p->sig);
		if (p->sig[0] != 'a') {
			struct emc_value want =
				expected_scalar(p->sig[0], &p->items[0]);

			FUZZ_CHECK(scalar_equal(v, &want),
				   "%s: '%s' (%s) changed", r->path, p->key,
				   p->sig);
			continue;
		}
		FUZZ_CHECK(v->type == EMC_VALUE_ARRAY &&
				   emc_value_array_len(v) == p->n_items,
			   "%s: array '%s' (%s) changed", r->path, p->key,
			   p->sig);
		for (size_t i = 0; i < p->n_items; i++) {
			struct emc_value want =
				expected_scalar(p->sig[1], &p->items[i]);

			FUZZ_CHECK(scalar_equal(emc_value_array_at(v, i),
						&want),
				   "%s: '%s' item %zu changed", r->path, p->key,
				   i);
		}
	}
	FUZZ_CHECK(emc_record_n_keys(r) == supported,
		   "%s: %zu keys, %zu properties", r->path,
		   emc_record_n_keys(r), supported);
}

/* The list key and index of a sub-record's Type after its parent's. */
static char *child_key(const char *sub, long *ret_order)
{
	size_t len = strlen(sub), klen = len;

	while (klen > 0 && sub[klen - 1] >= '0' && sub[klen - 1] <= '9')
		klen--;
	if (klen == 0)
		klen = len;
	*ret_order = sub[klen] ? strtol(sub + klen, NULL, 10) : 0;
	return fuzz_oom(strndup(sub, klen));
}

static void check_children(const struct emc_record *r, const struct object *o,
			   const struct iface *f)
{
	const char *rest = rest_of(f->name);

	for (size_t j = 0; j < o->n_ifaces; j++) {
		const struct iface *c = &o->ifaces[j];
		_cleanup_free_ char *key = NULL;
		size_t want = 0, n;
		bool found = false;
		long order;

		if (parent_of(o, c) != f)
			continue;
		key = child_key(rest_of(c->name) + strlen(rest) + 1, &order);
		for (size_t k = 0; k < o->n_ifaces; k++) {
			long other;
			_cleanup_free_ char *k2 = NULL;

			if (parent_of(o, &o->ifaces[k]) != f)
				continue;
			k2 = child_key(rest_of(o->ifaces[k].name) +
					       strlen(rest) + 1,
				       &other);
			want += strcmp(k2, key) == 0;
		}
		n = emc_record_n_children(r, key);
		FUZZ_CHECK(n == want, "%s: %zu '%s' sub-records, not %zu",
			   r->path, n, key, want);
		for (size_t i = 0; i < n; i++) {
			/* borrowed */
			const struct emc_record *ch =
				emc_record_child(r, key, i);
			const struct emc_record *next =
				i + 1 < n ? emc_record_child(r, key, i + 1) :
					    NULL;

			FUZZ_CHECK(ch && strcmp(emc_record_type(ch), key) == 0,
				   "%s: sub-record '%s' %zu", r->path, key, i);
			FUZZ_CHECK(!next || ch->order <= next->order,
				   "%s: '%s' sub-records out of order", r->path,
				   key);
			if (ch->order == order &&
			    strcmp(ch->iface, c->name) == 0) {
				check_props(ch, c);
				found = true;
			}
		}
		FUZZ_CHECK(found, "%s: sub-record '%s' missing", r->path,
			   c->name);
	}
}

static void check_records(const struct model *md, struct emc_record **recs,
			  size_t n)
{
	size_t want = 0;

	for (size_t i = 0; i + 1 < n; i++) {
		int c = strcmp(recs[i]->path, recs[i + 1]->path);

		FUZZ_CHECK(c < 0 || (c == 0 && strcmp(recs[i]->type,
						      recs[i + 1]->type) < 0),
			   "records not sorted at '%s'", recs[i]->path);
	}
	for (size_t i = 0; i < md->n_objects; i++) {
		const struct object *o = &md->objects[i];
		const char *slash = strrchr(o->path, '/');

		for (size_t j = 0; j < o->n_ifaces; j++) {
			const struct iface *f = &o->ifaces[j];
			const char *rest = rest_of(f->name);
			const struct emc_record *r = NULL;

			if (!rest || parent_of(o, f))
				continue;
			want++;
			for (size_t k = 0; k < n && !r; k++)
				if (strcmp(recs[k]->path, o->path) == 0 &&
				    strcmp(recs[k]->type, rest) == 0)
					r = recs[k];
			FUZZ_CHECK(r, "no record for '%s' of '%s'", f->name,
				   o->path);
			FUZZ_CHECK(strcmp(r->iface, f->name) == 0,
				   "'%s' from '%s'", r->path, r->iface);
			if (slash == o->path)
				FUZZ_CHECK(!r->board, "'%s' has a board",
					   r->path);
			else
				FUZZ_CHECK(r->board &&
						   strlen(r->board) ==
							   (size_t)(slash -
								    o->path) &&
						   strncmp(r->board, o->path,
							   strlen(r->board)) ==
							   0,
					   "'%s' on board '%s'", r->path,
					   r->board ? r->board : "");
			check_props(r, f);
			check_children(r, o, f);
		}
	}
	FUZZ_CHECK(n == want, "%zu records for %zu interfaces", n, want);
}

/* Two sub-records under one key with one index ("Thresholds" and
 * "Thresholds0") have no order between them. */
static bool orders_distinct(const struct model *md)
{
	for (size_t i = 0; i < md->n_objects; i++) {
		const struct object *o = &md->objects[i];

		for (size_t a = 0; a < o->n_ifaces; a++)
			for (size_t b = 0; b < a; b++) {
				const struct iface *p =
					parent_of(o, &o->ifaces[a]);
				const char *rest;
				_cleanup_free_ char *ka = NULL, *kb = NULL;
				long oa, ob;

				if (!p || p != parent_of(o, &o->ifaces[b]))
					continue;
				rest = rest_of(p->name);
				ka = child_key(rest_of(o->ifaces[a].name) +
						       strlen(rest) + 1,
					       &oa);
				kb = child_key(rest_of(o->ifaces[b].name) +
						       strlen(rest) + 1,
					       &ob);
				if (strcmp(ka, kb) == 0 && oa == ob)
					return false;
			}
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct model md = { 0 };
	struct emc_record **recs = NULL, **again = NULL, **rev = NULL;
	sd_bus_message *m, *mr;
	size_t n, n2, nr;

	bus_init();
	model_read(&in, &md);

	m = build(&md, false);
	n = parse(m, &recs);
	n2 = parse(m, &again);
	FUZZ_CHECK(n == n2, "parsed twice: %zu, then %zu records", n, n2);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(strcmp(recs[i]->path, again[i]->path) == 0 &&
				   strcmp(recs[i]->type, again[i]->type) == 0 &&
				   emc_record_equal(recs[i], again[i]),
			   "parsed twice: '%s' differs", recs[i]->path);
	check_records(&md, recs, n);

	mr = build(&md, true);
	nr = parse(mr, &rev);
	FUZZ_CHECK(nr == n, "in the other order: %zu, not %zu records", nr, n);
	if (orders_distinct(&md))
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(strcmp(recs[i]->path, rev[i]->path) == 0 &&
					   strcmp(recs[i]->type,
						  rev[i]->type) == 0 &&
					   emc_record_equal(recs[i], rev[i]),
				   "in the other order: '%s' differs",
				   recs[i]->path);

	emc_records_free(recs, n);
	emc_records_free(again, n2);
	emc_records_free(rev, nr);
	sd_bus_message_unref(m);
	sd_bus_message_unref(mr);
	model_free(&md);
	return 0;
}
