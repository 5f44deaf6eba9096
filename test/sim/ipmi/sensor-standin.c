/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sensor-standin: what the IPMI tests need beside cable-presenced.
 *   - One threshold sensor as dbus-sensors publishes one
 *     (xyz.openbmc_project.Sensor.Value with Value, MaxValue, MinValue
 *     and Unit, xyz.openbmc_project.Sensor.Threshold.Critical, an
 *     ObjectManager at /xyz/openbmc_project/sensors):
 *     /xyz/openbmc_project/sensors/temperature/Cable_Temp at 42 degrees C,
 *     which must read right beside the cable SDRs.
 *   - Two cables of another service under another parent,
 *     /xyz/openbmc_project/inventory/system/board/Extra/extra0 (with
 *     Inventory.Item Present true) and .../extra1 (Inventory.Item.Cable
 *     only, so that its presence cannot be read): one SDR "extra[0-1]",
 *     read member by member.
 *
 * Usage: sensor-standin   (on $DBUS_SYSTEM_BUS_ADDRESS, as
 * xyz.openbmc_project.TestSensor)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define ROOT  "/xyz/openbmc_project/sensors"
#define PATH  ROOT "/temperature/Cable_Temp"
#define INV   "/xyz/openbmc_project/inventory"
#define EXTRA INV "/system/board/Extra/extra"

static const double value = 42.0, max_value = 127.0, min_value = -128.0;
static const double crit_high = 90.0, crit_low = 5.0;
static const int no_alarm = 0;

static int get_unit(sd_bus *bus, const char *path, const char *iface,
		    const char *prop, sd_bus_message *reply, void *userdata,
		    sd_bus_error *ret_error)
{
	return sd_bus_message_append(
		reply, "s", "xyz.openbmc_project.Sensor.Value.Unit.DegreesC");
}

static const sd_bus_vtable value_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Value", "d", NULL, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("MaxValue", "d", NULL, sizeof(double),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MinValue", "d", NULL, 2 * sizeof(double),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Unit", "s", get_unit, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable critical_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("CriticalHigh", "d", NULL, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CriticalLow", "d", NULL, sizeof(double),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CriticalAlarmHigh", "b", NULL, 2 * sizeof(double),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("CriticalAlarmLow", "b", NULL, 2 * sizeof(double),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable cable_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Present", "b", NULL, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* extra0 (present) and extra1 (Item.Cable only). */
static int add_cables(sd_bus *bus)
{
	static const int present = 1;
	int r;

	r = sd_bus_add_object_manager(bus, NULL, INV);
	for (int i = 0; r >= 0 && i < 2; i++) {
		char path[128];

		snprintf(path, sizeof(path), EXTRA "%d", i);
		r = sd_bus_add_object_vtable(
			bus, NULL, path,
			"xyz.openbmc_project.Inventory.Item.Cable",
			cable_vtable, NULL);
		if (r >= 0 && i == 0)
			r = sd_bus_add_object_vtable(
				bus, NULL, path,
				"xyz.openbmc_project.Inventory.Item",
				item_vtable, (void *)&present);
	}
	return r;
}

int main(void)
{
	/* The properties of each vtable are read at their offsets here. */
	static struct {
		double value, max, min;
	} v;
	static struct {
		double high, low;
		int alarm;
	} crit;
	sd_event *event = NULL;
	sd_bus *bus = NULL;
	int r;

	v.value = value;
	v.max = max_value;
	v.min = min_value;
	crit.high = crit_high;
	crit.low = crit_low;
	crit.alarm = no_alarm;
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_add_object_manager(bus, NULL, ROOT);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL, PATH,
					     "xyz.openbmc_project.Sensor.Value",
					     value_vtable, &v);
	if (r >= 0)
		r = sd_bus_add_object_vtable(
			bus, NULL, PATH,
			"xyz.openbmc_project.Sensor.Threshold.Critical",
			critical_vtable, &crit);
	if (r >= 0)
		r = add_cables(bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_request_name(bus, "xyz.openbmc_project.TestSensor",
					0);
	if (r >= 0)
		r = sd_bus_emit_object_added(bus, PATH);
	if (r >= 0)
		r = sd_bus_emit_object_added(bus, EXTRA "0");
	if (r >= 0)
		r = sd_bus_emit_object_added(bus, EXTRA "1");
	if (r >= 0)
		r = sd_event_loop(event);
	if (r < 0)
		fprintf(stderr, "sensor-standin: %s\n", strerror(-r));
	sd_bus_unref(bus);
	sd_event_unref(event);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
