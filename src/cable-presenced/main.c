/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cable-presenced: GPIO cable presence lines as
 * xyz.openbmc_project.Inventory.Item.Cable objects.
 *
 * Wiring only: options, the event loop, the bus, the configuration
 * source. The state machine is in cable.c, the D-Bus surface in bus.c,
 * the hardware edge in gpio-v*.c.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "bus-util.h"
#include "bus.h"
#include "cable.h"
#include "config.h"
#include "emconfig.h"
#include "gpio.h"
#include "log.h"
#include "macros.h"

DEFINE_CLEANUP_FUNC(struct emc_source, emc_source_free)

static const struct emc_schema *const schemas[] = { &cable_schema, NULL };

static void help(void)
{
	printf("Usage: cable-presenced [OPTIONS]\n"
	       "\n"
	       "Publish GPIO-sensed cable presence on D-Bus as %s objects\n"
	       "(bus name %s), configured by GPIOCableSensing records from\n"
	       "entity-manager or from a JSON file.\n"
	       "\n"
	       "  -c, --config FILE          read records from FILE instead of entity-manager\n"
	       "      --check-config FILE    check FILE's records as the daemon would, print\n"
	       "                             each refusal and exit (1 if any)\n"
	       "  -p, --poll-interval-ms N   default re-read interval (default %d)\n"
	       "  -v, --verbose              debug logging\n"
	       "  -h, --help                 show this help\n"
	       "  -V, --version              show the version\n",
	       IFACE_CABLE, CABLE_BUS_NAME, CABLE_POLL_INTERVAL_MS);
}

