// SPDX-License-Identifier: Apache-2.0
/*
 * soak: both daemons under a long run of faults and edges (figures, not
 * pass/fail; README.md, Reliability).
 *
 *   soak [nvmed] [cable]      the parts the build has (meson passes them)
 *
 * nvmed: 256 NVMe-MI drives (nvme-mi-emu through libmctp-shim.so, two
 * networks, so two I/O workers) polled every 100 ms (the minimum) until
 * the drives have had SOAK_POLLS NVMe-MI requests (health polls and the
 * SMART/Identify between them, counted by the emulator). Meanwhile a
 * fault from the emulator's control socket is put on a random healthy
 * drive every 50-350 ms and taken off again 0.5-4 s later: a missed,
 * late, slow, corrupted, truncated or refused reply, a silent drive,
 * critical warnings, temperatures (also "no data" and "sensor failure"),
 * spare and wear, not functional or not ready, a power cycle or a swap
 * (both take the EID away; the drive gets it back by an MCTP Set
 * Endpoint ID, as mctpd would give it).
 *
 * cable-presenced: 1,000 lines (libgpiod-sim, 8 chips) flapped in
 * batches of 50 distinct lines, each batch waited for (one Present
 * PropertiesChanged per edge), until SOAK_EDGES edges. Meanwhile a line
 * file vanishes every 100-500 ms for 0.5-3 s, and every 5-10 s a whole
 * chip directory (125 lines: an expander unplugged) for 1-3 s; the
 * daemon retries them on its poll (1 s). Only lines the daemon has back
 * (Functional true) are flapped.
 *
 * For each: RSS and private dirty memory (smaps_rollup; nvmed with its
 * workers) every second, growth from the first to the last tenth of the
 * samples (means), descriptors at start and end, CPU (utime + stime,
 * workers and reaped workers included) per poll or edge.
 *
 * Env: SOAK_POLLS (100000), SOAK_EDGES (100000), SOAK_SEED (default:
 * from the clock; printed), SOAK_ONLY=nvmed|cable, SOAK_DRIVES (256),
 * SOAK_CABLES (1000); SOAK_SAMPLES=1 prints every memory sample.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "bench-util.h"
#include "emu-harness.h"
#include "macros.h"
#include "testbed.h"

#define NVME	 "xyz.openbmc_project.NVMe"
#define SENSOR	 "/xyz/openbmc_project/sensors/temperature/NVMe_"
#define VALUE_IF "xyz.openbmc_project.Sensor.Value"
#define AVAIL_IF "xyz.openbmc_project.State.Decorator.Availability"
#define POLL_MS	 100

#define CABLES_SVC    "xyz.openbmc_project.GPIOCableSensing"
#define CABLES_OM     "/xyz/openbmc_project/inventory"
#define CABLE_ITEM    CABLES_OM "/item/cable"
#define I_ITEM	      "xyz.openbmc_project.Inventory.Item"
#define I_CABLE	      "xyz.openbmc_project.Inventory.Item.Cable"
#define I_STATUS      "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define N_CHIPS	      BENCH_GPIO_CHIPS
#define CABLE_POLL_MS 1000
#define BATCH	      50

/* ---- seeded randomness (splitmix64: the same on every libc) ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* lo..hi inclusive */
static unsigned rnd_range(unsigned lo, unsigned hi)
{
	return lo + (unsigned)(rnd() % (hi - lo + 1));
}

/* A number from the environment within min..max, else def. */
static long long env_ll(const char *name, long long def, long long min,
			long long max)
{
	const char *v = getenv(name);
	long long n;

	if (!v || !*v)
		return def;
	n = atoll(v);
	return n >= min && n <= max ? n : def;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* The machine is shared: print its load with the figures. */
static void print_load(const char *tag, const char *when)
{
	char buf[128] = "";
	FILE *f = fopen("/proc/loadavg", "re");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	printf("%s load average (/proc/loadavg) %s: %s\n", tag, when, buf);
}

/* ---- memory samples ---- */

struct sampler {
	pid_t pid;
	size_t n, cap;
	double *rss, *dirty; /* kB */
	double *main_rss, *main_dirty; /* kB, of the daemon's own process */
	size_t procs; /* processes in the last sample */
	int *fds; /* open descriptors */
	double next;
	const char *end_note; /* what the last sample was taken after */
};

static void sample(struct sampler *s)
{
	struct bench_mem m;

	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->rss = realloc(s->rss, s->cap * sizeof(double));
		s->dirty = realloc(s->dirty, s->cap * sizeof(double));
		s->main_rss = realloc(s->main_rss, s->cap * sizeof(double));
		s->main_dirty = realloc(s->main_dirty, s->cap * sizeof(double));
		s->fds = realloc(s->fds, s->cap * sizeof(int));
		if (!s->rss || !s->dirty || !s->main_rss || !s->main_dirty ||
		    !s->fds)
			abort();
	}
	bench_family_memory(s->pid, &m);
	s->procs = m.procs;
	s->rss[s->n] = (double)m.rss_kb;
	s->dirty[s->n] = (double)m.dirty_kb;
	s->main_rss[s->n] = (double)m.main_rss_kb;
	s->main_dirty[s->n] = (double)m.main_dirty_kb;
	s->fds[s->n] = bench_family_fd_count(s->pid);
	if (getenv("SOAK_SAMPLES"))
		printf("sample %zu: %zu processes, Rss %llu kB (itself %llu), "
		       "Private_Dirty %llu kB (itself %llu), %d descriptors\n",
		       s->n, m.procs, m.rss_kb, m.main_rss_kb, m.dirty_kb,
		       m.main_dirty_kb, s->fds[s->n]);
	s->n++;
}

