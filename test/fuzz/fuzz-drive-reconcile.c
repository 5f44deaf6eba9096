// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's drive reconciler, rc_reconcile() and rc_endpoint_claim()
 * (src/nvmed/pure/reconcile.h), on a sequence of desired sets, applied to a
 * model of the daemon's drives as drives.c applies them.
 *
 * Input: rounds, each a desired set of drive configurations from a small
 * universe made to collide (Names that escape alike, one record path
 * wanted twice, basic drives on a mux channel and its root bus, NVMeMI
 * records and mctpd endpoints at one EID, endpoints configured_by an
 * NVME1000 record), whether the endpoints are partly known, and the EID
 * mctpd sets up (or not) for each NVME1000 mi_i2c drive without one
 * after each round.
 *
 * Invariants, after each round: each drive there got exactly one of
 * KEEP, UPDATE, REMOVE and each wanted one exactly one of KEEP, UPDATE,
 * CREATE, REFUSE, every REMOVE before anything else; KEEP only for the
 * same configuration, UPDATE only for one that may change in place; no
 * two basic drives at one device, no two drives at one endpoint, no two
 * drives with Names that escape alike; every wanted record drive exists
 * as wanted, or was refused for a drive that exists and is in its way
 * (or for the first record at its path); no endpoint drive at a
 * configured drive's endpoint or configured_by an NVME1000 mi_i2c
 * drive's record; and the same set again is a no-op.
 */
#include <string.h>

#include "fuzz.h"
#include "src/nvmed/pure/reconcile.h"

#define MAX_WANT   12
#define MAX_DRIVES (4 * MAX_WANT)
#define MAX_ROUNDS 16

static const char *const names[] = { "nvme 0", "nvme_0", "nvme-0", "nvme 1",
				     "NVMe 1", "e",	 "" };
static const char *const paths[] = { "/b/0", "/b/1", "/b/2", "/b/3", "/t/4" };
static const char *const endpoints[] = { "/ep/9", "/ep/10", "/ep/11" };
static const char *const boards[] = { NULL, "/board/A" };
static const unsigned buses[][2] = { { 3, 3 }, { 4, 4 }, { 20, 3 } };
static const uint8_t eids[] = { 9, 10, 11 };
static const uint64_t polls[] = { 0, 200, 2000 };
static struct threshold_set th_sets[2];

static void th_init(void)
{
	for (int i = 0; i < 2; i++) {
		threshold_set_init(&th_sets[i]);
		th_sets[i].t[THRESHOLD_CRITICAL_HIGH].value = 60 + i;
	}
}

static struct drive_config read_config(struct fuzz_in *in)
{
	static const enum drive_origin origins[] = {
		DRIVE_FROM_RECORD, DRIVE_FROM_ENDPOINT, DRIVE_FROM_JSON,
		DRIVE_FROM_BASIC,  DRIVE_FROM_PNVME,
	};
	uint8_t a = fuzz_u8(in), b = fuzz_u8(in), c = fuzz_u8(in);
	struct drive_config cfg;

	drive_config_init(&cfg);
	cfg.origin = origins[a % ARRAY_SIZE(origins)];
	cfg.name = names[(a / 5) % ARRAY_SIZE(names)];
	cfg.config_path = paths[b % ARRAY_SIZE(paths)];
	cfg.board = boards[(b >> 3) & 1];
	cfg.poll_ms = polls[((b >> 4) & 3) % ARRAY_SIZE(polls)];
	cfg.window = (b >> 6) & 1 ? 3 : 0;
	cfg.power_state = (b >> 7) ? POWER_ON : POWER_ALWAYS;
	if (c & 1) {
		cfg.thresholds = &th_sets[(c >> 1) & 1];
		cfg.th_index[THRESHOLD_CRITICAL_HIGH] = 0;
	}
	switch (cfg.origin) {
	case DRIVE_FROM_BASIC:
	case DRIVE_FROM_PNVME:
		cfg.i2c_bus = buses[(c >> 2) % 3][0];
		cfg.root_bus = buses[(c >> 2) % 3][1];
		cfg.i2c_addr = (c >> 4) & 1 ? 0x6b : 0x6a;
		cfg.pec = (c >> 5) & 1;
		break;
	case DRIVE_FROM_RECORD:
		cfg.i2c_bus = buses[(c >> 2) % 3][0];
		cfg.i2c_addr = 0x1d;
		break;
	case DRIVE_FROM_ENDPOINT:
		cfg.endpoint = endpoints[(c >> 2) % 3];
		cfg.net = 1;
		cfg.eid = eids[(c >> 2) % 3];
		break;
	case DRIVE_FROM_JSON:
		cfg.net = 1 + ((c >> 4) & 1);
		cfg.eid = eids[(c >> 2) % 3];
		break;
	}
	return cfg;
}

