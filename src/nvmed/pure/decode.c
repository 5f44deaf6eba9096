// SPDX-License-Identifier: Apache-2.0
/*
 * NVMe-MI reply decoding. Sources for every field, by revision:
 *
 * [MI12]  NVMe-MI 1.2, NVM Subsystem Health Data Structure (NSHDS), as read
 *         by OpenBMC dbus-sensors' libnvme rework (CodeConstruct/dbus-sensors
 *         src/NVMeSubsys.cpp: "nss & 0x20" = Drive Functional) and by the
 *         Basic Management Command, whose status byte has the same layout
 *         (dbus-sensors src/nvme/NVMeBasicContext.cpp: 0x40 Drive Not
 *         Ready, 0x20 Drive Functional).
 * [MI2]   Newer NVMe-MI revisions as libnvme encodes them
 *         (linux-nvme/nvme-cli libnvme/src/nvme/nvme-types-mi.h,
 *         enum nvme_mi_nss: bit 0 NRDY "Not Ready", bit 1 DRV "Drive
 *         Ready"; enum nvme_mi_sw: ST/TAUT/RD/RO/VMBF in bits 0..4).
 * [SW]    SMART Warnings: the SMART critical warning bits (NVMe Base,
 *         log page 02h byte 0: spare, temperature, reliability, read only,
 *         volatile memory backup) but inverted: a bit CLEARED means the
 *         warning applies. This is the NVMe-MI encoding phosphor-nvme
 *         decodes (nvme_manager.cpp: CapacityFault = !(sw & 1) ...) for the
 *         basic command, whose byte mirrors the NSHDS one.
 * [CTEMP] Composite temperature: 00h..7Eh degrees C, 7Fh 127 C or more,
 *         80h no data or data older than 5 s, 81h sensor failure,
 *         82h..C3h reserved, C4h -60 C or less, C5h..FFh two's complement
 *         (NVMe-MI 1.2 NSHDS; same table in openbmc dbus-sensors'
 *         NVMeMiContext.cpp and NVMeBasicContext.cpp).
 * [IDCTL] NVMe Base Identify Controller: VID 0..1, SN 4..23, MN 24..63,
 *         FR 64..71, WCTEMP 266..267, CCTEMP 268..269 (Kelvin), TNVMCAP
 *         280..295 (libnvme types.h struct nvme_id_ctrl).
 * [SMART] NVMe Base SMART / Health log: critical warning 0, composite
 *         temperature 1..2 (Kelvin), available spare 3, threshold 4,
 *         percentage used 5 (libnvme types.h struct nvme_smart_log).
 * [NSSI]  Read NVMe-MI Data Structure type 0, NVM Subsystem Information:
 *         NUMP 0, MJR 1, MNR 2 (libnvme struct nvme_mi_read_nvm_ss_info).
 * [BMC]   NVMe-MI 1.2 Appendix A, Basic Management Command over SMBus.
 *         Command code 0: length 6, Status Flags (b6 Drive Not Ready,
 *         b5 Drive Functional), SMART Warnings ([SW] polarity), CTemp
 *         ([CTEMP]), PDLU, 2 reserved: read by dbus-sensors
 *         (src/nvme/NVMeBasicContext.cpp: 0x40, 0x20, int8 CTemp, 80h/81h
 *         errors, fewer than 6 bytes an error) and phosphor-nvme
 *         (nvme_manager.cpp). Command code 8: length 22, PCI Vendor ID
 *         (the MSB first, as phosphor-nvme reads it), Serial Number (20
 *         ASCII bytes).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "decode.h"

/* [MI12] NSS bits */
#define NSS12_DRIVE_FUNCTIONAL 0x20
/* [MI2] NSS bits */
#define NSS2_NOT_READY	 0x01
#define NSS2_DRIVE_READY 0x02

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

int nvmed_decode_ctemp(uint8_t raw, double *ret)
{
	if (raw == 0x80)
		return -ENODATA;
	if (raw == 0x81)
		return -EIO;
	if (raw >= 0x82 && raw <= 0xc3)
		return -ERANGE;
	/* 7Fh (>= 127) and C4h (<= -60) are reported as the bound itself. */
	*ret = (double)(int8_t)raw;
	return 0;
}

int nvmed_decode_health(const uint8_t *buf, size_t len, uint8_t mi_major,
			uint8_t mi_minor, struct nvmed_health *ret)
{
	struct nvmed_health h = { 0 };
	double t = NAN;

	if (!buf || len != NVMED_HEALTH_LEN)
		return -EBADMSG;

	h.nss = buf[0];
	h.sw = buf[1];
	h.used = buf[3];

	/*
	 * Revisions after 1.2 use the [MI2] layout: bit 0 Not Ready, bit 1
	 * Drive Ready. The bit meanings come from libnvme's headers
	 * (src/nvme/nvme-types-mi.h, enum nvme_mi_nss), not checked against
	 * the specification text, and
	 * [MI12]'s bit 5 Drive Functional is what dbus-sensors' rework reads
	 * on every drive: so a drive is functional when it does not say Not
	 * Ready and says either Drive Ready or Drive Functional.
	 */
	if (mi_major > 1 || (mi_major == 1 && mi_minor > 2)) {
		h.ready = !(h.nss & NSS2_NOT_READY);
		h.functional = h.ready && (h.nss & (NSS2_DRIVE_READY |
						    NSS12_DRIVE_FUNCTIONAL));
	} else {
		h.ready = true;
		h.functional = h.nss & NSS12_DRIVE_FUNCTIONAL;
	}

	/* [SW]: inverted; keep only the five defined bits. */
	h.crit_warning = (uint8_t)(~h.sw & 0x1f);

	h.temp_error = nvmed_decode_ctemp(buf[2], &t);
	h.temperature = h.temp_error ? NAN : t;

	*ret = h;
	return 0;
}

