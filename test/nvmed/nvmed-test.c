// SPDX-License-Identifier: Apache-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"
#include "preload.h"

const char nt_needs_em_dir[] = "needs an entity-manager checkout";

int nt_setup(void **state)
{
	struct nt_env *e = calloc(1, sizeof(*e));

	if (!e)
		return -1;
	*state = e;
	return 0;
}

int nt_teardown(void **state)
{
	struct nt_env *e = *state;

	/* Still there: the test failed before nt_stop(). Stop what it left
	 * (tb_free kills the children), with the children's logs. */
	if (e->tb)
		tb_fail(e->tb);
	emu_stop(&e->emu);
	tb_free(e->tb);
	free(e->preload);
	free(e);
	return 0;
}

int nt_run(const struct CMUnitTest *tests, size_t n)
{
	_cleanup_free_ struct CMUnitTest *run = calloc(n ? n : 1, sizeof(*run));
	size_t k = 0;

	assert_non_null(run);
	for (size_t i = 0; i < n; i++) {
		if (tests[i].initial_state == nt_needs_em_dir && !tb_em_dir())
			printf("# %s skipped: no entity-manager checkout "
			       "(-Dentity-manager-dir)\n",
			       tests[i].name);
		else
			run[k++] = tests[i];
	}
	return tb_run_tests(run, k);
}

void nt_start(struct nt_env *e, enum nt_bed bed, const char *scenario_json)
{
	static const char *const mctp[] = { "mctp-shim-preload", NULL };
	static const char *const smbus[] = { "i2c-shim-preload",
					     "mctp-shim-preload", NULL };

	assert_null(e->tb);
	e->bed = bed;
	e->tb = tb_new();
	if (bed == NT_SMBUS)
		assert_int_equal(i2c_emu_start(&e->emu, scenario_json), 0);
	else
		assert_int_equal(emu_start(&e->emu, scenario_json), 0);
	e->preload = tb_preload_env(bed == NT_SMBUS ? smbus : mctp);
	assert_non_null(e->preload);
	snprintf(e->mctp_sock, sizeof(e->mctp_sock), "MCTP_SHIM_SOCK=%s",
		 e->emu.sock);
	snprintf(e->i2c_sock, sizeof(e->i2c_sock), "I2C_SHIM_SOCK=%s",
		 bed == NT_SMBUS ? i2c_emu_sock(&e->emu) : "");
}

