/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Firmware update (fwupdate.c, its state; fwupdate-bus.c, its objects):
 *   /xyz/openbmc_project/software/nvme_<leaf>   the running firmware:
 *       Software.Version, Activation, Update, Association.Definitions
 *   /xyz/openbmc_project/software/nvme_<leaf>_update   the last update:
 *       Software.Activation, ActivationProgress, Version, associations
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "core.h"
#include "fwupdate-phase.h"

#define FWUPDATE_CHUNK ADMIN_XFER_MAX

/* The objects (struct mgmt_prop's object) */
enum { FW_OBJ_RUNNING, FW_OBJ_UPDATE };

/* What fwupdate.c emits */
enum {
	FW_EMIT_RUNNING_VERSION,
	FW_EMIT_APPLY_TIMES,
	FW_EMIT_PROGRESS,
	FW_EMIT_VERSION,
	FW_EMIT_ACTIVATION,
	_FW_EMIT_MAX,
};
extern const struct mgmt_prop fwupdate_props[_FW_EMIT_MAX];
extern const char *const fwupdate_activation_names[];
extern const struct mgmt_claim fwupdate_claim;

/* The last update. */
struct fwupdate {
	struct mgmt_drive *md;
	char *path;
	sd_bus_slot *slots[4];
	int fd;
	struct fw_state st;
	unsigned slot;
	unsigned active_before; /* the slot running when the commit went */
	struct mgmt_confirm confirm;
	uint8_t progress;
	char *version;
	struct iowork_req *req;
	sd_event_source *timer;
	uint64_t started_usec;
	uint8_t buf[FWUPDATE_CHUNK];
};

/* md->feature[MGMT_FWUPDATE] */
struct fwupdate_drive {
	sd_bus_slot *slots[4]; /* the running firmware's object */
	struct fwupdate *update;
};

struct fwupdate_drive *fwupdate_drive(const struct mgmt_drive *md);
bool fwupdate_immediate_allowed(const struct mgmt_drive *md);

/* StartUpdate's checks, in the order of their errors: the drive (free:
 * then claimed for the update), the apply time, the image (a regular
 * file or memfd, dup'ed: returned). */
int fwupdate_check(struct mgmt_drive *md, int fd, const char *apply,
		   unsigned *slot, enum admin_commit_action *action,
		   uint64_t *size, sd_bus_error *error);
/* The new update (the last one dropped), holding the drive
 * fwupdate_check() claimed; NULL: out of memory (fd closed, the claim
 * given back). */
struct fwupdate *fwupdate_new(struct mgmt_drive *md, int fd, uint64_t size,
			      unsigned slot, enum admin_commit_action action);
/* Once its object is out: send the image. */
void fwupdate_run(struct fwupdate *u);
/* Drop the last update (its object too). */
void fwupdate_discard(struct mgmt_drive *md);

void fwupdate_caps_known(struct mgmt_drive *md);
void fwupdate_drive_changed(struct mgmt_drive *md, uint64_t mask);

extern const struct mgmt_feature fwupdate_feature;
