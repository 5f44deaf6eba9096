/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The JSON source: every real entity-manager file, and every kind of
 * malformed file, through emc_parse_json and through a JSON source on an
 * sd-event loop (the path daemons use).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "emc-test.h"

static const char *const polarities[] = { "active_low", "active_high", NULL };
static const char *const directions[] = { "greater than", "less than", NULL };

static const struct emc_key threshold_keys[] = {
	{ .name = "Direction", .kind = EMC_ENUM, .values = directions },
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 1 },
	{ .name = "Value", .kind = EMC_NUMBER, .required = true },
	{ .name = NULL },
};
static const struct emc_schema threshold_schema = { .type = "Thresholds",
						    .keys = threshold_keys };
static const struct emc_key nvme_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 1023 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ .name = NULL },
};
static const struct emc_schema nvme = { .type = "NVME1000", .keys = nvme_keys };
static const struct emc_key cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "GpioLine", .kind = EMC_STRING, .required = true },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = polarities },
	{ .name = "Length", .kind = EMC_NUMBER },
	{ .name = NULL },
};
static const struct emc_schema cable = { .type = "GPIOCableSensing",
					 .keys = cable_keys };
static const struct emc_schema *const nvme_schemas[] = { &nvme, NULL };
static const struct emc_schema *const cable_schemas[] = { &cable, NULL };

static char tmpdir[] = "/tmp/test-json-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	return nftw(tmpdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The entity-manager checkout (-Dentity-manager-dir); the tests that
 * read its board files are skipped without one. */
static const char *em_dir(void)
{
	const char *d = getenv("TB_EM_DIR");

	if (!d || !*d) {
		print_message("no entity-manager directory "
			      "(-Dentity-manager-dir): skipped\n");
		skip();
	}
	return d;
}

static char *read_all(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t size = 0;
	long len;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = ftell(f);
	assert_true(len >= 0);
	rewind(f);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	size = fread(buf, 1, (size_t)len, f);
	assert_int_equal(size, (size_t)len);
	buf[size] = '\0';
	fclose(f);
	*ret_len = size;
	return buf;
}

static const char *write_tmp(const char *name, const char *text, size_t len)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	return path;
}

static int parse_file(const char *rel, struct emc_record ***ret)
{
	char path[1024], *err = NULL, *text;
	size_t len;
	int n;

	snprintf(path, sizeof(path), "%s/configurations/%s", em_dir(), rel);
	text = read_all(path, &len);
	n = emc_parse_json(text, len, path, ret, &err);
	if (n < 0)
		fail_msg("%s: %s", rel, err ? err : "(no message)");
	free(text);
	return n;
}

/* Run the loop until the deferred delivery happened (it is always ready,
 * so no waiting is involved). */
static void run_loop(sd_event *e)
{
	for (int i = 0; i < 4; i++)
		assert_true(sd_event_run(e, 0) >= 0);
}

/* Source on a file, run, events in c. */
static void run_source(const char *path,
		       const struct emc_schema *const *schemas,
		       struct collector *c)
{
	struct emc_source *s = NULL;
	sd_event *e = NULL;
	char *err = NULL;
	int q;

	assert_int_equal(sd_event_new(&e), 0);
	q = emc_source_new_json(path, e, schemas, collect, c, &s, &err);
	if (q < 0)
		fail_msg("%s: %s", path, err ? err : strerror(-q));
	assert_non_null(s);
	assert_int_equal(c->n, 0); /* delivery is deferred */
	run_loop(e);
	if (c->n > 0)
		assert_int_equal(emc_source_write_double(s, c->items[0].rec,
							 NULL, 0, "Value", 1.0),
				 -EOPNOTSUPP);
	emc_source_free(s);
	sd_event_unref(e);
}

/* ---- real entity-manager files ----------------------------------------- */

static size_t n_files, n_records;

static int check_one_file(const char *path, const struct stat *st, int flag,
			  struct FTW *ftw)
{
	struct emc_record **recs = NULL;
	char *text, *err = NULL;
	size_t len;
	int n;

	if (flag != FTW_F || strlen(path) < 5 ||
	    strcmp(path + strlen(path) - 5, ".json") != 0)
		return 0;
	text = read_all(path, &len);
	n = emc_parse_json(text, len, path, &recs, &err);
	if (n <= 0)
		fail_msg("%s: %d records: %s", path, n, err ? err : "");
	for (int i = 0; i < n; i++) {
		const char *board = emc_record_board(recs[i]);

		assert_non_null(emc_record_type(recs[i]));
		assert_null(recs[i]->error);
		assert_non_null(board);
		assert_true(strncmp(board,
				    "/xyz/openbmc_project/inventory/system/",
				    38) == 0);
		assert_true(strncmp(emc_record_path(recs[i]), board,
				    strlen(board)) == 0);
		assert_non_null(emc_record_name(recs[i]));
	}
	n_files++;
	n_records += (size_t)n;
	emc_records_free(recs, (size_t)n);
	free(text);
	return 0;
}

