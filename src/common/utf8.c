/* SPDX-License-Identifier: Apache-2.0 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

static bool codepoint_valid(uint32_t c)
{
	if (c > 0x10ffff)
		return false;
	if (c >= 0xd800 && c <= 0xdfff)
		return false;
	if (c >= 0xfdd0 && c <= 0xfdef)
		return false;
	return (c & 0xfffe) != 0xfffe;
}

size_t utf8_char_len(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	uint32_t c, min;

	if (len == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if ((p[0] & 0xe0) == 0xc0) {
		n = 2;
		c = p[0] & 0x1f;
		min = 0x80;
	} else if ((p[0] & 0xf0) == 0xe0) {
		n = 3;
		c = p[0] & 0x0f;
		min = 0x800;
	} else if ((p[0] & 0xf8) == 0xf0) {
		n = 4;
		c = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	return c >= min && codepoint_valid(c) ? n : 0;
}

/* The offset of the first byte that does not start a valid character in
 * s[0..len), or len. */
static size_t invalid_offset_n(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(s + i, len - i);

		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

bool utf8_is_valid_n(const char *s, size_t len)
{
	return invalid_offset_n(s, len) == len;
}

size_t utf8_invalid_offset(const char *s)
{
	return invalid_offset_n(s, strlen(s));
}

bool utf8_is_valid(const char *s)
{
	return s && s[utf8_invalid_offset(s)] == '\0';
}

char *utf8_sanitize(const char *s)
{
	size_t len = strlen(s);
	char *t = malloc(len + 1);

	if (!t)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(s + i, len - i);

		if (n == 0) {
			t[i++] = '?';
			continue;
		}
		memcpy(t + i, s + i, n);
		i += n;
	}
	t[len] = '\0';
	return t;
}
