/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NVMe-MI endpoint logic of nvme-mi-emu: one request message in, one
 * reply message out. No I/O, so test-emu-mi.c calls it directly.
 *
 * Formats (offsets from the MCTP type byte, little endian): NVMe-MI 1.2
 * sections 3.1 (message header, MIC), 4.1.2 (response status), 5 (MI
 * commands: Read NVMe-MI Data Structure 5.7, Subsystem Health Status Poll
 * 5.6, Configuration Get/Set 5.4/5.5) and 6 (NVMe Admin command tunnel);
 * cross-checked against libnvme 1.3 <nvme/mi.h> and <nvme/types.h>.
 */
#include <errno.h>
#include <string.h>

#include "emu.h"

#define MI_HDR_LEN     4
#define MI_REQ_LEN     16 /* header + opcode + NMD0 + NMD1 */
#define MI_RESP_LEN    8 /* header + status + NMRESP */
#define ADMIN_REQ_LEN  68
#define ADMIN_RESP_LEN 20
#define MIC_LEN	       4
#define XFER_MAX       4096

/* Admin request flags */
#define ADMIN_FLAG_DLV 0x01
#define ADMIN_FLAG_DOV 0x02

/* NVMe status: Status Code Type / Status Code */
#define SCT_GENERIC	    0
#define SCT_CMD_SPECIFIC    1
#define SC_SUCCESS	    0x00
#define SC_INVALID_OPCODE   0x01
#define SC_INVALID_FIELD    0x02
#define SC_INVALID_NS	    0x0b
#define SC_INVALID_LOG_PAGE 0x09 /* command specific */

#define KELVIN_OFFSET 273

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = v & 0xff;
	p[1] = v >> 8;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (v >> (8 * i)) & 0xff;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* ASCII field, space padded, not NUL terminated (NVMe Identify strings) */
static void put_string(uint8_t *p, size_t size, const char *s)
{
	size_t n = strlen(s);

	memset(p, ' ', size);
	memcpy(p, s, n < size ? n : size);
}

static uint16_t kelvin(int celsius)
{
	int k = celsius + KELVIN_OFFSET;

	return k < 0 ? 0 : k > 0xffff ? 0xffff : (uint16_t)k;
}

uint32_t emu_crc32c_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0x82f63b78u & -(crc & 1u));
	}
	return crc;
}

uint32_t emu_mic(const void *msg, size_t len)
{
	return ~emu_crc32c_update(0xffffffffu, msg, len);
}

/*
 * NVM Subsystem Status (NSS), health poll byte 0. The layout depends on
 * the NVMe-MI revision the drive claims (nvmed decodes by it, so the
 * emulator speaks both):
 * - NVMe-MI 1.2 and earlier, as OpenBMC dbus-sensors decodes it
 *   (nvmesensor tests nss & 0x20): bit 5 DF Drive Functional, bit 4 RNR
 *   Reset Not Required, bit 3 P0LA Port 0 PCIe Link Active, bit 2 P1LA
 *   Port 1 PCIe Link Active (bits 4..2 not re-checked against the
 *   specification text).
 * - Newer revisions, as linux-nvme/nvme-cli libnvme
 *   src/nvme/nvme-types-mi.h enum nvme_mi_nss defines them: bit 0 NRDY
 *   (Not Ready), bit 1 DRV (Drive functional/ready); nothing else set.
 */
uint8_t emu_mi_nss(const struct emu_drive *d)
{
	bool newer = d->mi_major > 1 || (d->mi_major == 1 && d->mi_minor > 2);

	if (newer)
		return (d->ready ? 0 : 0x01) | (d->functional ? 0x02 : 0);
	return (d->functional ? 0x20 : 0) | 0x10 | 0x08;
}

/*
 * Composite Temperature (CTEMP), NVMe-MI 1.2 figure 108: two's complement
 * degrees C; 0x7F means 127 C or more, 0xC4 -60 C or less, 0x80 no data
 * (or older than 5 s), 0x81 sensor failure; 0x82..0xC3 are reserved.
 */
uint8_t emu_mi_ctemp(const struct emu_drive *d)
{
	if (d->temp_state == EMU_TEMP_NO_DATA)
		return 0x80;
	if (d->temp_state == EMU_TEMP_SENSOR_FAILURE)
		return 0x81;
	if (d->temperature >= 127)
		return 0x7f;
	if (d->temperature <= -60)
		return 0xc4;
	return (uint8_t)(int8_t)d->temperature;
}

/* Reply header: the request's, with ROR set. */
static void reply_header(const uint8_t *msg, uint8_t *resp)
{
	resp[0] = EMU_MCTP_TYPE_NVME_MI;
	resp[1] = msg[1] | 0x80;
	resp[2] = 0;
	resp[3] = 0;
}

