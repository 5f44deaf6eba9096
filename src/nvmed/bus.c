// SPDX-License-Identifier: Apache-2.0
/*
 * D-Bus surface of nvmed: per drive a temperature sensor, a drive
 * inventory object and its controller, one vtable per interface; and the
 * one Storage object that bmcweb's Storage resource is made of.
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
#include <string.h>

#include "bus-util.h"
#include "fmt.h"
#include "log.h"
#include "nvmed.h"
#include "pnvme.h"
#include "utf8.h"

#define D(field) offsetof(struct drive, field)

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
		if (strcmp(prop, threshold_alarm_property(k)) == 0)
			return sd_bus_message_append(reply, "b",
						     d->th.t[k].alarm);
	return -ENOENT;
}

static int threshold_kind_of(const char *prop, enum threshold_kind *ret)
{
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (strcmp(prop, threshold_value_property(k)) == 0) {
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
	/* all the digits it takes: 1000.0001 is not 1000 */
	if (!isnan(v) && (!isfinite(v) || v < NVMED_THRESHOLD_VALUE_MIN ||
			  v > NVMED_THRESHOLD_VALUE_MAX))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s must be NaN or between %d and "
					 "%d, not %s",
					 prop, NVMED_THRESHOLD_VALUE_MIN,
					 NVMED_THRESHOLD_VALUE_MAX,
					 fmt_double(buf, v));
	/* entity-manager would store NaN as JSON null, and the record would
	 * fail validation at the next boot */
	if (isnan(v) && d->record && d->th_index[k] >= 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s comes from the configuration "
					 "record '%s' (Thresholds%d), which "
					 "cannot hold NaN",
					 prop, d->config_path, d->th_index[k]);
	log_info("Drive '%s': %s set to %s over D-Bus", d->name, prop,
		 fmt_double(buf, v));
	d->th.t[k].value = v;
	if (d->th.t[k].hysteresis == 0 && !d->config_thresholds)
		d->th.t[k].hysteresis = THRESHOLD_DEFAULT_HYSTERESIS;
	d->th_user[k] = true;
	/* sd-bus does not announce a Set it dispatched to us */
	bus_emit(d, true, threshold_interface(k), threshold_value_property(k),
		 NULL);
	drive_thresholds_changed(d);
	config_write_threshold(d, k);
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
	struct manager *m = userdata;
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
	const char *v =
		strcmp(prop, "Protocol") == 0 ?
			"xyz.openbmc_project.Inventory.Item.Drive.DriveProtocol.NVMe" :
			"xyz.openbmc_project.Inventory.Item.Drive.DriveType.SSD";

	return sd_bus_message_append(reply, "s", v);
}

static int get_unit(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *userdata,
		    sd_bus_error *error)
{
	return sd_bus_message_append(
		reply, "s", "xyz.openbmc_project.Sensor.Value.Unit.DegreesC");
}

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

