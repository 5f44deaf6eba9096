// SPDX-License-Identifier: Apache-2.0
/*
 * The reconcile event stream: what every source (D-Bus and JSON) does on
 * each read, emc_source_reconcile() (src/emconfig/internal.h) on a
 * sequence of record sets, with a handler that keeps the records it was
 * given, as a daemon does (see test/emconfig/test-source.c).
 *
 * Input: rounds, each a set of records from a small universe made to
 * collide: Names that escape alike ("c 0", "c-0", "c0"), two boards, the
 * Types of both daemons, an unknown Type and none, valid and invalid
 * values, sub-records; a round may be fed twice, and may have the handler
 * free the source in the middle of delivery.
 *
 * Invariants, against the handler's own view (the records ADDED and
 * CHANGED, less those REMOVED): events come REMOVED, CHANGED, ADDED, then
 * INVALID; ADDED is for a path and Type the view does not have, CHANGED
 * and REMOVED for one it has, CHANGED only for other content; after each
 * round the view is the source's delivered set and part of the round's
 * set; every record in it is valid, and no two of one Type have Names
 * that escape alike; a valid record missing from it lost its Name or
 * path to one in it; a delivered record seen again unchanged gets no
 * event; the same set fed again gives no event at all (nothing is
 * reported twice); a handler may free the source.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <systemd/sd-event.h>

#include "fuzz-schemas.h"
#include "fuzz.h"
#include "src/emconfig/internal.h"
#include "utf8.h"

#define MAX_SET	   12
#define MAX_VIEW   64
#define MAX_EVENTS 64
#define MAX_ROUNDS 24

/*
 * Sets may hold two records at one path and Type in any read: the JSON
 * source's file can hold Names that escape alike on one board, and a
 * delivered record seen again unchanged beside such a twin must stay as
 * it is (no CHANGED to the same content).
 */

static const char *const names[] = {
	"c0", "c 0",   "c-0",	 "C0", "c1", "cable\xc3\xa9",
	"",   "nvme0", "nvme 0", NULL, /* a Name far too long, made below */
};
static const char *const boards[] = {
	"/xyz/openbmc_project/inventory/system/board/B",
	"/xyz/openbmc_project/inventory/system/board/C",
};
static const char *const types[] = { "GPIOCableSensing", "NVME1000", "Unknown",
				     NULL };
static const char *const lines[] = { "L0", "L1", "L2", "" };
static const char *const polarities[] = { "active_low", "active_high", "up",
					  NULL };
static const char *const directions[] = { "greater than", "less than", "more" };

struct event {
	enum emc_event event;
	struct emc_record *rec;
	char *error;
};

struct state {
	sd_event *event;
	struct emc_source *source;
	/* the handler's view */
	struct emc_record *view[MAX_VIEW];
	size_t n_view;
	/* this round's events */
	struct event events[MAX_EVENTS];
	size_t n_events;
	/* free the source at this event (0: never) */
	size_t free_at;
	bool freed;
};

static const struct emc_source_ops plain_ops = {
	.size = sizeof(struct emc_source),
};

static bool same_key(const struct emc_record *a, const struct emc_record *b)
{
	return strcmp(a->path, b->path) == 0 &&
	       (a->type == b->type ||
		(a->type && b->type && strcmp(a->type, b->type) == 0));
}

static size_t view_find(const struct state *st, const struct emc_record *r)
{
	for (size_t i = 0; i < st->n_view; i++)
		if (same_key(st->view[i], r))
			return i;
	return SIZE_MAX;
}

