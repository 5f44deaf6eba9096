/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPMI SDR grouping (pure). See sdr.h for the rules.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "sdr.h"

struct entry {
	const char *name;
	const char *parent;
	size_t prefix_len;
	uint64_t index;
	bool indexed;
	bool present;
	size_t order;
};

bool sdr_split_name(const char *name, size_t *ret_prefix_len,
		    uint64_t *ret_index)
{
	size_t len, p;
	uint64_t v = 0;

	if (!name)
		return false;
	len = strlen(name);
	p = len;
	while (p > 0 && name[p - 1] >= '0' && name[p - 1] <= '9')
		p--;
	if (p == len || p == 0)
		return false; /* no index, or nothing but digits */
	if (name[p] == '0' && p + 1 < len)
		return false; /* "cable01" is not cable number 1 */
	if (len - p > 10)
		return false;
	for (size_t i = p; i < len; i++)
		v = v * 10 + (uint64_t)(name[i] - '0');
	if (v > UINT32_MAX)
		return false;

	if (ret_prefix_len)
		*ret_prefix_len = p;
	if (ret_index)
		*ret_index = v;
	return true;
}

static int prefix_cmp(const struct entry *a, const struct entry *b)
{
	size_t n = a->prefix_len < b->prefix_len ? a->prefix_len :
						   b->prefix_len;
	int r = strcmp(a->parent, b->parent);

	if (r)
		return r;
	r = memcmp(a->name, b->name, n);
	if (r)
		return r;
	if (a->prefix_len != b->prefix_len)
		return a->prefix_len < b->prefix_len ? -1 : 1;
	return 0;
}

/* Same name: same prefix, both indexed or not, same index. */
static int entry_key_cmp(const struct entry *a, const struct entry *b)
{
	int r = prefix_cmp(a, b);

	if (r)
		return r;
	if (a->indexed != b->indexed)
		return a->indexed ? 1 : -1;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	return 0;
}

/* By name, duplicates in their original order (qsort is not stable). */
static int entry_sort_cmp(const void *x, const void *y)
{
	const struct entry *a = x, *b = y;
	int r = entry_key_cmp(a, b);

	if (r)
		return r;
	return a->order < b->order ? -1 : a->order > b->order;
}

/* Fill g's names; returns 0 or -ENOMEM. */
static int group_name(struct sdr_group *g, const char *prefix,
		      size_t prefix_len, uint64_t first, uint64_t last,
		      bool range)
{
	char suffix[48] = "";
	size_t slen, keep;
	int n;

	if (range)
		snprintf(suffix, sizeof(suffix), "[%llu-%llu]",
			 (unsigned long long)first, (unsigned long long)last);
	else if (prefix_len != strlen(prefix))
		snprintf(suffix, sizeof(suffix), "%llu",
			 (unsigned long long)first);
	slen = strlen(suffix);

	n = asprintf(&g->full_name, "%.*s%s", (int)prefix_len, prefix, suffix);
	if (n < 0) {
		g->full_name = NULL;
		return -ENOMEM;
	}
	g->prefix = range ? strndup(prefix, prefix_len) : strdup(g->full_name);
	if (!g->prefix)
		return -ENOMEM;

	if ((size_t)n <= SDR_NAME_MAX) {
		memcpy(g->name, g->full_name, (size_t)n + 1);
		return 0;
	}
	g->truncated = true;
	if (range && slen < SDR_NAME_MAX) {
		/* Keep "[a-b]" whole so the range still parses. */
		keep = SDR_NAME_MAX - slen;
		memcpy(g->name, prefix, keep);
		memcpy(g->name + keep, suffix, slen + 1);
	} else {
		memcpy(g->name, g->full_name, SDR_NAME_MAX);
		g->name[SDR_NAME_MAX] = '\0';
	}
	return 0;
}