static void test_every_real_file(void **state)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/configurations", em_dir());
	n_files = n_records = 0;
	assert_int_equal(nftw(path, check_one_file, 16, FTW_PHYS), 0);
	assert_true(n_files >= 8);
	assert_true(n_records > 100);
	print_message("%zu files, %zu records\n", n_files, n_records);
}

static void test_mtjade(void **state)
{
	struct emc_record **recs = NULL;
	size_t n_nvme = 0;
	int n = parse_file("ampere/mtjade.json", &recs);

	for (int i = 0; i < n; i++) {
		struct emc_record *r = recs[i];
		uint64_t bus, addr;
		const char *s;

		if (strcmp(emc_record_type(r), "NVME1000") != 0)
			continue;
		if (n_nvme == 0) {
			assert_string_equal(
				emc_record_path(r),
				"/xyz/openbmc_project/inventory/system/chassis/Mt_Jade/nvme0");
			assert_string_equal(
				emc_record_board(r),
				"/xyz/openbmc_project/inventory/system/chassis/Mt_Jade");
			/* Strings as the file writes them, numbers for the
			 * typed getters. */
			assert_int_equal(emc_record_get_string(r, "Bus", &s),
					 0);
			assert_string_equal(s, "50");
			assert_int_equal(emc_record_get_uint(r, "Bus", &bus),
					 0);
			assert_int_equal(bus, 50);
		}
		assert_int_equal(emc_record_get_uint(r, "Address", &addr), 0);
		assert_int_equal(addr, 0x6a);
		assert_int_equal(emc_validate(&nvme, r, NULL), 0);
		n_nvme++;
	}
	assert_int_equal(n_nvme, 26);

	/* ADC records: Thresholds as children, arrays of objects too. */
	for (int i = 0; i < n; i++) {
		struct emc_record *t;
		double v;

		if (strcmp(emc_record_name(recs[i]), "3V3_SB") != 0)
			continue;
		assert_int_equal(emc_record_n_children(recs[i], "Thresholds"),
				 2);
		t = emc_record_child(recs[i], "Thresholds", 1);
		assert_string_equal(emc_record_type(t), "Thresholds");
		assert_int_equal(emc_record_get_double(t, "Value", &v), 0);
		assert_true(v == 2.32);
		assert_int_equal(
			emc_value_type(emc_record_get(recs[i], "ScaleFactor")),
			EMC_VALUE_DOUBLE);
	}
	emc_records_free(recs, (size_t)n);
}

static void test_intel_thresholds(void **state)
{
	static const uint64_t severity[] = { 1, 0, 0, 1 };
	static const double value[] = { 115, 110, 5, 0 };
	struct emc_record **recs = NULL, *r = NULL;
	char *msg = NULL;
	int n = parse_file("intel/nvme_p4500_p5500.json", &recs);

	for (int i = 0; i < n; i++)
		if (strcmp(emc_record_type(recs[i]), "NVME1000") == 0)
			r = recs[i];
	assert_non_null(r);
	assert_string_equal(
		emc_record_path(r),
		"/xyz/openbmc_project/inventory/system/nvme/NVMe__index/NVMe__index_Temp");
	assert_int_equal(emc_record_n_children(r, "Thresholds"), 4);
	for (size_t i = 0; i < 4; i++) {
		struct emc_record *t = emc_record_child(r, "Thresholds", i);
		uint64_t sev;
		double v;

		assert_int_equal(emc_record_get_uint(t, "Severity", &sev), 0);
		assert_int_equal(sev, severity[i]);
		assert_int_equal(emc_record_get_double(t, "Value", &v), 0);
		assert_true(v == value[i]);
	}
	/* An unresolved template is not a number. */
	assert_int_equal(emc_validate(&nvme, r, &msg), -EINVAL);
	assert_string_equal(
		msg,
		"key 'Bus': expected an unsigned integer, got string '$bus'");
	free(msg);
	emc_records_free(recs, (size_t)n);
}

static void test_harma_nested_object(void **state)
{
	struct emc_record **recs = NULL;
	bool found = false;
	int n = parse_file("meta/harma/harma_mb.json", &recs);

	for (int i = 0; i < n; i++) {
		if (emc_record_n_children(recs[i], "FirmwareInfo") == 0)
			continue;
		/* A nested object is a list of one sub-record. */
		assert_int_equal(emc_record_n_children(recs[i], "FirmwareInfo"),
				 1);
		assert_null(emc_record_get(recs[i], "FirmwareInfo"));
		found = true;
	}
	assert_true(found);
	emc_records_free(recs, (size_t)n);
}

