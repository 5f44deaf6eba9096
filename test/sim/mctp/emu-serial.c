// SPDX-License-Identifier: Apache-2.0
/*
 * MCTP-over-serial framing (Linux 6.1 mctp-serial conventions) and MCTP
 * packet reassembly/fragmentation for nvme-mi-emu's serial transport.
 * No I/O here; see emu-serial.h.
 */
#include <errno.h>
#include <string.h>

#include "emu-serial.h"

uint16_t emu_serial_fcs(uint16_t fcs, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		fcs ^= p[i];
		for (int b = 0; b < 8; b++)
			fcs = (fcs & 1) ? (uint16_t)((fcs >> 1) ^ 0x8408) :
					  (uint16_t)(fcs >> 1);
	}
	return fcs;
}

static bool needs_escape(uint8_t c)
{
	return c == EMU_SERIAL_FRAME || c == EMU_SERIAL_ESC;
}

size_t emu_serial_encode(const uint8_t *pkt, size_t len, uint8_t *out)
{
	uint8_t hdr[2] = { EMU_SERIAL_VERSION, (uint8_t)len };
	uint16_t fcs;
	size_t n = 0;

	if (len == 0 || len > EMU_SERIAL_MTU)
		return 0;
	fcs = emu_serial_fcs(0xffff, hdr, sizeof(hdr));
	fcs = emu_serial_fcs(fcs, pkt, len);
	out[n++] = EMU_SERIAL_FRAME;
	out[n++] = hdr[0];
	out[n++] = hdr[1];
	for (size_t i = 0; i < len; i++) {
		if (needs_escape(pkt[i])) {
			out[n++] = EMU_SERIAL_ESC;
			out[n++] = pkt[i] ^ 0x20;
		} else {
			out[n++] = pkt[i];
		}
	}
	/* 6.1 sends the FCS raw (not escaped) and reads it raw */
	out[n++] = (uint8_t)(fcs >> 8);
	out[n++] = (uint8_t)(fcs & 0xff);
	out[n++] = EMU_SERIAL_FRAME;
	return n;
}

int emu_serial_rx_byte(struct emu_serial_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case EMU_SRX_IDLE:
		if (c == EMU_SERIAL_FRAME)
			rx->state = EMU_SRX_VERSION;
		return 0;
	case EMU_SRX_VERSION:
		if (c == EMU_SERIAL_FRAME)
			return 0; /* back-to-back flags */
		if (c != EMU_SERIAL_VERSION)
			goto bad;
		rx->fcs = emu_serial_fcs(0xffff, &c, 1);
		rx->state = EMU_SRX_LEN;
		return 0;
	case EMU_SRX_LEN:
		if (c == 0 || c > EMU_SERIAL_MTU)
			goto bad;
		rx->fcs = emu_serial_fcs(rx->fcs, &c, 1);
		rx->len = c;
		rx->pos = 0;
		rx->state = EMU_SRX_DATA;
		return 0;
	case EMU_SRX_DATA:
		if (c == EMU_SERIAL_FRAME)
			goto bad;
		if (c == EMU_SERIAL_ESC) {
			rx->state = EMU_SRX_ESCAPE;
			return 0;
		}
		break;
	case EMU_SRX_ESCAPE:
		if (c == EMU_SERIAL_FRAME)
			goto bad;
		c ^= 0x20;
		rx->state = EMU_SRX_DATA;
		break;
	case EMU_SRX_FCS_HI:
		rx->fcs_rcvd = (uint16_t)(c << 8);
		rx->state = EMU_SRX_FCS_LO;
		return 0;
	case EMU_SRX_FCS_LO:
		rx->fcs_rcvd |= c;
		rx->state = EMU_SRX_END;
		return 0;
	case EMU_SRX_END:
		if (c != EMU_SERIAL_FRAME)
			goto bad;
		/* this flag may also open the next frame */
		rx->state = EMU_SRX_VERSION;
		return rx->fcs == rx->fcs_rcvd ? 1 : -EBADMSG;
	case EMU_SRX_ERROR:
	default:
		if (c == EMU_SERIAL_FRAME)
			rx->state = EMU_SRX_VERSION;
		return 0;
	}

	/* a data byte */
	rx->fcs = emu_serial_fcs(rx->fcs, &c, 1);
	rx->buf[rx->pos++] = c;
	if (rx->pos == rx->len)
		rx->state = EMU_SRX_FCS_HI;
	return 0;

