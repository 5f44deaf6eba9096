/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reconciliation, the logic both sources run on every read: what is seen
 * now against what was delivered. The D-Bus source feeds it each
 * GetManagedObjects reply; here it is fed directly.
 */
#include <errno.h>

#include <systemd/sd-event.h>

#include "emc-test.h"

static const char *const polarities[] = { "active_low", "active_high", NULL };
static const struct emc_key cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "GpioLine", .kind = EMC_STRING, .required = true },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = polarities },
	{ .name = NULL },
};
static const struct emc_schema cable = { .type = "GPIOCableSensing",
					 .keys = cable_keys };
static const struct emc_schema *const schemas[] = { &cable, NULL };

/* A source of no particular kind: what source.c does on its own. */
static const struct emc_source_ops plain_ops = {
	.size = sizeof(struct emc_source),
};

struct fixture {
	sd_event *event;
	struct emc_source *source;
	struct collector c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || sd_event_new(&f->event) < 0 ||
	    emc_source_alloc(&plain_ops, f->event, schemas, collect, &f->c,
			     &f->source) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	emc_source_free(f->source);
	sd_event_unref(f->event);
	collector_clear(&f->c);
	free(f);
	return 0;
}

static struct emc_record *cable_rec(const char *name, const char *line,
				    const char *polarity)
{
	struct emc_record *r = mkrec(name, "GPIOCableSensing");

	set_s(r, "GpioLine", line);
	set_s(r, "Polarity", polarity);
	emc_record_seal(r);
	return r;
}

/* Reconcile against the records given (consumed), NULL-terminated. */
static int feed(struct fixture *f, ...)
{
	struct emc_record *recs[16];
	size_t n = 0;
	va_list ap;
	int q;

	collector_clear(&f->c);
	va_start(ap, f);
	for (struct emc_record *r; (r = va_arg(ap, struct emc_record *));)
		recs[n++] = r;
	va_end(ap);
	q = emc_source_reconcile(f->source, recs, n);
	for (size_t i = 0; i < n; i++)
		emc_record_unref(recs[i]);
	return q;
}

#define EXPECT(f, i, ev, name)                                      \
	do {                                                        \
		char p_[256];                                       \
		snprintf(p_, sizeof(p_), TEST_BOARD "/%s", name);   \
		assert_true((i) < (f)->c.n);                        \
		assert_int_equal((f)->c.items[i].event, ev);        \
		assert_string_equal((f)->c.items[i].rec->path, p_); \
	} while (0)

static void test_lifecycle(void **state)
{
	struct fixture *f = *state;
	const char *s;

	/* First read: both added. */
	assert_int_equal(feed(f, cable_rec("c0", "L0", "active_low"),
			      cable_rec("c1", "L1", "active_low"), NULL),
			 0);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_ADDED, "c0");
	EXPECT(f, 1, EMC_ADDED, "c1");

	/* Re-publication with the same content: nothing. */
	assert_int_equal(feed(f, cable_rec("c1", "L1", "active_low"),
			      cable_rec("c0", "L0", "active_low"), NULL),
			 0);
	assert_int_equal(f->c.n, 0);

	/* One changes. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "active_low"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_CHANGED, "c1");
	assert_int_equal(
		emc_record_get_string(f->c.items[0].rec, "GpioLine", &s), 0);
	assert_string_equal(s, "L1b");

	/* Valid -> invalid: removed, then reported. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "up"), NULL);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_REMOVED, "c1");
	EXPECT(f, 1, EMC_INVALID, "c1");
	assert_string_equal(
		f->c.items[1].error,
		"record '" TEST_BOARD
		"/c1' (GPIOCableSensing): key 'Polarity': unknown value 'up' (expected one of: active_low, active_high)");

	/* The same invalid content again: reported once only. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "up"), NULL);
	assert_int_equal(f->c.n, 0);

	/* Other invalid content: reported. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "down"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_INVALID, "c1");

	/* Fixed: added again. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "active_high"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_ADDED, "c1");

	/* Gone. */
	feed(f, cable_rec("c1", "L1b", "active_high"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_REMOVED, "c0");
	assert_string_equal(emc_record_name(f->c.items[0].rec), "c0");

	/* Everything gone (entity-manager restarted with nothing). */
	feed(f, NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_REMOVED, "c1");
	feed(f, NULL);
	assert_int_equal(f->c.n, 0);
}

