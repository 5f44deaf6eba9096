// SPDX-License-Identifier: Apache-2.0
/*
 * gpio.h on the libgpiod 2.x C API (uAPI v2). 2.x has no global line
 * lookup: the chips are the /dev entries gpiod_is_gpiochip_device()
 * accepts, indexed in name order (as 1.6's chip iterator goes), the
 * first chip with the line wins. libgpiod reports errors as -1 (or NULL)
 * with errno; they become -errno here and nowhere else.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpio-index.h"
#include "gpio.h"
#include "macros.h"

/* At most this many events per drain, so one noisy line cannot starve the
 * loop; the fd stays readable and the caller comes back for the rest. */
#define DRAIN_MAX	  256
#define EVENT_BUFFER_SIZE 16

struct gpio_line {
	struct gpiod_line_request *request;
	struct gpiod_edge_event_buffer *events;
	unsigned int offset;
	char *chip;
	int fd;
};

DEFINE_CLEANUP_FUNC(struct gpio_line, gpio_line_release)
DEFINE_CLEANUP_FUNC(struct gpiod_chip, gpiod_chip_close)
DEFINE_CLEANUP_FUNC(struct gpiod_chip_info, gpiod_chip_info_free)
DEFINE_CLEANUP_FUNC(struct gpiod_line_info, gpiod_line_info_free)
DEFINE_CLEANUP_FUNC(struct gpiod_line_settings, gpiod_line_settings_free)
DEFINE_CLEANUP_FUNC(struct gpiod_line_config, gpiod_line_config_free)
DEFINE_CLEANUP_FUNC(struct gpiod_request_config, gpiod_request_config_free)

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

static void strvfreep(char ***v)
{
	if (*v) {
		for (char **p = *v; *p; p++)
			free(*p);
		free(*v);
	}
}

const char *gpio_api_description(void)
{
	static char buf[64];

	if (!buf[0])
		snprintf(buf, sizeof(buf), "libgpiod %s (API v2)",
			 gpiod_api_version());
	return buf;
}

static bool no_edge_support(int r)
{
	return r == -ENXIO || r == -EINVAL || r == -EOPNOTSUPP;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* NULL-terminated, sorted paths of the GPIO chip devices in /dev. */
static int list_chips(char ***ret)
{
	_cleanup_(strvfreep) char **paths = NULL;
	_cleanup_(closedirp) DIR *d = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	char **tmp, *p;

	d = opendir("/dev");
	if (!d)
		return negative_errno();
	paths = calloc(1, sizeof(*paths));
	if (!paths)
		return -ENOMEM;
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&p, "/dev/%s", de->d_name) < 0)
			return -ENOMEM;
		if (!gpiod_is_gpiochip_device(p)) {
			free(p);
			continue;
		}
		if (n + 2 > cap) {
			cap = cap ? 2 * cap : 8;
			tmp = realloc(paths, cap * sizeof(*paths));
			if (!tmp) {
				free(p);
				return -ENOMEM;
			}
			paths = tmp;
		}
		paths[n++] = p;
		paths[n] = NULL;
	}
	if (errno)
		return negative_errno();
	qsort(paths, n, sizeof(*paths), cmp_str);
	*ret = TAKE_PTR(paths);
	return 0;
}

/* Vanished (or never there): the chip is left out, not an error. */
static bool chip_gone(int r)
{
	return r == -ENOENT || r == -ENODEV;
}

/* Every named line of chip, one line-info read each. */
static int index_chip(struct gpio_index *idx, const char *path)
{
	_cleanup_(gpiod_chip_closep) struct gpiod_chip *chip = NULL;
	_cleanup_(gpiod_chip_info_freep) struct gpiod_chip_info *info = NULL;
	size_t n;
	int c, r;

	chip = gpiod_chip_open(path);
	if (!chip)
		return negative_errno();
	info = gpiod_chip_get_info(chip);
	if (!info)
		return negative_errno();
	n = gpiod_chip_info_get_num_lines(info);
	c = gpio_index_add_chip(idx, path);
	if (c < 0)
		return c;
	for (size_t off = 0; off < n; off++) {
		_cleanup_(gpiod_line_info_freep) struct gpiod_line_info *li =
			NULL;

		li = gpiod_chip_get_line_info(chip, (unsigned int)off);
		if (!li)
			return negative_errno();
		r = gpio_index_add_line(idx, (unsigned int)c, (unsigned int)off,
					gpiod_line_info_get_name(li));
		if (r < 0)
			return r;
	}
	return 0;
}

int gpio_index_build(struct gpio_index **ret)
{
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	_cleanup_(strvfreep) char **paths = NULL;
	int r;

	assert(ret);
	r = gpio_index_new(&idx);
	if (r < 0)
		return r;
	r = list_chips(&paths);
	if (r < 0)
		return r;
	for (char **p = paths; *p; p++) {
		r = index_chip(idx, *p);
		if (r == -ENOMEM)
			return r;
		if (r < 0 && !chip_gone(r))
			gpio_index_note_error(idx, r);
	}
	gpio_index_seal(idx);
	*ret = TAKE_PTR(idx);
	return 0;
}

