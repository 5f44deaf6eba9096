/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one place an -errno or an NVMe status becomes a D-Bus error. Who
 * asks decides the names: a property write and a drive command map the
 * same errno differently, and each method keeps the names it has always
 * answered with (bmcweb turns some into Redfish messages).
 */
#pragma once

#include <systemd/sd-bus.h>

#include "macros.h"

enum error_context {
	/* Setting a property: the caller's mistakes (EINVAL, ERANGE, EROFS)
	 * are org.freedesktop.DBus.Error.InvalidArgs; the rest sd-bus's
	 * errno names (System.Error.<ERRNO>). */
	ERROR_PROPERTY,
	/* A command to the drive: timeouts are Common.Error.Timeout, other
	 * errnos Common.Error.Unavailable; an NVMe status (r > 0) is the
	 * status_name the method gives. */
	ERROR_COMMAND,
	/* A local system call (reading an image): sd-bus's errno names. */
	ERROR_SYSTEM,
	_ERROR_CONTEXT_MAX,
};

/* Set error from r (-errno, or an NVMe status for ERROR_COMMAND) with
 * the message fmt; returns a negative errno as a method handler does. */
int nvmed_error(sd_bus_error *error, enum error_context ctx, int r,
		const char *status_name, const char *fmt, ...) _printf_(5, 6);

/* ERROR_COMMAND with the message "<what>: <status or errno>" */
int nvmed_command_error(sd_bus_error *error, int r, const char *status_name,
			const char *what);
