// SPDX-License-Identifier: Apache-2.0
/*
 * phosphor-nvme's configuration file (/etc/nvme/nvme_config.json) as
 * nvmed reads it: pnvme_parse() (src/nvmed/pure/pnvme.h) on the input as text.
 *
 * Invariants: parsing twice gives the same result (drives, thresholds,
 * interval, messages); a refusal has a message and leaves the result
 * untouched; an accepted threshold is finite and within
 * [NVMED_THRESHOLD_VALUE_MIN, NVMED_THRESHOLD_VALUE_MAX], and is the
 * value the file's last "threshold" entry gives (read here with json-c
 * directly), NaN when that entry has none or a bad one; drive indexes are
 * unique, index and bus within 0..255; every "config" entry is either a
 * drive or one message; the interval is within 1..3600 s.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz.h"
#include "src/nvmed/pure/pnvme.h"
#include "utf8.h"

static const char *const keys[] = { "criticalHigh", "criticalLow",
				    "warningHigh", "warningLow" };

static double *field(struct pnvme_config *c, size_t i)
{
	double *f[] = { &c->critical_high, &c->critical_low, &c->warning_high,
			&c->warning_low };

	return f[i];
}

static bool config_equal(struct pnvme_config *a, struct pnvme_config *b)
{
	if (a->n_drives != b->n_drives || a->n_errors != b->n_errors ||
	    a->interval_s != b->interval_s)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (!fuzz_same_double(*field(a, i), *field(b, i)))
			return false;
	for (size_t i = 0; i < a->n_drives; i++)
		if (a->drives[i].index != b->drives[i].index ||
		    a->drives[i].bus != b->drives[i].bus)
			return false;
	for (size_t i = 0; i < a->n_errors; i++)
		if (strcmp(a->errors[i], b->errors[i]) != 0)
			return false;
	return true;
}

/* What the last object of "threshold" says for key, as pnvme.h puts it. */
static double expected_threshold(json_object *root, const char *key)
{
	json_object *th, *last = NULL, *v;
	double d;

	if (!json_object_object_get_ex(root, "threshold", &th) ||
	    !json_object_is_type(th, json_type_array))
		return NAN;
	for (size_t i = 0; i < json_object_array_length(th); i++)
		if (json_object_is_type(json_object_array_get_idx(th, i),
					json_type_object))
			last = json_object_array_get_idx(th, i);
	if (!last || !json_object_object_get_ex(last, key, &v) ||
	    !(json_object_is_type(v, json_type_int) ||
	      json_object_is_type(v, json_type_double)))
		return NAN;
	d = json_object_get_double(v);
	if (!isfinite(d) || d < NVMED_THRESHOLD_VALUE_MIN ||
	    d > NVMED_THRESHOLD_VALUE_MAX)
		return NAN;
	return d;
}

static void check_against_json(const char *text, struct pnvme_config *c)
{
	json_object *root = json_tokener_parse(text), *config;
	size_t entry_errors = 0;

	FUZZ_CHECK(root, "accepted text json-c does not parse");
	FUZZ_CHECK(json_object_object_get_ex(root, "config", &config) &&
			   json_object_is_type(config, json_type_array),
		   "accepted without a \"config\" array");
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		double want = expected_threshold(root, keys[i]);

		FUZZ_CHECK(fuzz_same_double(*field(c, i), want),
			   "'%s' is %g, the file says %g", keys[i],
			   *field(c, i), want);
	}
	for (size_t i = 0; i < c->n_errors; i++)
		entry_errors += strncmp(c->errors[i], "config[", 7) == 0;
	FUZZ_CHECK(c->n_drives + entry_errors ==
			   json_object_array_length(config),
		   "%zu drives and %zu entry messages for %zu entries",
		   c->n_drives, entry_errors, json_object_array_length(config));
	json_object_put(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	struct pnvme_config c, again;
	char *err = NULL, *err2 = NULL;
	int r, r2;

	memset(&c, 0xa5, sizeof(c));
	r = pnvme_parse(text, &c, &err);
	memset(&again, 0xa5, sizeof(again));
	r2 = pnvme_parse(text, &again, &err2);
	FUZZ_CHECK(r == r2, "parsed twice: %d, then %d", r, r2);
	if (r < 0) {
		FUZZ_CHECK(r == -EINVAL || r == -ENOMEM, "refused with %d", r);
		FUZZ_CHECK(err && err2 && strcmp(err, err2) == 0,
			   "refusals without a message or with two");
		FUZZ_CHECK(c.n_drives == (size_t)0xa5a5a5a5a5a5a5a5 &&
				   c.interval_s == 0xa5a5a5a5,
			   "result written on refusal");
		free(err);
		free(err2);
		return 0;
	}
	FUZZ_CHECK(r == 0 && !err, "accepted with %d and a message", r);
	FUZZ_CHECK(config_equal(&c, &again), "parsed twice differently");

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		double v = *field(&c, i);

		FUZZ_CHECK(isnan(v) || (isfinite(v) &&
					v >= NVMED_THRESHOLD_VALUE_MIN &&
					v <= NVMED_THRESHOLD_VALUE_MAX),
			   "'%s' accepted as %g", keys[i], v);
	}
	FUZZ_CHECK(c.interval_s >= 1 && c.interval_s <= 3600, "interval %u",
		   c.interval_s);
	for (size_t i = 0; i < c.n_drives; i++) {
		FUZZ_CHECK(c.drives[i].index <= 255 && c.drives[i].bus <= 255,
			   "drive %u on bus %u", c.drives[i].index,
			   c.drives[i].bus);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(c.drives[i].index != c.drives[j].index,
				   "drive index %u twice", c.drives[i].index);
	}
	for (size_t i = 0; i < c.n_errors; i++)
		FUZZ_CHECK(c.errors[i] && *c.errors[i] &&
				   utf8_is_valid(c.errors[i]),
			   "message %zu empty or not UTF-8", i);
	check_against_json(text, &c);

	pnvme_config_clear(&c);
	pnvme_config_clear(&again);
	FUZZ_CHECK(c.n_drives == 0 && !c.drives && !c.errors,
		   "clear left something");
	return 0;
}
