/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cable-presenced state: one struct cable per GPIOCableSensing record,
 * following its GPIO line (edge events on the line fd in the sd-event
 * loop, a periodic re-read, optional debounce, retries while the line is
 * missing, busy or its chip gone). The D-Bus surface is in bus.c.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "emconfig.h"
#include "macros.h"
#include "presence.h"

#define CABLE_CONSUMER "cable-presenced"

/* What a GPIOCableSensing record says, checked and converted (pure). */
struct cable_config {
	char *name; /* Name, as published in PrettyName */
	char *path; /* /xyz/openbmc_project/inventory/item/<escaped> */
	char *line_name; /* GpioLine */
	bool active_low; /* Polarity */
	uint64_t poll_ms; /* PollIntervalMs, or the daemon default */
	uint64_t debounce_ms; /* DebounceMs, 0: none */
	char *type_desc; /* CableTypeDescription, NULL if absent */
	double length; /* Length in metres, NaN if absent */
	char *board; /* board path, NULL if none */
	bool expected; /* Expected: log when it is not connected */
};

extern const struct emc_schema cable_schema;

/* Build a config from a record that passed emc_validate(cable_schema). */
int cable_config_from_record(const struct emc_record *rec,
			     uint64_t default_poll_ms,
			     struct cable_config *ret);
void cable_config_clear(struct cable_config *c);

/* Presence from a physical level and the polarity (pure). */
static inline bool cable_level_present(int level, bool active_low)
{
	return active_low ? level == 0 : level != 0;
}

struct cable_manager;
struct poll_group;
struct gpio_line;

struct cable {
	struct cable_manager *m;
	struct cable *prev, *next;
	char *record_path; /* the configuration record it comes from */
	struct cable_config cfg;
	struct poll_group *group;

	struct gpio_line *line;
	sd_event_source *io; /* edge events, NULL when polled only */
	sd_event_source *debounce; /* armed while pres.pending */
	int last_error; /* last logged failure, 0 after success */

	/* Published state: pres.present (debounced, presence.h) and
	 * functional. */
	struct presence pres;
	bool functional;

	/* D-Bus slots, one per interface (bus.c). */
	sd_bus_slot *slot_item, *slot_cable, *slot_status, *slot_assoc;
	bool published;
};

int cable_manager_new(sd_bus *bus, sd_event *event, uint64_t default_poll_ms,
		      struct cable_manager **ret);
struct cable_manager *cable_manager_free(struct cable_manager *m);
DEFINE_CLEANUP_FUNC(struct cable_manager, cable_manager_free)

size_t cable_manager_count(struct cable_manager *m);

/* The emconfig handler: userdata is the cable_manager. */
void cable_manager_on_record(enum emc_event event, const struct emc_record *rec,
			     const char *error, void *userdata);
