/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Integration tests of cable-presenced: the unmodified daemon on a private
 * bus, its GPIO lines simulated by libgpiod-sim.so (LD_PRELOAD, files
 * under $GPIO_SIM_DIR), its records from em-standin or from --config.
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "bus-util.h"
#include "macros.h"
#include "sdbusplus-name.h"
#include "testbed.h"

#define SVC	      "xyz.openbmc_project.GPIOCableSensing"
#define EM_SVC	      "xyz.openbmc_project.EntityManager"
#define OM	      "/xyz/openbmc_project/inventory"
#define ITEM	      OM "/item/"
#define BOARD_A	      OM "/system/board/Cable_Board_A"
#define BOARD_B	      OM "/system/board/Cable_Board_B"
#define I_ITEM	      "xyz.openbmc_project.Inventory.Item"
#define I_CABLE	      "xyz.openbmc_project.Inventory.Item.Cable"
#define I_STATUS      "xyz.openbmc_project.State.Decorator.OperationalStatus"
#define I_ASSOC	      "xyz.openbmc_project.Association.Definitions"
#define I_CONF	      "xyz.openbmc_project.Configuration.GPIOCableSensing"
#define EM_TEST_PATH  "/xyz/openbmc_project/test/em"
#define EM_TEST_IFACE "xyz.openbmc_project.Test.EntityManager"
#define T	      10000 /* generous deadline of every wait */
#define HOUR	      "3600000"

enum mode { MODE_EM, MODE_JSON };

struct ctx {
	struct testbed *tb;
	char gpio[512];
	pid_t daemon, em;
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->tb = tb_new();
	snprintf(c->gpio, sizeof(c->gpio), "%s/gpio", tb_dir(c->tb));
	assert_int_equal(mkdir(c->gpio, 0755), 0);
	return c;
}

static int teardown(void **state)
{
	struct ctx *c = *state;
	int status;

	/* Every test ends with a clean exit: SIGTERM, status 0 (and, in a
	 * sanitizer build, no leak or error report, which would abort). */
	if (c && c->daemon > 0 && tb_alive(c->tb, c->daemon)) {
		status = tb_stop(c->tb, c->daemon, SIGTERM);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			tb_fail(c->tb);
			tb_free(c->tb);
			free(c);
			fail_msg(
				"cable-presenced did not exit cleanly (status 0x%x)",
				status);
		}
	}
	if (c) {
		tb_free(c->tb);
		free(c);
	}
	return 0;
}

static int setup(void **state)
{
	*state = ctx_new();
	return 0;
}

/* Set a line's level the way a script would: atomically (rename). */
static void line_set(struct ctx *c, const char *chip, const char *line,
		     int level)
{
	char tmp[700], path[700];

	snprintf(tmp, sizeof(tmp), "%s/%s/.tmp-%s", c->gpio, chip, line);
	snprintf(path, sizeof(path), "%s/%s/%s", c->gpio, chip, line);
	tb_write_file(tmp, level ? "1\n" : "0\n");
	assert_int_equal(rename(tmp, path), 0);
}

static void chip_file(struct ctx *c, const char *chip, const char *name,
		      bool present)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s/%s", c->gpio, chip, name);
	if (present)
		tb_write_file(path, NULL);
	else
		assert_int_equal(unlink(path), 0);
}

/* Write a file into the test directory; returns its path (malloc'ed). */
static char *write_tb_file(struct ctx *c, const char *name, const char *text)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", tb_dir(c->tb), name) > 0);
	tb_write_file(path, text);
	return path;
}

static void start_em(struct ctx *c, const char *file)
{
	const char *argv[] = { tb_prog("em-standin"), file, NULL };

	c->em = tb_spawn(c->tb, "em-standin", argv, NULL);
	assert_int_equal(tb_wait_name(c->tb, EM_SVC, T), 0);
}

static void start_daemon(struct ctx *c, const char *config, const char *poll_ms)
{
	char preload[600], simdir[600];
	const char *env[] = { preload, simdir, NULL };
	const char *argv[] = { tb_prog("cable-presenced"),
			       "-v",
			       "--poll-interval-ms",
			       poll_ms,
			       config ? "--config" : NULL,
			       config,
			       NULL };

	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", c->gpio);
	c->daemon = tb_spawn(c->tb, "cable-presenced", argv, env);
	assert_int_equal(tb_wait_name(c->tb, SVC, T), 0);
}

static void wait_present(struct ctx *c, const char *name, bool v)
{
	char path[300];

	snprintf(path, sizeof(path), ITEM "%s", name);
	assert_int_equal(tb_wait_object(c->tb, SVC, path, I_ITEM, T), 0);
	assert_int_equal(
		tb_wait_bool(c->tb, SVC, path, I_ITEM, "Present", v, T), 0);
}

static void wait_functional(struct ctx *c, const char *name, bool v)
{
	char path[300];

	snprintf(path, sizeof(path), ITEM "%s", name);
	assert_int_equal(tb_wait_object(c->tb, SVC, path, I_STATUS, T), 0);
	assert_int_equal(tb_wait_bool(c->tb, SVC, path, I_STATUS, "Functional",
				      v, T),
			 0);
}

static void wait_gone(struct ctx *c, const char *name)
{
	char path[300];

	snprintf(path, sizeof(path), ITEM "%s", name);
	assert_int_equal(tb_wait_object_gone(c->tb, SVC, path, T), 0);
}

static int count_cables(struct ctx *c)
{
	return tb_count_objects(c->tb, SVC, OM, I_CABLE);
}

static void wait_count(struct ctx *c, int n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (count_cables(c) == n)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 > 3 * T) {
			tb_fail(c->tb);
			fail_msg("expected %d cables, have %d", n,
				 count_cables(c));
		}
		tb_pump(c->tb, 100);
	}
}

/* The endpoint of the ("chassis","cables",<board>) association. */
static char *get_assoc_board(struct ctx *c, const char *name)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *fwd, *rev, *ep;
	char path[300], *ret = NULL;
	int r;

	snprintf(path, sizeof(path), ITEM "%s", name);
	r = sd_bus_get_property(tb_bus(c->tb), SVC, path, I_ASSOC,
				"Associations", &err, &reply, "a(sss)");
	if (r < 0)
		return NULL;
	assert_true(sd_bus_message_enter_container(reply, 'a', "(sss)") >= 0);
	while (sd_bus_message_read(reply, "(sss)", &fwd, &rev, &ep) > 0) {
		assert_string_equal(fwd, "chassis");
		assert_string_equal(rev, "cables");
		assert_null(ret);
		ret = strdup(ep);
	}
	return ret;
}

static void em_call(struct ctx *c, const char *method, const char *sig, ...)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	va_list ap;
	int r;

	r = sd_bus_message_new_method_call(tb_bus(c->tb), &m, EM_SVC,
					   EM_TEST_PATH, EM_TEST_IFACE, method);
	assert_true(r >= 0);
	va_start(ap, sig);
	r = sd_bus_message_appendv(m, sig, ap);
	va_end(ap);
	assert_true(r >= 0);
	r = sd_bus_call(tb_bus(c->tb), m, T * 1000ULL, &err, &reply);
	if (r < 0)
		fail_msg("%s: %s", method, err.message ? err.message : "error");
}

static void set_record(struct ctx *c, const char *record, const char *prop,
		       const char *value)
{
	em_call(c, "SetRecordProperty", "ossv", record, I_CONF, prop, "s",
		value);
}

