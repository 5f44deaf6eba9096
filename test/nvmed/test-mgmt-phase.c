// SPDX-License-Identifier: Apache-2.0
/*
 * Unit tests of src/nvmed/fwupdate-phase.c and sanitize-phase.c, the
 * firmware update's and the sanitize's pure transitions.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "admin.h"
#include "fwupdate-phase.h"
#include "macros.h"
#include "sanitize-phase.h"

#define PIECE 4096

/* ---- firmware update ------------------------------------------------- */

static void test_fw_download(void **state)
{
	struct fw_state s;

	fw_state_init(&s, 2 * PIECE + 1024, ADMIN_CA_REPLACE_ACTIVATE_RESET);
	assert_int_equal(s.phase, FW_DOWNLOAD);
	assert_int_equal(fw_piece_len(&s, PIECE), PIECE);
	assert_int_equal(fw_piece_done(&s, 0, PIECE), FW_PIECE_TAKEN);
	assert_int_equal(s.sent, PIECE);
	assert_int_equal(fw_piece_done(&s, 0, PIECE), FW_PIECE_TAKEN);
	assert_int_equal(s.phase, FW_DOWNLOAD);
	assert_int_equal(fw_piece_len(&s, PIECE), 1024);
	assert_int_equal(fw_piece_done(&s, 0, 1024), FW_PIECE_TAKEN);
	assert_int_equal(s.phase, FW_COMMIT); /* the last piece: commit */
	assert_true(fw_phase_running(s.phase));
}

/* A piece that gets no answer goes again FW_PIECE_RETRIES times, then
 * the update fails. */
static void test_fw_piece_retries(void **state)
{
	struct fw_state s;

	fw_state_init(&s, 4 * PIECE, ADMIN_CA_REPLACE_ACTIVATE_RESET);
	for (unsigned i = 0; i < FW_PIECE_RETRIES; i++)
		assert_int_equal(fw_piece_done(&s, -ETIME, PIECE),
				 FW_PIECE_AGAIN);
	assert_int_equal(fw_piece_done(&s, -ETIME, PIECE), FW_PIECE_FAILED);
	assert_int_equal(s.phase, FW_FAILED);
	assert_int_equal(fw_phase_activation(s.phase), FW_ACT_FAILED);

	/* an answer after a retry starts the count again */
	fw_state_init(&s, 4 * PIECE, ADMIN_CA_REPLACE_ACTIVATE_RESET);
	assert_int_equal(fw_piece_done(&s, -ECONNRESET, PIECE), FW_PIECE_AGAIN);
	assert_int_equal(fw_piece_done(&s, 0, PIECE), FW_PIECE_TAKEN);
	assert_int_equal(s.retries, 0);
	/* an NVMe status is an answer: not sent again */
	assert_int_equal(fw_piece_done(&s, ADMIN_SC_INVALID_FIELD, PIECE),
			 FW_PIECE_FAILED);
}

/* Overlapping Range for a piece sent again: the first copy arrived;
 * for a piece sent once it is the drive's refusal. */
static void test_fw_overlapping_range(void **state)
{
	struct fw_state s;

	fw_state_init(&s, 2 * PIECE, ADMIN_CA_REPLACE_ACTIVATE_RESET);
	assert_int_equal(fw_piece_done(&s, -ETIME, PIECE), FW_PIECE_AGAIN);
	assert_int_equal(fw_piece_done(&s, ADMIN_SC_OVERLAPPING_RANGE, PIECE),
			 FW_PIECE_TAKEN_BEFORE);
	assert_int_equal(s.sent, PIECE);
	assert_int_equal(s.phase, FW_DOWNLOAD);

	fw_state_init(&s, 2 * PIECE, ADMIN_CA_REPLACE_ACTIVATE_RESET);
	assert_int_equal(fw_piece_done(&s, ADMIN_SC_OVERLAPPING_RANGE, PIECE),
			 FW_PIECE_FAILED);
}

static struct fw_state committing(enum admin_commit_action action)
{
	struct fw_state s;

	fw_state_init(&s, PIECE, action);
	assert_int_equal(fw_piece_done(&s, 0, PIECE), FW_PIECE_TAKEN);
	assert_int_equal(s.phase, FW_COMMIT);
	return s;
}