static int parse_ms(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-' || v < 10 || v > 3600000)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Wait at most this long for the first read before taking the name. */
#define READY_TIMEOUT_USEC (10ULL * 1000 * 1000)

static void on_source_ready(struct emc_source *src, void *userdata)
{
	bus_name_request_now(userdata, "first records read");
}

/* Every followed line holds a file descriptor (two with libgpiod 1.6):
 * 1,000 cables need more than the usual soft limit of 1,024. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_debug_errno(negative_errno(),
				"Cannot raise the file descriptor limit");
}

/* SIGTERM and SIGINT end the loop (sd_event_add_signal wants them
 * blocked first); the event loop, with the file descriptors it needs. */
static int loop_new(sd_event **ret)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	sigset_t mask;
	int r;

	if (sigemptyset(&mask) < 0 || sigaddset(&mask, SIGTERM) < 0 ||
	    sigaddset(&mask, SIGINT) < 0 ||
	    sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(negative_errno(),
				       "Cannot block signals");
	raise_fd_limit();
	r = sd_event_default(&event);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop");
	r = sd_event_add_signal(event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(event, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot watch SIGTERM/SIGINT");
	*ret = TAKE_PTR(event);
	return 0;
}

/* The system bus in the loop, with the ObjectManager consumers expect
 * at the inventory root. */
static int system_bus_connect(sd_event *event, sd_bus **ret_bus,
			      sd_bus_slot **ret_om)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the system bus");
	/* Losing the bus ends the loop (and the daemon: systemd restarts
	 * it) instead of leaving it running unreachable. */
	r = sd_bus_set_exit_on_disconnect(bus, true);
	if (r < 0)
		return log_error_errno(r, "Cannot set exit-on-disconnect");
	r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Cannot attach the bus");
	r = sd_bus_add_object_manager(bus, ret_om, CABLE_OM_PATH);
	if (r < 0)
		return log_error_errno(r, "Cannot add the ObjectManager");
	*ret_bus = TAKE_PTR(bus);
	return 0;
}

/* GPIOCableSensing records from the JSON file config, or from
 * entity-manager when config is NULL, handed to the cable manager. */
static int records_follow(const char *config, sd_bus *bus, sd_event *event,
			  struct cable_manager *m, struct emc_source **ret)
{
	_cleanup_free_ char *error = NULL;
	int r;

	if (config) {
		r = emc_source_new_json(config, event, schemas,
					cable_manager_on_record, m, ret,
					&error);
		if (r < 0)
			return log_error_errno(r, "Cannot use '%s': %s", config,
					       error ? error : "error");
		return 0;
	}
	r = emc_source_new_dbus(bus, event, schemas, cable_manager_on_record, m,
				ret);
	if (r < 0)
		return log_error_errno(r, "Cannot follow %s", EMC_EM_SERVICE);
	return 0;
}

/* The name is requested when src has read its first records, or after
 * READY_TIMEOUT_USEC (bus-util.h). */
static int name_request_schedule(sd_bus *bus, struct emc_source *src,
				 struct bus_name_request **ret)
{
	int r;

	r = bus_name_request_new(bus, CABLE_BUS_NAME, READY_TIMEOUT_USEC, NULL,
				 NULL, ret);
	if (r < 0)
		return log_error_errno(r, "Cannot schedule the name request");
	emc_source_set_ready_callback(src, on_source_ready, *ret);
	return 0;
}

DEFINE_CLEANUP_FUNC(struct bus_name_request, bus_name_request_free)

static int run(const char *config, uint64_t poll_ms)
{
	_cleanup_(sd_event_unrefp) sd_event *event = NULL;
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *om = NULL;
	_cleanup_(cable_manager_freep) struct cable_manager *m = NULL;
	_cleanup_(emc_source_freep) struct emc_source *src = NULL;
	_cleanup_(bus_name_request_freep) struct bus_name_request *req = NULL;
	int r;

	r = loop_new(&event);
	if (r < 0)
		return r;
	r = system_bus_connect(event, &bus, &om);
	if (r < 0)
		return r;
	r = cable_manager_new(bus, event, poll_ms, &m);
	if (r < 0)
		return log_oom();
	r = records_follow(config, bus, event, m, &src);
	if (r < 0)
		return r;
	r = name_request_schedule(bus, src, &req);
	if (r < 0)
		return r;

	log_info(
		"cable-presenced %s (%s), default poll %llu ms, records from %s",
		PACKAGE_VERSION, gpio_api_description(),
		(unsigned long long)poll_ms, config ? config : EMC_EM_SERVICE);

	/* Exit code: 0 after SIGTERM/SIGINT, -errno from our own exits,
	 * EXIT_FAILURE from sd-bus when the bus connection is lost. */
	r = sd_event_loop(event);
	if (r > 0)
		return log_error_errno(-ECONNRESET,
				       "Disconnected from the bus, exiting");
	if (r < 0)
		return log_error_errno(r, "Exiting on error");
	log_info("Exiting (%zu cables)", cable_manager_count(m));
	return r;
}

static int check_config(const char *path)
{
	_cleanup_free_ char *error = NULL;
	int r = emc_check_json(path, schemas, NULL, NULL, &error);

	if (r < 0) {
		if (error)
			log_error("%s", error);
		else
			log_error_errno(r, "%s: cannot check", path);
		return EXIT_FAILURE;
	}
	if (r == 0)
		printf("%s: every GPIOCableSensing record is valid\n", path);
	else
		printf("%s: %d GPIOCableSensing record%s refused\n", path, r,
		       r == 1 ? "" : "s");
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char *argv[])
{
	enum { OPT_CHECK = 0x100 };
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, OPT_CHECK },
		{ "poll-interval-ms", required_argument, NULL, 'p' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL;
	uint64_t poll_ms = CABLE_POLL_INTERVAL_MS;
	int level = LOG_INFO, c, r;

	while ((c = getopt_long(argc, argv, "c:p:vhV", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case OPT_CHECK:
			return check_config(optarg);
		case 'p':
			if (parse_ms(optarg, &poll_ms) < 0) {
				log_error(
					"Invalid --poll-interval-ms '%s' (expected 10..3600000)",
					optarg);
				return EXIT_FAILURE;
			}
			break;
		case 'v':
			level++;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case 'V':
			printf("cable-presenced %s (%s)\n", PACKAGE_VERSION,
			       gpio_api_description());
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return EXIT_FAILURE;
	}
	log_set_max_level(level);

	r = run(config, poll_ms);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
