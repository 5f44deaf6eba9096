// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed benchmark (figures, not pass/fail), against the NVMe-MI emulator
 * through libmctp-shim.so on a private bus:
 *  - CPU time (utime + stime of nvmed and its I/O workers) per health poll
 *    per drive at 1, 64 and 256 drives polled every second, and the poll
 *    rate one drive actually gets;
 *  - D-Bus Get latency (p50/p99/max) of a healthy sensor's Value while 16
 *    of 64, and of 256, drives are silent (each of their transactions
 *    times out after 300 ms, in the network's I/O worker);
 *  - RSS and private dirty memory (/proc/PID/smaps_rollup) of nvmed and
 *    all its workers together at 256 drives.
 * and the same over SMBus (the basic management command through
 * libi2c-shim.so, nvme-mi-emu --i2c-socket, every drive on its own bus,
 * so one I/O worker each):
 *  - CPU per basic-command poll per drive at 1, 64 and 256 drives;
 *  - D-Bus Get latency while 16 of 64 / 256 drives NACK;
 *  - D-Bus Get latency while 16 of 64 / 256 drives hold the bus
 *    (hold_bus: every transfer to them blocks for the 1 s adapter timeout,
 *    then fails with ETIMEDOUT), over twice the window, and how many of
 *    the 16 turned NaN or unavailable, after how long.
 * The emulator models the bus time of every transfer (100 kHz).
 * And a firmware update (BENCH_ONLY=update, also part of the MCTP half):
 * a 16 MiB image (BENCH_IMAGE_MIB) through Software.Update StartUpdate
 * to drive 0 of 64, whose link carries BENCH_LINK_BPS (default 1 Mbit/s,
 * 10 bits a byte, both ways); how long it takes, the D-Bus Get latency
 * of another drive's Value meanwhile, and the health polls that drive
 * and drive 0 got.
 * And what a read costs, in figures that do not depend on the machine
 * (BENCH_ONLY=cost, also part of the default run): the unmodified nvmed
 * reading emulated drives with the SMBus basic management command
 * (block read of command 0 every poll; command 8, the VPD, every 60th),
 * 1 s polls, each health read holding the calling process for exactly
 * 1 ms of bus time (the emulator's wire time at smbus_hz 93000: 93 bits;
 * no hold is added on top), at 16, 64 and 256 drives on 4 root I2C buses
 * (drive i on bus i % 4 + 1 at address 0x10 + i / 4) and at 64 and 256
 * drives each on its own root bus (at 0x6a; the worst case for one I/O
 * worker per bus). Per run, over a window after start-up settles:
 *  - reads: the command 0 transfers the emulator answered (its "list"
 *    requests, the VPD reads told apart by their bus time); every figure
 *    below is per such read, the VPD reads' cost included;
 *  - voluntary context switches per read, of nvmed and all its
 *    descendants (the workers, forked or exec'd), every thread of each:
 *    /proc/PID/task/TID/status, sampled every 250 ms; a task that exits
 *    keeps what it had at its last sample;
 *  - syscalls per read: strace -c -f attached to nvmed and every
 *    descendant in a second window after the first (tracing slows each
 *    syscall, it does not change what a read makes; nothing else is
 *    measured meanwhile); also the figure for a real i2c-dev adapter,
 *    where the shim's send, poll and recv per transfer are one ioctl,
 *    and its socket, connect, send, poll and recv per open of an
 *    adapter (counted by connect) are openat and two ioctls.
 *    Without strace in PATH the figure is skipped;
 *  - CPU per read: schedstat run time (/proc/PID/task/TID/schedstat,
 *    first field) summed as above, and beside it utime + stime of every
 *    process plus the cutime + cstime of each (reaped workers), in ticks;
 *  - Private_Dirty (/proc/PID/smaps_rollup) of all processes together at
 *    the end of the window, and of each worker;
 *  - wake-ups per second while idle: a second nvmed polling every 10 s,
 *    its voluntary switches (all tasks) per second over 200 ms steps in
 *    which, and in the two steps either side of which, the emulator saw
 *    no transfer;
 *  - the processes and threads.
 * Env: BENCH_WINDOW_S (default 10; for the cost part 60) sets the
 * measurement windows; BENCH_ONLY=mctp or smbus runs one half,
 * BENCH_ONLY=smbus-hold only the hold cases, BENCH_ONLY=cost the cost
 * part, whose runs BENCH_COST_RUNS picks (default
 * "16,64,256,64own,256own"); BENCH_SYSCALL_WINDOW_S (default half the
 * window), BENCH_IDLE_S (30) and BENCH_SETTLE_S (3, after every value is
 * published) set its other windows.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "bench-util.h"
#include "emu-harness.h"
#include "i2c-harness.h"
#include "macros.h"
#include "testbed.h"

#define NVME	 "xyz.openbmc_project.NVMe"
#define SENSOR	 "/xyz/openbmc_project/sensors/temperature/NVMe_"
#define VALUE_IF "xyz.openbmc_project.Sensor.Value"
#define AVAIL_IF "xyz.openbmc_project.State.Decorator.Availability"
#define POLL_MS	 1000

struct run {
	struct testbed *tb;
	struct emu_proc emu;
	pid_t pid;
	char preload[4200], sock[4200];
};

static bool smbus;

/* SMBus drives: NVME1000 mi_basic records, drive i alone on bus i + 1 */
static const char *config_basic(struct run *r, unsigned n)
{
	const char *path = tb_path(r->tb, "nvmed.json");
	size_t cap = 160 * (n + 1), off;
	_cleanup_free_ char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "[");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off,
					"%s{\"Type\": \"NVME1000\", \"Name\": "
					"\"NVMe %u\", \"Bus\": %u, "
					"\"PowerState\": \"Always\"}",
					i ? ", " : "", i, i + 1);
	snprintf(s + off, cap - off, "]");
	tb_write_file(path, s);
	return path;
}

