/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The entity-manager source. Fully asynchronous: matches are added with
 * AddMatch calls whose replies are not waited for (bus_matches_add,
 * which adds a refused one again), and the configuration
 * is read with GetManagedObjects calls whose replies come back through
 * the event loop. Any signal from entity-manager (and a new owner of its
 * name) schedules a re-read after a short delay, so that the burst of
 * signals entity-manager emits while it publishes a board costs one
 * read; each read is reconciled against what was delivered.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"
#include "fmt.h"
#include "internal.h"
#include "log.h"

#define REREAD_DELAY_USEC (75 * 1000)
#define RETRY_DELAY_USEC  (2 * 1000 * 1000)
/* After a new entity-manager appears: removals wait until it has sent no
 * signal for SETTLE_QUIET_USEC, SETTLE_MAX_USEC at most. */
#define SETTLE_QUIET_USEC (3 * 1000 * 1000)
#define SETTLE_MAX_USEC	  (30 * 1000 * 1000)
#define OM_IFACE	  "org.freedesktop.DBus.ObjectManager"
#define PROPS_IFACE	  "org.freedesktop.DBus.Properties"

/* The D-Bus source: its connection, matches, read cycle and settling. */
struct dbus_source {
	struct emc_source base;
	sd_bus *bus;
	struct bus_matches *matches;
	sd_bus_slot *call_slot;
	sd_event_source *timer;
	bool reread_queued; /* a signal came while a call was in flight */
	/*
	 * A new entity-manager owns its name before it has published
	 * everything: until it has been quiet for a while (settle_timer),
	 * delivered records missing from a read are kept, not REMOVED,
	 * unless InterfacesRemoved named their path (removed_paths).
	 */
	bool settling;
	uint64_t settle_start;
	sd_event_source *settle_timer;
	char **removed_paths;
	size_t n_removed_paths;
};
_Static_assert(offsetof(struct dbus_source, base) == 0,
	       "a struct dbus_source is its struct emc_source");

static void schedule_read(struct dbus_source *d, uint64_t delay);

/* ---- parsing GetManagedObjects ------------------------------------------ */

static int read_string(sd_bus_message *m, char type, struct emc_value *ret)
{
	const char *s;
	char *copy;
	int q;

	q = sd_bus_message_read_basic(m, type, &s);
	if (q < 0)
		return q;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	*ret = (struct emc_value){ .type = EMC_VALUE_STRING, .s = copy };
	return 0;
}

static struct emc_value uint_value(uint64_t u)
{
	return (struct emc_value){ .type = EMC_VALUE_UINT, .u = u };
}

static struct emc_value int_value(int64_t i)
{
	return (struct emc_value){ .type = EMC_VALUE_INT, .i = i };
}

static int read_basic(sd_bus_message *m, char type, struct emc_value *ret)
{
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
	int q;

	if (type == 's' || type == 'o' || type == 'g')
		return read_string(m, type, ret);
	if (!type || !strchr("bynqiuxtd", type))
		return -EINVAL;
	q = sd_bus_message_read_basic(m, type, &v);
	if (q < 0)
		return q;
	switch (type) {
	case 'b':
		*ret = (struct emc_value){ .type = EMC_VALUE_BOOL, .b = v.b };
		break;
	case 'y':
		*ret = uint_value(v.y);
		break;
	case 'q':
		*ret = uint_value(v.q);
		break;
	case 'u':
		*ret = uint_value(v.u);
		break;
	case 't':
		*ret = uint_value(v.t);
		break;
	case 'n':
		*ret = int_value(v.n);
		break;
	case 'i':
		*ret = int_value(v.i);
		break;
	case 'x':
		*ret = int_value(v.x);
		break;
	default: /* 'd' */
		*ret = (struct emc_value){ .type = EMC_VALUE_DOUBLE, .d = v.d };
		break;
	}
	return 0;
}

static bool is_scalar_sig(const char *sig)
{
	return sig[0] && !sig[1] && strchr("bynqiuxtdsog", sig[0]);
}

