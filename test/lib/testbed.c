/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "macros.h"
#include "preload.h"
#include "sdbusplus-name.h"
#include "testbed.h"

#define TB_MAX_CHILDREN 64

struct tb_child {
	pid_t pid;
	char *name;
};

struct testbed {
	char dir[64];
	char address[128];
	pid_t bus_pid;
	sd_bus *bus;
	struct tb_child children[TB_MAX_CHILDREN];
	size_t n_children;
	bool failed;
	/* the D-Bus error message of the last tb_call_as*() */
	char call_message[512];
};

_printf_(1, 2) static _Noreturn void tb_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "testbed: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	fail();
	abort();
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *tb_prog(const char *name)
{
	const char *v = tb_prog_find(name);

	if (!v)
		tb_die("no path for '%s' (its TB_ variable is not set): run "
		       "the test through 'meson test'",
		       name);
	return v;
}

const char *tb_em_dir(void)
{
	const char *v = getenv("TB_EM_DIR");

	return v && *v ? v : NULL;
}

void tb_write_file(const char *path, const char *content)
{
	_cleanup_free_ char *dir = strdup(path);
	char *p;
	FILE *f;

	if (!dir)
		tb_die("out of memory");
	for (p = strchr(dir + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			tb_die("mkdir %s: %s", dir, strerror(errno));
		*p = '/';
	}
	f = fopen(path, "w");
	if (!f)
		tb_die("cannot write %s: %s", path, strerror(errno));
	if (content)
		fputs(content, f);
	if (fclose(f) != 0)
		tb_die("cannot write %s: %s", path, strerror(errno));
}

/* policy, when not NULL, is included after the allow-all default policy:
 * the later of two matching rules wins (dbus-daemon(1), <policy>). */
static void write_bus_config(struct testbed *tb, const char *policy)
{
	char path[128], include[1200], conf[2048];

	include[0] = '\0';
	if (policy && (size_t)snprintf(include, sizeof(include),
				       "  <include ignore_missing=\"no\">%s"
				       "</include>\n",
				       policy) >= sizeof(include))
		tb_die("bus policy path too long: %s", policy);
	snprintf(path, sizeof(path), "%s/bus.conf", tb->dir);
	snprintf(conf, sizeof(conf),
		 "<!DOCTYPE busconfig PUBLIC "
		 "\"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
		 "\"http://www.freedesktop.org/standards/dbus/1.0/"
		 "busconfig.dtd\">\n"
		 "<busconfig>\n"
		 "  <type>system</type>\n"
		 "  <listen>unix:path=%s/bus</listen>\n"
		 "  <auth>EXTERNAL</auth>\n"
		 "  <limit name=\"max_connections_per_user\">4096</limit>\n"
		 "  <limit name=\"max_match_rules_per_connection\">"
		 "65536</limit>\n"
		 "  <limit name=\"max_replies_per_connection\">65536</limit>\n"
		 "  <policy context=\"default\">\n"
		 "    <allow user=\"*\"/>\n"
		 "    <allow own=\"*\"/>\n"
		 "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
		 "    <allow receive_sender=\"*\"/>\n"
		 "    <allow eavesdrop=\"true\"/>\n"
		 "  </policy>\n"
		 "%s"
		 "</busconfig>\n",
		 tb->dir, include);
	tb_write_file(path, conf);
}

static void start_bus(struct testbed *tb, const char *policy)
{
	char conf_arg[160], line[256];
	int pfd[2];
	ssize_t n;
	size_t got = 0;
	pid_t pid;

	write_bus_config(tb, policy);
	snprintf(conf_arg, sizeof(conf_arg), "--config-file=%s/bus.conf",
		 tb->dir);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		tb_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		tb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		char fd_arg[32];

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(pfd[1], 3);
		snprintf(fd_arg, sizeof(fd_arg), "--print-address=3");
		execlp("dbus-daemon", "dbus-daemon", conf_arg, "--nofork",
		       "--nopidfile", fd_arg, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	tb->bus_pid = pid;
	/* The address line tells us the bus is listening. */
	while (got < sizeof(line) - 1) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0)
			tb_die("dbus-daemon did not start (is 'dbus' installed?)");
		n = read(pfd[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			tb_die("dbus-daemon failed to start");
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	close(pfd[0]);
	snprintf(tb->address, sizeof(tb->address), "unix:path=%s/bus", tb->dir);
	setenv("DBUS_SYSTEM_BUS_ADDRESS", tb->address, 1);
}

struct testbed *tb_new_with_policy(const char *policy)
{
	struct testbed *tb = calloc(1, sizeof(*tb));
	int r;

	if (!tb)
		tb_die("out of memory");
	snprintf(tb->dir, sizeof(tb->dir), "/tmp/tb.XXXXXX");
	if (!mkdtemp(tb->dir))
		tb_die("mkdtemp: %s", strerror(errno));
	/* Searchable, not listable, by everyone: callers of tb_call_as()
	 * reach the bus socket inside. */
	if (chmod(tb->dir, 0711) < 0)
		tb_die("chmod %s: %s", tb->dir, strerror(errno));
	/* Children that outlive a crashed test would keep the bus busy. */
	signal(SIGPIPE, SIG_IGN);
	start_bus(tb, policy);
	r = sd_bus_open_system(&tb->bus);
	if (r < 0)
		tb_die("cannot connect to the private bus: %s", strerror(-r));
	return tb;
}

struct testbed *tb_new(void)
{
	const char *policy = getenv("TB_BUS_POLICY");

	return tb_new_with_policy(policy && *policy ? policy : NULL);
}

sd_bus *tb_bus(struct testbed *tb)
{
	return tb->bus;
}

const char *tb_dir(struct testbed *tb)
{
	return tb->dir;
}

const char *tb_bus_address(struct testbed *tb)
{
	return tb->address;
}

const char *tb_path(struct testbed *tb, const char *name)
{
	static char slots[8][512];
	static unsigned next;
	char *s = slots[next++ % 8];

	snprintf(s, sizeof(slots[0]), "%s/%s", tb->dir, name);
	return s;
}

static const char *log_path(struct testbed *tb, const char *name)
{
	static char buf[512];

	snprintf(buf, sizeof(buf), "%s/%s.log", tb->dir, name);
	return buf;
}

static void child_setup(const char *log, const char *const *env)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd >= 0) {
		dup2(fd, STDERR_FILENO);
		if (fd != STDERR_FILENO)
			close(fd);
	}
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	for (; env && *env; env++) {
		if (strchr(*env, '='))
			putenv((char *)*env);
		else
			unsetenv(*env);
	}
}

pid_t tb_spawn(struct testbed *tb, const char *name, const char *const *argv,
	       const char *const *env)
{
	char log[512];
	pid_t pid;

	if (tb->n_children >= TB_MAX_CHILDREN)
		tb_die("too many children");
	snprintf(log, sizeof(log), "%s", log_path(tb, name));
	pid = fork();
	if (pid < 0)
		tb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		child_setup(log, env);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		fprintf(stderr, "testbed: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	tb->children[tb->n_children].pid = pid;
	tb->children[tb->n_children].name = strdup(name);
	tb->n_children++;
	return pid;
}

static struct tb_child *find_child(struct testbed *tb, pid_t pid)
{
	for (size_t i = 0; i < tb->n_children; i++)
		if (tb->children[i].pid == pid)
			return &tb->children[i];
	return NULL;
}

static int reap(pid_t pid, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (now_ms() >= end)
			return -2;
		usleep(5000);
	}
}

int tb_stop(struct testbed *tb, pid_t pid, int sig)
{
	struct tb_child *c = find_child(tb, pid);
	int status;

	if (!c || c->pid <= 0)
		return -1;
	kill(pid, sig);
	status = reap(pid, 5000);
	if (status == -2) {
		kill(pid, SIGKILL);
		status = reap(pid, 5000);
	}
	c->pid = -c->pid; /* remember the name for the log dump */
	return status;
}

int tb_wait_exit(struct testbed *tb, pid_t pid, int timeout_ms)
{
	struct tb_child *c = find_child(tb, pid);
	int status;

	if (!c || c->pid <= 0)
		return -ECHILD;
	status = reap(pid, timeout_ms);
	if (status == -2)
		return -ETIMEDOUT;
	c->pid = -c->pid;
	return status < 0 ? -ECHILD : status;
}

bool tb_alive(struct testbed *tb, pid_t pid)
{
	struct tb_child *c = find_child(tb, pid);
	int status;

	if (!c)
		return false;
	if (waitpid(pid, &status, WNOHANG) == pid) {
		c->pid = -c->pid;
		return false;
	}
	return true;
}

int tb_run(struct testbed *tb, const char *const *argv, const char *const *env,
	   int timeout_ms, char **ret_out)
{
	char log[512];
	char *out = NULL;
	size_t len = 0;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	int pfd[2], status;
	pid_t pid;

	snprintf(log, sizeof(log), "%s", log_path(tb, "run"));
	if (pipe2(pfd, O_CLOEXEC) < 0)
		tb_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		tb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		child_setup(log, env);
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "testbed: cannot run %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		uint64_t now = now_ms();
		char buf[4096];
		ssize_t n;

		if (now >= end) {
			kill(pid, SIGKILL);
			reap(pid, 5000);
			tb_die("'%s' did not finish in %d ms", argv[0],
			       timeout_ms);
		}
		if (poll(&p, 1, (int)(end - now)) <= 0)
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		out = realloc(out, len + (size_t)n + 1);
		if (!out)
			tb_die("out of memory");
		memcpy(out + len, buf, (size_t)n);
		len += (size_t)n;
		out[len] = '\0';
	}
	close(pfd[0]);
	status = reap(pid, timeout_ms);
	if (ret_out)
		*ret_out = out ? out : strdup("");
	else
		free(out);
	if (status < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* ---- calls as another user ---- */

#define CALL_AS_TIMEOUT_MS 10000

/* What the caller child reports: 'E', the D-Bus error name ("" on
 * success), a newline and the error's message; or 'X' and why it could
 * not call. Cut to what the parent reads. */
#define CALL_AS_REPORT_MAX 768

_Noreturn static void call_as_report(int fd, char kind, const char *text,
				     const char *message)
{
	char buf[CALL_AS_REPORT_MAX];
	int n = snprintf(buf, sizeof(buf), "%c%s\n%s", kind, text ? text : "",
			 message ? message : "");

	if (n < 0)
		_exit(2);
	if ((size_t)n >= sizeof(buf))
		n = (int)sizeof(buf) - 1;
	if (write(fd, buf, (size_t)n) < 0)
		_exit(2);
	_exit(0);
}

_Noreturn static void call_as_child(int fd, const struct tb_caller *who,
				    const char *service, const char *path,
				    const char *iface, const char *method,
				    const char *types, va_list ap)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *m = NULL, *reply = NULL;
	gid_t groups[TB_CALLER_MAX_GROUPS + 1];
	size_t n = 0;
	sd_bus *bus = NULL;
	char why[160];
	int r;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	groups[n++] = who->gid;
	for (size_t i = 0; i < who->n_groups && i < TB_CALLER_MAX_GROUPS; i++)
		groups[n++] = who->groups[i];
	if (setgroups(n, groups) < 0 ||
	    setresgid(who->gid, who->gid, who->gid) < 0 ||
	    setresuid(who->uid, who->uid, who->uid) < 0) {
		snprintf(why, sizeof(why), "cannot become %u:%u: %s",
			 (unsigned)who->uid, (unsigned)who->gid,
			 strerror(errno));
		call_as_report(fd, 'X', why, NULL);
	}
	/* DBUS_SYSTEM_BUS_ADDRESS is the test bed's private bus. */
	r = sd_bus_open_system(&bus);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot connect as %u: %s",
			 (unsigned)who->uid, strerror(-r));
		call_as_report(fd, 'X', why, NULL);
	}
	r = sd_bus_message_new_method_call(bus, &m, service, path, iface,
					   method);
	if (r >= 0 && types && *types)
		r = sd_bus_message_appendv(m, types, ap);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot build %s(%s): %s", method,
			 types ? types : "", strerror(-r));
		call_as_report(fd, 'X', why, NULL);
	}
	r = sd_bus_call(bus, m, (uint64_t)CALL_AS_TIMEOUT_MS * 1000, &error,
			&reply);
	if (r >= 0)
		call_as_report(fd, 'E', "", NULL);
	fprintf(stderr, "# %s.%s as %u:%u: %s: %s\n", iface ? iface : "",
		method, (unsigned)who->uid, (unsigned)who->gid,
		error.name ? error.name : "?",
		error.message ? error.message : strerror(-r));
	call_as_report(fd, 'E', error.name ? error.name : "?", error.message);
}

