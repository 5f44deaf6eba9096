/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record validation against a schema, and the helpers that describe
 * values in error messages. Pure (no I/O).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "internal.h"
#include "utf8.h"

#define DEFAULT_MAX_LEN 4096

char *emc_msg_truncate(const char *s, size_t max)
{
	/* enough to see whether the character at max - 1 is whole */
	size_t avail = strnlen(s, max + 4), i = 0, o = 0;
	char *t = malloc(max + 4);

	if (!t)
		return NULL;
	/* Messages go to the journal and into D-Bus replies: control bytes
	 * and bytes that are not UTF-8 become '?', and no character is cut
	 * in two. */
	while (i < avail) {
		size_t n = utf8_char_len(s + i, avail - i);
		size_t step = n ? n : 1;
		unsigned char c = (unsigned char)s[i];

		if (i + step > max)
			break;
		if (n == 0 || c < 0x20 || c == 0x7f) {
			t[o++] = '?';
		} else {
			memcpy(t + o, s + i, n);
			o += n;
		}
		i += step;
	}
	if (i < avail)
		memcpy(t + o, "...", 4);
	else
		t[o] = '\0';
	return t;
}

/* Integral limits print as integers, others in the fewest digits that
 * read back as the limit. */
static void format_limit(char *buf, size_t size, double x)
{
	char d[FMT_DOUBLE_MAX];

	if (x == floor(x) && fabs(x) < 1e18)
		snprintf(buf, size, "%.0f", x);
	else
		snprintf(buf, size, "%s", fmt_double(d, x));
}

char *emc_value_describe(const struct emc_value *v)
{
	_cleanup_free_ char *t = NULL;
	char d[FMT_DOUBLE_MAX];

	switch (v->type) {
	case EMC_VALUE_BOOL:
		return fmt_alloc("bool %s", v->b ? "true" : "false");
	case EMC_VALUE_INT:
		return fmt_alloc("number %" PRIi64, v->i);
	case EMC_VALUE_UINT:
		return fmt_alloc("number %" PRIu64, v->u);
	case EMC_VALUE_DOUBLE:
		return fmt_alloc("number %s", fmt_double(d, v->d));
	case EMC_VALUE_STRING:
		t = emc_msg_truncate(v->s, EMC_MSG_VALUE_MAX);
		return t ? fmt_alloc("string '%s'", t) : NULL;
	case EMC_VALUE_ARRAY:
		return fmt_alloc("array of %zu values", v->a.n);
	}
	return NULL;
}

static const char *kind_name(enum emc_kind kind)
{
	switch (kind) {
	case EMC_STRING:
		return "a string";
	case EMC_ENUM:
		return "a string";
	case EMC_BOOL:
		return "a bool";
	case EMC_UINT:
		return "an unsigned integer";
	case EMC_NUMBER:
		return "a number";
	case EMC_CHILDREN:
		return "a list of objects";
	}
	return "?";
}

static int fail(char **ret_msg, const char *fmt, ...) _printf_(2, 3);

static int fail(char **ret_msg, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = fmt_allocv(fmt, ap);
	va_end(ap);
	if (!s)
		return -ENOMEM;
	*ret_msg = s;
	return -EINVAL;
}

static int fail_type(char **ret_msg, const struct emc_key *k,
		     const struct emc_value *v)
{
	_cleanup_free_ char *d = emc_value_describe(v);

	if (!d)
		return -ENOMEM;
	return fail(ret_msg, "key '%s': expected %s, got %s", k->name,
		    kind_name(k->kind), d);
}

static int fail_range(char **ret_msg, const struct emc_key *k,
		      const char *value)
{
	char lo[64], hi[64];

	format_limit(lo, sizeof(lo), k->min);
	format_limit(hi, sizeof(hi), k->max);
	return fail(ret_msg, "key '%s': value %s out of range [%s, %s]",
		    k->name, value, lo, hi);
}

static int check_enum(const struct emc_key *k, const struct emc_value *v,
		      char **ret_msg)
{
	_cleanup_free_ char *list = NULL, *d = NULL;
	size_t len = 1;

	if (v->type == EMC_VALUE_STRING && k->values)
		for (size_t i = 0; k->values[i]; i++)
			if (strcmp(k->values[i], v->s) == 0)
				return 0;

	for (size_t i = 0; k->values && k->values[i]; i++)
		len += strlen(k->values[i]) + 2;
	list = calloc(1, len);
	if (!list)
		return -ENOMEM;
	for (size_t i = 0; k->values && k->values[i]; i++) {
		if (i > 0)
			strcat(list, ", ");
		strcat(list, k->values[i]);
	}

	if (v->type == EMC_VALUE_STRING) {
		d = emc_msg_truncate(v->s, EMC_MSG_VALUE_MAX);
		if (!d)
			return -ENOMEM;
		return fail(
			ret_msg,
			"key '%s': unknown value '%s' (expected one of: %s)",
			k->name, d, list);
	}
	d = emc_value_describe(v);
	if (!d)
		return -ENOMEM;
	return fail(ret_msg, "key '%s': expected one of: %s, got %s", k->name,
		    list, d);
}

