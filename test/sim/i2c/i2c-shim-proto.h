/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire protocol between libi2c-shim.so and nvme-mi-emu --i2c-socket
 * (README.md). AF_UNIX SOCK_SEQPACKET, host byte order, one record per
 * packet. Each opened /dev/i2c-N is one connection:
 *
 *   shim -> emu  hello   {magic, version, bus}
 *   emu  -> shim welcome {magic, version, status}  status 0 or -ENOENT
 *                                                 (no such adapter)
 *   shim -> emu  request {op, addr, cmd, len, flags}  one SMBus/I2C
 *                                                     transfer
 *   emu  -> shim reply   {status, len, wire[len]}
 *
 * A reply carries the bytes the slave drives on the wire, in order: for a
 * block read the byte count, the data and the PEC byte the slave appends
 * (the shim checks it when I2C_PEC is on, as the kernel does). status is 0
 * or a negative errno the adapter would report (-ENXIO: address NACK,
 * -EBUSY: bus busy, -ETIMEDOUT: a device held the bus for the adapter
 * timeout).
 *
 * The reply is sent when the transfer would end on the wire: the emulator
 * keeps one timeline per bus number, a transfer starts when the previous
 * one on that bus ended (the kernel serializes the transfers of one
 * adapter: i2c_lock_bus() in drivers/i2c/i2c-core-smbus.c) and lasts the
 * bits it puts on the wire at the addressed drive's smbus_hz (flags tell
 * how many bytes the master reads), or hold_ms for a drive holding the
 * bus. Replies on one connection come in request order.
 */
#pragma once

#include <stdint.h>

#define I2C_SHIM_MAGIC	  0x49324353u /* "I2CS" */
#define I2C_SHIM_VERSION  2
#define I2C_SHIM_WIRE_MAX 40 /* count + 32 data + PEC, rounded up */

enum i2c_shim_op {
	/* SMBus read: write cmd, repeated start, read len bytes (the slave
	 * decides: for a block read the first byte is the count). */
	I2C_SHIM_OP_READ = 1,
};

struct i2c_shim_hello {
	uint32_t magic;
	uint16_t version;
	uint16_t pad;
	uint32_t bus;
};

struct i2c_shim_welcome {
	uint32_t magic;
	uint16_t version;
	uint16_t pad;
	int32_t status;
};

/* request flags: what the master reads, for the bus time */
enum {
	/* SMBus block read: the master reads the count byte and then as
	 * many data bytes (len is only the most it takes); without it the
	 * master reads exactly len bytes */
	I2C_SHIM_F_BLOCK = 1 << 0,
	/* with I2C_SHIM_F_BLOCK: the master also reads the PEC byte */
	I2C_SHIM_F_PEC = 1 << 1,
};

struct i2c_shim_request {
	uint8_t op;
	uint8_t addr; /* 7-bit */
	uint8_t cmd;
	uint8_t len; /* bytes wanted, at most I2C_SHIM_WIRE_MAX */
	uint8_t flags; /* I2C_SHIM_F_* */
	uint8_t pad[3];
};

struct i2c_shim_reply {
	int32_t status;
	uint8_t len;
	uint8_t pad[3];
	uint8_t wire[I2C_SHIM_WIRE_MAX];
};