/* Sample once a second: call often. */
static void sample_due(struct sampler *s, double now)
{
	if (now < s->next)
		return;
	sample(s);
	s->next = now + 1.0;
}

static double mean(const double *v, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += v[i];
	return n ? sum / (double)n : 0;
}

static double max_of(const double *v, size_t n)
{
	double m = 0;

	for (size_t i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

/* From the mean of the tenth of the n samples that starts at sample
 * `from` to the mean of the last tenth. */
static void growth(const char *what, const double *v, size_t n, size_t from,
		   char *out, size_t size)
{
	size_t k = n / 10 ? n / 10 : 1;
	double a = mean(v + from, k), b = mean(v + n - k, k);

	snprintf(out, size, "%s %.0f -> %.0f kB (%+.0f kB, %+.2f %%)", what, a,
		 b, b - a, a > 0 ? 100.0 * (b - a) / a : 0.0);
}

static int fds_min(const struct sampler *s)
{
	int m = s->fds[0];

	for (size_t i = 1; i < s->n; i++)
		if (s->fds[i] < m)
			m = s->fds[i];
	return m;
}

static int fds_max(const struct sampler *s)
{
	int m = s->fds[0];

	for (size_t i = 1; i < s->n; i++)
		if (s->fds[i] > m)
			m = s->fds[i];
	return m;
}

static void sampler_report(const char *tag, struct sampler *s)
{
	char rss[128], dirty[128];

	if (!s->n) {
		printf("%s memory: no samples\n", tag);
		return;
	}
	growth("Rss", s->rss, s->n, 0, rss, sizeof(rss));
	growth("Private_Dirty", s->dirty, s->n, 0, dirty, sizeof(dirty));
	printf("%s memory, %zu samples 1 s apart, mean of the first tenth -> "
	       "mean of the last tenth: %s; %s; highest sample Rss %.0f kB, "
	       "Private_Dirty %.0f kB\n",
	       tag, s->n, rss, dirty, max_of(s->rss, s->n),
	       max_of(s->dirty, s->n));
	if (s->procs > 1) {
		growth("Rss", s->main_rss, s->n, 0, rss, sizeof(rss));
		growth("Private_Dirty", s->main_dirty, s->n, 0, dirty,
		       sizeof(dirty));
		printf("%s of it the daemon's own process: %s; %s\n", tag, rss,
		       dirty);
	}
	/* A step at the start (pages first written, shared pages of forked
	 * workers copied) and a slope look alike in the figure above. */
	growth("Rss", s->rss, s->n, s->n / 2, rss, sizeof(rss));
	growth("Private_Dirty", s->dirty, s->n, s->n / 2, dirty, sizeof(dirty));
	printf("%s memory over the second half alone (the tenth from the "
	       "midpoint -> the last tenth): %s; %s\n",
	       tag, rss, dirty);
	printf("%s descriptors %d at the start, %d at the end (%s), %d to %d "
	       "over the samples\n",
	       tag, s->fds[0], s->fds[s->n - 1], s->end_note, fds_min(s),
	       fds_max(s));
}

static void sampler_free(struct sampler *s)
{
	free(s->rss);
	free(s->dirty);
	free(s->main_rss);
	free(s->main_dirty);
	free(s->fds);
}

/* ---- progress every 10 s: the count, and the CPU per unit since ---- */

struct progress {
	double next;
	long long count, ticks;
};

static void progress_due(struct progress *p, const char *tag, const char *unit,
			 double now, double t0, long long count,
			 long long ticks)
{
	long hz = sysconf(_SC_CLK_TCK);
	long long d = count - p->count;

	if (now < p->next)
		return;
	if (p->next > 0)
		printf("%s %.0f s: %lld %ss, %lld in the last 10 s, %.0f us "
		       "CPU per %s\n",
		       tag, now - t0, count, unit, d,
		       d > 0 ? (double)(ticks - p->ticks) * 1e6 / (double)hz /
				       (double)d :
			       0.0,
		       unit);
	p->next = (p->next > 0 ? now : t0) + 10;
	p->count = count;
	p->ticks = ticks;
}

/* ==== nvmed ==== */

/*
 * The emulator's fault modes (test/sim/mctp/README.md), each as the field
 * that puts it on a drive and the value that takes it off again.
 */
struct fault_kind {
	const char *name; /* as printed */
	const char *key; /* the scenario field */
	const char *set; /* its value; NULL: a random number lo..hi */
	int lo, hi;
	const char *clear; /* NULL: the EID back by a Set Endpoint ID */
};

static const struct fault_kind faults[] = {
	{ "miss", "miss", NULL, 1, 3, "0" },
	{ "silent", "silent", "true", 0, 0, "false" },
	/* beyond the 300 ms transaction timeout */
	{ "late", "late", NULL, 400, 800, "0" },
	{ "delay_ms", "delay_ms", NULL, 5, 20, "0" },
	{ "bad_mic", "bad_mic", "true", 0, 0, "false" },
	{ "truncate", "truncate", "true", 0, 0, "false" },
	{ "status", "status", NULL, 2, 7, "0" },
	{ "mpr_ms", "mpr_ms", NULL, 20, 50, "0" },
	/* Invalid Field, DNR */
	{ "admin_status", "admin_status", "16386", 0, 0, "0" },
	{ "link_bps", "link_bps", "100000", 0, 0, "0" },
	{ "critical_warning", "critical_warning", NULL, 1, 31, "0" },
	{ "temperature", "temperature", NULL, -20, 120, "35" },
	{ "no_data", "temperature", "\"no_data\"", 0, 0, "35" },
	{ "sensor_failure", "temperature", "\"sensor_failure\"", 0, 0, "35" },
	{ "available_spare", "available_spare", NULL, 0, 9, "100" },
	{ "percentage_used", "percentage_used", NULL, 90, 255, "0" },
	{ "functional=false", "functional", "false", 0, 0, "true" },
	{ "ready=false", "ready", "false", 0, 0, "true" },
	{ "power_cycle", "power_cycle", "true", 0, 0, NULL },
	{ "swap", "swap", "true", 0, 0, NULL },
};

#define N_FAULTS ARRAY_SIZE(faults)
#define F_NONE	 (-1)

struct nvmed_soak {
	struct testbed *tb;
	struct emu_proc emu;
	pid_t pid;
	unsigned n;
	int *fault; /* per drive: an index into faults[], F_NONE */
	double *until; /* ... when it is taken off */
	unsigned injected[N_FAULTS];
	unsigned long long faults, cleared, ctl_failures;
	pid_t workers[64]; /* every worker pid seen */
	size_t n_workers;
	int ctl_fd; /* the emulator's control socket */
	char ctl_buf[16384];
};

/* One control request; false (counted) when the emulator refused it. */
static const char *ctl_call(struct nvmed_soak *s, const char *line);

static bool ctl(struct nvmed_soak *s, const char *line, const char *want)
{
	const char *reply = ctl_call(s, line);

	if (!reply || !strstr(reply, want)) {
		if (s->ctl_failures++ < 5)
			fprintf(stderr, "control \"%s\": %s\n", line,
				reply ? reply : "no reply");
		return false;
	}
	return true;
}

static bool drive_ctl(struct nvmed_soak *s, unsigned i, const char *fields)
{
	char line[256];

	snprintf(line, sizeof(line), "{\"bus\": %u, \"address\": %u, %s}",
		 BENCH_BUS(i), BENCH_ADDRESS, fields);
	return ctl(s, line, "{\"ok\":true");
}

/* MCTP Set Endpoint ID (operation "set") to drive i's own EID, through
 * the emulator's physical addressing; the reply must be a success with
 * the EID accepted. */
static bool set_eid(struct nvmed_soak *s, unsigned i)
{
	char line[256], want[64];

	snprintf(line, sizeof(line),
		 "{\"mctp_control\": {\"bus\": %u, \"address\": %u, "
		 "\"request\": \"00800100%02x\"}}",
		 BENCH_BUS(i), BENCH_ADDRESS, BENCH_EID(i));
	snprintf(want, sizeof(want), "\"response\":\"0000010000%02x",
		 BENCH_EID(i));
	return ctl(s, line, want);
}

static void fault_inject(struct nvmed_soak *s, double now)
{
	char fields[128];
	const struct fault_kind *k;
	unsigned f = rnd_range(0, N_FAULTS - 1);
	unsigned i = 0;
	int tries;

	for (tries = 0; tries < 16; tries++) {
		i = rnd_range(0, s->n - 1);
		if (s->fault[i] == F_NONE)
			break;
	}
	if (tries == 16)
		return;
	k = &faults[f];
	if (k->set)
		snprintf(fields, sizeof(fields), "\"%s\": %s", k->key, k->set);
	else
		snprintf(fields, sizeof(fields), "\"%s\": %d", k->key,
			 k->lo + (int)rnd_range(0, (unsigned)(k->hi - k->lo)));
	if (!drive_ctl(s, i, fields))
		return;
	s->fault[i] = (int)f;
	s->until[i] = now + rnd_range(500, 4000) / 1000.0;
	s->injected[f]++;
	s->faults++;
}

static void fault_clear(struct nvmed_soak *s, unsigned i)
{
	const struct fault_kind *k = &faults[s->fault[i]];
	char fields[128];

	snprintf(fields, sizeof(fields), "\"%s\": %s", k->key,
		 k->clear ? k->clear : "");
	if (k->clear ? drive_ctl(s, i, fields) : set_eid(s, i))
		s->cleared++;
	s->fault[i] = F_NONE;
}

/* Take off the faults whose time is up (all with force); returns when
 * the next one is due. */
static double faults_expire(struct nvmed_soak *s, double now, bool force)
{
	double next = now + 1.0;

	for (unsigned i = 0; i < s->n; i++) {
		if (s->fault[i] == F_NONE)
			continue;
		if (force || s->until[i] <= now)
			fault_clear(s, i);
		else if (s->until[i] < next)
			next = s->until[i];
	}
	return next;
}

/*
 * The emulator's control socket, one connection for the whole run: one
 * request line, one reply line. (Not "list": the emulator sends a reply
 * with one non-blocking send, and 256 drives' worth is cut short.)
 */
static int ctl_open(struct nvmed_soak *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(s->emu.control) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, s->emu.control);
	s->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->ctl_fd < 0)
		return -errno;
	if (connect(s->ctl_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return -errno;
	return 0;
}

/* The reply line (in s->ctl_buf, no newline), or NULL. */
static const char *ctl_call(struct nvmed_soak *s, const char *line)
{
	size_t len = 0;
	char *nl;

	if (send(s->ctl_fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    send(s->ctl_fd, "\n", 1, MSG_NOSIGNAL) < 0)
		return NULL;
	while (!(nl = memchr(s->ctl_buf, '\n', len))) {
		struct pollfd pfd = { .fd = s->ctl_fd, .events = POLLIN };
		ssize_t n;

		if (len == sizeof(s->ctl_buf) || poll(&pfd, 1, 10000) <= 0)
			return NULL;
		n = recv(s->ctl_fd, s->ctl_buf + len, sizeof(s->ctl_buf) - len,
			 0);
		if (n <= 0)
			return NULL;
		len += (size_t)n;
	}
	*nl = '\0';
	return s->ctl_buf;
}

/* NVMe-MI requests all drives have had, from the emulator's counters. */
static long long requests_total(struct nvmed_soak *s)
{
	const char *key = "\"requests\":", *reply, *p;
	long long total = 0;
	char line[96];

	for (unsigned i = 0; i < s->n; i++) {
		snprintf(line, sizeof(line),
			 "{\"get\": {\"bus\": %u, \"address\": %u}}",
			 BENCH_BUS(i), BENCH_ADDRESS);
		reply = ctl_call(s, line);
		p = reply ? strstr(reply, key) : NULL;
		if (!p)
			return -1;
		total += atoll(p + strlen(key));
	}
	return total;
}

static void workers_note(struct nvmed_soak *s)
{
	pid_t pids[600];
	size_t n = bench_family(s->pid, pids, ARRAY_SIZE(pids));

	for (size_t i = 1; i < n; i++) {
		size_t k;

		for (k = 0; k < s->n_workers; k++)
			if (s->workers[k] == pids[i])
				break;
		if (k == s->n_workers && k < ARRAY_SIZE(s->workers))
			s->workers[s->n_workers++] = pids[i];
	}
}

/* Drives whose sensor reads the scenario's temperature and is available. */
static unsigned drives_healthy(struct nvmed_soak *s)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < s->n; i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		char path[128];
		double v = 0;
		int avail = 0;

		snprintf(path, sizeof(path), SENSOR "%u", i);
		if (sd_bus_get_property_trivial(tb_bus(s->tb), NVME, path,
						VALUE_IF, "Value", &err, 'd',
						&v) >= 0 &&
		    sd_bus_get_property_trivial(tb_bus(s->tb), NVME, path,
						AVAIL_IF, "Available", &err,
						'b', &avail) >= 0 &&
		    v > BENCH_DRIVE_TEMP - 0.01 &&
		    v < BENCH_DRIVE_TEMP + 0.01 && avail)
			ok++;
		sd_bus_error_free(&err);
	}
	return ok;
}

/* After the last faults are cleared: wait until every drive is healthy
 * again (a drive that timed out is retried after up to 30 s). Returns
 * how long it took, and the healthy drives in *ret_ok. */
static double drives_recover(struct nvmed_soak *s, unsigned *ret_ok)
{
	double t0 = bench_now_s();
	unsigned ok;

	while ((ok = drives_healthy(s)) < s->n && bench_now_s() - t0 < 45)
		tb_pump(s->tb, 500);
	*ret_ok = ok;
	return bench_now_s() - t0;
}

static int nvmed_start(struct nvmed_soak *s)
{
	_cleanup_free_ char *sc = bench_mi_scenario(s->n);
	char preload[4200], sock[4200], path[128];
	const char *env[] = { preload, sock, NULL };

	s->tb = tb_new();
	if (emu_start(&s->emu, sc) < 0 || ctl_open(s) < 0) {
		fprintf(stderr, "nvme-mi-emu did not start\n");
		return -ECHILD;
	}
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("mctp-shim-preload"));
	snprintf(sock, sizeof(sock), "MCTP_SHIM_SOCK=%s", s->emu.sock);
	{
		const char *argv[] = { tb_prog("nvmed"),
				       "--config",
				       bench_mi_config(s->tb, s->n),
				       "--poll-interval-ms",
				       "100",
				       NULL };

		s->pid = tb_spawn(s->tb, "nvmed", argv, env);
	}
	if (tb_wait_name(s->tb, NVME, 60000) < 0) {
		fprintf(stderr, "nvmed never owned %s\n", NVME);
		return -ETIMEDOUT;
	}
	for (unsigned i = 0; i < s->n; i++) {
		snprintf(path, sizeof(path), SENSOR "%u", i);
		if (tb_wait_double(s->tb, NVME, path, VALUE_IF, "Value",
				   BENCH_DRIVE_TEMP, 0.01, 60000) < 0) {
			fprintf(stderr, "drive %u never answered\n", i);
			return -ETIMEDOUT;
		}
	}
	return 0;
}

