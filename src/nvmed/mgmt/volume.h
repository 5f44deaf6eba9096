/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Namespaces as volumes (volume.c, what is out; volume-bus.c, the
 * objects):
 *   NVMED_STORAGE_PATH/volume/<leaf>_<nsid>: Item.Volume, Nvme.Volume,
 *   Association.Definitions
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "core.h"

struct volume {
	struct mgmt_drive *md;
	uint32_t nsid;
	struct admin_namespace ns;
	char *path;
	sd_bus_slot *slots[3];
};

/* md->feature[MGMT_VOLUME] */
struct volume_drive {
	struct volume *volumes;
	size_t n_volumes;
};

struct volume_drive *volume_drive(const struct mgmt_drive *md);
/* What the refresh read (md->ns_ids, md->ns_new) is what is out. */
bool volumes_same(const struct mgmt_drive *md);
/* Withdraw them all. */
void volumes_drop(struct mgmt_drive *md);
/* Room for what the refresh read, each set from it; NULL: out of
 * memory. */
struct volume *volumes_new(struct mgmt_drive *md);

extern const struct mgmt_feature volume_feature;
