// SPDX-License-Identifier: Apache-2.0
/*
 * The IPMI SDR grouping of cables (src/cable-ipmi/sdr.h),
 * sdr_group_cables() on cable names and presences from the input.
 *
 * Input: cables, each a flags byte (bit 0 present, bits 1..2 how the name
 * is made) and its name: bytes as they are; a prefix from a table of
 * real and awkward ones and a decimal index; a name that looks like a
 * range ("c[36-37]"); or a name used before (a duplicate).
 *
 * Invariants: SDR names are unique and at most SDR_NAME_MAX bytes; every
 * distinct cable name is in exactly one group and every member of a
 * group is a cable; a range has 2..SDR_MAX_STATES consecutive indexes and
 * is named "<prefix>[<first>-<last>]" in full; a name that is not cut is
 * the full name, a cut one keeps the "[a-b]" of a range, a renamed one
 * has its "~<n>"; bit i of the mask is the presence of member i (the
 * first cable of that name); grouping twice, or the cables in the other
 * order (all names distinct), gives the same groups.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fuzz.h"
#include "src/cable-ipmi/sdr.h"

#define MAX_CABLES 64

static const char *const prefixes[] = {
	"cdfp",	 "c",	 "cable", "frontpanelcableA", "frontpanelcableB",
	"pcie_", "slot", "x0",	  "c[36-37]",	      "frontpane~1",
	"",	 "7",
};

static char *make_name(struct fuzz_in *in, unsigned mode, char **names,
		       size_t n)
{
	uint32_t a, b;

	switch (mode) {
	case 0:
		return fuzz_string(in, 40);
	case 1:
		a = fuzz_u8(in);
		/* mostly small neighbours, sometimes anything */
		b = a & 0x80 ? fuzz_u32(in) : (a & 0x1f);
		return fuzz_asprintf(
			"%s%s%" PRIu32,
			prefixes[fuzz_u8(in) % ARRAY_SIZE(prefixes)],
			a & 0x40 ? "0" : "", b);
	case 2:
		a = fuzz_u8(in);
		b = a + fuzz_u8(in) % 16;
		return fuzz_asprintf(
			"%s[%" PRIu32 "-%" PRIu32 "]",
			prefixes[fuzz_u8(in) % ARRAY_SIZE(prefixes)], a, b);
	default:
		if (n == 0)
			return fuzz_oom(strdup("c0"));
		return fuzz_oom(strdup(names[fuzz_u8(in) % n]));
	}
}

/* The presence of the first cable called name, or -1 if none is. */
static int first_presence(const struct sdr_cable *c, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].present;
	return -1;
}

static bool groups_equal(const struct sdr_group *a, const struct sdr_group *b,
			 bool masks)
{
	return strcmp(a->name, b->name) == 0 &&
	       strcmp(a->full_name, b->full_name) == 0 &&
	       strcmp(a->prefix, b->prefix) == 0 &&
	       a->truncated == b->truncated && a->renamed == b->renamed &&
	       a->indexed == b->indexed && a->start == b->start &&
	       a->count == b->count && (!masks || a->mask == b->mask);
}

/* The groups that name is a member of; *ret_bit its bit in the last. */
static size_t memberships(const struct sdr_group *g, size_t ng,
			  const char *name, size_t *ret_group,
			  unsigned *ret_bit)
{
	size_t plen, count = 0;
	uint64_t index;
	bool split = sdr_split_name(name, &plen, &index);

	for (size_t k = 0; k < ng; k++) {
		if (!g[k].indexed) {
			if (strcmp(g[k].full_name, name) != 0)
				continue;
			*ret_bit = 0;
		} else {
			if (!split || strlen(g[k].prefix) != plen ||
			    strncmp(g[k].prefix, name, plen) != 0 ||
			    index < g[k].start ||
			    index >= g[k].start + g[k].count)
				continue;
			*ret_bit = (unsigned)(index - g[k].start);
		}
		*ret_group = k;
		count++;
	}
	return count;
}

static void check_split(const char *name)
{
	size_t plen = 0;
	uint64_t index = 0;
	char back[64];

	if (!sdr_split_name(name, &plen, &index))
		return;
	/* "prefix<index>" spells the name back */
	FUZZ_CHECK(plen > 0 && plen < strlen(name) && index <= UINT32_MAX,
		   "'%s' split at %zu", name, plen);
	snprintf(back, sizeof(back), "%.*s%" PRIu64, (int)plen, name, index);
	FUZZ_CHECK(strcmp(back, name) == 0, "'%s' split as '%s'", name, back);
}

