/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The mctpd stand-in's MCTP link: the control messages mctpd sends a
 * device by its physical address (DSP0236 1.3.1 §12), carried to the
 * NVMe-MI emulator's control socket ("mctp_control"), with mctpd's
 * synchronous waits (src/mctpd.c: 250 ms per request) scaled for tests.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct link_ctx {
	const char *emu_control; /* the emulator's control socket */
	double scale; /* mctpd's timings multiplied by this */
	uint8_t iid; /* next instance ID */
	uint64_t requests; /* control requests sent, for the log */
};

/* mctpd v2.6's message timeout (src/mctpd.c, ctx->mctp_timeout). */
#define LINK_TIMEOUT_USEC 250000ULL

uint64_t link_usec(const struct link_ctx *l, uint64_t usec);

/*
 * One request to the device at (bus, address): 0 with the response, or
 * -ETIMEDOUT after the (scaled) timeout when it does not answer, -EPROTO
 * for a malformed or unsuccessful response, -errno when the emulator
 * cannot be asked.
 */
int link_get_eid(struct link_ctx *l, uint32_t bus, uint8_t addr,
		 uint8_t *ret_eid);
int link_set_eid(struct link_ctx *l, uint32_t bus, uint8_t addr, uint8_t eid,
		 uint8_t *ret_eid);
int link_get_uuid(struct link_ctx *l, uint32_t bus, uint8_t addr,
		  uint8_t uuid[16]);
/* Message types the device supports, control (0) first as mctpd lists
 * them; *n in: room, out: count. */
int link_get_types(struct link_ctx *l, uint32_t bus, uint8_t addr,
		   uint8_t *types, size_t *n);