static void nvmed_print_faults(struct nvmed_soak *s)
{
	char buf[1024];
	size_t off = 0;

	for (size_t f = 0; f < N_FAULTS; f++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s %u",
					f ? ", " : "", faults[f].name,
					s->injected[f]);
	printf("soak nvmed: %llu faults injected on random drives and %llu "
	       "cleared (%llu control requests refused): %s\n",
	       s->faults, s->cleared, s->ctl_failures, buf);
}

/* Faults and samples until the drives have had `want` requests. */
static long long nvmed_loop(struct nvmed_soak *s, struct sampler *smp,
			    long long want, long long q0, double t0)
{
	double cap_s = 3.0 * (double)want / (s->n * 1000.0 / POLL_MS);
	double next_fault = t0, next_count = t0 + 2.0;
	struct progress prog = { 0 };
	long long polls = 0, q;

	if (cap_s < 120)
		cap_s = 120;
	for (;;) {
		double now = bench_now_s(), next_clear, wake;

		sample_due(smp, now);
		if (now >= next_count) {
			workers_note(s);
			q = requests_total(s);
			if (q >= 0)
				polls = q - q0;
			if (polls >= want || now - t0 > cap_s)
				return polls;
			next_count = now + 2.0;
		}
		if (now >= prog.next)
			progress_due(&prog, "soak nvmed:", "poll", now, t0,
				     polls, bench_family_cpu_ticks(s->pid));
		if (now >= next_fault) {
			fault_inject(s, now);
			next_fault = now + rnd_range(50, 350) / 1000.0;
		}
		next_clear = faults_expire(s, now, false);
		wake = next_fault < next_clear ? next_fault : next_clear;
		if (smp->next < wake)
			wake = smp->next;
		sleep_s(wake - bench_now_s());
	}
}

