// SPDX-License-Identifier: Apache-2.0
/*
 * The pure half of the GPIO line index (src/cable-presenced/gpio-index.c):
 * what a lookup returns for duplicate names, unnamed lines and chips left
 * out of the scan, without any GPIO chip.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gpio-index.h"

static struct gpio_index *new_index(void)
{
	struct gpio_index *idx = NULL;

	assert_int_equal(gpio_index_new(&idx), 0);
	assert_non_null(idx);
	return idx;
}

static void test_empty(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = new_index();
	const char *chip = "untouched";
	unsigned int off = 77;

	gpio_index_seal(idx);
	assert_int_equal(gpio_index_chips(idx), 0);
	assert_int_equal(gpio_index_lines(idx), 0);
	assert_int_equal(gpio_index_lookup(idx, "x", &chip, &off), -ENOENT);
	assert_string_equal(chip, "untouched");
	assert_int_equal(off, 77);
	assert_null(gpio_index_free(NULL));
}

/* First chip in search order wins, then the lowest offset on it. */
static void test_duplicates(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = new_index();
	const char *chip;
	unsigned int off;

	assert_int_equal(gpio_index_add_chip(idx, "gpiochip0"), 0);
	assert_int_equal(gpio_index_add_chip(idx, "gpiochip1"), 1);
	/* Added out of order on purpose: the sort must not depend on it. */
	assert_int_equal(gpio_index_add_line(idx, 1, 0, "dup"), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 9, "dup"), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 4, "dup"), 0);
	assert_int_equal(gpio_index_add_line(idx, 1, 3, "b"), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 2, "a"), 0);
	gpio_index_seal(idx);
	assert_int_equal(gpio_index_lines(idx), 5);

	assert_int_equal(gpio_index_lookup(idx, "dup", &chip, &off), 0);
	assert_string_equal(chip, "gpiochip0");
	assert_int_equal(off, 4);
	assert_int_equal(gpio_index_lookup(idx, "b", &chip, &off), 0);
	assert_string_equal(chip, "gpiochip1");
	assert_int_equal(off, 3);
	assert_int_equal(gpio_index_lookup(idx, "a", &chip, &off), 0);
	assert_int_equal(off, 2);
	/* Neither a prefix nor an extension of a name matches. */
	assert_int_equal(gpio_index_lookup(idx, "du", &chip, &off), -ENOENT);
	assert_int_equal(gpio_index_lookup(idx, "dupe", &chip, &off), -ENOENT);
	assert_int_equal(gpio_index_lookup(idx, "", &chip, &off), -ENOENT);
}

static void test_unnamed_skipped(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = new_index();
	const char *chip;
	unsigned int off;

	assert_int_equal(gpio_index_add_chip(idx, "/dev/gpiochip0"), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 0, NULL), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 1, ""), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 2, "cable0"), 0);
	gpio_index_seal(idx);
	assert_int_equal(gpio_index_lines(idx), 1);
	assert_int_equal(gpio_index_lookup(idx, "cable0", &chip, &off), 0);
	assert_string_equal(chip, "/dev/gpiochip0");
	assert_int_equal(off, 2);
}

/* A chip left out of the scan: its error, not -ENOENT, for names found
 * nowhere else; names found elsewhere are unaffected. */
static void test_scan_error(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = new_index();
	const char *chip;
	unsigned int off;

	assert_int_equal(gpio_index_add_chip(idx, "gpiochip0"), 0);
	assert_int_equal(gpio_index_add_line(idx, 0, 0, "cable0"), 0);
	gpio_index_note_error(idx, -EACCES);
	gpio_index_note_error(idx, -EIO); /* the first one is kept */
	gpio_index_seal(idx);
	assert_int_equal(gpio_index_lookup(idx, "cable0", &chip, &off), 0);
	assert_int_equal(gpio_index_lookup(idx, "cable1", &chip, &off),
			 -EACCES);
}

static void test_many(void **state)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = new_index();
	const char *chip;
	unsigned int off;
	char name[32];

	for (int c = 0; c < 8; c++) {
		snprintf(name, sizeof(name), "gpiochip%d", c);
		assert_int_equal(gpio_index_add_chip(idx, name), c);
	}
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "CABLE%d_PRSNT_N", i);
		assert_int_equal(gpio_index_add_line(idx, (unsigned int)(i % 8),
						     (unsigned int)(i / 8),
						     name),
				 0);
	}
	gpio_index_seal(idx);
	assert_int_equal(gpio_index_chips(idx), 8);
	assert_int_equal(gpio_index_lines(idx), 2000);
	for (int i = 0; i < 2000; i++) {
		char want[32];

		snprintf(name, sizeof(name), "CABLE%d_PRSNT_N", i);
		snprintf(want, sizeof(want), "gpiochip%d", i % 8);
		assert_int_equal(gpio_index_lookup(idx, name, &chip, &off), 0);
		assert_string_equal(chip, want);
		assert_int_equal(off, (unsigned int)(i / 8));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_unnamed_skipped),
		cmocka_unit_test(test_scan_error),
		cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