static void handler(enum emc_event event, const struct emc_record *rec,
		    const char *error, void *userdata)
{
	struct state *st = userdata;
	size_t i = view_find(st, rec);

	FUZZ_CHECK(st->n_events < MAX_EVENTS, "too many events");
	st->events[st->n_events++] = (struct event){
		.event = event,
		.rec = emc_record_ref(rec),
		.error = error ? fuzz_oom(strdup(error)) : NULL,
	};
	switch (event) {
	case EMC_ADDED:
		FUZZ_CHECK(i == SIZE_MAX, "'%s' added twice", rec->path);
		FUZZ_CHECK(st->n_view < MAX_VIEW, "view full");
		st->view[st->n_view++] = emc_record_ref(rec);
		break;
	case EMC_CHANGED:
		FUZZ_CHECK(i != SIZE_MAX, "'%s' changed, never added",
			   rec->path);
		FUZZ_CHECK(!emc_record_equal(st->view[i], rec),
			   "'%s' changed to the same content", rec->path);
		emc_record_unref(st->view[i]);
		st->view[i] = emc_record_ref(rec);
		break;
	case EMC_REMOVED:
		FUZZ_CHECK(i != SIZE_MAX, "'%s' removed, never added",
			   rec->path);
		FUZZ_CHECK(emc_record_equal(st->view[i], rec),
			   "'%s' removed with other content", rec->path);
		emc_record_unref(st->view[i]);
		st->view[i] = st->view[--st->n_view];
		break;
	case EMC_INVALID:
		FUZZ_CHECK(error && utf8_is_valid(error) &&
				   strncmp(error, "record '", 8) == 0,
			   "refusal of '%s' without a proper message",
			   rec->path);
		break;
	}
	if (st->free_at && st->n_events == st->free_at) {
		/* as a daemon quitting from a handler would */
		st->source = emc_source_free(st->source);
		st->freed = true;
	}
}

static void events_clear(struct state *st)
{
	for (size_t i = 0; i < st->n_events; i++) {
		emc_record_unref(st->events[i].rec);
		free(st->events[i].error);
	}
	st->n_events = 0;
}

static void view_clear(struct state *st)
{
	for (size_t i = 0; i < st->n_view; i++)
		emc_record_unref(st->view[i]);
	st->n_view = 0;
}

static void source_new(struct state *st)
{
	FUZZ_CHECK(emc_source_alloc(&plain_ops, st->event, fz_schemas, handler,
				    st, &st->source) == 0,
		   "no source");
	view_clear(st);
}

/* ---- the records --------------------------------------------------------- */

static void set_string(struct emc_record *r, const char *key, const char *s)
{
	struct emc_value v = { .type = EMC_VALUE_STRING,
			       .s = fuzz_oom(strdup(s)) };

	FUZZ_CHECK(emc_record_take_prop(r, key, &v) == 0, "no property");
}

static void set_uint(struct emc_record *r, const char *key, uint64_t u)
{
	struct emc_value v = { .type = EMC_VALUE_UINT, .u = u };

	FUZZ_CHECK(emc_record_take_prop(r, key, &v) == 0, "no property");
}

static void set_double(struct emc_record *r, const char *key, double d)
{
	struct emc_value v = { .type = EMC_VALUE_DOUBLE, .d = d };

	FUZZ_CHECK(emc_record_take_prop(r, key, &v) == 0, "no property");
}