static char *scenario_basic(unsigned n)
{
	size_t cap = 200 * (n + 1), off;
	char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "{\"drives\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off,
			"%s{\"network\": %u, \"eid\": %u, \"bus\": %u, "
			"\"serial\": \"S%u\", \"temperature\": 35}",
			i ? ", " : "", BENCH_NET(i), BENCH_EID(i), i + 1, i);
	snprintf(s + off, cap - off, "]}");
	return s;
}

static void start(struct run *r, unsigned n)
{
	_cleanup_free_ char *sc = smbus ? scenario_basic(n) :
					  bench_mi_scenario(n);
	const char *env[] = { r->preload, r->sock, NULL };
	char path[128];

	r->tb = tb_new();
	if ((smbus ? i2c_emu_start(&r->emu, sc) : emu_start(&r->emu, sc)) < 0) {
		fprintf(stderr, "nvme-mi-emu did not start\n");
		abort();
	}
	snprintf(r->preload, sizeof(r->preload), "LD_PRELOAD=%s",
		 tb_prog(smbus ? "i2c-shim-preload" : "mctp-shim-preload"));
	if (smbus)
		snprintf(r->sock, sizeof(r->sock), "I2C_SHIM_SOCK=%s",
			 i2c_emu_sock(&r->emu));
	else
		snprintf(r->sock, sizeof(r->sock), "MCTP_SHIM_SOCK=%s",
			 r->emu.sock);
	{
		const char *argv[] = { tb_prog("nvmed"), "--config",
				       smbus ? config_basic(r, n) :
					       bench_mi_config(r->tb, n),
				       NULL };

		r->pid = tb_spawn(r->tb, "nvmed", argv, env);
	}
	if (tb_wait_name(r->tb, NVME, 60000) < 0) {
		fprintf(stderr, "nvmed never owned %s\n", NVME);
		abort();
	}
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), SENSOR "%u", i);
		if (tb_wait_double(r->tb, NVME, path, VALUE_IF, "Value", 35,
				   0.01, 60000) < 0) {
			fprintf(stderr, "drive %u never answered\n", i);
			abort();
		}
	}
}

static void stop(struct run *r)
{
	tb_stop(r->tb, r->pid, SIGTERM);
	emu_stop(&r->emu);
	tb_free(r->tb);
}

static int window_s(void)
{
	const char *w = getenv("BENCH_WINDOW_S");

	return w && atoi(w) > 0 ? atoi(w) : 10;
}

/* RSS and private dirty memory of nvmed and of all its workers together */
static void memory(struct run *r, unsigned n)
{
	struct bench_mem m;

	bench_family_memory(r->pid, &m);
	printf("memory at %u drives: %zu processes (nvmed + %zu I/O "
	       "workers): Rss %llu kB together (nvmed itself %llu kB), "
	       "Private_Dirty %llu kB together\n",
	       n, m.procs, m.procs - 1, m.rss_kb, m.main_rss_kb, m.dirty_kb);
}

/* Requests drive 0 (network 1) has had from the emulator. */
static long long requests_of(struct run *r, unsigned i)
{
	_cleanup_free_ char *reply = NULL;
	char line[96];
	const char *p;

	snprintf(line, sizeof(line),
		 "{\"get\": {\"network\": %u, \"eid\": %u}}", BENCH_NET(i),
		 BENCH_EID(i));
	if (emu_ctl(&r->emu, line, &reply) < 0 || !reply)
		return -1;
	p = strstr(reply, "\"requests\":");
	return p ? atoll(p + strlen("\"requests\":")) : -1;
}

static void cpu_per_poll(unsigned n)
{
	struct run r = { 0 };
	long long t0, t1;
	double s0, s1, polls, cpu_s;
	long hz = sysconf(_SC_CLK_TCK);

	long long q0, q1;

	start(&r, n);
	tb_pump(r.tb, 2000); /* past the start-up transactions */
	t0 = bench_family_cpu_ticks(r.pid);
	q0 = requests_of(&r, 0);
	s0 = bench_now_s();
	tb_pump(r.tb, window_s() * 1000);
	t1 = bench_family_cpu_ticks(r.pid);
	q1 = requests_of(&r, 0);
	s1 = bench_now_s();
	polls = n * (s1 - s0) * 1000.0 / POLL_MS;
	/* the poll period actually kept: one drive's requests at the
	 * emulator (SMART every few polls adds a few on MCTP) */
	printf("%s poll rate at %3u drives: drive 0 sent %lld requests in "
	       "%.1f s at a %d ms interval (%.3f per second)\n",
	       smbus ? "SMBus" : "MCTP", n, q1 - q0, s1 - s0, POLL_MS,
	       (double)(q1 - q0) / (s1 - s0));
	cpu_s = (double)(t1 - t0) / (double)hz;
	printf("%s cpu at %3u drives: %.3f s CPU over %.1f s, ~%.0f polls, "
	       "%.1f us per poll per drive, %.2f %% of one core\n",
	       smbus ? "SMBus" : "MCTP", n, cpu_s, s1 - s0, polls,
	       cpu_s * 1e6 / polls, 100.0 * cpu_s / (s1 - s0));
	if (n == 256)
		memory(&r, n);
	stop(&r);
}

