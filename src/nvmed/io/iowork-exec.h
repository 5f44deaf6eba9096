/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where nvmed finds its I/O worker programs (wire.h), for main(): apart
 * from iowork.h, which the seam tests' double implements.
 */
#pragma once

/* The programs, built from worker.c (wire.h: how they are run) */
#define WORKER_PROG_I2C	 "nvmed-worker-i2c"
#define WORKER_PROG_MCTP "nvmed-worker-mctp"

/* The environment variable naming their directory, for tests and
 * packaging. */
#define IOWORK_DIR_ENV "NVMED_WORKER_DIR"

/*
 * Open nvmed-worker-i2c and nvmed-worker-mctp once, at start-up, in dir,
 * else in $NVMED_WORKER_DIR, else next to nvmed itself (the directory of
 * /proc/self/exe): each worker is exec'd from that descriptor, so a
 * later change of the path cannot swap the program. 0, or -errno logged
 * naming the program that is missing.
 */
int iowork_open_programs(const char *dir);
