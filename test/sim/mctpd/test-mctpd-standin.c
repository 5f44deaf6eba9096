/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mctpd-standin on a private bus: SetupEndpoint answers what the scenario
 * says, endpoints come and go with the ObjectManager signals, and the
 * mctpreactor-style configured_by association follows its endpoint.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macros.h"
#include "testbed.h"

#define MCTPD	    "au.com.codeconstruct.MCTP1"
#define REACTOR	    "xyz.openbmc_project.MCTPReactor"
#define ROOT	    "/au/com/codeconstruct/mctp1"
#define EP_IFACE    "xyz.openbmc_project.MCTP.Endpoint"
#define EP1_IFACE   "au.com.codeconstruct.MCTP.Endpoint1"
#define ASSOC_IFACE "xyz.openbmc_project.Association.Definitions"
#define TEST_IFACE  "xyz.openbmc_project.Test.MCTPD"
#define WAIT_MS	    10000
/* mctpd publishes the BMC's own endpoint on each network (here 1, 2). */
#define N_LOCAL 2

static const char scenario[] =
	"{\"drives\": ["
	" {\"network\": 1, \"eid\": 9, \"bus\": 3, \"address\": 29,"
	"  \"serial\": \"S1\", \"config\":"
	"  \"/xyz/openbmc_project/inventory/system/board/B/Drive_1\"},"
	" {\"network\": 1, \"eid\": 10, \"bus\": 3, \"address\": 30},"
	" {\"network\": 2, \"eid\": 20, \"bus\": 5, \"address\": 29},"
	" {\"network\": 1, \"eid\": 11}"
	"]}";

struct signals {
	int added_ep, removed_ep, added_assoc, removed_assoc;
};

/* Count InterfacesAdded/Removed naming the endpoint or the association
 * interface (mctpd and the reactor share the root path). */
static int on_om_signal(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct signals *s = userdata;
	bool added = strcmp(sd_bus_message_get_member(m), "InterfacesAdded") ==
		     0;
	const char *path, *name;
	int r;

	r = sd_bus_message_read(m, "o", &path);
	assert_true(r >= 0);
	if (added) {
		r = sd_bus_message_enter_container(m, 'a', "{sa{sv}}");
		assert_true(r >= 0);
		while ((r = sd_bus_message_enter_container(m, 'e', "sa{sv}")) >
		       0) {
			assert_true(sd_bus_message_read(m, "s", &name) >= 0);
			assert_true(sd_bus_message_skip(m, "a{sv}") >= 0);
			assert_true(sd_bus_message_exit_container(m) >= 0);
			s->added_ep += strcmp(name, EP_IFACE) == 0;
			s->added_assoc += strcmp(name, ASSOC_IFACE) == 0;
		}
	} else {
		r = sd_bus_message_enter_container(m, 'a', "s");
		assert_true(r >= 0);
		while ((r = sd_bus_message_read(m, "s", &name)) > 0) {
			s->removed_ep += strcmp(name, EP_IFACE) == 0;
			s->removed_assoc += strcmp(name, ASSOC_IFACE) == 0;
		}
	}
	assert_true(r >= 0);
	return 0;
}

static sd_bus_slot *watch_signals(struct testbed *tb, struct signals *s)
{
	sd_bus_slot *slot = NULL;

	assert_true(sd_bus_match_signal(tb_bus(tb), &slot, NULL, NULL,
					"org.freedesktop.DBus.ObjectManager",
					NULL, on_om_signal, s) >= 0);
	return slot;
}

static struct testbed *start(bool publish_all, pid_t *ret_pid)
{
	struct testbed *tb = tb_new();
	const char *file = tb_path(tb, "scenario.json");
	const char *argv[] = { tb_prog("mctpd-standin"),
			       "--scenario",
			       file,
			       "--interface",
			       "mctpextra=7",
			       publish_all ? "--publish-all" : NULL,
			       NULL };

	tb_write_file(file, scenario);
	*ret_pid = tb_spawn(tb, "mctpd", argv, NULL);
	assert_int_equal(tb_wait_name(tb, MCTPD, WAIT_MS), 0);
	assert_int_equal(tb_wait_name(tb, REACTOR, WAIT_MS), 0);
	return tb;
}

