/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every fuzz target shares: the libFuzzer entry point, invariant
 * checks that abort with a message (libFuzzer and the replay test both
 * report an abort as a failure), and a reader that turns the input bytes
 * into the values a target needs, never reading past the end (what is
 * missing reads as zero).
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

__attribute__((noreturn))
_printf_(4, 5) static inline void fuzz_fail(const char *file, int line,
					    const char *cond, const char *fmt,
					    ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: invariant '%s' broken: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

/* Check an invariant; the message says what was seen. */
#define FUZZ_CHECK(cond, ...)                                              \
	do {                                                               \
		if (!(cond))                                               \
			fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* An allocation the target itself makes: out of memory is no finding. */
static inline void *fuzz_oom(void *p)
{
	if (!p) {
		fputs("fuzz target: out of memory\n", stderr);
		abort();
	}
	return p;
}

/* asprintf() that cannot fail (for the target's own strings). */
_printf_(1, 2) static inline char *fuzz_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return fuzz_oom(n < 0 ? NULL : s);
}

struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline bool fuzz_done(const struct fuzz_in *in)
{
	return in->n == 0;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v;

	if (in->n == 0)
		return 0;
	v = *in->p++;
	in->n--;
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = fuzz_u8(in);

	return (uint16_t)(v | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = fuzz_u16(in);

	return v | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t v = fuzz_u32(in);

	return v | (uint64_t)fuzz_u32(in) << 32;
}

/* Up to len bytes (fewer at the end of the input); their count in *ret_n. */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t len,
					size_t *ret_n)
{
	const uint8_t *p = in->p;

	if (len > in->n)
		len = in->n;
	in->p += len;
	in->n -= len;
	*ret_n = len;
	return p;
}

/* A NUL-terminated copy of up to max bytes, the length read first
 * (malloc'ed; may hold any byte but NUL). */
static inline char *fuzz_string(struct fuzz_in *in, size_t max)
{
	size_t len = fuzz_u8(in) % (max + 1), n;
	const uint8_t *p = fuzz_bytes(in, len, &n);
	char *s = fuzz_oom(malloc(n + 1));

	for (size_t i = 0; i < n; i++)
		s[i] = p[i] ? (char)p[i] : '0';
	s[n] = '\0';
	return s;
}

/* A copy of the whole input with a NUL after it (malloc'ed). */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *s = fuzz_oom(malloc(size + 1));

	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Printable ASCII only, NUL-terminated within size bytes. */
static inline bool fuzz_printable(const char *s, size_t size)
{
	size_t len = strnlen(s, size);

	if (len == size)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* The same double, NaN equal to NaN. */
static inline bool fuzz_same_double(double a, double b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}
