// SPDX-License-Identifier: Apache-2.0
/*
 * mctpd's recovery handshake through the seam (mctpd.c, drive.c): a drive
 * whose polls fail a window long is held while mctpd recovers its
 * endpoint (mctpd docs/endpoint-recovery.md, CodeConstruct/mctp) and
 * released by the outcome. mctpd is the stand-in (test/sim/mctpd), whose
 * test interface sets the endpoint's Connectivity or removes it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "seam-fixture.h"
#include "testbed.h"

#define POLL_MS 100
#define WINDOW	3

#define MCTPD_NAME "au.com.codeconstruct.MCTP1"
#define MCTPD_TEST "/au/com/codeconstruct/mctp1/test"
#define TEST_IFACE "xyz.openbmc_project.Test.MCTPD"

static void mctpd_control(struct seam_fx *f, const char *member,
			  const char *types, ...)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *call = NULL, *reply = NULL;
	va_list ap;

	assert_true(sd_bus_message_new_method_call(f->client, &call, MCTPD_NAME,
						   MCTPD_TEST, TEST_IFACE,
						   member) >= 0);
	va_start(ap, types);
	assert_true(sd_bus_message_appendv(call, types, ap) >= 0);
	va_end(ap);
	if (sd_bus_call(f->client, call, 5 * 1000 * 1000, &error, &reply) < 0)
		fail_msg("%s: %s", member, error.message);
	sd_bus_message_unref(call);
	sd_bus_message_unref(reply);
}

/* mctpd publishing the drive's endpoint (net 1, EID 9, NVMe-MI). */
static struct seam_fx *with_mctpd(void)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, true);
	const char *argv[] = { tb_prog("mctpd-standin"), NULL };
	const uint8_t types[] = { 0, 4 };

	tb_spawn(f->tb, "mctpd", argv, NULL);
	assert_int_equal(tb_wait_name(f->tb, MCTPD_NAME, 5000), 0);
	mctpd_control(f, "AddEndpoint", "uyays", 1, 9, sizeof(types), types[0],
		      types[1], "");
	/* nvmed reads the endpoint: a round trip to mctpd and back, given a
	 * loaded machine's margin */
	seam_run_for(f->m.event, 1000);
	return f;
}

/* The drive answers, then fails a window of polls: mctpd is asked to
 * recover it. */
static struct drive *failing_drive(struct seam_fx *f)
{
	struct drive *d = seam_mi_drive(f, "recover", 9);
	struct seam_req *q = seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);

	seam_answer(f, q);
	for (unsigned i = 0; i < WINDOW; i++) {
		q = seam_serve_to(f, SEAM_MI, i ? -1 : IOWORK_MI_HEALTH);
		seam_reply(q, -EIO, NULL, 0);
		seam_settle(f->m.event);
	}
	assert_int_equal(d->available, 0);
	return d;
}

/* Held: nothing is sent to the drive while mctpd recovers, though its
 * back-off (two intervals) passes many times over. */
static void assert_held(struct seam_fx *f, struct drive *d)
{
	int enabled = SD_EVENT_ON;

	seam_run_for(f->m.event, 6 * POLL_MS);
	assert_null(seam_peek());
	assert_null(d->mi_req);
	assert_non_null(d->timer);
	assert_true(sd_event_source_get_enabled(d->timer, &enabled) >= 0);
	assert_int_equal(enabled, SD_EVENT_OFF);
}

/* mctpd recovers the endpoint (Degraded, then Available): the drive is
 * polled again at once, and answers. */
static void test_recover_hold_release(void **state)
{
	struct seam_fx *f = with_mctpd();
	struct drive *d = failing_drive(f);
	struct seam_req *q;

	assert_held(f, d);
	mctpd_control(f, "SetConnectivity", "uys", 1, 9, "Degraded");
	seam_run_for(f->m.event, 2 * POLL_MS);
	assert_null(seam_peek()); /* still held */
	mctpd_control(f, "SetConnectivity", "uys", 1, 9, "Available");
	q = seam_wait(f->m.event, 1000);
	assert_non_null(q);
	assert_int_equal(q->kind, SEAM_MI);
	assert_int_equal(q->eid, 9);
	assert_true(q->fresh);
	seam_answer(f, q);
	q = seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);
	seam_answer(f, q);
	seam_settle(f->m.event);
	assert_int_equal(d->available, 1);
	seam_fx_free(f);
}

/* mctpd gives the endpoint up (removes it): the hold ends too, and the
 * drive goes on with its back-off. */
static void test_recover_removed_releases(void **state)
{
	struct seam_fx *f = with_mctpd();
	struct drive *d = failing_drive(f);
	struct seam_req *q;

	assert_held(f, d);
	mctpd_control(f, "RemoveEndpoint", "uy", 1, 9);
	q = seam_wait(f->m.event, 2000);
	assert_non_null(q);
	assert_int_equal(q->kind, SEAM_MI);
	assert_int_equal(q->eid, 9);
	seam_fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_recover_hold_release,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_recover_removed_releases,
					  seam_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
