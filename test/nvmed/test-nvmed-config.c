// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's configuration over NVMe-MI (nvmed-test.h): entity-manager's
 * NVME1000 records (the em stand-in) become drives and go with their
 * board; a record's Thresholds changing at run time; the MCTP interface
 * of an I2C bus found below --sysfs-root.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

static void test_entity_manager_records(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	const char *board;
	char sensor[128];

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
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
		const char *eargs[] = { board, NULL };

		/* Drive B has the default PowerState On: the host runs */
		nt_start_state(e, "Running");
		nt_start_mctpd(e, "mctpd", sc, NULL);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	/* the name comes after the records are objects: all three are
	 * there as soon as the name is */
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 3);
	nt_mi_check_drive(e, "Drive_A", 9, 35);
	nt_mi_check_drive(e, "Drive_B", 10, 35);
	nt_path(sensor, sizeof(sensor), SENSOR, "Drive_B");
	assert_true(tb_get_double(e->tb, NVME, sensor, CRIT_IF,
				  "CriticalHigh") == 60);
	/* mi_basic: a sensor, unavailable while nothing answers on SMBus
	 * (no /dev/i2c-5 here) */
	nt_path(sensor, sizeof(sensor), SENSOR, "Basic");
	assert_int_equal(tb_wait_object(e->tb, NVME, sensor, VALUE_IF, WAIT),
			 0);
	assert_false(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));

	/* the board goes away: so do its drives */
	nt_remove_board(e, "/xyz/openbmc_project/inventory/system/board/"
			   "NVMe_Board");
	nt_path(sensor, sizeof(sensor), SENSOR, "Drive_A");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, WAIT), 0);
	nt_path(sensor, sizeof(sensor), DRIVE, "Drive_B");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, WAIT), 0);
	nt_stop(e);
}

/* Names that start with no letter or digit: the sensor, the drive and
 * its controller are at the segments entity-manager and sdbusplus make
 * ("_5frear_5fNVMe_5fTemp"), which object_path::filename() reads back
 * as entity-manager names the record ("_rear_NVMe_Temp"). */
static void test_leading_names(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	_cleanup_free_ char *sensors = NULL, *drives = NULL, *ctrls = NULL;
	_cleanup_free_ char *pretty = NULL;
	const char *board;
	char sensor[128];

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \" NVMe Board\", \"Type\": \"Board\", "
		      "\"Probe\": \"TRUE\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"-rear NVMe Temp\", "
		      "\"Bus\": 3, \"Address\": \"0x1d\", "
		      "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"},"
		      "{\"Type\": \"NVME1000\", \"Name\": \" front NVMe\", "
		      "\"Bus\": 4, \"Protocol\": \"mi_i2c\", "
		      "\"PowerState\": \"Always\"},"
		      "{\"Type\": \"NVME1000\", \"Name\": \"_mid nvme\", "
		      "\"Bus\": 5, \"Address\": \"0x6a\"}]}");
	{
		const char *eargs[] = { board, NULL };

		nt_start_state(e, "Running");
		nt_start_mctpd(e, "mctpd", sc, NULL);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "_5ffront_5fNVMe", 10, 35);
	nt_wait_value(e, "_5frear_5fNVMe_5fTemp", 35, WAIT);
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("_5frear_5fNVMe"),
					ASSET_IF, "SerialNumber", "SN9", WAIT),
			 0);
	nt_path(sensor, sizeof(sensor), SENSOR, "_5fmid_5fnvme");
	assert_int_equal(tb_wait_object(e->tb, NVME, sensor, VALUE_IF, WAIT),
			 0);

	sensors = tb_object_names(e->tb, NVME, "/xyz/openbmc_project/sensors",
				  VALUE_IF);
	assert_non_null(sensors);
	assert_string_equal(sensors,
			    "_front_NVMe\n_mid_nvme\n_rear_NVMe_Temp\n");
	drives = tb_object_names(e->tb, NVME, "/xyz/openbmc_project/inventory",
				 DRIVE_IF);
	assert_non_null(drives);
	assert_string_equal(drives, "_front_NVMe\n_mid_nvme\n_rear_NVMe\n");
	ctrls = tb_object_names(e->tb, NVME, "/xyz/openbmc_project/inventory",
				"xyz.openbmc_project.Inventory.Item."
				"StorageController");
	assert_non_null(ctrls);
	assert_string_equal(ctrls, "_front_NVMe\n_mid_nvme\n_rear_NVMe\n");
	pretty = tb_get_string(e->tb, NVME, nt_drive("_5frear_5fNVMe"), ITEM_IF,
			       "PrettyName");
	assert_string_equal(pretty, "-rear NVMe");
	/* the board's path as entity-manager makes it */
	assert_true(nt_has_assoc(e, nt_drive("_5frear_5fNVMe"), "chassis",
				 "drive",
				 "/xyz/openbmc_project/inventory/system/board/"
				 "_5fNVMe_5fBoard"));
	nt_stop(e);
}

