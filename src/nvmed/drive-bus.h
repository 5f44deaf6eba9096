/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvmed's D-Bus surface: every interface and property name is here. Per
 * drive a temperature sensor, a drive inventory object and its
 * controller; and the one Storage object bmcweb's Storage resource is
 * made of. The drive hooks (manager.h) bus_drive_* keep it in step.
 */
#pragma once

#include <stdint.h>

struct drive;
struct manager;
struct surface;

/* The ObjectManagers and the error map; m->bus must be set. */
int bus_surface_new(struct manager *m, struct surface **ret);
struct surface *bus_surface_free(struct surface *s);

/* The drive hooks. */
int bus_drive_add(struct drive *d, void **ret_surface);
void bus_drive_remove(struct drive *d);
/* One PropertiesChanged per object and interface for the mask's
 * properties (DRIVE_BIT()s), then ThresholdAsserted for changed
 * alarms. */
void bus_drive_changed(struct drive *d, uint64_t mask);
