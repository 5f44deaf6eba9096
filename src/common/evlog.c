// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "evlog.h"
#include "log.h"
#include "macros.h"

struct fault {
	struct fault *next;
	struct evlog *log;
	char *key;
	char *entry; /* NULL until Create answered */
	sd_bus_slot *create; /* the Create call in flight */
	bool cleared; /* cleared before Create answered: resolve then */
};

struct evlog {
	sd_bus *bus;
	struct fault *faults;
	bool told_absent;
};

int evlog_new(sd_bus *bus, struct evlog **ret)
{
	struct evlog *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->bus = sd_bus_ref(bus);
	*ret = l;
	return 0;
}

static void fault_free(struct fault *f)
{
	sd_bus_slot_unref(f->create);
	free(f->key);
	free(f->entry);
	free(f);
}

static void fault_unlink(struct fault *f)
{
	for (struct fault **p = &f->log->faults; *p; p = &(*p)->next)
		if (*p == f) {
			*p = f->next;
			break;
		}
	fault_free(f);
}

struct evlog *evlog_free(struct evlog *l)
{
	if (!l)
		return NULL;
	while (l->faults) {
		struct fault *f = l->faults;

		l->faults = f->next;
		fault_free(f);
	}
	sd_bus_unref(l->bus);
	free(l);
	return NULL;
}

static struct fault *fault_find(const struct evlog *l, const char *key)
{
	for (struct fault *f = l->faults; f; f = f->next)
		if (strcmp(f->key, key) == 0)
			return f;
	return NULL;
}

bool evlog_is_raised(const struct evlog *l, const char *key)
{
	const struct fault *f = fault_find(l, key);

	return f && !f->cleared;
}

static void report_error(struct evlog *l, const char *what,
			 const sd_bus_error *e)
{
	bool absent = sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN,
					     SD_BUS_ERROR_NAME_HAS_NO_OWNER,
					     SD_BUS_ERROR_UNKNOWN_OBJECT,
					     SD_BUS_ERROR_UNKNOWN_METHOD);

	if (absent && l->told_absent) {
		log_debug("%s: %s", what, e->message);
		return;
	}
	if (absent) {
		l->told_absent = true;
		log_warning("phosphor-logging (%s) is not there (%s); events "
			    "are not logged until it is",
			    EVLOG_SERVICE, e->message);
		return;
	}
	log_warning("%s failed: %s: %s", what, e->name, e->message);
}

static int on_resolved(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	struct evlog *l = userdata;

	if (sd_bus_message_is_method_error(m, NULL))
		report_error(l, "Resolving an event log entry",
			     sd_bus_message_get_error(m));
	return 0;
}

static void resolve(struct evlog *l, const char *entry)
{
	int r;

	r = sd_bus_call_method_async(l->bus, NULL, EVLOG_SERVICE, entry,
				     "org.freedesktop.DBus.Properties", "Set",
				     on_resolved, l, "ssv", EVLOG_ENTRY,
				     "Resolved", "b", true);
	if (r < 0)
		log_warning_errno(r, "Cannot resolve event log entry %s",
				  entry);
}

static int on_created(sd_bus_message *m, void *userdata, sd_bus_error *err)
{
	struct fault *f = userdata;
	const char *path;
	int r;

	f->create = sd_bus_slot_unref(f->create);
	if (sd_bus_message_is_method_error(m, NULL)) {
		report_error(f->log, "Logging an event",
			     sd_bus_message_get_error(m));
		if (f->cleared)
			fault_unlink(f);
		return 0;
	}
	r = sd_bus_message_read(m, "o", &path);
	if (r < 0) {
		log_warning_errno(r, "phosphor-logging's Create reply is not "
				     "an object path");
		if (f->cleared)
			fault_unlink(f);
		return 0;
	}
	if (f->log->told_absent) {
		log_info("phosphor-logging is back; events are logged");
		f->log->told_absent = false;
	}
	if (f->cleared) {
		resolve(f->log, path);
		fault_unlink(f);
		return 0;
	}
	f->entry = strdup(path);
	if (!f->entry)
		log_oom();
	return 0;
}

static int commit(struct evlog *l, const char *message, const char *severity,
		  const char *const *data, struct fault *f)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	char pid[16];
	int r;

	r = sd_bus_message_new_method_call(l->bus, &m, EVLOG_SERVICE,
					   EVLOG_PATH, EVLOG_CREATE, "Create");
	if (r >= 0)
		r = sd_bus_message_append(m, "ss", message, severity);
	if (r >= 0)
		r = sd_bus_message_open_container(m, 'a', "{ss}");
	for (; r >= 0 && data && data[0] && data[1]; data += 2)
		r = sd_bus_message_append(m, "{ss}", data[0], data[1]);
	/* lg2::commit's source data (lib/lg2_commit.cpp, _SOURCE) */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (r >= 0)
		r = sd_bus_message_append(m, "{ss}", "_PID", pid);
	if (r >= 0)
		r = sd_bus_message_close_container(m);
	if (r >= 0)
		r = sd_bus_call_async(l->bus, f ? &f->create : NULL, m,
				      f ? on_created : on_resolved,
				      f ? (void *)f : (void *)l, 0);
	if (r < 0)
		return log_warning_errno(r, "Cannot log event %s", message);
	return 0;
}

int evlog_raise(struct evlog *l, const char *key, const char *message,
		const char *severity, const char *const *data)
{
	struct fault *f = fault_find(l, key);
	int r;

	if (f && !f->cleared)
		return 0;
	if (f) /* cleared, its Create still in flight: a new fault */
		f->key[0] = '\0';
	f = calloc(1, sizeof(*f));
	if (!f)
		return log_oom();
	f->log = l;
	f->key = strdup(key);
	if (!f->key) {
		fault_free(f);
		return log_oom();
	}
	r = commit(l, message, severity, data, f);
	if (r < 0) {
		fault_free(f);
		return r;
	}
	f->next = l->faults;
	l->faults = f;
	return 0;
}

int evlog_clear(struct evlog *l, const char *key, const char *event,
		const char *const *data)
{
	struct fault *f = fault_find(l, key);

	if (!f || f->cleared)
		return 0;
	if (f->entry) {
		resolve(l, f->entry);
		fault_unlink(f);
	} else {
		f->cleared = true; /* resolved when Create answers */
	}
	if (event)
		(void)commit(l, event, EVLOG_INFORMATIONAL, data, NULL);
	return 1;
}