#define FAULTY 16 /* drives at fault in the latency cases */

/* Get latency with FAULTY of n drives silent (MCTP) or NACKing (SMBus). */
static void get_latency(unsigned n)
{
	struct run r = { 0 };
	size_t cap = 100000, count = 0;
	_cleanup_free_ double *lat = malloc(cap * sizeof(double));
	double end;
	char line[64];

	if (!lat)
		abort();
	start(&r, n);
	for (unsigned i = 0; i < FAULTY; i++) {
		snprintf(line, sizeof(line),
			 "{\"network\": %u, \"eid\": %u, \"%s\": true}",
			 BENCH_NET(n / FAULTY * i), BENCH_EID(n / FAULTY * i),
			 smbus ? "nack" : "silent");
		emu_ctl_ok(&r.emu, line);
	}
	end = bench_now_s() + window_s() * 1.5;
	while (bench_now_s() < end && count < cap) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		double v = 0, t = bench_now_s();

		if (sd_bus_get_property_trivial(tb_bus(r.tb), NVME, SENSOR "9",
						VALUE_IF, "Value", &err, 'd',
						&v) < 0) {
			sd_bus_error_free(&err);
			continue;
		}
		lat[count++] = (bench_now_s() - t) * 1000.0;
		usleep(5000);
	}
	qsort(lat, count, sizeof(double), bench_cmp_double);
	printf("%s Get latency, %u drives, %u %s: "
	       "%zu calls, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       smbus ? "SMBus" : "MCTP", n, FAULTY,
	       smbus ? "NACKing" : "silent (300 ms timeout)", count,
	       lat[count / 2], lat[count * 99 / 100], lat[count - 1]);
	stop(&r);
}

static unsigned env_uint(const char *name, unsigned def)
{
	const char *v = getenv(name);

	return v && atoi(v) > 0 ? (unsigned)atoi(v) : def;
}

/* The emulator's image format: "EMFW", the revision, anything. */
static int update_image(size_t size)
{
	int fd = memfd_create("image", MFD_CLOEXEC);
	uint8_t *buf = malloc(size);

	if (fd < 0 || !buf)
		abort();
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 131);
	memcpy(buf, "EMFW9.9.9   ", 12);
	if (write(fd, buf, size) != (ssize_t)size)
		abort();
	free(buf);
	return fd;
}

#define UPDATE_SW  "/xyz/openbmc_project/software/nvme_NVMe_0"
#define ACT_PREFIX "xyz.openbmc_project.Software.Activation.Activations."

static char *activation(struct run *r)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char *act = NULL;

	if (sd_bus_get_property_string(tb_bus(r->tb), NVME, UPDATE_SW "_update",
				       "xyz.openbmc_project.Software."
				       "Activation",
				       "Activation", &err, &act) < 0)
		sd_bus_error_free(&err);
	return act;
}

static void start_update(struct run *r, size_t size)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int fd = update_image(size);

	if (sd_bus_call_method(tb_bus(r->tb), NVME, UPDATE_SW,
			       "xyz.openbmc_project.Software.Update",
			       "StartUpdate", &err, NULL, "hs", fd,
			       "xyz.openbmc_project.Software.ApplyTime."
			       "RequestedApplyTimes.Immediate") < 0) {
		fprintf(stderr, "StartUpdate: %s\n", err.message);
		abort();
	}
	close(fd);
}

/* A 16 MiB update to drive 0 of n while drive 9's Value is read. */
static void update_time(unsigned n)
{
	struct run r = { 0 };
	size_t cap = 1000000, count = 0;
	_cleanup_free_ double *lat = malloc(cap * sizeof(double));
	unsigned mib = env_uint("BENCH_IMAGE_MIB", 16);
	unsigned bps = env_uint("BENCH_LINK_BPS", 1000000);
	_cleanup_free_ char *act = NULL;
	long long q0, u0;
	char line[128];
	double t0, t;

	if (!lat)
		abort();
	start(&r, n);
	snprintf(line, sizeof(line),
		 "{\"network\": %u, \"eid\": %u, \"link_bps\": %u}",
		 BENCH_NET(0), BENCH_EID(0), bps);
	emu_ctl_ok(&r.emu, line);
	tb_pump(r.tb, 2000); /* the management reads after start-up */
	q0 = requests_of(&r, 9);
	u0 = requests_of(&r, 0);
	t0 = bench_now_s();
	start_update(&r, (size_t)mib << 20);
	for (;;) {
		double v = 0;

		t = bench_now_s();
		if (sd_bus_get_property_trivial(tb_bus(r.tb), NVME, SENSOR "9",
						VALUE_IF, "Value", NULL, 'd',
						&v) >= 0 &&
		    count < cap)
			lat[count++] = (bench_now_s() - t) * 1000.0;
		free(act);
		act = activation(&r);
		if (act && strcmp(act, ACT_PREFIX "Activating") != 0)
			break;
		usleep(5000);
	}
	t = bench_now_s() - t0;
	qsort(lat, count, sizeof(double), bench_cmp_double);
	printf("MCTP firmware update: %u MiB at %u bit/s to drive 0 of %u: "
	       "%s after %.1f s (%.0f kB/s; the wire alone: %.1f s)\n",
	       mib, bps, n, act ? act + strlen(ACT_PREFIX) : "?", t,
	       (double)((size_t)mib << 20) / t / 1000.0,
	       (double)((size_t)mib << 20) * 10.0 / bps);
	printf("MCTP Get latency during the update, %u drives: %zu calls, "
	       "p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
	       n, count, lat[count / 2], lat[count * 99 / 100], lat[count - 1]);
	printf("MCTP polls during the update: drive 9 sent %lld requests in "
	       "%.1f s (%.3f per second), drive 0 %lld besides its %u "
	       "pieces\n",
	       requests_of(&r, 9) - q0, t,
	       (double)(requests_of(&r, 9) - q0) / t,
	       requests_of(&r, 0) - u0 - (long long)((mib << 20) / 4096) - 1,
	       (mib << 20) / 4096);
	stop(&r);
}

