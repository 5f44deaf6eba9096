// SPDX-License-Identifier: Apache-2.0
/*
 * libgpiod 2.x face of the GPIO sim: the functions gpio-v2.c calls, plus
 * opendir/readdir/closedir for "/dev" so that the chip scan finds the sim
 * chips. With GPIO_SIM_DIR set, "/dev" lists exactly the sim chips and
 * "/dev/<chip>" opens one; every other path, and every object the sim did
 * not create, goes to the real function. Settings and config objects are
 * the real library's: the sim only reads them.
 */
/* readdir and readdir64 are both defined here: no redirection, please. */
#undef _FILE_OFFSET_BITS

#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "gpiod-sim.h"

struct sim_chip {
	char *name;
	/* The line files when it was opened: a real chip's lines are fixed
	 * while it is open, and reading the info of one is O(1). */
	char **lines;
	unsigned int num_lines;
};

struct sim_chip_info {
	char *name;
	size_t num_lines;
};

struct sim_line_info {
	char *name; /* NULL: unnamed */
	unsigned int offset;
};

struct sim_request {
	struct sim_line line;
};

struct sim_dir {
	struct dirent64 *ents;
	size_t n, next;
};

_Static_assert(sizeof(struct dirent) == sizeof(struct dirent64) &&
		       __builtin_offsetof(struct dirent, d_name) ==
			       __builtin_offsetof(struct dirent64, d_name),
	       "struct dirent and dirent64 differ on this ABI");

static void *fail_null(int err)
{
	errno = err < 0 ? -err : err;
	return NULL;
}

static int fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

/* The sim chip a "/dev/<chip>" path names, or NULL. */
static const char *sim_dev_chip(const char *path)
{
	const char *chip;

	if (!sim_dir() || !path || strncmp(path, "/dev/", 5) != 0)
		return NULL;
	chip = path + 5;
	return *chip && sim_chip_exists(chip) ? chip : NULL;
}

static bool is_dev(const char *path)
{
	return path &&
	       (strcmp(path, "/dev") == 0 || strcmp(path, "/dev/") == 0);
}

/* ---- /dev enumeration ---- */

DIR *opendir(const char *name)
{
	struct sim_dir *d;
	char **chips;
	int n;

	SIM_REAL(opendir);
	if (!sim_dir() || !is_dev(name))
		return real(name);

	n = sim_chip_list(&chips);
	if (n < 0)
		return fail_null(n);
	d = calloc(1, sizeof(*d));
	if (d && n > 0)
		d->ents = calloc((size_t)n, sizeof(*d->ents));
	if (!d || (n > 0 && !d->ents)) {
		if (d)
			free(d);
		sim_list_free(chips);
		return fail_null(-ENOMEM);
	}
	for (int i = 0; i < n; i++) {
		struct dirent64 *e = &d->ents[d->n];

		if (strlen(chips[i]) >= sizeof(e->d_name))
			continue;
		strcpy(e->d_name, chips[i]);
		e->d_ino = (ino64_t)(i + 1);
		e->d_off = i + 1;
		e->d_reclen = sizeof(*e);
		e->d_type = DT_CHR;
		d->n++;
	}
	sim_list_free(chips);
	sim_register(d);
	return (DIR *)d;
}

struct dirent64 *readdir64(DIR *dirp)
{
	struct sim_dir *d = (struct sim_dir *)dirp;

	SIM_REAL(readdir64);
	if (!sim_owns(d))
		return real(dirp);
	return d->next < d->n ? &d->ents[d->next++] : NULL;
}

struct dirent *readdir(DIR *dirp)
{
	struct sim_dir *d = (struct sim_dir *)dirp;

	SIM_REAL(readdir);
	if (!sim_owns(d))
		return real(dirp);
	return d->next < d->n ? (struct dirent *)&d->ents[d->next++] : NULL;
}

int closedir(DIR *dirp)
{
	struct sim_dir *d = (struct sim_dir *)dirp;

	SIM_REAL(closedir);
	if (!sim_owns(d))
		return real(dirp);
	sim_unregister(d);
	free(d->ents);
	free(d);
	return 0;
}

/* ---- chips ---- */

bool gpiod_is_gpiochip_device(const char *path)
{
	SIM_REAL(gpiod_is_gpiochip_device);
	if (sim_dev_chip(path))
		return true;
	return real(path);
}

struct gpiod_chip *gpiod_chip_open(const char *path)
{
	const char *name = sim_dev_chip(path);
	struct sim_chip *c;
	int n;

