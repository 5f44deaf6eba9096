/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mctpd-standin on a private bus: SetupEndpoint answers what the scenario
 * says, endpoints come and go with the ObjectManager signals, and the
 * mctpreactor-style configured_by association follows its endpoint.
 *
 * Then the stand-in with the NVMe-MI emulator behind it (--emu-control),
 * tested as a client of its D-Bus API, one behaviour per test, as
 * CodeConstruct mctp v2.6 docs/mctpd.md, docs/endpoint-recovery.md and
 * src/mctpd.c describe mctpd: SetupEndpoint adopting or assigning EIDs,
 * unresponsive devices, Recover with its three Get Endpoint ID polls (an
 * answer, silence, a power cycle, a swap, a repeated Recover), the
 * Interface1 role, Network1 and the local endpoint, RegisterTypeSupport,
 * AssignEndpointStatic and LearnEndpoint. What reached the device is read
 * back from the emulator ("get": eid, uuid, ctrl_requests, miss).
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "emu-harness.h"
#include "macros.h"
#include "testbed.h"

#define MCTPD	    "au.com.codeconstruct.MCTP1"
#define REACTOR	    "xyz.openbmc_project.MCTPReactor"
#define ROOT	    "/au/com/codeconstruct/mctp1"
#define EP_IFACE    "xyz.openbmc_project.MCTP.Endpoint"
#define EP1_IFACE   "au.com.codeconstruct.MCTP.Endpoint1"
#define ASSOC_IFACE "xyz.openbmc_project.Association.Definitions"
#define TEST_IFACE  "xyz.openbmc_project.Test.MCTPD"
#define ROOT_IFACE  "au.com.codeconstruct.MCTP1"
#define IF1_IFACE   "au.com.codeconstruct.MCTP.Interface1"
#define OWNER_IFACE "au.com.codeconstruct.MCTP.BusOwner1"
#define NET1_IFACE  "au.com.codeconstruct.MCTP.Network1"
#define UUID_IFACE  "xyz.openbmc_project.Common.UUID"
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

/* ---- with the NVMe-MI emulator behind the stand-in --------------------- */

#define IF3    ROOT "/interfaces/mctpi2c3"
#define NET1   ROOT "/networks/1"
#define EP_(n) ROOT "/networks/1/endpoints/" #n
/* Process the bus until cond holds, WAIT_MS at most (a deadline, not a
 * duration under test). */
#define PUMP_UNTIL(tb, cond)                                 \
	for (int k_ = 0; k_ < WAIT_MS / 20 && !(cond); k_++) \
	tb_pump(tb, 20)

struct emu_env {
	struct testbed *tb;
	struct emu_proc emu;
	pid_t mctpd;
	struct signals sig;
	sd_bus_slot *slot;
};

/*
 * The emulator on scenario_json, the stand-in on the same file with the
 * emulator's control socket as its MCTP link and mctpd's times x 0.1
 * (250 ms timeout -> 25 ms, polls Treclaim/2 - 250 ms = 2.25 s apart ->
 * 225 ms); role: --role argument, NULL for the default (bus owner).
 */
static void emu_env_start(struct emu_env *e, const char *scenario_json,
			  const char *role)
{
	const char *file;

	e->tb = tb_new();
	assert_int_equal(emu_start(&e->emu, scenario_json), 0);
	file = tb_path(e->tb, "scenario.json");
	tb_write_file(file, scenario_json);
	{
		const char *argv[] = { tb_prog("mctpd-standin"),
				       "-v",
				       "--scenario",
				       file,
				       "--emu-control",
				       e->emu.control,
				       "--time-scale",
				       "0.1",
				       role ? "--role" : NULL,
				       role,
				       NULL };

		e->mctpd = tb_spawn(e->tb, "mctpd", argv, NULL);
	}
	assert_int_equal(tb_wait_name(e->tb, MCTPD, WAIT_MS), 0);
	e->slot = watch_signals(e->tb, &e->sig);
}

static void emu_env_stop(struct emu_env *e)
{
	assert_true(tb_alive(e->tb, e->mctpd));
	assert_int_equal(tb_stop(e->tb, e->mctpd, SIGTERM), 0);
	e->slot = sd_bus_slot_unref(e->slot);
	emu_stop(&e->emu);
	tb_free(e->tb);
}

