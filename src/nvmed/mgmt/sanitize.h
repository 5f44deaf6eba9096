/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Sanitize (sanitize.c, its state; sanitize-bus.c, its objects):
 *   <drive>: Nvme.Sanitize;  <drive>/sanitize: Common.Progress
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "core.h"
#include "sanitize-phase.h"

/* The objects (struct mgmt_prop's object) */
enum { SAN_OBJ_DRIVE, SAN_OBJ_PROGRESS };

/* What sanitize.c emits */
enum {
	SAN_EMIT_SUPPORTED,
	SAN_EMIT_PROGRESS,
	SAN_EMIT_END,
	_SAN_EMIT_MAX,
};
extern const struct mgmt_prop sanitize_props[_SAN_EMIT_MAX];
extern const char *const sanitize_status_names[];
extern const struct mgmt_claim sanitize_claim;

struct sanitize_action {
	const char *name;
	enum admin_sanitize_action action;
	uint32_t cap;
};
extern const struct sanitize_action sanitize_actions[3];

/* The last sanitize. */
struct sanitize {
	struct mgmt_drive *md;
	char *path;
	sd_bus_slot *slot;
	sd_bus_message *call; /* until the drive accepts the command */
	struct iowork_req *req;
	sd_event_source *timer;
	const char *action;
	struct san_state st;
	struct mgmt_confirm confirm;
	uint8_t progress;
	uint64_t start_time, completed_time; /* us since the epoch */
	/* the progress object, once the drive took the command
	 * (sanitize-bus.c's) */
	int (*publish)(struct sanitize *s);
};

/* md->feature[MGMT_SANITIZE] */
struct sanitize_drive {
	sd_bus_slot *slot; /* Nvme.Sanitize on the drive */
	struct sanitize *s;
};

struct sanitize_drive *sanitize_drive(const struct mgmt_drive *md);

/* Sanitize(arg) on md: checked (the drive then claimed), sent; call is
 * answered once the drive answers, with the progress object publish()
 * makes. Returns like a method handler. */
int sanitize_start(struct mgmt_drive *md, sd_bus_message *call, const char *arg,
		   int (*publish)(struct sanitize *s), sd_bus_error *error);
/* Drop the last sanitize (its object too). */
void sanitize_discard(struct mgmt_drive *md);
void sanitize_caps_known(struct mgmt_drive *md);

extern const struct mgmt_feature sanitize_feature;
