// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed integration tests: the unmodified daemon on a private bus, its
 * AF_MCTP sockets turned by libmctp-shim.so into connections to the
 * NVMe-MI emulator, with the mctpd and entity-manager stand-ins. What it
 * publishes is compared with what the emulator holds and with what
 * nvme-cli reads from the same emulator through the same shim.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <systemd/sd-bus.h>

#include "emu-harness.h"
#include "macros.h"
#include "testbed.h"

#define NVME	   "xyz.openbmc_project.NVMe"
#define SENSOR	   "/xyz/openbmc_project/sensors/temperature/"
#define DRIVE	   "/xyz/openbmc_project/inventory/drive/"
#define VALUE_IF   "xyz.openbmc_project.Sensor.Value"
#define AVAIL_IF   "xyz.openbmc_project.State.Decorator.Availability"
#define OPSTAT_IF  "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define ASSET_IF   "xyz.openbmc_project.Inventory.Decorator.Asset"
#define REV_IF	   "xyz.openbmc_project.Inventory.Decorator.Revision"
#define ITEM_IF	   "xyz.openbmc_project.Inventory.Item"
#define DRIVE_IF   "xyz.openbmc_project.Inventory.Item.Drive"
#define STATUS_IF  "xyz.openbmc_project.Nvme.Status"
#define WARN_IF	   "xyz.openbmc_project.Sensor.Threshold.Warning"
#define CRIT_IF	   "xyz.openbmc_project.Sensor.Threshold.Critical"
#define MCTPD	   "au.com.codeconstruct.MCTP1"
#define MCTPD_TEST "/au/com/codeconstruct/mctp1/test"
#define EM	   "xyz.openbmc_project.EntityManager"
#define WAIT	   10000

struct env {
	struct testbed *tb;
	struct emu_proc emu;
	pid_t nvmed;
	char shim_env[2][4200];
};

static const char *drive_json(char *buf, size_t len, unsigned eid, unsigned bus,
			      int temp, const char *config)
{
	snprintf(buf, len,
		 "{\"network\": 1, \"eid\": %u, \"bus\": %u, \"address\": 29, "
		 "\"serial\": \"SN%u\", \"model\": \"Model %u\", "
		 "\"firmware\": \"FW%u\", \"vid\": 5197, "
		 "\"capacity\": 960197124096, \"temperature\": %d, "
		 "\"warning_temp\": 70, \"critical_temp\": 80, "
		 "\"percentage_used\": 3, \"critical_warning\": 0%s%s%s}",
		 eid, bus, eid, eid, eid, temp,
		 config ? ", \"config\": \"" : "", config ? config : "",
		 config ? "\"" : "");
	return buf;
}

/* Scenario of n drives at EIDs 9.. on bus 3.. */
static char *scenario(unsigned n, const char *config_of_first)
{
	size_t cap = 600 * (n + 1);
	char *s = malloc(cap), one[600];
	size_t off;

	assert_non_null(s);
	off = (size_t)snprintf(s, cap, "{\"drives\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off, "%s%s", i ? ", " : "",
			drive_json(one, sizeof(one), 9 + i, 3 + i, 35,
				   i == 0 ? config_of_first : NULL));
	snprintf(s + off, cap - off, "]}");
	return s;
}

/* JSON config of n NVMeMI records at EIDs 9.. named NVMe_<eid>. */
static const char *nvmemi_config(struct env *e, unsigned n,
				 const char *extra_first)
{
	const char *path = tb_path(e->tb, "nvmed.json");
	size_t cap = 400 * (n + 1);
	_cleanup_free_ char *s = malloc(cap);
	size_t off;

	assert_non_null(s);
	off = (size_t)snprintf(s, cap,
			       "{\"Name\": \"Board 1\", \"Type\": \"Board\", "
			       "\"Exposes\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, cap - off,
					"%s{\"Type\": \"NVMeMI\", \"Name\": "
					"\"NVMe %u\", \"Network\": 1, "
					"\"EID\": %u%s}",
					i ? ", " : "", 9 + i, 9 + i,
					i == 0 && extra_first ? extra_first :
								"");
	snprintf(s + off, cap - off, "]}");
	tb_write_file(path, s);
	return path;
}

static void env_start(struct env *e, const char *scenario_json)
{
	e->tb = tb_new();
	assert_int_equal(emu_start(&e->emu, scenario_json), 0);
	snprintf(e->shim_env[0], sizeof(e->shim_env[0]), "LD_PRELOAD=%s",
		 tb_prog("mctp-shim-preload"));
	snprintf(e->shim_env[1], sizeof(e->shim_env[1]), "MCTP_SHIM_SOCK=%s",
		 e->emu.sock);
}

static void start_nvmed(struct env *e, const char *config)
{
	const char *env[] = { e->shim_env[0], e->shim_env[1], NULL };
	const char *argv[] = { tb_prog("nvmed"),
			       "-v",
			       "--poll-interval-ms",
			       "200",
			       config ? "--config" : NULL,
			       config,
			       NULL };

	e->nvmed = tb_spawn(e->tb, "nvmed", argv, env);
	assert_int_equal(tb_wait_name(e->tb, NVME, WAIT), 0);
}

static void start_nvmed_args(struct env *e, const char *config,
			     const char *const *extra)
{
	const char *env[] = { e->shim_env[0], e->shim_env[1], NULL };
	const char *argv[16] = { tb_prog("nvmed"),     "-v",
				 "--poll-interval-ms", "200",
				 "--config",	       config };
	size_t n = 6;

	for (; extra && *extra && n < 15; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	e->nvmed = tb_spawn(e->tb, "nvmed", argv, env);
	assert_int_equal(tb_wait_name(e->tb, NVME, WAIT), 0);
}

static void env_stop(struct env *e)
{
	if (e->nvmed > 0) {
		assert_true(tb_alive(e->tb, e->nvmed));
		/* clean SIGTERM: exit status 0 */
		assert_int_equal(tb_stop(e->tb, e->nvmed, SIGTERM), 0);
	}
	emu_stop(&e->emu);
	tb_free(e->tb);
}

static void path_of(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "%s%s", prefix, name);
}

static uint64_t get_u64(struct testbed *tb, const char *path, const char *iface,
			const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint64_t v = 0;
	int r;

	r = sd_bus_get_property_trivial(tb_bus(tb), NVME, path, iface, prop,
					&err, 't', &v);
	sd_bus_error_free(&err);
	assert_int_equal(r, 0);
	return v;
}

