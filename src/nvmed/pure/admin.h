/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The NVMe Admin commands of drive management, built and decoded as pure
 * functions (no I/O, no libnvme types), so unit tests and fuzzers call
 * them with raw bytes. Offsets and codes: NVMe Base Specification 2.0c,
 * sections 5.12 (Firmware Commit), 5.13 (Firmware Image Download), 5.16
 * (Get Log Page: 5.16.1.6 Firmware Slot Information, 5.16.1.25 Sanitize
 * Status), 5.17 (Identify: figure 275 controller, figure 280 namespace),
 * 5.24 (Sanitize).
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One NVMe Admin command of the management methods (built here, sent by
 * the edge, mi.h). The opcode's bits 1:0 give the direction (NVMe Base
 * 2.0 figure 88): 01b data to the drive, 10b len bytes back, 00b none. */
struct mi_admin_cmd {
	uint8_t opcode;
	uint32_t nsid;
	uint32_t cdw[6]; /* CDW10..CDW15 */
	unsigned timeout_ms; /* this command's; 0: the endpoint's */
};

/* A command's outcome from the drive: the NVMe status field (SC bits
 * 7:0, SCT 10:8, DNR 14), or an NVMe-MI response status with
 * MI_STATUS_MI set (NVMe-MI 1.2 4.1.2). */
#define MI_STATUS_MI (1u << 27)

#define ADMIN_XFER_MAX 4096 /* NVMe-MI 1.2 6.1: one Admin command's data */

enum {
	ADMIN_GET_LOG_PAGE = 0x02,
	ADMIN_IDENTIFY = 0x06,
	ADMIN_FW_COMMIT = 0x10,
	ADMIN_FW_DOWNLOAD = 0x11,
	ADMIN_SANITIZE = 0x84,
};

enum {
	ADMIN_LOG_ERROR = 0x01,
	ADMIN_LOG_SMART = 0x02,
	ADMIN_LOG_FW_SLOT = 0x03,
	ADMIN_LOG_SANITIZE = 0x81,
};
#define ADMIN_LOG_FW_SLOT_LEN  512
#define ADMIN_LOG_SANITIZE_LEN 512 /* bytes 0..19 are defined */

/* Firmware Commit Action (CDW10 bits 5:3) */
enum admin_commit_action {
	ADMIN_CA_REPLACE = 0,
	ADMIN_CA_REPLACE_ACTIVATE_RESET = 1,
	ADMIN_CA_ACTIVATE_RESET = 2,
	ADMIN_CA_REPLACE_ACTIVATE_NOW = 3,
};

/* Sanitize Action (CDW10 SANACT) */
enum admin_sanitize_action {
	ADMIN_SANACT_EXIT_FAILURE = 1,
	ADMIN_SANACT_BLOCK = 2,
	ADMIN_SANACT_OVERWRITE = 3,
	ADMIN_SANACT_CRYPTO = 4,
};

/* SANICAP bits: Crypto Erase, Block Erase, Overwrite Supported */
#define ADMIN_SANICAP_CES 0x1u
#define ADMIN_SANICAP_BES 0x2u
#define ADMIN_SANICAP_OWS 0x4u

/* Command specific and generic status values used here: SCT in bits
 * 10:8, SC in 7:0 (the form mi.h returns, DNR masked off). */
enum {
	ADMIN_SC_INVALID_FIELD = 0x002,
	ADMIN_SC_SANITIZE_IN_PROGRESS = 0x01d,
	ADMIN_SC_INVALID_FW_SLOT = 0x106,
	ADMIN_SC_INVALID_FW_IMAGE = 0x107,
	ADMIN_SC_INVALID_LOG_PAGE = 0x109,
	ADMIN_SC_FW_NEEDS_CONV_RESET = 0x10b,
	ADMIN_SC_FW_NEEDS_SUBSYS_RESET = 0x110,
	ADMIN_SC_FW_NEEDS_RESET = 0x111,
	ADMIN_SC_OVERLAPPING_RANGE = 0x114,
};

/* Status (a positive mi_admin() return) without DNR/More/CRD; -1 for an
 * NVMe-MI status. */
