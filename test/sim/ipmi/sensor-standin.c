/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sensor-standin: one threshold sensor as dbus-sensors publishes one
 * (xyz.openbmc_project.Sensor.Value with Value, MaxValue, MinValue and
 * Unit, xyz.openbmc_project.Sensor.Threshold.Critical, an ObjectManager
 * at /xyz/openbmc_project/sensors), so that the IPMI tests can show a
 * threshold sensor reading right beside the cable SDRs.
 *
 * Usage: sensor-standin   (on $DBUS_SYSTEM_BUS_ADDRESS; publishes
 * /xyz/openbmc_project/sensors/temperature/Cable_Temp at 42 degrees C
 * as xyz.openbmc_project.TestSensor)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define ROOT "/xyz/openbmc_project/sensors"
#define PATH ROOT "/temperature/Cable_Temp"

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
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_request_name(bus, "xyz.openbmc_project.TestSensor",
					0);
	if (r >= 0)
		r = sd_bus_emit_object_added(bus, PATH);
	if (r >= 0)
		r = sd_event_loop(event);
	if (r < 0)
		fprintf(stderr, "sensor-standin: %s\n", strerror(-r));
	sd_bus_unref(bus);
	sd_event_unref(event);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
