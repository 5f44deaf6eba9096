/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mapper-standin: xyz.openbmc_project.ObjectMapper's GetSubTree, for the
 * tests, on a private bus.
 *
 * It behaves as phosphor-objmgr b4767a5 answers once it has caught up
 * with the bus, without its caching: every call walks the bus anew.
 *   - The services are the bus's well-known names, less those starting
 *     with ":" or "org.freedesktop" (src/processing.cpp
 *     needToIntrospect); each is introspected recursively from "/".
 *   - GetSubTree(s path, i depth, as interfaces) -> a{sa{sas}}
 *     (src/handler.cpp getSubTree): depth <= 0 is any depth; the path
 *     itself is not listed; an object is listed with every interface
 *     of each service that has at least one of the interfaces asked
 *     for (all of them when none is asked for); a path that is neither
 *     an object nor the parent of one is
 *     xyz.openbmc_project.Common.Error.ResourceNotFound.
 * GetObject, GetSubTreePaths and the associations are not served.
 *
 * Usage: mapper-standin   (on $DBUS_SYSTEM_BUS_ADDRESS)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define MAPPER_SERVICE "xyz.openbmc_project.ObjectMapper"
#define MAPPER_PATH    "/xyz/openbmc_project/object_mapper"
#define MAPPER_IFACE   "xyz.openbmc_project.ObjectMapper"
#define NOT_FOUND      "xyz.openbmc_project.Common.Error.ResourceNotFound"
#define MAX_DEPTH      64

struct object {
	char *path;
	char *service;
	char **ifaces;
	size_t n_ifaces;
};

struct walk {
	struct object *v;
	size_t n, cap;
	bool path_seen; /* the asked path is an object or a parent of one */
};

static void walk_clear(struct walk *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].path);
		free(w->v[i].service);
		for (size_t k = 0; k < w->v[i].n_ifaces; k++)
			free(w->v[i].ifaces[k]);
		free(w->v[i].ifaces);
	}
	free(w->v);
}

/* Next "<tag ... name="X"" in xml after *pos; returns a malloc'ed X. */
static char *next_named(const char **pos, const char *tag)
{
	const char *p = strstr(*pos, tag), *q, *e;

	if (!p)
		return NULL;
	q = strstr(p, "name=\"");
	if (!q)
		return NULL;
	q += 6;
	e = strchr(q, '"');
	if (!e)
		return NULL;
	*pos = e + 1;
	return strndup(q, (size_t)(e - q));
}

static int walk_object(sd_bus *bus, const char *service, const char *path,
		       struct walk *w, int depth)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *xml, *pos;
	struct object o = { 0 };
	char *name;
	int r;

	if (depth > MAX_DEPTH)
		return 0;
	r = sd_bus_call_method(bus, service, path,
			       "org.freedesktop.DBus.Introspectable",
			       "Introspect", &error, &reply, "");
	sd_bus_error_free(&error);
	if (r < 0)
		return 0; /* gone meanwhile, or not introspectable */
	r = sd_bus_message_read(reply, "s", &xml);
	if (r < 0)
		goto out;
	pos = xml;
	while ((name = next_named(&pos, "<interface "))) {
		char **v = realloc(o.ifaces, (o.n_ifaces + 1) * sizeof(*v));

		if (!v) {
			free(name);
			r = -ENOMEM;
			goto out;
		}
		o.ifaces = v;
		o.ifaces[o.n_ifaces++] = name;
	}
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		struct object *v = realloc(w->v, cap * sizeof(*v));

		if (!v) {
			r = -ENOMEM;
			goto out;
		}
		w->v = v;
		w->cap = cap;
	}
	o.path = strdup(path);
	o.service = strdup(service);
	w->v[w->n++] = o;
	o = (struct object){ 0 };

	pos = xml;
	while ((name = next_named(&pos, "<node "))) {
		char *child;

		if (asprintf(&child, "%s/%s", strcmp(path, "/") ? path : "",
			     name) < 0) {
			free(name);
			r = -ENOMEM;
			goto out;
		}
		free(name);
		r = walk_object(bus, service, child, w, depth + 1);
		free(child);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	for (size_t k = 0; k < o.n_ifaces; k++)
		free(o.ifaces[k]);
	free(o.ifaces);
	sd_bus_message_unref(reply);
	return r;
}

static int walk_bus(sd_bus *bus, struct walk *w)
{
	char **names = NULL;
	int r;

	r = sd_bus_list_names(bus, &names, NULL);
	if (r < 0)
		return r;
	for (char **n = names; n && *n; n++) {
		if (r >= 0 && **n != ':' &&
		    strncmp(*n, "org.freedesktop", 15) &&
		    strcmp(*n, MAPPER_SERVICE))
			r = walk_object(bus, *n, "/", w, 0);
		free(*n);
	}
	free(names);
	return r;
}

