/* SPDX-License-Identifier: Apache-2.0 */
/*
 * IPMI SDR grouping of cable presence objects, as the OpenBMC design
 * "gpio-based-cable-presence" describes it: cables whose names end in an
 * index are packed into discrete event-only sensors named "prefix[a-b]",
 * at most SDR_MAX_STATES consecutive indices each, so that bit i of the
 * assertion mask is the presence of "prefix<a+i>". Names without an
 * index (and groups of one) are an SDR of their own, named as the cable.
 *
 * SDR names are unique. IPMI ID strings hold 16 bytes, so longer names
 * are cut (a range keeps its "[a-b]" whole and loses prefix characters),
 * and two cut names can be the same ("frontpanelcableA[0-1]" and
 * "frontpanelcableB[0-1]" both make "frontpanelc[0-1]"); a cable may also
 * be named like a range ("c[36-37]", as c36 and c37 make). A name that is
 * exactly what it says (a cable's whole name that does not look like a
 * range, or a range's whole "prefix[a-b]") is kept. Every other name
 * that is also another group's is renamed, in group order: "~<n>", with
 * the lowest n that makes it unique, replaces its last characters, before
 * the "[a-b]" of a range: "frontpane~1[0-1]", "frontpane~2[0-1]",
 * "c[36-37]~1".
 *
 * Cables are grouped only with cables under the same parent object
 * (the design groups "<base><index> under the same parent path"): a
 * cdfp0 under one board and a cdfp1 under another are two SDRs. When
 * two parents give the same exact name, the group of the first parent
 * keeps it and the other is renamed as above.
 *
 * Pure: no I/O, no D-Bus. libcable-ipmi (cable-ipmi.h) builds on it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Discrete sensor states usable per SDR (the design's choice: 14). */
#define SDR_MAX_STATES 14
/* IPMI SDR ID string length (FULL_RECORD_ID_STR_MAX_LENGTH). */
#define SDR_NAME_MAX 16

struct sdr_cable {
	const char *name; /* object path file name, e.g. "cdfp0" */
	bool present;
	/* The parent object's path, or NULL: cables group only with cables
	 * of the same parent (NULL and "" are the same parent). */
	const char *parent;
};

struct sdr_group {
	/* SDR ID string, at most SDR_NAME_MAX characters. For a range the
	 * "[a-b]" suffix is kept whole and the prefix is shortened. */
	char name[SDR_NAME_MAX + 1];
	/* The untruncated name ("longprefix[0-3]"). */
	char *full_name;
	bool truncated; /* name is not full_name (cut or renamed) */
	bool renamed; /* "~<n>" made the name unique (see above) */
	bool indexed; /* a range "prefix[a-b]" (false: a single cable) */
	char *prefix; /* the name without the index (whole name if none) */
	uint64_t start; /* first index (0 when not indexed) */
	unsigned count; /* members, 1..SDR_MAX_STATES */
	uint16_t mask; /* bit i: presence of prefix<start + i> */
	/* member[i]: the index in the cables array of prefix<start + i>
	 * (of the first cable of that name, if there are duplicates). */
	size_t member[SDR_MAX_STATES];
};

/*
 * Split a trailing decimal index off name: "cdfp12" -> prefix length 4,
 * index 12. Returns true when name has an index: at least one trailing
 * digit, a non-empty prefix, no leading zero unless the index is "0"
 * itself (so that "prefix<index>" spells the name back), and a value
 * that fits in 32 bits.
 */
bool sdr_split_name(const char *name, size_t *ret_prefix_len,
		    uint64_t *ret_index);

/*
 * Group n cables into SDRs, sorted by parent, prefix then index. Duplicate names
 * are counted once (the first one's presence wins). Returns the number of
 * groups and a malloc'ed array in *ret (free with sdr_groups_free), or
 * -ENOMEM.
 */
int sdr_group_cables(const struct sdr_cable *cables, size_t n,
		     struct sdr_group **ret);

void sdr_groups_free(struct sdr_group *groups, size_t n);

/*
 * The cable name of an object path: its last segment, read back as
 * sdbusplus's object_path::filename() does (openbmc/sdbusplus
 * src/message/native_types.cpp), since entity-manager writes a segment
 * that starts with anything but a letter or digit with every such byte as
 * "_XX" in hex ("-rear cable" is published as "_5frear_5fcable", read
 * back as "_rear_cable"). A segment that does not decode, or decodes to
 * bytes that are not printable ASCII, is the name as it stands. Returns a
 * malloc'ed string, or NULL when out of memory.
 */
char *sdr_name_from_path(const char *path);
