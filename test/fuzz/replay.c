// SPDX-License-Identifier: Apache-2.0
/*
 * The main() of a fuzz target in a normal build (without -Dfuzzing=true,
 * libFuzzer brings its own): every file under the directories and files
 * given is fed to LLVMFuzzerTestOneInput, whole and cut short at a
 * spread of lengths (a truncated reply or file is the commonest bad
 * input), so that the committed corpus is a regression test in every
 * build, meson suite 'fuzz'. An invariant a target breaks aborts.
 */
#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "fuzz.h"

/* Prefixes fed per file besides the whole of it, at most. */
#define REPLAY_PREFIXES 64

static size_t n_files, n_runs;

/* In a buffer of exactly len bytes, as libFuzzer hands them, so that an
 * ASan build catches a read past the end. */
static void run(const char *buf, size_t len)
{
	_cleanup_free_ uint8_t *copy = fuzz_oom(malloc(len ? len : 1));

	if (len > 0)
		memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	n_runs++;
}

static int replay_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, step;
	int r;

	if (flag != FTW_F || path[strlen(path) - 1] == '~')
		return 0;
	r = read_file(path, 1 << 20, &buf, &len);
	if (r < 0) {
		fprintf(stderr, "%s: cannot read: %s\n", path, strerror(-r));
		return 1;
	}
	run(buf, len);
	step = len / REPLAY_PREFIXES + 1;
	for (size_t cut = 0; cut < len; cut += step)
		run(buf, cut);
	n_files++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (nftw(argv[i], replay_one, 16, FTW_PHYS) != 0) {
			fprintf(stderr, "%s: replay failed: %s\n", argv[i],
				strerror(errno));
			return 1;
		}
	printf("replayed %zu files (%zu inputs with their prefixes)\n", n_files,
	       n_runs);
	/* An empty corpus tests nothing: a mistake, not a pass. */
	return n_files > 0 ? 0 : 1;
}
