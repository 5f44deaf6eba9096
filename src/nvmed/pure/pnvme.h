/* SPDX-License-Identifier: Apache-2.0 */
/*
 * phosphor-nvme's configuration (/etc/nvme/nvme_config.json, read by its
 * nvme_manager.cpp getNvmeConfig()) as an nvmed source: each "config"
 * entry becomes a basic-command drive named nvme<NVMeDriveIndex> at 0x6a
 * on NVMeDriveBusID, with the global "threshold" values. Pure parsing.
 */
#pragma once

#include <stddef.h>

/* The values a temperature threshold may have, in degrees C: NVME1000
 * threshold Values (records.c), a Set over D-Bus (drive.c) and phosphor-nvme's
 * "threshold" values. */
#define NVMED_THRESHOLD_VALUE_MIN (-273)
#define NVMED_THRESHOLD_VALUE_MAX 1000

struct pnvme_drive {
	unsigned index;
	unsigned bus;
};

struct pnvme_config {
	struct pnvme_drive *drives;
	size_t n_drives;
	/* NaN when not given (or refused: not a finite number in
	 * [NVMED_THRESHOLD_VALUE_MIN, NVMED_THRESHOLD_VALUE_MAX]) */
	double critical_high, critical_low, warning_high, warning_low;
	unsigned interval_s; /* monitorIntervalSec, default 1 */
	/* entries and threshold values that were skipped, one message
	 * each (malloc'ed) */
	char **errors;
	size_t n_errors;
};

/*
 * Parse the file's text. A document that is not an object with a
 * "config" array is an error (-EINVAL, message in *ret_error); a bad entry
 * (index or bus missing, not an integer 0..255, duplicate index) is
 * skipped and described in errors[], the rest kept; so is a threshold
 * value that is not a finite number in the range above (json-c takes
 * Infinity and NaN for numbers).
 */
int pnvme_parse(const char *text, struct pnvme_config *ret, char **ret_error);
void pnvme_config_clear(struct pnvme_config *c);