/* The drive at bus 3, address as the emulator's "get" reports it. */
static json_object *emu_drive(struct emu_env *e, unsigned address)
{
	char line[96], *reply = NULL;
	json_object *j, *d = NULL;

	snprintf(line, sizeof(line), "{\"get\": {\"bus\": 3, \"address\": %u}}",
		 address);
	assert_int_equal(emu_ctl(&e->emu, line, &reply), 0);
	j = json_tokener_parse(reply);
	if (!j || !json_object_object_get_ex(j, "drive", &d))
		fail_msg("no drive at 3/%u: %s", address, reply);
	free(reply);
	json_object_get(d);
	json_object_put(j);
	return d;
}

static long long drive_int(struct emu_env *e, unsigned address,
			   const char *field)
{
	json_object *d = emu_drive(e, address), *v;
	long long n;

	if (!json_object_object_get_ex(d, field, &v) ||
	    !json_object_is_type(v, json_type_int))
		fail_msg("drive 3/%u: no integer \"%s\"", address, field);
	n = json_object_get_int64(v);
	json_object_put(d);
	return n;
}

/* malloc'ed */
static char *drive_uuid(struct emu_env *e, unsigned address)
{
	json_object *d = emu_drive(e, address), *v;
	char *s;

	if (!json_object_object_get_ex(d, "uuid", &v) ||
	    !json_object_is_type(v, json_type_string))
		fail_msg("drive 3/%u: no \"uuid\"", address);
	s = strdup(json_object_get_string(v));
	assert_non_null(s);
	json_object_put(d);
	return s;
}

static void emu_set(struct emu_env *e, unsigned address, const char *kv)
{
	char line[160];

	snprintf(line, sizeof(line), "{\"bus\": 3, \"address\": %u, %s}",
		 address, kv);
	emu_ctl_ok(&e->emu, line);
}

struct owner_reply {
	uint8_t eid;
	int32_t net;
	char path[128];
	int isnew;
	char err[128]; /* the error's name and message on failure */
	char msg[256];
};

/*
 * BusOwner1.<method>(ay [address]) on mctpi2c3, with a second argument
 * y eid when eid >= 0 (AssignEndpointStatic). 0, or -errno with the
 * error in o->err and o->msg.
 */
static int owner_call(struct testbed *tb, const char *method, uint8_t address,
		      int eid, struct owner_reply *o)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	const char *p;
	int r;

	memset(o, 0, sizeof(*o));
	assert_true(sd_bus_message_new_method_call(tb_bus(tb), &m, MCTPD, IF3,
						   OWNER_IFACE, method) >= 0);
	assert_true(sd_bus_message_append_array(m, 'y', &address, 1) >= 0);
	if (eid >= 0)
		assert_true(sd_bus_message_append(m, "y", (uint8_t)eid) >= 0);
	r = sd_bus_call(tb_bus(tb), m, 0, &err, &reply);
	if (r < 0) {
		snprintf(o->err, sizeof(o->err), "%s",
			 err.name ? err.name : "?");
		snprintf(o->msg, sizeof(o->msg), "%s",
			 err.message ? err.message : "");
		sd_bus_error_free(&err);
		return r;
	}
	assert_true(sd_bus_message_read(reply, "yisb", &o->eid, &o->net, &p,
					&o->isnew) >= 0);
	snprintf(o->path, sizeof(o->path), "%s", p);
	return 0;
}

static void types_of(struct testbed *tb, const char *path, uint8_t *types,
		     size_t room, size_t *n)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	const void *p;

	assert_true(sd_bus_get_property(tb_bus(tb), MCTPD, path, EP_IFACE,
					"SupportedMessageTypes", &err, &reply,
					"ay") >= 0);
	assert_true(sd_bus_message_read_array(reply, 'y', &p, n) >= 0);
	assert_true(*n <= room);
	if (*n)
		memcpy(types, p, *n);
}

static bool has_type(struct testbed *tb, const char *path, uint8_t type)
{
	uint8_t types[64];
	size_t n;

	types_of(tb, path, types, sizeof(types), &n);
	return memchr(types, type, n) != NULL;
}

/* Every Connectivity value PropertiesChanged carries, in order. */
struct connectivity {
	char seen[8][16];
	unsigned n;
};

