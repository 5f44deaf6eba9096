/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire protocol between libmctp-shim.so (the LD_PRELOAD AF_MCTP shim) and
 * nvme-mi-emu, over AF_UNIX SOCK_SEQPACKET connections to $MCTP_SHIM_SOCK.
 * Both ends run on the same machine, so fields are in host byte order.
 *
 * - On accept, the emulator sends one hello frame: struct mctp_shim_hello
 *   followed by count struct mctp_shim_route entries, the (network, EID)
 *   pairs that are reachable right now.
 * - Every later packet, both ways, is one MCTP message: struct
 *   mctp_shim_hdr followed by the message body without its type byte (as
 *   AF_MCTP sendmsg/recvmsg see it; the type travels in the header).
 *   From the shim, eid is the destination and tag is the tag the kernel
 *   would put on the wire (MCTP_TAG_OWNER set for requests); from the
 *   emulator, eid is the source and the tag has the owner bit cleared.
 *
 * One SEQPACKET record is one MCTP message, so message boundaries and
 * MSG_TRUNC behave as with the kernel's datagrams.
 */
#pragma once

#include <stdint.h>

#define MCTP_SHIM_MAGIC	  0x4d435450u /* "MCTP" */
#define MCTP_SHIM_VERSION 1
/* Upper bound on the routes in one hello frame (one per drive). */
#define MCTP_SHIM_MAX_ROUTES 4096
/* Largest MCTP message body the shim accepts in one sendmsg. */
#define MCTP_SHIM_MAX_MSG 65536

struct mctp_shim_hello {
	uint32_t magic;
	uint16_t version;
	uint16_t count;
};

struct mctp_shim_route {
	uint32_t net;
	uint8_t eid;
	uint8_t pad[3];
};

struct mctp_shim_hdr {
	uint32_t net;
	uint8_t eid;
	uint8_t type;
	uint8_t tag;
	uint8_t flags; /* reserved, 0 */
};
