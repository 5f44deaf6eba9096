/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What confines an I/O worker, and the D-Bus process: capabilities
 * effective only in the workers, the worker's own seccomp filter, no
 * inherited descriptors. Kept apart from the transfers so that what a
 * worker may do is read in one file.
 */
#pragma once

#include <stdbool.h>

/* Make the permitted capabilities effective (on) or none effective;
 * -errno on failure. */
int sandbox_caps_effective(bool on);
/* In an exec'd worker: keep at most the unit's capabilities (CAP_NET_ADMIN,
 * CAP_NET_RAW) permitted, all of them effective; -errno (logged). */
int sandbox_worker_caps(void);
/* Close every descriptor but stdio and keep. */
void sandbox_close_others(int keep);
/* Load the worker's seccomp filter (without libseccomp: nothing); a
 * failure is logged and the worker goes on under the unit's filter. */
void sandbox_confine(void);
