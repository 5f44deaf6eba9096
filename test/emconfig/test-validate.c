/* SPDX-License-Identifier: Apache-2.0 */
/* emc_validate: every key kind, every encoding, every kind of mistake. */
#include <errno.h>
#include <math.h>

#include "emc-test.h"

static const char *const polarities[] = { "active_low", "active_high", NULL };
static const char *const directions[] = { "greater than", "less than", NULL };

static const struct emc_key threshold_keys[] = {
	{ .name = "Direction", .kind = EMC_ENUM, .values = directions },
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 1 },
	{ .name = "Value", .kind = EMC_NUMBER, .required = true },
	{ .name = NULL },
};
static const struct emc_schema threshold_schema = { .type = "Thresholds",
						    .keys = threshold_keys };

static const struct emc_key nvme_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 255 },
	{ .name = "Address", .kind = EMC_UINT, .min = 0, .max = 127 },
	{ .name = "PollIntervalMs",
	  .kind = EMC_NUMBER,
	  .min = 10,
	  .max = 3600000 },
	{ .name = "Enabled", .kind = EMC_BOOL },
	{ .name = "Label", .kind = EMC_STRING, .max_len = 16 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ .name = NULL },
};
static const struct emc_schema nvme = { .type = "NVME1000", .keys = nvme_keys };

static const struct emc_key cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "GpioLine", .kind = EMC_STRING, .required = true },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = polarities },
	{ .name = "Length", .kind = EMC_NUMBER },
	{ .name = NULL },
};
static const struct emc_schema cable = { .type = "GPIOCableSensing",
					 .keys = cable_keys };

static struct emc_record *good_nvme(void)
{
	struct emc_record *r = mkrec("nvme0", "NVME1000");
	struct emc_record *t;

	set_s(r, "Bus", "50");
	set_s(r, "Address", "0x6a");
	set_s(r, "Unknown", "keys not in the schema are ignored");
	t = add_child(r, "Thresholds", 0);
	set_s(t, "Direction", "greater than");
	set_u(t, "Severity", 1);
	set_u(t, "Value", 115);
	t = add_child(r, "Thresholds", 1);
	set_s(t, "Direction", "less than");
	set_u(t, "Severity", 0);
	set_d(t, "Value", 5.5);
	emc_record_seal(r);
	return r;
}

static struct emc_record *good_cable(void)
{
	struct emc_record *r = mkrec("cable0", "GPIOCableSensing");

	set_s(r, "GpioLine", "CABLE0_PRSNT_N");
	set_s(r, "Polarity", "active_low");
	return r;
}

/* Validate and compare the message exactly (expected NULL: valid). */
static void expect(const struct emc_schema *schema, struct emc_record *r,
		   const char *expected)
{
	char *msg = NULL;
	int q = emc_validate(schema, r, &msg);

	if (!expected) {
		if (q != 0)
			fail_msg("unexpected error: %s", msg ? msg : "(none)");
		assert_null(msg);
	} else {
		assert_int_equal(q, -EINVAL);
		assert_non_null(msg);
		assert_string_equal(msg, expected);
		/* Without ret_error: same verdict. */
		assert_int_equal(emc_validate(schema, r, NULL), -EINVAL);
	}
	free(msg);
	emc_record_unref(r);
}

static void test_good(void **state)
{
	expect(&nvme, good_nvme(), NULL);
	expect(&cable, good_cable(), NULL);
}

static void test_uint_encodings_accepted(void **state)
{
	struct emc_value values[] = {
		{ .type = EMC_VALUE_UINT, .u = 50 }, /* y, q, u, t */
		{ .type = EMC_VALUE_INT, .i = 50 }, /* n, i, x */
		{ .type = EMC_VALUE_DOUBLE, .d = 50 }, /* d */
	};

	for (size_t i = 0; i < 3; i++) {
		struct emc_record *r = good_nvme();

		set_value(r, "Bus", values[i]);
		expect(&nvme, r, NULL);
	}
	for (uint64_t u = 0; u <= 255; u += 85) {
		struct emc_record *r = good_nvme();

		set_u(r, "Bus", u);
		expect(&nvme, r, NULL);
	}
}