static int on_props_changed(sd_bus_message *m, void *userdata,
			    sd_bus_error *error)
{
	struct connectivity *c = userdata;
	const char *iface, *name, *value;

	assert_true(sd_bus_message_read(m, "s", &iface) >= 0);
	if (strcmp(iface, EP1_IFACE) != 0)
		return 0;
	assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") >= 0);
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		assert_true(sd_bus_message_read(m, "s", &name) >= 0);
		if (strcmp(name, "Connectivity") == 0) {
			assert_true(sd_bus_message_read(m, "v", "s", &value) >=
				    0);
			if (c->n < ARRAY_SIZE(c->seen))
				snprintf(c->seen[c->n], sizeof(c->seen[0]),
					 "%s", value);
			c->n++;
		} else {
			assert_true(sd_bus_message_skip(m, "v") >= 0);
		}
		assert_true(sd_bus_message_exit_container(m) >= 0);
	}
	return 0;
}

static sd_bus_slot *watch_connectivity(struct testbed *tb, const char *path,
				       struct connectivity *c)
{
	sd_bus_slot *slot = NULL;

	assert_true(sd_bus_match_signal(tb_bus(tb), &slot, NULL, path,
					"org.freedesktop.DBus.Properties",
					"PropertiesChanged", on_props_changed,
					c) >= 0);
	return slot;
}

static void recover(struct testbed *tb, const char *path)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(tb), MCTPD, path, EP1_IFACE, "Recover",
			       &err, NULL, "");
	if (r < 0)
		fail_msg("Recover on %s: %s", path, err.message);
}

/* One drive with an EID at bus 3, address 29 (the NVMe-MI default). */
static const char one_drive[] =
	"{\"drives\": [{\"network\": 1, \"eid\": 9, \"bus\": 3, "
	"\"address\": 29}]}";

/* docs/mctpd.md SetupEndpoint: a device that has an EID keeps it; the
 * second call for the same address finds the endpoint (new = false). */
static void test_emu_setup_adopts_eid(void **state)
{
	struct emu_env e = { 0 };
	struct owner_reply o;
	_cleanup_free_ char *uuid = NULL, *want = NULL;
	uint8_t types[8];
	size_t n;
	long long before;

	emu_env_start(&e, one_drive, NULL);
	before = drive_int(&e, 29, "ctrl_requests");
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(o.eid, 9);
	assert_int_equal(o.net, 1);
	assert_string_equal(o.path, EP_(9));
	assert_true(o.isnew);
	/* Get Endpoint ID, then Get Message Type Support and Get Endpoint
	 * UUID (src/mctpd.c query_peer_properties): no Set Endpoint ID */
	assert_int_equal(drive_int(&e, 29, "ctrl_requests") - before, 3);
	assert_int_equal(drive_int(&e, 29, "eid"), 9);

	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(o.eid, 9);
	assert_string_equal(o.path, EP_(9));
	assert_false(o.isnew);
	assert_int_equal(drive_int(&e, 29, "ctrl_requests") - before, 4);

	/* the identity the device gave */
	uuid = tb_get_string(e.tb, MCTPD, EP_(9), UUID_IFACE, "UUID");
	want = drive_uuid(&e, 29);
	assert_non_null(uuid);
	assert_string_equal(uuid, want);
	types_of(e.tb, EP_(9), types, sizeof(types), &n);
	assert_int_equal(n, 2);
	assert_int_equal(types[0], 0);
	assert_int_equal(types[1], 4);

	/* one endpoint besides the local one, added once */
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 2);
	PUMP_UNTIL(e.tb, e.sig.added_ep >= 1);
	assert_int_equal(e.sig.added_ep, 1);
	assert_int_equal(e.sig.removed_ep, 0);
	emu_env_stop(&e);
}

/* docs/mctpd.md SetupEndpoint, src/mctpd.c allocate_eid: a device
 * without an EID gets the lowest free one from 8 (the local endpoint has
 * 8) by Set Endpoint ID. */
static void test_emu_setup_assigns_eid(void **state)
{
	static const char sc[] =
		"{\"drives\": ["
		" {\"network\": 1, \"eid\": 0, \"bus\": 3, \"address\": 29},"
		" {\"network\": 1, \"eid\": 0, \"bus\": 3, \"address\": 30}"
		"]}";
	struct emu_env e = { 0 };
	struct owner_reply o;

	emu_env_start(&e, sc, NULL);
	assert_int_equal(drive_int(&e, 29, "eid"), 0);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(o.eid, 9);
	assert_string_equal(o.path, EP_(9));
	assert_true(o.isnew);
	assert_int_equal(drive_int(&e, 29, "eid"), 9);

	/* 9 is taken now */
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 30, -1, &o), 0);
	assert_int_equal(o.eid, 10);
	assert_string_equal(o.path, EP_(10));
	assert_true(o.isnew);
	assert_int_equal(drive_int(&e, 30, "eid"), 10);
	assert_int_equal(drive_int(&e, 29, "eid"), 9);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 3);
	emu_env_stop(&e);
}

