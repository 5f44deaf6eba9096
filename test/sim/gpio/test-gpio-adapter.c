// SPDX-License-Identifier: Apache-2.0
/*
 * The libgpiod adapter the daemon is built with (gpio-v1.c or gpio-v2.c),
 * against the GPIO sim (LD_PRELOAD=libgpiod-sim.so, set by meson). The
 * sim root is a temporary directory made here and put in GPIO_SIM_DIR
 * before the first libgpiod call.
 */
#include <errno.h>
#include <link.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <gpiod.h>

#include "gpio-index.h"
#include "gpio.h"
#include "macros.h"

#define CONSUMER    "test-gpio-adapter"
#define DEADLINE_MS 5000

static char root[] = "/tmp/test-gpio-adapter.XXXXXX";

static void xsystemf(const char *fmt, ...) _printf_(1, 2);
static void xsystemf(const char *fmt, ...)
{
	_cleanup_free_ char *cmd = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	assert_true(r >= 0);
	assert_int_equal(system(cmd), 0);
}

static void mkchip(const char *chip)
{
	_cleanup_free_ char *p = NULL;

	assert_true(asprintf(&p, "%s/%s", root, chip) >= 0);
	assert_int_equal(mkdir(p, 0755), 0);
}

/* Writes the file in place, as "echo V > file" does. */
static void put(const char *chip, const char *file, const char *text)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_fclose_ FILE *f = NULL;

	assert_true(asprintf(&p, "%s/%s/%s", root, chip, file) >= 0);
	f = fopen(p, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(TAKE_PTR(f)), 0);
}

static void rmchip(const char *chip)
{
	xsystemf("rm -rf '%s/%s'", root, chip);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* 1 when fd became readable before the deadline, 0 if not. */
static int wait_readable(int fd, int ms)
{
	int64_t deadline = now_ms() + ms;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	for (;;) {
		int64_t left = deadline - now_ms();

		if (left < 0)
			left = 0;
		r = poll(&pfd, 1, (int)left);
		if (r > 0 || (r == 0 && left == 0))
			return r > 0;
		assert_true(r >= 0 || errno == EINTR);
	}
}

/* Drain until the edge shows up (the fd may wake for a partial write). */
static int drain_until_event(struct gpio_line *l)
{
	int64_t deadline = now_ms() + DEADLINE_MS;
	int r;

	do {
		if (!wait_readable(gpio_line_fd(l), DEADLINE_MS))
			return 0;
		r = gpio_line_drain_events(l);
		if (r != 0)
			return r;
	} while (now_ms() < deadline);
	return 0;
}

static int find_sim(struct dl_phdr_info *info, size_t size, void *data)
{
	return info->dlpi_name && strstr(info->dlpi_name, "libgpiod-sim.so");
}

static int group_setup(void **state)
{
	/* Without the sim this would test the machine's real GPIO chips. */
	if (!dl_iterate_phdr(find_sim, NULL)) {
		fprintf(stderr, "libgpiod-sim.so is not loaded (LD_PRELOAD)\n");
		return -1;
	}
	if (!mkdtemp(root))
		return -1;
	return setenv("GPIO_SIM_DIR", root, 1);
}

static int group_teardown(void **state)
{
	_cleanup_free_ char *cmd = NULL;

	if (asprintf(&cmd, "rm -rf '%s'", root) < 0)
		return -1;
	return system(cmd) == 0 ? 0 : -1;
}

/* Every test starts with an empty sim. */
static int setup(void **state)
{
	xsystemf("rm -rf '%s'/* '%s'/.[!.]*", root, root);
	return 0;
}

static void test_description(void **state)
{
	const char *d = gpio_api_description();

	assert_non_null(d);
	assert_non_null(strstr(d, "libgpiod "));
	assert_non_null(strstr(d, "(API v"));
	assert_null(gpio_line_release(NULL));
}

static void test_found_on_second_chip(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "fan0", "0\n");
	put("gpiochip0", "led0", "1\n");
	mkchip("gpiochip1");
	put("gpiochip1", "a-first", "0\n");
	put("gpiochip1", "cable0", "1\n");

	assert_int_equal(gpio_line_request("cable0", CONSUMER, &l), 0);
	assert_non_null(l);
	assert_string_equal(gpio_line_chip(l), "gpiochip1");
	assert_true(gpio_line_fd(l) >= 0);
	assert_int_equal(gpio_line_get_value(l), 1);
	assert_int_equal(gpio_line_drain_events(l), 0);
	l = gpio_line_release(l);
	assert_null(l);
}

