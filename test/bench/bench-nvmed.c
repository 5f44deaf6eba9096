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
 * Env: BENCH_WINDOW_S (default 10) sets the measurement windows;
 * BENCH_ONLY=mctp or smbus runs one half, BENCH_ONLY=smbus-hold only the
 * hold cases.
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

static void bench(void **state)
{
	const char *only = getenv("BENCH_ONLY");

	if (only && strcmp(only, "update") == 0) {
		update_time(64);
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
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const struct CMUnitTest tests[] = { cmocka_unit_test(bench) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
