/* SPDX-License-Identifier: Apache-2.0 */
#include <math.h>
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
