/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-mi-emu: the MCTP control messages (type 0) a drive's MCTP endpoint
 * answers, as a bus owner such as CodeConstruct mctpd (src/mctpd.c) sends
 * them. Pure logic, no I/O. DSP0236 1.3.1 §12:
 *
 * - header (§12.1-12.2): type byte 0x00, then Rq (b7), D (b6), Instance
 *   ID (b4..0), then the command code. A response echoes the instance ID
 *   and the command with Rq clear and starts with a completion code.
 *   Responses and datagrams get no reply, nor does a message shorter than
 *   its header.
 * - 0x01 Set Endpoint ID (§12.3): set (00b) and force (01b) assign the
 *   EID; 0x00 (null) and 0xFF (broadcast) are ERROR_INVALID_DATA. The
 *   drive is a simple endpoint with a dynamic EID, so reset (10b), which
 *   returns an endpoint to its static EID, is ERROR_INVALID_DATA, and set
 *   discovered (11b) succeeds without changing the EID (the discovered
 *   flag only matters on media with endpoint discovery, DSP0238). The
 *   response: completion code, assignment status 00h (accepted, no EID
 *   pool), the EID now set, pool size 0.
 * - 0x02 Get Endpoint ID (§12.4): completion code, the EID (0 when none is
 *   assigned), endpoint type 00h (simple endpoint, dynamic EID),
 *   medium-specific 00h.
 * - 0x03 Get Endpoint UUID (§12.5): completion code, 16 bytes in RFC 4122
 *   byte order.
 * - 0x04 Get MCTP Version Support (§12.6): base (0xFF) and control (0x00)
 *   1.3.1 (F1F3F100h), NVMe-MI (0x04) the drive's mi_major.mi_minor
 *   (1.2: F1F2FF00h, §12.6.2: FFh = no update version); other types
 *   completion code 80h.
 * - 0x05 Get Message Type Support (§12.7): one type, 04h (NVMe-MI; the
 *   control type is implied and not listed).
 * - anything else: ERROR_UNSUPPORTED_CMD. A request shorter than its
 *   command's data: ERROR_INVALID_LENGTH; longer ones are accepted.
 *
 * emu_ctrl_respond() adds the drive's faults and is what the shim socket,
 * the serial link and the control socket's "mctp_control" request all
 * call: silent and ctrl_silent drives ignore the request (the EID stays),
 * miss drops the reply of a request that took effect, delay_ms + late
 * (one-shot) + link_bps (request and reply bytes) give the reply's delay. The UUID, unless the
 * scenario gives one, is derived from network, bus, address and serial
 * number, so it is the same every run and changes with a "swap".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "emu.h"

#define CTRL_RQ	      0x80
#define CTRL_D	      0x40
#define CTRL_INSTANCE 0x1f

/* §12.6.2: one version number byte, F0h + n below 10, else BCD */
static uint8_t version_byte(unsigned int n)
{
	if (n < 10)
		return (uint8_t)(0xf0 | n);
	if (n > 99)
		n = 99;
	return (uint8_t)((n / 10) << 4 | n % 10);
}

static size_t put_version(uint8_t *p, unsigned int major, unsigned int minor,
			  int update)
{
	p[0] = version_byte(major);
	p[1] = version_byte(minor);
	p[2] = update < 0 ? 0xff : version_byte((unsigned int)update);
	p[3] = 0x00; /* no alpha */
	return 4;
}

