// SPDX-License-Identifier: Apache-2.0
/*
 * libgpiod 1.6 face of the GPIO sim: the functions gpio-v1.c calls. With
 * GPIO_SIM_DIR set, gpiod_line_find() looks only at the sim chips and
 * returns a sim line (with its own sim chip); every function given an
 * object the sim did not create passes it to the real libgpiod.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpiod-sim.h"

struct sim_v1_line {
	struct sim_line line;
	/* gpiod_line_find() opens a chip per line; this is it. */
	char chip_tag;
};

static struct sim_v1_line *v1_line(struct gpiod_line *line)
{
	return sim_owns(line) ? (struct sim_v1_line *)line : NULL;
}

static struct sim_v1_line *v1_chip(struct gpiod_chip *chip)
{
	/* The chip is the line's chip_tag member. */
	char *p = (char *)chip;
	struct sim_v1_line *l;

	if (!chip)
		return NULL;
	l = (struct sim_v1_line *)(p - __builtin_offsetof(struct sim_v1_line,
							  chip_tag));
	return sim_owns(l) ? l : NULL;
}

static int fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

struct gpiod_line *gpiod_line_find(const char *name)
{
	struct sim_v1_line *l;
	char **chips;
	int n, off = -ENOENT, i;

	SIM_REAL(gpiod_line_find);
	if (!sim_dir())
		return real(name);

	n = sim_chip_list(&chips);
	if (n < 0) {
		errno = -n;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		off = sim_line_offset(chips[i], name);
		if (off >= 0 || (off != -ENOENT && off != -ENODEV))
			break;
	}
	/* A chip vanishing during the scan is just one chip fewer. */
	if (off < 0) {
		sim_list_free(chips);
		errno = off == -ENODEV ? ENOENT : -off;
		return NULL;
	}
	l = malloc(sizeof(*l));
	if (!l) {
		sim_list_free(chips);
		errno = ENOMEM;
		return NULL;
	}
	sim_line_init(&l->line);
	l->line.chip = strdup(chips[i]);
	l->line.name = strdup(name);
	l->line.offset = (unsigned int)off;
	sim_list_free(chips);
	if (!l->line.chip || !l->line.name) {
		sim_line_done(&l->line);
		free(l);
		errno = ENOMEM;
		return NULL;
	}
	sim_register(l);
	return (struct gpiod_line *)l;
}

struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_get_chip);
	return l ? (struct gpiod_chip *)&l->chip_tag : real(line);
}

const char *gpiod_chip_name(struct gpiod_chip *chip)
{
	struct sim_v1_line *l = v1_chip(chip);

	SIM_REAL(gpiod_chip_name);
	return l ? l->line.chip : real(chip);
}

void gpiod_line_close_chip(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_close_chip);
	if (!l) {
		real(line);
		return;
	}
	sim_unregister(l);
	sim_line_done(&l->line);
	free(l);
}

int gpiod_line_request_both_edges_events(struct gpiod_line *line,
					 const char *consumer)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_request_both_edges_events);
	if (!l)
		return real(line, consumer);
	if (l->line.requested)
		return fail(-EBUSY);
	/* v1 uAPI: lineevent_create fails ENODEV without an IRQ. */
	r = sim_line_request(&l->line, true, -ENODEV);
	return r < 0 ? fail(r) : 0;
}

int gpiod_line_request_input(struct gpiod_line *line, const char *consumer)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_request_input);
	if (!l)
		return real(line, consumer);
	if (l->line.requested)
		return fail(-EBUSY);
	r = sim_line_request(&l->line, false, -ENODEV);
	return r < 0 ? fail(r) : 0;
}

void gpiod_line_release(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_release);
	if (!l) {
		real(line);
		return;
	}
	sim_line_release(&l->line);
}

int gpiod_line_event_get_fd(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_event_get_fd);
	if (!l)
		return real(line);
	/* As libgpiod 1.6: only lines requested for events have one. */
	if (!l->line.requested || !l->line.edges)
		return fail(-EPERM);
	return l->line.ifd;
}

int gpiod_line_event_wait(struct gpiod_line *line,
			  const struct timespec *timeout)
{
	struct sim_v1_line *l = v1_line(line);
	int ms = -1, r;

	SIM_REAL(gpiod_line_event_wait);
	if (!l)
		return real(line, timeout);
	if (timeout) {
		long long t = (long long)timeout->tv_sec * 1000 +
			      (timeout->tv_nsec + 999999) / 1000000;

		ms = t > 0x7fffffff ? 0x7fffffff : (int)t;
	}
	r = sim_line_wait(&l->line, ms);
	return r < 0 ? fail(r) : r;
}

int gpiod_line_event_read(struct gpiod_line *line,
			  struct gpiod_line_event *event)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_event_read);
	if (!l)
		return real(line, event);
	r = sim_line_read_event(&l->line);
	if (r < 0)
		return fail(r);
	clock_gettime(CLOCK_MONOTONIC, &event->ts);
	event->event_type = r ? GPIOD_LINE_EVENT_RISING_EDGE :
				GPIOD_LINE_EVENT_FALLING_EDGE;
	return 0;
}

int gpiod_line_get_value(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_get_value);
	if (!l)
		return real(line);
	r = sim_line_get_value(&l->line);
	return r < 0 ? fail(r) : r;
}
