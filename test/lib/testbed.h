/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test bed for integration tests and benchmarks: a private system bus,
 * child processes (daemons, stand-ins, emulators) with their logs, and
 * waits with deadlines (no fixed sleeps).
 *
 * Paths of the built programs come from the environment meson sets for
 * every test (see test/meson.build): tb_prog("nvmed") returns $TB_NVMED, etc.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

struct testbed;

/* Start a private dbus-daemon (system bus type, allow-all policy) in a new
 * temporary directory (mode 0711: other users reach the bus socket but
 * cannot list it), export DBUS_SYSTEM_BUS_ADDRESS for children and
 * connect to it. With $TB_BUS_POLICY set, that policy file is included
 * after the allow-all policy, as tb_new_with_policy() does. Aborts the
 * test on failure. */
struct testbed *tb_new(void);
/* tb_new() with the bus policy file policy (NULL: none) included after
 * the allow-all policy, whose rules it thus overrides: e.g.
 * tb_new_with_policy(tb_prog("nvme-policy")), the built
 * service_files/xyz.openbmc_project.NVMe.conf ($TB_NVME_POLICY). */
struct testbed *tb_new_with_policy(const char *policy);
/* Kill every child still running (SIGTERM, then SIGKILL after 2 s), stop
 * the bus, remove the directory unless TB_KEEP is set, print the tail of
 * each child's log when the test failed (tb_fail was called). */
void tb_free(struct testbed *tb);

sd_bus *tb_bus(struct testbed *tb);
const char *tb_dir(struct testbed *tb);
const char *tb_bus_address(struct testbed *tb);
/* A path inside the test directory (static buffer rotation: 8 slots). */
const char *tb_path(struct testbed *tb, const char *name);

/* Path of a built program or library: env TB_<NAME upper, '-'->'_'>. */
const char *tb_prog(const char *name);
/* An entity-manager checkout (its configurations/ and schemas/), from
 * meson's -Dentity-manager-dir; NULL when none was given. */
const char *tb_em_dir(void);

/*
 * Start argv[0] with extra environment entries ("K=V", NULL-terminated,
 * may be NULL; a bare "K" removes K); stdout and stderr go to
 * <dir>/<name>.log. Returns the pid.
 */
pid_t tb_spawn(struct testbed *tb, const char *name, const char *const *argv,
	       const char *const *env);
/* Send sig and wait for the child (up to 5 s, then SIGKILL). Returns the
 * exit status as from waitpid, or -1. */
int tb_stop(struct testbed *tb, pid_t pid, int sig);
/* Wait up to timeout_ms for the child to exit by itself (no signal sent).
 * Returns the exit status as from waitpid, -ETIMEDOUT while it still runs,
 * -ECHILD if it is not a running child of tb. */
int tb_wait_exit(struct testbed *tb, pid_t pid, int timeout_ms);
/* True while the child runs. */
bool tb_alive(struct testbed *tb, pid_t pid);
/* Run a command to completion (env as tb_spawn); its stdout is returned
 * malloc'ed in *ret_out if non-NULL. Returns the exit status (0..255),
 * or -1 if it was killed. Aborts after timeout_ms. */
int tb_run(struct testbed *tb, const char *const *argv, const char *const *env,
	   int timeout_ms, char **ret_out);

/* Write a file (creating directories); content may be NULL for empty. */
void tb_write_file(const char *path, const char *content);

/* ---- waits: return 0 when the condition holds, -ETIMEDOUT otherwise ---- */

int tb_wait_name(struct testbed *tb, const char *name, int timeout_ms);
int tb_wait_name_gone(struct testbed *tb, const char *name, int timeout_ms);
int tb_wait_object(struct testbed *tb, const char *service, const char *path,
		   const char *iface, int timeout_ms);
int tb_wait_object_gone(struct testbed *tb, const char *service,
			const char *path, int timeout_ms);
int tb_wait_bool(struct testbed *tb, const char *service, const char *path,
		 const char *iface, const char *prop, bool value,
		 int timeout_ms);
int tb_wait_string(struct testbed *tb, const char *service, const char *path,
		   const char *iface, const char *prop, const char *value,
		   int timeout_ms);
/* Waits until |value - expected| <= tolerance; expected NAN waits for NaN. */
int tb_wait_double(struct testbed *tb, const char *service, const char *path,
		   const char *iface, const char *prop, double expected,
		   double tolerance, int timeout_ms);
/* Waits until the child's log contains needle. */
int tb_wait_log(struct testbed *tb, const char *name, const char *needle,
		int timeout_ms);
/* Waits until the child's log contains needle count times. */
int tb_wait_log_count(struct testbed *tb, const char *name, const char *needle,
		      int count, int timeout_ms);
/* Count occurrences of needle in the child's log now. */
int tb_log_count(struct testbed *tb, const char *name, const char *needle);

