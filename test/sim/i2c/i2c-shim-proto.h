/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Wire protocol between libi2c-shim.so and nvme-mi-emu --i2c-socket
 * (README.md). AF_UNIX SOCK_SEQPACKET, host byte order, one record per
 * packet. Each opened /dev/i2c-N is one connection:
 *
 *   shim -> emu  hello   {magic, version, bus}
 *   emu  -> shim welcome {magic, version, status}  status 0 or -ENOENT
 *                                                 (no such adapter)
 *   shim -> emu  request {op, addr, cmd, len}     one SMBus/I2C transfer
 *   emu  -> shim reply   {status, len, wire[len]}
 *
 * A reply carries the bytes the slave drives on the wire, in order: for a
 * block read the byte count, the data and the PEC byte the slave appends
 * (the shim checks it when I2C_PEC is on, as the kernel does). status is 0
 * or a negative errno the adapter would report (-ENXIO: address NACK,
 * -EBUSY: bus busy, -ETIMEDOUT).
 */
#pragma once

#include <stdint.h>

#define I2C_SHIM_MAGIC	  0x49324353u /* "I2CS" */
#define I2C_SHIM_VERSION  1
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

struct i2c_shim_request {
	uint8_t op;
	uint8_t addr; /* 7-bit */
	uint8_t cmd;
	uint8_t len; /* bytes wanted, at most I2C_SHIM_WIRE_MAX */
};

struct i2c_shim_reply {
	int32_t status;
	uint8_t len;
	uint8_t pad[3];
	uint8_t wire[I2C_SHIM_WIRE_MAX];
};