/* A drive's sensor as a fan controller sees it: NaN or unavailable. */
static bool sensor_lost(struct run *r, unsigned i)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char path[128];
	double v = 0;
	int avail = 1;

	snprintf(path, sizeof(path), SENSOR "%u", i);
	if (sd_bus_get_property_trivial(tb_bus(r->tb), NVME, path, VALUE_IF,
					"Value", &err, 'd', &v) < 0 ||
	    sd_bus_get_property_trivial(tb_bus(r->tb), NVME, path, AVAIL_IF,
					"Available", &err, 'b', &avail) < 0) {
		sd_bus_error_free(&err);
		return false;
	}
	return isnan(v) || !avail;
}

/*
 * SMBus, 64 drives each alone on its bus, 16 of them (every fourth)
 * holding the bus: Get latency of a healthy drive's Value over twice the
 * window, and when each held drive's sensor was first lost (a
 * PropertiesChanged to NaN or Available false), counted from the
 * hold_bus request.
 */
static void hold_latency(unsigned n)
{
	enum { held = FAULTY };
	struct run r = { 0 };
	size_t cap = 200000, count = 0, errors = 0;
	_cleanup_free_ double *lat = malloc(cap * sizeof(double));
	unsigned lost[held], n_lost = 0, n_now = 0;
	double lost_at[held], t0, end, first = 0, last = 0;
	sd_bus_slot *slot[held];
	char line[96], path[128];

	if (!lat)
		abort();
	start(&r, n);
	for (unsigned i = 0; i < held; i++) {
		lost[i] = 0;
		lost_at[i] = -1;
		snprintf(path, sizeof(path), SENSOR "%u", n / held * i);
		slot[i] = tb_watch_sensor_lost(r.tb, NVME, path, &lost[i]);
	}
	t0 = bench_now_s();
	for (unsigned i = 0; i < held; i++) {
		snprintf(line, sizeof(line),
			 "{\"network\": %u, \"eid\": %u, \"hold_bus\": true}",
			 BENCH_NET(n / held * i), BENCH_EID(n / held * i));
		emu_ctl_ok(&r.emu, line);
	}
	end = bench_now_s() + window_s() * 2.0;
	while (bench_now_s() < end && count < cap) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		double v = 0, t = bench_now_s();
		int k;

		k = sd_bus_get_property_trivial(tb_bus(r.tb), NVME, SENSOR "9",
						VALUE_IF, "Value", &err, 'd',
						&v);
		if (k < 0) {
			sd_bus_error_free(&err);
			errors++;
		} else {
			lat[count++] = (bench_now_s() - t) * 1000.0;
		}
		/* the signals that came in meanwhile */
		while (sd_bus_process(tb_bus(r.tb), NULL) > 0)
			;
		for (unsigned i = 0; i < held; i++)
			if (lost[i] && lost_at[i] < 0)
				lost_at[i] = bench_now_s() - t0;
		usleep(5000);
	}
	for (unsigned i = 0; i < held; i++) {
		if (lost_at[i] >= 0) {
			if (!n_lost || lost_at[i] < first)
				first = lost_at[i];
			if (lost_at[i] > last)
				last = lost_at[i];
			n_lost++;
		}
		if (sensor_lost(&r, n / held * i))
			n_now++;
		sd_bus_slot_unref(slot[i]);
	}
	qsort(lat, count, sizeof(double), bench_cmp_double);
	if (count)
		printf("SMBus Get latency, %u drives on %u buses, %u holding "
		       "the bus (1 s timeout, ETIMEDOUT), %.0f s: %zu calls "
		       "(%zu failed), p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		       n, n, held, window_s() * 2.0, count, errors,
		       lat[count / 2], lat[count * 99 / 100], lat[count - 1]);
	else
		printf("SMBus Get latency, %u holding the bus: no call "
		       "succeeded (%zu failed)\n",
		       held, errors);
	if (n_lost)
		printf("SMBus holding drives lost (NaN or unavailable), %u drives: %u of "
		       "%u, first after %.2f s, last after %.2f s; %u of %u "
		       "lost at the end\n",
		       n, n_lost, held, first, last, n_now, held);
	else
		printf("SMBus holding drives lost (NaN or unavailable): 0 of "
		       "%u within %.0f s; %u of %u lost at the end\n",
		       held, window_s() * 2.0, n_now, held);
	stop(&r);
}

/* ---- cost: what a read costs, in figures that do not depend on the
 * machine (BENCH_ONLY=cost) ---- */

