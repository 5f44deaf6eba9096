/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Thin edge over Linux i2c-dev for the NVMe-MI Basic Management Command:
 * one SMBus block read per call, blocking for the adapter's transfer
 * (milliseconds on a healthy bus). 0 or -errno as the adapter reports it
 * (-ENXIO NACK, -EBUSY/-EAGAIN bus busy or lost arbitration, -ETIMEDOUT,
 * -EBADMSG bad PEC, -EPROTO bad block count).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Open /dev/i2c-<bus>, address the drive, PEC on or off. */
int basic_open(unsigned bus, uint8_t addr, bool pec, int *ret_fd);
/* SMBus block read of command cmd: data without the count byte into buf
 * (at least 32 bytes), its length in *ret_len. */
int basic_read_block(int fd, uint8_t cmd, uint8_t *buf, size_t len,
		     size_t *ret_len);

/*
 * Pure (below sysfs_root, "/sys" in production): the root adapter of an
 * I2C bus. A bus created by a mux has
 * <sysfs_root>/bus/i2c/devices/i2c-<bus>/mux_device, a link to the mux
 * client "<parent bus>-<addr>"; followed through nested muxes (at most 8
 * levels). A bus that is no mux channel (or unknown) is its own root.
 */
unsigned basic_root_bus(const char *sysfs_root, unsigned bus);
