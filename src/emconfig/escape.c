/* SPDX-License-Identifier: Apache-2.0 */
/* Object path segment escaping, as entity-manager does it. Pure. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static bool is_path_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

char *emc_escape(const char *s)
{
	size_t len;
	char *t;

	assert(s);
	len = strlen(s);
	t = malloc(len + 1);
	if (!t)
		return NULL;
	for (size_t i = 0; i < len; i++)
		t[i] = is_path_char((unsigned char)s[i]) ? s[i] : '_';
	t[len] = '\0';
	return t;
}

bool emc_escaped_equal(const char *a, const char *b)
{
	assert(a);
	assert(b);
	for (; *a && *b; a++, b++) {
		char x = is_path_char((unsigned char)*a) ? *a : '_';
		char y = is_path_char((unsigned char)*b) ? *b : '_';

		if (x != y)
			return false;
	}
	return !*a && !*b;
}
