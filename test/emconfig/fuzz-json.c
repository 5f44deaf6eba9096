/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target for the JSON parser and validation: any byte string must
 * give records or a clean error, never a crash, a leak or UB.
 *
 * With clang it is built with -fsanitize=fuzzer (libFuzzer supplies
 * main). Otherwise the main below replays files and directories given on
 * the command line (a corpus, or the real entity-manager files), which is
 * how the test suite runs it.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "src/emconfig/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const polarities[] = { "active_low", "active_high", NULL };
static const struct emc_key threshold_keys[] = {
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 1 },
	{ .name = "Value", .kind = EMC_NUMBER, .required = true },
	{ .name = NULL },
};
static const struct emc_schema threshold_schema = { .type = "Thresholds",
						    .keys = threshold_keys };
static const struct emc_key keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .max = 1023 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Polarity", .kind = EMC_ENUM, .values = polarities },
	{ .name = "Enabled", .kind = EMC_BOOL },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ .name = NULL },
};
static const struct emc_schema schema = { .type = "Any", .keys = keys };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct emc_record **recs = NULL;
	char *err = NULL;
	int n;

	n = emc_parse_json((const char *)data, size, "fuzz", &recs, &err);
	if (n < 0) {
		if (n == -EINVAL && !err)
			abort(); /* every syntax error has a message */
		free(err);
		return 0;
	}
	for (int i = 0; i < n; i++) {
		char *msg = NULL, *escaped;
		uint64_t u;
		double d;

		if (emc_validate(&schema, recs[i], &msg) == -EINVAL && !msg)
			abort();
		free(msg);
		if (!emc_record_equal(recs[i], recs[i]))
			abort();
		(void)emc_record_get_uint(recs[i], "Bus", &u);
		(void)emc_record_get_double(recs[i], "Value", &d);
		escaped = emc_escape(emc_record_path(recs[i]));
		free(escaped);
	}
	emc_records_free(recs, (size_t)n);
	return 0;
}

#ifndef FUZZING_ENGINE
static size_t n_inputs;

static int replay_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	FILE *f;
	char *buf;
	long len;

	if (flag != FTW_F)
		return 0;
	f = fopen(path, "re");
	if (!f || fseek(f, 0, SEEK_END) < 0 || (len = ftell(f)) < 0) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	rewind(f);
	buf = malloc((size_t)len + 1);
	if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: cannot read\n", path);
		return 1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)len);
	/* Every prefix too: truncated documents are the common bad input. */
	for (long cut = 0; cut < len && cut < 4096; cut += 7)
		LLVMFuzzerTestOneInput((const uint8_t *)buf, (size_t)cut);
	free(buf);
	n_inputs++;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		/* meson's skip status: no corpus was given */
		printf("no corpus directory given (-Dentity-manager-dir): "
		       "skipped\n");
		return 77;
	}
	for (int i = 1; i < argc; i++)
		if (nftw(argv[i], replay_one, 16, FTW_PHYS) != 0) {
			fprintf(stderr, "%s: replay failed\n", argv[i]);
			return 1;
		}
	printf("replayed %zu inputs\n", n_inputs);
	return n_inputs > 0 ? 0 : 1;
}
#endif
