// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's SMBus path (nvmed-test.h, NT_SMBUS: libi2c-shim.so and the
 * emulator serving the basic management command): a drive's values,
 * inventory and status, with alarms and hysteresis; not ready, not
 * functional, sensor failure, NACK, bus busy, garbage and bad PEC; the
 * availability window; each fault logged once and resolved.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "macros.h"
#include "nvmed-test.h"

/* ---- a basic drive: values, inventory, status, faults ---------------- */

static void test_basic_drive_and_faults(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 3);
	_cleanup_free_ char *sn = NULL, *mf = NULL, *fl = NULL;
	const char *board;
	double v;

	nt_start(e, NT_SMBUS, sc);
	board = nt_board_file(
		e, "{\"Type\": \"NVME1000\", \"Name\": \"Basic A\", "
		   "\"Bus\": 3, \"Address\": \"0x6a\", \"PowerState\": "
		   "\"Always\", \"Thresholds\": [{\"Direction\": \"greater "
		   "than\", \"Severity\": 0, \"Value\": 60, \"Hysteresis\": "
		   "5}, {\"Direction\": \"greater than\", \"Severity\": 1, "
		   "\"Value\": 70}]}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Basic PEC\", "
		   "\"Bus\": 4, \"PEC\": \"Required\", \"PowerState\": "
		   "\"Always\"}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);

	nt_wait_value(e, "Basic_A", 35, WAIT);
	nt_wait_value(e, "Basic_PEC", 36, WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), AVAIL_IF, "Available", true,
		     WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), OPSTAT_IF, "Functional", true,
		     WAIT);
	/* the inventory upstream lacks: command 8 and the status bytes */
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("Basic_A"),
					ASSET_IF, "SerialNumber", "SN9", WAIT),
			 0);
	mf = tb_get_string(e->tb, NVME, nt_drive("Basic_A"), ASSET_IF,
			   "Manufacturer");
	assert_string_equal(mf, "Samsung");
	fl = tb_get_string(e->tb, NVME, nt_drive("Basic_A"), STATUS_IF,
			   "StatusFlags");
	assert_string_equal(fl, "bf");
	assert_true(tb_get_bool(e->tb, NVME, nt_drive("Basic_A"), ITEM_IF,
				"Present"));
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("Basic_A"),
					STATUS_IF, "DriveLifeUsed", "03", WAIT),
			 0);

	/* alarms with hysteresis 5: set at 60, cleared below 55 */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 61}");
	nt_wait_bool(e, nt_sensor("Basic_A"), WARN_IF, "WarningAlarmHigh", true,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 56}");
	nt_wait_value(e, "Basic_A", 56, WAIT);
	tb_pump(e->tb, 600);
	assert_true(tb_get_bool(e->tb, NVME, nt_sensor("Basic_A"), WARN_IF,
				"WarningAlarmHigh"));
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 54}");
	nt_wait_bool(e, nt_sensor("Basic_A"), WARN_IF, "WarningAlarmHigh",
		     false, WAIT);

	/* SMART warnings */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"critical_warning\": 2}");
	nt_wait_bool(e, nt_drive("Basic_A"), STATUS_IF, "TemperatureFault",
		     true, WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"critical_warning\": 0}");
	nt_wait_bool(e, nt_drive("Basic_A"), STATUS_IF, "TemperatureFault",
		     false, WAIT);

	/* not ready, then not functional: NaN and non-functional at once */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"ready\": false}");
	nt_wait_value(e, "Basic_A", NAN, WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), OPSTAT_IF, "Functional", false,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"ready\": true, \"temperature\": "
			    "40}");
	nt_wait_value(e, "Basic_A", 40, WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), OPSTAT_IF, "Functional", true,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"functional\": false}");
	nt_wait_value(e, "Basic_A", NAN, WAIT);
	nt_wait_bool(e, nt_drive("Basic_A"), OPSTAT_IF, "Functional", false,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"functional\": true}");
	nt_wait_value(e, "Basic_A", 40, WAIT);

	/* sensor failure (81h): five errors, then NaN and non-functional */
	emu_ctl_ok(&e->emu,
		   "{\"eid\": 9, \"temperature\": \"sensor_failure\"}");
	nt_wait_bool(e, nt_sensor("Basic_A"), OPSTAT_IF, "Functional", false,
		     WAIT);
	nt_wait_value(e, "Basic_A", NAN, WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 41}");
	nt_wait_value(e, "Basic_A", 41, SLOW_WAIT);

	/* NACK: unavailable after the threshold, the other drive unharmed */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": true}");
	nt_wait_bool(e, nt_sensor("Basic_A"), AVAIL_IF, "Available", false,
		     WAIT);
	nt_wait_value(e, "Basic_A", NAN, WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), OPSTAT_IF, "Functional", false,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 44}");
	nt_wait_value(e, "Basic_PEC", 44, WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": false, \"temperature\": "
			    "42}");
	nt_wait_value(e, "Basic_A", 42, SLOW_WAIT);
	nt_wait_bool(e, nt_sensor("Basic_A"), AVAIL_IF, "Available", true,
		     WAIT);

	/* bus busy: the same */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"bus_busy\": true}");
	nt_wait_bool(e, nt_sensor("Basic_A"), AVAIL_IF, "Available", false,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"bus_busy\": false}");
	nt_wait_bool(e, nt_sensor("Basic_A"), AVAIL_IF, "Available", true,
		     SLOW_WAIT);

	/* garbage on the wire: without PEC it is read (nvmesensor's
	 * problem that PEC: Required solved), with PEC it never shows */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"garbage_temp\": 100}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"garbage_temp\": 100}");
	nt_wait_value(e, "Basic_A", 100, WAIT);
	nt_wait_bool(e, nt_sensor("Basic_PEC"), OPSTAT_IF, "Functional", false,
		     WAIT);
	v = tb_get_double(e->tb, NVME, nt_sensor("Basic_PEC"), VALUE_IF,
			  "Value");
	assert_true(isnan(v));
	assert_true(tb_log_count(e->tb, "nvmed", "Bad message") > 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"garbage_temp\": -1}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"garbage_temp\": -1}");
	nt_wait_value(e, "Basic_PEC", 44, SLOW_WAIT);

	/* a bad PEC: only the drive read with PEC notices */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"bad_pec\": true}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"bad_pec\": true}");
	nt_wait_bool(e, nt_sensor("Basic_PEC"), AVAIL_IF, "Available", false,
		     WAIT);
	nt_wait_value(e, "Basic_A", 42, WAIT);
	assert_true(tb_get_bool(e->tb, NVME, nt_sensor("Basic_A"), AVAIL_IF,
				"Available"));
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"bad_pec\": false}");
	nt_wait_bool(e, nt_sensor("Basic_PEC"), AVAIL_IF, "Available", true,
		     SLOW_WAIT);

	sn = tb_get_string(e->tb, NVME, nt_drive("Basic_PEC"), ASSET_IF,
			   "SerialNumber");
	assert_string_equal(sn, "SN10");
	nt_stop(e);
}

