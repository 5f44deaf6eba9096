// SPDX-License-Identifier: Apache-2.0
/* See admin.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

int admin_status_code(int status)
{
	if ((unsigned)status & MI_STATUS_MI)
		return -1;
	return status & 0x7ff;
}

static const struct {
	int code;
	const char *name;
} nvme_names[] = {
	{ 0x001, "Invalid Command Opcode" },
	{ ADMIN_SC_INVALID_FIELD, "Invalid Field in Command" },
	{ 0x006, "Internal Error" },
	{ 0x00b, "Invalid Namespace or Format" },
	{ ADMIN_SC_SANITIZE_IN_PROGRESS, "Sanitize In Progress" },
	{ ADMIN_SC_INVALID_FW_SLOT, "Invalid Firmware Slot" },
	{ ADMIN_SC_INVALID_FW_IMAGE, "Invalid Firmware Image" },
	{ ADMIN_SC_INVALID_LOG_PAGE, "Invalid Log Page" },
	{ ADMIN_SC_FW_NEEDS_CONV_RESET,
	  "Firmware Activation Requires Conventional Reset" },
	{ 0x10c, "Invalid Queue Deletion" },
	{ 0x10d, "Feature Identifier Not Saveable" },
	{ ADMIN_SC_FW_NEEDS_SUBSYS_RESET,
	  "Firmware Activation Requires NVM Subsystem Reset" },
	{ ADMIN_SC_FW_NEEDS_RESET,
	  "Firmware Activation Requires Controller Level Reset" },
	{ 0x112, "Firmware Activation Requires Maximum Time Violation" },
	{ 0x113, "Firmware Activation Prohibited" },
	{ ADMIN_SC_OVERLAPPING_RANGE, "Overlapping Range" },
	{ 0x123, "Sanitize Prohibited While Persistent Memory Region is "
		 "Enabled" },
};

/* NVMe-MI 1.2 figure 29, Response Message Status */
static const char *const mi_names[] = {
	[0x01] = "More Processing Required",
	[0x02] = "Internal Error",
	[0x03] = "Invalid Command Opcode",
	[0x04] = "Invalid Parameter",
	[0x05] = "Invalid Command Size",
	[0x06] = "Invalid Command Input Data Size",
	[0x07] = "Access Denied",
};

const char *admin_status_str(int r, char *buf, size_t size)
{
	const char *name = NULL;
	int code;

	if (r == 0) {
		snprintf(buf, size, "success");
		return buf;
	}
	if (r < 0) {
		/* -INT_MIN does not exist; errno values are small */
		if (r >= -4095)
			snprintf(buf, size, "%s", strerror(-r));
		else
			snprintf(buf, size, "error %d", r);
		return buf;
	}
	code = admin_status_code(r);
	if (code < 0) {
		code = r & 0xff;
		if ((size_t)code < sizeof(mi_names) / sizeof(mi_names[0]))
			name = mi_names[code];
		snprintf(buf, size, "NVMe-MI status 0x%x (%s)", code,
			 name ? name : "unknown");
		return buf;
	}
	for (size_t i = 0; i < sizeof(nvme_names) / sizeof(nvme_names[0]); i++)
		if (nvme_names[i].code == code)
			name = nvme_names[i].name;
	snprintf(buf, size, "NVMe status 0x%03x (%s)", code,
		 name ? name : "unknown");
	return buf;
}

static void init(struct mi_admin_cmd *c, uint8_t opcode, uint32_t nsid)
{
	memset(c, 0, sizeof(*c));
	c->opcode = opcode;
	c->nsid = nsid;
}

void admin_get_log(struct mi_admin_cmd *c, uint8_t lid, uint32_t nsid,
		   uint8_t lsp, uint16_t lsi, uint64_t offset, size_t len)
{
	uint32_t numd = (uint32_t)(len / 4) - 1; /* 0's based */

	init(c, ADMIN_GET_LOG_PAGE, nsid);
	/* RAE (bit 15) set: reading out of band leaves the asynchronous
	 * events a log clears (Sanitize Operation Completed, ...) to the
	 * host, and a log read in pieces cannot change between them (NVMe
	 * 2.0 Get Log Page, Command Dword 10) */
	c->cdw[0] = lid | (uint32_t)(lsp & 0x7f) << 8 | UINT32_C(1) << 15 |
		    (numd & 0xffff) << 16;
	c->cdw[1] = numd >> 16 | (uint32_t)lsi << 16;
	c->cdw[2] = (uint32_t)offset;
	c->cdw[3] = (uint32_t)(offset >> 32);
}

void admin_identify(struct mi_admin_cmd *c, uint8_t cns, uint32_t nsid)
{
	init(c, ADMIN_IDENTIFY, nsid);
	c->cdw[0] = cns;
}

void admin_fw_download(struct mi_admin_cmd *c, uint64_t offset, size_t len)
{
	init(c, ADMIN_FW_DOWNLOAD, 0);
	c->cdw[0] = (uint32_t)(len / 4) - 1; /* NUMD, 0's based */
	c->cdw[1] = (uint32_t)(offset / 4); /* OFST */
}

void admin_fw_commit(struct mi_admin_cmd *c, unsigned slot,
		     enum admin_commit_action ca)
{
	init(c, ADMIN_FW_COMMIT, 0);
	c->cdw[0] = (slot & 0x7) | ((unsigned)ca & 0x7) << 3;
}

