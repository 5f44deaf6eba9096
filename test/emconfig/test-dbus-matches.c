/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The D-Bus source when the bus daemon refuses its signal matches: the
 * connection stays up, the matches are added again, and a re-read follows
 * (what entity-manager did meanwhile was not signalled). The "bus daemon"
 * is the other end of a socket pair in this process: an sd-bus server
 * connection that answers Hello, AddMatch (refused for the first round of
 * AddMatch calls, as dbus-daemon refuses one over its
 * max_match_rules_per_connection limit) and GetManagedObjects (no
 * objects).
 */
#include <errno.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>
#include <systemd/sd-id128.h>

#include "emc-test.h"

#define DBUS_SERVICE "org.freedesktop.DBus"
/* bus_matches_add retries every BUS_MATCH_RETRY_USEC (1 s); the re-read
 * comes 75 ms after the retry. */
#define WAIT_USEC  (5ULL * 1000 * 1000)
#define QUIET_USEC (2500ULL * 1000)

static const struct emc_key keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = NULL },
};
static const struct emc_schema schema = { .type = "Thing", .keys = keys };
static const struct emc_schema *const schemas[] = { &schema, NULL };

struct daemon {
	unsigned refuse; /* AddMatch calls still to refuse */
	unsigned add_match, refused, get_managed_objects;
};

static int reply_error(sd_bus_message *m, const char *name, const char *text)
{
	_cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;

	assert_true(sd_bus_error_set(&e, name, text) < 0);
	return sd_bus_reply_method_error(m, &e);
}

static int on_message(sd_bus_message *m, void *userdata,
		      sd_bus_error *ret_error)
{
	struct daemon *dm = userdata;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;

	if (sd_bus_message_is_method_call(m, DBUS_SERVICE, "Hello"))
		return sd_bus_reply_method_return(m, "s", ":1.1") < 0 ? -1 : 1;
	if (sd_bus_message_is_method_call(m, DBUS_SERVICE, "AddMatch")) {
		dm->add_match++;
		if (dm->refuse > 0) {
			dm->refuse--;
			dm->refused++;
			assert_true(
				reply_error(
					m,
					"org.freedesktop.DBus.Error.LimitsExceeded",
					"too many matches") >= 0);
			return 1;
		}
		assert_true(sd_bus_reply_method_return(m, NULL) >= 0);
		return 1;
	}
	if (sd_bus_message_is_method_call(m,
					  "org.freedesktop.DBus.ObjectManager",
					  "GetManagedObjects")) {
		dm->get_managed_objects++;
		assert_true(sd_bus_message_new_method_return(m, &reply) >= 0);
		assert_true(sd_bus_message_append(reply, "a{oa{sa{sv}}}", 0) >=
			    0);
		assert_true(sd_bus_send(NULL, reply, NULL) >= 0);
		return 1;
	}
	return 0;
}

static void handler(enum emc_event event, const struct emc_record *rec,
		    const char *error, void *userdata)
{
	fail_msg("no records: none expected, got '%s'", emc_record_path(rec));
}

static void on_ready(struct emc_source *s, void *userdata)
{
	(*(unsigned *)userdata)++;
}

struct ends {
	sd_event *event;
	sd_bus *server, *client;
	struct daemon dm;
};

static void ends_open(struct ends *x, unsigned refuse)
{
	sd_id128_t id;
	int fds[2];

	x->dm = (struct daemon){ .refuse = refuse };
	assert_int_equal(sd_event_new(&x->event), 0);
	assert_int_equal(
		socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
	assert_int_equal(sd_id128_randomize(&id), 0);
	assert_int_equal(sd_bus_new(&x->server), 0);
	assert_int_equal(sd_bus_set_fd(x->server, fds[0], fds[0]), 0);
	assert_int_equal(sd_bus_set_server(x->server, 1, id), 0);
	assert_int_equal(sd_bus_add_filter(x->server, NULL, on_message, &x->dm),
			 0);
	assert_true(sd_bus_start(x->server) >= 0);
	assert_int_equal(sd_bus_attach_event(x->server, x->event, 0), 0);
	assert_int_equal(sd_bus_new(&x->client), 0);
	assert_int_equal(sd_bus_set_fd(x->client, fds[1], fds[1]), 0);
	assert_int_equal(sd_bus_set_bus_client(x->client, 1), 0);
	assert_true(sd_bus_start(x->client) >= 0);
	assert_int_equal(sd_bus_attach_event(x->client, x->event, 0), 0);
}

static void ends_close(struct ends *x)
{
	sd_bus_flush_close_unref(x->client);
	sd_bus_flush_close_unref(x->server);
	sd_event_unref(x->event);
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &ts), 0);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Run the loop until cond holds or usec have passed. */
#define RUN_UNTIL(x, usec, cond)                                            \
	do {                                                                \
		uint64_t start_ = now_usec(), now_;                         \
		for (now_ = start_; !(cond) && now_ < start_ + (usec);      \
		     now_ = now_usec())                                     \
			assert_true(sd_event_run((x)->event, 100000) >= 0); \
	} while (0)

static void test_refused_matches_are_retried(void **state)
{
	struct ends x;
	struct emc_source *s = NULL;
	unsigned ready = 0;

	ends_open(&x, 4);
	assert_int_equal(emc_source_new_dbus(x.client, x.event, schemas,
					     handler, NULL, &s),
			 0);
	emc_source_set_ready_callback(s, on_ready, &ready);

	/* The first read is delivered although every match was refused,
	 * and the connection is still up. */
	RUN_UNTIL(&x, WAIT_USEC, ready == 1 && x.dm.refused == 4);
	assert_int_equal(ready, 1);
	assert_int_equal(x.dm.refused, 4);
	assert_int_equal(x.dm.get_managed_objects, 1);
	assert_true(sd_bus_is_open(x.client) > 0);

	/* Each refused match is added again, then the source re-reads. */
	RUN_UNTIL(&x, WAIT_USEC, x.dm.get_managed_objects == 2);
	assert_int_equal(x.dm.add_match, 8);
	assert_int_equal(x.dm.get_managed_objects, 2);
	assert_int_equal(ready, 1);
	assert_true(sd_bus_is_open(x.client) > 0);

	emc_source_free(s);
	ends_close(&x);
}

/* Matches taken at once: one read, no retry, no re-read. */
static void test_matches_taken(void **state)
{
	struct ends x;
	struct emc_source *s = NULL;
	unsigned ready = 0;

	ends_open(&x, 0);
	assert_int_equal(emc_source_new_dbus(x.client, x.event, schemas,
					     handler, NULL, &s),
			 0);
	emc_source_set_ready_callback(s, on_ready, &ready);
	RUN_UNTIL(&x, WAIT_USEC, ready == 1);
	assert_int_equal(ready, 1);
	/* Longer than a retry and its re-read would take. */
	RUN_UNTIL(&x, QUIET_USEC,
		  x.dm.get_managed_objects > 1 || x.dm.add_match > 4);
	assert_int_equal(x.dm.add_match, 4);
	assert_int_equal(x.dm.get_managed_objects, 1);

	emc_source_free(s);
	ends_close(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_matches_are_retried),
		cmocka_unit_test(test_matches_taken),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
