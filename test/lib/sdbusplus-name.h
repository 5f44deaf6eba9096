/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The name a C++ consumer (bmcweb, the mapper's clients) reads from an
 * object path: sdbusplus's object_path::filename(), written here from its
 * contract (openbmc/sdbusplus src/message/native_types.cpp, and the
 * escaping its operator/= does, test/message/native_types.cpp): the
 * last segment; one that does not start with '_' is the name as it is;
 * one that does is escaped: every '_' starts a byte written as two hex
 * digits, and a '_' without two hex digits after it makes the name
 * empty. Header only, so that unit tests without the test bed use it.
 */
#pragma once

#include <stdlib.h>
#include <string.h>

static inline int sdbusplus_unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The name in path's last segment; "" where filename() gives "" (no
 * segment, or a bad escape). Returns a malloc'ed string, NULL on OOM. */
static inline char *sdbusplus_filename(const char *path)
{
	const char *seg = strrchr(path, '/');
	size_t o = 0;
	char *out;

	if (!seg)
		return strdup("");
	seg++;
	if (seg[0] != '_')
		return strdup(seg);
	out = malloc(strlen(seg) + 1);
	if (!out)
		return NULL;
	for (const char *p = seg; *p; p++) {
		int hi, lo;

		if (*p != '_') {
			out[o++] = *p;
			continue;
		}
		hi = p[1] ? sdbusplus_unhex(p[1]) : -1;
		lo = hi >= 0 && p[2] ? sdbusplus_unhex(p[2]) : -1;
		if (hi < 0 || lo < 0) {
			out[0] = '\0';
			return out;
		}
		out[o++] = (char)(hi << 4 | lo);
		p += 2;
	}
	out[o] = '\0';
	return out;
}
