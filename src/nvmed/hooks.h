/* SPDX-License-Identifier: Apache-2.0 */
/* The drive hooks nvmed wires (hooks.c). */
#pragma once

#include "manager.h"

extern const struct drive_hooks nvmed_drive_hooks;
extern const struct source_hooks nvmed_source_hooks;
