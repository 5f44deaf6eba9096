/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-line state: records in, GPIO lines followed, state handed to bus.c.
 *
 * Each cable's line is requested with both-edge events; its fd sits in
 * the sd-event loop, and after any event the level is read again (the
 * edge direction is never trusted). Cables with the same poll interval
 * share one timer that re-reads their lines (missed edges, chips without
 * events) and retries the lines that are missing, busy or gone. Nothing
 * else wakes the daemon up.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "bus.h"
#include "cable.h"
#include "evlog.h"
#include "gpio.h"
#include "log.h"

static const char *const polarity_values[] = { "active_low", "active_high",
					       NULL };

static const struct emc_key cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "GpioLine",
	  .kind = EMC_STRING,
	  .required = true,
	  .max_len = 255 },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = polarity_values },
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 10,
	  .max = 3600000,
	  .exact = true },
	{ .name = "CableTypeDescription", .kind = EMC_STRING, .max_len = 1024 },
	{ .name = "Length",
	  .kind = EMC_NUMBER,
	  .min = 0,
	  .max = 1e6,
	  .exact = true },
	{ .name = "DebounceMs",
	  .kind = EMC_UINT,
	  .min = 0,
	  .max = 60000,
	  .exact = true },
	{ .name = "Expected", .kind = EMC_BOOL },
	{ .name = NULL },
};

/* Closed, as its entity-manager schema (service_files/entity-manager):
 * a misspelt optional key is refused, not silently ignored. */
const struct emc_schema cable_schema = {
	.type = "GPIOCableSensing",
	.keys = cable_keys,
	.closed = true,
};

struct poll_group {
	struct poll_group *next;
	struct cable_manager *m;
	uint64_t interval_ms;
	unsigned n_cables;
	sd_event_source *timer;
};

struct cable_manager {
	sd_bus *bus;
	sd_event *event;
	uint64_t default_poll_ms;
	struct cable *cables; /* doubly linked, in arrival order */
	struct cable *last;
	size_t n_cables;
	struct poll_group *groups;
	/* Records refused because their object path or GPIO line is taken
	 * by another cable: tried again whenever a cable goes away or
	 * changes identity (retry_needed). */
	struct rejected *rejected;
	bool retry_needed;
	/* Where the lines are (gpio.h): one chip scan shared by every cable
	 * that needs a lookup in the same event loop iteration (a poll tick,
	 * a batch of records); dropped at the end of each poll tick. */
	struct gpio_index *index;
	int index_error; /* the build failed in index_iteration */
	uint64_t index_iteration;
	sd_event_source *index_release; /* drops it once the loop is idle */
	struct evlog *evlog; /* expected cables' events */
};

struct rejected {
	struct rejected *next;
	struct emc_record *rec;
};

/* ---- configuration (pure) ---------------------------------------------- */

void cable_config_clear(struct cable_config *c)
{
	free(c->name);
	free(c->path);
	free(c->line_name);
	free(c->type_desc);
	free(c->board);
	*c = (struct cable_config){ .length = NAN };
}

/* The optional numbers and flags of rec into c (defaults when absent). */
static int config_optional(const struct emc_record *rec,
			   uint64_t default_poll_ms, struct cable_config *c)
{
	uint64_t u;
	double d;
	int r;

	c->poll_ms = default_poll_ms;
	r = emc_record_get_uint(rec, "PollIntervalMs", &u);
	if (r == 0)
		c->poll_ms = u;
	else if (r != -ENOENT)
		return r;
	r = emc_record_get_uint(rec, "DebounceMs", &u);
	if (r == 0)
		c->debounce_ms = u;
	else if (r != -ENOENT)
		return r;
	r = emc_record_get_double(rec, "Length", &d);
	if (r == 0)
		c->length = d;
	else if (r != -ENOENT)
		return r;
	r = emc_record_get_bool(rec, "Expected", &c->expected);
	if (r < 0 && r != -ENOENT)
		return r;
	return 0;
}