static void test_uint_rejected(void **state)
{
	struct emc_record *r;

	r = good_nvme();
	set_s(r, "Bus", "$bus");
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got string '$bus'");
	r = good_nvme();
	set_d(r, "Bus", 1.5);
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got number 1.5");
	r = good_nvme();
	set_i(r, "Bus", -1);
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got number -1");
	r = good_nvme();
	set_b(r, "Bus", true);
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got bool true");
	r = good_nvme();
	set_u(r, "Bus", 256);
	expect(&nvme, r, "key 'Bus': value 256 out of range [0, 255]");
	r = good_nvme();
	set_s(r, "Address", "0x80");
	expect(&nvme, r, "key 'Address': value 128 out of range [0, 127]");
	r = good_nvme();
	set_value(r, "Bus", (struct emc_value){ .type = EMC_VALUE_ARRAY });
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got array of 0 values");
}

static void test_number(void **state)
{
	struct emc_record *r;

	r = good_nvme();
	set_s(r, "PollIntervalMs", "250");
	expect(&nvme, r, NULL);
	r = good_nvme();
	set_d(r, "PollIntervalMs", 10.5);
	expect(&nvme, r, NULL);
	r = good_nvme();
	set_u(r, "PollIntervalMs", 5);
	expect(&nvme, r,
	       "key 'PollIntervalMs': value 5 out of range [10, 3600000]");
	r = good_nvme();
	set_d(r, "PollIntervalMs", NAN);
	expect(&nvme, r,
	       "key 'PollIntervalMs': expected a number, got number nan");
	r = good_nvme();
	set_s(r, "PollIntervalMs", "fast");
	expect(&nvme, r,
	       "key 'PollIntervalMs': expected a number, got string 'fast'");
	/* No limits when min and max are both 0. */
	r = good_cable();
	set_d(r, "Length", -1e300);
	expect(&cable, r, NULL);
}

static void test_missing_required(void **state)
{
	struct emc_record *r = mkrec(NULL, "NVME1000");

	expect(&nvme, r, "key 'Name': missing");
	r = mkrec("n", "NVME1000");
	expect(&nvme, r, "key 'Bus': missing");
	r = mkrec("c", "GPIOCableSensing");
	set_s(r, "GpioLine", "L");
	expect(&cable, r, "key 'Polarity': missing");
	/* Optional keys may be absent. */
	r = mkrec("n", "NVME1000");
	set_u(r, "Bus", 1);
	expect(&nvme, r, NULL);
}

static void test_wrong_types(void **state)
{
	struct emc_record *r;

	r = good_cable();
	set_u(r, "Name", 5);
	expect(&cable, r, "key 'Name': expected a string, got number 5");
	r = good_cable();
	set_s(r, "Name", "");
	expect(&cable, r, "key 'Name': empty string");
	r = good_nvme();
	set_s(r, "Enabled", "yes");
	expect(&nvme, r, "key 'Enabled': expected a bool, got string 'yes'");
	r = good_nvme();
	set_b(r, "Enabled", false);
	expect(&nvme, r, NULL);
	r = good_nvme();
	set_s(r, "Name", "line\nbreak");
	expect(&nvme, r, NULL);
	r = good_nvme();
	set_i(r, "Label", -3);
	expect(&nvme, r, "key 'Label': expected a string, got number -3");
}

static void test_enum(void **state)
{
	char long_value[1001];
	struct emc_record *r;
	char *msg = NULL;

	r = good_cable();
	set_s(r, "Polarity", "up");
	expect(&cable, r,
	       "key 'Polarity': unknown value 'up' (expected one of: active_low, active_high)");
	r = good_cable();
	set_s(r, "Polarity", "Active_Low"); /* case matters */
	expect(&cable, r,
	       "key 'Polarity': unknown value 'Active_Low' (expected one of: active_low, active_high)");
	r = good_cable();
	set_u(r, "Polarity", 1);
	expect(&cable, r,
	       "key 'Polarity': expected one of: active_low, active_high, got number 1");
	r = good_cable();
	set_s(r, "Polarity", "active_high");
	expect(&cable, r, NULL);

	/* A long unknown value is cut in the message. */
	memset(long_value, 'x', 1000);
	long_value[1000] = '\0';
	r = good_cable();
	set_s(r, "Polarity", long_value);
	assert_int_equal(emc_validate(&cable, r, &msg), -EINVAL);
	assert_true(strlen(msg) < 200);
	assert_non_null(strstr(msg, "xxx...' (expected one of:"));
	free(msg);
	emc_record_unref(r);
}