/* ---- the availability policy on SMBus ------------------------------- */

/* As over NVMe-MI (test-nvmed-mi.c): missed polls inside the window publish
 * nothing a fan controller takes for a failed sensor, a sustained NACK
 * makes the sensor unavailable by the window's last request (5 by
 * default, 2 for a record that says UnavailableAfterFailures 2), and the
 * first good poll publishes the new value. */
static void test_basic_availability_window(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 3);
	unsigned lost_a = 0, lost_b = 0;
	sd_bus_slot *wa, *wb;
	const char *board;
	long long before;

	nt_start(e, NT_SMBUS, sc);
	board = nt_board_file(e,
			      "{\"Type\": \"NVME1000\", \"Name\": \"Win A\", "
			      "\"Bus\": 3, \"PowerState\": \"Always\"}, "
			      "{\"Type\": \"NVME1000\", \"Name\": \"Win B\", "
			      "\"Bus\": 4, \"PowerState\": \"Always\", "
			      "\"UnavailableAfterFailures\": 2}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "Win_A", 35, WAIT);
	nt_wait_value(e, "Win_B", 36, WAIT);
	wa = tb_watch_sensor_lost(e->tb, NVME, nt_sensor("Win_A"), &lost_a);
	wb = tb_watch_sensor_lost(e->tb, NVME, nt_sensor("Win_B"), &lost_b);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"miss\": 4}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"miss\": 1}");
	nt_wait_missed(e, 9);
	nt_wait_missed(e, 10);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 47}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 48}");
	nt_wait_value(e, "Win_A", 47, WAIT);
	nt_wait_value(e, "Win_B", 48, WAIT);
	tb_pump(e->tb, 100);
	assert_int_equal(lost_a, 0);
	assert_int_equal(lost_b, 0);

	before = emu_get_int(&e->emu, 10, "requests");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"nack\": true}");
	nt_wait_bool(e, nt_sensor("Win_B"), AVAIL_IF, "Available", false, WAIT);
	assert_in_range(emu_get_int(&e->emu, 10, "requests") - before, 1,
			2 + 1);
	before = emu_get_int(&e->emu, 9, "requests");
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": true}");
	nt_wait_bool(e, nt_sensor("Win_A"), AVAIL_IF, "Available", false, WAIT);
	assert_in_range(emu_get_int(&e->emu, 9, "requests") - before, 1, 5 + 1);
	nt_wait_value(e, "Win_A", NAN, WAIT);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": false, \"temperature\": "
			    "49}");
	nt_wait_value(e, "Win_A", 49, SLOW_WAIT);
	nt_wait_bool(e, nt_sensor("Win_A"), AVAIL_IF, "Available", true, WAIT);
	sd_bus_slot_unref(wa);
	sd_bus_slot_unref(wb);
	nt_stop(e);
}

