// SPDX-License-Identifier: Apache-2.0
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "dbus-names.h"
#include "macros.h"
#include "power-state.h"

static const char *const names[] = {
	[POWER_ON] = "On",
	[POWER_BIOS_POST] = "BiosPost",
	[POWER_ALWAYS] = "Always",
	[POWER_CHASSIS_ON] = "ChassisOn",
};

int power_state_from_string(const char *s, enum power_state *ret)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum power_state)i;
			return 0;
		}
	return -EINVAL;
}

const char *power_state_to_string(enum power_state s)
{
	assert((size_t)s < ARRAY_SIZE(names));
	return names[s];
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

bool power_host_running(const char *v)
{
	return v && ends_with(v, "Running");
}

bool power_post_done(const char *v)
{
	return v && strcmp(v, "Inactive") != 0 &&
	       strcmp(v, ENUM_OS_STATUS "OSStatus.Inactive") != 0;
}

bool power_chassis_on(const char *v)
{
	return v && ends_with(v, ".On");
}

bool power_reading_ok(enum power_state want, const struct power_status *s)
{
	switch (want) {
	case POWER_ON:
		return s->host_on;
	case POWER_BIOS_POST:
		return s->host_on && s->post_done;
	case POWER_CHASSIS_ON:
		return s->chassis_on;
	case POWER_ALWAYS:
	default:
		return true;
	}
}
