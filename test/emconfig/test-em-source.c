/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libemconfig's entity-manager source against em-standin (an independent
 * implementation of how entity-manager publishes) on a private bus, with
 * the real entity-manager files: records delivered with the right values,
 * run-time additions and removals, a restart of entity-manager, a bad
 * record between good ones, and threshold changes both ways.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "emconfig.h"
#include "macros.h"
#include "testbed.h"

#define WAIT_USEC  (10ULL * 1000 * 1000)
#define SYSTEM	   "/xyz/openbmc_project/inventory/system"
#define TEST_PATH  "/xyz/openbmc_project/test/em"
#define TEST_IFACE "xyz.openbmc_project.Test.EntityManager"
#define NVME_IFACE EMC_CONFIG_IFACE_PREFIX "NVME1000"
#define MAX_EVENTS 512

static const struct emc_key threshold_keys[] = {
	{ .name = "Direction", .kind = EMC_STRING, .required = true },
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 255 },
	{ .name = "Value", .kind = EMC_NUMBER, .required = true },
	{ .name = NULL },
};
static const struct emc_schema threshold_schema = {
	.type = "Thresholds",
	.keys = threshold_keys,
};
static const struct emc_key nvme_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 1023 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ .name = NULL },
};
static const struct emc_schema nvme_schema = {
	.type = "NVME1000",
	.keys = nvme_keys,
};
static const struct emc_schema *const schemas[] = { &nvme_schema, NULL };

struct ev {
	enum emc_event event;
	char *path;
	char *error;
	struct emc_record *rec;
};

struct collector {
	struct ev evs[MAX_EVENTS];
	size_t n;
};

struct ctx {
	struct testbed *tb;
	sd_event *event;
	sd_bus *bus;
	struct emc_source *src;
	struct collector got;
	pid_t em;
};

static void handler(enum emc_event event, const struct emc_record *rec,
		    const char *error, void *userdata)
{
	struct collector *c = userdata;
	struct ev *e;

	assert_true(c->n < MAX_EVENTS);
	e = &c->evs[c->n++];
	e->event = event;
	e->path = rec ? strdup(emc_record_path(rec)) : NULL;
	e->error = error ? strdup(error) : NULL;
	e->rec = rec ? emc_record_ref((struct emc_record *)rec) : NULL;
	if (event == EMC_INVALID)
		assert_non_null(error);
}

static void collector_clear(struct collector *c)
{
	for (size_t k = 0; k < c->n; k++) {
		free(c->evs[k].path);
		free(c->evs[k].error);
		emc_record_unref(c->evs[k].rec);
	}
	c->n = 0;
}

