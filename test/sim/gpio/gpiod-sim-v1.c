// SPDX-License-Identifier: Apache-2.0
/*
 * libgpiod 1.6 face of the GPIO sim: the functions gpio-v1.c calls. With
 * GPIO_SIM_DIR set, the chip iterator, gpiod_chip_open_by_name() and
 * gpiod_line_find() see only the sim chips and hand out sim chips and
 * lines (a line belongs to its chip, as in libgpiod); every function
 * given an object the sim did not create passes it to the real libgpiod.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gpiod-sim.h"

struct sim_v1_chip;

struct sim_v1_line {
	struct sim_line line; /* name NULL: unnamed (no file at offset) */
	struct sim_v1_chip *chip;
};

/* An open chip: its line count is fixed when it is opened, as a real
 * chip's is; line objects are made by gpiod_chip_get_line(). */
struct sim_v1_chip {
	char *name;
	/* The line files when it was opened: a real chip's lines are fixed
	 * while it is open, and reading the info of one is O(1). */
	char **names;
	unsigned int num_lines;
	struct sim_v1_line **lines; /* by offset */
};

/* libgpiod 1.6's iterator: every chip opened up front. */
struct sim_v1_iter {
	struct gpiod_chip **chips;
	unsigned int n, next;
};

static struct sim_v1_line *v1_line(struct gpiod_line *line)
{
	return sim_owns(line) ? (struct sim_v1_line *)line : NULL;
}

static struct sim_v1_chip *v1_chip(struct gpiod_chip *chip)
{
	return sim_owns(chip) ? (struct sim_v1_chip *)chip : NULL;
}

static struct sim_v1_iter *v1_iter(struct gpiod_chip_iter *iter)
{
	return sim_owns(iter) ? (struct sim_v1_iter *)iter : NULL;
}

static int fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

static void *fail_null(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

/* Open sim chip name; NULL + ENOENT when there is no such chip. */
static struct gpiod_chip *chip_open(const char *name)
{
	struct sim_v1_chip *c;
	char **names;
	int n;

	if (!sim_chip_exists(name))
		return fail_null(-ENOENT);
	n = sim_line_list(name, &names);
	if (n < 0)
		return fail_null(n == -ENODEV ? -ENOENT : n);
	c = calloc(1, sizeof(*c));
	if (!c) {
		sim_list_free(names);
		return fail_null(-ENOMEM);
	}
	c->name = strdup(name);
	c->names = names;
	c->num_lines = (unsigned int)n;
	if (n > 0)
		c->lines = calloc((size_t)n, sizeof(*c->lines));
	if (!c->name || (n > 0 && !c->lines)) {
		sim_list_free(c->names);
		free(c->name);
		free(c);
		return fail_null(-ENOMEM);
	}
	sim_register(c);
	return (struct gpiod_chip *)c;
}

static void chip_close(struct sim_v1_chip *c)
{
	sim_unregister(c);
	for (unsigned int i = 0; i < c->num_lines; i++) {
		struct sim_v1_line *l = c->lines[i];

		if (!l)
			continue;
		sim_unregister(l);
		sim_line_done(&l->line);
		free(l);
	}
	free(c->lines);
	sim_list_free(c->names);
	free(c->name);
	free(c);
}

/*
 * A chip with a requested line is held for as long as the line is (the
 * daemon holds one per cable): its copy of the line list goes, so that
 * the sim does not make it cost more memory than a real chip.
 */
static void chip_drop_names(struct sim_v1_chip *c)
{
	c->names = sim_list_free(c->names);
}

struct gpiod_chip *gpiod_chip_open_by_name(const char *name)
{
	SIM_REAL(gpiod_chip_open_by_name);
	if (!sim_dir())
		return real(name);
	return chip_open(name);
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	struct sim_v1_chip *c = v1_chip(chip);

	SIM_REAL(gpiod_chip_close);
	if (!c) {
		real(chip);
		return;
	}
	chip_close(c);
}

const char *gpiod_chip_name(struct gpiod_chip *chip)
{
	struct sim_v1_chip *c = v1_chip(chip);

	SIM_REAL(gpiod_chip_name);
	return c ? c->name : real(chip);
}

unsigned int gpiod_chip_num_lines(struct gpiod_chip *chip)
{
	struct sim_v1_chip *c = v1_chip(chip);

	SIM_REAL(gpiod_chip_num_lines);
	return c ? c->num_lines : real(chip);
}

/*
 * As libgpiod 1.6, which reads the line info again on every call: the
 * name is that of the line file at offset when the chip was opened, NULL
 * when that file is gone since (the sim's offsets shift as files come
 * and go); a requested line keeps its name. ENODEV when the chip is gone.
 */
struct gpiod_line *gpiod_chip_get_line(struct gpiod_chip *chip,
				       unsigned int offset)
{
	struct sim_v1_chip *c = v1_chip(chip);
	struct sim_v1_line *l;
	char *name;

	SIM_REAL(gpiod_chip_get_line);
	if (!c)
		return real(chip, offset);
	if (offset >= c->num_lines)
		return fail_null(-EINVAL);
	if (!sim_chip_exists(c->name))
		return fail_null(-ENODEV);
	l = c->lines[offset];
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return fail_null(-ENOMEM);
		sim_line_init(&l->line);
		l->chip = c;
		l->line.offset = offset;
		l->line.chip = strdup(c->name);
		if (!l->line.chip) {
			free(l);
			return fail_null(-ENOMEM);
		}
		c->lines[offset] = l;
		sim_register(l);
	}
	if (!l->line.requested) {
		name = NULL;
		if (!c->names) {
			/* Dropped (see chip_drop_names): the file now. */
			name = sim_line_name(c->name, offset);
			if (!name && errno != EINVAL)
				return fail_null(errno == ENOMEM ? -ENOMEM :
								   -ENODEV);
		} else if (sim_line_exists(c->name, c->names[offset])) {
			name = strdup(c->names[offset]);
			if (!name)
				return fail_null(-ENOMEM);
		}
		free(l->line.name);
		l->line.name = name;
	}
	return (struct gpiod_line *)l;
}

