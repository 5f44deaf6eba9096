/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cross-check with an independent client: the real nvme-cli
 * (`nvme id-ctrl mctp:1,9 -o json`, `nvme smart-log mctp:1,9 -o json`)
 * run under libmctp-shim.so against nvme-mi-emu must report the
 * scenario's identity and health; fw-download, fw-commit and fw-log,
 * sanitize and sanitize-log, list-ns and id-ns the emulator's firmware
 * slots, sanitize and namespaces. Exits 77 (skip) without nvme-cli.
 * $NVME_CLI overrides the binary (default /usr/sbin/nvme).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu-harness.h"

#define RUN_TIMEOUT_MS 30000

static struct emu_proc emu;
static const char *nvme_cli;

static const char scenario[] =
	"{\"drives\":[{\"network\":1,\"eid\":9,\"bus\":3,\"address\":29,"
	"\"serial\":\"S1\",\"model\":\"M1\",\"firmware\":\"F1\","
	"\"vid\":5197,\"capacity\":960197124096,\"temperature\":35,"
	"\"warning_temp\":70,\"critical_temp\":80,\"percentage_used\":3,"
	"\"critical_warning\":0,\"namespaces\":[{\"nsid\":1,\"size\":"
	"1048576},{\"nsid\":3,\"size\":4096000,\"lbads\":12,\"ms\":8}]}]}";

