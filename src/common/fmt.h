/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Numbers and messages as strings. Pure.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#include "macros.h"

/* Enough for any double fmt_double writes ("-1.2345678901234567e-308"). */
#define FMT_DOUBLE_MAX 32

/*
 * x in the fewest significant digits (%.<n>g, n = 1..17) that read back
 * as x, so that a message shows why a value was refused: 1000.0001 is
 * "1000.0001", not %g's "1000". Integers below 1e16 without an exponent
 * (5000, not 5e+03); inf, -inf and nan as printf writes them.
 * Returns buf.
 */
char *fmt_double(char buf[static FMT_DOUBLE_MAX], double x);

/* printf into a new string (free() it); NULL when out of memory. */
char *fmt_alloc(const char *fmt, ...) _printf_(1, 2);
char *fmt_allocv(const char *fmt, va_list ap) _printf_(1, 0);
