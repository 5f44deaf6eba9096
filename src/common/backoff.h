/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Exponential back-off. Pure.
 */
#pragma once

#include <stdint.h>

/*
 * The delay before attempt n + 1 after n consecutive failures (n >= 1):
 * base doubled n - 1 times, at most max (and base when base > max).
 * n = 0 gives base.
 */
static inline uint64_t backoff_delay(uint64_t base, unsigned n, uint64_t max)
{
	unsigned shift = n ? n - 1 : 0;

	if (base >= max)
		return max;
	if (shift >= 63 || base > (max >> shift))
		return max;
	return base << shift;
}
