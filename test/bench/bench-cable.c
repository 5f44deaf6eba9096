/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench-cable: figures for cable-presenced (README.md, Benchmarks).
 *
 *   bench-cable [--idle-seconds N] [--samples N] [--sizes 1,100,1000]
 *               [--missing N] [--missing-poll-ms MS]
 *
 * For each size: the unmodified daemon on a private bus, N simulated
 * lines (libgpiod-sim, one file per line over 8 chips), a 1 h poll so
 * that only edges move anything. Prints
 *  - start-up: from spawning the daemon until it owns its bus name with
 *    all N objects published (it takes the name after the first records
 *    are objects);
 *  - edge -> PropertiesChanged latency as a D-Bus client sees it (the
 *    line file is rewritten, the clock stops when the Present change
 *    arrives): p50, p99, max over --samples edges;
 *  - RSS and private dirty memory (/proc/PID/smaps_rollup);
 *  - over an idle window of --idle-seconds (default 60, shorter than the
 *    poll interval): CPU time (utime+stime) and wake-ups
 *    (voluntary context switches) of the daemon.
 * Then once more with the largest size and --missing N (default 100) of
 * its lines absent (no line file: the daemon retries them on every poll)
 * and a --missing-poll-ms (default 200) poll: start-up and edge latency
 * of the present lines while the missing ones are retried (the edges
 * are spread 0-19 ms apart, so they fall across many poll ticks).
 * Not pass/fail: it prints figures. The latency includes the simulator's
 * share (inotify, reading the file), so it bounds the daemon's from above.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench-util.h"
#include "macros.h"
#include "testbed.h"

#define SVC	    "xyz.openbmc_project.GPIOCableSensing"
#define OM	    "/xyz/openbmc_project/inventory"
#define ITEM	    OM "/item/"
#define I_ITEM	    "xyz.openbmc_project.Inventory.Item"
#define I_CABLE	    "xyz.openbmc_project.Inventory.Item.Cable"
#define N_CHIPS	    BENCH_GPIO_CHIPS
#define DEADLINE_MS 10000
/* Start-up is what is measured: generous. */
#define START_DEADLINE_MS 120000

struct bench {
	struct testbed *tb;
	char gpio[512];
	int n;
	int *level;
	bool *missing; /* lines without a line file */
	/* The PropertiesChanged being waited for. */
	const char *want_path;
	bool got;
	bool named; /* NameOwnerChanged gave SVC an owner */
};

static void line_set(struct bench *b, int i, int level)
{
	bench_gpio_line_set(b->gpio, i, level);
	b->level[i] = level;
}

static int on_changed(sd_bus_message *m, void *userdata,
		      sd_bus_error *ret_error)
{
	struct bench *b = userdata;
	const char *iface, *prop;

	if (!b->want_path || strcmp(sd_bus_message_get_path(m), b->want_path))
		return 0;
	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, I_ITEM))
		return 0;
	if (sd_bus_message_enter_container(m, 'a', "{sv}") <= 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &prop) < 0)
			return 0;
		if (!strcmp(prop, "Present"))
			b->got = true;
		if (sd_bus_message_skip(m, "v") < 0 ||
		    sd_bus_message_exit_container(m) < 0)
			return 0;
	}
	return 0;
}

static int on_owner(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct bench *b = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 &&
	    !strcmp(name, SVC) && *new)
		b->named = true;
	return 0;
}

