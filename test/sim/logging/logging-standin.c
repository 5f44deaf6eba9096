// SPDX-License-Identifier: Apache-2.0
/*
 * phosphor-logging stand-in: the D-Bus surface of phosphor-log-manager
 * (openbmc/phosphor-logging 8080bad: log_manager.cpp, constants.hpp) that
 * lg2::commit() and lg2::resolve() use, so that tests can see what the
 * daemons log.
 *
 *   service xyz.openbmc_project.Logging, ObjectManager at
 *   /xyz/openbmc_project/logging;
 *   /xyz/openbmc_project/logging: xyz.openbmc_project.Logging.Create
 *     Create(s Message, s Severity, a{ss} AdditionalData) -> o, the entry
 *     /xyz/openbmc_project/logging/entry/<Id>, Ids counting from 1;
 *     a Severity that is not a xyz.openbmc_project.Logging.Entry.Level
 *     value is refused with sdbusplus' InvalidEnumString error, as the
 *     generated server code does;
 *   each entry: xyz.openbmc_project.Logging.Entry with Id u, Message s,
 *     Severity s, AdditionalData a{ss}, Resolved b (writable), Timestamp t.
 *
 * --fail NAME: every Create fails with the D-Bus error NAME (a logger
 * that is there but refuses), to test the callers' error path.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define SERVICE	     "xyz.openbmc_project.Logging"
#define ROOT	     "/xyz/openbmc_project/logging"
#define ENTRY_PREFIX ROOT "/entry/"
#define ENTRY_IFACE  "xyz.openbmc_project.Logging.Entry"
#define LEVEL_PREFIX "xyz.openbmc_project.Logging.Entry.Level."

struct entry {
	struct entry *next;
	uint32_t id;
	char path[64];
	char *message, *severity;
	char **data; /* key, value, ..., NULL */
	int resolved;
	uint64_t timestamp;
	sd_bus_slot *slot;
};

static struct entry *entries;
static uint32_t next_id = 1;
static const char *fail_error;

static bool valid_level(const char *s)
{
	static const char *const levels[] = {
		"Emergency", "Alert",  "Critical",	"Error",
		"Warning",   "Notice", "Informational", "Debug",
	};

	if (strncmp(s, LEVEL_PREFIX, strlen(LEVEL_PREFIX)) != 0)
		return false;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s + strlen(LEVEL_PREFIX), levels[i]) == 0)
			return true;
	return false;
}

static int get_data(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	struct entry *e = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "{ss}");
	for (char **p = e->data; r >= 0 && p[0]; p += 2)
		r = sd_bus_message_append(reply, "{ss}", p[0], p[1]);
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int get_resolved(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *userdata,
			sd_bus_error *error)
{
	struct entry *e = userdata;

	return sd_bus_message_append(reply, "b", e->resolved);
}

static int set_resolved(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *value, void *userdata,
			sd_bus_error *error)
{
	struct entry *e = userdata;
	int b, r;

	r = sd_bus_message_read(value, "b", &b);
	if (r < 0)
		return r;
	if (e->resolved == b)
		return 0;
	e->resolved = b;
	fprintf(stderr, "entry %u %s\n", e->id, b ? "resolved" : "unresolved");
	return sd_bus_emit_properties_changed(bus, path, iface, "Resolved",
					      NULL);
}

#define E(f) offsetof(struct entry, f)
static const sd_bus_vtable entry_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Id", "u", NULL, E(id), SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Message", "s", NULL, E(message),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Severity", "s", NULL, E(severity),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("AdditionalData", "a{ss}", get_data, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_WRITABLE_PROPERTY("Resolved", "b", get_resolved, set_resolved, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Timestamp", "t", NULL, E(timestamp),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static int method_create(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	const char *message, *severity, *k, *v;
	struct entry *e;
	size_t n = 0, cap = 0;
	struct timespec ts;
	int r;

	if (fail_error)
		return sd_bus_error_set(error, fail_error, "refused (--fail)");
	r = sd_bus_message_read(m, "ss", &message, &severity);
	if (r < 0)
		return r;
	if (!valid_level(severity))
		return sd_bus_error_setf(error,
					 "xyz.openbmc_project.sdbusplus.Error."
					 "InvalidEnumString",
					 "Invalid enumeration string: '%s'",
					 severity);
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->message = strdup(message);
	e->severity = strdup(severity);
	r = sd_bus_message_enter_container(m, 'a', "{ss}");
	while (r >= 0 && (r = sd_bus_message_read(m, "{ss}", &k, &v)) > 0) {
		if (n + 3 > cap) {
			cap = cap ? 2 * cap : 16;
			e->data = realloc(e->data, cap * sizeof(char *));
			if (!e->data)
				return -ENOMEM;
		}
		e->data[n++] = strdup(k);
		e->data[n++] = strdup(v);
	}
	if (r < 0)
		return r;
	if (!e->data)
		e->data = calloc(1, sizeof(char *));
	else
		e->data[n] = NULL;
	if (!e->message || !e->severity || !e->data)
		return -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	e->timestamp = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e->id = next_id++;
	snprintf(e->path, sizeof(e->path), ENTRY_PREFIX "%u", e->id);
	r = sd_bus_add_object_vtable(sd_bus_message_get_bus(m), &e->slot,
				     e->path, ENTRY_IFACE, entry_vtable, e);
	if (r < 0)
		return r;
	e->next = entries;
	entries = e;
	fprintf(stderr, "entry %u %s %s\n", e->id, message, severity);
	(void)sd_bus_emit_object_added(sd_bus_message_get_bus(m), e->path);
	return sd_bus_reply_method_return(m, "o", e->path);
}

static const sd_bus_vtable create_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Create", "ssa{ss}", "o", method_create,
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "fail", required_argument, NULL, 'f' },
		{ 0 },
	};
	sd_bus *bus = NULL;
	sd_event *event = NULL;
	sigset_t mask;
	int c, r;

	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		if (c != 'f')
			return 2;
		fail_error = optarg;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_bus_default_system(&bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_add_object_manager(bus, NULL, ROOT);
	if (r >= 0)
		r = sd_bus_add_object_vtable(
			bus, NULL, ROOT, "xyz.openbmc_project.Logging.Create",
			create_vtable, NULL);
	if (r >= 0)
		r = sd_bus_request_name(bus, SERVICE, 0);
	if (r < 0) {
		fprintf(stderr, "logging-standin: %s\n", strerror(-r));
		return 1;
	}
	r = sd_event_loop(event);
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	return r < 0 ? 1 : 0;
}