int tb_call_asv(struct testbed *tb, const struct tb_caller *who,
		const char *service, const char *path, const char *iface,
		const char *method, char *err_name, size_t err_size,
		const char *types, va_list ap)
{
	uint64_t end = now_ms() + CALL_AS_TIMEOUT_MS + 5000;
	char buf[CALL_AS_REPORT_MAX], *message;
	size_t got = 0;
	int pfd[2];
	pid_t pid;

	if (who->n_groups > TB_CALLER_MAX_GROUPS)
		tb_die("tb_call_as: at most %d groups", TB_CALLER_MAX_GROUPS);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		tb_die("pipe: %s", strerror(errno));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		tb_die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(pfd[0]);
		call_as_child(pfd[1], who, service, path, iface, method, types,
			      ap);
	}
	close(pfd[1]);
	/* Our own connection may serve the object being called. */
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = pfd[0], .events = POLLIN },
			{ .fd = sd_bus_get_fd(tb->bus),
			  .events = (short)sd_bus_get_events(tb->bus) },
		};
		uint64_t now = now_ms();
		ssize_t n;

		while (sd_bus_process(tb->bus, NULL) > 0)
			;
		if (now >= end) {
			kill(pid, SIGKILL);
			reap(pid, 5000);
			tb_die("%s.%s as uid %u: no answer in %d ms", iface,
			       method, (unsigned)who->uid, CALL_AS_TIMEOUT_MS);
		}
		if (poll(p, 2, (int)(end - now < 100 ? end - now : 100)) <= 0 ||
		    !(p[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(pfd[0], buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(buf) - 1)
			break;
	}
	close(pfd[0]);
	buf[got] = '\0';
	reap(pid, 5000);
	message = strchr(buf, '\n');
	if (message)
		*message++ = '\0';
	if (got == 0 || buf[0] != 'E')
		tb_die("%s.%s as uid %u: %s", iface, method, (unsigned)who->uid,
		       got ? buf + 1 : "the caller died");
	snprintf(tb->call_message, sizeof(tb->call_message), "%s",
		 message ? message : "");
	if (err_name && err_size)
		snprintf(err_name, err_size, "%s", buf + 1);
	return buf[1] ? -1 : 0;
}

const char *tb_call_message(struct testbed *tb)
{
	return tb->call_message;
}

int tb_call_as_caller(struct testbed *tb, const struct tb_caller *who,
		      const char *service, const char *path, const char *iface,
		      const char *method, char *err_name, size_t err_size,
		      const char *types, ...)
{
	va_list ap;
	int r;

	va_start(ap, types);
	r = tb_call_asv(tb, who, service, path, iface, method, err_name,
			err_size, types, ap);
	va_end(ap);
	return r;
}

int tb_call_as(struct testbed *tb, uid_t uid, gid_t gid, const char *service,
	       const char *path, const char *iface, const char *method,
	       char *err_name, size_t err_size, const char *types, ...)
{
	struct tb_caller who = { .uid = uid, .gid = gid };
	va_list ap;
	int r;

	va_start(ap, types);
	r = tb_call_asv(tb, &who, service, path, iface, method, err_name,
			err_size, types, ap);
	va_end(ap);
	return r;
}

static int on_sensor_changed(sd_bus_message *m, void *userdata,
			     sd_bus_error *error)
{
	unsigned *lost = userdata;
	const char *iface, *prop;
	double v;
	int b, r;

	r = sd_bus_message_read(m, "s", &iface);
	if (r >= 0)
		r = sd_bus_message_enter_container(m, 'a', "{sv}");
	while (r >= 0 &&
	       (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		r = sd_bus_message_read(m, "s", &prop);
		if (r < 0)
			break;
		if (strcmp(prop, "Available") == 0) {
			r = sd_bus_message_read(m, "v", "b", &b);
			if (r >= 0 && !b)
				(*lost)++;
		} else if (strcmp(prop, "Value") == 0) {
			r = sd_bus_message_read(m, "v", "d", &v);
			if (r >= 0 && isnan(v))
				(*lost)++;
		} else {
			r = sd_bus_message_skip(m, "v");
		}
		if (r >= 0)
			r = sd_bus_message_exit_container(m);
	}
	if (r < 0)
		fail_msg("unreadable PropertiesChanged: %s", strerror(-r));
	return 0;
}

static bool entry_has(sd_bus *bus, const char *path, const char *key,
		      const char *value)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *k, *v;
	bool found = false;

	if (!key)
		return true;
	if (sd_bus_get_property(bus, "xyz.openbmc_project.Logging", path,
				"xyz.openbmc_project.Logging.Entry",
				"AdditionalData", NULL, &reply, "a{ss}") < 0)
		return false;
	if (sd_bus_message_enter_container(reply, 'a', "{ss}") < 0)
		return false;
	while (sd_bus_message_read(reply, "{ss}", &k, &v) > 0)
		found |= !strcmp(k, key) && !strcmp(v, value);
	return found;
}

int tb_count_log_entries(struct testbed *tb, const char *message,
			 const char *key, const char *value, int resolved)
{
	sd_bus *bus = tb_bus(tb);
	int n = 0;

	for (unsigned id = 1;; id++) {
		char path[64], *msg = NULL;
		int res;

		snprintf(path, sizeof(path),
			 "/xyz/openbmc_project/logging/"
			 "entry/%u",
			 id);
		if (sd_bus_get_property_string(
			    bus, "xyz.openbmc_project.Logging", path,
			    "xyz.openbmc_project.Logging.Entry", "Message",
			    NULL, &msg) < 0)
			return n;
		if (!strcmp(msg, message) && entry_has(bus, path, key, value) &&
		    sd_bus_get_property_trivial(
			    bus, "xyz.openbmc_project.Logging", path,
			    "xyz.openbmc_project.Logging.Entry", "Resolved",
			    NULL, 'b', &res) >= 0 &&
		    (resolved < 0 || res == resolved))
			n++;
		free(msg);
	}
}

int tb_wait_log_entries(struct testbed *tb, const char *message,
			const char *key, const char *value, int resolved,
			int want, int timeout_ms)
{
	for (int ms = 0;; ms += 50) {
		if (tb_count_log_entries(tb, message, key, value, resolved) ==
		    want)
			return 0;
		if (ms >= timeout_ms)
			return -ETIMEDOUT;
		tb_pump(tb, 50);
	}
}

sd_bus_slot *tb_watch_sensor_lost(struct testbed *tb, const char *service,
				  const char *path, unsigned *lost)
{
	sd_bus_slot *slot = NULL;

	assert_true(sd_bus_match_signal(tb_bus(tb), &slot, service, path,
					"org.freedesktop.DBus.Properties",
					"PropertiesChanged", on_sensor_changed,
					lost) >= 0);
	return slot;
}

void tb_pump(struct testbed *tb, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		uint64_t now = now_ms();
		int r;

		r = sd_bus_process(tb->bus, NULL);
		if (r > 0)
			continue;
		if (now >= end)
			return;
		sd_bus_wait(tb->bus, (end - now) * 1000);
	}
}

