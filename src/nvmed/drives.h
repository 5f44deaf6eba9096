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

/* Make the drives what the sources want now. */
void drives_reconcile(struct manager *m);
/* Drive d is to poll endpoint (net, eid) (its record's, or the one mctpd
 * set up for it): an endpoint drive there gives way, a configured drive
 * there keeps it (-EADDRINUSE, logged). */
int drives_set_endpoint(struct manager *m, struct drive *d, uint32_t net,
			uint8_t eid);
/* Every drive goes (exit). */
void drives_free_all(struct manager *m);
