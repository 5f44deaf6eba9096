// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed: NVMe drives over NVMe-MI/MCTP or the NVMe-MI basic management
 * command over SMBus -> temperature sensors and drive inventory on D-Bus.
 *
 * Wiring only: options, the event loop, the bus, the services, and the
 * drive hooks (hooks.c) that connect the drive state machine (drive.c) to
 * the D-Bus surface (drive-bus.c), mctpd's client (mctpd.c) and the records
 * (records.c).
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
#include "drive-bus.h"
#include "config.h"
#include "drive.h"
#include "drives.h"
#include "emconfig.h"
#include "evlog.h"
#include "hooks.h"
#include "iowork-exec.h"
#include "iowork.h"
#include "log.h"
#include "manager.h"
#include "mgmt.h"
#include "mctpd.h"
#include "mi.h"
#include "power.h"
#include "records.h"

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
	       "      --management-group G  the group that may update, "
	       "sanitize and read\n"
	       "                            log pages besides root (%s)\n"
	       "      --worker-dir DIR      where the I/O workers "
	       "%s and\n"
	       "                            %s are (default: "
	       "$%s,\n"
	       "                            else nvmed's own directory)\n"
	       "  -v, --verbose             debug logging (twice: "
	       "libnvme's too)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n",
	       NVMED_BUS_NAME, DEFAULT_POWER_ON_DELAY_MS, NVME_POLL_INTERVAL_MS,
	       DEFAULT_TIMEOUT_MS, AVAIL_DEFAULT_WINDOW, DEFAULT_MPRT_MAX_MS,
	       mi_mprt_max_supported() ? "also can" : "cannot",
	       NVMED_MANAGEMENT_GROUP, WORKER_PROG_I2C, WORKER_PROG_MCTP,
	       IOWORK_DIR_ENV);
}

/* An unsigned option value in min..max, else -EINVAL (logged naming it). */
static int parse_uint(const char *arg, const char *option, unsigned min,
		      unsigned max, unsigned *ret)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || !*arg || *end || arg[0] == '-' || v < min || v > max)
		return log_error_errno(-EINVAL,
				       "Invalid --%s '%s' (expected %u..%u)",
				       option, arg, min, max);
	*ret = (unsigned)v;
	return 0;
}

struct options {
	const char *config_path, *pnvme_path, *sysfs_root, *mgmt_group;
	const char *worker_dir;
	unsigned power_delay_ms, timeout_ms, mprt_ms, poll_ms, window;
	int verbose;
	bool mprt_given;
};

static void on_name_acquired(sd_bus *bus, const char *name, void *userdata)
{
	struct manager *m = userdata;

	log_info("Serving %s with %u drive(s)", name, m->n_drives);
}

/* Wait at most this long for the first records before taking the name. */
#define READY_TIMEOUT_USEC (10ULL * 1000 * 1000)

static void on_config_ready(struct emc_source *src, void *userdata)
{
	bus_name_request_now(userdata, "first records read");
}

static void on_power(const struct power_status *s, void *userdata)
{
	struct manager *m = userdata;

	for (struct drive *d = m->drives; d; d = d->next)
		drive_power_update(d);
}

/* ---- running ------------------------------------------------------------ */

static void manager_done(struct manager *m)
{
	records_stop(m);
	drives_free_all(m);
	m->iowork = iowork_set_free(m->iowork);
	m->mctpd = mctpd_free(m->mctpd);
	m->mgmt = mgmt_free(m->mgmt);
	m->power = power_free(m->power);
	m->evlog = evlog_free(m->evlog);
	m->surface = bus_surface_free(m->surface);
	m->mi = mi_root_free(m->mi);
	if (m->bus) {
		(void)sd_bus_flush(m->bus);
		m->bus = sd_bus_flush_close_unref(m->bus);
	}
	m->event = sd_event_unref(m->event);
}

DEFINE_CLEANUP_FUNC(struct manager, manager_done)
DEFINE_CLEANUP_FUNC(struct bus_name_request, bus_name_request_free)