/* ---- drive faults in the event log --------------------------------- */

#define DRIVE_FAILED	 "xyz.openbmc_project.Nvme.DriveFailed"
#define DRIVE_RESTORED	 "xyz.openbmc_project.Nvme.DriveRestored"
#define CRITICAL_WARNING "xyz.openbmc_project.Nvme.CriticalWarning"

/* Each fault is logged once with the drive and its bus and address for a
 * callout, and resolved when it clears. */
static void test_drive_fault_events(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	const char *largv[] = { tb_prog("logging-standin"), NULL };
	const char *board;

	nt_start(e, NT_SMBUS, sc);
	tb_spawn(e->tb, "logging", largv, NULL);
	assert_int_equal(
		tb_wait_name(e->tb, "xyz.openbmc_project.Logging", WAIT), 0);
	board = nt_board_file(e, "{\"Type\": \"NVME1000\", \"Name\": \"Ev 1\", "
				 "\"Bus\": 3, \"PowerState\": \"Always\", "
				 "\"UnavailableAfterFailures\": 2}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "Ev_1", 35, WAIT);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"critical_warning\": 4}");
	assert_int_equal(tb_wait_log_entries(e->tb, CRITICAL_WARNING,
					     "CRITICAL_WARNING", "0x04", 0, 1,
					     WAIT),
			 0);
	assert_int_equal(tb_count_log_entries(e->tb, CRITICAL_WARNING,
					      "CALLOUT_IIC_BUS", "/dev/i2c-3",
					      0),
			 1);
	assert_int_equal(tb_count_log_entries(e->tb, CRITICAL_WARNING,
					      "CALLOUT_INVENTORY_PATH",
					      nt_drive("Ev_1"), 0),
			 1);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"critical_warning\": 0}");
	assert_int_equal(tb_wait_log_entries(e->tb, CRITICAL_WARNING, NULL,
					     NULL, 1, 1, WAIT),
			 0);

	/* silent: DriveFailed once, however long it stays silent */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": true}");
	nt_wait_bool(e, nt_drive("Ev_1"), OPSTAT_IF, "Functional", false, WAIT);
	assert_int_equal(tb_wait_log_entries(e->tb, DRIVE_FAILED,
					     "CALLOUT_IIC_ADDR", "0x6a", 0, 1,
					     WAIT),
			 0);
	tb_pump(e->tb, 1000);
	assert_int_equal(
		tb_count_log_entries(e->tb, DRIVE_FAILED, NULL, NULL, -1), 1);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"nack\": false}");
	nt_wait_bool(e, nt_drive("Ev_1"), OPSTAT_IF, "Functional", true,
		     SLOW_WAIT);
	assert_int_equal(tb_wait_log_entries(e->tb, DRIVE_FAILED, NULL, NULL, 1,
					     1, WAIT),
			 0);
	assert_int_equal(tb_wait_log_entries(e->tb, DRIVE_RESTORED,
					     "DRIVE_NAME", nt_drive("Ev_1"), -1,
					     1, WAIT),
			 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_basic_drive_and_faults),
		NT_TEST(test_basic_availability_window),
		NT_TEST(test_drive_fault_events),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