static void check_groups(const struct sdr_cable *cables, size_t n,
			 const struct sdr_group *g, size_t ng)
{
	size_t members = 0, distinct = 0;

	for (size_t k = 0; k < ng; k++) {
		const struct sdr_group *x = &g[k];
		char full[64];

		FUZZ_CHECK(strnlen(x->name, sizeof(x->name)) <= SDR_NAME_MAX,
			   "group %zu: name not terminated", k);
		FUZZ_CHECK(x->full_name && x->prefix, "group %zu: no full name",
			   k);
		for (size_t j = 0; j < k; j++)
			FUZZ_CHECK(strcmp(x->name, g[j].name) != 0,
				   "SDR name '%s' twice ('%s', '%s')", x->name,
				   x->full_name, g[j].full_name);
		FUZZ_CHECK(x->count >= 1 && x->count <= SDR_MAX_STATES,
			   "'%s': %u members", x->full_name, x->count);
		FUZZ_CHECK(x->indexed == (x->count > 1),
			   "'%s': indexed with %u members", x->full_name,
			   x->count);
		FUZZ_CHECK((x->mask >> x->count) == 0,
			   "'%s': mask 0x%x for %u members", x->full_name,
			   x->mask, x->count);
		if (x->indexed) {
			snprintf(full, sizeof(full),
				 "%s[%" PRIu64 "-%" PRIu64 "]", x->prefix,
				 x->start, x->start + x->count - 1);
			FUZZ_CHECK(strcmp(full, x->full_name) == 0,
				   "range '%s' named '%s'", full, x->full_name);
		} else {
			FUZZ_CHECK(x->start == 0 &&
					   strcmp(x->prefix, x->full_name) ==
						   0 &&
					   first_presence(cables, n,
							  x->full_name) >= 0,
				   "single '%s' (prefix '%s') is no cable",
				   x->full_name, x->prefix);
		}
		if (!x->truncated)
			FUZZ_CHECK(strcmp(x->name, x->full_name) == 0,
				   "'%s' named '%s' and not cut", x->full_name,
				   x->name);
		FUZZ_CHECK(!x->renamed ||
				   (x->truncated && strchr(x->name, '~')),
			   "'%s' renamed '%s'", x->full_name, x->name);
		if (x->truncated && !x->renamed)
			FUZZ_CHECK(strlen(x->full_name) > SDR_NAME_MAX,
				   "'%s' cut to '%s'", x->full_name, x->name);
		if (x->indexed && x->truncated) {
			const char *suffix = strrchr(x->full_name, '[');
			const char *tag = strrchr(x->name, '~');
			size_t sl = strlen(suffix), nl = strlen(x->name);
			size_t tl = 0;

			/* the "~<n>" of a renamed one goes before it */
			if (x->renamed && tag)
				tl = 1 + strspn(tag + 1, "0123456789");
			if (tl + sl < SDR_NAME_MAX)
				FUZZ_CHECK(nl >= sl && strcmp(x->name + nl - sl,
							      suffix) == 0,
					   "range '%s' cut to '%s'",
					   x->full_name, x->name);
		}
		members += x->count;
	}

	for (size_t i = 0; i < n; i++) {
		size_t group = 0;
		unsigned bit = 0;
		size_t m;

		check_split(cables[i].name);
		if (first_presence(cables, i, cables[i].name) >= 0)
			continue; /* a duplicate */
		distinct++;
		m = memberships(g, ng, cables[i].name, &group, &bit);
		FUZZ_CHECK(m == 1, "cable '%s' in %zu groups", cables[i].name,
			   m);
		FUZZ_CHECK(!!(g[group].mask & (1u << bit)) == cables[i].present,
			   "cable '%s': bit %u of '%s' is not its presence",
			   cables[i].name, bit, g[group].full_name);
	}
	/* no group holds a member that is no cable */
	FUZZ_CHECK(members == distinct, "%zu members for %zu cables", members,
		   distinct);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct sdr_cable cables[MAX_CABLES], reversed[MAX_CABLES];
	char *names[MAX_CABLES];
	struct sdr_group *g = NULL, *g2 = NULL;
	size_t n = 0;
	bool dups = false;
	int r, r2;

	while (!fuzz_done(&in) && n < MAX_CABLES) {
		uint8_t flags = fuzz_u8(&in);

		names[n] = make_name(&in, (flags >> 1) & 3, names, n);
		cables[n] = (struct sdr_cable){ .name = names[n],
						.present = flags & 1 };
		dups |= first_presence(cables, n, names[n]) >= 0;
		n++;
	}

	r = sdr_group_cables(cables, n, &g);
	FUZZ_CHECK(r >= 0 && (size_t)r <= n, "%d groups for %zu cables", r, n);
	check_groups(cables, n, g, (size_t)r);

	r2 = sdr_group_cables(cables, n, &g2);
	FUZZ_CHECK(r2 == r, "grouped twice: %d, then %d groups", r, r2);
	for (int k = 0; k < r; k++)
		FUZZ_CHECK(groups_equal(&g[k], &g2[k], true),
			   "grouped twice: group %d differs", k);
	sdr_groups_free(g2, (size_t)r2);

	/* The order of the cables does not matter (the presence of a
	 * duplicate name does: the first one's wins). */
	for (size_t i = 0; i < n; i++)
		reversed[i] = cables[n - 1 - i];
	r2 = sdr_group_cables(reversed, n, &g2);
	FUZZ_CHECK(r2 == r, "reversed: %d, not %d groups", r2, r);
	for (int k = 0; k < r; k++)
		FUZZ_CHECK(groups_equal(&g[k], &g2[k], !dups),
			   "reversed: group '%s' is '%s'", g[k].full_name,
			   g2[k].full_name);
	sdr_groups_free(g2, (size_t)r2);
	sdr_groups_free(g, (size_t)r);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