int cable_config_from_record(const struct emc_record *rec,
			     uint64_t default_poll_ms, struct cable_config *ret)
{
	_cleanup_free_ char *escaped = NULL;
	struct cable_config c = { .length = NAN };
	const char *name, *line, *polarity, *desc = NULL, *board;
	int r;

	r = emc_record_get_string(rec, "Name", &name);
	if (r < 0)
		return r;
	r = emc_record_get_string(rec, "GpioLine", &line);
	if (r < 0)
		return r;
	r = emc_record_get_string(rec, "Polarity", &polarity);
	if (r < 0)
		return r;
	if (strcmp(polarity, "active_low") && strcmp(polarity, "active_high"))
		return -EINVAL;
	c.active_low = !strcmp(polarity, "active_low");
	r = config_optional(rec, default_poll_ms, &c);
	if (r < 0)
		return r;
	r = emc_record_get_string(rec, "CableTypeDescription", &desc);
	if (r < 0 && r != -ENOENT)
		return r;

	escaped = emc_escape(name);
	if (!escaped)
		return -ENOMEM;
	board = emc_record_board(rec);
	c.name = strdup(name);
	c.line_name = strdup(line);
	c.type_desc = desc ? strdup(desc) : NULL;
	c.board = board ? strdup(board) : NULL;
	if (asprintf(&c.path, "%s/%s", CABLE_PATH_PREFIX, escaped) < 0)
		c.path = NULL;
	if (!c.name || !c.line_name || (desc && !c.type_desc) || !c.path ||
	    (board && !c.board)) {
		cable_config_clear(&c);
		return -ENOMEM;
	}
	*ret = c;
	return 0;
}

/* ---- poll groups ---- */

static void cable_refresh(struct cable *c, enum presence_event why);

static void index_drop(struct cable_manager *m)
{
	m->index = gpio_index_free(m->index);
	m->index_error = 0;
}

static uint64_t now_usec(struct cable_manager *m)
{
	uint64_t t = 0;

	(void)sd_event_now(m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static int on_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct poll_group *g = userdata;
	struct cable_manager *m = g->m;
	int r;

	for (struct cable *c = m->cables, *next; c; c = next) {
		next = c->next;
		if (c->group == g)
			cable_refresh(c, PRESENCE_POLL);
	}
	/* The next tick scans again if some line is still missing. */
	index_drop(m);
	/* From now, not from when it was due: after a stall (a suspended
	 * process, a slow bus) the next poll is one interval away instead
	 * of a burst of overdue ones. */
	r = sd_event_source_set_time(s, now_usec(m) + g->interval_ms * 1000);
	if (r >= 0)
		r = sd_event_source_set_enabled(s, SD_EVENT_ON);
	if (r < 0)
		/* Returning an error would silently disable the source. */
		log_error_errno(r,
				"Cannot re-arm the %llu ms poll timer: lines "
				"without edge events are no longer polled",
				(unsigned long long)g->interval_ms);
	return 0;
}

static void group_put(struct cable_manager *m, struct poll_group *g)
{
	if (!g || --g->n_cables > 0)
		return;
	for (struct poll_group **p = &m->groups; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			break;
		}
	}
	sd_event_source_disable_unref(g->timer);
	free(g);
}

static int group_get(struct cable_manager *m, uint64_t interval_ms,
		     struct poll_group **ret)
{
	struct poll_group *g;
	int r;

	for (g = m->groups; g; g = g->next) {
		if (g->interval_ms == interval_ms) {
			g->n_cables++;
			*ret = g;
			return 0;
		}
	}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->m = m;
	g->interval_ms = interval_ms;
	/* Accuracy: a tenth of the interval lets the kernel batch wake-ups. */
	r = sd_event_add_time(m->event, &g->timer, CLOCK_MONOTONIC,
			      now_usec(m) + interval_ms * 1000,
			      interval_ms * 100, on_poll, g);
	if (r < 0) {
		free(g);
		return log_error_errno(r, "Cannot add a %llu ms poll timer",
				       (unsigned long long)interval_ms);
	}
	(void)sd_event_source_set_description(g->timer, "poll");
	g->n_cables = 1;
	g->next = m->groups;
	m->groups = g;
	*ret = g;
	return 0;
}

/* ---- publishing state ---- */

static void set_functional(struct cable *c, bool functional)
{
	if (c->functional == functional)
		return;
	c->functional = functional;
	bus_cable_changed(c->m->bus, c, IFACE_STATUS,
			  (char *[]){ "Functional", NULL });
}

/*
 * An expected cable that is not connected is logged as dbus-sensors'
 * cable-monitor logs it (src/cable-monitor/, PDI State/Cable.events.yaml):
 * xyz.openbmc_project.State.Cable.CableDisconnected (warning) with
 * PORT_ID the cable's object name; when it is back that entry is
 * resolved and CableConnected is logged. enabled false: the cable is no
 * longer expected (resolve, nothing more).
 */
