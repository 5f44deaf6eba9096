/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The entity-manager source's parser: GetManagedObjects replies built as
 * real sd-bus messages (on a bus that is never connected to anything)
 * and turned into records: every D-Bus value type, sub-record interfaces
 * and their order, dotted Types, foreign interfaces.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-bus.h>

#include "emc-test.h"

#define CFG EMC_CONFIG_IFACE_PREFIX
#define SYS "/xyz/openbmc_project/inventory/system/board/B"

static const struct emc_key keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 255 },
	{ .name = NULL },
};
static const struct emc_schema nvme = { .type = "NVME1000", .keys = keys };

static sd_bus *bus;
static int fds[2] = { -1, -1 };
static uint64_t cookie = 1;

static int setup(void **state)
{
	/* Messages need a started bus; this one never talks to anyone. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
	    sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[0], fds[0]) < 0 ||
	    sd_bus_start(bus) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	/* No flush: the authentication would wait for a peer forever. */
	close(fds[1]);
	sd_bus_close_unref(bus);
	return 0;
}

static sd_bus_message *reply_new(void)
{
	sd_bus_message *m = NULL;

	assert_int_equal(sd_bus_message_new_signal(bus, &m, "/t", "t.T", "R"),
			 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{oa{sa{sv}}}") >= 0);
	return m;
}

static void object_open(sd_bus_message *m, const char *path)
{
	assert_true(sd_bus_message_open_container(m, 'e', "oa{sa{sv}}") >= 0);
	assert_true(sd_bus_message_append(m, "o", path) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{sa{sv}}") >= 0);
}

static void iface_open(sd_bus_message *m, const char *iface)
{
	assert_true(sd_bus_message_open_container(m, 'e', "sa{sv}") >= 0);
	assert_true(sd_bus_message_append(m, "s", iface) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{sv}") >= 0);
}

static void close2(sd_bus_message *m)
{
	assert_true(sd_bus_message_close_container(m) >= 0);
	assert_true(sd_bus_message_close_container(m) >= 0);
}

/* One interface with a Name (or nothing) in it. */
static void simple_iface(sd_bus_message *m, const char *iface, const char *name)
{
	iface_open(m, iface);
	if (name)
		assert_true(sd_bus_message_append(m, "{sv}", "Name", "s",
						  name) >= 0);
	close2(m);
}

static size_t parse(sd_bus_message *m, struct emc_record ***ret)
{
	size_t n = 0;

	assert_true(sd_bus_message_close_container(m) >= 0);
	assert_true(sd_bus_message_seal(m, cookie++, 0) >= 0);
	assert_true(sd_bus_message_rewind(m, true) >= 0);
	assert_int_equal(emc_dbus_parse_managed_objects(m, ret, &n), 0);
	return n;
}

static void test_value_types(void **state)
{
	sd_bus_message *m = reply_new();
	struct emc_record **recs = NULL;
	const struct emc_value *v;
	struct emc_record *r;
	uint64_t u;
	int64_t i;
	size_t n;

	object_open(m, SYS "/all");
	iface_open(m, CFG "Everything");
	assert_true(sd_bus_message_append(
			    m, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}",
			    "b", "b", 1, "y", "y", 200, "n", "n", -3, "q", "q",
			    60000, "i", "i", -70000, "u", "u", 4000000000u, "x",
			    "x", INT64_MIN, "t", "t", UINT64_MAX, "d", "d", 2.5,
			    "s", "s", "text", "o", "o", "/a/b") >= 0);
	assert_true(sd_bus_message_append(m, "{sv}{sv}{sv}", "as", "as", 2, "a",
					  "b", "at", "at", 3, (uint64_t)1,
					  (uint64_t)2, (uint64_t)3, "ad", "ad",
					  0) >= 0);
	/* Types a record cannot hold. */
	assert_true(sd_bus_message_append(m, "{sv}{sv}", "map", "a{ss}", 1, "k",
					  "v", "pair", "(ii)", 1, 2) >= 0);
	close2(m);
	close2(m);
	n = parse(m, &recs);
	sd_bus_message_unref(m);

	assert_int_equal(n, 1);
	r = recs[0];
	assert_string_equal(emc_record_path(r), SYS "/all");
	assert_string_equal(emc_record_board(r), SYS);
	assert_string_equal(emc_record_type(r), "Everything");
	assert_int_equal(emc_record_n_keys(r), 14);

	assert_int_equal(emc_record_get(r, "b")->type, EMC_VALUE_BOOL);
	assert_true(emc_record_get(r, "b")->b);
	assert_int_equal(emc_record_get_uint(r, "y", &u), 0);
	assert_int_equal(u, 200);
	assert_int_equal(emc_record_get_int(r, "n", &i), 0);
	assert_int_equal(i, -3);
	assert_int_equal(emc_record_get_uint(r, "q", &u), 0);
	assert_int_equal(u, 60000);
	assert_int_equal(emc_record_get_int(r, "i", &i), 0);
	assert_int_equal(i, -70000);
	assert_int_equal(emc_record_get_uint(r, "u", &u), 0);
	assert_int_equal(u, 4000000000u);
	assert_int_equal(emc_record_get_int(r, "x", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(emc_record_get_uint(r, "t", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_true(emc_record_get(r, "d")->d == 2.5);
	assert_string_equal(emc_record_get(r, "s")->s, "text");
	assert_string_equal(emc_record_get(r, "o")->s, "/a/b");
	v = emc_record_get(r, "as");
	assert_int_equal(emc_value_array_len(v), 2);
	assert_string_equal(emc_value_array_at(v, 1)->s, "b");
	v = emc_record_get(r, "at");
	assert_int_equal(emc_value_array_len(v), 3);
	assert_int_equal(emc_value_array_at(v, 2)->u, 3);
	assert_int_equal(emc_value_type(emc_record_get(r, "ad")),
			 EMC_VALUE_ARRAY);
	assert_int_equal(emc_value_array_len(emc_record_get(r, "ad")), 0);
	assert_null(emc_record_get(r, "map"));
	assert_null(emc_record_get(r, "pair"));
	assert_string_equal(emc_record_bad_key(r, "map"),
			    "unsupported D-Bus type");
	emc_records_free(recs, n);
}

/* Bus in every D-Bus integer type, and as 'd' and 's'. */
static void test_bus_encodings(void **state)
{
	sd_bus_message *m = reply_new();
	struct emc_record **recs = NULL;
	size_t n;

	object_open(m, SYS "/y");
	iface_open(m, CFG "NVME1000");
	assert_true(sd_bus_message_append(m, "{sv}{sv}", "Name", "s", "y",
					  "Bus", "y", 50) >= 0);
	close2(m);
	close2(m);
#define ONE(name, sig, value)                                               \
	object_open(m, SYS "/" name);                                       \
	iface_open(m, CFG "NVME1000");                                      \
	assert_true(sd_bus_message_append(m, "{sv}{sv}", "Name", "s", name, \
					  "Bus", sig, value) >= 0);         \
	close2(m);                                                          \
	close2(m)
	ONE("q", "q", 50);
	ONE("u", "u", 50u);
	ONE("t", "t", (uint64_t)50);
	ONE("i", "i", 50);
	ONE("x", "x", (int64_t)50);
	ONE("d", "d", 50.0);
	ONE("s", "s", "0x32");
	ONE("zn", "n", -1);
	ONE("zd", "d", 1.5);
	ONE("zs", "s", "$bus");
#undef ONE
	n = parse(m, &recs);
	sd_bus_message_unref(m);
	assert_int_equal(n, 11);
	for (size_t k = 0; k < n; k++) {
		const char *name = emc_record_name(recs[k]);
		int q = emc_validate(&nvme, recs[k], NULL);
		uint64_t u;

		if (name[0] == 'z') {
			assert_int_equal(q, -EINVAL);
			continue;
		}
		assert_int_equal(q, 0);
		assert_int_equal(emc_record_get_uint(recs[k], "Bus", &u), 0);
		assert_int_equal(u, 50);
	}
	emc_records_free(recs, n);
}

static void test_sub_records(void **state)
{
	static const int order[] = { 2, 0, 10, 1 };
	sd_bus_message *m = reply_new();
	struct emc_record **recs = NULL;
	struct emc_record *r;
	uint64_t sev;
	size_t n;

	object_open(m, SYS "/nvme0");
	/* Sub-records may come before their record. */
	for (size_t k = 0; k < 4; k++) {
		char iface[128];

		snprintf(iface, sizeof(iface), CFG "NVME1000.Thresholds%d",
			 order[k]);
		iface_open(m, iface);
		assert_true(sd_bus_message_append(m, "{sv}", "Severity", "t",
						  (uint64_t)order[k]) >= 0);
		close2(m);
	}
	iface_open(m, CFG "NVME1000");
	assert_true(sd_bus_message_append(m, "{sv}{sv}", "Name", "s", "nvme0",
					  "Bus", "t", (uint64_t)3) >= 0);
	close2(m);
	simple_iface(m, CFG "NVME1000.FirmwareInfo", NULL);
	simple_iface(m, "xyz.openbmc_project.Inventory.Item", "not config");
	close2(m);
	n = parse(m, &recs);
	sd_bus_message_unref(m);

	assert_int_equal(n, 1);
	r = recs[0];
	assert_string_equal(emc_record_type(r), "NVME1000");
	assert_int_equal(emc_record_n_child_keys(r), 2);
	assert_int_equal(emc_record_n_children(r, "Thresholds"), 4);
	assert_int_equal(emc_record_n_children(r, "FirmwareInfo"), 1);
	/* Index order, numerically: 0, 1, 2, 10. */
	for (size_t k = 0; k < 4; k++) {
		struct emc_record *t = emc_record_child(r, "Thresholds", k);

		assert_string_equal(emc_record_type(t), "Thresholds");
		assert_string_equal(emc_record_path(t), SYS "/nvme0");
		assert_int_equal(emc_record_get_uint(t, "Severity", &sev), 0);
		assert_int_equal(sev, k < 3 ? k : 10);
	}
	assert_string_equal(emc_record_child(r, "Thresholds", 3)->iface,
			    CFG "NVME1000.Thresholds10");
	assert_int_equal(emc_validate(&nvme, r, NULL), 0);
	emc_records_free(recs, n);
}

static void test_objects_and_types(void **state)
{
	sd_bus_message *m = reply_new();
	struct emc_record **recs = NULL;
	size_t n;

	/* Out of path order; a dotted Type without its prefix interface; an
	 * object without configuration; two Types on one object. */
	object_open(m, SYS "/z");
	simple_iface(m, CFG "Pid.Zone", "zone");
	simple_iface(m, CFG "Pid.Zone.Extra0", NULL);
	close2(m);
	object_open(m, SYS "/a");
	simple_iface(m, CFG "TypeB", "a");
	simple_iface(m, CFG "TypeA", "a");
	close2(m);
	object_open(m, SYS);
	simple_iface(m, "xyz.openbmc_project.Inventory.Item.Board", "B");
	close2(m);
	object_open(m, "/top");
	simple_iface(m, CFG "Top", "top");
	close2(m);
	n = parse(m, &recs);
	sd_bus_message_unref(m);

	assert_int_equal(n, 4);
	assert_string_equal(emc_record_path(recs[0]), "/top");
	assert_null(emc_record_board(recs[0]));
	assert_string_equal(emc_record_type(recs[1]), "TypeA");
	assert_string_equal(emc_record_type(recs[2]), "TypeB");
	assert_string_equal(emc_record_path(recs[3]), SYS "/z");
	assert_string_equal(emc_record_type(recs[3]), "Pid.Zone");
	assert_int_equal(emc_record_n_children(recs[3], "Extra"), 1);
	emc_records_free(recs, n);
}

static void test_same_reply_is_equal(void **state)
{
	struct emc_record **a = NULL, **b = NULL;
	size_t na, nb;

	for (int pass = 0; pass < 2; pass++) {
		sd_bus_message *m = reply_new();

		object_open(m, SYS "/r");
		iface_open(m, CFG "NVME1000");
		assert_true(sd_bus_message_append(m, "{sv}{sv}", "Name", "s",
						  "r", "Bus", "t",
						  (uint64_t)(pass + 1)) >= 0);
		close2(m);
		simple_iface(m, CFG "NVME1000.Thresholds0", NULL);
		close2(m);
		if (pass == 0)
			na = parse(m, &a);
		else
			nb = parse(m, &b);
		sd_bus_message_unref(m);
	}
	assert_int_equal(na, 1);
	assert_int_equal(nb, 1);
	assert_false(emc_record_equal(a[0], b[0]));
	set_u(b[0], "Bus", 1);
	assert_true(emc_record_equal(a[0], b[0]));
	emc_records_free(a, na);
	emc_records_free(b, nb);
}

static void test_wrong_signature(void **state)
{
	sd_bus_message *m = NULL;
	struct emc_record **recs = (struct emc_record **)0x1;
	size_t n = 77;

	assert_int_equal(sd_bus_message_new_signal(bus, &m, "/t", "t.T", "R"),
			 0);
	assert_true(sd_bus_message_append(m, "as", 1, "x") >= 0);
	assert_true(sd_bus_message_seal(m, cookie++, 0) >= 0);
	assert_true(sd_bus_message_rewind(m, true) >= 0);
	assert_true(emc_dbus_parse_managed_objects(m, &recs, &n) < 0);
	assert_true(recs == (struct emc_record **)0x1);
	assert_int_equal(n, 77);
	sd_bus_message_unref(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_value_types),
		cmocka_unit_test(test_bus_encodings),
		cmocka_unit_test(test_sub_records),
		cmocka_unit_test(test_objects_and_types),
		cmocka_unit_test(test_same_reply_is_equal),
		cmocka_unit_test(test_wrong_signature),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