/* Slashes in path past the prefix of length plen. */
static int depth_below(const char *path, size_t plen)
{
	int d = 0;

	for (const char *p = path + plen; *p; p++)
		d += *p == '/';
	return d;
}

static bool wanted(const struct object *o, char **ifaces)
{
	if (!ifaces || !*ifaces)
		return true;
	for (char **i = ifaces; *i; i++)
		for (size_t k = 0; k < o->n_ifaces; k++)
			if (strcmp(*i, o->ifaces[k]) == 0)
				return true;
	return false;
}

static int append_ifaces(sd_bus_message *m, const struct object *o)
{
	int r = sd_bus_message_open_container(m, 'a', "s");

	for (size_t k = 0; r >= 0 && k < o->n_ifaces; k++)
		r = sd_bus_message_append(m, "s", o->ifaces[k]);
	return r < 0 ? r : sd_bus_message_close_container(m);
}

static int method_get_subtree(sd_bus_message *m, void *userdata,
			      sd_bus_error *ret_error)
{
	sd_bus *bus = sd_bus_message_get_bus(m);
	sd_bus_message *reply = NULL;
	struct walk w = { 0 };
	char **ifaces = NULL;
	const char *req;
	char *base = NULL;
	size_t blen;
	int32_t depth;
	bool *done = NULL;
	int r;

	r = sd_bus_message_read(m, "si", &req, &depth);
	if (r >= 0)
		r = sd_bus_message_read_strv(m, &ifaces);
	if (r < 0)
		goto out;
	if (depth <= 0)
		depth = INT32_MAX;
	/* base: the path with one trailing "/", "" for the root */
	blen = strlen(req);
	while (blen > 0 && req[blen - 1] == '/')
		blen--;
	base = strndup(req, blen);
	r = base ? walk_bus(bus, &w) : -ENOMEM;
	if (r < 0)
		goto out;
	done = calloc(w.n + 1, sizeof(*done));
	if (!done) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w.n && blen; i++) {
		const char *p = w.v[i].path;

		if (strncmp(p, base, blen) == 0 && (!p[blen] || p[blen] == '/'))
			w.path_seen = true;
	}
	if (blen && !w.path_seen) {
		r = sd_bus_reply_method_errorf(
			m, NOT_FOUND, "No object at or under '%s'", req);
		goto out;
	}
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_open_container(reply, 'a', "{sa{sas}}");
	/* One entry a path, its services in the order found. */
	for (size_t i = 0; r >= 0 && i < w.n; i++) {
		const char *p = w.v[i].path;

		if (done[i] || strncmp(p, base, blen) || p[blen] != '/' ||
		    depth_below(p, blen) > depth)
			continue;
		r = sd_bus_message_open_container(reply, 'e', "sa{sas}");
		if (r >= 0)
			r = sd_bus_message_append(reply, "s", p);
		if (r >= 0)
			r = sd_bus_message_open_container(reply, 'a', "{sas}");
		for (size_t k = i; r >= 0 && k < w.n; k++) {
			if (done[k] || strcmp(w.v[k].path, p) ||
			    !wanted(&w.v[k], ifaces))
				continue;
			done[k] = true;
			r = sd_bus_message_open_container(reply, 'e', "sas");
			if (r >= 0)
				r = sd_bus_message_append(reply, "s",
							  w.v[k].service);
			if (r >= 0)
				r = append_ifaces(reply, &w.v[k]);
			if (r >= 0)
				r = sd_bus_message_close_container(reply);
		}
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	if (r >= 0)
		r = sd_bus_send(NULL, reply, NULL);
out:
	sd_bus_message_unref(reply);
	free(done);
	free(base);
	walk_clear(&w);
	for (char **i = ifaces; i && *i; i++)
		free(*i);
	free(ifaces);
	return r;
}

static const sd_bus_vtable mapper_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS(
		"GetSubTree",
		SD_BUS_ARGS("s", subtree, "i", depth, "as", interfaces),
		SD_BUS_RESULT("a{sa{sas}}", objects), method_get_subtree, 0),
	SD_BUS_VTABLE_END,
};

int main(void)
{
	sd_event *event = NULL;
	sd_bus *bus = NULL;
	int r;

	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, MAPPER_PATH,
					     MAPPER_IFACE, mapper_vtable, NULL);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_request_name(bus, MAPPER_SERVICE, 0);
	if (r >= 0)
		r = sd_event_loop(event);
	if (r < 0)
		fprintf(stderr, "mapper-standin: %s\n", strerror(-r));
	sd_bus_unref(bus);
	sd_event_unref(event);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