static uint8_t get_u8(struct testbed *tb, const char *path, const char *iface,
		      const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint8_t v = 0;
	int r;

	r = sd_bus_get_property_trivial(tb_bus(tb), NVME, path, iface, prop,
					&err, 'y', &v);
	sd_bus_error_free(&err);
	assert_int_equal(r, 0);
	return v;
}

/* Identity, capacity and temperature as the emulator holds them. */
static void check_drive(struct env *e, const char *name, unsigned eid,
			double temp)
{
	char sensor[256], drive[256], want[64];
	_cleanup_free_ char *mf = NULL;

	path_of(sensor, sizeof(sensor), SENSOR, name);
	path_of(drive, sizeof(drive), DRIVE, name);
	snprintf(want, sizeof(want), "SN%u", eid);
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, ASSET_IF,
					"SerialNumber", want, WAIT),
			 0);
	snprintf(want, sizeof(want), "Model %u", eid);
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, ASSET_IF, "Model",
					want, WAIT),
			 0);
	snprintf(want, sizeof(want), "FW%u", eid);
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, REV_IF, "Version",
					want, WAIT),
			 0);
	mf = tb_get_string(e->tb, NVME, drive, ASSET_IF, "Manufacturer");
	assert_string_equal(mf, "Samsung"); /* VID 0x144d */
	assert_true(get_u64(e->tb, drive, DRIVE_IF, "Capacity") ==
		    960197124096ULL);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					temp, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, ITEM_IF, "Present",
				      true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, OPSTAT_IF,
				      "Functional", true, WAIT),
			 0);
	assert_int_equal(get_u8(e->tb, drive, DRIVE_IF,
				"PredictedMediaLifeLeftPercent"),
			 97);
}

/* ---- tests ------------------------------------------------------------ */

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static json_object *nvme_cli(struct env *e, const char *cmd, const char *dev)
{
	/* nvme-cli is Debian 12's: not the libraries meson points
	 * LD_LIBRARY_PATH at (Debian 13's in the trixie build). */
	const char *env[] = { e->shim_env[0], e->shim_env[1], "LD_LIBRARY_PATH",
			      NULL };
	const char *argv[] = { "/usr/sbin/nvme", cmd, dev, "-o", "json", NULL };
	_cleanup_free_ char *out = NULL;
	json_object *j;

	assert_int_equal(tb_run(e->tb, argv, env, 30000, &out), 0);
	j = json_tokener_parse(out);
	assert_non_null(j);
	return j;
}

static const char *jstr(json_object *j, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(j, key, &v));
	return json_object_get_string(v);
}

static int64_t jint(json_object *j, const char *key)
{
	json_object *v;

	assert_true(json_object_object_get_ex(j, key, &v));
	return json_object_get_int64(v);
}

static void test_json_records_and_nvme_cli(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	char drive[128], sensor[128], buf[64];
	json_object *id, *smart;
	int64_t t;

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 2, NULL));
	check_drive(&e, "NVMe_9", 9, 35);
	check_drive(&e, "NVMe_10", 10, 35);
	assert_int_equal(tb_count_objects(e.tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 2);

	/* nvme-cli through the same shim, against the same emulator */
	path_of(drive, sizeof(drive), DRIVE, "NVMe_9");
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	id = nvme_cli(&e, "id-ctrl", "mctp:1,9");
	smart = nvme_cli(&e, "smart-log", "mctp:1,9");
	{
		_cleanup_free_ char *sn = tb_get_string(
			e.tb, NVME, drive, ASSET_IF, "SerialNumber");
		_cleanup_free_ char *mn =
			tb_get_string(e.tb, NVME, drive, ASSET_IF, "Model");
		_cleanup_free_ char *fr =
			tb_get_string(e.tb, NVME, drive, REV_IF, "Version");

		snprintf(buf, sizeof(buf), "%s", jstr(id, "sn"));
		trim(buf);
		assert_string_equal(buf, sn);
		snprintf(buf, sizeof(buf), "%s", jstr(id, "mn"));
		trim(buf);
		assert_string_equal(buf, mn);
		snprintf(buf, sizeof(buf), "%s", jstr(id, "fr"));
		trim(buf);
		assert_string_equal(buf, fr);
	}
	t = jint(smart, "temperature");
	if (t > 200) /* nvme-cli 2.3 prints Kelvin */
		t -= 273;
	assert_true(tb_get_double(e.tb, NVME, sensor, VALUE_IF, "Value") ==
		    (double)t);
	assert_int_equal(100 - jint(smart, "percent_used"),
			 get_u8(e.tb, drive, DRIVE_IF,
				"PredictedMediaLifeLeftPercent"));
	json_object_put(id);
	json_object_put(smart);
	env_stop(&e);
}

static unsigned n_asserted;
static char last_event[64];
static int last_asserted;

static int on_threshold(sd_bus_message *m, void *userdata,
			sd_bus_error *ret_error)
{
	const char *name, *iface, *event;
	int asserted;
	double value;

	if (sd_bus_message_read(m, "sssbd", &name, &iface, &event, &asserted,
				&value) < 0)
		return 0;
	if (strcmp(name, "NVMe_9") != 0)
		return 0;
	n_asserted++;
	snprintf(last_event, sizeof(last_event), "%s", event);
	last_asserted = asserted;
	return 0;
}

static void test_temperature_and_thresholds(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	char sensor[128], drive[128];
	sd_bus_slot *slot = NULL;

	env_start(&e, sc);
	/* No Thresholds in the record: WCTEMP/CCTEMP of the drive (70/80) */
	start_nvmed(&e, nvmemi_config(&e, 1, NULL));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	path_of(drive, sizeof(drive), DRIVE, "NVMe_9");
	check_drive(&e, "NVMe_9", 9, 35);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, CRIT_IF,
					"CriticalHigh", 80, 0.01, WAIT),
			 0);
	assert_false(
		tb_get_bool(e.tb, NVME, sensor, WARN_IF, "WarningAlarmHigh"));
	assert_true(sd_bus_match_signal(tb_bus(e.tb), &slot, NVME, sensor,
					CRIT_IF, "ThresholdAsserted",
					on_threshold, NULL) >= 0);

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 75}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					75, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", true, WAIT),
			 0);
	assert_false(
		tb_get_bool(e.tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 90}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmHigh", true, WAIT),
			 0);
	for (int i = 0; i < 50 && n_asserted == 0; i++)
		tb_pump(e.tb, 100);
	assert_true(n_asserted >= 1);
	assert_string_equal(last_event, "CriticalAlarmHigh");
	assert_true(last_asserted);

	/* the drive that tripped stops answering: the alarm stays, no
	 * ThresholdAsserted(false) for a missing reading */
	n_asserted = 0;
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	tb_pump(e.tb, 500);
	assert_true(
		tb_get_bool(e.tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));
	assert_int_equal(n_asserted, 0);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": false}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					90, 0.01, 40000),
			 0);
	assert_true(
		tb_get_bool(e.tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));
	assert_int_equal(n_asserted, 0);

	/* SMART warning bits propagate (temperature + media read-only) */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"critical_warning\": 10}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, STATUS_IF,
				      "TemperatureFault", true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, STATUS_IF,
				      "MediaFault", true, WAIT),
			 0);
	assert_false(
		tb_get_bool(e.tb, NVME, drive, STATUS_IF, "CapacityFault"));
	assert_int_equal(tb_wait_string(e.tb, NVME, drive, STATUS_IF,
					"SmartWarnings", "f5", WAIT),
			 0);

	/* back down: alarms clear */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 40, "
			   "\"critical_warning\": 0}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmHigh", false, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", false, WAIT),
			 0);
	assert_int_equal(tb_wait_string(e.tb, NVME, drive, STATUS_IF,
					"SmartWarnings", "ff", WAIT),
			 0);
	sd_bus_slot_unref(slot);
	env_stop(&e);
}