static void test_string_too_long(void **state)
{
	char *line = malloc(10001);
	struct emc_record *r;
	char *msg = NULL;

	assert_non_null(line);
	memset(line, 'A', 10000);
	line[10000] = '\0';
	r = good_cable();
	set_s(r, "GpioLine", line);
	assert_int_equal(emc_validate(&cable, r, &msg), -EINVAL);
	assert_string_equal(
		msg,
		"key 'GpioLine': string of 10000 bytes is too long (at most 4096)");
	free(msg);
	emc_record_unref(r);

	line[4096] = '\0'; /* the default limit itself is fine */
	r = good_cable();
	set_s(r, "GpioLine", line);
	expect(&cable, r, NULL);
	free(line);

	r = good_nvme();
	set_s(r, "Label", "0123456789abcdefg");
	expect(&nvme, r,
	       "key 'Label': string of 17 bytes is too long (at most 16)");
	r = good_nvme();
	set_s(r, "Label", "0123456789abcdef");
	expect(&nvme, r, NULL);
}

static void test_children(void **state)
{
	struct emc_record *r;

	/* Severity missing in the second threshold. */
	r = mkrec("n", "NVME1000");
	set_u(r, "Bus", 1);
	set_u(add_child(r, "Thresholds", 0), "Severity", 0);
	set_u(emc_record_child(r, "Thresholds", 0), "Value", 1);
	set_u(add_child(r, "Thresholds", 1), "Value", 2);
	emc_record_seal(r);
	expect(&nvme, r, "key 'Thresholds[1]': key 'Severity': missing");

	r = good_nvme();
	set_s(emc_record_child(r, "Thresholds", 0), "Direction", "sideways");
	expect(&nvme, r,
	       "key 'Thresholds[0]': key 'Direction': unknown value 'sideways' (expected one of: greater than, less than)");
	r = good_nvme();
	set_u(emc_record_child(r, "Thresholds", 1), "Severity", 2);
	expect(&nvme, r,
	       "key 'Thresholds[1]': key 'Severity': value 2 out of range [0, 1]");

	/* A scalar where a list is expected, and the other way round. */
	r = mkrec("n", "NVME1000");
	set_u(r, "Bus", 1);
	set_u(r, "Thresholds", 5);
	expect(&nvme, r,
	       "key 'Thresholds': expected a list of objects, got number 5");
	r = mkrec("n", "NVME1000");
	add_child(r, "Bus", 0);
	expect(&nvme, r,
	       "key 'Bus': expected an unsigned integer, got a list of 1 object");
	/* An empty JSON array is an empty list. */
	r = mkrec("n", "NVME1000");
	set_u(r, "Bus", 1);
	set_value(r, "Thresholds",
		  (struct emc_value){ .type = EMC_VALUE_ARRAY });
	expect(&nvme, r, NULL);
}

static void test_bad_keys_and_record_errors(void **state)
{
	struct emc_record *r;

	r = mkrec("n", "NVME1000");
	assert_int_equal(
		emc_record_add_bad_key(r, "Bus", "null is not a value"), 0);
	expect(&nvme, r, "key 'Bus': null is not a value");
	/* A bad key the schema does not know is ignored. */
	r = good_nvme();
	assert_int_equal(emc_record_add_bad_key(r, "Other", "whatever"), 0);
	expect(&nvme, r, NULL);
	/* Errors found while parsing come first. */
	r = good_nvme();
	assert_int_equal(
		emc_record_set_error(r, "not an object (got %s)", "number"), 0);
	assert_int_equal(emc_record_set_error(r, "second"), 0);
	expect(&nvme, r, "not an object (got number)");
}

/* A closed schema (JSON schema "additionalProperties": false) names the
 * first key it does not know, whether a value, a list of sub-records or a
 * key that could not be represented; Type is always allowed; sub-records
 * follow their own schema. */
