// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed over NVMe-MI when things go wrong (nvmed-test.h): a drive that
 * goes silent and comes back, one on a slow link, one refusing Admin
 * commands, replies that are corrupt, truncated, late or More Processing
 * Required beyond the cap; and the bus itself going away.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "macros.h"
#include "nvmed-test.h"

static void test_silent_and_recovery(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	char sensor[128], drive[128], other[128];

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 2, NULL), NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_path(drive, sizeof(drive), DRIVE, "NVMe_9");
	nt_path(other, sizeof(other), SENSOR, "NVMe_10");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": true}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", false, WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, OPSTAT_IF,
				      "Functional", false, WAIT),
			 0);
	/* the other drive is unaffected, and it follows changes */
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e->tb, NVME, other, VALUE_IF, "Value",
					44, 0.01, WAIT),
			 0);

	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": false, "
			    "\"temperature\": 41}");
	/* back within the back-off cap (30 s) */
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					41, 0.01, 40000),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, drive, OPSTAT_IF,
				      "Functional", true, WAIT),
			 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	nt_stop(e);
}

/* A 100 kHz link: a full 4 KiB Identify (0.41 s) cannot finish inside
 * the 300 ms transaction timeout; the partial one nvmed reads can. After
 * a failure, the reconnection goes straight to the health poll. */
static void test_slow_link_identify(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	char sensor[128];

	nt_start(e, NT_MCTP, sc);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"link_bps\": 100000}");
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	/* a transient failure, then back: the reading resumes */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"late\": 450}");
	tb_pump(e->tb, 1000);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 47}");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					47, 0.01, WAIT),
			 0);
	assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF, "Available"));
	nt_stop(e);
}

/* A drive refusing Admin commands (a valid reply with an error status)
 * is still read: the health poll goes on, no flapping, no lost drive. */
static void test_admin_refused(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	char sensor[128], drive[128];

	nt_start(e, NT_MCTP, sc);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"admin_status\": 16386}");
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_path(drive, sizeof(drive), DRIVE, "NVMe_9");
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					35, 0.01, WAIT),
			 0);
	/* 15 polls (SMART due every 10th): never unavailable */
	for (int i = 0; i < 15; i++) {
		tb_pump(e->tb, 200);
		assert_true(tb_get_bool(e->tb, NVME, sensor, AVAIL_IF,
					"Available"));
		assert_true(tb_get_double(e->tb, NVME, sensor, VALUE_IF,
					  "Value") == 35);
	}
	assert_true(tb_get_bool(e->tb, NVME, drive, OPSTAT_IF, "Functional"));
	/* the identity is asked again later and arrives */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"admin_status\": 0}");
	assert_int_equal(tb_wait_string(e->tb, NVME, drive, ASSET_IF,
					"SerialNumber", "SN9", 40000),
			 0);
	/* an MI error status on the health poll is a failure, and the log
	 * says which status */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"status\": 4}");
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "Subsystem Health Status Poll failed: "
				     "NVMe-MI status 0x4",
				     WAIT),
			 0);
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", false, WAIT),
			 0);
	nt_stop(e);
}

/* Counts a sensor's PropertiesChanged that publish Value == value. */
struct published {
	double value;
	unsigned n;
};

static int on_value(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct published *p = userdata;
	const char *iface, *prop;
	double v;
	int r;

	r = sd_bus_message_read(m, "s", &iface);
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 &&
	       (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &prop);
		if (r >= 0 && strcmp(prop, "Value") == 0) {
			r = sd_bus_message_read(m, "v", "d", &v);
			if (r >= 0 && v == p->value)
				p->n++;
		} else if (r >= 0) {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r < 0)
		fail_msg("unreadable PropertiesChanged: %s", strerror(-r));
	return 0;
}

/*
 * Each fault: the reply is rejected or waited for, never mislabelled, and
 * the daemon keeps serving. The replies a client must not take (a
 * corrupted MIC, the one after the timeout) carry 99 degrees C
 * (fault_temp), good ones 35: a daemon that took one would publish 99.
 */
