// SPDX-License-Identifier: Apache-2.0
/*
 * gpio.h on the libgpiod 1.6 C API (uAPI v1). libgpiod reports errors as
 * -1 (or NULL) with errno; they become -errno here and nowhere else.
 */
#include <assert.h>
#include <errno.h>
#include <gpiod.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpio-index.h"
#include "gpio.h"
#include "macros.h"

/* At most this many events per drain, so one noisy line cannot starve the
 * loop; the fd stays readable and the caller comes back for the rest. */
#define DRAIN_MAX 256

struct gpio_line {
	struct gpiod_line *line; /* owns its chip (gpiod_line_close_chip) */
	char *chip;
	int fd;
	bool requested;
};

DEFINE_CLEANUP_FUNC(struct gpio_line, gpio_line_release)

const char *gpio_api_description(void)
{
	static char buf[64];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libgpiod %s (API v1)",
			 gpiod_version_string());
	return buf;
}

/*
 * The v1 uAPI (lineevent_create in the kernel's gpiolib-cdev.c) fails with
 * -ENODEV when the line has no IRQ; -ENXIO, -EINVAL and -EOPNOTSUPP come
 * from other kernels and drivers. -ENODEV also means "chip gone": then
 * the plain input request that follows fails as well and that error is
 * returned.
 */
static bool no_edge_support(int r)
{
	return r == -ENODEV || r == -ENXIO || r == -EINVAL || r == -EOPNOTSUPP;
}

/* Vanished (or never there): the chip is left out, not an error. */
static bool chip_gone(int r)
{
	return r == -ENOENT || r == -ENODEV;
}

/* Every named line of chip, one line-info read each. */
static int index_chip(struct gpio_index *idx, struct gpiod_chip *chip)
{
	unsigned int n = gpiod_chip_num_lines(chip);
	const char *name = gpiod_chip_name(chip);
	int c;

	c = gpio_index_add_chip(idx, name ? name : "");
	if (c < 0)
		return c;
	for (unsigned int off = 0; off < n; off++) {
		struct gpiod_line *line = gpiod_chip_get_line(chip, off);
		int r;

		if (!line)
			return negative_errno();
		r = gpio_index_add_line(idx, (unsigned int)c, off,
					gpiod_line_name(line));
		if (r < 0)
			return r;
	}
	return 0;
}

int gpio_index_build(struct gpio_index **ret)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct gpiod_chip_iter *iter;
	struct gpiod_chip *chip;
	int r = 0;

	assert(ret);
	r = gpio_index_new(&idx);
	if (r < 0)
		return r;
	/* libgpiod 1.6's iterator: /dev in alphasort order, every chip
	 * opened up front (it fails when one cannot be). */
	iter = gpiod_chip_iter_new();
	if (!iter)
		return negative_errno();
	/* The noclose variants: each chip handed out is ours to close, the
	 * rest are closed by gpiod_chip_iter_free_noclose(). */
	while ((chip = gpiod_chip_iter_next_noclose(iter))) {
		r = index_chip(idx, chip);
		gpiod_chip_close(chip);
		if (r == -ENOMEM)
			break;
		if (r < 0 && !chip_gone(r))
			gpio_index_note_error(idx, r);
		r = 0;
	}
	gpiod_chip_iter_free_noclose(iter);
	if (r < 0)
		return r;
	gpio_index_seal(idx);
	*ret = TAKE_PTR(idx);
	return 0;
}

int gpio_line_request_at(const char *chip_name, unsigned int offset,
			 const char *name, const char *consumer,
			 struct gpio_line **ret)
{
	_cleanup_(gpio_line_releasep) struct gpio_line *l = NULL;
	struct gpiod_chip *chip;
	struct gpiod_line *line;
	const char *s;
	int r;

	assert(chip_name);
	assert(name);
	assert(consumer);
	assert(ret);

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;

	chip = gpiod_chip_open_by_name(chip_name);
	if (!chip) {
		r = negative_errno();
		return chip_gone(r) ? -ESTALE : r;
	}
	line = gpiod_chip_get_line(chip, offset);
	if (!line) {
		r = negative_errno();
		gpiod_chip_close(chip);
		/* EINVAL: no such offset (any more). */
		return chip_gone(r) || r == -EINVAL ? -ESTALE : r;
	}
	/* From here the line owns its chip (gpiod_line_close_chip). */
	l->line = line;
	s = gpiod_line_name(line);
	if (!s || strcmp(s, name))
		return -ESTALE;
	s = gpiod_chip_name(chip);
	l->chip = strdup(s ? s : "");
	if (!l->chip)
		return -ENOMEM;

	if (gpiod_line_request_both_edges_events(l->line, consumer) == 0) {
		l->requested = true;
		l->fd = gpiod_line_event_get_fd(l->line);
		if (l->fd < 0)
			return negative_errno();
	} else {
		r = negative_errno();
		if (!no_edge_support(r))
			return r;
		/* No IRQ behind this line: a plain input, polled. */
		if (gpiod_line_request_input(l->line, consumer) < 0)
			return negative_errno();
		l->requested = true;
	}

	*ret = TAKE_PTR(l);
	return 0;
}

int gpio_line_fd(const struct gpio_line *line)
{
	assert(line);
	return line->fd;
}

const char *gpio_line_chip(const struct gpio_line *line)
{
	assert(line);
	return line->chip;
}

int gpio_line_drain_events(struct gpio_line *line)
{
	const struct timespec zero = { 0, 0 };
	struct gpiod_line_event ev;
	int n, r;

	assert(line);
	if (line->fd < 0)
		return 0;

	for (n = 0; n < DRAIN_MAX; n++) {
		r = gpiod_line_event_wait(line->line, &zero);
		if (r < 0)
			return negative_errno();
		if (r == 0)
			break;
		if (gpiod_line_event_read(line->line, &ev) < 0)
			return negative_errno();
	}
	return n;
}

int gpio_line_get_value(struct gpio_line *line)
{
	int r;

	assert(line);
	r = gpiod_line_get_value(line->line);
	if (r < 0)
		return negative_errno();
	return r;
}

struct gpio_line *gpio_line_release(struct gpio_line *line)
{
	if (!line)
		return NULL;
	if (line->line) {
		if (line->requested)
			gpiod_line_release(line->line);
		gpiod_line_close_chip(line->line);
	}
	free(line->chip);
	free(line);
	return NULL;
}