static int setup(void **state)
{
	return emu_start(&emu, scenario) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int status = emu_stop(&emu);

	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Run nvme-cli (args[0] is the subcommand, NULL terminated) under the
 * shim; its stdout, and its stderr too with merge, go to out (NUL
 * terminated). Returns its wait status. */
static int run_cli_out(const char *const *args, char *out, size_t size,
		       bool merge)
{
	const char *argv[16];
	size_t len = 0, n_args = 0;
	int pipefd[2], status;
	struct timespec start, now;
	pid_t pid;

	argv[n_args++] = nvme_cli;
	while (args[n_args - 1] && n_args < 15) {
		argv[n_args] = args[n_args - 1];
		n_args++;
	}
	argv[n_args] = NULL;
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		if (merge)
			dup2(pipefd[1], STDERR_FILENO);
		setenv("LD_PRELOAD", getenv("TB_MCTP_SHIM_PRELOAD"), 1);
		setenv("MCTP_SHIM_SOCK", emu.sock, 1);
		/* nvme-cli is not our code: no leak reports from it */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		/* meson points LD_LIBRARY_PATH at the libraries this build
		 * uses (Debian 13's in the trixie build); nvme-cli is Debian
		 * 12's and needs Debian 12's libnvme. */
		unsetenv("LD_LIBRARY_PATH");
		execv(nvme_cli, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 > RUN_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			fail_msg("nvme %s did not finish", args[0]);
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(pipefd[0], out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pipefd[0]);
	out[len] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* nvme-cli's messages (stdout and stderr) of a command */
static int run_cli(const char *const *args, char *out, size_t size)
{
	return run_cli_out(args, out, size, true);
}

/* Run `nvme <cmd> <dev> [extra] -o json`; returns its parsed JSON output. */
static json_object *run_nvme_args(const char *cmd, const char *dev,
				  const char *extra1, const char *extra2)
{
	static char out[1 << 16];
	const char *args[] = { cmd, dev, "-o", "json", NULL, NULL, NULL };
	json_object *o;
	int status;

	if (extra1) {
		args[4] = extra1;
		args[5] = extra2;
	}
	status = run_cli_out(args, out, sizeof(out), false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("nvme %s %s failed (status %d): %s", cmd, dev, status,
			 out);
	o = json_tokener_parse(out);
	if (!o)
		fail_msg("nvme %s: not JSON: %s", cmd, out);
	return o;
}

static json_object *run_nvme(const char *cmd, const char *dev)
{
	return run_nvme_args(cmd, dev, NULL, NULL);
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in nvme-cli output", key);
	return json_object_get_string(v);
}

static int64_t get_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in nvme-cli output", key);
	return json_object_get_int64(v);
}

/* nvme-cli prints the space-padded Identify strings as they are */
static void assert_padded(const char *got, const char *want)
{
	size_t n = strlen(want);

	assert_memory_equal(got, want, n);
	for (const char *p = got + n; *p; p++)
		assert_int_equal(*p, ' ');
}

static void test_id_ctrl(void **state)
{
	json_object *o = run_nvme("id-ctrl", "mctp:1,9");

	assert_padded(get_str(o, "sn"), "S1");
	assert_padded(get_str(o, "mn"), "M1");
	assert_padded(get_str(o, "fr"), "F1");
	assert_int_equal(get_int(o, "vid"), 5197);
	assert_int_equal(get_int(o, "wctemp"), 343);
	assert_int_equal(get_int(o, "cctemp"), 353);
	json_object_put(o);
}

static void test_smart_log(void **state)
{
	json_object *o = run_nvme("smart-log", "mctp:1,9");

	assert_int_equal(get_int(o, "temperature"), 35 + 273);
	assert_int_equal(get_int(o, "percent_used"), 3);
	assert_int_equal(get_int(o, "critical_warning"), 0);
	json_object_put(o);

	/* changes made through the control socket show up */
	emu_ctl_ok(&emu, "{\"eid\":9,\"temperature\":90,"
			 "\"percentage_used\":42,\"critical_warning\":2}");
	o = run_nvme("smart-log", "mctp:1,9");
	assert_int_equal(get_int(o, "temperature"), 90 + 273);
	assert_int_equal(get_int(o, "percent_used"), 42);
	assert_int_equal(get_int(o, "critical_warning"), 2);
	json_object_put(o);
}

/* The drive's own object in the output of the log commands:
 * {"mctp:1,9": {...}} */
static json_object *dev_obj(json_object *o)
{
	json_object *v;

	if (!json_object_object_get_ex(o, "mctp:1,9", &v))
		fail_msg("no \"mctp:1,9\" in %s",
			 json_object_to_json_string(o));
	return v;
}

/* nvme-cli 2.3 prints a firmware revision as the little-endian u64 of
 * its 8 bytes, then the text: "<u64> (<chars>)" */
static void assert_frs(json_object *o, const char *key, const char *rev)
{
	char want[64], padded[9];
	uint64_t v = 0;

	snprintf(padded, sizeof(padded), "%-8s", rev);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | (uint8_t)padded[i];
	snprintf(want, sizeof(want), "%" PRIu64 " (", v);
	if (strncmp(get_str(o, key), want, strlen(want)) != 0)
		fail_msg("%s: \"%s\", expected \"%s...\"", key, get_str(o, key),
			 want);
}

/* nvme fw-download / fw-commit over NVMe-MI, checked with fw-log and
 * id-ctrl; the statuses nvme-cli shows for a bad slot and a commit that
 * needs a reset; the reset (power cycle + Set Endpoint ID). */
static void test_firmware(void **state)
{
	char path[PATH_MAX + 16], out[1 << 14];
	const char *dl[] = { "fw-download", "mctp:1,9", NULL, NULL };
	const char *commit3[] = { "fw-commit", "mctp:1,9", "-s", "2",
				  "-a",	       "3",	   NULL };
	const char *bad_slot[] = { "fw-commit", "mctp:1,9", "-s", "5",
				   "-a",	"1",	    NULL };
	char fwarg[PATH_MAX + 32];
	json_object *o;
	FILE *f;

	o = run_nvme("fw-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "Active Firmware Slot (afi)"), 1);
	assert_frs(dev_obj(o), "Firmware Rev Slot 1", "F1");
	json_object_put(o);

	/* a 12 KiB image of revision 2.0.0 */
	snprintf(path, sizeof(path), "%s/fw.bin", emu.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("EMFW2.0.0   ", f);
	for (int i = 12; i < 3 * 4096; i++)
		fputc(i & 0xff, f);
	fclose(f);
	snprintf(fwarg, sizeof(fwarg), "--fw=%s", path);
	dl[2] = fwarg;
	assert_int_equal(run_cli(dl, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Firmware download success"));
	assert_int_equal(emu_get_int(&emu, 9, "fw_downloaded"), 3 * 4096);
	assert_int_equal(run_cli(commit3, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Success committing firmware action:3 "
				    "slot:2"));
	o = run_nvme("fw-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "Active Firmware Slot (afi)"), 2);
	assert_frs(dev_obj(o), "Firmware Rev Slot 1", "F1");
	assert_frs(dev_obj(o), "Firmware Rev Slot 2", "2.0.0");
	json_object_put(o);
	o = run_nvme("id-ctrl", "mctp:1,9");
	assert_padded(get_str(o, "fr"), "2.0.0");
	json_object_put(o);

	/* slot 5 of two: Invalid Firmware Slot */
	assert_int_not_equal(run_cli(bad_slot, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "Invalid Firmware Slot"));
	assert_non_null(strstr(out, "0x4106"));

	/* a drive that needs a conventional reset: 0x10b, next slot 1 */
	emu_ctl_ok(&emu, "{\"eid\":9,\"fw_reset_required\":\"conventional\"}");
	assert_int_equal(run_cli(dl, out, sizeof(out)), 0);
	commit3[3] = "1";
	assert_int_not_equal(run_cli(commit3, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "0x10b"));
	o = run_nvme("fw-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "Active Firmware Slot (afi)"),
			 0x12);
	assert_frs(dev_obj(o), "Firmware Rev Slot 1", "2.0.0");
	json_object_put(o);
	/* the reset, and the EID back (Set Endpoint ID) */
	emu_ctl_ok(&emu, "{\"eid\":9,\"power_cycle\":true,"
			 "\"fw_reset_required\":\"\"}");
	emu_ctl_ok(&emu, "{\"mctp_control\":{\"bus\":3,\"address\":29,"
			 "\"request\":\"0080010009\"}}");
	o = run_nvme("fw-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "Active Firmware Slot (afi)"), 1);
	json_object_put(o);
	assert_int_equal(emu_get_int(&emu, 9, "fw_active_slot"), 1);
}

/* nvme sanitize -a 2 (block erase) over NVMe-MI, then sanitize-log: in
 * progress (a long sanitize_ms), the estimates, Sanitize In Progress for
 * a second one; then done once sanitize_ms is 0. */
static void test_sanitize(void **state)
{
	const char *start[] = { "sanitize", "mctp:1,9", "-a", "2", NULL };
	char out[1 << 14];
	json_object *o, *sstat;

	emu_ctl_ok(&emu, "{\"eid\":9,\"sanitize_ms\":600000}");
	o = run_nvme("sanitize-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "sprog"), 65535);
	assert_int_equal(get_int(dev_obj(o), "time_block_erase"), 600);
	json_object_put(o);

	assert_int_equal(run_cli(start, out, sizeof(out)), 0);
	o = run_nvme("sanitize-log", "mctp:1,9");
	assert_true(get_int(dev_obj(o), "sprog") < 65535);
	assert_int_equal(get_int(dev_obj(o), "cdw10_info"), 2);
	assert_true(json_object_object_get_ex(dev_obj(o), "sstat", &sstat));
	assert_non_null(strstr(get_str(sstat, "status"), "(2)"));
	json_object_put(o);
	assert_int_not_equal(run_cli(start, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "0x401d"));

	emu_ctl_ok(&emu, "{\"eid\":9,\"sanitize_ms\":0}");
	o = run_nvme("sanitize-log", "mctp:1,9");
	assert_int_equal(get_int(dev_obj(o), "sprog"), 65535);
	assert_true(json_object_object_get_ex(dev_obj(o), "sstat", &sstat));
	assert_non_null(strstr(get_str(sstat, "status"), "(1)"));
	assert_int_equal(get_int(sstat, "global_erased"), 1);
	json_object_put(o);
}

/* nvme list-ns and id-ns of the scenario's namespaces */
static void test_namespaces(void **state)
{
	json_object *o, *list, *lbafs, *f;

	o = run_nvme("list-ns", "mctp:1,9");
	assert_true(json_object_object_get_ex(o, "nsid_list", &list));
	assert_int_equal(json_object_array_length(list), 2);
	assert_int_equal(get_int(json_object_array_get_idx(list, 0), "nsid"),
			 1);
	assert_int_equal(get_int(json_object_array_get_idx(list, 1), "nsid"),
			 3);
	json_object_put(o);

	o = run_nvme_args("id-ns", "mctp:1,9", "-n", "3");
	assert_int_equal(get_int(o, "nsze"), 1000);
	assert_int_equal(get_int(o, "ncap"), 1000);
	assert_int_equal(get_int(o, "nuse"), 1000);
	assert_int_equal(get_int(o, "nlbaf"), 0);
	assert_int_equal(get_int(o, "flbas"), 0);
	assert_true(json_object_object_get_ex(o, "lbafs", &lbafs));
	f = json_object_array_get_idx(lbafs, 0);
	assert_int_equal(get_int(f, "ds"), 12);
	assert_int_equal(get_int(f, "ms"), 8);
	json_object_put(o);

	o = run_nvme_args("id-ns", "mctp:1,9", "-n", "1");
	assert_int_equal(get_int(o, "nsze"), 1048576 / 512);
	json_object_put(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_ctrl),
		cmocka_unit_test(test_smart_log),
		cmocka_unit_test(test_firmware),
		cmocka_unit_test(test_sanitize),
		cmocka_unit_test(test_namespaces),
	};

	nvme_cli = getenv("NVME_CLI") ? getenv("NVME_CLI") : "/usr/sbin/nvme";
	if (access(nvme_cli, X_OK) != 0) {
		printf("%s is not installed: skipped\n", nvme_cli);
		return 77;
	}
	if (!getenv("TB_MCTP_SHIM_PRELOAD"))
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