static void test_missing_then_appears(void **state)
{
	struct gpio_line *l = NULL, *sentinel = (struct gpio_line *)&l;

	/* No chip at all, then a chip without the line. */
	l = sentinel;
	assert_int_equal(gpio_line_request("cable1", CONSUMER, &l), -ENOENT);
	assert_ptr_equal(l, sentinel);
	mkchip("gpiochip0");
	put("gpiochip0", "other", "0\n");
	assert_int_equal(gpio_line_request("cable1", CONSUMER, &l), -ENOENT);
	assert_ptr_equal(l, sentinel);

	/* The expander's driver loads: the line appears. */
	mkchip("gpiochip7");
	put("gpiochip7", "cable1", "0\n");
	assert_int_equal(gpio_line_request("cable1", CONSUMER, &l), 0);
	assert_string_equal(gpio_line_chip(l), "gpiochip7");
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

static void test_value_follows_file(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "cable2", "0\n");
	assert_int_equal(gpio_line_request("cable2", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_get_value(l), 0);
	put("gpiochip0", "cable2", "1\n");
	assert_int_equal(gpio_line_get_value(l), 1);
	put("gpiochip0", "cable2", "0\n");
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

static void test_edge_events(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "cable3", "0\n");
	assert_int_equal(gpio_line_request("cable3", CONSUMER, &l), 0);
	assert_true(gpio_line_fd(l) >= 0);
	assert_int_equal(wait_readable(gpio_line_fd(l), 0), 0);

	put("gpiochip0", "cable3", "1\n");
	assert_true(drain_until_event(l) >= 1);
	assert_int_equal(gpio_line_drain_events(l), 0);
	assert_int_equal(gpio_line_get_value(l), 1);

	/* Falling edge too, and rewriting the same level is no edge. */
	put("gpiochip0", "cable3", "0\n");
	assert_true(drain_until_event(l) >= 1);
	assert_int_equal(gpio_line_drain_events(l), 0);
	put("gpiochip0", "cable3", "0\n");
	assert_int_equal(gpio_line_drain_events(l), 0);
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

/* Scripts may also replace the file: "echo 1 > tmp && mv tmp cable". */
static void test_file_replaced(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "cable9", "0\n");
	assert_int_equal(gpio_line_request("cable9", CONSUMER, &l), 0);
	put("gpiochip0", ".new", "1\n");
	xsystemf("mv '%s/gpiochip0/.new' '%s/gpiochip0/cable9'", root, root);
	assert_true(drain_until_event(l) >= 1);
	assert_int_equal(gpio_line_get_value(l), 1);

	/* And it is still watched after the replacement. */
	put("gpiochip0", "cable9", "0\n");
	assert_true(drain_until_event(l) >= 1);
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

static void test_busy(void **state)
{
	struct gpio_line *l = NULL, *l2 = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "cable4", "1\n");
	put("gpiochip0", "cable4.busy", "");
	assert_int_equal(gpio_line_request("cable4", CONSUMER, &l), -EBUSY);
	assert_null(l);

	/* The other consumer lets go. */
	xsystemf("rm '%s/gpiochip0/cable4.busy'", root);
	assert_int_equal(gpio_line_request("cable4", CONSUMER, &l), 0);
	/* Held by us now: a second request is refused too. */
	assert_int_equal(gpio_line_request("cable4", CONSUMER, &l2), -EBUSY);
	assert_null(l2);
	gpio_line_release(l);
}

static void test_no_events_fallback(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", ".no-events", "");
	put("gpiochip0", "cable5", "0\n");
	assert_int_equal(gpio_line_request("cable5", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_fd(l), -1);
	assert_int_equal(gpio_line_drain_events(l), 0);
	assert_int_equal(gpio_line_get_value(l), 0);
	put("gpiochip0", "cable5", "1\n");
	assert_int_equal(gpio_line_get_value(l), 1);
	gpio_line_release(l);
}

/*
 * The sim fails an edge request on a chip without IRQ with the errno the
 * kernel uses for the uAPI the library speaks: -ENODEV from v1's
 * lineevent_create (libgpiod 1.6), -ENXIO from v2's edge_detector_setup
 * (libgpiod 2.x). The adapter must fall back to polling on either.
 */
static void test_no_irq_errno_as_kernel(void **state)
{
	mkchip("gpiochip0");
	put("gpiochip0", ".no-events", "");
	put("gpiochip0", "cable9", "1\n");
#if TEST_GPIOD_API == 1
	{
		struct gpiod_line *line = gpiod_line_find("cable9");

		assert_non_null(line);
		errno = 0;
		assert_int_equal(gpiod_line_request_both_edges_events(line,
								      CONSUMER),
				 -1);
		assert_int_equal(errno, ENODEV);
		assert_int_equal(gpiod_line_request_input(line, CONSUMER), 0);
		assert_int_equal(gpiod_line_get_value(line), 1);
		gpiod_line_release(line);
		gpiod_line_close_chip(line);
	}
#else
	{
		struct gpiod_chip *chip = gpiod_chip_open("/dev/gpiochip0");
		struct gpiod_line_settings *ls = gpiod_line_settings_new();
		struct gpiod_line_config *lc = gpiod_line_config_new();
		unsigned int off;
		int o;

		assert_non_null(chip);
		assert_non_null(ls);
		assert_non_null(lc);
		o = gpiod_chip_get_line_offset_from_name(chip, "cable9");
		assert_true(o >= 0);
		off = (unsigned int)o;
		assert_int_equal(gpiod_line_settings_set_direction(
					 ls, GPIOD_LINE_DIRECTION_INPUT),
				 0);
		assert_int_equal(gpiod_line_settings_set_edge_detection(
					 ls, GPIOD_LINE_EDGE_BOTH),
				 0);
		assert_int_equal(gpiod_line_config_add_line_settings(lc, &off,
								     1, ls),
				 0);
		errno = 0;
		assert_null(gpiod_chip_request_lines(chip, NULL, lc));
		assert_int_equal(errno, ENXIO);
		gpiod_line_config_free(lc);
		gpiod_line_settings_free(ls);
		gpiod_chip_close(chip);
	}
#endif
}

static void test_chip_vanishes_and_returns(void **state)
{
	struct gpio_line *l = NULL;
	int r;

	mkchip("gpiochip0");
	put("gpiochip0", "other", "0\n");
	mkchip("gpiochip3");
	put("gpiochip3", "cable6", "1\n");
	assert_int_equal(gpio_line_request("cable6", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_get_value(l), 1);

	rmchip("gpiochip3");
	/* The event fd wakes up and the drain reports the loss. */
	assert_int_equal(wait_readable(gpio_line_fd(l), DEADLINE_MS), 1);
	r = gpio_line_drain_events(l);
	assert_true(r < 0);
	assert_int_equal(r, -ENODEV);
	assert_true(gpio_line_get_value(l) < 0);
	l = gpio_line_release(l);

	assert_int_equal(gpio_line_request("cable6", CONSUMER, &l), -ENOENT);

	/* The expander comes back (at another level). */
	mkchip("gpiochip3");
	put("gpiochip3", "cable6", "0\n");
	assert_int_equal(gpio_line_request("cable6", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_get_value(l), 0);
	put("gpiochip3", "cable6", "1\n");
	assert_true(drain_until_event(l) >= 1);
	assert_int_equal(gpio_line_get_value(l), 1);
	gpio_line_release(l);
}

static void test_vanished_without_events(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", ".no-events", "");
	put("gpiochip0", "cable7", "1\n");
	assert_int_equal(gpio_line_request("cable7", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_fd(l), -1);
	rmchip("gpiochip0");
	assert_int_equal(gpio_line_get_value(l), -ENODEV);
	gpio_line_release(l);
}

static void test_bad_level(void **state)
{
	struct gpio_line *l = NULL;

	mkchip("gpiochip0");
	put("gpiochip0", "cable8", "1\n");
	assert_int_equal(gpio_line_request("cable8", CONSUMER, &l), 0);
	put("gpiochip0", "cable8", "high\n");
	assert_int_equal(gpio_line_get_value(l), -EIO);
	put("gpiochip0", "cable8", "0\n");
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

/* What gpio_index_lookup() hands back for a chip: v1 opens chips by
 * name, v2 by device path. */
static const char *chip_key(const char *chip)
{
	static char buf[64];

#if TEST_GPIOD_API == 1
	snprintf(buf, sizeof(buf), "%s", chip);
#else
	snprintf(buf, sizeof(buf), "/dev/%s", chip);
#endif
	return buf;
}

static void test_index_duplicates(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct gpio_line *l = NULL;
	const char *chip;
	unsigned int off;

	/* Name order is strcmp order: gpiochip10 before gpiochip2. */
	mkchip("gpiochip2");
	put("gpiochip2", "dup", "0\n");
	put("gpiochip2", "only2", "0\n");
	mkchip("gpiochip10");
	put("gpiochip10", "a", "0\n");
	put("gpiochip10", "dup", "1\n");
	mkchip("gpiochip3");
	put("gpiochip3", "dup", "0\n");

	assert_int_equal(gpio_index_build(&idx), 0);
	assert_int_equal(gpio_index_chips(idx), 3);
	assert_int_equal(gpio_index_lines(idx), 5);
	assert_int_equal(gpio_index_lookup(idx, "dup", &chip, &off), 0);
	assert_string_equal(chip, chip_key("gpiochip10"));
	assert_int_equal(off, 1);
	assert_int_equal(gpio_index_lookup(idx, "only2", &chip, &off), 0);
	assert_string_equal(chip, chip_key("gpiochip2"));
	assert_int_equal(off, 1);
	assert_int_equal(gpio_index_lookup(idx, "nope", &chip, &off), -ENOENT);

	/* The request goes to the chip that won, as by name. */
	assert_int_equal(gpio_index_lookup(idx, "dup", &chip, &off), 0);
	assert_int_equal(gpio_line_request_at(chip, off, "dup", CONSUMER, &l),
			 0);
	assert_string_equal(gpio_line_chip(l), "gpiochip10");
	assert_int_equal(gpio_line_get_value(l), 1);
	l = gpio_line_release(l);
	assert_int_equal(gpio_line_request("dup", CONSUMER, &l), 0);
	assert_string_equal(gpio_line_chip(l), "gpiochip10");
	gpio_line_release(l);
}

static void test_index_chip_appears_later(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct gpio_line *l = NULL;
	const char *chip;
	unsigned int off;

	mkchip("gpiochip0");
	put("gpiochip0", "fan0", "0\n");
	assert_int_equal(gpio_index_build(&idx), 0);
	assert_int_equal(gpio_index_lookup(idx, "cable10", &chip, &off),
			 -ENOENT);

	/* An expander probes after the scan: the old index does not know. */
	mkchip("gpiochip5");
	put("gpiochip5", "cable10", "1\n");
	assert_int_equal(gpio_index_lookup(idx, "cable10", &chip, &off),
			 -ENOENT);

	/* The next build finds it. */
	idx = gpio_index_free(idx);
	assert_int_equal(gpio_index_build(&idx), 0);
	assert_int_equal(gpio_index_chips(idx), 2);
	assert_int_equal(gpio_index_lookup(idx, "cable10", &chip, &off), 0);
	assert_string_equal(chip, chip_key("gpiochip5"));
	assert_int_equal(off, 0);
	assert_int_equal(
		gpio_line_request_at(chip, off, "cable10", CONSUMER, &l), 0);
	assert_string_equal(gpio_line_chip(l), "gpiochip5");
	assert_true(gpio_line_fd(l) >= 0);
	assert_int_equal(gpio_line_get_value(l), 1);
	gpio_line_release(l);
}

static void test_index_line_vanished(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct gpio_line *l = NULL, *sentinel = (struct gpio_line *)&l;
	const char *chip;
	unsigned int off;

	mkchip("gpiochip0");
	put("gpiochip0", "cable11", "0\n");
	put("gpiochip0", "cable12", "0\n");
	mkchip("gpiochip1");
	put("gpiochip1", "cable13", "1\n");
	assert_int_equal(gpio_index_build(&idx), 0);

	/* The line goes between the scan and the request. */
	xsystemf("rm '%s/gpiochip0/cable12'", root);
	assert_int_equal(gpio_index_lookup(idx, "cable12", &chip, &off), 0);
	l = sentinel;
	assert_int_equal(gpio_line_request_at(chip, off, "cable12", CONSUMER,
					      &l),
			 -ESTALE);
	assert_ptr_equal(l, sentinel);

	/* Another line took the offset (the sim's offsets shift). */
	put("gpiochip0", "cable100", "0\n");
	assert_int_equal(gpio_index_lookup(idx, "cable11", &chip, &off), 0);
	assert_int_equal(off, 0);
	assert_int_equal(gpio_line_request_at(chip, off, "cable11", CONSUMER,
					      &l),
			 -ESTALE);
	assert_ptr_equal(l, sentinel);

	/* The whole chip goes. */
	rmchip("gpiochip1");
	assert_int_equal(gpio_index_lookup(idx, "cable13", &chip, &off), 0);
	assert_int_equal(gpio_line_request_at(chip, off, "cable13", CONSUMER,
					      &l),
			 -ESTALE);
	assert_ptr_equal(l, sentinel);

	/* A new scan knows: gone is -ENOENT, moved is found. */
	idx = gpio_index_free(idx);
	assert_int_equal(gpio_index_build(&idx), 0);
	assert_int_equal(gpio_index_lookup(idx, "cable12", &chip, &off),
			 -ENOENT);
	assert_int_equal(gpio_index_lookup(idx, "cable13", &chip, &off),
			 -ENOENT);
	assert_int_equal(gpio_line_request("cable12", CONSUMER, &l), -ENOENT);
	assert_int_equal(gpio_index_lookup(idx, "cable11", &chip, &off), 0);
	assert_int_equal(off, 1);
	assert_int_equal(
		gpio_line_request_at(chip, off, "cable11", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_get_value(l), 0);
	gpio_line_release(l);
}

/* request_at keeps the semantics of gpio_line_request: EBUSY, no IRQ. */
static void test_index_request_busy_and_no_irq(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct gpio_line *l = NULL, *l2 = NULL;
	const char *chip;
	unsigned int off;

	mkchip("gpiochip0");
	put("gpiochip0", "cable14", "1\n");
	put("gpiochip0", "cable14.busy", "");
	mkchip("gpiochip1");
	put("gpiochip1", ".no-events", "");
	put("gpiochip1", "cable15", "1\n");
	assert_int_equal(gpio_index_build(&idx), 0);
	/* Dot files and *.busy are not lines. */
	assert_int_equal(gpio_index_lines(idx), 2);

	assert_int_equal(gpio_index_lookup(idx, "cable14", &chip, &off), 0);
	assert_int_equal(gpio_line_request_at(chip, off, "cable14", CONSUMER,
					      &l),
			 -EBUSY);
	assert_null(l);

	assert_int_equal(gpio_index_lookup(idx, "cable15", &chip, &off), 0);
	assert_int_equal(
		gpio_line_request_at(chip, off, "cable15", CONSUMER, &l), 0);
	assert_int_equal(gpio_line_fd(l), -1);
	assert_int_equal(gpio_line_get_value(l), 1);
	/* Held by us now. */
	assert_int_equal(gpio_line_request_at(chip, off, "cable15", CONSUMER,
					      &l2),
			 -EBUSY);
	assert_null(l2);
	gpio_line_release(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_description),
		cmocka_unit_test_setup(test_found_on_second_chip, setup),
		cmocka_unit_test_setup(test_missing_then_appears, setup),
		cmocka_unit_test_setup(test_value_follows_file, setup),
		cmocka_unit_test_setup(test_edge_events, setup),
		cmocka_unit_test_setup(test_file_replaced, setup),
		cmocka_unit_test_setup(test_busy, setup),
		cmocka_unit_test_setup(test_no_events_fallback, setup),
		cmocka_unit_test_setup(test_no_irq_errno_as_kernel, setup),
		cmocka_unit_test_setup(test_chip_vanishes_and_returns, setup),
		cmocka_unit_test_setup(test_vanished_without_events, setup),
		cmocka_unit_test_setup(test_bad_level, setup),
		cmocka_unit_test_setup(test_index_duplicates, setup),
		cmocka_unit_test_setup(test_index_chip_appears_later, setup),
		cmocka_unit_test_setup(test_index_line_vanished, setup),
		cmocka_unit_test_setup(test_index_request_busy_and_no_irq,
				       setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
