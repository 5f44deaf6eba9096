// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed: NVMe drives over NVMe-MI/MCTP or the NVMe-MI basic management
 * command over SMBus -> temperature sensors and drive inventory on D-Bus.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "avail.h"
#include "bus-util.h"
#include "config.h"
#include "emconfig.h"
#include "evlog.h"
#include "iowork.h"
#include "log.h"
#include "mi.h"
#include "nvmed.h"

#define DEFAULT_TIMEOUT_MS  300
#define DEFAULT_MPRT_MAX_MS 1000
/* dbus-sensors waits this long after the host reports Running */
#define DEFAULT_POWER_ON_DELAY_MS 10000

static void help(void)
{
	printf("Usage: nvmed [OPTION]...\n"
	       "Publish NVMe drives reached over NVMe-MI/MCTP or the SMBus "
	       "basic management\ncommand on D-Bus as %s.\n"
	       "\n"
	       "  -c, --config FILE         read NVME1000/NVMeMI records from "
	       "FILE\n"
	       "                            instead of entity-manager\n"
	       "      --check-config FILE   check FILE's records as the "
	       "daemon would, print\n"
	       "                            each refusal and exit (1 if "
	       "any)\n"
	       "      --phosphor-nvme-config FILE\n"
	       "                            also serve the drives of "
	       "phosphor-nvme's\n"
	       "                            nvme_config.json\n"
	       "      --power-on-delay-ms N time from host Running to "
	       "polling (%d)\n"
	       "  -i, --poll-interval-ms N  default health poll interval "
	       "(%d)\n"
	       "  -t, --timeout-ms N        NVMe-MI transaction timeout "
	       "(%d)\n"
	       "      --unavailable-after N consecutive failed polls "
	       "before a drive's reading\n"
	       "                            is unavailable (%d; per record: "
	       "UnavailableAfterFailures)\n"
	       "      --mprt-max-ms N       longest More Processing Required "
	       "wait (%d): a\n"
	       "                            transaction not answered within "
	       "2 x timeout + N is\n"
	       "                            failed and its I/O worker "
	       "replaced (libnvme %s\n"
	       "                            cap the wait itself)\n"
	       "      --sysfs-root DIR      where sysfs is mounted (/sys): "
	       "MCTP interfaces\n"
	       "                            and muxes of I2C buses\n"
	       "  -v, --verbose             more logging (repeat for "
	       "libnvme's)\n"
	       "  -h, --help                this text\n"
	       "      --version             print the version\n",
	       NVMED_BUS_NAME, DEFAULT_POWER_ON_DELAY_MS, NVME_POLL_INTERVAL_MS,
	       DEFAULT_TIMEOUT_MS, AVAIL_DEFAULT_WINDOW, DEFAULT_MPRT_MAX_MS,
	       mi_mprt_max_supported() ? "also can" : "cannot");
}

static int parse_uint(const char *arg, const char *what, unsigned min,
		      unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || !*arg || *end || v < min || v > max) {
		fprintf(stderr, "nvmed: invalid %s '%s' (%u..%u)\n", what, arg,
			min, max);
		return -EINVAL;
	}
	*ret = (unsigned)v;
	return 0;
}

static void on_name_acquired(sd_bus *bus, const char *name, void *userdata)
{
	struct manager *m = userdata;

	log_info("Serving %s with %u drive(s)", name, m->n_drives);
}

/* Wait at most this long for the first records before taking the name. */
#define READY_TIMEOUT_USEC (10ULL * 1000 * 1000)

/* The well-known name is requested last, once the first
 * records are drives on the bus, or after READY_TIMEOUT_USEC when
 * entity-manager does not answer. */
static void request_name(struct manager *m, const char *why)
{
	int r;

	if (m->name_requested)
		return;
	m->name_requested = true;
	m->request_name = sd_event_source_disable_unref(m->request_name);
	log_debug("Requesting %s: %s", NVMED_BUS_NAME, why);
	/* Checks the reply: exits when another instance owns the name. */
	r = bus_request_name_async(m->bus, NVMED_BUS_NAME, 0, on_name_acquired,
				   m);
	if (r < 0) {
		log_error_errno(r, "Cannot request %s", NVMED_BUS_NAME);
		(void)sd_event_exit(m->event, r);
	}
}

