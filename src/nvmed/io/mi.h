/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Thin edge over libnvme-mi (MCTP transport). Every call is one NVMe-MI
 * transaction and blocks until the reply or the endpoint timeout.
 *
 * Return contract, normalised here once: 0 on success, -errno when no
 * valid reply came (-ETIMEDOUT, -EPROTO, -EBADMSG for a MIC mismatch,
 * which libnvme 1.3 reports as +1 with errno untouched, ...), or a
 * positive NVMe-MI / NVMe status the drive returned.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "admin.h"

struct mi_root;
struct mi_ep;

/* timeout_ms: per transaction; mprt_max_ms: cap of a More Processing
 * Required wait. The Identify probe libnvme 1.3 sends on open is off. */
int mi_root_new(unsigned timeout_ms, unsigned mprt_max_ms, int log_level,
		struct mi_root **ret);
struct mi_root *mi_root_free(struct mi_root *root);
/* What mi_root_new() was given: nvmed passes it on to the MCTP worker it
 * execs, which makes a root of its own. */
void mi_root_params(const struct mi_root *root, unsigned *timeout_ms,
		    unsigned *mprt_max_ms, int *log_level);
/* False when libnvme cannot cap a More Processing Required wait (no
 * released libnvme exports nvme_mi_ep_set_mprt_max): the drive's MPRT, up
 * to 109 min, would bound it; the I/O worker running the transaction is
 * then stopped at mi_transaction_limit_ms() instead (iowork.h). */
bool mi_mprt_max_supported(void);
/* Longest a transaction should take: two timeouts plus the MPR cap. */
unsigned mi_transaction_limit_ms(const struct mi_root *root);

/* Opens the endpoint (socket only, no transaction). */
int mi_open(struct mi_root *root, unsigned net, uint8_t eid,
	    struct mi_ep **ret);
struct mi_ep *mi_close(struct mi_ep *ep);

/* Read NVMe-MI Data Structure type 0 (32 bytes into buf). */
int mi_read_subsys_info(struct mi_ep *ep, uint8_t *buf, size_t len);
/* Subsystem Health Status Poll, clearing the change flags (8 bytes). */
int mi_health_poll(struct mi_ep *ep, uint8_t *buf, size_t len);
/* Admin Identify Controller of controller 0: its first len bytes (a
 * multiple of 4, at most 4096), DOFF 0 / DLEN len. */
int mi_identify_ctrl(struct mi_ep *ep, uint8_t *buf, size_t len);
/* Admin Get Log Page SMART / Health, NSID FFFFFFFFh (512 bytes). */
int mi_smart_log(struct mi_ep *ep, uint8_t *buf, size_t len);

/* A positive return is the drive's status, as admin.h encodes it
 * (MI_STATUS_MI for an NVMe-MI response status). */
int mi_admin(struct mi_ep *ep, const struct mi_admin_cmd *cmd, uint8_t *data,
	     size_t len);