/* Lines of a child's log (<name>.log) that contain needle. */
static char *log_lines_with_in(struct ctx *c, const char *name,
			       const char *needle)
{
	char path[600], line[16384];
	char *out = NULL;
	size_t len = 0;
	FILE *f, *o;

	snprintf(path, sizeof(path), "%s/%s.log", tb_dir(c->tb), name);
	f = fopen(path, "r");
	assert_non_null(f);
	o = open_memstream(&out, &len);
	assert_non_null(o);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			fputs(line, o);
	fclose(f);
	fclose(o);
	return out;
}

/* Lines of the daemon's log that contain needle. */
static char *log_lines_with(struct ctx *c, const char *needle)
{
	return log_lines_with_in(c, "cable-presenced", needle);
}

/* Is prop on the cable's object? */
static bool has_property(struct ctx *c, const char *path, const char *iface,
			 const char *prop)
{
	return tb_has_property(c->tb, SVC, path, iface, prop);
}

static const char board_a[] =
	"{\"Name\": \"Cable Board A\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab0\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB0_PRSNT_N\", \"Polarity\": \"active_low\",\n"
	"   \"CableTypeDescription\": \"CDFP\", \"Length\": 0.5},\n"
	"  {\"Name\": \"cab1\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB1_PRSNT\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

/* ---- presence follows the line, both polarities, edges only ---- */

static void scenario_basic(struct ctx *c, enum mode mode)
{
	_cleanup_free_ char *file = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *desc = NULL, *board = NULL, *board1 = NULL;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	if (mode == MODE_EM)
		start_em(c, file);
	/* A 1 h poll: only edge events can move Present in this test. */
	start_daemon(c, mode == MODE_JSON ? file : NULL, HOUR);

	wait_present(c, "cab0", false);
	wait_present(c, "cab1", true);
	wait_functional(c, "cab0", true);
	wait_functional(c, "cab1", true);
	assert_int_equal(count_cables(c), 2);

	desc = tb_get_string(c->tb, SVC, ITEM "cab0", I_ITEM, "PrettyName");
	assert_string_equal(desc, "cab0");
	free(desc);
	desc = tb_get_string(c->tb, SVC, ITEM "cab0", I_CABLE,
			     "CableTypeDescription");
	assert_string_equal(desc, "CDFP");
	assert_false(
		has_property(c, ITEM "cab1", I_CABLE, "CableTypeDescription"));
	assert_true(
		fabs(tb_get_double(c->tb, SVC, ITEM "cab0", I_CABLE, "Length") -
		     0.5) < 1e-9);
	assert_true(isnan(
		tb_get_double(c->tb, SVC, ITEM "cab1", I_CABLE, "Length")));
	board = get_assoc_board(c, "cab0");
	assert_non_null(board);
	assert_string_equal(board, BOARD_A);
	board1 = get_assoc_board(c, "cab1");
	assert_non_null(board1);
	assert_string_equal(board1, BOARD_A);

	for (int i = 0; i < 3; i++) {
		line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
		wait_present(c, "cab0", true);
		line_set(c, "gpiochip0", "CAB1_PRSNT", 0);
		wait_present(c, "cab1", false);
		line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
		wait_present(c, "cab0", false);
		line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
		wait_present(c, "cab1", true);
	}
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "<3>"), 0);
}

static void test_basic_em(void **state)
{
	scenario_basic(*state, MODE_EM);
}

static void test_basic_json(void **state)
{
	scenario_basic(*state, MODE_JSON);
}

/* ---- lines without events, missing lines, busy lines, lost chips ---- */

static const char board_lines[] =
	"{\"Name\": \"Cable Board A\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"noev\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"NOEV0\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"late\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"LATE0\", \"Polarity\": \"active_low\"},\n"
	"  {\"Name\": \"busy\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"BUSY0\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"exp\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"EXP0\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"slow\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"SLOW0\", \"Polarity\": \"active_high\",\n"
	"   \"PollIntervalMs\": 3600000, \"DebounceMs\": 50}\n"
	" ]}\n";

/* ---- events for expected cables ------------------------------------- */

#define DISCONNECTED "xyz.openbmc_project.State.Cable.CableDisconnected"
#define CONNECTED    "xyz.openbmc_project.State.Cable.CableConnected"

static const char board_expected[] =
	"{\"Name\": \"Cable Board E\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"port1\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"EXPA0\", \"Polarity\": \"active_high\",\n"
	"   \"Expected\": true},\n"
	"  {\"Name\": \"port2\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"EXPB0\", \"Polarity\": \"active_high\",\n"
	"   \"Expected\": true},\n"
	"  {\"Name\": \"spare\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"EXPC0\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

/* As cable-monitor does for entity-manager's cables: an expected cable
 * that is not connected is logged (CableDisconnected, PORT_ID) once per
 * disconnection, and resolved with a CableConnected event when it is
 * back; a cable not marked Expected is never logged. Without
 * phosphor-logging the daemon says so once and keeps serving. */
static void test_expected_events(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "e.json", board_expected);
	const char *largv[] = { tb_prog("logging-standin"), NULL };
	pid_t logger;

	logger = tb_spawn(c->tb, "logging", largv, NULL);
	assert_int_equal(tb_wait_name(c->tb, "xyz.openbmc_project.Logging", T),
			 0);
	line_set(c, "gpiochip0", "EXPA0", 0);
	line_set(c, "gpiochip0", "EXPB0", 1);
	line_set(c, "gpiochip0", "EXPC0", 0);
	start_daemon(c, file, "100");
	wait_present(c, "port1", false);
	wait_present(c, "port2", true);
	wait_present(c, "spare", false);
	assert_int_equal(tb_wait_log_entries(c->tb, DISCONNECTED, "PORT_ID",
					     "port1", 0, 1, T),
			 0);
	tb_pump(c->tb, 400); /* several polls: still one entry */
	assert_int_equal(
		tb_count_log_entries(c->tb, DISCONNECTED, NULL, NULL, -1), 1);

	/* connected: resolved, and the event says so */
	line_set(c, "gpiochip0", "EXPA0", 1);
	wait_present(c, "port1", true);
	assert_int_equal(tb_wait_log_entries(c->tb, DISCONNECTED, "PORT_ID",
					     "port1", 1, 1, T),
			 0);
	assert_int_equal(tb_wait_log_entries(c->tb, CONNECTED, "PORT_ID",
					     "port1", -1, 1, T),
			 0);
	/* unplugged again: a new entry */
	line_set(c, "gpiochip0", "EXPA0", 0);
	assert_int_equal(tb_wait_log_entries(c->tb, DISCONNECTED, "PORT_ID",
					     "port1", 0, 1, T),
			 0);
	assert_int_equal(tb_count_log_entries(c->tb, DISCONNECTED, "PORT_ID",
					      "spare", -1),
			 0);

	/* no logger: said once, the cables keep being followed */
	assert_int_equal(tb_stop(c->tb, logger, SIGTERM), 0);
	assert_int_equal(
		tb_wait_name_gone(c->tb, "xyz.openbmc_project.Logging", T), 0);
	line_set(c, "gpiochip0", "EXPB0", 0);
	wait_present(c, "port2", false);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "phosphor-logging", T),
			 0);
	line_set(c, "gpiochip0", "EXPA0", 1);
	line_set(c, "gpiochip0", "EXPB0", 1);
	wait_present(c, "port1", true);
	wait_present(c, "port2", true);
	line_set(c, "gpiochip0", "EXPB0", 0);
	wait_present(c, "port2", false);
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "is not there"),
			 1);
}

