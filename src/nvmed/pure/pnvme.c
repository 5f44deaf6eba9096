// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fmt.h"
#include "macros.h"
#include "pnvme.h"

static char *errorf(const char *fmt, ...) _printf_(1, 2);
static char *errorf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int add_error(struct pnvme_config *c, char *msg)
{
	char **n;

	if (!msg)
		return -ENOMEM;
	n = realloc(c->errors, (c->n_errors + 1) * sizeof(*n));
	if (!n) {
		free(msg);
		return -ENOMEM;
	}
	c->errors = n;
	c->errors[c->n_errors++] = msg;
	return 0;
}

/* An integer in [0, max] under one of the names; -ENOENT, -EINVAL. */
static int get_uint(json_object *o, const char *const *keys, long max,
		    unsigned *ret, const char **ret_key)
{
	for (; *keys; keys++) {
		json_object *v;
		int64_t n;

		if (!json_object_object_get_ex(o, *keys, &v))
			continue;
		*ret_key = *keys;
		if (!json_object_is_type(v, json_type_int))
			return -EINVAL;
		n = json_object_get_int64(v);
		if (n < 0 || n > max)
			return -EINVAL;
		*ret = (unsigned)n;
		return 0;
	}
	return -ENOENT;
}

/*
 * One threshold of entry i into *ret: NaN when the key is absent, else a
 * finite number in the range NVME1000 threshold Values have; anything
 * else is described in c->errors and left NaN (no such threshold). json-c
 * reads the non-standard literals Infinity and NaN as numbers.
 */
static int get_threshold(struct pnvme_config *c, json_object *t, size_t i,
			 const char *key, double *ret)
{
	char buf[FMT_DOUBLE_MAX];
	json_object *v;
	double d;

	*ret = NAN;
	if (!json_object_object_get_ex(t, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		return add_error(
			c, errorf("threshold[%zu]: '%s' must be a "
				  "number, not %s",
				  i, key,
				  json_type_to_name(json_object_get_type(v))));
	d = json_object_get_double(v);
	if (!isfinite(d) || d < NVMED_THRESHOLD_VALUE_MIN ||
	    d > NVMED_THRESHOLD_VALUE_MAX)
		return add_error(c, errorf("threshold[%zu]: '%s' must be a "
					   "finite number between %d and %d, "
					   "not %s",
					   i, key, NVMED_THRESHOLD_VALUE_MIN,
					   NVMED_THRESHOLD_VALUE_MAX,
					   fmt_double(buf, d)));
	*ret = d;
	return 0;
}

static int get_thresholds(struct pnvme_config *c, json_object *t, size_t i)
{
	int r;

	r = get_threshold(c, t, i, "criticalHigh", &c->critical_high);
	if (r >= 0)
		r = get_threshold(c, t, i, "criticalLow", &c->critical_low);
	if (r >= 0)
		r = get_threshold(c, t, i, "warningHigh", &c->warning_high);
	if (r >= 0)
		r = get_threshold(c, t, i, "warningLow", &c->warning_low);
	return r;
}

/* A required key (one of keys) of entry i, an integer 0..255: 0; 1 when
 * refused (the error added), -ENOMEM. */
static int get_byte(struct pnvme_config *c, json_object *e, size_t i,
		    const char *const *keys, unsigned *ret)
{
	const char *key = keys[0];
	int r = get_uint(e, keys, 255, ret, &key);

	if (r == 0)
		return 0;
	r = add_error(c, errorf("config[%zu]: '%s' %s", i, key,
				r == -ENOENT ? "is missing" :
					       "must be an integer 0..255"));
	return r < 0 ? r : 1;
}

static int parse_entry(struct pnvme_config *c, json_object *e, size_t i)
{
	/* phosphor-nvme's README and code say NVMeDriveIndex; some forks
	 * write NvmeDriveIndex */
	static const char *const index_keys[] = { "NVMeDriveIndex",
						  "NvmeDriveIndex", NULL };
	static const char *const bus_keys[] = { "NVMeDriveBusID", NULL };
	struct pnvme_drive d, *n;
	int r;

	if (!json_object_is_type(e, json_type_object))
		return add_error(c, errorf("config[%zu]: not an object", i));
	r = get_byte(c, e, i, index_keys, &d.index);
	if (r == 0)
		r = get_byte(c, e, i, bus_keys, &d.bus);
	if (r != 0)
		return r < 0 ? r : 0;
	for (size_t k = 0; k < c->n_drives; k++)
		if (c->drives[k].index == d.index)
			return add_error(c, errorf("config[%zu]: drive index "
						   "%u appears twice",
						   i, d.index));
	n = realloc(c->drives, (c->n_drives + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	c->drives = n;
	c->drives[c->n_drives++] = d;
	return 0;
}

int pnvme_parse(const char *text, struct pnvme_config *ret, char **ret_error)
{
	struct pnvme_config c = {
		.critical_high = NAN,
		.critical_low = NAN,
		.warning_high = NAN,
		.warning_low = NAN,
		.interval_s = 1,
	};
	enum json_tokener_error jerr;
	json_object *root, *config, *th, *v;
	int r = -EINVAL;

	root = json_tokener_parse_verbose(text, &jerr);
	if (!root) {
		*ret_error = errorf("invalid JSON: %s",
				    json_tokener_error_desc(jerr));
		return -EINVAL;
	}
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "config", &config) ||
	    !json_object_is_type(config, json_type_array)) {
		*ret_error = errorf("expected an object with a \"config\" "
				    "array");
		goto out;
	}
	if (json_object_object_get_ex(root, "monitorIntervalSec", &v) &&
	    json_object_is_type(v, json_type_int) &&
	    json_object_get_int64(v) >= 1 && json_object_get_int64(v) <= 3600)
		c.interval_s = (unsigned)json_object_get_int64(v);
	/* phosphor-nvme: the last entry of "threshold" wins */
	if (json_object_object_get_ex(root, "threshold", &th) &&
	    json_object_is_type(th, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(th); i++) {
			json_object *t = json_object_array_get_idx(th, i);

			if (!json_object_is_type(t, json_type_object))
				continue;
			if (get_thresholds(&c, t, i) < 0) {
				*ret_error = errorf("out of memory");
				r = -ENOMEM;
				goto out;
			}
		}
	}
	for (size_t i = 0; i < json_object_array_length(config); i++) {
		r = parse_entry(&c, json_object_array_get_idx(config, i), i);
		if (r < 0) {
			*ret_error = errorf("out of memory");
			goto out;
		}
	}
	*ret = c;
	c = (struct pnvme_config){ 0 };
	r = 0;
out:
	pnvme_config_clear(&c);
	json_object_put(root);
	return r;
}

void pnvme_config_clear(struct pnvme_config *c)
{
	for (size_t i = 0; i < c->n_errors; i++)
		free(c->errors[i]);
	free(c->errors);
	free(c->drives);
	*c = (struct pnvme_config){ 0 };
}