static void on_config_ready(struct emc_source *src, void *userdata)
{
	request_name(userdata, "first records read");
}

static int on_ready_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	log_warning("No configuration records after %llu s; serving %s "
		    "without waiting",
		    READY_TIMEOUT_USEC / 1000000, NVMED_BUS_NAME);
	request_name(userdata, "timeout");
	return 0;
}

static void on_power(const struct power_status *s, void *userdata)
{
	struct manager *m = userdata;

	for (struct drive *d = m->drives; d; d = d->next)
		drive_power_update(d);
}

static void manager_done(struct manager *m)
{
	config_stop(m);
	while (m->drives)
		drive_free(m->drives);
	m->iowork = iowork_set_free(m->iowork);
	m->mctpd = mctpd_free(m->mctpd);
	m->power = power_free(m->power);
	m->evlog = evlog_free(m->evlog);
	m->om_sensors = sd_bus_slot_unref(m->om_sensors);
	m->om_inventory = sd_bus_slot_unref(m->om_inventory);
	m->request_name = sd_event_source_disable_unref(m->request_name);
	m->mi = mi_root_free(m->mi);
	if (m->bus) {
		(void)sd_bus_flush(m->bus);
		m->bus = sd_bus_flush_close_unref(m->bus);
	}
	m->event = sd_event_unref(m->event);
}

