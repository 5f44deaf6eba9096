/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The protocol between nvmed and its I/O workers (iowork.c, the parent;
 * worker.c, the child), on a SOCK_SEQPACKET socketpair: nvmed sends a
 * batch of requests in one datagram (struct wire_batch, then each
 * struct wire_req followed by its dout_len bytes); the worker runs them
 * in order and answers each in a datagram of its own (struct wire_resp,
 * WIRE_RESP_HDR and len bytes) as soon as it is done, so that a
 * transfer that hangs never holds back the results before it.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "admin.h"

#define REPLY_MAX 4096
#define MAX_EID	  256

enum worker_kind {
	WORKER_I2C, /* key: root I2C bus */
	WORKER_MCTP, /* key: MCTP network */
};

enum { OP_SMBUS_BLOCK_READ = 0x10, OP_MI = 0x20, OP_ADMIN = 0x40 };

struct wire_req {
	uint32_t id;
	uint32_t bus; /* I2C bus, or MCTP network */
	uint8_t op, addr, pec, cmd;
	uint8_t eid, fresh;
	uint16_t len; /* reply bytes wanted */
	uint16_t dout_len; /* OP_ADMIN: bytes to the drive, after this */
	struct mi_admin_cmd admin; /* OP_ADMIN */
};

/* At most this many requests, and bytes, in one batch. */
#define WIRE_BATCH_MAX	 64
#define WIRE_BATCH_BYTES 65536

struct wire_batch {
	uint32_t n; /* requests that follow, 1..WIRE_BATCH_MAX */
	uint32_t reserved;
};

struct wire_resp {
	uint32_t id;
	int32_t r;
	uint32_t len;
	uint32_t reserved;
	uint64_t end_usec; /* CLOCK_MONOTONIC when the transfer ended */
	uint8_t data[REPLY_MAX];
};
#define WIRE_RESP_HDR offsetof(struct wire_resp, data)

/*
 * A worker is a program of its own, which nvmed forks and execs
 * (iowork.c): WORKER_PROG_I2C (libc only) for WORKER_I2C,
 * WORKER_PROG_MCTP (libc and libnvme-mi) for WORKER_MCTP (iowork-exec.h). Its socket is
 * on descriptor WORKER_FD, and its arguments are
 *
 *   NAME KIND KEY PPID [TIMEOUT_MS MPRT_MAX_MS LOG_LEVEL]
 *
 * NAME its process name (nvmed-i2c-N, nvmed-mctp-N), KIND "i2c" or
 * "mctp", KEY the root bus or network, PPID nvmed's pid (the worker exits
 * if its parent is another: nvmed died before the exec), and for "mctp"
 * the mi_root_new() parameters (mi.h).
 */
#define WORKER_FD	       3
#define WORKER_KIND_NAME(kind) ((kind) == WORKER_I2C ? "i2c" : "mctp")
