/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-mi-emu internals: the drive model (emu-scenario.c), the pure
 * NVMe-MI request -> response logic (emu-mi.c), the pure MCTP control
 * message responder (emu-ctrl.c) and the control protocol
 * (emu-scenario.c). Nothing here does I/O; emu-main.c owns the sockets.
 * The drive state is transport independent, so an SMBus (basic
 * management command) transport can serve the same drives later.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MCTP message type byte of NVMe-MI: type 4 with the IC (MIC) bit. */
#define EMU_MCTP_TYPE_NVME_MI 0x84
/* MCTP control messages: type 0, never an integrity check (DSP0236 1.3.1
 * §12.1). */
#define EMU_MCTP_TYPE_CONTROL 0x00

/* MCTP control command codes (DSP0236 1.3.1 §12, "MCTP control command
 * codes") */
#define EMU_CTRL_SET_EID       0x01
#define EMU_CTRL_GET_EID       0x02
#define EMU_CTRL_GET_UUID      0x03
#define EMU_CTRL_GET_VERSION   0x04
#define EMU_CTRL_GET_MSG_TYPES 0x05

/* MCTP control completion codes (DSP0236 1.3.1 §12.2, "MCTP control
 * message completion codes") */
#define EMU_CC_SUCCESS		  0x00
#define EMU_CC_ERROR		  0x01
#define EMU_CC_ERROR_INVALID_DATA 0x02
#define EMU_CC_ERROR_INVALID_LEN  0x03
#define EMU_CC_ERROR_NOT_READY	  0x04
#define EMU_CC_ERROR_UNSUPPORTED  0x05
/* Get MCTP Version Support: message type not supported (§12.6) */
#define EMU_CC_MSG_TYPE_UNSUPPORTED 0x80

/* Largest request (Admin header + 4 KiB + MIC) and reply we handle. */
#define EMU_MSG_MAX (68 + 4096 + 4)

/* NVMe-MI Message Type (NMIMT) */
#define EMU_NMIMT_CONTROL 0
#define EMU_NMIMT_MI	  1
#define EMU_NMIMT_ADMIN	  2

/* MI Response Message Status values (NVMe-MI 1.2, 4.1.2) */
#define EMU_MI_SUCCESS		  0x00
#define EMU_MI_MPR		  0x01
#define EMU_MI_INTERNAL_ERROR	  0x02
#define EMU_MI_INVALID_OPCODE	  0x03
#define EMU_MI_INVALID_PARAM	  0x04
#define EMU_MI_INVALID_CMD_SIZE	  0x05
#define EMU_MI_INVALID_INPUT_SIZE 0x06

enum emu_temp_state {
	EMU_TEMP_VALID,
	EMU_TEMP_NO_DATA, /* CTEMP 0x80 */
	EMU_TEMP_SENSOR_FAILURE, /* CTEMP 0x81 */
};

struct emu_drive {
	/* identity: where the drive is reached */
	uint32_t network;
	uint8_t eid; /* current EID, 0 = none assigned (Set Endpoint ID) */
	uint8_t initial_eid; /* the scenario's "eid" */
	int bus;
	int address;
	int basic_address;

	/* MCTP endpoint (emu-ctrl.c) */
	uint8_t uuid[16]; /* RFC 4122 byte order; valid when uuid_set */
	bool uuid_set; /* false: derived, emu_drive_uuid() */
	unsigned int swaps; /* "swap" operations so far */

	/* Identify Controller */
	char serial[21];
	char model[41];
	char firmware[9];
	uint16_t vid;
	uint16_t ssvid;
	uint16_t did;
	uint16_t ssid;
	uint64_t capacity; /* bytes, TNVMCAP and namespace 1 */

	/* health */
	int temperature; /* degrees C */
	enum emu_temp_state temp_state;
	int warning_temp; /* degrees C, WCTEMP */
	int critical_temp; /* degrees C, CCTEMP */
	int percentage_used; /* may exceed 100, PDLU saturates at 255 */
	uint8_t critical_warning; /* SMART critical warning bits */
	uint8_t available_spare;
	uint8_t spare_threshold;
	uint64_t power_on_hours;
	uint64_t power_cycles;
	bool functional;
	bool ready;

	/* NVMe-MI version claimed in the NVM Subsystem Information */
	uint8_t mi_major;
	uint8_t mi_minor;

	/* MI configuration */
	uint8_t smbus_freq; /* 1 = 100 kHz, 2 = 400 kHz, 3 = 1 MHz */
	uint16_t mctp_mtu;
	/* CCS change flags (bits 4..12) not yet cleared by the host */
	uint16_t ccs_changed;

	/* faults */
	bool silent; /* no reply at all */
	bool ctrl_silent; /* MCTP control requests go unanswered */
	unsigned int miss; /* the next this many requests go unanswered (MI:
			    * no reply; SMBus: not acknowledged), then 0 */
	unsigned int delay_ms; /* every reply is sent this much later */
	unsigned int late_ms; /* the next reply only is sent this late */
	bool bad_mic; /* replies carry a corrupted MIC */
	unsigned int truncate; /* replies are cut to this many bytes */
	uint8_t status; /* every command fails with this MI status */
	unsigned int mpr_ms; /* More Processing Required, then the reply */
	unsigned int link_bps; /* > 0: replies take 10 bits/byte at this rate */
	uint16_t admin_status; /* Admin commands complete with this NVMe
				* status: DNR b14, SCT b10..8, SC b7..0 */
	/* SMBus faults (emu-smbus.c) */
	bool nack; /* the basic address is not acknowledged */
	bool bus_busy; /* the adapter reports the bus busy */
	int garbage_temp; /* >= 0: CTemp byte on the wire, after the PEC */
	bool bad_pec; /* the PEC byte is wrong */
	unsigned int smbus_hz; /* bus speed of its transfers, 0: instant */
	bool hold_bus; /* holds SCL when addressed: hold_ms, then ETIMEDOUT */
	unsigned int hold_ms; /* the adapter timeout it runs into */