struct model {
	struct rc_drive d[MAX_DRIVES];
	size_t n;
};

static bool is_basic(const struct drive_config *c)
{
	return c->origin == DRIVE_FROM_BASIC || c->origin == DRIVE_FROM_PNVME;
}

static bool same_device(const struct drive_config *a,
			const struct drive_config *b)
{
	return is_basic(a) && is_basic(b) && a->i2c_addr == b->i2c_addr &&
	       (a->i2c_bus == b->i2c_bus || a->i2c_bus == b->root_bus ||
		a->root_bus == b->i2c_bus);
}

static bool same_key(const struct drive_config *a, const struct drive_config *b)
{
	bool ea = a->origin == DRIVE_FROM_ENDPOINT;

	if (ea != (b->origin == DRIVE_FROM_ENDPOINT))
		return false;
	return ea ? strcmp(a->endpoint, b->endpoint) == 0 :
		    strcmp(a->config_path, b->config_path) == 0;
}

static void model_remove(struct model *m, size_t i)
{
	memmove(&m->d[i], &m->d[i + 1], (m->n - i - 1) * sizeof(m->d[0]));
	m->n--;
}

/* The drive at m->d[i] is to poll (net, eid), as drives_set_endpoint()
 * does it. */
static bool claim(struct model *m, size_t i, uint32_t net, uint8_t eid)
{
	bool took = false;

	for (;;) {
		size_t other = RC_NONE;
		enum rc_claim r =
			rc_endpoint_claim(m->d, m->n, i, net, eid, &other);

		if (r == RC_CLAIM_REFUSED) {
			FUZZ_CHECK(m->d[other].cfg.origin !=
						   DRIVE_FROM_ENDPOINT ||
					   m->d[i].cfg.origin ==
						   DRIVE_FROM_ENDPOINT,
				   "an endpoint drive kept EID %u from a "
				   "configured drive",
				   eid);
			return took;
		}
		if (r == RC_CLAIM_OK)
			break;
		FUZZ_CHECK(m->d[other].cfg.origin == DRIVE_FROM_ENDPOINT,
			   "took EID %u over from a configured drive", eid);
		model_remove(m, other);
		took = true;
		if (other < i)
			i--;
	}
	m->d[i].have_endpoint = true;
	m->d[i].net = net;
	m->d[i].eid = eid;
	return took;
}

/* mctpd's replies to SetupEndpoint, each an EID or none, for the
 * NVME1000 mi_i2c drives without one; true if one took an endpoint
 * drive's over (drives_set_endpoint() then reconciles again). */
static bool replies(struct model *m, struct fuzz_in *in)
{
	bool took = false;

	for (size_t i = 0; i < m->n; i++)
		if (m->d[i].cfg.origin == DRIVE_FROM_RECORD &&
		    !m->d[i].have_endpoint && (fuzz_u8(in) & 1)) {
			size_t before = m->n;
			uint8_t eid = eids[fuzz_u8(in) % 3];

			took |= claim(m, i, 1, eid);
			/* a drive taken over before i moves it down */
			i -= before - m->n;
		}
	return took;
}

static size_t run(const struct model *m, const struct drive_config *want,
		  size_t n_want, bool partial, struct rc_action *acts)
{
	void *work = fuzz_oom(malloc(rc_work_size(m->n, n_want)));
	size_t n = rc_reconcile(m->d, m->n, want, n_want, partial, work, acts);

	/* FUZZ_TRACE=1: what was there, what was wanted, what was done */
	if (getenv("FUZZ_TRACE")) {
		for (size_t i = 0; i < m->n; i++)
			fprintf(stderr, "there %zu: %d '%s' %s %s ep %d/%u\n",
				i, m->d[i].cfg.origin, m->d[i].cfg.name,
				m->d[i].cfg.config_path,
				m->d[i].cfg.endpoint ? m->d[i].cfg.endpoint :
						       "-",
				m->d[i].have_endpoint, m->d[i].eid);
		for (size_t i = 0; i < n_want; i++)
			fprintf(stderr, "want %zu: %d '%s' %s %s eid %u\n", i,
				want[i].origin, want[i].name,
				want[i].config_path,
				want[i].endpoint ? want[i].endpoint : "-",
				want[i].eid);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr,
				"action: verb %d why %d cur %zd want "
				"%zd\n",
				acts[i].verb, acts[i].why, (ssize_t)acts[i].cur,
				(ssize_t)acts[i].want);
	}

	free(work);
	FUZZ_CHECK(n <= m->n + n_want, "%zu actions for %zu + %zu", n, m->n,
		   n_want);
	return n;
}

