/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record model: values, records with properties and sub-record lists,
 * reference counting, typed accessors and equality. Pure (no I/O).
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "internal.h"
#include "utf8.h"

/* ---- values ------------------------------------------------------------ */

enum emc_value_type emc_value_type(const struct emc_value *v)
{
	assert(v);
	return v->type;
}

size_t emc_value_array_len(const struct emc_value *v)
{
	assert(v);
	return v->type == EMC_VALUE_ARRAY ? v->a.n : 0;
}

const struct emc_value *emc_value_array_at(const struct emc_value *v, size_t i)
{
	assert(v);
	if (v->type != EMC_VALUE_ARRAY || i >= v->a.n)
		return NULL;
	return &v->a.items[i];
}

void emc_value_clear(struct emc_value *v)
{
	if (!v)
		return;
	if (v->type == EMC_VALUE_STRING) {
		free(v->s);
	} else if (v->type == EMC_VALUE_ARRAY) {
		for (size_t i = 0; i < v->a.n; i++)
			emc_value_clear(&v->a.items[i]);
		free(v->a.items);
	}
	*v = (struct emc_value){ .type = EMC_VALUE_BOOL };
}

static bool value_equal(const struct emc_value *a, const struct emc_value *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case EMC_VALUE_BOOL:
		return a->b == b->b;
	case EMC_VALUE_INT:
		return a->i == b->i;
	case EMC_VALUE_UINT:
		return a->u == b->u;
	case EMC_VALUE_DOUBLE:
		/* Bitwise, so that NaN equals NaN and a re-read is no change. */
		return memcmp(&a->d, &b->d, sizeof(a->d)) == 0;
	case EMC_VALUE_STRING:
		return strcmp(a->s, b->s) == 0;
	case EMC_VALUE_ARRAY:
		if (a->a.n != b->a.n)
			return false;
		for (size_t i = 0; i < a->a.n; i++)
			if (!value_equal(&a->a.items[i], &b->a.items[i]))
				return false;
		return true;
	}
	return false;
}

/* ---- records ------------------------------------------------------------ */

int emc_record_new(const char *path, const char *board, const char *type,
		   struct emc_record **ret)
{
	struct emc_record *r;

	assert(path);
	assert(ret);

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->n_ref = 1;
	r->file_board = EMC_NO_FILE_BOARD;
	r->path = strdup(path);
	r->board = board ? strdup(board) : NULL;
	r->type = type ? strdup(type) : NULL;
	if (!r->path || (board && !r->board) || (type && !r->type)) {
		emc_record_unref(r);
		return -ENOMEM;
	}
	*ret = r;
	return 0;
}

struct emc_record *emc_record_ref(const struct emc_record *r)
{
	/* Records are immutable once handed out; only the reference count
	 * changes, so a const record may be referenced. */
	struct emc_record *m = (struct emc_record *)r;

	if (m) {
		assert(m->n_ref > 0);
		m->n_ref++;
	}
	return m;
}

struct emc_record *emc_record_unref(struct emc_record *r)
{
	if (!r)
		return NULL;
	assert(r->n_ref > 0);
	if (--r->n_ref > 0)
		return NULL;

	for (size_t i = 0; i < r->n_props; i++) {
		free(r->props[i].key);
		emc_value_clear(&r->props[i].v);
	}
	free(r->props);
	for (size_t i = 0; i < r->n_bad; i++) {
		free(r->bad[i].key);
		free(r->bad[i].why);
	}
	free(r->bad);
	for (size_t i = 0; i < r->n_children; i++) {
		struct emc_child_list *l = &r->children[i];

		for (size_t j = 0; j < l->n; j++)
			emc_record_unref(l->items[j]);
		free(l->items);
		free(l->key);
	}
	free(r->children);
	free(r->path);
	free(r->board);
	free(r->type);
	free(r->iface);
	free(r->error);
	free(r);
	return NULL;
}

