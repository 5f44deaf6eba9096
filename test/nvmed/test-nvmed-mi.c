// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed over NVMe-MI (nvmed-test.h): the records of a --config file
 * become drives whose identity, health and temperature are the
 * emulator's and what nvme-cli reads from the same emulator through the
 * same shim; temperature thresholds (the drive's WCTEMP/CCTEMP or the
 * record's) and their alarms; the availability window that keeps a
 * missed poll from looking like a failed sensor.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "macros.h"
#include "nvmed-test.h"

static void trim(char *s)
{
	size_t n = strlen(s);

	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

static json_object *nvme_cli(struct nt_env *e, const char *cmd, const char *dev)
{
	/* nvme-cli is Debian 12's: not the libraries meson points
	 * LD_LIBRARY_PATH at (Debian 13's in the trixie build). */
	const char *env[] = { e->preload, e->mctp_sock, "LD_LIBRARY_PATH",
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
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	char drive[128], sensor[128], buf[64];
	json_object *id, *smart;
	int64_t t;

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 2, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	nt_mi_check_drive(e, "NVMe_10", 10, 35);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 2);

	/* nvme-cli through the same shim, against the same emulator */
	nt_path(drive, sizeof(drive), DRIVE, "NVMe_9");
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	id = nvme_cli(e, "id-ctrl", "mctp:1,9");
	smart = nvme_cli(e, "smart-log", "mctp:1,9");
	{
		_cleanup_free_ char *sn = tb_get_string(
			e->tb, NVME, drive, ASSET_IF, "SerialNumber");
		_cleanup_free_ char *mn =
			tb_get_string(e->tb, NVME, drive, ASSET_IF, "Model");
		_cleanup_free_ char *fr =
			tb_get_string(e->tb, NVME, drive, REV_IF, "Version");

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
	assert_true(tb_get_double(e->tb, NVME, sensor, VALUE_IF, "Value") ==
		    (double)t);
	assert_int_equal(100 - jint(smart, "percent_used"),
			 nt_get_u8(e, drive, DRIVE_IF,
				   "PredictedMediaLifeLeftPercent"));
	json_object_put(id);
	json_object_put(smart);
	nt_stop(e);
}

/* ThresholdAsserted signals of NVMe_9 */
struct asserted {
	unsigned n;
	char last_event[64];
	int last_asserted;
};

static int on_threshold(sd_bus_message *m, void *userdata,
			sd_bus_error *ret_error)
{
	struct asserted *a = userdata;
	const char *name, *iface, *event;
	int asserted;
	double value;

	if (sd_bus_message_read(m, "sssbd", &name, &iface, &event, &asserted,
				&value) < 0)
		return 0;
	if (strcmp(name, "NVMe_9") != 0)
		return 0;
	a->n++;
	snprintf(a->last_event, sizeof(a->last_event), "%s", event);
	a->last_asserted = asserted;
	return 0;
}

static void test_temperature_and_thresholds(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	char sensor[128], drive[128];
	sd_bus_slot *slot = NULL;
	struct asserted a = { 0 };

	nt_start(e, NT_MCTP, sc);
	/* No Thresholds in the record: WCTEMP/CCTEMP of the drive (70/80) */
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_path(drive, sizeof(drive), DRIVE, "NVMe_9");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, CRIT_IF,
					"CriticalHigh", 80, 0.01, WAIT),
			 0);
	assert_false(
		tb_get_bool(e->tb, NVME, sensor, WARN_IF, "WarningAlarmHigh"));
	assert_true(sd_bus_match_signal(tb_bus(e->tb), &slot, NVME, sensor,
					CRIT_IF, "ThresholdAsserted",
					on_threshold, &a) >= 0);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 75}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					75, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", true, WAIT),
			 0);
	assert_false(
		tb_get_bool(e->tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 90}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmHigh", true, WAIT),
			 0);
	for (int i = 0; i < 50 && a.n == 0; i++)
		tb_pump(e->tb, 100);
	assert_true(a.n >= 1);
	assert_string_equal(a.last_event, "CriticalAlarmHigh");
	assert_true(a.last_asserted);

	/* the drive that tripped stops answering: the alarm stays, no
	 * ThresholdAsserted(false) for a missing reading */
	a.n = 0;
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	tb_pump(e->tb, 500);
	assert_true(
		tb_get_bool(e->tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));
	assert_int_equal(a.n, 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": false}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					90, 0.01, 40000),
			 0);
	assert_true(
		tb_get_bool(e->tb, NVME, sensor, CRIT_IF, "CriticalAlarmHigh"));
	assert_int_equal(a.n, 0);

	/* SMART warning bits propagate (temperature + media read-only) */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"critical_warning\": 10}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, STATUS_IF,
				      "TemperatureFault", true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, STATUS_IF,
				      "MediaFault", true, WAIT),
			 0);
	assert_false(
		tb_get_bool(e->tb, NVME, drive, STATUS_IF, "CapacityFault"));
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, STATUS_IF,
					"SmartWarnings", "f5", WAIT),
			 0);

	/* back down: alarms clear */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 40, "
			    "\"critical_warning\": 0}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmHigh", false, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", false, WAIT),
			 0);
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, STATUS_IF,
					"SmartWarnings", "ff", WAIT),
			 0);
	sd_bus_slot_unref(slot);
	nt_stop(e);
}

