// SPDX-License-Identifier: Apache-2.0
/*
 * D-Bus surface of nvmed: per drive a temperature sensor, a drive
 * inventory object and its controller, one vtable per interface; and the
 * one Storage object that bmcweb's Storage resource is made of (the
 * names are in dbus-names.h, the error map in errors.c); a drive's
 * changes arrive as a mask (drive.h) and leave as one PropertiesChanged
 * per object and interface.
 *
 * The graph, as bmcweb and the mapper follow it:
 *   Storage   NVMED_STORAGE_PATH: Inventory.Item, Item.Storage;
 *             ("chassis", "storage", <board>) for each board with drives
 *   drive     .../inventory/drive/<drive>: Item, Item.Drive, Asset, ...;
 *             ("chassis", "drive", <board>), ("storage", "drive", Storage)
 *   controller NVMED_CONTROLLER_PREFIX<drive>: Item, Item.StorageController,
 *             Asset, Revision; ("storage", "storage_controller", Storage),
 *             ("drive", "storage_controller", <drive>)
 *   sensor    .../sensors/temperature/<Name>: ("chassis", "all_sensors",
 *             <board>), ("inventory", "sensors", <drive>)
 * bmcweb lists Storage from GetSubTree(Item.Storage), its Drives from
 * GetSubTreePaths(Item.Drive) and Controllers from
 * GetSubTree(Item.StorageController) (redfish-core/lib/storage.hpp,
 * storage_controller.hpp at 7debb89), Chassis Drives from <board>/drive.
 *
 * String getters never fail on their string's content (bus_append_string):
 * sd-bus refuses strings that are not UTF-8, and one failing getter fails
 * GetManagedObjects for every object under the ObjectManager.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "dbus-names.h"
#include "bus-util.h"
#include "drive-bus.h"
#include "drive.h"
#include "errors.h"
#include "fmt.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "pnvme.h"

#define D(field) offsetof(struct drive, field)

static const char *const threshold_value_names[_THRESHOLD_MAX] = {
	[THRESHOLD_WARNING_HIGH] = "WarningHigh",
	[THRESHOLD_WARNING_LOW] = "WarningLow",
	[THRESHOLD_CRITICAL_HIGH] = "CriticalHigh",
	[THRESHOLD_CRITICAL_LOW] = "CriticalLow",
};

static const char *const threshold_alarm_names[_THRESHOLD_MAX] = {
	[THRESHOLD_WARNING_HIGH] = "WarningAlarmHigh",
	[THRESHOLD_WARNING_LOW] = "WarningAlarmLow",
	[THRESHOLD_CRITICAL_HIGH] = "CriticalAlarmHigh",
	[THRESHOLD_CRITICAL_LOW] = "CriticalAlarmLow",
};

static const char *threshold_iface(enum threshold_kind k)
{
	return k == THRESHOLD_WARNING_HIGH || k == THRESHOLD_WARNING_LOW ?
		       IFACE_WARNING :
		       IFACE_CRITICAL;
}

/* The manager's D-Bus objects. */
struct surface {
	struct manager *m;
	sd_bus_slot *om_sensors;
	sd_bus_slot *om_inventory;
	/* the Storage object, on the bus while there are drives */
	sd_bus_slot *storage_slots[3];
	bool storage_on_bus;
	unsigned n_drives; /* drives on the bus */
};

/* A char * member of struct drive (the offset is sd-bus's): never fails
 * on the string's content, so one drive cannot fail GetManagedObjects. */
static int get_string(sd_bus *bus, const char *path, const char *iface,
		      const char *prop, sd_bus_message *reply, void *userdata,
		      sd_bus_error *error)
{
	return bus_append_string(reply, *(char **)userdata);
}

static int get_const_double(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	double v = strcmp(prop, "MaxValue") == 0 ? 127.0 : -60.0;

	return sd_bus_message_append(reply, "d", v);
}