/* ---- waits ---- */

typedef bool (*tb_cond)(struct testbed *tb, const void *arg);

static int wait_until(struct testbed *tb, tb_cond cond, const void *arg,
		      int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		if (cond(tb, arg))
			return 0;
		if (now_ms() >= end)
			return -ETIMEDOUT;
		tb_pump(tb, 20);
	}
}

struct name_arg {
	const char *name;
	bool want;
};

static bool name_cond(struct testbed *tb, const void *arg)
{
	const struct name_arg *a = arg;
	int r = sd_bus_get_name_creds(tb->bus, a->name, 0, NULL);

	return (r >= 0) == a->want;
}

int tb_wait_name(struct testbed *tb, const char *name, int timeout_ms)
{
	struct name_arg a = { name, true };

	return wait_until(tb, name_cond, &a, timeout_ms);
}

int tb_wait_name_gone(struct testbed *tb, const char *name, int timeout_ms)
{
	struct name_arg a = { name, false };

	return wait_until(tb, name_cond, &a, timeout_ms);
}

struct prop_arg {
	const char *service, *path, *iface, *prop;
	char type;
	bool b;
	const char *s;
	double d, tol;
	bool gone;
};

/* An object exists when Introspect on it lists the interface. */
static bool object_cond(struct testbed *tb, const void *arg)
{
	const struct prop_arg *a = arg;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *xml;
	bool found = false;
	int r;

	r = sd_bus_call_method(tb->bus, a->service, a->path,
			       "org.freedesktop.DBus.Introspectable",
			       "Introspect", NULL, &reply, "");
	if (r >= 0 && sd_bus_message_read(reply, "s", &xml) >= 0) {
		char needle[256];

		if (a->iface) {
			snprintf(needle, sizeof(needle),
				 "<interface name=\"%s\">", a->iface);
			found = strstr(xml, needle);
		} else {
			/* Only the org.freedesktop ones: no object here. */
			found = strstr(xml, "<interface name=\"xyz.") ||
				strstr(xml, "<interface name=\"au.");
		}
	}
	return found != a->gone;
}

