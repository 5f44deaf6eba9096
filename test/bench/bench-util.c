// SPDX-License-Identifier: Apache-2.0
/* See bench-util.h. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-util.h"
#include "macros.h"
#include "testbed.h"

/* Enough for nvmed with a worker per root bus at 256 buses. */
#define FAMILY_MAX 1200

double bench_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The fields of /proc/pid/stat after the command name; false if gone. */
static bool read_stat(pid_t pid, char *buf, size_t size, char **ret_rest)
{
	char path[64], *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || !p[1])
		return false;
	*ret_rest = p + 2;
	return true;
}

/* The parent of every process in /proc. */
struct proc_parent {
	pid_t pid, ppid;
};

static size_t proc_parents(struct proc_parent **ret)
{
	struct proc_parent *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");

	if (!d) {
		*ret = NULL;
		return 0;
	}
	while ((de = readdir(d))) {
		int pid = atoi(de->d_name), ppid = 0;
		char buf[512], *rest;

		if (pid <= 0 || !read_stat(pid, buf, sizeof(buf), &rest) ||
		    sscanf(rest, "%*c %d", &ppid) != 1)
			continue;
		if (n == cap) {
			struct proc_parent *grown;

			cap = cap ? 2 * cap : 256;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				abort();
			v = grown;
		}
		v[n].pid = pid;
		v[n].ppid = ppid;
		n++;
	}
	closedir(d);
	*ret = v;
	return n;
}

size_t bench_family(pid_t pid, pid_t *out, size_t max)
{
	struct proc_parent *all;
	size_t n = 0, n_all = proc_parents(&all);

	out[n++] = pid;
	/* breadth first: out[done..n) are the parents still to look for */
	for (size_t done = 0; done < n && n < max; done++)
		for (size_t i = 0; i < n_all && n < max; i++)
			if (all[i].ppid == out[done] && all[i].pid != pid)
				out[n++] = all[i].pid;
	free(all);
	return n;
}

/* utime + stime, and cutime + cstime (children reaped) */
static long long stat_ticks(pid_t pid, long long *ret_children)
{
	char buf[2048], *rest;
	unsigned long long ut, st;
	long long cut, cst;

	if (!read_stat(pid, buf, sizeof(buf), &rest))
		return -1;
	/* fields after ')': state(3) ... utime(14) stime(15) cutime(16)
	 * cstime(17) */
	if (sscanf(rest,
		   "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		   "%lld %lld",
		   &ut, &st, &cut, &cst) != 4)
		return -1;
	if (ret_children)
		*ret_children = cut + cst;
	return (long long)(ut + st);
}

long long bench_cpu_ticks(pid_t pid)
{
	return stat_ticks(pid, NULL);
}

long long bench_family_cpu_ticks(pid_t pid)
{
	pid_t pids[FAMILY_MAX];
	size_t n = bench_family(pid, pids, ARRAY_SIZE(pids));
	long long t = 0, reaped = 0, v;

	for (size_t i = 0; i < n; i++) {
		long long r = 0;

		v = stat_ticks(pids[i], &r);
		if (v > 0)
			t += v;
		if (r > 0)
			reaped += r;
	}
	return t + reaped;
}

long bench_proc_field(pid_t pid, const char *file, const char *key)
{
	char path[64], line[256];
	size_t len = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

void bench_family_memory(pid_t pid, struct bench_mem *ret)
{
	struct bench_mem m = { 0 };
	pid_t pids[FAMILY_MAX];
	size_t n = bench_family(pid, pids, ARRAY_SIZE(pids));

	for (size_t i = 0; i < n; i++) {
		char path[64], line[256];
		unsigned long long kb;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/smaps_rollup",
			 (int)pids[i]);
		f = fopen(path, "re");
		if (!f)
			continue;
		m.procs++;
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, "Rss: %llu kB", &kb) == 1) {
				m.rss_kb += kb;
				if (i == 0)
					m.main_rss_kb = kb;
			} else if (sscanf(line, "Private_Dirty: %llu kB",
					  &kb) == 1) {
				m.dirty_kb += kb;
				if (i == 0)
					m.main_dirty_kb = kb;
			}
		}
		fclose(f);
	}
	*ret = m;
}

int bench_fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

int bench_family_fd_count(pid_t pid)
{
	pid_t pids[FAMILY_MAX];
	size_t n = bench_family(pid, pids, ARRAY_SIZE(pids));
	int total = 0, v;

	for (size_t i = 0; i < n; i++) {
		v = bench_fd_count(pids[i]);
		if (v > 0)
			total += v;
	}
	return total;
}

/* One unsigned number of a file (its first line's first field, or the
 * number after "key:"); false when the file or key is missing. */
static bool read_ull(const char *path, const char *key, unsigned long long *ret)
{
	char line[256];
	size_t len = key ? strlen(key) : 0;
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (!key)
			found = sscanf(line, "%llu", ret) == 1;
		else if (!strncmp(line, key, len) && line[len] == ':')
			found = sscanf(line + len + 1, "%llu", ret) == 1;
		if (!key)
			break;
	}
	fclose(f);
	return found;
}