static void test_fw_commit(void **state)
{
	static const struct {
		enum admin_commit_action action;
		int r;
		enum fw_phase want;
	} t[] = {
		{ ADMIN_CA_REPLACE_ACTIVATE_NOW, 0, FW_REIDENTIFY },
		{ ADMIN_CA_REPLACE_ACTIVATE_RESET, 0, FW_STAGED },
		{ ADMIN_CA_REPLACE_ACTIVATE_NOW, ADMIN_SC_FW_NEEDS_CONV_RESET,
		  FW_STAGED },
		{ ADMIN_CA_REPLACE_ACTIVATE_NOW, ADMIN_SC_FW_NEEDS_SUBSYS_RESET,
		  FW_STAGED },
		{ ADMIN_CA_REPLACE_ACTIVATE_NOW, ADMIN_SC_FW_NEEDS_RESET,
		  FW_STAGED },
		{ ADMIN_CA_REPLACE_ACTIVATE_RESET, ADMIN_SC_INVALID_FW_IMAGE,
		  FW_INVALID },
		{ ADMIN_CA_REPLACE_ACTIVATE_RESET, ADMIN_SC_INVALID_FW_SLOT,
		  FW_FAILED },
		/* never sent: no confirmation to ask for */
		{ ADMIN_CA_REPLACE_ACTIVATE_RESET, -ENOMEM, FW_FAILED },
		/* lost: the slot log tells */
		{ ADMIN_CA_REPLACE_ACTIVATE_RESET, -ETIME, FW_CONFIRM },
		{ ADMIN_CA_REPLACE_ACTIVATE_NOW, -ECONNRESET, FW_CONFIRM },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct fw_state s = committing(t[i].action);

		assert_int_equal(fw_commit_done(&s, t[i].r), t[i].want);
		assert_int_equal(s.phase, t[i].want);
	}
}

/* After a lost commit, the confirmation's verdict ends it: taken (0) as
 * an answered commit, not taken (the lost error again) FAILED, never a
 * second confirmation. */
static void test_fw_confirm(void **state)
{
	struct fw_state s = committing(ADMIN_CA_REPLACE_ACTIVATE_RESET);

	assert_int_equal(fw_commit_done(&s, -ETIME), FW_CONFIRM);
	assert_true(fw_phase_running(s.phase));
	assert_int_equal(fw_commit_done(&s, 0), FW_STAGED);

	s = committing(ADMIN_CA_REPLACE_ACTIVATE_NOW);
	assert_int_equal(fw_commit_done(&s, -ETIME), FW_CONFIRM);
	assert_int_equal(fw_commit_done(&s, -ETIME), FW_FAILED);
}

static void test_fw_commit_taken(void **state)
{
	struct admin_fw_slots slots = { .active = 2, .next = 0 };

	/* activate now: slot 2 runs, slot 1 ran before */
	assert_true(
		fw_commit_taken(ADMIN_CA_REPLACE_ACTIVATE_NOW, 2, 1, &slots));
	/* ... but slot 2 ran before as well: nothing shows it */
	assert_false(
		fw_commit_taken(ADMIN_CA_REPLACE_ACTIVATE_NOW, 2, 2, &slots));
	/* at reset: the slot to run next */
	assert_false(
		fw_commit_taken(ADMIN_CA_REPLACE_ACTIVATE_RESET, 3, 2, &slots));
	slots.next = 3;
	assert_true(
		fw_commit_taken(ADMIN_CA_REPLACE_ACTIVATE_RESET, 3, 2, &slots));
}

static void test_fw_activation_ends(void **state)
{
	struct fw_state s = committing(ADMIN_CA_REPLACE_ACTIVATE_NOW);

	assert_int_equal(fw_commit_done(&s, 0), FW_REIDENTIFY);
	assert_int_equal(fw_phase_activation(s.phase), FW_ACT_ACTIVATING);
	assert_true(fw_firmware_changed(&s));
	assert_int_equal(s.phase, FW_ACTIVE);
	assert_false(fw_phase_running(s.phase));
	assert_false(fw_firmware_changed(&s)); /* once */

	s = committing(ADMIN_CA_REPLACE_ACTIVATE_NOW);
	assert_int_equal(fw_commit_done(&s, 0), FW_REIDENTIFY);
	assert_int_equal(fw_reidentify_timeout(&s), FW_ACTIVE);

	/* staged: not running, Active after the reset */
	s = committing(ADMIN_CA_REPLACE_ACTIVATE_RESET);
	assert_int_equal(fw_commit_done(&s, 0), FW_STAGED);
	assert_false(fw_phase_running(s.phase));
	assert_int_equal(fw_phase_activation(s.phase), FW_ACT_STAGED);
	assert_int_equal(fw_reidentify_timeout(&s), FW_STAGED);
	assert_true(fw_firmware_changed(&s));
	assert_int_equal(fw_phase_activation(s.phase), FW_ACT_ACTIVE);

	/* a firmware change while downloading ends nothing */
	fw_state_init(&s, PIECE, ADMIN_CA_REPLACE_ACTIVATE_NOW);
	assert_false(fw_firmware_changed(&s));
	assert_int_equal(s.phase, FW_DOWNLOAD);
	/* a failure ends a running update only */
	assert_int_equal(fw_fail(&s), FW_FAILED);
	s.phase = FW_STAGED;
	assert_int_equal(fw_fail(&s), FW_STAGED);
}

