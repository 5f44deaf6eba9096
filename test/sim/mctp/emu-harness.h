/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for the tests of libmctp-shim.so and nvme-mi-emu: run the
 * emulator on a scenario in a temporary directory, talk to its control
 * socket, and re-execute the test under LD_PRELOAD of the shim.
 */
#pragma once

#include <limits.h>
#include <sys/types.h>

struct emu_proc {
	pid_t pid;
	char dir[256];
	char sock[PATH_MAX];
	char control[PATH_MAX];
};

/*
 * Make sure this process runs with the shim preloaded: if $LD_PRELOAD
 * does not hold $TB_MCTP_SHIM_PRELOAD (libasan first in ASan builds, set
 * by test/sim/mctp/meson.build), set it and execv() ourselves again.
 * Returns only when the shim is loaded; -errno on failure.
 */
int emu_preload_self(char **argv);

/* Write the scenario, start $TB_NVME_MI_EMU and wait (10 s at most) until
 * its control socket accepts connections. */
int emu_start(struct emu_proc *p, const char *scenario_json);
/* emu_start() that also serves an MCTP serial link on serial_fd (which
 * must not be close-on-exec) as network 1; -1: none. */
int emu_start_serial(struct emu_proc *p, const char *scenario_json,
		     int serial_fd);
/* Send one control line, return the reply line (malloc'ed, no newline). */
int emu_ctl(struct emu_proc *p, const char *line, char **ret_reply);
/* emu_ctl() that must answer {"ok":true...}; aborts the test otherwise. */
void emu_ctl_ok(struct emu_proc *p, const char *line);
/* One integer field of drive `eid` (network 1) as "get" reports it, e.g.
 * "requests" or "miss"; aborts the test when there is none. */
long long emu_get_int(struct emu_proc *p, unsigned eid, const char *field);
/* SIGTERM, wait, remove the directory. Returns the wait status. */
int emu_stop(struct emu_proc *p);
