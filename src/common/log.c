/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static int max_level = LOG_INFO;

void log_set_max_level(int level)
{
	max_level = level < LOG_EMERG ? LOG_EMERG : level;
	if (max_level > LOG_DEBUG)
		max_level = LOG_DEBUG;
}

int log_internal(int level, int err, const char *fmt, ...)
{
	int saved = errno;
	char buf[1024];
	va_list ap;

	if (err > 0)
		err = -err;
	if (level > max_level)
		goto out;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* Names and paths come from configuration and devices: a newline
	 * would start a forged journal line with its own "<N>" prefix. */
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';

	if (err < 0)
		fprintf(stderr, "<%d>%s: %s\n", level, buf, strerror(-err));
	else
		fprintf(stderr, "<%d>%s\n", level, buf);
out:
	errno = saved;
	return err;
}
