/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one place drives are born and die: the sources (records.c for the
 * records and phosphor-nvme's file, mctpd.c for mctpd's endpoints) each
 * say which drives they want; drives_reconcile() asks the reconciler
 * (reconcile.h) what that means for the drives there are and carries it
 * out with drive_new(), drive_free() and the in-place updates.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reconcile.h"

struct drive;
struct manager;

/* One wanted drive: cfg's strings must live through drives_reconcile()
 * (or be handed over in own[], freed after); cfg.thresholds is set from
 * th when has_th. */
struct drive_want {
	struct drive_config cfg;
	struct threshold_set th;
	bool has_th;
	char *own[2];
};

struct drive_wants {
	struct drive_want *v;
	size_t n, cap;
};

/* A new entry at the end, its cfg drive_config_init()ed; NULL if out of
 * memory. */
struct drive_want *drive_wants_add(struct drive_wants *w);

/* Make the drives what the sources want now. */
void drives_reconcile(struct manager *m);
/* Drive d is to poll endpoint (net, eid) (its record's, or the one mctpd
 * set up for it): an endpoint drive there gives way, a configured drive
 * there keeps it (-EADDRINUSE, logged). */
int drives_set_endpoint(struct manager *m, struct drive *d, uint32_t net,
			uint8_t eid);
/* Every drive goes (exit). */
void drives_free_all(struct manager *m);
