/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcable-ipmi on a private bus: discovery through the mapper
 * (mapper-standin), member-by-member reads and change tracking, with the
 * cables of sensor-standin (extra0 present, extra1 without
 * Inventory.Item): their InterfacesAdded, their service leaving the bus
 * without InterfacesRemoved, and the mapper gone.
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
#include <systemd/sd-bus.h>

#include "cable-ipmi.h"
#include "macros.h"
#include "testbed.h"

#define T	10000
#define EXTRA	"/xyz/openbmc_project/inventory/system/board/Extra/extra"
#define STANDIN "xyz.openbmc_project.TestSensor"

struct ctx {
	struct testbed *tb;
	struct cable_ipmi *c;
	pid_t mapper, standin;
	unsigned calls;
};

static void on_changed(struct cable_ipmi *c, void *userdata)
{
	struct ctx *x = userdata;

	x->calls++;
}

static void start_standin(struct ctx *x)
{
	const char *argv[] = { tb_prog("sensor-standin"), NULL };

	x->standin = tb_spawn(x->tb, "sensor-standin", argv, NULL);
	assert_int_equal(tb_wait_name(x->tb, STANDIN, T), 0);
}

/* Pump the bus until the callback ran more than before times. */
static void wait_calls(struct ctx *x, unsigned before)
{
	for (int i = 0; i < T / 50 && x->calls <= before; i++)
		tb_pump(x->tb, 50);
	assert_true(x->calls > before);
}

static int setup(void **state)
{
	struct ctx *x = calloc(1, sizeof(*x));
	const char *margv[] = { tb_prog("mapper-standin"), NULL };

	assert_non_null(x);
	x->tb = tb_new();
	x->mapper = tb_spawn(x->tb, "mapper-standin", margv, NULL);
	assert_int_equal(
		tb_wait_name(x->tb, "xyz.openbmc_project.ObjectMapper", T), 0);
	assert_int_equal(cable_ipmi_new(tb_bus(x->tb), &x->c), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *x = *state;

	cable_ipmi_free(x->c);
	tb_free(x->tb);
	free(x);
	return 0;
}

static void test_discover_read_track(void **state)
{
	struct ctx *x = *state;
	struct cable_ipmi_state s;
	uint8_t ev[CABLE_IPMI_EVENT_STATUS_SIZE];
	uint8_t rec[CABLE_IPMI_RECORD_MAX];
	const struct cable_ipmi_key key = { .record_id = 9,
					    .owner_id = 0x20,
					    .sensor_number = 9 };
	unsigned before;

	/* No cables: the mapper's ResourceNotFound is an empty set. */
	assert_int_equal(cable_ipmi_refresh(x->c), 0);
	assert_int_equal(cable_ipmi_count(x->c), 0);
	assert_null(cable_ipmi_name(x->c, 0));
	assert_int_equal(cable_ipmi_read(x->c, 0, &s), -ENOENT);
	assert_int_equal(cable_ipmi_set_changed_callback(x->c, on_changed, x),
			 0);

	/* Cables appear: InterfacesAdded of Item.Cable is a change. */
	before = x->calls;
	start_standin(x);
	wait_calls(x, before);
	assert_int_equal(cable_ipmi_refresh(x->c), 1);
	assert_string_equal(cable_ipmi_name(x->c, 0), "extra[0-1]");
	assert_int_equal(cable_ipmi_members(x->c, 0), 2);
	assert_string_equal(cable_ipmi_member_path(x->c, 0, 0), EXTRA "0");
	assert_string_equal(cable_ipmi_member_path(x->c, 0, 1), EXTRA "1");
	assert_null(cable_ipmi_member_path(x->c, 0, 2));

	/* extra1 has no Present: unreadable; extra0 still reads. */
	assert_int_equal(cable_ipmi_read(x->c, 0, &s), 0);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.mask, 0x1);
	assert_int_equal(s.unreadable, 0x2);
	assert_int_equal(cable_ipmi_event_status(x->c, 0, ev, sizeof(ev)), 5);
	assert_int_equal(ev[0], 0x60);
	assert_int_equal(ev[1], 0x01);
	assert_int_equal(cable_ipmi_record(x->c, 0, &key, rec, sizeof(rec)),
			 17 + 10);
	assert_memory_equal(rec + 17, "extra[0-1]", 10);
	assert_int_equal(cable_ipmi_record(x->c, 1, &key, rec, sizeof(rec)),
			 -ENOENT);

	/* The service leaves without InterfacesRemoved: its name going is
	 * a change, and a read before the refresh finds nobody. */
	before = x->calls;
	assert_int_equal(tb_stop(x->tb, x->standin, SIGKILL) != -1, 1);
	wait_calls(x, before);
	assert_int_equal(cable_ipmi_read(x->c, 0, &s), 0);
	assert_int_equal(s.unreadable, 0x3);
	assert_int_equal(s.mask, 0x0);
	assert_int_equal(cable_ipmi_refresh(x->c), 0);
	assert_true(cable_ipmi_generation(x->c) >= 2);

	/* No callback: changes are still counted. */
	assert_int_equal(cable_ipmi_set_changed_callback(x->c, NULL, NULL), 0);
	before = (unsigned)cable_ipmi_generation(x->c);
	start_standin(x);
	for (int i = 0; i < T / 50 && cable_ipmi_generation(x->c) == before;
	     i++)
		tb_pump(x->tb, 50);
	assert_true(cable_ipmi_generation(x->c) > before);
	assert_int_equal(cable_ipmi_refresh(x->c), 1);
}

/* The mapper gone: refresh fails and keeps the groups it had. */
static void test_no_mapper(void **state)
{
	struct ctx *x = *state;

	start_standin(x);
	assert_int_equal(cable_ipmi_refresh(x->c), 1);
	tb_stop(x->tb, x->mapper, SIGTERM);
	assert_true(cable_ipmi_refresh(x->c) < 0);
	assert_int_equal(cable_ipmi_count(x->c), 1);
	assert_string_equal(cable_ipmi_name(x->c, 0), "extra[0-1]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discover_read_track, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_mapper, setup,
						teardown),
	};

	return tb_run_tests(tests, ARRAY_SIZE(tests));
}
