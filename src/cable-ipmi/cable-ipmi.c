/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcable-ipmi: the cables the mapper knows, grouped into SDRs (sdr.c),
 * and their live presence (cable-ipmi.h).
 *
 * The mapper is phosphor-objmgr's xyz.openbmc_project.ObjectMapper
 * (GetSubTree(s path, i depth, as interfaces) -> a{sa{sas}}; depth 0 is
 * any depth), as phosphor-dbus-interfaces
 * yaml/xyz/openbmc_project/ObjectMapper.interface.yaml describes it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cable-ipmi.h"
#include "sdr.h"

#define MAPPER_SERVICE	     "xyz.openbmc_project.ObjectMapper"
#define MAPPER_PATH	     "/xyz/openbmc_project/object_mapper"
#define MAPPER_IFACE	     "xyz.openbmc_project.ObjectMapper"
#define INVENTORY_ROOT	     "/xyz/openbmc_project/inventory"
#define IFACE_CABLE	     "xyz.openbmc_project.Inventory.Item.Cable"
#define IFACE_ITEM	     "xyz.openbmc_project.Inventory.Item"
#define DEFAULT_TIMEOUT_USEC 1000000ULL

struct cable {
	char *path;
	char *service;
};

struct group {
	char name[CABLE_IPMI_ID_MAX + 1];
	unsigned count;
	size_t member[CABLE_IPMI_MAX_STATES]; /* index into cables */
};

struct cable_set {
	struct cable *cables;
	size_t n_cables, cap;
	struct group *groups;
	size_t n_groups;
};

struct cable_ipmi {
	sd_bus *bus;
	uint64_t timeout_usec;
	struct cable_set set;
	sd_bus_slot *match_added, *match_removed, *match_owner;
	cable_ipmi_changed_t changed;
	void *userdata;
	uint64_t generation;
};

static void cable_set_clear(struct cable_set *s)
{
	for (size_t i = 0; i < s->n_cables; i++) {
		free(s->cables[i].path);
		free(s->cables[i].service);
	}
	free(s->cables);
	free(s->groups);
	*s = (struct cable_set){ 0 };
}

static void matches_drop(struct cable_ipmi *c)
{
	c->match_added = sd_bus_slot_unref(c->match_added);
	c->match_removed = sd_bus_slot_unref(c->match_removed);
	c->match_owner = sd_bus_slot_unref(c->match_owner);
}

int cable_ipmi_new(sd_bus *bus, struct cable_ipmi **ret)
{
	struct cable_ipmi *c;

	if (!bus || !ret)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bus = sd_bus_ref(bus);
	c->timeout_usec = DEFAULT_TIMEOUT_USEC;
	*ret = c;
	return 0;
}

struct cable_ipmi *cable_ipmi_free(struct cable_ipmi *c)
{
	if (!c)
		return NULL;
	matches_drop(c);
	cable_set_clear(&c->set);
	sd_bus_unref(c->bus);
	free(c);
	return NULL;
}

void cable_ipmi_set_timeout(struct cable_ipmi *c, uint64_t usec)
{
	if (c)
		c->timeout_usec = usec ? usec : DEFAULT_TIMEOUT_USEC;
}