int tb_wait_object(struct testbed *tb, const char *service, const char *path,
		   const char *iface, int timeout_ms)
{
	struct prop_arg a = { .service = service,
			      .path = path,
			      .iface = iface };

	return wait_until(tb, object_cond, &a, timeout_ms);
}

int tb_wait_object_gone(struct testbed *tb, const char *service,
			const char *path, int timeout_ms)
{
	struct prop_arg a = { .service = service, .path = path, .gone = true };

	return wait_until(tb, object_cond, &a, timeout_ms);
}

static bool prop_cond(struct testbed *tb, const void *arg)
{
	const struct prop_arg *a = arg;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	bool ok = false;
	int r;

	switch (a->type) {
	case 'b': {
		int v;

		r = sd_bus_get_property_trivial(tb->bus, a->service, a->path,
						a->iface, a->prop, &err, 'b',
						&v);
		ok = r >= 0 && !!v == a->b;
		break;
	}
	case 'd': {
		double v;

		r = sd_bus_get_property_trivial(tb->bus, a->service, a->path,
						a->iface, a->prop, &err, 'd',
						&v);
		if (r >= 0)
			ok = isnan(a->d) ? isnan(v) : fabs(v - a->d) <= a->tol;
		break;
	}
	case 's': {
		_cleanup_free_ char *v = NULL;

		r = sd_bus_get_property_string(tb->bus, a->service, a->path,
					       a->iface, a->prop, &err, &v);
		ok = r >= 0 && strcmp(v, a->s) == 0;
		break;
	}
	}
	sd_bus_error_free(&err);
	return ok;
}

