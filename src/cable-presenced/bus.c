/* SPDX-License-Identifier: Apache-2.0 */
/*
 * D-Bus surface: per cable object, Inventory.Item, Inventory.Item.Cable,
 * State.Decorator.OperationalStatus and, when the record has a board,
 * Association.Definitions. One vtable per interface (two for Item.Cable:
 * CableTypeDescription only when the record gives one), one slot per
 * (object, interface); state properties emit PropertiesChanged. String
 * getters never fail on their string's content (bus_append_string): a
 * failing getter would fail GetManagedObjects for every cable.
 */
#include <errno.h>
#include <stdbool.h>

#include "bus-util.h"
#include "bus.h"
#include "cable.h"
#include "log.h"

static int get_present(sd_bus *bus, const char *path, const char *iface,
		       const char *prop, sd_bus_message *reply, void *userdata,
		       sd_bus_error *error)
{
	struct cable *c = userdata;

	return sd_bus_message_append(reply, "b", c->pres.present);
}

static int get_pretty_name(sd_bus *bus, const char *path, const char *iface,
			   const char *prop, sd_bus_message *reply,
			   void *userdata, sd_bus_error *error)
{
	struct cable *c = userdata;

	return bus_append_string(reply, c->cfg.name);
}

static int get_length(sd_bus *bus, const char *path, const char *iface,
		      const char *prop, sd_bus_message *reply, void *userdata,
		      sd_bus_error *error)
{
	struct cable *c = userdata;

	return sd_bus_message_append(reply, "d", c->cfg.length);
}

static int get_type_desc(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	struct cable *c = userdata;

	return bus_append_string(reply, c->cfg.type_desc);
}

static int get_functional(sd_bus *bus, const char *path, const char *iface,
			  const char *prop, sd_bus_message *reply,
			  void *userdata, sd_bus_error *error)
{
	struct cable *c = userdata;

	return sd_bus_message_append(reply, "b", c->functional);
}

static int get_associations(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	struct cable *c = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(sss)");
	if (r < 0)
		return r;
	if (c->cfg.board) {
		r = sd_bus_message_append(reply, "(sss)", "chassis", "cables",
					  c->cfg.board);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

/* The vtables are laid out by hand, one property per entry. */
/* clang-format off */
static const sd_bus_vtable item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Present", "b", get_present, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PrettyName", "s", get_pretty_name, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/*
 * bmcweb (redfish-core/lib/cable.hpp, 7debb89) copies CableTypeDescription
 * into CableType whenever the property exists, "" included, and leaves
 * LengthMeters out when Length is NaN: a record without a description
 * gets no such property; Length stays, NaN when not given (the
 * phosphor-dbus-interfaces default).
 */
static const sd_bus_vtable cable_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Length", "d", get_length, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CableTypeDescription", "s", get_type_desc, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable cable_vtable_no_desc[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Length", "d", get_length, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable status_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Functional", "b", get_functional, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_associations, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

static const sd_bus_vtable *cable_vtable_of(const struct cable *c)
{
	return c->cfg.type_desc ? cable_vtable : cable_vtable_no_desc;
}

int bus_cable_publish(sd_bus *bus, struct cable *c)
{
	const char *path = c->cfg.path;
	int r;

	if (c->published)
		return 0;

	r = sd_bus_add_object_vtable(bus, &c->slot_item, path, IFACE_ITEM,
				     item_vtable, c);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, &c->slot_cable, path,
					     IFACE_CABLE, cable_vtable_of(c),
					     c);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, &c->slot_status, path,
					     IFACE_STATUS, status_vtable, c);
	if (r >= 0 && c->cfg.board)
		r = sd_bus_add_object_vtable(bus, &c->slot_assoc, path,
					     IFACE_ASSOC, assoc_vtable, c);
	if (r < 0) {
		bus_cable_unpublish(bus, c, false);
		return log_error_errno(r, "Cannot add object '%s'", path);
	}
	c->published = true;

	/* Every interface of the object, org.freedesktop.DBus.* included,
	 * as the object's removal below lists them. */
	r = sd_bus_emit_object_added(bus, path);
	if (r < 0)
		log_warning_errno(r, "Cannot emit InterfacesAdded for '%s'",
				  path);
	return 0;
}

void bus_cable_unpublish(sd_bus *bus, struct cable *c, bool emit)
{
	int r;

	if (c->published && emit) {
		/*
		 * All of the object's interfaces, the standard
		 * org.freedesktop.DBus.{Introspectable,Peer,Properties} too
		 * (sd-bus lists them while the vtables still exist):
		 * phosphor-objmgr's mapper drops a service from a path only
		 * once the path has no interface of it left, so naming only
		 * ours would leave the cable in the mapper.
		 */
		r = sd_bus_emit_object_removed(bus, c->cfg.path);
		if (r < 0)
			log_warning_errno(
				r, "Cannot emit InterfacesRemoved for '%s'",
				c->cfg.path);
	}
	c->slot_item = sd_bus_slot_unref(c->slot_item);
	c->slot_cable = sd_bus_slot_unref(c->slot_cable);
	c->slot_status = sd_bus_slot_unref(c->slot_status);
	c->slot_assoc = sd_bus_slot_unref(c->slot_assoc);
	c->published = false;
}

int bus_cable_changed(sd_bus *bus, struct cable *c, const char *iface,
		      char **props)
{
	int r;

	if (!c->published)
		return 0;
	r = sd_bus_emit_properties_changed_strv(bus, c->cfg.path, iface, props);
	if (r < 0)
		return log_warning_errno(
			r, "Cannot emit PropertiesChanged for '%s'",
			c->cfg.path);
	return 0;
}

int bus_cable_reshape(sd_bus *bus, struct cable *c)
{
	const char *path = c->cfg.path;
	int r;

	if (!c->published)
		return 0;
	/* Interfaces do not change their properties on D-Bus: the old
	 * interface goes, and the new one comes with every property. */
	r = sd_bus_emit_interfaces_removed(bus, path, IFACE_CABLE, NULL);
	if (r < 0)
		log_warning_errno(r, "Cannot emit InterfacesRemoved for '%s'",
				  path);
	c->slot_cable = sd_bus_slot_unref(c->slot_cable);
	r = sd_bus_add_object_vtable(bus, &c->slot_cable, path, IFACE_CABLE,
				     cable_vtable_of(c), c);
	if (r < 0)
		return log_error_errno(r, "Cannot add %s to '%s'", IFACE_CABLE,
				       path);
	r = sd_bus_emit_interfaces_added(bus, path, IFACE_CABLE, NULL);
	if (r < 0)
		log_warning_errno(r, "Cannot emit InterfacesAdded for '%s'",
				  path);
	return 0;
}
