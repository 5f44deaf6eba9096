/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Building a struct gpio_index (gpio.h): the pure half, shared by both
 * libgpiod adapters. An adapter makes an empty index, adds the chips in
 * the order they are searched and each chip's named lines, and seals it;
 * lookups then need no I/O.
 */
#pragma once

#include "gpio.h"
#include "macros.h"

DEFINE_CLEANUP_FUNC(struct gpio_index, gpio_index_free)

int gpio_index_new(struct gpio_index **ret);

/*
 * Add the next chip in search order; chip is the string handed back by
 * gpio_index_lookup() (the adapter's way to open it again). Returns the
 * chip's number (for gpio_index_add_line) or -ENOMEM.
 */
int gpio_index_add_chip(struct gpio_index *idx, const char *chip);

/* A line of chip number chip; unnamed lines (NULL or "") are skipped. */
int gpio_index_add_line(struct gpio_index *idx, unsigned int chip,
			unsigned int offset, const char *name);

/* Remember the first error that left a chip out (for lookups). */
void gpio_index_note_error(struct gpio_index *idx, int err);

/* Done adding: sorts the lines for lookups. */
void gpio_index_seal(struct gpio_index *idx);
