/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Log pages (logpage.c, the reads; logpage-bus.c, the object):
 *   <controller>: Nvme.Admin (GetLogPage)
 */
#pragma once

#include <stdint.h>

#include <systemd/sd-bus.h>

#include "core.h"

#define LOGPAGE_MAX 65536
/* GetLogPage calls waiting for one drive at a time: beyond, the caller
 * is told to come back rather than queueing without bound. */
#define LOGPAGE_READS_MAX 8

/* md->feature[MGMT_LOGPAGE] */
struct logpage_drive {
	sd_bus_slot *slot; /* Nvme.Admin on the controller */
	struct logread *reads;
};

struct logpage_drive *logpage_drive(const struct mgmt_drive *md);
unsigned logpage_reads(const struct mgmt_drive *md);
/* Read len bytes of log page lid for call, in transfers of at most
 * ADMIN_XFER_MAX, and answer call with them or the error. Returns 1 or
 * -ENOMEM. */
int logpage_read(struct mgmt_drive *md, sd_bus_message *call, uint8_t lid,
		 uint32_t nsid, uint8_t lsp, uint16_t lsi, uint32_t len);
/* Answer the reads waiting that the drive was removed; drop them. */
void logpage_drop(struct mgmt_drive *md);

extern const struct mgmt_feature logpage_feature;