#define FAULT_TEMP 99

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
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	struct published bad = { .value = FAULT_TEMP };
	char sensor[128], drive[128], other[128], line[96];

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 2, NULL), NULL);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_path(drive, sizeof(drive), DRIVE, "NVMe_9");
	nt_path(other, sizeof(other), SENSOR, "NVMe_10");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	nt_mi_check_drive(e, "NVMe_10", 10, 35);
	assert_true(sd_bus_match_signal(tb_bus(e->tb), &slot, NVME, sensor,
					"org.freedesktop.DBus.Properties",
					"PropertiesChanged", on_value,
					&bad) >= 0);
	snprintf(line, sizeof(line), "{\"eid\": 9, \"fault_temp\": %d}",
		 FAULT_TEMP);
	emu_ctl_ok(&e->emu, line);

	for (size_t i = 0; i < 4; i++) {
		double v;
		_cleanup_free_ char *sn = NULL;
		int t = 50 + (int)i;

		emu_ctl_ok(&e->emu, faults[i]);
		/* let several polls hit the fault */
		tb_pump(e->tb, 1500);
		assert_true(tb_alive(e->tb, e->nvmed));
		v = tb_get_double(e->tb, NVME, sensor, VALUE_IF, "Value");
		/* only ever the drive's temperature or "unknown" */
		assert_true(isnan(v) || v == 35);
		sn = tb_get_string(e->tb, NVME, drive, ASSET_IF,
				   "SerialNumber");
		assert_string_equal(sn, "SN9");
		assert_true(tb_get_double(e->tb, NVME, other, VALUE_IF,
					  "Value") == 35);
		/* the late reply (one-shot) was sent */
		if (strstr(faults[i], "late"))
			assert_int_equal(emu_get_int(&e->emu, 9, "late"), 0);

		emu_ctl_ok(&e->emu, clear[i]);
		snprintf(line, sizeof(line),
			 "{\"eid\": 9, \"temperature\": %d}", t);
		emu_ctl_ok(&e->emu, line);
		assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF,
						"Value", t, 0.01, 40000),
				 0);
		assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
					      "Available", true, WAIT),
				 0);
		/* the emulator and nvmed agree again */
		emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 35}");
		assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF,
						"Value", 35, 0.01, WAIT),
				 0);
	}
	/* signals that came during the calls above are dispatched here */
	tb_pump(e->tb, 200);
	assert_int_equal(bad.n, 0);
	nt_stop(e);
}

/* A drive that keeps answering More Processing Required beyond the cap:
 * failed and backed off (libnvme 1.3 cannot cap the wait: the overrun is
 * detected afterwards), the other drive still served. */
static void test_mpr_overrun(void **state)
{
	static const char *const extra[] = { "--mprt-max-ms", "400", NULL };
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(2, NULL);
	char sensor[128], other[128];

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 2, NULL), extra);
	nt_path(sensor, sizeof(sensor), SENSOR, "NVMe_9");
	nt_path(other, sizeof(other), SENSOR, "NVMe_10");
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"mpr_ms\": 2500}");
	assert_int_equal(tb_wait_bool(e->tb, NVME, sensor, AVAIL_IF,
				      "Available", false, WAIT),
			 0);
	assert_int_equal(tb_wait_double(e->tb, NVME, sensor, VALUE_IF, "Value",
					NAN, 0, WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 44}");
	assert_int_equal(tb_wait_double(e->tb, NVME, other, VALUE_IF, "Value",
					44, 0.01, WAIT),
			 0);
	assert_true(tb_alive(e->tb, e->nvmed));
	nt_stop(e);
}

/* The MCTP network's I/O worker killed: nvmed says which worker it was,
 * starts another, and the drive is read again. */
static void test_mctp_worker_killed(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	pid_t w, again;

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	w = nt_worker_pid(e, "nvmed-mctp-1");
	assert_true(w > 0);
	assert_int_equal(kill(w, SIGKILL), 0);
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "I/O worker of MCTP network 1 was killed",
				     WAIT),
			 0);
	assert_int_equal(tb_log_count(e->tb, "nvmed", "I/O worker of I2C"), 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 44}");
	nt_wait_value(e, "NVMe_9", 44, WAIT);
	again = nt_worker_pid(e, "nvmed-mctp-1");
	assert_true(again > 0);
	assert_int_not_equal(again, w);
	nt_stop(e);
}

/* The bus goes away: nvmed exits with a failure status (systemd logs a
 * failure; Restart=always restarts it). The bus is this test's own. */
static void test_bus_lost(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint32_t bus_pid = 0;
	int status;

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

		assert_true(sd_bus_call_method(
				    tb_bus(e->tb), "org.freedesktop.DBus",
				    "/org/freedesktop/DBus",
				    "org.freedesktop.DBus",
				    "GetConnectionUnixProcessID", &err, &reply,
				    "s", "org.freedesktop.DBus") >= 0);
		assert_true(sd_bus_message_read(reply, "u", &bus_pid) >= 0);
	}
	sd_bus_error_free(&err);
	assert_true(bus_pid > 1);
	assert_int_equal(kill((pid_t)bus_pid, SIGKILL), 0);
	/* reaped by the test bed for its status, which nt_stop() would
	 * take for a crash */
	status = tb_wait_exit(e->tb, e->nvmed, 10000);
	assert_true(status >= 0 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_FAILURE);
	e->nvmed = 0;
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_silent_and_recovery),
		NT_TEST(test_slow_link_identify),
		NT_TEST(test_admin_refused),
		NT_TEST(test_faulty_replies),
		NT_TEST(test_mpr_overrun),
		NT_TEST(test_mctp_worker_killed),
		NT_TEST(test_bus_lost),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