static void check_actions(const struct model *m,
			  const struct drive_config *want, size_t n_want,
			  const struct rc_action *a, size_t n)
{
	unsigned cur_seen[MAX_DRIVES] = { 0 }, want_seen[MAX_WANT] = { 0 };
	bool past_removes = false;

	for (size_t i = 0; i < n; i++) {
		if (a[i].verb != RC_REMOVE)
			past_removes = true;
		else
			FUZZ_CHECK(!past_removes, "REMOVE at %zu after others",
				   i);
		if (a[i].verb == RC_KEEP || a[i].verb == RC_UPDATE ||
		    a[i].verb == RC_REMOVE) {
			FUZZ_CHECK(a[i].cur < m->n, "cur %zu", a[i].cur);
			cur_seen[a[i].cur]++;
		}
		if (a[i].verb != RC_REMOVE && a[i].want != RC_NONE) {
			FUZZ_CHECK(a[i].want < n_want, "want %zu", a[i].want);
			want_seen[a[i].want]++;
		}
		if ((a[i].verb == RC_KEEP || a[i].verb == RC_UPDATE) &&
		    a[i].want != RC_NONE)
			FUZZ_CHECK(drive_config_diff(&m->d[a[i].cur].cfg,
						     &want[a[i].want]) ==
					   (a[i].verb == RC_KEEP ?
						    DRIVE_CONFIG_SAME :
						    DRIVE_CONFIG_IN_PLACE),
				   "verb %d for a change it does not fit",
				   a[i].verb);
		if (a[i].verb == RC_KEEP && a[i].want == RC_NONE)
			FUZZ_CHECK(m->d[a[i].cur].cfg.origin ==
					   DRIVE_FROM_ENDPOINT,
				   "a drive not wanted kept");
	}
	for (size_t c = 0; c < m->n; c++)
		FUZZ_CHECK(cur_seen[c] == 1, "drive %zu: %u actions", c,
			   cur_seen[c]);
	for (size_t w = 0; w < n_want; w++)
		FUZZ_CHECK(want_seen[w] == 1, "wanted %zu: %u actions", w,
			   want_seen[w]);
}

/* Carry the actions out on the model, as drives.c does. */
static void apply(struct model *m, const struct drive_config *want,
		  const struct rc_action *a, size_t n)
{
	size_t index[MAX_DRIVES], n_old = m->n;
	struct model next = { .n = 0 };

	/* the drives that stay, in order; then the new ones */
	for (size_t c = 0; c < n_old; c++)
		index[c] = c;
	for (size_t i = 0; i < n; i++)
		if (a[i].verb == RC_REMOVE)
			index[a[i].cur] = RC_NONE;
	for (size_t i = 0; i < n; i++)
		if (a[i].verb == RC_UPDATE)
			m->d[a[i].cur].cfg = want[a[i].want];
	for (size_t c = 0; c < n_old; c++)
		if (index[c] != RC_NONE)
			next.d[next.n++] = m->d[c];
	for (size_t i = 0; i < n; i++) {
		const struct drive_config *c;
		size_t at;

		if (a[i].verb != RC_CREATE)
			continue;
		c = &want[a[i].want];
		FUZZ_CHECK(next.n < MAX_DRIVES, "too many drives");
		at = next.n++;
		next.d[at] = (struct rc_drive){ .cfg = *c };
		if (c->origin == DRIVE_FROM_JSON ||
		    c->origin == DRIVE_FROM_ENDPOINT)
			(void)claim(&next, at, c->net, c->eid);
	}
	*m = next;
}

static bool clashes(const struct drive_config *a, const struct drive_config *b,
		    enum rc_why why)
{
	if (why == RC_WHY_DEVICE)
		return same_device(a, b);
	if (why == RC_WHY_NAME)
		return rc_names_clash(a->name, b->name);
	return false;
}