/* What a run measured, for nvmed_report. */
struct nvmed_figures {
	long long want, polls, ticks;
	double secs, back_s;
	unsigned healthy;
	size_t workers0, workers1;
};

static void nvmed_report(struct nvmed_soak *s, const struct nvmed_figures *f,
			 struct sampler *smp)
{
	double cpu_s = (double)f->ticks / (double)sysconf(_SC_CLK_TCK);

	printf("soak nvmed: %lld polls (NVMe-MI requests the emulator "
	       "received) in %.1f s, %.0f per second%s\n",
	       f->polls, f->secs, (double)f->polls / f->secs,
	       f->polls < f->want ? " (STOPPED at the time limit)" : "");
	nvmed_print_faults(s);
	printf("soak nvmed: CPU (nvmed + I/O workers, utime+stime) %.2f s, "
	       "%.1f us per poll, %.1f %% of one core\n",
	       cpu_s, f->polls > 0 ? cpu_s * 1e6 / (double)f->polls : 0.0,
	       100.0 * cpu_s / f->secs);
	printf("soak nvmed: after the last faults were cleared, %u of %u "
	       "drives read %d C and are available again, after %.1f s\n",
	       f->healthy, s->n, BENCH_DRIVE_TEMP, f->back_s);
	printf("soak nvmed: I/O workers %zu at the start, %zu at the end, "
	       "%zu different pids seen; nvmed %s\n",
	       f->workers0, f->workers1, s->n_workers,
	       tb_alive(s->tb, s->pid) ? "running" : "GONE");
	sampler_report("soak nvmed:", smp);
}