#define COST_BUSES	  4 /* root I2C buses in the shared layout */
#define COST_HZ		  93000 /* a command 0 block read, 93 bits: 1 ms */
#define COST_HEALTH_USEC  1000 /* its bus time at COST_HZ */
#define COST_VPD_USEC	  2549 /* command 8's, 237 bits (rounded up) */
#define COST_SAMPLE_MS	  250 /* /proc sampling in the windows */
#define COST_IDLE_POLL_MS 10000 /* the poll interval of the idle run */
#define COST_IDLE_STEP_MS 200 /* idle run: one step of the sampling */
#define COST_IDLE_MARGIN  2 /* steps either side of a read not idle */

/* Drive i of n: on bus i % 4 + 1 at address 0x10 + i / 4 (distinct on
 * each bus, as on a backplane), or alone on bus i + 1 at 0x6a. */
static unsigned cost_bus(unsigned i, bool own)
{
	return own ? i + 1 : i % COST_BUSES + 1;
}

static unsigned cost_address(unsigned i, bool own)
{
	return own ? 0x6a : 0x10 + i / COST_BUSES;
}

static const char *cost_config(struct run *r, unsigned n, bool own)
{
	const char *path = tb_path(r->tb, "nvmed.json");
	size_t cap = 160 * (n + 1), off;
	_cleanup_free_ char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "[");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off,
			"%s{\"Type\": \"NVME1000\", \"Name\": \"NVMe %u\", "
			"\"Bus\": %u, \"Address\": %u, "
			"\"PowerState\": \"Always\"}",
			i ? ", " : "", i, cost_bus(i, own),
			cost_address(i, own));
	snprintf(s + off, cap - off, "]");
	tb_write_file(path, s);
	return path;
}

static char *cost_scenario(unsigned n, bool own)
{
	size_t cap = 240 * (n + 1), off;
	char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "{\"drives\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off,
			"%s{\"network\": %u, \"eid\": %u, \"bus\": %u, "
			"\"basic_address\": %u, \"smbus_hz\": %u, "
			"\"serial\": \"S%u\", \"temperature\": %d}",
			i ? ", " : "", BENCH_NET(i), BENCH_EID(i),
			cost_bus(i, own), cost_address(i, own), COST_HZ, i,
			BENCH_DRIVE_TEMP);
	snprintf(s + off, cap - off, "]}");
	return s;
}

/* nvmed on n drives read with the basic command, polled every poll_ms;
 * returns once every drive's Value is published. */
static void cost_start(struct run *r, unsigned n, bool own, unsigned poll_ms)
{
	_cleanup_free_ char *sc = cost_scenario(n, own);
	const char *env[] = { r->preload, r->sock, NULL };
	char path[128], interval[16];

	r->tb = tb_new();
	if (i2c_emu_start(&r->emu, sc) < 0) {
		fprintf(stderr, "nvme-mi-emu did not start\n");
		abort();
	}
	snprintf(r->preload, sizeof(r->preload), "LD_PRELOAD=%s",
		 tb_prog("i2c-shim-preload"));
	snprintf(r->sock, sizeof(r->sock), "I2C_SHIM_SOCK=%s",
		 i2c_emu_sock(&r->emu));
	snprintf(interval, sizeof(interval), "%u", poll_ms);
	{
		const char *argv[] = { tb_prog("nvmed"),
				       "--config",
				       cost_config(r, n, own),
				       "--poll-interval-ms",
				       interval,
				       NULL };

		r->pid = tb_spawn(r->tb, "nvmed", argv, env);
	}
	if (tb_wait_name(r->tb, NVME, 60000) < 0) {
		fprintf(stderr, "nvmed never owned %s\n", NVME);
		abort();
	}
	for (unsigned i = 0; i < n; i++) {
		snprintf(path, sizeof(path), SENSOR "%u", i);
		if (tb_wait_double(r->tb, NVME, path, VALUE_IF, "Value",
				   BENCH_DRIVE_TEMP, 0.01, 120000) < 0) {
			fprintf(stderr, "drive %u never answered\n", i);
			abort();
		}
	}
}

/* The SMBus transfers all drives have had, and their bus time. */
struct cost_reads {
	long long transfers, bus_usec;
};

static long long sum_field(const char *s, const char *key)
{
	size_t len = strlen(key);
	long long sum = 0;

	for (const char *p = strstr(s, key); p; p = strstr(p + len, key))
		sum += atoll(p + len);
	return sum;
}

static void cost_reads(struct run *r, struct cost_reads *ret)
{
	_cleanup_free_ char *reply = NULL;

	if (emu_ctl(&r->emu, "{\"list\": true}", &reply) < 0 || !reply) {
		fprintf(stderr, "the emulator did not list its drives\n");
		abort();
	}
	ret->transfers = sum_field(reply, "\"requests\":");
	ret->bus_usec = sum_field(reply, "\"bus_usec\":");
}

/* Of the transfers between a and b, the health reads (command 0, 1 ms
 * each) as told apart from the VPD reads (command 8, 2.549 ms) by their
 * bus time; *ret_vpd gets the others. */
static long long health_reads(const struct cost_reads *a,
			      const struct cost_reads *b, long long *ret_vpd)
{
	long long t = b->transfers - a->transfers;
	long long extra = b->bus_usec - a->bus_usec - t * COST_HEALTH_USEC;
	long long vpd = (extra + (COST_VPD_USEC - COST_HEALTH_USEC) / 2) /
			(COST_VPD_USEC - COST_HEALTH_USEC);

	if (vpd < 0)
		vpd = 0;
	if (vpd > t)
		vpd = t;
	*ret_vpd = vpd;
	return t - vpd;
}