	/* statistics, reported by "get" */
	uint64_t requests;
	uint64_t bad_mic_requests;
	uint64_t ctrl_requests;
	uint64_t bus_usec; /* SMBus: bus time of its transfers (holds too) */
	uint64_t bus_waits; /* SMBus: transfers that found the bus in use */
};

struct emu_state {
	struct emu_drive **drives;
	size_t n_drives;
};

/* ---- emu-mi.c: pure message logic ---- */

/* CRC-32C (Castagnoli, reflected 0x82F63B78) update, no pre/post invert. */
uint32_t emu_crc32c_update(uint32_t crc, const void *buf, size_t len);
/* The NVMe-MI MIC of a message (type byte included, MIC excluded). */
uint32_t emu_mic(const void *msg, size_t len);

/*
 * Handle one request message (msg[0] is the MCTP type byte, the last four
 * bytes are the MIC). On success the complete reply message (type byte
 * and valid MIC included, faults not applied) is written to resp (at
 * least EMU_MSG_MAX bytes) and its length to *ret_len; the drive's state
 * may change (CCS clear, configuration set).
 * Returns 0, -EBADMSG when the MIC is wrong, -EPROTO when the message is
 * not an NVMe-MI request this endpoint answers (both are dropped silently
 * by an NVMe-MI endpoint).
 */
int emu_mi_handle(struct emu_drive *d, const uint8_t *msg, size_t len,
		  uint8_t *resp, size_t *ret_len);

/* A More Processing Required reply (8 bytes + MIC) to request msg, with
 * MPRT in units of 100 ms. Returns its length. */
size_t emu_mi_mpr_reply(const uint8_t *msg, uint16_t mprt, uint8_t *resp);

/* Apply the message-level faults (bad_mic, truncate); returns the new
 * length. */
size_t emu_mi_apply_faults(const struct emu_drive *d, uint8_t *resp,
			   size_t len);

/* The health poll's NSS byte for the drive's claimed NVMe-MI version. */
uint8_t emu_mi_nss(const struct emu_drive *d);
/* CTEMP encoding of the drive's temperature. */
uint8_t emu_mi_ctemp(const struct emu_drive *d);

/* ---- emu-ctrl.c: pure MCTP control message logic ---- */

/*
 * Handle one MCTP control message (msg[0] is the type byte 0x00, msg[1]
 * Rq/D/Instance ID, msg[2] the command code) as the drive's endpoint does.
 * On success the reply message (type byte first, faults not applied) is
 * written to resp (at least EMU_MSG_MAX bytes) and its length to
 * *ret_len; Set Endpoint ID changes d->eid. Returns 0, or -EPROTO when the
 * message gets no reply at all (not type 0, shorter than the 3-byte
 * header, a response, or a datagram).
 */
int emu_ctrl_handle(struct emu_drive *d, const uint8_t *msg, size_t len,
		    uint8_t *resp, size_t *ret_len);

/*
 * emu_ctrl_handle() with the drive's faults, the one path every transport
 * and the "mctp_control" control request take: silent and ctrl_silent
 * drives ignore the request (nothing changes), "miss" loses the reply
 * after the request took effect. Returns 1 with the reply in resp and the
 * delay it leaves with in *ret_delay_ms (delay_ms, the one-shot late,
 * link_bps), 0 when there is no reply.
 */
int emu_ctrl_respond(struct emu_drive *d, const uint8_t *msg, size_t len,
		     uint8_t *resp, size_t *ret_len,
		     unsigned int *ret_delay_ms);

/* Time a reply of len bytes spends on a link_bps link (10 bits a byte). */
unsigned int emu_link_delay_ms(const struct emu_drive *d, size_t len);

/* The drive's UUID: d->uuid when set, else derived from network, bus,
 * address and serial number (stable across runs). */
void emu_drive_uuid(const struct emu_drive *d, uint8_t uuid[16]);
/* Parse / format an RFC 4122 string (36 characters, lowercase out). */
int emu_uuid_parse(const char *s, uint8_t uuid[16]);
void emu_uuid_format(const uint8_t uuid[16], char out[37]);

/* ---- emu-scenario.c: drive model, scenario file, control protocol ---- */

void emu_drive_init(struct emu_drive *d, uint32_t network, uint8_t eid);

/* Load a scenario ({"drives": [...]}) from text. On failure *ret_error
 * (malloc'ed) names the drive and field at fault. */
int emu_state_load(struct emu_state *s, const char *text, char **ret_error);
void emu_state_clear(struct emu_state *s);
/* The drive at (network, current EID); EID 0 (unassigned) finds none. */
struct emu_drive *emu_state_find(const struct emu_state *s, uint32_t network,
				 uint8_t eid);

/* Hot-plug: the drive comes back with EID 0, power_cycles + 1. */
void emu_drive_power_cycle(struct emu_drive *d);
/* Another drive in the same slot: new serial number and UUID, EID 0. */
void emu_drive_swap(struct emu_drive *d);

/*
 * Handle one control line (a JSON object) and return the reply line
 * (malloc'ed, no trailing newline): {"ok":true[,"drive":{...}]} or
 * {"ok":false,"error":"..."}. A failing request changes nothing.
 * Returns 0, or -ENOMEM.
 */
int emu_control(struct emu_state *s, const char *line, char **ret_reply);