static size_t finish(uint8_t *resp, size_t len)
{
	put_le32(resp + len, emu_mic(resp, len));
	return len + MIC_LEN;
}

/* Error reply: header, status, NMRESP = 0 (8 bytes + MIC). */
static size_t error_reply(const uint8_t *msg, uint8_t status, uint8_t *resp)
{
	reply_header(msg, resp);
	resp[4] = status;
	resp[5] = resp[6] = resp[7] = 0;
	return finish(resp, MI_RESP_LEN);
}

size_t emu_mi_mpr_reply(const uint8_t *msg, uint16_t mprt, uint8_t *resp)
{
	reply_header(msg, resp);
	resp[4] = EMU_MI_MPR;
	resp[5] = 0;
	put_le16(resp + 6, mprt);
	return finish(resp, MI_RESP_LEN);
}

size_t emu_mi_apply_faults(const struct emu_drive *d, uint8_t *resp, size_t len)
{
	if (d->bad_mic && len >= MIC_LEN)
		resp[len - 1] ^= 0xa5;
	if (d->truncate && d->truncate < len)
		len = d->truncate;
	return len;
}

/* ---- MI commands ---- */

#define SMBUS_PORT     1
#define NUM_PORTS      2
#define SMBUS_FREQ_MAX 2 /* 400 kHz */
#define MCTP_MTU_MIN   64
#define SMBUS_MMCTPTUS 250

static uint16_t ccs(const struct emu_drive *d)
{
	/* RDY b0, CFS b1 (a non-functional drive reports a fatal status),
	 * SHST b2; b4..b12 are change flags (libnvme enum nvme_mi_ccs). */
	return (d->ready ? 0x01 : 0) | (d->functional ? 0 : 0x02) |
	       (d->ccs_changed & 0x1ff0);
}

/* Read NVMe-MI Data Structure; returns the data length or -MI status. */
static int read_mi_data(const struct emu_drive *d, uint32_t nmd0, uint8_t *data)
{
	uint8_t dtyp = nmd0 >> 24, portid = (nmd0 >> 16) & 0xff;
	uint16_t ctrlid = nmd0 & 0xffff;

	switch (dtyp) {
	case 0: /* NVM Subsystem Information */
		memset(data, 0, 32);
		data[0] = NUM_PORTS - 1; /* NUMP is 0's based */
		data[1] = d->mi_major;
		data[2] = d->mi_minor;
		return 32;
	case 1: /* Port Information */
		if (portid >= NUM_PORTS)
			return -EMU_MI_INVALID_PARAM;
		memset(data, 0, 32);
		if (portid == 0) {
			data[0] = 1; /* PCIe */
			put_le16(data + 2, 64);
			data[8] = 1; /* MPS 256 bytes */
			data[9] = 0x0f; /* SLS 2.5..16 GT/s */
			data[10] = 4; /* CLS 16 GT/s */
			data[11] = 4; /* MLW x4 */
			data[12] = 4; /* NLW x4 */
			data[13] = 0; /* PN */
		} else {
			data[0] = 2; /* SMBus */
			put_le16(data + 2, SMBUS_MMCTPTUS);
			data[8] = 0x53; /* VPD address */
			data[9] = 1; /* max VPD frequency 100 kHz */
			data[10] = (uint8_t)d->address; /* ME address */
			data[11] = SMBUS_FREQ_MAX; /* ME max frequency */
			data[12] = 1; /* NVMe basic management supported */
		}
		return 32;
	case 2: /* Controller List: IDs >= the one asked for */
		if (ctrlid > 0) {
			put_le16(data, 0);
			return 2;
		}
		put_le16(data, 1);
		put_le16(data + 2, 0);
		return 4;
	case 3: /* Controller Information */
		if (ctrlid != 0)
			return -EMU_MI_INVALID_PARAM;
		memset(data, 0, 32);
		data[0] = 0; /* port 0 */
		data[5] = 1; /* PCIe routing ID valid */
		put_le16(data + 6, 0x0100); /* bus 1, device 0, function 0 */
		put_le16(data + 8, d->vid);
		put_le16(data + 10, d->did);
		put_le16(data + 12, d->ssvid);
		put_le16(data + 14, d->ssid);
		return 32;
	default:
		return -EMU_MI_INVALID_PARAM;
	}
}

