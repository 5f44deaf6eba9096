/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu-harness.h"
#include "preload.h"

#define START_TIMEOUT_MS 10000
#define CTL_TIMEOUT_MS	 10000
#define CTL_REPLY_MAX	 (16 * 1024 * 1024)

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int emu_preload_self(char **argv)
{
	static const char *const libs[] = { "mctp-shim-preload", NULL };

	return tb_preload_self(argv, libs);
}

static int connect_unix(const char *path, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int emu_start(struct emu_proc *p, const char *scenario_json)
{
	return emu_start_serial(p, scenario_json, -1);
}

int emu_start_serial(struct emu_proc *p, const char *scenario_json,
		     int serial_fd)
{
	char fd_arg[16];
	const char *emu = getenv("TB_NVME_MI_EMU");
	char scenario[PATH_MAX + 16];
	long deadline;
	FILE *f;
	int fd;

	memset(p, 0, sizeof(*p));
	if (!emu)
		return -ENOENT;
	snprintf(p->dir, sizeof(p->dir), "%s/mi-emu-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(p->dir))
		return -errno;
	snprintf(scenario, sizeof(scenario), "%s/scenario.json", p->dir);
	snprintf(p->sock, sizeof(p->sock), "%s/mctp.sock", p->dir);
	snprintf(p->control, sizeof(p->control), "%s/control.sock", p->dir);
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
		FILE *l;

		snprintf(log, sizeof(log), "%s/emu.log", p->dir);
		l = freopen(log, "we", stderr);
		(void)l;
		/* A test that fails never reaches emu_stop(): the emulator
		 * goes with the test process, and never holds the test's
		 * stdout (meson would wait for it). */
		l = freopen("/dev/null", "we", stdout);
		(void)l;
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		snprintf(fd_arg, sizeof(fd_arg), "%d", serial_fd);
		if (serial_fd >= 0)
			execl(emu, emu, "--scenario", scenario, "--socket",
			      p->sock, "--control", p->control, "--serial-fd",
			      fd_arg, "--serial-net", "1", "-v", (char *)NULL);
		else
			execl(emu, emu, "--scenario", scenario, "--socket",
			      p->sock, "--control", p->control, "-v",
			      (char *)NULL);
		_exit(127);
	}
	deadline = now_ms() + START_TIMEOUT_MS;
	while ((fd = connect_unix(p->control, SOCK_STREAM)) < 0) {
		if (now_ms() > deadline || waitpid(p->pid, NULL, WNOHANG) != 0)
			return -ETIMEDOUT;
		usleep(10000);
	}
	close(fd);
	return 0;
}

int emu_ctl(struct emu_proc *p, const char *line, char **ret_reply)
{
	char *buf = NULL, *nl = NULL;
	size_t len = 0, size = 0;
	int fd, r = 0;
	long deadline = now_ms() + CTL_TIMEOUT_MS;

	fd = connect_unix(p->control, SOCK_STREAM);
	if (fd < 0)
		return fd;
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    send(fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		r = -errno;
		goto out;
	}
	/* a reply may be long ("list" of many drives): read to its newline */
	while (!nl) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (now_ms() > deadline) {
			r = -ETIMEDOUT;
			goto out;
		}
		if (len == size) {
			char *grown;

			if (size >= CTL_REPLY_MAX) {
				r = -EMSGSIZE;
				goto out;
			}
			size = size ? 2 * size : 65536;
			grown = realloc(buf, size + 1);
			if (!grown) {
				r = -ENOMEM;
				goto out;
			}
			buf = grown;
		}
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + len, size - len, 0);
		if (n <= 0) {
			r = n < 0 ? -errno : -ECONNRESET;
			goto out;
		}
		nl = memchr(buf + len, '\n', (size_t)n);
		len += (size_t)n;
	}
	*nl = '\0';
	*ret_reply = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return r;
}

void emu_ctl_ok(struct emu_proc *p, const char *line)
{
	char *reply = NULL;

	assert_int_equal(emu_ctl(p, line, &reply), 0);
	if (strncmp(reply, "{\"ok\":true", 10) != 0)
		fail_msg("control \"%s\" failed: %s", line, reply);
	free(reply);
}

long long emu_get_int(struct emu_proc *p, unsigned eid, const char *field)
{
	char line[64], key[64], *reply = NULL, *at, *end;
	long long v;

	snprintf(line, sizeof(line), "{\"get\": {\"eid\": %u}}", eid);
	snprintf(key, sizeof(key), "\"%s\":", field);
	assert_int_equal(emu_ctl(p, line, &reply), 0);
	at = strstr(reply, key);
	if (!at)
		fail_msg("no \"%s\" in: %s", field, reply);
	at += strlen(key);
	while (*at == ' ')
		at++;
	v = strtoll(at, &end, 10);
	if (end == at)
		fail_msg("\"%s\" is not an integer in: %s", field, reply);
	free(reply);
	return v;
}

int emu_stop(struct emu_proc *p)
{
	char cmd[PATH_MAX + 32];
	int status = -1;

	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		if (waitpid(p->pid, &status, 0) < 0)
			status = -1;
		p->pid = 0;
	}
	if (p->dir[0] && !getenv("TB_KEEP")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", p->dir);
	}
	return status;
}