static size_t workers_now(struct nvmed_soak *s)
{
	pid_t pids[600];

	return bench_family(s->pid, pids, ARRAY_SIZE(pids)) - 1;
}

/* The run itself, once every drive answers. */
static int nvmed_measure(struct nvmed_soak *s, struct sampler *smp,
			 struct nvmed_figures *f)
{
	long long q0, c0;
	double t0, t1;

	tb_pump(s->tb, 2000); /* past the start-up transactions */
	smp->pid = s->pid;
	f->workers0 = workers_now(s);
	workers_note(s);
	c0 = bench_family_cpu_ticks(s->pid);
	q0 = requests_total(s);
	t0 = bench_now_s();
	if (q0 < 0) {
		fprintf(stderr, "cannot read the emulator's counters\n");
		return -EIO;
	}
	print_load("soak nvmed:", "at the start");
	f->polls = nvmed_loop(s, smp, f->want, q0, t0);
	t1 = bench_now_s();
	f->ticks = bench_family_cpu_ticks(s->pid) - c0;
	f->secs = t1 - t0;
	faults_expire(s, t1, true);
	f->back_s = drives_recover(s, &f->healthy);
	tb_pump(s->tb, 2000);
	smp->end_note = "every drive healthy again, then 2 s";
	sample(smp);
	workers_note(s);
	f->workers1 = workers_now(s);
	return 0;
}

static int soak_nvmed(unsigned n, long long want)
{
	struct nvmed_soak s = { .n = n, .ctl_fd = -1 };
	struct nvmed_figures f = { .want = want };
	struct sampler smp = { 0 };
	int r = -ENOMEM;

	s.fault = calloc(n, sizeof(*s.fault));
	s.until = calloc(n, sizeof(*s.until));
	if (!s.fault || !s.until)
		goto out;
	for (unsigned i = 0; i < n; i++)
		s.fault[i] = F_NONE;
	printf("soak nvmed: %u NVMe-MI drives on %u networks, "
	       "--poll-interval-ms %d, until %lld polls\n",
	       n, BENCH_NET(n - 1), POLL_MS, want);
	r = nvmed_start(&s);
	if (r >= 0)
		r = nvmed_measure(&s, &smp, &f);
	if (r >= 0) {
		nvmed_report(&s, &f, &smp);
		print_load("soak nvmed:", "at the end");
	}
out:
	if (s.tb && r < 0)
		tb_fail(s.tb);
	if (s.tb && s.pid > 0)
		tb_stop(s.tb, s.pid, SIGTERM);
	if (s.ctl_fd >= 0)
		close(s.ctl_fd);
	emu_stop(&s.emu);
	if (s.tb)
		tb_free(s.tb);
	sampler_free(&smp);
	free(s.fault);
	free(s.until);
	return r;
}