static void test_source_on_real_files(void **state)
{
	static const char *const files[] = {
		"ampere/mtjade.json",
		"ibm/sbp1_nvme.json",
		"intel/nvme_p4500_p5500.json",
		"meta/harma/harma_mb.json",
		"meta/santabarbara/santabarbara_electra.json",
		"meta/yv5/yosemite5_mb_ssd.json",
		"micron/7450.json",
		"samsung/pm9d3a.json",
	};
	const char *dir = em_dir(); /* before anything is allocated */
	size_t added = 0, invalid = 0;
	const struct seen *dup = NULL, *templ = NULL;
	struct collector *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];

		snprintf(path, sizeof(path), "%s/configurations/%s", dir,
			 files[i]);
		run_source(path, nvme_schemas, c);
		added += collector_count(c, EMC_ADDED);
		invalid += collector_count(c, EMC_INVALID);
		for (size_t k = 0; k < c->n; k++)
			assert_string_equal(emc_record_type(c->items[k].rec),
					    "NVME1000");
		if (strstr(files[i], "yosemite5")) {
			dup = collector_find(c, EMC_INVALID, "/MB_E1S1_TEMP_C");
			assert_non_null(dup);
			assert_string_equal(
				dup->error,
				"record '/xyz/openbmc_project/inventory/system/board/Yosemite5_MB_E1S1/MB_E1S1_TEMP_C' (NVME1000): duplicate Name 'MB_E1S1_TEMP_C' (already used by record '/xyz/openbmc_project/inventory/system/board/Yosemite5_MB_E1S1/MB_E1S1_TEMP_C')");
		}
		if (strstr(files[i], "intel")) {
			templ = collector_find(c, EMC_INVALID, "_Temp");
			assert_non_null(templ);
			assert_string_equal(
				templ->error,
				"record '/xyz/openbmc_project/inventory/system/nvme/NVMe__index/NVMe__index_Temp' (NVME1000): key 'Bus': expected an unsigned integer, got string '$bus'");
		}
		collector_clear(c);
	}
	/* 36 NVME1000 records: 3 with "$bus", one duplicate in yv5. */
	assert_int_equal(added, 32);
	assert_int_equal(invalid, 4);

	/* What --check-config says of the same files: entity-manager fills
	 * in the templates, and probes yv5's alternative boards one at a
	 * time, so nothing is refused; the templates are named. */
	added = 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char path[1024];
		int q;

		snprintf(path, sizeof(path), "%s/configurations/%s", dir,
			 files[i]);
		q = emc_check_json(path, nvme_schemas, collect, c, NULL);
		assert_int_equal(q, 0);
		assert_int_equal(collector_count(c, EMC_INVALID), 0);
		added += collector_count(c, EMC_ADDED);
		if (strstr(files[i], "intel")) {
			templ = collector_find(c, EMC_ADDED, "_Temp");
			assert_non_null(templ);
			assert_string_equal(
				templ->error,
				"record '/xyz/openbmc_project/inventory/system/nvme/NVMe__index/NVMe__index_Temp' (NVME1000): 'Bus' holds a template that entity-manager fills in when it detects the board: checked at run time");
		}
		collector_clear(c);
	}
	assert_int_equal(added, 36);
	free(c);
}

/* ---- malformed files ---------------------------------------------------- */

static void expect_file_error(const char *text, size_t len,
			      const char *expected)
{
	struct emc_record **recs = (struct emc_record **)0x1;
	struct emc_source *s = (struct emc_source *)0x1;
	struct collector c = { .n = 0 };
	char *err = NULL;
	sd_event *e = NULL;
	const char *path;
	char *want;

	assert_int_equal(emc_parse_json(text, len, "t.json", &recs, &err),
			 -EINVAL);
	assert_true(recs == (struct emc_record **)0x1); /* untouched */
	assert_non_null(err);
	assert_true(asprintf(&want, "t.json: %s", expected) > 0);
	assert_string_equal(err, want);
	free(want);
	free(err);

	/* The source reports the same, naming the file. */
	err = NULL;
	path = write_tmp("bad.json", text, len);
	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(emc_source_new_json(path, e, cable_schemas, collect,
					     &c, &s, &err),
			 -EINVAL);
	assert_true(s == (struct emc_source *)0x1);
	assert_non_null(err);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, expected));
	free(err);
	run_loop(e);
	assert_int_equal(c.n, 0);
	sd_event_unref(e);
}

#define EXPECT_FILE_ERROR(text, expected) \
	expect_file_error(text, sizeof(text) - 1, expected)

static void test_bad_syntax(void **state)
{
	EXPECT_FILE_ERROR(
		"{\"Exposes\": [",
		"JSON syntax error at offset 13: unexpected end of data");
	EXPECT_FILE_ERROR(
		"{\"a\": }",
		"JSON syntax error at offset 6: unexpected character");
	EXPECT_FILE_ERROR(
		"{} x",
		"JSON syntax error at offset 3: data after the document");
	EXPECT_FILE_ERROR(
		"", "JSON syntax error at offset 0: unexpected end of data");
	EXPECT_FILE_ERROR(
		"{\"Name\": \"a\0b\"}",
		"JSON syntax error at offset 12: unexpected end of data");
}

static void test_bad_top_level(void **state)
{
	EXPECT_FILE_ERROR(
		"5",
		"top-level value is a number (expected a board object or an array)");
	EXPECT_FILE_ERROR(
		"\"text\"",
		"top-level value is a string (expected a board object or an array)");
	EXPECT_FILE_ERROR(
		"null",
		"top-level value is a null (expected a board object or an array)");
	EXPECT_FILE_ERROR(
		"true",
		"top-level value is a bool (expected a board object or an array)");
	EXPECT_FILE_ERROR(
		"{\"Name\": \"x\", \"Type\": \"GPIOCableSensing\"}",
		"top-level object has no 'Exposes' (expected a board, an array of boards or an array of records)");
}

