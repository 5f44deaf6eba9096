/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cross-check with an independent client: the real nvme-cli
 * (`nvme id-ctrl mctp:1,9 -o json`, `nvme smart-log mctp:1,9 -o json`)
 * run under libmctp-shim.so against nvme-mi-emu must report the
 * scenario's identity and health. Exits 77 (skip) without nvme-cli.
 * $NVME_CLI overrides the binary (default /usr/sbin/nvme).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
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
	"\"critical_warning\":0}]}";

static int setup(void **state)
{
	return emu_start(&emu, scenario) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	int status = emu_stop(&emu);

	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* Run nvme-cli under the shim; returns its parsed JSON output. */
static json_object *run_nvme(const char *cmd, const char *dev)
{
	char out[1 << 16];
	size_t len = 0;
	int pipefd[2], status;
	struct timespec start, now;
	pid_t pid;
	json_object *o;

	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		setenv("LD_PRELOAD", getenv("TB_MCTP_SHIM_PRELOAD"), 1);
		setenv("MCTP_SHIM_SOCK", emu.sock, 1);
		/* nvme-cli is not our code: no leak reports from it */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		/* meson points LD_LIBRARY_PATH at the libraries this build
		 * uses (Debian 13's in the trixie build); nvme-cli is Debian
		 * 12's and needs Debian 12's libnvme. */
		unsetenv("LD_LIBRARY_PATH");
		execl(nvme_cli, nvme_cli, cmd, dev, "-o", "json", (char *)NULL);
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
			fail_msg("%s %s did not finish", cmd, dev);
		}
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(pipefd[0], out + len, sizeof(out) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pipefd[0]);
	out[len] = '\0';
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("nvme %s %s failed (status %d): %s", cmd, dev, status,
			 out);
	o = json_tokener_parse(out);
	if (!o)
		fail_msg("nvme %s: not JSON: %s", cmd, out);
	return o;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_ctrl),
		cmocka_unit_test(test_smart_log),
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
