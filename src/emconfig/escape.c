/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Object path segments, as entity-manager makes them. Pure.
 *
 * entity-manager (openbmc/entity-manager 3b745d22,
 * src/dbus_util.cpp sanitizeForDBusPathSegment) first replaces every byte
 * that is not an ASCII letter or digit with '_', then appends the result
 * to the board path with sdbusplus's object_path operator/= (openbmc/
 * sdbusplus src/message/native_types.cpp). That appends a segment as it
 * is when its first byte is a letter or digit and no other byte needs
 * escaping; otherwise it writes every byte that is not alphanumeric, the
 * first byte whatever it is, as '_' and two lower-case hex digits. Only
 * letters, digits and '_' are left after sanitising, so a segment is
 * escaped exactly when it starts with '_', and then each '_' is "_5f":
 * "-rear cable" -> "_rear_cable" -> "_5frear_5fcable". object_path's
 * filename(), which bmcweb uses to name a resource, reads that form back
 * to "_rear_cable"; a plain "_rear_cable" would read as an empty name.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9');
}

/* The byte entity-manager's sanitising leaves at c. */
static char sanitised(unsigned char c)
{
	return is_alnum(c) ? (char)c : '_';
}

char *emc_escape(const char *s)
{
	size_t len, n_under = 0, o = 0;
	bool escape;
	char *t;

	assert(s);
	len = strlen(s);
	for (size_t i = 0; i < len; i++)
		n_under += !is_alnum((unsigned char)s[i]);
	escape = len > 0 && !is_alnum((unsigned char)s[0]);
	t = malloc(len + (escape ? 2 * n_under : 0) + 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		char c = sanitised((unsigned char)s[i]);

		t[o++] = c;
		if (escape && c == '_') {
			t[o++] = '5';
			t[o++] = 'f';
		}
	}
	t[o] = '\0';
	return t;
}

/* Escaping is one to one on sanitised names, so two names share a
 * segment exactly when they sanitise alike. */
bool emc_escaped_equal(const char *a, const char *b)
{
	assert(a);
	assert(b);
	for (; *a && *b; a++, b++)
		if (sanitised((unsigned char)*a) !=
		    sanitised((unsigned char)*b))
			return false;
	return !*a && !*b;
}
