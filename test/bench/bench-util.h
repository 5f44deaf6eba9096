/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the benchmarks share: the monotonic clock, what /proc says about a
 * daemon (CPU, memory, descriptors; nvmed together with its I/O workers,
 * which are its descendants), and the NVMe-MI drives of the MCTP runs
 * (emulator scenario and nvmed --config records).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct testbed;

double bench_now_s(void);
uint64_t bench_now_ns(void);

/* qsort comparators */
int bench_cmp_double(const void *a, const void *b);
int bench_cmp_u64(const void *a, const void *b);

/* pid and all its descendants, its children, their children and so on
 * (nvmed and its I/O workers, forked or exec'd, and whatever they start):
 * pid first. Returns how many were stored in out (at most max, at least
 * 1). */
size_t bench_family(pid_t pid, pid_t *out, size_t max);

/* utime + stime of one process in clock ticks; -1 when it is gone. */
long long bench_cpu_ticks(pid_t pid);
/* ... of pid and its descendants still running, and of those they have
 * reaped (cutime + cstime of each: a worker that was replaced still
 * counts). */
long long bench_family_cpu_ticks(pid_t pid);

/*
 * Every task (thread) of a process tree, sampled: each sample walks pid's
 * descendants and their /proc/PID/task/TID/{stat,status,schedstat}, and
 * keeps the last values seen of every task it ever saw (a task is a TID
 * and its start time), so that a thread or process that exits keeps what
 * it had at the last sample. Totals are sums over all those tasks; what a
 * task did between its last sample and its exit is lost (sample often).
 */
struct bench_task {
	pid_t tid, tgid;
	unsigned long long start; /* starttime in /proc/TID/stat */
	unsigned long long run_ns; /* schedstat: time on the CPU */
	unsigned long long nvcsw; /* voluntary_ctxt_switches */
	unsigned long long nivcsw; /* nonvoluntary_ctxt_switches */
	unsigned long long slices; /* schedstat: timeslices run */
	unsigned long sample; /* the last sample that saw it */
};

struct bench_tally {
	pid_t root;
	struct bench_task *tasks;
	size_t n, cap;
	unsigned long samples;
};

struct bench_totals {
	unsigned long long run_ns, nvcsw, nivcsw, slices;
	size_t procs, threads; /* alive at the last sample */
	size_t tasks_gone; /* seen, no longer alive */
};

void bench_tally_init(struct bench_tally *t, pid_t root);
void bench_tally_sample(struct bench_tally *t);
/* Sums over every task seen so far (their last values). */
void bench_tally_totals(const struct bench_tally *t, struct bench_totals *ret);
void bench_tally_free(struct bench_tally *t);

/* The number after "key:" in /proc/pid/file (status, smaps_rollup);
 * -1 when there is none. */
long bench_proc_field(pid_t pid, const char *file, const char *key);

struct bench_mem {
	size_t procs; /* processes summed */
	unsigned long long rss_kb; /* Rss, summed */
	unsigned long long dirty_kb; /* Private_Dirty, summed */
	unsigned long long main_rss_kb; /* Rss of pid itself */
	unsigned long long main_dirty_kb; /* Private_Dirty of pid itself */
};

/* smaps_rollup of pid and its descendants together. */
void bench_family_memory(pid_t pid, struct bench_mem *ret);

/* Open descriptors of one process (/proc/pid/fd); -1 when it is gone. */
int bench_fd_count(pid_t pid);
/* ... of pid and its descendants together. */
int bench_family_fd_count(pid_t pid);

/* The MCTP drives: drive i at (network, EID), 128 EIDs per network, and
 * alone at SMBus address 29 of bus i + 1, so that the emulator's control
 * socket can select it by bus and address while it has no EID (after a
 * power cycle or swap). */
#define BENCH_NET(i)	 (1 + (i) / 128)
#define BENCH_EID(i)	 (8 + (i) % 128)
#define BENCH_BUS(i)	 ((i) + 1)
#define BENCH_ADDRESS	 29
#define BENCH_DRIVE_TEMP 35

/* The emulator scenario of n such drives (malloc'ed; aborts on OOM). */
char *bench_mi_scenario(unsigned n);
/* nvmed --config records for them ("NVMe <i>"), written to the test
 * directory; returns the file's path (tb_path's rotation). */
const char *bench_mi_config(struct testbed *tb, unsigned n);

/* The simulated cable lines (libgpiod-sim, test/sim/gpio): line i is
 * CABLE<i>_PRSNT_N on chip gpiochip<i % 8> under gpio_dir. */
#define BENCH_GPIO_CHIPS 8

/* Path of line i's file. */
void bench_gpio_line_path(char *buf, size_t size, const char *gpio_dir, int i);
/* Give line i this physical level (a new file renamed over the old one,
 * so the simulation never reads it half written); exits on failure. */
void bench_gpio_line_set(const char *gpio_dir, int i, int level);
/* cable-presenced --config records for lines 0..n-1 ("cable<i>",
 * active low); malloc'ed, aborts on OOM. */
char *bench_cable_records(int n);
/* fs.inotify.max_user_instances (the simulation needs one per line). */
long bench_inotify_limit(void);
