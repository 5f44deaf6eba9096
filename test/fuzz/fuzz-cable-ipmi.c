// SPDX-License-Identifier: Apache-2.0
/*
 * libcable-ipmi's SDRs (src/cable-ipmi): cables under several parent
 * objects grouped (sdr.c), then every group's type 03h record and the
 * responses of both reading commands built (record.c) for states read
 * from the input.
 *
 * Input: cables, each a flags byte (bit 0 present, bits 1..2 the parent,
 * bit 3 a duplicate of an earlier cable's name, bit 4 a name of bytes)
 * and its name (an earlier cable's, bytes, or a prefix from a table and
 * an index), up to a flags byte ffh; then, per group, two bytes of
 * unreadable members.
 *
 * Invariants: a name reads back as itself unless it is sdbusplus's
 * "_XX" escape, which decodes to fewer, printable bytes; SDR names are
 * unique across parents; every distinct
 * (parent, name) is the member of exactly one group, member i of a group
 * is the first cable of that name, all members of a group share their
 * parent, and bit i of the mask is member i's presence; the record is
 * byte for byte IPMI 2.0 table 43-3 with the group's name as its ID; the
 * responses carry exactly the readable members' bits, "unavailable"
 * when one is unreadable, and nothing past the members.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cable-ipmi.h"
#include "fuzz.h"
#include "src/cable-ipmi/sdr.h"

#define MAX_CABLES 48

static const char *const parents[] = { NULL, "/inv/a", "/inv/b", "" };
static const char *const prefixes[] = {
	"cdfp", "c", "frontpanelcableA", "frontpanelcableB", "osfp", ""
};

static bool same_parent(const struct sdr_cable *a, const struct sdr_cable *b)
{
	return strcmp(a->parent ? a->parent : "", b->parent ? b->parent : "") ==
	       0;
}

static bool same_cable(const struct sdr_cable *a, const struct sdr_cable *b)
{
	return same_parent(a, b) && strcmp(a->name, b->name) == 0;
}

/* The first cable with c[i]'s parent and name. */
static size_t first_of(const struct sdr_cable *c, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (same_cable(&c[k], &c[i]))
			return k;
	return i;
}

/* The name of the object "/inv/<name>" (name a valid segment): name
 * itself unless it is sdbusplus's escape, which decodes to fewer,
 * printable bytes. */
static void check_name(const char *name)
{
	char *path, *n;

	/* only what can be an object path segment: [A-Za-z0-9_] */
	if (!*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "abcdefghijklmnopqrstuvwxyz0123456789_") !=
			      strlen(name))
		return;
	path = fuzz_asprintf("/inv/%s", name);
	n = fuzz_oom(sdr_name_from_path(path));

	if (name[0] != '_' || strcmp(n, name) == 0) {
		FUZZ_CHECK(strcmp(n, name) == 0, "'%s' read as '%s'", name, n);
	} else {
		FUZZ_CHECK(strlen(n) < strlen(name), "'%s' decoded to '%s'",
			   name, n);
		for (const char *p = n; *p; p++)
			FUZZ_CHECK(*p >= 0x20 && *p <= 0x7e,
				   "'%s' decoded to byte %02x", name,
				   (unsigned char)*p);
	}
	free(n);
	free(path);
}

static void check_record(const struct sdr_group *g, size_t k)
{
	const struct cable_ipmi_key key = { .record_id = (uint16_t)(k * 257),
					    .owner_id = 0x20,
					    .owner_lun = (uint8_t)k,
					    .sensor_number = (uint8_t)k };
	uint8_t buf[CABLE_IPMI_RECORD_MAX + 1];
	size_t len = strlen(g->name);
	int n;

	memset(buf, 0x5a, sizeof(buf));
	n = cable_ipmi_build_record(g->name, (uint8_t)k, &key, buf,
				    CABLE_IPMI_RECORD_MAX);
	FUZZ_CHECK(n == (int)(17 + len), "'%s': record of %d bytes", g->name,
		   n);
	FUZZ_CHECK(buf[n] == 0x5a, "'%s': written past the record", g->name);
	FUZZ_CHECK(buf[0] == (uint8_t)key.record_id &&
			   buf[1] == (uint8_t)(key.record_id >> 8) &&
			   buf[2] == 0x51 && buf[3] == 0x03 &&
			   buf[4] == n - 5 && buf[5] == 0x20 &&
			   buf[6] == (k & 3) && buf[7] == (uint8_t)k &&
			   buf[8] == 0x1f && buf[9] == (k & 0x7f) &&
			   buf[10] == 0x1b && buf[11] == 0x70 &&
			   buf[16] == (0xc0 | len),
		   "'%s': bad header, key or body", g->name);
	FUZZ_CHECK(memcmp(buf + 17, g->name, len) == 0, "'%s': ID '%.*s'",
		   g->name, (int)len, (const char *)buf + 17);
	FUZZ_CHECK(cable_ipmi_build_record(g->name, 0, &key, buf,
					   (size_t)n - 1) == -ENOBUFS,
		   "'%s': record into a short buffer", g->name);
}