int emu_ctrl_handle(struct emu_drive *d, const uint8_t *msg, size_t len,
		    uint8_t *resp, size_t *ret_len)
{
	const uint8_t *data = msg + 3;
	size_t dlen, n = 4;
	uint8_t *r = resp + 4, uuid[16];

	if (len < 3 || msg[0] != EMU_MCTP_TYPE_CONTROL)
		return -EPROTO;
	if (!(msg[1] & CTRL_RQ) || (msg[1] & CTRL_D))
		return -EPROTO;
	dlen = len - 3;
	d->ctrl_requests++;

	resp[0] = EMU_MCTP_TYPE_CONTROL;
	resp[1] = msg[1] & CTRL_INSTANCE;
	resp[2] = msg[2];
	resp[3] = EMU_CC_SUCCESS;

	switch (msg[2]) {
	case EMU_CTRL_SET_EID:
		if (dlen < 2) {
			resp[3] = EMU_CC_ERROR_INVALID_LEN;
			break;
		}
		switch (data[0] & 0x03) {
		case 0: /* set EID */
		case 1: /* force EID */
			if (data[1] == 0x00 || data[1] == 0xff) {
				resp[3] = EMU_CC_ERROR_INVALID_DATA;
				break;
			}
			d->eid = data[1];
			break;
		case 2: /* reset EID: static EIDs only */
			resp[3] = EMU_CC_ERROR_INVALID_DATA;
			break;
		default: /* set discovered flag */
			break;
		}
		if (resp[3] != EMU_CC_SUCCESS)
			break;
		r[0] = 0x00; /* accepted, no EID pool */
		r[1] = d->eid;
		r[2] = 0; /* EID pool size */
		n += 3;
		break;
	case EMU_CTRL_GET_EID:
		r[0] = d->eid;
		r[1] = 0x00; /* simple endpoint, dynamic EID */
		r[2] = 0x00; /* medium-specific */
		n += 3;
		break;
	case EMU_CTRL_GET_UUID:
		emu_drive_uuid(d, uuid);
		memcpy(r, uuid, sizeof(uuid));
		n += sizeof(uuid);
		break;
	case EMU_CTRL_GET_VERSION:
		if (dlen < 1) {
			resp[3] = EMU_CC_ERROR_INVALID_LEN;
			break;
		}
		switch (data[0]) {
		case 0xff: /* the base specification */
		case 0x00: /* the control protocol */
			r[0] = 1;
			n += 1 + put_version(r + 1, 1, 3, 1);
			break;
		case EMU_MCTP_TYPE_NVME_MI & 0x7f:
			r[0] = 1;
			n += 1 +
			     put_version(r + 1, d->mi_major, d->mi_minor, -1);
			break;
		default:
			resp[3] = EMU_CC_MSG_TYPE_UNSUPPORTED;
		}
		break;
	case EMU_CTRL_GET_MSG_TYPES:
		r[0] = 1;
		r[1] = EMU_MCTP_TYPE_NVME_MI & 0x7f;
		n += 2;
		break;
	default:
		resp[3] = EMU_CC_ERROR_UNSUPPORTED;
	}
	*ret_len = n;
	return 0;
}

unsigned int emu_link_delay_ms(const struct emu_drive *d, size_t req_len,
			       size_t resp_len)
{
	if (!d->link_bps)
		return 0;
	return (unsigned int)((uint64_t)(req_len + resp_len) * 10 * 1000 /
			      d->link_bps);
}

int emu_ctrl_respond(struct emu_drive *d, const uint8_t *msg, size_t len,
		     uint8_t *resp, size_t *ret_len, unsigned int *ret_delay_ms)
{
	if (d->silent || d->ctrl_silent)
		return 0;
	if (emu_ctrl_handle(d, msg, len, resp, ret_len) < 0)
		return 0;
	if (d->miss) {
		d->miss--;
		return 0;
	}
	*ret_delay_ms =
		d->delay_ms + d->late_ms + emu_link_delay_ms(d, len, *ret_len);
	d->late_ms = 0; /* "late" is one-shot */
	return 1;
}

/* CRC-32C of the drive's physical identity, seeded four ways: a UUID that
 * stays the same from run to run and changes with the serial number. */
void emu_drive_uuid(const struct emu_drive *d, uint8_t uuid[16])
{
	char name[96];
	int n;

	if (d->uuid_set) {
		memcpy(uuid, d->uuid, 16);
		return;
	}
	n = snprintf(name, sizeof(name), "nvme-mi-emu/%u/%d/%d/%s", d->network,
		     d->bus, d->address, d->serial);
	for (uint32_t i = 0; i < 4; i++) {
		uint32_t c = emu_crc32c_update(~i, name, (size_t)n);

		for (int b = 0; b < 4; b++)
			uuid[4 * i + b] = (uint8_t)(c >> (24 - 8 * b));
	}
	/* RFC 9562 §5.8: version 8 (vendor-specific), variant 10b */
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x80);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int emu_uuid_parse(const char *s, uint8_t uuid[16])
{
	size_t b = 0;

	if (strlen(s) != 36)
		return -EINVAL;
	for (size_t i = 0; i < 36;) {
		int hi, lo;

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			i++;
			continue;
		}
		hi = hex_digit(s[i]);
		lo = hex_digit(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		uuid[b++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}

void emu_uuid_format(const uint8_t u[16], char out[37])
{
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}
