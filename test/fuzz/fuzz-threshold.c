// SPDX-License-Identifier: Apache-2.0
/*
 * Threshold evaluation (src/nvmed/pure/threshold.h) over a sequence of
 * readings, with thresholds changed between readings (as a Set over
 * D-Bus or a record change does) and alarms cleared (as leaving the
 * power state does).
 *
 * Input: four thresholds (warning high, warning low, critical high,
 * critical low: value, hysteresis), then operations: a reading, a clear,
 * a threshold change, or a threshold's entity-manager config (Direction,
 * Severity) to map to a kind.
 *
 * Invariants, against a model written from the header's words: an alarm
 * never toggles without a crossing (a high alarm asserts only at a value
 * >= high and clears only below high - hysteresis; a low one asserts only
 * at <= low and clears only above low + hysteresis); a reading that is
 * NaN changes nothing; a threshold without a value has no alarm; the
 * mask returned is exactly the alarms that changed.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "src/nvmed/pure/threshold.h"

static bool is_high(int k)
{
	return k == THRESHOLD_WARNING_HIGH || k == THRESHOLD_CRITICAL_HIGH;
}

/* A reading or a threshold value: NaN, values around small thresholds
 * (steps of 0.5 and 0.25, so that crossings and hysteresis bands are
 * hit), or any finite double. */
static double read_value(struct fuzz_in *in)
{
	uint8_t mode = fuzz_u8(in);
	uint64_t bits;
	double d;

	switch (mode % 4) {
	case 0:
		return NAN;
	case 1:
		return (int8_t)fuzz_u8(in) / 2.0;
	case 2:
		return (int16_t)fuzz_u16(in) / 4.0;
	default:
		bits = fuzz_u64(in);
		memcpy(&d, &bits, sizeof(d));
		return isfinite(d) ? d : NAN;
	}
}

/* A hysteresis: >= 0, as the header asks of callers. */
static double read_hysteresis(struct fuzz_in *in)
{
	uint8_t h = fuzz_u8(in);
	uint64_t bits;
	double d;

	if (h < 240)
		return h / 4.0;
	bits = fuzz_u64(in);
	memcpy(&d, &bits, sizeof(d));
	return isfinite(d) ? fabs(d) : 0;
}

/* The model: what reading v does to the alarm of threshold k. */
static bool model_next(int k, double value, double hyst, bool alarm, double v)
{
	if (isnan(value))
		return false;
	if (isnan(v))
		return alarm;
	if (is_high(k)) {
		if (v >= value)
			return true;
		if (v < value - hyst)
			return false;
		return alarm;
	}
	if (v <= value)
		return true;
	if (v > value + hyst)
		return false;
	return alarm;
}

static void check_config(struct fuzz_in *in)
{
	static const char *const directions[] = { "greater than", "less than",
						  "greater", "" };
	uint8_t sel = fuzz_u8(in);
	unsigned severity = fuzz_u8(in) % 6;
	_cleanup_free_ char *own = NULL;
	const char *dir;
	enum threshold_kind k = _THRESHOLD_MAX;
	int r;

	if (sel % 8 < 4) {
		dir = directions[sel % 4];
	} else {
		own = fuzz_string(in, 16);
		dir = own;
	}
	r = threshold_kind_from_config(sel % 8 == 7 ? NULL : dir, severity, &k);
	if (sel % 8 == 7) {
		FUZZ_CHECK(r == -EINVAL && k == _THRESHOLD_MAX,
			   "no direction: %d", r);
		return;
	}
	if (strcmp(dir, "greater than") != 0 && strcmp(dir, "less than") != 0) {
		FUZZ_CHECK(r == -EINVAL && k == _THRESHOLD_MAX,
			   "direction '%s': %d", dir, r);
		return;
	}
	if (severity > 1) {
		FUZZ_CHECK(r == -EOPNOTSUPP && k == _THRESHOLD_MAX,
			   "severity %u: %d", severity, r);
		return;
	}
	FUZZ_CHECK(r == 0, "'%s' severity %u: %d", dir, severity, r);
	FUZZ_CHECK(is_high((int)k) == (strcmp(dir, "greater than") == 0) &&
			   (k == THRESHOLD_CRITICAL_HIGH ||
			    k == THRESHOLD_CRITICAL_LOW) == (severity == 1),
		   "'%s' severity %u is %s", dir, severity,
		   threshold_kind_name(k));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct threshold_set s;
	unsigned steps = 0;

	threshold_set_init(&s);
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		FUZZ_CHECK(isnan(s.t[k].value) && !s.t[k].alarm,
			   "%s set at init", threshold_kind_name(k));
		s.t[k].value = read_value(&in);
		s.t[k].hysteresis = read_hysteresis(&in);
	}

	while (!fuzz_done(&in) && steps++ < 4096) {
		uint8_t op = fuzz_u8(&in);
		bool before[_THRESHOLD_MAX];
		unsigned mask, want = 0;
		double v;
		int k;

		for (k = 0; k < _THRESHOLD_MAX; k++)
			before[k] = s.t[k].alarm;
		switch (op % 8) {
		case 5:
			mask = threshold_clear(&s);
			for (k = 0; k < _THRESHOLD_MAX; k++) {
				want |= before[k] ? 1u << k : 0;
				FUZZ_CHECK(!s.t[k].alarm, "%s kept by clear",
					   threshold_kind_name(k));
			}
			FUZZ_CHECK(mask == want, "clear: mask 0x%x, not 0x%x",
				   mask, want);
			continue;
		case 6:
			/* a Set or a record change: no evaluation until the
			 * next reading, the alarm stays as it was */
			k = fuzz_u8(&in) % _THRESHOLD_MAX;
			s.t[k].value = read_value(&in);
			s.t[k].hysteresis = read_hysteresis(&in);
			continue;
		case 7:
			check_config(&in);
			continue;
		default:
			break;
		}

		v = read_value(&in);
		mask = threshold_update(&s, v);
		for (k = 0; k < _THRESHOLD_MAX; k++) {
			const struct threshold *t = &s.t[k];
			bool expect = model_next(k, t->value, t->hysteresis,
						 before[k], v);

			if (t->alarm != before[k])
				want |= 1u << k;
			FUZZ_CHECK(t->alarm == expect,
				   "%s %g (hysteresis %g): alarm %s -> %s at "
				   "%g",
				   threshold_kind_name(k), t->value,
				   t->hysteresis, before[k] ? "on" : "off",
				   t->alarm ? "on" : "off", v);
			/* the same, in the words of the header */
			if (t->alarm && !before[k])
				FUZZ_CHECK(is_high(k) ? v >= t->value :
							v <= t->value,
					   "%s asserted at %g without a "
					   "crossing",
					   threshold_kind_name(k), v);
			if (!t->alarm && before[k] && !isnan(t->value))
				FUZZ_CHECK(
					is_high(k) ?
						v < t->value - t->hysteresis :
						v > t->value + t->hysteresis,
					"%s cleared at %g inside the "
					"hysteresis",
					threshold_kind_name(k), v);
		}
		FUZZ_CHECK(mask == want, "update at %g: mask 0x%x, not 0x%x", v,
			   mask, want);
	}
	return 0;
}