const char *gpiod_line_name(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_name);
	return l ? l->line.name : real(line);
}

struct gpiod_chip *gpiod_line_get_chip(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_get_chip);
	return l ? (struct gpiod_chip *)l->chip : real(line);
}

void gpiod_line_close_chip(struct gpiod_line *line)
{
	struct sim_v1_line *l = v1_line(line);

	SIM_REAL(gpiod_line_close_chip);
	if (!l) {
		real(line);
		return;
	}
	chip_close(l->chip);
}

/* ---- chip iterator ---- */

struct gpiod_chip_iter *gpiod_chip_iter_new(void)
{
	struct sim_v1_iter *it;
	char **chips;
	int n;

	SIM_REAL(gpiod_chip_iter_new);
	if (!sim_dir())
		return real();
	n = sim_chip_list(&chips);
	if (n < 0)
		return fail_null(n);
	it = calloc(1, sizeof(*it));
	if (it && n > 0)
		it->chips = calloc((size_t)n, sizeof(*it->chips));
	if (!it || (n > 0 && !it->chips)) {
		free(it);
		sim_list_free(chips);
		return fail_null(-ENOMEM);
	}
	/* As 1.6: one chip that cannot be opened fails the iterator. */
	for (int i = 0; i < n; i++) {
		it->chips[i] = chip_open(chips[i]);
		if (!it->chips[i]) {
			int err = errno;

			for (int j = 0; j < i; j++)
				chip_close(v1_chip(it->chips[j]));
			free(it->chips);
			free(it);
			sim_list_free(chips);
			return fail_null(-err);
		}
	}
	it->n = (unsigned int)n;
	sim_list_free(chips);
	sim_register(it);
	return (struct gpiod_chip_iter *)it;
}

void gpiod_chip_iter_free_noclose(struct gpiod_chip_iter *iter)
{
	struct sim_v1_iter *it = v1_iter(iter);

	SIM_REAL(gpiod_chip_iter_free_noclose);
	if (!it) {
		real(iter);
		return;
	}
	/* The chips not handed out yet. */
	for (unsigned int i = it->next; i < it->n; i++)
		chip_close(v1_chip(it->chips[i]));
	sim_unregister(it);
	free(it->chips);
	free(it);
}