static void test_bad_boards(void **state)
{
	EXPECT_FILE_ERROR("{\"Name\": \"b\", \"Exposes\": {}}",
			  "board 0: 'Exposes' is not an array (got object)");
	EXPECT_FILE_ERROR("{\"Name\": \"b\", \"Exposes\": \"x\"}",
			  "board 0: 'Exposes' is not an array (got string)");
	EXPECT_FILE_ERROR("[{\"Name\": \"a\", \"Exposes\": []},"
			  " {\"Name\": \"b\", \"Exposes\": null}]",
			  "board 1: 'Exposes' is not an array (got null)");
#define NAME_ERROR \
	"board 0: 'Name' missing or not a string (or empty, or holding a NUL byte)"
#define TYPE_ERROR \
	"board 0: 'Type' is not a string (or empty, or holding a NUL byte)"
	EXPECT_FILE_ERROR("{\"Exposes\": []}", NAME_ERROR);
	EXPECT_FILE_ERROR("{\"Name\": 5, \"Exposes\": []}", NAME_ERROR);
	EXPECT_FILE_ERROR("{\"Name\": \"\", \"Exposes\": []}", NAME_ERROR);
	/* json-c keeps the NUL: the path would end at it */
	EXPECT_FILE_ERROR("{\"Name\": \"\\u0000b\", \"Exposes\": []}",
			  NAME_ERROR);
	EXPECT_FILE_ERROR("{\"Name\": \"b\", \"Type\": 5, \"Exposes\": []}",
			  TYPE_ERROR);
	EXPECT_FILE_ERROR(
		"{\"Name\": \"b\", \"Type\": \"a\\u0000\", \"Exposes\": []}",
		TYPE_ERROR);
#undef NAME_ERROR
#undef TYPE_ERROR
}

static void test_deep_nesting(void **state)
{
	const size_t depth = 10000;
	char *text = malloc(6 * depth + 128), *err = NULL;
	struct emc_record **recs = NULL;
	size_t len;

	assert_non_null(text);
	/* Arrays at the top... */
	memset(text, '[', depth);
	memset(text + depth, ']', depth);
	expect_file_error(text, 2 * depth,
			  "JSON syntax error at offset 32: nesting too deep");

	/* ...and objects inside a record. */
	strcpy(text,
	       "{\"Name\": \"b\", \"Exposes\": [{\"Type\": \"T\", \"X\": ");
	len = strlen(text);
	for (size_t i = 0; i < depth; i++, len += 5)
		memcpy(text + len, "{\"a\":", 5);
	text[len++] = '1';
	memset(text + len, '}', depth);
	len += depth;
	memcpy(text + len, "}]}", 4);
	len += 3;
	assert_int_equal(emc_parse_json(text, len, "deep", &recs, &err),
			 -EINVAL);
	assert_non_null(strstr(err, "deep: JSON syntax error at offset "));
	assert_non_null(strstr(err, ": nesting too deep"));
	free(err);
	free(text);
}

static void test_missing_file(void **state)
{
	struct emc_source *s = NULL;
	sd_event *e = NULL;
	char *err = NULL;
	struct collector c = { .n = 0 };
	char path[600];

	assert_int_equal(sd_event_new(&e), 0);
	snprintf(path, sizeof(path), "%s/nope.json", tmpdir);
	assert_int_equal(emc_source_new_json(path, e, cable_schemas, collect,
					     &c, &s, &err),
			 -ENOENT);
	assert_non_null(strstr(err, "nope.json: cannot read: "));
	free(err);
	err = NULL;
	assert_int_equal(emc_source_new_json(tmpdir, e, cable_schemas, collect,
					     &c, &s, &err),
			 -EINVAL);
	assert_non_null(strstr(err, ": not a regular file"));
	free(err);
	/* No message wanted: still a clean error. */
	assert_int_equal(emc_source_new_json(path, e, cable_schemas, collect,
					     &c, &s, NULL),
			 -ENOENT);
	assert_null(s);
	sd_event_unref(e);
}

/* A file over the 64 MiB limit is refused before it is read, naming its
 * size (sparse: it takes no space). */
static void test_file_too_large(void **state)
{
	struct emc_source *s = NULL;
	sd_event *e = NULL;
	char *err = NULL;
	struct collector c = { .n = 0 };
	char path[600], want[700];
	int fd;

	assert_int_equal(sd_event_new(&e), 0);
	snprintf(path, sizeof(path), "%s/huge.json", tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(64u << 20) + 1), 0);
	close(fd);
	assert_int_equal(emc_source_new_json(path, e, cable_schemas, collect,
					     &c, &s, &err),
			 -EINVAL);
	snprintf(want, sizeof(want),
		 "%s: file of 67108865 bytes is too large (at most 67108864)",
		 path);
	assert_string_equal(err, want);
	free(err);
	assert_null(s);
	assert_int_equal(unlink(path), 0);
	sd_event_unref(e);
}