static const char *em_file(const char *rel)
{
	static char buf[8][512];
	static unsigned slot;
	char *p = buf[slot++ % 8];
	const char *dir = tb_em_dir();

	/* Called before a test allocates anything, so skipping leaks
	 * nothing. */
	if (!dir) {
		print_message("no entity-manager directory "
			      "(-Dentity-manager-dir): skipped\n");
		skip();
	}
	snprintf(p, sizeof(buf[0]), "%s/configurations/%s", dir, rel);
	return p;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* Events of kind e whose path is path (NULL: any) or, if prefix, starts
 * with it. */
static size_t count(const struct collector *c, enum emc_event e,
		    const char *path, bool prefix)
{
	size_t n = 0;

	for (size_t k = 0; k < c->n; k++) {
		const struct ev *v = &c->evs[k];

		if (v->event != e)
			continue;
		if (path && (!v->path ||
			     (prefix ? strncmp(v->path, path, strlen(path)) :
				       strcmp(v->path, path))))
			continue;
		n++;
	}
	return n;
}

/* Latest event of kind e for path, or NULL. */
static const struct ev *last(const struct collector *c, enum emc_event e,
			     const char *path)
{
	for (size_t k = c->n; k-- > 0;)
		if (c->evs[k].event == e && c->evs[k].path &&
		    strcmp(c->evs[k].path, path) == 0)
			return &c->evs[k];
	return NULL;
}

/* Run the loop until count(...) >= want or 10 s passed. */
static size_t wait_count(struct ctx *x, const struct collector *c,
			 enum emc_event e, const char *path, bool prefix,
			 size_t want)
{
	uint64_t end = now_usec() + WAIT_USEC;
	size_t n;

	while ((n = count(c, e, path, prefix)) < want && now_usec() < end)
		assert_true(sd_event_run(x->event, 100 * 1000) >= 0);
	return n;
}

static void start_em(struct ctx *x, const char *const *args)
{
	const char *argv[16] = { tb_prog("em-standin") };
	size_t n = 1;

	for (; args && *args; args++) {
		assert_true(n < ARRAY_SIZE(argv) - 1);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	x->em = tb_spawn(x->tb, "em-standin", argv, NULL);
	assert_int_equal(tb_wait_name(x->tb, EMC_EM_SERVICE, 10000), 0);
}

static void setup_ctx(struct ctx *x, const char *const *args)
{
	memset(x, 0, sizeof(*x));
	x->tb = tb_new();
	assert_true(sd_event_new(&x->event) >= 0);
	/* the library gets its own connection, driven by our event loop */
	assert_true(sd_bus_open_system(&x->bus) >= 0);
	assert_true(sd_bus_attach_event(x->bus, x->event, 0) >= 0);
	if (args)
		start_em(x, args);
	assert_int_equal(emc_source_new_dbus(x->bus, x->event, schemas, handler,
					     &x->got, &x->src),
			 0);
}

static void teardown_ctx(struct ctx *x)
{
	emc_source_free(x->src);
	collector_clear(&x->got);
	sd_bus_flush_close_unref(x->bus);
	sd_event_unref(x->event);
	tb_free(x->tb);
}

/* AddBoards(file, {k: v, ...}) on the stand-in; vars is NULL-terminated
 * pairs. */
static void add_boards(struct ctx *x, const char *file, const char *const *vars)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	assert_true(sd_bus_message_new_method_call(
			    tb_bus(x->tb), &m, EMC_EM_SERVICE, TEST_PATH,
			    TEST_IFACE, "AddBoards") >= 0);
	assert_true(sd_bus_message_append(m, "s", file) >= 0);
	assert_true(sd_bus_message_open_container(m, 'a', "{ss}") >= 0);
	for (; vars && vars[0]; vars += 2)
		assert_true(sd_bus_message_append(m, "{ss}", vars[0],
						  vars[1]) >= 0);
	assert_true(sd_bus_message_close_container(m) >= 0);
	r = sd_bus_call(tb_bus(x->tb), m, 0, &err, NULL);
	if (r < 0)
		fprintf(stderr, "AddBoards(%s): %s\n", file, err.message);
	sd_bus_error_free(&err);
	assert_true(r >= 0);
}

static void remove_board(struct ctx *x, const char *board)
{
	assert_true(sd_bus_call_method(tb_bus(x->tb), EMC_EM_SERVICE, TEST_PATH,
				       TEST_IFACE, "RemoveBoard", NULL, NULL,
				       "o", board) >= 0);
}

struct threshold {
	const char *direction;
	uint64_t severity;
	double value;
};

static void check_nvme(const struct emc_record *r, const char *name,
		       uint64_t bus, uint64_t address,
		       const struct threshold *th, size_t n_th)
{
	const char *s;
	uint64_t u;
	double d;

	assert_non_null(r);
	assert_string_equal(emc_record_type(r), "NVME1000");
	assert_string_equal(emc_record_name(r), name);
	assert_int_equal(emc_record_get_uint(r, "Bus", &u), 0);
	assert_int_equal(u, bus);
	assert_int_equal(emc_record_get_uint(r, "Address", &u), 0);
	assert_int_equal(u, address);
	assert_int_equal(emc_record_n_children(r, "Thresholds"), n_th);
	for (size_t k = 0; k < n_th; k++) {
		struct emc_record *t = emc_record_child(r, "Thresholds", k);

		assert_non_null(t);
		assert_int_equal(emc_record_get_string(t, "Direction", &s), 0);
		assert_string_equal(s, th[k].direction);
		assert_int_equal(emc_record_get_uint(t, "Severity", &u), 0);
		assert_int_equal(u, th[k].severity);
		assert_int_equal(emc_record_get_double(t, "Value", &d), 0);
		assert_true(d == th[k].value);
	}
}

/* The same record seen from the JSON source and from D-Bus. */
static void check_same(const struct emc_record *j, const struct emc_record *b)
{
	size_t n = emc_record_n_children(j, "Thresholds");
	uint64_t uj, ub;
	int rj, rb;

	assert_string_equal(emc_record_path(j), emc_record_path(b));
	assert_string_equal(emc_record_board(j), emc_record_board(b));
	assert_string_equal(emc_record_name(j), emc_record_name(b));
	assert_int_equal(emc_record_get_uint(j, "Bus", &uj), 0);
	assert_int_equal(emc_record_get_uint(b, "Bus", &ub), 0);
	assert_int_equal(uj, ub);
	rj = emc_record_get_uint(j, "Address", &uj);
	rb = emc_record_get_uint(b, "Address", &ub);
	assert_int_equal(rj, rb);
	if (rj == 0)
		assert_int_equal(uj, ub);
	assert_int_equal(emc_record_n_children(b, "Thresholds"), n);
	for (size_t k = 0; k < n; k++) {
		struct emc_record *tj = emc_record_child(j, "Thresholds", k);
		struct emc_record *tb = emc_record_child(b, "Thresholds", k);
		const char *sj, *sb;
		double dj, db;

		assert_int_equal(emc_record_get_string(tj, "Direction", &sj),
				 0);
		assert_int_equal(emc_record_get_string(tb, "Direction", &sb),
				 0);
		assert_string_equal(sj, sb);
		assert_int_equal(emc_record_get_uint(tj, "Severity", &uj), 0);
		assert_int_equal(emc_record_get_uint(tb, "Severity", &ub), 0);
		assert_int_equal(uj, ub);
		assert_int_equal(emc_record_get_double(tj, "Value", &dj), 0);
		assert_int_equal(emc_record_get_double(tb, "Value", &db), 0);
		assert_true(dj == db);
	}
}

#define INTEL_BOARD SYSTEM "/nvme/NVMe_1"
#define INTEL_REC   INTEL_BOARD "/NVMe_1_Temp"
static const struct threshold intel_th[] = {
	{ "greater than", 1, 115 },
	{ "greater than", 0, 110 },
	{ "less than", 0, 5 },
	{ "less than", 1, 0 },
};

/* Files without templates in their NVME1000 records, compared with the
 * JSON source. (yv5's file holds two alternative boards with the same
 * Name, of which entity-manager publishes the one whose probe matches:
 * not publishable as a whole.) */
static const char *const plain_files[] = {
	"ibm/sbp1_nvme.json",
	"meta/harma/harma_mb.json",
	"ampere/mtjade.json",
};

static void test_real_files(void **state)
{
	struct ctx x;
	struct collector json = { 0 };
	struct emc_source *js[ARRAY_SIZE(plain_files)] = { NULL };
	const char *args[] = { "--set",
			       "bus=3",
			       "--set",
			       "index=1",
			       "--set",
			       "address=0x50",
			       em_file("intel/nvme_p4500_p5500.json"),
			       em_file(plain_files[0]),
			       em_file(plain_files[1]),
			       em_file(plain_files[2]),
			       NULL };
	const char *micron_vars[] = { "bus", "4", "index", "2", NULL };
	size_t n_json, n_added;
	const struct ev *e;
	double d;

	setup_ctx(&x, args);

	/* what the JSON source makes of the template-free files */
	for (size_t k = 0; k < ARRAY_SIZE(plain_files); k++) {
		char *error = NULL;

		assert_int_equal(emc_source_new_json(em_file(plain_files[k]),
						     x.event, schemas, handler,
						     &json, &js[k], &error),
				 0);
		assert_null(error);
	}
	n_json = wait_count(&x, &json, EMC_ADDED, NULL, false, 30);
	assert_int_equal(n_json, 30); /* 2 + 2 + 26 */
	assert_int_equal(count(&json, EMC_INVALID, NULL, false), 0);

	n_added = wait_count(&x, &x.got, EMC_ADDED, NULL, false, n_json + 1);
	assert_int_equal(n_added, n_json + 1);
	assert_int_equal(count(&x.got, EMC_INVALID, NULL, false), 0);

	/* the templated record: substituted Name, Bus; hex Address */
	e = last(&x.got, EMC_ADDED, INTEL_REC);
	assert_non_null(e);
	assert_string_equal(emc_record_board(e->rec), INTEL_BOARD);
	check_nvme(e->rec, "NVMe 1 Temp", 3, 0x6a, intel_th,
		   ARRAY_SIZE(intel_th));

	/* everything else exactly as the JSON source reads it */
	for (size_t k = 0; k < json.n; k++) {
		const struct ev *b = last(&x.got, EMC_ADDED, json.evs[k].path);

		assert_non_null(b);
		check_same(json.evs[k].rec, b->rec);
	}

	/* a board appearing at run time */
	add_boards(&x, em_file("micron/7450.json"), micron_vars);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED,
				    SYSTEM "/nvme/NVMe_2/NVMe_2_Temp", false,
				    1),
			 1);
	e = last(&x.got, EMC_ADDED, SYSTEM "/nvme/NVMe_2/NVMe_2_Temp");
	check_nvme(e->rec, "NVMe 2 Temp", 4, 0x6a, NULL, 0);

	/* a board going away: each of its records removed, nothing else */
	remove_board(&x, SYSTEM "/board/Harma_MB");
	assert_int_equal(wait_count(&x, &x.got, EMC_REMOVED,
				    SYSTEM "/board/Harma_MB/", true, 2),
			 2);

	/* a threshold changed on entity-manager (Properties.Set) */
	assert_true(sd_bus_set_property(tb_bus(x.tb), EMC_EM_SERVICE, INTEL_REC,
					NVME_IFACE ".Thresholds0", "Value",
					NULL, "d", 100.0) >= 0);
	assert_int_equal(
		wait_count(&x, &x.got, EMC_CHANGED, INTEL_REC, false, 1), 1);
	e = last(&x.got, EMC_CHANGED, INTEL_REC);
	assert_int_equal(
		emc_record_get_double(emc_record_child(e->rec, "Thresholds", 0),
				      "Value", &d),
		0);
	assert_true(d == 100.0);

	/* and written back by the library */
	assert_true(emc_source_write_double(x.src, e->rec, "Thresholds", 1,
					    "Value", 99.5) >= 0);
	assert_int_equal(
		wait_count(&x, &x.got, EMC_CHANGED, INTEL_REC, false, 2), 2);
	e = last(&x.got, EMC_CHANGED, INTEL_REC);
	assert_int_equal(
		emc_record_get_double(emc_record_child(e->rec, "Thresholds", 1),
				      "Value", &d),
		0);
	assert_true(d == 99.5);
	assert_int_equal(count(&x.got, EMC_REMOVED, NULL, false), 2);
	assert_int_equal(count(&x.got, EMC_INVALID, NULL, false), 0);

	for (size_t k = 0; k < ARRAY_SIZE(js); k++)
		emc_source_free(js[k]);
	collector_clear(&json);
	teardown_ctx(&x);
}

