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

/* Firmware slots (NVMe Base 2.0, 5.12 Firmware Commit) */
#define EMU_FW_SLOTS_MAX 7
/* Namespaces a scenario may give */
#define EMU_NS_MAX 16

/* What a Firmware Commit with CA 3 (activate now) answers (NVMe Base 2.0,
 * 5.12, Firmware Commit command specific status values) */
enum emu_fw_reset {
	EMU_FW_RESET_NONE, /* success: activated at once */
	EMU_FW_RESET_CONVENTIONAL, /* 10Bh Requires Conventional Reset */
	EMU_FW_RESET_SUBSYSTEM, /* 110h Requires NVM Subsystem Reset */
	EMU_FW_RESET_CONTROLLER, /* 111h Requires Controller Level Reset */
};

/* SSTAT bits 2:0 of the Sanitize Status log (NVMe Base 2.0, 5.16.1,
 * Sanitize Status log page) */
enum emu_sanitize_state {
	EMU_SAN_NEVER = 0,
	EMU_SAN_COMPLETED = 1,
	EMU_SAN_IN_PROGRESS = 2,
	EMU_SAN_FAILED = 3,
	EMU_SAN_COMPLETED_NO_DEALLOC = 4,
};

struct emu_ns {
	uint32_t nsid;
	uint64_t size; /* bytes */
	uint8_t lbads; /* log2 of the block size: 9 or 12 */
	uint16_t ms; /* metadata bytes per block */
	uint8_t fault_lbads; /* fault: Identify reports this LBADS, 0 off */
};

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
	uint64_t capacity; /* bytes, TNVMCAP and the default namespace 1 */

	/* namespaces: the scenario's when ns_set, else one namespace 1 of
	 * the whole capacity in 512-byte blocks (emu_drive_namespaces()) */
	bool ns_set;
	unsigned int n_ns;
	struct emu_ns ns[EMU_NS_MAX]; /* ascending NSID */

	/* firmware */
	uint8_t fw_slots; /* 1..7 */
	bool fw_slot1_ro;
	bool fw_no_reset; /* FRMW bit 4: activation without reset */
	uint8_t fw_ug; /* FWUG, 4 KiB units; 0 and 0xFF: no restriction */
	enum emu_fw_reset fw_reset_required;
	uint16_t fw_commit_status; /* fault: Firmware Commit status, 0 off */
	uint16_t fw_download_status; /* fault: Image Download status */
	uint8_t miss_admin; /* fault: the next Admin command of this opcode
			     * (0: off) takes effect, its reply is lost */
	uint32_t fw_miss_at; /* fault: the Image Download at this byte
			      * offset (> 0) takes effect, its reply is lost;
			      * once, then 0 */
	char fw_rev[EMU_FW_SLOTS_MAX][9]; /* per slot, "" empty */
	uint8_t fw_active; /* slot 1..7 running */
	uint8_t fw_next; /* slot activated at the next reset, 0 none */
	uint64_t dl_bytes; /* contiguous image bytes received from offset 0 */
	uint8_t dl_head[12]; /* the image's first bytes: "EMFW" + revision */
	bool dl_ended; /* a piece not a multiple of the granularity came */

	/* sanitize */
	uint8_t sanicap; /* SANICAP bits: 0 crypto, 1 block, 2 overwrite */
	unsigned int sanitize_ms; /* how long one takes */
	bool sanitize_fail; /* it ends in Failed */
	enum emu_sanitize_state san_state;
	uint64_t san_start_ms; /* when the running one started */
	uint64_t san_now_ms; /* the last time the drive was told */
	uint32_t san_cdw10; /* SCDW10 of the last one */
	uint8_t san_passes; /* overwrite passes completed */
	bool san_global_erased;
	/* the Sanitize Operation Completed asynchronous event is pending:
	 * set when one ends, cleared by reading log 81h with RAE clear
	 * (NVMe 2.0 Get Log Page, Retain Asynchronous Event) */
	bool san_event;

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
	unsigned int miss_mi; /* as miss, NVMe-MI commands only (a poll),
			       * not Admin commands */
	unsigned int delay_ms; /* every reply is sent this much later */
	unsigned int late_ms; /* the next reply only is sent this late */
	bool bad_mic; /* replies carry a corrupted MIC */
	int fault_temp; /* >= -273: the temperature of bad_mic and late
			 * replies, never to be taken; below: off */
	unsigned int truncate; /* replies are cut to this many bytes */
	uint8_t status; /* every command fails with this MI status */
	unsigned int mpr_ms; /* More Processing Required, then the reply */
	unsigned int link_bps; /* > 0: request + reply take 10 bits/byte */
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
 * may change (CCS clear, configuration set, firmware download and commit,
 * sanitize). now_ms is the time in ms on a clock that does not go back
 * (nvme-mi-emu: CLOCK_MONOTONIC; tests: fixed values); a sanitize's
 * progress and end follow it (emu_drive_tick() first).
 * Returns 0, -EBADMSG when the MIC is wrong, -EPROTO when the message is
 * not an NVMe-MI request this endpoint answers (both are dropped silently
 * by an NVMe-MI endpoint).
 */
int emu_mi_handle(struct emu_drive *d, const uint8_t *msg, size_t len,
		  uint64_t now_ms, uint8_t *resp, size_t *ret_len);

/* Let time pass to now_ms (CLOCK_MONOTONIC ms, or any clock that does
 * not go back): a running sanitize may end. emu_mi_handle() does this
 * itself; emu-main.c does it before control requests, so "get" is
 * current. */
void emu_drive_tick(struct emu_drive *d, uint64_t now_ms);
void emu_state_tick(struct emu_state *s, uint64_t now_ms);
/* SPROG of the Sanitize Status log: the fraction done of /65536, 0xFFFF
 * when none is in progress. */
uint16_t emu_drive_sanitize_progress(const struct emu_drive *d);
/* The namespaces the drive has (the default one unless ns_set); returns
 * how many, at most EMU_NS_MAX, in ns. */
unsigned int emu_drive_namespaces(const struct emu_drive *d,
				  struct emu_ns ns[EMU_NS_MAX]);

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

/* Time a request of req_len bytes and its reply of resp_len bytes spend
 * on a link_bps link (10 bits a byte). */
unsigned int emu_link_delay_ms(const struct emu_drive *d, size_t req_len,
			       size_t resp_len);

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

/* Hot-plug: the drive comes back with EID 0, power_cycles + 1; a
 * firmware slot waiting for the next reset is activated, a partial image
 * download is forgotten. */
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