int main(int argc, char **argv)
{
	enum {
		OPT_VERSION = 0x100,
		OPT_MPRT,
		OPT_PNVME,
		OPT_POWER_DELAY,
		OPT_SYSFS,
		OPT_UNAVAILABLE_AFTER,
		OPT_CHECK,
	};
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, OPT_CHECK },
		{ "poll-interval-ms", required_argument, NULL, 'i' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "mprt-max-ms", required_argument, NULL, OPT_MPRT },
		{ "phosphor-nvme-config", required_argument, NULL, OPT_PNVME },
		{ "power-on-delay-ms", required_argument, NULL,
		  OPT_POWER_DELAY },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS },
		{ "unavailable-after", required_argument, NULL,
		  OPT_UNAVAILABLE_AFTER },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ 0 },
	};
	struct manager m = { .poll_ms = NVME_POLL_INTERVAL_MS,
			     .sysfs_root = "/sys" };
	const char *config_path = NULL, *pnvme_path = NULL;
	unsigned power_delay_ms = DEFAULT_POWER_ON_DELAY_MS;
	unsigned timeout_ms = DEFAULT_TIMEOUT_MS, mprt_ms = DEFAULT_MPRT_MAX_MS;
	unsigned poll_ms = NVME_POLL_INTERVAL_MS, window = AVAIL_DEFAULT_WINDOW;
	int verbose = 0, c, r;
	bool mprt_given = false;
	sigset_t mask;

	while ((c = getopt_long(argc, argv, "c:i:t:vh", options, NULL)) >= 0) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 'i':
			if (parse_uint(optarg, "poll interval", 100, 3600000,
				       &poll_ms) < 0)
				return EXIT_FAILURE;
			break;
		case 't':
			if (parse_uint(optarg, "timeout", 10, 60000,
				       &timeout_ms) < 0)
				return EXIT_FAILURE;
			break;
		case OPT_PNVME:
			pnvme_path = optarg;
			break;
		case OPT_CHECK:
			r = config_check_file(optarg);
			if (r == 0)
				printf("%s: every nvmed record is valid\n",
				       optarg);
			else if (r > 0)
				printf("%s: %d nvmed record%s refused\n",
				       optarg, r, r == 1 ? "" : "s");
			return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
		case OPT_SYSFS:
			m.sysfs_root = optarg;
			break;
		case OPT_UNAVAILABLE_AFTER:
			if (parse_uint(optarg, "failure window",
				       AVAIL_MIN_WINDOW, AVAIL_MAX_WINDOW,
				       &window) < 0)
				return EXIT_FAILURE;
			break;
		case OPT_POWER_DELAY:
			if (parse_uint(optarg, "power-on delay", 0, 600000,
				       &power_delay_ms) < 0)
				return EXIT_FAILURE;
			break;
		case OPT_MPRT:
			if (parse_uint(optarg, "MPR wait", 0, 60000, &mprt_ms) <
			    0)
				return EXIT_FAILURE;
			mprt_given = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		case OPT_VERSION:
			printf("nvmed %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "nvmed: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_FAILURE;
	}
	if (verbose)
		log_set_max_level(LOG_DEBUG);
	if (mprt_given && !mi_mprt_max_supported())
		log_info("--mprt-max-ms: this libnvme cannot cap a More "
			 "Processing Required wait (no "
			 "nvme_mi_ep_set_mprt_max); a transaction not answered "
			 "within %u ms is failed and its I/O worker replaced",
			 2 * timeout_ms + mprt_ms);
	m.poll_ms = poll_ms;
	m.window = window;
	m.timeout_ms = timeout_ms;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD); /* the I/O workers, for sd_event */
	sigprocmask(SIG_BLOCK, &mask, NULL);

	r = sd_event_default(&m.event);
	if (r < 0) {
		log_error_errno(r, "Cannot create event loop");
		goto out;
	}
	r = sd_event_add_signal(m.event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m.event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		log_error_errno(r, "Cannot handle signals");
		goto out;
	}
	r = sd_bus_open_system(&m.bus);
	if (r < 0) {
		log_error_errno(r, "Cannot connect to the system bus");
		goto out;
	}
	/* Losing the bus ends the loop instead of running on unreachable. */
	r = sd_bus_set_exit_on_disconnect(m.bus, true);
	if (r < 0) {
		log_error_errno(r, "Cannot set exit-on-disconnect");
		goto out;
	}
	r = sd_bus_attach_event(m.bus, m.event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0) {
		log_error_errno(r, "Cannot attach the bus to the loop");
		goto out;
	}
	r = mi_root_new(timeout_ms, mprt_ms, verbose > 1 ? LOG_DEBUG : LOG_CRIT,
			&m.mi);
	if (r < 0) {
		log_error_errno(r, "Cannot create libnvme-mi root");
		goto out;
	}
	r = bus_setup(&m);
	if (r < 0)
		goto out;
	r = evlog_new(m.bus, &m.evlog);
	if (r < 0)
		goto out;
	r = iowork_set_new(m.event, m.mi, &m.iowork);
	if (r < 0) {
		log_oom();
		goto out;
	}
	r = power_new(m.bus, m.event, power_delay_ms, on_power, &m, &m.power);
	if (r < 0) {
		log_error_errno(r, "Cannot follow the host power state");
		goto out;
	}
	r = mctpd_new(&m, &m.mctpd);
	if (r < 0) {
		log_error_errno(r, "Cannot follow mctpd");
		goto out;
	}
	r = config_start(&m, config_path);
	if (r < 0)
		goto out;
	if (pnvme_path) {
		r = config_load_pnvme(&m, pnvme_path);
		if (r < 0)
			goto out;
	}
	emc_source_set_ready_callback(m.config, on_config_ready, &m);
	r = sd_event_add_time_relative(m.event, &m.request_name,
				       CLOCK_MONOTONIC, READY_TIMEOUT_USEC, 0,
				       on_ready_timeout, &m);
	if (r < 0) {
		log_error_errno(r, "Cannot schedule the name request");
		goto out;
	}

	/* 0 after SIGTERM/SIGINT; sd-bus ends the loop with EXIT_FAILURE
	 * when the bus connection is lost (exit-on-disconnect), and a
	 * refused name ends it with -errno: both are failures systemd
	 * should see. */
	r = sd_event_loop(m.event);
	if (r < 0)
		log_error_errno(r, "Event loop failed");
	else if (r > 0)
		log_error("Lost the bus connection; exiting");
	else
		log_info("Exiting");
out:
	manager_done(&m);
	return r != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