/* An array of the basic type type, the message inside it. */
static int read_array_items(sd_bus_message *m, char type, struct emc_value *ret)
{
	struct emc_value v = { .type = EMC_VALUE_ARRAY };
	int q;

	for (;;) {
		struct emc_value e;
		struct emc_value *items;

		q = sd_bus_message_at_end(m, false);
		if (q < 0)
			goto fail;
		if (q > 0)
			break;
		q = read_basic(m, type, &e);
		if (q < 0)
			goto fail;
		items = reallocarray(v.a.items, v.a.n + 1, sizeof(*items));
		if (!items) {
			emc_value_clear(&e);
			q = -ENOMEM;
			goto fail;
		}
		v.a.items = items;
		v.a.items[v.a.n++] = e;
	}
	*ret = v;
	return 0;
fail:
	emc_value_clear(&v);
	return q;
}

/* A variant holding the array sig ("as", "at", ...). */
static int read_array(sd_bus_message *m, const char *sig, struct emc_value *ret)
{
	struct emc_value v;
	int q;

	q = sd_bus_message_enter_container(m, 'v', sig);
	if (q < 0)
		return q;
	q = sd_bus_message_enter_container(m, 'a', sig + 1);
	if (q < 0)
		return q;
	q = read_array_items(m, sig[1], &v);
	if (q < 0)
		return q;
	q = sd_bus_message_exit_container(m);
	if (q >= 0)
		q = sd_bus_message_exit_container(m);
	if (q < 0) {
		emc_value_clear(&v);
		return q;
	}
	*ret = v;
	return 0;
}

/* A variant's value; returns 0 with ret set, 1 when the type is not one
 * a record can hold (skipped), -errno on a bad message. */
static int read_variant(sd_bus_message *m, struct emc_value *ret)
{
	const char *sig;
	char type;
	int q;

	q = sd_bus_message_peek_type(m, &type, &sig);
	if (q < 0)
		return q;
	if (q == 0 || type != 'v')
		return -EBADMSG;

	if (is_scalar_sig(sig)) {
		q = sd_bus_message_enter_container(m, 'v', sig);
		if (q < 0)
			return q;
		q = read_basic(m, sig[0], ret);
		if (q < 0)
			return q;
		return sd_bus_message_exit_container(m) < 0 ? -EBADMSG : 0;
	}
	if (!(sig[0] == 'a' && is_scalar_sig(sig + 1))) {
		q = sd_bus_message_skip(m, "v");
		return q < 0 ? q : 1;
	}
	return read_array(m, sig, ret);
}

/* bus_for_each_prop: one property of a{sv} into the record r. */
static int read_property(sd_bus_message *m, const char *key,
			 const char *contents, void *userdata)
{
	struct emc_record *r = userdata;
	struct emc_value v;
	int q;

	q = read_variant(m, &v);
	if (q < 0)
		return q;
	if (q == 1) {
		log_debug(
			"emconfig: %s: property '%s' of an unsupported type ignored",
			r->path, key);
		q = emc_record_add_bad_key(r, key, "unsupported D-Bus type");
	} else {
		q = emc_record_take_prop(r, key, &v);
	}
	return q < 0 ? q : 1;
}

struct iface_entry {
	const char *rest; /* after EMC_CONFIG_IFACE_PREFIX */
	struct emc_record *rec;
};

static void entries_free(struct iface_entry *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		emc_record_unref(e[i].rec);
	free(e);
}

/* The entry whose name is the longest proper "<prefix>." of rest. */
static struct iface_entry *find_parent(struct iface_entry *e, size_t n,
				       const char *rest)
{
	struct iface_entry *best = NULL;
	size_t best_len = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(e[i].rest);

		if (len < strlen(rest) && rest[len] == '.' &&
		    strncmp(rest, e[i].rest, len) == 0 && len > best_len) {
			best = &e[i];
			best_len = len;
		}
	}
	return best;
}

/*
 * Turn the Configuration interfaces of one object into records:
 * "<Type>" is a record, "<Type>.<Key>" and "<Type>.<Key><N>" are
 * sub-records of it (list Key, index N). An interface whose prefix is
 * not an interface of the object is a record of a dotted Type.
 */
static int link_object(struct iface_entry *e, size_t n,
		       struct emc_record ***current, size_t *n_current)
{
	_cleanup_free_ struct iface_entry **parent = NULL;

	parent = calloc(n + 1, sizeof(*parent));
	if (!parent)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		parent[i] = find_parent(e, n, e[i].rest);

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *key = NULL;
		const char *sub;
		size_t klen;
		int q;

