// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed and mctpd (nvmed-test.h, the mctpd stand-in): endpoints mctpd
 * publishes become drives and go with them; a record drive pulled and
 * put back; mctpd's recovery handshake (a miss, a power cycle, a swap);
 * mctpd restarting; a record and an endpoint for the same device.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

static int mctpd_call(struct nt_env *e, sd_bus_message *m)
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

static int add_endpoint(struct nt_env *e, uint8_t eid, const uint8_t *types,
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

static int remove_endpoint(struct nt_env *e, uint8_t eid)
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
	struct nt_env *e = *state;
	/* One scenario for the emulator and the stand-in (the emulator
	 * ignores the stand-in's "config"); the stand-in publishes its one
	 * drive at start, the others come later. */
	_cleanup_free_ char *sc =
		nt_mi_scenario(1, "/xyz/openbmc_project/inventory/"
				  "system/board/Board_1/Front_"
				  "NVMe_0");
	char sensor[128], one[600];
	uint8_t types[] = { 0, 4 };

	nt_start(e, NT_MCTP, sc);
	for (unsigned eid = 10; eid <= 12; eid++) {
		char line[700];

		snprintf(line, sizeof(line), "{\"add\": %s}",
			 nt_mi_drive_json(one, sizeof(one), eid, eid - 6, 35,
					  NULL));
		emu_ctl_ok(&e->emu, line);
	}
	{
		const char *args[] = { "--publish-all", "--emu-control",
				       e->emu.control, NULL };

		nt_start_mctpd(e, "mctpd", sc, args);
		assert_int_equal(tb_wait_name(e->tb,
					      "xyz.openbmc_project.MCTPReactor",
					      WAIT),
				 0);
	}
	/* no config file, no entity-manager: named after the config path */
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "Front_NVMe_0", 9, 35);

	/* an endpoint added at run time, configured by a record */
	assert_true(add_endpoint(e, 10, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Rear_NVMe") >= 0);
	nt_mi_check_drive(e, "Rear_NVMe", 10, 35);
	/* one without NVMe-MI support, or without a configuration: none */
	types[1] = 1;
	assert_true(add_endpoint(e, 11, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Not_NVMe") >= 0);
	tb_pump(e->tb, 1000);
	nt_path(sensor, sizeof(sensor), SENSOR, "Not_NVMe");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, 100), 0);

	/* removed: the drive disappears */
	assert_true(remove_endpoint(e, 10) >= 0);
	nt_path(sensor, sizeof(sensor), SENSOR, "Rear_NVMe");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, WAIT), 0);
	nt_path(sensor, sizeof(sensor), DRIVE, "Rear_NVMe");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, WAIT), 0);
	nt_path(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));

	/* a drive that stops answering: nvmed asks mctpd to Recover the
	 * endpoint, mctpd finds it dead and removes it, the drive goes */
	types[1] = 4;
	assert_true(add_endpoint(e, 12, types, sizeof(types),
				 "/xyz/openbmc_project/inventory/system/board/"
				 "Board_1/Side_NVMe") >= 0);
	nt_mi_check_drive(e, "Side_NVMe", 12, 35);
	emu_ctl_ok(&e->emu, "{\"eid\": 12, \"silent\": true}");
	nt_path(sensor, sizeof(sensor), DRIVE, "Side_NVMe");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, sensor, WAIT), 0);
	nt_path(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	nt_stop(e);
}

/* A record drive (SetupEndpoint) pulled and put back: Recover makes mctpd
 * drop the dead endpoint, the drive is not Present, and SetupEndpoint is
 * asked again until the drive is back. */