static void check_state(const struct sdr_group *g, uint16_t unreadable)
{
	const struct cable_ipmi_state s = { .mask = g->mask,
					    .unreadable = unreadable,
					    .count = g->count };
	uint16_t valid = (uint16_t)((1u << g->count) - 1);
	uint16_t bits = g->mask & ~unreadable & valid;
	uint8_t flags = unreadable & valid ? 0x60 : 0x40;
	uint8_t ev[CABLE_IPMI_EVENT_STATUS_SIZE], rd[CABLE_IPMI_READING_SIZE];

	FUZZ_CHECK(cable_ipmi_build_event_status(&s, ev, sizeof(ev)) == 5 &&
			   cable_ipmi_build_reading(&s, rd, sizeof(rd)) == 4,
		   "'%s': response sizes", g->name);
	FUZZ_CHECK(ev[0] == flags && rd[1] == flags, "'%s': flags %02x %02x",
		   g->name, ev[0], rd[1]);
	FUZZ_CHECK((ev[1] | ev[2] << 8) == bits && ev[3] == 0 && ev[4] == 0,
		   "'%s': event status %02x %02x for bits %04x", g->name, ev[1],
		   ev[2], bits);
	FUZZ_CHECK(rd[0] == 0 && rd[2] == (bits & 0xff) &&
			   rd[3] == (0x80 | bits >> 8),
		   "'%s': reading %02x %02x for bits %04x", g->name, rd[2],
		   rd[3], bits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct sdr_cable c[MAX_CABLES];
	char *names[MAX_CABLES];
	bool seen[MAX_CABLES] = { false };
	struct sdr_group *g = NULL;
	size_t n = 0, distinct = 0, members = 0;
	int r;

	while (!fuzz_done(&in) && n < MAX_CABLES) {
		uint8_t flags = fuzz_u8(&in);

		if (flags == 0xff)
			break; /* the cables end, the states follow */
		if ((flags & 8) && n)
			names[n] = fuzz_oom(strdup(names[fuzz_u8(&in) % n]));
		else if (flags & 16)
			names[n] = fuzz_string(&in, 24);
		else
			names[n] = fuzz_asprintf(
				"%s%u",
				prefixes[fuzz_u8(&in) % ARRAY_SIZE(prefixes)],
				fuzz_u8(&in) % 20);
		c[n] = (struct sdr_cable){ .name = names[n],
					   .present = flags & 1,
					   .parent =
						   parents[(flags >> 1) & 3] };
		n++;
	}

	for (size_t i = 0; i < n; i++)
		check_name(names[i]);
	r = sdr_group_cables(c, n, &g);
	FUZZ_CHECK(r >= 0 && (size_t)r <= n, "%d groups for %zu cables", r, n);
	for (size_t i = 0; i < n; i++)
		distinct += first_of(c, i) == i;
	for (int k = 0; k < r; k++) {
		const struct sdr_group *x = &g[k];

		for (int j = 0; j < k; j++)
			FUZZ_CHECK(strcmp(x->name, g[j].name) != 0,
				   "SDR name '%s' twice", x->name);
		for (unsigned i = 0; i < x->count; i++) {
			size_t m = x->member[i];

			FUZZ_CHECK(m < n && first_of(c, m) == m && !seen[m],
				   "'%s': member %u is cable %zu", x->name, i,
				   m);
			seen[m] = true;
			FUZZ_CHECK(same_parent(&c[m], &c[x->member[0]]),
				   "'%s': members of two parents", x->name);
			FUZZ_CHECK(!!(x->mask & (1u << i)) == c[m].present,
				   "'%s': bit %u is not '%s''s presence",
				   x->name, i, c[m].name);
		}
		members += x->count;
		check_record(x, (size_t)k);
		check_state(x, fuzz_u16(&in));
	}
	FUZZ_CHECK(members == distinct, "%zu members for %zu cables", members,
		   distinct);
	sdr_groups_free(g, (size_t)r);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	return 0;
}
