/* SPDX-License-Identifier: Apache-2.0 */
/*
 * I/O workers: the blocking SMBus transfers run in one small worker
 * process per root I2C bus, never on the loop that serves D-Bus. Each
 * worker is forked by nvmed, talks to it over a socketpair, runs one
 * transfer at a time (transfers on one root bus stay serialised, as the
 * adapter serialises them) and is restarted when it dies or stays stuck.
 * Different root buses run in parallel.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

struct iowork_set;
struct iowork_req;

/*
 * Called once on the loop: r = 0 and the block's bytes, or -errno: the
 * transfer's, -ETIMEDOUT when it has not come back within its timeout
 * (the worker may still be stuck in the kernel), -ECONNRESET when the
 * worker died. The request is gone when this is called.
 */
typedef void (*iowork_done_t)(int r, const uint8_t *data, size_t len,
			      void *userdata);

int iowork_set_new(sd_event *event, struct iowork_set **ret);
struct iowork_set *iowork_set_free(struct iowork_set *s);

/*
 * SMBus block read of command cmd from addr on I2C bus bus (with PEC when
 * pec), in the worker of root bus root. timeout_ms counts from when the
 * worker is handed the transfer, not while it waits behind others.
 */
int iowork_smbus_block_read(struct iowork_set *s, unsigned root, unsigned bus,
			    uint8_t addr, bool pec, uint8_t cmd,
			    unsigned timeout_ms, iowork_done_t done,
			    void *userdata, struct iowork_req **ret);

/* Withdraw a request: done is not called. NULL is a no-op. */
void iowork_cancel(struct iowork_req *q);

/* Workers running, transfers abandoned after their timeout, restarts. */
struct iowork_stats {
	unsigned workers;
	uint64_t transfers, timeouts, restarts;
};
void iowork_get_stats(const struct iowork_set *s, struct iowork_stats *ret);