static int cable_set_add(struct cable_set *s, const char *path,
			 const char *service)
{
	struct cable *v;

	if (s->n_cables == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;

		v = realloc(s->cables, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->cables = v;
		s->cap = cap;
	}
	v = &s->cables[s->n_cables];
	v->path = strdup(path);
	v->service = strdup(service);
	if (!v->path || !v->service) {
		free(v->path);
		free(v->service);
		return -ENOMEM;
	}
	s->n_cables++;
	return 0;
}

/* One a{sas} of the reply: the first service that has the object. */
static int read_services(sd_bus_message *m, char **ret_service)
{
	const char *service;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sas}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sas")) > 0) {
		r = sd_bus_message_read(m, "s", &service);
		if (r < 0)
			return r;
		if (!*ret_service) {
			*ret_service = strdup(service);
			if (!*ret_service)
				return -ENOMEM;
		}
		r = sd_bus_message_skip(m, "as");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* The GetSubTree reply as cables; objects with an invalid path or no
 * service are left out. */
static int read_subtree(sd_bus_message *m, struct cable_set *s)
{
	const char *path;
	int r;

	r = sd_bus_message_enter_container(m, 'a', "{sa{sas}}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', "sa{sas}")) > 0) {
		char *service = NULL;

		r = sd_bus_message_read(m, "s", &path);
		if (r >= 0)
			r = read_services(m, &service);
		if (r >= 0 && service && sd_bus_object_path_is_valid(path) &&
		    strcmp(path, "/") != 0)
			r = cable_set_add(s, path, service);
		free(service);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

/* Group the cables of s (sdr.c) into s->groups. */
static int cable_set_group(struct cable_set *s)
{
	struct sdr_cable *in = NULL;
	char **parents = NULL, **names = NULL;
	struct sdr_group *g = NULL;
	int n = 0, r = 0;

	if (s->n_cables == 0)
		return 0;
	in = calloc(s->n_cables, sizeof(*in));
	parents = calloc(s->n_cables, sizeof(*parents));
	names = calloc(s->n_cables, sizeof(*names));
	if (!in || !parents || !names) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->n_cables; i++) {
		const char *slash = strrchr(s->cables[i].path, '/');

		parents[i] = strndup(s->cables[i].path,
				     (size_t)(slash - s->cables[i].path));
		names[i] = sdr_name_from_path(s->cables[i].path);
		if (!parents[i] || !names[i]) {
			r = -ENOMEM;
			goto out;
		}
		in[i] = (struct sdr_cable){ .name = names[i],
					    .parent = parents[i] };
	}
	n = sdr_group_cables(in, s->n_cables, &g);
	if (n < 0) {
		r = n;
		n = 0;
		goto out;
	}
	s->groups = calloc((size_t)n, sizeof(*s->groups));
	if (!s->groups) {
		r = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct group *d = &s->groups[i];

		memcpy(d->name, g[i].name, sizeof(d->name));
		d->count = g[i].count;
		memcpy(d->member, g[i].member, sizeof(d->member));
	}
	s->n_groups = (size_t)n;
out:
	sdr_groups_free(g, (size_t)n);
	for (size_t i = 0; i < s->n_cables; i++) {
		if (parents)
			free(parents[i]);
		if (names)
			free(names[i]);
	}
	free(parents);
	free(names);
	free(in);
	return r;
}

int cable_ipmi_refresh(struct cable_ipmi *c)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	struct cable_set s = { 0 };
	int r;

	if (!c)
		return -EINVAL;
	r = sd_bus_call_method(c->bus, MAPPER_SERVICE, MAPPER_PATH,
			       MAPPER_IFACE, "GetSubTree", &error, &reply,
			       "sias", INVENTORY_ROOT, 0, 1, IFACE_CABLE);
	if (r < 0) {
		/* The mapper answers ResourceNotFound when nothing under
		 * the path has the interface: no cables. */
		if (sd_bus_error_has_name(&error,
					  "xyz.openbmc_project.Common.Error."
					  "ResourceNotFound"))
			r = 0;
		sd_bus_error_free(&error);
		if (r < 0)
			return r;
	} else {
		r = read_subtree(reply, &s);
		sd_bus_message_unref(reply);
		if (r < 0) {
			cable_set_clear(&s);
			return r;
		}
	}
	r = cable_set_group(&s);
	if (r < 0) {
		cable_set_clear(&s);
		return r;
	}
	cable_set_clear(&c->set);
	c->set = s;
	return (int)c->set.n_groups;
}

size_t cable_ipmi_count(const struct cable_ipmi *c)
{
	return c ? c->set.n_groups : 0;
}

static const struct group *group_at(const struct cable_ipmi *c, size_t i)
{
	return c && i < c->set.n_groups ? &c->set.groups[i] : NULL;
}

const char *cable_ipmi_name(const struct cable_ipmi *c, size_t i)
{
	const struct group *g = group_at(c, i);

	return g ? g->name : NULL;
}

unsigned cable_ipmi_members(const struct cable_ipmi *c, size_t i)
{
	const struct group *g = group_at(c, i);

	return g ? g->count : 0;
}

const char *cable_ipmi_member_path(const struct cable_ipmi *c, size_t i,
				   unsigned k)
{
	const struct group *g = group_at(c, i);

	if (!g || k >= g->count)
		return NULL;
	return c->set.cables[g->member[k]].path;
}

int cable_ipmi_record(const struct cable_ipmi *c, size_t i,
		      const struct cable_ipmi_key *key, uint8_t *buf,
		      size_t size)
{
	const struct group *g = group_at(c, i);

	if (!g)
		return -ENOENT;
	/* Entity instances 01h..5Fh, one a group (IPMI 2.0 section 39.1:
	 * 00h..5Fh are system-relative). */
	return cable_ipmi_build_record(g->name, (uint8_t)(1 + i % 0x5f), key,
				       buf, size);
}

/* Present of one member: 1, 0, or a negative errno. */
static int read_present(struct cable_ipmi *c, const struct cable *m)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *call = NULL, *reply = NULL;
	int present = 0, r;

	r = sd_bus_message_new_method_call(c->bus, &call, m->service, m->path,
					   "org.freedesktop.DBus.Properties",
					   "Get");
	if (r >= 0)
		r = sd_bus_message_append(call, "ss", IFACE_ITEM, "Present");
	if (r >= 0)
		r = sd_bus_call(c->bus, call, c->timeout_usec, &error, &reply);
	if (r >= 0)
		r = sd_bus_message_read(reply, "v", "b", &present);
	sd_bus_error_free(&error);
	sd_bus_message_unref(reply);
	sd_bus_message_unref(call);
	return r < 0 ? r : !!present;
}

int cable_ipmi_read(struct cable_ipmi *c, size_t i,
		    struct cable_ipmi_state *ret)
{
	const struct group *g = group_at(c, i);
	struct cable_ipmi_state s = { 0 };
	/* Services that did not answer in time during this read: their
	 * other members are not waited for again. */
	const char *late[CABLE_IPMI_MAX_STATES];
	size_t n_late = 0;