static size_t handle_mi(struct emu_drive *d, const uint8_t *msg, size_t len,
			uint8_t *resp)
{
	uint32_t nmd0, nmd1, nmresp = 0;
	uint8_t *data = resp + MI_RESP_LEN;
	uint8_t port, freq;
	int dlen = 0;

	if (len < MI_REQ_LEN)
		return error_reply(msg, EMU_MI_INVALID_CMD_SIZE, resp);
	nmd0 = get_le32(msg + 8);
	nmd1 = get_le32(msg + 12);
	port = nmd0 >> 24;

	switch (msg[4]) {
	case 0x00: /* Read NVMe-MI Data Structure */
		dlen = read_mi_data(d, nmd0, data);
		if (dlen < 0)
			return error_reply(msg, (uint8_t)-dlen, resp);
		nmresp = (uint32_t)dlen; /* response data length */
		break;
	case 0x01: /* Subsystem Health Status Poll */
		data[0] = emu_mi_nss(d);
		/* SMART Warnings: a bit cleared to 0 flags the warning (as in
		 * the basic management command, where 0xff means none); bits
		 * 4..0 follow the SMART critical warning order. */
		data[1] = (uint8_t) ~(d->critical_warning & 0x1f);
		data[2] = emu_mi_ctemp(d);
		data[3] = d->percentage_used > 255 ?
				  255 :
				  (uint8_t)d->percentage_used;
		put_le16(data + 4, ccs(d));
		data[6] = data[7] = 0;
		dlen = 8;
		if (nmd1 & 0x80000000u) /* CS: clear the change flags */
			d->ccs_changed = 0;
		break;
	case 0x03: /* Configuration Set */
		switch (nmd0 & 0xff) {
		case 1: /* SMBus/I2C frequency */
			freq = (nmd0 >> 8) & 0xf;
			if (port != SMBUS_PORT || freq < 1 ||
			    freq > SMBUS_FREQ_MAX)
				return error_reply(msg, EMU_MI_INVALID_PARAM,
						   resp);
			d->smbus_freq = freq;
			break;
		case 2: /* Health Status Change: clear the CCS bits given */
			d->ccs_changed &= ~(nmd1 & 0x1ff0);
			break;
		case 3: /* MCTP Transmission Unit Size */
			if (port >= NUM_PORTS || (nmd1 & 0xffff) < MCTP_MTU_MIN)
				return error_reply(msg, EMU_MI_INVALID_PARAM,
						   resp);
			d->mctp_mtu = nmd1 & 0xffff;
			break;
		default:
			return error_reply(msg, EMU_MI_INVALID_PARAM, resp);
		}
		break;
	case 0x04: /* Configuration Get */
		switch (nmd0 & 0xff) {
		case 1:
			if (port != SMBUS_PORT)
				return error_reply(msg, EMU_MI_INVALID_PARAM,
						   resp);
			nmresp = d->smbus_freq & 0xf;
			break;
		case 3:
			if (port >= NUM_PORTS)
				return error_reply(msg, EMU_MI_INVALID_PARAM,
						   resp);
			nmresp = d->mctp_mtu;
			break;
		default: /* Health Status Change has no Get */
			return error_reply(msg, EMU_MI_INVALID_PARAM, resp);
		}
		break;
	default:
		return error_reply(msg, EMU_MI_INVALID_OPCODE, resp);
	}

	reply_header(msg, resp);
	resp[4] = EMU_MI_SUCCESS;
	resp[5] = nmresp & 0xff;
	resp[6] = (nmresp >> 8) & 0xff;
	resp[7] = (nmresp >> 16) & 0xff;
	return finish(resp, MI_RESP_LEN + (size_t)dlen);
}

/* ---- tunnelled Admin commands ---- */

struct admin_result {
	uint8_t sct, sc;
	bool dnr;
	uint32_t cdw0;
	size_t xfer; /* bytes the command transfers to the host */
};

static void set_status(struct admin_result *r, uint8_t sct, uint8_t sc)
{
	r->sct = sct;
	r->sc = sc;
	r->dnr = true;
	r->xfer = 0;
}