static double cost_env_s(const char *name, double def)
{
	const char *v = getenv(name);

	return v && atof(v) > 0 ? atof(v) : def;
}

/* BENCH_WINDOW_S, 60 s unless set */
static double cost_window_s(void)
{
	return cost_env_s("BENCH_WINDOW_S", 60);
}

/* strace in PATH, or NULL */
static const char *strace_path(void)
{
	static char buf[512];
	const char *path = getenv("PATH");

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");

		snprintf(buf, sizeof(buf), "%.*s/strace", (int)len, path);
		if (len && access(buf, X_OK) == 0)
			return buf;
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* The syscall counts strace -c wrote: the total, and the 8 most
 * frequent by name. */
struct cost_syscall {
	char name[32];
	long long calls;
};

struct cost_syscalls {
	long long total;
	long long connects; /* connect(2): the shim's open of an adapter */
	size_t n;
	struct cost_syscall top[8];
};

static void keep_top(struct cost_syscalls *s, const char *name, long long calls)
{
	size_t at = s->n;

	if (s->n == ARRAY_SIZE(s->top)) {
		at = 0;
		for (size_t i = 1; i < s->n; i++)
			if (s->top[i].calls < s->top[at].calls)
				at = i;
		if (calls <= s->top[at].calls)
			return;
	} else {
		s->n++;
	}
	snprintf(s->top[at].name, sizeof(s->top[at].name), "%s", name);
	s->top[at].calls = calls;
}

static bool parse_strace_summary(const char *path, struct cost_syscalls *ret)
{
	char line[256];
	FILE *f = fopen(path, "re");
	bool found = false;

	*ret = (struct cost_syscalls){ 0 };
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		char *tok[8], *save = NULL, *p = line;
		size_t nt = 0;

		while (nt < ARRAY_SIZE(tok) &&
		       (tok[nt] = strtok_r(p, " \t\n", &save))) {
			p = NULL;
			nt++;
		}
		/* % time, seconds, usecs/call, calls, [errors,] syscall */
		if (nt < 5 || !strchr("0123456789", tok[0][0]))
			continue;
		if (strcmp(tok[nt - 1], "total") == 0) {
			ret->total = atoll(tok[3]);
			found = true;
		} else {
			if (strcmp(tok[nt - 1], "connect") == 0)
				ret->connects = atoll(tok[3]);
			keep_top(ret, tok[nt - 1], atoll(tok[3]));
		}
	}
	fclose(f);
	return found;
}

static int cmp_calls(const void *a, const void *b)
{
	long long x = ((const struct cost_syscall *)a)->calls;
	long long y = ((const struct cost_syscall *)b)->calls;

	return x < y ? 1 : x > y ? -1 : 0;
}

/*
 * strace -c -f attached to nvmed and every descendant for window_s: the
 * syscalls they made, and the health reads meanwhile. Tracing slows each
 * syscall, not what a read needs, so the count is that of the untraced
 * daemon; it runs after the CPU window, never during it. Returns false
 * (and says why) when strace is missing or fails.
 */
static bool cost_syscalls(struct run *r, double window_s,
			  struct cost_syscalls *ret, long long *ret_reads,
			  long long *ret_vpd, double *ret_s)
{
	const char *strace = strace_path();
	pid_t pids[1200], tracer;
	size_t n = bench_family(r->pid, pids, ARRAY_SIZE(pids));
	const char **argv = calloc(2 * n + 8, sizeof(*argv));
	char(*num)[16] = calloc(n, sizeof(*num));
	const char *out = tb_path(r->tb, "strace.txt");
	struct cost_reads a, b;
	size_t k = 0;
	double t0, end;
	bool ok;

	if (!argv || !num)
		abort();
	if (!strace) {
		printf("  syscalls: not counted, no strace in PATH "
		       "(test/ci/install-deps.sh installs it)\n");
		free(argv);
		free(num);
		return false;
	}
	argv[k++] = strace;
	argv[k++] = "-c";
	argv[k++] = "-f";
	argv[k++] = "-qq";
	argv[k++] = "-o";
	argv[k++] = out;
	for (size_t i = 0; i < n; i++) {
		snprintf(num[i], sizeof(num[i]), "%d", (int)pids[i]);
		argv[k++] = "-p";
		argv[k++] = num[i];
	}
	argv[k] = NULL;
	tracer = tb_spawn(r->tb, "strace", argv, NULL);
	/* counted from when every process is traced */
	end = bench_now_s() + 30;
	for (size_t i = 0; i < n && bench_now_s() < end;) {
		/* traced, or gone */
		if (bench_proc_field(pids[i], "status", "TracerPid") != 0)
			i++;
		else
			usleep(10000);
	}
	cost_reads(r, &a);
	t0 = bench_now_s();
	tb_pump(r->tb, (int)(window_s * 1000));
	cost_reads(r, &b);
	*ret_s = bench_now_s() - t0;
	tb_stop(r->tb, tracer, SIGINT);
	*ret_reads = health_reads(&a, &b, ret_vpd);
	ok = parse_strace_summary(out, ret);
	if (!ok)
		printf("  syscalls: strace gave no summary (see %s)\n", out);
	else
		qsort(ret->top, ret->n, sizeof(ret->top[0]), cmp_calls);
	free(argv);
	free(num);
	return ok;
}