static void test_invalid_reported_again_after_it_vanished(void **state)
{
	struct fixture *f = *state;

	feed(f, cable_rec("c0", "L0", "up"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_INVALID, "c0");
	feed(f, NULL);
	assert_int_equal(f->c.n, 0); /* never delivered: nothing to remove */
	feed(f, cable_rec("c0", "L0", "up"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_INVALID, "c0");
}

static void test_duplicate_names(void **state)
{
	struct fixture *f = *state;
	struct emc_record *dup;

	/* Same Name at another path (another board). */
	dup = cable_rec("c0", "L9", "active_low");
	free(dup->path);
	dup->path = strdup("/xyz/openbmc_project/inventory/system/board/Z/c0");
	assert_non_null(dup->path);
	feed(f, cable_rec("c0", "L0", "active_low"), emc_record_ref(dup), NULL);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_ADDED, "c0");
	assert_int_equal(f->c.items[1].event, EMC_INVALID);
	assert_string_equal(
		f->c.items[1].error,
		"record '/xyz/openbmc_project/inventory/system/board/Z/c0' (GPIOCableSensing): duplicate Name 'c0' (already used by record '" TEST_BOARD
		"/c0')");

	/* The first one goes: the second takes its place. */
	feed(f, emc_record_ref(dup), NULL);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_REMOVED, "c0");
	assert_int_equal(f->c.items[1].event, EMC_ADDED);
	assert_ptr_equal(f->c.items[1].rec, dup);

	/* A delivered record keeps its Name against a newcomer. */
	feed(f, cable_rec("c0", "L0", "active_low"), emc_record_ref(dup), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_INVALID, "c0");
	emc_record_unref(dup);

	/* Renamed into a collision: removed and reported. */
	feed(f, cable_rec("c1", "L1", "active_low"), NULL);
	collector_clear(&f->c);
	{
		struct emc_record *renamed =
			cable_rec("c1", "L1", "active_low");
		struct emc_record *other = cable_rec("c2", "L2", "active_low");

		feed(f, emc_record_ref(renamed), emc_record_ref(other), NULL);
		assert_int_equal(f->c.n, 1);
		EXPECT(f, 0, EMC_ADDED, "c2");
		set_s(renamed, "Name", "c2");
		feed(f, renamed, other, NULL);
		assert_int_equal(f->c.n, 2);
		EXPECT(f, 0, EMC_REMOVED, "c1");
		EXPECT(f, 1, EMC_INVALID, "c1");
	}
}

/* A delivered record keeps its Name when its content changes, even
 * against a record that sorts before it and was rejected for the Name. */
static void test_changed_record_keeps_its_name(void **state)
{
	struct fixture *f = *state;
	struct emc_record *b, *a;

	/* B (path .../cb, Name "b") is delivered first. */
	b = cable_rec("b", "LB", "active_low");
	free(b->path);
	b->path = strdup(TEST_BOARD "/cb");
	assert_non_null(b->path);
	feed(f, b, NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_ADDED, "cb");

	/* A (path .../ca, sorts first, Name "b") comes: rejected. */
	b = cable_rec("b", "LB", "active_low");
	free(b->path);
	b->path = strdup(TEST_BOARD "/cb");
	a = cable_rec("b", "LA", "active_low");
	free(a->path);
	a->path = strdup(TEST_BOARD "/ca");
	assert_non_null(a->path);
	assert_non_null(b->path);
	feed(f, emc_record_ref(a), emc_record_ref(b), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_INVALID, "ca");

	/* B changes (Length only): B is CHANGED and keeps "b"; A stays
	 * rejected (its content is unchanged: not reported again). */
	set_u(b, "Length", 2);
	emc_record_seal(b);
	feed(f, a, b, NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_CHANGED, "cb");
	assert_int_equal(collector_count(&f->c, EMC_REMOVED), 0);
	assert_int_equal(collector_count(&f->c, EMC_ADDED), 0);
}

/* A delivered record seen again unchanged stays delivered, also behind
 * another record at its path and Type (its Name escapes alike), which is
 * the duplicate: nothing is CHANGED. */
static void test_unchanged_behind_same_path(void **state)
{
	struct fixture *f = *state;
	struct emc_record *x = cable_rec("c0", "L0", "active_low");

	feed(f, emc_record_ref(x), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_ADDED, "c0");
	for (int round = 0; round < 2; round++) {
		feed(f, cable_rec("c0", "L9", "active_low"), emc_record_ref(x),
		     NULL);
		/* reported once, as its content does not change */
		assert_int_equal(f->c.n, round == 0 ? 1 : 0);
		if (round == 0) {
			EXPECT(f, 0, EMC_INVALID, "c0");
			assert_non_null(strstr(f->c.items[0].error,
					       "duplicate Name 'c0'"));
			assert_ptr_not_equal(f->c.items[0].rec, x);
		}
	}
	emc_record_unref(x);
}

