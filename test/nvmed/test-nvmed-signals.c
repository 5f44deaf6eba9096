// SPDX-License-Identifier: Apache-2.0
/*
 * What nvmed signals (nvmed-test.h): one PropertiesChanged per object and
 * interface for everything one poll changed, and none for a poll that
 * changed nothing, as a client following the objects (bmcweb, the
 * mapper, a fan controller) would count them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

#define MAX_SIGNALS 64

struct seen {
	unsigned n;
	struct {
		char path[128];
		char iface[96];
		char props[256]; /* " A B C " */
	} s[MAX_SIGNALS];
};

static int on_changed(sd_bus_message *m, void *userdata,
		      sd_bus_error *ret_error)
{
	struct seen *seen = userdata;
	const char *iface, *prop;
	int r;

	if (seen->n >= MAX_SIGNALS)
		return 0;
	r = sd_bus_message_read(m, "s", &iface);
	assert_true(r >= 0);
	snprintf(seen->s[seen->n].path, sizeof(seen->s[0].path), "%s",
		 sd_bus_message_get_path(m));
	snprintf(seen->s[seen->n].iface, sizeof(seen->s[0].iface), "%s", iface);
	strcpy(seen->s[seen->n].props, " ");
	assert_true(sd_bus_message_enter_container(m, 'a', "{sv}") >= 0);
	while ((r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
		char *p = seen->s[seen->n].props;

		assert_true(sd_bus_message_read(m, "s", &prop) >= 0);
		assert_true(sd_bus_message_skip(m, "v") >= 0);
		assert_true(sd_bus_message_exit_container(m) >= 0);
		if (strlen(p) + strlen(prop) + 2 < sizeof(seen->s[0].props)) {
			strcat(p, prop);
			strcat(p, " ");
		}
	}
	seen->n++;
	return 0;
}

static unsigned count(const struct seen *seen, const char *path,
		      const char *iface)
{
	unsigned n = 0;

	for (unsigned i = 0; i < seen->n; i++)
		n += strcmp(seen->s[i].path, path) == 0 &&
		     strcmp(seen->s[i].iface, iface) == 0;
	return n;
}

static const char *props_of(const struct seen *seen, const char *path,
			    const char *iface)
{
	for (unsigned i = 0; i < seen->n; i++)
		if (strcmp(seen->s[i].path, path) == 0 &&
		    strcmp(seen->s[i].iface, iface) == 0)
			return seen->s[i].props;
	return "";
}

static sd_bus_slot *watch(struct nt_env *e, struct seen *seen)
{
	sd_bus_slot *slot = NULL;

	int r = sd_bus_add_match(tb_bus(e->tb), &slot,
				 "type='signal',interface='org.freedesktop."
				 "DBus.Properties',member='PropertiesChanged'",
				 on_changed, seen);

	assert_true(r >= 0);
	return slot;
}

/*
 * Steady polls change nothing and signal nothing; a health poll that
 * raises two critical warnings changes five properties of Nvme.Status
 * (SmartWarnings, CapacityFault, TemperatureFault) and the drive's
 * OperationalStatus is untouched: one signal for Nvme.Status with all of
 * them.
 */
static void test_one_signal_per_interface(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(1, NULL);
	_cleanup_free_ struct seen *seen = calloc(1, sizeof(*seen));
	const char *drive = nt_drive("NVMe_9"), *props;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;

	assert_non_null(seen);
	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	/* past the first SMART poll after the start */
	tb_pump(e->tb, 600);

	slot = watch(e, seen);
	/* ten polls at 200 ms, nothing changes: nothing is signalled */
	tb_pump(e->tb, 2000);
	for (unsigned i = 0; i < seen->n; i++)
		print_error("unexpected: %s %s%s\n", seen->s[i].path,
			    seen->s[i].iface, seen->s[i].props);
	assert_int_equal(seen->n, 0);

	emu_ctl_ok(&e->emu, "{\"network\": 1, \"eid\": 9, "
			    "\"critical_warning\": 3}");
	for (int i = 0; i < 100 && count(seen, drive, STATUS_IF) == 0; i++)
		tb_pump(e->tb, 50);
	/* and a few polls more: nothing else */
	tb_pump(e->tb, 1000);
	assert_int_equal(count(seen, drive, STATUS_IF), 1);
	props = props_of(seen, drive, STATUS_IF);
	assert_non_null(strstr(props, " SmartWarnings "));
	assert_non_null(strstr(props, " CapacityFault "));
	assert_non_null(strstr(props, " TemperatureFault "));
	assert_null(strstr(props, " MediaFault "));
	for (unsigned i = 0; i < seen->n; i++)
		assert_false(strcmp(seen->s[i].path, drive) == 0 &&
			     strcmp(seen->s[i].iface, STATUS_IF) != 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_one_signal_per_interface),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
