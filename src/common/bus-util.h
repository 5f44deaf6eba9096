/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small sd-bus helpers shared by the daemons.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

/* Called once the well-known name is ours. */
typedef void (*bus_name_acquired_t)(sd_bus *bus, const char *name,
				    void *userdata);

/*
 * What a RequestName reply code means for a daemon that does not queue
 * (pure): 0 when the name is ours (1 PRIMARY_OWNER, 4 ALREADY_OWNER),
 * -EEXIST when another connection owns it (3 EXISTS, or 2 IN_QUEUE),
 * -EBADMSG for any other value.
 */
int bus_request_name_result(uint32_t reply);

/*
 * Request name asynchronously without queueing (flags: SD_BUS_NAME_*
 * other than QUEUE; usually 0). When the reply comes: if the name is
 * ours, acquired is called (or, when NULL, "Serving <name>" is logged);
 * otherwise the failure is logged (the D-Bus error, or "already owned by
 * another connection") and the event loop the bus is attached to exits
 * with -EEXIST (or the errno of the D-Bus error). The bus must be
 * attached to an event loop. Returns 0 or -errno (nothing was sent).
 */
int bus_request_name_async(sd_bus *bus, const char *name, uint64_t flags,
			   bus_name_acquired_t acquired, void *userdata);

/*
 * Append s (NULL: "") as a D-Bus string, for a property getter: bytes
 * that are not UTF-8 (which sd-bus refuses, failing the getter and with
 * it a whole GetManagedObjects reply, every other object's included)
 * are appended as '?'. Returns 0 or -errno.
 */
int bus_append_string(sd_bus_message *reply, const char *s);

/* Whether the vtable v has a property (read-only or writable) called
 * name: for the start-up checks that every property a daemon emits a
 * change of is one it publishes. */
bool bus_vtable_has(const sd_bus_vtable *v, const char *name);

/*
 * Walkers over the dictionaries org.freedesktop.DBus.Properties and
 * ObjectManager send, one for each shape:
 *   bus_for_each_prop     "a{sv}"          one(m, property, contents, ud)
 *   bus_for_each_iface    "a{sa{sv}}"      one(m, interface, NULL, ud)
 *   bus_for_each_object   "a{oa{sa{sv}}}"  one(m, object path, NULL, ud)
 * m is positioned at the entry's value; one() reads it and returns 1,
 * returns 0 to have it skipped, or -errno to stop the walk. contents is
 * the variant's signature for properties ("s", "as", ...). Return 0 or
 * the first -errno (one()'s or sd-bus's).
 */
typedef int (*bus_entry_fn_t)(sd_bus_message *m, const char *key,
			      const char *contents, void *userdata);
int bus_for_each_prop(sd_bus_message *m, bus_entry_fn_t one, void *userdata);
int bus_for_each_iface(sd_bus_message *m, bus_entry_fn_t one, void *userdata);
int bus_for_each_object(sd_bus_message *m, bus_entry_fn_t one, void *userdata);

/*
 * Signal matches that survive a refusal. sd-bus closes the connection
 * when an asynchronous AddMatch without an install callback is refused
 * (sd-bus's add_match_callback()); these are installed with one, and a
 * refused or unsendable match is logged and tried again every
 * BUS_MATCH_RETRY_USEC until the bus daemon takes it. Each time a match
 * that had failed is in place, resync(userdata) is called, because what
 * happened meanwhile was not signalled. The bus must be attached to an
 * event loop.
 */
#define BUS_MATCH_RETRY_USEC (1000 * 1000ull)

struct bus_match {
	const char *rule;
	sd_bus_message_handler_t handler;
};

struct bus_matches;

/* Install the n matches (rules and handlers are not copied: keep them).
 * Returns 0 or -errno; a match the bus refuses later is retried. */
int bus_matches_add(sd_bus *bus, const struct bus_match *matches, size_t n,
		    void *userdata, void (*resync)(void *userdata),
		    struct bus_matches **ret);
struct bus_matches *bus_matches_free(struct bus_matches *s);

/*
 * The well-known name, requested once: when the daemon's first records
 * are objects on the bus (bus_name_request_now(), from the configuration
 * source's ready callback), or after timeout_usec when they do not come
 * (entity-manager not answering), so that a consumer that sees the name
 * finds the objects. The request is bus_request_name_async()'s (a name
 * another connection owns ends the loop). acquired may be NULL.
 */
struct bus_name_request;

int bus_name_request_new(sd_bus *bus, const char *name, uint64_t timeout_usec,
			 bus_name_acquired_t acquired, void *userdata,
			 struct bus_name_request **ret);
/* Request it now (at most once); why is logged at debug level. */
void bus_name_request_now(struct bus_name_request *req, const char *why);
struct bus_name_request *bus_name_request_free(struct bus_name_request *req);
