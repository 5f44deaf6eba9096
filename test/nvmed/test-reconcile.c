// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of src/nvmed/pure/reconcile.c, where drives are born and die:
 * each decision (create, keep, in place, rebuild, remove) and each
 * precedence rule (record over endpoint, one basic drive per device,
 * one drive per name).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "macros.h"
#include "reconcile.h"

#define MAX 8

struct run {
	struct rc_action a[2 * MAX];
	size_t n;
};

static void reconcile(const struct rc_drive *cur, size_t n_cur,
		      const struct drive_config *want, size_t n_want,
		      bool partial, struct run *out)
{
	void *work = malloc(rc_work_size(n_cur, n_want));

	assert_non_null(work);
	out->n = rc_reconcile(cur, n_cur, want, n_want, partial, work, out->a);
	assert_true(out->n <= n_cur + n_want);
	free(work);
}

/* The one action of verb for want w (or cur c when w is RC_NONE). */
static const struct rc_action *find(const struct run *r, enum rc_verb verb,
				    size_t cur, size_t want)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->a[i].verb == verb &&
		    (cur == RC_NONE || r->a[i].cur == cur) &&
		    (want == RC_NONE || r->a[i].want == want))
			return &r->a[i];
	return NULL;
}

static struct drive_config basic(const char *name, const char *path,
				 unsigned bus, unsigned root)
{
	struct drive_config c;

	drive_config_init(&c);
	c.origin = DRIVE_FROM_BASIC;
	c.name = name;
	c.config_path = path;
	c.i2c_bus = bus;
	c.root_bus = root;
	c.i2c_addr = 0x6a;
	c.power_state = POWER_ON;
	return c;
}

static struct drive_config mi_record(const char *name, const char *path)
{
	struct drive_config c;

	drive_config_init(&c);
	c.origin = DRIVE_FROM_RECORD;
	c.name = name;
	c.config_path = path;
	c.i2c_bus = 3;
	c.i2c_addr = 0x1d;
	return c;
}

static struct drive_config endpoint(const char *name, const char *config,
				    const char *obj, uint8_t eid)
{
	struct drive_config c;

	drive_config_init(&c);
	c.origin = DRIVE_FROM_ENDPOINT;
	c.name = name;
	c.config_path = config;
	c.endpoint = obj;
	c.net = 1;
	c.eid = eid;
	c.power_state = POWER_ALWAYS;
	return c;
}

static struct rc_drive there(struct drive_config c)
{
	struct rc_drive d = { .cfg = c };

	if (c.origin == DRIVE_FROM_ENDPOINT || c.origin == DRIVE_FROM_JSON) {
		d.have_endpoint = true;
		d.net = c.net;
		d.eid = c.eid;
	}
	return d;
}

static void test_create(void **state)
{
	struct drive_config w[2] = { basic("A", "/b/A", 3, 3),
				     mi_record("B", "/b/B") };
	struct run r;

	reconcile(NULL, 0, w, 2, false, &r);
	assert_int_equal(r.n, 2);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 0));
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 1));
}

/* Re-published unchanged, with another record handle but equal strings
 * at other addresses: kept (the handle alone is in place). */
