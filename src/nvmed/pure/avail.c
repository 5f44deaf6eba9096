// SPDX-License-Identifier: Apache-2.0
#include "avail.h"

/* a + b, saturating */
static uint64_t add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t avail_expiry(unsigned window, uint64_t poll_usec,
		      uint64_t deadline_usec, uint64_t last_good_usec)
{
	uint64_t cycle = add(poll_usec, deadline_usec);

	if (window < AVAIL_MIN_WINDOW)
		window = AVAIL_MIN_WINDOW;
	if (cycle > UINT64_MAX / window)
		return UINT64_MAX;
	return add(add(last_good_usec, cycle * window), poll_usec);
}

bool avail_keep(unsigned failures, unsigned window, uint64_t poll_usec,
		uint64_t deadline_usec, uint64_t last_good_usec,
		uint64_t now_usec)
{
	if (last_good_usec == 0 || failures >= window)
		return false;
	return now_usec <
	       avail_expiry(window, poll_usec, deadline_usec, last_good_usec);
}