static void test_no_events(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "b.json", board_lines);

	chip_file(c, "gpiochip1", ".no-events", true);
	line_set(c, "gpiochip1", "NOEV0", 0);
	start_daemon(c, file, "100");
	wait_functional(c, "noev", true);
	wait_present(c, "noev", false);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "no events, polled", T),
			 0);
	line_set(c, "gpiochip1", "NOEV0", 1);
	wait_present(c, "noev", true);
	line_set(c, "gpiochip1", "NOEV0", 0);
	wait_present(c, "noev", false);
}

static void test_missing_line(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "b.json", board_lines);

	line_set(c, "gpiochip0", "NOEV0", 0); /* so that one chip exists */
	start_daemon(c, file, "100");
	wait_functional(c, "late", false);
	assert_false(tb_get_bool(c->tb, SVC, ITEM "late", I_ITEM, "Present"));
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "'LATE0' not found", T),
			 0);
	/* The expander's driver loads: the line appears on a new chip. */
	line_set(c, "gpiochip7", "LATE0", 0);
	wait_functional(c, "late", true);
	wait_present(c, "late", true);
	assert_int_equal(
		tb_log_count(c->tb, "cable-presenced", "'LATE0' not found"), 1);
	/* And it is followed by edges from then on. */
	line_set(c, "gpiochip7", "LATE0", 1);
	wait_present(c, "late", false);
}

static void test_busy_line(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "b.json", board_lines);

	line_set(c, "gpiochip0", "BUSY0", 1);
	chip_file(c, "gpiochip0", "BUSY0.busy", true);
	start_daemon(c, file, "100");
	wait_functional(c, "busy", false);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "another consumer", T),
			 0);
	/* Other lines are not affected. */
	line_set(c, "gpiochip0", "EXP0", 1);
	wait_present(c, "exp", true);
	chip_file(c, "gpiochip0", "BUSY0.busy", false);
	wait_functional(c, "busy", true);
	wait_present(c, "busy", true);
	assert_int_equal(
		tb_log_count(c->tb, "cable-presenced", "another consumer"), 1);
}

static void test_chip_vanishes(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "b.json", board_lines);
	char chip[700], away[700];

	line_set(c, "gpiochip3", "EXP0", 1);
	start_daemon(c, file, "100");
	wait_functional(c, "exp", true);
	wait_present(c, "exp", true);

	snprintf(chip, sizeof(chip), "%s/gpiochip3", c->gpio);
	snprintf(away, sizeof(away), "%s/unplugged-expander", tb_dir(c->tb));
	assert_int_equal(rename(chip, away), 0);
	wait_functional(c, "exp", false);
	assert_int_equal(rename(away, chip), 0);
	wait_functional(c, "exp", true);
	line_set(c, "gpiochip3", "EXP0", 0);
	wait_present(c, "exp", false);
}

/* Per-record PollIntervalMs (1 h) and DebounceMs: the edge still gets
 * through, after the level held for DebounceMs. */
static void test_debounce(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "b.json", board_lines);

	line_set(c, "gpiochip0", "SLOW0", 0);
	start_daemon(c, file, "100");
	wait_present(c, "slow", false);
	line_set(c, "gpiochip0", "SLOW0", 1);
	wait_present(c, "slow", true);
	line_set(c, "gpiochip0", "SLOW0", 0);
	wait_present(c, "slow", false);
}

/* DebounceMs of the "pulse" cable (board_pulse): long enough that the
 * daemon reads both edges of a pulse well within it, even in a
 * sanitizer build. */
#define PULSE_DEBOUNCE_MS 1000

static const char board_pulse[] =
	"{\"Name\": \"Cable Board P\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"pulse\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"PULSE0\", \"Polarity\": \"active_high\",\n"
	"   \"PollIntervalMs\": 3600000, \"DebounceMs\": 1000}\n"
	" ]}\n";

static int count_present(sd_bus_message *m, const char *prop,
			 const char *contents, void *userdata)
{
	unsigned *n = userdata;

	if (!strcmp(prop, "Present"))
		(*n)++;
	return 0; /* the value is skipped */
}

static int on_item_changed(sd_bus_message *m, void *userdata,
			   sd_bus_error *error)
{
	const char *iface;

	if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, I_ITEM))
		return 0;
	(void)bus_for_each_prop(m, count_present, userdata);
	return 0;
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 +
	       (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A pulse shorter than DebounceMs never reaches D-Bus: no
 * PropertiesChanged for Present, not during the pulse, not after
 * DebounceMs. The daemon's debug log shows it read both edges, so the
 * pulse was seen and debounced, not missed. */
static void test_debounce_pulse(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "p.json", board_pulse);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	unsigned changes = 0;
	struct timespec t0;
	long pulse_ms;

	line_set(c, "gpiochip0", "PULSE0", 0);
	start_daemon(c, file, "100");
	wait_present(c, "pulse", false);
	assert_true(sd_bus_match_signal(tb_bus(c->tb), &slot, SVC, ITEM "pulse",
					"org.freedesktop.DBus.Properties",
					"PropertiesChanged", on_item_changed,
					&changes) >= 0);

	/* Up until the daemon has read it, then down at once. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	line_set(c, "gpiochip0", "PULSE0", 1);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "Cable 'pulse': edge, line reads 1", T),
			 0);
	line_set(c, "gpiochip0", "PULSE0", 0);
	pulse_ms = ms_since(&t0);
	if (pulse_ms >= PULSE_DEBOUNCE_MS) {
		tb_fail(c->tb);
		fail_msg("the pulse took %ld ms, not less than DebounceMs (%d)",
			 pulse_ms, PULSE_DEBOUNCE_MS);
	}
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "Cable 'pulse': edge, line reads 0", T),
			 0);
	tb_pump(c->tb, PULSE_DEBOUNCE_MS * 3 / 2);
	if (changes) {
		tb_fail(c->tb);
		fail_msg("Present changed %u times for a %ld ms pulse "
			 "(DebounceMs %d)",
			 changes, pulse_ms, PULSE_DEBOUNCE_MS);
	}
	assert_false(tb_get_bool(c->tb, SVC, ITEM "pulse", I_ITEM, "Present"));

	/* The watch counts a change that holds. */
	line_set(c, "gpiochip0", "PULSE0", 1);
	wait_present(c, "pulse", true);
	tb_pump(c->tb, 100);
	assert_int_equal(changes, 1);
}

/* ---- records at run time (entity-manager) ---- */

static const char board_b[] =
	"{\"Name\": \"Cable Board B\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab5\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB5\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