/* emc_check_json: the records a source would deliver, with the verdicts
 * it would give, before it returns; the number refused is the result. */
static void test_check_json(void **state)
{
	static const char text[] =
		"{\"Name\": \"Cables\", \"Type\": \"Board\", \"Exposes\": ["
		"{\"Type\": \"GPIOCableSensing\", \"Name\": \"a\", "
		"\"GpioLine\": \"A\", \"Polarity\": \"active_low\"},"
		"{\"Type\": \"GPIOCableSensing\", \"Name\": \"b\", "
		"\"GpioLine\": \"B\", \"Polarity\": \"up\"},"
		"{\"Type\": \"GPIOCableSensing\", \"Name\": \"a\", "
		"\"GpioLine\": \"C\", \"Polarity\": \"active_low\"},"
		"{\"Type\": \"NVME1000\", \"Name\": \"n\", \"Bus\": 1}]}";
	struct collector c = { .n = 0 };
	const char *path = write_tmp("check.json", text, strlen(text));
	char *err = NULL;

	assert_int_equal(emc_check_json(path, cable_schemas, collect, &c, &err),
			 2);
	assert_null(err);
	assert_int_equal(collector_count(&c, EMC_ADDED), 1);
	assert_int_equal(collector_count(&c, EMC_INVALID), 2);
	assert_non_null(collector_find(&c, EMC_INVALID, "Cables/b"));
	collector_clear(&c);
	/* Without a handler the messages go to stderr; same verdict. */
	assert_int_equal(emc_check_json(path, cable_schemas, NULL, NULL, NULL),
			 2);
	assert_int_equal(emc_check_json(path, nvme_schemas, NULL, NULL, NULL),
			 0);
	/* Alternative boards of one file (one Name, probes that exclude
	 * each other): judged each on its own; within a board a clash is
	 * refused all the same. */
	{
		static const char alt[] =
			"[{\"Name\": \"MB\", \"Probe\": \"A\", \"Exposes\": ["
			"{\"Type\": \"NVME1000\", \"Name\": \"ssd\", \"Bus\": 5}]},"
			" {\"Name\": \"MB\", \"Probe\": \"B\", \"Exposes\": ["
			"{\"Type\": \"NVME1000\", \"Name\": \"ssd\", \"Bus\": 23},"
			"{\"Type\": \"NVME1000\", \"Name\": \"ssd 2\", \"Bus\": 24},"
			"{\"Type\": \"NVME1000\", \"Name\": \"ssd-2\", \"Bus\": 25}"
			"]}]";

		path = write_tmp("check-alt.json", alt, strlen(alt));
		assert_int_equal(emc_check_json(path, nvme_schemas, collect, &c,
						NULL),
				 1);
		assert_int_equal(collector_count(&c, EMC_ADDED), 3);
		assert_non_null(collector_find(&c, EMC_INVALID, "/ssd_2"));
		collector_clear(&c);
	}
	/* Templates: where a number (or an enum) goes, checked at run time
	 * and said so; a string may hold one; a template does not make a
	 * bad value good. */
	{
		static const char tpl[] =
			"{\"Name\": \"B $index\", \"Exposes\": ["
			"{\"Type\": \"NVME1000\", \"Name\": \"t $index\", "
			"\"Bus\": \"$BUS % 100 * 8 + 48 + 1\", "
			"\"Address\": \"$address\", \"Thresholds\": [{"
			"\"Direction\": \"greater than\", \"Severity\": 0, "
			"\"Value\": \"$warn\"}]},"
			"{\"Type\": \"NVME1000\", \"Name\": \"plain\", "
			"\"Bus\": 3},"
			"{\"Type\": \"NVME1000\", \"Name\": \"dollar\", "
			"\"Bus\": \"$5\"},"
			"{\"Type\": \"NVME1000\", \"Name\": \"bad\", "
			"\"Bus\": \"$bus\", \"Address\": 300}]}";
		const struct seen *x;

		path = write_tmp("check-tpl.json", tpl, strlen(tpl));
		assert_int_equal(emc_check_json(path, nvme_schemas, collect, &c,
						NULL),
				 2);
		x = collector_find(&c, EMC_ADDED, "/t__index");
		assert_non_null(x);
		assert_non_null(x->error);
		assert_non_null(strstr(x->error,
				       "'Bus', 'Address', "
				       "'Thresholds[0].Value' hold a template "
				       "that entity-manager fills in when it "
				       "detects the board: checked at run "
				       "time"));
		x = collector_find(&c, EMC_ADDED, "/plain");
		assert_non_null(x);
		assert_null(x->error);
		x = collector_find(&c, EMC_INVALID, "/dollar");
		assert_non_null(x);
		assert_non_null(strstr(x->error, "key 'Bus'"));
		x = collector_find(&c, EMC_INVALID, "/bad");
		assert_non_null(x);
		assert_non_null(strstr(x->error, "key 'Address'"));
		collector_clear(&c);
		/* a --config file has no entity-manager to fill them in */
		run_source(path, nvme_schemas, &c);
		assert_non_null(collector_find(&c, EMC_INVALID, "/t__index"));
		collector_clear(&c);
	}
	path = write_tmp("check-bad.json", "{", 1);
	assert_int_equal(emc_check_json(path, cable_schemas, NULL, NULL, &err),
			 -EINVAL);
	assert_non_null(err);
	free(err);
}