static const sd_bus_vtable warning_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("WarningHigh", "d", get_threshold,
				 set_threshold, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("WarningLow", "d", get_threshold,
				 set_threshold, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("WarningAlarmHigh", "b", get_alarm, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("WarningAlarmLow", "b", get_alarm, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_SIGNAL_WITH_NAMES(
		"ThresholdAsserted", "sssbd",
		SD_BUS_PARAM(SensorName) SD_BUS_PARAM(Interface) SD_BUS_PARAM(
			Event) SD_BUS_PARAM(Asserted) SD_BUS_PARAM(Value),
		0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable critical_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("CriticalHigh", "d", get_threshold,
				 set_threshold, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_WRITABLE_PROPERTY("CriticalLow", "d", get_threshold,
				 set_threshold, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CriticalAlarmHigh", "b", get_alarm, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CriticalAlarmLow", "b", get_alarm, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_SIGNAL_WITH_NAMES(
		"ThresholdAsserted", "sssbd",
		SD_BUS_PARAM(SensorName) SD_BUS_PARAM(Interface) SD_BUS_PARAM(
			Event) SD_BUS_PARAM(Asserted) SD_BUS_PARAM(Value),
		0),
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

enum object_kind { OBJ_SENSOR, OBJ_DRIVE, OBJ_CONTROLLER };

static const struct object_iface {
	enum object_kind kind;
	const char *name;
	const sd_bus_vtable *vtable;
} ifaces[] = {
	{ OBJ_SENSOR, "xyz.openbmc_project.Sensor.Value", value_vtable },
	{ OBJ_SENSOR, "xyz.openbmc_project.Sensor.Threshold.Warning",
	  warning_vtable },
	{ OBJ_SENSOR, "xyz.openbmc_project.Sensor.Threshold.Critical",
	  critical_vtable },
	{ OBJ_SENSOR, "xyz.openbmc_project.State.Decorator.Availability",
	  availability_vtable },
	{ OBJ_SENSOR, "xyz.openbmc_project.State.Decorator.OperationalStatus",
	  sensor_opstatus_vtable },
	{ OBJ_SENSOR, "xyz.openbmc_project.Association.Definitions",
	  sensor_assoc_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Inventory.Item", item_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Inventory.Item.Drive", drive_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Inventory.Decorator.Asset",
	  asset_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Inventory.Decorator.Revision",
	  revision_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.State.Decorator.OperationalStatus",
	  drive_opstatus_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Nvme.Status", nvme_status_vtable },
	{ OBJ_DRIVE, "xyz.openbmc_project.Association.Definitions",
	  drive_assoc_vtable },
	{ OBJ_CONTROLLER, "xyz.openbmc_project.Inventory.Item", item_vtable },
	{ OBJ_CONTROLLER,
	  "xyz.openbmc_project.Inventory.Item.StorageController",
	  empty_vtable },
	{ OBJ_CONTROLLER, "xyz.openbmc_project.Inventory.Decorator.Asset",
	  asset_vtable },
	{ OBJ_CONTROLLER, "xyz.openbmc_project.Inventory.Decorator.Revision",
	  revision_vtable },
	{ OBJ_CONTROLLER, "xyz.openbmc_project.Association.Definitions",
	  controller_assoc_vtable },
};

static const struct {
	const char *name;
	const sd_bus_vtable *vtable;
} storage_ifaces[] = {
	{ "xyz.openbmc_project.Inventory.Item", storage_item_vtable },
	{ "xyz.openbmc_project.Inventory.Item.Storage", empty_vtable },
	{ "xyz.openbmc_project.Association.Definitions", storage_assoc_vtable },
};

_Static_assert(ARRAY_SIZE(storage_ifaces) <=
		       ARRAY_SIZE(((struct manager *)0)->storage_slots),
	       "too many storage interfaces");

static const char *object_path(const struct drive *d, enum object_kind k)
{
	return k == OBJ_SENSOR ? d->sensor_path :
	       k == OBJ_DRIVE  ? d->drive_path :
				 d->controller_path;
}

_Static_assert(ARRAY_SIZE(ifaces) <= BUS_SLOTS, "too many interfaces");

int bus_setup(struct manager *m)
{
	int r;

	r = sd_bus_add_object_manager(m->bus, &m->om_sensors,
				      NVMED_SENSORS_ROOT);
	if (r < 0)
		return log_error_errno(r, "Cannot add object manager at %s",
				       NVMED_SENSORS_ROOT);
	r = sd_bus_add_object_manager(m->bus, &m->om_inventory,
				      NVMED_INVENTORY_ROOT);
	if (r < 0)
		return log_error_errno(r, "Cannot add object manager at %s",
				       NVMED_INVENTORY_ROOT);
	return 0;
}

static void drop_slots(struct drive *d)
{
	for (unsigned i = 0; i < d->n_slots; i++)
		d->slots[i] = sd_bus_slot_unref(d->slots[i]);
	d->n_slots = 0;
}

int bus_drive_add(struct drive *d)
{
	sd_bus *bus = d->m->bus;
	int r;

	assert(!d->on_bus);
	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
		const char *path = object_path(d, ifaces[i].kind);

		r = sd_bus_add_object_vtable(bus, &d->slots[d->n_slots], path,
					     ifaces[i].name, ifaces[i].vtable,
					     d);
		if (r < 0) {
			drop_slots(d);
			return log_error_errno(r,
					       "Drive '%s': cannot add %s "
					       "at %s",
					       d->name, ifaces[i].name, path);
		}
		d->n_slots++;
	}
	d->on_bus = true;

	r = sd_bus_emit_object_added(bus, d->sensor_path);
	if (r < 0)
		log_warning_errno(r, "Drive '%s': cannot announce %s", d->name,
				  d->sensor_path);
	r = sd_bus_emit_object_added(bus, d->drive_path);
	if (r < 0)
		log_warning_errno(r, "Drive '%s': cannot announce %s", d->name,
				  d->drive_path);
	r = sd_bus_emit_object_added(bus, d->controller_path);
	if (r < 0)
		log_warning_errno(r, "Drive '%s': cannot announce %s", d->name,
				  d->controller_path);
	return 0;
}

static void storage_drop(struct manager *m)
{
	for (size_t i = 0; i < ARRAY_SIZE(m->storage_slots); i++)
		m->storage_slots[i] = sd_bus_slot_unref(m->storage_slots[i]);
	m->storage_on_bus = false;
}

void bus_storage_update(struct manager *m)
{
	int r;

	if (m->storage_on_bus && m->n_drives == 0) {
		r = sd_bus_emit_object_removed(m->bus, NVMED_STORAGE_PATH);
		if (r < 0)
			log_debug_errno(r, "Cannot announce removal of %s",
					NVMED_STORAGE_PATH);
		storage_drop(m);
		return;
	}
	if (m->storage_on_bus) {
		r = sd_bus_emit_properties_changed(
			m->bus, NVMED_STORAGE_PATH,
			"xyz.openbmc_project.Association.Definitions",
			"Associations", NULL);
		if (r < 0)
			log_debug_errno(r, "Cannot emit %s change",
					NVMED_STORAGE_PATH);
		return;
	}
	if (m->n_drives == 0)
		return;
	for (size_t i = 0; i < ARRAY_SIZE(storage_ifaces); i++) {
		r = sd_bus_add_object_vtable(m->bus, &m->storage_slots[i],
					     NVMED_STORAGE_PATH,
					     storage_ifaces[i].name,
					     storage_ifaces[i].vtable, m);
		if (r < 0) {
			log_error_errno(r, "Cannot add %s at %s",
					storage_ifaces[i].name,
					NVMED_STORAGE_PATH);
			storage_drop(m);
			return;
		}
	}
	m->storage_on_bus = true;
	r = sd_bus_emit_object_added(m->bus, NVMED_STORAGE_PATH);
	if (r < 0)
		log_warning_errno(r, "Cannot announce %s", NVMED_STORAGE_PATH);
}

void bus_drive_remove(struct drive *d)
{
	int r;

	if (!d->on_bus)
		return;
	r = sd_bus_emit_object_removed(d->m->bus, d->sensor_path);
	if (r < 0)
		log_debug_errno(r, "Cannot announce removal of %s",
				d->sensor_path);
	r = sd_bus_emit_object_removed(d->m->bus, d->drive_path);
	if (r < 0)
		log_debug_errno(r, "Cannot announce removal of %s",
				d->drive_path);
	r = sd_bus_emit_object_removed(d->m->bus, d->controller_path);
	if (r < 0)
		log_debug_errno(r, "Cannot announce removal of %s",
				d->controller_path);
	drop_slots(d);
	d->on_bus = false;
}

void bus_emit(struct drive *d, bool sensor, const char *iface, ...)
{
	const char *props[8];
	size_t n = 0;
	va_list ap;
	int r;

	if (!d->on_bus)
		return;
	va_start(ap, iface);
	for (const char *p; (p = va_arg(ap, const char *)) && n < 7;)
		props[n++] = p;
	va_end(ap);
	props[n] = NULL;

	r = sd_bus_emit_properties_changed_strv(
		d->m->bus, sensor ? d->sensor_path : d->drive_path, iface,
		(char **)props);
	if (r < 0)
		log_debug_errno(r, "Drive '%s': cannot emit %s change", d->name,
				iface);
	/* the controller shares the drive's Present, Asset and Revision */
	if (sensor ||
	    (strcmp(iface, "xyz.openbmc_project.Inventory.Item") &&
	     strcmp(iface, "xyz.openbmc_project.Inventory.Decorator.Asset") &&
	     strcmp(iface, "xyz.openbmc_project.Inventory.Decorator."
			   "Revision")))
		return;
	r = sd_bus_emit_properties_changed_strv(d->m->bus, d->controller_path,
						iface, (char **)props);
	if (r < 0)
		log_debug_errno(r, "Drive '%s': cannot emit %s change", d->name,
				iface);
}

/*
 * dbus-sensors' ThresholdAsserted (src/Thresholds.cpp): emitted from the
 * sensor object on the threshold interface, with (sensor name, interface,
 * alarm property, asserted, value); phosphor-sel-logger logs it.
 */
void bus_threshold_asserted(struct drive *d, enum threshold_kind k,
			    bool asserted, double value)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	const char *iface = threshold_interface(k);
	int r;

	if (!d->on_bus)
		return;
	r = sd_bus_message_new_signal(d->m->bus, &m, d->sensor_path, iface,
				      "ThresholdAsserted");
	if (r >= 0)
		r = sd_bus_message_append(
			m, "sssbd",
			d->sensor_path + strlen(NVMED_SENSOR_PREFIX), iface,
			threshold_alarm_property(k), asserted, value);
	if (r >= 0)
		r = sd_bus_send(d->m->bus, m, NULL);
	if (r < 0)
		log_warning_errno(r,
				  "Drive '%s': cannot emit ThresholdAsserted",
				  d->name);
}
