/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-mi-emu SMBus transport: the NVMe-MI Basic Management Command
 * (NVMe-MI 1.2 Appendix A) of the emulated drives, for libi2c-shim.so.
 * Each drive answers at (bus, basic_address) from the same state the
 * MCTP transport serves.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-event.h>

#include "emu.h"
#include "i2c-shim-proto.h"

/* SMBus PEC (CRC-8, x^8 + x^2 + x + 1, initial crc). */
uint8_t emu_smbus_crc8(uint8_t crc, const uint8_t *p, size_t n);

/* Status Flags byte of the basic command for the drive's state. */
uint8_t emu_smbus_status_flags(const struct emu_drive *d);

/*
 * Pure: the bytes drive d drives on the wire for a read at command code
 * cmd from 7-bit address addr, faults applied: command 0 (health status)
 * and 8 (vendor ID, serial) are blocks (count, data, PEC), any other code
 * one 0xff byte and its PEC. Fills wire (len bytes, padded with 0xff) and
 * returns 0, or the negative errno the adapter reports (-ENXIO for the
 * nack fault, -EBUSY for bus_busy).
 */
int emu_smbus_read(const struct emu_drive *d, uint8_t addr, uint8_t cmd,
		   uint8_t *wire, size_t len);

/*
 * Pure: the microseconds a read transfer occupies the bus at hz (0:
 * instant), rounded up. status and wire/len are emu_smbus_read()'s
 * result (len 0 when it failed), flags the request's I2C_SHIM_F_*. A
 * read: START, address+W, command, repeated START, address+R, the bytes
 * read, STOP, 9 bits a byte (8 and the ACK/NACK) and one a START/STOP
 * (SMBus 3.x, "Read Byte" and "Block Read" bus protocols); the bytes
 * read are len, or for a block read the count, that many data bytes and
 * with I2C_SHIM_F_PEC the PEC. -ENXIO: START, address+W, STOP. -EBUSY: 0
 * (the adapter never starts).
 */
uint64_t emu_smbus_xfer_usec(unsigned hz, int status, const uint8_t *wire,
			     size_t len, unsigned flags);

struct emu_smbus;

/* Listen on path (SOCK_SEQPACKET) and serve every drive of state. */
int emu_smbus_new(sd_event *event, struct emu_state *state, const char *path,
		  struct emu_smbus **ret);
struct emu_smbus *emu_smbus_free(struct emu_smbus *s);
