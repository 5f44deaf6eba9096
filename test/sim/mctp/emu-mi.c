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
#define SCT_GENERIC	   0
#define SCT_CMD_SPECIFIC   1
#define SC_SUCCESS	   0x00
#define SC_INVALID_OPCODE  0x01
#define SC_INVALID_FIELD   0x02
#define SC_INVALID_NS	   0x0b
#define SC_SANITIZE_ACTIVE 0x1d /* generic: Sanitize In Progress */
/* command specific (SCT 1), NVMe Base 2.0 5.12 (Firmware Commit), 5.13
 * (Firmware Image Download), 5.16 (Get Log Page) */
#define SC_INVALID_FW_SLOT   0x06
#define SC_INVALID_FW_IMAGE  0x07
#define SC_INVALID_LOG_PAGE  0x09
#define SC_FW_NEEDS_CONV     0x0b
#define SC_FW_NEEDS_SUBSYS   0x10
#define SC_FW_NEEDS_CTRL     0x11
#define SC_OVERLAPPING_RANGE 0x14

/* Admin opcodes */
#define OPC_GET_LOG	 0x02
#define OPC_IDENTIFY	 0x06
#define OPC_GET_FEATURES 0x0a
#define OPC_FW_COMMIT	 0x10
#define OPC_FW_DOWNLOAD	 0x11
#define OPC_SANITIZE	 0x84

/* firmware image format (the emulator's, mgmt contract section 2) */
#define FW_MAGIC    "EMFW"
#define FW_HEAD_LEN 12

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
static uint8_t ctemp(const struct emu_drive *d, int t)
{
	if (d->temp_state == EMU_TEMP_NO_DATA)
		return 0x80;
	if (d->temp_state == EMU_TEMP_SENSOR_FAILURE)
		return 0x81;
	if (t >= 127)
		return 0x7f;
	if (t <= -60)
		return 0xc4;
	return (uint8_t)(int8_t)t;
}

uint8_t emu_mi_ctemp(const struct emu_drive *d)
{
	return ctemp(d, d->temperature);
}

/* The temperature an NVMe-MI reply carries: fault_temp, when set, in a
 * reply that must not be taken (its MIC is corrupted, or it comes after
 * the client gave up: late, one-shot, still set while the reply is
 * built), so that a client taking it shows. */
