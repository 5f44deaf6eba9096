/* SPDX-License-Identifier: Apache-2.0 */
/*
 * UTF-8 as sd-bus accepts it in a D-Bus string (the D-Bus specification,
 * "Valid UTF-8"; systemd's src/basic/utf8.c, unichar_is_valid()): no
 * overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF,
 * and no noncharacters (U+FDD0..U+FDEF, U+xFFFE, U+xFFFF), which sd-bus
 * refuses too. Pure.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Bytes of the valid character at s[0..len), or 0 if there is none. */
size_t utf8_char_len(const char *s, size_t len);
/* Are the len bytes at s valid UTF-8 (NUL bytes count as characters)? */
bool utf8_is_valid_n(const char *s, size_t len);
/* Is the string s valid UTF-8? NULL is not. */
bool utf8_is_valid(const char *s);
/* Offset of the first byte of s that starts no valid character, or the
 * length of s when all of it is valid. */
size_t utf8_invalid_offset(const char *s);
/* A copy of s with each byte that starts no valid character replaced by
 * '?' (the result is valid UTF-8). NULL on allocation failure. */
char *utf8_sanitize(const char *s);