/* SetupEndpoint on interface ifname with one address byte; returns the
 * bus error name on failure (static), NULL on success. */
static const char *setup(struct testbed *tb, const char *ifname,
			 const uint8_t *addr, size_t len, uint8_t *eid,
			 int32_t *net, char **path, int *created)
{
	static char errname[128];
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	char objpath[128];
	const char *p;
	int r;

	snprintf(objpath, sizeof(objpath), ROOT "/interfaces/%s", ifname);
	assert_true(sd_bus_message_new_method_call(
			    tb_bus(tb), &m, MCTPD, objpath,
			    "au.com.codeconstruct.MCTP.BusOwner1",
			    "SetupEndpoint") >= 0);
	assert_true(sd_bus_message_append_array(m, 'y', addr, len) >= 0);
	r = sd_bus_call(tb_bus(tb), m, 0, &err, &reply);
	if (r < 0) {
		snprintf(errname, sizeof(errname), "%s",
			 err.name ? err.name : "?");
		sd_bus_error_free(&err);
		return errname;
	}
	assert_true(sd_bus_message_read(reply, "yisb", eid, net, &p, created) >=
		    0);
	*path = strdup(p);
	assert_non_null(*path);
	return NULL;
}

static int add_endpoint(struct testbed *tb, uint32_t net, uint8_t eid,
			const uint8_t *types, size_t n, const char *cfg,
			sd_bus_error *err)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;

	assert_true(sd_bus_message_new_method_call(tb_bus(tb), &m, MCTPD,
						   ROOT "/test", TEST_IFACE,
						   "AddEndpoint") >= 0);
	assert_true(sd_bus_message_append(m, "uy", net, eid) >= 0);
	assert_true(sd_bus_message_append_array(m, 'y', types, n) >= 0);
	assert_true(sd_bus_message_append(m, "s", cfg) >= 0);
	return sd_bus_call(tb_bus(tb), m, 0, err, NULL) < 0 ? -EIO : 0;
}