void emc_records_free(struct emc_record **records, size_t n)
{
	if (!records)
		return;
	for (size_t i = 0; i < n; i++)
		emc_record_unref(records[i]);
	free(records);
}

static struct emc_prop *find_prop(const struct emc_record *r, const char *key)
{
	for (size_t i = 0; i < r->n_props; i++)
		if (strcmp(r->props[i].key, key) == 0)
			return &r->props[i];
	return NULL;
}

static struct emc_child_list *find_children(const struct emc_record *r,
					    const char *key)
{
	for (size_t i = 0; i < r->n_children; i++)
		if (strcmp(r->children[i].key, key) == 0)
			return &r->children[i];
	return NULL;
}

/*
 * Why v cannot be a property, or NULL. A string that is not UTF-8 (a JSON
 * file can hold any bytes: json-c does not check) could never be
 * published on D-Bus, whose strings must be valid UTF-8: sd-bus refuses
 * to append one, and a property getter failing so fails a whole
 * GetManagedObjects reply, every other object's with it.
 */
static const char *value_unrepresentable(const struct emc_value *v)
{
	if (v->type == EMC_VALUE_STRING && !utf8_is_valid(v->s))
		return "string is not valid UTF-8";
	if (v->type == EMC_VALUE_ARRAY)
		for (size_t i = 0; i < v->a.n; i++)
			if (v->a.items[i].type == EMC_VALUE_STRING &&
			    !utf8_is_valid(v->a.items[i].s))
				return "array holds a string that is not "
				       "valid UTF-8";
	return NULL;
}

int emc_record_take_prop(struct emc_record *r, const char *key,
			 struct emc_value *v)
{
	struct emc_prop *p, *np;
	const char *why;
	char *k;

	assert(r);
	assert(key);
	assert(v);

	why = utf8_is_valid(key) ? value_unrepresentable(v) :
				   "key name is not valid UTF-8";
	if (why) {
		/* replacing a value: the key has none now */
		p = find_prop(r, key);
		if (p) {
			size_t i = (size_t)(p - r->props);

			free(p->key);
			emc_value_clear(&p->v);
			memmove(p, p + 1,
				(r->n_props - i - 1) * sizeof(*r->props));
			r->n_props--;
		}
		emc_value_clear(v);
		return emc_record_add_bad_key(r, key, why);
	}

	p = find_prop(r, key);
	if (p) {
		emc_value_clear(&p->v);
		p->v = *v;
		*v = (struct emc_value){ .type = EMC_VALUE_BOOL };
		return 0;
	}

	k = strdup(key);
	np = reallocarray(r->props, r->n_props + 1, sizeof(*np));
	if (!k || !np) {
		free(k);
		if (np)
			r->props = np;
		emc_value_clear(v);
		return -ENOMEM;
	}
	r->props = np;
	r->props[r->n_props++] = (struct emc_prop){ .key = k, .v = *v };
	*v = (struct emc_value){ .type = EMC_VALUE_BOOL };
	return 0;
}

int emc_record_add_bad_key(struct emc_record *r, const char *key,
			   const char *why)
{
	struct emc_bad_key *nb;
	char *k, *w;

	assert(r);
	if (emc_record_bad_key(r, key))
		return 0;
	k = strdup(key);
	w = strdup(why);
	nb = reallocarray(r->bad, r->n_bad + 1, sizeof(*nb));
	if (!k || !w || !nb) {
		free(k);
		free(w);
		if (nb)
			r->bad = nb;
		return -ENOMEM;
	}
	r->bad = nb;
	r->bad[r->n_bad++] = (struct emc_bad_key){ .key = k, .why = w };
	return 0;
}

const char *emc_record_bad_key(const struct emc_record *r, const char *key)
{
	for (size_t i = 0; i < r->n_bad; i++)
		if (strcmp(r->bad[i].key, key) == 0)
			return r->bad[i].why;
	return NULL;
}

int emc_record_add_child(struct emc_record *r, const char *key,
			 struct emc_record *child)
{
	struct emc_child_list *l;
	struct emc_record **items;

