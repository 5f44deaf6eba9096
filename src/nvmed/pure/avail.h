/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The availability policy, one for every transport: how long a drive's
 * last good reading stays published while its polls fail.
 *
 * phosphor-pid-control puts a fan zone into failsafe as soon as one of
 * its sensors is unavailable or NaN (dbus/dbuspassive.cpp,
 * unavailableAsFailed, on by default), so a single missed poll must not
 * take the sensor away. dbus-sensors' nvmesensor keeps the last reading
 * until the 5th consecutive error (src/nvme/NVMeSensor.cpp); so do we, on
 * SMBus and on NVMe-MI alike, with the window configurable.
 *
 * The last good reading stays published, Available, while fewer than
 * `window` consecutive polls have failed and it is younger than the
 * window's duration: `window` failed polls, each a poll interval plus the
 * longest a transaction may take (its deadline), and one more interval
 * for the poll that is due. After that: NaN, unavailable, non-functional.
 * The age bound holds when no poll completes at all (a transfer stuck in
 * the kernel, an endpoint gone quiet without failing).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Consecutive failed polls that make a reading unavailable (upstream's
 * errorThreshold) and the range a record or the command line may set. */
#define AVAIL_DEFAULT_WINDOW 5
#define AVAIL_MIN_WINDOW     1
#define AVAIL_MAX_WINDOW     1000

/* Monotonic time after which a reading taken at last_good_usec must not be
 * published any more, whatever the polls say. */
uint64_t avail_expiry(unsigned window, uint64_t poll_usec,
		      uint64_t deadline_usec, uint64_t last_good_usec);

/* After `failures` consecutive failed polls (>= 1), at now_usec: may the
 * reading taken at last_good_usec (0: none was taken) stay published? */
bool avail_keep(unsigned failures, unsigned window, uint64_t poll_usec,
		uint64_t deadline_usec, uint64_t last_good_usec,
		uint64_t now_usec);