static void test_setup_endpoint(void **state)
{
	struct signals sig = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	pid_t pid;
	struct testbed *tb = start(false, &pid);
	const uint8_t a29 = 29, a30 = 30, a64 = 0x40, two[2] = { 29, 0 };
	char *path = NULL;
	uint8_t eid = 0;
	int32_t net = 0;
	int created = -1;
	const char *e;
	uint8_t types[8];
	size_t n_types;

	slot = watch_signals(tb, &sig);
	assert_int_equal(tb_count_objects(tb, MCTPD, ROOT, EP_IFACE),
			 N_LOCAL + 0);

	e = setup(tb, "mctpi2c3", &a29, 1, &eid, &net, &path, &created);
	assert_null(e);
	assert_int_equal(eid, 9);
	assert_int_equal(net, 1);
	assert_string_equal(path, ROOT "/networks/1/endpoints/9");
	assert_true(created);
	free(path);

	/* the same address again: the existing endpoint */
	e = setup(tb, "mctpi2c3", &a29, 1, &eid, &net, &path, &created);
	assert_null(e);
	assert_int_equal(eid, 9);
	assert_false(created);
	free(path);

	e = setup(tb, "mctpi2c3", &a30, 1, &eid, &net, &path, &created);
	assert_null(e);
	assert_int_equal(eid, 10);
	free(path);

	e = setup(tb, "mctpi2c5", &a29, 1, &eid, &net, &path, &created);
	assert_null(e);
	assert_int_equal(eid, 20);
	assert_int_equal(net, 2);
	assert_string_equal(path, ROOT "/networks/2/endpoints/20");
	free(path);

	/* nothing there, bad hardware address, interface without drives */
	e = setup(tb, "mctpi2c3", &a64, 1, &eid, &net, &path, &created);
	assert_non_null(e);
	assert_string_equal(e, "org.freedesktop.DBus.Error.Failed");
	e = setup(tb, "mctpi2c3", two, 2, &eid, &net, &path, &created);
	assert_non_null(e);
	assert_string_equal(e, "org.freedesktop.DBus.Error.InvalidArgs");
	e = setup(tb, "mctpextra", &a29, 1, &eid, &net, &path, &created);
	assert_non_null(e);
	assert_string_equal(e, "org.freedesktop.DBus.Error.Failed");

	/* endpoint properties */
	{
		_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
		sd_bus_error err = SD_BUS_ERROR_NULL;
		const void *p;
		uint32_t u;
		uint8_t y;

		assert_true(sd_bus_get_property_trivial(
				    tb_bus(tb), MCTPD,
				    ROOT "/networks/2/endpoints/20", EP_IFACE,
				    "NetworkId", &err, 'u', &u) >= 0);
		assert_int_equal(u, 2);
		assert_true(sd_bus_get_property_trivial(
				    tb_bus(tb), MCTPD,
				    ROOT "/networks/2/endpoints/20", EP_IFACE,
				    "EID", &err, 'y', &y) >= 0);
		assert_int_equal(y, 20);
		assert_true(sd_bus_get_property(tb_bus(tb), MCTPD,
						ROOT "/networks/2/endpoints/20",
						EP_IFACE,
						"SupportedMessageTypes", &err,
						&reply, "ay") >= 0);
		assert_true(sd_bus_message_read_array(reply, 'y', &p,
						      &n_types) >= 0);
		assert_true(n_types <= sizeof(types));
		memcpy(types, p, n_types);
		/* control and NVMe-MI, as mctpd lists them */
		assert_int_equal(n_types, 2);
		assert_int_equal(types[0], 0);
		assert_int_equal(types[1], 4);
	}
	assert_int_equal(
		tb_wait_string(tb, MCTPD, ROOT "/networks/1/endpoints/9",
			       EP1_IFACE, "Connectivity", "Available", WAIT_MS),
		0);

	assert_int_equal(tb_count_objects(tb, MCTPD, ROOT, EP_IFACE),
			 N_LOCAL + 3);
	/* setup publishes no association: that is mctpreactor's job */
	assert_int_equal(tb_count_objects(tb, REACTOR, ROOT, ASSOC_IFACE), 0);

	/* Endpoint1.Remove */
	assert_true(sd_bus_call_method(
			    tb_bus(tb), MCTPD, ROOT "/networks/1/endpoints/9",
			    EP1_IFACE, "Remove", NULL, NULL, "") >= 0);
	assert_int_equal(tb_wait_object_gone(tb, MCTPD,
					     ROOT "/networks/1/endpoints/9",
					     WAIT_MS),
			 0);
	assert_int_equal(tb_count_objects(tb, MCTPD, ROOT, EP_IFACE),
			 N_LOCAL + 2);
	assert_true(sd_bus_call_method(
			    tb_bus(tb), MCTPD, ROOT "/networks/1/endpoints/10",
			    EP1_IFACE, "SetMTU", NULL, NULL, "u", 68) >= 0);

	/* set up again after removal: a new endpoint */
	e = setup(tb, "mctpi2c3", &a29, 1, &eid, &net, &path, &created);
	assert_null(e);
	assert_true(created);
	free(path);

	for (int k = 0; k < 500 && (sig.added_ep < 4 || sig.removed_ep < 1);
	     k++)
		tb_pump(tb, 20);
	assert_int_equal(sig.added_ep, 4);
	assert_int_equal(sig.removed_ep, 1);

	assert_true(tb_alive(tb, pid));
	assert_int_equal(tb_stop(tb, pid, SIGTERM), 0);
	tb_free(tb);
}