int tb_wait_bool(struct testbed *tb, const char *service, const char *path,
		 const char *iface, const char *prop, bool value,
		 int timeout_ms)
{
	struct prop_arg a = { service, path, iface, prop, 'b', .b = value };

	return wait_until(tb, prop_cond, &a, timeout_ms);
}

int tb_wait_string(struct testbed *tb, const char *service, const char *path,
		   const char *iface, const char *prop, const char *value,
		   int timeout_ms)
{
	struct prop_arg a = { service, path, iface, prop, 's', .s = value };

	return wait_until(tb, prop_cond, &a, timeout_ms);
}

int tb_wait_double(struct testbed *tb, const char *service, const char *path,
		   const char *iface, const char *prop, double expected,
		   double tolerance, int timeout_ms)
{
	struct prop_arg a = { service, path,	      iface,	       prop,
			      'd',     .d = expected, .tol = tolerance };

	return wait_until(tb, prop_cond, &a, timeout_ms);
}

static char *read_all(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		return strdup("");
	}
	return buf;
}

int tb_log_count(struct testbed *tb, const char *name, const char *needle)
{
	_cleanup_free_ char *text = read_all(log_path(tb, name));
	int n = 0;

	for (const char *p = text; p && (p = strstr(p, needle)); p++)
		n++;
	return n;
}