/*
 * SetupEndpoint to a device that does not answer control messages fails
 * (src/mctpd.c: four tries of Get Endpoint ID, "MCTP Endpoint did not
 * respond"), whether it is silent altogether or only to control messages.
 * The emulator counts in ctrl_requests only the requests a drive handles
 * (emu-ctrl.c emu_ctrl_respond(): silent and ctrl_silent drives ignore
 * them), so the four tries are counted on a drive that loses its replies
 * ("miss").
 */
static void test_emu_setup_no_answer(void **state)
{
	static const char sc[] =
		"{\"drives\": ["
		" {\"network\": 1, \"eid\": 9, \"bus\": 3, \"address\": 29,"
		"  \"silent\": true},"
		" {\"network\": 1, \"eid\": 10, \"bus\": 3, \"address\": 30,"
		"  \"ctrl_silent\": true},"
		" {\"network\": 1, \"eid\": 11, \"bus\": 3, \"address\": 31}"
		"]}";
	static const unsigned silent[] = { 29, 30 };
	struct emu_env e = { 0 };
	struct owner_reply o;
	long long before;

	emu_env_start(&e, sc, NULL);
	for (size_t i = 0; i < ARRAY_SIZE(silent); i++) {
		before = drive_int(&e, silent[i], "ctrl_requests");
		assert_true(owner_call(e.tb, "SetupEndpoint",
				       (uint8_t)silent[i], -1, &o) < 0);
		assert_string_equal(o.err, "org.freedesktop.DBus.Error.Failed");
		assert_non_null(strstr(o.msg, "did not respond"));
		assert_int_equal(drive_int(&e, silent[i], "ctrl_requests"),
				 before);
	}

	/* four lost replies: four tries, then the failure */
	before = drive_int(&e, 31, "ctrl_requests");
	emu_set(&e, 31, "\"miss\": 4");
	assert_true(owner_call(e.tb, "SetupEndpoint", 31, -1, &o) < 0);
	assert_string_equal(o.err, "org.freedesktop.DBus.Error.Failed");
	assert_non_null(strstr(o.msg, "did not respond"));
	assert_int_equal(drive_int(&e, 31, "ctrl_requests") - before, 4);
	assert_int_equal(drive_int(&e, 31, "miss"), 0);

	/* three lost: the fourth try answers (then the two property
	 * queries) */
	before = drive_int(&e, 31, "ctrl_requests");
	emu_set(&e, 31, "\"miss\": 3");
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 31, -1, &o), 0);
	assert_int_equal(o.eid, 11);
	assert_int_equal(drive_int(&e, 31, "ctrl_requests") - before, 4 + 2);

	/* only the answering drive is an endpoint */
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 2);
	emu_env_stop(&e);
}

/* docs/endpoint-recovery.md: Recover makes the endpoint Degraded; a Get
 * Endpoint ID answered with its EID makes it Available again. */
static void test_emu_recover_answering(void **state)
{
	struct emu_env e = { 0 };
	struct connectivity c = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_free_ char *now = NULL;
	struct owner_reply o;
	long long before;

	emu_env_start(&e, one_drive, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	slot = watch_connectivity(e.tb, EP_(9), &c);
	before = drive_int(&e, 29, "ctrl_requests");
	recover(e.tb, EP_(9));
	PUMP_UNTIL(e.tb, c.n >= 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.seen[0], "Degraded");
	assert_string_equal(c.seen[1], "Available");
	now = tb_get_string(e.tb, MCTPD, EP_(9), EP1_IFACE, "Connectivity");
	assert_string_equal(now, "Available");
	/* one poll, answered: the polls stop */
	assert_int_equal(drive_int(&e, 29, "ctrl_requests") - before, 1);
	/* the object stays */
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 2);
	assert_int_equal(e.sig.removed_ep, 0);
	emu_env_stop(&e);
}

/*
 * docs/endpoint-recovery.md: no answer to the three polls: the endpoint
 * is removed. Drive 29 is silent; drive 30 loses its replies, so that the
 * emulator counts the polls (ctrl_requests, miss).
 */