static void test_closed_schema(void **state)
{
	static const struct emc_schema closed = { .type = "GPIOCableSensing",
						  .keys = cable_keys,
						  .closed = true };
	static const struct emc_schema closed_nvme = { .type = "NVME1000",
						       .keys = nvme_keys,
						       .closed = true };
	struct emc_record *r;

	r = good_cable();
	set_s(r, "Type", "GPIOCableSensing");
	expect(&closed, r, NULL);
	r = good_cable();
	set_s(r, "Polarty", "active_low");
	expect(&cable, r, NULL); /* open: ignored */
	r = good_cable();
	set_s(r, "Polarty", "active_low");
	expect(&closed, r, "key 'Polarty': unknown key");
	r = good_cable();
	add_child(r, "Extra", 0);
	expect(&closed, r, "key 'Extra': unknown key");
	r = good_cable();
	assert_int_equal(emc_record_add_bad_key(r, "Odd", "null"), 0);
	expect(&closed, r, "key 'Odd': unknown key");
	/* Known keys are checked first. */
	r = good_cable();
	set_s(r, "Polarity", "sideways");
	set_s(r, "Zzz", "x");
	expect(&closed, r,
	       "key 'Polarity': unknown value 'sideways' (expected one of: active_low, active_high)");
	/* good_nvme() has an unknown top-level key, its thresholds none. */
	expect(&closed_nvme, good_nvme(), "key 'Unknown': unknown key");
}

/* An exact numeric key takes numbers only, as a JSON schema "integer" or
 * "number" does; others take numeric strings too. */
static void test_exact_numbers(void **state)
{
	static const struct emc_key keys[] = {
		{ .name = "Name", .kind = EMC_STRING, .required = true },
		{ .name = "PollIntervalMs",
		  .kind = EMC_UINT,
		  .min = 100,
		  .max = 1000,
		  .exact = true },
		{ .name = "Length", .kind = EMC_NUMBER, .exact = true },
		{ .name = "Bus", .kind = EMC_UINT },
		{ .name = NULL },
	};
	static const struct emc_schema schema = { .type = "X", .keys = keys };
	struct emc_record *r;

	r = mkrec("x", "X");
	set_u(r, "PollIntervalMs", 500);
	set_d(r, "Length", 0.5);
	set_s(r, "Bus", "7");
	emc_record_seal(r);
	expect(&schema, r, NULL);
	r = mkrec("x", "X");
	set_s(r, "PollIntervalMs", "500");
	emc_record_seal(r);
	expect(&schema, r,
	       "key 'PollIntervalMs': expected an unsigned integer, got string '500'");
	r = mkrec("x", "X");
	set_s(r, "Length", "0.5");
	emc_record_seal(r);
	expect(&schema, r, "key 'Length': expected a number, got string '0.5'");
	r = mkrec("x", "X");
	set_d(r, "PollIntervalMs", 2000);
	emc_record_seal(r);
	expect(&schema, r,
	       "key 'PollIntervalMs': value 2000 out of range [100, 1000]");
}

static void test_control_bytes_in_messages(void **state)
{
	struct emc_record *r = good_cable();

	set_s(r, "Polarity", "a\nb\tc");
	expect(&cable, r,
	       "key 'Polarity': unknown value 'a?b?c' (expected one of: active_low, active_high)");
}

/* Values and limits in messages have every digit it takes to see why
 * they were refused: %g printed 1000.0001 as 1000. */
static void test_number_digits(void **state)
{
	static const struct emc_key keys[] = {
		{ .name = "Value",
		  .kind = EMC_NUMBER,
		  .required = true,
		  .min = -273,
		  .max = 1000 },
		{ .name = "Ratio",
		  .kind = EMC_NUMBER,
		  .min = 0.1,
		  .max = 99.95 },
		{ .name = "Flag", .kind = EMC_BOOL },
		{ .name = NULL },
	};
	static const struct emc_schema th = { .type = "Thresholds",
					      .keys = keys };
	struct emc_record *r;

	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1000.0001);
	expect(&th, r,
	       "key 'Value': value 1000.0001 out of range [-273, 1000]");
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1000.0000000000001);
	expect(&th, r,
	       "key 'Value': value 1000.0000000000001 out of range [-273, 1000]");
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", -273.15);
	expect(&th, r, "key 'Value': value -273.15 out of range [-273, 1000]");
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1e300);
	expect(&th, r, "key 'Value': value 1e+300 out of range [-273, 1000]");
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1000);
	expect(&th, r, NULL);
	/* limits that are not integers, and a value just outside one */
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1);
	set_d(r, "Ratio", 99.950000001);
	expect(&th, r,
	       "key 'Ratio': value 99.950000001 out of range [0.1, 99.95]");
	/* a value described, not compared */
	r = mkrec("t", "Thresholds");
	set_d(r, "Value", 1);
	set_d(r, "Flag", 0.30000000000000004);
	expect(&th, r,
	       "key 'Flag': expected a bool, got number "
	       "0.30000000000000004");
}

/* A string that is not UTF-8 can never be a D-Bus string: the record
 * model refuses it, naming the key. */