/* ==== cable-presenced ==== */

struct cable_soak {
	struct testbed *tb;
	char gpio[512];
	int n;
	int *level; /* physical level of the line file */
	bool *gone; /* its file, or its chip, is away */
	bool *functional; /* as the daemon last published it */
	bool *pending; /* an edge written, its Present not seen yet */
	double *back_at; /* > 0: when a line away on its own returns */
	int pending_n;
	int chip_gone; /* -1: none */
	double chip_back_at;
	long long edges, seen, missed, wrong, unexpected;
	long long lines_vanished, chips_vanished, returns_seen;
};

static void note_present(struct cable_soak *s, int i, int present)
{
	if (!s->pending[i]) {
		s->unexpected++;
		return;
	}
	s->pending[i] = false;
	s->pending_n--;
	s->seen++;
	if (present != (s->level[i] == 0)) /* active low */
		s->wrong++;
}

static void note_functional(struct cable_soak *s, int i, int functional)
{
	if (functional && !s->functional[i] && !s->gone[i])
		s->returns_seen++;
	s->functional[i] = functional;
}

static int on_cable_changed(sd_bus_message *m, void *userdata,
			    sd_bus_error *ret_error)
{
	struct cable_soak *s = userdata;
	const char *path = sd_bus_message_get_path(m), *iface, *prop;
	int i, v;

	if (!path || strncmp(path, CABLE_ITEM, strlen(CABLE_ITEM)))
		return 0;
	i = atoi(path + strlen(CABLE_ITEM));
	if (i < 0 || i >= s->n || sd_bus_message_read(m, "s", &iface) < 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") <= 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		bool present = !strcmp(iface, I_ITEM),
		     status = !strcmp(iface, I_STATUS);

		if (sd_bus_message_read(m, "s", &prop) < 0)
			return 0;
		if ((present && !strcmp(prop, "Present")) ||
		    (status && !strcmp(prop, "Functional"))) {
			if (sd_bus_message_read(m, "v", "b", &v) < 0)
				return 0;
			if (present)
				note_present(s, i, v);
			else
				note_functional(s, i, v);
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return 0;
		}
		if (sd_bus_message_exit_container(m) < 0)
			return 0;
	}
	return 0;
}

static bool eligible(struct cable_soak *s, int i)
{
	return !s->gone[i] && s->functional[i] && !s->pending[i];
}

static bool some_pending(struct cable_soak *s)
{
	return s->pending_n > 0;
}

static bool some_away(struct cable_soak *s)
{
	for (int i = 0; i < s->n; i++)
		if (!s->functional[i])
			return true;
	return false;
}

/* Process the bus while busy(s), up to timeout_ms; 0 or -ETIMEDOUT. */
static int pump_while(struct cable_soak *s, bool (*busy)(struct cable_soak *),
		      int timeout_ms)
{
	sd_bus *bus = tb_bus(s->tb);
	double end = bench_now_s() + timeout_ms / 1000.0;
	int r;

	while (busy(s)) {
		r = sd_bus_process(bus, NULL);
		if (r < 0)
			return r;
		if (r > 0)
			continue;
		if (bench_now_s() > end)
			return -ETIMEDOUT;
		r = sd_bus_wait(bus, 100000);
		if (r < 0 && r != -EINTR)
			return r;
	}
	return 0;
}

/* Flap up to BATCH distinct lines and wait for their PropertiesChanged. */
static void flap_batch(struct cable_soak *s)
{
	for (int t = 0, picked = 0; t < 4 * BATCH && picked < BATCH; t++) {
		int i = (int)rnd_range(0, (unsigned)s->n - 1);

		if (!eligible(s, i))
			continue;
		s->pending[i] = true;
		s->pending_n++;
		s->level[i] = !s->level[i];
		bench_gpio_line_set(s->gpio, i, s->level[i]);
		s->edges++;
		picked++;
	}
	if (pump_while(s, some_pending, 10000) < 0) {
		s->missed += s->pending_n;
		for (int i = 0; i < s->n; i++)
			s->pending[i] = false;
		s->pending_n = 0;
	}
}

static void line_vanish(struct cable_soak *s, double now)
{
	char path[700];

	for (int t = 0; t < 16; t++) {
		int i = (int)rnd_range(0, (unsigned)s->n - 1);

		if (!eligible(s, i))
			continue;
		bench_gpio_line_path(path, sizeof(path), s->gpio, i);
		if (unlink(path) < 0) {
			fprintf(stderr, "unlink %s: %s\n", path,
				strerror(errno));
			exit(EXIT_FAILURE);
		}
		s->gone[i] = true;
		s->functional[i] = false;
		s->back_at[i] = now + rnd_range(500, 3000) / 1000.0;
		s->lines_vanished++;
		return;
	}
}

