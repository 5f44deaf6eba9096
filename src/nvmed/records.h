/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration records nvmed consumes (entity-manager or a JSON
 * file, through libemconfig) and phosphor-nvme's file, made into drives.
 */
#pragma once

#include "threshold.h"

struct drive;
struct drive_wants;
struct manager;

/* Follow entity-manager, or read json_path when not NULL. */
int records_start(struct manager *m, const char *json_path);
void records_stop(struct manager *m);
/* --check-config: validate a JSON file's records as the daemon would,
 * print each refusal; returns the number refused or -errno. */
int records_check_file(const char *path);
/* phosphor-nvme's nvme_config.json as an extra source (pnvme.h). */
int records_load_pnvme(struct manager *m, const char *path);
/* The drives the records and phosphor-nvme's file want (drives.h). */
int records_wants(struct manager *m, struct drive_wants *w);
/* The drive hook: write a threshold set over D-Bus back to the record,
 * if it has one. */
void records_write_threshold(struct drive *d, enum threshold_kind k);
