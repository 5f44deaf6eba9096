/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The record schemas the daemons declare (src/nvmed/records.c,
 * src/cable-presenced/cable.c), copied for the configuration fuzz
 * targets, which link the library only: what they are fed is validated
 * the way nvmed and cable-presenced validate it.
 */
#pragma once

#include "emconfig.h"

static const char *const fz_directions[] = { "greater than", "less than",
					     NULL };
static const char *const fz_protocols[] = { "mi_basic", "mi_i2c", NULL };
static const char *const fz_pec_values[] = { "Required", "NotRequired", NULL };
static const char *const fz_power_states[] = { "On", "BiosPost", "Always",
					       "ChassisOn", NULL };
static const char *const fz_polarities[] = { "active_low", "active_high",
					     NULL };

static const struct emc_key fz_threshold_keys[] = {
	{ .name = "Direction",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = fz_directions },
	{ .name = "Severity",
	  .kind = EMC_UINT,
	  .required = true,
	  .max = 4,
	  .exact = true },
	{ .name = "Value",
	  .kind = EMC_NUMBER,
	  .required = true,
	  .min = -273,
	  .max = 1000,
	  .exact = true },
	{ .name = "Hysteresis", .kind = EMC_NUMBER, .max = 100, .exact = true },
	{ .name = "Name", .kind = EMC_STRING, .max_len = 255 },
	{ .name = "Label", .kind = EMC_STRING, .max_len = 255 },
	{ 0 },
};
static const struct emc_schema fz_threshold_schema = {
	.type = "Thresholds",
	.keys = fz_threshold_keys,
};

static const struct emc_key fz_nvme1000_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 65535 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Protocol", .kind = EMC_ENUM, .values = fz_protocols },
	{ .name = "PEC", .kind = EMC_ENUM, .values = fz_pec_values },
	{ .name = "PowerState", .kind = EMC_ENUM, .values = fz_power_states },
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 100,
	  .max = 3600000,
	  .exact = true },
	{ .name = "UnavailableAfterFailures",
	  .kind = EMC_UINT,
	  .min = 1,
	  .max = 1000,
	  .exact = true },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &fz_threshold_schema },
	{ 0 },
};
static const struct emc_schema fz_nvme1000_schema = {
	.type = "NVME1000",
	.keys = fz_nvme1000_keys,
	.closed = true,
};

static const struct emc_key fz_nvmemi_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "Network",
	  .kind = EMC_UINT,
	  .required = true,
	  .min = 1,
	  .max = 4294967295.0 },
	{ .name = "EID",
	  .kind = EMC_UINT,
	  .required = true,
	  .min = 8,
	  .max = 254 },
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 100,
	  .max = 3600000 },
	{ .name = "UnavailableAfterFailures",
	  .kind = EMC_UINT,
	  .min = 1,
	  .max = 1000 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &fz_threshold_schema },
	{ 0 },
};
static const struct emc_schema fz_nvmemi_schema = { .type = "NVMeMI",
						    .keys = fz_nvmemi_keys };

static const struct emc_key fz_target_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ 0 },
};
static const struct emc_schema fz_i2c_target_schema = {
	.type = "MCTPI2CTarget",
	.keys = fz_target_keys,
};

static const struct emc_key fz_cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "GpioLine",
	  .kind = EMC_STRING,
	  .required = true,
	  .max_len = 255 },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = fz_polarities },
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 10,
	  .max = 3600000,
	  .exact = true },
	{ .name = "CableTypeDescription", .kind = EMC_STRING, .max_len = 1024 },
	{ .name = "Length",
	  .kind = EMC_NUMBER,
	  .min = 0,
	  .max = 1e6,
	  .exact = true },
	{ .name = "DebounceMs",
	  .kind = EMC_UINT,
	  .min = 0,
	  .max = 60000,
	  .exact = true },
	{ .name = "Expected", .kind = EMC_BOOL },
	{ 0 },
};
static const struct emc_schema fz_cable_schema = {
	.type = "GPIOCableSensing",
	.keys = fz_cable_keys,
	.closed = true,
};

/* Both daemons' types at once: a file or a bus carries all of them. */
static const struct emc_schema *const fz_schemas[] = {
	&fz_nvme1000_schema,
	&fz_nvmemi_schema,
	&fz_i2c_target_schema,
	&fz_cable_schema,
	NULL,
};

static inline const struct emc_schema *fz_schema(const char *type)
{
	for (size_t i = 0; type && fz_schemas[i]; i++)
		if (strcmp(fz_schemas[i]->type, type) == 0)
			return fz_schemas[i];
	return NULL;
}