int nvmed_decode_subsys_info(const uint8_t *buf, size_t len, uint8_t *ret_major,
			     uint8_t *ret_minor)
{
	if (!buf || len != NVMED_SUBSYS_INFO_LEN)
		return -EBADMSG;
	*ret_major = buf[1] ? buf[1] : 1;
	*ret_minor = buf[1] ? buf[2] : 0;
	return 0;
}

static void copy_ascii(char *dst, const uint8_t *src, size_t n)
{
	size_t end = n;

	while (end > 0 && (src[end - 1] == ' ' || src[end - 1] == '\0'))
		end--;
	for (size_t i = 0; i < end; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[end] = '\0';
}

double nvmed_kelvin_to_celsius(uint16_t kelvin)
{
	if (kelvin == 0)
		return NAN;
	return (double)kelvin - 273.0;
}

int nvmed_decode_identify(const uint8_t *buf, size_t len,
			  struct nvmed_identity *ret)
{
	struct nvmed_identity id = { 0 };
	uint64_t cap = 0;

	if (!buf || len < NVMED_IDENTIFY_DECODED)
		return -EBADMSG;

	id.vid = le16(buf);
	copy_ascii(id.serial, buf + 4, 20);
	copy_ascii(id.model, buf + 24, 40);
	copy_ascii(id.firmware, buf + 64, 8);
	id.warning_temp = nvmed_kelvin_to_celsius(le16(buf + 266));
	id.critical_temp = nvmed_kelvin_to_celsius(le16(buf + 268));

	for (int i = 7; i >= 0; i--)
		cap = (cap << 8) | buf[280 + i];
	for (int i = 8; i < 16; i++)
		if (buf[280 + i])
			cap = UINT64_MAX;
	id.capacity = cap;

	*ret = id;
	return 0;
}

int nvmed_decode_smart(const uint8_t *buf, size_t len, struct nvmed_smart *ret)
{
	struct nvmed_smart s = { 0 };

	if (!buf || len != NVMED_SMART_LEN)
		return -EBADMSG;
	s.crit_warning = buf[0];
	s.avail_spare = buf[3];
	s.used = buf[5];
	*ret = s;
	return 0;
}

int nvmed_decode_basic_status(const uint8_t *buf, size_t len,
			      struct nvmed_health *ret)
{
	struct nvmed_health h = { 0 };
	double t = NAN;

	if (!buf || len < NVMED_BASIC_STATUS_MIN)
		return -EBADMSG;
	h.nss = buf[0];
	h.sw = buf[1];
	h.used = buf[3];
	h.crit_warning = (uint8_t)(~h.sw & 0x1f);
	h.ready = !(h.nss & NVMED_BASIC_NOT_READY);
	h.functional = h.ready && (h.nss & NVMED_BASIC_FUNCTIONAL);
	if (h.functional)
		h.temp_error = nvmed_decode_ctemp(buf[2], &t);
	h.temperature = h.functional && !h.temp_error ? t : NAN;
	*ret = h;
	return 0;
}

int nvmed_decode_basic_vpd(const uint8_t *buf, size_t len, uint16_t *ret_vid,
			   char ret_serial[21])
{
	if (!buf || len < NVMED_BASIC_VPD_MIN)
		return -EBADMSG;
	*ret_vid = (uint16_t)(buf[0] << 8 | buf[1]);
	copy_ascii(ret_serial, buf + 2, 20);
	return 0;
}

uint8_t nvmed_life_left(uint8_t used)
{
	return used >= 100 ? 0 : (uint8_t)(100 - used);
}

const char *nvmed_vendor_name(uint16_t vid)
{
	/* PCI-SIG vendor IDs of common NVMe drive makers (pci.ids). */
	static const struct {
		uint16_t vid;
		const char *name;
	} vendors[] = {
		{ 0x1344, "Micron" },	      { 0x144d, "Samsung" },
		{ 0x15b7, "Sandisk" },	      { 0x1b96, "Western Digital" },
		{ 0x1c5c, "SK hynix" },	      { 0x1e0f, "Kioxia" },
		{ 0x1179, "Toshiba" },	      { 0x8086, "Intel" },
		{ 0x1dbe, "Innogrit" },	      { 0x1987, "Phison" },
		{ 0x1cc1, "ADATA" },	      { 0x2646, "Kingston" },
		{ 0x1e49, "Yangtze Memory" }, { 0x1c58, "HGST" },
		{ 0x1b4b, "Marvell" },	      { 0x1bb1, "Seagate" },
		{ 0x1e3b, "DapuStor" },
	};

	for (size_t i = 0; i < sizeof(vendors) / sizeof(vendors[0]); i++)
		if (vendors[i].vid == vid)
			return vendors[i].name;
	return NULL;
}