static unsigned n_th_changed;
static double th_changed_value;

/* PropertiesChanged on a threshold interface naming WarningHigh */
static int on_th_changed(sd_bus_message *m, void *userdata,
			 sd_bus_error *ret_error)
{
	const char *iface, *prop;
	int r;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    strcmp(iface, WARN_IF) != 0)
		return 0;
	r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r > 0 &&
	       (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		if (sd_bus_message_read(m, "s", &prop) < 0)
			return 0;
		if (strcmp(prop, "WarningHigh") == 0) {
			if (sd_bus_message_read(m, "v", "d",
						&th_changed_value) < 0)
				return 0;
			n_th_changed++;
		} else if (sd_bus_message_skip(m, "v") < 0) {
			return 0;
		}
		if (sd_bus_message_exit_container(m) < 0)
			return 0;
	}
	return 0;
}

static void test_configured_thresholds(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	char sensor[128];

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 1,
				      ", \"Thresholds\": ["
				      "{\"Direction\": \"greater than\", "
				      "\"Severity\": 0, \"Value\": 50}, "
				      "{\"Direction\": \"less than\", "
				      "\"Severity\": 1, \"Value\": 5}]"));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	check_drive(&e, "NVMe_9", 9, 35);
	/* the record wins over the drive's WCTEMP/CCTEMP */
	assert_true(tb_get_double(e.tb, NVME, sensor, WARN_IF, "WarningHigh") ==
		    50);
	assert_true(tb_get_double(e.tb, NVME, sensor, CRIT_IF, "CriticalLow") ==
		    5);
	assert_true(isnan(
		tb_get_double(e.tb, NVME, sensor, CRIT_IF, "CriticalHigh")));
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 2}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmLow", true, WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 55}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmLow", false, WAIT),
			 0);

	/* a Set over D-Bus is announced (sd-bus does not do it for us) */
	{
		sd_bus_slot *slot = NULL;
		sd_bus_error err = SD_BUS_ERROR_NULL;

		assert_true(
			sd_bus_match_signal(tb_bus(e.tb), &slot, NVME, sensor,
					    "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", on_th_changed,
					    NULL) >= 0);
		n_th_changed = 0;
		assert_true(sd_bus_set_property(tb_bus(e.tb), NVME, sensor,
						WARN_IF, "WarningHigh", &err,
						"d", 65.0) >= 0);
		sd_bus_error_free(&err);
		for (int i = 0; i < 50 && n_th_changed == 0; i++)
			tb_pump(e.tb, 100);
		assert_int_equal(n_th_changed, 1);
		assert_true(th_changed_value == 65);
		sd_bus_slot_unref(slot);
	}
	env_stop(&e);
}

static void test_silent_and_recovery(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	char sensor[128], drive[128], other[128];

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 2, NULL));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	path_of(drive, sizeof(drive), DRIVE, "NVMe_9");
	path_of(other, sizeof(other), SENSOR, "NVMe_10");
	check_drive(&e, "NVMe_9", 9, 35);

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, AVAIL_IF, "Available",
				      false, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, OPSTAT_IF,
				      "Functional", false, WAIT),
			 0);
	/* the other drive is unaffected, and it follows changes */
	emu_ctl_ok(&e.emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e.tb, NVME, other, VALUE_IF, "Value",
					44, 0.01, WAIT),
			 0);

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": false, "
			   "\"temperature\": 41}");
	/* back within the back-off cap (30 s) */
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					41, 0.01, 40000),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, OPSTAT_IF,
				      "Functional", true, WAIT),
			 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	env_stop(&e);
}

/* Wait until the emulator has let `eid`'s missed requests go by. */
static void wait_missed(struct env *e, unsigned eid)
{
	for (int ms = 0; emu_get_int(&e->emu, eid, "miss") > 0; ms += 50) {
		if (ms > WAIT)
			fail_msg("EID %u: missed requests never consumed", eid);
		tb_pump(e->tb, 50);
	}
}

/* EID eid goes silent: the requests it saw until the sensor was
 * unavailable (at most the window, plus a poll already under way). */
static long long silence_until_unavailable(struct env *e, unsigned eid,
					   const char *sensor)
{
	char line[64];
	long long before = emu_get_int(&e->emu, eid, "requests");

	snprintf(line, sizeof(line), "{\"eid\": %u, \"silent\": true}", eid);
	emu_ctl_ok(&e->emu, line);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", false, WAIT),
			 0);
	return emu_get_int(&e->emu, eid, "requests") - before;
}

/* The availability policy over NVMe-MI (phosphor-pid-control fails a fan
 * zone safe on one unavailable or NaN reading): missed polls inside the
 * window (5) publish nothing a fan controller would see as a failure; a
 * sustained silence makes the sensor unavailable by the 5th request;
 * the first good poll afterwards publishes the new value. */
static void test_availability_window(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	char sensor[128];
	sd_bus_slot *watch;
	unsigned lost = 0;
	long long n;

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 2, NULL));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	check_drive(&e, "NVMe_9", 9, 35);
	watch = tb_watch_sensor_lost(e.tb, NVME, sensor, &lost);

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"miss\": 1}");
	wait_missed(&e, 9);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 36}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					36, 0.01, WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"miss\": 4}");
	wait_missed(&e, 9);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 37}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					37, 0.01, WAIT),
			 0);
	tb_pump(e.tb, 100);
	assert_int_equal(lost, 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));

	n = silence_until_unavailable(&e, 9, sensor);
	assert_in_range(n, 1, 5 + 1);
	assert_true(
		isnan(tb_get_double(e.tb, NVME, sensor, VALUE_IF, "Value")));
	assert_int_equal(
		tb_wait_log(e.tb, "nvmed", "marking it unavailable", WAIT), 0);

	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": false, "
			   "\"temperature\": 41}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					41, 0.01, 40000),
			 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	sd_bus_slot_unref(watch);
	env_stop(&e);
}

