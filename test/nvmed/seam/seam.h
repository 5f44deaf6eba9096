/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seam tests' double of the I/O workers (iowork.h): nvmed's core is
 * linked with iowork-double.c instead of iowork.c. Every request is
 * queued and recorded; the test scripts its reply (bytes, a positive
 * NVMe status, -ETIME, -ECONNRESET, any -errno) and the double completes
 * it from a deferred event source on the loop, as a worker's reply
 * arrives, so the production code runs as it does with workers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "admin.h"
#include "iowork.h"

enum seam_kind {
	SEAM_SMBUS,
	SEAM_MI,
	SEAM_ADMIN,
};

/* What was asked. */
struct seam_req {
	enum seam_kind kind;
	/* SEAM_SMBUS */
	unsigned root, bus;
	uint8_t addr, cmd;
	bool pec;
	/* SEAM_MI, SEAM_ADMIN */
	uint32_t net;
	uint8_t eid;
	enum iowork_mi_op op;
	bool fresh;
	size_t len; /* reply bytes asked for (MI, admin din) */
	unsigned timeout_ms;
	struct mi_admin_cmd admin;
	uint8_t *dout;
	size_t dout_len;
	/* for the test: the order it was asked in, from 1 */
	unsigned seq;
};

/* The set the code under test made (iowork_set_new), NULL if none. */
struct iowork_set *seam_set(void);

/* The oldest request not yet replied to nor cancelled, or NULL. */
struct seam_req *seam_peek(void);
/* Run the loop until a request is pending (returned) or timeout_ms have
 * passed (NULL). */
struct seam_req *seam_wait(sd_event *e, unsigned timeout_ms);
/* Complete q on the loop: r and len bytes of data (copied). */
void seam_reply(struct seam_req *q, int r, const void *data, size_t len);
/* Run the loop until every reply given has been delivered. */
void seam_settle(sd_event *e);
/* Run the loop for ms milliseconds, whatever happens. */
void seam_run_for(sd_event *e, unsigned ms);
/* Requests asked and cancelled since the set was made. */
unsigned seam_asked(void);
unsigned seam_cancelled(void);
