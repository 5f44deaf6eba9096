/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure threshold evaluation with hysteresis, phosphor-dbus-interfaces'
 * Sensor.Threshold.Warning / .Critical model.
 */
#pragma once

#include <stdbool.h>

enum threshold_kind {
	THRESHOLD_WARNING_HIGH,
	THRESHOLD_WARNING_LOW,
	THRESHOLD_CRITICAL_HIGH,
	THRESHOLD_CRITICAL_LOW,
	_THRESHOLD_MAX,
};

struct threshold {
	double value; /* NaN: not set */
	double hysteresis; /* >= 0 */
	bool alarm;
};

struct threshold_set {
	struct threshold t[_THRESHOLD_MAX];
};

/* Default hysteresis (degrees C) when a record gives none. */
#define THRESHOLD_DEFAULT_HYSTERESIS 1.0

/* All values NaN, no alarms. */
void threshold_set_init(struct threshold_set *s);

/* The mask (1 << kind) of the thresholds s gives a value (not NaN). */
unsigned threshold_given(const struct threshold_set *s);

/* Bits of the high and the low threshold of a level. */
#define THRESHOLD_WARNING_MASK \
	(1u << THRESHOLD_WARNING_HIGH | 1u << THRESHOLD_WARNING_LOW)
#define THRESHOLD_CRITICAL_MASK \
	(1u << THRESHOLD_CRITICAL_HIGH | 1u << THRESHOLD_CRITICAL_LOW)
#define THRESHOLD_HIGH_MASK \
	(1u << THRESHOLD_WARNING_HIGH | 1u << THRESHOLD_CRITICAL_HIGH)

/*
 * Map an entity-manager threshold (Direction "greater than"/"less than",
 * Severity 0 warning, 1 critical) to a kind. -EINVAL for an unknown
 * direction, -EOPNOTSUPP for severities above 1 (PerformanceLoss,
 * SoftShutdown, HardShutdown: no interface for them here).
 */
int threshold_kind_from_config(const char *direction, unsigned severity,
			       enum threshold_kind *ret);

/*
 * Evaluate value against every set threshold. High alarms assert at
 * value >= high and clear below high - hysteresis; low alarms assert at
 * value <= low and clear above low + hysteresis. A NaN value (no reading)
 * leaves every alarm as it is (dbus-sensors keeps them through a failed
 * read); a threshold without a value (NaN) has no alarm. Returns the bit
 * mask (1 << kind) of alarms that changed.
 */
unsigned threshold_update(struct threshold_set *s, double value);

/* De-assert every alarm (the drive is outside its power state); returns
 * the mask of those that were asserted. */
unsigned threshold_clear(struct threshold_set *s);

/* The kind in words, for logs: "warning high", ... */
const char *threshold_kind_name(enum threshold_kind k);