static void test_record_drive_pulled_and_back(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	const char *board;
	char sensor[128], drive[128], one[600], line[700];

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
	tb_write_file(
		board,
		"{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		"\"Probe\": \"TRUE\", \"Exposes\": ["
		"{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		"\"Bus\": 3, \"Address\": \"0x1d\", "
		"\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"}]}");
	{
		const char *margs[] = { "--emu-control", e->emu.control, NULL };
		const char *eargs[] = { board, NULL };

		nt_start_mctpd(e, "mctpd", sc, margs);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "Drive_A");
	nt_path(drive, sizeof(drive), DRIVE, "Drive_A");
	nt_mi_check_drive(e, "Drive_A", 9, 35);

	emu_ctl_ok(&e->emu, "{\"remove\": {\"network\": 1, \"eid\": 9}}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, ITEM_IF, "Present",
				      false, WAIT),
			 0);
	assert_false(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	assert_true(
		isnan(tb_get_double(e->tb, NVME, sensor, VALUE_IF, "Value")));
	/* the inventory says "unknown" too, not the last values */
	assert_int_equal(nt_get_u8(e, drive, DRIVE_IF,
				   "PredictedMediaLifeLeftPercent"),
			 255);
	{
		_cleanup_free_ char *sw = tb_get_string(
			e->tb, NVME, drive, STATUS_IF, "SmartWarnings");

		assert_string_equal(sw, "");
	}

	snprintf(line, sizeof(line), "{\"add\": %s}",
		 nt_mi_drive_json(one, sizeof(one), 9, 3, 44, NULL));
	emu_ctl_ok(&e->emu, line);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					44, 0.01, 40000),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, ITEM_IF, "Present",
				      true, WAIT),
			 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	nt_stop(e);
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
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	const char *board;
	char sensor[128], drive[128];

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
	tb_write_file(board,
		      "{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		      "\"Probe\": \"TRUE\", \"Exposes\": ["
		      "{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		      "\"Bus\": 3, \"Address\": \"0x1d\", "
		      "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\", "
		      "\"UnavailableAfterFailures\": 2}]}");
	{
		const char *margs[] = { "--emu-control", e->emu.control,
					"--time-scale", "0.1", NULL };
		const char *eargs[] = { board, NULL };

		nt_start_mctpd(e, "mctpd", sc, margs);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "Drive_A");
	nt_path(drive, sizeof(drive), DRIVE, "Drive_A");
	nt_mi_check_drive(e, "Drive_A", 9, 35);
	assert_int_equal(tb_log_count(e->tb, "mctpd", "SetupEndpoint: eid 9"),
			 1);

	/* 1. two missed polls (polls only: a management read in flight
	 * keeps its answer): Recover, Degraded, Available */
	emu_ctl_ok(&e->emu, "{\"network\": 1, \"eid\": 9, \"miss_mi\": 2}");
	assert_int_equal(tb_wait_log(e->tb, "nvmed", "asking mctpd to recover",
				     WAIT),
			 0);
	assert_int_equal(tb_wait_log(e->tb, "nvmed", "mctpd recovered", WAIT),
			 0);
	emu_ctl_ok(&e->emu,
		   "{\"network\": 1, \"eid\": 9, \"temperature\": 37}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					37, 0.01, WAIT),
			 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	assert_int_equal(tb_log_count(e->tb, "mctpd", "removed endpoint"), 0);

	/* 2. power cycle: EID 0, same UUID: EID 9 given back */
	emu_ctl_ok(&e->emu,
		   "{\"bus\": 3, \"address\": 29, \"power_cycle\": true}");
	assert_int_equal(tb_wait_log(e->tb, "mctpd", "EID 9 given back", WAIT),
			 0);
	assert_int_equal(tb_wait_log_count(e->tb, "nvmed", "mctpd recovered", 2,
					   WAIT),
			 0);
	emu_ctl_ok(&e->emu,
		   "{\"network\": 1, \"eid\": 9, \"temperature\": 39}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					39, 0.01, WAIT),
			 0);
	assert_int_equal(tb_log_count(e->tb, "mctpd", "removed endpoint"), 0);
	/* nvmed never raced mctpd's recovery with a SetupEndpoint */
	assert_int_equal(tb_log_count(e->tb, "mctpd", "SetupEndpoint: eid"), 1);

	/* 3. swapped: a new UUID: a new endpoint, a new drive identity */
	emu_ctl_ok(&e->emu, "{\"bus\": 3, \"address\": 29, \"swap\": true}");
	assert_int_equal(tb_wait_log(e->tb, "mctpd", "is another device", WAIT),
			 0);
	assert_int_equal(
		tb_wait_log(e->tb, "nvmed", "removed its endpoint", WAIT), 0);
	{
		_cleanup_free_ char *serial = NULL;

		for (int i = 0; i < 200; i++) {
			free(serial);
			serial = tb_get_string(e->tb, NVME, drive, ASSET_IF,
					       "SerialNumber");
			if (serial && strncmp(serial, "EMU", 3) == 0)
				break;
			tb_pump(e->tb, 50);
		}
		assert_non_null(serial);
		assert_string_equal(serial, "EMU003A029S1");
	}
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", true, WAIT),
			 0);
	/* one drive, one sensor: no duplicates */
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 1);
	nt_stop(e);
}