static void test_keep(void **state)
{
	char name[] = "A", path[] = "/b/A";
	struct drive_config w = basic(name, path, 3, 3);
	struct rc_drive cur = there(basic("A", "/b/A", 3, 3));
	struct run r;

	reconcile(&cur, 1, &w, 1, false, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(find(&r, RC_KEEP, 0, 0));
	assert_int_equal(drive_config_diff(&cur.cfg, &w), DRIVE_CONFIG_SAME);
}

/* Thresholds, poll interval, window: in place, the drive stays. */
static void test_in_place(void **state)
{
	struct threshold_set th;
	struct rc_drive cur = there(mi_record("A", "/b/A"));
	struct drive_config w[4];
	struct run r;

	threshold_set_init(&th);
	th.t[THRESHOLD_CRITICAL_HIGH].value = 60;
	for (int i = 0; i < 4; i++)
		w[i] = cur.cfg;
	w[0].poll_ms = 5000;
	w[1].window = 7;
	w[2].thresholds = &th;
	w[2].th_index[THRESHOLD_CRITICAL_HIGH] = 0;
	w[3].record = (struct emc_record *)&th; /* another handle */
	for (int i = 0; i < 4; i++) {
		assert_int_equal(drive_config_diff(&cur.cfg, &w[i]),
				 DRIVE_CONFIG_IN_PLACE);
		reconcile(&cur, 1, &w[i], 1, false, &r);
		assert_int_equal(r.n, 1);
		assert_non_null(find(&r, RC_UPDATE, 0, 0));
	}
	assert_true(drive_config_poll_differs(&cur.cfg, &w[0]));
	assert_false(drive_config_thresholds_differ(&cur.cfg, &w[0]));
	assert_true(drive_config_thresholds_differ(&cur.cfg, &w[2]));
	assert_false(drive_config_poll_differs(&cur.cfg, &w[2]));
}

/* Anything else rebuilds: removed, then created. */
static void test_rebuild(void **state)
{
	struct rc_drive cur = there(mi_record("A", "/b/A"));
	struct drive_config w[7];
	struct run r;

	for (int i = 0; i < 7; i++)
		w[i] = cur.cfg;
	w[0].i2c_bus = 4;
	w[1].i2c_addr = 0x1e;
	w[2].name = "A2";
	w[3].origin = DRIVE_FROM_BASIC;
	w[4].power_state = POWER_BIOS_POST;
	w[5].board = "/board";
	w[6].pec = true;
	for (int i = 0; i < 7; i++) {
		assert_int_equal(drive_config_diff(&cur.cfg, &w[i]),
				 DRIVE_CONFIG_REBUILD);
		reconcile(&cur, 1, &w[i], 1, false, &r);
		assert_int_equal(r.n, 2);
		/* the removal comes first */
		assert_int_equal(r.a[0].verb, RC_REMOVE);
		assert_int_equal(r.a[0].why, RC_WHY_CHANGED);
		assert_int_equal(r.a[1].verb, RC_CREATE);
	}
}

static void test_remove(void **state)
{
	struct rc_drive cur[2] = { there(basic("A", "/b/A", 3, 3)),
				   there(endpoint("E", "/t/E", "/ep/9", 9)) };
	struct run r;

	reconcile(cur, 2, NULL, 0, false, &r);
	assert_int_equal(r.n, 2);
	assert_int_equal(find(&r, RC_REMOVE, 0, RC_NONE)->why, RC_WHY_GONE);
	assert_non_null(find(&r, RC_REMOVE, 1, RC_NONE));
	/* while mctpd's objects are read, the endpoint drive stays */
	reconcile(cur, 2, NULL, 0, true, &r);
	assert_non_null(find(&r, RC_REMOVE, 0, RC_NONE));
	assert_non_null(find(&r, RC_KEEP, 1, RC_NONE));
}

/* A configured drive at an endpoint wins over the endpoint's, whichever
 * came first. */
static void test_record_over_endpoint(void **state)
{
	struct drive_config rec = mi_record("R", "/b/R");
	struct drive_config ep = endpoint("E", "/t/E", "/ep/9", 9);
	struct drive_config by_rec = endpoint("X", "/b/R", "/ep/10", 10);
	struct drive_config w[3] = { rec, ep, by_rec };
	struct rc_drive cur[2];
	const struct rc_action *a;
	struct run r;
	size_t other = RC_NONE;

	/* an endpoint configured_by the NVME1000 record is that drive */
	reconcile(NULL, 0, w, 3, false, &r);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 0));
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 1));
	a = find(&r, RC_REFUSE, RC_NONE, 2);
	assert_non_null(a);
	assert_int_equal(a->why, RC_WHY_RECORD);

	/* the endpoint drive came first; the record's drive has its EID */
	cur[0] = there(ep);
	cur[1] = there(rec);
	cur[1].have_endpoint = true;
	cur[1].net = 1;
	cur[1].eid = 9;
	reconcile(cur, 2, w, 2, false, &r);
	a = find(&r, RC_REMOVE, 0, RC_NONE);
	assert_non_null(a);
	assert_int_equal(a->why, RC_WHY_RECORD);
	assert_ptr_equal(a->other, &cur[1].cfg);
	assert_non_null(find(&r, RC_KEEP, 1, 0));
	assert_null(find(&r, RC_KEEP, 0, RC_NONE));
	a = find(&r, RC_REFUSE, RC_NONE, 1);
	assert_non_null(a);
	assert_int_equal(a->why, RC_WHY_RECORD);
	assert_int_equal(r.a[0].verb, RC_REMOVE);

	/* and when mctpd's reply comes: the claim takes it over */
	cur[1].have_endpoint = false;
	assert_int_equal(rc_endpoint_claim(cur, 2, 1, 1, 9, &other),
			 RC_CLAIM_TAKEOVER);
	assert_int_equal(other, 0);
	/* never the other way round */
	cur[1].have_endpoint = true;
	cur[0].have_endpoint = false;
	assert_int_equal(rc_endpoint_claim(cur, 2, 0, 1, 9, &other),
			 RC_CLAIM_REFUSED);
	assert_int_equal(rc_endpoint_claim(cur, 2, 0, 1, 11, &other),
			 RC_CLAIM_OK);
}

