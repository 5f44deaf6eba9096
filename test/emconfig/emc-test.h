/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the emconfig unit tests: build records the way the D-Bus
 * parser does (one typed value per property), and collect the events a
 * source delivers.
 */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "src/emconfig/internal.h"

#define TEST_BOARD "/xyz/openbmc_project/inventory/system/board/B"

static inline struct emc_record *mkrec(const char *name, const char *type)
{
	struct emc_record *r = NULL;
	char path[256];

	snprintf(path, sizeof(path), TEST_BOARD "/%s", name ? name : "x");
	assert_int_equal(emc_record_new(path, TEST_BOARD, type, &r), 0);
	if (name) {
		struct emc_value v = { .type = EMC_VALUE_STRING,
				       .s = strdup(name) };

		assert_non_null(v.s);
		assert_int_equal(emc_record_take_prop(r, "Name", &v), 0);
	}
	return r;
}

static inline void set_value(struct emc_record *r, const char *key,
			     struct emc_value v)
{
	assert_int_equal(emc_record_take_prop(r, key, &v), 0);
}

static inline void set_u(struct emc_record *r, const char *key, uint64_t u)
{
	set_value(r, key, (struct emc_value){ .type = EMC_VALUE_UINT, .u = u });
}

static inline void set_i(struct emc_record *r, const char *key, int64_t i)
{
	set_value(r, key, (struct emc_value){ .type = EMC_VALUE_INT, .i = i });
}

static inline void set_d(struct emc_record *r, const char *key, double d)
{
	set_value(r, key,
		  (struct emc_value){ .type = EMC_VALUE_DOUBLE, .d = d });
}

static inline void set_b(struct emc_record *r, const char *key, bool b)
{
	set_value(r, key, (struct emc_value){ .type = EMC_VALUE_BOOL, .b = b });
}

static inline void set_s(struct emc_record *r, const char *key, const char *s)
{
	struct emc_value v = { .type = EMC_VALUE_STRING, .s = strdup(s) };

	assert_non_null(v.s);
	set_value(r, key, v);
}

/* A sub-record under key at position order (borrowed pointer). */
static inline struct emc_record *add_child(struct emc_record *r,
					   const char *key, long order)
{
	struct emc_record *c = NULL;

	assert_int_equal(emc_record_new(r->path, r->board, key, &c), 0);
	c->order = order;
	assert_int_equal(emc_record_add_child(r, key, c), 0);
	emc_record_unref(c);
	return c;
}

/* ---- event collection ---------------------------------------------------- */

struct seen {
	enum emc_event event;
	struct emc_record *rec;
	char *error;
};

struct collector {
	struct seen items[256];
	size_t n;
};

static inline void collect(enum emc_event event, const struct emc_record *rec,
			   const char *error, void *userdata)
{
	struct collector *c = userdata;

	assert_non_null(rec);
	assert_true(c->n < sizeof(c->items) / sizeof(c->items[0]));
	if (event == EMC_INVALID)
		assert_non_null(error);
	c->items[c->n++] = (struct seen){
		.event = event,
		.rec = emc_record_ref((struct emc_record *)rec),
		.error = error ? strdup(error) : NULL,
	};
}

static inline void collector_clear(struct collector *c)
{
	for (size_t i = 0; i < c->n; i++) {
		emc_record_unref(c->items[i].rec);
		free(c->items[i].error);
	}
	c->n = 0;
}

static inline size_t collector_count(const struct collector *c,
				     enum emc_event event)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n; i++)
		n += c->items[i].event == event;
	return n;
}

/* The first event of that kind for a record whose path ends in suffix. */
static inline const struct seen *collector_find(const struct collector *c,
						enum emc_event event,
						const char *suffix)
{
	for (size_t i = 0; i < c->n; i++) {
		const char *p = c->items[i].rec->path;
		size_t lp = strlen(p), ls = strlen(suffix);

		if (c->items[i].event == event && lp >= ls &&
		    strcmp(p + lp - ls, suffix) == 0)
			return &c->items[i];
	}
	return NULL;
}