/* A task's counters now; false when it is gone (or went meanwhile). */
static bool task_read(pid_t tgid, pid_t tid, struct bench_task *ret)
{
	char path[96], buf[2048], *rest;
	unsigned long long run = 0, wait = 0, slices = 0;
	FILE *f;

	ret->tid = tid;
	ret->tgid = tgid;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)tgid,
		 (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	buf[fread(buf, 1, sizeof(buf) - 1, f)] = '\0';
	fclose(f);
	rest = strrchr(buf, ')');
	/* starttime is field 22; rest starts at field 3 (state) */
	if (!rest || sscanf(rest + 2,
			    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
			    "%*u %*u %*d %*d %*d %*d %*d %*d %llu",
			    &ret->start) != 1)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", (int)tgid,
		 (int)tid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%llu %llu %llu", &run, &wait, &slices) != 3) {
		fclose(f);
		return false;
	}
	fclose(f);
	ret->run_ns = run;
	ret->slices = slices;
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)tgid,
		 (int)tid);
	return read_ull(path, "voluntary_ctxt_switches", &ret->nvcsw) &&
	       read_ull(path, "nonvoluntary_ctxt_switches", &ret->nivcsw);
}

void bench_tally_init(struct bench_tally *t, pid_t root)
{
	*t = (struct bench_tally){ .root = root };
}

static void tally_put(struct bench_tally *t, const struct bench_task *now)
{
	for (size_t i = 0; i < t->n; i++) {
		struct bench_task *k = &t->tasks[i];

		if (k->tid == now->tid && k->start == now->start) {
			*k = *now;
			return;
		}
	}
	if (t->n == t->cap) {
		struct bench_task *grown;

		t->cap = t->cap ? 2 * t->cap : 64;
		grown = realloc(t->tasks, t->cap * sizeof(*grown));
		if (!grown)
			abort();
		t->tasks = grown;
	}
	t->tasks[t->n++] = *now;
}

void bench_tally_sample(struct bench_tally *t)
{
	pid_t pids[FAMILY_MAX];
	size_t n = bench_family(t->root, pids, ARRAY_SIZE(pids));

	t->samples++;
	for (size_t i = 0; i < n; i++) {
		char path[64];
		struct dirent *de;
		DIR *d;

		snprintf(path, sizeof(path), "/proc/%d/task", (int)pids[i]);
		d = opendir(path);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			struct bench_task now = { .sample = t->samples };
			int tid = atoi(de->d_name);

			if (tid > 0 && task_read(pids[i], tid, &now))
				tally_put(t, &now);
		}
		closedir(d);
	}
}

void bench_tally_totals(const struct bench_tally *t, struct bench_totals *ret)
{
	struct bench_totals s = { 0 };

	for (size_t i = 0; i < t->n; i++) {
		const struct bench_task *k = &t->tasks[i];

		s.run_ns += k->run_ns;
		s.nvcsw += k->nvcsw;
		s.nivcsw += k->nivcsw;
		s.slices += k->slices;
		if (k->sample != t->samples) {
			s.tasks_gone++;
			continue;
		}
		s.threads++;
		if (k->tid == k->tgid)
			s.procs++;
	}
	*ret = s;
}

void bench_tally_free(struct bench_tally *t)
{
	free(t->tasks);
	*t = (struct bench_tally){ 0 };
}

char *bench_mi_scenario(unsigned n)
{
	size_t cap = 300 * (n + 1), off;
	char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "{\"drives\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off,
			"%s{\"network\": %u, \"eid\": %u, \"bus\": %u, "
			"\"address\": %u, \"serial\": \"S%u\", "
			"\"model\": \"M\", \"firmware\": \"F\", \"vid\": 5197, "
			"\"capacity\": 960197124096, \"temperature\": %d}",
			i ? ", " : "", BENCH_NET(i), BENCH_EID(i), BENCH_BUS(i),
			BENCH_ADDRESS, i, BENCH_DRIVE_TEMP);
	snprintf(s + off, cap - off, "]}");
	return s;
}

const char *bench_mi_config(struct testbed *tb, unsigned n)
{
	const char *path = tb_path(tb, "nvmed.json");
	size_t cap = 120 * (n + 1), off;
	_cleanup_free_ char *s = malloc(cap);

	if (!s)
		abort();
	off = (size_t)snprintf(s, cap, "[");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off,
					"%s{\"Type\": \"NVMeMI\", \"Name\": "
					"\"NVMe %u\", \"Network\": %u, "
					"\"EID\": %u}",
					i ? ", " : "", i, BENCH_NET(i),
					BENCH_EID(i));
	snprintf(s + off, cap - off, "]");
	tb_write_file(path, s);
	return path;
}

void bench_gpio_line_path(char *buf, size_t size, const char *gpio_dir, int i)
{
	snprintf(buf, size, "%s/gpiochip%d/CABLE%d_PRSNT_N", gpio_dir,
		 i % BENCH_GPIO_CHIPS, i);
}

void bench_gpio_line_set(const char *gpio_dir, int i, int level)
{
	char tmp[700], path[700];

	snprintf(tmp, sizeof(tmp), "%s/gpiochip%d/.tmp", gpio_dir,
		 i % BENCH_GPIO_CHIPS);
	bench_gpio_line_path(path, sizeof(path), gpio_dir, i);
	tb_write_file(tmp, level ? "1\n" : "0\n");
	if (rename(tmp, path) < 0) {
		fprintf(stderr, "rename %s: %s\n", path, strerror(errno));
		exit(EXIT_FAILURE);
	}
}

char *bench_cable_records(int n)
{
	char *cfg = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&cfg, &len);

	if (!f)
		abort();
	fputs("[", f);
	for (int i = 0; i < n; i++)
		fprintf(f,
			"%s{\"Name\": \"cable%d\", \"Type\": \"GPIOCableSensing\", "
			"\"GpioLine\": \"CABLE%d_PRSNT_N\", "
			"\"Polarity\": \"active_low\"}\n",
			i ? "," : "", i, i);
	fputs("]\n", f);
	if (fclose(f) != 0 || !cfg)
		abort();
	return cfg;
}

long bench_inotify_limit(void)
{
	long v = 0;
	FILE *f = fopen("/proc/sys/fs/inotify/max_user_instances", "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}