/* The window from the command line (--unavailable-after 3) and from a
 * record (UnavailableAfterFailures 1, the strict policy). */
static void test_availability_configured(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	const char *extra[] = { "--unavailable-after", "3", NULL };
	char s9[128], s10[128];
	sd_bus_slot *w9, *w10;
	unsigned lost9 = 0, lost10 = 0;
	long long n;

	env_start(&e, sc);
	start_nvmed_args(
		&e, nvmemi_config(&e, 2, ", \"UnavailableAfterFailures\": 1"),
		extra);
	path_of(s9, sizeof(s9), SENSOR, "NVMe_9");
	path_of(s10, sizeof(s10), SENSOR, "NVMe_10");
	check_drive(&e, "NVMe_9", 9, 35);
	check_drive(&e, "NVMe_10", 10, 35);
	w9 = tb_watch_sensor_lost(e.tb, NVME, s9, &lost9);
	w10 = tb_watch_sensor_lost(e.tb, NVME, s10, &lost10);

	/* 2 missed polls: inside NVMe_10's window of 3 */
	emu_ctl_ok(&e.emu, "{\"eid\": 10, \"miss\": 2}");
	wait_missed(&e, 10);
	emu_ctl_ok(&e.emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e.tb, NVME, s10, VALUE_IF, "Value", 44,
					0.01, WAIT),
			 0);
	/* 1 missed poll: NVMe_9's whole window */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"miss\": 1}");
	wait_missed(&e, 9);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 45}");
	assert_int_equal(tb_wait_double(e.tb, NVME, s9, VALUE_IF, "Value", 45,
					0.01, WAIT),
			 0);
	tb_pump(e.tb, 100);
	assert_int_equal(lost10, 0);
	assert_true(lost9 > 0);

	n = silence_until_unavailable(&e, 10, s10);
	assert_in_range(n, 1, 3 + 1);
	sd_bus_slot_unref(w9);
	sd_bus_slot_unref(w10);
	env_stop(&e);
}

/* A 100 kHz link: a full 4 KiB Identify (0.41 s) cannot finish inside
 * the 300 ms transaction timeout; the partial one nvmed reads can. After
 * a failure, the reconnection goes straight to the health poll. */
static void test_slow_link_identify(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	char sensor[128];

	env_start(&e, sc);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"link_bps\": 100000}");
	start_nvmed(&e, nvmemi_config(&e, 1, NULL));
	check_drive(&e, "NVMe_9", 9, 35);
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	/* a transient failure, then back: the reading resumes */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"late\": 450}");
	tb_pump(e.tb, 1000);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 47}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					47, 0.01, WAIT),
			 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	env_stop(&e);
}

/* A drive refusing Admin commands (a valid reply with an error status)
 * is still read: the health poll goes on, no flapping, no lost drive. */
static void test_admin_refused(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	char sensor[128], drive[128];

	env_start(&e, sc);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"admin_status\": 16386}");
	start_nvmed(&e, nvmemi_config(&e, 1, NULL));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	path_of(drive, sizeof(drive), DRIVE, "NVMe_9");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					35, 0.01, WAIT),
			 0);
	/* 15 polls (SMART due every 10th): never unavailable */
	for (int i = 0; i < 15; i++) {
		tb_pump(e.tb, 200);
		assert_true(
			tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
		assert_true(tb_get_double(e.tb, NVME, sensor, VALUE_IF,
					  "Value") == 35);
	}
	assert_true(tb_get_bool(e.tb, NVME, drive, OPSTAT_IF, "Functional"));
	/* the identity is asked again later and arrives */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"admin_status\": 0}");
	assert_int_equal(tb_wait_string(e.tb, NVME, drive, ASSET_IF,
					"SerialNumber", "SN9", 40000),
			 0);
	/* an MI error status on the health poll is a failure, and the log
	 * says which status */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"status\": 4}");
	assert_int_equal(tb_wait_log(e.tb, "nvmed",
				     "Subsystem Health Status Poll failed: "
				     "NVMe-MI status 0x4",
				     WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, AVAIL_IF, "Available",
				      false, WAIT),
			 0);
	env_stop(&e);
}

/* A drive that keeps answering More Processing Required beyond the cap:
 * failed and backed off (libnvme 1.3 cannot cap the wait: the overrun is
 * detected afterwards), the other drive still served. */
static void test_mpr_overrun(void **state)
{
	static const char *const extra[] = { "--mprt-max-ms", "400", NULL };
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	char sensor[128], other[128];

	env_start(&e, sc);
	start_nvmed_args(&e, nvmemi_config(&e, 2, NULL), extra);
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	path_of(other, sizeof(other), SENSOR, "NVMe_10");
	check_drive(&e, "NVMe_9", 9, 35);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"mpr_ms\": 2500}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, AVAIL_IF, "Available",
				      false, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e.tb, NVME, other, VALUE_IF, "Value",
					44, 0.01, WAIT),
			 0);
	assert_true(tb_alive(e.tb, e.nvmed));
	env_stop(&e);
}

/* Each fault: the reply is rejected or waited for, never mislabelled,
 * and the daemon keeps serving. */
