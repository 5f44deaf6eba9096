// SPDX-License-Identifier: Apache-2.0
/*
 * The name -> (chip, offset) index of gpio.h, without I/O: the adapters
 * fill it (gpio-index.h), lookups are a binary search. Lines are sorted by
 * (name, chip order, offset), so the first match for a name is the one
 * gpiod_line_find would have returned: the first chip in search order,
 * the lowest offset on it.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gpio-index.h"

struct index_line {
	char *name;
	unsigned int chip;
	unsigned int offset;
};

struct gpio_index {
	char **chips;
	size_t n_chips, cap_chips;
	struct index_line *lines;
	size_t n_lines, cap_lines;
	int error; /* first error that left a chip out, 0 if none */
	bool sealed;
};

int gpio_index_new(struct gpio_index **ret)
{
	struct gpio_index *idx;

	assert(ret);
	idx = calloc(1, sizeof(*idx));
	if (!idx)
		return -ENOMEM;
	*ret = idx;
	return 0;
}

struct gpio_index *gpio_index_free(struct gpio_index *idx)
{
	if (!idx)
		return NULL;
	for (size_t i = 0; i < idx->n_chips; i++)
		free(idx->chips[i]);
	for (size_t i = 0; i < idx->n_lines; i++)
		free(idx->lines[i].name);
	free(idx->chips);
	free(idx->lines);
	free(idx);
	return NULL;
}

/* Room for one more element in *array (of size elem), doubling. */
static int grow(void **array, size_t n, size_t *cap, size_t elem)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? 2 * *cap : 16;
	if (c > SIZE_MAX / elem)
		return -ENOMEM;
	p = realloc(*array, c * elem);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = c;
	return 0;
}

int gpio_index_add_chip(struct gpio_index *idx, const char *chip)
{
	char *s;

	assert(idx && chip && !idx->sealed);
	if (idx->n_chips >= 0x7fffffff)
		return -E2BIG;
	if (grow((void **)&idx->chips, idx->n_chips, &idx->cap_chips,
		 sizeof(*idx->chips)) < 0)
		return -ENOMEM;
	s = strdup(chip);
	if (!s)
		return -ENOMEM;
	idx->chips[idx->n_chips] = s;
	return (int)idx->n_chips++;
}

int gpio_index_add_line(struct gpio_index *idx, unsigned int chip,
			unsigned int offset, const char *name)
{
	char *s;

	assert(idx && !idx->sealed && chip < idx->n_chips);
	if (!name || !*name)
		return 0;
	if (grow((void **)&idx->lines, idx->n_lines, &idx->cap_lines,
		 sizeof(*idx->lines)) < 0)
		return -ENOMEM;
	s = strdup(name);
	if (!s)
		return -ENOMEM;
	idx->lines[idx->n_lines++] = (struct index_line){
		.name = s,
		.chip = chip,
		.offset = offset,
	};
	return 0;
}

void gpio_index_note_error(struct gpio_index *idx, int err)
{
	assert(idx && err < 0);
	if (!idx->error)
		idx->error = err;
}

static int cmp_line(const void *a, const void *b)
{
	const struct index_line *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	if (r)
		return r;
	if (x->chip != y->chip)
		return x->chip < y->chip ? -1 : 1;
	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

void gpio_index_seal(struct gpio_index *idx)
{
	assert(idx && !idx->sealed);
	if (idx->n_lines > 1)
		qsort(idx->lines, idx->n_lines, sizeof(*idx->lines), cmp_line);
	idx->sealed = true;
}

int gpio_index_lookup(const struct gpio_index *idx, const char *name,
		      const char **ret_chip, unsigned int *ret_offset)
{
	size_t lo = 0, hi;

	assert(idx && idx->sealed && name && ret_chip && ret_offset);
	/* The first line whose name is not below name. */
	hi = idx->n_lines;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(idx->lines[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == idx->n_lines || strcmp(idx->lines[lo].name, name))
		return idx->error ? idx->error : -ENOENT;
	*ret_chip = idx->chips[idx->lines[lo].chip];
	*ret_offset = idx->lines[lo].offset;
	return 0;
}

size_t gpio_index_chips(const struct gpio_index *idx)
{
	assert(idx);
	return idx->n_chips;
}

size_t gpio_index_lines(const struct gpio_index *idx)
{
	assert(idx);
	return idx->n_lines;
}
