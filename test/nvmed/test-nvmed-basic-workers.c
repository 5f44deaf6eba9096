// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's SMBus I/O workers (nvmed-test.h, NT_SMBUS): one process per
 * root bus, with the only effective capabilities and, with libseccomp,
 * a seccomp filter of its own; a killed worker is replaced; nvmed that
 * cannot clear its own effective capabilities does not start.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "macros.h"
#include "nvmed-test.h"

/* The pid of nvmed's I/O worker for root bus bus. */
static pid_t worker_pid(struct nt_env *e, unsigned bus)
{
	char comm[32];

	snprintf(comm, sizeof(comm), "nvmed-i2c-%u", bus);
	return nt_worker_pid(e, comm);
}

/* A field of /proc/PID/status ("Seccomp", "NoNewPrivs"), -1 if absent. */
_unused_ static int status_field(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			v = atoi(line + len + 1);
	fclose(f);
	return v;
}

/* A hexadecimal field of /proc/PID/status ("CapEff"), ~0 if absent. */
static unsigned long long status_hex(pid_t pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	unsigned long long v = ~0ULL;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, name, len) == 0 && line[len] == ':')
			v = strtoull(line + len + 1, NULL, 16);
	fclose(f);
	return v;
}

/*
 * SMBus transfers run in one I/O worker process per root bus, never on
 * the loop that serves D-Bus: two buses, two workers; a worker killed is
 * restarted and its drive keeps being read, the other bus untouched.
 */
static void test_basic_io_workers(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 3);
	const char *board;
	pid_t w3, w4, again;

	nt_start(e, NT_SMBUS, sc);
	board = nt_board_file(e, "{\"Type\": \"NVME1000\", \"Name\": \"Wk A\", "
				 "\"Bus\": 3, \"PowerState\": \"Always\"}, "
				 "{\"Type\": \"NVME1000\", \"Name\": \"Wk B\", "
				 "\"Bus\": 4, \"PowerState\": \"Always\"}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "Wk_A", 35, WAIT);
	nt_wait_value(e, "Wk_B", 36, WAIT);
	w3 = worker_pid(e, 3);
	w4 = worker_pid(e, 4);
	assert_true(w3 > 0);
	assert_true(w4 > 0);
	assert_int_not_equal(w3, w4);
#ifdef HAVE_LIBSECCOMP
	/* each worker has a seccomp filter of its own; nvmed does not */
	assert_int_equal(status_field(w3, "Seccomp"), 2);
	assert_int_equal(status_field(w3, "NoNewPrivs"), 1);
	assert_int_equal(status_field(e->nvmed, "Seccomp"), 0);
#endif
	assert_int_equal(kill(w3, SIGKILL), 0);
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "I/O worker of I2C bus 3 was killed",
				     WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 44}");
	emu_ctl_ok(&e->emu, "{\"eid\": 10, \"temperature\": 45}");
	nt_wait_value(e, "Wk_A", 44, WAIT);
	nt_wait_value(e, "Wk_B", 45, WAIT);
	again = worker_pid(e, 3);
	assert_true(again > 0);
	assert_int_not_equal(again, w3);
	assert_int_equal(worker_pid(e, 4), w4);
	nt_stop(e);
}

/*
 * Only the workers have effective capabilities: nvmed keeps its permitted
 * set for them and clears its effective one, each worker makes its
 * permitted set effective. Run where there are capabilities to hold
 * (main() leaves the test out otherwise): with CapPrm 0 every such check
 * would hold whatever nvmed did.
 */
static void test_worker_capabilities(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	const char *board;
	pid_t w3;

	nt_start(e, NT_SMBUS, sc);
	board = nt_board_file(e, "{\"Type\": \"NVME1000\", \"Name\": \"Wk A\", "
				 "\"Bus\": 3, \"PowerState\": \"Always\"}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "Wk_A", 35, WAIT);
	w3 = worker_pid(e, 3);
	assert_true(w3 > 0);
	/* something to hold: the checks below cannot pass vacuously */
	assert_true(status_hex(e->nvmed, "CapPrm") != 0);
	assert_true(status_hex(w3, "CapPrm") != 0);
	assert_true(status_hex(w3, "CapPrm") != ~0ULL);
	assert_true(status_hex(e->nvmed, "CapEff") == 0);
	assert_true(status_hex(w3, "CapEff") == status_hex(w3, "CapPrm"));
	nt_stop(e);
}

/*
 * nvmed cannot clear its effective capabilities (capset(2) fails, as under
 * a seccomp filter or an LSM): it does not serve D-Bus with them, it exits
 * with a failure and says why.
 */
static void test_privilege_drop_fatal(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	pid_t pid;
	int status;

	nt_start(e, NT_SMBUS, sc);
	pid = nt_spawn_nvmed(e, tb_prog("no-capset"), NULL, NULL);
	status = tb_wait_exit(e->tb, pid, WAIT);
	assert_true(status >= 0 && WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EXIT_FAILURE);
	assert_int_equal(tb_wait_log(e->tb, "nvmed",
				     "Cannot clear the effective capabilities",
				     WAIT),
			 0);
	assert_int_equal(tb_wait_name_gone(e->tb, NVME, 0), 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest all[] = {
		NT_TEST(test_basic_io_workers),
		NT_TEST(test_privilege_drop_fatal),
		NT_TEST(test_worker_capabilities),
	};
	size_t n = ARRAY_SIZE(all);

	if (status_hex(getpid(), "CapPrm") == 0) {
		printf("# test_worker_capabilities skipped: no permitted "
		       "capabilities (CapPrm 0) to check\n");
		n--;
	}
	return nt_run(all, n);
}
