/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drive management over NVMe-MI: firmware update through OpenBMC's
 * code-update interface (fwupdate.h), sanitize with progress
 * (sanitize.h), log pages (logpage.h) and namespaces as volumes
 * (volume.h). NVMe-MI drives only: a drive read with the SMBus basic
 * management command has no management channel, and gets none of these
 * objects.
 *
 * Layers, each calling only the ones below:
 *   mgmt.c      the orchestrator: the drive hooks, the refresh
 *               (Identify, firmware slots, namespaces) and the fan-out
 *               of what it reads to the features (struct mgmt_feature)
 *   fwupdate, sanitize, logpage, volume   the features: <f>.c the
 *               state, <f>-bus.c the objects; each publishes its own
 *   core.c      the admin channel, authorisation, reachability, the
 *               confirmation after a lost answer, the busy claim
 *
 * Each command is one I/O worker request (iowork_admin), queued behind
 * the network's polls, so the other drives keep being polled and the
 * loop keeps serving D-Bus. The policy (service_files/
 * xyz.openbmc_project.NVMe.conf.in) and mgmt_authorize() keep the
 * methods to root and the management group.
 */
#pragma once

#include <stdint.h>

#include "core.h"

int mgmt_new(struct manager *m, const char *group, struct mgmt **ret);
struct mgmt *mgmt_free(struct mgmt *g);

/* The drive hooks: an NVMe-MI drive gets its objects before the drive's
 * own are announced; the mask is drive.h's. */
int mgmt_drive_add(struct mgmt *g, struct drive *d);
void mgmt_drive_remove(struct mgmt *g, struct drive *d);
void mgmt_drive_changed(struct mgmt *g, struct drive *d, uint64_t mask);

/* Read Identify, the firmware slots and the namespaces again. */
void mgmt_refresh(struct mgmt_drive *md);