bad:
	rx->state = c == EMU_SERIAL_FRAME ? EMU_SRX_VERSION : EMU_SRX_ERROR;
	return -EPROTO;
}

static struct emu_mctp_slot *slot_find(struct emu_mctp_reasm *r, uint8_t src,
				       uint8_t dst, uint8_t tag)
{
	for (size_t i = 0; i < EMU_MCTP_REASM_SLOTS; i++) {
		struct emu_mctp_slot *s = &r->slot[i];

		if (s->used && s->src == src && s->dst == dst && s->tag == tag)
			return s;
	}
	return NULL;
}

static struct emu_mctp_slot *slot_new(struct emu_mctp_reasm *r)
{
	struct emu_mctp_slot *oldest = &r->slot[0];

	for (size_t i = 0; i < EMU_MCTP_REASM_SLOTS; i++) {
		struct emu_mctp_slot *s = &r->slot[i];

		if (!s->used)
			return s;
		if (s->age < oldest->age)
			oldest = s;
	}
	return oldest; /* the stalest partial message gives way */
}

int emu_mctp_reasm_push(struct emu_mctp_reasm *r, const uint8_t *pkt,
			size_t len, const struct emu_mctp_msg **ret_msg)
{
	uint8_t src, dst, flags, tag;
	struct emu_mctp_slot *s;
	size_t plen;

	if (len < 5 || (pkt[0] & 0x0f) != EMU_MCTP_HDR_VER)
		return -EPROTO;
	dst = pkt[1];
	src = pkt[2];
	flags = pkt[3];
	tag = flags & (EMU_MCTP_TO | 7);
	plen = len - 4;

	s = slot_find(r, src, dst, tag);
	if (flags & EMU_MCTP_SOM) {
		if (!s)
			s = slot_new(r);
		*s = (struct emu_mctp_slot){
			.used = true,
			.src = src,
			.dst = dst,
			.tag = tag,
			.msg = { .src = src, .dst = dst, .tag = tag },
		};
	} else if (!s) {
		return -EPROTO;
	} else if (EMU_MCTP_SEQ(flags) != s->next_seq) {
		s->used = false;
		return -EPROTO;
	}
	if (s->msg.len + plen > sizeof(s->msg.data)) {
		s->used = false;
		return -EMSGSIZE;
	}
	memcpy(s->msg.data + s->msg.len, pkt + 4, plen);
	s->msg.len += plen;
	s->next_seq = (EMU_MCTP_SEQ(flags) + 1) & 3;
	s->age = ++r->clock;
	if (!(flags & EMU_MCTP_EOM))
		return 0;
	s->used = false;
	*ret_msg = &s->msg;
	return 1;
}

int emu_serial_encode_message(uint8_t src, uint8_t dst, uint8_t tag,
			      const uint8_t *msg, size_t len, uint8_t *out,
			      size_t *ret_len)
{
	uint8_t pkt[EMU_SERIAL_MTU];
	size_t n = 0, pos = 0;
	uint8_t seq = 0;

	if (len == 0 || len > EMU_MSG_MAX)
		return -EMSGSIZE;
	while (pos < len) {
		size_t chunk = len - pos;

		if (chunk > EMU_SERIAL_PAYLOAD)
			chunk = EMU_SERIAL_PAYLOAD;
		pkt[0] = EMU_MCTP_HDR_VER;
		pkt[1] = dst;
		pkt[2] = src;
		pkt[3] = (uint8_t)((pos == 0 ? EMU_MCTP_SOM : 0) |
				   (pos + chunk == len ? EMU_MCTP_EOM : 0) |
				   (seq << 4) | (tag & (EMU_MCTP_TO | 7)));
		memcpy(pkt + 4, msg + pos, chunk);
		n += emu_serial_encode(pkt, chunk + 4, out + n);
		pos += chunk;
		seq = (seq + 1) & 3;
	}
	*ret_len = n;
	return 0;
}
