// SPDX-License-Identifier: Apache-2.0
/*
 * drive.c through the seam: the availability window, the staleness timer
 * and the back-off of a drive polled over NVMe-MI, on the real loop, with
 * the I/O double's scripted replies in place of the workers.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "seam-fixture.h"

#define POLL_MS 100
#define WINDOW	3

/* Bring the drive to its first good reading: Read NVMe-MI Data
 * Structure, Identify, a health poll, SMART; the next health poll is
 * returned unanswered. */
static struct seam_req *first_reading(struct seam_fx *f, struct drive *d)
{
	struct seam_req *q = seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);

	seam_answer(f, q);
	seam_settle(f->m.event);
	assert_int_equal(d->available, 1);
	assert_true(d->value == 40.0);
	return seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);
}

/* A poll fails: the reading stands for the window's failures, the
 * window's last takes it away (NaN, unavailable); the next answer
 * restores it. */
static void test_availability_window(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, false);
	struct drive *d = seam_mi_drive(f, "window", 9);
	struct seam_req *q = first_reading(f, d);

	for (unsigned i = 1; i < WINDOW; i++) {
		seam_reply(q, -EIO, NULL, 0);
		seam_settle(f->m.event);
		assert_int_equal(d->poll.failures, i);
		assert_int_equal(d->available, 1);
		assert_true(d->value == 40.0);
		q = seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);
		assert_true(q->fresh); /* a failure reopens the endpoint */
	}
	seam_reply(q, -EIO, NULL, 0);
	seam_settle(f->m.event);
	assert_int_equal(d->available, 0);
	assert_true(isnan(d->value));

	/* after a window of failures the identity is read again */
	f->temp = 41;
	q = seam_serve_to(f, SEAM_MI, IOWORK_MI_HEALTH);
	seam_answer(f, q);
	seam_settle(f->m.event);
	assert_int_equal(d->available, 1);
	assert_true(d->value == 41.0);
	seam_fx_free(f);
}

/* A poll that never comes back: the staleness timer takes the reading
 * away at the window's expiry (avail.h: window x (interval + the
 * transaction limit) + interval after the last good one), not before. */
static void test_stale_timer(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, false);
	struct drive *d = seam_mi_drive(f, "stale", 9);
	/* libnvme-mi's limit in the fixture: 2 x 20 ms */
	unsigned expiry_ms = WINDOW * (POLL_MS + 40) + POLL_MS;

	(void)first_reading(f, d); /* left unanswered */
	seam_run_for(f->m.event, expiry_ms - 150);
	assert_int_equal(d->available, 1);
	assert_true(d->value == 40.0);
	seam_run_for(f->m.event, 300);
	assert_int_equal(d->available, 0);
	assert_int_equal(d->sensor_functional, 0);
	assert_true(isnan(d->value));
	seam_fx_free(f);
}

static void assert_retry_ms(struct seam_fx *f, struct drive *d, unsigned ms)
{
	uint64_t in = seam_next_step_in(f, d);

	/* at most what the loop spent since the reply came in early */
	if (in > ms * 1000ull || in + 50000 < ms * 1000ull)
		fail_msg("next attempt in %llu us, expected %u ms",
			 (unsigned long long)in, ms);
}

/* Failures retry one interval later until the window, then twice the
 * interval, doubling per failure; a transaction not answered within its
 * limit (-ETIME) backs off fully at once (poll.h). */
static void test_backoff(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, false);
	struct drive *d = seam_mi_drive(f, "backoff", 9);
	struct seam_req *q = first_reading(f, d);
	static const unsigned expect_ms[] = { POLL_MS, POLL_MS, 2 * POLL_MS,
					      4 * POLL_MS };

	for (size_t i = 0; i < sizeof(expect_ms) / sizeof(expect_ms[0]); i++) {
		seam_reply(q, -EIO, NULL, 0);
		seam_settle(f->m.event);
		assert_retry_ms(f, d, expect_ms[i]);
		/* after the window: Read NVMe-MI Data Structure first */
		q = seam_next(f);
		assert_int_equal(q->kind, SEAM_MI);
	}
	seam_reply(q, -ETIME, NULL, 0);
	seam_settle(f->m.event);
	assert_retry_ms(f, d, POLL_BACKOFF_MAX_MS);

	/* -ECONNRESET (the worker died) is a failure like any other */
	drive_link_release(d, true);
	q = seam_next(f);
	seam_reply(q, -ECONNRESET, NULL, 0);
	seam_settle(f->m.event);
	assert_retry_ms(f, d, POLL_BACKOFF_MAX_MS);
	assert_int_equal(d->available, 0);
	seam_fx_free(f);
}

static struct seam_req *smbus_next(struct seam_fx *f, uint8_t cmd)
{
	struct seam_req *q = seam_next(f);

	assert_int_equal(q->kind, SEAM_SMBUS);
	assert_int_equal(q->bus, 5);
	assert_int_equal(q->root, 5);
	assert_int_equal(q->addr, 0x6a);
	assert_true(q->pec);
	assert_int_equal(q->cmd, cmd);
	return q;
}

static void basic_vpd(struct seam_fx *f)
{
	uint8_t vpd[22] = { 0x14, 0x4d, 'S', 'E', 'A', 'M' };

	seam_reply(smbus_next(f, 8), 0, vpd, sizeof(vpd));
}

/* The same window over SMBus (the basic management command): a failed
 * transfer reads the VPD again, the reading stands until the window's
 * last failure. */
static void test_basic_window(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, false);
	struct drive_config cfg = {
		.origin = DRIVE_FROM_BASIC,
		.name = "basic",
		.config_path = "/seam/basic",
		.power_state = POWER_ALWAYS,
	};
	/* Drive Functional, no warning, 40 degrees C, 5% used */
	const uint8_t status[8] = { 0x20, 0xff, 40, 5 };
	struct drive *d = NULL;

	for (int k = 0; k < _THRESHOLD_MAX; k++)
		cfg.th_index[k] = -1;
	assert_int_equal(drive_new(&f->m, &cfg, &d), 0);
	drive_start_basic(d, 5, 0x6a, true);
	basic_vpd(f);
	seam_reply(smbus_next(f, 0), 0, status, sizeof(status));
	seam_settle(f->m.event);
	assert_int_equal(d->available, 1);
	assert_true(d->value == 40.0);
	assert_string_equal(d->manufacturer, "Samsung");

	for (unsigned i = 1; i <= WINDOW; i++) {
		seam_reply(smbus_next(f, 0), -EIO, NULL, 0);
		seam_settle(f->m.event);
		assert_int_equal(d->available, i < WINDOW);
		basic_vpd(f);
	}
	assert_true(isnan(d->value));
	seam_reply(smbus_next(f, 0), 0, status, sizeof(status));
	seam_settle(f->m.event);
	assert_int_equal(d->available, 1);
	seam_fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_availability_window,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_stale_timer, seam_fx_teardown),
		cmocka_unit_test_teardown(test_backoff, seam_fx_teardown),
		cmocka_unit_test_teardown(test_basic_window, seam_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
