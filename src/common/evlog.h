/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events to phosphor-logging, as lg2::commit() and lg2::resolve() send
 * them (phosphor-logging lib/lg2_commit.cpp at 8080bad):
 *   commit:  xyz.openbmc_project.Logging.Create.Create(s Message,
 *            s Severity, a{ss} AdditionalData) -> o entry, on service
 *            xyz.openbmc_project.Logging, object /xyz/openbmc_project/logging
 *   resolve: Set xyz.openbmc_project.Logging.Entry.Resolved = true on the
 *            entry.
 * Every call is asynchronous: the event loop never waits on the logger.
 *
 * A fault is kept under a key (a cable's name, "<drive>/functional"): it
 * is committed once when raised, and when cleared its entry is resolved
 * (as soon as its path is known) and an optional "restored" event is
 * committed. Raising a key that is raised already does nothing, so a
 * fault is logged once however often it is seen.
 *
 * Without phosphor-logging on the bus the daemon keeps working; the first
 * failure says so once, later ones are debug messages.
 */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#define EVLOG_SERVICE "xyz.openbmc_project.Logging"
#define EVLOG_PATH    "/xyz/openbmc_project/logging"
#define EVLOG_CREATE  "xyz.openbmc_project.Logging.Create"
#define EVLOG_ENTRY   "xyz.openbmc_project.Logging.Entry"

/* xyz.openbmc_project.Logging.Entry.Level values */
#define EVLOG_INFORMATIONAL \
	"xyz.openbmc_project.Logging.Entry.Level.Informational"
#define EVLOG_WARNING  "xyz.openbmc_project.Logging.Entry.Level.Warning"
#define EVLOG_ERROR    "xyz.openbmc_project.Logging.Entry.Level.Error"
#define EVLOG_CRITICAL "xyz.openbmc_project.Logging.Entry.Level.Critical"

struct evlog;

int evlog_new(sd_bus *bus, struct evlog **ret);
struct evlog *evlog_free(struct evlog *l);

/* data: key, value, ..., NULL (AdditionalData). -errno if nothing was
 * sent (ENOMEM, or the bus refused the message). */
int evlog_raise(struct evlog *l, const char *key, const char *message,
		const char *severity, const char *const *data);
/* Resolve key's entry if it is raised; then commit `event` (NULL: none)
 * at Informational with data. Returns 1 if key was raised, else 0. */
int evlog_clear(struct evlog *l, const char *key, const char *event,
		const char *const *data);
bool evlog_is_raised(const struct evlog *l, const char *key);