static void test_emu_recover_silent(void **state)
{
	static const char sc[] =
		"{\"drives\": ["
		" {\"network\": 1, \"eid\": 9, \"bus\": 3, \"address\": 29},"
		" {\"network\": 1, \"eid\": 10, \"bus\": 3, \"address\": 30}"
		"]}";
	struct emu_env e = { 0 };
	struct connectivity c9 = { 0 }, c10 = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *s9 = NULL, *s10 = NULL;
	struct owner_reply o;
	long long before;

	emu_env_start(&e, sc, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 30, -1, &o), 0);
	assert_string_equal(o.path, EP_(10));
	s9 = watch_connectivity(e.tb, EP_(9), &c9);
	s10 = watch_connectivity(e.tb, EP_(10), &c10);
	emu_set(&e, 29, "\"silent\": true");
	emu_set(&e, 30, "\"miss\": 10");
	before = drive_int(&e, 30, "ctrl_requests");

	recover(e.tb, EP_(9));
	recover(e.tb, EP_(10));
	PUMP_UNTIL(e.tb, e.sig.removed_ep >= 2);
	assert_int_equal(e.sig.removed_ep, 2);
	assert_int_equal(tb_wait_object_gone(e.tb, MCTPD, EP_(9), WAIT_MS), 0);
	assert_int_equal(tb_wait_object_gone(e.tb, MCTPD, EP_(10), WAIT_MS), 0);
	/* Degraded, and never Available again */
	assert_int_equal(c9.n, 1);
	assert_string_equal(c9.seen[0], "Degraded");
	assert_int_equal(c10.n, 1);
	assert_string_equal(c10.seen[0], "Degraded");
	/* exactly three polls, no retries */
	assert_int_equal(drive_int(&e, 30, "ctrl_requests") - before, 3);
	assert_int_equal(drive_int(&e, 30, "miss"), 7);
	assert_int_equal(tb_log_count(e.tb, "mctpd", "removed after Treclaim"),
			 2);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 1);
	emu_env_stop(&e);
}

/* docs/endpoint-recovery.md: a device that lost its EID (a power cycle)
 * but has the same UUID gets the EID back with Set Endpoint ID; the
 * endpoint object stays where it is. */
/*
 * SetupEndpoint on a device that was power-cycled (EID 0): mctpd v2.6's
 * method_setup_endpoint removes the known endpoint and sets the device up
 * again, with Set Endpoint ID (what a caller racing the recovery gets).
 */
static void test_emu_setup_after_power_cycle(void **state)
{
	struct emu_env e = { 0 };
	struct owner_reply o;
	long long before;

	emu_env_start(&e, one_drive, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(o.eid, 9);
	emu_set(&e, 29, "\"power_cycle\": true");
	before = drive_int(&e, 29, "ctrl_requests");
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_true(o.isnew);
	assert_int_equal(o.eid, 9);
	/* Get Endpoint ID, Set Endpoint ID, Get Message Type Support, Get
	 * Endpoint UUID */
	assert_int_equal(drive_int(&e, 29, "ctrl_requests") - before, 4);
	assert_int_equal(drive_int(&e, 29, "eid"), 9);
	PUMP_UNTIL(e.tb, e.sig.removed_ep >= 1 && e.sig.added_ep >= 2);
	assert_int_equal(e.sig.removed_ep, 1);
	assert_int_equal(e.sig.added_ep, 2);
	emu_env_stop(&e);
}

static void test_emu_recover_power_cycle(void **state)
{
	struct emu_env e = { 0 };
	struct connectivity c = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_free_ char *old = NULL, *uuid = NULL, *now = NULL;
	struct owner_reply o;

	emu_env_start(&e, one_drive, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	old = drive_uuid(&e, 29);
	slot = watch_connectivity(e.tb, EP_(9), &c);
	emu_set(&e, 29, "\"power_cycle\": true");
	assert_int_equal(drive_int(&e, 29, "eid"), 0);

	recover(e.tb, EP_(9));
	PUMP_UNTIL(e.tb, c.n >= 2);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.seen[0], "Degraded");
	assert_string_equal(c.seen[1], "Available");
	assert_int_equal(drive_int(&e, 29, "eid"), 9);
	uuid = tb_get_string(e.tb, MCTPD, EP_(9), UUID_IFACE, "UUID");
	assert_string_equal(uuid, old);
	now = tb_get_string(e.tb, MCTPD, EP_(9), EP1_IFACE, "Connectivity");
	assert_string_equal(now, "Available");
	assert_int_equal(
		tb_wait_log(e.tb, "mctpd", "EID 9 given back", WAIT_MS), 0);
	assert_int_equal(e.sig.removed_ep, 0);
	assert_int_equal(e.sig.added_ep, 1);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 2);
	emu_env_stop(&e);
}

