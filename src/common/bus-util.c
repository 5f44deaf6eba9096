/* SPDX-License-Identifier: Apache-2.0 */
#include <assert.h>
#include <errno.h>
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