void admin_sanitize(struct mi_admin_cmd *c, enum admin_sanitize_action a)
{
	init(c, ADMIN_SANITIZE, 0);
	c->cdw[0] = (unsigned)a & 0x7;
	if (a == ADMIN_SANACT_OVERWRITE)
		c->cdw[0] |= 1u << 4; /* OWPASS: one pass, pattern 0 */
}

int admin_decode_caps(const uint8_t *id, size_t len,
		      struct admin_ctrl_caps *ret)
{
	if (len < ADMIN_IDENTIFY_CAPS_LEN)
		return -EBADMSG;
	*ret = (struct admin_ctrl_caps){
		.oacs = le16(id + 256),
		.slots = (id[260] >> 1) & 0x7,
		.slot1_ro = id[260] & 0x1,
		.activate_no_reset = (id[260] >> 4) & 0x1,
		.fwug = id[319],
		.sanicap = le32(id + 328),
	};
	return 0;
}

int admin_decode_fw_slots(const uint8_t *log, size_t len,
			  struct admin_fw_slots *ret)
{
	if (len < 64)
		return -EBADMSG;
	memset(ret, 0, sizeof(*ret));
	ret->active = log[0] & 0x7;
	ret->next = (log[0] >> 4) & 0x7;
	for (int i = 0; i < 7; i++) {
		char *rev = ret->rev[i];
		size_t n = 8;

		memcpy(rev, log + 8 + 8 * i, 8);
		while (n > 0 && (rev[n - 1] == ' ' || rev[n - 1] == '\0'))
			n--;
		rev[n] = '\0';
		/* printable ASCII only (figure 208: an ASCII string) */
		for (size_t k = 0; k < n; k++)
			if (rev[k] < 0x20 || rev[k] > 0x7e)
				rev[k] = '?';
	}
	return 0;
}

int admin_pick_slot(const struct admin_ctrl_caps *caps,
		    const struct admin_fw_slots *slots, unsigned *ret)
{
	unsigned n = caps->slots ? caps->slots : 1;

	for (unsigned s = 1; s <= n; s++)
		if (s != slots->active && !(s == 1 && caps->slot1_ro)) {
			*ret = s;
			return 0;
		}
	if (slots->active >= 1 && slots->active <= n &&
	    !(slots->active == 1 && caps->slot1_ro)) {
		*ret = slots->active;
		return 0;
	}
	return -ENOSPC;
}

int admin_decode_sanitize(const uint8_t *log, size_t len,
			  struct admin_sanitize_status *ret)
{
	uint16_t sprog, sstat;

	if (len < 4)
		return -EBADMSG;
	sprog = le16(log);
	sstat = le16(log + 2);
	ret->state = sstat & 0x7;
	if (ret->state == ADMIN_SANITIZE_RUNNING && sprog != 0xffff)
		ret->percent = (uint8_t)((uint32_t)sprog * 100 / 65536);
	else
		ret->percent = ret->state == ADMIN_SANITIZE_RUNNING ? 0 : 100;
	return 0;
}

int admin_decode_namespace(const uint8_t *id, size_t len,
			   struct admin_namespace *ret)
{
	uint8_t nlbaf, fmt, lbads;
	const uint8_t *lbaf;
	uint64_t bs;

	if (len < 384)
		return -EBADMSG;
	nlbaf = id[25]; /* 0's based */
	/* FLBAS bits 3:0, and bits 6:5 the upper bits (NVMe 2.0) */
	fmt = (id[26] & 0xf) | ((id[26] >> 5) & 0x3) << 4;
	if (fmt > nlbaf || fmt >= 64 || 128 + 4 * (size_t)fmt + 4 > len)
		return -EBADMSG;
	lbaf = id + 128 + 4 * fmt;
	lbads = lbaf[2];
	/* 2^LBADS bytes, 512 at least (NVM Command Set Specification, LBA
	 * Format Data Structure); block_size is 32-bit: 2^31 at most */
	if (lbads < 9 || lbads > 31)
		return -EBADMSG;
	bs = UINT64_C(1) << lbads;
	*ret = (struct admin_namespace){
		.block_size = (uint32_t)bs,
		.metadata = le16(lbaf),
		.format = fmt,
	};
	/* saturate: a block count times the block size may not fit */
	ret->size = le64(id) > UINT64_MAX / bs ? UINT64_MAX : le64(id) * bs;
	ret->capacity = le64(id + 8) > UINT64_MAX / bs ? UINT64_MAX :
							 le64(id + 8) * bs;
	ret->used = le64(id + 16) > UINT64_MAX / bs ? UINT64_MAX :
						      le64(id + 16) * bs;
	return 0;
}

size_t admin_decode_ns_list(const uint8_t *list, size_t len, uint32_t *ids,
			    size_t max)
{
	size_t n = 0;
	uint32_t last = 0;

	for (size_t off = 0; off + 4 <= len && n < max; off += 4) {
		uint32_t id = le32(list + off);

		/* the list ends at the first 0; it is ascending */
		if (id == 0 || id == 0xffffffffu || id <= last)
			break;
		ids[n++] = last = id;
	}
	return n;
}
