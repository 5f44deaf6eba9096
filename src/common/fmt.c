/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "fmt.h"

char *fmt_double(char buf[static FMT_DOUBLE_MAX], double x)
{
	/* integers as integers: %.1g would write 5000 as 5e+03 */
	if (isfinite(x) && x == floor(x) && fabs(x) < 1e16) {
		snprintf(buf, FMT_DOUBLE_MAX, "%.0f", x);
		return buf;
	}
	/* 17 significant digits always round-trip (IEEE 754 binary64) */
	for (int digits = 1; digits <= 17; digits++) {
		snprintf(buf, FMT_DOUBLE_MAX, "%.*g", digits, x);
		if (!isfinite(x) || strtod(buf, NULL) == x)
			break;
	}
	return buf;
}

char *fmt_allocv(const char *fmt, va_list ap)
{
	char *s;

	return vasprintf(&s, fmt, ap) < 0 ? NULL : s;
}

char *fmt_alloc(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = fmt_allocv(fmt, ap);
	va_end(ap);
	return s;
}