int admin_status_code(int status);
/* "NVMe status 0x107 (Invalid Firmware Image)", "NVMe-MI status 0x4
 * (Invalid Parameter)", or an errno's text for r < 0; in buf. */
const char *admin_status_str(int r, char *buf, size_t size);

/* Get Log Page of len bytes (a multiple of 4) at byte offset, retaining
 * asynchronous events (RAE). */
void admin_get_log(struct mi_admin_cmd *c, uint8_t lid, uint32_t nsid,
		   uint8_t lsp, uint16_t lsi, uint64_t offset, size_t len);
/* Identify with CNS cns for nsid (controller: 01h, namespace: 00h,
 * active namespace IDs above nsid: 02h). */
void admin_identify(struct mi_admin_cmd *c, uint8_t cns, uint32_t nsid);
/* Firmware Image Download of len bytes (a multiple of 4) at offset. */
void admin_fw_download(struct mi_admin_cmd *c, uint64_t offset, size_t len);
void admin_fw_commit(struct mi_admin_cmd *c, unsigned slot,
		     enum admin_commit_action ca);
void admin_sanitize(struct mi_admin_cmd *c, enum admin_sanitize_action a);

/* What Identify Controller says about management (figure 275). */
struct admin_ctrl_caps {
	uint16_t oacs; /* bytes 257:256 */
	unsigned slots; /* FRMW bits 3:1 */
	bool slot1_ro; /* FRMW bit 0 */
	bool activate_no_reset; /* FRMW bit 4 */
	uint8_t fwug; /* byte 319: 4 KiB units, 0 and FFh: no requirement */
	uint32_t sanicap; /* bytes 331:328 */
};
#define ADMIN_IDENTIFY_CAPS_LEN 332
/* -EBADMSG when len is short. */
int admin_decode_caps(const uint8_t *id, size_t len,
		      struct admin_ctrl_caps *ret);

struct admin_fw_slots {
	unsigned active; /* AFI bits 2:0 */
	unsigned next; /* AFI bits 6:4, 0: none */
	char rev[7][9]; /* FRS1..FRS7, trailing spaces removed */
};
int admin_decode_fw_slots(const uint8_t *log, size_t len,
			  struct admin_fw_slots *ret);
/* The slot an image goes to: one that is neither active nor read-only,
 * else the active one if it is writable. -ENOSPC when none is. */
int admin_pick_slot(const struct admin_ctrl_caps *caps,
		    const struct admin_fw_slots *slots, unsigned *ret);

enum admin_sanitize_state {
	ADMIN_SANITIZE_NEVER = 0,
	ADMIN_SANITIZE_DONE = 1,
	ADMIN_SANITIZE_RUNNING = 2,
	ADMIN_SANITIZE_FAILED = 3,
	ADMIN_SANITIZE_DONE_NO_DEALLOC = 4,
};
struct admin_sanitize_status {
	enum admin_sanitize_state state; /* SSTAT bits 2:0 (5..7 reserved) */
	uint8_t percent; /* SPROG, 0..100; 100 when not running */
};
int admin_decode_sanitize(const uint8_t *log, size_t len,
			  struct admin_sanitize_status *ret);

struct admin_namespace {
	uint64_t size, capacity, used; /* bytes: NSZE, NCAP, NUSE */
	uint32_t block_size; /* 2^LBADS of the format in use */
	uint16_t metadata; /* MS of that format */
	uint8_t format; /* FLBAS index */
};
/* -EBADMSG for a short reply, a format index past NLBAF or an LBADS
 * below 9 (the specification's minimum, 512 bytes) or above 31. */
int admin_decode_namespace(const uint8_t *id, size_t len,
			   struct admin_namespace *ret);
/* The IDs of an active namespace list (CNS 02h), ascending, up to max;
 * returns how many. */
size_t admin_decode_ns_list(const uint8_t *list, size_t len, uint32_t *ids,
			    size_t max);

/* A command's outcome r says its answer was lost (a timeout, a reset
 * link: -errno other than -ENOMEM, which never left): the drive may have
 * taken it, which a log page it keeps tells. */
static inline bool admin_answer_lost(int r)
{
	return r < 0 && r != -ENOMEM;
}