/* docs/endpoint-recovery.md: another device in the slot (another UUID):
 * the endpoint is removed and the new device set up as a new endpoint. */
static void test_emu_recover_swap(void **state)
{
	struct emu_env e = { 0 };
	_cleanup_free_ char *old = NULL, *fresh = NULL, *uuid = NULL,
			    *now = NULL;
	struct owner_reply o;

	emu_env_start(&e, one_drive, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	old = drive_uuid(&e, 29);
	PUMP_UNTIL(e.tb, e.sig.added_ep >= 1);
	assert_int_equal(e.sig.added_ep, 1);
	emu_set(&e, 29, "\"swap\": true");
	fresh = drive_uuid(&e, 29);
	assert_string_not_equal(fresh, old);

	recover(e.tb, EP_(9));
	PUMP_UNTIL(e.tb, e.sig.removed_ep >= 1 && e.sig.added_ep >= 2);
	assert_int_equal(e.sig.removed_ep, 1);
	assert_int_equal(e.sig.added_ep, 2);
	/* the lowest free EID is 9 again: the new endpoint, at the old
	 * path, with the new identity */
	assert_int_equal(
		tb_wait_object(e.tb, MCTPD, EP_(9), UUID_IFACE, WAIT_MS), 0);
	uuid = tb_get_string(e.tb, MCTPD, EP_(9), UUID_IFACE, "UUID");
	assert_string_equal(uuid, fresh);
	now = tb_get_string(e.tb, MCTPD, EP_(9), EP1_IFACE, "Connectivity");
	assert_string_equal(now, "Available");
	assert_int_equal(drive_int(&e, 29, "eid"), 9);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 2);
	emu_env_stop(&e);
}

/* docs/endpoint-recovery.md: Recover while Degraded changes nothing: the
 * polls already under way go on, they do not start over. */
static void test_emu_recover_twice(void **state)
{
	struct emu_env e = { 0 };
	struct connectivity c = { 0 };
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	struct owner_reply o;
	long long before;

	emu_env_start(&e, one_drive, NULL);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	slot = watch_connectivity(e.tb, EP_(9), &c);
	emu_set(&e, 29, "\"miss\": 10");
	before = drive_int(&e, 29, "ctrl_requests");

	recover(e.tb, EP_(9));
	/* after the first poll, two polls (450 ms at this time scale)
	 * before the endpoint goes */
	assert_int_equal(
		tb_wait_log(e.tb, "mctpd", "(2 queries left)", WAIT_MS), 0);
	recover(e.tb, EP_(9));
	assert_int_equal(
		tb_wait_log(e.tb, "mctpd", "(already degraded)", WAIT_MS), 0);
	PUMP_UNTIL(e.tb, e.sig.removed_ep >= 1);
	assert_int_equal(e.sig.removed_ep, 1);
	/* three polls in all, one Degraded */
	assert_int_equal(drive_int(&e, 29, "ctrl_requests") - before, 3);
	assert_int_equal(drive_int(&e, 29, "miss"), 7);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.seen[0], "Degraded");
	assert_int_equal(tb_log_count(e.tb, "mctpd", "removed after Treclaim"),
			 1);
	emu_env_stop(&e);
}

/* docs/mctpd.md Interface1: Role and NetworkId; BusOwner1 only while the
 * role is BusOwner; Role can be written once, while it is Unknown. */