		if (!parent[i])
			continue;
		sub = e[i].rest + strlen(parent[i]->rest) + 1;
		klen = strlen(sub);
		while (klen > 0 && isdigit((unsigned char)sub[klen - 1]))
			klen--;
		if (klen == 0)
			klen = strlen(sub); /* all digits: keep as is */
		key = strndup(sub, klen);
		if (!key)
			return -ENOMEM;
		e[i].rec->order = sub[klen] ? strtol(sub + klen, NULL, 10) : 0;
		free(e[i].rec->type);
		e[i].rec->type = TAKE_PTR(key);
		q = emc_record_add_child(parent[i]->rec, e[i].rec->type,
					 e[i].rec);
		if (q < 0)
			return q;
	}
	for (size_t i = 0; i < n; i++) {
		struct emc_record **items;

		if (parent[i])
			continue;
		items = reallocarray(*current, *n_current + 1, sizeof(*items));
		if (!items)
			return -ENOMEM;
		*current = items;
		emc_record_seal(e[i].rec);
		(*current)[(*n_current)++] = emc_record_ref(e[i].rec);
	}
	return 0;
}

/* The Configuration interfaces of one object, read so far. */
struct object_read {
	const char *path;
	const char *board;
	struct iface_entry *e;
	size_t n;
};

static bool is_config_iface(const char *iface)
{
	size_t len = strlen(EMC_CONFIG_IFACE_PREFIX);

	return strncmp(iface, EMC_CONFIG_IFACE_PREFIX, len) == 0 && iface[len];
}

/* bus_for_each_iface: a Configuration interface of the object becomes a
 * record; other interfaces are skipped. */
static int read_iface(sd_bus_message *m, const char *iface,
		      const char *contents, void *userdata)
{
	struct object_read *o = userdata;
	size_t prefix = strlen(EMC_CONFIG_IFACE_PREFIX);
	struct iface_entry *e;
	struct emc_record *rec;
	int q;

	if (!is_config_iface(iface))
		return 0;
	e = reallocarray(o->e, o->n + 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	o->e = e;
	q = emc_record_new(o->path, o->board, iface + prefix, &rec);
	if (q < 0)
		return q;
	o->e[o->n++] = (struct iface_entry){ .rec = rec };
	rec->iface = strdup(iface);
	if (!rec->iface)
		return -ENOMEM;
	/* The message owns iface while we read it: point into the record's
	 * copy instead. */
	o->e[o->n - 1].rest = rec->iface + prefix;
	q = bus_for_each_prop(m, read_property, rec);
	return q < 0 ? q : 1;
}

/* All records of a GetManagedObjects reply, read so far. */
struct managed_read {
	struct emc_record **current;
	size_t n;
};

/* bus_for_each_object: the records of the object at path. */
static int read_object(sd_bus_message *m, const char *path,
		       const char *contents, void *userdata)
{
	struct managed_read *mr = userdata;
	_cleanup_free_ char *board = NULL;
	struct object_read o = { .path = path };
	const char *slash = strrchr(path, '/');
	int q;

	if (slash && slash != path) {
		board = strndup(path, (size_t)(slash - path));
		if (!board)
			return -ENOMEM;
	}
	o.board = board;
	q = bus_for_each_iface(m, read_iface, &o);
	if (q >= 0)
		q = link_object(o.e, o.n, &mr->current, &mr->n);
	entries_free(o.e, o.n);
	return q < 0 ? q : 1;
}

static int path_type_cmp(const void *a, const void *b)
{
	const struct emc_record *x = *(struct emc_record *const *)a;
	const struct emc_record *y = *(struct emc_record *const *)b;
	int c = strcmp(x->path, y->path);

	return c ? c : strcmp(x->type, y->type);
}

int emc_dbus_parse_managed_objects(sd_bus_message *m, struct emc_record ***ret,
				   size_t *ret_n)
{
	struct managed_read mr = { 0 };
	int q;

	q = bus_for_each_object(m, read_object, &mr);
	if (q < 0) {
		emc_records_free(mr.current, mr.n);
		return q;
	}
	if (mr.n > 1)
		qsort(mr.current, mr.n, sizeof(*mr.current), path_type_cmp);
	*ret = mr.current;
	*ret_n = mr.n;
	return 0;
}

/* ---- the read cycle ------------------------------------------------------ */

static int on_managed_objects(sd_bus_message *m, void *userdata,
			      sd_bus_error *ret_error)
{
	struct dbus_source *d = userdata;
	struct emc_record **current = NULL;
	const sd_bus_error *e;
	size_t n = 0;
	int q;

	d->call_slot = sd_bus_slot_unref(d->call_slot);

	e = sd_bus_message_get_error(m);
	if (e) {
		if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
					   SD_BUS_ERROR_NAME_HAS_NO_OWNER)) {
			/* Not running yet: NameOwnerChanged will tell. */
			log_debug("emconfig: entity-manager is not running");
			if (d->reread_queued) {
				d->reread_queued = false;
				schedule_read(d, REREAD_DELAY_USEC);
			}
			/* Nothing to wait for (last: it may free d). */
			emc_source_notify_ready(&d->base);
		} else {
			log_debug("emconfig: GetManagedObjects failed: %s",
				  e->message ? e->message : e->name);
			schedule_read(d, RETRY_DELAY_USEC);
		}
		return 0;
	}

	q = emc_dbus_parse_managed_objects(m, &current, &n);
	if (q < 0) {
		log_debug_errno(q, "emconfig: bad GetManagedObjects reply");
		schedule_read(d, RETRY_DELAY_USEC);
		return 0;
	}
	q = emc_source_reconcile(&d->base, current, n);
	emc_records_free(current, n);
	if (q == 1)
		return 0; /* the handler freed the source */
	if (q < 0) {
		log_debug_errno(q, "emconfig: reconciling records failed");
		schedule_read(d, RETRY_DELAY_USEC);
		return 0;
	}
	if (d->reread_queued) {
		d->reread_queued = false;
		schedule_read(d, REREAD_DELAY_USEC);
	}
	emc_source_notify_ready(&d->base); /* last: it may free d */
	return 0;
}