static void test_runtime_records(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *b = write_tb_file(c, "board-b.json", board_b);
	_cleanup_free_ char *desc = NULL;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	line_set(c, "gpiochip0", "CAB5", 1);
	line_set(c, "gpiochip0", "OTHER", 0);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab0", false);

	/* Added. */
	em_call(c, "AddBoards", "sa{ss}", b, 0);
	wait_present(c, "cab5", true);
	assert_int_equal(count_cables(c), 3);

	/* Changed in place: polarity flipped, description. */
	set_record(c, BOARD_A "/cab0", "Polarity", "active_high");
	wait_present(c, "cab0", true);
	set_record(c, BOARD_A "/cab0", "CableTypeDescription", "OSFP");
	assert_int_equal(tb_wait_string(c->tb, SVC, ITEM "cab0", I_CABLE,
					"CableTypeDescription", "OSFP", T),
			 0);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	wait_present(c, "cab0", false);

	/* Changed line: the object follows the new one. */
	set_record(c, BOARD_A "/cab0", "GpioLine", "OTHER");
	wait_present(c, "cab0", false);
	line_set(c, "gpiochip0", "OTHER", 1);
	wait_present(c, "cab0", true);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1); /* no longer followed */
	line_set(c, "gpiochip0", "OTHER", 0);
	wait_present(c, "cab0", false);

	/* Changed into an invalid record: the object goes, with an error
	 * naming the key; fixed again: it comes back. */
	set_record(c, BOARD_A "/cab0", "Polarity", "sideways");
	wait_gone(c, "cab0");
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced", "'Polarity'", T),
			 0);
	set_record(c, BOARD_A "/cab0", "Polarity", "active_low");
	wait_present(c, "cab0", true);

	/* Removed. */
	em_call(c, "RemoveBoard", "o", BOARD_B);
	wait_gone(c, "cab5");
	assert_int_equal(count_cables(c), 2);
	desc = tb_get_string(c->tb, SVC, ITEM "cab1", I_ITEM, "PrettyName");
	assert_string_equal(desc, "cab1");
}

/* ---- a removed object leaves nothing behind in a mapper ---- */

/* Interfaces of one object, as Introspect lists them (a mapper's view). */
struct iface_list {
	char path[300];
	char *names[32];
	size_t n;
	bool seen; /* InterfacesRemoved arrived */
};

static void iface_list_clear(struct iface_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

static bool iface_list_has(const struct iface_list *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return true;
	return false;
}

static void iface_list_add(struct iface_list *l, const char *name, size_t len)
{
	assert_true(l->n < ARRAY_SIZE(l->names));
	l->names[l->n] = strndup(name, len);
	assert_non_null(l->names[l->n]);
	l->n++;
}

static void introspect_ifaces(struct ctx *c, const char *svc, const char *path,
			      struct iface_list *ret)
{
	_cleanup_(sd_bus_error_free) sd_bus_error err = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	static const char tag[] = "<interface name=\"";
	const char *xml, *p;

	assert_true(sd_bus_call_method(tb_bus(c->tb), svc, path,
				       "org.freedesktop.DBus.Introspectable",
				       "Introspect", &err, &reply, "") >= 0);
	assert_true(sd_bus_message_read(reply, "s", &xml) >= 0);
	snprintf(ret->path, sizeof(ret->path), "%s", path);
	for (p = strstr(xml, tag); p; p = strstr(p, tag)) {
		const char *end;

		p += strlen(tag);
		end = strchr(p, '"');
		assert_non_null(end);
		iface_list_add(ret, p, (size_t)(end - p));
	}
}

/* The InterfacesRemoved signal of each watched object. */
static int on_ifaces_removed(sd_bus_message *m, void *userdata,
			     sd_bus_error *ret_error)
{
	struct iface_list *watched = userdata; /* terminated by path "" */
	const char *path, *name;

	if (sd_bus_message_read(m, "o", &path) < 0)
		return 0;
	for (; watched->path[0]; watched++) {
		if (strcmp(watched->path, path) != 0)
			continue;
		iface_list_clear(watched);
		assert_true(sd_bus_message_enter_container(m, 'a', "s") >= 0);
		while (sd_bus_message_read(m, "s", &name) > 0)
			iface_list_add(watched, name, strlen(name));
		watched->seen = true;
	}
	return 0;
}

/*
 * phosphor-objmgr's mapper drops a service from a path only when none of
 * the interfaces it saw there (by introspection: org.freedesktop.DBus.*
 * included) is left, so an InterfacesRemoved that names only the
 * service's own interfaces leaves the object in the mapper. Both
 * cable-presenced's cable and the entity-manager stand-in's record must
 * list every interface they had.
 */
static void test_removed_lists_all_interfaces(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *b = write_tb_file(c, "board-b.json", board_b);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	struct iface_list before[3] = { { .n = 0 } };
	struct iface_list removed[4] = { { .n = 0 } }; /* last: path "" */
	const struct {
		const char *svc, *path;
	} objs[3] = {
		{ SVC, ITEM "cab5" },
		{ EM_SVC, BOARD_B "/cab5" },
		{ EM_SVC, BOARD_B },
	};

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	line_set(c, "gpiochip0", "CAB5", 1);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	em_call(c, "AddBoards", "sa{ss}", b, 0);
	wait_present(c, "cab5", true);
	/* the cable has its association: four interfaces of ours */
	assert_int_equal(tb_wait_object(c->tb, SVC, ITEM "cab5", I_ASSOC, T),
			 0);

	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		introspect_ifaces(c, objs[i].svc, objs[i].path, &before[i]);
		assert_true(iface_list_has(&before[i],
					   "org.freedesktop.DBus.Properties"));
		snprintf(removed[i].path, sizeof(removed[i].path), "%s",
			 objs[i].path);
	}
	assert_true(iface_list_has(&before[0], I_CABLE));
	assert_true(iface_list_has(&before[1], I_CONF));
	assert_true(sd_bus_match_signal(tb_bus(c->tb), &slot, NULL, OM,
					"org.freedesktop.DBus.ObjectManager",
					"InterfacesRemoved", on_ifaces_removed,
					removed) >= 0);

	em_call(c, "RemoveBoard", "o", BOARD_B);
	wait_gone(c, "cab5");
	for (int k = 0; k < 100 && !(removed[0].seen && removed[1].seen &&
				     removed[2].seen);
	     k++)
		tb_pump(c->tb, 100);

	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		if (!removed[i].seen)
			fail_msg("no InterfacesRemoved for %s", objs[i].path);
		for (size_t k = 0; k < before[i].n; k++)
			if (!iface_list_has(&removed[i], before[i].names[k]))
				fail_msg("InterfacesRemoved for %s does not "
					 "name %s",
					 objs[i].path, before[i].names[k]);
		iface_list_clear(&before[i]);
		iface_list_clear(&removed[i]);
	}
}

/* ---- CableTypeDescription only when the record gives one ---- */

/* InterfacesAdded/Removed of Item.Cable at one path. */
struct cable_iface_events {
	const char *path;
	int added, removed;
	bool added_desc; /* the last InterfacesAdded carried the property */
};

static int on_cable_iface(sd_bus_message *m, void *userdata,
			  sd_bus_error *ret_error)
{
	struct cable_iface_events *ev = userdata;
	bool added = strcmp(sd_bus_message_get_member(m), "InterfacesAdded") ==
		     0;
	const char *path, *name;

	if (sd_bus_message_read(m, "o", &path) < 0 ||
	    strcmp(path, ev->path) != 0)
		return 0;
	if (!added) {
		assert_true(sd_bus_message_enter_container(m, 'a', "s") >= 0);
		while (sd_bus_message_read(m, "s", &name) > 0)
			ev->removed += strcmp(name, I_CABLE) == 0;
		return 0;
	}
	assert_true(sd_bus_message_enter_container(m, 'a', "{sa{sv}}") >= 0);
	while (sd_bus_message_enter_container(m, 'e', "sa{sv}") > 0) {
		bool cable;

		assert_true(sd_bus_message_read(m, "s", &name) >= 0);
		cable = strcmp(name, I_CABLE) == 0;
		if (cable) {
			ev->added++;
			ev->added_desc = false;
		}
		assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") >=
			    0);
		while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
			assert_true(sd_bus_message_read(m, "s", &name) >= 0);
			if (cable && strcmp(name, "CableTypeDescription") == 0)
				ev->added_desc = true;
			assert_true(sd_bus_message_skip(m, "v") >= 0);
			assert_true(sd_bus_message_exit_container(m) >= 0);
		}
		assert_true(sd_bus_message_exit_container(m) >= 0);
		assert_true(sd_bus_message_exit_container(m) >= 0);
	}
	return 0;
}