/* ---- per-record problems: reported, everything else keeps working ------ */

#define CABLE(name, line, pol)                             \
	"{\"Type\": \"GPIOCableSensing\", \"Name\": " name \
	", \"GpioLine\": " line ", \"Polarity\": " pol "}"
#define BOARD_PATH "/xyz/openbmc_project/inventory/system/board/Cables"

static void test_bad_records(void **state)
{
	const size_t mb = 1024 * 1024;
	char *huge = malloc(mb + 1), *text = malloc(3 * mb);
	struct collector *c = calloc(1, sizeof(*c));
	const struct seen *x;
	const char *path;
	struct emc_record *good;
	const char *s;
	double len;

	assert_non_null(huge);
	assert_non_null(text);
	assert_non_null(c);
	memset(huge, 'H', mb);
	huge[mb] = '\0';
	snprintf(
		text, 3 * mb,
		"[{\"Name\": \"Cables\", \"Exposes\": ["
		/* 0 */ CABLE(
			"\"c0\"", "\"L0\"",
			"\"active_low\"") ","
					  /* 1 */ "42,"
					  /* 2 */ "{\"Name\": \"c2\", \"GpioLine\": \"L2\"},"
					  /* 3 */ "{\"Type\": \"GPIOCableSensing\", \"GpioLine\": \"L3\", \"Polarity\": \"active_low\"},"
		/* 4 */ CABLE("\"c4\"", "true", "\"active_low\"") ","
		/* 5 */ CABLE(
			"\"c0\"", "\"L5\"",
			"\"active_low\"") ","
					  /* 6 */ "{\"Type\": \"Unknown\", \"Name\": \"u\"},"
		/* 7 */ CABLE("\"c7\"", "\"%s\"", "\"active_low\"") ","
		/* 8 */ CABLE("\"%s\"", "\"L8\"", "\"active_low\"") ","
		/* 9 */ CABLE(
			"\"c9\"", "null",
			"\"active_low\"") ","
					  /* 10 */ "{\"Type\": \"GPIOCableSensing\", \"Name\": \"c10\", \"GpioLine\": \"L\", \"Polarity\": \"active_low\", \"Length\": [[1]]},"
		/* 11 */
		CABLE("\"c11\"", "\"L11\"",
		      "\"up\"") ","
				/* 12 */ "{\"Type\": \"GPIOCableSensing\", \"Name\": \"c12\", \"GpioLine\": \"L12\", \"Polarity\": \"active_high\", \"Length\": 2.5, \"Tags\": [1, -2, 1.5, \"x\", true], \"Extra\": {\"a\": {\"b\": 1}}, \"Big\": 18446744073709551615, \"Neg\": -5, \"Nul\": \"a\\u0000b\"},"
				/* 13 */ "{\"Type\": \"GPIOCableSensing\", \"Name\": \"c13\", \"GpioLine\": \"L\", \"Polarity\": \"active_low\", \"Length\": [1, {\"a\": 1}]},"
				/* 14 */ "{\"Type\": \"GPIOCableSensing\", \"Name\": \"\\u0000c14\", \"GpioLine\": \"L14\", \"Polarity\": \"active_low\"}"
				"]},"
				"{\"Name\": \"Other\", \"Exposes\": [" CABLE(
					"\"c0\"", "\"L99\"",
					"\"active_low\"") "]}," CABLE("\"bare 1\"",
								      "\"LB\"",
								      "\"active_high\"") "]",
		huge, huge);
	path = write_tmp("records.json", text, strlen(text));
	run_source(path, cable_schemas, c);

	assert_int_equal(collector_count(c, EMC_ADDED), 5);
	assert_int_equal(collector_count(c, EMC_REMOVED), 0);
	assert_int_equal(collector_count(c, EMC_CHANGED), 0);
	assert_int_equal(collector_count(c, EMC_INVALID), 11);
	assert_non_null(collector_find(c, EMC_ADDED, BOARD_PATH "/c0"));

	good = collector_find(c, EMC_ADDED, BOARD_PATH "/c12")->rec;
	assert_int_equal(emc_record_get_double(good, "Length", &len), 0);
	assert_true(len == 2.5);
	/* Mixed arrays are skipped, as entity-manager skips them. */
	assert_null(emc_record_get(good, "Tags"));
	assert_null(emc_record_bad_key(good, "Tags"));
	assert_true(emc_record_get(good, "Big")->u == UINT64_MAX);
	assert_true(emc_record_get(good, "Neg")->i == -5);
	assert_null(emc_record_get(good, "Nul"));
	assert_string_equal(emc_record_bad_key(good, "Nul"),
			    "string contains a NUL byte");
	assert_string_equal(
		emc_record_bad_key(emc_record_child(good, "Extra", 0), "a"),
		"objects nested in a sub-record are not supported");

	x = collector_find(c, EMC_ADDED, "/config/bare_1");
	assert_non_null(x);
	assert_string_equal(emc_record_path(x->rec),
			    EMC_BARE_RECORD_ROOT "/bare_1");
	assert_null(emc_record_board(x->rec));

	x = collector_find(c, EMC_INVALID, "/Exposes[1]");
	assert_string_equal(x->error,
			    "record '" BOARD_PATH
			    "/Exposes[1]': not an object (got number)");
	assert_null(emc_record_type(x->rec));
	x = collector_find(c, EMC_INVALID, "/c2");
	assert_string_equal(x->error,
			    "record '" BOARD_PATH
			    "/c2': key 'Type': missing or not a string");
	x = collector_find(c, EMC_INVALID, "/Exposes[3]");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/Exposes[3]' (GPIOCableSensing): key 'Name': missing");
	x = collector_find(c, EMC_INVALID, "/c4");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/c4' (GPIOCableSensing): key 'GpioLine': expected a string, got bool true");
	x = collector_find(c, EMC_INVALID, BOARD_PATH "/c0");
	assert_int_equal(emc_record_get_string(x->rec, "GpioLine", &s), 0);
	assert_string_equal(s, "L5");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/c0' (GPIOCableSensing): duplicate Name 'c0' (already used by record '" BOARD_PATH
		"/c0')");
	x = collector_find(c, EMC_INVALID, "/Other/c0");
	assert_string_equal(
		x->error,
		"record '/xyz/openbmc_project/inventory/system/board/Other/c0' (GPIOCableSensing): duplicate Name 'c0' (already used by record '" BOARD_PATH
		"/c0')");
	x = collector_find(c, EMC_INVALID, "/c7");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/c7' (GPIOCableSensing): key 'GpioLine': string of 1048576 bytes is too long (at most 4096)");
	x = collector_find(c, EMC_INVALID, "HHHH");
	assert_non_null(x);
	assert_true(strlen(x->error) < 512);
	assert_non_null(strstr(
		x->error,
		"HHH...' (GPIOCableSensing): key 'Name': string of 1048576 bytes is too long"));
	x = collector_find(c, EMC_INVALID, "/c9");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/c9' (GPIOCableSensing): key 'GpioLine': null is not a value");
	/* Arrays entity-manager would not publish: the key is absent, as
	 * on D-Bus (Length is optional). */
	x = collector_find(c, EMC_ADDED, "/c10");
	assert_non_null(x);
	assert_null(emc_record_get(x->rec, "Length"));
	x = collector_find(c, EMC_INVALID, "/c11");
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/c11' (GPIOCableSensing): key 'Polarity': unknown value 'up' (expected one of: active_low, active_high)");
	x = collector_find(c, EMC_ADDED, "/c13");
	assert_non_null(x);
	assert_null(emc_record_get(x->rec, "Length"));
	assert_null(collector_find(c, EMC_INVALID, "/u"));
	assert_null(collector_find(c, EMC_ADDED, "/u"));
	/* A Name json-c cuts at a NUL names no path: the record is placed by
	 * its index, and refused for its Name. */
	x = collector_find(c, EMC_INVALID, "/Exposes[14]");
	assert_non_null(x);
	assert_string_equal(
		x->error,
		"record '" BOARD_PATH
		"/Exposes[14]' (GPIOCableSensing): key 'Name': string contains a NUL byte");

	collector_clear(c);
	/* Types nobody asked for: nothing at all (but typeless records are
	 * always reported). */
	run_source(path, nvme_schemas, c);
	assert_int_equal(c->n, 2);
	assert_int_equal(collector_count(c, EMC_INVALID), 2);
	collector_clear(c);
	free(c);
	free(huge);
	free(text);
}