static void log_connection(struct cable *c, bool enabled)
{
	const char *port = strrchr(c->cfg.path, '/') + 1;
	const char *const data[] = { "PORT_ID", port, NULL };

	if (!enabled)
		(void)evlog_clear(c->m->evlog, port, NULL, NULL);
	else if (!c->pres.present)
		(void)evlog_raise(c->m->evlog, port,
				  "xyz.openbmc_project.State.Cable."
				  "CableDisconnected",
				  EVLOG_WARNING, data);
	else
		(void)evlog_clear(c->m->evlog, port,
				  "xyz.openbmc_project.State.Cable."
				  "CableConnected",
				  data);
}

/* Publish what presence_step() says to (a first reading, or a change). */
static void set_present(struct cable *c, const struct presence_action *a)
{
	if (a->changed) {
		log_debug("Cable '%s': %s", c->cfg.name,
			  a->present ? "present" : "absent");
		bus_cable_changed(c->m->bus, c, IFACE_ITEM,
				  (char *[]){ "Present", NULL });
	}
	if (c->cfg.expected)
		log_connection(c, true);
}

/* Log a failure once per streak of the same error. */
static void report_error(struct cable *c, int err, const char *what)
{
	if (c->last_error == err)
		return;
	c->last_error = err;
	if (err == -ENOENT)
		log_warning(
			"Cable '%s': GPIO line '%s' not found, retrying every %llu ms",
			c->cfg.name, c->cfg.line_name,
			(unsigned long long)c->cfg.poll_ms);
	else if (err == -EBUSY)
		log_warning(
			"Cable '%s': GPIO line '%s' is used by another consumer, retrying every %llu ms",
			c->cfg.name, c->cfg.line_name,
			(unsigned long long)c->cfg.poll_ms);
	else
		log_warning_errno(
			err,
			"Cable '%s': GPIO line '%s': %s, retrying every %llu ms",
			c->cfg.name, c->cfg.line_name, what,
			(unsigned long long)c->cfg.poll_ms);
}

static void line_drop(struct cable *c)
{
	c->io = sd_event_source_disable_unref(c->io);
	c->debounce = sd_event_source_disable_unref(c->debounce);
	presence_forget(&c->pres);
	c->line = gpio_line_release(c->line);
}

static int on_debounce(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct cable *c = userdata;

	c->debounce = sd_event_source_disable_unref(c->debounce);
	cable_refresh(c, PRESENCE_TIMER);
	return 0;
}

static int debounce_arm(struct cable *c, uint64_t at)
{
	int r;

	c->debounce = sd_event_source_disable_unref(c->debounce);
	r = sd_event_add_time(c->m->event, &c->debounce, CLOCK_MONOTONIC, at,
			      1000, on_debounce, c);
	if (r >= 0)
		(void)sd_event_source_set_description(c->debounce, "debounce");
	return r;
}

/*
 * A level was read: presence.h decides (at once without DebounceMs,
 * after the level held for DebounceMs with it); here its answer is
 * carried out with the cable's sd-event timer.
 */
static void apply_level(struct cable *c, int level, enum presence_event why)
{
	bool present = cable_level_present(level, c->cfg.active_low);
	struct presence_action a;
	int r;

	set_functional(c, true);
	if (why == PRESENCE_EDGE)
		log_debug("Cable '%s': edge, line reads %d", c->cfg.name,
			  level);
	a = presence_step(&c->pres, why, present, now_usec(c->m));
	if (a.what == PRESENCE_ARM) {
		r = debounce_arm(c, a.at);
		if (r >= 0) {
			log_debug("Cable '%s': %s if that holds for %llu ms",
				  c->cfg.name, present ? "present" : "absent",
				  (unsigned long long)c->cfg.debounce_ms);
			return;
		}
		/* Cannot wait: publish rather than lose the change. */
		log_warning_errno(r, "Cable '%s': cannot debounce",
				  c->cfg.name);
		a = presence_flush(&c->pres);
	}
	if (a.what == PRESENCE_NOTHING)
		return;
	c->debounce = sd_event_source_disable_unref(c->debounce);
	if (a.what == PRESENCE_PUBLISH)
		set_present(c, &a);
}

