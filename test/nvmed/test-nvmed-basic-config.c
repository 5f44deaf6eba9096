// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's configuration on the SMBus path (nvmed-test.h, NT_SMBUS):
 * every real NVME1000 record of entity-manager's board files published
 * as nvmesensor would; phosphor-nvme's configuration file; names that
 * are not UTF-8; two records for one device.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "macros.h"
#include "nvmed-test.h"

/* ---- every real NVME1000 record -------------------------------------- */

struct em_rec {
	char path[256];
	char name[128];
	double th[4]; /* WarningHigh, WarningLow, CriticalHigh, CriticalLow */
};

static int kind_of(const char *dir, double sev)
{
	bool high = strcmp(dir, "greater than") == 0;

	if (sev == 0)
		return high ? 0 : 1;
	if (sev == 1)
		return high ? 2 : 3;
	return -1;
}

static double read_number(sd_bus_message *m)
{
	char type;
	const char *contents;
	double d = NAN;
	uint64_t t;
	int64_t x;

	assert_true(sd_bus_message_peek_type(m, &type, &contents) >= 0);
	if (contents[0] == 'd')
		assert_true(sd_bus_message_read(m, "v", "d", &d) >= 0);
	else if (contents[0] == 't') {
		assert_true(sd_bus_message_read(m, "v", "t", &t) >= 0);
		d = (double)t;
	} else if (contents[0] == 'x') {
		assert_true(sd_bus_message_read(m, "v", "x", &x) >= 0);
		d = (double)x;
	} else {
		assert_true(sd_bus_message_skip(m, "v") >= 0);
	}
	return d;
}

/* Every NVME1000 record entity-manager (the stand-in) publishes. */
static size_t em_records(struct nt_env *e, struct em_rec *out, size_t max)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	size_t n = 0;
	const char *path;

	assert_true(sd_bus_call_method(
			    tb_bus(e->tb), EM, "/xyz/openbmc_project/inventory",
			    "org.freedesktop.DBus.ObjectManager",
			    "GetManagedObjects", NULL, &reply, "") >= 0);
	assert_true(sd_bus_message_enter_container(reply, 'a',
						   "{oa{sa{sv}}}") >= 0);
	while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
		struct em_rec r = { .th = { NAN, NAN, NAN, NAN } };
		bool is_nvme = false;
		const char *iface;

		assert_true(sd_bus_message_read(reply, "o", &path) >= 0);
		snprintf(r.path, sizeof(r.path), "%s", path);
		assert_true(sd_bus_message_enter_container(reply, 'a',
							   "{sa{sv}}") >= 0);
		while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") >
		       0) {
			const char *dir = "";
			double sev = -1, val = NAN;
			bool th;

			assert_true(sd_bus_message_read(reply, "s", &iface) >=
				    0);
			th = strncmp(iface, NVME1000_IF ".Thresholds",
				     strlen(NVME1000_IF ".Thresholds")) == 0;
			if (strcmp(iface, NVME1000_IF) == 0)
				is_nvme = true;
			assert_true(sd_bus_message_enter_container(
					    reply, 'a', "{sv}") >= 0);
			while (sd_bus_message_enter_container(reply, 'e',
							      "sv") > 0) {
				const char *prop, *sv;

				assert_true(sd_bus_message_read(reply, "s",
								&prop) >= 0);
				if (strcmp(iface, NVME1000_IF) == 0 &&
				    strcmp(prop, "Name") == 0) {
					assert_true(sd_bus_message_read(
							    reply, "v", "s",
							    &sv) >= 0);
					snprintf(r.name, sizeof(r.name), "%s",
						 sv);
				} else if (th &&
					   strcmp(prop, "Direction") == 0) {
					assert_true(sd_bus_message_read(
							    reply, "v", "s",
							    &sv) >= 0);
					dir = strdupa(sv);
				} else if (th &&
					   strcmp(prop, "Severity") == 0) {
					sev = read_number(reply);
				} else if (th && strcmp(prop, "Value") == 0) {
					val = read_number(reply);
				} else {
					assert_true(sd_bus_message_skip(
							    reply, "v") >= 0);
				}
				assert_true(sd_bus_message_exit_container(
						    reply) >= 0);
			}
			assert_true(sd_bus_message_exit_container(reply) >= 0);
			assert_true(sd_bus_message_exit_container(reply) >= 0);
			if (th && kind_of(dir, sev) >= 0)
				r.th[kind_of(dir, sev)] = val;
		}
		assert_true(sd_bus_message_exit_container(reply) >= 0);
		assert_true(sd_bus_message_exit_container(reply) >= 0);
		if (is_nvme) {
			assert_true(n < max);
			out[n++] = r;
		}
	}
	return n;
}