	if (!g || !ret)
		return -ENOENT;
	s.count = g->count;
	for (unsigned k = 0; k < g->count; k++) {
		const struct cable *m = &c->set.cables[g->member[k]];
		bool skip = false;
		int r;

		for (size_t l = 0; l < n_late && !skip; l++)
			skip = strcmp(late[l], m->service) == 0;
		r = skip ? -ETIMEDOUT : read_present(c, m);
		if (r == -ETIMEDOUT && !skip)
			late[n_late++] = m->service;
		if (r < 0)
			s.unreadable |= (uint16_t)(1u << k);
		else if (r > 0)
			s.mask |= (uint16_t)(1u << k);
	}
	*ret = s;
	return 0;
}

/* Read group i now, then build a response of at least need bytes. */
static int read_and_build(struct cable_ipmi *c, size_t i, uint8_t *buf,
			  size_t size, size_t need,
			  int (*build)(const struct cable_ipmi_state *,
				       uint8_t *, size_t))
{
	struct cable_ipmi_state s;
	int r;

	if (!buf || size < need)
		return -ENOBUFS;
	r = cable_ipmi_read(c, i, &s);
	if (r < 0)
		return r;
	return build(&s, buf, size);
}

int cable_ipmi_event_status(struct cable_ipmi *c, size_t i, uint8_t *buf,
			    size_t size)
{
	return read_and_build(c, i, buf, size, CABLE_IPMI_EVENT_STATUS_SIZE,
			      cable_ipmi_build_event_status);
}

int cable_ipmi_reading(struct cable_ipmi *c, size_t i, uint8_t *buf,
		       size_t size)
{
	return read_and_build(c, i, buf, size, CABLE_IPMI_READING_SIZE,
			      cable_ipmi_build_reading);
}

uint64_t cable_ipmi_generation(const struct cable_ipmi *c)
{
	return c ? c->generation : 0;
}

static void notify(struct cable_ipmi *c)
{
	c->generation++;
	if (c->changed)
		c->changed(c, c->userdata);
}

/* InterfacesAdded (oa{sa{sv}}) or InterfacesRemoved (oas) naming the
 * cable interface. */
static int on_interfaces(sd_bus_message *m, void *userdata,
			 sd_bus_error *ret_error)
{
	struct cable_ipmi *c = userdata;
	bool added = strcmp(sd_bus_message_get_member(m), "InterfacesAdded") ==
		     0;
	const char *path, *iface;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	if (r < 0)
		return 0;
	r = sd_bus_message_enter_container(m, 'a', added ? "{sa{sv}}" : "s");
	if (r < 0)
		return 0;
	for (;;) {
		if (added) {
			r = sd_bus_message_enter_container(m, 'e', "sa{sv}");
			if (r <= 0)
				return 0;
		}
		r = sd_bus_message_read(m, "s", &iface);
		if (r <= 0)
			return 0;
		if (strcmp(iface, IFACE_CABLE) == 0) {
			notify(c);
			return 0;
		}
		if (added && (sd_bus_message_skip(m, "a{sv}") < 0 ||
			      sd_bus_message_exit_container(m) < 0))
			return 0;
	}
}

/* A service of one of our cables leaving the bus takes its objects. */
static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct cable_ipmi *c = userdata;
	const char *name, *old_owner, *new_owner;

	if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0)
		return 0;
	if (!*old_owner || *new_owner)
		return 0;
	for (size_t i = 0; i < c->set.n_cables; i++)
		if (strcmp(c->set.cables[i].service, name) == 0) {
			notify(c);
			break;
		}
	return 0;
}

int cable_ipmi_set_changed_callback(struct cable_ipmi *c,
				    cable_ipmi_changed_t cb, void *userdata)
{
	int r;

	if (!c)
		return -EINVAL;
	c->changed = cb;
	c->userdata = userdata;
	if (c->match_added)
		return 0;
	r = sd_bus_add_match(c->bus, &c->match_added,
			     "type='signal',"
			     "interface='org.freedesktop.DBus.ObjectManager',"
			     "member='InterfacesAdded',"
			     "arg0path='" INVENTORY_ROOT "/'",
			     on_interfaces, c);
	if (r >= 0)
		r = sd_bus_add_match(c->bus, &c->match_removed,
				     "type='signal',"
				     "interface='org.freedesktop.DBus."
				     "ObjectManager',"
				     "member='InterfacesRemoved',"
				     "arg0path='" INVENTORY_ROOT "/'",
				     on_interfaces, c);
	if (r >= 0)
		r = sd_bus_add_match(c->bus, &c->match_owner,
				     "type='signal',"
				     "sender='org.freedesktop.DBus',"
				     "interface='org.freedesktop.DBus',"
				     "member='NameOwnerChanged'",
				     on_owner, c);
	if (r < 0) {
		matches_drop(c);
		return r;
	}
	return 0;
}