/* ---- one-shot reads (abort the test on error) ---- */
bool tb_get_bool(struct testbed *tb, const char *service, const char *path,
		 const char *iface, const char *prop);
double tb_get_double(struct testbed *tb, const char *service, const char *path,
		     const char *iface, const char *prop);
/* malloc'ed */
char *tb_get_string(struct testbed *tb, const char *service, const char *path,
		    const char *iface, const char *prop);
/* Number of objects under root (inclusive) in service's tree that carry
 * iface (via ObjectManager GetManagedObjects at root). -errno on failure. */
int tb_count_objects(struct testbed *tb, const char *service,
		     const char *om_path, const char *iface);
/* Has the object at path of service the property iface.prop? false when
 * it answers UnknownProperty or UnknownInterface (or UnknownObject);
 * any other error fails the test. */
bool tb_has_property(struct testbed *tb, const char *service, const char *path,
		     const char *iface, const char *prop);
/* The names, as sdbusplus's object_path::filename() reads them (bmcweb's
 * resource Ids), of the objects tb_count_objects counts: sorted, each
 * followed by '\n' (malloc'ed; NULL on a bus error). */
char *tb_object_names(struct testbed *tb, const char *service,
		      const char *om_path, const char *iface);

/* Count, in *lost, each PropertiesChanged of a sensor at path that a fan
 * controller would take as a failed sensor (phosphor-pid-control's
 * unavailableAsFailed): Available false, or a NaN Value. Signals are
 * counted as the bus is processed (tb_pump). Unref the slot to stop. */
sd_bus_slot *tb_watch_sensor_lost(struct testbed *tb, const char *service,
				  const char *path, unsigned *lost);

/* Entries of the phosphor-logging stand-in (test/sim/logging) whose
 * Message is message, whose AdditionalData has key=value (key NULL: any)
 * and whose Resolved is resolved (-1: either). */
int tb_count_log_entries(struct testbed *tb, const char *message,
			 const char *key, const char *value, int resolved);
/* Wait until that count is want; 0 or -ETIMEDOUT. */
int tb_wait_log_entries(struct testbed *tb, const char *message,
			const char *key, const char *value, int resolved,
			int want, int timeout_ms);

/* ---- calls as another user ----
 *
 * Call method in a child process that has become uid, gid (real,
 * effective and saved) with the supplementary groups gid and groups, and
 * that connects to the bus on its own ($DBUS_SYSTEM_BUS_ADDRESS). types
 * and the arguments after it are sd_bus_message_append()'s ("s", "yuyqu",
 * "hs" with an fd; NULL or "" for none); iface may be NULL (a call
 * without an interface). The test bed's own connection is processed
 * meanwhile, so objects the test serves on it answer. The D-Bus error
 * name goes to err_name ("" on success; err_name may be NULL). Returns 0
 * when the call succeeded, -1 when it got an error; aborts the test when
 * the child cannot become the user, connect or build the call, or gets
 * no answer in 10 s.
 */
#define TB_CALLER_MAX_GROUPS 16

struct tb_caller {
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* more supplementary groups, may be NULL */
	size_t n_groups;
};

int tb_call_as(struct testbed *tb, uid_t uid, gid_t gid, const char *service,
	       const char *path, const char *iface, const char *method,
	       char *err_name, size_t err_size, const char *types, ...);
int tb_call_as_caller(struct testbed *tb, const struct tb_caller *who,
		      const char *service, const char *path, const char *iface,
		      const char *method, char *err_name, size_t err_size,
		      const char *types, ...);
int tb_call_asv(struct testbed *tb, const struct tb_caller *who,
		const char *service, const char *path, const char *iface,
		const char *method, char *err_name, size_t err_size,
		const char *types, va_list ap);

/* The D-Bus error message of the last tb_call_as*() ("" when it succeeded),
 * cut to 511 bytes: it tells who refused a call, the bus ("Rejected send
 * message, ...", dbus-daemon's bus/bus.c) or the service. */
const char *tb_call_message(struct testbed *tb);

/* Process the bus until timeout_ms elapses (for signal-collecting tests). */
void tb_pump(struct testbed *tb, int timeout_ms);

/*
 * main() of a test program: run the cmocka tests, in the order given or,
 * with TB_TEST_ORDER=reverse, last to first (every test stands on its own
 * fixture, so both must pass). TB_TEST_FILTER (cmocka's pattern, '*' and
 * '?') runs only the tests it matches, e.g. TB_TEST_FILTER=test_power_*.
 * Returns cmocka's result.
 */
struct CMUnitTest;
int tb_run_tests(const struct CMUnitTest *tests, size_t n);

/* Mark the test as failed so tb_free dumps the logs. cmocka's asserts
 * abort the test without calling us, so tb_free also dumps when
 * TB_VERBOSE is set. */
void tb_fail(struct testbed *tb);
