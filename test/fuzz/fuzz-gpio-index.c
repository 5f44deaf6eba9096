// SPDX-License-Identifier: Apache-2.0
/*
 * The GPIO line index (src/cable-presenced/gpio-index.h): chips and their
 * line names as the kernel reports them (any bytes, unnamed lines,
 * the same name on several lines and chips), built as an adapter builds
 * it, then looked up.
 *
 * Input: operations: add a chip, add a line (chip, offset, name: one of
 * a few shared names, or bytes of its own), note an error that left a
 * chip out; after the index is sealed, the rest of the input is names to
 * look up.
 *
 * Invariants, against a list of what was added: a name is found on the
 * first chip in the order chips were added that has a line of that name,
 * at that chip's lowest such offset, and the chip string is the one
 * added; a name no line has is -ENOENT, or the first error noted; unnamed
 * lines are not indexed; the counts are what was added.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "src/cable-presenced/gpio-index.h"

#define MAX_CHIPS 16
#define MAX_LINES 256

static const char *const shared[] = {
	"", "presence_cable0", "presence_cable1", "cable0", "CABLE0", "x",
};

struct line {
	unsigned chip, offset;
	char *name; /* NULL: unnamed */
};

struct model {
	char *chips[MAX_CHIPS];
	size_t n_chips;
	struct line lines[MAX_LINES];
	size_t n_lines;
	int error;
};

static char *read_name(struct fuzz_in *in)
{
	uint8_t sel = fuzz_u8(in);

	if (sel % 8 == 7)
		return NULL;
	if (sel % 8 < ARRAY_SIZE(shared))
		return fuzz_oom(strdup(shared[sel % 8]));
	return fuzz_string(in, 24);
}

/* What a lookup of name must give. */
static int expected(const struct model *m, const char *name, unsigned *ret_chip,
		    unsigned *ret_offset)
{
	for (unsigned c = 0; c < m->n_chips; c++) {
		bool found = false;
		unsigned best = 0;

		for (size_t i = 0; i < m->n_lines; i++) {
			const struct line *l = &m->lines[i];

			if (l->chip != c || !l->name || !*l->name ||
			    strcmp(l->name, name) != 0)
				continue;
			if (!found || l->offset < best)
				best = l->offset;
			found = true;
		}
		if (found) {
			*ret_chip = c;
			*ret_offset = best;
			return 0;
		}
	}
	return m->error ? m->error : -ENOENT;
}

static void check_lookup(const struct gpio_index *idx, const struct model *m,
			 const char *name)
{
	const char *chip = NULL;
	unsigned offset = 0, want_chip = 0, want_offset = 0;
	int r = gpio_index_lookup(idx, name, &chip, &offset);
	int want = expected(m, name, &want_chip, &want_offset);

	FUZZ_CHECK(r == want, "'%s': %d, not %d", name, r, want);
	if (r < 0)
		return;
	FUZZ_CHECK(chip && strcmp(chip, m->chips[want_chip]) == 0 &&
			   offset == want_offset,
		   "'%s' found at %s:%u, not %s:%u", name, chip ? chip : "?",
		   offset, m->chips[want_chip], want_offset);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	_cleanup_(gpio_index_freep) struct gpio_index *idx = NULL;
	struct model m = { 0 };
	size_t named = 0;
	int r;

	FUZZ_CHECK(gpio_index_new(&idx) == 0, "no index");
	while (!fuzz_done(&in)) {
		uint8_t op = fuzz_u8(&in);

		if (op == 0xff)
			break; /* sealed: names to look up follow */
		if (op % 4 == 0 || m.n_chips == 0) {
			char *chip;

			if (m.n_chips == MAX_CHIPS)
				continue;
			chip = op & 0x80 ? fuzz_string(&in, 12) :
					   fuzz_oom(strdup("gpiochip"));
			r = gpio_index_add_chip(idx, chip);
			FUZZ_CHECK(r == (int)m.n_chips, "chip %zu numbered %d",
				   m.n_chips, r);
			m.chips[m.n_chips++] = chip;
		} else if (op % 4 == 3) {
			int err = -(int)(1 + fuzz_u8(&in) % 133);

			gpio_index_note_error(idx, err);
			if (!m.error)
				m.error = err;
		} else if (m.n_lines < MAX_LINES) {
			struct line *l = &m.lines[m.n_lines++];

			l->chip = fuzz_u8(&in) % m.n_chips;
			l->offset = fuzz_u8(&in) % 32;
			l->name = read_name(&in);
			FUZZ_CHECK(gpio_index_add_line(idx, l->chip, l->offset,
						       l->name) == 0,
				   "line refused");
			named += l->name && *l->name;
		}
	}
	gpio_index_seal(idx);
	FUZZ_CHECK(gpio_index_chips(idx) == m.n_chips, "%zu chips, not %zu",
		   gpio_index_chips(idx), m.n_chips);
	FUZZ_CHECK(gpio_index_lines(idx) == named, "%zu lines, not %zu",
		   gpio_index_lines(idx), named);

	for (size_t i = 0; i < m.n_lines; i++)
		if (m.lines[i].name)
			check_lookup(idx, &m, m.lines[i].name);
	for (size_t i = 0; i < ARRAY_SIZE(shared); i++)
		check_lookup(idx, &m, shared[i]);
	while (!fuzz_done(&in)) {
		_cleanup_free_ char *name = fuzz_string(&in, 24);

		check_lookup(idx, &m, name);
	}

	for (size_t i = 0; i < m.n_chips; i++)
		free(m.chips[i]);
	for (size_t i = 0; i < m.n_lines; i++)
		free(m.lines[i].name);
	return 0;
}