static int on_line_event(sd_event_source *s, int fd, uint32_t revents,
			 void *userdata)
{
	struct cable *c = userdata;
	int r;

	r = gpio_line_drain_events(c->line);
	if (r < 0 || (revents & (EPOLLERR | EPOLLHUP))) {
		if (r >= 0)
			r = -ENODEV;
		report_error(c, r, "chip gone");
		line_drop(c);
		set_functional(c, false);
		return 0;
	}
	cable_refresh(c, PRESENCE_EDGE);
	return 0;
}

static int on_index_release(sd_event_source *s, void *userdata)
{
	struct cable_manager *m = userdata;

	index_drop(m);
	m->index_release = sd_event_source_disable_unref(m->index_release);
	return 0;
}

/* The index of this loop iteration, built on first use. */
static int index_get(struct cable_manager *m, const struct gpio_index **ret)
{
	uint64_t it = 0;
	int r;

	(void)sd_event_get_iteration(m->event, &it);
	if ((m->index || m->index_error) && m->index_iteration == it) {
		if (m->index_error)
			return m->index_error;
		*ret = m->index;
		return 0;
	}
	index_drop(m);
	m->index_iteration = it;
	r = gpio_index_build(&m->index);
	if (r < 0) {
		/* Once per iteration, not once per cable. */
		m->index_error = r;
		return log_debug_errno(r, "Cannot scan the GPIO chips");
	}
	log_debug("GPIO chips scanned: %zu chips, %zu named lines",
		  gpio_index_chips(m->index), gpio_index_lines(m->index));
	/* Not kept until the next poll tick (an hour, maybe): dropped when
	 * nothing else is pending. Without that source it lives on until
	 * then, which is only memory: it is never used in a later
	 * iteration. */
	if (!m->index_release && sd_event_add_defer(m->event, &m->index_release,
						    on_index_release, m) >= 0) {
		(void)sd_event_source_set_priority(m->index_release,
						   SD_EVENT_PRIORITY_IDLE);
		(void)sd_event_source_set_description(m->index_release,
						      "gpio-index-release");
	}
	*ret = m->index;
	return 0;
}

/* Look the line up in the shared index and request it. */
static int line_lookup_request(struct cable *c, struct gpio_line **ret)
{
	struct cable_manager *m = c->m;
	const struct gpio_index *idx = NULL;
	const char *chip;
	unsigned int offset;
	int r;

	for (int attempt = 0;; attempt++) {
		r = index_get(m, &idx);
		if (r < 0)
			return r;
		r = gpio_index_lookup(idx, c->cfg.line_name, &chip, &offset);
		if (r < 0)
			return r;
		r = gpio_line_request_at(chip, offset, c->cfg.line_name,
					 CABLE_CONSUMER, ret);
		if (r != -ESTALE)
			return r;
		/* Lines moved since the scan: scan again, once. */
		if (attempt > 0)
			return -ENOENT;
		index_drop(m);
	}
}

static int line_open(struct cable *c)
{
	struct gpio_line *line = NULL;
	int fd, r;

	r = line_lookup_request(c, &line);
	if (r < 0) {
		report_error(c, r, "cannot request");
		return r;
	}
	fd = gpio_line_fd(line);
	if (fd >= 0) {
		r = sd_event_add_io(c->m->event, &c->io, fd, EPOLLIN,
				    on_line_event, c);
		if (r < 0) {
			gpio_line_release(line);
			report_error(c, r, "cannot watch events");
			return r;
		}
		(void)sd_event_source_set_description(c->io, "gpio-line");
	}
	c->line = line;
	if (c->last_error)
		log_info("Cable '%s': GPIO line '%s' found on %s%s",
			 c->cfg.name, c->cfg.line_name, gpio_line_chip(line),
			 fd < 0 ? " (no events, polled)" : "");
	else
		log_debug("Cable '%s': GPIO line '%s' on %s%s", c->cfg.name,
			  c->cfg.line_name, gpio_line_chip(line),
			  fd < 0 ? " (no events, polled)" : "");
	return 0;
}

/* Read the line (requesting it first if needed) and publish. */
static void cable_refresh(struct cable *c, enum presence_event why)
{
	int level;

	if (!c->line && line_open(c) < 0) {
		set_functional(c, false);
		return;
	}
	level = gpio_line_get_value(c->line);
	if (level < 0) {
		report_error(c, level, "read failed");
		line_drop(c);
		set_functional(c, false);
		return;
	}
	c->last_error = 0;
	apply_level(c, level, why);
}

