// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of the pure parts of nvmed's SMBus path: basic management
 * command decoding, the phosphor-nvme configuration parser, the power
 * state rules and the mux root-bus lookup.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "basic.h"
#include "decode.h"
#include "pnvme.h"
#include "power.h"

static void test_basic_status(void **state)
{
	/* healthy: 0xbf flags, no warnings, 41 C, 7 % used */
	uint8_t ok[] = { 0xbf, 0xff, 41, 7, 0, 0 };
	uint8_t b[6];
	struct nvmed_health h;

	assert_int_equal(nvmed_decode_basic_status(ok, 6, &h), 0);
	assert_true(h.functional && h.ready);
	assert_true(h.temperature == 41);
	assert_int_equal(h.temp_error, 0);
	assert_int_equal(h.used, 7);
	assert_int_equal(h.nss, 0xbf);
	assert_int_equal(h.crit_warning, 0);

	/* too short: an error, like upstream's "< 6 bytes" */
	assert_int_equal(nvmed_decode_basic_status(ok, 5, &h), -EBADMSG);
	assert_int_equal(nvmed_decode_basic_status(NULL, 6, &h), -EBADMSG);

	/* signed temperature */
	memcpy(b, ok, 6);
	b[2] = 0xf6;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_true(h.temperature == -10);

	/* 0x80 / 0x81: errors to count */
	b[2] = 0x80;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_int_equal(h.temp_error, -ENODATA);
	assert_true(isnan(h.temperature));
	b[2] = 0x81;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_int_equal(h.temp_error, -EIO);

	/* not ready (0x40): not functional, no value, not an error */
	memcpy(b, ok, 6);
	b[0] = 0xff;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_false(h.functional);
	assert_false(h.ready);
	assert_true(isnan(h.temperature));
	assert_int_equal(h.temp_error, 0);
	/* not functional (0x20 clear) */
	b[0] = 0x9f;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_false(h.functional);
	assert_true(h.ready);
	assert_true(isnan(h.temperature));

	/* SMART warnings: a cleared bit is a warning */
	memcpy(b, ok, 6);
	b[1] = 0xf5;
	assert_int_equal(nvmed_decode_basic_status(b, 6, &h), 0);
	assert_int_equal(h.crit_warning,
			 NVMED_CW_TEMPERATURE | NVMED_CW_READ_ONLY);
}

static void test_basic_vpd(void **state)
{
	uint8_t b[22];
	char serial[21];
	uint16_t vid = 0;

	b[0] = 0x14;
	b[1] = 0x4d;
	memcpy(b + 2, "S3EVNX0K   \x01       ", 20);
	assert_int_equal(nvmed_decode_basic_vpd(b, 22, &vid, serial), 0);
	assert_int_equal(vid, 0x144d);
	assert_string_equal(serial, "S3EVNX0K   ?");
	assert_int_equal(nvmed_decode_basic_vpd(b, 21, &vid, serial), -EBADMSG);
}

static void test_pnvme(void **state)
{
	struct pnvme_config c;
	char *err = NULL;

	assert_int_equal(
		pnvme_parse("{\"config\": [{\"NVMeDriveIndex\": 0, "
			    "\"NVMeDriveBusID\": 6, \"NVMeDrivePresentPin\": "
			    "148}, {\"NvmeDriveIndex\": 3, \"NVMeDriveBusID\": "
			    "7}, {\"NVMeDriveIndex\": 4}, {\"NVMeDriveIndex\": "
			    "0, \"NVMeDriveBusID\": 8}, {\"NVMeDriveIndex\": "
			    "\"x\", \"NVMeDriveBusID\": 9}, 5], \"threshold\": "
			    "[{\"criticalHigh\": 70, \"criticalLow\": 0, "
			    "\"maxValue\": 127, \"minValue\": 0}], "
			    "\"monitorIntervalSec\": 2}",
			    &c, &err),
		0);
	assert_int_equal(c.n_drives, 2);
	assert_int_equal(c.drives[0].index, 0);
	assert_int_equal(c.drives[0].bus, 6);
	assert_int_equal(c.drives[1].index, 3);
	assert_int_equal(c.drives[1].bus, 7);
	assert_int_equal(c.n_errors, 4);
	assert_non_null(strstr(c.errors[0], "config[2]: 'NVMeDriveBusID' is "
					    "missing"));
	assert_non_null(strstr(c.errors[1], "appears twice"));
	assert_non_null(strstr(c.errors[2], "must be an integer"));
	assert_non_null(strstr(c.errors[3], "not an object"));
	assert_true(c.critical_high == 70);
	assert_true(c.critical_low == 0);
	assert_true(isnan(c.warning_high));
	assert_int_equal(c.interval_s, 2);
	pnvme_config_clear(&c);

	assert_int_equal(pnvme_parse("[1]", &c, &err), -EINVAL);
	assert_non_null(strstr(err, "\"config\""));
	free(err);
	err = NULL;
	assert_int_equal(pnvme_parse("{", &c, &err), -EINVAL);
	assert_non_null(strstr(err, "invalid JSON"));
	free(err);
}

/* phosphor-nvme thresholds follow the NVME1000 record rules: a finite
 * number in [-273, 1000]; json-c reads Infinity and NaN as numbers. */