/* The whole chip directory (its line files, the rename's temporary). */
static void chip_vanish(struct cable_soak *s, double now)
{
	int k = (int)rnd_range(0, N_CHIPS - 1);
	char path[700];

	if (s->chip_gone >= 0)
		return;
	for (int i = k; i < s->n; i += N_CHIPS)
		if (s->back_at[i] > 0)
			return; /* a line of it is away on its own */
	for (int i = k; i < s->n; i += N_CHIPS) {
		bench_gpio_line_path(path, sizeof(path), s->gpio, i);
		(void)unlink(path);
		s->gone[i] = true;
		s->functional[i] = false;
	}
	snprintf(path, sizeof(path), "%s/gpiochip%d/.tmp", s->gpio, k);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/gpiochip%d", s->gpio, k);
	if (rmdir(path) < 0) {
		fprintf(stderr, "rmdir %s: %s\n", path, strerror(errno));
		exit(EXIT_FAILURE);
	}
	s->chip_gone = k;
	s->chip_back_at = now + rnd_range(1000, 3000) / 1000.0;
	s->chips_vanished++;
}

/* Put back what is due (everything with force), at its old level. */
static void returns_due(struct cable_soak *s, double now, bool force)
{
	int k = s->chip_gone;

	for (int i = 0; i < s->n; i++) {
		if (s->back_at[i] <= 0 || (!force && s->back_at[i] > now))
			continue;
		bench_gpio_line_set(s->gpio, i, s->level[i]);
		s->gone[i] = false;
		s->back_at[i] = 0;
	}
	if (k < 0 || (!force && s->chip_back_at > now))
		return;
	for (int i = k; i < s->n; i += N_CHIPS) {
		bench_gpio_line_set(s->gpio, i, s->level[i]);
		s->gone[i] = false;
	}
	s->chip_gone = -1;
}

static int cable_start(struct cable_soak *s, pid_t *ret_pid)
{
	_cleanup_free_ char *cfg = bench_cable_records(s->n);
	char preload[600], simdir[600], poll[16];
	const char *env[] = { preload, simdir, NULL };
	const char *cfg_path = tb_path(s->tb, "cables.json");
	int count = 0;

	for (int i = 0; i < s->n; i++)
		bench_gpio_line_set(s->gpio, i, s->level[i]);
	tb_write_file(cfg_path, cfg);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", s->gpio);
	snprintf(poll, sizeof(poll), "%d", CABLE_POLL_MS);
	{
		const char *argv[] = { tb_prog("cable-presenced"),
				       "--poll-interval-ms",
				       poll,
				       "--config",
				       cfg_path,
				       NULL };

		*ret_pid = tb_spawn(s->tb, "cable-presenced", argv, env);
	}
	if (tb_wait_name(s->tb, CABLES_SVC, 120000) < 0)
		return -ETIMEDOUT;
	for (int t = 0; t < 300 && count != s->n; t++) {
		count = tb_count_objects(s->tb, CABLES_SVC, CABLES_OM, I_CABLE);
		if (count != s->n)
			tb_pump(s->tb, 100);
	}
	return count == s->n ? 0 : -ETIMEDOUT;
}

/* Edges, vanishing lines and samples until `want` edges. */
static void cable_loop(struct cable_soak *s, struct sampler *smp,
		       long long want, double t0)
{
	double next_line = t0 + 0.5, next_chip = t0 + 5;
	struct progress prog = { 0 };

	while (s->edges < want) {
		double now = bench_now_s();

		sample_due(smp, now);
		returns_due(s, now, false);
		if (now >= next_line) {
			line_vanish(s, now);
			next_line = now + rnd_range(100, 500) / 1000.0;
		}
		if (now >= next_chip) {
			chip_vanish(s, now);
			next_chip = now + rnd_range(5000, 10000) / 1000.0;
		}
		if (now >= prog.next)
			progress_due(&prog, "soak cable:", "edge", now, t0,
				     s->edges, bench_cpu_ticks(smp->pid));
		flap_batch(s);
	}
}

/* What a run measured, for cable_report. */
struct cable_figures {
	double secs;
	long long ticks, idle_ticks; /* idle: over IDLE_S before the run */
	bool all_back;
};

#define IDLE_S 5

static void cable_report(struct cable_soak *s, const struct cable_figures *f,
			 struct sampler *smp)
{
	long hz = sysconf(_SC_CLK_TCK);
	double cpu = (double)f->ticks / (double)hz,
	       idle = (double)f->idle_ticks / (double)hz / IDLE_S * f->secs;

	printf("soak cable: %lld edges in %.1f s, %.0f per second; one "
	       "Present PropertiesChanged seen for %lld, none within 10 s "
	       "for %lld, with the wrong value for %lld; %lld other "
	       "Present changes\n",
	       s->edges, f->secs, (double)s->edges / f->secs, s->seen,
	       s->missed, s->wrong, s->unexpected);
	printf("soak cable: %lld line files removed and put back, %lld chip "
	       "directories (%d lines each) removed and put back; lines the "
	       "daemon published Functional again: %lld; all back at the "
	       "end: %s\n",
	       s->lines_vanished, s->chips_vanished, s->n / N_CHIPS,
	       s->returns_seen, f->all_back ? "yes" : "NO");
	printf("soak cable: CPU (utime+stime) %.2f s, %.1f us per edge, "
	       "%.1f %% of one core; of it the %d ms poll of every line, "
	       "as measured idle: ~%.2f s (%.1f us per edge)\n",
	       cpu, cpu * 1e6 / (double)s->edges, 100.0 * cpu / f->secs,
	       CABLE_POLL_MS, idle, idle * 1e6 / (double)s->edges);
	printf("soak cable: cable-presenced %s\n",
	       tb_alive(s->tb, smp->pid) ? "running" : "GONE");
	sampler_report("soak cable:", smp);
}