static int chip_name(struct gpiod_chip *chip, char **ret)
{
	_cleanup_(gpiod_chip_info_freep) struct gpiod_chip_info *info = NULL;
	char *s;

	info = gpiod_chip_get_info(chip);
	if (!info)
		return negative_errno();
	s = strdup(gpiod_chip_info_get_name(info));
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int request(struct gpiod_chip *chip, unsigned int offset,
		   const char *consumer, bool edges,
		   struct gpiod_line_request **ret)
{
	_cleanup_(gpiod_line_settings_freep) struct gpiod_line_settings *s =
		NULL;
	_cleanup_(gpiod_line_config_freep) struct gpiod_line_config *lc = NULL;
	_cleanup_(gpiod_request_config_freep) struct gpiod_request_config *rc =
		NULL;
	struct gpiod_line_request *req;

	s = gpiod_line_settings_new();
	lc = gpiod_line_config_new();
	rc = gpiod_request_config_new();
	if (!s || !lc || !rc)
		return -ENOMEM;
	if (gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT) <
		    0 ||
	    gpiod_line_settings_set_edge_detection(
		    s, edges ? GPIOD_LINE_EDGE_BOTH : GPIOD_LINE_EDGE_NONE) < 0)
		return negative_errno();
	if (gpiod_line_config_add_line_settings(lc, &offset, 1, s) < 0)
		return negative_errno();
	gpiod_request_config_set_consumer(rc, consumer);

	req = gpiod_chip_request_lines(chip, rc, lc);
	if (!req)
		return negative_errno();
	*ret = req;
	return 0;
}

int gpio_line_request_at(const char *path, unsigned int offset,
			 const char *name, const char *consumer,
			 struct gpio_line **ret)
{
	_cleanup_(gpio_line_releasep) struct gpio_line *l = NULL;
	_cleanup_(gpiod_chip_closep) struct gpiod_chip *chip = NULL;
	_cleanup_(gpiod_line_info_freep) struct gpiod_line_info *li = NULL;
	const char *s;
	int r;

	assert(path);
	assert(name);
	assert(consumer);
	assert(ret);

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	l->offset = offset;

	chip = gpiod_chip_open(path);
	if (!chip) {
		r = negative_errno();
		return chip_gone(r) ? -ESTALE : r;
	}
	li = gpiod_chip_get_line_info(chip, offset);
	if (!li) {
		r = negative_errno();
		/* EINVAL: no such offset (any more). */
		return chip_gone(r) || r == -EINVAL ? -ESTALE : r;
	}
	s = gpiod_line_info_get_name(li);
	if (!s || strcmp(s, name))
		return -ESTALE;
	r = chip_name(chip, &l->chip);
	if (r < 0)
		return chip_gone(r) ? -ESTALE : r;

	r = request(chip, l->offset, consumer, true, &l->request);
	if (r == 0) {
		l->fd = gpiod_line_request_get_fd(l->request);
		if (l->fd < 0)
			return negative_errno();
		l->events = gpiod_edge_event_buffer_new(EVENT_BUFFER_SIZE);
		if (!l->events)
			return -ENOMEM;
	} else {
		if (!no_edge_support(r))
			return r;
		/*
		 * No IRQ behind this line: a plain input, polled. Its request
		 * fd never becomes readable, so it is not handed out.
		 */
		r = request(chip, l->offset, consumer, false, &l->request);
		if (r < 0)
			return r;
	}

	/* The request lives on without the chip. */
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
	int n = 0, r;

	assert(line);
	if (line->fd < 0)
		return 0;

	while (n < DRAIN_MAX) {
		r = gpiod_line_request_wait_edge_events(line->request, 0);
		if (r < 0)
			return negative_errno();
		if (r == 0)
			break;
		r = gpiod_line_request_read_edge_events(
			line->request, line->events, EVENT_BUFFER_SIZE);
		if (r < 0)
			return negative_errno();
		n += r;
	}
	return n;
}

int gpio_line_get_value(struct gpio_line *line)
{
	enum gpiod_line_value v;

	assert(line);
	v = gpiod_line_request_get_value(line->request, line->offset);
	if (v == GPIOD_LINE_VALUE_ERROR)
		return negative_errno();
	return v == GPIOD_LINE_VALUE_ACTIVE;
}

struct gpio_line *gpio_line_release(struct gpio_line *line)
{
	if (!line)
		return NULL;
	if (line->request)
		gpiod_line_request_release(line->request);
	if (line->events)
		gpiod_edge_event_buffer_free(line->events);
	free(line->chip);
	free(line);
	return NULL;
}
