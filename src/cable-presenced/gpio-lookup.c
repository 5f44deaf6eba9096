/* SPDX-License-Identifier: Apache-2.0 */
/*
 * gpio_line_request() on top of the line index, the same for both libgpiod
 * APIs: scan every chip once, find the line, request it. A test helper:
 * the daemon shares one index between its lines (cable.c) and is not
 * built with this file; test-gpio-adapter is.
 */
#include <errno.h>

#include "gpio-index.h"
#include "gpio.h"
#include "macros.h"

int gpio_line_request(const char *name, const char *consumer,
		      struct gpio_line **ret)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	const char *chip;
	unsigned int offset;
	int r;

	r = gpio_index_build(&idx);
	if (r < 0)
		return r;
	r = gpio_index_lookup(idx, name, &chip, &offset);
	if (r < 0)
		return r;
	r = gpio_line_request_at(chip, offset, name, consumer, ret);
	return r == -ESTALE ? -ENOENT : r;
}