static int on_timer(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct dbus_source *d = userdata;
	int q;

	if (d->call_slot) {
		d->reread_queued = true;
		return 0;
	}
	q = sd_bus_call_method_async(d->bus, &d->call_slot, EMC_EM_SERVICE,
				     EMC_EM_ROOT, OM_IFACE, "GetManagedObjects",
				     on_managed_objects, d, NULL);
	if (q < 0) {
		log_debug_errno(q, "emconfig: cannot call GetManagedObjects");
		schedule_read(d, RETRY_DELAY_USEC);
	}
	return 0;
}

/* Read after delay, unless a read is already due sooner. */
static void schedule_read(struct dbus_source *d, uint64_t delay)
{
	uint64_t now, when;
	int enabled = SD_EVENT_OFF, q;

	if (d->call_slot) {
		d->reread_queued = true;
		return;
	}
	q = sd_event_now(d->base.event, CLOCK_MONOTONIC, &now);
	if (q < 0)
		goto fail;
	if (sd_event_source_get_enabled(d->timer, &enabled) < 0)
		enabled = SD_EVENT_OFF;
	if (enabled != SD_EVENT_OFF &&
	    sd_event_source_get_time(d->timer, &when) >= 0 &&
	    when <= now + delay)
		return;
	q = sd_event_source_set_time(d->timer, now + delay);
	if (q >= 0)
		q = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
	if (q >= 0)
		return;
fail:
	log_debug_errno(q, "emconfig: cannot schedule a re-read");
}

/* ---- settling after a restart of entity-manager -------------------------- */

/* While settling: was path named by an InterfacesRemoved? */
static bool explicitly_removed(const struct dbus_source *d, const char *path)
{
	for (size_t i = 0; i < d->n_removed_paths; i++)
		if (strcmp(d->removed_paths[i], path) == 0)
			return true;
	return false;
}

/* ops->keep_unseen: while settling, records entity-manager has not
 * published (again) yet stay, unless it said they are gone. */
static bool dbus_keep_unseen(const struct emc_source *s,
			     const struct emc_record *r)
{
	const struct dbus_source *d = (const struct dbus_source *)s;

	return d->settling && !explicitly_removed(d, r->path);
}

static void settle_end(struct dbus_source *d)
{
	d->settling = false;
	for (size_t i = 0; i < d->n_removed_paths; i++)
		free(d->removed_paths[i]);
	free(d->removed_paths);
	d->removed_paths = NULL;
	d->n_removed_paths = 0;
	if (d->settle_timer)
		(void)sd_event_source_set_enabled(d->settle_timer,
						  SD_EVENT_OFF);
}

static int on_settled(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct dbus_source *d = userdata;

	log_debug("emconfig: entity-manager settled: full re-read");
	settle_end(d);
	schedule_read(d, 0);
	return 0;
}