static int cable_alloc(struct cable_soak *s, int n)
{
	s->n = n;
	s->chip_gone = -1;
	s->level = calloc((size_t)n, sizeof(*s->level));
	s->gone = calloc((size_t)n, sizeof(*s->gone));
	s->functional = calloc((size_t)n, sizeof(*s->functional));
	s->pending = calloc((size_t)n, sizeof(*s->pending));
	s->back_at = calloc((size_t)n, sizeof(*s->back_at));
	if (!s->level || !s->gone || !s->functional || !s->pending ||
	    !s->back_at)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		s->level[i] = 1; /* active low: absent */
		s->functional[i] = true;
	}
	return 0;
}

static void cable_free(struct cable_soak *s)
{
	free(s->level);
	free(s->gone);
	free(s->functional);
	free(s->pending);
	free(s->back_at);
}

/* Subscribe, measure the idle poll, then the run itself. */
static int cable_measure(struct cable_soak *s, struct sampler *smp,
			 long long want, struct cable_figures *f)
{
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	long long c0;
	double t0, t1;
	int r;

	r = sd_bus_match_signal(tb_bus(s->tb), &slot, CABLES_SVC, NULL,
				"org.freedesktop.DBus.Properties",
				"PropertiesChanged", on_cable_changed, s);
	if (r >= 0) /* the match is in place before the first edge */
		r = sd_bus_call_method(tb_bus(s->tb), "org.freedesktop.DBus",
				       "/org/freedesktop/DBus",
				       "org.freedesktop.DBus.Peer", "Ping",
				       NULL, NULL, "");
	if (r < 0)
		return r;
	f->idle_ticks = bench_cpu_ticks(smp->pid);
	tb_pump(s->tb, IDLE_S * 1000);
	f->idle_ticks = bench_cpu_ticks(smp->pid) - f->idle_ticks;

	c0 = bench_cpu_ticks(smp->pid);
	t0 = bench_now_s();
	print_load("soak cable:", "at the start");
	cable_loop(s, smp, want, t0);
	t1 = bench_now_s();
	f->ticks = bench_cpu_ticks(smp->pid) - c0;
	f->secs = t1 - t0;
	returns_due(s, t1, true);
	f->all_back = pump_while(s, some_away, 3 * CABLE_POLL_MS + 10000) == 0;
	tb_pump(s->tb, 2000);
	smp->end_note = f->all_back ? "every line back, then 2 s" :
				      "NOT every line back, then 2 s";
	sample(smp);
	return 0;
}

static int soak_cable(int n, long long want)
{
	struct cable_soak s = { 0 };
	struct cable_figures f = { 0 };
	struct sampler smp = { 0 };
	int r;

	printf("soak cable: %d lines on %d chips, --poll-interval-ms %d, "
	       "until %lld edges\n",
	       n, N_CHIPS, CABLE_POLL_MS, want);
	if (bench_inotify_limit() < n + 100) {
		printf("soak cable: skipped, fs.inotify.max_user_instances=%ld "
		       "(the GPIO sim needs one per line: "
		       "sysctl fs.inotify.max_user_instances=4096)\n",
		       bench_inotify_limit());
		return 0;
	}
	r = cable_alloc(&s, n);
	if (r < 0)
		goto out;
	s.tb = tb_new();
	snprintf(s.gpio, sizeof(s.gpio), "%s/gpio", tb_dir(s.tb));
	r = cable_start(&s, &smp.pid);
	if (r < 0)
		fprintf(stderr, "cable-presenced did not publish %d cables\n",
			n);
	if (r >= 0)
		r = cable_measure(&s, &smp, want, &f);
	if (r >= 0) {
		cable_report(&s, &f, &smp);
		print_load("soak cable:", "at the end");
	}
out:
	if (s.tb && r < 0)
		tb_fail(s.tb);
	if (s.tb && smp.pid > 0)
		tb_stop(s.tb, smp.pid, SIGTERM);
	if (s.tb)
		tb_free(s.tb);
	sampler_free(&smp);
	cable_free(&s);
	return r;
}

/* ==== main ==== */

static bool part_wanted(int argc, char **argv, const char *part)
{
	const char *only = getenv("SOAK_ONLY");
	bool built = false;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], part))
			built = true;
	return built && (!only || !*only || !strcmp(only, part));
}

int main(int argc, char **argv)
{
	long long s = env_ll("SOAK_SEED", -1, 0, LLONG_MAX);
	uint64_t seed = s >= 0 ? (uint64_t)s :
				 (uint64_t)time(NULL) ^
					 ((uint64_t)getpid() << 16);
	int ret = EXIT_SUCCESS;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("soak: seed %llu (SOAK_SEED=%llu makes the same random "
	       "choices; when they happen follows the clock)\n",
	       (unsigned long long)seed, (unsigned long long)seed);
	rng = seed;
	if (part_wanted(argc, argv, "nvmed") &&
	    soak_nvmed((unsigned)env_ll("SOAK_DRIVES", 256, 1, 1024),
		       env_ll("SOAK_POLLS", 100000, 1, LLONG_MAX)) < 0)
		ret = EXIT_FAILURE;
	if (part_wanted(argc, argv, "cable") &&
	    soak_cable((int)env_ll("SOAK_CABLES", 1000, 1, 100000),
		       env_ll("SOAK_EDGES", 100000, 1, LLONG_MAX)) < 0)
		ret = EXIT_FAILURE;
	return ret;
}