static void escape(const char *in, char *out)
{
	for (; *in; in++, out++)
		*out = ((*in >= 'a' && *in <= 'z') ||
			(*in >= 'A' && *in <= 'Z') ||
			(*in >= '0' && *in <= '9') || *in == '_') ?
			       *in :
			       '_';
	*out = '\0';
}

/* The drive's name: the record's without a trailing "Temp" word. */
static const char *drive_of(const char *escaped)
{
	static char buf[128];
	size_t n = strlen(escaped), end;

	snprintf(buf, sizeof(buf), "%s", escaped);
	if (n <= 5 || strcasecmp(buf + n - 5, "_temp") != 0)
		return buf;
	for (end = n - 5; end > 0 && buf[end - 1] == '_'; end--)
		;
	if (end > 0)
		buf[end] = '\0';
	return buf;
}

/* Does the object have iface (GetAll answers)? */
static bool has_iface(struct nt_env *e, const char *path, const char *iface)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), NVME, path,
			       "org.freedesktop.DBus.Properties", "GetAll",
			       &err, NULL, "s", iface);
	if (r < 0 &&
	    !sd_bus_error_has_name(&err, SD_BUS_ERROR_UNKNOWN_INTERFACE))
		fail_msg("GetAll %s %s: %s", path, iface, err.message);
	sd_bus_error_free(&err);
	return r >= 0;
}

/* What nvmesensor would publish for each record, nvmed publishes. */
static void check_all(struct nt_env *e, size_t want)
{
	static const char *const props[4][2] = {
		{ WARN_IF, "WarningHigh" },
		{ WARN_IF, "WarningLow" },
		{ CRIT_IF, "CriticalHigh" },
		{ CRIT_IF, "CriticalLow" },
	};
	struct em_rec *recs = calloc(256, sizeof(*recs));
	size_t n;

	assert_non_null(recs);
	n = em_records(e, recs, 256);
	assert_int_equal(n, want);
	for (size_t i = 0; i < n; i++) {
		char esc[128], board[256];
		_cleanup_free_ char *unit = NULL;
		const char *s;

		escape(recs[i].name, esc);
		s = nt_sensor(esc);
		snprintf(board, sizeof(board), "%s", recs[i].path);
		*strrchr(board, '/') = '\0';
		if (tb_wait_object(e->tb, NVME, s, VALUE_IF, WAIT) != 0)
			fail_msg("no sensor %s for %s", s, recs[i].path);
		unit = tb_get_string(e->tb, NVME, s, VALUE_IF, "Unit");
		assert_string_equal(unit, "xyz.openbmc_project.Sensor.Value."
					  "Unit.DegreesC");
		assert_true(tb_get_double(e->tb, NVME, s, VALUE_IF,
					  "MaxValue") == 127);
		/* only the thresholds the record has (dbus-sensors'
		 * sensor.hpp), no interface for a level without any */
		for (int k = 0; k < 4; k++) {
			double got;

			if (isnan(recs[i].th[k])) {
				if (tb_has_property(e->tb, NVME, s, props[k][0],
						    props[k][1]))
					fail_msg("%s has %s, not in its "
						 "record",
						 s, props[k][1]);
				continue;
			}
			got = tb_get_double(e->tb, NVME, s, props[k][0],
					    props[k][1]);
			if (got != recs[i].th[k])
				fail_msg("%s %s: %g, record says %g", s,
					 props[k][1], got, recs[i].th[k]);
		}
		for (int k = 0; k < 4; k += 2)
			if (isnan(recs[i].th[k]) && isnan(recs[i].th[k + 1]))
				assert_false(has_iface(e, s, props[k][0]));
		assert_true(
			nt_has_assoc(e, s, "chassis", "all_sensors", board));
		assert_true(nt_has_assoc(e, nt_drive(drive_of(esc)), "chassis",
					 "drive", board));
	}
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 (int)want);
	free(recs);
}