pid_t nt_spawn_nvmed(struct nt_env *e, const char *wrapper, const char *config,
		     const char *const *args)
{
	const char *env[] = { e->preload, e->mctp_sock,
			      e->bed == NT_SMBUS ? e->i2c_sock : NULL, NULL };
	const char *argv[25];
	size_t n = 0;

	if (wrapper)
		argv[n++] = wrapper;
	argv[n++] = tb_prog("nvmed");
	argv[n++] = "-v";
	argv[n++] = "--poll-interval-ms";
	argv[n++] = "200";
	if (e->bed == NT_SMBUS) {
		argv[n++] = "--power-on-delay-ms";
		argv[n++] = "300";
	}
	if (config) {
		argv[n++] = "--config";
		argv[n++] = config;
	}
	for (; args && *args; args++) {
		assert_true(n < ARRAY_SIZE(argv) - 1);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	return tb_spawn(e->tb, "nvmed", argv, env);
}

void nt_start_nvmed(struct nt_env *e, const char *config,
		    const char *const *args)
{
	e->nvmed = nt_spawn_nvmed(e, NULL, config, args);
	assert_int_equal(tb_wait_name(e->tb, NVME, WAIT), 0);
}

pid_t nt_worker_pid(struct nt_env *e, const char *comm)
{
	char want[32], path[64], line[32], stat[256];
	struct dirent *de;
	pid_t found = 0;
	DIR *d;

	snprintf(want, sizeof(want), "%s\n", comm);
	d = opendir("/proc");
	assert_non_null(d);
	while (!found && (de = readdir(d))) {
		FILE *f;
		int pid = atoi(de->d_name), ppid = 0;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(line, sizeof(line), f) || strcmp(line, want) != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		f = fopen(path, "re");
		if (f && fgets(stat, sizeof(stat), f) &&
		    sscanf(strrchr(stat, ')') + 2, "%*c %d", &ppid) == 1 &&
		    ppid == e->nvmed)
			found = pid;
		if (f)
			fclose(f);
	}
	closedir(d);
	return found;
}

void nt_stop(struct nt_env *e)
{
	if (e->nvmed > 0) {
		assert_true(tb_alive(e->tb, e->nvmed));
		/* clean SIGTERM: exit status 0 */
		assert_int_equal(tb_stop(e->tb, e->nvmed, SIGTERM), 0);
	}
	emu_stop(&e->emu);
	e->emu = (struct emu_proc){ 0 };
	tb_free(e->tb);
	e->tb = NULL;
}

/* ---- stand-ins -------------------------------------------------------- */

void nt_start_state(struct nt_env *e, const char *host)
{
	const char *argv[] = { tb_prog("state-standin"), "--host", host, NULL };

	tb_spawn(e->tb, "state", argv, NULL);
	assert_int_equal(tb_wait_name(e->tb, CHASSIS, WAIT), 0);
}

void nt_start_em(struct nt_env *e, const char *const *args)
{
	const char *argv[24] = { tb_prog("em-standin") };
	size_t n = 1;

	for (; args && *args; args++) {
		assert_true(n < ARRAY_SIZE(argv) - 1);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	tb_spawn(e->tb, "em", argv, NULL);
	assert_int_equal(tb_wait_name(e->tb, EM, WAIT), 0);
}

pid_t nt_start_mctpd(struct nt_env *e, const char *name,
		     const char *scenario_json, const char *const *args)
{
	const char *file = tb_path(e->tb, "mctpd-scenario.json");
	const char *argv[24] = { tb_prog("mctpd-standin"), "--scenario", file };
	size_t n = 3;
	pid_t pid;

	tb_write_file(file, scenario_json);
	for (; args && *args; args++) {
		assert_true(n < ARRAY_SIZE(argv) - 1);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	pid = tb_spawn(e->tb, name, argv, NULL);
	assert_int_equal(tb_wait_name(e->tb, MCTPD, WAIT), 0);
	return pid;
}

const char *nt_board_file(struct nt_env *e, const char *records)
{
	const char *path = tb_path(e->tb, "board.json");
	_cleanup_free_ char *s = NULL;

	assert_true(asprintf(&s,
			     "{\"Name\": \"Test Board\", \"Type\": \"Board\", "
			     "\"Probe\": \"TRUE\", \"Exposes\": [%s]}",
			     records) > 0);
	tb_write_file(path, s);
	return path;
}

void nt_remove_board(struct nt_env *e, const char *board)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), EM,
			       "/xyz/openbmc_project/test/em",
			       "xyz.openbmc_project.Test.EntityManager",
			       "RemoveBoard", &err, NULL, "o", board);
	if (r < 0)
		fprintf(stderr, "RemoveBoard(%s): %s\n", board, err.message);
	sd_bus_error_free(&err);
	assert_true(r >= 0);
}

void nt_wait_missed(struct nt_env *e, unsigned eid)
{
	for (int ms = 0; emu_get_int(&e->emu, eid, "miss") > 0; ms += 50) {
		if (ms > WAIT)
			fail_msg("EID %u: missed requests never consumed", eid);
		tb_pump(e->tb, 50);
	}
}

/* ---- nvmed's objects -------------------------------------------------- */

void nt_path(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "%s%s", prefix, name);
}

const char *nt_sensor(const char *name)
{
	static char buf[8][256];
	static unsigned i;
	char *p = buf[i++ % ARRAY_SIZE(buf)];

	nt_path(p, sizeof(buf[0]), SENSOR, name);
	return p;
}

const char *nt_drive(const char *name)
{
	static char buf[8][256];
	static unsigned i;
	char *p = buf[i++ % ARRAY_SIZE(buf)];

	nt_path(p, sizeof(buf[0]), DRIVE, name);
	return p;
}

uint64_t nt_get_u64(struct nt_env *e, const char *path, const char *iface,
		    const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint64_t v = 0;
	int r;

	r = sd_bus_get_property_trivial(tb_bus(e->tb), NVME, path, iface, prop,
					&err, 't', &v);
	sd_bus_error_free(&err);
	assert_int_equal(r, 0);
	return v;
}

