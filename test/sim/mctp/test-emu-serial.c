/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the serial transport's pure logic (emu-serial.c): the
 * kernel's FCS, framing and escaping as Linux 6.1 mctp-serial does them,
 * the receive state machine, packet reassembly and fragmentation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <cmocka.h>

#include "emu-serial.h"

/* Feed bytes; return the last non-zero decoder result, or 0. */
static int feed(struct emu_serial_rx *rx, const uint8_t *b, size_t n,
		int *ret_frames)
{
	int last = 0, frames = 0;

	for (size_t i = 0; i < n; i++) {
		int r = emu_serial_rx_byte(rx, b[i]);

		if (r == 1)
			frames++;
		if (r != 0)
			last = r;
	}
	if (ret_frames)
		*ret_frames = frames;
	return last;
}

static void test_fcs_vector(void **state)
{
	/* CRC-16/MCRF4XX: reflected 0x8408, init 0xFFFF, no final XOR —
	 * the kernel's crc_ccitt(0xffff, ...). */
	assert_int_equal(emu_serial_fcs(0xffff, "123456789", 9), 0x6f91);
	/* incremental == one shot */
	assert_int_equal(emu_serial_fcs(emu_serial_fcs(0xffff, "1234", 4),
					"56789", 5),
			 0x6f91);
}

static void test_encode_layout(void **state)
{
	const uint8_t pkt[] = { 0x01, 0x09, 0x08, 0xc8, 0x7e, 0x7d, 0x20 };
	uint8_t out[EMU_SERIAL_FRAME_MAX], hdr[2] = { 1, sizeof(pkt) };
	uint16_t fcs;
	size_t n;

	n = emu_serial_encode(pkt, sizeof(pkt), out);
	/* 7E 01 07, 4 plain bytes, 7D 5E, 7D 5D, 20, fcs(2), 7E */
	assert_int_equal(n, 3 + 4 + 2 + 2 + 1 + 2 + 1);
	assert_int_equal(out[0], 0x7e);
	assert_int_equal(out[1], 0x01);
	assert_int_equal(out[2], sizeof(pkt));
	assert_memory_equal(out + 3, pkt, 4);
	assert_int_equal(out[7], 0x7d);
	assert_int_equal(out[8], 0x5e);
	assert_int_equal(out[9], 0x7d);
	assert_int_equal(out[10], 0x5d);
	assert_int_equal(out[11], 0x20);
	/* FCS over revision, length and the unescaped packet, MSB first */
	fcs = emu_serial_fcs(emu_serial_fcs(0xffff, hdr, 2), pkt, sizeof(pkt));
	assert_int_equal(out[12], fcs >> 8);
	assert_int_equal(out[13], fcs & 0xff);
	assert_int_equal(out[14], 0x7e);

	/* nothing to frame, or more than the MTU */
	assert_int_equal(emu_serial_encode(pkt, 0, out), 0);
}

static void test_decode_roundtrip(void **state)
{
	struct emu_serial_rx rx = { 0 };
	uint8_t pkt[EMU_SERIAL_MTU], out[EMU_SERIAL_FRAME_MAX];
	int frames;
	size_t n;

	/* every byte value, including the flag and escape, in MTU packets */
	for (int base = 0; base < 256; base += EMU_SERIAL_MTU) {
		for (size_t i = 0; i < sizeof(pkt); i++)
			pkt[i] = (uint8_t)(base + i);
		n = emu_serial_encode(pkt, sizeof(pkt), out);
		assert_true(n <= EMU_SERIAL_FRAME_MAX);
		assert_int_equal(feed(&rx, out, n, &frames), 1);
		assert_int_equal(frames, 1);
		assert_int_equal(rx.len, sizeof(pkt));
		assert_memory_equal(rx.buf, pkt, sizeof(pkt));
	}
}

static void test_decode_errors(void **state)
{
	struct emu_serial_rx rx = { 0 };
	const uint8_t pkt[] = { 0x01, 0x09, 0x08, 0xc8, 0x84 };
	const uint8_t garbage[] = { 0x55, 0x7e, 0x02, 0x05, 0x33 };
	uint8_t out[EMU_SERIAL_FRAME_MAX * 2];
	int frames;
	size_t n;

	/* a corrupted FCS: -EBADMSG, then the next frame decodes */
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	out[n - 2] ^= 1;
	assert_int_equal(feed(&rx, out, n, &frames), -EBADMSG);
	assert_int_equal(frames, 0);
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	assert_int_equal(feed(&rx, out, n, &frames), 1);

	/* garbage and a wrong revision: -EPROTO, resynchronised by 7E */
	assert_int_equal(feed(&rx, garbage, sizeof(garbage), NULL), -EPROTO);
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	assert_int_equal(feed(&rx, out, n, &frames), 1);
	assert_memory_equal(rx.buf, pkt, sizeof(pkt));

	/* a frame cut short by a flag */
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	out[5] = 0x7e;
	assert_int_equal(feed(&rx, out, 6, NULL), -EPROTO);
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	assert_int_equal(feed(&rx, out + 1, n - 1, &frames), 1);

	/* a length beyond the MTU */
	{
		const uint8_t big[] = { 0x7e, 0x01, EMU_SERIAL_MTU + 1 };

		assert_int_equal(feed(&rx, big, sizeof(big), NULL), -EPROTO);
	}

	/* two frames back to back, and sharing one flag */
	n = emu_serial_encode(pkt, sizeof(pkt), out);
	memcpy(out + n, out, n);
	assert_int_equal(feed(&rx, out, 2 * n, &frames), 1);
	assert_int_equal(frames, 2);
	memmove(out + n, out + n + 1, n - 1);
	assert_int_equal(feed(&rx, out, 2 * n - 1, &frames), 1);
	assert_int_equal(frames, 2);
}

