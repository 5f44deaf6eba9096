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

#include "power-state.h"

/* ---- D-Bus watcher ---- */
struct power;
/* Called on the loop after the status changed. */
typedef void (*power_handler_t)(const struct power_status *s, void *userdata);

int power_new(sd_bus *bus, sd_event *event, uint64_t on_delay_ms,
	      power_handler_t handler, void *userdata, struct power **ret);
struct power *power_free(struct power *p);
const struct power_status *power_status(const struct power *p);
