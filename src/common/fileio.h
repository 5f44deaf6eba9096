/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Reading a whole configuration file.
 */
#pragma once

#include <stddef.h>

/*
 * Read the regular file at path, of at most max bytes, into a
 * NUL-terminated buffer (*ret, free() it; *ret_len its length without the
 * NUL, when ret_len is not NULL). Returns 0, -EINVAL if it is not a
 * regular file, -EFBIG if it is larger than max, or the -errno of
 * open/read.
 */
int read_file(const char *path, size_t max, char **ret, size_t *ret_len);
