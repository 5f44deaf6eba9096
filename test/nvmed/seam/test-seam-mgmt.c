// SPDX-License-Identifier: Apache-2.0
/*
 * Drive management through the seam (src/nvmed/mgmt/):
 * replies lost at the moments that matter, on the real loop and bus,
 * with the I/O double's scripted replies in place of the workers.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "admin.h"
#include "mgmt.h"
#include "seam-fixture.h"

/* Long enough that the polls the tests leave waiting do not make the
 * reading stale meanwhile. */
#define POLL_MS 1000
#define WINDOW	3

#define UPDATE_IFACE	 "xyz.openbmc_project.Software.Update"
#define ACTIVATION_IFACE "xyz.openbmc_project.Software.Activation"
#define ACTIVATIONS	 "xyz.openbmc_project.Software.Activation.Activations."
#define ON_RESET \
	"xyz.openbmc_project.Software.ApplyTime.RequestedApplyTimes.OnReset"
#define SANITIZE_IFACE "xyz.openbmc_project.Nvme.Sanitize"
#define PROGRESS_IFACE "xyz.openbmc_project.Common.Progress"
#define STATUSES       "xyz.openbmc_project.Common.Progress.OperationStatus."

static struct mgmt_drive *md_of(struct seam_fx *f, struct drive *d)
{
	for (struct mgmt_drive *md = f->m.mgmt->drives; md; md = md->next)
		if (md->d == d)
			return md;
	fail_msg("drive '%s' has no management state", d->name);
	return NULL;
}

static bool ready(struct seam_fx *f, void *arg)
{
	struct drive *d = arg;
	struct mgmt_drive *md = md_of(f, d);

	return d->available && md->have_caps && md->refresh_step == 0;
}

/* A drive answering, its management state read. */
static struct drive *managed_drive(struct seam_fx *f)
{
	struct drive *d = seam_mi_drive(f, "managed", 9);

	seam_serve_until(f, ready, d, 5000);
	return d;
}

/* The next Admin command, the polls meanwhile answered. */
static struct seam_req *next_admin(struct seam_fx *f)
{
	return seam_serve_to(f, SEAM_ADMIN, -1);
}

static int image(size_t len)
{
	int fd = memfd_create("seam-image", MFD_CLOEXEC);
	char *buf = calloc(1, len);

	assert_true(fd >= 0);
	assert_non_null(buf);
	memset(buf, 0x5a, len);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	free(buf);
	return fd;
}

static char *start_update(struct seam_fx *f, struct drive *d, size_t len)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply;
	const char *path;
	char *copy;
	int fd = image(len);

	reply = seam_call(f, md_of(f, d)->sw_path, UPDATE_IFACE, "StartUpdate",
			  &error, "hs", fd, ON_RESET);
	close(fd);
	if (!reply)
		fail_msg("StartUpdate: %s", error.message);
	assert_true(sd_bus_message_read(reply, "o", &path) >= 0);
	copy = strdup(path);
	sd_bus_message_unref(reply);
	return copy;
}

static void assert_activation(struct seam_fx *f, const char *path,
			      const char *want)
{
	char *a = seam_get_string(f, path, ACTIVATION_IFACE, "Activation");

	assert_string_equal(a, want);
	free(a);
}

/* The piece at offset, answered as the drive does. */
static void expect_download(struct seam_fx *f, uint64_t offset)
{
	struct seam_req *q = next_admin(f);

	assert_int_equal(q->admin.opcode, ADMIN_FW_DOWNLOAD);
	assert_int_equal(q->admin.cdw[1], offset / 4); /* OFST */
	assert_int_equal(q->dout_len, 4096);
	seam_answer(f, q);
}

/* The Firmware Commit's reply is lost (-ETIME); whether the drive took
 * it is read from the Firmware Slot Information log: the committed slot
 * waiting for the reset there means Staged, not Failed. */
static void lost_commit(bool taken)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, true);
	struct drive *d = managed_drive(f);
	char *path = start_update(f, d, 2 * 4096);
	struct seam_req *q;

	expect_download(f, 0);
	expect_download(f, 4096);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_FW_COMMIT);
	/* slot 2 (slot 1 runs), Commit Action 001b: activate at reset */
	assert_int_equal(q->admin.cdw[0],
			 2 | ADMIN_CA_REPLACE_ACTIVATE_RESET << 3);
	if (taken)
		f->fw_next = 2;
	seam_reply(q, -ETIME, NULL, 0);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_GET_LOG_PAGE);
	assert_int_equal(q->admin.cdw[0] & 0xff, ADMIN_LOG_FW_SLOT);
	seam_answer(f, q);
	seam_settle(f->m.event);
	assert_activation(f, path,
			  taken ? ACTIVATIONS "Staged" : ACTIVATIONS "Failed");
	free(path);
	seam_fx_free(f);
}

