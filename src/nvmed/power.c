// SPDX-License-Identifier: Apache-2.0
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbus-names.h"
#include "bus-util.h"
#include "log.h"
#include "macros.h"
#include "power.h"

/* ---- D-Bus ---- */

struct get_ctx {
	struct power *p;
	const char *iface;
	const char *prop;
};

struct power {
	sd_bus *bus;
	sd_event *event;
	uint64_t on_delay_ms;
	power_handler_t handler;
	void *userdata;
	struct power_status status;
	sd_event_source *on_timer;
	struct get_ctx gets[3];
	sd_bus_slot *get_slots[3];
	struct bus_matches *matches;
};

static void notify(struct power *p)
{
	log_debug("Power: host %s, post %s, chassis %s",
		  p->status.host_on ? "on" : "off",
		  p->status.post_done ? "done" : "not done",
		  p->status.chassis_on ? "on" : "off");
	p->handler(&p->status, p->userdata);
}

static int on_delay_done(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct power *p = userdata;

	p->on_timer = sd_event_source_disable_unref(p->on_timer);
	if (!p->status.host_on) {
		p->status.host_on = true;
		notify(p);
	}
	return 0;
}

/* Host power: off at once, on after the delay (dbus-sensors). */
static void set_host(struct power *p, bool on, bool delayed)
{
	int r;

	if (!on) {
		p->on_timer = sd_event_source_disable_unref(p->on_timer);
		if (p->status.host_on) {
			p->status.host_on = false;
			notify(p);
		}
		return;
	}
	if (p->status.host_on || p->on_timer)
		return;
	if (!delayed || p->on_delay_ms == 0) {
		p->status.host_on = true;
		notify(p);
		return;
	}
	r = sd_event_add_time_relative(p->event, &p->on_timer, CLOCK_MONOTONIC,
				       p->on_delay_ms * 1000, 1000,
				       on_delay_done, p);
	if (r < 0) {
		log_warning_errno(r, "Power: cannot delay host on; now");
		p->status.host_on = true;
		notify(p);
	}
}

static void apply(struct power *p, const char *iface, const char *prop,
		  const char *value, bool delayed)
{
	if (strcmp(iface, HOST_IFACE) == 0 && strcmp(prop, HOST_PROP) == 0) {
		set_host(p, power_host_running(value), delayed);
	} else if (strcmp(iface, POST_IFACE) == 0 &&
		   strcmp(prop, POST_PROP) == 0) {
		bool v = power_post_done(value);

		if (v != p->status.post_done) {
			p->status.post_done = v;
			notify(p);
		}
	} else if (strcmp(iface, CHASSIS_IFACE) == 0 &&
		   strcmp(prop, CHASSIS_PROP) == 0) {
		bool v = power_chassis_on(value);

		if (v != p->status.chassis_on) {
			p->status.chassis_on = v;
			notify(p);
		}
	}
}

static int on_get(sd_bus_message *m, void *userdata, sd_bus_error *ret_error)
{
	struct get_ctx *c = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);
	const char *value;
	int r;

	if (e) {
		/* commonly before the state manager runs: the name-owner
		 * match asks again when it appears */
		log_debug("Power: cannot get %s.%s: %s", c->iface, c->prop,
			  e->message ? e->message : e->name);
		return 0;
	}
	r = sd_bus_message_read(m, "v", "s", &value);
	if (r < 0) {
		log_warning_errno(r, "Power: %s.%s is not a string; ignored",
				  c->iface, c->prop);
		return 0;
	}
	apply(c->p, c->iface, c->prop, value, false);
	return 0;
}