static void test_faulty_replies(void **state)
{
	static const char *const faults[] = {
		"{\"eid\": 9, \"bad_mic\": true}",
		"{\"eid\": 9, \"truncate\": 10}",
		"{\"eid\": 9, \"late\": 450}",
		"{\"eid\": 9, \"mpr_ms\": 150}",
	};
	static const char *const clear[] = {
		"{\"eid\": 9, \"bad_mic\": false}",
		"{\"eid\": 9, \"truncate\": 0}",
		"{\"eid\": 9, \"late\": 0}",
		"{\"eid\": 9, \"mpr_ms\": 0}",
	};
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	char sensor[128], drive[128], other[128];

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 2, NULL));
	path_of(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	path_of(drive, sizeof(drive), DRIVE, "NVMe_9");
	path_of(other, sizeof(other), SENSOR, "NVMe_10");
	check_drive(&e, "NVMe_9", 9, 35);
	check_drive(&e, "NVMe_10", 10, 35);

	for (size_t i = 0; i < 4; i++) {
		double v;
		_cleanup_free_ char *sn = NULL;
		int t = 50 + (int)i;
		char line[96];

		emu_ctl_ok(&e.emu, faults[i]);
		/* let several polls hit the fault */
		tb_pump(e.tb, 1500);
		assert_true(tb_alive(e.tb, e.nvmed));
		v = tb_get_double(e.tb, NVME, sensor, VALUE_IF, "Value");
		/* only ever the drive's temperature or "unknown" */
		assert_true(isnan(v) || v == 35 || v == t - 1);
		sn = tb_get_string(e.tb, NVME, drive, ASSET_IF, "SerialNumber");
		assert_string_equal(sn, "SN9");
		assert_true(tb_get_double(e.tb, NVME, other, VALUE_IF,
					  "Value") == 35);

		emu_ctl_ok(&e.emu, clear[i]);
		snprintf(line, sizeof(line),
			 "{\"eid\": 9, \"temperature\": %d}", t);
		emu_ctl_ok(&e.emu, line);
		assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF,
						"Value", t, 0.01, 40000),
				 0);
		assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, AVAIL_IF,
					      "Available", true, WAIT),
				 0);
		/* the emulator and nvmed agree again */
		emu_ctl_ok(&e.emu, "{\"eid\": 9, \"temperature\": 35}");
		assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF,
						"Value", 35, 0.01, WAIT),
				 0);
	}
	env_stop(&e);
}

static int mctpd_call(struct env *e, sd_bus_message *m)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call(tb_bus(e->tb), m, 5000000, &err, &reply);
	if (r < 0)
		fprintf(stderr, "mctpd stand-in: %s\n", err.message);
	sd_bus_error_free(&err);
	return r;
}

static int add_endpoint(struct env *e, uint8_t eid, const uint8_t *types,
			size_t n, const char *config)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_method_call(
				 tb_bus(e->tb), &m, MCTPD, MCTPD_TEST,
				 "xyz.openbmc_project.Test.MCTPD",
				 "AddEndpoint"),
			 0);
	assert_true(sd_bus_message_append(m, "uy", 1u, eid) >= 0);
	assert_true(sd_bus_message_append_array(m, 'y', types, n) >= 0);
	assert_true(sd_bus_message_append(m, "s", config) >= 0);
	return mctpd_call(e, m);
}

static int remove_endpoint(struct env *e, uint8_t eid)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_method_call(
				 tb_bus(e->tb), &m, MCTPD, MCTPD_TEST,
				 "xyz.openbmc_project.Test.MCTPD",
				 "RemoveEndpoint"),
			 0);
	assert_true(sd_bus_message_append(m, "uy", 1u, eid) >= 0);
	return mctpd_call(e, m);
}

static void test_mctpd_endpoints(void **state)
{
	struct env e = { 0 };
	/* One scenario for the emulator and the stand-in (the emulator
	 * ignores the stand-in's "config"); the stand-in publishes its one
	 * drive at start, the others come later. */
	_cleanup_free_ char *sc = scenario(1, "/xyz/openbmc_project/inventory/"
					      "system/board/Board_1/Front_"
					      "NVMe_0");
	const char *scfile;
	char sensor[128], one[600];
	uint8_t types[] = { 0, 4 };

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	for (unsigned eid = 10; eid <= 12; eid++) {
		char line[700];

		snprintf(line, sizeof(line), "{\"add\": %s}",
			 drive_json(one, sizeof(one), eid, eid - 6, 35, NULL));
		emu_ctl_ok(&e.emu, line);
	}
	{
		const char *argv[] = { tb_prog("mctpd-standin"),
				       "--scenario",
				       scfile,
				       "--publish-all",
				       "--emu-control",
				       e.emu.control,
				       NULL };

		tb_spawn(e.tb, "mctpd", argv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb,
					      "xyz.openbmc_project.MCTPReactor",
					      WAIT),
				 0);
	}
	/* no config file, no entity-manager: named after the config path */
	start_nvmed(&e, NULL);
	check_drive(&e, "Front_NVMe_0", 9, 35);

	/* an endpoint added at run time, configured by a record */
	assert_true(add_endpoint(&e, 10, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Rear_NVMe") >= 0);
	check_drive(&e, "Rear_NVMe", 10, 35);
	/* one without NVMe-MI support, or without a configuration: none */
	types[1] = 1;
	assert_true(add_endpoint(&e, 11, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Not_NVMe") >= 0);
	tb_pump(e.tb, 1000);
	path_of(sensor, sizeof(sensor), SENSOR, "Not_NVMe");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, 100), 0);

	/* removed: the drive disappears */
	assert_true(remove_endpoint(&e, 10) >= 0);
	path_of(sensor, sizeof(sensor), SENSOR, "Rear_NVMe");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, WAIT), 0);
	path_of(sensor, sizeof(sensor), DRIVE, "Rear_NVMe");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, WAIT), 0);
	path_of(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));

	/* a drive that stops answering: nvmed asks mctpd to Recover the
	 * endpoint, mctpd finds it dead and removes it, the drive goes */
	types[1] = 4;
	assert_true(add_endpoint(&e, 12, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Side_NVMe") >= 0);
	check_drive(&e, "Side_NVMe", 12, 35);
	emu_ctl_ok(&e.emu, "{\"eid\": 12, \"silent\": true}");
	path_of(sensor, sizeof(sensor), DRIVE, "Side_NVMe");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, WAIT), 0);
	path_of(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	env_stop(&e);
}

static void set_severity(struct env *e, const char *record, uint64_t sev)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), EM,
			       "/xyz/openbmc_project/test/em",
			       "xyz.openbmc_project.Test.EntityManager",
			       "SetRecordProperty", &err, NULL, "ossv", record,
			       "xyz.openbmc_project.Configuration.NVME1000."
			       "Thresholds0",
			       "Severity", "d", (double)sev);
	if (r < 0)
		fprintf(stderr, "SetRecordProperty: %s\n", err.message);
	sd_bus_error_free(&err);
	assert_true(r >= 0);
}

/* A record gaining or losing its Thresholds at run time: the record's
 * replace the drive's WCTEMP/CCTEMP and stay through a re-Identify; gone,
 * the drive's come back (not NaN). */