/* PropertiesChanged on a threshold interface naming WarningHigh */
struct th_changed {
	unsigned n;
	double value;
};

static int on_th_changed(sd_bus_message *m, void *userdata,
			 sd_bus_error *ret_error)
{
	struct th_changed *c = userdata;
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
			if (sd_bus_message_read(m, "v", "d", &c->value) < 0)
				return 0;
			c->n++;
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
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	char sensor[128];

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e,
		       nt_mi_config(e, 1,
				    ", \"Thresholds\": ["
				    "{\"Direction\": \"greater than\", "
				    "\"Severity\": 0, \"Value\": 50}, "
				    "{\"Direction\": \"less than\", "
				    "\"Severity\": 1, \"Value\": 5}]"),
		       NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	/* the record wins over the drive's WCTEMP/CCTEMP */
	assert_true(tb_get_double(e->tb, NVME, sensor, WARN_IF,
				  "WarningHigh") == 50);
	assert_true(tb_get_double(e->tb, NVME, sensor, CRIT_IF,
				  "CriticalLow") == 5);
	/* only the thresholds the record gives, as dbus-sensors: none of
	 * the drive's, and nothing for those the record does not have */
	assert_false(
		tb_has_property(e->tb, NVME, sensor, CRIT_IF, "CriticalHigh"));
	assert_false(tb_has_property(e->tb, NVME, sensor, CRIT_IF,
				     "CriticalAlarmHigh"));
	assert_false(
		tb_has_property(e->tb, NVME, sensor, WARN_IF, "WarningLow"));
	assert_false(tb_has_property(e->tb, NVME, sensor, WARN_IF,
				     "WarningAlarmLow"));
	{
		sd_bus_error err = SD_BUS_ERROR_NULL;

		/* which therefore cannot be set */
		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, sensor,
						WARN_IF, "WarningLow", &err,
						"d", 3.0) < 0);
		assert_true(sd_bus_error_has_name(
			&err, SD_BUS_ERROR_UNKNOWN_PROPERTY));
		sd_bus_error_free(&err);
	}
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 2}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmLow", true, WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 55}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", true, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, CRIT_IF,
				      "CriticalAlarmLow", false, WAIT),
			 0);

	/* a Set over D-Bus is announced (sd-bus does not do it for us) */
	{
		sd_bus_slot *slot = NULL;
		sd_bus_error err = SD_BUS_ERROR_NULL;
		struct th_changed changed = { 0 };

		assert_true(
			sd_bus_match_signal(tb_bus(e->tb), &slot, NVME, sensor,
					    "org.freedesktop.DBus.Properties",
					    "PropertiesChanged", on_th_changed,
					    &changed) >= 0);
		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, sensor,
						WARN_IF, "WarningHigh", &err,
						"d", 65.0) >= 0);
		sd_bus_error_free(&err);
		for (int i = 0; i < 50 && changed.n == 0; i++)
			tb_pump(e->tb, 100);
		assert_int_equal(changed.n, 1);
		assert_true(changed.value == 65);
		sd_bus_slot_unref(slot);
	}
	nt_stop(e);
}