/* ---- cables ---- */

static struct cable *find_by_record(struct cable_manager *m, const char *path)
{
	for (struct cable *c = m->cables; c; c = c->next)
		if (!strcmp(c->record_path, path))
			return c;
	return NULL;
}

static struct cable *find_by_object(struct cable_manager *m, const char *path)
{
	for (struct cable *c = m->cables; c; c = c->next)
		if (!strcmp(c->cfg.path, path))
			return c;
	return NULL;
}

static void cable_free(struct cable *c, bool emit)
{
	struct cable_manager *m = c->m;

	bus_cable_unpublish(m->bus, c, emit);
	line_drop(c);
	group_put(m, c->group);
	if (c->prev)
		c->prev->next = c->next;
	else
		m->cables = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		m->last = c->prev;
	m->n_cables--;
	m->retry_needed = true;
	free(c->record_path);
	cable_config_clear(&c->cfg);
	free(c);
}

static struct cable *find_by_line(struct cable_manager *m, const char *line)
{
	for (struct cable *c = m->cables; c; c = c->next)
		if (!strcmp(c->cfg.line_name, line))
			return c;
	return NULL;
}

/* -EEXIST (logged unless quiet) when cfg's object path or GPIO line
 * belongs to another cable. */
static int cable_check_free(struct cable_manager *m, const char *record_path,
			    const struct cable_config *cfg, bool quiet)
{
	struct cable *other;

	other = find_by_object(m, cfg->path);
	if (other) {
		if (!quiet)
			log_error(
				"Record '%s': Name '%s' gives object '%s', already used by record '%s'; record ignored until that one goes",
				record_path, cfg->name, cfg->path,
				other->record_path);
		return -EEXIST;
	}
	other = find_by_line(m, cfg->line_name);
	if (other) {
		if (!quiet)
			log_error(
				"Record '%s': GPIO line '%s' is already followed for record '%s' (cable '%s'); record ignored until that one goes",
				record_path, cfg->line_name, other->record_path,
				other->cfg.name);
		return -EEXIST;
	}
	return 0;
}

/* A new cable at the end of the list, in its poll group, not yet read
 * nor published. Takes over cfg (cleared on success and on failure). */
static int cable_new(struct cable_manager *m, const char *record_path,
		     struct cable_config *cfg, struct cable **ret)
{
	struct cable *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c) {
		cable_config_clear(cfg);
		return log_oom();
	}
	c->m = m;
	c->cfg = *cfg;
	*cfg = (struct cable_config){ .length = NAN };
	presence_init(&c->pres, c->cfg.debounce_ms);
	c->record_path = strdup(record_path);
	if (!c->record_path) {
		cable_config_clear(&c->cfg);
		free(c);
		return log_oom();
	}
	r = group_get(m, c->cfg.poll_ms, &c->group);
	if (r < 0) {
		free(c->record_path);
		cable_config_clear(&c->cfg);
		free(c);
		return r;
	}
	c->prev = m->last;
	if (m->last)
		m->last->next = c;
	else
		m->cables = c;
	m->last = c;
	m->n_cables++;
	*ret = c;
	return 0;
}

/*
 * Takes over cfg (cleared on success and on failure). -EEXIST when the
 * object path or the GPIO line belongs to another cable (logged unless
 * quiet): the caller keeps the record and tries again later.
 */
static int cable_add(struct cable_manager *m, const char *record_path,
		     struct cable_config *cfg, bool quiet)
{
	struct cable *c = NULL;
	int r;

	r = cable_check_free(m, record_path, cfg, quiet);
	if (r < 0) {
		cable_config_clear(cfg);
		return r;
	}
	r = cable_new(m, record_path, cfg, &c);
	if (r < 0)
		return r;

