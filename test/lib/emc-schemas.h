/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Record schemas for tests of libemconfig and of its users: the usual
 * three record types, declared once. Not the daemons' own schemas (those
 * are what the daemons' tests check); small, stable ones, so that a test
 * of the record model does not change when a daemon gains a key.
 */
#pragma once

#include "emconfig.h"

/* "active_low", "active_high" */
extern const char *const tb_polarities[];
/* "greater than", "less than" */
extern const char *const tb_directions[];

/* Thresholds: Direction (tb_directions), Severity 0..1 and Value, both
 * required. */
extern const struct emc_schema tb_threshold_schema;
/* NVME1000: Name and Bus 0..1023 required, Address 0..127, Thresholds
 * (tb_threshold_schema). */
extern const struct emc_schema tb_nvme_schema;
/* GPIOCableSensing: Name, GpioLine and Polarity (tb_polarities)
 * required, Length. */
extern const struct emc_schema tb_cable_schema;

/* NULL-terminated lists of one, for the sources' schema arguments. */
extern const struct emc_schema *const tb_nvme_schemas[];
extern const struct emc_schema *const tb_cable_schemas[];