/* EID eid goes silent: the requests it saw until the sensor was
 * unavailable (at most the window, plus a poll already under way). */
static long long silence_until_unavailable(struct nt_env *e, unsigned eid,
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
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	char sensor[128];
	sd_bus_slot *watch;
	unsigned lost = 0;
	long long n;

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 2, NULL), NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	watch = tb_watch_sensor_lost(e->tb, NVME, sensor, &lost);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"miss\": 1}");
	nt_wait_missed(e, 9);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 36}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					36, 0.01, WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"miss\": 4}");
	nt_wait_missed(e, 9);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 37}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					37, 0.01, WAIT),
			 0);
	tb_pump(e->tb, 100);
	assert_int_equal(lost, 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));

	n = silence_until_unavailable(e, 9, sensor);
	assert_in_range(n, 1, 5 + 1);
	assert_true(
		isnan(tb_get_double(e->tb, NVME, sensor, VALUE_IF, "Value")));
	assert_int_equal(
		tb_wait_log(e->tb, "nvmed", "marking it unavailable", WAIT), 0);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": false, "
			    "\"temperature\": 41}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					41, 0.01, 40000),
			 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	sd_bus_slot_unref(watch);
	nt_stop(e);
}

/* The window from the command line (--unavailable-after 3) and from a
 * record (UnavailableAfterFailures 1, the strict policy). */
static void test_availability_configured(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	const char *extra[] = { "--unavailable-after", "3", NULL };
	char s9[128], s10[128];
	sd_bus_slot *w9, *w10;
	unsigned lost9 = 0, lost10 = 0;
	long long n;

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e,
		       nt_mi_config(e, 2, ", \"UnavailableAfterFailures\": 1"),
		       extra);
	nt_path(s9, sizeof(s9), SENSOR, "NVMe_9");
	nt_path(s10, sizeof(s10), SENSOR, "NVMe_10");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	nt_mi_check_drive(e, "NVMe_10", 10, 35);
	w9 = tb_watch_sensor_lost(e->tb, NVME, s9, &lost9);
	w10 = tb_watch_sensor_lost(e->tb, NVME, s10, &lost10);

	/* 2 missed polls: inside NVMe_10's window of 3 */
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"miss\": 2}");
	nt_wait_missed(e, 10);
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e->tb, NVME, s10, VALUE_IF, "Value", 44,
					0.01, WAIT),
			 0);
	/* 1 missed poll: NVMe_9's whole window */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"miss\": 1}");
	nt_wait_missed(e, 9);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 45}");
	assert_int_equal(tb_wait_double(e->tb, NVME, s9, VALUE_IF, "Value", 45,
					0.01, WAIT),
			 0);
	tb_pump(e->tb, 100);
	assert_int_equal(lost10, 0);
	assert_true(lost9 > 0);

	n = silence_until_unavailable(e, 10, s10);
	assert_in_range(n, 1, 3 + 1);
	sd_bus_slot_unref(w9);
	sd_bus_slot_unref(w10);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_json_records_and_nvme_cli),
		NT_TEST(test_temperature_and_thresholds),
		NT_TEST(test_configured_thresholds),
		NT_TEST(test_availability_window),
		NT_TEST(test_availability_configured),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