/* Private_Dirty of one process in kB; -1 when it is gone. */
static long dirty_kb(pid_t pid)
{
	return bench_proc_field(pid, "smaps_rollup", "Private_Dirty");
}

/*
 * Voluntary context switches of nvmed and its descendants per second
 * while no read is due: nvmed polling every COST_IDLE_POLL_MS, sampled
 * every COST_IDLE_STEP_MS for window_s; a step counts as idle when the
 * emulator saw no transfer in it nor in the COST_IDLE_MARGIN steps either
 * side. Returns the rate, *ret_idle_s the idle time it was taken over.
 */
static double cost_idle(unsigned n, bool own, double window_s,
			double *ret_idle_s)
{
	size_t steps = (size_t)(window_s * 1000 / COST_IDLE_STEP_MS) + 1;
	_cleanup_free_ unsigned long long *sw = calloc(steps, sizeof(*sw));
	_cleanup_free_ long long *xfer = calloc(steps, sizeof(*xfer));
	_cleanup_free_ double *at = calloc(steps, sizeof(*at));
	struct bench_tally tally;
	unsigned long long switches = 0;
	struct run r = { 0 };
	double idle_s = 0;

	if (!sw || !xfer || !at)
		abort();
	cost_start(&r, n, own, COST_IDLE_POLL_MS);
	tb_pump(r.tb, 2000);
	bench_tally_init(&tally, r.pid);
	for (size_t i = 0; i < steps; i++) {
		struct bench_totals t;
		struct cost_reads c;

		if (i)
			tb_pump(r.tb, COST_IDLE_STEP_MS);
		bench_tally_sample(&tally);
		bench_tally_totals(&tally, &t);
		cost_reads(&r, &c);
		sw[i] = t.nvcsw;
		xfer[i] = c.transfers;
		at[i] = bench_now_s();
	}
	/* step i: from sample i to i + 1 */
	for (size_t i = COST_IDLE_MARGIN; i + COST_IDLE_MARGIN + 1 < steps;
	     i++) {
		if (xfer[i + COST_IDLE_MARGIN + 1] !=
		    xfer[i - COST_IDLE_MARGIN])
			continue;
		switches += sw[i + 1] - sw[i];
		idle_s += at[i + 1] - at[i];
	}
	bench_tally_free(&tally);
	stop(&r);
	*ret_idle_s = idle_s;
	return idle_s > 0 ? (double)switches / idle_s : NAN;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/*
 * One run: n drives on COST_BUSES root buses (or each on its own), 1 s
 * polls. A CPU window (sampled, nothing else attached), then a syscall
 * window under strace, then an idle run of its own at 10 s polls.
 */
static void cost_run(unsigned n, bool own)
{
	struct run r = { 0 };
	struct bench_tally tally;
	struct bench_totals t0, t1;
	struct cost_reads c0, c1;
	struct cost_syscalls sys;
	long long reads, vpd, ticks0, ticks1, sys_reads = 0, sys_vpd = 0;
	long hz = sysconf(_SC_CLK_TCK);
	double s0, s1, end, window = cost_window_s(), sys_s = 0, idle_s = 0;
	double idle, per;
	pid_t pids[1200];
	long workers[1200];
	size_t n_pids, n_workers = 0;
	long dirty_all = 0, dirty_main;
	bool have_sys;
	char layout[64];

	if (own)
		snprintf(layout, sizeof(layout), "each on its own root bus");
	else
		snprintf(layout, sizeof(layout),
			 "on %u root buses, %u a bus at 0x10..0x%02x",
			 COST_BUSES, n / COST_BUSES, 0x10 + n / COST_BUSES - 1);
	cost_start(&r, n, own, POLL_MS);
	tb_pump(r.tb, (int)(cost_env_s("BENCH_SETTLE_S", 3) * 1000));

	bench_tally_init(&tally, r.pid);
	bench_tally_sample(&tally);
	bench_tally_totals(&tally, &t0);
	ticks0 = bench_family_cpu_ticks(r.pid);
	cost_reads(&r, &c0);
	s0 = bench_now_s();
	end = s0 + window;
	while (bench_now_s() < end) {
		double left = end - bench_now_s();

		tb_pump(r.tb, left * 1000 < COST_SAMPLE_MS ?
				      (int)(left * 1000) + 1 :
				      COST_SAMPLE_MS);
		bench_tally_sample(&tally);
	}
	cost_reads(&r, &c1);
	ticks1 = bench_family_cpu_ticks(r.pid);
	bench_tally_totals(&tally, &t1);
	s1 = bench_now_s();
	reads = health_reads(&c0, &c1, &vpd);

	/* memory at the end of the window */
	n_pids = bench_family(r.pid, pids, ARRAY_SIZE(pids));
	dirty_main = dirty_kb(r.pid);
	for (size_t i = 0; i < n_pids; i++) {
		long d = dirty_kb(pids[i]);

		if (d < 0)
			continue;
		dirty_all += d;
		if (i)
			workers[n_workers++] = d;
	}

	have_sys = cost_syscalls(
		&r, cost_env_s("BENCH_SYSCALL_WINDOW_S", window / 2), &sys,
		&sys_reads, &sys_vpd, &sys_s);
	bench_tally_free(&tally);
	stop(&r);

	idle = cost_idle(n, own, cost_env_s("BENCH_IDLE_S", 30), &idle_s);

	per = reads > 0 ? 1.0 / (double)reads : NAN;
	printf("\nSMBus cost, %u drives %s: basic command, 1 s polls, "
	       "1 ms bus time a health read\n",
	       n, layout);
	printf("  %-44s %.1f s\n", "window", s1 - s0);
	printf("  %-44s %zu / %zu (nvmed + %zu; %zu tasks gone)\n",
	       "processes / threads", t1.procs, t1.threads,
	       t1.procs ? t1.procs - 1 : 0, t1.tasks_gone);
	printf("  %-44s %lld (%.3f per drive per s; + %lld VPD reads)\n",
	       "reads (command 0 transfers at the emulator)", reads,
	       (double)reads / n / (s1 - s0), vpd);
	printf("  %-44s %.2f (nonvoluntary %.2f, timeslices %.2f)\n",
	       "voluntary context switches per read",
	       (double)(t1.nvcsw - t0.nvcsw) * per,
	       (double)(t1.nivcsw - t0.nivcsw) * per,
	       (double)(t1.slices - t0.slices) * per);
	if (have_sys && sys_reads > 0) {
		double xfers = (double)(sys_reads + sys_vpd) / sys_reads;

		printf("  %-44s %.2f (strace -c -f, %.1f s, %lld reads)\n",
		       "syscalls per read", (double)sys.total / sys_reads,
		       sys_s, sys_reads);
		/* the shim's send, poll and recv per transfer are one
		 * I2C_SMBUS ioctl on a real i2c-dev adapter; its socket,
		 * connect, send, poll and recv per open are openat and
		 * two ioctls (I2C_SLAVE_FORCE, I2C_PEC) */
		printf("  %-44s %.2f (%.3f transfers and %.3f opens a read; "
		       "a transfer: 3 syscalls in the shim, 1 ioctl on "
		       "i2c-dev; an open: 5 in the shim, 3 on i2c-dev)\n",
		       "syscalls per read, a real adapter",
		       (double)(sys.total - 2 * sys.connects) / sys_reads -
			       2 * xfers,
		       xfers, (double)sys.connects / sys_reads);
		printf("  %-44s", "  of them");
		for (size_t i = 0; i < sys.n; i++)
			printf(" %s %.2f", sys.top[i].name,
			       (double)sys.top[i].calls / sys_reads);
		printf("\n");
	} else {
		printf("  %-44s -\n", "syscalls per read");
	}
	printf("  %-44s %.1f us (schedstat; utime+stime+reaped: %.0f us, "
	       "%.0f ms ticks)\n",
	       "CPU per read", (double)(t1.run_ns - t0.run_ns) / 1e3 * per,
	       (double)(ticks1 - ticks0) * 1e6 / (double)hz * per,
	       1000.0 / (double)hz);
	printf("  %-44s %.2f %%\n", "CPU, of one core",
	       100.0 * (double)(t1.run_ns - t0.run_ns) / 1e9 / (s1 - s0));
	printf("  %-44s %ld kB (nvmed %ld kB, %zu workers %ld kB)\n",
	       "Private_Dirty, all processes", dirty_all, dirty_main, n_workers,
	       dirty_all - dirty_main);
	if (n_workers) {
		qsort(workers, n_workers, sizeof(workers[0]), cmp_long);
		printf("  %-44s min %ld, median %ld, max %ld kB\n",
		       "Private_Dirty, each worker", workers[0],
		       workers[n_workers / 2], workers[n_workers - 1]);
		for (size_t i = 0; i < n_workers; i++)
			printf("%s%ld%s", i % 16 ? " " : "    ", workers[i],
			       i % 16 == 15 || i + 1 == n_workers ? "\n" : "");
	}
	printf("  %-44s %.2f (%.0f s between polls at %d s)\n",
	       "wake-ups per second while idle", idle, idle_s,
	       COST_IDLE_POLL_MS / 1000);
}

/* BENCH_COST_RUNS: e.g. "16,64,256,64own,256own" (the default) */
static void cost(void)
{
	const char *runs = getenv("BENCH_COST_RUNS");
	_cleanup_free_ char *copy =
		strdup(runs ? runs : "16,64,256,64own,256own");
	char *save = NULL;

	if (!copy)
		abort();
	for (char *p = strtok_r(copy, ", ", &save); p;
	     p = strtok_r(NULL, ", ", &save)) {
		unsigned n = (unsigned)atoi(p);

		if (n == 0 || (!strstr(p, "own") && n % COST_BUSES)) {
			fprintf(stderr, "BENCH_COST_RUNS: %s?\n", p);
			abort();
		}
		cost_run(n, strstr(p, "own") != NULL);
	}
}

static void bench(void **state)
{
	const char *only = getenv("BENCH_ONLY");

	if (only && strcmp(only, "update") == 0) {
		update_time(64);
		return;
	}
	if (only && strcmp(only, "cost") == 0) {
		cost();
		return;
	}
	if (only && strcmp(only, "smbus-hold") == 0) {
		smbus = true;
		hold_latency(64);
		hold_latency(256);
		return;
	}
	for (int mode = 0; mode < 2; mode++) {
		smbus = mode == 1;
		if (only && strcmp(only, smbus ? "smbus" : "mctp") != 0)
			continue;
		cpu_per_poll(1);
		cpu_per_poll(64);
		cpu_per_poll(256);
		get_latency(64);
		get_latency(256);
		if (!smbus)
			update_time(64);
		if (smbus) {
			hold_latency(64);
			hold_latency(256);
		}
	}
	if (!only)
		cost();
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = { cmocka_unit_test(bench) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
