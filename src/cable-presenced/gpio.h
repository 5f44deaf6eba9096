/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The thin edge between cable-presenced and libgpiod. One implementation
 * per libgpiod API major: gpio-v1.c (1.6, what meta-phosphor pins) and
 * gpio-v2.c (2.x); meson builds the one that matches the library found.
 * Everything above this header is the same for both.
 *
 * Levels are physical (no active-low flag is requested); the caller
 * applies the record's polarity.
 */
#pragma once

#include <stddef.h>

struct gpio_line;

/* "libgpiod 1.6.3 (API v1)" and the like. */
const char *gpio_api_description(void);

/*
 * Where the lines are: every GPIO chip scanned once (one line-info read
 * per line), names mapped to (chip, offset). Finding N lines costs one
 * scan instead of N: build an index, look every name up in it, request
 * with gpio_line_request_at(). An index is a snapshot: chips and lines
 * that come later are in the next one.
 */
struct gpio_index;

/*
 * Scan the chips in name order (libgpiod 1.6's own order, strcmp order
 * for 2.x, as gpiod_line_find and the v2 /dev scan always did). A chip
 * that vanishes during the scan is left out; another error on a chip
 * leaves it out too and is what gpio_index_lookup() returns for a name
 * found nowhere else. Returns 0 or -errno (libgpiod 1.6: also when a
 * chip cannot be opened, as its chip iterator fails then).
 */
int gpio_index_build(struct gpio_index **ret);

/* NULL is fine. Returns NULL. */
struct gpio_index *gpio_index_free(struct gpio_index *idx);

/*
 * The chip and offset of the line called name: the first chip in name
 * order that has one wins, and the lowest offset on that chip. ret_chip
 * is the index's string (valid while idx is), what gpio_line_request_at()
 * takes. Returns 0, -ENOENT (or the error that left a chip out of the
 * scan) when no indexed chip has such a line.
 */
int gpio_index_lookup(const struct gpio_index *idx, const char *name,
		      const char **ret_chip, unsigned int *ret_offset);

/* Number of chips scanned and of named lines indexed. */
size_t gpio_index_chips(const struct gpio_index *idx);
size_t gpio_index_lines(const struct gpio_index *idx);

/*
 * Request the line at offset on chip (as gpio_index_lookup() gave them)
 * as an input with both-edge events, after checking that it is still
 * called name. When the chip cannot deliver events (no IRQ: -ENODEV from
 * the v1 uAPI, -ENXIO from v2, or -EINVAL or -EOPNOTSUPP from the edge
 * request), the line is requested as a plain input instead and
 * gpio_line_fd() returns -1: the caller tracks it by polling.
 * Returns 0; -ESTALE when the chip is gone or the line at offset is not
 * (or no longer) called name: the index is out of date, build a new
 * one; -EBUSY when another consumer holds the line; or another -errno.
 */
int gpio_line_request_at(const char *chip, unsigned int offset,
			 const char *name, const char *consumer,
			 struct gpio_line **ret);

/*
 * Test helper, not part of the daemon: gpio-lookup.c is built only into
 * test-gpio-adapter (test/sim/gpio), which requests lines one by one.
 * One line by name: gpio_index_build(), gpio_index_lookup() and
 * gpio_line_request_at() (a full scan each call). Same returns, with
 * -ENOENT when no chip has such a line (also when it went away between
 * the scan and the request).
 */
int gpio_line_request(const char *name, const char *consumer,
		      struct gpio_line **ret);

/* The fd that becomes readable when edge events are pending, or -1. */
int gpio_line_fd(const struct gpio_line *line);

/* Name of the chip the line was found on ("gpiochip3"). */
const char *gpio_line_chip(const struct gpio_line *line);

/*
 * Read and discard every pending edge event without blocking. Returns the
 * number of events read (0 if none were pending) or -errno; -ENODEV (or
 * another error) means the chip went away and the line must be released
 * and requested again.
 */
int gpio_line_drain_events(struct gpio_line *line);

/* The physical level, 0 or 1, or -errno. */
int gpio_line_get_value(struct gpio_line *line);

/* Release the line (NULL is fine). Returns NULL. */
struct gpio_line *gpio_line_release(struct gpio_line *line);