static void test_record_thresholds_change(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	const char *scfile, *board;
	const char *rec = "/xyz/openbmc_project/inventory/system/board/"
			  "NVMe_Board/Drive_A";
	char sensor[128];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	board = tb_path(e.tb, "board.json");
	/* Severity 2 has no interface here: ignored, so no thresholds */
	tb_write_file(board,
		      "{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		      "\"Probe\": \"TRUE\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		      "\"Bus\": 3, \"Address\": \"0x1d\", "
		      "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\", "
		      "\"Thresholds\": [{\"Direction\": \"greater than\", "
		      "\"Name\": \"upper\", \"Severity\": 2, "
		      "\"Value\": 50}]}]}");
	{
		const char *margv[] = { tb_prog("mctpd-standin"), "--scenario",
					scfile, NULL };
		const char *eargv[] = { tb_prog("em-standin"), board, NULL };

		tb_spawn(e.tb, "mctpd", margv, NULL);
		tb_spawn(e.tb, "em", eargv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb, EM, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	check_drive(&e, "Drive_A", 9, 35);
	path_of(sensor, sizeof(sensor), SENSOR, "Drive_A");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_true(tb_get_double(e.tb, NVME, sensor, CRIT_IF,
				  "CriticalHigh") == 80);

	/* the record gains a warning threshold: the record wins */
	set_severity(&e, rec, 0);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, WARN_IF,
					"WarningHigh", 50, 0.01, WAIT),
			 0);
	assert_true(isnan(
		tb_get_double(e.tb, NVME, sensor, CRIT_IF, "CriticalHigh")));
	/* a reconnection re-identifies: the record's value stays */
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, DRIVE "Drive_A", OPSTAT_IF,
				      "Functional", false, WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"eid\": 9, \"silent\": false, "
			   "\"temperature\": 55}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					55, 0.01, 40000),
			 0);
	assert_true(tb_get_double(e.tb, NVME, sensor, WARN_IF, "WarningHigh") ==
		    50);
	assert_true(
		tb_get_bool(e.tb, NVME, sensor, WARN_IF, "WarningAlarmHigh"));

	/* NaN cannot be written back to the record: refused, unchanged */
	{
		sd_bus_error err = SD_BUS_ERROR_NULL;

		assert_true(sd_bus_set_property(tb_bus(e.tb), NVME, sensor,
						WARN_IF, "WarningHigh", &err,
						"d", NAN) < 0);
		assert_true(
			sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
		assert_non_null(strstr(err.message, "Drive_A"));
		sd_bus_error_free(&err);
		assert_true(tb_get_double(e.tb, NVME, sensor, WARN_IF,
					  "WarningHigh") == 50);
		/* a kind the record does not hold may be NaN */
		assert_true(sd_bus_set_property(tb_bus(e.tb), NVME, sensor,
						CRIT_IF, "CriticalLow", &err,
						"d", NAN) >= 0);
		sd_bus_error_free(&err);
	}

	/* and loses it: back to the drive's WCTEMP/CCTEMP, not NaN */
	set_severity(&e, rec, 2);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, CRIT_IF,
					"CriticalHigh", 80, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", false, WAIT),
			 0);
	env_stop(&e);
}

/* The MCTP interface of an I2C bus is looked up below --sysfs-root:
 * i2c-13's is "mctpi2c_custom", which mctpd serves for the drive. */
static void test_sysfs_interface(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	const char *scfile, *board, *sysfs, *extra[3];
	char dir[PATH_MAX];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	sysfs = tb_path(e.tb, "sys");
	snprintf(dir, sizeof(dir),
		 "%s/bus/i2c/devices/i2c-13/net/mctpi2c_custom/type", sysfs);
	tb_write_file(dir, "290\n");
	board = tb_path(e.tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \"B\", \"Type\": \"Board\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive S\", "
		      "\"Bus\": 13, \"Address\": 29, \"Protocol\": \"mi_i2c\", "
		      "\"PowerState\": \"Always\"}]}");
	{
		const char *margv[] = { tb_prog("mctpd-standin"),
					"--scenario",
					scfile,
					"--interface",
					"mctpi2c_custom=3",
					NULL };

		tb_spawn(e.tb, "mctpd", margv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
	}
	extra[0] = "--sysfs-root";
	extra[1] = sysfs;
	extra[2] = NULL;
	start_nvmed_args(&e, board, extra);
	check_drive(&e, "Drive_S", 9, 35);
	env_stop(&e);
}

/* One device, two sources: mctpd publishes EID 9 configured by a target
 * record, and an NVME1000 mi_i2c record sets the same device up. The
 * record drive takes the endpoint, whichever came first; no second
 * drive for it. */
static void test_record_wins_endpoint(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, "/xyz/openbmc_project/inventory/"
					      "system/board/Board_1/Front_"
					      "NVMe_0");
	const char *scfile, *board;
	char path[128];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	board = tb_path(e.tb, "board.json");
	tb_write_file(
		board,
		"{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		"\"Probe\": \"TRUE\", \"Exposes\": ["
		"{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		"\"Bus\": 3, \"Address\": 29, "
		"\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"}]}");
	{
		const char *margv[] = { tb_prog("mctpd-standin"), "--scenario",
					scfile, "--publish-all", NULL };
		const char *eargv[] = { tb_prog("em-standin"), board, NULL };

		tb_spawn(e.tb, "mctpd", margv, NULL);
		tb_spawn(e.tb, "em", eargv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb, EM, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	check_drive(&e, "Drive_A", 9, 35);
	path_of(path, sizeof(path), DRIVE, "Front_NVMe_0");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, path, WAIT), 0);
	tb_pump(e.tb, 1000);
	assert_int_equal(tb_count_objects(e.tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 1);
	path_of(path, sizeof(path), DRIVE, "Drive_A");
	assert_true(tb_get_bool(e.tb, NVME, path, ITEM_IF, "Present"));
	env_stop(&e);
}

/* mctpd (and mctpreactor with it) restarts: the endpoint drives stay,
 * no removal and re-creation. */