static void test_restart(void **state)
{
	struct ctx x;
	const char *args[] = { "--set",
			       "bus=3",
			       "--set",
			       "index=1",
			       em_file("intel/nvme_p4500_p5500.json"),
			       em_file("ibm/sbp1_nvme.json"),
			       NULL };
	const char *micron_vars[] = { "bus", "4", "index", "2", NULL };
	const char *samsung_vars[] = { "bus", "5", "index", "3", NULL };
	const char *micron = SYSTEM "/nvme/NVMe_2/NVMe_2_Temp";
	const char *samsung = SYSTEM "/board/PM9D3a_3/PM9D3a_3_Temp";

	setup_ctx(&x, args);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, NULL, false, 3), 3);
	add_boards(&x, em_file("micron/7450.json"), micron_vars);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, micron, false, 1),
			 1);

	/* entity-manager restarts without the micron board */
	assert_int_equal(tb_stop(x.tb, x.em, SIGTERM), 0);
	start_em(&x, args);
	assert_int_equal(wait_count(&x, &x.got, EMC_REMOVED, micron, false, 1),
			 1);

	/* a new board after the restart: everything before it was seen */
	add_boards(&x, em_file("samsung/pm9d3a.json"), samsung_vars);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, samsung, false, 1),
			 1);

	/* the records that came back were not reported again */
	assert_int_equal(count(&x.got, EMC_ADDED, INTEL_REC, false), 1);
	assert_int_equal(
		count(&x.got, EMC_ADDED, SYSTEM "/nvme/SBP1_NVMe/", true), 2);
	assert_int_equal(count(&x.got, EMC_ADDED, NULL, false), 5);
	assert_int_equal(count(&x.got, EMC_REMOVED, NULL, false), 1);
	assert_int_equal(count(&x.got, EMC_CHANGED, NULL, false), 0);
	assert_int_equal(count(&x.got, EMC_INVALID, NULL, false), 0);

	teardown_ctx(&x);
}

