/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulators that a process loads with LD_PRELOAD (libmctp-shim.so,
 * libi2c-shim.so, libgpiod-sim.so), for a test's children or for the test
 * itself, and the paths of the built programs meson hands every test.
 *
 * A library is named as tb_prog() names programs: "mctp-shim-preload" is
 * $TB_MCTP_SHIM_PRELOAD. The *-preload values are complete LD_PRELOAD
 * lists (in ASan builds the sanitizer runtime first, which ASan insists
 * on): joined here, each entry appears once, in the order given.
 *
 * No dependency but libc, so that the simulators' own harnesses can use
 * it too.
 */
#pragma once

/* Path of a built program or library: env TB_<NAME upper, '-' and '.' to
 * '_'>, e.g. "nvmed" -> $TB_NVMED. NULL when unset or empty. */
const char *tb_prog_find(const char *name);

/*
 * "LD_PRELOAD=<list>" for tb_spawn()'s environment: the values of libs
 * (NULL-terminated) joined with ':', each entry once. malloc'ed; NULL
 * with errno set when a name is not set (ENOENT) or out of memory.
 */
char *tb_preload_env(const char *const *libs);

/*
 * Make sure this process runs with libs preloaded: when $LD_PRELOAD lacks
 * one of their entries, set it to the joined list and execv() ourselves
 * again (/proc/self/exe). Call first thing in main(). Returns 0 when they
 * are loaded, -errno on failure (a name not set: -ENOENT, said on
 * stderr).
 */
int tb_preload_self(char **argv, const char *const *libs);
