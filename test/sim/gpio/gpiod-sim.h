/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The API-independent half of the fake libgpiod: GPIO chips and lines
 * backed by files under $GPIO_SIM_DIR, edge events from inotify.
 * gpiod-sim-v1.c and gpiod-sim-v2.c put the libgpiod 1.6 and 2.x faces on
 * it. See README.md for the file layout scripts rely on.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* $GPIO_SIM_DIR when set and not empty (the sim is active), else NULL. */
const char *sim_dir(void);

/* Resolve the next definition of sym (the real libgpiod or libc). */
void *sim_real(const char *sym);

/*
 * Declares and resolves once a pointer "real" to the next definition of
 * fn, with fn's own type.
 */
#define SIM_REAL(fn)                                         \
	static __typeof__(&fn) real;                         \
	if (!real) {                                         \
		void *_p_ = sim_real(#fn);                   \
		__builtin_memcpy(&real, &_p_, sizeof(real)); \
	}

/* Is there a chip directory called name? */
bool sim_chip_exists(const char *chip);

/* Is there a line file name on chip? */
bool sim_line_exists(const char *chip, const char *name);

/* Sorted names of the chip directories. Returns the count or -errno. */
int sim_chip_list(char ***ret);

/*
 * Sorted names of the chip's lines (regular files not starting with '.',
 * not ending in ".busy"); a line's offset is its index. Returns the count,
 * -ENODEV when the chip directory is gone, or -errno.
 */
int sim_line_list(const char *chip, char ***ret);

/* Frees a list from sim_chip_list/sim_line_list. Returns NULL. */
char **sim_list_free(char **list);

/* Offset of line name on chip, -ENOENT or -ENODEV. */
int sim_line_offset(const char *chip, const char *name);

/* Name of the line at offset on chip, newly allocated, or NULL + errno. */
char *sim_line_name(const char *chip, unsigned int offset);

/* Level of a line file: 0, 1, -ENODEV (gone) or -EIO (bad content). */
int sim_read_level(const char *chip, const char *name);

/* A requested line. */
struct sim_line {
	struct sim_line *next; /* in the list of requested lines */
	char *chip;
	char *name;
	unsigned int offset;
	bool edges;
	bool requested;
	bool gone; /* sticky: the line or its chip went away */
	int ifd; /* inotify fd: the event fd */
	int file_wd, dir_wd;
	int last; /* level last reported (by request or an event) */
	int pending; /* -1, or the level of a synthesized, unread event */
};

/* A line object not yet requested (fields zeroed, fds -1). */
void sim_line_init(struct sim_line *l);

/*
 * Request l (chip, name and offset set) as an input, with edge events when
 * edges is set. -EBUSY when "<name>.busy" exists or the line is already
 * requested in this process, no_irq_err for edges on a chip with
 * ".no-events" (what the kernel returns when the line has no IRQ: -ENODEV
 * from the v1 uAPI's lineevent_create, -ENXIO from v2's
 * edge_detector_setup), -ENODEV when the line or chip is gone, -EMFILE
 * when out of inotify instances (see README.md).
 */
int sim_line_request(struct sim_line *l, bool edges, int no_irq_err);

/* Undo sim_line_request (no-op when not requested); keeps chip/name. */
void sim_line_release(struct sim_line *l);

/* Frees chip and name after releasing. */
void sim_line_done(struct sim_line *l);

/* Current level of a requested line: 0, 1 or -errno. */
int sim_line_get_value(struct sim_line *l);

/*
 * Wait up to timeout_ms (-1: forever, 0: just look) for an edge event.
 * Returns 1 when one is pending, 0 on timeout, -errno (-ENODEV when the
 * line or chip vanished, sticky).
 */
int sim_line_wait(struct sim_line *l, int timeout_ms);

/* Take the pending event, waiting for one. Returns its new level or -errno. */
int sim_line_read_event(struct sim_line *l);

/* Registry of objects the sim handed out, to tell them from real ones. */
void sim_register(void *obj);
void sim_unregister(void *obj);
bool sim_owns(const void *obj);