struct log_arg {
	const char *name, *needle;
	int count;
};

static bool log_cond(struct testbed *tb, const void *arg)
{
	const struct log_arg *a = arg;

	return tb_log_count(tb, a->name, a->needle) >= a->count;
}

int tb_wait_log(struct testbed *tb, const char *name, const char *needle,
		int timeout_ms)
{
	return tb_wait_log_count(tb, name, needle, 1, timeout_ms);
}

int tb_wait_log_count(struct testbed *tb, const char *name, const char *needle,
		      int count, int timeout_ms)
{
	struct log_arg a = { name, needle, count };

	return wait_until(tb, log_cond, &a, timeout_ms);
}

/* ---- one-shot reads ---- */

bool tb_get_bool(struct testbed *tb, const char *service, const char *path,
		 const char *iface, const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int v, r;

	r = sd_bus_get_property_trivial(tb->bus, service, path, iface, prop,
					&err, 'b', &v);
	if (r < 0)
		tb_die("get %s %s.%s: %s", path, iface, prop, err.message);
	return v;
}

double tb_get_double(struct testbed *tb, const char *service, const char *path,
		     const char *iface, const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	double v;
	int r;

	r = sd_bus_get_property_trivial(tb->bus, service, path, iface, prop,
					&err, 'd', &v);
	if (r < 0)
		tb_die("get %s %s.%s: %s", path, iface, prop, err.message);
	return v;
}