	SIM_REAL(gpiod_chip_open);
	if (!name)
		return real(path);
	c = calloc(1, sizeof(*c));
	if (!c)
		return fail_null(-ENOMEM);
	c->name = strdup(name);
	if (!c->name) {
		free(c);
		return fail_null(-ENOMEM);
	}
	n = sim_line_list(name, &c->lines);
	if (n < 0) {
		free(c->name);
		free(c);
		return fail_null(n == -ENODEV ? -ENOENT : n);
	}
	c->num_lines = (unsigned int)n;
	sim_register(c);
	return (struct gpiod_chip *)c;
}

void gpiod_chip_close(struct gpiod_chip *chip)
{
	struct sim_chip *c = (struct sim_chip *)chip;

	SIM_REAL(gpiod_chip_close);
	if (!sim_owns(c)) {
		real(chip);
		return;
	}
	sim_unregister(c);
	sim_list_free(c->lines);
	free(c->name);
	free(c);
}

struct gpiod_chip_info *gpiod_chip_get_info(struct gpiod_chip *chip)
{
	struct sim_chip *c = (struct sim_chip *)chip;
	struct sim_chip_info *info;

	SIM_REAL(gpiod_chip_get_info);
	if (!sim_owns(c))
		return real(chip);
	if (!sim_chip_exists(c->name))
		return fail_null(-ENODEV);
	info = calloc(1, sizeof(*info));
	if (!info)
		return fail_null(-ENOMEM);
	info->name = strdup(c->name);
	if (!info->name) {
		free(info);
		return fail_null(-ENOMEM);
	}
	info->num_lines = c->num_lines;
	sim_register(info);
	return (struct gpiod_chip_info *)info;
}

const char *gpiod_chip_info_get_name(struct gpiod_chip_info *info)
{
	struct sim_chip_info *i = (struct sim_chip_info *)info;

	SIM_REAL(gpiod_chip_info_get_name);
	return sim_owns(i) ? i->name : real(info);
}

void gpiod_chip_info_free(struct gpiod_chip_info *info)
{
	struct sim_chip_info *i = (struct sim_chip_info *)info;

	SIM_REAL(gpiod_chip_info_free);
	if (!sim_owns(i)) {
		real(info);
		return;
	}
	sim_unregister(i);
	free(i->name);
	free(i);
}

size_t gpiod_chip_info_get_num_lines(struct gpiod_chip_info *info)
{
	struct sim_chip_info *i = (struct sim_chip_info *)info;

	SIM_REAL(gpiod_chip_info_get_num_lines);
	return sim_owns(i) ? i->num_lines : real(info);
}

/*
 * The name is that of the line file at offset when the chip was opened
 * (NULL when it is gone since: the sim's offsets shift as files come and
 * go). EINVAL past the chip's line count, ENODEV when the chip is gone.
 */
struct gpiod_line_info *gpiod_chip_get_line_info(struct gpiod_chip *chip,
						 unsigned int offset)
{
	struct sim_chip *c = (struct sim_chip *)chip;
	struct sim_line_info *li;

	SIM_REAL(gpiod_chip_get_line_info);
	if (!sim_owns(c))
		return real(chip, offset);
	if (offset >= c->num_lines)
		return fail_null(-EINVAL);
	if (!sim_chip_exists(c->name))
		return fail_null(-ENODEV);
	li = calloc(1, sizeof(*li));
	if (!li)
		return fail_null(-ENOMEM);
	li->offset = offset;
	if (sim_line_exists(c->name, c->lines[offset])) {
		li->name = strdup(c->lines[offset]);
		if (!li->name) {
			free(li);
			return fail_null(-ENOMEM);
		}
	}
	sim_register(li);
	return (struct gpiod_line_info *)li;
}

const char *gpiod_line_info_get_name(struct gpiod_line_info *info)
{
	struct sim_line_info *li = (struct sim_line_info *)info;

	SIM_REAL(gpiod_line_info_get_name);
	return sim_owns(li) ? li->name : real(info);
}

void gpiod_line_info_free(struct gpiod_line_info *info)
{
	struct sim_line_info *li = (struct sim_line_info *)info;

	SIM_REAL(gpiod_line_info_free);
	if (!sim_owns(li)) {
		real(info);
		return;
	}
	sim_unregister(li);
	free(li->name);
	free(li);
}

int gpiod_chip_get_line_offset_from_name(struct gpiod_chip *chip,
					 const char *name)
{
	struct sim_chip *c = (struct sim_chip *)chip;
	int r;

	SIM_REAL(gpiod_chip_get_line_offset_from_name);
	if (!sim_owns(c))
		return real(chip, name);
	r = sim_line_offset(c->name, name);
	return r < 0 ? fail(r) : r;
}

/* ---- requests ---- */