/* Decode a byte stream of frames into reassembled messages. */
static int stream_messages(const uint8_t *b, size_t n, struct emu_mctp_reasm *r,
			   struct emu_mctp_msg *last, int *ret_packets)
{
	struct emu_serial_rx rx = { 0 };
	int msgs = 0, packets = 0;

	for (size_t i = 0; i < n; i++) {
		const struct emu_mctp_msg *m;

		if (emu_serial_rx_byte(&rx, b[i]) != 1)
			continue;
		packets++;
		assert_true(rx.len <= EMU_SERIAL_MTU);
		if (emu_mctp_reasm_push(r, rx.buf, rx.len, &m) == 1) {
			*last = *m;
			msgs++;
		}
	}
	*ret_packets = packets;
	return msgs;
}

static void test_fragment_4k(void **state)
{
	static uint8_t msg[4120], stream[EMU_SERIAL_STREAM_MAX];
	static struct emu_mctp_reasm r;
	static struct emu_mctp_msg got;
	size_t n;
	int packets;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(i * 7 + 0x7d);
	msg[0] = EMU_MCTP_TYPE_NVME_MI;
	assert_int_equal(emu_serial_encode_message(9, 8, 3, msg, sizeof(msg),
						   stream, &n),
			 0);
	assert_int_equal(stream_messages(stream, n, &r, &got, &packets), 1);
	/* 4120 bytes in 64-byte payloads: 65 packets, as the prototype saw */
	assert_int_equal(packets, 65);
	assert_int_equal(got.src, 9);
	assert_int_equal(got.dst, 8);
	assert_int_equal(got.tag, 3);
	assert_int_equal(got.len, sizeof(msg));
	assert_memory_equal(got.data, msg, sizeof(msg));

	assert_int_equal(emu_serial_encode_message(9, 8, 3, msg, 0, stream, &n),
			 -EMSGSIZE);
	assert_int_equal(emu_serial_encode_message(9, 8, 3, msg,
						   EMU_MSG_MAX + 1, stream, &n),
			 -EMSGSIZE);
}

static void pkt_hdr(uint8_t *p, uint8_t dst, uint8_t src, uint8_t flags)
{
	p[0] = EMU_MCTP_HDR_VER;
	p[1] = dst;
	p[2] = src;
	p[3] = flags;
}

static void test_reasm_rules(void **state)
{
	static struct emu_mctp_reasm r;
	const struct emu_mctp_msg *m;
	uint8_t p[EMU_SERIAL_MTU];

	memset(p + 4, 0xaa, EMU_SERIAL_PAYLOAD);

	/* short packet, wrong header version */
	assert_int_equal(emu_mctp_reasm_push(&r, p, 4, &m), -EPROTO);
	pkt_hdr(p, 9, 8, EMU_MCTP_SOM | EMU_MCTP_EOM | EMU_MCTP_TO);
	p[0] = 0x02;
	assert_int_equal(emu_mctp_reasm_push(&r, p, 8, &m), -EPROTO);

	/* a middle packet without a start */
	pkt_hdr(p, 9, 8, (1 << 4) | EMU_MCTP_TO | 1);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), -EPROTO);

	/* a sequence gap discards the partial message */
	pkt_hdr(p, 9, 8, EMU_MCTP_SOM | EMU_MCTP_TO | 2);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), 0);
	pkt_hdr(p, 9, 8, (2 << 4) | EMU_MCTP_EOM | EMU_MCTP_TO | 2);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), -EPROTO);
	pkt_hdr(p, 9, 8, (1 << 4) | EMU_MCTP_EOM | EMU_MCTP_TO | 2);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), -EPROTO);

	/* two messages interleaved, told apart by tag and destination */
	pkt_hdr(p, 9, 8, EMU_MCTP_SOM | EMU_MCTP_TO | 1);
	p[4] = 0x11;
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), 0);
	pkt_hdr(p, 10, 8, EMU_MCTP_SOM | EMU_MCTP_TO | 1);
	p[4] = 0x22;
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), 0);
	pkt_hdr(p, 9, 8, (1 << 4) | EMU_MCTP_EOM | EMU_MCTP_TO | 1);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 10, &m), 1);
	assert_int_equal(m->dst, 9);
	assert_int_equal(m->len, 64 + 6);
	assert_int_equal(m->data[0], 0x11);
	assert_int_equal(m->tag, EMU_MCTP_TO | 1);
	pkt_hdr(p, 10, 8, (1 << 4) | EMU_MCTP_EOM | EMU_MCTP_TO | 1);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 5, &m), 1);
	assert_int_equal(m->dst, 10);
	assert_int_equal(m->len, 65);
	assert_int_equal(m->data[0], 0x22);

	/* a message longer than the emulator's maximum is refused */
	pkt_hdr(p, 9, 8, EMU_MCTP_SOM | EMU_MCTP_TO);
	assert_int_equal(emu_mctp_reasm_push(&r, p, 68, &m), 0);
	for (size_t off = 64, seq = 1;; off += 64, seq++) {
		int rc;

		pkt_hdr(p, 9, 8, (uint8_t)(((seq & 3) << 4) | EMU_MCTP_TO));
		rc = emu_mctp_reasm_push(&r, p, 68, &m);
		if (off + 64 > EMU_MSG_MAX) {
			assert_int_equal(rc, -EMSGSIZE);
			break;
		}
		assert_int_equal(rc, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fcs_vector),
		cmocka_unit_test(test_encode_layout),
		cmocka_unit_test(test_decode_roundtrip),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_fragment_4k),
		cmocka_unit_test(test_reasm_rules),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