static void test_emu_interface_role(void **state)
{
	struct emu_env e = { 0 };
	sd_bus_error err = SD_BUS_ERROR_NULL;
	struct owner_reply o;
	uint32_t net = 0;
	char *role;

	/* the default: a bus owner */
	emu_env_start(&e, one_drive, NULL);
	role = tb_get_string(e.tb, MCTPD, IF3, IF1_IFACE, "Role");
	assert_string_equal(role, "BusOwner");
	free(role);
	assert_true(sd_bus_get_property_trivial(tb_bus(e.tb), MCTPD, IF3,
						IF1_IFACE, "NetworkId", &err,
						'u', &net) >= 0);
	assert_int_equal(net, 1);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, OWNER_IFACE), 1);
	assert_true(sd_bus_set_property(tb_bus(e.tb), MCTPD, IF3, IF1_IFACE,
					"Role", &err, "s", "Endpoint") < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
	sd_bus_error_free(&err);
	emu_env_stop(&e);

	/* --role unknown: no BusOwner1 until Role is written */
	memset(&e, 0, sizeof(e));
	emu_env_start(&e, one_drive, "unknown");
	role = tb_get_string(e.tb, MCTPD, IF3, IF1_IFACE, "Role");
	assert_string_equal(role, "Unknown");
	free(role);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, IF1_IFACE), 1);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, OWNER_IFACE), 0);
	assert_true(owner_call(e.tb, "SetupEndpoint", 29, -1, &o) < 0);

	assert_true(sd_bus_set_property(tb_bus(e.tb), MCTPD, IF3, IF1_IFACE,
					"Role", &err, "s", "BusOwner") >= 0);
	assert_int_equal(tb_wait_object(e.tb, MCTPD, IF3, OWNER_IFACE, WAIT_MS),
			 0);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, OWNER_IFACE), 1);
	role = tb_get_string(e.tb, MCTPD, IF3, IF1_IFACE, "Role");
	assert_string_equal(role, "BusOwner");
	free(role);
	assert_int_equal(owner_call(e.tb, "SetupEndpoint", 29, -1, &o), 0);
	assert_int_equal(o.eid, 9);

	/* once only */
	assert_true(sd_bus_set_property(tb_bus(e.tb), MCTPD, IF3, IF1_IFACE,
					"Role", &err, "s", "Endpoint") < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS));
	sd_bus_error_free(&err);
	assert_true(sd_bus_set_property(tb_bus(e.tb), MCTPD, IF3, IF1_IFACE,
					"Role", &err, "s", "BusOwner") < 0);
	sd_bus_error_free(&err);
	emu_env_stop(&e);
}

/* docs/mctpd.md Network1: LocalEIDs, and the local endpoint's object,
 * which Remove() cannot take away. */
static void test_emu_network_local(void **state)
{
	struct emu_env e = { 0 };
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	const void *p;
	size_t n;
	uint8_t eid = 0;

	emu_env_start(&e, one_drive, NULL);
	assert_true(sd_bus_get_property(tb_bus(e.tb), MCTPD, NET1, NET1_IFACE,
					"LocalEIDs", &err, &reply, "ay") >= 0);
	assert_true(sd_bus_message_read_array(reply, 'y', &p, &n) >= 0);
	assert_int_equal(n, 1);
	assert_int_equal(*(const uint8_t *)p, 8);

	assert_int_equal(tb_wait_object(e.tb, MCTPD, EP_(8), EP_IFACE, WAIT_MS),
			 0);
	assert_true(sd_bus_get_property_trivial(tb_bus(e.tb), MCTPD, EP_(8),
						EP_IFACE, "EID", &err, 'y',
						&eid) >= 0);
	assert_int_equal(eid, 8);
	assert_true(sd_bus_call_method(tb_bus(e.tb), MCTPD, EP_(8), EP1_IFACE,
				       "Remove", &err, NULL, "") < 0);
	sd_bus_error_free(&err);
	/* Remove() works after the reply (a deferred event): give it the
	 * chance, then the object is still there */
	tb_pump(e.tb, 100);
	assert_int_equal(tb_wait_object(e.tb, MCTPD, EP_(8), EP_IFACE, WAIT_MS),
			 0);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 1);
	assert_int_equal(e.sig.removed_ep, 0);
	emu_env_stop(&e);
}

/* docs/mctpd.md RegisterTypeSupport: a type per registration, while the
 * registering connection lasts; the local endpoint lists it. */
