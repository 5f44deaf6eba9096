/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drive management over NVMe-MI: firmware update through OpenBMC's
 * code-update interface (fwupdate.c), sanitize with progress
 * (sanitize.c), log pages and namespaces as volumes (mgmt.c). NVMe-MI
 * drives only: a drive read with the SMBus basic management command has
 * no management channel, and gets none of these objects.
 *
 * Each command is one I/O worker request (iowork_admin), queued behind
 * the network's polls, so the other drives keep being polled and the
 * loop keeps serving D-Bus. The D-Bus names of these objects are here
 * and in the three files; the policy (service_files/
 * xyz.openbmc_project.NVMe.conf.in) and mgmt_authorize() keep the methods to
 * root and the management group.
 *
 * Objects (leaf: the drive's inventory leaf):
 *   /xyz/openbmc_project/software/nvme_<leaf>   the running firmware:
 *       Software.Version, Activation, Update, Association.Definitions
 *   /xyz/openbmc_project/software/nvme_<leaf>_update   the last update:
 *       Software.Activation, ActivationProgress, Version, associations
 *   <drive>: Nvme.Sanitize;  <drive>/sanitize: Common.Progress
 *   <controller>: Nvme.Admin (GetLogPage)
 *   NVMED_STORAGE_PATH/volume/<leaf>_<nsid>: Item.Volume, Nvme.Volume
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "admin.h"
#include "dbus-names.h"

#define MGMT_NS_MAX 64 /* namespaces published per drive */

struct drive;
struct manager;
struct fwupdate;
struct sanitize;
struct logread;
struct iowork_req;

struct volume {
	struct mgmt_drive *md;
	uint32_t nsid;
	struct admin_namespace ns;
	char *path;
	sd_bus_slot *slots[3];
};

/* A drive's management state. */
struct mgmt_drive {
	struct mgmt *g;
	struct drive *d;
	struct mgmt_drive *next;
	char *sw_path; /* the running firmware's object */
	sd_bus_slot *slots[6];

	/* Identify Controller and the firmware slots, read after each
	 * (re)identification of the drive; then the namespaces */
	bool have_caps;
	struct admin_ctrl_caps caps;
	struct admin_fw_slots fw;
	struct iowork_req *refresh_req;
	int refresh_step;
	bool refresh_again;
	uint32_t ns_ids[MGMT_NS_MAX];
	size_t n_ns_ids, ns_next;
	struct admin_namespace ns_new[MGMT_NS_MAX];
	struct volume *volumes;
	size_t n_volumes;

	struct fwupdate *update;
	struct sanitize *sanitize;
	struct logread *logs;
};

struct mgmt {
	struct manager *m;
	struct mgmt_drive *drives;
	sd_bus_slot *om_software;
	bool have_group;
	unsigned group; /* gid_t */
	const char *group_name;
};

int mgmt_new(struct manager *m, const char *group, struct mgmt **ret);
struct mgmt *mgmt_free(struct mgmt *g);

/* The drive hooks: an NVMe-MI drive gets its objects before the drive's
 * own are announced; the mask is drive.h's. */
int mgmt_drive_add(struct mgmt *g, struct drive *d);
void mgmt_drive_remove(struct mgmt *g, struct drive *d);
void mgmt_drive_changed(struct mgmt *g, struct drive *d, uint64_t mask);

/* For the three files. */
/* A management method's body, run once the caller is known to be
 * allowed (root or the management group); it returns like a method
 * handler: -errno with error set, or >= 0 when it has replied or will. */
typedef int (*mgmt_method_t)(sd_bus_message *m, struct mgmt_drive *md,
			     sd_bus_error *error);
/* Ask the bus who called m, without waiting, then run method or
 * refuse the call (AccessDenied). Returns 1 (the reply comes later) or
 * -errno. */
int mgmt_authorize(struct mgmt_drive *md, sd_bus_message *m,
		   mgmt_method_t method);
/* The drive answers and has an endpoint; else error set, false. */
bool mgmt_reachable(struct mgmt_drive *md, sd_bus_error *error);
/* One Admin command to the drive (iowork_admin). -ENOTCONN without an
 * endpoint. */
int mgmt_admin(struct mgmt_drive *md, const struct mi_admin_cmd *c,
	       const void *dout, size_t dout_len, size_t din_len,
	       void (*done)(int r, const uint8_t *data, size_t len,
			    void *userdata),
	       void *userdata, struct iowork_req **ret);
/* Read the first len bytes (one transfer) of the controller's log page
 * lid (the firmware slot or sanitize status log) with mgmt_admin;
 * timeout_ms 0: the network's. */
int mgmt_read_log(struct mgmt_drive *md, uint8_t lid, size_t len,
		  unsigned timeout_ms,
		  void (*done)(int r, const uint8_t *data, size_t len,
			       void *userdata),
		  void *userdata, struct iowork_req **ret);
/* Read Identify, the firmware slots and the namespaces again. */
void mgmt_refresh(struct mgmt_drive *md);
uint64_t mgmt_now_realtime_usec(void);

/* fwupdate.c */
extern const sd_bus_vtable fwupdate_version_vtable[];
extern const sd_bus_vtable fwupdate_activation_vtable[];
extern const sd_bus_vtable fwupdate_update_vtable[];
extern const sd_bus_vtable fwupdate_assoc_vtable[];
void fwupdate_drive_changed(struct mgmt_drive *md, uint64_t mask);
/* The caps (FRMW, SANICAP) are known or changed: AllowedApplyTimes. */
void fwupdate_caps_known(struct mgmt_drive *md);
void fwupdate_free(struct mgmt_drive *md);

/* sanitize.c */
extern const sd_bus_vtable sanitize_vtable[];
void sanitize_free(struct mgmt_drive *md);
/* The caps are known or changed: SupportedActions. */
void sanitize_caps_known(struct mgmt_drive *md);
bool sanitize_running(const struct mgmt_drive *md);
bool fwupdate_running(const struct mgmt_drive *md);

/* mgmt.c: log pages */
extern const sd_bus_vtable admin_vtable[];
