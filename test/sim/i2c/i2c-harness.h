/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for tests of the SMBus path: nvme-mi-emu with --i2c-socket as
 * well as its MCTP and control sockets, and re-executing a test under
 * libi2c-shim.so.
 */
#pragma once

#include "emu-harness.h"

/* As emu_start(), plus --i2c-socket <dir>/i2c.sock. */
int i2c_emu_start(struct emu_proc *p, const char *scenario_json);
/* The SMBus socket of an emulator started by i2c_emu_start() (static). */
const char *i2c_emu_sock(const struct emu_proc *p);
/* Like emu_preload_self() with $TB_I2C_SHIM_PRELOAD. */
int i2c_preload_self(char **argv);
