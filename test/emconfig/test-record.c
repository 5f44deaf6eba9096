/* SPDX-License-Identifier: Apache-2.0 */
/* The record model: reference counting, typed accessors, equality. */
#include <errno.h>
#include <math.h>

#include "emc-test.h"

/* Each D-Bus/JSON encoding of an unsigned number, and what get_uint makes
 * of it (ok = false: -EINVAL). */
/* A handler gets a const record and may keep it: emc_record_ref takes
 * const (this does not compile, -Werror, when it does not). */
static void test_ref_const(void **state)
{
	struct emc_record *r = mkrec("c0", "GPIOCableSensing");
	const struct emc_record *cr = r;
	struct emc_record *again = emc_record_ref(cr);

	assert_ptr_equal(again, r);
	assert_int_equal(r->n_ref, 2);
	emc_record_unref(again);
	assert_int_equal(r->n_ref, 1);
	emc_record_unref(r);
}

static void test_get_uint_encodings(void **state)
{
	struct emc_record *r = mkrec("n", "NVME1000");
	uint64_t u;

	set_u(r, "y", UINT8_MAX);
	set_u(r, "q", UINT16_MAX);
	set_u(r, "u", UINT32_MAX);
	set_u(r, "t", UINT64_MAX);
	set_i(r, "i", 50);
	set_i(r, "x", INT64_MAX);
	set_d(r, "d", 50.0);
	set_s(r, "dec", "50");
	set_s(r, "hex", "0x6a");
	set_s(r, "HEX", "0X6A");
	set_s(r, "zero", "0");

	assert_int_equal(emc_record_get_uint(r, "y", &u), 0);
	assert_int_equal(u, 255);
	assert_int_equal(emc_record_get_uint(r, "q", &u), 0);
	assert_int_equal(u, 65535);
	assert_int_equal(emc_record_get_uint(r, "u", &u), 0);
	assert_int_equal(u, 4294967295u);
	assert_int_equal(emc_record_get_uint(r, "t", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(emc_record_get_uint(r, "i", &u), 0);
	assert_int_equal(u, 50);
	assert_int_equal(emc_record_get_uint(r, "x", &u), 0);
	assert_true(u == (uint64_t)INT64_MAX);
	assert_int_equal(emc_record_get_uint(r, "d", &u), 0);
	assert_int_equal(u, 50);
	assert_int_equal(emc_record_get_uint(r, "dec", &u), 0);
	assert_int_equal(u, 50);
	assert_int_equal(emc_record_get_uint(r, "hex", &u), 0);
	assert_int_equal(u, 0x6a);
	assert_int_equal(emc_record_get_uint(r, "HEX", &u), 0);
	assert_int_equal(u, 0x6a);
	assert_int_equal(emc_record_get_uint(r, "zero", &u), 0);
	assert_int_equal(u, 0);
	emc_record_unref(r);
}

static void test_get_uint_rejects(void **state)
{
	static const char *const bad_strings[] = {
		"$bus",
		"",
		"0x",
		"5 0",
		" 50",
		"50 ",
		"+5",
		"-1",
		"1.5",
		"0x6g",
		"18446744073709551616",
		"0x10000000000000000",
		"abc",
	};
	struct emc_record *r = mkrec("n", "NVME1000");
	uint64_t u = 1234;

	set_d(r, "frac", 1.5);
	set_d(r, "negd", -1.0);
	set_d(r, "huge", 1e20);
	set_d(r, "nan", NAN);
	set_i(r, "neg", -1);
	set_b(r, "bool", true);
	for (const char *k = "frac\0negd\0huge\0nan\0neg\0bool\0"; *k;
	     k += strlen(k) + 1)
		assert_int_equal(emc_record_get_uint(r, k, &u), -EINVAL);
	for (size_t i = 0; i < sizeof(bad_strings) / sizeof(bad_strings[0]);
	     i++) {
		set_s(r, "s", bad_strings[i]);
		assert_int_equal(emc_record_get_uint(r, "s", &u), -EINVAL);
	}
	assert_int_equal(emc_record_get_uint(r, "missing", &u), -ENOENT);
	/* Output untouched on failure. */
	assert_int_equal(u, 1234);

	set_u(r, "bus", 300);
	assert_int_equal(emc_record_get_uint_range(r, "bus", 0, 255, &u),
			 -ERANGE);
	assert_int_equal(u, 1234);
	assert_int_equal(emc_record_get_uint_range(r, "bus", 0, 1023, &u), 0);
	assert_int_equal(u, 300);
	emc_record_unref(r);
}

static void test_get_int(void **state)
{
	struct emc_record *r = mkrec("n", "T");
	int64_t i = 7;

	set_i(r, "neg", -5);
	set_s(r, "sneg", "-5");
	set_s(r, "shexneg", "-0x10");
	set_s(r, "smin", "-9223372036854775808");
	set_d(r, "d", -3.0);
	set_u(r, "big", (uint64_t)INT64_MAX + 1);
	set_d(r, "frac", -3.5);
	set_s(r, "over", "9223372036854775808");

	assert_int_equal(emc_record_get_int(r, "neg", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(emc_record_get_int(r, "sneg", &i), 0);
	assert_int_equal(i, -5);
	assert_int_equal(emc_record_get_int(r, "shexneg", &i), 0);
	assert_int_equal(i, -16);
	assert_int_equal(emc_record_get_int(r, "smin", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(emc_record_get_int(r, "d", &i), 0);
	assert_int_equal(i, -3);
	i = 7;
	assert_int_equal(emc_record_get_int(r, "big", &i), -EINVAL);
	assert_int_equal(emc_record_get_int(r, "frac", &i), -EINVAL);
	assert_int_equal(emc_record_get_int(r, "over", &i), -EINVAL);
	assert_int_equal(emc_record_get_int(r, "Name", &i), -EINVAL);
	assert_int_equal(emc_record_get_int(r, "nope", &i), -ENOENT);
	assert_int_equal(i, 7);
	emc_record_unref(r);
}

static void test_get_double_string_bool(void **state)
{
	struct emc_record *r = mkrec("n", "T");
	const char *s = NULL;
	double d = 0;
	bool b = false;

	set_u(r, "u", 5);
	set_i(r, "i", -5);
	set_d(r, "d", 2.25);
	set_s(r, "s", "2.5");
	set_s(r, "hex", "0x10");
	set_s(r, "nan", "nan");
	set_s(r, "inf", "inf");
	set_s(r, "word", "abc");
	set_b(r, "b", true);

	assert_int_equal(emc_record_get_double(r, "u", &d), 0);
	assert_true(d == 5.0);
	assert_int_equal(emc_record_get_double(r, "i", &d), 0);
	assert_true(d == -5.0);
	assert_int_equal(emc_record_get_double(r, "d", &d), 0);
	assert_true(d == 2.25);
	assert_int_equal(emc_record_get_double(r, "s", &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(emc_record_get_double(r, "hex", &d), 0);
	assert_true(d == 16.0);
	assert_int_equal(emc_record_get_double(r, "nan", &d), -EINVAL);
	assert_int_equal(emc_record_get_double(r, "inf", &d), -EINVAL);
	assert_int_equal(emc_record_get_double(r, "word", &d), -EINVAL);
	assert_int_equal(emc_record_get_double(r, "b", &d), -EINVAL);
	assert_true(d == 16.0);

	assert_int_equal(emc_record_get_string(r, "word", &s), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(emc_record_get_string(r, "u", &s), -EINVAL);
	assert_int_equal(emc_record_get_string(r, "zz", &s), -ENOENT);
	assert_string_equal(s, "abc");

	assert_int_equal(emc_record_get_bool(r, "b", &b), 0);
	assert_true(b);
	assert_int_equal(emc_record_get_bool(r, "s", &b), -EINVAL);
	assert_int_equal(emc_record_get_bool(r, "zz", &b), -ENOENT);
	emc_record_unref(r);
}

static void test_identity_and_keys(void **state)
{
	struct emc_record *r = mkrec("cable0", "GPIOCableSensing");
	struct emc_value arr = { .type = EMC_VALUE_ARRAY };

	assert_string_equal(emc_record_path(r), TEST_BOARD "/cable0");
	assert_string_equal(emc_record_board(r), TEST_BOARD);
	assert_string_equal(emc_record_type(r), "GPIOCableSensing");
	assert_string_equal(emc_record_name(r), "cable0");

	arr.a.items = calloc(2, sizeof(*arr.a.items));
	assert_non_null(arr.a.items);
	arr.a.items[0] = (struct emc_value){ .type = EMC_VALUE_UINT, .u = 1 };
	arr.a.items[1] = (struct emc_value){ .type = EMC_VALUE_INT, .i = -2 };
	arr.a.n = 2;
	set_value(r, "Tachs", arr);
	set_u(r, "Name", 5); /* replaces: Name is no longer a string */
	assert_null(emc_record_name(r));

	emc_record_seal(r);
	assert_int_equal(emc_record_n_keys(r), 2);
	assert_string_equal(emc_record_key_at(r, 0), "Name");
	assert_string_equal(emc_record_key_at(r, 1), "Tachs");
	assert_null(emc_record_key_at(r, 2));
	assert_int_equal(emc_value_type(emc_record_get(r, "Tachs")),
			 EMC_VALUE_ARRAY);
	assert_int_equal(emc_value_array_len(emc_record_get(r, "Tachs")), 2);
	assert_int_equal(emc_value_array_at(emc_record_get(r, "Tachs"), 1)->i,
			 -2);
	assert_null(emc_value_array_at(emc_record_get(r, "Tachs"), 2));
	assert_int_equal(emc_value_array_len(emc_record_get(r, "Name")), 0);
	assert_null(emc_record_get(r, "nothing"));
	emc_record_unref(r);
}

static void test_children_order_and_refs(void **state)
{
	struct emc_record *r = mkrec("n", "NVME1000");
	struct emc_record *kept;

	set_u(add_child(r, "Thresholds", 2), "Severity", 2);
	set_u(add_child(r, "Thresholds", 0), "Severity", 0);
	set_u(add_child(r, "Thresholds", 1), "Severity", 1);
	add_child(r, "FirmwareInfo", 0);
	emc_record_seal(r);

	assert_int_equal(emc_record_n_children(r, "Thresholds"), 3);
	assert_int_equal(emc_record_n_children(r, "None"), 0);
	for (size_t i = 0; i < 3; i++) {
		uint64_t sev;

		assert_int_equal(emc_record_get_uint(
					 emc_record_child(r, "Thresholds", i),
					 "Severity", &sev),
				 0);
		assert_int_equal(sev, i);
		assert_string_equal(
			emc_record_type(emc_record_child(r, "Thresholds", i)),
			"Thresholds");
	}
	assert_null(emc_record_child(r, "Thresholds", 3));
	assert_int_equal(emc_record_n_child_keys(r), 2);
	assert_string_equal(emc_record_child_key_at(r, 0), "FirmwareInfo");
	assert_string_equal(emc_record_child_key_at(r, 1), "Thresholds");
	assert_null(emc_record_child_key_at(r, 2));

	/* A child outlives its parent while referenced (ASan checks). */
	kept = emc_record_ref(emc_record_child(r, "Thresholds", 1));
	assert_null(emc_record_ref(NULL));
	assert_null(emc_record_unref(emc_record_ref(r)));
	assert_null(emc_record_unref(r));
	assert_string_equal(emc_record_type(kept), "Thresholds");
	emc_record_unref(kept);
}

static struct emc_record *sample(uint64_t bus, double value, bool reverse)
{
	struct emc_record *r = mkrec("n", "NVME1000");

	if (reverse) {
		set_s(r, "Address", "0x6a");
		set_u(r, "Bus", bus);
	} else {
		set_u(r, "Bus", bus);
		set_s(r, "Address", "0x6a");
	}
	set_d(add_child(r, "Thresholds", 0), "Value", value);
	set_d(add_child(r, "Thresholds", 1), "Value", NAN);
	emc_record_seal(r);
	return r;
}

static void test_equal(void **state)
{
	struct emc_record *a = sample(5, 1.0, false);
	struct emc_record *b = sample(5, 1.0, true);
	struct emc_record *c = sample(6, 1.0, false);
	struct emc_record *d = sample(5, 2.0, false);
	struct emc_record *e = mkrec("n", "NVME1000");

	assert_true(emc_record_equal(a, a));
	assert_true(emc_record_equal(a, b)); /* order and NaN do not matter */
	assert_false(emc_record_equal(a, c));
	assert_false(emc_record_equal(a, d)); /* a child differs */
	assert_false(emc_record_equal(a, e));
	assert_false(emc_record_equal(a, NULL));
	set_i(e, "Bus", 5); /* same number, other D-Bus type */
	set_s(e, "Address", "0x6a");
	set_d(add_child(e, "Thresholds", 0), "Value", 1.0);
	set_d(add_child(e, "Thresholds", 1), "Value", NAN);
	assert_false(emc_record_equal(a, e));
	emc_record_unref(a);
	emc_record_unref(b);
	emc_record_unref(c);
	emc_record_unref(d);
	emc_record_unref(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_const),
		cmocka_unit_test(test_get_uint_encodings),
		cmocka_unit_test(test_get_uint_rejects),
		cmocka_unit_test(test_get_int),
		cmocka_unit_test(test_get_double_string_bool),
		cmocka_unit_test(test_identity_and_keys),
		cmocka_unit_test(test_children_order_and_refs),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