/*
 * entity-manager restarts and publishes its boards gradually after taking
 * its name (as the real one does while it probes): records that come back
 * are never reported REMOVED (nor ADDED again); one that does not come
 * back is removed once entity-manager has settled.
 */
static void test_restart_gradual(void **state)
{
	struct ctx x;
	const char *intel = em_file("intel/nvme_p4500_p5500.json");
	const char *ibm = em_file("ibm/sbp1_nvme.json");
	const char *micron = em_file("micron/7450.json");
	const char *args[] = { "--set", "bus=3", "--set", "index=1",
			       intel,	ibm,	 NULL };
	const char *micron_vars[] = { "bus", "4", "index", "2", NULL };
	const char *slow[] = {
		"--set", "bus=3", "--set", "index=1", "--publish-delay-ms",
		"400",	 intel,	  ibm,	   NULL
	};

	setup_ctx(&x, args);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, NULL, false, 3), 3);
	add_boards(&x, micron, micron_vars);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, NULL, false, 4), 4);

	/* Restarted: the name comes at once, the boards 0.4 s and 0.8 s
	 * later, the micron board not at all. */
	assert_int_equal(tb_stop(x.tb, x.em, SIGTERM), 0);
	start_em(&x, slow);
	assert_int_equal(wait_count(&x, &x.got, EMC_REMOVED, NULL, false, 1),
			 1);
	assert_int_equal(tb_log_count(x.tb, "em-standin",
				      "nvme_p4500_p5500.json (late)"),
			 1);
	assert_int_equal(
		tb_log_count(x.tb, "em-standin", "sbp1_nvme.json (late)"), 1);

	/* Only the micron record went; nothing came back "new". */
	assert_int_equal(count(&x.got, EMC_REMOVED, NULL, false), 1);
	assert_int_equal(
		count(&x.got, EMC_REMOVED, SYSTEM "/nvme/NVMe_2/", true), 1);
	assert_int_equal(count(&x.got, EMC_ADDED, NULL, false), 4);
	assert_int_equal(count(&x.got, EMC_CHANGED, NULL, false), 0);
	assert_int_equal(count(&x.got, EMC_INVALID, NULL, false), 0);

	/* A board removed explicitly while settling goes at once. */
	assert_int_equal(tb_stop(x.tb, x.em, SIGTERM), 0);
	collector_clear(&x.got);
	start_em(&x, slow);
	/* (the log is appended to: the second "late" line is this one) */
	for (uint64_t end = now_usec() + WAIT_USEC;
	     tb_log_count(x.tb, "em-standin", "sbp1_nvme.json (late)") < 2 &&
	     now_usec() < end;)
		assert_true(sd_event_run(x.event, 100 * 1000) >= 0);
	assert_int_equal(
		tb_log_count(x.tb, "em-standin", "sbp1_nvme.json (late)"), 2);
	remove_board(&x, SYSTEM "/nvme/SBP1_NVMe");
	assert_int_equal(wait_count(&x, &x.got, EMC_REMOVED,
				    SYSTEM "/nvme/SBP1_NVMe/", true, 2),
			 2);
	assert_int_equal(count(&x.got, EMC_REMOVED, NULL, false), 2);
	assert_int_equal(count(&x.got, EMC_ADDED, NULL, false), 0);

	teardown_ctx(&x);
}

