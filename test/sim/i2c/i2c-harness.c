// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "i2c-harness.h"
#include "preload.h"

#define START_TIMEOUT_MS 10000

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *i2c_emu_sock(const struct emu_proc *p)
{
	static char buf[PATH_MAX + 16];

	snprintf(buf, sizeof(buf), "%s/i2c.sock", p->dir);
	return buf;
}

static bool can_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return false;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	close(fd);
	return r == 0;
}

int i2c_emu_start(struct emu_proc *p, const char *scenario_json)
{
	const char *emu = getenv("TB_NVME_MI_EMU");
	char scenario[PATH_MAX + 16], i2c[PATH_MAX + 16];
	long deadline;
	FILE *f;

	memset(p, 0, sizeof(*p));
	if (!emu)
		return -ENOENT;
	snprintf(p->dir, sizeof(p->dir), "%s/i2c-emu-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(p->dir))
		return -errno;
	snprintf(scenario, sizeof(scenario), "%s/scenario.json", p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/mctp.sock", p->dir);
	snprintf(p->control, sizeof(p->control), "%s/control.sock", p->dir);
	snprintf(i2c, sizeof(i2c), "%s", i2c_emu_sock(p));
	f = fopen(scenario, "we");
	if (!f)
		return -errno;
	fputs(scenario_json, f);
	fclose(f);

	p->pid = fork();
	if (p->pid < 0)
		return -errno;
	if (p->pid == 0) {
		char log[PATH_MAX + 16];

		/* the emulator must not see the shims */
		unsetenv("LD_PRELOAD");
		snprintf(log, sizeof(log), "%s/emu.log", p->dir);
		if (!freopen(log, "we", stderr) ||
		    !freopen("/dev/null", "we", stdout))
			_exit(126);
		/* gone with a test that fails before emu_stop() */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execl(emu, emu, "--scenario", scenario, "--socket", p->sock,
		      "--i2c-socket", i2c, "--control", p->control, "-v",
		      (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + START_TIMEOUT_MS;
	while (!can_connect(p->control)) {
		if (now_ms() > deadline || waitpid(p->pid, NULL, WNOHANG) != 0)
			return -ETIMEDOUT;
		usleep(10000);
	}
	return 0;
}

int i2c_preload_self(char **argv)
{
	static const char *const libs[] = { "i2c-shim-preload", NULL };

	return tb_preload_self(argv, libs);
}