void gpiod_chip_iter_free(struct gpiod_chip_iter *iter)
{
	struct sim_v1_iter *it = v1_iter(iter);

	SIM_REAL(gpiod_chip_iter_free);
	if (!it) {
		real(iter);
		return;
	}
	/* And the one handed out last, unless gpiod_chip_iter_next()
	 * closed it already. */
	if (it->next > 0 && it->chips[it->next - 1]) {
		chip_close(v1_chip(it->chips[it->next - 1]));
		it->chips[it->next - 1] = NULL;
	}
	gpiod_chip_iter_free_noclose(iter);
}

struct gpiod_chip *gpiod_chip_iter_next_noclose(struct gpiod_chip_iter *iter)
{
	struct sim_v1_iter *it = v1_iter(iter);

	SIM_REAL(gpiod_chip_iter_next_noclose);
	if (!it)
		return real(iter);
	return it->next < it->n ? it->chips[it->next++] : NULL;
}

struct gpiod_chip *gpiod_chip_iter_next(struct gpiod_chip_iter *iter)
{
	struct sim_v1_iter *it = v1_iter(iter);

	SIM_REAL(gpiod_chip_iter_next);
	if (!it)
		return real(iter);
	if (it->next > 0 && it->chips[it->next - 1]) {
		chip_close(v1_chip(it->chips[it->next - 1]));
		it->chips[it->next - 1] = NULL;
	}
	return gpiod_chip_iter_next_noclose(iter);
}

/* ---- lines ---- */

/* As 1.6: the chips in name order, the first with the line wins. */
struct gpiod_line *gpiod_line_find(const char *name)
{
	struct gpiod_chip *chip = NULL;
	struct gpiod_line *line;
	char **chips;
	int n, off = -ENOENT, i;

	SIM_REAL(gpiod_line_find);
	if (!sim_dir())
		return real(name);

	n = sim_chip_list(&chips);
	if (n < 0)
		return fail_null(n);
	for (i = 0; i < n; i++) {
		off = sim_line_offset(chips[i], name);
		if (off >= 0 || (off != -ENOENT && off != -ENODEV))
			break;
	}
	/* A chip vanishing during the scan is just one chip fewer. */
	if (off >= 0)
		chip = chip_open(chips[i]);
	sim_list_free(chips);
	if (off < 0)
		return fail_null(off == -ENODEV ? -ENOENT : off);
	if (!chip)
		return NULL;
	line = gpiod_chip_get_line(chip, (unsigned int)off);
	if (!line || !gpiod_line_name(line) ||
	    strcmp(gpiod_line_name(line), name)) {
		chip_close(v1_chip(chip));
		return fail_null(-ENOENT);
	}
	return line;
}

int gpiod_line_request_both_edges_events(struct gpiod_line *line,
					 const char *consumer)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_request_both_edges_events);
	if (!l)
		return real(line, consumer);
	if (!l->line.name)
		return fail(-EINVAL); /* unnamed: no line file */
	if (l->line.requested)
		return fail(-EBUSY);
	/* v1 uAPI: lineevent_create fails ENODEV without an IRQ. */
	r = sim_line_request(&l->line, true, -ENODEV);
	if (r < 0)
		return fail(r);
	chip_drop_names(l->chip);
	return 0;
}

int gpiod_line_request_input(struct gpiod_line *line, const char *consumer)
{
	struct sim_v1_line *l = v1_line(line);
	int r;

	SIM_REAL(gpiod_line_request_input);
	if (!l)
		return real(line, consumer);
	if (!l->line.name)
		return fail(-EINVAL); /* unnamed: no line file */
	if (l->line.requested)
		return fail(-EBUSY);
	r = sim_line_request(&l->line, false, -ENODEV);
	if (r < 0)
		return fail(r);
	chip_drop_names(l->chip);
	return 0;
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
