// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed and the host's power (nvmed-test.h, NT_SMBUS, the host/chassis
 * state stand-in): each PowerState reads when its power is on, and only
 * then; alarms are de-asserted on power-off.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

static int set_state(struct nt_env *e, const char *service, const char *path,
		     const char *iface, const char *prop, const char *value)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_set_property(tb_bus(e->tb), service, path, iface, prop, &err,
				"s", value);
	sd_bus_error_free(&err);
	return r;
}

static void test_power_states(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(5, 3);
	const char *board;

	nt_start(e, NT_SMBUS, sc);
	nt_start_state(e, "Off");
	nt_start_mctpd(e, "mctpd", sc, NULL);
	board = nt_board_file(
		e, "{\"Type\": \"NVME1000\", \"Name\": \"P On\", \"Bus\": 3, "
		   "\"Thresholds\": [{\"Direction\": \"greater than\", "
		   "\"Severity\": 0, \"Value\": 70}]}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"P Post\", \"Bus\": "
		   "4, \"PowerState\": \"BiosPost\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"P Chassis\", "
		   "\"Bus\": 5, \"PowerState\": \"ChassisOn\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"P Always\", "
		   "\"Bus\": 6, \"PowerState\": \"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"P MCTP\", \"Bus\": "
		   "7, \"Protocol\": \"mi_i2c\", \"PowerState\": \"On\"}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);

	/* only Always reads while everything is off */
	nt_wait_value(e, "P_Always", 38, WAIT);
	tb_pump(e->tb, 1000);
	assert_false(tb_get_bool(e->tb, NVME, nt_sensor("P_On"), AVAIL_IF,
				 "Available"));
	assert_false(tb_get_bool(e->tb, NVME, nt_sensor("P_MCTP"), AVAIL_IF,
				 "Available"));
	assert_true(isnan(tb_get_double(e->tb, NVME, nt_sensor("P_Chassis"),
					VALUE_IF, "Value")));

	/* chassis on: ChassisOn reads */
	assert_true(set_state(e, CHASSIS, "/xyz/openbmc_project/state/chassis0",
			      "xyz.openbmc_project.State.Chassis",
			      "CurrentPowerState",
			      "xyz.openbmc_project.State.Chassis.PowerState."
			      "On") >= 0);
	nt_wait_value(e, "P_Chassis", 37, WAIT);
	assert_false(tb_get_bool(e->tb, NVME, nt_sensor("P_On"), AVAIL_IF,
				 "Available"));

	/* host running: On (basic and MCTP) read, BiosPost not yet */
	assert_true(set_state(e, HOST, "/xyz/openbmc_project/state/host0",
			      "xyz.openbmc_project.State.Host",
			      "CurrentHostState",
			      "xyz.openbmc_project.State.Host.HostState."
			      "Running") >= 0);
	nt_wait_value(e, "P_On", 35, WAIT);
	nt_wait_value(e, "P_MCTP", 39, WAIT);
	assert_false(tb_get_bool(e->tb, NVME, nt_sensor("P_Post"), AVAIL_IF,
				 "Available"));
	assert_true(set_state(e, HOST, "/xyz/openbmc_project/state/host0",
			      "xyz.openbmc_project.State.OperatingSystem."
			      "Status",
			      "OperatingSystemState",
			      "xyz.openbmc_project.State.OperatingSystem."
			      "Status.OSStatus.Standby") >= 0);
	nt_wait_value(e, "P_Post", 36, WAIT);

	/* an alarm asserted before power goes off */
	{
		sd_bus_error err = SD_BUS_ERROR_NULL;

		assert_true(sd_bus_set_property(tb_bus(e->tb), NVME,
						nt_sensor("P_On"), WARN_IF,
						"WarningHigh", &err, "d",
						30.0) >= 0);
		sd_bus_error_free(&err);
	}
	nt_wait_bool(e, nt_sensor("P_On"), WARN_IF, "WarningAlarmHigh", true,
		     WAIT);

	/* host off: On/BiosPost/MCTP unavailable and NaN, others read */
	assert_true(set_state(e, HOST, "/xyz/openbmc_project/state/host0",
			      "xyz.openbmc_project.State.Host",
			      "CurrentHostState",
			      "xyz.openbmc_project.State.Host.HostState."
			      "Off") >= 0);
	nt_wait_bool(e, nt_sensor("P_On"), AVAIL_IF, "Available", false, WAIT);
	nt_wait_value(e, "P_On", NAN, WAIT);
	/* de-asserted explicitly on power-off (not merely by the NaN) */
	nt_wait_bool(e, nt_sensor("P_On"), WARN_IF, "WarningAlarmHigh", false,
		     WAIT);
	nt_wait_bool(e, nt_sensor("P_Post"), AVAIL_IF, "Available", false,
		     WAIT);
	nt_wait_bool(e, nt_sensor("P_MCTP"), AVAIL_IF, "Available", false,
		     WAIT);
	emu_ctl_ok(&e->emu, "{\"eid\": 11, \"temperature\": 50}");
	nt_wait_value(e, "P_Chassis", 50, WAIT);
	/* and not polled: the drive sees no more requests */
	{
		char *a = NULL, *b = NULL;
		const char *ra, *rb;

		tb_pump(e->tb, 500);
		assert_int_equal(
			emu_ctl(&e->emu, "{\"get\": {\"eid\": 9}}", &a), 0);
		tb_pump(e->tb, 1000);
		assert_int_equal(
			emu_ctl(&e->emu, "{\"get\": {\"eid\": 9}}", &b), 0);
		ra = strstr(a, "\"requests\"");
		rb = strstr(b, "\"requests\"");
		assert_non_null(ra);
		assert_non_null(rb);
		assert_int_equal(atoi(ra + 11), atoi(rb + 11));
		free(a);
		free(b);
	}
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_power_states),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