static struct emc_record *read_record(struct fuzz_in *in)
{
	static char long_name[300];
	uint8_t a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);
	const char *name = names[a % ARRAY_SIZE(names)];
	const char *board = boards[(a >> 4) & 1];
	const char *type = types[(a >> 5) & 3];
	_cleanup_free_ char *escaped = NULL, *path = NULL;
	struct emc_record *r = NULL;

	if (!name) {
		memset(long_name, 'n', sizeof(long_name) - 1);
		name = long_name;
	}
	escaped = fuzz_oom(emc_escape(name));
	if (b & 0x80) /* a path that is not the Name's */
		path = fuzz_asprintf("%s/p%u", board, b & 3);
	else if (!*escaped)
		path = fuzz_asprintf("%s/Exposes[%u]", board, b & 3);
	else
		path = fuzz_asprintf("%s/%s", board, escaped);
	FUZZ_CHECK(emc_record_new(path, board, type, &r) == 0, "no record");
	if (!type) {
		/* as the JSON parser makes one */
		FUZZ_CHECK(emc_record_set_error(
				   r, "key 'Type': missing or not a string") ==
				   0,
			   "no error");
		emc_record_seal(r);
		return r;
	}
	if (b & 0x40)
		set_uint(r, "Name", 5); /* not a string */
	else
		set_string(r, "Name", name);
	if (type == types[0]) {
		if (c & 3)
			set_string(r, "GpioLine", lines[c & 3]);
		if (polarities[(c >> 2) & 3])
			set_string(r, "Polarity", polarities[(c >> 2) & 3]);
		if (c & 0x10)
			set_uint(r, "PollIntervalMs", c & 0x20 ? 5 : 100);
		if ((c & 0xc0) == 0xc0)
			set_string(r, "Polarty", "active_low");
	} else if (type == types[1]) {
		size_t n_th = (c >> 4) % 3;

		if (c & 3)
			set_uint(r, "Bus", c & 2 ? (c & 1) + 3 : 70000);
		if (c & 4)
			set_string(r, "Bus", c & 8 ? "0x3" : "three");
		for (size_t i = 0; i < n_th; i++) {
			struct emc_record *t = NULL;
			uint8_t d = fuzz_u8(in);

			FUZZ_CHECK(emc_record_new(path, board, "Thresholds",
						  &t) == 0,
				   "no sub-record");
			t->order = (long)i;
			set_string(t, "Direction", directions[d % 3]);
			set_uint(t, "Severity", (d >> 2) % 6);
			set_double(t, "Value",
				   d & 0x80 ? 5000.5 : (d >> 4) * 10);
			FUZZ_CHECK(emc_record_add_child(r, "Thresholds", t) ==
					   0,
				   "no sub-record");
			emc_record_unref(t);
		}
	}
	emc_record_seal(r);
	return r;
}

/* ---- the checks ------------------------------------------------------------ */

static bool valid_alone(const struct emc_record *r)
{
	const struct emc_schema *schema = fz_schema(r->type);

	return schema && emc_validate(schema, r, NULL) == 0 &&
	       emc_record_name(r);
}

static bool collides(const struct emc_record *a, const struct emc_record *b)
{
	if (same_key(a, b))
		return true;
	return a->type && b->type && strcmp(a->type, b->type) == 0 &&
	       emc_record_name(a) && emc_record_name(b) &&
	       emc_escaped_equal(emc_record_name(a), emc_record_name(b));
}

static int rank(enum emc_event e)
{
	switch (e) {
	case EMC_REMOVED:
		return 0;
	case EMC_CHANGED:
		return 1;
	case EMC_ADDED:
		return 2;
	default:
		return 3;
	}
}

static bool in_set(struct emc_record *const *set, size_t n,
		   const struct emc_record *r)
{
	for (size_t i = 0; i < n; i++)
		if (same_key(set[i], r) && emc_record_equal(set[i], r))
			return true;
	return false;
}