static void set_severity(struct nt_env *e, const char *record, uint64_t sev)
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
/* InterfacesAdded/Removed of one interface at one path. */
struct iface_events {
	const char *path, *iface;
	int added, removed;
	int added_props; /* properties the last InterfacesAdded carried */
};

static int on_iface_event(sd_bus_message *m, void *userdata,
			  sd_bus_error *ret_error)
{
	struct iface_events *ev = userdata;
	const char *path, *name;

	if (sd_bus_message_read(m, "o", &path) < 0 ||
	    strcmp(path, ev->path) != 0)
		return 0;
	if (strcmp(sd_bus_message_get_member(m), "InterfacesRemoved") == 0) {
		assert_true(sd_bus_message_enter_container(m, 'a', "s") >= 0);
		while (sd_bus_message_read(m, "s", &name) > 0)
			ev->removed += strcmp(name, ev->iface) == 0;
		return 0;
	}
	assert_true(sd_bus_message_enter_container(m, 'a', "{sa{sv}}") >= 0);
	while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
		bool mine;

		assert_true(sd_bus_message_read(m, "s", &name) >= 0);
		mine = strcmp(name, ev->iface) == 0;
		if (mine) {
			ev->added++;
			ev->added_props = 0;
		}
		assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") >=
			    0);
		while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
			ev->added_props += mine;
			assert_true(sd_bus_message_skip(m, "sv") >= 0);
			assert_true(sd_bus_message_exit_container(m) >= 0);
		}
		assert_true(sd_bus_message_exit_container(m) >= 0);
		assert_true(sd_bus_message_exit_container(m) >= 0);
	}
	return 0;
}

static void wait_iface_events(struct nt_env *e, struct iface_events *ev,
			      int added, int removed)
{
	for (int k = 0; k < 100 && (ev->added < added || ev->removed < removed);
	     k++)
		tb_pump(e->tb, 100);
	if (ev->added != added || ev->removed != removed)
		fail_msg("%s %s: %d InterfacesAdded, %d InterfacesRemoved; "
			 "expected %d and %d",
			 ev->path, ev->iface, ev->added, ev->removed, added,
			 removed);
}