/* Names that escape alike would publish at the same object path. */
static void test_duplicate_escaped_names(void **state)
{
	struct fixture *f = *state;

	feed(f, cable_rec("Cable 1", "L0", "active_low"),
	     cable_rec("Cable-1", "L1", "active_low"), NULL);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_ADDED, "Cable 1");
	EXPECT(f, 1, EMC_INVALID, "Cable-1");
	assert_string_equal(
		f->c.items[1].error,
		"record '" TEST_BOARD
		"/Cable-1' (GPIOCableSensing): duplicate Name 'Cable-1': escaped to 'Cable_1' like Name 'Cable 1' of record '" TEST_BOARD
		"/Cable 1'");

	/* The first one goes: the second is delivered. */
	feed(f, cable_rec("Cable-1", "L1", "active_low"), NULL);
	assert_int_equal(f->c.n, 2);
	EXPECT(f, 0, EMC_REMOVED, "Cable 1");
	EXPECT(f, 1, EMC_ADDED, "Cable-1");
}

static void test_foreign_types_and_missing_name(void **state)
{
	struct fixture *f = *state;
	struct emc_record *other = mkrec("x", "NVME1000");
	struct emc_record *noname = mkrec(NULL, "GPIOCableSensing");

	set_s(noname, "GpioLine", "L");
	set_s(noname, "Polarity", "active_low");
	feed(f, other, noname, NULL);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.items[0].event, EMC_INVALID);
	assert_string_equal(f->c.items[0].error,
			    "record '" TEST_BOARD
			    "/x' (GPIOCableSensing): key 'Name': missing");
}

/* A kind that keeps the delivered record named held while it is unseen,
 * as the D-Bus source does while entity-manager settles. */
static const char *held;

static bool keep_held(const struct emc_source *s, const struct emc_record *r)
{
	return held && strcmp(emc_record_name(r), held) == 0;
}

static const struct emc_source_ops holding_ops = {
	.size = sizeof(struct emc_source),
	.keep_unseen = keep_held,
};

static void test_kept_while_unseen(void **state)
{
	struct fixture *f = *state;
	struct emc_record *dup;

	emc_source_free(f->source);
	assert_int_equal(emc_source_alloc(&holding_ops, f->event, schemas,
					  collect, &f->c, &f->source),
			 0);
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1", "active_low"), NULL);
	assert_int_equal(f->c.n, 2);

	/* c1 is not seen but kept: nothing removed. */
	held = "c1";
	feed(f, cable_rec("c0", "L0", "active_low"), NULL);
	assert_int_equal(f->c.n, 0);

	/* A kept record keeps its Name. */
	dup = cable_rec("c1", "L9", "active_low");
	free(dup->path);
	dup->path = strdup("/xyz/openbmc_project/inventory/system/board/Z/c1");
	assert_non_null(dup->path);
	feed(f, cable_rec("c0", "L0", "active_low"), dup, NULL);
	assert_int_equal(f->c.n, 1);
	assert_int_equal(f->c.items[0].event, EMC_INVALID);
	assert_non_null(strstr(f->c.items[0].error, "duplicate Name 'c1'"));

	/* Seen again with other content: CHANGED, not ADDED. */
	feed(f, cable_rec("c0", "L0", "active_low"),
	     cable_rec("c1", "L1b", "active_low"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_CHANGED, "c1");

	/* Unseen and no longer kept: removed. */
	held = NULL;
	feed(f, cable_rec("c0", "L0", "active_low"), NULL);
	assert_int_equal(f->c.n, 1);
	EXPECT(f, 0, EMC_REMOVED, "c1");

	/* A source that cannot write says so. */
	assert_int_equal(emc_source_write_double(f->source, f->c.items[0].rec,
						 NULL, 0, "Value", 1.0),
			 -EOPNOTSUPP);
}

struct freeing {
	struct emc_source *s;
	size_t calls;
};

static void free_on_first(enum emc_event event, const struct emc_record *rec,
			  const char *error, void *userdata)
{
	struct freeing *fr = userdata;

	fr->calls++;
	emc_source_free(fr->s);
}

static void test_free_from_handler(void **state)
{
	struct fixture *f = *state;
	struct freeing fr = { .s = NULL };
	struct emc_record *recs[2] = {
		cable_rec("c0", "L0", "active_low"),
		cable_rec("c1", "L1", "active_low"),
	};

	assert_int_equal(emc_source_alloc(&plain_ops, f->event, schemas,
					  free_on_first, &fr, &fr.s),
			 0);
	/* 1: the source is gone (ASan checks nothing touches it). */
	assert_int_equal(emc_source_reconcile(fr.s, recs, 2), 1);
	assert_int_equal(fr.calls, 1);
	emc_record_unref(recs[0]);
	emc_record_unref(recs[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lifecycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_invalid_reported_again_after_it_vanished, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_names, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_changed_record_keeps_its_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_behind_same_path,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_escaped_names,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_foreign_types_and_missing_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_while_unseen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_free_from_handler, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