static void check_round(const struct state *st, struct emc_record **set,
			size_t n, struct emc_record *const *before,
			size_t n_before)
{
	const struct emc_source *s = st->source;

	for (size_t i = 0; i + 1 < st->n_events; i++)
		FUZZ_CHECK(rank(st->events[i].event) <=
				   rank(st->events[i + 1].event),
			   "event %d after %d", st->events[i + 1].event,
			   st->events[i].event);
	for (size_t i = 0; i < st->n_events; i++) {
		const struct event *e = &st->events[i];

		if (e->event == EMC_ADDED || e->event == EMC_CHANGED ||
		    e->event == EMC_INVALID)
			FUZZ_CHECK(in_set(set, n, e->rec),
				   "event %d for '%s', not in the set",
				   e->event, e->rec->path);
	}

	/* the view is what the source says it delivered */
	FUZZ_CHECK(s->n_delivered == st->n_view,
		   "%zu delivered, the handler has %zu", s->n_delivered,
		   st->n_view);
	for (size_t i = 0; i < st->n_view; i++) {
		const struct emc_record *v = st->view[i];

		FUZZ_CHECK(in_set(s->delivered, s->n_delivered, v),
			   "'%s' in the view, not delivered", v->path);
		FUZZ_CHECK(in_set(set, n, v), "'%s' kept, not in the set",
			   v->path);
		FUZZ_CHECK(valid_alone(v), "'%s' delivered, not valid",
			   v->path);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(!collides(v, st->view[j]),
				   "'%s' and '%s' both delivered", v->path,
				   st->view[j]->path);
	}

	for (size_t i = 0; i < n; i++) {
		const struct emc_record *r = set[i];
		bool lost = false;
		size_t same = 0;

		/* a valid record is delivered, or lost to one that is */
		if (valid_alone(r) && !in_set(st->view, st->n_view, r)) {
			for (size_t j = 0; j < st->n_view && !lost; j++)
				lost = collides(r, st->view[j]);
			FUZZ_CHECK(lost, "valid '%s' (%s) not delivered",
				   r->path, r->type);
		}
		/* a delivered record seen again alone and unchanged: quiet */
		for (size_t j = 0; j < n; j++)
			same += same_key(set[j], r);
		if (same != 1 || !in_set(before, n_before, r) ||
		    !valid_alone(r))
			continue;
		for (size_t e = 0; e < st->n_events; e++)
			FUZZ_CHECK(!same_key(st->events[e].rec, r),
				   "unchanged '%s' got event %d", r->path,
				   st->events[e].event);
		FUZZ_CHECK(in_set(st->view, st->n_view, r),
			   "unchanged '%s' dropped", r->path);
	}
}

/* Feed the set; false when the handler freed the source. */
static bool feed(struct state *st, struct emc_record **set, size_t n)
{
	struct emc_record *before[MAX_VIEW];
	size_t n_before = st->n_view;
	int q;

	for (size_t i = 0; i < n_before; i++)
		before[i] = emc_record_ref(st->view[i]);
	events_clear(st);
	st->freed = false;
	q = emc_source_reconcile(st->source, set, n);
	FUZZ_CHECK(q == (st->freed ? 1 : 0), "reconcile returned %d (%s)", q,
		   st->freed ? "freed" : "not freed");
	if (!st->freed)
		check_round(st, set, n, before, n_before);
	for (size_t i = 0; i < n_before; i++)
		emc_record_unref(before[i]);
	return !st->freed;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st;
	struct fuzz_in in = { data, size };
	size_t rounds = 0;

	if (!st.event && sd_event_new(&st.event) < 0)
		abort();
	source_new(&st);
	while (!fuzz_done(&in) && rounds++ < MAX_ROUNDS) {
		uint8_t op = fuzz_u8(&in);
		struct emc_record *set[MAX_SET];
		size_t want = op % (MAX_SET + 1), n;

		st.free_at = op & 0x40 ? 1 + fuzz_u8(&in) % 8 : 0;
		n = 0;
		for (size_t i = 0; i < want; i++)
			set[n++] = read_record(&in);
		if (!feed(&st, set, n)) {
			source_new(&st);
		} else if (op & 0x80) {
			st.free_at = 0;
			feed(&st, set, n);
			FUZZ_CHECK(st.n_events == 0,
				   "the same set again: %zu events, the first "
				   "%d for '%s'",
				   st.n_events, st.events[0].event,
				   st.events[0].rec->path);
		}
		for (size_t i = 0; i < n; i++)
			emc_record_unref(set[i]);
	}
	events_clear(&st);
	view_clear(&st);
	st.source = emc_source_free(st.source);
	return 0;
}