static void identify_ctrl(const struct emu_drive *d, uint8_t *b)
{
	put_le16(b + 0, d->vid);
	put_le16(b + 2, d->ssvid);
	put_string(b + 4, 20, d->serial);
	put_string(b + 24, 40, d->model);
	put_string(b + 64, 8, d->firmware);
	b[72] = 6; /* RAB */
	b[77] = 5; /* MDTS: 2^5 pages */
	put_le16(b + 78, 0); /* CNTLID */
	put_le32(b + 80, 0x00010400); /* VER 1.4 */
	b[111] = 1; /* CNTRLTYPE: I/O controller */
	put_le16(b + 256, 0x0004); /* OACS: firmware download/commit */
	b[258] = 3; /* ACL */
	b[259] = 3; /* AERL */
	b[260] = 0x02; /* FRMW: one slot */
	b[261] = 0x02; /* LPA: command effects log */
	b[262] = 0; /* ELPE: one error log entry */
	b[263] = 0; /* NPSS */
	put_le16(b + 266, kelvin(d->warning_temp)); /* WCTEMP */
	put_le16(b + 268, kelvin(d->critical_temp)); /* CCTEMP */
	put_le64(b + 280, d->capacity); /* TNVMCAP, low 8 of 16 bytes */
	b[512] = 0x66; /* SQES */
	b[513] = 0x44; /* CQES */
	put_le32(b + 516, 1); /* NN */
	/* SUBNQN is NUL padded */
	strcpy((char *)b + 768, "nqn.2014-08.org.example:nvme-mi-emu");
	put_le16(b + 2048, 2500); /* PSD0 MP: 25 W */
}

static void identify_ns(const struct emu_drive *d, uint8_t *b)
{
	uint64_t blocks = d->capacity / 512;

	put_le64(b + 0, blocks); /* NSZE */
	put_le64(b + 8, blocks); /* NCAP */
	put_le64(b + 16, blocks); /* NUSE */
	b[25] = 0; /* NLBAF: one format */
	b[26] = 0; /* FLBAS */
	b[128 + 2] = 9; /* LBAF0: 512-byte blocks */
}

static void admin_identify(const struct emu_drive *d, uint32_t nsid,
			   uint32_t cdw10, uint8_t *b, struct admin_result *r)
{
	uint16_t cntid = cdw10 >> 16;

	r->xfer = XFER_MAX;
	switch (cdw10 & 0xff) {
	case 0x00: /* Identify Namespace */
		if (nsid == 1)
			identify_ns(d, b);
		else if (nsid != 0xffffffffu)
			set_status(r, SCT_GENERIC, SC_INVALID_NS);
		else
			b[128 + 2] = 9; /* common format of all namespaces */
		break;
	case 0x01: /* Identify Controller */
		identify_ctrl(d, b);
		break;
	case 0x02: /* Active Namespace ID list: IDs > nsid */
		if (nsid >= 0xfffffffeu)
			set_status(r, SCT_GENERIC, SC_INVALID_NS);
		else if (nsid < 1)
			put_le32(b, 1);
		break;
	case 0x13: /* Controller List: IDs >= CNTID */
		if (cntid == 0) {
			put_le16(b, 1);
			put_le16(b + 2, 0);
		}
		break;
	default:
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
	}
}

static void smart_log(const struct emu_drive *d, uint8_t *b)
{
	b[0] = d->critical_warning;
	put_le16(b + 1,
		 d->temp_state == EMU_TEMP_VALID ? kelvin(d->temperature) : 0);
	b[3] = d->available_spare;
	b[4] = d->spare_threshold;
	b[5] = d->percentage_used > 255 ? 255 : (uint8_t)d->percentage_used;
	put_le64(b + 112, d->power_cycles);
	put_le64(b + 128, d->power_on_hours);
	if (d->temp_state == EMU_TEMP_VALID)
		put_le16(b + 200, kelvin(d->temperature)); /* sensor 1 */
}

