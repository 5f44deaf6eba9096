/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

/* ld.so separates LD_PRELOAD entries by colons or spaces. */
#define SEPARATORS ": "

static void var_of(const char *name, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "TB_");

	for (; *name && n < len - 1; name++, n++)
		buf[n] = *name == '-' || *name == '.' ?
				 '_' :
				 (char)toupper((unsigned char)*name);
	buf[n] = '\0';
}

const char *tb_prog_find(const char *name)
{
	char var[128];
	const char *v;

	var_of(name, var, sizeof(var));
	v = getenv(var);
	return v && *v ? v : NULL;
}

static bool has_entry(const char *list, const char *entry, size_t len)
{
	for (const char *p = list + strspn(list, SEPARATORS); *p;) {
		size_t n = strcspn(p, SEPARATORS);

		if (n == len && strncmp(p, entry, n) == 0)
			return true;
		p += n;
		p += strspn(p, SEPARATORS);
	}
	return false;
}

/* The entries of every lib's value, joined with ':', each once; written
 * after prefix. malloc'ed, NULL with errno set. */
static char *join(const char *prefix, const char *const *libs)
{
	size_t cap = strlen(prefix) + 1, off;
	char *out;

	for (const char *const *l = libs; *l; l++) {
		const char *v = tb_prog_find(*l);

		if (!v) {
			char var[128];

			var_of(*l, var, sizeof(var));
			fprintf(stderr,
				"%s is not set: run the test through meson\n",
				var);
			errno = ENOENT;
			return NULL;
		}
		cap += strlen(v) + 1;
	}
	out = malloc(cap);
	if (!out)
		return NULL;
	off = (size_t)snprintf(out, cap, "%s", prefix);
	for (; *libs; libs++) {
		const char *v = tb_prog_find(*libs);

		for (const char *p = v + strspn(v, SEPARATORS); *p;) {
			size_t n = strcspn(p, SEPARATORS);

			if (!has_entry(out + strlen(prefix), p, n))
				off += (size_t)snprintf(
					out + off, cap - off, "%s%.*s",
					off > strlen(prefix) ? ":" : "", (int)n,
					p);
			p += n;
			p += strspn(p, SEPARATORS);
		}
	}
	return out;
}

char *tb_preload_env(const char *const *libs)
{
	return join("LD_PRELOAD=", libs);
}

int tb_preload_self(char **argv, const char *const *libs)
{
	const char *have = getenv("LD_PRELOAD");
	char *want = join("", libs);
	bool loaded = true;

	if (!want)
		return -errno;
	for (const char *p = want; *p;) {
		size_t n = strcspn(p, SEPARATORS);

		loaded = loaded && have && has_entry(have, p, n);
		p += n;
		p += strspn(p, SEPARATORS);
	}
	if (loaded) {
		free(want);
		return 0;
	}
	if (setenv("LD_PRELOAD", want, 1) < 0) {
		int r = -errno;

		free(want);
		return r;
	}
	free(want);
	execv("/proc/self/exe", argv);
	return -errno;
}
