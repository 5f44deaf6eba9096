// SPDX-License-Identifier: Apache-2.0
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "names.h"

static bool is_separator(char c)
{
	return c == ' ' || c == '_' || c == '-';
}

char *nvmed_drive_name(const char *record_name)
{
	size_t n = strlen(record_name), end = n;

	/* "... Temp", "..._temp", "...-TEMP" */
	if (n > 4 && strcasecmp(record_name + n - 4, "temp") == 0 &&
	    is_separator(record_name[n - 5])) {
		end = n - 5;
		while (end > 0 && is_separator(record_name[end - 1]))
			end--;
		if (end == 0)
			end = n;
	}
	return strndup(record_name, end);
}
