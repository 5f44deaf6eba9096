// SPDX-License-Identifier: Apache-2.0
/*
 * Thresholds set over D-Bus (nvmed-test.h, NT_SMBUS): written back to
 * entity-manager's record (its real Intel P4500/P5500 board file), an
 * operator's change there reaching nvmed, nonsense refused with every
 * digit of the refused value.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

/* ---- threshold write-back -------------------------------------------- */

#define INTEL_REC                                            \
	"/xyz/openbmc_project/inventory/system/nvme/NVMe_1/" \
	"NVMe_1_Temp"

/* Counts, in *userdata (unsigned), WarningAlarmHigh asserted on
 * NVMe_1_Temp. */
static int on_threshold(sd_bus_message *m, void *userdata,
			sd_bus_error *ret_error)
{
	unsigned *n_asserted = userdata;
	const char *name, *iface, *event;
	int asserted;
	double value;

	if (sd_bus_message_read(m, "sssbd", &name, &iface, &event, &asserted,
				&value) >= 0 &&
	    strcmp(name, "NVMe_1_Temp") == 0 &&
	    strcmp(event, "WarningAlarmHigh") == 0 && asserted)
		(*n_asserted)++;
	return 0;
}

static double em_threshold(struct nt_env *e, unsigned n)
{
	char iface[128];

	snprintf(iface, sizeof(iface), NVME1000_IF ".Thresholds%u", n);
	return tb_get_double(e->tb, EM, INTEL_REC, iface, "Value");
}

static void test_threshold_writeback(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = NULL;
	char file[512], iface[128];
	sd_bus_slot *slot = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	unsigned n_asserted = 0;
	char s[256];
	int r;

	nt_path(s, sizeof(s), SENSOR, "NVMe_1_Temp");
	assert_non_null(tb_em_dir());
	sc = nt_basic_scenario(1, 3);

	nt_start(e, NT_SMBUS, sc);
	nt_start_state(e, "Running");
	snprintf(file, sizeof(file),
		 "%s/configurations/intel/"
		 "nvme_p4500_p5500.json",
		 tb_em_dir());
	{
		const char *args[] = { "--set",	  "bus=3", "--set",
				       "index=1", file,	   NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "NVMe_1_Temp", 35, WAIT);
	/* the real record: 115/110 high, 5/0 low */
	assert_true(tb_get_double(e->tb, NVME, s, CRIT_IF, "CriticalHigh") ==
		    115);
	assert_true(tb_get_double(e->tb, NVME, s, WARN_IF, "WarningHigh") ==
		    110);
	assert_true(tb_get_double(e->tb, NVME, s, WARN_IF, "WarningLow") == 5);
	assert_true(tb_get_double(e->tb, NVME, s, CRIT_IF, "CriticalLow") == 0);
	assert_true(em_threshold(e, 1) == 110);
	assert_true(sd_bus_match_signal(tb_bus(e->tb), &slot, NVME, s, WARN_IF,
					"ThresholdAsserted", on_threshold,
					&n_asserted) >= 0);

	/* Set on nvmed: the alarm follows, entity-manager gets the value */
	assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, s, WARN_IF,
					"WarningHigh", &err, "d", 30.0) >= 0);
	nt_wait_bool(e, s, WARN_IF, "WarningAlarmHigh", true, WAIT);
	assert_int_equal(tb_wait_double(e->tb, EM, INTEL_REC,
					NVME1000_IF ".Thresholds1", "Value", 30,
					0.001, WAIT),
			 0);
	for (int i = 0; i < 50 && n_asserted == 0; i++)
		tb_pump(e->tb, 100);
	assert_true(n_asserted >= 1);
	/* updated in place, not re-created: still available, same value */
	tb_pump(e->tb, 1000);
	assert_true(tb_get_bool(e->tb, NVME, s, AVAIL_IF, "Available"));
	assert_true(tb_get_double(e->tb, NVME, s, WARN_IF, "WarningHigh") ==
		    30);
	assert_int_equal(tb_log_count(e->tb, "nvmed",
				      "record " INTEL_REC " removed"),
			 0);

	/* an operator's Set on entity-manager reaches nvmed */
	snprintf(iface, sizeof(iface), NVME1000_IF ".Thresholds0");
	assert_true(sd_bus_set_property(tb_bus(e->tb), EM, INTEL_REC, iface,
					"Value", &err, "d", 90.0) >= 0);
	assert_int_equal(tb_wait_double(e->tb, NVME, s, CRIT_IF, "CriticalHigh",
					90, 0.001, WAIT),
			 0);

	/* nonsense is refused and changes nothing */
	r = sd_bus_set_property(tb_bus(e->tb), NVME, s, WARN_IF, "WarningHigh",
				&err, "d", INFINITY);
	assert_true(r < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
	sd_bus_error_free(&err);
	assert_true(tb_get_double(e->tb, NVME, s, WARN_IF, "WarningHigh") ==
		    30);
	assert_true(em_threshold(e, 1) == 30);

	/* back up: the alarm clears */
	assert_true(sd_bus_set_property(tb_bus(e->tb), NVME, s, WARN_IF,
					"WarningHigh", &err, "d", 110.0) >= 0);
	nt_wait_bool(e, s, WARN_IF, "WarningAlarmHigh", false, WAIT);
	sd_bus_slot_unref(slot);
	nt_stop(e);
}

/* ---- a refused threshold says why ----------------------------------- */

/* The value in the error has every digit it takes: %g wrote 1000.0001
 * as 1000, "not 1000" for a range that ends at 1000. */
static void test_threshold_set_digits(void **state)
{
	static const struct {
		double v;
		const char *text;
	} bad[] = {
		{ 1000.0001,
		  "WarningHigh must be NaN or between -273 and 1000, "
		  "not 1000.0001" },
		{ -273.00000000000006,
		  "WarningHigh must be NaN or between -273 "
		  "and 1000, not -273.00000000000006" },
		{ 1e300, "WarningHigh must be NaN or between -273 and 1000, "
			 "not 1e+300" },
		{ INFINITY, "WarningHigh must be NaN or between -273 and 1000, "
			    "not inf" },
	};
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	const char *file;

	nt_start(e, NT_SMBUS, sc);
	/* a threshold the record has: only those exist */
	file = nt_board_file(e, "{\"Type\": \"NVME1000\", \"Name\": "
				"\"Digits\", \"Bus\": 3, \"PowerState\": "
				"\"Always\", \"Thresholds\": [{\"Direction\": "
				"\"greater than\", \"Severity\": 0, "
				"\"Value\": 70}]}");
	{
		const char *args[] = { file, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "Digits", 35, WAIT);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		sd_bus_error err = SD_BUS_ERROR_NULL;
		int r = sd_bus_set_property(tb_bus(e->tb), NVME,
					    nt_sensor("Digits"), WARN_IF,
					    "WarningHigh", &err, "d", bad[i].v);

		assert_true(r < 0);
		assert_string_equal(err.name, SD_BUS_ERROR_INVALID_ARGS);
		assert_string_equal(err.message, bad[i].text);
		sd_bus_error_free(&err);
	}
	assert_true(sd_bus_set_property(tb_bus(e->tb), NVME,
					nt_sensor("Digits"), WARN_IF,
					"WarningHigh", NULL, "d", 999.5) >= 0);
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "WarningHigh set to 999.5 over D-Bus",
				     WAIT),
			 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST_EM_DIR(test_threshold_writeback),
		NT_TEST(test_threshold_set_digits),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