static const char bad_board[] =
	"{\"Name\": \"Test Board\", \"Type\": \"Board\", \"Probe\": \"TRUE\","
	" \"Exposes\": ["
	"  {\"Name\": \"Good A\", \"Type\": \"NVME1000\", \"Bus\": 1,"
	"   \"Address\": \"0x6a\"},"
	"  {\"Name\": \"Bad B\", \"Type\": \"NVME1000\", \"Address\": 106},"
	"  {\"Name\": \"Bad D\", \"Type\": \"NVME1000\", \"Bus\": \"$bus\"},"
	"  {\"Name\": \"Good C\", \"Type\": \"NVME1000\", \"Bus\": 2,"
	"   \"Thresholds\": [{\"Direction\": \"greater than\","
	"    \"Severity\": 1, \"Value\": 80}]}"
	"]}";

static const char sentinel_board[] =
	"{\"Name\": \"Sentinel\", \"Type\": \"Board\", \"Exposes\": ["
	"  {\"Name\": \"Good E\", \"Type\": \"NVME1000\", \"Bus\": 9}]}";

#define TEST_BOARD SYSTEM "/board/Test_Board"

static void test_malformed(void **state)
{
	struct ctx x;
	const char *file, *sentinel, *args[2];
	const struct threshold th[] = { { "greater than", 1, 80 } };
	const struct ev *e;
	uint64_t u;

	/* the stand-in starts before the source: write the files first */
	memset(&x, 0, sizeof(x));
	{
		struct testbed *tb = tb_new();

		file = tb_path(tb, "bad.json");
		tb_write_file(file, bad_board);
		sentinel = tb_path(tb, "sentinel.json");
		tb_write_file(sentinel, sentinel_board);
		x.tb = tb;
	}
	args[0] = file;
	args[1] = NULL;
	assert_true(sd_event_new(&x.event) >= 0);
	assert_true(sd_bus_open_system(&x.bus) >= 0);
	assert_true(sd_bus_attach_event(x.bus, x.event, 0) >= 0);
	start_em(&x, args);
	assert_int_equal(emc_source_new_dbus(x.bus, x.event, schemas, handler,
					     &x.got, &x.src),
			 0);

	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED, NULL, false, 2), 2);
	assert_int_equal(wait_count(&x, &x.got, EMC_INVALID, NULL, false, 2),
			 2);

	e = last(&x.got, EMC_ADDED, TEST_BOARD "/Good_A");
	assert_non_null(e);
	assert_int_equal(emc_record_get_uint(e->rec, "Address", &u), 0);
	assert_int_equal(u, 0x6a);
	e = last(&x.got, EMC_ADDED, TEST_BOARD "/Good_C");
	assert_non_null(e);
	assert_int_equal(emc_record_get_uint(e->rec, "Bus", &u), 0);
	assert_int_equal(u, 2);
	assert_int_equal(emc_record_n_children(e->rec, "Thresholds"), 1);
	{
		struct emc_record *t =
			emc_record_child(e->rec, "Thresholds", 0);
		const char *s;
		double d;

		assert_int_equal(emc_record_get_string(t, "Direction", &s), 0);
		assert_string_equal(s, th[0].direction);
		assert_int_equal(emc_record_get_uint(t, "Severity", &u), 0);
		assert_int_equal(u, 1);
		assert_int_equal(emc_record_get_double(t, "Value", &d), 0);
		assert_true(d == 80);
	}

	/* each rejection names the record and the key */
	for (size_t k = 0; k < x.got.n; k++) {
		const struct ev *v = &x.got.evs[k];

		if (v->event != EMC_INVALID)
			continue;
		assert_non_null(v->error);
		if (strstr(v->error, TEST_BOARD "/Bad_B")) {
			assert_non_null(strstr(v->error, "Bus"));
		} else {
			assert_non_null(strstr(v->error, TEST_BOARD "/Bad_D"));
			assert_non_null(strstr(v->error, "Bus"));
		}
	}

	/* a change elsewhere re-reads everything: the bad records are not
	 * reported again, the good one changes */
	assert_true(sd_bus_call_method(tb_bus(x.tb), EMC_EM_SERVICE, TEST_PATH,
				       TEST_IFACE, "SetRecordProperty", NULL,
				       NULL, "ossv", TEST_BOARD "/Good_A",
				       NVME_IFACE, "Bus", "t",
				       (uint64_t)7) >= 0);
	assert_int_equal(wait_count(&x, &x.got, EMC_CHANGED,
				    TEST_BOARD "/Good_A", false, 1),
			 1);
	e = last(&x.got, EMC_CHANGED, TEST_BOARD "/Good_A");
	assert_int_equal(emc_record_get_uint(e->rec, "Bus", &u), 0);
	assert_int_equal(u, 7);

	add_boards(&x, sentinel, NULL);
	assert_int_equal(wait_count(&x, &x.got, EMC_ADDED,
				    SYSTEM "/board/Sentinel/Good_E", false, 1),
			 1);
	assert_int_equal(count(&x.got, EMC_INVALID, NULL, false), 2);
	assert_int_equal(count(&x.got, EMC_ADDED, NULL, false), 3);
	assert_int_equal(count(&x.got, EMC_REMOVED, NULL, false), 0);

	teardown_ctx(&x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_files),
		cmocka_unit_test(test_restart),
		cmocka_unit_test(test_restart_gradual),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