static void test_lost_commit_confirmed(void **state)
{
	lost_commit(true);
}

static void test_lost_commit_not_taken(void **state)
{
	lost_commit(false);
}

/* A piece's reply is lost; sent again, the drive answers Overlapping
 * Range (it has the piece): the download goes on with the next piece
 * instead of failing. */
static void test_overlapping_range_resume(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, true);
	struct drive *d = managed_drive(f);
	char *path = start_update(f, d, 3 * 4096);
	struct seam_req *q;

	expect_download(f, 0);
	q = next_admin(f);
	assert_int_equal(q->admin.cdw[1], 4096 / 4);
	seam_reply(q, -ETIME, NULL, 0);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_FW_DOWNLOAD);
	assert_int_equal(q->admin.cdw[1], 4096 / 4); /* sent again */
	seam_reply(q, ADMIN_SC_OVERLAPPING_RANGE, NULL, 0);
	expect_download(f, 8192);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_FW_COMMIT);
	seam_answer(f, q);
	seam_settle(f->m.event);
	assert_activation(f, path, ACTIVATIONS "Staged");
	free(path);
	seam_fx_free(f);
}

/* The Sanitize's reply is lost; the Sanitize Status log (81h) shows the
 * drive sanitizing: the call succeeds and the progress is followed to
 * its end. */
static void test_lost_sanitize_confirmed(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, true);
	struct drive *d = managed_drive(f);
	sd_bus_error error = SD_BUS_ERROR_NULL;
	struct seam_pending *c;
	sd_bus_message *reply;
	struct seam_req *q;
	const char *p;
	char *path, *st;

	c = seam_call_start(f, d->drive_path, SANITIZE_IFACE, "Sanitize", "s",
			    "BlockErase");
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_SANITIZE);
	assert_int_equal(q->admin.cdw[0] & 0x7, ADMIN_SANACT_BLOCK);
	f->sanitize_state = ADMIN_SANITIZE_RUNNING; /* the drive took it */
	seam_reply(q, -ETIME, NULL, 0);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_GET_LOG_PAGE);
	assert_int_equal(q->admin.cdw[0] & 0xff, ADMIN_LOG_SANITIZE);
	seam_answer(f, q);
	reply = seam_call_finish(f, c, &error);
	if (!reply)
		fail_msg("Sanitize: %s", error.message);
	assert_true(sd_bus_message_read(reply, "o", &p) >= 0);
	path = strdup(p);
	sd_bus_message_unref(reply);
	st = seam_get_string(f, path, PROGRESS_IFACE, "Status");
	assert_string_equal(st, STATUSES "InProgress");
	free(st);

	/* done: the next status read (a poll interval later) ends it */
	f->sanitize_state = ADMIN_SANITIZE_DONE;
	q = next_admin(f);
	assert_int_equal(q->admin.cdw[0] & 0xff, ADMIN_LOG_SANITIZE);
	seam_answer(f, q);
	seam_settle(f->m.event);
	st = seam_get_string(f, path, PROGRESS_IFACE, "Status");
	assert_string_equal(st, STATUSES "Completed");
	free(st);
	free(path);
	seam_fx_free(f);
}

static bool is_identify_ctrl(const struct seam_req *q)
{
	return q->admin.opcode == ADMIN_IDENTIFY &&
	       (q->admin.cdw[0] & 0xff) == 0x01;
}

/* A refresh asked for while one runs starts over once it ends, whether
 * it completes or fails: what it would have read is read. */
static void test_refresh_restart(void **state)
{
	struct seam_fx *f = seam_fx_new(POLL_MS, WINDOW, true);
	struct drive *d = managed_drive(f);
	struct mgmt_drive *md = md_of(f, d);
	struct seam_req *q;

	mgmt_refresh(md);
	q = next_admin(f);
	assert_true(is_identify_ctrl(q));
	mgmt_refresh(md); /* meanwhile */
	seam_answer(f, q);
	q = next_admin(f);
	assert_int_equal(q->admin.opcode, ADMIN_GET_LOG_PAGE);
	seam_answer(f, q);
	q = next_admin(f); /* the namespace list: the refresh's last */
	assert_int_equal(q->admin.cdw[0] & 0xff, 0x02);
	seam_answer(f, q);
	q = next_admin(f);
	assert_true(is_identify_ctrl(q)); /* started over */

	/* again, the running one failing this time */
	mgmt_refresh(md);
	seam_reply(q, 0x002, NULL, 0); /* Invalid Field in Command */
	q = next_admin(f);
	assert_true(is_identify_ctrl(q));
	seam_answer(f, q);
	seam_serve_until(f, ready, d, 5000);
	seam_fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_lost_commit_confirmed,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_lost_commit_not_taken,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_overlapping_range_resume,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_lost_sanitize_confirmed,
					  seam_fx_teardown),
		cmocka_unit_test_teardown(test_refresh_restart,
					  seam_fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