/* The loop, its signals and the system bus. */
static int open_loop_and_bus(struct manager *m)
{
	sigset_t mask;
	int r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGCHLD); /* the I/O workers, for sd_event */
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return log_error_errno(negative_errno(),
				       "Cannot block signals");
	r = sd_event_default(&m->event);
	if (r < 0)
		return log_error_errno(r, "Cannot create the event loop");
	r = sd_event_add_signal(m->event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(m->event, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "Cannot watch SIGTERM/SIGINT");
	r = sd_bus_open_system(&m->bus);
	if (r < 0)
		return log_error_errno(r, "Cannot connect to the system bus");
	/* Losing the bus ends the loop (and the daemon: systemd restarts
	 * it) instead of leaving it running unreachable. */
	r = sd_bus_set_exit_on_disconnect(m->bus, true);
	if (r < 0)
		return log_error_errno(r, "Cannot set exit-on-disconnect");
	r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "Cannot attach the bus");
	return 0;
}

/* What the drives need before the first record: libnvme-mi, the D-Bus
 * surface, phosphor-logging, the I/O workers, the power state, mctpd. */
static int open_services(struct manager *m, const struct options *o)
{
	int r;

	r = mi_root_new(o->timeout_ms, o->mprt_ms,
			o->verbose > 1 ? LOG_DEBUG : LOG_CRIT, &m->mi);
	if (r < 0)
		return log_error_errno(r, "Cannot create libnvme-mi root");
	r = bus_surface_new(m, &m->surface);
	if (r < 0)
		return r;
	r = mgmt_new(m, o->mgmt_group, &m->mgmt);
	if (r < 0)
		return r;
	r = evlog_new(m->bus, &m->evlog);
	if (r < 0)
		return r;
	r = iowork_set_new(m->event, m->mi, &m->iowork);
	if (r < 0)
		return r;
	r = power_new(m->bus, m->event, o->power_delay_ms, on_power, m,
		      &m->power);
	if (r < 0)
		return log_error_errno(r, "Cannot follow the host power state");
	r = mctpd_new(m, &m->mctpd);
	if (r < 0)
		return log_error_errno(r, "Cannot follow mctpd");
	return 0;
}

static int run(const struct options *o)
{
	struct manager manager = {
		.poll_ms = o->poll_ms,
		.window = o->window,
		.timeout_ms = o->timeout_ms,
		.sysfs_root = o->sysfs_root,
		.hooks = nvmed_drive_hooks,
		.sources = nvmed_source_hooks,
	};
	_cleanup_(manager_donep) struct manager *m = &manager;
	_cleanup_(bus_name_request_freep) struct bus_name_request *name = NULL;
	int r;

	r = open_loop_and_bus(m);
	if (r >= 0)
		r = open_services(m, o);
	if (r >= 0)
		r = bus_name_request_new(m->bus, NVMED_BUS_NAME,
					 READY_TIMEOUT_USEC, on_name_acquired,
					 m, &name);
	if (r >= 0)
		r = records_start(m, o->config_path);
	if (r >= 0 && o->pnvme_path)
		r = records_load_pnvme(m, o->pnvme_path);
	if (r < 0)
		return r;
	emc_source_set_ready_callback(m->config, on_config_ready, name);

	/* 0 after SIGTERM/SIGINT; sd-bus ends the loop with EXIT_FAILURE
	 * when the bus connection is lost (exit-on-disconnect), and a
	 * refused name ends it with -errno: both are failures systemd
	 * should see. */
	r = sd_event_loop(m->event);
	if (r > 0)
		return log_error_errno(-ECONNRESET,
				       "Disconnected from the bus, exiting");
	if (r < 0)
		return log_error_errno(r, "Exiting on error");
	log_info("Exiting (%u drives)", m->n_drives);
	return 0;
}

