/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Small sd-bus helpers shared by the daemons.
 */
#pragma once

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