static void test_pnvme_thresholds(void **state)
{
	struct pnvme_config c;
	char *err = NULL;

	assert_int_equal(
		pnvme_parse("{\"config\": [{\"NVMeDriveIndex\": 0, "
			    "\"NVMeDriveBusID\": 6}], \"threshold\": "
			    "[{\"criticalHigh\": Infinity, \"warningHigh\": "
			    "5000, \"criticalLow\": NaN, \"warningLow\": "
			    "-Infinity}]}",
			    &c, &err),
		0);
	assert_int_equal(c.n_drives, 1);
	assert_true(isnan(c.critical_high));
	assert_true(isnan(c.warning_high));
	assert_true(isnan(c.critical_low));
	assert_true(isnan(c.warning_low));
	assert_int_equal(c.n_errors, 4);
	assert_string_equal(c.errors[0],
			    "threshold[0]: 'criticalHigh' must be a finite "
			    "number between -273 and 1000, not inf");
	assert_string_equal(c.errors[1],
			    "threshold[0]: 'criticalLow' must be a finite "
			    "number between -273 and 1000, not nan");
	assert_string_equal(c.errors[2],
			    "threshold[0]: 'warningHigh' must be a finite "
			    "number between -273 and 1000, not 5000");
	assert_string_equal(c.errors[3],
			    "threshold[0]: 'warningLow' must be a finite "
			    "number between -273 and 1000, not -inf");
	pnvme_config_clear(&c);

	/* the limits themselves, a value just outside, the wrong type */
	assert_int_equal(
		pnvme_parse("{\"config\": [], \"threshold\": "
			    "[{\"criticalHigh\": 1000, \"criticalLow\": -273, "
			    "\"warningHigh\": 1000.0001, \"warningLow\": "
			    "\"5\"}]}",
			    &c, &err),
		0);
	assert_true(c.critical_high == 1000);
	assert_true(c.critical_low == -273);
	assert_true(isnan(c.warning_high));
	assert_true(isnan(c.warning_low));
	assert_int_equal(c.n_errors, 2);
	assert_string_equal(c.errors[0],
			    "threshold[0]: 'warningHigh' must be a finite "
			    "number between -273 and 1000, not 1000.0001");
	assert_string_equal(c.errors[1], "threshold[0]: 'warningLow' must be "
					 "a number, not string");
	pnvme_config_clear(&c);
}

static void test_power(void **state)
{
	struct power_status off = { 0 }, host = { .host_on = true },
			    all = { true, true, true },
			    chassis = { .chassis_on = true };
	enum power_state ps;

	assert_int_equal(power_state_from_string("BiosPost", &ps), 0);
	assert_int_equal(ps, POWER_BIOS_POST);
	assert_int_equal(power_state_from_string("on", &ps), -EINVAL);
	assert_string_equal(power_state_to_string(POWER_CHASSIS_ON),
			    "ChassisOn");

	assert_true(power_host_running(
		"xyz.openbmc_project.State.Host.HostState.Running"));
	assert_false(power_host_running(
		"xyz.openbmc_project.State.Host.HostState.Off"));
	assert_false(power_host_running(NULL));
	assert_false(power_post_done("Inactive"));
	assert_false(power_post_done("xyz.openbmc_project.State."
				     "OperatingSystem.Status.OSStatus."
				     "Inactive"));
	assert_true(power_post_done("xyz.openbmc_project.State."
				    "OperatingSystem.Status.OSStatus."
				    "Standby"));
	assert_true(power_chassis_on(
		"xyz.openbmc_project.State.Chassis.PowerState.On"));
	assert_false(power_chassis_on(
		"xyz.openbmc_project.State.Chassis.PowerState.Off"));

	assert_true(power_reading_ok(POWER_ALWAYS, &off));
	assert_false(power_reading_ok(POWER_ON, &off));
	assert_true(power_reading_ok(POWER_ON, &host));
	assert_false(power_reading_ok(POWER_BIOS_POST, &host));
	assert_true(power_reading_ok(POWER_BIOS_POST, &all));
	assert_false(power_reading_ok(POWER_CHASSIS_ON, &host));
	assert_true(power_reading_ok(POWER_CHASSIS_ON, &chassis));
}

static void mkdirs(const char *root, unsigned bus)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/bus", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/bus/i2c", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/bus/i2c/devices", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-%u", root, bus);
	mkdir(p, 0755);
}

static void test_root_bus(void **state)
{
	char root[] = "/tmp/nvmed-sysfs-XXXXXX", p[512];

	assert_non_null(mkdtemp(root));
	/* i2c-20 is a channel of a mux at 5-0070, i2c-30 one of a mux at
	 * 20-0071 (nested), i2c-5 a real adapter */
	mkdirs(root, 5);
	mkdirs(root, 20);
	mkdirs(root, 30);
	snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-20/mux_device", root);
	assert_int_equal(symlink("../5-0070", p), 0);
	snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-30/mux_device", root);
	assert_int_equal(symlink("../../i2c-20/20-0071", p), 0);

	assert_int_equal(basic_root_bus(root, 5), 5);
	assert_int_equal(basic_root_bus(root, 20), 5);
	assert_int_equal(basic_root_bus(root, 30), 5);
	assert_int_equal(basic_root_bus(root, 99), 99); /* unknown */

	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_status),
		cmocka_unit_test(test_basic_vpd),
		cmocka_unit_test(test_pnvme),
		cmocka_unit_test(test_pnvme_thresholds),
		cmocka_unit_test(test_power),
		cmocka_unit_test(test_root_bus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
