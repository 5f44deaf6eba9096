/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Cable presence over IPMI, end to end, read by Debian's ipmitool
 * ("-I serial-basic"): unmodified cable-presenced on simulated GPIO lines
 * and em-standin, the mapper, and an IPMI responder that serves
 * libcable-ipmi:
 *   - by default test/sim/ipmi/ipmi-responder with test/sim/mapper's
 *     mapper-standin;
 *   - with the argument "ipmid" (test-cable-ipmid), the real
 *     phosphor-host-ipmid built with the dbus-sdr change of
 *     src/cable-ipmi/ipmid/, its serialbridged on a socat pty pair and the
 *     real phosphor-objmgr mapper, installed under $TB_IPMID_PREFIX and
 *     run by test/sim/ipmi/run-ipmid.sh; the threshold sensor of
 *     test/sim/ipmi/sensor-standin must then still read right in
 *     "sdr elist". Skipped (77) without TB_IPMID_PREFIX or root.
 * Skipped (77) without ipmitool.
 *
 * Checks: "sdr list event" lists cable-sdr's groups in its order, each
 * "| Event-Only        | ns"; "raw 0x04 0x2b N" and "raw 0x04 0x2d N"
 * give bit i = Present of member i for every group, a 14-state split
 * and a single cable included; flipping one line flips exactly that bit;
 * removing a board removes its SDRs; a member whose Present cannot be
 * read (sensor-standin's extra1) marks its SDR unavailable and leaves
 * the other member's bit.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "macros.h"
#include "testbed.h"

#define SVC	      "xyz.openbmc_project.GPIOCableSensing"
#define EM_SVC	      "xyz.openbmc_project.EntityManager"
#define ITEM	      "/xyz/openbmc_project/inventory/item/"
#define REAR_BOARD    "/xyz/openbmc_project/inventory/system/board/Rear_Board"
#define I_ITEM	      "xyz.openbmc_project.Inventory.Item"
#define EM_TEST_PATH  "/xyz/openbmc_project/test/em"
#define EM_TEST_IFACE "xyz.openbmc_project.Test.EntityManager"
#define T	      10000
#define HOUR	      "3600000"
#define MAX_GROUPS    16

struct ctx {
	struct testbed *tb;
	char gpio[512], tty[512];
	pid_t daemon, em, mapper, server, sensor;
	bool real_ipmid;
};

/* test-cable-ipmid: the real phosphor-host-ipmid. */
static bool want_ipmid;

/* One SDR as cable-sdr prints it. */
struct group {
	char name[32];
	unsigned mask, count;
};

static void line_set(struct ctx *c, const char *line, int level)
{
	char tmp[700], path[700];

	snprintf(tmp, sizeof(tmp), "%s/gpiochip0/.tmp-%s", c->gpio, line);
	snprintf(path, sizeof(path), "%s/gpiochip0/%s", c->gpio, line);
	tb_write_file(tmp, level ? "1\n" : "0\n");
	assert_int_equal(rename(tmp, path), 0);
}

/* Lines CDFP0..3, C3..C22, OSFP and REAR0..1, all active high. */
static char *boards_json(void)
{
	char *s = NULL, *t;
	int r;

	r = asprintf(&s, "[{\"Name\": \"IPMI Board\", \"Type\": \"Board\","
			 " \"Probe\": \"TRUE\", \"Exposes\": [");
	assert_true(r > 0);
	for (int i = 0; i < 4; i++) {
		r = asprintf(&t,
			     "%s{\"Name\": \"cdfp%d\", \"Type\": "
			     "\"GPIOCableSensing\", \"GpioLine\": \"CDFP%d\","
			     " \"Polarity\": \"active_high\"},",
			     s, i, i);
		assert_true(r > 0);
		free(s);
		s = t;
	}
	for (int i = 3; i <= 22; i++) {
		r = asprintf(&t,
			     "%s{\"Name\": \"cable%d\", \"Type\": "
			     "\"GPIOCableSensing\", \"GpioLine\": \"C%d\","
			     " \"Polarity\": \"active_high\"},",
			     s, i, i);
		assert_true(r > 0);
		free(s);
		s = t;
	}
	r = asprintf(&t,
		     "%s{\"Name\": \"osfp\", \"Type\": \"GPIOCableSensing\","
		     " \"GpioLine\": \"OSFP\", \"Polarity\": \"active_high\"}"
		     "]},"
		     "{\"Name\": \"Rear Board\", \"Type\": \"Board\","
		     " \"Probe\": \"TRUE\", \"Exposes\": ["
		     "{\"Name\": \"rear0\", \"Type\": \"GPIOCableSensing\","
		     " \"GpioLine\": \"REAR0\", \"Polarity\": \"active_high\"},"
		     "{\"Name\": \"rear1\", \"Type\": \"GPIOCableSensing\","
		     " \"GpioLine\": \"REAR1\", \"Polarity\": \"active_high\"}"
		     "]}]",
		     s);
	assert_true(r > 0);
	free(s);
	return t;
}

static const char *ipmitool(void)
{
	static const char *const paths[] = { "/usr/bin/ipmitool",
					     "/usr/sbin/ipmitool" };

	for (size_t i = 0; i < 2; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Run ipmitool with args (NULL-terminated); its stdout, malloc'ed. */
static char *run_ipmitool(struct ctx *c, ...)
{
	const char *argv[16];
	char dev[600];
	char *out = NULL;
	size_t n = 0;
	va_list ap;
	int r;

	snprintf(dev, sizeof(dev), "%s:115200", c->tty);
	argv[n++] = ipmitool();
	argv[n++] = "-I";
	argv[n++] = "serial-basic";
	argv[n++] = "-D";
	argv[n++] = dev;
	va_start(ap, c);
	while (n < 15 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	r = tb_run(c->tb, argv, NULL, 60000, &out);
	if (r != 0)
		fail_msg("ipmitool %s %s: exit %d, output: %s", argv[5],
			 argv[6] ? argv[6] : "", r, out ? out : "");
	return out;
}

static int read_groups(struct ctx *c, struct group *g)
{
	const char *argv[] = { tb_prog("cable-sdr"), NULL };
	_cleanup_free_ char *out = NULL;
	char *line, *save = NULL;
	int n = 0;

	assert_int_equal(tb_run(c->tb, argv, NULL, T, &out), 0);
	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		assert_true(n < MAX_GROUPS);
		assert_int_equal(sscanf(line, "%31s %x %u", g[n].name,
					&g[n].mask, &g[n].count),
				 3);
		n++;
	}
	return n;
}

/* The names of "sdr list event", each line checked for its columns. */
static int read_sdr_list(struct ctx *c, char names[][32])
{
	_cleanup_free_ char *out =
		run_ipmitool(c, "sdr", "list", "event", NULL);
	char *line, *save = NULL;
	int n = 0;

	printf("# ipmitool sdr list event:\n");
	for (char *p = out, *e; *p; p = e + 1) {
		e = strchrnul(p, '\n');
		printf("#   %.*s\n", (int)(e - p), p);
		if (!*e)
			break;
	}

	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char want[640];

		assert_true(n < MAX_GROUPS);
		assert_int_equal(sscanf(line, "%31s", names[n]), 1);
		/* ipmitool lib/ipmi_sdr.c: "%-16s | %-17s | %s" */
		snprintf(want, sizeof(want), "%-16s | Event-Only        | ns",
			 names[n]);
		if (strcmp(line, want))
			fail_msg("sdr list event line '%s', want '%s'", line,
				 want);
		n++;
	}
	return n;
}

/* The sensor number of SDR name, from "sdr get": "Sensor ID : n (0xN)". */
static unsigned sensor_number(struct ctx *c, const char *name)
{
	_cleanup_free_ char *out = run_ipmitool(c, "sdr", "get", name, NULL);
	char *p = strstr(out, "Sensor ID");
	unsigned num;

	assert_non_null(p);
	p = strstr(p, "(0x");
	assert_non_null(p);
	assert_int_equal(sscanf(p, "(0x%x)", &num), 1);
	return num;
}

/* "raw 0x04 cmd num": the bytes, n of them. */
static void raw_bytes(struct ctx *c, const char *cmd, unsigned num, unsigned *b,
		      int n)
{
	char arg[8];
	_cleanup_free_ char *out = NULL;
	int off = 0, used;

	snprintf(arg, sizeof(arg), "0x%02x", num);
	out = run_ipmitool(c, "raw", "0x04", cmd, arg, NULL);
	for (int i = 0; i < n; i++) {
		if (sscanf(out + off, " %x%n", &b[i], &used) != 1)
			fail_msg("raw 0x04 %s %s: '%s'", cmd, arg, out);
		off += used;
	}
}

/* The state bits of sensor num, read both ways (they must agree), its
 * flags byte flags (40h readable, 60h a member unreadable). */
static unsigned ipmi_mask_flags(struct ctx *c, unsigned num, unsigned flags)
{
	unsigned ev[5], rd[4];

	raw_bytes(c, "0x2b", num, ev, 5);
	raw_bytes(c, "0x2d", num, rd, 4);
	printf("# sensor 0x%02x: raw 0x04 0x2b -> %02x %02x %02x %02x %02x, "
	       "0x2d -> %02x %02x %02x %02x\n",
	       num, ev[0], ev[1], ev[2], ev[3], ev[4], rd[0], rd[1], rd[2],
	       rd[3]);
	assert_int_equal(ev[0], flags);
	assert_int_equal(rd[1], flags);
	assert_int_equal(ev[1], rd[2]);
	assert_int_equal(ev[2], rd[3] & 0x7f);
	assert_int_equal(ev[3] | ev[4], 0);
	return ev[1] | ev[2] << 8;
}

static unsigned ipmi_mask(struct ctx *c, unsigned num)
{
	return ipmi_mask_flags(c, num, 0x40);
}

/* Present of the members of g from cable-presenced, as a mask. */
static unsigned dbus_mask(struct ctx *c, const struct group *g)
{
	char prefix[32], path[128];
	unsigned first = 0, last = 0, mask = 0;
	char *br = strchr(g->name, '[');

	if (!br) { /* a single cable */
		snprintf(path, sizeof(path), ITEM "%s", g->name);
		return tb_get_bool(c->tb, SVC, path, I_ITEM, "Present");
	}
	snprintf(prefix, sizeof(prefix), "%.*s", (int)(br - g->name), g->name);
	assert_int_equal(sscanf(br, "[%u-%u]", &first, &last), 2);
	assert_int_equal(last - first + 1, g->count);
	for (unsigned i = first; i <= last; i++) {
		snprintf(path, sizeof(path), ITEM "%s%u", prefix, i);
		if (tb_get_bool(c->tb, SVC, path, I_ITEM, "Present"))
			mask |= 1u << (i - first);
	}
	return mask;
}

static void start_all(struct ctx *c)
{
	char preload[600], simdir[600], *file;
	const char *denv[] = { preload, simdir, NULL };
	const char *dargv[] = { tb_prog("cable-presenced"), "-v",
				"--poll-interval-ms", HOUR, NULL };
	char run[600];
	_cleanup_free_ char *json = boards_json();
	int levels[] = { 1, 1, 0, 1 };

	snprintf(c->gpio, sizeof(c->gpio), "%s/gpio", tb_dir(c->tb));
	snprintf(c->tty, sizeof(c->tty), "%s/ipmi-tty", tb_dir(c->tb));
	for (int i = 0; i < 4; i++) {
		char l[16];

		snprintf(l, sizeof(l), "CDFP%d", i);
		line_set(c, l, levels[i]);
	}
	for (int i = 3; i <= 22; i++) {
		char l[16];

		snprintf(l, sizeof(l), "C%d", i);
		/* cable3, cable16 (the 14th), cable17 and cable22 */
		line_set(c, l, i == 3 || i == 16 || i == 17 || i == 22);
	}
	line_set(c, "OSFP", 1);
	line_set(c, "REAR0", 0);
	line_set(c, "REAR1", 1);

	assert_true(asprintf(&file, "%s/boards.json", tb_dir(c->tb)) > 0);
	tb_write_file(file, json);
	{
		const char *argv[] = { tb_prog("em-standin"), file, NULL };

		c->em = tb_spawn(c->tb, "em-standin", argv, NULL);
	}
	free(file);
	assert_int_equal(tb_wait_name(c->tb, EM_SVC, T), 0);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", c->gpio);
	c->daemon = tb_spawn(c->tb, "cable-presenced", dargv, denv);
	assert_int_equal(tb_wait_name(c->tb, SVC, T), 0);
	assert_int_equal(tb_wait_bool(c->tb, SVC, ITEM "rear1", I_ITEM,
				      "Present", true, T),
			 0);

	{
		const char *sargv[] = { tb_prog("sensor-standin"), NULL };

		c->sensor = tb_spawn(c->tb, "sensor-standin", sargv, NULL);
		assert_int_equal(tb_wait_name(c->tb,
					      "xyz.openbmc_project.TestSensor",
					      T),
				 0);
	}
	if (want_ipmid) {
		const char *argv[] = { run, c->tty, NULL };

		snprintf(run, sizeof(run), "%s/test/sim/ipmi/run-ipmid.sh",
			 getenv("TB_SOURCE_ROOT"));
		c->real_ipmid = true;
		c->server = tb_spawn(c->tb, "run-ipmid", argv, NULL);
		assert_int_equal(
			tb_wait_log(c->tb, "run-ipmid", "ready", 60000), 0);
	} else {
		const char *margv[] = { tb_prog("mapper-standin"), NULL };
		const char *argv[] = { tb_prog("ipmi-responder"), c->tty,
				       NULL };

		c->mapper = tb_spawn(c->tb, "mapper-standin", margv, NULL);
		assert_int_equal(
			tb_wait_name(c->tb, "xyz.openbmc_project.ObjectMapper",
				     T),
			0);
		c->server = tb_spawn(c->tb, "ipmi-responder", argv, NULL);
		assert_int_equal(
			tb_wait_log(c->tb, "ipmi-responder", "ready", T), 0);
	}
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (!ipmitool()) {
		fprintf(stderr, "# ipmitool is not installed\n");
		exit(77);
	}
	if (want_ipmid && (!getenv("TB_IPMID_PREFIX") || geteuid() != 0)) {
		fprintf(stderr, "# TB_IPMID_PREFIX (a phosphor-host-ipmid "
				"build) and root are needed\n");
		exit(77);
	}
	assert_non_null(c);
	c->tb = tb_new();
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	pid_t pids[] = { c->server, c->mapper, c->sensor, c->daemon, c->em };

	for (size_t i = 0; i < sizeof(pids) / sizeof(pids[0]); i++)
		if (pids[i] > 0 && tb_alive(c->tb, pids[i]))
			tb_stop(c->tb, pids[i], SIGTERM);
	tb_free(c->tb);
	free(c);
	return 0;
}

/* Every SDR of cable-sdr, in order, then sensor-standin's extra[0-1]
 * (its parent sorts after cable-presenced's); each one's bits are the
 * members'. The extra SDR's second member has no Present: "unavailable",
 * and its first member still reads. */
static int check_all(struct ctx *c, struct group *g, unsigned *nums)
{
	char names[MAX_GROUPS][32];
	int n = read_groups(c, g);
	int m = read_sdr_list(c, names);
	unsigned extra;

	assert_int_equal(m, n + 1);
	for (int i = 0; i < n; i++) {
		assert_string_equal(names[i], g[i].name);
		nums[i] = sensor_number(c, g[i].name);
		assert_int_equal(ipmi_mask(c, nums[i]), g[i].mask);
		assert_int_equal(dbus_mask(c, &g[i]), g[i].mask);
	}
	assert_string_equal(names[n], "extra[0-1]");
	extra = sensor_number(c, "extra[0-1]");
	assert_int_equal(ipmi_mask_flags(c, extra, 0x60), 0x1);
	return n;
}

static void test_ipmitool(void **state)
{
	struct ctx *c = *state;
	struct group g[MAX_GROUPS], h[MAX_GROUPS];
	unsigned nums[MAX_GROUPS], nums2[MAX_GROUPS];
	int n, k;

	start_all(c);
	n = check_all(c, g, nums);
	/* cdfp[0-3], cable[3-16] (14), cable[17-22], osfp, rear[0-1] */
	assert_int_equal(n, 5);
	assert_string_equal(g[0].name, "cable[3-16]");
	assert_int_equal(g[0].mask, 0x2001);
	assert_string_equal(g[1].name, "cable[17-22]");
	assert_int_equal(g[1].mask, 0x21);
	assert_string_equal(g[2].name, "cdfp[0-3]");
	assert_int_equal(g[2].mask, 0x0b);
	assert_string_equal(g[3].name, "osfp");
	assert_int_equal(g[3].mask, 0x1);
	assert_string_equal(g[4].name, "rear[0-1]");
	assert_int_equal(g[4].mask, 0x2);

	/* Plug cdfp2: exactly bit 2 of cdfp[0-3] changes. */
	line_set(c, "CDFP2", 1);
	assert_int_equal(tb_wait_bool(c->tb, SVC, ITEM "cdfp2", I_ITEM,
				      "Present", true, T),
			 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(ipmi_mask(c, nums[i]),
				 i == 2 ? 0x0f : g[i].mask);
	/* Unplug osfp: its bit 0 clears. */
	line_set(c, "OSFP", 0);
	assert_int_equal(tb_wait_bool(c->tb, SVC, ITEM "osfp", I_ITEM,
				      "Present", false, T),
			 0);
	assert_int_equal(ipmi_mask(c, nums[3]), 0x0);
	assert_int_equal(ipmi_mask(c, nums[2]), 0x0f);

	/* Remove the rear board: its SDR goes, the others stay. */
	{
		_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
		int r = sd_bus_call_method(tb_bus(c->tb), EM_SVC, EM_TEST_PATH,
					   EM_TEST_IFACE, "RemoveBoard", &e,
					   NULL, "o", REAR_BOARD);

		if (r < 0)
			fail_msg("RemoveBoard: %s", e.message);
	}
	assert_int_equal(tb_wait_object_gone(c->tb, SVC, ITEM "rear1", T), 0);
	k = check_all(c, h, nums2);
	assert_int_equal(k, 4);
	for (int i = 0; i < k; i++)
		assert_string_equal(h[i].name, g[i].name);
	assert_int_equal(h[2].mask, 0x0f);
	assert_int_equal(h[3].mask, 0x0);

	if (c->real_ipmid) {
		/* The threshold sensor beside the cables still reads. */
		_cleanup_free_ char *out =
			run_ipmitool(c, "sdr", "elist", "full", NULL);

		if (!strstr(out, "Cable_Temp") || !strstr(out, "42 degrees C"))
			fail_msg("sdr elist full: %s", out);
		printf("# sdr elist full:\n%s", out);
	}
}

int main(int argc, char *argv[])
{
	want_ipmid = argc > 1 && strcmp(argv[1], "ipmid") == 0;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ipmitool, setup, teardown),
	};

	return tb_run_tests(tests, ARRAY_SIZE(tests));
}
