/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Drive faults to phosphor-logging: an observer of the drives' changes
 * (the drive hooks' changed, manager.h), as the D-Bus surface is one.
 */
#pragma once

#include <stdint.h>

struct drive;

/* The drive's published state changed (mask of DRIVE_BIT()s): raise or
 * clear its failure and critical warning events. */
void faults_drive_changed(struct drive *d, uint64_t mask);
