// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "admin.h"
#include "dbus-names.h"
#include "errors.h"
#include "fmt.h"

/* errno -> name per context; NULL: the context's default. */
static const struct {
	int error;
	const char *name[_ERROR_CONTEXT_MAX];
} error_map[] = {
	{ EINVAL, { [ERROR_PROPERTY] = SD_BUS_ERROR_INVALID_ARGS } },
	{ ERANGE, { [ERROR_PROPERTY] = SD_BUS_ERROR_INVALID_ARGS } },
	{ EROFS, { [ERROR_PROPERTY] = SD_BUS_ERROR_INVALID_ARGS } },
	{ ETIME, { [ERROR_COMMAND] = ERR_TIMEOUT } },
	{ ETIMEDOUT, { [ERROR_COMMAND] = ERR_TIMEOUT } },
};

static const char *const error_default[_ERROR_CONTEXT_MAX] = {
	[ERROR_COMMAND] = ERR_UNAVAILABLE,
};

static const char *error_name(enum error_context ctx, int r,
			      const char *status_name)
{
	if (r > 0)
		return status_name;
	for (size_t i = 0; i < ARRAY_SIZE(error_map); i++)
		if (error_map[i].error == -r && error_map[i].name[ctx])
			return error_map[i].name[ctx];
	return error_default[ctx];
}

int nvmed_error(sd_bus_error *error, enum error_context ctx, int r,
		const char *status_name, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	const char *name;
	va_list ap;

	va_start(ap, fmt);
	msg = fmt_allocv(fmt, ap);
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	name = error_name(ctx, r, status_name);
	if (!name)
		return sd_bus_error_set_errnof(error, r < 0 ? -r : EIO, "%s",
					       msg);
	return sd_bus_error_set(error, name, msg);
}

int nvmed_command_error(sd_bus_error *error, int r, const char *status_name,
			const char *what)
{
	char buf[96];

	admin_status_str(r, buf, sizeof(buf));
	if (r > 0)
		return nvmed_error(error, ERROR_COMMAND, r, status_name,
				   "%s: the drive answered %s", what, buf);
	return nvmed_error(error, ERROR_COMMAND, r, status_name, "%s: %s", what,
			   buf);
}