static void wait_cable_iface(struct ctx *c, struct cable_iface_events *ev,
			     int added, int removed)
{
	for (int k = 0; k < 100 && (ev->added < added || ev->removed < removed);
	     k++)
		tb_pump(c->tb, 100);
	if (ev->added != added || ev->removed != removed)
		fail_msg("%s: %d InterfacesAdded, %d InterfacesRemoved of "
			 "Item.Cable; expected %d and %d",
			 ev->path, ev->added, ev->removed, added, removed);
}

/*
 * bmcweb copies CableTypeDescription into CableType whenever it exists:
 * a record without one has no such property (Length stays, NaN, which
 * bmcweb leaves out). One that gains or loses it at run time takes
 * Item.Cable again, announced: InterfacesRemoved, then InterfacesAdded.
 */
static void test_type_description_optional(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *a2 = NULL, *desc = NULL, *text = strdup(board_a);
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *s_add = NULL;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *s_rm = NULL;
	struct cable_iface_events ev = { .path = ITEM "cab1" };
	const char *cab1 = "\"Polarity\": \"active_high\"}";
	char *at;

	/* board_a, cab1 with a description */
	assert_non_null(text);
	at = strstr(text, cab1);
	assert_non_null(at);
	*at = '\0';
	assert_true(asprintf(&a2,
			     "%s\"Polarity\": \"active_high\", "
			     "\"CableTypeDescription\": \"DAC\"}%s",
			     text, at + strlen(cab1)) > 0);
	free(text);
	text = a2;
	a2 = write_tb_file(c, "board-a2.json", text);

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab1", true);
	assert_true(
		has_property(c, ITEM "cab0", I_CABLE, "CableTypeDescription"));
	assert_false(
		has_property(c, ITEM "cab1", I_CABLE, "CableTypeDescription"));
	assert_true(isnan(
		tb_get_double(c->tb, SVC, ITEM "cab1", I_CABLE, "Length")));

	assert_true(sd_bus_match_signal(tb_bus(c->tb), &s_add, SVC, NULL,
					"org.freedesktop.DBus.ObjectManager",
					"InterfacesAdded", on_cable_iface,
					&ev) >= 0);
	assert_true(sd_bus_match_signal(tb_bus(c->tb), &s_rm, SVC, NULL,
					"org.freedesktop.DBus.ObjectManager",
					"InterfacesRemoved", on_cable_iface,
					&ev) >= 0);
	/* entity-manager comes back with a file that gives cab1 a
	 * description (a record cannot gain a property otherwise) */
	tb_stop(c->tb, c->em, SIGKILL);
	assert_int_equal(tb_wait_name_gone(c->tb, EM_SVC, T), 0);
	start_em(c, a2);
	assert_int_equal(tb_wait_string(c->tb, SVC, ITEM "cab1", I_CABLE,
					"CableTypeDescription", "DAC", T),
			 0);
	wait_cable_iface(c, &ev, 1, 1);
	assert_true(ev.added_desc);

	/* and again with the first file: the description is gone from the
	 * record, and from the object */
	tb_stop(c->tb, c->em, SIGKILL);
	assert_int_equal(tb_wait_name_gone(c->tb, EM_SVC, T), 0);
	start_em(c, a);
	wait_cable_iface(c, &ev, 2, 2);
	assert_false(ev.added_desc);
	assert_false(
		has_property(c, ITEM "cab1", I_CABLE, "CableTypeDescription"));
	wait_present(c, "cab1", true);
	desc = tb_get_string(c->tb, SVC, ITEM "cab0", I_CABLE,
			     "CableTypeDescription");
	assert_string_equal(desc, "CDFP");
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "<3>"), 0);
}

static const char board_dup[] =
	"{\"Name\": \"Cable Board B\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab0\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB5\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

static void test_duplicate_name(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *b = write_tb_file(c, "board-b.json", board_dup);
	_cleanup_free_ char *lines = NULL;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	line_set(c, "gpiochip0", "CAB5", 0);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab0", true);

	em_call(c, "AddBoards", "sa{ss}", b, 0);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "Invalid GPIOCableSensing record", T),
			 0);
	lines = log_lines_with(c, "Invalid GPIOCableSensing record");
	assert_non_null(strstr(lines, BOARD_B "/cab0"));
	assert_non_null(strstr(lines, "Name"));
	/* The first one keeps working, on its own line. */
	assert_int_equal(count_cables(c), 2);
	line_set(c, "gpiochip0", "CAB5", 1);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	wait_present(c, "cab0", false);
	assert_int_equal(tb_log_count(c->tb, "cable-presenced",
				      "Invalid GPIOCableSensing record"),
			 1);
}

static void test_em_restart(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab0", true);
	wait_present(c, "cab1", true);

	tb_stop(c->tb, c->em, SIGKILL);
	assert_int_equal(tb_wait_name_gone(c->tb, EM_SVC, T), 0);
	start_em(c, a);
	/* Still followed, still exactly the two objects. */
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	wait_present(c, "cab0", false);
	wait_present(c, "cab1", true);
	wait_count(c, 2);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 0);
	wait_present(c, "cab1", false);
	assert_int_equal(count_cables(c), 2);
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "<3>"), 0);
	assert_true(tb_alive(c->tb, c->daemon));
}

/* ---- malformed records, one by one, next to good ones ---- */