static void test_publish_all_and_hotplug(void **state)
{
	struct signals sig = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	pid_t pid;
	struct testbed *tb = start(true, &pid);
	const char *cfg = "/xyz/openbmc_project/inventory/system/nvme/NVMe_3";
	const uint8_t types[] = { 0, 4 };
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	const char *a, *b, *c;

	slot = watch_signals(tb, &sig);
	/* every scenario drive, with or without a bus address */
	assert_int_equal(tb_count_objects(tb, MCTPD, ROOT, EP_IFACE),
			 N_LOCAL + 4);
	assert_int_equal(tb_count_objects(tb, REACTOR, ROOT, ASSOC_IFACE), 1);

	assert_true(sd_bus_get_property(tb_bus(tb), REACTOR,
					ROOT "/networks/1/endpoints/9",
					ASSOC_IFACE, "Associations", &err,
					&reply, "a(sss)") >= 0);
	assert_true(sd_bus_message_enter_container(reply, 'a', "(sss)") >= 0);
	assert_int_equal(sd_bus_message_read(reply, "(sss)", &a, &b, &c), 1);
	assert_string_equal(a, "configured_by");
	assert_string_equal(b, "configures");
	assert_string_equal(
		c, "/xyz/openbmc_project/inventory/system/board/B/Drive_1");
	assert_int_equal(sd_bus_message_read(reply, "(sss)", &a, &b, &c), 0);

	/* hot-plug */
	assert_int_equal(
		add_endpoint(tb, 1, 30, types, sizeof(types), cfg, NULL), 0);
	assert_int_equal(tb_wait_object(tb, MCTPD,
					ROOT "/networks/1/endpoints/30",
					EP_IFACE, WAIT_MS),
			 0);
	assert_int_equal(tb_wait_object(tb, REACTOR,
					ROOT "/networks/1/endpoints/30",
					ASSOC_IFACE, WAIT_MS),
			 0);
	assert_int_equal(tb_count_objects(tb, MCTPD, ROOT, EP_IFACE),
			 N_LOCAL + 5);

	/* the same endpoint twice, a bad path: refused */
	assert_true(add_endpoint(tb, 1, 30, types, sizeof(types), cfg, &err) <
		    0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
	sd_bus_error_free(&err);
	assert_true(add_endpoint(tb, 1, 31, types, sizeof(types), "bad path",
				 &err) < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
	sd_bus_error_free(&err);

	assert_true(sd_bus_call_method(tb_bus(tb), MCTPD, ROOT "/test",
				       TEST_IFACE, "SetConnectivity", &err,
				       NULL, "uys", 1, 30, "Degraded") >= 0);
	assert_int_equal(
		tb_wait_string(tb, MCTPD, ROOT "/networks/1/endpoints/30",
			       EP1_IFACE, "Connectivity", "Degraded", WAIT_MS),
		0);

	assert_true(sd_bus_call_method(tb_bus(tb), MCTPD, ROOT "/test",
				       TEST_IFACE, "RemoveEndpoint", &err, NULL,
				       "uy", 1, 30) >= 0);
	assert_int_equal(tb_wait_object_gone(tb, MCTPD,
					     ROOT "/networks/1/endpoints/30",
					     WAIT_MS),
			 0);
	assert_int_equal(tb_wait_object_gone(tb, REACTOR,
					     ROOT "/networks/1/endpoints/30",
					     WAIT_MS),
			 0);
	assert_true(sd_bus_call_method(tb_bus(tb), MCTPD, ROOT "/test",
				       TEST_IFACE, "RemoveEndpoint", &err, NULL,
				       "uy", 1, 30) < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_UNKNOWN_OBJECT));
	sd_bus_error_free(&err);

	for (int k = 0;
	     k < 500 && (sig.removed_ep < 1 || sig.removed_assoc < 1); k++)
		tb_pump(tb, 20);
	assert_int_equal(sig.added_ep, 1);
	assert_int_equal(sig.added_assoc, 1);
	assert_int_equal(sig.removed_ep, 1);
	assert_int_equal(sig.removed_assoc, 1);

	assert_int_equal(tb_stop(tb, pid, SIGTERM), 0);
	tb_free(tb);
}

static void test_bad_scenario(void **state)
{
	struct testbed *tb = tb_new();
	const char *file = tb_path(tb, "bad.json");
	const char *argv[] = { tb_prog("mctpd-standin"), "--scenario", file,
			       NULL };

	tb_write_file(file, "{\"drives\": [{\"network\": 1, \"eid\": 300}]}");
	assert_int_equal(tb_run(tb, argv, NULL, WAIT_MS, NULL), 1);
	tb_write_file(file, "{\"drives\": [{\"network\": 1}]}");
	assert_int_equal(tb_run(tb, argv, NULL, WAIT_MS, NULL), 1);
	tb_write_file(file, "not json");
	assert_int_equal(tb_run(tb, argv, NULL, WAIT_MS, NULL), 1);
	tb_free(tb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_endpoint),
		cmocka_unit_test(test_publish_all_and_hotplug),
		cmocka_unit_test(test_bad_scenario),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