/* ---- the source may be freed from its handler --------------------------- */

struct freeing {
	struct emc_source *s;
	size_t calls;
};

static void free_on_first(enum emc_event event, const struct emc_record *rec,
			  const char *error, void *userdata)
{
	struct freeing *f = userdata;

	f->calls++;
	assert_null(emc_source_free(f->s));
}

static void test_free_from_handler(void **state)
{
	static const char text[] =
		"[" CABLE("\"a\"", "\"L\"", "\"active_low\"") "," CABLE(
			"\"b\"", "\"L\"", "\"active_low\"") "]";
	struct freeing f = { .s = NULL };
	sd_event *e = NULL;
	const char *path = write_tmp("two.json", text, strlen(text));

	assert_int_equal(sd_event_new(&e), 0);
	assert_int_equal(emc_source_new_json(path, e, cable_schemas,
					     free_on_first, &f, &f.s, NULL),
			 0);
	run_loop(e);
	assert_int_equal(f.calls, 1);
	sd_event_unref(e);
}

/* Arrays entity-manager would not publish (it skips mixed and empty
 * arrays) are skipped, so a JSON record equals the D-Bus one. */
static void test_mixed_arrays_skipped(void **state)
{
	static const char text[] =
		"[{\"Type\": \"T\", \"Name\": \"r\", "
		"\"SignMix\": [1, -1], \"NumMix\": [1, 1.5], "
		"\"StrMix\": [\"a\", 1], \"BoolMix\": [true, 1], "
		"\"Empty\": [], \"Nested\": [[1]], \"Null\": [null], "
		"\"ObjMix\": [1, {\"a\": 1}], "
		"\"U\": [1, 2], \"X\": [-1, -2], \"D\": [0.5, 1.5], "
		"\"S\": [\"a\", \"b\"], \"B\": [true, false]}]";
	static const char *const skipped[] = { "SignMix", "NumMix", "StrMix",
					       "BoolMix", "Empty",  "Nested",
					       "Null",	  "ObjMix" };
	static const struct {
		const char *key;
		enum emc_value_type type;
	} kept[] = {
		{ "U", EMC_VALUE_UINT },   { "X", EMC_VALUE_INT },
		{ "D", EMC_VALUE_DOUBLE }, { "S", EMC_VALUE_STRING },
		{ "B", EMC_VALUE_BOOL },
	};
	struct emc_record **recs = NULL;
	char *err = NULL;
	int n;

	n = emc_parse_json(text, strlen(text), "mixed", &recs, &err);
	assert_int_equal(n, 1);
	for (size_t i = 0; i < ARRAY_SIZE(skipped); i++) {
		assert_null(emc_record_get(recs[0], skipped[i]));
		assert_null(emc_record_bad_key(recs[0], skipped[i]));
	}
	for (size_t i = 0; i < ARRAY_SIZE(kept); i++) {
		const struct emc_value *v =
			emc_record_get(recs[0], kept[i].key);

		assert_non_null(v);
		assert_int_equal(emc_value_array_len(v), 2);
		assert_int_equal(emc_value_type(emc_value_array_at(v, 1)),
				 kept[i].type);
	}
	assert_int_equal(emc_record_n_keys(recs[0]), 2 + ARRAY_SIZE(kept));
	emc_records_free(recs, (size_t)n);
}