static void test_malformed(void **state)
{
	struct ctx *c = *state;
	static const struct {
		const char *name, *key, *json;
	} bad[] = {
		{ NULL, "Name",
		  "{\"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G0\", \"Polarity\": \"active_low\"}" },
		{ "bad_noline", "GpioLine",
		  "{\"Name\": \"bad_noline\", \"Type\": \"GPIOCableSensing\", \"Polarity\": \"active_low\"}" },
		{ "bad_nopol", "Polarity",
		  "{\"Name\": \"bad_nopol\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G0\"}" },
		{ "bad_type", "GpioLine",
		  "{\"Name\": \"bad_type\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": 42, \"Polarity\": \"active_low\"}" },
		{ "bad_pol", "Polarity",
		  "{\"Name\": \"bad_pol\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G0\", \"Polarity\": \"up\"}" },
		{ "bad_poll", "PollIntervalMs",
		  "{\"Name\": \"bad_poll\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G0\", \"Polarity\": \"active_low\", \"PollIntervalMs\": \"fast\"}" },
		{ "bad_len", "Length",
		  "{\"Name\": \"bad_len\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G0\", \"Polarity\": \"active_low\", \"Length\": -1}" },
		{ "bad_long", "GpioLine", NULL /* 10,000 characters */ },
	};
	_cleanup_free_ char *text = NULL, *file = NULL, *lines = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	fputs("{\"Name\": \"Cable Board A\", \"Type\": \"Board\", "
	      "\"Probe\": \"TRUE\", \"Exposes\": [\n"
	      "{\"Name\": \"good0\", \"Type\": \"GPIOCableSensing\", "
	      "\"GpioLine\": \"G0\", \"Polarity\": \"active_low\"},\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		if (bad[i].json) {
			fprintf(f, "%s,\n", bad[i].json);
			continue;
		}
		fputs("{\"Name\": \"bad_long\", \"Type\": \"GPIOCableSensing\", "
		      "\"Polarity\": \"active_low\", \"GpioLine\": \"",
		      f);
		for (int k = 0; k < 10000; k++)
			fputc('L', f);
		fputs("\"},\n", f);
	}
	fputs("{\"Name\": \"good1\", \"Type\": \"GPIOCableSensing\", "
	      "\"GpioLine\": \"G1\", \"Polarity\": \"active_high\"}\n]}\n",
	      f);
	fclose(f);
	file = write_tb_file(c, "malformed.json", text);

	line_set(c, "gpiochip0", "G0", 0);
	line_set(c, "gpiochip0", "G1", 0);
	start_daemon(c, file, HOUR);
	wait_present(c, "good0", true);
	wait_present(c, "good1", false);
	line_set(c, "gpiochip0", "G1", 1);
	wait_present(c, "good1", true);
	assert_int_equal(count_cables(c), 2);

	/* One log line per bad record, naming the record and the key. */
	assert_int_equal(tb_log_count(c->tb, "cable-presenced",
				      "Invalid GPIOCableSensing record"),
			 (int)ARRAY_SIZE(bad));
	lines = log_lines_with(c, "Invalid GPIOCableSensing record");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		_cleanup_free_ char *mine = NULL;
		char key[64];

		if (!bad[i].name)
			continue;
		mine = log_lines_with(c, bad[i].name);
		snprintf(key, sizeof(key), "'%s'", bad[i].key);
		if (!strstr(mine, "Invalid GPIOCableSensing record") ||
		    !strstr(mine, key))
			fail_msg("no clear error for %s (key %s) in:\n%s",
				 bad[i].name, bad[i].key, lines);
	}
	assert_non_null(strstr(lines, "'Name'"));
	/* A 10,000 character value is not copied into the log whole. */
	assert_null(strstr(lines,
			   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"
			   "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"));
}

/*
 * Strings that are not UTF-8 (json-c does not check them): refused, with
 * the record and the key named, and the other cables published; before,
 * the bad cable's PrettyName failed its getter and with it every
 * GetManagedObjects of the inventory.
 */
static void test_invalid_utf8(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = NULL, *lines = NULL, *name = NULL,
			    *desc = NULL;

	file = write_tb_file(
		c, "utf8.json",
		"{\"Name\": \"Cable Board A\", \"Type\": \"Board\", "
		"\"Probe\": \"TRUE\", \"Exposes\": [\n"
		"{\"Name\": \"good0\", \"Type\": \"GPIOCableSensing\", "
		"\"GpioLine\": \"G0\", \"Polarity\": \"active_low\"},\n"
		"{\"Name\": \"utf\xff\xfe"
		"bad\", "
		"\"Type\": \"GPIOCableSensing\", \"GpioLine\": \"G1\", "
		"\"Polarity\": \"active_low\"},\n"
		/* a surrogate, as UTF-8 bytes: sd-bus refuses it too */
		"{\"Name\": \"bad_desc\", \"Type\": \"GPIOCableSensing\", "
		"\"GpioLine\": \"G2\", \"Polarity\": \"active_low\", "
		"\"CableTypeDescription\": \"CD\xed\xa0\x80"
		"FP\"},\n"
		"{\"Name\": \"good1\", \"Type\": \"GPIOCableSensing\", "
		"\"GpioLine\": \"G3\", \"Polarity\": \"active_high\", "
		"\"CableTypeDescription\": \"caf\xc3\xa9\"}\n]}\n");

	line_set(c, "gpiochip0", "G0", 0);
	line_set(c, "gpiochip0", "G1", 0);
	line_set(c, "gpiochip0", "G2", 0);
	line_set(c, "gpiochip0", "G3", 1);
	start_daemon(c, file, HOUR);
	wait_present(c, "good0", true);
	wait_present(c, "good1", true);
	/* GetManagedObjects answers, with the good cables only */
	assert_int_equal(count_cables(c), 2);
	desc = tb_get_string(c->tb, SVC, ITEM "good1", I_CABLE,
			     "CableTypeDescription");
	assert_string_equal(desc, "caf\xc3\xa9");

	assert_int_equal(tb_log_count(c->tb, "cable-presenced",
				      "Invalid GPIOCableSensing record"),
			 2);
	lines = log_lines_with(c, "Invalid GPIOCableSensing record");
	name = log_lines_with(c, "/utf__bad");
	if (!strstr(name, "key 'Name': string is not valid UTF-8"))
		fail_msg("no clear error for the Name in:\n%s", lines);
	free(name);
	name = log_lines_with(c, "/bad_desc");
	if (!strstr(name, "key 'CableTypeDescription': string is not valid "
			  "UTF-8"))
		fail_msg("no clear error for bad_desc in:\n%s", lines);
}

/* ---- scale: 1,000 cables on one daemon ---- */

#define N_BIG	1000
#define N_CHIPS 8

static void test_thousand(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *text = NULL, *file = NULL;
	size_t len = 0;
	FILE *f;
	char name[64], line[64], chip[64];
	f = open_memstream(&text, &len);
	assert_non_null(f);
	fputs("[", f);
	for (int i = 0; i < N_BIG; i++) {
		snprintf(chip, sizeof(chip), "gpiochip%d", i % N_CHIPS);
		snprintf(line, sizeof(line), "CABLE%d_PRSNT_N", i);
		line_set(c, chip, line, i % 3 ? 1 : 0);
		fprintf(f,
			"%s{\"Name\": \"cable%d\", \"Type\": \"GPIOCableSensing\", "
			"\"GpioLine\": \"%s\", \"Polarity\": \"active_low\"}\n",
			i ? "," : "", i, line);
	}
	fputs("]\n", f);
	fclose(f);
	file = write_tb_file(c, "thousand.json", text);

	start_daemon(c, file, HOUR);
	wait_count(c, N_BIG);
	for (int i = 0; i < N_BIG; i += 97) {
		snprintf(name, sizeof(name), "cable%d", i);
		wait_functional(c, name, true);
		wait_present(c, name, i % 3 == 0);
	}
	for (int i = 5; i < N_BIG; i += 199) {
		snprintf(chip, sizeof(chip), "gpiochip%d", i % N_CHIPS);
		snprintf(line, sizeof(line), "CABLE%d_PRSNT_N", i);
		snprintf(name, sizeof(name), "cable%d", i);
		line_set(c, chip, line, i % 3 ? 0 : 1);
		wait_present(c, name, i % 3 != 0);
	}
	/* Closing 1,000 simulated lines (inotify fds) takes the kernel
	 * seconds: leave the exit to tb_free instead of the 5 s check. */
	c->daemon = 0;
}

/* ---- cable-sdr against the live daemon ---- */