static int reply_temperature(const struct emu_drive *d)
{
	if (d->fault_temp >= -273 && (d->bad_mic || d->late_ms))
		return d->fault_temp;
	return d->temperature;
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
		data[2] = ctemp(d, reply_temperature(d));
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

unsigned int emu_drive_namespaces(const struct emu_drive *d,
				  struct emu_ns ns[EMU_NS_MAX])
{
	if (d->ns_set) {
		memcpy(ns, d->ns, d->n_ns * sizeof(*ns));
		return d->n_ns;
	}
	ns[0] = (struct emu_ns){
		.nsid = 1,
		.size = d->capacity,
		.lbads = 9,
	};
	return 1;
}

/* Identify Controller, NVMe Base 2.0 5.17 (Identify command, the
 * Identify Controller data structure); the bytes touched here: FRMW 260, FWUG 319, SANICAP
 * 328..331, NN 516. */
static void identify_ctrl(const struct emu_drive *d, uint8_t *b)
{
	struct emu_ns ns[EMU_NS_MAX];
	unsigned int n = emu_drive_namespaces(d, ns);
	uint32_t nn = n ? ns[n - 1].nsid : 1;

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
	/* FRMW: bit 4 activation without reset, bits 3:1 slots, bit 0 slot
	 * 1 read-only */
	b[260] = (uint8_t)((d->fw_no_reset ? 0x10 : 0) |
			   (d->fw_slots & 0x7) << 1 | (d->fw_slot1_ro ? 1 : 0));
	b[261] = 0x02; /* LPA: command effects log */
	b[262] = 0; /* ELPE: one error log entry */
	b[263] = 0; /* NPSS */
	put_le16(b + 266, kelvin(d->warning_temp)); /* WCTEMP */
	put_le16(b + 268, kelvin(d->critical_temp)); /* CCTEMP */
	put_le64(b + 280, d->capacity); /* TNVMCAP, low 8 of 16 bytes */
	b[319] = d->fw_ug; /* FWUG */
	put_le32(b + 328, d->sanicap); /* SANICAP: CES b0, BES b1, OWS b2 */
	b[512] = 0x66; /* SQES */
	b[513] = 0x44; /* CQES */
	put_le32(b + 516, nn); /* NN: the highest NSID */
	/* SUBNQN is NUL padded */
	strcpy((char *)b + 768, "nqn.2014-08.org.example:nvme-mi-emu");
	put_le16(b + 2048, 2500); /* PSD0 MP: 25 W */
}

/* Identify Namespace (CNS 00h, NVMe Base 2.0 5.17; the NVM command
 * set's layout): NSZE, NCAP, NUSE in blocks, NLBAF 0's based, FLBAS
 * index 0, LBA Format 0 at byte 128 (MS bytes 1:0, LBADS byte 2). */
static void identify_ns(const struct emu_ns *ns, uint8_t *b)
{
	uint64_t blocks = ns->size >> ns->lbads;

	put_le64(b + 0, blocks); /* NSZE */
	put_le64(b + 8, blocks); /* NCAP */
	put_le64(b + 16, blocks); /* NUSE */
	b[25] = 0; /* NLBAF: one format */
	b[26] = 0; /* FLBAS: format 0, metadata in a separate buffer */
	put_le16(b + 128, ns->ms); /* LBAF0 MS */
	b[128 + 2] = ns->fault_lbads ? ns->fault_lbads : ns->lbads; /* LBADS */
}

static void admin_identify(const struct emu_drive *d, uint32_t nsid,
			   uint32_t cdw10, uint8_t *b, struct admin_result *r)
{
	uint16_t cntid = cdw10 >> 16;
	struct emu_ns ns[EMU_NS_MAX];
	unsigned int n = emu_drive_namespaces(d, ns), k = 0;

	r->xfer = XFER_MAX;
	switch (cdw10 & 0xff) {
	case 0x00: /* Identify Namespace */
		if (nsid == 0xffffffffu) {
			b[128 + 2] = 9; /* common format of all namespaces */
			break;
		}
		for (unsigned int i = 0; i < n; i++) {
			if (ns[i].nsid == nsid) {
				identify_ns(&ns[i], b);
				k++;
			}
		}
		if (!k) /* no such (active) namespace */
			set_status(r, SCT_GENERIC, SC_INVALID_NS);
		break;
	case 0x01: /* Identify Controller */
		identify_ctrl(d, b);
		break;
	case 0x02: /* Active Namespace ID list: IDs > nsid */
		if (nsid >= 0xfffffffeu) {
			set_status(r, SCT_GENERIC, SC_INVALID_NS);
			break;
		}
		for (unsigned int i = 0; i < n; i++)
			if (ns[i].nsid > nsid)
				put_le32(b + 4 * k++, ns[i].nsid);
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
	put_le16(b + 1, d->temp_state == EMU_TEMP_VALID ?
				kelvin(reply_temperature(d)) :
				0);
	b[3] = d->available_spare;
	b[4] = d->spare_threshold;
	b[5] = d->percentage_used > 255 ? 255 : (uint8_t)d->percentage_used;
	put_le64(b + 112, d->power_cycles);
	put_le64(b + 128, d->power_on_hours);
	if (d->temp_state == EMU_TEMP_VALID)
		put_le16(b + 200, kelvin(reply_temperature(d))); /* sensor 1 */
}

/* ---- sanitize: NVMe Base 2.0 5.24 (Sanitize command) and the Sanitize
 * Operations section of chapter 8; progress is a function of the time
 * passed in ---- */

#define SANACT_EXIT_FAILURE 1
#define SANACT_BLOCK	    2
#define SANACT_OVERWRITE    3
#define SANACT_CRYPTO	    4

static unsigned int owpass(uint32_t cdw10)
{
	unsigned int n = (cdw10 >> 4) & 0xf;

	return n ? n : 16; /* OWPASS 0h means 16 passes */
}

uint16_t emu_drive_sanitize_progress(const struct emu_drive *d)
{
	uint64_t done;

	if (d->san_state != EMU_SAN_IN_PROGRESS)
		return 0xffff;
	if (d->sanitize_ms == 0)
		return 0xffff;
	done = (d->san_now_ms - d->san_start_ms) * 65536 / d->sanitize_ms;
	return done > 0xfffe ? 0xfffe : (uint16_t)done;
}

void emu_drive_tick(struct emu_drive *d, uint64_t now_ms)
{
	if (now_ms > d->san_now_ms)
		d->san_now_ms = now_ms;
	if (d->san_state != EMU_SAN_IN_PROGRESS ||
	    d->san_now_ms - d->san_start_ms < d->sanitize_ms)
		return;
	d->san_event = true;
	if (d->sanitize_fail) {
		d->san_state = EMU_SAN_FAILED;
		return;
	}
	/* NDAS (bit 9) asked for no deallocation: SSTAT 4h */
	d->san_state = (d->san_cdw10 >> 9) & 1 ? EMU_SAN_COMPLETED_NO_DEALLOC :
						 EMU_SAN_COMPLETED;
	if ((d->san_cdw10 & 0x7) == SANACT_OVERWRITE)
		d->san_passes = (uint8_t)owpass(d->san_cdw10);
	d->san_global_erased = true;
}

void emu_state_tick(struct emu_state *s, uint64_t now_ms)
{
	for (size_t i = 0; i < s->n_drives; i++)
		emu_drive_tick(s->drives[i], now_ms);
}

static void admin_sanitize(struct emu_drive *d, uint32_t cdw10,
			   struct admin_result *r)
{
	uint8_t sanact = cdw10 & 0x7, cap;

	switch (sanact) {
	case SANACT_EXIT_FAILURE:
		/* leaves the failure mode; the log keeps "failed" until the
		 * next sanitize */
		return;
	case SANACT_BLOCK:
		cap = 0x02;
		break;
	case SANACT_OVERWRITE:
		cap = 0x04;
		break;
	case SANACT_CRYPTO:
		cap = 0x01;
		break;
	default:
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	if (!(d->sanicap & cap)) {
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	d->san_state = EMU_SAN_IN_PROGRESS;
	d->san_start_ms = d->san_now_ms;
	d->san_cdw10 = cdw10;
	d->san_passes = 0;
	d->san_global_erased = false;
	emu_drive_tick(d, d->san_now_ms); /* sanitize_ms 0: done at once */
}

/* Sanitize Status log page (81h), NVMe Base 2.0 5.16.1 */
static void sanitize_log(const struct emu_drive *d, uint8_t *b)
{
	uint32_t secs = (d->sanitize_ms + 999) / 1000;
	uint16_t sstat = (uint16_t)d->san_state;
	unsigned int passes = d->san_passes;

	if (d->san_state == EMU_SAN_IN_PROGRESS &&
	    (d->san_cdw10 & 0x7) == SANACT_OVERWRITE)
		passes = (unsigned int)((uint64_t)emu_drive_sanitize_progress(
						d) *
					owpass(d->san_cdw10) / 65536);
	sstat |= (uint16_t)((passes & 0x1f) << 3);
	if (d->san_global_erased)
		sstat |= 1u << 8;
	put_le16(b + 0, emu_drive_sanitize_progress(d)); /* SPROG */
	put_le16(b + 2, sstat); /* SSTAT */
	put_le32(b + 4, d->san_cdw10); /* SCDW10 */
	/* estimated times in seconds, FFFFFFFFh: none reported */
	put_le32(b + 8, d->sanicap & 0x04 ? secs : 0xffffffffu); /* overwrite */
	put_le32(b + 12, d->sanicap & 0x02 ? secs : 0xffffffffu); /* block */
	put_le32(b + 16, d->sanicap & 0x01 ? secs : 0xffffffffu); /* crypto */
}

/* Admin commands a controller runs while a sanitize is in progress (NVMe
 * Base 2.0, Sanitize Operations: the commands permitted meanwhile, of
 * those this drive has): Identify, Get Features and Get Log Page of the
 * Error, SMART, Firmware Slot and Sanitize Status logs. The others,
 * Sanitize included, answer Sanitize In Progress. */
static bool allowed_in_sanitize(uint8_t opcode, uint32_t cdw10)
{
	switch (opcode) {
	case OPC_IDENTIFY:
	case OPC_GET_FEATURES:
		return true;
	case OPC_GET_LOG:
		switch (cdw10 & 0xff) {
		case 0x01:
		case 0x02:
		case 0x03:
		case 0x81:
			return true;
		}
		return false;
	default:
		return false;
	}
}

/* ---- firmware: NVMe Base 2.0 5.12 (Firmware Commit), 5.13 (Firmware
 * Image Download), 5.16.1 (Firmware Slot Information log page) ---- */

/* FWUG in bytes: 4 KiB units; 0h (no information) and FFh (no
 * restriction) leave dword granularity. */
static uint64_t fw_granularity(const struct emu_drive *d)
{
	return d->fw_ug == 0 || d->fw_ug == 0xff ? 4 :
						   (uint64_t)d->fw_ug * 4096;
}

static void admin_fw_download(struct emu_drive *d, uint32_t cdw10,
			      uint32_t cdw11, const uint8_t *data,
			      size_t data_len, struct admin_result *r)
{
	uint64_t numd = (uint64_t)cdw10 + 1, ofst = (uint64_t)cdw11 * 4;
	uint64_t len = numd * 4, gran = fw_granularity(d);

	if (len != data_len || ofst % gran) {
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	if (ofst == 0) { /* a new image */
		d->dl_bytes = 0;
		d->dl_ended = false;
		memset(d->dl_head, 0, sizeof(d->dl_head));
	}
	if (ofst < d->dl_bytes) {
		set_status(r, SCT_CMD_SPECIFIC, SC_OVERLAPPING_RANGE);
		return;
	}
	if (ofst > d->dl_bytes || d->dl_ended) { /* a gap */
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	if (ofst < FW_HEAD_LEN)
		memcpy(d->dl_head + ofst, data,
		       len < FW_HEAD_LEN - ofst ? len : FW_HEAD_LEN - ofst);
	d->dl_bytes += len;
	if (len % gran) /* only the final piece may be shorter */
		d->dl_ended = true;
}

static void fw_activate(struct emu_drive *d, uint8_t slot)
{
	d->fw_active = slot;
	d->fw_next = 0;
	memcpy(d->firmware, d->fw_rev[slot - 1], sizeof(d->firmware));
}

/* Slot FS 0 leaves to the controller: a writable slot other than the
 * active one, else the active one if it is writable (0: none). */
static uint8_t fw_pick_slot(const struct emu_drive *d)
{
	for (uint8_t s = 1; s <= d->fw_slots; s++)
		if (s != d->fw_active && !(s == 1 && d->fw_slot1_ro))
			return s;
	if (!(d->fw_active == 1 && d->fw_slot1_ro))
		return d->fw_active;
	return 0;
}

static void admin_fw_commit(struct emu_drive *d, uint32_t cdw10,
			    struct admin_result *r)
{
	uint8_t fs = cdw10 & 0x7, ca = (cdw10 >> 3) & 0x7;
	bool replace = ca == 0 || ca == 1 || ca == 3;
	char rev[9];

	if (ca > 3) { /* boot partitions, reserved: not supported */
		set_status(r, SCT_GENERIC, SC_INVALID_FIELD);
		return;
	}
	if (fs == 0)
		fs = replace ? fw_pick_slot(d) : d->fw_active;
	if (fs == 0 || fs > d->fw_slots ||
	    (replace && fs == 1 && d->fw_slot1_ro)) {
		set_status(r, SCT_CMD_SPECIFIC, SC_INVALID_FW_SLOT);
		return;
	}
	if (replace) {
		if (d->dl_bytes < FW_HEAD_LEN ||
		    memcmp(d->dl_head, FW_MAGIC, 4) != 0) {
			set_status(r, SCT_CMD_SPECIFIC, SC_INVALID_FW_IMAGE);
			return;
		}
		/* bytes 4..11: the revision, space padded */
		memcpy(rev, d->dl_head + 4, 8);
		rev[8] = '\0';
		for (int i = 7; i >= 0 && rev[i] == ' '; i--)
			rev[i] = '\0';
		memcpy(d->fw_rev[fs - 1], rev, sizeof(rev));
		/* the image is consumed */
		d->dl_bytes = 0;
		d->dl_ended = false;
		memset(d->dl_head, 0, sizeof(d->dl_head));
	} else if (d->fw_rev[fs - 1][0] == '\0') {
		set_status(r, SCT_CMD_SPECIFIC, SC_INVALID_FW_IMAGE);
		return;
	}
	switch (ca) {
	case 0: /* replace only */
		return;
	case 1: /* replace, activate at the next reset (the active slot
		 * too: its new image then runs) */
		d->fw_next = fs;
		return;
	case 2: /* activate at the next reset */
		d->fw_next = fs == d->fw_active ? 0 : fs;
		return;
	}
	/* CA 3: activate now, unless this drive needs a reset for it */
	if (d->fw_no_reset && d->fw_reset_required == EMU_FW_RESET_NONE) {
		fw_activate(d, fs);
		return;
	}
	d->fw_next = fs;
	r->dnr = false;
	r->sct = SCT_CMD_SPECIFIC;
	switch (d->fw_reset_required) {
	case EMU_FW_RESET_SUBSYSTEM:
		r->sc = SC_FW_NEEDS_SUBSYS;
		break;
	case EMU_FW_RESET_CONTROLLER:
		r->sc = SC_FW_NEEDS_CTRL;
		break;
	default:
		r->sc = SC_FW_NEEDS_CONV;
	}
}

/* Firmware Slot Information log page (03h): AFI bits 2:0 active slot,
 * bits 6:4 the slot activated at the next reset; FRS1..7 at 8 + 8 (n-1). */
static void fw_slot_log(const struct emu_drive *d, uint8_t *b)
{
	b[0] = (uint8_t)((d->fw_active & 0x7) | (d->fw_next & 0x7) << 4);
	for (unsigned int s = 0; s < d->fw_slots; s++)
		if (d->fw_rev[s][0])
			put_string(b + 8 + 8 * s, 8, d->fw_rev[s]);
}

static void admin_get_log(const struct emu_drive *d, uint32_t cdw10,
			  uint32_t cdw11, uint32_t cdw12, uint32_t cdw13,
			  uint8_t *b, struct admin_result *r)
{
	static const char vendor[] = "nvme-mi-emu vendor log";
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
		fw_slot_log(d, page);
		break;
	case 0x81: /* Sanitize Status */
		sanitize_log(d, page);
		break;
	case 0xc0: /* vendor specific: a recognisable text and the serial */
		memcpy(page, vendor, sizeof(vendor) - 1);
		put_string(page + 32, 20, d->serial);
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

static void fault_status(struct admin_result *r, uint16_t status)
{
	r->sc = status & 0xff;
	r->sct = (status >> 8) & 0x7;
	r->dnr = (status >> 14) & 1;
}

/*
 * Data from the host (Firmware Image Download) comes after the 68-byte
 * request header, its length in DLEN (flags DLV), as libnvme's
 * nvme_mi_admin_fw_download() and nvme_mi_admin_admin_passthru() send it
 * (NVMe-MI 1.2 6, the Admin command request). For such commands DLEN is
 * the request's data; the response carries none.
 */
static size_t handle_admin(struct emu_drive *d, const uint8_t *msg, size_t len,
			   uint8_t *resp)
{
	uint8_t *buf = resp + ADMIN_RESP_LEN; /* the transfer, then windowed */
	struct admin_result r = { 0 };
	uint32_t nsid, doff = 0, dlen = 0, cdw10, cdw11, cdw12, cdw13, dw3;
	uint8_t flags, opcode;
	bool host_data;

	if (len < ADMIN_REQ_LEN)
		return error_reply(msg, EMU_MI_INVALID_CMD_SIZE, resp);
	opcode = msg[4];
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
	/* opcode bits 1:0 = 01b: data from host to controller */
	host_data = (opcode & 0x3) == 0x1;
	if (host_data && (doff || dlen != len - ADMIN_REQ_LEN))
		return error_reply(msg, EMU_MI_INVALID_INPUT_SIZE, resp);

	memset(buf, 0, XFER_MAX);
	if (d->admin_status) {
		fault_status(&r, d->admin_status);
	} else if (d->san_state == EMU_SAN_IN_PROGRESS &&
		   !allowed_in_sanitize(opcode, cdw10)) {
		set_status(&r, SCT_GENERIC, SC_SANITIZE_ACTIVE);
	} else {
		switch (opcode) {
		case OPC_IDENTIFY:
			admin_identify(d, nsid, cdw10, buf, &r);
			break;
		case OPC_GET_LOG:
			admin_get_log(d, cdw10, cdw11, cdw12, cdw13, buf, &r);
			if (r.sct == 0 && r.sc == 0 && (cdw10 & 0xff) == 0x81 &&
			    !(cdw10 & 1u << 15))
				d->san_event = false;
			break;
		case OPC_GET_FEATURES:
			admin_get_features(d, cdw10, cdw11, &r);
			break;
		case OPC_FW_COMMIT:
			if (d->fw_commit_status)
				fault_status(&r, d->fw_commit_status);
			else
				admin_fw_commit(d, cdw10, &r);
			break;
		case OPC_FW_DOWNLOAD:
			if (d->fw_download_status)
				fault_status(&r, d->fw_download_status);
			else
				admin_fw_download(d, cdw10, cdw11,
						  msg + ADMIN_REQ_LEN,
						  len - ADMIN_REQ_LEN, &r);
			if (d->fw_miss_at && d->fw_miss_at == cdw11 * 4ULL &&
			    !r.sc && !r.sct) {
				d->fw_miss_at = 0;
				d->miss++; /* this reply is lost */
			}
			break;
		case OPC_SANITIZE:
			admin_sanitize(d, cdw10, &r);
			break;
		default:
			set_status(&r, SCT_GENERIC, SC_INVALID_OPCODE);
		}
	}

	if (d->miss_admin && d->miss_admin == opcode) {
		d->miss_admin = 0;
		d->miss++; /* this reply is lost */
	}

	/* DOFF/DLEN select the part of the transfer that is returned; a
	 * window outside the transfer is an invalid parameter. */
	if (host_data) {
		dlen = 0;
	} else if (r.sc == SC_SUCCESS && r.sct == SCT_GENERIC) {
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
		  uint64_t now_ms, uint8_t *resp, size_t *ret_len)
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
	emu_drive_tick(d, now_ms);

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