	/* Read first, so that InterfacesAdded carries the real state. */
	cable_refresh(c, PRESENCE_POLL);
	r = bus_cable_publish(m->bus, c);
	if (r < 0) {
		cable_free(c, false);
		return r;
	}
	log_debug("Cable '%s' at '%s' from record '%s'", c->cfg.name,
		  c->cfg.path, record_path);
	return 0;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool double_eq(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

/* What the object is: a change means another object. */
static bool identity_changed(const struct cable_config *old,
			     const struct cable_config *new)
{
	return strcmp(old->path, new->path) || strcmp(old->name, new->name) ||
	       strcmp(old->line_name, new->line_name) ||
	       !str_eq(old->board, new->board);
}

static int update_poll(struct cable *c, uint64_t poll_ms)
{
	struct poll_group *g;
	int r;

	if (c->cfg.poll_ms == poll_ms)
		return 0;
	r = group_get(c->m, poll_ms, &g);
	if (r < 0)
		return r;
	group_put(c->m, c->group);
	c->group = g;
	c->cfg.poll_ms = poll_ms;
	return 0;
}

/* Length and CableTypeDescription, with one PropertiesChanged; a
 * description that comes or goes takes the interface again. */
static void update_cable_props(struct cable *c, struct cable_config *cfg)
{
	bool reshape = !c->cfg.type_desc != !cfg->type_desc;
	char *props[3] = { NULL };
	size_t n = 0;

	if (!double_eq(c->cfg.length, cfg->length)) {
		c->cfg.length = cfg->length;
		props[n++] = "Length";
	}
	if (!str_eq(c->cfg.type_desc, cfg->type_desc)) {
		free(c->cfg.type_desc);
		c->cfg.type_desc = TAKE_PTR(cfg->type_desc);
		props[n++] = "CableTypeDescription";
	}
	if (reshape)
		bus_cable_reshape(c->m->bus, c);
	else if (n > 0)
		bus_cable_changed(c->m->bus, c, IFACE_CABLE, props);
}

/* Expected and DebounceMs: how changes are reported. */
static void update_reporting(struct cable *c, const struct cable_config *cfg)
{
	if (c->cfg.expected != cfg->expected) {
		c->cfg.expected = cfg->expected;
		if (c->pres.known)
			log_connection(c, c->cfg.expected);
	}
	if (c->cfg.debounce_ms != cfg->debounce_ms) {
		c->cfg.debounce_ms = cfg->debounce_ms;
		c->debounce = sd_event_source_disable_unref(c->debounce);
		presence_set_debounce(&c->pres, c->cfg.debounce_ms);
	}
}

static void update_polarity(struct cable *c, bool active_low)
{
	if (c->cfg.active_low == active_low)
		return;
	c->cfg.active_low = active_low;
	/* Publish the new reading at once, without debounce. */
	c->debounce = sd_event_source_disable_unref(c->debounce);
	presence_reset(&c->pres);
	if (c->line)
		cable_refresh(c, PRESENCE_POLL);
}

/* Takes over cfg. */
static int cable_update(struct cable *c, struct cable_config *cfg)
{
	struct cable_manager *m = c->m;
	_cleanup_free_ char *record_path = NULL;
	int r;

	if (identity_changed(&c->cfg, cfg)) {
		/* The object goes and a new one comes. */
		record_path = strdup(c->record_path);
		if (!record_path) {
			cable_config_clear(cfg);
			return log_oom();
		}
		cable_free(c, true);
		return cable_add(m, record_path, cfg, false);
	}
	r = update_poll(c, cfg->poll_ms);
	if (r < 0) {
		cable_config_clear(cfg);
		return r;
	}
	/* In this order: Length and CableTypeDescription are signalled
	 * before the Present a new polarity gives. */
	update_reporting(c, cfg);
	update_cable_props(c, cfg);
	update_polarity(c, cfg->active_low);
	cable_config_clear(cfg);
	log_debug("Cable '%s' updated from record '%s'", c->cfg.name,
		  c->record_path);
	return 0;
}

/* ---- records refused for now ---- */

static struct rejected **find_rejected(struct cable_manager *m,
				       const char *record_path)
{
	if (!record_path)
		return NULL;
	for (struct rejected **p = &m->rejected; *p; p = &(*p)->next)
		if (!strcmp(emc_record_path((*p)->rec), record_path))
			return p;
	return NULL;
}

static void rejected_drop(struct cable_manager *m, const char *record_path)
{
	struct rejected **p = find_rejected(m, record_path), *x;

	if (!p)
		return;
	x = *p;
	*p = x->next;
	emc_record_unref(x->rec);
	free(x);
}

/* Remember rec (replacing an older version) to try it again later. */
static void rejected_keep(struct cable_manager *m, const struct emc_record *rec)
{
	struct rejected **p = find_rejected(m, emc_record_path(rec)), *x;

	if (p) {
		emc_record_unref((*p)->rec);
		(*p)->rec = emc_record_ref(rec);
		return;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		log_oom();
		return;
	}
	x->rec = emc_record_ref(rec);
	/* Appended: retried in arrival order. */
	for (p = &m->rejected; *p; p = &(*p)->next)
		;
	*p = x;
}

/* A cable went away or changed identity: refused records may fit now. */
static void rejected_retry(struct cable_manager *m)
{
	while (m->retry_needed) {
		m->retry_needed = false;
		for (struct rejected **p = &m->rejected; *p;) {
			struct rejected *x = *p;
			struct cable_config cfg = { .length = NAN };
			const char *path = emc_record_path(x->rec);
			int r;

			r = cable_config_from_record(x->rec, m->default_poll_ms,
						     &cfg);
			if (r >= 0)
				r = cable_add(m, path, &cfg, true);
			if (r == -EEXIST) {
				p = &x->next;
				continue;
			}
			if (r >= 0)
				log_info("Record '%s': taken into use now",
					 path);
			*p = x->next;
			emc_record_unref(x->rec);
			free(x);
		}
	}
}

/* A valid record, new (c NULL) or changed. */
static void record_set(struct cable_manager *m, const struct emc_record *rec,
		       struct cable *c)
{
	struct cable_config cfg = { .length = NAN };
	const char *path = emc_record_path(rec);
	int r;

	rejected_drop(m, path);
	r = cable_config_from_record(rec, m->default_poll_ms, &cfg);
	if (r < 0) {
		log_error_errno(r, "Record '%s': cannot use it; ignored", path);
		if (c)
			cable_free(c, true);
		return;
	}
	if (c)
		r = cable_update(c, &cfg);
	else
		r = cable_add(m, path, &cfg, false);
	if (r == -EEXIST)
		rejected_keep(m, rec);
}

static void record_invalid(struct cable_manager *m, const char *path,
			   struct cable *c, const char *error)
{
	rejected_drop(m, path);
	log_error("Invalid GPIOCableSensing record: %s",
		  error ? error : "(no reason given)");
	if (c) {
		/* The record this object came from is now invalid. */
		log_warning(
			"Cable '%s' removed: its record '%s' is no longer valid",
			c->cfg.name, path);
		cable_free(c, true);
	}
}

void cable_manager_on_record(enum emc_event event, const struct emc_record *rec,
			     const char *error, void *userdata)
{
	struct cable_manager *m = userdata;
	const char *path = rec ? emc_record_path(rec) : NULL;
	struct cable *c = path ? find_by_record(m, path) : NULL;

	switch (event) {
	case EMC_ADDED:
	case EMC_CHANGED:
		record_set(m, rec, c);
		break;
	case EMC_REMOVED:
		rejected_drop(m, path);
		if (c) {
			log_info("Cable '%s' removed (record '%s' is gone)",
				 c->cfg.name, path);
			cable_free(c, true);
		}
		break;
	case EMC_INVALID:
		record_invalid(m, path, c, error);
		break;
	}
	rejected_retry(m);
}

/* ---- manager ---- */

int cable_manager_new(sd_bus *bus, sd_event *event, uint64_t default_poll_ms,
		      struct cable_manager **ret)
{
	struct cable_manager *m;
	int r;

	assert(bus && event && ret && default_poll_ms > 0);
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = evlog_new(bus, &m->evlog);
	if (r < 0) {
		free(m);
		return r;
	}
	m->bus = sd_bus_ref(bus);
	m->event = sd_event_ref(event);
	m->default_poll_ms = default_poll_ms;
	*ret = m;
	return 0;
}

struct cable_manager *cable_manager_free(struct cable_manager *m)
{
	if (!m)
		return NULL;
	while (m->rejected) {
		struct rejected *x = m->rejected;

		m->rejected = x->next;
		emc_record_unref(x->rec);
		free(x);
	}
	while (m->cables)
		cable_free(m->cables, false);
	m->evlog = evlog_free(m->evlog);
	assert(!m->groups);
	index_drop(m);
	m->index_release = sd_event_source_disable_unref(m->index_release);
	sd_bus_unref(m->bus);
	sd_event_unref(m->event);
	free(m);
	return NULL;
}

size_t cable_manager_count(struct cable_manager *m)
{
	return m->n_cables;
}