static void test_mctpd_restart(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, "/xyz/openbmc_project/inventory/"
					      "system/board/Board_1/Front_"
					      "NVMe_0");
	const char *scfile;
	char sensor[128];
	pid_t mctpd;

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	{
		const char *argv[] = { tb_prog("mctpd-standin"), "--scenario",
				       scfile, "--publish-all", NULL };

		mctpd = tb_spawn(e.tb, "mctpd", argv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	check_drive(&e, "Front_NVMe_0", 9, 35);
	assert_int_equal(tb_stop(e.tb, mctpd, SIGTERM), 0);
	assert_int_equal(tb_wait_name_gone(e.tb, MCTPD, WAIT), 0);
	{
		const char *argv[] = { tb_prog("mctpd-standin"), "--scenario",
				       scfile, "--publish-all", NULL };

		tb_spawn(e.tb, "mctpd2", argv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
	}
	assert_int_equal(tb_wait_log(e.tb, "nvmed", "mctpd appeared", WAIT), 0);
	tb_pump(e.tb, 1500);
	assert_int_equal(tb_log_count(e.tb, "nvmed", "is gone"), 0);
	assert_int_equal(tb_log_count(e.tb, "nvmed", "drive added") +
				 tb_log_count(e.tb, "nvmed",
					      "polling MCTP net 1 EID 9"),
			 1);
	path_of(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	env_stop(&e);
}

/* A record drive (SetupEndpoint) pulled and put back: Recover makes mctpd
 * drop the dead endpoint, the drive is not Present, and SetupEndpoint is
 * asked again until the drive is back. */
static void test_record_drive_pulled_and_back(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	const char *scfile, *board;
	char sensor[128], drive[128], one[600], line[700];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	board = tb_path(e.tb, "board.json");
	tb_write_file(
		board,
		"{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		"\"Probe\": \"TRUE\", \"Exposes\": ["
		"{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		"\"Bus\": 3, \"Address\": \"0x1d\", "
		"\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"}]}");
	{
		const char *margv[] = {
			tb_prog("mctpd-standin"), "--scenario",	 scfile,
			"--emu-control",	  e.emu.control, NULL
		};
		const char *eargv[] = { tb_prog("em-standin"), board, NULL };

		tb_spawn(e.tb, "mctpd", margv, NULL);
		tb_spawn(e.tb, "em", eargv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb, EM, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	path_of(sensor, sizeof(sensor), SENSOR, "Drive_A");
	path_of(drive, sizeof(drive), DRIVE, "Drive_A");
	check_drive(&e, "Drive_A", 9, 35);

	emu_ctl_ok(&e.emu, "{\"remove\": {\"network\": 1, \"eid\": 9}}");
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, ITEM_IF, "Present",
				      false, WAIT),
			 0);
	assert_false(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	assert_true(
		isnan(tb_get_double(e.tb, NVME, sensor, VALUE_IF, "Value")));
	/* the inventory says "unknown" too, not the last values */
	assert_int_equal(get_u8(e.tb, drive, DRIVE_IF,
				"PredictedMediaLifeLeftPercent"),
			 255);
	{
		_cleanup_free_ char *sw = tb_get_string(
			e.tb, NVME, drive, STATUS_IF, "SmartWarnings");

		assert_string_equal(sw, "");
	}

	snprintf(line, sizeof(line), "{\"add\": %s}",
		 drive_json(one, sizeof(one), 9, 3, 44, NULL));
	emu_ctl_ok(&e.emu, line);
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					44, 0.01, 40000),
			 0);
	assert_int_equal(tb_wait_bool(e.tb, NVME, drive, ITEM_IF, "Present",
				      true, WAIT),
			 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	env_stop(&e);
}

/*
 * mctpd's recovery handshake (its docs/endpoint-recovery.md), against the
 * stand-in of mctpd v2.6 (times scaled by 0.1) talking MCTP control to
 * the emulator: nvmed calls Recover after the availability window and
 * waits for the outcome, never calling SetupEndpoint in between.
 * - a drive that misses two polls and answers mctpd again: Available,
 *   the endpoint object never leaves, nvmed polls at once;
 * - a power-cycled drive (EID 0, same UUID): mctpd gives its EID back,
 *   the same object, the same drive objects;
 * - a swapped drive (new UUID): mctpd removes the endpoint and sets the
 *   new device up; nvmed sets its record's endpoint up again and reads
 *   the new drive's identity.
 */
static void test_mctpd_recovery(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	const char *scfile, *board;
	char sensor[128], drive[128];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	board = tb_path(e.tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		      "\"Probe\": \"TRUE\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		      "\"Bus\": 3, \"Address\": \"0x1d\", "
		      "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\", "
		      "\"UnavailableAfterFailures\": 2}]}");
	{
		const char *margv[] = { tb_prog("mctpd-standin"),
					"--scenario",
					scfile,
					"--emu-control",
					e.emu.control,
					"--time-scale",
					"0.1",
					NULL };
		const char *eargv[] = { tb_prog("em-standin"), board, NULL };

		tb_spawn(e.tb, "mctpd", margv, NULL);
		tb_spawn(e.tb, "em", eargv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb, EM, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	path_of(sensor, sizeof(sensor), SENSOR, "Drive_A");
	path_of(drive, sizeof(drive), DRIVE, "Drive_A");
	check_drive(&e, "Drive_A", 9, 35);
	assert_int_equal(tb_log_count(e.tb, "mctpd", "SetupEndpoint: eid 9"),
			 1);

	/* 1. two missed polls: Recover, Degraded, Available */
	emu_ctl_ok(&e.emu, "{\"network\": 1, \"eid\": 9, \"miss\": 2}");
	assert_int_equal(
		tb_wait_log(e.tb, "nvmed", "asking mctpd to recover", WAIT), 0);
	assert_int_equal(tb_wait_log(e.tb, "nvmed", "mctpd recovered", WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"network\": 1, \"eid\": 9, \"temperature\": 37}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					37, 0.01, WAIT),
			 0);
	assert_true(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));
	assert_int_equal(tb_log_count(e.tb, "mctpd", "removed endpoint"), 0);

	/* 2. power cycle: EID 0, same UUID: EID 9 given back */
	emu_ctl_ok(&e.emu,
		   "{\"bus\": 3, \"address\": 29, \"power_cycle\": true}");
	assert_int_equal(tb_wait_log(e.tb, "mctpd", "EID 9 given back", WAIT),
			 0);
	assert_int_equal(tb_wait_log_count(e.tb, "nvmed", "mctpd recovered", 2,
					   WAIT),
			 0);
	emu_ctl_ok(&e.emu, "{\"network\": 1, \"eid\": 9, \"temperature\": 39}");
	assert_int_equal(tb_wait_double(e.tb, NVME, sensor, VALUE_IF, "Value",
					39, 0.01, WAIT),
			 0);
	assert_int_equal(tb_log_count(e.tb, "mctpd", "removed endpoint"), 0);
	/* nvmed never raced mctpd's recovery with a SetupEndpoint */
	assert_int_equal(tb_log_count(e.tb, "mctpd", "SetupEndpoint: eid"), 1);

	/* 3. swapped: a new UUID: a new endpoint, a new drive identity */
	emu_ctl_ok(&e.emu, "{\"bus\": 3, \"address\": 29, \"swap\": true}");
	assert_int_equal(tb_wait_log(e.tb, "mctpd", "is another device", WAIT),
			 0);
	assert_int_equal(
		tb_wait_log(e.tb, "nvmed", "removed its endpoint", WAIT), 0);
	{
		_cleanup_free_ char *serial = NULL;

		for (int i = 0; i < 200; i++) {
			free(serial);
			serial = tb_get_string(e.tb, NVME, drive, ASSET_IF,
					       "SerialNumber");
			if (serial && strncmp(serial, "EMU", 3) == 0)
				break;
			tb_pump(e.tb, 50);
		}
		assert_non_null(serial);
		assert_string_equal(serial, "EMU003A029S1");
	}
	assert_int_equal(tb_wait_bool(e.tb, NVME, sensor, AVAIL_IF, "Available",
				      true, WAIT),
			 0);
	/* one drive, one sensor: no duplicates */
	assert_int_equal(tb_count_objects(e.tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 1);
	env_stop(&e);
}

static void test_entity_manager_records(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(2, NULL);
	const char *scfile, *board;
	char sensor[128];

	env_start(&e, sc);
	scfile = tb_path(e.tb, "mctpd-scenario.json");
	tb_write_file(scfile, sc);
	board = tb_path(e.tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		      "\"Probe\": \"TRUE\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		      "\"Bus\": 3, \"Address\": \"0x1d\", "
		      "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"},"
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive B\", "
		      "\"Bus\": 4, \"Protocol\": \"mi_i2c\", "
		      "\"Thresholds\": [{\"Direction\": \"greater than\", "
		      "\"Name\": \"upper critical\", \"Severity\": 1, "
		      "\"Value\": 60}]},"
		      "{\"Type\": \"NVME1000\", \"Name\": \"Basic\", "
		      "\"Bus\": 5, \"Address\": \"0x6a\"}]}");
	{
		const char *margv[] = { tb_prog("mctpd-standin"), "--scenario",
					scfile, NULL };
		const char *eargv[] = { tb_prog("em-standin"), board, NULL };
		/* Drive B has the default PowerState On: the host runs */
		const char *sargv[] = { tb_prog("state-standin"), "--host",
					"Running", NULL };

		tb_spawn(e.tb, "state", sargv, NULL);
		tb_spawn(e.tb, "mctpd", margv, NULL);
		tb_spawn(e.tb, "em", eargv, NULL);
		assert_int_equal(tb_wait_name(e.tb, MCTPD, WAIT), 0);
		assert_int_equal(tb_wait_name(e.tb, EM, WAIT), 0);
	}
	start_nvmed(&e, NULL);
	/* the name comes after the records are objects: all three are
	 * there as soon as the name is */
	assert_int_equal(tb_count_objects(e.tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 3);
	check_drive(&e, "Drive_A", 9, 35);
	check_drive(&e, "Drive_B", 10, 35);
	path_of(sensor, sizeof(sensor), SENSOR, "Drive_B");
	assert_true(tb_get_double(e.tb, NVME, sensor, CRIT_IF,
				  "CriticalHigh") == 60);
	/* mi_basic: a sensor, unavailable while nothing answers on SMBus
	 * (no /dev/i2c-5 here) */
	path_of(sensor, sizeof(sensor), SENSOR, "Basic");
	assert_int_equal(tb_wait_object(e.tb, NVME, sensor, VALUE_IF, WAIT), 0);
	assert_false(tb_get_bool(e.tb, NVME, sensor, AVAIL_IF, "Available"));

	/* the board goes away: so do its drives */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		sd_bus_error err = SD_BUS_ERROR_NULL;
		int r;

		r = sd_bus_call_method(
			tb_bus(e.tb), EM, "/xyz/openbmc_project/test/em",
			"xyz.openbmc_project.Test.EntityManager", "RemoveBoard",
			&err, &reply, "o",
			"/xyz/openbmc_project/inventory/system/board/"
			"NVMe_Board");
		if (r < 0)
			fprintf(stderr, "RemoveBoard: %s\n", err.message);
		sd_bus_error_free(&err);
		assert_true(r >= 0);
	}
	path_of(sensor, sizeof(sensor), SENSOR, "Drive_A");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, WAIT), 0);
	path_of(sensor, sizeof(sensor), DRIVE, "Drive_B");
	assert_int_equal(tb_wait_object_gone(e.tb, NVME, sensor, WAIT), 0);
	env_stop(&e);
}

static void test_64_drives(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(64, NULL);

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 64, NULL));
	for (unsigned i = 0; i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "NVMe_%u", 9 + i);
		check_drive(&e, name, 9 + i, 35);
	}
	assert_int_equal(tb_count_objects(e.tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 64);
	env_stop(&e);
}