/* Does name end in "[<digits>-<digits>]", as a range's name does? */
static bool looks_like_range(const char *name)
{
	size_t len = strlen(name), i;
	size_t digits;

	if (len < 5 || name[len - 1] != ']')
		return false;
	i = len - 1;
	for (digits = 0; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		digits++;
	if (!digits || i == 0 || name[--i] != '-')
		return false;
	for (digits = 0; i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9'; i--)
		digits++;
	return digits && i > 0 && name[i - 1] == '[';
}

/* Is name the current name of a group other than g[self]? */
static bool name_taken(const struct sdr_group *g, size_t n, size_t self,
		       const char *name)
{
	for (size_t k = 0; k < n; k++)
		if (k != self && strcmp(g[k].name, name) == 0)
			return true;
	return false;
}

/*
 * Candidate n for g: "~<n>" after the name cut short to make room, and
 * before the range suffix for a range ("frontpane~1[0-1]"), so that the
 * suffix still parses.
 */
static void disambiguated_name(const struct sdr_group *g, unsigned n,
			       char ret[SDR_NAME_MAX + 1])
{
	char tag[16], suffix[48] = "";
	const char *base = g->prefix;
	size_t tlen, slen, keep;

	snprintf(tag, sizeof(tag), "~%u", n);
	tlen = strlen(tag);
	if (g->indexed)
		snprintf(suffix, sizeof(suffix), "[%llu-%llu]",
			 (unsigned long long)g->start,
			 (unsigned long long)(g->start + g->count - 1));
	slen = strlen(suffix);
	if (!g->indexed || tlen + slen >= SDR_NAME_MAX) {
		/* no range, or one too long to keep: cut the whole name */
		base = g->full_name;
		slen = 0;
	}
	keep = strlen(base);
	if (keep > SDR_NAME_MAX - tlen - slen)
		keep = SDR_NAME_MAX - tlen - slen;
	memcpy(ret, base, keep);
	memcpy(ret + keep, tag, tlen);
	memcpy(ret + keep + tlen, suffix, slen);
	ret[keep + tlen + slen] = '\0';
}

/* Is g's name exactly what it says (see make_names_unique)? */
static bool is_exact(const struct sdr_group *g)
{
	return !g->truncated && (g->indexed || !looks_like_range(g->name));
}

/*
 * Make the SDR names unique (sdr.h): a name that is exactly what it
 * says (the whole name of a cable, or the whole "prefix[a-b]" of a
 * range) is kept; a truncated name, or a cable's name that looks like a
 * range, that is some other group's name too is renamed.
 */
static int make_names_unique(struct sdr_group *g, size_t n)
{
	_cleanup_free_ bool *rename = NULL;

	if (n < 2)
		return 0;
	rename = calloc(n, sizeof(*rename));
	if (!rename)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		rename[i] = !is_exact(&g[i]) && name_taken(g, n, i, g[i].name);
	/* Exact names meet only across parents: the first keeps it. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = 0; k < i && !rename[i]; k++)
			rename[i] = is_exact(&g[i]) && is_exact(&g[k]) &&
				    strcmp(g[i].name, g[k].name) == 0;
	for (size_t i = 0; i < n; i++) {
		char name[SDR_NAME_MAX + 1];

		if (!rename[i])
			continue;
		for (unsigned k = 1;; k++) {
			disambiguated_name(&g[i], k, name);
			if (!name_taken(g, n, i, name))
				break;
		}
		memcpy(g[i].name, name, sizeof(name));
		g[i].truncated = true;
		g[i].renamed = true;
	}
	return 0;
}

static int unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *sdr_name_from_path(const char *path)
{
	const char *seg = strrchr(path, '/');
	char *out;
	size_t o = 0;

	seg = seg ? seg + 1 : path;
	if (seg[0] != '_')
		return strdup(seg);
	out = malloc(strlen(seg) + 1);
	if (!out)
		return NULL;
	for (const char *p = seg; *p; p++) {
		int hi = *p == '_' ? unhex(p[1]) : -1;
		int lo = hi >= 0 ? unhex(p[2]) : -1;
		int c = hi >= 0 && lo >= 0 ? hi * 16 + lo : -1;

		if (*p != '_') {
			out[o++] = *p;
			continue;
		}
		if (c < 0x20 || c > 0x7e) {
			/* not sdbusplus's escape: the segment as it is */
			free(out);
			return strdup(seg);
		}
		out[o++] = (char)c;
		p += 2;
	}
	out[o] = '\0';
	return out;
}