static int validate_record(const struct emc_schema *schema,
			   const struct emc_record *r, unsigned flags,
			   char **ret_msg);

static int check_children(const struct emc_key *k, const struct emc_record *r,
			  unsigned flags, char **ret_msg)
{
	size_t n = emc_record_n_children(r, k->name);

	if (!k->children)
		return 0;
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *inner = NULL;
		int q;

		q = validate_record(k->children,
				    emc_record_child(r, k->name, i), flags,
				    &inner);
		if (q == -EINVAL)
			return fail(ret_msg, "key '%s[%zu]': %s", k->name, i,
				    inner);
		if (q < 0)
			return q;
	}
	return 0;
}

static int check_string(const struct emc_key *k, const struct emc_value *v,
			char **ret_msg)
{
	size_t max = k->max_len ? k->max_len : DEFAULT_MAX_LEN;
	size_t len;

	if (v->type != EMC_VALUE_STRING)
		return fail_type(ret_msg, k, v);
	len = strlen(v->s);
	if (len == 0)
		return fail(ret_msg, "key '%s': empty string", k->name);
	if (len > max)
		return fail(
			ret_msg,
			"key '%s': string of %zu bytes is too long (at most %zu)",
			k->name, len, max);
	return 0;
}

static int check_uint(const struct emc_key *k, const struct emc_value *v,
		      char **ret_msg)
{
	char buf[sizeof("18446744073709551615")];
	uint64_t u;

	if ((k->exact && v->type == EMC_VALUE_STRING) ||
	    emc_value_get_uint(v, &u) < 0)
		return fail_type(ret_msg, k, v);
	if ((k->min != 0 || k->max != 0) &&
	    ((double)u < k->min || (double)u > k->max)) {
		snprintf(buf, sizeof(buf), "%" PRIu64, u);
		return fail_range(ret_msg, k, buf);
	}
	return 0;
}

static int check_number(const struct emc_key *k, const struct emc_value *v,
			char **ret_msg)
{
	char buf[FMT_DOUBLE_MAX];
	double d;

	if ((k->exact && v->type == EMC_VALUE_STRING) ||
	    emc_value_get_double(v, &d) < 0 || !isfinite(d))
		return fail_type(ret_msg, k, v);
	if ((k->min != 0 || k->max != 0) && (d < k->min || d > k->max))
		/* all the digits it takes: 1000.0001 is not 1000 */
		return fail_range(ret_msg, k, fmt_double(buf, d));
	return 0;
}

/* A key of kind EMC_CHILDREN that is present: its sub-records, or a
 * value (only an empty JSON array passes, as an empty list). */
static int check_list(const struct emc_key *k, const struct emc_record *r,
		      const struct emc_value *v, unsigned flags, char **ret_msg)
{
	if (!v)
		return check_children(k, r, flags, ret_msg);
	if (v->type == EMC_VALUE_ARRAY && v->a.n == 0) {
		if (k->required)
			return fail(ret_msg, "key '%s': empty list", k->name);
		return 0;
	}
	return fail_type(ret_msg, k, v);
}

/* A present value against a key of a scalar kind. */
static int check_value(const struct emc_key *k, const struct emc_value *v,
		       char **ret_msg)
{
	switch (k->kind) {
	case EMC_STRING:
		return check_string(k, v, ret_msg);
	case EMC_ENUM:
		return check_enum(k, v, ret_msg);
	case EMC_BOOL:
		if (v->type != EMC_VALUE_BOOL)
			return fail_type(ret_msg, k, v);
		return 0;
	case EMC_UINT:
		return check_uint(k, v, ret_msg);
	case EMC_NUMBER:
		return check_number(k, v, ret_msg);
	case EMC_CHILDREN:
		break;
	}
	return 0;
}

/*
 * A template: entity-manager replaces "$<name>" in a string value with
 * the property <name> (any case) of the interface whose probe matched,
 * "$index" with the board's index, and then evaluates arithmetic after it
 * ("$bus % 100 * 8 + 48"); a result that is a number becomes a number
 * (openbmc/entity-manager 3b745d22, src/entity_manager/utils.cpp
 * templateCharReplace). Only it can fill one in, when it detects the
 * board.
 */
bool emc_is_template(const struct emc_value *v)
{
	if (!v || v->type != EMC_VALUE_STRING)
		return false;
	for (const char *p = strchr(v->s, '$'); p; p = strchr(p + 1, '$'))
		if ((p[1] >= 'A' && p[1] <= 'Z') ||
		    (p[1] >= 'a' && p[1] <= 'z') || p[1] == '_')
			return true;
	return false;
}

/* A template in place of a value that is not a string cannot be checked
 * before entity-manager fills it in (EMC_VALIDATE_TEMPLATES). */