/* The bus goes away: nvmed exits with a failure status (systemd logs a
 * failure; Restart=always restarts it). Last: it kills the test's bus. */
static void test_bus_lost(void **state)
{
	struct env e = { 0 };
	_cleanup_free_ char *sc = scenario(1, NULL);
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint32_t bus_pid = 0;
	int status = -1;

	env_start(&e, sc);
	start_nvmed(&e, nvmemi_config(&e, 1, NULL));
	check_drive(&e, "NVMe_9", 9, 35);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

		assert_true(sd_bus_call_method(
				    tb_bus(e.tb), "org.freedesktop.DBus",
				    "/org/freedesktop/DBus",
				    "org.freedesktop.DBus",
				    "GetConnectionUnixProcessID", &err, &reply,
				    "s", "org.freedesktop.DBus") >= 0);
		assert_true(sd_bus_message_read(reply, "u", &bus_pid) >= 0);
	}
	sd_bus_error_free(&err);
	assert_true(bus_pid > 1);
	assert_int_equal(kill((pid_t)bus_pid, SIGKILL), 0);
	/* reaped here for its status (tb_alive would drop it) */
	for (int i = 0; i < 100; i++) {
		if (waitpid(e.nvmed, &status, WNOHANG) == e.nvmed)
			break;
		status = -1;
		usleep(100000);
	}
	assert_true(status != -1 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_FAILURE);
	e.nvmed = 0;
	env_stop(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_records_and_nvme_cli),
		cmocka_unit_test(test_temperature_and_thresholds),
		cmocka_unit_test(test_configured_thresholds),
		cmocka_unit_test(test_silent_and_recovery),
		cmocka_unit_test(test_availability_window),
		cmocka_unit_test(test_availability_configured),
		cmocka_unit_test(test_slow_link_identify),
		cmocka_unit_test(test_admin_refused),
		cmocka_unit_test(test_faulty_replies),
		cmocka_unit_test(test_mpr_overrun),
		cmocka_unit_test(test_mctpd_endpoints),
		cmocka_unit_test(test_record_drive_pulled_and_back),
		cmocka_unit_test(test_mctpd_recovery),
		cmocka_unit_test(test_mctpd_restart),
		cmocka_unit_test(test_record_wins_endpoint),
		cmocka_unit_test(test_sysfs_interface),
		cmocka_unit_test(test_record_thresholds_change),
		cmocka_unit_test(test_entity_manager_records),
		cmocka_unit_test(test_64_drives),
		cmocka_unit_test(test_bus_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