static void add_boards(struct nt_env *e, const char *file,
		       const char *const *vars)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	assert_true(sd_bus_message_new_method_call(
			    tb_bus(e->tb), &m, EM,
			    "/xyz/openbmc_project/test/em",
			    "xyz.openbmc_project.Test.EntityManager",
			    "AddBoards") >= 0);
	assert_true(sd_bus_message_append(m, "s", file) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{ss}") >= 0);
	for (; vars && vars[0]; vars += 2)
		assert_true(sd_bus_message_append(m, "{ss}", vars[0],
						  vars[1]) >= 0);
	assert_true(sd_bus_message_close_container(m) >= 0);
	r = sd_bus_call(tb_bus(e->tb), m, 0, &err, NULL);
	if (r < 0)
		fprintf(stderr, "AddBoards(%s): %s\n", file, err.message);
	sd_bus_error_free(&err);
	assert_true(r >= 0);
}

/* yv5's file lists alternative boards of the same Name; entity-manager
 * publishes the one whose probe matched: one file per board here. */
static const char *yv5_board(struct nt_env *e, unsigned i)
{
	char src[512], cmd[1400], name[32];
	const char *out;

	snprintf(name, sizeof(name), "yv5-%u.json", i);
	out = tb_path(e->tb, name);
	snprintf(src, sizeof(src),
		 "%s/configurations/meta/yv5/yosemite5_mb_ssd.json",
		 tb_em_dir());
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; d=json.load(open(sys.argv[1]));"
		 " json.dump(d[%u], open(sys.argv[2], \"w\"))' '%s' '%s'",
		 i, src, out);
	assert_int_equal(system(cmd), 0);
	return out;
}

static void test_every_real_record(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = NULL;
	char f[4][512];
	const char *micron[] = { "bus", "4", "index", "2", NULL };
	const char *samsung[] = { "bus", "6", "index", "3", NULL };
	const char *sbp1 = "/xyz/openbmc_project/inventory/system/nvme/"
			   "SBP1_NVMe";
	char micron_file[512], samsung_file[512];

	assert_non_null(tb_em_dir());
	sc = nt_basic_scenario(1, 3);

	snprintf(f[0], sizeof(f[0]),
		 "%s/configurations/intel/nvme_p4500_p5500.json", tb_em_dir());
	snprintf(f[1], sizeof(f[1]), "%s/configurations/ibm/sbp1_nvme.json",
		 tb_em_dir());
	snprintf(f[2], sizeof(f[2]), "%s/configurations/ampere/mtjade.json",
		 tb_em_dir());
	snprintf(f[3], sizeof(f[3]),
		 "%s/configurations/meta/harma/harma_mb.json", tb_em_dir());
	snprintf(micron_file, sizeof(micron_file),
		 "%s/configurations/micron/7450.json", tb_em_dir());
	snprintf(samsung_file, sizeof(samsung_file),
		 "%s/configurations/samsung/pm9d3a.json", tb_em_dir());

	nt_start(e, NT_SMBUS, sc);
	nt_start_state(e, "Running");
	{
		const char *args[] = { "--set", "bus=3", "--set", "index=1",
				       f[0],	f[1],	 f[3],	  NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	add_boards(e, micron_file, micron);
	add_boards(e, samsung_file, samsung);
	/* 1 + 2 + 2 + 1 + 1 */
	check_all(e, 7);
	/* the one with an emulated drive behind it reads */
	nt_wait_value(e, "NVMe_1_Temp", 35, WAIT);

	/* SBP1's M.2 drives are on buses 50 and 52 at 0x6a, as Mt. Jade's
	 * nvme0 and nvme2 are: two machines' files, one device each, so
	 * one board at a time */
	nt_remove_board(e, sbp1);
	assert_int_equal(tb_wait_object_gone(e->tb, NVME,
					     nt_sensor("M2_SSD2_Temperature"),
					     WAIT),
			 0);
	add_boards(e, f[2], NULL);
	/* 1 + 26 + 2 + 1 + 1 */
	check_all(e, 31);
	add_boards(e, f[1], NULL);
	assert_int_equal(tb_wait_log_count(e->tb, "nvmed",
					   "is already drive 'nvme", 2, WAIT),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 31);
	nt_remove_board(e, sbp1);
	check_all(e, 31);

	/* yv5 instead of harma (same sensor names) */
	nt_remove_board(e, "/xyz/openbmc_project/inventory/system/board/"
			   "Harma_MB");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME,
					     nt_sensor("MB_E1S0_TEMP_C"), WAIT),
			 0);
	add_boards(e, yv5_board(e, 0), NULL);
	add_boards(e, yv5_board(e, 1), NULL);
	check_all(e, 31);
	nt_remove_board(e, "/xyz/openbmc_project/inventory/system/board/"
			   "Yosemite5_MB_E1S1");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME,
					     nt_sensor("MB_E1S1_TEMP_C"), WAIT),
			 0);
	add_boards(e, yv5_board(e, 2), NULL);
	check_all(e, 31);
	nt_stop(e);
}

