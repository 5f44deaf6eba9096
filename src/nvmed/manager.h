/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What nvmed's modules share: the loop, the bus and the settings main.c
 * made, the drives (drive.c's list), and the hooks through which a drive
 * tells the modules above it what happened. main.c wires the hooks to
 * the D-Bus surface (drive-bus.h), mctpd's client (mctpd.h) and the records
 * (records.h), so that drive.c calls none of them.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "dbus-names.h"
#include "threshold.h"

struct drive;
struct drive_slots;
struct record_set;
struct emc_source;
struct evlog;
struct iowork_set;
struct mctpd;
struct mgmt;
struct mi_root;
struct power;
struct surface;

/* What a drive tells the modules above it; each may be NULL. */
struct drive_hooks {
	/* A new drive: publish it (its handle goes to d->surface); an error
	 * fails drive_new(). */
	int (*added)(struct drive *d, void **ret_surface);
	/* The drive is about to be freed. */
	void (*removed)(struct drive *d);
	/* Its published state changed: mask of DRIVE_BIT()s (drive.h),
	 * once per step. */
	void (*changed)(struct drive *d, uint64_t mask);
	/* Its window of failures (and each failure after it): the link may
	 * need recovering. May hold the drive (drive_link_hold). */
	void (*failing)(struct drive *d);
	/* It reached its power state again. */
	void (*powered)(struct drive *d);
	/* Threshold kind k was set over D-Bus: persist it. */
	void (*threshold_set)(struct drive *d, enum threshold_kind k);
};

/*
 * What a source of drives (records.c: the records and phosphor-nvme's
 * file; mctpd.c: mctpd's endpoints) tells the layer that makes the drives
 * (drives.c). main.c wires them (hooks.c), so that a source calls nothing
 * above it; each may be NULL.
 */
struct source_hooks {
	/* What the source wants changed: make the drives match. */
	void (*wants_changed)(struct manager *m);
	/* Drive d is to poll endpoint (net, eid): -EADDRINUSE when a
	 * configured drive keeps it. */
	int (*set_endpoint)(struct manager *m, struct drive *d, uint32_t net,
			    uint8_t eid);
};

static inline void sources_changed(struct manager *m);
static inline int sources_set_endpoint(struct manager *m, struct drive *d,
				       uint32_t net, uint8_t eid);

struct manager {
	/* main.c's */
	sd_event *event;
	sd_bus *bus;
	struct mi_root *mi;
	struct emc_source *config;
	struct mctpd *mctpd;
	struct power *power;
	struct evlog *evlog; /* drive faults to phosphor-logging */
	struct iowork_set *iowork; /* transfers, off this loop */
	struct surface *surface; /* the D-Bus objects */
	struct mgmt *mgmt; /* drive management (mgmt.h) */
	const char *sysfs_root; /* "/sys"; root buses of muxed I2C buses */
	uint64_t poll_ms;
	unsigned window; /* default availability window (avail.h) */
	unsigned timeout_ms;
	struct drive_hooks hooks;
	struct source_hooks sources;

	/* drives.c's: the drives' configurations (drives.h) */
	struct drive_slots *slots;
	/* records.c's: the records that want drives (records.h) */
	struct record_set *records;

	/* drive.c's */
	struct drive *drives;
	unsigned n_drives;
};

static inline void sources_changed(struct manager *m)
{
	if (m->sources.wants_changed)
		m->sources.wants_changed(m);
}

static inline int sources_set_endpoint(struct manager *m, struct drive *d,
				       uint32_t net, uint8_t eid)
{
	return m->sources.set_endpoint ?
		       m->sources.set_endpoint(m, d, net, eid) :
		       -EOPNOTSUPP;
}
