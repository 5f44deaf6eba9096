/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The nvmed integration tests' test bed: the unmodified daemon on a
 * private bus (test/lib/testbed.h), its AF_MCTP sockets (and, for the
 * SMBus tests, its /dev/i2c-N) turned by the shims into connections to
 * one NVMe-MI emulator, and the stand-ins it talks to.
 *
 * Every test has a fixture of its own (NT_TEST): a zeroed struct nt_env
 * in *state, filled by nt_start(). A test that gets to its end calls
 * nt_stop(), which checks that nvmed is still running and exits cleanly
 * on SIGTERM; a test that fails before has its daemons, emulator and bus
 * stopped by the teardown, with their logs, so that no test depends on
 * another having run, or on the order they run in (TB_TEST_ORDER=reverse
 * runs a file's tests last to first).
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "i2c-harness.h"
#include "testbed.h"

#define NVME	    "xyz.openbmc_project.NVMe"
#define EM	    "xyz.openbmc_project.EntityManager"
#define MCTPD	    "au.com.codeconstruct.MCTP1"
#define MCTPD_TEST  "/au/com/codeconstruct/mctp1/test"
#define HOST	    "xyz.openbmc_project.State.Host0"
#define CHASSIS	    "xyz.openbmc_project.State.Chassis0"
#define SENSOR	    "/xyz/openbmc_project/sensors/temperature/"
#define DRIVE	    "/xyz/openbmc_project/inventory/drive/"
#define VALUE_IF    "xyz.openbmc_project.Sensor.Value"
#define AVAIL_IF    "xyz.openbmc_project.State.Decorator.Availability"
#define OPSTAT_IF   "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define ASSET_IF    "xyz.openbmc_project.Inventory.Decorator.Asset"
#define REV_IF	    "xyz.openbmc_project.Inventory.Decorator.Revision"
#define ITEM_IF	    "xyz.openbmc_project.Inventory.Item"
#define DRIVE_IF    "xyz.openbmc_project.Inventory.Item.Drive"
#define STATUS_IF   "xyz.openbmc_project.Nvme.Status"
#define WARN_IF	    "xyz.openbmc_project.Sensor.Threshold.Warning"
#define CRIT_IF	    "xyz.openbmc_project.Sensor.Threshold.Critical"
#define ASSOC_IF    "xyz.openbmc_project.Association.Definitions"
#define NVME1000_IF "xyz.openbmc_project.Configuration.NVME1000"
#define WAIT	    10000
#define SLOW_WAIT   40000 /* back-off cap 30 s + a poll */

/* What nvmed reaches the emulator through. */
enum nt_bed {
	NT_MCTP, /* NVMe-MI over MCTP (libmctp-shim.so) */
	/* the basic management command over SMBus (libi2c-shim.so) as
	 * well as MCTP; nvmed also gets --power-on-delay-ms 300 */
	NT_SMBUS,
};

struct nt_env {
	struct testbed *tb;
	struct emu_proc emu;
	enum nt_bed bed;
	pid_t nvmed;
	/* nvmed's environment (tb_spawn entries), for any program that
	 * should see the same drives: the shims and their sockets */
	char *preload; /* "LD_PRELOAD=..." */
	char mctp_sock[PATH_MAX + 16], i2c_sock[PATH_MAX + 16];
};

int nt_setup(void **state);
int nt_teardown(void **state);
/* A test with its own fixture. */
#define NT_TEST(f) cmocka_unit_test_setup_teardown(f, nt_setup, nt_teardown)
/* One that reads entity-manager's own board files: nt_run() leaves it out
 * without a checkout (-Dentity-manager-dir). */
extern const char nt_needs_em_dir[];
#define NT_TEST_EM_DIR(f)                                                  \
	cmocka_unit_test_prestate_setup_teardown(f, nt_setup, nt_teardown, \
						 (void *)nt_needs_em_dir)
/* main(): tb_run_tests() of the tests that can run here; a test left out
 * is said once (cmocka's TAP output would report a skip as "not ok"). */
int nt_run(const struct CMUnitTest *tests, size_t n);

/* A test bed (bus, emulator on scenario_json) for nvmed; aborts the test
 * on failure. */
void nt_start(struct nt_env *e, enum nt_bed bed, const char *scenario_json);
/*
 * Start nvmed (-v --poll-interval-ms 200, --config config when config is
 * not NULL, then args, NULL-terminated, may be NULL) and wait for its
 * name.
 */
void nt_start_nvmed(struct nt_env *e, const char *config,
		    const char *const *args);
/* The same nvmed, not waited for and not kept in e->nvmed, run through
 * wrapper (a program that executes its arguments) unless NULL; its pid. */
pid_t nt_spawn_nvmed(struct nt_env *e, const char *wrapper, const char *config,
		     const char *const *args);
/* The pid of the child of nvmed named comm (an I/O worker:
 * "nvmed-i2c-<bus>", "nvmed-mctp-<network>"), 0 when there is none. */
pid_t nt_worker_pid(struct nt_env *e, const char *comm);
/* nvmed still runs and exits 0 on SIGTERM (unless the test took it,
 * e->nvmed 0); everything else stopped. The last call of a test. */
void nt_stop(struct nt_env *e);

/* ---- stand-ins ---- */

/* host/chassis state objects, the host in state host ("Off", "Running") */
void nt_start_state(struct nt_env *e, const char *host);
/* em-standin with args (board files, --set k=v), named "em" */
void nt_start_em(struct nt_env *e, const char *const *args);
/* mctpd-standin --scenario <scenario_json in the test dir> args, its log
 * named name; waits for its name. Returns its pid. */
pid_t nt_start_mctpd(struct nt_env *e, const char *name,
		     const char *scenario_json, const char *const *args);
/* A board file "Test Board" (Probe TRUE) exposing records (JSON objects,
 * comma-separated); its path. */
const char *nt_board_file(struct nt_env *e, const char *records);
/* The em stand-in removes a board (its inventory path) and its records. */
void nt_remove_board(struct nt_env *e, const char *board);
/* The emulator has let `eid`'s missed requests go by. */
void nt_wait_missed(struct nt_env *e, unsigned eid);

/* ---- nvmed's objects ---- */

/* prefix + name into buf */
void nt_path(char *buf, size_t len, const char *prefix, const char *name);
/* SENSOR + name and DRIVE + name, each in one of 8 rotating buffers */
const char *nt_sensor(const char *name);
const char *nt_drive(const char *name);
uint64_t nt_get_u64(struct nt_env *e, const char *path, const char *iface,
		    const char *prop);
uint8_t nt_get_u8(struct nt_env *e, const char *path, const char *iface,
		  const char *prop);
/* Waits (abort the test on timeout): the Value of sensor name; a bool. */
void nt_wait_value(struct nt_env *e, const char *name, double v, int ms);
void nt_wait_bool(struct nt_env *e, const char *path, const char *iface,
		  const char *prop, bool v, int ms);
/* path's Associations hold (fwd, rev, target). */
bool nt_has_assoc(struct nt_env *e, const char *path, const char *fwd,
		  const char *rev, const char *target);

/* ---- drives over NVMe-MI (NT_MCTP) ---- */

/* A drive at network 1 EID eid, I2C bus bus address 0x1d: SN<eid>, "Model <eid>",
 * FW<eid>, VID 0x144d, 960197124096 bytes, WCTEMP/CCTEMP 70/80, 3 % used;
 * config: mctpd's configuration path for it (NULL: none). Returns buf. */
const char *nt_mi_drive_json(char *buf, size_t len, unsigned eid, unsigned bus,
			     int temp, const char *config);
/* Scenario of n such drives at EIDs 9.. on buses 3.., 35 degrees C.
 * malloc'ed. */
char *nt_mi_scenario(unsigned n, const char *config_of_first);
/* A --config file of n NVMeMI records at EIDs 9.. named "NVMe <eid>",
 * extra_first appended to the first record's keys; its path. */
const char *nt_mi_config(struct nt_env *e, unsigned n, const char *extra_first);
/* Identity, capacity and temperature of drive name as the emulator holds
 * them for EID eid of nt_mi_scenario(). */
void nt_mi_check_drive(struct nt_env *e, const char *name, unsigned eid,
		       double temp);

/* ---- drives over SMBus (NT_SMBUS) ---- */

/* A drive at network 1 EID eid, I2C bus bus address 0x1d: SN<eid>,
 * "Model <eid>", VID 0x144d, 3 % used. malloc'ed. */
char *nt_basic_drive_json(unsigned eid, unsigned bus, int temp);
/* n of them at EIDs 9.. on buses bus0.., at 35 + i degrees C. */
char *nt_basic_scenario(unsigned n, unsigned bus0);