uint8_t nt_get_u8(struct nt_env *e, const char *path, const char *iface,
		  const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint8_t v = 0;
	int r;

	r = sd_bus_get_property_trivial(tb_bus(e->tb), NVME, path, iface, prop,
					&err, 'y', &v);
	sd_bus_error_free(&err);
	assert_int_equal(r, 0);
	return v;
}

void nt_wait_value(struct nt_env *e, const char *name, double v, int ms)
{
	assert_int_equal(tb_wait_double(e->tb, NVME, nt_sensor(name), VALUE_IF,
					"Value", v, 0.01, ms),
			 0);
}

void nt_wait_bool(struct nt_env *e, const char *path, const char *iface,
		  const char *prop, bool v, int ms)
{
	assert_int_equal(tb_wait_bool(e->tb, NVME, path, iface, prop, v, ms),
			 0);
}

bool nt_has_assoc(struct nt_env *e, const char *path, const char *fwd,
		  const char *rev, const char *target)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *a, *b, *c;
	bool found = false;

	assert_true(sd_bus_get_property(tb_bus(e->tb), NVME, path, ASSOC_IF,
					"Associations", NULL, &reply,
					"a(sss)") >= 0);
	assert_true(sd_bus_message_enter_container(reply, 'a', "(sss)") >= 0);
	while (sd_bus_message_read(reply, "(sss)", &a, &b, &c) > 0)
		if (!strcmp(a, fwd) && !strcmp(b, rev) && !strcmp(c, target))
			found = true;
	return found;
}

/* ---- drives over NVMe-MI ---------------------------------------------- */

const char *nt_mi_drive_json(char *buf, size_t len, unsigned eid, unsigned bus,
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

char *nt_mi_scenario(unsigned n, const char *config_of_first)
{
	size_t cap = 600 * (n + 1);
	char *s = malloc(cap), one[600];
	size_t off;

	assert_non_null(s);
	off = (size_t)snprintf(s, cap, "{\"drives\": [");
	for (unsigned i = 0; i < n; i++)
		off += (size_t)snprintf(
			s + off, cap - off, "%s%s", i ? ", " : "",
			nt_mi_drive_json(one, sizeof(one), 9 + i, 3 + i, 35,
					 i == 0 ? config_of_first : NULL));
	snprintf(s + off, cap - off, "]}");
	return s;
}

const char *nt_mi_config(struct nt_env *e, unsigned n, const char *extra_first)
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

void nt_mi_check_drive(struct nt_env *e, const char *name, unsigned eid,
		       double temp)
{
	char sensor[256], drive[256], want[64];
	_cleanup_free_ char *mf = NULL;

	nt_path(sensor, sizeof(sensor), SENSOR, name);
	nt_path(drive, sizeof(drive), DRIVE, name);
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
	assert_true(nt_get_u64(e, drive, DRIVE_IF, "Capacity") ==
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
	assert_int_equal(nt_get_u8(e, drive, DRIVE_IF,
				   "PredictedMediaLifeLeftPercent"),
			 97);
}

/* ---- drives over SMBus ------------------------------------------------ */

char *nt_basic_drive_json(unsigned eid, unsigned bus, int temp)
{
	char *s;

	assert_true(asprintf(&s,
			     "{\"network\": 1, \"eid\": %u, \"bus\": %u, "
			     "\"address\": 29, \"serial\": \"SN%u\", "
			     "\"model\": \"Model %u\", \"vid\": 5197, "
			     "\"temperature\": %d, \"percentage_used\": 3}",
			     eid, bus, eid, eid, temp) > 0);
	return s;
}

char *nt_basic_scenario(unsigned n, unsigned bus0)
{
	char *s = strdup("{\"drives\": ["), *t;

	assert_non_null(s);
	for (unsigned i = 0; i < n; i++) {
		_cleanup_free_ char *d =
			nt_basic_drive_json(9 + i, bus0 + i, 35 + (int)i);

		assert_true(asprintf(&t, "%s%s%s", s, i ? ", " : "", d) > 0);
		free(s);
		s = t;
	}
	assert_true(asprintf(&t, "%s]}", s) > 0);
	free(s);
	return t;
}