static void test_cable_sdr(void **state)
{
	struct ctx *c = *state;
	static const char cfg[] =
		"[{\"Name\": \"cdfp0\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"CDFP0\", \"Polarity\": \"active_high\"},\n"
		" {\"Name\": \"cdfp1\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"CDFP1\", \"Polarity\": \"active_high\"},\n"
		" {\"Name\": \"cdfp2\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"CDFP2\", \"Polarity\": \"active_high\"},\n"
		" {\"Name\": \"cdfp3\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"CDFP3\", \"Polarity\": \"active_high\"},\n"
		" {\"Name\": \"osfp\", \"Type\": \"GPIOCableSensing\", \"GpioLine\": \"OSFP\", \"Polarity\": \"active_low\"}]\n";
	_cleanup_free_ char *file = write_tb_file(c, "sdr.json", cfg);
	const char *argv[] = { tb_prog("cable-sdr"), NULL };
	char *out = NULL;

	line_set(c, "gpiochip0", "CDFP0", 1);
	line_set(c, "gpiochip0", "CDFP1", 0);
	line_set(c, "gpiochip0", "CDFP2", 1);
	line_set(c, "gpiochip0", "CDFP3", 0);
	line_set(c, "gpiochip0", "OSFP", 0);
	start_daemon(c, file, HOUR);
	wait_present(c, "cdfp2", true);
	wait_present(c, "osfp", true);

	assert_int_equal(tb_run(c->tb, argv, NULL, T, &out), 0);
	assert_string_equal(out, "cdfp[0-3] 0x0005 4\nosfp 0x0001 1\n");
	free(out);

	line_set(c, "gpiochip0", "CDFP3", 1);
	line_set(c, "gpiochip0", "OSFP", 1);
	wait_present(c, "cdfp3", true);
	wait_present(c, "osfp", false);
	assert_int_equal(tb_run(c->tb, argv, NULL, T, &out), 0);
	assert_string_equal(out, "cdfp[0-3] 0x000d 4\nosfp 0x0000 1\n");
	free(out);
}

/* ---- clean exit ---- */

static void test_sigterm(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "board-a.json", board_a);
	int status;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	start_daemon(c, file, HOUR);
	wait_present(c, "cab0", false);
	status = tb_stop(c->tb, c->daemon, SIGTERM);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(tb_wait_name_gone(c->tb, SVC, T), 0);
}

/* ---- records refused for now are taken when they fit ---- */

static void test_swap_names(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1); /* cab0 absent */
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1); /* cab1 present */
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab0", false);
	wait_present(c, "cab1", true);

	/* The two records swap their Names (one burst). */
	set_record(c, BOARD_A "/cab0", "Name", "cab1");
	set_record(c, BOARD_A "/cab1", "Name", "cab0");

	/* Both objects exist again, each following the other line. */
	wait_present(c, "cab1", false);
	wait_present(c, "cab0", true);
	wait_count(c, 2);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	wait_present(c, "cab1", true);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 0);
	wait_present(c, "cab0", false);
	assert_int_equal(count_cables(c), 2);
}

static const char board_esc_a[] =
	"{\"Name\": \"Cable Board A\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab 9\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB9A\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";
static const char board_esc_b[] =
	"{\"Name\": \"Cable Board B\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab-9\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB9B\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

/* "cab 9" and "cab-9" both give the object .../item/cab_9. */
static void test_escaped_name_collision(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_esc_a);
	_cleanup_free_ char *b = write_tb_file(c, "board-b.json", board_esc_b);
	_cleanup_free_ char *lines = NULL;

	line_set(c, "gpiochip0", "CAB9A", 1);
	line_set(c, "gpiochip0", "CAB9B", 0);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab_9", true);

	em_call(c, "AddBoards", "sa{ss}", b, 0);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "Invalid GPIOCableSensing record", T),
			 0);
	lines = log_lines_with(c, "Invalid GPIOCableSensing record");
	assert_non_null(strstr(lines, BOARD_B "/cab_9"));
	assert_non_null(strstr(lines, "escaped to 'cab_9'"));
	assert_int_equal(count_cables(c), 1);

	/* The first goes: the second takes the object over. */
	em_call(c, "RemoveBoard", "o", BOARD_A);
	wait_present(c, "cab_9", false);
	line_set(c, "gpiochip0", "CAB9B", 1);
	wait_present(c, "cab_9", true);
	wait_count(c, 1);
}

/* Names that start with no letter or digit: entity-manager sanitises
 * them ("-rear cable" -> "_rear_cable") and sdbusplus escapes the segment
 * ("_5frear_5fcable"), which object_path::filename() reads back; a
 * plain "_rear_cable" would read as an empty name, and bmcweb would drop
 * the cable. */
static const char board_leading[] =
	"{\"Name\": \"-Rear Board\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"-rear cable\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CABR\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \" front cable\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CABF\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"_mid cable\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CABM\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"_5fmid\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB5\", \"Polarity\": \"active_high\"},\n"
	"  {\"Name\": \"mid\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CABP\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

static void scenario_leading_names(struct ctx *c, enum mode mode)
{
	_cleanup_free_ char *file =
		write_tb_file(c, "board-leading.json", board_leading);
	_cleanup_free_ char *names = NULL, *board = NULL, *bname = NULL;
	_cleanup_free_ char *pretty = NULL;

	line_set(c, "gpiochip0", "CABR", 1);
	line_set(c, "gpiochip0", "CABF", 0);
	line_set(c, "gpiochip0", "CABM", 1);
	line_set(c, "gpiochip0", "CAB5", 1);
	line_set(c, "gpiochip0", "CABP", 1);
	if (mode == MODE_EM)
		start_em(c, file);
	start_daemon(c, mode == MODE_JSON ? file : NULL, HOUR);

	wait_present(c, "_5frear_5fcable", true);
	wait_present(c, "_5ffront_5fcable", false);
	wait_present(c, "_5fmid_5fcable", true);
	wait_present(c, "_5f5fmid", true);
	wait_present(c, "mid", true);
	/* Names that differ only in escaped bytes stay apart, and each
	 * reads back, by sdbusplus's rule, as entity-manager names it. */
	names = tb_object_names(c->tb, SVC, OM, I_CABLE);
	assert_non_null(names);
	assert_string_equal(names, "_5fmid\n_front_cable\n_mid_cable\n"
				   "_rear_cable\nmid\n");
	pretty = tb_get_string(c->tb, SVC, ITEM "_5frear_5fcable", I_ITEM,
			       "PrettyName");
	assert_string_equal(pretty, "-rear cable");
	board = get_assoc_board(c, "_5frear_5fcable");
	assert_non_null(board);
	assert_string_equal(board, OM "/system/board/_5fRear_5fBoard");
	bname = sdbusplus_filename(board);
	assert_string_equal(bname, "_Rear_Board");
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "<3>"), 0);
	assert_int_equal(tb_log_count(c->tb, "cable-presenced", "Invalid"), 0);
}

static void test_leading_names_em(void **state)
{
	scenario_leading_names(*state, MODE_EM);
}

static void test_leading_names_json(void **state)
{
	scenario_leading_names(*state, MODE_JSON);
}

static const char board_same_line[] =
	"{\"Name\": \"Cable Board B\", \"Type\": \"Board\", \"Probe\": \"TRUE\",\n"
	" \"Exposes\": [\n"
	"  {\"Name\": \"cab7\", \"Type\": \"GPIOCableSensing\",\n"
	"   \"GpioLine\": \"CAB0_PRSNT_N\", \"Polarity\": \"active_high\"}\n"
	" ]}\n";