/* ---- phosphor-nvme configuration ------------------------------------- */

static void test_phosphor_nvme_config(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 6);
	const char *cfg;

	nt_start(e, NT_SMBUS, sc);
	cfg = tb_path(e->tb, "nvme_config.json");
	tb_write_file(cfg,
		      "{\"config\": [{\"NVMeDriveIndex\": 0, "
		      "\"NVMeDriveBusID\": 6, \"NVMeDriveFaultLEDGroupPath\": "
		      "\"/xyz/openbmc_project/led/groups/led_u2_0_fault\", "
		      "\"NVMeDrivePresentPin\": 148, \"NVMeDrivePwrGoodPin\": "
		      "161}, {\"NVMeDriveIndex\": 1, \"NVMeDriveBusID\": 7}, "
		      "{\"NVMeDriveIndex\": 2}], "
		      "\"threshold\": [{\"criticalHigh\": 70, \"criticalLow\": "
		      "0, \"warningHigh\": 60, \"warningLow\": 5, "
		      "\"maxValue\": 127, \"minValue\": 0}]}");
	{
		const char *extra[] = { "--phosphor-nvme-config", cfg, NULL };

		nt_start_nvmed(e, NULL, extra);
	}
	nt_wait_value(e, "nvme0", 35, WAIT);
	nt_wait_value(e, "nvme1", 36, WAIT);
	assert_true(tb_get_double(e->tb, NVME, nt_sensor("nvme0"), CRIT_IF,
				  "CriticalHigh") == 70);
	assert_true(tb_get_double(e->tb, NVME, nt_sensor("nvme1"), WARN_IF,
				  "WarningHigh") == 60);
	assert_true(tb_get_double(e->tb, NVME, nt_sensor("nvme1"), WARN_IF,
				  "WarningLow") == 5);
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("nvme1"),
					ASSET_IF, "SerialNumber", "SN10", WAIT),
			 0);
	assert_true(
		nt_has_assoc(e, nt_sensor("nvme0"), "chassis", "all_sensors",
			     "/xyz/openbmc_project/inventory/system/chassis/"
			     "motherboard"));
	/* the bad entry is named, the others served */
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "config[2]: 'NVMeDriveBusID' is missing",
				     WAIT),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 2);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 71}");
	nt_wait_bool(e, nt_sensor("nvme0"), CRIT_IF, "CriticalAlarmHigh", true,
		     WAIT);
	nt_stop(e);
}

/* ---- strings that are not UTF-8 --------------------------------------- */

/*
 * A --config record whose Name is not UTF-8 (json-c does not check): it
 * is refused, naming the record and the key, and the other drive is
 * served; before, its PrettyName failed its getter and with it every
 * GetManagedObjects of the inventory.
 */
static void test_invalid_utf8(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 3);
	const char *cfg;

	nt_start(e, NT_SMBUS, sc);
	cfg = tb_path(e->tb, "utf8.json");
	tb_write_file(cfg, "[{\"Name\": \"nv\xff"
			   "bad\", \"Type\": \"NVMeMI\", "
			   "\"Network\": 1, \"EID\": 9}, "
			   "{\"Name\": \"Good\", \"Type\": \"NVME1000\", "
			   "\"Bus\": 3, \"PowerState\": \"Always\"}, "
			   "{\"Name\": \"nv\xc3\x28"
			   "bad2\", \"Type\": "
			   "\"NVME1000\", \"Bus\": 4, \"PowerState\": "
			   "\"Always\"}]");
	{
		const char *extra[] = { "--config", cfg, NULL };

		nt_start_nvmed(e, NULL, extra);
	}
	nt_wait_value(e, "Good", 35, WAIT);
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("Good"), ASSET_IF,
					"SerialNumber", "SN9", WAIT),
			 0);
	assert_int_equal(tb_wait_log_count(e->tb, "nvmed",
					   "key 'Name': string is not valid "
					   "UTF-8",
					   2, WAIT),
			 0);
	assert_int_equal(tb_log_count(e->tb, "nvmed", "/nv_bad' (NVMeMI)"), 1);
	assert_int_equal(tb_log_count(e->tb, "nvmed", "/nv__bad2' (NVME1000)"),
			 1);
	/* GetManagedObjects answers, with the good drive only */
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  DRIVE_IF),
			 1);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 1);
	nt_stop(e);
}

