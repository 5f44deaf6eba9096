/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The seam tests' fixture: nvmed's core (a manager as main.c wires it)
 * on a real sd-event loop and a private bus, its I/O answered by the
 * double (seam.h), and a scripted drive for the requests a test does
 * not script itself.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drive.h"
#include "manager.h"
#include "seam.h"

struct testbed;

struct seam_fx {
	struct testbed *tb;
	struct manager m;
	sd_bus *client; /* the test's own connection, on the same loop */

	/* the scripted drive */
	uint8_t temp; /* composite temperature, degrees C */
	unsigned fw_active, fw_next; /* firmware slot log */
	uint8_t sanitize_state; /* Sanitize Status log SSTAT */
};

/* A manager on a private bus, poll_ms between polls, window failures
 * before a reading goes; hooks: nvmed's (drive, bus, management, mctpd)
 * when true, none when false (drive.c alone). */
struct seam_fx *seam_fx_new(uint64_t poll_ms, unsigned window, bool hooks);
void seam_fx_free(struct seam_fx *f);
/* cmocka teardown: frees the fixture a failed test left behind. */
int seam_fx_teardown(void **state);

/* An NVMe-MI drive at net 1 EID eid. */
struct drive *seam_mi_drive(struct seam_fx *f, const char *name, uint8_t eid);

/* Answer q as the scripted drive would. */
void seam_answer(struct seam_fx *f, struct seam_req *q);
/* Wait for the next request (fails the test after 5 s). */
struct seam_req *seam_next(struct seam_fx *f);
/* Answer requests as the scripted drive until cond(f, arg) holds (checked
 * before each), failing the test after timeout_ms. */
void seam_serve_until(struct seam_fx *f, bool (*cond)(struct seam_fx *, void *),
		      void *arg, unsigned timeout_ms);
/* The next request as the scripted drive answers it, until one of kind
 * (and, for SEAM_MI, op; for SEAM_ADMIN, opcode) comes: returned
 * unanswered. */
struct seam_req *seam_serve_to(struct seam_fx *f, enum seam_kind kind,
			       int op_or_opcode);

/* When the drive's next step is due, from now (the loop's time), usec. */
uint64_t seam_next_step_in(struct seam_fx *f, struct drive *d);

/* Call a method from the client; runs the loop until the reply. Returns
 * the reply (unref it) or NULL with *error set. */
struct sd_bus_message *seam_call(struct seam_fx *f, const char *path,
				 const char *iface, const char *member,
				 sd_bus_error *error, const char *types, ...);
/* The same in two halves: the call is sent, the test scripts the I/O it
 * causes, then waits for the reply. */
struct seam_pending;
struct seam_pending *seam_call_start(struct seam_fx *f, const char *path,
				     const char *iface, const char *member,
				     const char *types, ...);
bool seam_call_done(struct seam_pending *c);
struct sd_bus_message *seam_call_finish(struct seam_fx *f,
					struct seam_pending *c,
					sd_bus_error *error);
/* A string property, from the client (malloc'ed). */
char *seam_get_string(struct seam_fx *f, const char *path, const char *iface,
		      const char *prop);

/* Reply bytes. */
void seam_health(uint8_t buf[8], uint8_t temp);
