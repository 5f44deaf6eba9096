/* SPDX-License-Identifier: Apache-2.0 */
/*
 * I/O workers: the blocking device I/O runs in small worker processes,
 * never on the loop that serves D-Bus: SMBus transfers in one worker per
 * root I2C bus, NVMe-MI transactions (libnvme-mi, whose calls block) in
 * one worker per MCTP network. Each worker is a program nvmed execs; it
 * talks to nvmed over a socketpair, gets the transfers submitted in one
 * turn of the loop as one batch, runs one transfer at a time (transfers
 * on one root bus stay serialised, as the adapter serialises them) and
 * is restarted when it dies or stays stuck. Different buses and networks
 * run in parallel.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct iowork_set;
struct iowork_req;

struct mi_root;

/*
 * Called once on the loop: r = 0 and the reply's bytes; -errno: the
 * transfer's own error (mi.h's contract for NVMe-MI: a positive r is the
 * status the drive returned), -ETIME when it has not come back within its
 * timeout (the worker may still be stuck in the kernel or in libnvme),
 * -ECONNRESET when the worker died. The request is gone when this is
 * called.
 */
typedef void (*iowork_done_t)(int r, const uint8_t *data, size_t len,
			      void *userdata);

/* mi: the NVMe-MI settings the MCTP workers open endpoints with. From
 * here on the calling process has no effective capabilities: only the
 * workers use them. Fails (logged) when they cannot be cleared. */
int iowork_set_new(sd_event *event, struct mi_root *mi,
		   struct iowork_set **ret);
struct iowork_set *iowork_set_free(struct iowork_set *s);

/*
 * SMBus block read of command cmd from addr on I2C bus bus (with PEC when
 * pec), in the worker of root bus root. timeout_ms counts from when the
 * worker begins the transfer, not while it waits behind others.
 */
int iowork_smbus_block_read(struct iowork_set *s, unsigned root, unsigned bus,
			    uint8_t addr, bool pec, uint8_t cmd,
			    unsigned timeout_ms, iowork_done_t done,
			    void *userdata, struct iowork_req **ret);

enum iowork_mi_op {
	IOWORK_MI_SUBSYS_INFO, /* mi_read_subsys_info */
	IOWORK_MI_HEALTH, /* mi_health_poll */
	IOWORK_MI_IDENTIFY, /* mi_identify_ctrl */
	IOWORK_MI_SMART, /* mi_smart_log */
};

/*
 * One NVMe-MI transaction with (net, eid) in network net's worker: len
 * bytes of reply (at most 4096). The worker keeps the endpoint open and
 * reopens it after any failed transaction, or first when fresh. A worker
 * still busy a second after timeout_ms is killed and replaced: that bounds
 * a More Processing Required wait whatever libnvme can cap.
 */
int iowork_mi(struct iowork_set *s, uint32_t net, uint8_t eid,
	      enum iowork_mi_op op, size_t len, bool fresh, unsigned timeout_ms,
	      iowork_done_t done, void *userdata, struct iowork_req **ret);

struct mi_admin_cmd;
/*
 * One NVMe Admin command (mi.h's mi_admin) with (net, eid), queued behind
 * the network's other transactions: dout (dout_len bytes, at most 4096)
 * goes to the drive for a host-to-controller opcode, din_len bytes (at
 * most 4096) come back for a controller-to-host one. done gets the
 * drive's status as a positive r. The worker is given the command's own
 * timeout on top of the endpoint's MPR cap.
 */
int iowork_admin(struct iowork_set *s, uint32_t net, uint8_t eid,
		 const struct mi_admin_cmd *cmd, const void *dout,
		 size_t dout_len, size_t din_len, iowork_done_t done,
		 void *userdata, struct iowork_req **ret);

/* Withdraw a request: done is not called. NULL is a no-op. */
void iowork_cancel(struct iowork_req *q);

/* Workers running, transfers abandoned after their timeout, restarts. */
struct iowork_stats {
	unsigned workers;
	uint64_t transfers, timeouts, restarts;
};
void iowork_get_stats(const struct iowork_set *s, struct iowork_stats *ret);