static void test_record_thresholds_change(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	const char *board;
	const char *rec = "/xyz/openbmc_project/inventory/system/board/"
			  "NVMe_Board/Drive_A";
	char sensor[128];
	struct iface_events ev = { .iface = CRIT_IF };
	sd_bus_slot *s_add = NULL, *s_rm = NULL;

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
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
		const char *eargs[] = { board, NULL };

		nt_start_mctpd(e, "mctpd", sc, NULL);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "Drive_A", 9, 35);
	nt_path(sensor, sizeof(sensor), SENSOR, "Drive_A");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_true(tb_get_double(e->tb, NVME, sensor, CRIT_IF,
				  "CriticalHigh") == 80);
	/* WCTEMP/CCTEMP give high thresholds only */
	assert_false(
		tb_has_property(e->tb, NVME, sensor, WARN_IF, "WarningLow"));
	assert_false(
		tb_has_property(e->tb, NVME, sensor, CRIT_IF, "CriticalLow"));
	ev.path = sensor;
	assert_true(sd_bus_match_signal(tb_bus(e->tb), &s_add, NVME, NULL,
					"org.freedesktop.DBus.ObjectManager",
					"InterfacesAdded", on_iface_event,
					&ev) >= 0);
	assert_true(sd_bus_match_signal(tb_bus(e->tb), &s_rm, NVME, NULL,
					"org.freedesktop.DBus.ObjectManager",
					"InterfacesRemoved", on_iface_event,
					&ev) >= 0);

	/* the record gains a warning threshold: the record wins */
	set_severity(e, rec, 0);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, WARN_IF,
					"WarningHigh", 50, 0.01, WAIT),
			 0);
	/* only what the record gives: the drive's CCTEMP goes, and the
	 * Critical interface with it, announced */
	wait_iface_events(e, &ev, 0, 1);
	assert_false(
		tb_has_property(e->tb, NVME, sensor, CRIT_IF, "CriticalHigh"));
	/* a reconnection re-identifies: the record's value stays */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, DRIVE "Drive_A", OPSTAT_IF,
				      "Functional", false, WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": false, "
			    "\"temperature\": 55}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					55, 0.01, 40000),
			 0);
	assert_true(tb_get_double(e->tb, NVME, sensor, WARN_IF,
				  "WarningHigh") == 50);
	assert_true(
		tb_get_bool(e->tb, NVME, sensor, WARN_IF, "WarningAlarmHigh"));

	/* NaN cannot be written back to the record: refused, unchanged */
	{
		sd_bus_error err = SD_BUS_ERROR_NULL;

		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, sensor,
						WARN_IF, "WarningHigh", &err,
						"d", NAN) < 0);
		assert_true(
			sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
		assert_non_null(strstr(err.message, "Drive_A"));
		sd_bus_error_free(&err);
		assert_true(tb_get_double(e->tb, NVME, sensor, WARN_IF,
					  "WarningHigh") == 50);
		/* a threshold the record does not have does not exist: it
		 * cannot be set (as with nvmesensor) */
		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, sensor,
						CRIT_IF, "CriticalLow", &err,
						"d", 5.0) < 0);
		assert_true(sd_bus_error_has_names(
			&err, SD_BUS_ERROR_UNKNOWN_PROPERTY,
			SD_BUS_ERROR_UNKNOWN_INTERFACE));
		sd_bus_error_free(&err);
		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, sensor,
						WARN_IF, "WarningLow", &err,
						"d", 5.0) < 0);
		assert_true(sd_bus_error_has_name(
			&err, SD_BUS_ERROR_UNKNOWN_PROPERTY));
		sd_bus_error_free(&err);
	}

	/* and loses it: back to the drive's WCTEMP/CCTEMP, not NaN */
	set_severity(e, rec, 2);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, WARN_IF,
					"WarningHigh", 70, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, CRIT_IF,
					"CriticalHigh", 80, 0.01, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, WARN_IF,
				      "WarningAlarmHigh", false, WAIT),
			 0);
	wait_iface_events(e, &ev, 1, 1);
	assert_true(ev.added_props == 2); /* CriticalHigh, its alarm */
	sd_bus_slot_unref(s_add);
	sd_bus_slot_unref(s_rm);
	nt_stop(e);
}

/* The MCTP interface of an I2C bus is looked up below --sysfs-root:
 * i2c-13's is "mctpi2c_custom", which mctpd serves for the drive. */
static void test_sysfs_interface(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	const char *board, *sysfs, *extra[3];
	char dir[PATH_MAX];

	nt_start(e, NT_MCTP, sc);
	sysfs = tb_path(e->tb, "sys");
	snprintf(dir, sizeof(dir),
		 "%s/bus/i2c/devices/i2c-13/net/mctpi2c_custom/type", sysfs);
	tb_write_file(dir, "290\n");
	board = tb_path(e->tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \"B\", \"Type\": \"Board\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive S\", "
		      "\"Bus\": 13, \"Address\": 29, \"Protocol\": \"mi_i2c\", "
		      "\"PowerState\": \"Always\"}]}");
	{
		const char *margs[] = { "--interface", "mctpi2c_custom=3",
					NULL };

		nt_start_mctpd(e, "mctpd", sc, margs);
	}
	extra[0] = "--sysfs-root";
	extra[1] = sysfs;
	extra[2] = NULL;
	nt_start_nvmed(e, board, extra);
	nt_mi_check_drive(e, "Drive_S", 9, 35);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_entity_manager_records),
		NT_TEST(test_leading_names),
		NT_TEST(test_record_thresholds_change),
		NT_TEST(test_sysfs_interface),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