static int get_alarm(sd_bus *bus, const char *path, const char *iface,
		     const char *prop, sd_bus_message *reply, void *userdata,
		     sd_bus_error *error)
{
	struct drive *d = userdata;

	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (strcmp(prop, threshold_alarm_names[k]) == 0)
			return sd_bus_message_append(reply, "b",
						     d->th.t[k].alarm);
	return -ENOENT;
}

static int threshold_kind_of(const char *prop, enum threshold_kind *ret)
{
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (strcmp(prop, threshold_value_names[k]) == 0) {
			*ret = k;
			return 0;
		}
	return -ENOENT;
}

static int get_threshold(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	struct drive *d = userdata;
	enum threshold_kind k;

	if (threshold_kind_of(prop, &k) < 0)
		return -ENOENT;
	return sd_bus_message_append(reply, "d", d->th.t[k].value);
}

/*
 * Writable like dbus-sensors' thresholds: the alarms follow at once, and
 * the value is written back to the record it came from (entity-manager's
 * Thresholds<N>.Value, as persistThreshold() does), so it survives a
 * restart of either daemon.
 */
static int set_threshold(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *value,
			 void *userdata, sd_bus_error *error)
{
	struct drive *d = userdata;
	char buf[FMT_DOUBLE_MAX];
	enum threshold_kind k;
	double v;
	int r;

	if (threshold_kind_of(prop, &k) < 0)
		return -ENOENT;
	r = sd_bus_message_read(value, "d", &v);
	if (r < 0)
		return r;
	r = drive_set_user_threshold(d, k, v);
	if (r == -ERANGE)
		/* all the digits it takes: 1000.0001 is not 1000 */
		return nvmed_error(error, ERROR_PROPERTY, r, NULL,
				   "%s must be NaN or between %d and %d, "
				   "not %s",
				   prop, NVMED_THRESHOLD_VALUE_MIN,
				   NVMED_THRESHOLD_VALUE_MAX,
				   fmt_double(buf, v));
	if (r == -EROFS)
		return nvmed_error(error, ERROR_PROPERTY, r, NULL,
				   "%s comes from the configuration record "
				   "'%s' (Thresholds%d), which cannot hold "
				   "NaN",
				   prop, d->config_path, d->th_index[k]);
	if (r < 0)
		return nvmed_error(error, ERROR_PROPERTY, r, NULL,
				   "Cannot set %s: %s", prop, strerror(-r));
	log_info("Drive '%s': %s set to %s over D-Bus", d->name, prop,
		 fmt_double(buf, v));
	return 0;
}

