/* SPDX-License-Identifier: Apache-2.0 */
/*
 * When a drive may be read (an NVME1000 record's PowerState), and the
 * pure rules that read the host and chassis state properties the way
 * dbus-sensors does (src/Utils.cpp); the D-Bus watcher is power.h.
 */
#pragma once

#include <stdbool.h>

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

/* "On", "BiosPost", "Always", "ChassisOn" -> state; -EINVAL otherwise. */
int power_state_from_string(const char *s, enum power_state *ret);
const char *power_state_to_string(enum power_state s);
bool power_host_running(const char *current_host_state);
bool power_post_done(const char *operating_system_state);
bool power_chassis_on(const char *current_power_state);
/* dbus-sensors' readingStateGood() */
bool power_reading_ok(enum power_state want, const struct power_status *s);
