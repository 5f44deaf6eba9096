/* SPDX-License-Identifier: Apache-2.0 */
#include <stddef.h>

#include "emc-schemas.h"

const char *const tb_polarities[] = { "active_low", "active_high", NULL };
const char *const tb_directions[] = { "greater than", "less than", NULL };

static const struct emc_key threshold_keys[] = {
	{ .name = "Direction", .kind = EMC_ENUM, .values = tb_directions },
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 1 },
	{ .name = "Value", .kind = EMC_NUMBER, .required = true },
	{ .name = NULL },
};
const struct emc_schema tb_threshold_schema = { .type = "Thresholds",
						.keys = threshold_keys };

static const struct emc_key nvme_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 1023 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &tb_threshold_schema },
	{ .name = NULL },
};
const struct emc_schema tb_nvme_schema = { .type = "NVME1000",
					   .keys = nvme_keys };

static const struct emc_key cable_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true },
	{ .name = "GpioLine", .kind = EMC_STRING, .required = true },
	{ .name = "Polarity",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = tb_polarities },
	{ .name = "Length", .kind = EMC_NUMBER },
	{ .name = NULL },
};
const struct emc_schema tb_cable_schema = { .type = "GPIOCableSensing",
					    .keys = cable_keys };

const struct emc_schema *const tb_nvme_schemas[] = { &tb_nvme_schema, NULL };
const struct emc_schema *const tb_cable_schemas[] = { &tb_cable_schema, NULL };
