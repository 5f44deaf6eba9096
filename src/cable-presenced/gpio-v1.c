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

#include "gpio.h"
#include "macros.h"

/* At most this many events per drain, so one noisy line cannot starve the
 * loop; the fd stays readable and the caller comes back for the rest. */
#define DRAIN_MAX 256

struct gpio_line {
	struct gpiod_line *line; /* owns its chip (gpiod_line_find) */
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

int gpio_line_request(const char *name, const char *consumer,
		      struct gpio_line **ret)
{
	_cleanup_(gpio_line_releasep) struct gpio_line *l = NULL;
	struct gpiod_chip *chip;
	const char *chip_name;
	int r;

	assert(name);
	assert(consumer);
	assert(ret);

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;

	errno = 0;
	l->line = gpiod_line_find(name);
	if (!l->line)
		return errno ? -errno : -ENOENT;

	chip = gpiod_line_get_chip(l->line);
	chip_name = chip ? gpiod_chip_name(chip) : NULL;
	l->chip = strdup(chip_name ? chip_name : "");
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