/* Process the bus until *flag or the deadline. */
static int wait_flag(struct bench *b, bool *flag, int deadline_ms)
{
	sd_bus *bus = tb_bus(b->tb);
	uint64_t end = bench_now_ns() + (uint64_t)deadline_ms * 1000000ULL;
	int r;

	while (!*flag) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (bench_now_ns() > end)
			return -ETIMEDOUT;
		r = sd_bus_wait(bus, 100000);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

static int wait_changed(struct bench *b)
{
	return wait_flag(b, &b->got, DEADLINE_MS);
}

/* Line i is one of the `missing` spread evenly over n lines. */
static bool is_missing(int i, int n, int missing)
{
	return missing > 0 &&
	       (long)i * missing / n != (long)(i + 1) * missing / n;
}

struct run {
	int n;
	int missing; /* lines without a file */
	unsigned poll_ms;
	int samples;
	int idle_s; /* 0: no idle window */
};

static int run_size(const struct run *run)
{
	const int n = run->n;
	struct bench b = { .n = n };
	_cleanup_free_ char *cfg = NULL, *cfg_path = NULL;
	_cleanup_free_ uint64_t *lat = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL, *oslot = NULL;
	char preload[600], simdir[600], path[300], poll[32], tag[64];
	const char *env[] = { preload, simdir, NULL };
	uint64_t t_stop, t_spawn, t_up;
	pid_t pid;
	int r, count = 0, samples = run->samples;

	if (run->missing)
		snprintf(tag, sizeof(tag), "cables=%d missing=%d poll=%ums", n,
			 run->missing, run->poll_ms);
	else
		snprintf(tag, sizeof(tag), "cables=%d", n);
	if (bench_inotify_limit() < n + 100) {
		printf("%s: skipped, fs.inotify.max_user_instances=%ld "
		       "(the GPIO sim needs one per line: "
		       "sysctl fs.inotify.max_user_instances=4096)\n",
		       tag, bench_inotify_limit());
		return 0;
	}
	if (run->missing >= n) {
		printf("%s: skipped, no line would be present\n", tag);
		return 0;
	}

	b.tb = tb_new();
	b.level = calloc((size_t)n, sizeof(int));
	b.missing = calloc((size_t)n, sizeof(bool));
	lat = calloc((size_t)samples, sizeof(*lat));
	if (!b.level || !b.missing || !lat)
		return -ENOMEM;
	snprintf(b.gpio, sizeof(b.gpio), "%s/gpio", tb_dir(b.tb));
	for (int i = 0; i < n; i++) {
		b.missing[i] = is_missing(i, n, run->missing);
		if (b.missing[i]) {
			/* The chip exists, the line does not (yet). */
			char dir[600];

			snprintf(dir, sizeof(dir), "%s/gpiochip%d", b.gpio,
				 i % N_CHIPS);
			(void)mkdir(b.gpio, 0755);
			(void)mkdir(dir, 0755);
		} else {
			line_set(&b, i, 1);
		}
	}
	cfg = bench_cable_records(n);
	if (asprintf(&cfg_path, "%s/cables.json", tb_dir(b.tb)) < 0)
		return -ENOMEM;
	tb_write_file(cfg_path, cfg);

	/* The bus name comes once the records are objects: watch for it. */
	r = sd_bus_match_signal(tb_bus(b.tb), &oslot, "org.freedesktop.DBus",
				"/org/freedesktop/DBus", "org.freedesktop.DBus",
				"NameOwnerChanged", on_owner, &b);
	if (r < 0)
		return r;
	r = sd_bus_call_method(tb_bus(b.tb), "org.freedesktop.DBus",
			       "/org/freedesktop/DBus",
			       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
			       "");
	if (r < 0)
		return r;

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", b.gpio);
	snprintf(poll, sizeof(poll), "%u", run->poll_ms);
	{
		const char *argv[] = { tb_prog("cable-presenced"),
				       "--poll-interval-ms",
				       poll,
				       "--config",
				       cfg_path,
				       NULL };
		t_spawn = bench_now_ns();
		pid = tb_spawn(b.tb, "cable-presenced", argv, env);
	}
	if (wait_flag(&b, &b.named, START_DEADLINE_MS) < 0) {
		fprintf(stderr, "%s: the daemon did not start\n", tag);
		tb_fail(b.tb);
		tb_free(b.tb);
		return -ETIMEDOUT;
	}
	t_up = bench_now_ns();
	for (int t = 0; t < 300; t++) {
		count = tb_count_objects(b.tb, SVC, OM, I_CABLE);
		if (count == n)
			break;
		tb_pump(b.tb, 100);
		t_up = bench_now_ns();
	}
	if (count != n) {
		fprintf(stderr, "%s: only %d objects\n", tag, count);
		tb_fail(b.tb);
		tb_free(b.tb);
		return -ETIMEDOUT;
	}
	printf("%s start-up: %.1f ms until the bus name with all %d objects\n",
	       tag, (double)(t_up - t_spawn) / 1e6, n);

	r = sd_bus_match_signal(tb_bus(b.tb), &slot, NULL, NULL,
				"org.freedesktop.DBus.Properties",
				"PropertiesChanged", on_changed, &b);
	if (r < 0)
		return r;
	/* Make sure the match is installed before the first edge. */
	r = sd_bus_call_method(tb_bus(b.tb), "org.freedesktop.DBus",
			       "/org/freedesktop/DBus",
			       "org.freedesktop.DBus.Peer", "Ping", NULL, NULL,
			       "");
	if (r < 0)
		return r;

	for (int s = 0; s < samples; s++) {
		int i = (int)(((long)s * 7919) % n);
		uint64_t t0;

		while (b.missing[i])
			i = (i + 1) % n;
		if (run->missing) {
			/* Spread the edges over many poll ticks (0-19 ms
			 * apart), so that some land while missing lines are
			 * being retried. */
			struct timespec gap = { 0, (s * 7 % 20) * 1000000L };

			nanosleep(&gap, NULL);
		}
		snprintf(path, sizeof(path), ITEM "cable%d", i);
		b.want_path = path;
		b.got = false;
		t0 = bench_now_ns();
		line_set(&b, i, !b.level[i]);
		r = wait_changed(&b);
		if (r < 0) {
			fprintf(stderr, "%s: no PropertiesChanged for %s\n",
				tag, path);
			tb_fail(b.tb);
			tb_free(b.tb);
			return r;
		}
		lat[s] = bench_now_ns() - t0;
	}
	b.want_path = NULL;
	qsort(lat, (size_t)samples, sizeof(*lat), bench_cmp_u64);
	printf("%s edge->PropertiesChanged: p50 %.3f ms, p99 %.3f ms, "
	       "max %.3f ms (%d edges)\n",
	       tag, lat[samples / 2] / 1e6,
	       lat[(size_t)((samples - 1) * 0.99)] / 1e6,
	       lat[samples - 1] / 1e6, samples);
	printf("%s memory: RSS %ld kB, private dirty %ld kB, "
	       "peak RSS %ld kB\n",
	       tag, bench_proc_field(pid, "smaps_rollup", "Rss"),
	       bench_proc_field(pid, "smaps_rollup", "Private_Dirty"),
	       bench_proc_field(pid, "status", "VmHWM"));

	if (run->idle_s > 0) {
		long long cpu0, cpu1;
		long vol0, vol1, inv0, inv1;
		long hz = sysconf(_SC_CLK_TCK);

		tb_pump(b.tb, 500); /* let the last edge settle */
		cpu0 = bench_cpu_ticks(pid);
		vol0 = bench_proc_field(pid, "status",
					"voluntary_ctxt_switches");
		inv0 = bench_proc_field(pid, "status",
					"nonvoluntary_ctxt_switches");
		sleep((unsigned)run->idle_s);
		cpu1 = bench_cpu_ticks(pid);
		vol1 = bench_proc_field(pid, "status",
					"voluntary_ctxt_switches");
		inv1 = bench_proc_field(pid, "status",
					"nonvoluntary_ctxt_switches");
		printf("%s idle %d s (poll %u ms): CPU %.3f s "
		       "(utime+stime), wake-ups %ld voluntary, "
		       "%ld involuntary context switches\n",
		       tag, run->idle_s, run->poll_ms,
		       (double)(cpu1 - cpu0) / (double)hz, vol1 - vol0,
		       inv1 - inv0);
	}

	/* Closing a simulated line (an inotify fd) costs the kernel about
	 * 1 ms: with 1,000 lines the exit takes seconds, real lines don't. */
	t_stop = bench_now_ns();
	r = tb_stop(b.tb, pid, SIGTERM);
	printf("%s SIGTERM: %s after %.0f ms\n", tag,
	       r == 0 ? "exit 0" : "not a clean exit (killed?)",
	       (double)(bench_now_ns() - t_stop) / 1e6);
	free(b.level);
	free(b.missing);
	slot = sd_bus_slot_unref(slot);
	oslot = sd_bus_slot_unref(oslot);
	tb_free(b.tb);
	fflush(stdout);
	return 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "idle-seconds", required_argument, NULL, 'i' },
		{ "samples", required_argument, NULL, 's' },
		{ "sizes", required_argument, NULL, 'n' },
		{ "missing", required_argument, NULL, 'm' },
		{ "missing-poll-ms", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int idle_s = 60, samples = 200, sizes[8] = { 1, 100, 1000 };
	int n_sizes = 3, c, ret = EXIT_SUCCESS, missing = 100, max_n = 0;
	int missing_poll_ms = 200;
	char *tok, *save = NULL;

	while ((c = getopt_long(argc, argv, "i:s:n:m:p:h", options, NULL)) >=
	       0) {
		switch (c) {
		case 'i':
			idle_s = atoi(optarg);
			break;
		case 's':
			samples = atoi(optarg);
			break;
		case 'n':
			n_sizes = 0;
			for (tok = strtok_r(optarg, ",", &save);
			     tok && n_sizes < (int)ARRAY_SIZE(sizes);
			     tok = strtok_r(NULL, ",", &save))
				sizes[n_sizes++] = atoi(tok);
			break;
		case 'm':
			missing = atoi(optarg);
			break;
		case 'p':
			missing_poll_ms = atoi(optarg);
			break;
		case 'h':
			printf("Usage: bench-cable [--idle-seconds N (60)] "
			       "[--samples N (200)] [--sizes 1,100,1000] "
			       "[--missing N (100, 0: no such run)] "
			       "[--missing-poll-ms MS (200)]\n");
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (idle_s < 0 || idle_s > 3000 || samples < 1 || n_sizes < 1 ||
	    missing < 0 || missing_poll_ms < 10 || missing_poll_ms > 3600000) {
		fprintf(stderr, "bad arguments\n");
		return EXIT_FAILURE;
	}
	for (int i = 0; i < n_sizes; i++) {
		if (sizes[i] < 1 || sizes[i] > 100000) {
			fprintf(stderr, "bad size %d\n", sizes[i]);
			return EXIT_FAILURE;
		}
		if (sizes[i] > max_n)
			max_n = sizes[i];
	}

	printf("bench-cable: %d edges per size, idle window %d s\n", samples,
	       idle_s);
	for (int i = 0; i < n_sizes; i++) {
		struct run run = {
			.n = sizes[i],
			.poll_ms = 3600000,
			.samples = samples,
			.idle_s = i == n_sizes - 1 ? idle_s : 0,
		};

		if (run_size(&run) < 0)
			ret = EXIT_FAILURE;
	}
	if (missing > 0) {
		struct run run = {
			.n = max_n,
			.missing = missing,
			.poll_ms = (unsigned)missing_poll_ms,
			.samples = samples,
		};

		if (run_size(&run) < 0)
			ret = EXIT_FAILURE;
	}
	return ret;
}
