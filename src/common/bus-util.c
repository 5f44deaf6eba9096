/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "bus-util.h"
#include "log.h"
#include "macros.h"
#include "utf8.h"

/* RequestName reply codes (org.freedesktop.DBus). */
#define NAME_PRIMARY_OWNER 1
#define NAME_IN_QUEUE	   2
#define NAME_EXISTS	   3
#define NAME_ALREADY_OWNER 4

int bus_request_name_result(uint32_t reply)
{
	switch (reply) {
	case NAME_PRIMARY_OWNER:
	case NAME_ALREADY_OWNER:
		return 0;
	case NAME_EXISTS:
	case NAME_IN_QUEUE:
		return -EEXIST;
	default:
		return -EBADMSG;
	}
}

struct name_request {
	char *name;
	bus_name_acquired_t acquired;
	void *userdata;
};

static void name_request_free(void *userdata)
{
	struct name_request *req = userdata;

	free(req->name);
	free(req);
}

static int on_request_name(sd_bus_message *m, void *userdata,
			   sd_bus_error *ret_error)
{
	struct name_request *req = userdata;
	sd_bus *bus = sd_bus_message_get_bus(m);
	const sd_bus_error *e = sd_bus_message_get_error(m);
	uint32_t reply = 0;
	int r;

	if (e) {
		r = sd_bus_message_get_errno(m);
		log_error("Cannot own the bus name '%s': %s", req->name,
			  e->message ? e->message : e->name);
		r = r > 0 ? -r : -EEXIST;
	} else {
		r = sd_bus_message_read(m, "u", &reply);
		if (r < 0)
			log_error_errno(r,
					"Cannot own the bus name '%s': "
					"bad RequestName reply",
					req->name);
		else
			r = bus_request_name_result(reply);
		if (r == -EEXIST)
			log_error("Cannot own the bus name '%s': already owned "
				  "by another connection (is another instance "
				  "running?)",
				  req->name);
		else if (r == -EBADMSG)
			log_error("Cannot own the bus name '%s': unexpected "
				  "RequestName reply %u",
				  req->name, reply);
	}
	if (r < 0) {
		(void)sd_event_exit(sd_bus_get_event(bus), r);
		return 0;
	}
	if (req->acquired)
		req->acquired(bus, req->name, req->userdata);
	else
		log_info("Serving %s", req->name);
	return 0;
}

int bus_request_name_async(sd_bus *bus, const char *name, uint64_t flags,
			   bus_name_acquired_t acquired, void *userdata)
{
	struct name_request *req;
	sd_bus_slot *slot = NULL;
	int r;

	assert(bus);
	assert(name);
	assert(!(flags & SD_BUS_NAME_QUEUE));

	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->name = strdup(name);
	if (!req->name) {
		free(req);
		return -ENOMEM;
	}
	req->acquired = acquired;
	req->userdata = userdata;

	r = sd_bus_request_name_async(bus, &slot, name, flags, on_request_name,
				      req);
	if (r < 0) {
		name_request_free(req);
		return r;
	}
	/* The slot lives until the reply (or the bus) is gone and frees
	 * the request with it. */
	r = sd_bus_slot_set_destroy_callback(slot, name_request_free);
	if (r >= 0)
		r = sd_bus_slot_set_floating(slot, 1);
	if (r < 0) {
		(void)sd_bus_slot_set_destroy_callback(slot, NULL);
		sd_bus_slot_unref(slot);
		name_request_free(req);
		return r;
	}
	sd_bus_slot_unref(slot);
	return 0;
}

int bus_append_string(sd_bus_message *reply, const char *s)
{
	_cleanup_free_ char *t = NULL;

	if (!s)
		s = "";
	if (utf8_is_valid(s))
		return sd_bus_message_append_basic(reply, 's', s);
	t = utf8_sanitize(s);
	if (!t)
		return -ENOMEM;
	return sd_bus_message_append_basic(reply, 's', t);
}

static int for_each_entry(sd_bus_message *m, const char *array,
			  const char *entry, char key_type, bool variant,
			  bus_entry_fn_t one, void *userdata)
{
	int r;

	r = sd_bus_message_enter_container(m, 'a', array);
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(m, 'e', entry)) > 0) {
		const char *key, *contents = NULL;
		char type;

		r = sd_bus_message_read_basic(m, key_type, &key);
		if (r >= 0 && variant)
			r = sd_bus_message_peek_type(m, &type, &contents);
		if (r >= 0)
			r = one(m, key, contents, userdata);
		if (r == 0)
			r = sd_bus_message_skip(m, entry + 1);
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(m);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(m);
}

int bus_for_each_prop(sd_bus_message *m, bus_entry_fn_t one, void *userdata)
{
	return for_each_entry(m, "{sv}", "sv", 's', true, one, userdata);
}

int bus_for_each_iface(sd_bus_message *m, bus_entry_fn_t one, void *userdata)
{
	return for_each_entry(m, "{sa{sv}}", "sa{sv}", 's', false, one,
			      userdata);
}

int bus_for_each_object(sd_bus_message *m, bus_entry_fn_t one, void *userdata)
{
	return for_each_entry(m, "{oa{sa{sv}}}", "oa{sa{sv}}", 'o', false, one,
			      userdata);
}

struct match_slot {
	struct bus_matches *set;
	const struct bus_match *match;
	sd_bus_slot *slot;
	bool failed;
};

struct bus_matches {
	sd_bus *bus;
	void *userdata;
	void (*resync)(void *userdata);
	sd_event_source *retry;
	size_t n;
	struct match_slot slots[];
};

static void matches_retry_later(struct bus_matches *s)
{
	if (sd_event_source_set_time_relative(s->retry, BUS_MATCH_RETRY_USEC) <
		    0 ||
	    sd_event_source_set_enabled(s->retry, SD_EVENT_ONESHOT) < 0)
		log_error("Cannot schedule a match retry");
}

