/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The common log helper (src/common/log.c), which the daemons log the
 * library's messages with: user strings cannot forge journal lines.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"

/* Run log_error("%s", text) with stderr captured; returns what it wrote
 * (malloc'ed). */
static char *capture(const char *text, int err)
{
	char path[] = "/tmp/test-log.XXXXXX";
	char *out = NULL;
	size_t len = 0;
	int fd, saved, r;
	FILE *f;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	r = log_error_errno(err, "Cable '%s': gone", text);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	assert_int_equal(r, err ? -abs(err) : 0);

	f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	assert_int_equal(getdelim(&out, &len, '\0', f) > 0, 1);
	fclose(f);
	return out;
}

static void test_plain(void **state)
{
	char *out = capture("cab0", 0);

	assert_string_equal(out, "<3>Cable 'cab0': gone\n");
	free(out);
}

static void test_newline_cannot_forge_a_line(void **state)
{
	char *out = capture("x\n<0>kernel panic\r\x1b[2J", 0);

	assert_string_equal(out, "<3>Cable 'x?<0>kernel panic??[2J': gone\n");
	/* One line, one priority prefix. */
	assert_int_equal(strchr(out, '\n') - out, (long)strlen(out) - 1);
	free(out);
}

static void test_errno_suffix(void **state)
{
	char *out = capture("a\tb", EBUSY);
	char *expected = NULL;

	assert_true(asprintf(&expected, "<3>Cable 'a?b': gone: %s\n",
			     strerror(EBUSY)) > 0);
	assert_string_equal(out, expected);
	free(expected);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_newline_cannot_forge_a_line),
		cmocka_unit_test(test_errno_suffix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