void sdr_groups_free(struct sdr_group *groups, size_t n)
{
	if (!groups)
		return;
	for (size_t i = 0; i < n; i++) {
		free(groups[i].full_name);
		free(groups[i].prefix);
	}
	free(groups);
}

/* The cables as entries, sorted for grouping; NULL when out of memory
 * (or n is 0). */
static struct entry *entries_new(const struct sdr_cable *cables, size_t n)
{
	struct entry *e;

	if (n == 0)
		return NULL;
	e = calloc(n, sizeof(*e));
	if (!e)
		return NULL;
	for (size_t k = 0; k < n; k++) {
		e[k].name = cables[k].name ? cables[k].name : "";
		e[k].parent = cables[k].parent ? cables[k].parent : "";
		e[k].present = cables[k].present;
		e[k].order = k;
		e[k].indexed = sdr_split_name(e[k].name, &e[k].prefix_len,
					      &e[k].index);
		if (!e[k].indexed)
			e[k].prefix_len = strlen(e[k].name);
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), entry_sort_cmp);
	return e;
}

/*
 * The group that starts at sorted entry i: consecutive indices of one
 * prefix, at most SDR_MAX_STATES, duplicate names counted once; or one
 * name that has no index. Fills cur's count, mask, indexed and start,
 * the last member in *ret_last, and returns the entry after the group.
 */
static size_t take_group(const struct entry *e, size_t n, size_t i,
			 struct sdr_group *cur, size_t *ret_last)
{
	size_t j = i + 1, last = i;

	cur->count = 1;
	cur->mask = e[i].present ? 1 : 0;
	cur->member[0] = e[i].order;
	if (e[i].indexed) {
		while (j < n && !prefix_cmp(&e[i], &e[j]) && e[j].indexed) {
			if (e[j].index == e[last].index) {
				j++; /* duplicate name */
				continue;
			}
			if (e[j].index != e[last].index + 1 ||
			    cur->count == SDR_MAX_STATES)
				break;
			if (e[j].present)
				cur->mask |= (uint16_t)(1u << cur->count);
			cur->member[cur->count] = e[j].order;
			cur->count++;
			last = j++;
		}
	} else {
		while (j < n && !entry_key_cmp(&e[i], &e[j]))
			j++; /* duplicate name */
	}
	cur->indexed = cur->count > 1;
	cur->start = cur->indexed ? e[i].index : 0;
	*ret_last = last;
	return j;
}

int sdr_group_cables(const struct sdr_cable *cables, size_t n,
		     struct sdr_group **ret)
{
	_cleanup_free_ struct entry *e = NULL;
	struct sdr_group *g = NULL;
	size_t ng = 0, i = 0;
	int r;

	if (n > 0) {
		e = entries_new(cables, n);
		g = calloc(n, sizeof(*g));
		if (!e || !g) {
			free(g);
			return -ENOMEM;
		}
	}
	while (i < n) {
		struct sdr_group *cur = &g[ng];
		size_t j, last;

		j = take_group(e, n, i, cur, &last);
		r = group_name(cur, e[i].name, e[i].prefix_len, e[i].index,
			       e[last].index, cur->indexed);
		ng++;
		if (r < 0) {
			sdr_groups_free(g, ng);
			return r;
		}
		i = j;
	}
	r = make_names_unique(g, ng);
	if (r < 0) {
		sdr_groups_free(g, ng);
		return r;
	}

	*ret = g;
	return (int)ng;
}