char *tb_get_string(struct testbed *tb, const char *service, const char *path,
		    const char *iface, const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char *v = NULL;
	int r;

	r = sd_bus_get_property_string(tb->bus, service, path, iface, prop,
				       &err, &v);
	if (r < 0)
		tb_die("get %s %s.%s: %s", path, iface, prop, err.message);
	return v;
}

/* Each object of service under om_path that carries iface, in the order
 * GetManagedObjects gives them; fn returns <0 to stop. */
static int for_objects(struct testbed *tb, const char *service,
		       const char *om_path, const char *iface,
		       int (*fn)(const char *path, void *userdata),
		       void *userdata)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	int r, count = 0;

	r = sd_bus_call_method(tb->bus, service, om_path,
			       "org.freedesktop.DBus.ObjectManager",
			       "GetManagedObjects", NULL, &reply, "");
	if (r < 0)
		return r;
	r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) >
	       0) {
		const char *path;

		r = sd_bus_message_read(reply, "o", &path);
		if (r < 0)
			return r;
		r = sd_bus_message_enter_container(reply, 'a', "{sa{sv}}");
		if (r < 0)
			return r;
		while ((r = sd_bus_message_enter_container(reply, 'e',
							   "sa{sv}")) > 0) {
			const char *name;

			r = sd_bus_message_read(reply, "s", &name);
			if (r < 0)
				return r;
			if (strcmp(name, iface) == 0) {
				count++;
				r = fn ? fn(path, userdata) : 0;
				if (r < 0)
					return r;
			}
			r = sd_bus_message_skip(reply, "a{sv}");
			if (r < 0)
				return r;
			r = sd_bus_message_exit_container(reply);
			if (r < 0)
				return r;
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(reply);
		if (r < 0)
			return r;
	}
	return r < 0 ? r : count;
}

bool tb_has_property(struct testbed *tb, const char *service, const char *path,
		     const char *iface, const char *prop)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb->bus, service, path,
			       "org.freedesktop.DBus.Properties", "Get", &err,
			       NULL, "ss", iface, prop);
	if (r >= 0)
		return true;
	if (sd_bus_error_has_names(&err, SD_BUS_ERROR_UNKNOWN_PROPERTY,
				   SD_BUS_ERROR_UNKNOWN_INTERFACE,
				   SD_BUS_ERROR_UNKNOWN_OBJECT))
		return false;
	tb_die("Get %s %s.%s: %s", path, iface, prop,
	       err.message ? err.message : strerror(-r));
}