static void test_emu_register_type(void **state)
{
	struct emu_env e = { 0 };
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus *other = NULL;
	const uint32_t version = 0xF1F0F000; /* 1.0.0 */

	emu_env_start(&e, one_drive, NULL);
	assert_false(has_type(e.tb, EP_(8), 5));

	/* a second connection to the test bus */
	assert_true(sd_bus_new(&other) >= 0);
	assert_true(sd_bus_set_address(other, tb_bus_address(e.tb)) >= 0);
	assert_true(sd_bus_set_bus_client(other, 1) >= 0);
	assert_true(sd_bus_start(other) >= 0);
	if (sd_bus_call_method(other, MCTPD, ROOT, ROOT_IFACE,
			       "RegisterTypeSupport", &err, NULL, "yau", 5, 1,
			       version) < 0)
		fail_msg("RegisterTypeSupport: %s", err.message);

	/* a type once only, from whichever connection */
	assert_true(sd_bus_call_method(tb_bus(e.tb), MCTPD, ROOT, ROOT_IFACE,
				       "RegisterTypeSupport", &err, NULL, "yau",
				       5, 1, version) < 0);
	assert_true(sd_bus_error_has_name(&err, SD_BUS_ERROR_FILE_EXISTS));
	sd_bus_error_free(&err);
	assert_true(sd_bus_call_method(other, MCTPD, ROOT, ROOT_IFACE,
				       "RegisterTypeSupport", &err, NULL, "yau",
				       5, 1, version) < 0);
	sd_bus_error_free(&err);

	assert_true(has_type(e.tb, EP_(8), 5));
	assert_true(has_type(e.tb, EP_(8), 0));

	/* the registration goes with its connection */
	other = sd_bus_flush_close_unref(other);
	PUMP_UNTIL(e.tb, !has_type(e.tb, EP_(8), 5));
	assert_false(has_type(e.tb, EP_(8), 5));
	/* and the type is free again */
	assert_true(sd_bus_call_method(tb_bus(e.tb), MCTPD, ROOT, ROOT_IFACE,
				       "RegisterTypeSupport", &err, NULL, "yau",
				       5, 1, version) >= 0);
	assert_true(has_type(e.tb, EP_(8), 5));
	emu_env_stop(&e);
}

/* docs/mctpd.md AssignEndpointStatic: the given EID, once per address;
 * LearnEndpoint: what the device has, no Set Endpoint ID. */
static void test_emu_static_and_learn(void **state)
{
	static const char sc[] =
		"{\"drives\": ["
		" {\"network\": 1, \"eid\": 0, \"bus\": 3, \"address\": 29},"
		" {\"network\": 1, \"eid\": 9, \"bus\": 3, \"address\": 30}"
		"]}";
	struct emu_env e = { 0 };
	struct owner_reply o;
	long long before;

	emu_env_start(&e, sc, NULL);
	assert_int_equal(owner_call(e.tb, "AssignEndpointStatic", 29, 0x20, &o),
			 0);
	assert_int_equal(o.eid, 0x20);
	assert_string_equal(o.path, EP_(32));
	assert_true(o.isnew);
	assert_int_equal(drive_int(&e, 29, "eid"), 0x20);

	/* the same address, another EID */
	assert_true(owner_call(e.tb, "AssignEndpointStatic", 29, 0x21, &o) < 0);
	assert_non_null(strstr(o.msg, "Already assigned a different EID"));
	assert_int_equal(drive_int(&e, 29, "eid"), 0x20);
	assert_true(tb_wait_object_gone(e.tb, MCTPD, EP_(33), WAIT_MS) == 0);

	/* a device with an EID: Get Endpoint ID and the two property
	 * queries, no Set Endpoint ID */
	before = drive_int(&e, 30, "ctrl_requests");
	assert_int_equal(owner_call(e.tb, "LearnEndpoint", 30, -1, &o), 0);
	assert_int_equal(o.eid, 9);
	assert_string_equal(o.path, EP_(9));
	assert_int_equal(drive_int(&e, 30, "ctrl_requests") - before, 3);
	assert_int_equal(drive_int(&e, 30, "eid"), 9);
	assert_int_equal(tb_count_objects(e.tb, MCTPD, ROOT, EP_IFACE), 3);
	emu_env_stop(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setup_endpoint),
		cmocka_unit_test(test_publish_all_and_hotplug),
		cmocka_unit_test(test_bad_scenario),
		cmocka_unit_test(test_emu_setup_adopts_eid),
		cmocka_unit_test(test_emu_setup_assigns_eid),
		cmocka_unit_test(test_emu_setup_no_answer),
		cmocka_unit_test(test_emu_recover_answering),
		cmocka_unit_test(test_emu_recover_silent),
		cmocka_unit_test(test_emu_setup_after_power_cycle),
		cmocka_unit_test(test_emu_recover_power_cycle),
		cmocka_unit_test(test_emu_recover_swap),
		cmocka_unit_test(test_emu_recover_twice),
		cmocka_unit_test(test_emu_interface_role),
		cmocka_unit_test(test_emu_network_local),
		cmocka_unit_test(test_emu_register_type),
		cmocka_unit_test(test_emu_static_and_learn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
