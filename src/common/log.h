/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdarg.h>
#include <syslog.h>

#include "macros.h"

/*
 * Logging for the daemons: one line per message on stderr with the
 * "<N>" priority prefix journald understands (SyslogLevelPrefix=yes).
 * Messages above the current level are dropped; -v raises it.
 */
void log_set_max_level(int level);
/* Log and return -abs(err), so callers can "return log_error_errno(r, ...)".
 * Control bytes in the formatted message (newlines included) are written
 * as '?', so user strings cannot forge log lines. */
int log_internal(int level, int err, const char *fmt, ...) _printf_(3, 4);

#define log_full_errno(level, err, ...) \
	log_internal((level), (err), __VA_ARGS__)

#define log_debug(...)	 log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...)	 log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...)	 log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...)	  log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...)	  log_full_errno(LOG_ERR, e, __VA_ARGS__)

#define log_oom() log_error_errno(-ENOMEM, "Out of memory")