static int get_sensor_associations(sd_bus *bus, const char *path,
				   const char *iface, const char *prop,
				   sd_bus_message *reply, void *userdata,
				   sd_bus_error *error)
{
	struct drive *d = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(sss)");
	if (r < 0)
		return r;
	if (d->board) {
		r = sd_bus_message_append(reply, "(sss)", "chassis",
					  "all_sensors", d->board);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_append(reply, "(sss)", "inventory", "sensors",
				  d->drive_path);
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int get_drive_associations(sd_bus *bus, const char *path,
				  const char *iface, const char *prop,
				  sd_bus_message *reply, void *userdata,
				  sd_bus_error *error)
{
	struct drive *d = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(sss)");
	if (r < 0)
		return r;
	if (d->board) {
		r = sd_bus_message_append(reply, "(sss)", "chassis", "drive",
					  d->board);
		if (r < 0)
			return r;
	}
	r = sd_bus_message_append(reply, "(sss)", "storage", "drive",
				  NVMED_STORAGE_PATH);
	if (r < 0)
		return r;
	return sd_bus_message_close_container(reply);
}

static int get_controller_associations(sd_bus *bus, const char *path,
				       const char *iface, const char *prop,
				       sd_bus_message *reply, void *userdata,
				       sd_bus_error *error)
{
	struct drive *d = userdata;

	return sd_bus_message_append(reply, "a(sss)", 2, "storage",
				     "storage_controller", NVMED_STORAGE_PATH,
				     "drive", "storage_controller",
				     d->drive_path);
}

/* One ("chassis", "storage", board) per board that holds drives. */
static int get_storage_associations(sd_bus *bus, const char *path,
				    const char *iface, const char *prop,
				    sd_bus_message *reply, void *userdata,
				    sd_bus_error *error)
{
	struct surface *s = userdata;
	struct manager *m = s->m;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(sss)");
	if (r < 0)
		return r;
	for (struct drive *d = m->drives; d; d = d->next) {
		bool seen = false;

		if (!d->board)
			continue;
		for (struct drive *o = m->drives; o != d && !seen; o = o->next)
			seen = o->board && strcmp(o->board, d->board) == 0;
		if (seen)
			continue;
		r = sd_bus_message_append(reply, "(sss)", "chassis", "storage",
					  d->board);
		if (r < 0)
			return r;
	}
	return sd_bus_message_close_container(reply);
}

static int get_true(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	return sd_bus_message_append(reply, "b", true);
}

static int get_storage_name(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", "NVMe drives");
}

static int get_protocol(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *userdata,
			sd_bus_error *error)
{
	const char *v = strcmp(prop, "Protocol") == 0 ?
				ENUM_DRIVE_PROTOCOL_NVME :
				ENUM_DRIVE_TYPE_SSD;

	return sd_bus_message_append(reply, "s", v);
}

static int get_unit(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", ENUM_UNIT_DEGREES_C);
}

/* The vtables are laid out by hand, one property per entry. */
/* clang-format off */
static const sd_bus_vtable value_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Value", "d", NULL, D(value),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MaxValue", "d", get_const_double, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MinValue", "d", get_const_double, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Unit", "s", get_unit, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/*
 * The threshold interfaces carry only the thresholds the drive has
 * (drive.h th_present), as dbus-sensors registers only the levels its
 * record configures (src/sensor.hpp): a level without any has no
 * interface, and a threshold that does not exist cannot be set. So each
 * level has three vtables: high, low, both.
 */
#define THRESHOLD_SIGNAL                                                  \
	SD_BUS_SIGNAL_WITH_NAMES("ThresholdAsserted", "sssbd",          \
				 SD_BUS_PARAM(SensorName)                \
				 SD_BUS_PARAM(Interface)                 \
				 SD_BUS_PARAM(Event)                     \
				 SD_BUS_PARAM(Asserted)                  \
				 SD_BUS_PARAM(Value),                    \
				 0)
#define THRESHOLD_VALUE(name)                                             \
	SD_BUS_WRITABLE_PROPERTY(name, "d", get_threshold, set_threshold, 0, \
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)
#define THRESHOLD_ALARM(name)                      \
	SD_BUS_PROPERTY(name, "b", get_alarm, 0, \
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable warning_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("WarningHigh"),
	THRESHOLD_VALUE("WarningLow"),
	THRESHOLD_ALARM("WarningAlarmHigh"),
	THRESHOLD_ALARM("WarningAlarmLow"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable warning_high_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("WarningHigh"),
	THRESHOLD_ALARM("WarningAlarmHigh"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable warning_low_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("WarningLow"),
	THRESHOLD_ALARM("WarningAlarmLow"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable critical_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("CriticalHigh"),
	THRESHOLD_VALUE("CriticalLow"),
	THRESHOLD_ALARM("CriticalAlarmHigh"),
	THRESHOLD_ALARM("CriticalAlarmLow"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable critical_high_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("CriticalHigh"),
	THRESHOLD_ALARM("CriticalAlarmHigh"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable critical_low_vtable[] = {
	SD_BUS_VTABLE_START(0),
	THRESHOLD_VALUE("CriticalLow"),
	THRESHOLD_ALARM("CriticalAlarmLow"),
	THRESHOLD_SIGNAL,
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable availability_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Available", "b", NULL, D(available),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable sensor_opstatus_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Functional", "b", NULL, D(sensor_functional),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable sensor_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_sensor_associations, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Present", "b", NULL, D(present),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PrettyName", "s", get_string, D(drive_name),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable empty_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable controller_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_controller_associations,
			0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable storage_item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Present", "b", get_true, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("PrettyName", "s", get_storage_name, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable storage_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_storage_associations, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable drive_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Protocol", "s", get_protocol, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Type", "s", get_protocol, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Capacity", "t", NULL, D(capacity),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("PredictedMediaLifeLeftPercent", "y", NULL,
			D(life_left), SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable asset_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Manufacturer", "s", get_string, D(manufacturer),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Model", "s", get_string, D(model),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("SerialNumber", "s", get_string, D(serial),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable revision_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_string, D(firmware),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable drive_opstatus_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Functional", "b", NULL, D(drive_functional),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable nvme_status_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("SmartWarnings", "s", get_string, D(smart_warnings),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StatusFlags", "s", get_string, D(status_flags),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DriveLifeUsed", "s", get_string, D(drive_life_used),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CapacityFault", "b", NULL, D(faults[FAULT_CAPACITY]),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("TemperatureFault", "b", NULL,
			D(faults[FAULT_TEMPERATURE]),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("DegradesFault", "b", NULL, D(faults[FAULT_DEGRADES]),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MediaFault", "b", NULL, D(faults[FAULT_MEDIA]),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("BackupDeviceFault", "b", NULL, D(faults[FAULT_BACKUP]),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable drive_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_drive_associations, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

enum object_kind { OBJ_SENSOR, OBJ_DRIVE, OBJ_CONTROLLER, _OBJ_MAX };

#define ON(k) (1u << (k))

#define IFACE(k, n, v)                                  \
	{                                               \
		.kind = (k), .name = (n), .vtable = (v) \
	}
#define THRESHOLD_IFACE(n, v, mask)                                    \
	{                                                              \
		.kind = OBJ_SENSOR, .name = (n), .vtable = v##_vtable, \
		.level = (mask), .high_vtable = v##_high_vtable,       \
		.low_vtable = v##_low_vtable                           \
	}

static const struct object_iface {
	enum object_kind kind;
	const char *name;
	const sd_bus_vtable *vtable; /* a threshold level's: with both */
	/* a threshold level: its kinds, and its vtables with one of them */
	unsigned level;
	const sd_bus_vtable *high_vtable, *low_vtable;
} ifaces[] = {
	IFACE(OBJ_SENSOR, IFACE_VALUE, value_vtable),
	THRESHOLD_IFACE(IFACE_WARNING, warning, THRESHOLD_WARNING_MASK),
	THRESHOLD_IFACE(IFACE_CRITICAL, critical, THRESHOLD_CRITICAL_MASK),
	IFACE(OBJ_SENSOR, IFACE_AVAIL, availability_vtable),
	IFACE(OBJ_SENSOR, IFACE_OPSTATUS, sensor_opstatus_vtable),
	IFACE(OBJ_SENSOR, IFACE_ASSOC, sensor_assoc_vtable),
	IFACE(OBJ_DRIVE, IFACE_ITEM, item_vtable),
	IFACE(OBJ_DRIVE, IFACE_DRIVE, drive_vtable),
	IFACE(OBJ_DRIVE, IFACE_ASSET, asset_vtable),
	IFACE(OBJ_DRIVE, IFACE_REVISION, revision_vtable),
	IFACE(OBJ_DRIVE, IFACE_OPSTATUS, drive_opstatus_vtable),
	IFACE(OBJ_DRIVE, IFACE_STATUS, nvme_status_vtable),
	IFACE(OBJ_DRIVE, IFACE_ASSOC, drive_assoc_vtable),
	IFACE(OBJ_CONTROLLER, IFACE_ITEM, item_vtable),
	IFACE(OBJ_CONTROLLER, IFACE_CONTROLLER, empty_vtable),
	IFACE(OBJ_CONTROLLER, IFACE_ASSET, asset_vtable),
	IFACE(OBJ_CONTROLLER, IFACE_REVISION, revision_vtable),
	IFACE(OBJ_CONTROLLER, IFACE_ASSOC, controller_assoc_vtable),
};

/* Where each of a drive's published properties is: the objects, the
 * interface and the name (the controller shares the drive's Present,
 * Asset and Revision). */
static const struct prop_place {
	unsigned objects;
	const char *iface;
	const char *name;
} places[_DRIVE_PROP_MAX] = {
	[DRIVE_VALUE] = { ON(OBJ_SENSOR), IFACE_VALUE, "Value" },
	/* by kind: threshold_iface() and the names' tables (place_of) */
	[DRIVE_THRESHOLD +
		THRESHOLD_WARNING_HIGH] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_THRESHOLD +
		THRESHOLD_WARNING_LOW] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_THRESHOLD +
		THRESHOLD_CRITICAL_HIGH] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_THRESHOLD +
		THRESHOLD_CRITICAL_LOW] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_ALARM + THRESHOLD_WARNING_HIGH] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_ALARM + THRESHOLD_WARNING_LOW] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_ALARM + THRESHOLD_CRITICAL_HIGH] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_ALARM + THRESHOLD_CRITICAL_LOW] = { .objects = ON(OBJ_SENSOR) },
	[DRIVE_AVAILABLE] = { ON(OBJ_SENSOR), IFACE_AVAIL, "Available" },
	[DRIVE_SENSOR_FUNCTIONAL] = { ON(OBJ_SENSOR), IFACE_OPSTATUS,
				      "Functional" },
	[DRIVE_PRESENT] = { ON(OBJ_DRIVE) | ON(OBJ_CONTROLLER), IFACE_ITEM,
			    "Present" },
	[DRIVE_CAPACITY] = { ON(OBJ_DRIVE), IFACE_DRIVE, "Capacity" },
	[DRIVE_LIFE_LEFT] = { ON(OBJ_DRIVE), IFACE_DRIVE,
			      "PredictedMediaLifeLeftPercent" },
	[DRIVE_MANUFACTURER] = { ON(OBJ_DRIVE) | ON(OBJ_CONTROLLER),
				 IFACE_ASSET, "Manufacturer" },
	[DRIVE_MODEL] = { ON(OBJ_DRIVE) | ON(OBJ_CONTROLLER), IFACE_ASSET,
			  "Model" },
	[DRIVE_SERIAL] = { ON(OBJ_DRIVE) | ON(OBJ_CONTROLLER), IFACE_ASSET,
			   "SerialNumber" },
	[DRIVE_FIRMWARE] = { ON(OBJ_DRIVE) | ON(OBJ_CONTROLLER), IFACE_REVISION,
			     "Version" },
	[DRIVE_FUNCTIONAL] = { ON(OBJ_DRIVE), IFACE_OPSTATUS, "Functional" },
	[DRIVE_SMART_WARNINGS] = { ON(OBJ_DRIVE), IFACE_STATUS,
				   "SmartWarnings" },
	[DRIVE_STATUS_FLAGS] = { ON(OBJ_DRIVE), IFACE_STATUS, "StatusFlags" },
	[DRIVE_LIFE_USED] = { ON(OBJ_DRIVE), IFACE_STATUS, "DriveLifeUsed" },
	[DRIVE_FAULT + FAULT_CAPACITY] = { ON(OBJ_DRIVE), IFACE_STATUS,
					   "CapacityFault" },
	[DRIVE_FAULT + FAULT_TEMPERATURE] = { ON(OBJ_DRIVE), IFACE_STATUS,
					      "TemperatureFault" },
	[DRIVE_FAULT + FAULT_DEGRADES] = { ON(OBJ_DRIVE), IFACE_STATUS,
					   "DegradesFault" },
	[DRIVE_FAULT +
		FAULT_MEDIA] = { ON(OBJ_DRIVE), IFACE_STATUS, "MediaFault" },
	[DRIVE_FAULT + FAULT_BACKUP] = { ON(OBJ_DRIVE), IFACE_STATUS,
					 "BackupDeviceFault" },
};

/* The interface and name of property p (the thresholds' by kind). */
static void place_of(enum drive_prop p, const char **iface, const char **name)
{
	if (p >= DRIVE_THRESHOLD && p < DRIVE_THRESHOLD + _THRESHOLD_MAX) {
		*iface = threshold_iface(p - DRIVE_THRESHOLD);
		*name = threshold_value_names[p - DRIVE_THRESHOLD];
	} else if (p >= DRIVE_ALARM && p < DRIVE_ALARM + _THRESHOLD_MAX) {
		*iface = threshold_iface(p - DRIVE_ALARM);
		*name = threshold_alarm_names[p - DRIVE_ALARM];
	} else {
		*iface = places[p].iface;
		*name = places[p].name;
	}
}

static const struct {
	const char *name;
	const sd_bus_vtable *vtable;
} storage_ifaces[] = {
	{ IFACE_ITEM, storage_item_vtable },
	{ IFACE_STORAGE, empty_vtable },
	{ IFACE_ASSOC, storage_assoc_vtable },
};

_Static_assert(ARRAY_SIZE(storage_ifaces) <=
		       ARRAY_SIZE(((struct surface *)0)->storage_slots),
	       "too many storage interfaces");

/* A drive's objects on the bus: one slot per interface (none for a
 * threshold level without thresholds). */
struct drive_objects {
	sd_bus_slot *slots[ARRAY_SIZE(ifaces)];
	unsigned th_published; /* th_present the slots were made for */
};

/* The vtable of oi for a drive with the thresholds present; NULL: the
 * interface is not published. */
static const sd_bus_vtable *iface_vtable(const struct object_iface *oi,
					 unsigned present)
{
	unsigned have = present & oi->level;

	if (!oi->level)
		return oi->vtable;
	if (have == oi->level)
		return oi->vtable;
	if (!have)
		return NULL;
	return have & THRESHOLD_HIGH_MASK ? oi->high_vtable : oi->low_vtable;
}

static const char *object_path(const struct drive *d, enum object_kind k)
{
	return k == OBJ_SENSOR ? d->sensor_path :
	       k == OBJ_DRIVE  ? d->drive_path :
				 d->controller_path;
}

/* Is name a property of vtable? (places[] must only name real ones.) */
/* Every property a change can name is in the vtable of each object that
 * carries it: a misspelt name would be a PropertiesChanged nobody can
 * Get. Checked once at start-up. */
static int check_places(void)
{
	for (int p = 0; p < _DRIVE_PROP_MAX; p++) {
		const char *iface, *name;

		place_of(p, &iface, &name);
		for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++)
			if ((places[p].objects & ON(ifaces[i].kind)) &&
			    strcmp(ifaces[i].name, iface) == 0 &&
			    !bus_vtable_has(ifaces[i].vtable, name))
				return log_error_errno(-EINVAL,
						       "Internal error: %s.%s "
						       "is not published",
						       iface, name);
	}
	return 0;
}

int bus_surface_new(struct manager *m, struct surface **ret)
{
	struct surface *s;
	int r;

	r = check_places();
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return log_oom();
	s->m = m;
	r = sd_bus_add_object_manager(m->bus, &s->om_sensors,
				      NVMED_SENSORS_ROOT);
	if (r < 0) {
		log_error_errno(r, "Cannot add object manager at %s",
				NVMED_SENSORS_ROOT);
		goto fail;
	}
	r = sd_bus_add_object_manager(m->bus, &s->om_inventory,
				      NVMED_INVENTORY_ROOT);
	if (r < 0) {
		log_error_errno(r, "Cannot add object manager at %s",
				NVMED_INVENTORY_ROOT);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	bus_surface_free(s);
	return r;
}

static void storage_drop(struct surface *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(s->storage_slots); i++)
		s->storage_slots[i] = sd_bus_slot_unref(s->storage_slots[i]);
	s->storage_on_bus = false;
}

struct surface *bus_surface_free(struct surface *s)
{
	if (!s)
		return NULL;
	storage_drop(s);
	sd_bus_slot_unref(s->om_sensors);
	sd_bus_slot_unref(s->om_inventory);
	free(s);
	return NULL;
}

static int storage_add(struct surface *s)
{
	sd_bus *bus = s->m->bus;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(storage_ifaces); i++) {
		r = sd_bus_add_object_vtable(bus, &s->storage_slots[i],
					     NVMED_STORAGE_PATH,
					     storage_ifaces[i].name,
					     storage_ifaces[i].vtable, s);
		if (r < 0) {
			storage_drop(s);
			return log_error_errno(r, "Cannot add %s at %s",
					       storage_ifaces[i].name,
					       NVMED_STORAGE_PATH);
		}
	}
	s->storage_on_bus = true;
	r = sd_bus_emit_object_added(bus, NVMED_STORAGE_PATH);
	if (r < 0)
		log_warning_errno(r, "Cannot announce %s", NVMED_STORAGE_PATH);
	return 0;
}

/* The Storage object follows the set of drives (and their boards). */
static void storage_update(struct surface *s)
{
	int r;

	if (s->storage_on_bus && s->n_drives == 0) {
		r = sd_bus_emit_object_removed(s->m->bus, NVMED_STORAGE_PATH);
		if (r < 0)
			log_debug_errno(r, "Cannot announce removal of %s",
					NVMED_STORAGE_PATH);
		storage_drop(s);
	} else if (s->storage_on_bus) {
		r = sd_bus_emit_properties_changed(s->m->bus,
						   NVMED_STORAGE_PATH,
						   IFACE_ASSOC, "Associations",
						   NULL);
		if (r < 0)
			log_debug_errno(r, "Cannot emit %s change",
					NVMED_STORAGE_PATH);
	} else if (s->n_drives > 0) {
		(void)storage_add(s);
	}
}

static struct drive_objects *objects_free(struct drive_objects *o)
{
	for (size_t i = 0; o && i < ARRAY_SIZE(o->slots); i++)
		sd_bus_slot_unref(o->slots[i]);
	free(o);
	return NULL;
}

static void announce(struct drive *d, bool added)
{
	for (int k = 0; k < _OBJ_MAX; k++) {
		const char *path = object_path(d, k);
		int r = added ? sd_bus_emit_object_added(d->m->bus, path) :
				sd_bus_emit_object_removed(d->m->bus, path);

		if (r < 0)
			log_debug_errno(r, "Drive '%s': cannot announce %s%s",
					d->name, added ? "" : "removal of ",
					path);
	}
}

int bus_drive_add(struct drive *d, void **ret_surface)
{
	struct surface *s = d->m->surface;
	struct drive_objects *o;
	int r;

	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->th_published = d->th_present;
	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
		const char *path = object_path(d, ifaces[i].kind);
		const sd_bus_vtable *vt =
			iface_vtable(&ifaces[i], o->th_published);

		if (!vt)
			continue;
		r = sd_bus_add_object_vtable(d->m->bus, &o->slots[i], path,
					     ifaces[i].name, vt, d);
		if (r < 0) {
			objects_free(o);
			return log_error_errno(r,
					       "Drive '%s': cannot add %s "
					       "at %s",
					       d->name, ifaces[i].name, path);
		}
	}
	*ret_surface = o;
	announce(d, true);
	s->n_drives++;
	storage_update(s);
	return 0;
}

void bus_drive_remove(struct drive *d)
{
	struct surface *s = d->m->surface;

	if (!d->surface)
		return;
	announce(d, false);
	objects_free(d->surface);
	s->n_drives--;
	storage_update(s);
}

/*
 * dbus-sensors' ThresholdAsserted (src/Thresholds.cpp): emitted from the
 * sensor object on the threshold interface, with (sensor name, interface,
 * alarm property, asserted, value); phosphor-sel-logger logs it.
 */
static void threshold_asserted(struct drive *d, enum threshold_kind k)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	const char *iface = threshold_iface(k);
	int r;

	/* a threshold that went away takes its alarm along, silently */
	if (!(d->th_present & (1u << k)))
		return;

	r = sd_bus_message_new_signal(d->m->bus, &m, d->sensor_path, iface,
				      "ThresholdAsserted");
	if (r >= 0)
		r = sd_bus_message_append(
			m, "sssbd",
			d->sensor_path + strlen(NVMED_SENSOR_PREFIX), iface,
			threshold_alarm_names[k], d->th.t[k].alarm, d->value);
	if (r >= 0)
		r = sd_bus_send(d->m->bus, m, NULL);
	if (r < 0)
		log_warning_errno(r,
				  "Drive '%s': cannot emit ThresholdAsserted",
				  d->name);
}

/* One PropertiesChanged for the mask's properties of one interface of
 * one object, if it has any. */
static void emit_iface(struct drive *d, const struct object_iface *oi,
		       uint64_t mask)
{
	const struct drive_objects *o = d->surface;
	const char *props[_DRIVE_PROP_MAX + 1];
	const char *path = object_path(d, oi->kind);
	size_t n = 0;
	int r;

	if (!o->slots[oi - ifaces])
		return; /* a threshold level without thresholds */
	for (int p = 0; p < _DRIVE_PROP_MAX; p++) {
		const char *iface, *name;
		int kind = -1;

		if (!(mask & DRIVE_BIT(p)) ||
		    !(places[p].objects & ON(oi->kind)))
			continue;
		if (p >= DRIVE_THRESHOLD && p < DRIVE_ALARM + _THRESHOLD_MAX)
			kind = (p - DRIVE_THRESHOLD) % _THRESHOLD_MAX;
		if (kind >= 0 && !(o->th_published & (1u << kind)))
			continue; /* not in this vtable */
		place_of(p, &iface, &name);
		if (strcmp(iface, oi->name) == 0)
			props[n++] = name;
	}
	if (n == 0)
		return;
	props[n] = NULL;
	r = sd_bus_emit_properties_changed_strv(d->m->bus, path, oi->name,
						(char **)props);
	if (r < 0)
		log_debug_errno(r, "Drive '%s': cannot emit %s change on %s",
				d->name, oi->name, path);
}

/*
 * The thresholds present changed (the record's, or the drive's WCTEMP/
 * CCTEMP arrived): each threshold level whose set changed takes its
 * interface again, announced as the mapper and bmcweb follow interfaces:
 * InterfacesRemoved for the old one, InterfacesAdded (with every
 * property) for the new. Returns the mask of ifaces[] so announced.
 */
static unsigned reshape_thresholds(struct drive *d)
{
	struct drive_objects *o = d->surface;
	unsigned done = 0, old = o->th_published;
	int r;

	if (old == d->th_present)
		return 0;
	o->th_published = d->th_present;
	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
		const struct object_iface *oi = &ifaces[i];
		const char *path = object_path(d, oi->kind);
		const sd_bus_vtable *vt;

		if (!oi->level ||
		    iface_vtable(oi, old) == iface_vtable(oi, o->th_published))
			continue;
		done |= 1u << i;
		if (o->slots[i]) {
			r = sd_bus_emit_interfaces_removed(d->m->bus, path,
							   oi->name, NULL);
			if (r < 0)
				log_debug_errno(r,
						"Drive '%s': cannot announce "
						"removal of %s",
						d->name, oi->name);
			o->slots[i] = sd_bus_slot_unref(o->slots[i]);
		}
		vt = iface_vtable(oi, o->th_published);
		if (!vt)
			continue;
		r = sd_bus_add_object_vtable(d->m->bus, &o->slots[i], path,
					     oi->name, vt, d);
		if (r < 0) {
			log_error_errno(r, "Drive '%s': cannot add %s at %s",
					d->name, oi->name, path);
			continue;
		}
		r = sd_bus_emit_interfaces_added(d->m->bus, path, oi->name,
						 NULL);
		if (r < 0)
			log_debug_errno(r, "Drive '%s': cannot announce %s",
					d->name, oi->name);
	}
	return done;
}

void bus_drive_changed(struct drive *d, uint64_t mask)
{
	unsigned reshaped;

	if (!d->surface)
		return;
	reshaped = reshape_thresholds(d);
	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++)
		if (!(reshaped & (1u << i)))
			emit_iface(d, &ifaces[i], mask);
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (mask & DRIVE_BIT(DRIVE_ALARM + k))
			threshold_asserted(d, k);
}