static int on_match_installed(sd_bus_message *m, void *userdata,
			      sd_bus_error *ret_error)
{
	struct match_slot *ms = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(m);

	if (!e)
		return 0;
	log_warning("Match \"%s\" refused: %s: %s; retrying every %llu s",
		    ms->match->rule, e->name, e->message ? e->message : "",
		    BUS_MATCH_RETRY_USEC / 1000000);
	ms->failed = true;
	matches_retry_later(ms->set);
	return 0;
}

/* sd-bus gives the signal handler and the install callback the same
 * userdata (the match slot here): hand the signal on with the user's. */
static int on_match_signal(sd_bus_message *m, void *userdata,
			   sd_bus_error *ret_error)
{
	struct match_slot *ms = userdata;

	return ms->match->handler(m, ms->set->userdata, ret_error);
}

static int match_install(struct match_slot *ms)
{
	struct bus_matches *s = ms->set;

	ms->slot = sd_bus_slot_unref(ms->slot);
	ms->failed = false;
	return sd_bus_add_match_async(s->bus, &ms->slot, ms->match->rule,
				      on_match_signal, on_match_installed, ms);
}

static int on_matches_retry(sd_event_source *es, uint64_t usec, void *userdata)
{
	struct bus_matches *s = userdata;
	bool retried = false, still = false;

	for (size_t i = 0; i < s->n; i++) {
		struct match_slot *ms = &s->slots[i];
		int r;

		if (!ms->failed)
			continue;
		retried = true;
		r = match_install(ms);
		if (r < 0) {
			log_debug_errno(r, "Cannot add match \"%s\"",
					ms->match->rule);
			ms->failed = still = true;
		}
	}
	if (still)
		matches_retry_later(s);
	/* what happened meanwhile was not signalled */
	if (retried && s->resync)
		s->resync(s->userdata);
	return 0;
}

int bus_matches_add(sd_bus *bus, const struct bus_match *matches, size_t n,
		    void *userdata, void (*resync)(void *userdata),
		    struct bus_matches **ret)
{
	struct bus_matches *s;
	int r;

	assert(bus && sd_bus_get_event(bus) && ret);
	s = calloc(1, sizeof(*s) + n * sizeof(s->slots[0]));
	if (!s)
		return -ENOMEM;
	s->bus = sd_bus_ref(bus);
	s->userdata = userdata;
	s->resync = resync;
	s->n = n;
	r = sd_event_add_time_relative(sd_bus_get_event(bus), &s->retry,
				       CLOCK_MONOTONIC, BUS_MATCH_RETRY_USEC, 0,
				       on_matches_retry, s);
	if (r >= 0)
		r = sd_event_source_set_enabled(s->retry, SD_EVENT_OFF);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		s->slots[i].set = s;
		s->slots[i].match = &matches[i];
		r = match_install(&s->slots[i]);
	}
	if (r < 0) {
		bus_matches_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

struct bus_matches *bus_matches_free(struct bus_matches *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		sd_bus_slot_unref(s->slots[i].slot);
	sd_event_source_disable_unref(s->retry);
	sd_bus_unref(s->bus);
	free(s);
	return NULL;
}

struct bus_name_request {
	sd_bus *bus;
	char *name;
	bus_name_acquired_t acquired;
	void *userdata;
	sd_event_source *timeout;
	bool requested;
};

void bus_name_request_now(struct bus_name_request *req, const char *why)
{
	int r;

	if (req->requested)
		return;
	req->requested = true;
	req->timeout = sd_event_source_disable_unref(req->timeout);
	log_debug("Requesting %s: %s", req->name, why);
	r = bus_request_name_async(req->bus, req->name, 0, req->acquired,
				   req->userdata);
	if (r < 0)
		(void)sd_event_exit(sd_bus_get_event(req->bus),
				    log_error_errno(r, "Cannot request %s",
						    req->name));
}

static int on_name_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct bus_name_request *req = userdata;

	log_warning("No configuration records yet; serving %s without "
		    "waiting",
		    req->name);
	bus_name_request_now(req, "timeout");
	return 0;
}

int bus_name_request_new(sd_bus *bus, const char *name, uint64_t timeout_usec,
			 bus_name_acquired_t acquired, void *userdata,
			 struct bus_name_request **ret)
{
	struct bus_name_request *req;
	int r;

	assert(bus && sd_bus_get_event(bus) && name && ret);
	req = calloc(1, sizeof(*req));
	if (!req)
		return -ENOMEM;
	req->bus = sd_bus_ref(bus);
	req->acquired = acquired;
	req->userdata = userdata;
	req->name = strdup(name);
	r = req->name ?
		    sd_event_add_time_relative(sd_bus_get_event(bus),
					       &req->timeout, CLOCK_MONOTONIC,
					       timeout_usec, 0, on_name_timeout,
					       req) :
		    -ENOMEM;
	if (r < 0) {
		bus_name_request_free(req);
		return r;
	}
	*ret = req;
	return 0;
}

struct bus_name_request *bus_name_request_free(struct bus_name_request *req)
{
	if (!req)
		return NULL;
	sd_event_source_disable_unref(req->timeout);
	sd_bus_unref(req->bus);
	free(req->name);
	free(req);
	return NULL;
}

bool bus_vtable_has(const sd_bus_vtable *v, const char *name)
{
	for (; v->type != _SD_BUS_VTABLE_END; v++)
		if ((v->type == _SD_BUS_VTABLE_PROPERTY ||
		     v->type == _SD_BUS_VTABLE_WRITABLE_PROPERTY) &&
		    strcmp(v->x.property.member, name) == 0)
			return true;
	return false;
}