/* entity-manager did something: settling ends SETTLE_QUIET_USEC later
 * (SETTLE_MAX_USEC after it began at the latest). */
static void settle_bump(struct dbus_source *d)
{
	uint64_t now, when;
	int q;

	if (!d->settling)
		return;
	q = sd_event_now(d->base.event, CLOCK_MONOTONIC, &now);
	if (q < 0)
		goto fail;
	when = now + SETTLE_QUIET_USEC;
	if (when > d->settle_start + SETTLE_MAX_USEC)
		when = d->settle_start + SETTLE_MAX_USEC;
	if (!d->settle_timer) {
		q = sd_event_add_time(d->base.event, &d->settle_timer,
				      CLOCK_MONOTONIC, when, 0, on_settled, d);
		if (q >= 0)
			(void)sd_event_source_set_description(
				d->settle_timer, "emconfig-settle");
	} else {
		q = sd_event_source_set_time(d->settle_timer, when);
	}
	if (q >= 0)
		q = sd_event_source_set_enabled(d->settle_timer,
						SD_EVENT_ONESHOT);
	if (q >= 0)
		return;
fail:
	/* Without a timer, settle now rather than never remove. */
	log_debug_errno(q, "emconfig: cannot wait for entity-manager");
	settle_end(d);
}

static void settle_begin(struct dbus_source *d)
{
	uint64_t now;

	settle_end(d);
	if (sd_event_now(d->base.event, CLOCK_MONOTONIC, &now) < 0)
		return;
	d->settling = true;
	d->settle_start = now;
	settle_bump(d);
}

/* ---- signals --------------------------------------------------------------- */

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct dbus_source *d = userdata;

	log_debug("emconfig: %s on '%s': re-reading",
		  sd_bus_message_get_member(m), sd_bus_message_get_path(m));
	settle_bump(d);
	schedule_read(d, REREAD_DELAY_USEC);
	return 0;
}

static int on_interfaces_removed(sd_bus_message *m, void *userdata,
				 sd_bus_error *ret_error)
{
	struct dbus_source *d = userdata;
	const char *path;
	char **paths, *copy;

	if (d->settling && sd_bus_message_read(m, "o", &path) >= 0 &&
	    !explicitly_removed(d, path)) {
		/* Told, not guessed: this one may go while settling. */
		copy = strdup(path);
		paths = copy ? reallocarray(d->removed_paths,
					    d->n_removed_paths + 1,
					    sizeof(*paths)) :
			       NULL;
		if (paths) {
			d->removed_paths = paths;
			d->removed_paths[d->n_removed_paths++] = copy;
		} else {
			/* Cannot remember it: removed after settling. */
			free(copy);
		}
	}
	return on_signal(m, userdata, ret_error);
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *ret_error)
{
	struct dbus_source *d = userdata;
	const char *name, *old_owner, *new_owner;
	int q;

	q = sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner);
	if (q < 0) {
		log_debug_errno(q, "emconfig: bad NameOwnerChanged signal");
		return 0;
	}
	if (strcmp(name, EMC_EM_SERVICE) != 0)
		return 0;
	if (!*new_owner) {
		/* Keep what we have: the next owner's objects are
		 * reconciled against it, so nothing is duplicated. */
		log_debug("emconfig: entity-manager left the bus");
		return 0;
	}
	log_debug("emconfig: entity-manager is now '%s'", new_owner);
	/* It owns its name before it has published everything: hold back
	 * removals until it is quiet. */
	settle_begin(d);
	schedule_read(d, REREAD_DELAY_USEC);
	return 0;
}

static const struct bus_match matches[] = {
	{ "type='signal',sender='" EMC_EM_SERVICE "',"
	  "path_namespace='" EMC_EM_ROOT "',"
	  "interface='" OM_IFACE "',member='InterfacesAdded'",
	  on_signal },
	{ "type='signal',sender='" EMC_EM_SERVICE "',"
	  "path_namespace='" EMC_EM_ROOT "',"
	  "interface='" OM_IFACE "',member='InterfacesRemoved'",
	  on_interfaces_removed },
	{ "type='signal',sender='" EMC_EM_SERVICE "',"
	  "path_namespace='" EMC_EM_ROOT "',"
	  "interface='" PROPS_IFACE "',member='PropertiesChanged',"
	  "arg0namespace='xyz.openbmc_project.Configuration'",
	  on_signal },
	{ "type='signal',sender='org.freedesktop.DBus',"
	  "path='/org/freedesktop/DBus',"
	  "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
	  "arg0='" EMC_EM_SERVICE "'",
	  on_name_owner_changed },
};

