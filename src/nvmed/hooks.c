// SPDX-License-Identifier: Apache-2.0
/*
 * The drive hooks (manager.h): what a drive's changes mean for the D-Bus
 * surface (drive-bus.c), the fault events (faults.c), the management objects
 * (mgmt.c), mctpd's client (mctpd.c) and the records (records.c). The daemon (main.c) and the
 * seam tests' build of nvmed's core wire the same hooks.
 */
#include "drive-bus.h"
#include "drive.h"
#include "drives.h"
#include "faults.h"
#include "hooks.h"
#include "manager.h"
#include "mctpd.h"
#include "mgmt.h"
#include "records.h"

static struct manager *the_manager(struct drive *d)
{
	return d->m;
}

/* The management objects first: the drive's announcement carries their
 * interfaces on the drive and controller objects. */
static int hook_added(struct drive *d, void **ret_surface)
{
	struct manager *m = the_manager(d);
	int r;

	r = mgmt_drive_add(m->mgmt, d);
	if (r < 0)
		return r;
	r = bus_drive_add(d, ret_surface);
	if (r < 0)
		mgmt_drive_remove(m->mgmt, d);
	return r;
}

static void hook_changed(struct drive *d, uint64_t mask)
{
	bus_drive_changed(d, mask);
	faults_drive_changed(d, mask);
	mgmt_drive_changed(the_manager(d)->mgmt, d, mask);
}

static void hook_removed(struct drive *d)
{
	mgmt_drive_remove(the_manager(d)->mgmt, d);
	bus_drive_remove(d);
	mctpd_drive_removed(the_manager(d)->mctpd, d);
}

static void hook_failing(struct drive *d)
{
	mctpd_endpoint_failing(the_manager(d)->mctpd, d);
}

static void hook_powered(struct drive *d)
{
	mctpd_drive_powered(the_manager(d)->mctpd, d);
}

const struct drive_hooks nvmed_drive_hooks = {
	.added = hook_added,
	.removed = hook_removed,
	.changed = hook_changed,
	.failing = hook_failing,
	.powered = hook_powered,
	.threshold_set = records_write_threshold,
};

const struct source_hooks nvmed_source_hooks = {
	.wants_changed = drives_reconcile,
	.set_endpoint = drives_set_endpoint,
};