/* mctpd (and mctpreactor with it) restarts: the endpoint drives stay,
 * no removal and re-creation. */
static void test_mctpd_restart(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc =
		nt_mi_scenario(1, "/xyz/openbmc_project/inventory/"
				  "system/board/Board_1/Front_"
				  "NVMe_0");
	const char *args[] = { "--publish-all", NULL };
	char sensor[128];
	pid_t mctpd;

	nt_start(e, NT_MCTP, sc);
	mctpd = nt_start_mctpd(e, "mctpd", sc, args);
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "Front_NVMe_0", 9, 35);
	assert_int_equal(tb_stop(e->tb, mctpd, SIGTERM), 0);
	assert_int_equal(tb_wait_name_gone(e->tb, MCTPD, WAIT), 0);
	nt_start_mctpd(e, "mctpd2", sc, args);
	assert_int_equal(tb_wait_log(e->tb, "nvmed", "mctpd appeared", WAIT),
			 0);
	tb_pump(e->tb, 1500);
	assert_int_equal(tb_log_count(e->tb, "nvmed", "is gone"), 0);
	assert_int_equal(tb_log_count(e->tb, "nvmed", "drive added") +
				 tb_log_count(e->tb, "nvmed",
					      "polling MCTP net 1 EID 9"),
			 1);
	nt_path(sensor, sizeof(sensor), SENSOR, "Front_NVMe_0");
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	nt_stop(e);
}

/* One device, two sources: mctpd publishes EID 9 configured by a target
 * record, and an NVME1000 mi_i2c record sets the same device up. The
 * record drive takes the endpoint, whichever came first; no second
 * drive for it. */
static void test_record_wins_endpoint(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc =
		nt_mi_scenario(1, "/xyz/openbmc_project/inventory/"
				  "system/board/Board_1/Front_"
				  "NVMe_0");
	const char *board;
	char path[128];

	nt_start(e, NT_MCTP, sc);
	board = tb_path(e->tb, "board.json");
	tb_write_file(
		board,
		"{\"Name\": \"NVMe Board\", \"Type\": \"Board\", "
		"\"Probe\": \"TRUE\", \"Exposes\": ["
		"{\"Type\": \"NVME1000\", \"Name\": \"Drive A\", "
		"\"Bus\": 3, \"Address\": 29, "
		"\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"}]}");
	{
		const char *margs[] = { "--publish-all", NULL };
		const char *eargs[] = { board, NULL };

		nt_start_mctpd(e, "mctpd", sc, margs);
		nt_start_em(e, eargs);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "Drive_A", 9, 35);
	nt_path(path, sizeof(path), DRIVE, "Front_NVMe_0");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, path, WAIT), 0);
	tb_pump(e->tb, 1000);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 1);
	nt_path(path, sizeof(path), DRIVE, "Drive_A");
	assert_true(tb_get_bool(e->tb, NVME, path, ITEM_IF, "Present"));
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_mctpd_endpoints),
		NT_TEST(test_record_drive_pulled_and_back),
		NT_TEST(test_mctpd_recovery),
		NT_TEST(test_mctpd_restart),
		NT_TEST(test_record_wins_endpoint),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