/* A refused match was added again (bus_matches_add retries it): what
 * entity-manager did meanwhile was not signalled to us. */
static void on_matches_resync(void *userdata)
{
	struct dbus_source *d = userdata;

	log_debug("emconfig: a match was added again: re-reading");
	schedule_read(d, REREAD_DELAY_USEC);
}

/* ---- the source ------------------------------------------------------------ */

static void dbus_release(struct emc_source *s)
{
	struct dbus_source *d = (struct dbus_source *)s;

	d->matches = bus_matches_free(d->matches);
	d->call_slot = sd_bus_slot_unref(d->call_slot);
	d->timer = sd_event_source_disable_unref(d->timer);
	settle_end(d);
	d->settle_timer = sd_event_source_disable_unref(d->settle_timer);
	d->bus = sd_bus_unref(d->bus);
}

static int on_set_reply(sd_bus_message *m, void *userdata,
			sd_bus_error *ret_error)
{
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (e)
		log_debug("emconfig: writing a property failed: %s",
			  e->message ? e->message : e->name);
	return 0;
}

/* The interface a property of r (or of its child_key[index]) is on: the
 * one it came from, or one built into *built. NULL when out of memory. */
static const char *write_iface(const struct emc_record *r,
			       const char *child_key, size_t index,
			       char **built)
{
	const struct emc_record *c;

	if (!child_key) {
		if (r->iface)
			return r->iface;
		*built = fmt_alloc("%s%s", EMC_CONFIG_IFACE_PREFIX, r->type);
		return *built;
	}
	c = emc_record_child(r, child_key, index);
	if (c && c->iface)
		return c->iface;
	*built = fmt_alloc("%s%s.%s%zu", EMC_CONFIG_IFACE_PREFIX, r->type,
			   child_key, index);
	return *built;
}

/* ops->write_double: Set on entity-manager's object, not waited for. */
static int dbus_write_double(struct emc_source *s, const struct emc_record *r,
			     const char *child_key, size_t index,
			     const char *key, double value)
{
	struct dbus_source *d = (struct dbus_source *)s;
	_cleanup_free_ char *built = NULL;
	const char *iface = write_iface(r, child_key, index, &built);
	int q;

	if (!iface)
		return -ENOMEM;
	q = sd_bus_call_method_async(d->bus, NULL, EMC_EM_SERVICE, r->path,
				     PROPS_IFACE, "Set", on_set_reply, NULL,
				     "ssv", iface, key, "d", value);
	if (q < 0)
		return log_debug_errno(q, "emconfig: cannot write '%s' of '%s'",
				       key, r->path);
	return 0;
}

static const struct emc_source_ops dbus_ops = {
	.size = sizeof(struct dbus_source),
	.release = dbus_release,
	.keep_unseen = dbus_keep_unseen,
	.write_double = dbus_write_double,
};

int emc_source_new_dbus(sd_bus *bus, sd_event *event,
			const struct emc_schema *const *schemas,
			emc_handler_t handler, void *userdata,
			struct emc_source **ret)
{
	struct emc_source *s = NULL;
	struct dbus_source *d;
	int q;

	assert(bus);
	assert(event);
	assert(ret);

	q = emc_source_alloc(&dbus_ops, event, schemas, handler, userdata, &s);
	if (q < 0)
		return q;
	d = (struct dbus_source *)s;
	d->bus = sd_bus_ref(bus);

	if (!sd_bus_get_event(bus)) {
		q = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
		if (q < 0)
			goto fail;
	}
	/* Added asynchronously, with an install callback: a refused match
	 * is logged and retried, the connection stays up. */
	q = bus_matches_add(bus, matches, ARRAY_SIZE(matches), d,
			    on_matches_resync, &d->matches);
	if (q < 0)
		goto fail;
	/* The first read goes out after the AddMatch calls, so no change
	 * between the read and the matches can be missed. */
	q = sd_event_add_time(event, &d->timer, CLOCK_MONOTONIC, 0, 0, on_timer,
			      d);
	if (q < 0)
		goto fail;
	(void)sd_event_source_set_description(d->timer, "emconfig-reread");
	q = sd_event_source_set_enabled(d->timer, SD_EVENT_ONESHOT);
	if (q < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	emc_source_destroy(s);
	return q;
}