static void check_drives(const struct model *m, const struct drive_config *want,
			 size_t n_want, const struct rc_action *a, size_t n)
{
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = i + 1; j < m->n; j++) {
			const struct rc_drive *x = &m->d[i], *y = &m->d[j];

			FUZZ_CHECK(!same_device(&x->cfg, &y->cfg),
				   "'%s' and '%s' at one device", x->cfg.name,
				   y->cfg.name);
			FUZZ_CHECK(!(x->have_endpoint && y->have_endpoint &&
				     x->net == y->net && x->eid == y->eid),
				   "'%s' and '%s' at EID %u", x->cfg.name,
				   y->cfg.name, x->eid);
			FUZZ_CHECK(!rc_names_clash(x->cfg.name, y->cfg.name),
				   "'%s' and '%s': one name", x->cfg.name,
				   y->cfg.name);
		}
	/* record beats endpoint */
	for (size_t i = 0; i < m->n; i++) {
		const struct rc_drive *e = &m->d[i];

		if (e->cfg.origin != DRIVE_FROM_ENDPOINT)
			continue;
		for (size_t j = 0; j < m->n; j++) {
			const struct rc_drive *r = &m->d[j];

			if (r->cfg.origin == DRIVE_FROM_ENDPOINT)
				continue;
			FUZZ_CHECK(!(r->cfg.origin == DRIVE_FROM_RECORD &&
				     strcmp(r->cfg.config_path,
					    e->cfg.config_path) == 0),
				   "endpoint drive '%s' beside the record's",
				   e->cfg.name);
			FUZZ_CHECK(!(r->have_endpoint && e->have_endpoint &&
				     r->net == e->net && r->eid == e->eid),
				   "endpoint drive '%s' at a record's EID",
				   e->cfg.name);
		}
	}
	/* every wanted record drive exists, or something in its way does */
	for (size_t w = 0; w < n_want; w++) {
		const struct drive_config *c = &want[w];
		const struct rc_action *r = NULL;
		bool found = false;

		if (c->origin == DRIVE_FROM_ENDPOINT)
			continue;
		for (size_t i = 0; i < m->n && !found; i++)
			found = same_key(&m->d[i].cfg, c) &&
				drive_config_diff(&m->d[i].cfg, c) ==
					DRIVE_CONFIG_SAME;
		if (found)
			continue;
		for (size_t i = 0; i < n && !r; i++)
			if (a[i].verb == RC_REFUSE && a[i].want == w)
				r = &a[i];
		FUZZ_CHECK(r && r->other,
			   "record '%s' at %s neither made "
			   "nor refused for another",
			   c->name, c->config_path);
		if (r->why == RC_WHY_DUPLICATE) {
			FUZZ_CHECK(same_key(r->other, c) && r->other < c,
				   "duplicate of a later one");
			continue;
		}
		FUZZ_CHECK(clashes(r->other, c, r->why),
			   "'%s' refused (%d) for '%s', not in its way",
			   c->name, r->why, r->other->name);
		found = false;
		for (size_t i = 0; i < m->n && !found; i++)
			found = clashes(&m->d[i].cfg, c, r->why);
		FUZZ_CHECK(found, "'%s' refused for a drive not there",
			   c->name);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	static struct model m, prev;

	m.n = 0;
	th_init();
	for (int round = 0; round < MAX_ROUNDS && !fuzz_done(&in); round++) {
		struct drive_config want[MAX_WANT];
		struct rc_action acts[MAX_DRIVES + MAX_WANT];
		uint8_t op = fuzz_u8(&in);
		size_t n_want = op % (MAX_WANT + 1), n;
		bool partial = op & 0x80;

		for (size_t w = 0; w < n_want; w++)
			want[w] = read_config(&in);
		/* the actions point into the drives there were: kept */
		prev = m;
		n = run(&prev, want, n_want, partial, acts);
		check_actions(&prev, want, n_want, acts, n);
		apply(&m, want, acts, n);
		check_drives(&m, want, n_want, acts, n);
		if (replies(&m, &in)) {
			prev = m;
			n = run(&prev, want, n_want, partial, acts);
			check_actions(&prev, want, n_want, acts, n);
			apply(&m, want, acts, n);
			check_drives(&m, want, n_want, acts, n);
		}
		/* the same again: nothing to do */
		n = run(&m, want, n_want, partial, acts);
		check_actions(&m, want, n_want, acts, n);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(acts[i].verb == RC_KEEP ||
					   acts[i].verb == RC_REFUSE,
				   "the same set again: verb %d for '%s'",
				   acts[i].verb,
				   acts[i].want != RC_NONE ?
					   want[acts[i].want].name :
					   m.d[acts[i].cur].cfg.name);
	}
	return 0;
}