/* ---- one device, one drive ------------------------------------------ */

/* A directory standing in for /sys: i2c-<bus>, and mux_device links for
 * the channels of a mux on root (i2c-<chan> -> <root>-0070). */
static void fake_sysfs(const char *root, unsigned mux_root,
		       const unsigned *chans, size_t n)
{
	char p[600], target[64];

	snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-%u/name", root,
		 mux_root);
	tb_write_file(p, "root\n");
	snprintf(target, sizeof(target), "../%u-0070", mux_root);
	for (size_t i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-%u/name", root,
			 chans[i]);
		tb_write_file(p, "mux channel\n");
		snprintf(p, sizeof(p), "%s/bus/i2c/devices/i2c-%u/mux_device",
			 root, chans[i]);
		assert_int_equal(symlink(target, p), 0);
	}
}

/*
 * Two basic-command records for one device (bus and address) would poll
 * it twice and publish its serial twice: the second is refused, naming
 * both records. Channels of one mux are different devices; a record on
 * the mux's root bus at their address is the device every channel
 * reaches.
 */
static void test_basic_duplicate_device(void **state)
{
	static const unsigned chans[] = { 20, 21 };
	struct nt_env *e = *state;
	_cleanup_free_ char *d0 = nt_basic_drive_json(9, 20, 35),
			    *d1 = nt_basic_drive_json(10, 21, 36), *sc = NULL;
	const char *file, *sysfs;
	const char *board = "/xyz/openbmc_project/inventory/system/board/"
			    "Test_Board";

	assert_true(asprintf(&sc, "{\"drives\": [%s, %s]}", d0, d1) > 0);
	nt_start(e, NT_SMBUS, sc);
	sysfs = tb_path(e->tb, "sys");
	fake_sysfs(sysfs, 5, chans, ARRAY_SIZE(chans));
	file = nt_board_file(
		e, "{\"Type\": \"NVME1000\", \"Name\": \"Chan A\", "
		   "\"Bus\": 20, \"PowerState\": \"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Chan B\", "
		   "\"Bus\": 21, \"Address\": \"0x6a\", \"PowerState\": "
		   "\"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Chan A again\", "
		   "\"Bus\": 20, \"Address\": 106, \"Protocol\": "
		   "\"mi_basic\", \"PowerState\": \"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Root\", "
		   "\"Bus\": 5, \"PowerState\": \"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Other address\", "
		   "\"Bus\": 20, \"Address\": \"0x6b\", \"PowerState\": "
		   "\"Always\"}");
	{
		const char *args[] = { file, NULL };

		nt_start_em(e, args);
	}
	{
		const char *extra[] = { "--sysfs-root", sysfs, NULL };

		nt_start_nvmed(e, NULL, extra);
	}
	nt_wait_value(e, "Chan_A", 35, WAIT);
	nt_wait_value(e, "Chan_B", 36, WAIT);
	assert_int_equal(
		tb_wait_log_count(e->tb, "nvmed", "; ignored", 2, WAIT), 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 3);
	assert_false(tb_count_objects(e->tb, NVME,
				      "/xyz/openbmc_project/inventory",
				      DRIVE_IF) != 3);
	/* the refused ones name themselves and the drive that has it */
	{
		char needle[512];

		snprintf(needle, sizeof(needle),
			 "NVME1000 record 'Chan A again' (%s/Chan_A_again): "
			 "I2C bus 20 address 0x6a is already drive 'Chan A' "
			 "(%s/Chan_A); ignored",
			 board, board);
		assert_int_equal(tb_log_count(e->tb, "nvmed", needle), 1);
		snprintf(needle, sizeof(needle),
			 "NVME1000 record 'Root' (%s/Root): I2C bus 5 address "
			 "0x6a is the device of drive 'Chan ",
			 board);
		assert_int_equal(tb_log_count(e->tb, "nvmed", needle), 1);
		assert_int_equal(tb_log_count(e->tb, "nvmed",
					      "behind a mux on bus 5, which "
					      "reaches both); ignored"),
				 1);
	}
	assert_false(tb_get_double(e->tb, NVME, nt_sensor("Chan_A"), VALUE_IF,
				   "Value") != 35);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST_EM_DIR(test_every_real_record),
		NT_TEST(test_phosphor_nvme_config),
		NT_TEST(test_invalid_utf8),
		NT_TEST(test_basic_duplicate_device),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