static int check_config(const char *path)
{
	int r = records_check_file(path);

	if (r == 0)
		printf("%s: every nvmed record is valid\n", path);
	else if (r > 0)
		printf("%s: %d nvmed record%s refused\n", path, r,
		       r == 1 ? "" : "s");
	return r == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

enum {
	OPT_MPRT = 0x100,
	OPT_PNVME,
	OPT_POWER_DELAY,
	OPT_SYSFS,
	OPT_UNAVAILABLE_AFTER,
	OPT_CHECK,
	OPT_MGMT_GROUP,
	OPT_WORKER_DIR,
};

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", required_argument, NULL, OPT_CHECK },
	{ "poll-interval-ms", required_argument, NULL, 'i' },
	{ "timeout-ms", required_argument, NULL, 't' },
	{ "management-group", required_argument, NULL, OPT_MGMT_GROUP },
	{ "mprt-max-ms", required_argument, NULL, OPT_MPRT },
	{ "phosphor-nvme-config", required_argument, NULL, OPT_PNVME },
	{ "power-on-delay-ms", required_argument, NULL, OPT_POWER_DELAY },
	{ "sysfs-root", required_argument, NULL, OPT_SYSFS },
	{ "unavailable-after", required_argument, NULL, OPT_UNAVAILABLE_AFTER },
	{ "worker-dir", required_argument, NULL, OPT_WORKER_DIR },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

/* One option; -EINVAL (logged) for a bad value. */
static int parse_option(int c, const char *arg, struct options *o)
{
	switch (c) {
	case 'c':
		o->config_path = arg;
		return 0;
	case 'i':
		return parse_uint(arg, "poll-interval-ms", 100, 3600000,
				  &o->poll_ms);
	case 't':
		return parse_uint(arg, "timeout-ms", 10, 60000, &o->timeout_ms);
	case OPT_PNVME:
		o->pnvme_path = arg;
		return 0;
	case OPT_SYSFS:
		o->sysfs_root = arg;
		return 0;
	case OPT_MGMT_GROUP:
		o->mgmt_group = arg;
		return 0;
	case OPT_WORKER_DIR:
		o->worker_dir = arg;
		return 0;
	case OPT_UNAVAILABLE_AFTER:
		return parse_uint(arg, "unavailable-after", AVAIL_MIN_WINDOW,
				  AVAIL_MAX_WINDOW, &o->window);
	case OPT_POWER_DELAY:
		return parse_uint(arg, "power-on-delay-ms", 0, 600000,
				  &o->power_delay_ms);
	case OPT_MPRT:
		o->mprt_given = true;
		return parse_uint(arg, "mprt-max-ms", 0, 60000, &o->mprt_ms);
	case 'v':
		o->verbose++;
		return 0;
	default:
		return -EINVAL; /* getopt_long said why */
	}
}

int main(int argc, char *argv[])
{
	struct options o = {
		.sysfs_root = "/sys",
		.power_delay_ms = DEFAULT_POWER_ON_DELAY_MS,
		.timeout_ms = DEFAULT_TIMEOUT_MS,
		.mgmt_group = NVMED_MANAGEMENT_GROUP,
		.mprt_ms = DEFAULT_MPRT_MAX_MS,
		.poll_ms = NVME_POLL_INTERVAL_MS,
		.window = AVAIL_DEFAULT_WINDOW,
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:i:t:vhV", long_options, NULL)) >=
	       0) {
		if (c == 'h') {
			help();
			return EXIT_SUCCESS;
		}
		if (c == 'V') {
			printf("nvmed %s\n", PACKAGE_VERSION);
			return EXIT_SUCCESS;
		}
		if (c == OPT_CHECK)
			return check_config(optarg);
		if (parse_option(c, optarg, &o) < 0)
			return EXIT_FAILURE;
	}
	if (optind < argc) {
		log_error("Unexpected argument '%s'", argv[optind]);
		return EXIT_FAILURE;
	}
	log_set_max_level(LOG_INFO + o.verbose);
	/* before anything else: without them no drive can be read */
	if (iowork_open_programs(o.worker_dir) < 0)
		return EXIT_FAILURE;
	if (o.mprt_given && !mi_mprt_max_supported())
		log_info("--mprt-max-ms: this libnvme cannot cap a More "
			 "Processing Required wait (no "
			 "nvme_mi_ep_set_mprt_max); a transaction not answered "
			 "within %u ms is failed and its I/O worker replaced",
			 2 * o.timeout_ms + o.mprt_ms);
	return run(&o) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