int tb_count_objects(struct testbed *tb, const char *service,
		     const char *om_path, const char *iface)
{
	return for_objects(tb, service, om_path, iface, NULL, NULL);
}

struct names {
	char **v;
	size_t n;
};

static int add_name(const char *path, void *userdata)
{
	struct names *ns = userdata;
	char **v = realloc(ns->v, (ns->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	ns->v = v;
	ns->v[ns->n] = sdbusplus_filename(path);
	if (!ns->v[ns->n])
		return -ENOMEM;
	ns->n++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *tb_object_names(struct testbed *tb, const char *service,
		      const char *om_path, const char *iface)
{
	struct names ns = { 0 };
	char *out = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	r = for_objects(tb, service, om_path, iface, add_name, &ns);
	if (r >= 0 && ns.n)
		qsort(ns.v, ns.n, sizeof(*ns.v), cmp_str);
	f = r >= 0 ? open_memstream(&out, &len) : NULL;
	for (size_t i = 0; i < ns.n; i++) {
		if (f)
			fprintf(f, "%s\n", ns.v[i]);
		free(ns.v[i]);
	}
	free(ns.v);
	if (f && fclose(f) != 0) {
		free(out);
		out = NULL;
	}
	return f ? out : NULL;
}

void tb_fail(struct testbed *tb)
{
	tb->failed = true;
}

/* ---- teardown ---- */

static void dump_tail(const char *path, const char *name, int lines)
{
	_cleanup_free_ char *text = read_all(path);
	const char *p;
	int n = 0;

	if (!text || !*text)
		return;
	p = text + strlen(text);
	while (p > text && n <= lines)
		if (*--p == '\n')
			n++;
	if (*p == '\n')
		p++;
	fprintf(stderr, "---- %s (last %d lines of %s) ----\n%s", name, lines,
		path, p);
	if (text[strlen(text) - 1] != '\n')
		fputc('\n', stderr);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	remove(path);
	return 0;
}

void tb_free(struct testbed *tb)
{
	int lines;

	if (!tb)
		return;
	lines = tb->failed || getenv("TB_VERBOSE") ? 200 : 25;
	for (size_t i = 0; i < tb->n_children; i++)
		if (tb->children[i].pid > 0)
			kill(tb->children[i].pid, SIGTERM);
	for (size_t i = 0; i < tb->n_children; i++) {
		struct tb_child *c = &tb->children[i];

		if (c->pid > 0 && reap(c->pid, 2000) == -2) {
			kill(c->pid, SIGKILL);
			reap(c->pid, 2000);
		}
		/* meson shows a test's output only when it fails. */
		dump_tail(log_path(tb, c->name), c->name, lines);
		free(c->name);
	}
	tb->bus = sd_bus_flush_close_unref(tb->bus);
	if (tb->bus_pid > 0) {
		kill(tb->bus_pid, SIGTERM);
		reap(tb->bus_pid, 2000);
	}
	if (getenv("TB_KEEP"))
		fprintf(stderr, "testbed: kept %s\n", tb->dir);
	else
		nftw(tb->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(tb);
}

int tb_run_tests(const struct CMUnitTest *tests, size_t n)
{
	_cleanup_free_ struct CMUnitTest *run = calloc(n ? n : 1, sizeof(*run));
	const char *order = getenv("TB_TEST_ORDER");
	bool reverse = order && strcmp(order, "reverse") == 0;

	if (!run)
		tb_die("out of memory");
	if (order && !reverse && strcmp(order, "given") != 0)
		tb_die("TB_TEST_ORDER='%s': 'given' or 'reverse'", order);
	for (size_t i = 0; i < n; i++)
		run[i] = tests[reverse ? n - 1 - i : i];
	if (getenv("TB_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TB_TEST_FILTER"));
	return _cmocka_run_group_tests("tests", run, n, NULL, NULL);
}
