/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Asynchronous client of mctpd: SetupEndpoint for NVME1000 mi_i2c
 * records, the endpoint objects that become drives, and mctpd's endpoint
 * recovery. Its per-drive link state (the setup call and its retries, the
 * endpoint object) is its own; it reaches drives through drive.h.
 */
#pragma once

#include <stdbool.h>

struct drive;
struct drive_wants;
struct manager;
struct mctpd;

int mctpd_new(struct manager *m, struct mctpd **ret);
struct mctpd *mctpd_free(struct mctpd *c);

/* Ask mctpd (asynchronously, retried with back-off) to set up the record
 * drive's endpoint on its I2C bus/address. */
int mctpd_setup_endpoint(struct mctpd *c, struct drive *d);
/* The drive is going away: forget its link. */
void mctpd_drive_removed(struct mctpd *c, struct drive *d);
/* The drive stopped answering (its window of failures): ask mctpd to
 * Recover its endpoint and hold the drive until the outcome (mctpd
 * removes an endpoint that does not answer), or set a record drive's
 * endpoint up again. Asynchronous. */
void mctpd_endpoint_failing(struct mctpd *c, struct drive *d);
/* The drive reached its power state: a record drive may have lost its
 * EID, so it is set up again (idempotent for an endpoint mctpd knows). */
void mctpd_drive_powered(struct mctpd *c, struct drive *d);

/* An MCTPI2CTarget/MCTPI3CTarget record names the drives of endpoints
 * configured_by it; board may be NULL. Re-derives the endpoint drives. */
int mctpd_target_set(struct mctpd *c, const char *path, const char *name,
		     const char *board);
void mctpd_target_remove(struct mctpd *c, const char *path);
/* Endpoints or target records came or went: drives_reconcile(). */
void mctpd_reconcile(struct mctpd *c);
/* The drives the endpoints want (drives.h); partial: mctpd's objects are
 * being read, some may be missing. */
int mctpd_wants(struct mctpd *c, struct drive_wants *w, bool *partial);
/* Endpoint drive d is mctpd's endpoint object at path. */
int mctpd_endpoint_drive(struct mctpd *c, struct drive *d, const char *path);

/* Pure: MCTP interface of an I2C bus, looked up below sysfs_root
 * ("/sys" in production), else "mctpi2c<bus>". */
int mctpd_interface_for_bus(const char *sysfs_root, unsigned bus, char **ret);
