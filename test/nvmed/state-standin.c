// SPDX-License-Identifier: Apache-2.0
/*
 * state-standin: the host and chassis state objects of
 * phosphor-state-manager, as dbus-sensors (and nvmed) read them:
 *
 *   xyz.openbmc_project.State.Host0  /xyz/openbmc_project/state/host0
 *     xyz.openbmc_project.State.Host             CurrentHostState
 *     xyz.openbmc_project.State.OperatingSystem.Status
 *                                                 OperatingSystemState
 *   xyz.openbmc_project.State.Chassis0 /xyz/openbmc_project/state/chassis0
 *     xyz.openbmc_project.State.Chassis          CurrentPowerState
 *
 * All properties writable (Set emits PropertiesChanged), so tests and
 * scripts change the power state with busctl set-property.
 *
 *   state-standin [--host S] [--os S] [--chassis S]
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#define HOST_PREFIX    "xyz.openbmc_project.State.Host.HostState."
#define OS_PREFIX      "xyz.openbmc_project.State.OperatingSystem.Status.OSStatus."
#define CHASSIS_PREFIX "xyz.openbmc_project.State.Chassis.PowerState."

static char *host_state, *os_state, *chassis_state;

static int get_str(sd_bus *bus, const char *path, const char *iface,
		   const char *prop, sd_bus_message *reply, void *userdata,
		   sd_bus_error *error)
{
	return sd_bus_message_append(reply, "s", *(char **)userdata);
}

static int set_str(sd_bus *bus, const char *path, const char *iface,
		   const char *prop, sd_bus_message *value, void *userdata,
		   sd_bus_error *error)
{
	const char *v;
	char *n;
	int r;

	r = sd_bus_message_read(value, "s", &v);
	if (r < 0)
		return r;
	n = strdup(v);
	if (!n)
		return -ENOMEM;
	free(*(char **)userdata);
	*(char **)userdata = n;
	fprintf(stderr, "state-standin: %s = %s\n", prop, v);
	/* announce it ourselves: sd-bus does not for a Set it handled */
	r = sd_bus_emit_properties_changed(bus, path, iface, prop, NULL);
	if (r < 0)
		fprintf(stderr, "state-standin: cannot emit: %s\n",
			strerror(-r));
	return 0;
}

static const sd_bus_vtable host_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("CurrentHostState", "s", get_str, set_str, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable os_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("OperatingSystemState", "s", get_str, set_str,
				 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable chassis_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("CurrentPowerState", "s", get_str, set_str, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

/* "Running" -> the prefixed enum string; a dotted value is kept. */
static char *expand(const char *prefix, const char *v)
{
	char *s;

	if (strchr(v, '.'))
		return strdup(v);
	if (asprintf(&s, "%s%s", prefix, v) < 0)
		return NULL;
	return s;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "os", required_argument, NULL, 'o' },
		{ "chassis", required_argument, NULL, 'c' },
		{ 0 },
	};
	sd_bus *bus = NULL;
	sd_event *event = NULL;
	sigset_t mask;
	int c, r;

	host_state = expand(HOST_PREFIX, "Off");
	os_state = expand(OS_PREFIX, "Inactive");
	chassis_state = expand(CHASSIS_PREFIX, "Off");
	while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
		char **field = c == 'H' ? &host_state :
			       c == 'o' ? &os_state :
			       c == 'c' ? &chassis_state :
					  NULL;
		const char *prefix = c == 'H' ? HOST_PREFIX :
				     c == 'o' ? OS_PREFIX :
						CHASSIS_PREFIX;

		if (!field)
			return EXIT_FAILURE;
		free(*field);
		*field = expand(prefix, optarg);
	}
	if (!host_state || !os_state || !chassis_state)
		return EXIT_FAILURE;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&event);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r >= 0)
		r = sd_bus_open_system(&bus);
	if (r >= 0)
		r = sd_bus_attach_event(bus, event, 0);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, NULL,
					     "/xyz/openbmc_project/state/host0",
					     "xyz.openbmc_project.State.Host",
					     host_vtable, &host_state);
	if (r >= 0)
		r = sd_bus_add_object_vtable(
			bus, NULL, "/xyz/openbmc_project/state/host0",
			"xyz.openbmc_project.State.OperatingSystem.Status",
			os_vtable, &os_state);
	if (r >= 0)
		r = sd_bus_add_object_vtable(
			bus, NULL, "/xyz/openbmc_project/state/chassis0",
			"xyz.openbmc_project.State.Chassis", chassis_vtable,
			&chassis_state);
	if (r >= 0)
		r = sd_bus_request_name(bus, "xyz.openbmc_project.State.Host0",
					0);
	if (r >= 0)
		r = sd_bus_request_name(
			bus, "xyz.openbmc_project.State.Chassis0", 0);
	if (r >= 0)
		r = sd_event_loop(event);
	if (r < 0)
		fprintf(stderr, "state-standin: %s\n", strerror(-r));
	sd_bus_flush_close_unref(bus);
	sd_event_unref(event);
	free(host_state);
	free(os_state);
	free(chassis_state);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