/* ---- sanitize --------------------------------------------------------- */

static void test_san_command(void **state)
{
	static const struct {
		int r;
		enum san_phase want;
	} t[] = {
		{ 0, SAN_RUNNING },
		{ ADMIN_SC_SANITIZE_IN_PROGRESS, SAN_REFUSED },
		{ ADMIN_SC_INVALID_FIELD, SAN_REFUSED },
		{ -ENOMEM, SAN_REFUSED },
		{ -ETIME, SAN_CONFIRM },
		{ -ECONNRESET, SAN_CONFIRM },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct san_state s;

		san_state_init(&s);
		assert_int_equal(s.phase, SAN_COMMAND);
		assert_true(san_phase_running(s.phase));
		assert_int_equal(san_command_done(&s, t[i].r), t[i].want);
	}
}

static void test_san_confirm(void **state)
{
	struct admin_sanitize_status st = { .state = ADMIN_SANITIZE_RUNNING };
	struct san_state s;

	assert_true(san_command_taken(&st));
	st.state = ADMIN_SANITIZE_DONE;
	assert_false(san_command_taken(&st));
	st.state = ADMIN_SANITIZE_NEVER;
	assert_false(san_command_taken(&st));

	san_state_init(&s);
	assert_int_equal(san_command_done(&s, -ETIME), SAN_CONFIRM);
	assert_true(san_phase_running(s.phase));
	assert_int_equal(san_command_done(&s, 0), SAN_RUNNING);

	san_state_init(&s);
	assert_int_equal(san_command_done(&s, -ETIME), SAN_CONFIRM);
	assert_int_equal(san_command_done(&s, -ETIME), SAN_REFUSED);
	assert_int_equal(san_phase_status(s.phase), SAN_ST_FAILED);
}

static void test_san_status(void **state)
{
	static const struct {
		enum admin_sanitize_state state;
		enum san_phase want;
		enum san_status status;
	} t[] = {
		{ ADMIN_SANITIZE_RUNNING, SAN_RUNNING, SAN_ST_IN_PROGRESS },
		{ ADMIN_SANITIZE_DONE, SAN_COMPLETED, SAN_ST_COMPLETED },
		{ ADMIN_SANITIZE_DONE_NO_DEALLOC, SAN_COMPLETED,
		  SAN_ST_COMPLETED },
		{ ADMIN_SANITIZE_FAILED, SAN_FAILED, SAN_ST_FAILED },
		{ ADMIN_SANITIZE_NEVER, SAN_FAILED, SAN_ST_FAILED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct admin_sanitize_status st = { .state = t[i].state };
		struct san_state s;

		san_state_init(&s);
		assert_int_equal(san_command_done(&s, 0), SAN_RUNNING);
		assert_int_equal(san_status_done(&s, 0, &st), t[i].want);
		assert_int_equal(san_phase_status(s.phase), t[i].status);
	}
}

/* Unreadable status logs: FAILED at the SAN_STATUS_FAILURES_MAXth in a
 * row, a readable one between starting the count again. */
static void test_san_status_failures(void **state)
{
	struct admin_sanitize_status st = { .state = ADMIN_SANITIZE_RUNNING };
	struct san_state s;

	san_state_init(&s);
	assert_int_equal(san_command_done(&s, 0), SAN_RUNNING);
	for (unsigned i = 1; i < SAN_STATUS_FAILURES_MAX; i++)
		assert_int_equal(san_status_done(&s, -ETIME, NULL),
				 SAN_RUNNING);
	assert_int_equal(san_status_done(&s, 0, &st), SAN_RUNNING);
	assert_int_equal(s.failures, 0);
	for (unsigned i = 1; i < SAN_STATUS_FAILURES_MAX; i++)
		assert_int_equal(san_status_done(&s, -EBADMSG, NULL),
				 SAN_RUNNING);
	assert_int_equal(san_status_done(&s, -ETIME, NULL), SAN_FAILED);
	assert_false(san_phase_running(s.phase));
	/* the end is the end */
	assert_int_equal(san_status_done(&s, 0, &st), SAN_FAILED);
	assert_int_equal(san_fail(&s), SAN_FAILED);

	san_state_init(&s);
	assert_int_equal(san_command_done(&s, 0), SAN_RUNNING);
	assert_int_equal(san_fail(&s), SAN_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fw_download),
		cmocka_unit_test(test_fw_piece_retries),
		cmocka_unit_test(test_fw_overlapping_range),
		cmocka_unit_test(test_fw_commit),
		cmocka_unit_test(test_fw_confirm),
		cmocka_unit_test(test_fw_commit_taken),
		cmocka_unit_test(test_fw_activation_ends),
		cmocka_unit_test(test_san_command),
		cmocka_unit_test(test_san_confirm),
		cmocka_unit_test(test_san_status),
		cmocka_unit_test(test_san_status_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