static bool deferred(const struct emc_key *k, const struct emc_value *v,
		     unsigned flags)
{
	return (flags & EMC_VALIDATE_TEMPLATES) && k->kind != EMC_STRING &&
	       k->kind != EMC_CHILDREN && emc_is_template(v);
}

static int check_key(const struct emc_key *k, const struct emc_record *r,
		     unsigned flags, char **ret_msg)
{
	const struct emc_value *v = emc_record_get(r, k->name);
	size_t n_children = emc_record_n_children(r, k->name);
	const char *bad = emc_record_bad_key(r, k->name);

	if (!v && n_children == 0) {
		if (bad)
			return fail(ret_msg, "key '%s': %s", k->name, bad);
		if (k->required)
			return fail(ret_msg, "key '%s': missing", k->name);
		return 0;
	}
	if (k->kind == EMC_CHILDREN)
		return check_list(k, r, v, flags, ret_msg);
	if (!v)
		return fail(ret_msg,
			    "key '%s': expected %s, got a list of %zu %s",
			    k->name, kind_name(k->kind), n_children,
			    n_children == 1 ? "object" : "objects");
	if (deferred(k, v, flags))
		return 0;
	return check_value(k, v, ret_msg);
}

static bool schema_has_key(const struct emc_schema *schema, const char *key)
{
	if (strcmp(key, "Type") == 0)
		return true;
	for (const struct emc_key *k = schema->keys; k && k->name; k++)
		if (strcmp(k->name, key) == 0)
			return true;
	return false;
}

static int fail_unknown(char **ret_msg, const char *key)
{
	_cleanup_free_ char *t = emc_msg_truncate(key, EMC_MSG_VALUE_MAX);

	if (!t)
		return -ENOMEM;
	return fail(ret_msg, "key '%s': unknown key", t);
}

/* A closed schema refuses every key it does not list. */
static int check_unknown_keys(const struct emc_schema *schema,
			      const struct emc_record *r, char **ret_msg)
{
	for (size_t i = 0; i < r->n_props; i++)
		if (!schema_has_key(schema, r->props[i].key))
			return fail_unknown(ret_msg, r->props[i].key);
	for (size_t i = 0; i < r->n_children; i++)
		if (!schema_has_key(schema, r->children[i].key))
			return fail_unknown(ret_msg, r->children[i].key);
	for (size_t i = 0; i < r->n_bad; i++)
		if (!schema_has_key(schema, r->bad[i].key))
			return fail_unknown(ret_msg, r->bad[i].key);
	return 0;
}

static int validate_record(const struct emc_schema *schema,
			   const struct emc_record *r, unsigned flags,
			   char **ret_msg)
{
	if (r->error)
		return fail(ret_msg, "%s", r->error);
	for (const struct emc_key *k = schema->keys; k && k->name; k++) {
		int q = check_key(k, r, flags, ret_msg);

		if (q < 0)
			return q;
	}
	return schema->closed ? check_unknown_keys(schema, r, ret_msg) : 0;
}

int emc_validate_flags(const struct emc_schema *schema,
		       const struct emc_record *r, unsigned flags,
		       char **ret_error)
{
	char *msg = NULL;
	int q;

	assert(schema);
	assert(r);

	q = validate_record(schema, r, flags, &msg);
	if (q == -EINVAL && ret_error)
		*ret_error = msg;
	else
		free(msg);
	return q;
}

int emc_validate(const struct emc_schema *schema, const struct emc_record *r,
		 char **ret_error)
{
	return emc_validate_flags(schema, r, 0, ret_error);
}

/* Append to f the keys of r (named after prefix) that hold a template in
 * place of a value that is not a string. */
static void template_keys(FILE *f, const struct emc_schema *schema,
			  const struct emc_record *r, const char *prefix,
			  size_t *n)
{
	for (const struct emc_key *k = schema->keys; k && k->name; k++) {
		const struct emc_value *v = emc_record_get(r, k->name);

		if (k->kind == EMC_CHILDREN && k->children) {
			size_t nc = emc_record_n_children(r, k->name);

			for (size_t i = 0; i < nc; i++) {
				_cleanup_free_ char *p = fmt_alloc(
					"%s%s[%zu].", prefix, k->name, i);

				if (p)
					template_keys(
						f, k->children,
						emc_record_child(r, k->name, i),
						p, n);
			}
			continue;
		}
		if (!deferred(k, v, EMC_VALIDATE_TEMPLATES))
			continue;
		fprintf(f, "%s'%s%s'", (*n)++ ? ", " : "", prefix, k->name);
	}
}

int emc_template_keys(const struct emc_schema *schema,
		      const struct emc_record *r, char **ret)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *f;

	assert(schema);
	assert(r);
	assert(ret);
	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	template_keys(f, schema, r, "", &n);
	if (fclose(f) != 0) {
		free(text);
		return -ENOMEM;
	}
	if (n == 0) {
		free(text);
		text = NULL;
	}
	*ret = text;
	return (int)n;
}
