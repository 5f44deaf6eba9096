/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core of drive management, below its features (fwupdate.c,
 * sanitize.c, logpage.c, volume.c) and the orchestrator above them
 * (mgmt.c): the per-drive state they share, the admin channel to the
 * drive, who may call the methods, whether the drive answers, the
 * confirmation of a command whose answer was lost, and the claim a
 * feature holds on the drive while an exclusive operation runs.
 *
 * Nothing here knows a feature: each keeps its own state in
 * md->feature[] and describes itself to the orchestrator with a struct
 * mgmt_feature.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#include "admin.h"
#include "macros.h"

#define MGMT_NS_MAX 64 /* namespaces published per drive */

struct drive;
struct manager;
struct iowork_req;
struct mgmt_drive;

/* Where each feature keeps its per-drive state in md->feature[]. */
enum mgmt_feature_id {
	MGMT_FWUPDATE,
	MGMT_SANITIZE,
	MGMT_LOGPAGE,
	MGMT_VOLUME,
	_MGMT_FEATURE_MAX,
};

/* A feature, as the orchestrator drives it. Every member may be NULL. */
struct mgmt_feature {
	/* Once at start-up: every property the feature emits is published
	 * (mgmt_check_props); -errno fails the start. */
	int (*check)(void);
	/* A drive comes: its objects; -errno fails the drive's. */
	int (*add)(struct mgmt_drive *md);
	void (*remove)(struct mgmt_drive *md);
	/* What Identify says (md->caps, FRMW and SANICAP) is known or
	 * changed. */
	void (*caps_known)(struct mgmt_drive *md);
	/* The drive's properties in mask (drive.h) changed. */
	void (*drive_changed)(struct mgmt_drive *md, uint64_t mask);
	/* A refresh read the namespaces (md->ns_ids, md->ns_new). */
	void (*refreshed)(struct mgmt_drive *md);
};

/* An exclusive operation on a drive, as its refusal names it ("a
 * firmware update"). */
struct mgmt_claim {
	const char *what;
};

/* A drive's management state. */
struct mgmt_drive {
	struct mgmt *g;
	struct drive *d;
	struct mgmt_drive *next;
	char *sw_path; /* the running firmware's object */

	/* Identify Controller and the firmware slots, read after each
	 * (re)identification of the drive; then the namespaces (the
	 * refresh, mgmt.c) */
	bool have_caps;
	struct admin_ctrl_caps caps;
	struct admin_fw_slots fw;
	struct iowork_req *refresh_req;
	int refresh_step; /* 0: idle */
	bool refresh_again;
	uint32_t ns_ids[MGMT_NS_MAX];
	size_t n_ns_ids, ns_next;
	struct admin_namespace ns_new[MGMT_NS_MAX];

	const struct mgmt_claim *claim; /* NULL: the drive is free */
	void *feature[_MGMT_FEATURE_MAX];
};

struct mgmt {
	struct manager *m;
	struct mgmt_drive *drives;
	sd_bus_slot *om_software;
	bool have_group;
	unsigned group; /* gid_t */
	const char *group_name;
	/* Read Identify, the firmware slots and the namespaces again (the
	 * orchestrator's). */
	void (*refresh)(struct mgmt_drive *md);
};

typedef void (*mgmt_done_t)(int r, const uint8_t *data, size_t len,
			    void *userdata);

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
/* The drive answers and has an endpoint; else error set, false (and a
 * refresh asked for when the caps are not known yet). */
bool mgmt_reachable(struct mgmt_drive *md, sd_bus_error *error);
/* Read Identify, the firmware slots and the namespaces again. */
void mgmt_request_refresh(struct mgmt_drive *md);

/* One Admin command to the drive (iowork_admin). -ENOTCONN without an
 * endpoint. */
int mgmt_admin(struct mgmt_drive *md, const struct mi_admin_cmd *c,
	       const void *dout, size_t dout_len, size_t din_len,
	       mgmt_done_t done, void *userdata, struct iowork_req **ret);
/* Read the first len bytes (one transfer) of the controller's log page
 * lid (the firmware slot or sanitize status log) with mgmt_admin;
 * timeout_ms 0: the network's. */
int mgmt_read_log(struct mgmt_drive *md, uint8_t lid, size_t len,
		  unsigned timeout_ms, mgmt_done_t done, void *userdata,
		  struct iowork_req **ret);

/* A command got no answer (lost_r, admin_answer_lost()): whether the
 * drive took it shows in its log page lid. mgmt_confirm() reads the
 * first len bytes of it; taken(data, len, userdata) judges what it
 * says; then done(0, NULL, 0, userdata) when taken, done(lost_r, ...)
 * when not or when the log cannot be read. c is the caller's, kept
 * until done; *ret as mgmt_admin's. */
struct mgmt_confirm {
	int lost_r;
	bool (*taken)(const uint8_t *data, size_t len, void *userdata);
	mgmt_done_t done;
	void *userdata;
};
int mgmt_confirm(struct mgmt_drive *md, struct mgmt_confirm *c, int lost_r,
		 uint8_t lid, size_t len, unsigned timeout_ms,
		 bool (*taken)(const uint8_t *data, size_t len, void *userdata),
		 mgmt_done_t done, void *userdata, struct iowork_req **ret);

/* The busy claim. mgmt_claim() takes the drive for c, or refuses (the
 * Unavailable error "Drive '<name>': <what> is running" in error) when
 * an operation holds it. */
const struct mgmt_claim *mgmt_claimed(const struct mgmt_drive *md);
int mgmt_claim(struct mgmt_drive *md, const struct mgmt_claim *c,
	       sd_bus_error *error);
/* Give it back, if c holds it. */
void mgmt_release(struct mgmt_drive *md, const struct mgmt_claim *c);

/* The properties a feature emits, one PropertiesChanged each, and the
 * interfaces it publishes them in. object tells apart the feature's
 * objects (the running firmware and an update both carry
 * Software.Version). */
struct mgmt_prop {
	unsigned object;
	const char *iface;
	const char *names[3]; /* NULL-terminated */
};
struct mgmt_iface {
	unsigned object;
	const char *iface;
	const sd_bus_vtable *vtable;
};
/* Every name of props is a property of its object's interface: else
 * "Internal error: <iface>.<prop> is not published" and -EINVAL. */
int mgmt_check_props(const struct mgmt_prop *props, size_t n_props,
		     const struct mgmt_iface *ifaces, size_t n_ifaces);
void mgmt_emit(struct mgmt_drive *md, const char *path,
	       const struct mgmt_prop *p);

/* prefix/<what>: <what> named after the drive (fmt), made a segment as
 * entity-manager and sdbusplus make one of a name, so that object_path's
 * filename() reads the name back (emconfig.h emc_escape). */
char *mgmt_leaf_path(const char *prefix, const char *fmt, ...) _printf_(2, 3);
sd_bus *mgmt_bus(const struct mgmt_drive *md);
/* A feature's per-drive state: size zeroed bytes in md->feature[id], or
 * NULL (out of memory). mgmt_feature_free() frees it and forgets it. */
void *mgmt_feature_new(struct mgmt_drive *md, enum mgmt_feature_id id,
		       size_t size);
void mgmt_feature_free(struct mgmt_drive *md, enum mgmt_feature_id id);
/* One interface of a feature on one of the drive's objects; a failure is
 * logged with the drive, interface and path. */
int mgmt_add_vtable(struct mgmt_drive *md, sd_bus_slot **slot, const char *path,
		    const char *iface, const sd_bus_vtable *vtable,
		    void *userdata);
uint64_t mgmt_now_realtime_usec(void);