static void test_same_line_twice(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *b =
		write_tb_file(c, "board-b.json", board_same_line);
	_cleanup_free_ char *lines = NULL;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	wait_present(c, "cab0", true);

	/* A second record for the followed line: refused, naming both. */
	em_call(c, "AddBoards", "sa{ss}", b, 0);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced",
				     "is already followed", T),
			 0);
	lines = log_lines_with(c, "is already followed");
	assert_non_null(strstr(lines, BOARD_B "/cab7"));
	assert_non_null(strstr(lines, BOARD_A "/cab0"));
	assert_null(strstr(lines, "another consumer"));
	assert_int_equal(count_cables(c), 2);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	wait_present(c, "cab0", false);

	/* The first one goes: the second gets the line. */
	em_call(c, "RemoveBoard", "o", BOARD_A);
	wait_gone(c, "cab0");
	wait_present(c, "cab7", true);
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	wait_present(c, "cab7", false);
	assert_int_equal(count_cables(c), 1);
	assert_int_equal(
		tb_log_count(c->tb, "cable-presenced", "another consumer"), 0);
}

/* ---- the bus name and the bus connection ---- */

/* Offset of needle in the daemon's log, or -1. */
static long log_offset(struct ctx *c, const char *needle)
{
	char path[600];
	char *text = NULL, *hit;
	size_t len = 0;
	long off;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cable-presenced.log", tb_dir(c->tb));
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, '\0', f) > 0);
	fclose(f);
	hit = strstr(text, needle);
	off = hit ? hit - text : -1;
	free(text);
	return off;
}

/* entity-manager mode: the name comes after the objects. */
static void test_name_after_objects(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *a = write_tb_file(c, "board-a.json", board_a);
	long served, cab0, cab1;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	line_set(c, "gpiochip0", "CAB1_PRSNT", 1);
	start_em(c, a);
	start_daemon(c, NULL, HOUR);
	/* Both objects are there as soon as the name is. */
	assert_int_equal(count_cables(c), 2);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced", "Serving", T),
			 0);
	served = log_offset(c, "Serving " SVC);
	cab0 = log_offset(c, "Cable 'cab0' at");
	cab1 = log_offset(c, "Cable 'cab1' at");
	assert_true(cab0 >= 0 && cab1 >= 0 && served >= 0);
	assert_true(cab0 < served);
	assert_true(cab1 < served);
}

/* No entity-manager at all: the name still comes (nothing to wait for). */
static void test_name_without_em(void **state)
{
	struct ctx *c = *state;

	start_daemon(c, NULL, HOUR);
	assert_int_equal(count_cables(c), 0);
}

static void test_second_instance(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "board-a.json", board_a);
	_cleanup_free_ char *lines = NULL;
	char preload[600], simdir[600];
	const char *env[] = { preload, simdir, NULL };
	const char *argv[] = { tb_prog("cable-presenced"), "--config", file,
			       NULL };
	char *out = NULL;

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	start_daemon(c, file, HOUR);
	wait_present(c, "cab0", false);

	/* A second instance cannot own the name: it must say so and exit
	 * with a failure, not keep running without the name. */
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", c->gpio);
	assert_int_equal(tb_run(c->tb, argv, env, T, &out), 1);
	free(out);
	lines = log_lines_with_in(c, "run", "already owned");
	assert_non_null(lines);
	assert_non_null(strstr(lines, SVC));
	/* The first one still serves. */
	assert_true(tb_alive(c->tb, c->daemon));
	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 0);
	wait_present(c, "cab0", true);
}

/* Full path of a program in $PATH (tb_spawn does not search), static. */
static const char *find_in_path(const char *prog)
{
	static char found[600];
	const char *path = getenv("PATH");

	for (const char *p = path ? path : "/usr/bin:/bin"; *p;) {
		size_t len = strcspn(p, ":");

		snprintf(found, sizeof(found), "%.*s/%s", (int)len, p, prog);
		if (access(found, X_OK) == 0)
			return found;
		p += len + (p[len] == ':');
	}
	fail_msg("%s not found in PATH", prog);
	return NULL;
}

static void test_bus_lost(void **state)
{
	struct ctx *c = *state;
	_cleanup_free_ char *file = write_tb_file(c, "board-a.json", board_a);
	char addr[700], sock[600], preload[600], simdir[600], busaddr[800];
	const char *bus_argv[] = { find_in_path("dbus-daemon"),
				   "--session",
				   "--nofork",
				   "--nopidfile",
				   addr,
				   NULL };
	const char *env[] = { preload, simdir, busaddr, NULL };
	const char *argv[] = { tb_prog("cable-presenced"), "-v", "--config",
			       file, NULL };
	struct stat st;
	pid_t bus, daemon;
	int i;

	/* A bus of its own that the test can take away. */
	snprintf(sock, sizeof(sock), "%s/bus2", tb_dir(c->tb));
	snprintf(addr, sizeof(addr), "--address=unix:path=%s", sock);
	bus = tb_spawn(c->tb, "bus2", bus_argv, NULL);
	for (i = 0; i < T / 10 && stat(sock, &st) < 0; i++)
		usleep(10000);
	assert_int_equal(stat(sock, &st), 0);

	line_set(c, "gpiochip0", "CAB0_PRSNT_N", 1);
	snprintf(preload, sizeof(preload), "LD_PRELOAD=%s",
		 tb_prog("gpio-sim-preload"));
	snprintf(simdir, sizeof(simdir), "GPIO_SIM_DIR=%s", c->gpio);
	snprintf(busaddr, sizeof(busaddr),
		 "DBUS_SYSTEM_BUS_ADDRESS=unix:path=%s", sock);
	daemon = tb_spawn(c->tb, "cable-presenced", argv, env);
	assert_int_equal(tb_wait_log(c->tb, "cable-presenced", "Serving", T),
			 0);

	/* The bus goes away: the daemon must exit (systemd restarts it),
	 * not keep running unreachable. */
	tb_stop(c->tb, bus, SIGKILL);
	for (i = 0; i < T / 10 && tb_alive(c->tb, daemon); i++)
		usleep(10000);
	assert_false(tb_alive(c->tb, daemon));
	assert_true(tb_log_count(c->tb, "cable-presenced",
				 "Disconnected from the bus") >= 1);
}

/* The sim spends one inotify instance per line (its README). */
static long inotify_limit(void)
{
	long v = 0;
	FILE *f = fopen("/proc/sys/fs/inotify/max_user_instances", "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

int main(int argc, char *argv[])
{
	const struct CMUnitTest big[] = {
		cmocka_unit_test_setup_teardown(test_thousand, setup, teardown),
	};
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_basic_em, setup, teardown),
		cmocka_unit_test_setup_teardown(test_basic_json, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_expected_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_events, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_busy_line, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chip_vanishes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_debounce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debounce_pulse, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_runtime_records, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_removed_lists_all_interfaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_name, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_em_restart, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cable_sdr, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sigterm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_escaped_name_collision,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_leading_names_em, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_type_description_optional,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_leading_names_json, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_line_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_name_after_objects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_name_without_em, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_second_instance, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bus_lost, setup, teardown),
	};

	/* "test-cable thousand": the 1,000-cable test alone, exit 77 (skip)
	 * when this machine cannot simulate that many lines. */
	if (argc > 1 && !strcmp(argv[1], "thousand")) {
		if (inotify_limit() < N_BIG + 100) {
			printf("SKIP: fs.inotify.max_user_instances is %ld, the GPIO sim needs %d for 1,000 lines: sysctl fs.inotify.max_user_instances=4096\n",
			       inotify_limit(), N_BIG + 100);
			return 77;
		}
		return cmocka_run_group_tests(big, NULL, NULL);
	}
	/* e.g. TB_TEST_FILTER=test_malformed */
	if (getenv("TB_TEST_FILTER"))
		cmocka_set_test_filter(getenv("TB_TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
