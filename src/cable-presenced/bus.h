/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The D-Bus surface of cable-presenced: one Inventory.Item.Cable object per
 * configured line, at the path of openbmc/docs
 * designs/gpio-based-cable-presence.md.
 */
#pragma once

#include <stdbool.h>

#include <systemd/sd-bus.h>

#define CABLE_BUS_NAME	  "xyz.openbmc_project.GPIOCableSensing"
#define CABLE_OM_PATH	  "/xyz/openbmc_project/inventory"
#define CABLE_PATH_PREFIX "/xyz/openbmc_project/inventory/item"

#define IFACE_ITEM   "xyz.openbmc_project.Inventory.Item"
#define IFACE_CABLE  "xyz.openbmc_project.Inventory.Item.Cable"
#define IFACE_STATUS "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define IFACE_ASSOC  "xyz.openbmc_project.Association.Definitions"

struct cable;

/* Add the object's interfaces and emit InterfacesAdded. */
int bus_cable_publish(sd_bus *bus, struct cable *c);
/* Emit InterfacesRemoved (if emit) and drop the object's slots. */
void bus_cable_unpublish(sd_bus *bus, struct cable *c, bool emit);
/* Item.Cable again after the record gained or lost a property that is
 * published only when given (CableTypeDescription): InterfacesRemoved,
 * then InterfacesAdded with the new property set. A no-op before
 * publication. */
int bus_cable_reshape(sd_bus *bus, struct cable *c);
/* Emit PropertiesChanged for the named properties of iface (NULL-terminated
 * list). A no-op before publication. */
int bus_cable_changed(sd_bus *bus, struct cable *c, const char *iface,
		      char **props);
