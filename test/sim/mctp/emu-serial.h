/* SPDX-License-Identifier: Apache-2.0 */
/*
 * MCTP over serial (DSP0253) as Linux 6.1's drivers/net/mctp/mctp-serial.c
 * frames it, and MCTP packet assembly/fragmentation (DSP0236). Pure
 * functions: emu-main.c does the I/O on a pty master whose slave carries
 * the N_MCTP line discipline.
 *
 * Frame: 7E 01 <len> <packet, 7E/7D escaped as 7D 5E/7D 5D> <fcs hi> <fcs lo>
 * 7E. The FCS is CRC-16/CCITT as the kernel's crc_ccitt() (reflected
 * polynomial 0x8408, initial 0xFFFF, no final XOR) over the revision, the
 * length and the unescaped packet; the 6.1 driver sends the FCS bytes
 * unescaped and reads them raw, so we do the same.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "emu.h"

/* Largest MCTP packet on the link (4-byte header + 64-byte baseline). */
#define EMU_SERIAL_MTU	   68
#define EMU_SERIAL_PAYLOAD (EMU_SERIAL_MTU - 4)
/* Largest encoded frame: every packet byte escaped. */
#define EMU_SERIAL_FRAME_MAX (3 + 2 * EMU_SERIAL_MTU + 3)
/* Largest encoded message (EMU_MSG_MAX bytes, split and framed). */
#define EMU_SERIAL_STREAM_MAX                                            \
	(((EMU_MSG_MAX + EMU_SERIAL_PAYLOAD - 1) / EMU_SERIAL_PAYLOAD) * \
	 EMU_SERIAL_FRAME_MAX)

#define EMU_SERIAL_FRAME   0x7e
#define EMU_SERIAL_ESC	   0x7d
#define EMU_SERIAL_VERSION 0x01

/* MCTP transport header flags byte */
#define EMU_MCTP_SOM	 0x80
#define EMU_MCTP_EOM	 0x40
#define EMU_MCTP_SEQ(f)	 (((f) >> 4) & 3)
#define EMU_MCTP_TO	 0x08
#define EMU_MCTP_TAG(f)	 ((f)&7)
#define EMU_MCTP_HDR_VER 0x01

/* The kernel's crc_ccitt(): update fcs with buf. */
uint16_t emu_serial_fcs(uint16_t fcs, const void *buf, size_t len);

/* Frame one MCTP packet (1..EMU_SERIAL_MTU bytes) into out (at least
 * EMU_SERIAL_FRAME_MAX bytes). Returns the frame's length. */
size_t emu_serial_encode(const uint8_t *pkt, size_t len, uint8_t *out);

struct emu_serial_rx {
	enum {
		EMU_SRX_IDLE,
		EMU_SRX_VERSION,
		EMU_SRX_LEN,
		EMU_SRX_DATA,
		EMU_SRX_ESCAPE,
		EMU_SRX_FCS_HI,
		EMU_SRX_FCS_LO,
		EMU_SRX_END,
		EMU_SRX_ERROR,
	} state;
	size_t len, pos;
	uint16_t fcs, fcs_rcvd;
	uint8_t buf[EMU_SERIAL_MTU];
};

/*
 * Feed one received byte. Returns 1 when it completed a valid frame (its
 * packet is rx->buf, rx->len bytes, until the next call), 0 when more
 * bytes are needed, -EBADMSG when a frame ended with a wrong FCS and
 * -EPROTO when the byte broke the framing (bad revision, length, missing
 * end flag); the decoder resynchronises on the next 7E.
 */
int emu_serial_rx_byte(struct emu_serial_rx *rx, uint8_t c);

/* One reassembled MCTP message. tag: bits 0-2 the tag, EMU_MCTP_TO the
 * tag owner bit. data[0] is the message type byte. */
struct emu_mctp_msg {
	uint8_t src, dst, tag;
	size_t len;
	uint8_t data[EMU_MSG_MAX];
};

#define EMU_MCTP_REASM_SLOTS 16

struct emu_mctp_reasm {
	struct emu_mctp_slot {
		bool used;
		uint8_t src, dst, tag, next_seq;
		uint64_t age;
		struct emu_mctp_msg msg;
	} slot[EMU_MCTP_REASM_SLOTS];
	uint64_t clock;
};

/*
 * Add one MCTP packet. Returns 1 with *ret_msg pointing at the complete
 * message (valid until the next call), 0 when the message needs more
 * packets, or a negative errno when the packet was dropped: -EPROTO
 * (short, wrong header version, a middle packet without a start, sequence
 * gap: the partial message is discarded as the kernel does), -EMSGSIZE
 * (longer than EMU_MSG_MAX).
 */
int emu_mctp_reasm_push(struct emu_mctp_reasm *r, const uint8_t *pkt,
			size_t len, const struct emu_mctp_msg **ret_msg);

/*
 * Split a message (msg[0] = type byte) from src to dst with the given tag
 * byte (tag | EMU_MCTP_TO when owner) into packets of at most
 * EMU_SERIAL_PAYLOAD bytes and frame them into out (at least
 * EMU_SERIAL_STREAM_MAX bytes). Returns the number of bytes, or -EMSGSIZE
 * when len is 0 or larger than EMU_MSG_MAX.
 */
int emu_serial_encode_message(uint8_t src, uint8_t dst, uint8_t tag,
			      const uint8_t *msg, size_t len, uint8_t *out,
			      size_t *ret_len);
