/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pure decoding of NVMe-MI replies: no I/O, no libnvme types, so unit
 * tests and fuzzers call these directly with raw bytes.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVMED_HEALTH_LEN      8 /* NVM Subsystem Health Data Structure */
#define NVMED_SUBSYS_INFO_LEN 32 /* NVM Subsystem Information */
/* Identify Controller: read partially. Every decoded field lies below
 * byte 296 (TNVMCAP ends there); a full 4 KiB reply is about 65 packets,
 * 0.43 s on a 100 kHz bus, longer than the transaction timeout. */
#define NVMED_IDENTIFY_DECODED 296
#define NVMED_IDENTIFY_LEN     512
#define NVMED_SMART_LEN	       512 /* SMART / Health Information log */

/* NVMe SMART critical warning bits (NVMe Base spec, log page 02h byte 0):
 * 1 means "warning" in this, the NVMe polarity. */
enum {
	NVMED_CW_SPARE = 1 << 0,
	NVMED_CW_TEMPERATURE = 1 << 1,
	NVMED_CW_DEGRADED = 1 << 2,
	NVMED_CW_READ_ONLY = 1 << 3,
	NVMED_CW_BACKUP = 1 << 4,
};

struct nvmed_health {
	double temperature; /* degrees C; NaN when the drive has none */
	int temp_error; /* 0, or -ENODATA (80h), -EIO (81h), -ERANGE */
	bool functional; /* the subsystem says it works */
	bool ready; /* the subsystem is ready (MI >= 2.0 only) */
	uint8_t crit_warning; /* NVMED_CW_*, NVMe polarity (1 = warning) */
	uint8_t used; /* percentage drive life used, saturating 255 */
	uint8_t nss; /* raw NVM Subsystem Status */
	uint8_t sw; /* raw SMART Warnings byte as sent */
};

struct nvmed_identity {
	char serial[21];
	char model[41];
	char firmware[9];
	uint16_t vid;
	uint64_t capacity; /* bytes, TNVMCAP (saturated to 2^64-1) */
	double warning_temp; /* degrees C from WCTEMP, NaN if not reported */
	double critical_temp; /* degrees C from CCTEMP, NaN if not reported */
};

struct nvmed_smart {
	uint8_t crit_warning;
	uint8_t avail_spare; /* logged */
	uint8_t used;
};

/* Composite temperature byte of the health poll (CTEMP). Returns 0 and the
 * value in *ret, or -ENODATA (80h: no or stale data), -EIO (81h: sensor
 * failure), -ERANGE (82h..C3h: reserved). */
int nvmed_decode_ctemp(uint8_t raw, double *ret);

/* Subsystem Health Status Poll data (8 bytes), decoded by the drive's
 * NVMe-MI version (major, minor from Read NVMe-MI Data Structure type 0).
 * Returns -EBADMSG when len is not 8. */
int nvmed_decode_health(const uint8_t *buf, size_t len, uint8_t mi_major,
			uint8_t mi_minor, struct nvmed_health *ret);

/* NVM Subsystem Information (32 bytes): the NVMe-MI major/minor version.
 * A drive reporting major 0 is taken as 1.0 (pre-1.1 drives leave it 0). */
int nvmed_decode_subsys_info(const uint8_t *buf, size_t len, uint8_t *ret_major,
			     uint8_t *ret_minor);

/* Identify Controller data (at least its first NVMED_IDENTIFY_DECODED
 * bytes; -EBADMSG when shorter). Strings are trimmed and anything
 * but printable ASCII is replaced by '?', so they are valid D-Bus UTF-8. */
int nvmed_decode_identify(const uint8_t *buf, size_t len,
			  struct nvmed_identity *ret);

/* SMART / Health Information log page (512 bytes). */
int nvmed_decode_smart(const uint8_t *buf, size_t len, struct nvmed_smart *ret);

/* ---- NVMe-MI Basic Management Command (SMBus, NVMe-MI 1.2 App. A) ----
 * Buffers are the SMBus block data without the count byte (Linux's
 * I2C_SMBUS_BLOCK_DATA puts the count in block[0]). */

/* Command code 0: Status Flags, SMART Warnings, CTemp, PDLU, reserved. */
#define NVMED_BASIC_STATUS_MIN 6
/* Command code 8: PCI Vendor ID (2, MSB first), Serial Number (20). */
#define NVMED_BASIC_VPD_MIN 22

/* Status Flags bits [BMC] */
#define NVMED_BASIC_NOT_READY  0x40
#define NVMED_BASIC_FUNCTIONAL 0x20

/*
 * Decode command 0 into the health model, as dbus-sensors' nvmesensor
 * does: Drive Not Ready or not Drive Functional -> functional false and
 * no temperature (NaN, temp_error 0: not an error); CTemp 80h/81h ->
 * temp_error -ENODATA/-EIO (an error to count); nss holds the raw Status
 * Flags byte, sw the raw SMART Warnings byte. -EBADMSG when shorter than
 * NVMED_BASIC_STATUS_MIN.
 */
int nvmed_decode_basic_status(const uint8_t *buf, size_t len,
			      struct nvmed_health *ret);

/* Decode command 8: vendor ID and serial (trimmed, printable ASCII).
 * -EBADMSG when shorter than NVMED_BASIC_VPD_MIN. */
int nvmed_decode_basic_vpd(const uint8_t *buf, size_t len, uint16_t *ret_vid,
			   char ret_serial[21]);

/* PCI vendor name for a VID, or NULL when unknown. */
const char *nvmed_vendor_name(uint16_t vid);

/* PredictedMediaLifeLeftPercent from percentage used: 100 - used, 0 when
 * used >= 100 (the spec lets "used" exceed 100 and saturate at 255). */
uint8_t nvmed_life_left(uint8_t used);

/* Kelvin (Identify WCTEMP/CCTEMP, SMART temperature) to degrees C; NaN for
 * 0 ("not reported"). */
double nvmed_kelvin_to_celsius(uint16_t kelvin);
