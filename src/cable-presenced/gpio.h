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

struct gpio_line;

/* "libgpiod 1.6.3 (API v1)" and the like. */
const char *gpio_api_description(void);

/*
 * Find the line called name on any GPIO chip and request it as an input
 * with both-edge events. When the chip cannot deliver events (no IRQ:
 * -ENODEV from the v1 uAPI, -ENXIO from v2, or -EINVAL or -EOPNOTSUPP
 * from the edge request), the line is requested as a plain input instead
 * and gpio_line_fd() returns -1: the caller tracks it by polling.
 * Returns 0, -ENOENT when no chip has such a line, -EBUSY when another
 * consumer holds it, or another -errno.
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