static void admin_get_log(const struct emu_drive *d, uint32_t cdw10,
			  uint32_t cdw11, uint32_t cdw12, uint32_t cdw13,
			  uint8_t *b, struct admin_result *r)
{
	uint8_t page[512] = { 0 };
	uint64_t numd = ((uint64_t)(cdw11 & 0xffff) << 16 | cdw10 >> 16) + 1;
	uint64_t lpo = (uint64_t)cdw13 << 32 | cdw12;
	size_t page_len = sizeof(page);

	switch (cdw10 & 0xff) {
	case 0x01: /* Error Information: no errors logged */
		page_len = 64;
		break;
	case 0x02: /* SMART / Health Information */
		smart_log(d, page);
		break;
	case 0x03: /* Firmware Slot Information */
		page[0] = 0x01; /* AFI: slot 1 active */
		put_string(page + 8, 8, d->firmware); /* FRS1 */
		break;
	default:
		set_status(r, SCT_CMD_SPECIFIC, SC_INVALID_LOG_PAGE);
		return;
	}
	if (numd * 4 > XFER_MAX || lpo > page_len || (lpo & 3)) {
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	r->xfer = (size_t)numd * 4;
	/* past the end of the page, the host reads zeroes */
	memcpy(b, page + lpo,
	       page_len - lpo < r->xfer ? page_len - lpo : r->xfer);
}

static void admin_get_features(const struct emu_drive *d, uint32_t cdw10,
			       uint32_t cdw11, struct admin_result *r)
{
	switch (cdw10 & 0xff) {
	case 0x04: /* Temperature Threshold: composite sensor only */
		if ((cdw11 >> 16) & 0xf) {
			set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
			return;
		}
		/* THSEL 0: over-temperature (WCTEMP), 1: under (0 K) */
		r->cdw0 = ((cdw11 >> 20) & 0x3) == 0 ? kelvin(d->warning_temp) :
						       0;
		break;
	default:
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
	}
}

static size_t handle_admin(struct emu_drive *d, const uint8_t *msg, size_t len,
			   uint8_t *resp)
{
	uint8_t *buf = resp + ADMIN_RESP_LEN; /* the transfer, then windowed */
	struct admin_result r = { 0 };
	uint32_t nsid, doff = 0, dlen = 0, cdw10, cdw11, cdw12, cdw13, dw3;
	uint8_t flags;

	if (len < ADMIN_REQ_LEN)
		return error_reply(msg, EMU_MI_INVALID_CMD_SIZE, resp);
	flags = msg[5];
	if (msg[6] | msg[7]) /* only controller 0 exists */
		return error_reply(msg, EMU_MI_INVALID_PARAM, resp);
	nsid = get_le32(msg + 8);
	if (flags & ADMIN_FLAG_DOV)
		doff = get_le32(msg + 28);
	if (flags & ADMIN_FLAG_DLV)
		dlen = get_le32(msg + 32);
	cdw10 = get_le32(msg + 44);
	cdw11 = get_le32(msg + 48);
	cdw12 = get_le32(msg + 52);
	cdw13 = get_le32(msg + 56);

	memset(buf, 0, XFER_MAX);
	if (d->admin_status) {
		r.sc = d->admin_status & 0xff;
		r.sct = (d->admin_status >> 8) & 0x7;
		r.dnr = (d->admin_status >> 14) & 1;
	} else {
		switch (msg[4]) {
		case 0x06:
			admin_identify(d, nsid, cdw10, buf, &r);
			break;
		case 0x02:
			admin_get_log(d, cdw10, cdw11, cdw12, cdw13, buf, &r);
			break;
		case 0x0a:
			admin_get_features(d, cdw10, cdw11, &r);
			break;
		default:
			set_status(&r, SCT_GENERIC, SC_INVALID_OPCODE);
		}
	}

	/* DOFF/DLEN select the part of the transfer that is returned; a
	 * window outside the transfer is an invalid parameter. */
	if (r.sc == SC_SUCCESS && r.sct == SCT_GENERIC) {
		if (dlen > XFER_MAX || doff > r.xfer || dlen > r.xfer - doff)
			return error_reply(msg, EMU_MI_INVALID_PARAM, resp);
	} else {
		dlen = 0;
	}

	reply_header(msg, resp);
	resp[4] = EMU_MI_SUCCESS;
	resp[5] = resp[6] = resp[7] = 0;
	put_le32(resp + 8, r.cdw0);
	put_le32(resp + 12, 0);
	dw3 = (uint32_t)r.sc << 17 | (uint32_t)(r.sct & 0x7) << 25 |
	      (r.dnr ? 1u << 31 : 0);
	put_le32(resp + 16, dw3);
	memmove(buf, buf + doff, dlen);
	return finish(resp, ADMIN_RESP_LEN + dlen);
}

int emu_mi_handle(struct emu_drive *d, const uint8_t *msg, size_t len,
		  uint8_t *resp, size_t *ret_len)
{
	size_t body;

	if (len < MI_HDR_LEN + MIC_LEN || len > EMU_MSG_MAX)
		return -EPROTO;
	if (msg[0] != EMU_MCTP_TYPE_NVME_MI)
		return -EPROTO;
	body = len - MIC_LEN;
	if (emu_mic(msg, body) != get_le32(msg + body)) {
		d->bad_mic_requests++;
		return -EBADMSG;
	}
	if (msg[1] & 0x80) /* a response, not a request */
		return -EPROTO;
	d->requests++;

	if (d->status)
		*ret_len = error_reply(msg, d->status, resp);
	else if (((msg[1] >> 3) & 0xf) == EMU_NMIMT_MI)
		*ret_len = handle_mi(d, msg, body, resp);
	else if (((msg[1] >> 3) & 0xf) == EMU_NMIMT_ADMIN)
		*ret_len = handle_admin(d, msg, body, resp);
	else /* Control primitives and PCIe commands are not modelled */
		*ret_len = error_reply(msg, EMU_MI_INVALID_OPCODE, resp);
	return 0;
}