static void test_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"nv\xff"
		"bad", /* not UTF-8 at all */
		"utf\xff\xfe"
		"bad",
		"\xc3(", /* a lead byte without its continuation */
		"\xc0\xaf", /* overlong '/' */
		"\xe0\x80\xaf", /* overlong '/' */
		"\xed\xa0\x80", /* U+D800, a surrogate */
		"\xf4\x90\x80\x80", /* U+110000 */
		"\xef\xbf\xbe", /* U+FFFE, which sd-bus refuses */
		"\xef\xb7\x90", /* U+FDD0, which sd-bus refuses */
		"ab\xe2\x82", /* cut short */
	};
	static const char *const good[] = {
		"caf\xc3\xa9",	    "\xe2\x82\xac",
		"\xf0\x9f\x98\x80", "\xef\xbf\xbd", /* U+FFFD */
		"\xf4\x8f\xbf\xbd", /* U+10FFFD */
	};
	struct emc_record *r;
	char *msg = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		r = mkrec(NULL, "GPIOCableSensing");
		set_s(r, "Name", bad[i]);
		set_s(r, "GpioLine", "L");
		set_s(r, "Polarity", "active_low");
		assert_null(emc_record_get(r, "Name"));
		assert_null(emc_record_name(r));
		expect(&cable, r, "key 'Name': string is not valid UTF-8");
	}
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		r = good_cable();
		set_s(r, "GpioLine", good[i]);
		expect(&cable, r, NULL);
	}
	/* in an enum, in an array, in a key name (closed schema) */
	r = good_cable();
	set_s(r, "Polarity", "active\xa0low");
	expect(&cable, r, "key 'Polarity': string is not valid UTF-8");
	r = good_cable();
	{
		struct emc_value v = { .type = EMC_VALUE_ARRAY };

		v.a.items = calloc(2, sizeof(*v.a.items));
		assert_non_null(v.a.items);
		v.a.items[0] = (struct emc_value){ .type = EMC_VALUE_STRING,
						   .s = strdup("ok") };
		v.a.items[1] = (struct emc_value){ .type = EMC_VALUE_STRING,
						   .s = strdup("b\xff"
							       "d") };
		v.a.n = 2;
		set_value(r, "Tags", v);
	}
	assert_null(emc_record_get(r, "Tags"));
	assert_string_equal(emc_record_bad_key(r, "Tags"),
			    "array holds a string that is not valid UTF-8");
	emc_record_unref(r);
	r = good_cable();
	set_s(r, "K\xffy", "v");
	assert_null(emc_record_get(r, "K\xffy"));
	{
		static const struct emc_schema closed = {
			.type = "GPIOCableSensing",
			.keys = cable_keys,
			.closed = true,
		};

		emc_record_seal(r);
		assert_int_equal(emc_validate(&closed, r, &msg), -EINVAL);
		/* the message itself is UTF-8 */
		assert_string_equal(msg, "key 'K?y': unknown key");
		free(msg);
	}
	emc_record_unref(r);
}

/* Messages quote at most max bytes and never cut a character in two. */
static void test_msg_truncate_utf8(void **state)
{
	char *t;

	t = emc_msg_truncate("ab\xc3\xa9"
			     "cd",
			     3);
	assert_string_equal(t, "ab...");
	free(t);
	t = emc_msg_truncate("ab\xc3\xa9"
			     "cd",
			     4);
	assert_string_equal(t, "ab\xc3\xa9...");
	free(t);
	t = emc_msg_truncate("ab\xc3\xa9", 4);
	assert_string_equal(t, "ab\xc3\xa9");
	free(t);
	t = emc_msg_truncate("a\xff\nb", 64);
	assert_string_equal(t, "a??b");
	free(t);
	t = emc_msg_truncate("", 0);
	assert_string_equal(t, "");
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_uint_encodings_accepted),
		cmocka_unit_test(test_uint_rejected),
		cmocka_unit_test(test_number),
		cmocka_unit_test(test_missing_required),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_enum),
		cmocka_unit_test(test_string_too_long),
		cmocka_unit_test(test_children),
		cmocka_unit_test(test_bad_keys_and_record_errors),
		cmocka_unit_test(test_closed_schema),
		cmocka_unit_test(test_exact_numbers),
		cmocka_unit_test(test_control_bytes_in_messages),
		cmocka_unit_test(test_number_digits),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_msg_truncate_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