/* ---- strings that are not UTF-8 ---------------------------------------- */

/* json-c takes any bytes in a string, and \\u escapes of code points
 * sd-bus refuses: such a record is invalid, naming it and the key. */
static void test_invalid_utf8(void **state)
{
	static const char text[] = "{\"Name\": \"Cables\", \"Exposes\": ["
		/* 0 */ CABLE("\"good\"", "\"L0\"", "\"active_low\"") ","
		/* 1 */ CABLE("\"utf\xff\xfe"
			      "bad\"",
			      "\"L1\"", "\"active_low\"") ","
		/* 2 */ CABLE("\"c2\"", "\"L\xc3(\"", "\"active_low\"") ","
		/* 3 */ CABLE("\"nonchar\\ufffe\"", "\"L3\"",
			      "\"active_low\"") ","
		/* 4 */ CABLE("\"caf\\u00e9\"", "\"L4\"",
			      "\"active_low\"") "]}";
	struct collector *c = calloc(1, sizeof(*c));
	const struct seen *x;
	const char *path;

	assert_non_null(c);
	path = write_tmp("utf8.json", text, strlen(text));
	run_source(path, cable_schemas, c);
	assert_int_equal(collector_count(c, EMC_ADDED), 2);
	assert_int_equal(collector_count(c, EMC_INVALID), 3);
	assert_non_null(collector_find(c, EMC_ADDED, BOARD_PATH "/good"));
	x = collector_find(c, EMC_ADDED, BOARD_PATH "/caf__");
	assert_non_null(x);
	assert_string_equal(emc_record_name(x->rec), "caf\xc3\xa9");
	x = collector_find(c, EMC_INVALID, BOARD_PATH "/utf__bad");
	assert_non_null(x);
	assert_string_equal(x->error, "record '" BOARD_PATH
				      "/utf__bad' (GPIOCableSensing): key "
				      "'Name': string is not valid UTF-8");
	x = collector_find(c, EMC_INVALID, BOARD_PATH "/c2");
	assert_non_null(x);
	assert_string_equal(x->error, "record '" BOARD_PATH
				      "/c2' (GPIOCableSensing): key "
				      "'GpioLine': string is not valid UTF-8");
	x = collector_find(c, EMC_INVALID, BOARD_PATH "/nonchar___");
	assert_non_null(x);
	assert_non_null(strstr(x->error, "key 'Name': string is not valid"));
	collector_clear(c);
	free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_real_file),
		cmocka_unit_test(test_mixed_arrays_skipped),
		cmocka_unit_test(test_mtjade),
		cmocka_unit_test(test_intel_thresholds),
		cmocka_unit_test(test_harma_nested_object),
		cmocka_unit_test(test_source_on_real_files),
		cmocka_unit_test(test_bad_syntax),
		cmocka_unit_test(test_bad_top_level),
		cmocka_unit_test(test_bad_boards),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_bad_records),
		cmocka_unit_test(test_check_json),
		cmocka_unit_test(test_free_from_handler),
		cmocka_unit_test(test_invalid_utf8),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
