// SPDX-License-Identifier: Apache-2.0
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "threshold.h"

void threshold_set_init(struct threshold_set *s)
{
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		s->t[k].value = NAN;
		s->t[k].hysteresis = 0;
		s->t[k].alarm = false;
	}
}

unsigned threshold_given(const struct threshold_set *s)
{
	unsigned mask = 0;

	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (!isnan(s->t[k].value))
			mask |= 1u << k;
	return mask;
}

int threshold_kind_from_config(const char *direction, unsigned severity,
			       enum threshold_kind *ret)
{
	bool high;

	if (!direction)
		return -EINVAL;
	if (strcmp(direction, "greater than") == 0)
		high = true;
	else if (strcmp(direction, "less than") == 0)
		high = false;
	else
		return -EINVAL;

	switch (severity) {
	case 0:
		*ret = high ? THRESHOLD_WARNING_HIGH : THRESHOLD_WARNING_LOW;
		return 0;
	case 1:
		*ret = high ? THRESHOLD_CRITICAL_HIGH : THRESHOLD_CRITICAL_LOW;
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static bool is_high(enum threshold_kind k)
{
	return k == THRESHOLD_WARNING_HIGH || k == THRESHOLD_CRITICAL_HIGH;
}

unsigned threshold_update(struct threshold_set *s, double value)
{
	unsigned changed = 0;

	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		struct threshold *t = &s->t[k];
		bool alarm = t->alarm;

		if (isnan(t->value))
			alarm = false;
		else if (isnan(value))
			continue; /* no reading: keep the alarm */
		else if (is_high(k))
			alarm = t->alarm ? value >= t->value - t->hysteresis :
					   value >= t->value;
		else
			alarm = t->alarm ? value <= t->value + t->hysteresis :
					   value <= t->value;

		if (alarm != t->alarm) {
			t->alarm = alarm;
			changed |= 1u << k;
		}
	}
	return changed;
}

unsigned threshold_clear(struct threshold_set *s)
{
	unsigned changed = 0;

	for (int k = 0; k < _THRESHOLD_MAX; k++)
		if (s->t[k].alarm) {
			s->t[k].alarm = false;
			changed |= 1u << k;
		}
	return changed;
}

const char *threshold_kind_name(enum threshold_kind k)
{
	static const char *const names[_THRESHOLD_MAX] = {
		[THRESHOLD_WARNING_HIGH] = "warning high",
		[THRESHOLD_WARNING_LOW] = "warning low",
		[THRESHOLD_CRITICAL_HIGH] = "critical high",
		[THRESHOLD_CRITICAL_LOW] = "critical low",
	};

	assert(k >= 0 && k < _THRESHOLD_MAX);
	return names[k];
}