/* One basic drive per device: the same bus, or a mux channel and its
 * root bus; the drive there wins, and among new ones the first. */
static void test_one_basic_per_device(void **state)
{
	struct drive_config w[4] = {
		basic("A", "/b/A", 3, 3),
		basic("B", "/b/B", 3, 3),
		basic("C", "/b/C", 20, 3), /* behind a mux on bus 3 */
		basic("D", "/b/D", 4, 4),
	};
	struct rc_drive cur = there(w[2]);
	const struct rc_action *a;
	struct run r;

	reconcile(NULL, 0, w, 4, false, &r);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 0));
	a = find(&r, RC_REFUSE, RC_NONE, 1);
	assert_non_null(a);
	assert_int_equal(a->why, RC_WHY_DEVICE);
	assert_ptr_equal(a->other, &w[0]);
	assert_int_equal(find(&r, RC_REFUSE, RC_NONE, 2)->why, RC_WHY_DEVICE);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 3));

	/* the channel's drive is there: the root bus's is refused */
	reconcile(&cur, 1, w, 4, false, &r);
	assert_non_null(find(&r, RC_KEEP, 0, 2));
	assert_ptr_equal(find(&r, RC_REFUSE, RC_NONE, 0)->other, &cur.cfg);
	assert_non_null(find(&r, RC_REFUSE, RC_NONE, 1));
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 3));

	/* another address on the bus is another device */
	w[1].i2c_addr = 0x6b;
	reconcile(NULL, 0, w, 2, false, &r);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 1));
}

/* Names that escape alike are one name; records before endpoints. */
static void test_name_clash(void **state)
{
	struct drive_config w[3] = {
		endpoint("NVMe 1", "/t/E", "/ep/9", 9),
		basic("NVMe_1", "/b/A", 3, 3),
		basic("NVMe-1", "/b/B", 4, 4),
	};
	const struct rc_action *a;
	struct run r;

	assert_true(rc_names_clash("NVMe 1", "NVMe_1"));
	assert_false(rc_names_clash("NVMe 1", "NVMe 10"));
	assert_false(rc_names_clash("NVMe 1", "nvme 1"));
	reconcile(NULL, 0, w, 3, false, &r);
	assert_non_null(find(&r, RC_CREATE, RC_NONE, 1));
	a = find(&r, RC_REFUSE, RC_NONE, 2);
	assert_int_equal(a->why, RC_WHY_NAME);
	assert_ptr_equal(a->other, &w[1]);
	assert_int_equal(find(&r, RC_REFUSE, RC_NONE, 0)->why, RC_WHY_NAME);
	/* a record wins over an endpoint drive of its name, even one
	 * there before it */
	{
		struct rc_drive cur = there(w[0]);
		struct drive_config v[2] = { w[0], w[1] };

		reconcile(&cur, 1, v, 2, false, &r);
		a = find(&r, RC_REMOVE, 0, RC_NONE);
		assert_non_null(a);
		assert_int_equal(a->why, RC_WHY_NAME);
		assert_ptr_equal(a->other, &v[1]);
		assert_non_null(find(&r, RC_CREATE, RC_NONE, 1));
		assert_int_equal(find(&r, RC_REFUSE, RC_NONE, 0)->why,
				 RC_WHY_NAME);
	}
	/* two wanted at one path: the first */
	w[2].config_path = "/b/A";
	w[2].name = "Other";
	reconcile(NULL, 0, w + 1, 2, false, &r);
	assert_int_equal(find(&r, RC_REFUSE, RC_NONE, 1)->why,
			 RC_WHY_DUPLICATE);
}

/* The same set again changes nothing. */
static void test_twice(void **state)
{
	struct drive_config w[2] = { basic("A", "/b/A", 3, 3),
				     endpoint("E", "/t/E", "/ep/9", 9) };
	struct rc_drive cur[2] = { there(w[0]), there(w[1]) };
	struct run r;

	reconcile(cur, 2, w, 2, false, &r);
	assert_int_equal(r.n, 2);
	for (size_t i = 0; i < r.n; i++)
		assert_int_equal(r.a[i].verb, RC_KEEP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_keep),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_rebuild),
		cmocka_unit_test(test_remove),
		cmocka_unit_test(test_record_over_endpoint),
		cmocka_unit_test(test_one_basic_per_device),
		cmocka_unit_test(test_name_clash),
		cmocka_unit_test(test_twice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