struct gpiod_line_request *
gpiod_chip_request_lines(struct gpiod_chip *chip,
			 struct gpiod_request_config *req_cfg,
			 struct gpiod_line_config *line_cfg)
{
	struct sim_chip *c = (struct sim_chip *)chip;
	struct gpiod_line_settings *s;
	enum gpiod_line_direction dir;
	enum gpiod_line_edge edge;
	struct sim_request *req;
	unsigned int offset;
	int r;

	SIM_REAL(gpiod_chip_request_lines);
	if (!sim_owns(c))
		return real(chip, req_cfg, line_cfg);

	/* What the adapter asks for: one input line. */
	if (gpiod_line_config_get_num_configured_offsets(line_cfg) != 1)
		return fail_null(-E2BIG);
	gpiod_line_config_get_configured_offsets(line_cfg, &offset, 1);
	s = gpiod_line_config_get_line_settings(line_cfg, offset);
	if (!s)
		return NULL;
	dir = gpiod_line_settings_get_direction(s);
	edge = gpiod_line_settings_get_edge_detection(s);
	gpiod_line_settings_free(s);
	if (dir != GPIOD_LINE_DIRECTION_INPUT)
		return fail_null(-EPERM);

	req = calloc(1, sizeof(*req));
	if (!req)
		return fail_null(-ENOMEM);
	sim_line_init(&req->line);
	req->line.offset = offset;
	if (offset >= c->num_lines) {
		r = -EINVAL;
		goto fail;
	}
	req->line.chip = strdup(c->name);
	req->line.name = strdup(c->lines[offset]);
	if (!req->line.chip || !req->line.name) {
		r = -ENOMEM;
		goto fail;
	}
	/* v2 uAPI: edge_detector_setup fails ENXIO without an IRQ. */
	r = sim_line_request(&req->line, edge != GPIOD_LINE_EDGE_NONE, -ENXIO);
	if (r < 0)
		goto fail;
	sim_register(req);
	return (struct gpiod_line_request *)req;
fail:
	sim_line_done(&req->line);
	free(req);
	return fail_null(r);
}

static struct sim_request *sim_req(struct gpiod_line_request *request)
{
	return sim_owns(request) ? (struct sim_request *)request : NULL;
}

void gpiod_line_request_release(struct gpiod_line_request *request)
{
	struct sim_request *req = sim_req(request);

	SIM_REAL(gpiod_line_request_release);
	if (!req) {
		real(request);
		return;
	}
	sim_unregister(req);
	sim_line_done(&req->line);
	free(req);
}

int gpiod_line_request_get_fd(struct gpiod_line_request *request)
{
	struct sim_request *req = sim_req(request);

	SIM_REAL(gpiod_line_request_get_fd);
	return req ? req->line.ifd : real(request);
}

enum gpiod_line_value
gpiod_line_request_get_value(struct gpiod_line_request *request,
			     unsigned int offset)
{
	struct sim_request *req = sim_req(request);
	int r;

	SIM_REAL(gpiod_line_request_get_value);
	if (!req)
		return real(request, offset);
	if (offset != req->line.offset)
		return (enum gpiod_line_value)fail(-EINVAL);
	r = sim_line_get_value(&req->line);
	if (r < 0)
		return (enum gpiod_line_value)fail(r);
	return r ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
}

int gpiod_line_request_wait_edge_events(struct gpiod_line_request *request,
					int64_t timeout_ns)
{
	struct sim_request *req = sim_req(request);
	int ms = -1, r;

	SIM_REAL(gpiod_line_request_wait_edge_events);
	if (!req)
		return real(request, timeout_ns);
	if (timeout_ns >= 0) {
		int64_t t = (timeout_ns + 999999) / 1000000;

		ms = t > 0x7fffffff ? 0x7fffffff : (int)t;
	}
	/* As 2.x: without edge detection the fd never becomes readable. */
	if (!req->line.edges) {
		struct pollfd pfd = { .fd = req->line.ifd, .events = POLLIN };

		r = poll(&pfd, 1, ms);
		return r < 0 ? -1 : 0;
	}
	r = sim_line_wait(&req->line, ms);
	return r < 0 ? fail(r) : r;
}

/*
 * Consumes one synthesized event and returns 1. The buffer is the real
 * library's and is left as it was: gpio-v2.c only counts events (see
 * README.md).
 */
int gpiod_line_request_read_edge_events(struct gpiod_line_request *request,
					struct gpiod_edge_event_buffer *buffer,
					size_t max_events)
{
	struct sim_request *req = sim_req(request);
	int r;

	SIM_REAL(gpiod_line_request_read_edge_events);
	if (!req)
		return real(request, buffer, max_events);
	if (max_events == 0)
		return 0;
	if (!req->line.edges)
		return fail(-EPERM);
	r = sim_line_read_event(&req->line);
	return r < 0 ? fail(r) : 1;
}
