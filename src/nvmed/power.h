/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Host and chassis power state, read the way dbus-sensors does
 * (src/Utils.hpp namespaces power/post/chassis, src/Utils.cpp):
 *
 *   host   xyz.openbmc_project.State.Host0 /xyz/openbmc_project/state/host0
 *          xyz.openbmc_project.State.Host CurrentHostState: on when it
 *          ends in "Running" (a change to on takes effect after a delay,
 *          10 s upstream: "on comes too quickly")
 *   post   same object, xyz.openbmc_project.State.OperatingSystem.Status
 *          OperatingSystemState: BIOS has posted unless "Inactive" (short
 *          or fully qualified)
 *   chassis xyz.openbmc_project.State.Chassis0
 *          /xyz/openbmc_project/state/chassis0
 *          xyz.openbmc_project.State.Chassis CurrentPowerState: on when it
 *          ends in ".On"
 *
 * Initial values by Get (again whenever a service (re)appears), then
 * PropertiesChanged matched on path and interface (arg0), any sender.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

enum power_state {
	POWER_ON, /* host running (the NVME1000 default, like upstream) */
	POWER_BIOS_POST, /* host running and BIOS posted */
	POWER_ALWAYS,
	POWER_CHASSIS_ON,
};

struct power_status {
	bool host_on;
	bool post_done;
	bool chassis_on;
};

/* ---- pure ---- */
/* "On", "BiosPost", "Always", "ChassisOn" -> state; -EINVAL otherwise. */
int power_state_from_string(const char *s, enum power_state *ret);
const char *power_state_to_string(enum power_state s);
bool power_host_running(const char *current_host_state);
bool power_post_done(const char *operating_system_state);
bool power_chassis_on(const char *current_power_state);
/* dbus-sensors' readingStateGood() */
bool power_reading_ok(enum power_state want, const struct power_status *s);

/* ---- D-Bus watcher ---- */
struct power;
/* Called on the loop after the status changed. */
typedef void (*power_handler_t)(const struct power_status *s, void *userdata);

int power_new(sd_bus *bus, sd_event *event, uint64_t on_delay_ms,
	      power_handler_t handler, void *userdata, struct power **ret);
struct power *power_free(struct power *p);
const struct power_status *power_status(const struct power *p);