static void get_all(struct power *p, bool chassis)
{
	const struct get_ctx *ctx = p->gets;

	for (size_t i = 0; i < ARRAY_SIZE(p->gets); i++) {
		bool is_chassis = strcmp(ctx[i].iface, CHASSIS_IFACE) == 0;
		int r;

		if (is_chassis != chassis)
			continue;
		p->get_slots[i] = sd_bus_slot_unref(p->get_slots[i]);
		r = sd_bus_call_method_async(
			p->bus, &p->get_slots[i],
			is_chassis ? CHASSIS_SERVICE : HOST_SERVICE,
			is_chassis ? CHASSIS_PATH : HOST_PATH, IFACE_PROPERTIES,
			"Get", on_get, (void *)&ctx[i], "ss", ctx[i].iface,
			ctx[i].prop);
		if (r < 0)
			log_warning_errno(r, "Power: cannot ask for %s",
					  ctx[i].prop);
	}
}

struct changed {
	struct power *p;
	const char *iface;
};

static int changed_one(sd_bus_message *m, const char *prop,
		       const char *contents, void *userdata)
{
	struct changed *c = userdata;
	const char *value;
	int r;

	if (strcmp(contents, "s") != 0)
		return 0;
	r = sd_bus_message_read(m, "v", "s", &value);
	if (r < 0)
		return r;
	apply(c->p, c->iface, prop, value, true);
	return 1;
}

static int on_properties_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *ret_error)
{
	struct changed c = { .p = userdata };
	int r;

	r = sd_bus_message_read(m, "s", &c.iface);
	if (r >= 0)
		r = bus_for_each_prop(m, changed_one, &c);
	if (r < 0)
		log_warning_errno(
			r, "Power: malformed PropertiesChanged; ignored");
	return 0;
}

static int on_name_owner(sd_bus_message *m, void *userdata,
			 sd_bus_error *ret_error)
{
	struct power *p = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0)
		return 0;
	if (!*new)
		return 0; /* gone: keep the last state, like upstream */
	get_all(p, strcmp(name, CHASSIS_SERVICE) == 0);
	return 0;
}

#define CHANGED(path, iface)                                         \
	"type='signal',interface='org.freedesktop.DBus.Properties'," \
	"member='PropertiesChanged',path='" path "',arg0='" iface "'"
#define OWNER(name)                                                   \
	"type='signal',sender='org.freedesktop.DBus',"                \
	"interface='org.freedesktop.DBus',member='NameOwnerChanged'," \
	"arg0='" name "'"

static const struct bus_match matches[] = {
	{ CHANGED(HOST_PATH, HOST_IFACE), on_properties_changed },
	{ CHANGED(HOST_PATH, POST_IFACE), on_properties_changed },
	{ CHANGED(CHASSIS_PATH, CHASSIS_IFACE), on_properties_changed },
	{ OWNER(HOST_SERVICE), on_name_owner },
	{ OWNER(CHASSIS_SERVICE), on_name_owner },
};

/* A match was missing for a while: ask for the states again. */
static void resync(void *userdata)
{
	get_all(userdata, false);
	get_all(userdata, true);
}

int power_new(sd_bus *bus, sd_event *event, uint64_t on_delay_ms,
	      power_handler_t handler, void *userdata, struct power **ret)
{
	struct power *p;
	int r;

	assert(bus && event && handler && ret);
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->bus = bus;
	p->event = event;
	p->on_delay_ms = on_delay_ms;
	p->handler = handler;
	p->userdata = userdata;
	p->gets[0] = (struct get_ctx){ p, HOST_IFACE, HOST_PROP };
	p->gets[1] = (struct get_ctx){ p, POST_IFACE, POST_PROP };
	p->gets[2] = (struct get_ctx){ p, CHASSIS_IFACE, CHASSIS_PROP };
	r = bus_matches_add(bus, matches, ARRAY_SIZE(matches), p, resync,
			    &p->matches);
	if (r < 0) {
		power_free(p);
		return r;
	}
	get_all(p, false);
	get_all(p, true);
	*ret = p;
	return 0;
}

struct power *power_free(struct power *p)
{
	if (!p)
		return NULL;
	bus_matches_free(p->matches);
	for (size_t i = 0; i < ARRAY_SIZE(p->get_slots); i++)
		sd_bus_slot_unref(p->get_slots[i]);
	sd_event_source_disable_unref(p->on_timer);
	free(p);
	return NULL;
}

const struct power_status *power_status(const struct power *p)
{
	return &p->status;
}
