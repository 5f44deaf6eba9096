/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure helpers of the entity-manager stand-in: template substitution and
 * the value conversions entity-manager applies before publishing.
 * No I/O, so test-em-template.c calls them directly.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct em_var {
	const char *name; /* without '$' */
	const char *value;
};

/*
 * Substitute "$NAME" templates in s, the way entity-manager does after a
 * FRU probe (src/entity_manager/utils.cpp, templateCharReplace):
 * - names match case-insensitively; each variable is applied once, in
 *   order;
 * - a string that is exactly "$NAME" becomes the value;
 * - "$NAME <op> N <op> N ..." (op one of + - * / %, tokens separated by
 *   single spaces) is evaluated from left to right in integer arithmetic
 *   (no precedence, C truncating division), starting from the value;
 *   the first token that is not an operator ends the expression and
 *   the rest is kept; an operand that is not a number is skipped;
 * - otherwise every occurrence of "$NAME" is replaced by the value.
 * Unknown templates are left as they are (recent entity-manager erases
 * them with an error; the stand-in keeps them so that consumers' handling
 * of an unresolved "$bus" can be tested). An expression that divides by
 * zero or overflows is left unevaluated (entity-manager throws).
 * Returns a malloc'ed string in *ret, or -ENOMEM.
 */
int em_expand(const char *s, const struct em_var *vars, size_t n_vars,
	      char **ret);

/*
 * entity-manager's final conversion: a string that is entirely a decimal
 * number, or "0x" followed by hex digits, fitting in 64 bits, is published
 * as an unsigned integer. Returns true and sets *ret if so.
 */
bool em_string_to_uint(const char *s, uint64_t *ret);

/* The object path segment entity-manager makes of a name: bytes that are
 * not ASCII letters or digits become '_', and a segment that then starts
 * with '_' has each '_' written as "_5f", as sdbusplus's object_path
 * appends it. Returns a malloc'ed string or NULL. */
char *em_escape(const char *s);