	assert(r);
	assert(key);
	assert(child);

	/* as a property's: a key D-Bus cannot carry is a bad key */
	if (!utf8_is_valid(key))
		return emc_record_add_bad_key(r, key,
					      "key name is not valid UTF-8");
	l = find_children(r, key);
	if (!l) {
		struct emc_child_list *nl;
		char *k = strdup(key);

		if (!k)
			return -ENOMEM;
		nl = reallocarray(r->children, r->n_children + 1, sizeof(*nl));
		if (!nl) {
			free(k);
			return -ENOMEM;
		}
		r->children = nl;
		l = &r->children[r->n_children++];
		*l = (struct emc_child_list){ .key = k };
	}
	items = reallocarray(l->items, l->n + 1, sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->items[l->n++] = emc_record_ref(child);
	return 0;
}

int emc_record_set_error(struct emc_record *r, const char *fmt, ...)
{
	va_list ap;

	assert(r);
	if (r->error)
		return 0; /* the first problem is the one reported */
	va_start(ap, fmt);
	r->error = fmt_allocv(fmt, ap);
	va_end(ap);
	return r->error ? 0 : -ENOMEM;
}

static int prop_cmp(const void *a, const void *b)
{
	return strcmp(((const struct emc_prop *)a)->key,
		      ((const struct emc_prop *)b)->key);
}

static int children_cmp(const void *a, const void *b)
{
	return strcmp(((const struct emc_child_list *)a)->key,
		      ((const struct emc_child_list *)b)->key);
}

static int child_order_cmp(const void *a, const void *b)
{
	const struct emc_record *x = *(struct emc_record *const *)a;
	const struct emc_record *y = *(struct emc_record *const *)b;

	return (x->order > y->order) - (x->order < y->order);
}

void emc_record_seal(struct emc_record *r)
{
	assert(r);
	if (r->n_props > 1)
		qsort(r->props, r->n_props, sizeof(*r->props), prop_cmp);
	if (r->n_children > 1)
		qsort(r->children, r->n_children, sizeof(*r->children),
		      children_cmp);
	for (size_t i = 0; i < r->n_children; i++) {
		struct emc_child_list *l = &r->children[i];

		/* qsort is not stable: orders are distinct by construction
		 * (D-Bus index or JSON position). */
		if (l->n > 1)
			qsort(l->items, l->n, sizeof(*l->items),
			      child_order_cmp);
		for (size_t j = 0; j < l->n; j++)
			emc_record_seal(l->items[j]);
	}
}

const char *emc_record_path(const struct emc_record *r)
{
	assert(r);
	return r->path;
}

const char *emc_record_board(const struct emc_record *r)
{
	assert(r);
	return r->board;
}

const char *emc_record_type(const struct emc_record *r)
{
	assert(r);
	return r->type;
}

const char *emc_record_name(const struct emc_record *r)
{
	const char *name;

	assert(r);
	if (emc_record_get_string(r, "Name", &name) < 0)
		return NULL;
	return name;
}

static bool streq_ptr(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool emc_record_equal(const struct emc_record *a, const struct emc_record *b)
{
	if (a == b)
		return true;
	if (!a || !b)
		return false;
	if (!streq_ptr(a->path, b->path) || !streq_ptr(a->board, b->board) ||
	    !streq_ptr(a->type, b->type) || !streq_ptr(a->error, b->error))
		return false;
	if (a->n_props != b->n_props || a->n_children != b->n_children ||
	    a->n_bad != b->n_bad)
		return false;
	/* Property order is not significant: look each key up. */
	for (size_t i = 0; i < a->n_props; i++) {
		const struct emc_prop *p = find_prop(b, a->props[i].key);

		if (!p || !value_equal(&a->props[i].v, &p->v))
			return false;
	}
	for (size_t i = 0; i < a->n_bad; i++) {
		const char *why = emc_record_bad_key(b, a->bad[i].key);

		if (!why || strcmp(why, a->bad[i].why) != 0)
			return false;
	}
	for (size_t i = 0; i < a->n_children; i++) {
		const struct emc_child_list *la = &a->children[i];
		const struct emc_child_list *lb = find_children(b, la->key);

		if (!lb || la->n != lb->n)
			return false;
		for (size_t j = 0; j < la->n; j++)
			if (!emc_record_equal(la->items[j], lb->items[j]))
				return false;
	}
	return true;
}

const struct emc_value *emc_record_get(const struct emc_record *r,
				       const char *key)
{
	const struct emc_prop *p;

	assert(r);
	assert(key);
	p = find_prop(r, key);
	return p ? &p->v : NULL;
}

size_t emc_record_n_keys(const struct emc_record *r)
{
	assert(r);
	return r->n_props;
}

const char *emc_record_key_at(const struct emc_record *r, size_t i)
{
	assert(r);
	return i < r->n_props ? r->props[i].key : NULL;
}

size_t emc_record_n_children(const struct emc_record *r, const char *key)
{
	const struct emc_child_list *l;

	assert(r);
	assert(key);
	l = find_children(r, key);
	return l ? l->n : 0;
}

struct emc_record *emc_record_child(const struct emc_record *r, const char *key,
				    size_t i)
{
	const struct emc_child_list *l;

	assert(r);
	assert(key);
	l = find_children(r, key);
	if (!l || i >= l->n)
		return NULL;
	return l->items[i];
}

size_t emc_record_n_child_keys(const struct emc_record *r)
{
	assert(r);
	return r->n_children;
}

const char *emc_record_child_key_at(const struct emc_record *r, size_t i)
{
	assert(r);
	return i < r->n_children ? r->children[i].key : NULL;
}

/* ---- typed accessors ---------------------------------------------------- */

/*
 * Numeric strings as entity-manager files write them: optional '-',
 * then decimal digits or 0x/0X and hex digits. Nothing else (no spaces,
 * no '+', no trailing text). Returns 0 with *neg and *mag set.
 */
static int parse_integer_string(const char *s, bool *neg, uint64_t *mag)
{
	unsigned base = 10;
	uint64_t v = 0;

	*neg = false;
	if (*s == '-') {
		*neg = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*mag = v;
	return 0;
}

/* A decimal or hex number written as a string ("50", "0x6a", "2.5"). */
static int parse_number_string(const char *s, double *ret)
{
	bool neg;
	uint64_t mag;
	char *end;
	double d;

	if (parse_integer_string(s, &neg, &mag) == 0) {
		*ret = neg ? -(double)mag : (double)mag;
		return 0;
	}
	/* Decimal reals only: digits, one '.', optional exponent. */
	if (!*s || strspn(s, "0123456789.-+eE") != strlen(s))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (errno != 0 || *end || end == s || !isfinite(d))
		return -EINVAL;
	*ret = d;
	return 0;
}

static int value_to_uint(const struct emc_value *v, uint64_t *ret)
{
	bool neg;
	uint64_t mag;

	switch (v->type) {
	case EMC_VALUE_UINT:
		*ret = v->u;
		return 0;
	case EMC_VALUE_INT:
		if (v->i < 0)
			return -EINVAL;
		*ret = (uint64_t)v->i;
		return 0;
	case EMC_VALUE_DOUBLE:
		/* 2^64 is exactly representable; anything >= it does not fit. */
		if (!isfinite(v->d) || v->d < 0 || v->d != floor(v->d) ||
		    v->d >= 18446744073709551616.0)
			return -EINVAL;
		*ret = (uint64_t)v->d;
		return 0;
	case EMC_VALUE_STRING:
		if (parse_integer_string(v->s, &neg, &mag) < 0)
			return -EINVAL;
		if (neg && mag != 0)
			return -EINVAL;
		*ret = mag;
		return 0;
	default:
		return -EINVAL;
	}
}

static int value_to_int(const struct emc_value *v, int64_t *ret)
{
	bool neg;
	uint64_t mag;

	switch (v->type) {
	case EMC_VALUE_INT:
		*ret = v->i;
		return 0;
	case EMC_VALUE_UINT:
		if (v->u > INT64_MAX)
			return -EINVAL;
		*ret = (int64_t)v->u;
		return 0;
	case EMC_VALUE_DOUBLE:
		if (!isfinite(v->d) || v->d != floor(v->d) ||
		    v->d < -9223372036854775808.0 ||
		    v->d >= 9223372036854775808.0)
			return -EINVAL;
		*ret = (int64_t)v->d;
		return 0;
	case EMC_VALUE_STRING:
		if (parse_integer_string(v->s, &neg, &mag) < 0)
			return -EINVAL;
		if (!neg && mag > INT64_MAX)
			return -EINVAL;
		if (neg && mag > (uint64_t)INT64_MAX + 1)
			return -EINVAL;
		if (neg)
			*ret = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN :
								-(int64_t)mag;
		else
			*ret = (int64_t)mag;
		return 0;
	default:
		return -EINVAL;
	}
}

static int value_to_double(const struct emc_value *v, double *ret)
{
	switch (v->type) {
	case EMC_VALUE_DOUBLE:
		*ret = v->d;
		return 0;
	case EMC_VALUE_INT:
		*ret = (double)v->i;
		return 0;
	case EMC_VALUE_UINT:
		*ret = (double)v->u;
		return 0;
	case EMC_VALUE_STRING:
		return parse_number_string(v->s, ret);
	default:
		return -EINVAL;
	}
}

int emc_record_get_string(const struct emc_record *r, const char *key,
			  const char **ret)
{
	const struct emc_value *v = emc_record_get(r, key);

	assert(ret);
	if (!v)
		return -ENOENT;
	if (v->type != EMC_VALUE_STRING)
		return -EINVAL;
	*ret = v->s;
	return 0;
}

int emc_record_get_bool(const struct emc_record *r, const char *key, bool *ret)
{
	const struct emc_value *v = emc_record_get(r, key);

	assert(ret);
	if (!v)
		return -ENOENT;
	if (v->type != EMC_VALUE_BOOL)
		return -EINVAL;
	*ret = v->b;
	return 0;
}

int emc_record_get_uint(const struct emc_record *r, const char *key,
			uint64_t *ret)
{
	const struct emc_value *v = emc_record_get(r, key);
	uint64_t u;
	int k;

	assert(ret);
	if (!v)
		return -ENOENT;
	k = value_to_uint(v, &u);
	if (k < 0)
		return k;
	*ret = u;
	return 0;
}

int emc_record_get_uint_range(const struct emc_record *r, const char *key,
			      uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t u;
	int k;

	assert(ret);
	k = emc_record_get_uint(r, key, &u);
	if (k < 0)
		return k;
	if (u < min || u > max)
		return -ERANGE;
	*ret = u;
	return 0;
}

int emc_record_get_int(const struct emc_record *r, const char *key,
		       int64_t *ret)
{
	const struct emc_value *v = emc_record_get(r, key);
	int64_t i;
	int k;

	assert(ret);
	if (!v)
		return -ENOENT;
	k = value_to_int(v, &i);
	if (k < 0)
		return k;
	*ret = i;
	return 0;
}

int emc_record_get_double(const struct emc_record *r, const char *key,
			  double *ret)
{
	const struct emc_value *v = emc_record_get(r, key);
	double d;
	int k;

	assert(ret);
	if (!v)
		return -ENOENT;
	k = value_to_double(v, &d);
	if (k < 0)
		return k;
	*ret = d;
	return 0;
}

/* Used by validation: the same conversions on a bare value. */
int emc_value_get_uint(const struct emc_value *v, uint64_t *ret)
{
	return value_to_uint(v, ret);
}

int emc_value_get_double(const struct emc_value *v, double *ret)
{
	return value_to_double(v, ret);
}
