// SPDX-License-Identifier: Apache-2.0
/*
 * Configuration records nvmed consumes (design.md section 4):
 *   NVME1000       drives on an I2C bus; Protocol mi_i2c goes over MCTP
 *                  (mctpd SetupEndpoint), mi_basic (the default) is the
 *                  SMBus basic management command, not supported yet;
 *   NVMeMI         JSON-only: a drive at a fixed MCTP network and EID;
 *   MCTPI2CTarget, MCTPI3CTarget
 *                  only their Name, to name drives behind mctpd endpoints
 *                  that carry a configured_by association to them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "emconfig.h"
#include "log.h"
#include "nvmed.h"

struct target {
	struct target *next;
	char *path;
	char *name;
	char *board;
};

static const char *const directions[] = { "greater than", "less than", NULL };
static const char *const protocols[] = { "mi_basic", "mi_i2c", NULL };
static const char *const pec_values[] = { "Required", "NotRequired", NULL };
static const char *const power_states[] = { "On", "BiosPost", "Always",
					    "ChassisOn", NULL };

static const struct emc_key threshold_keys[] = {
	{ .name = "Direction",
	  .kind = EMC_ENUM,
	  .required = true,
	  .values = directions },
	{ .name = "Severity", .kind = EMC_UINT, .required = true, .max = 4 },
	{ .name = "Value",
	  .kind = EMC_NUMBER,
	  .required = true,
	  .min = -273,
	  .max = 1000 },
	{ .name = "Hysteresis", .kind = EMC_NUMBER, .max = 100 },
	{ 0 },
};

static const struct emc_schema threshold_schema = {
	.type = "Thresholds",
	.keys = threshold_keys,
};

static const struct emc_key nvme1000_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 65535 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Protocol", .kind = EMC_ENUM, .values = protocols },
	{ .name = "PEC", .kind = EMC_ENUM, .values = pec_values },
	{ .name = "PowerState", .kind = EMC_ENUM, .values = power_states },
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 100,
	  .max = 3600000 },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ 0 },
};

static const struct emc_key nvmemi_keys[] = {
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
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ 0 },
};

static const struct emc_key target_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ 0 },
};

static const struct emc_schema nvme1000_schema = { "NVME1000", nvme1000_keys };
static const struct emc_schema nvmemi_schema = { "NVMeMI", nvmemi_keys };
static const struct emc_schema i2c_target_schema = { "MCTPI2CTarget",
						     target_keys };
static const struct emc_schema i3c_target_schema = { "MCTPI3CTarget",
						     target_keys };

static const struct emc_schema *const em_schemas[] = {
	&nvme1000_schema, &i2c_target_schema, &i3c_target_schema, NULL
};
static const struct emc_schema *const json_schemas[] = {
	&nvme1000_schema, &nvmemi_schema, &i2c_target_schema,
	&i3c_target_schema, NULL
};

static bool is_target(const char *type)
{
	return strcmp(type, "MCTPI2CTarget") == 0 ||
	       strcmp(type, "MCTPI3CTarget") == 0;
}

static struct target *target_free(struct target *t)
{
	if (!t)
		return NULL;
	free(t->path);
	free(t->name);
	free(t->board);
	free(t);
	return NULL;
}

static void target_remove(struct manager *m, const char *path)
{
	for (struct target **p = &m->targets; *p; p = &(*p)->next)
		if (strcmp((*p)->path, path) == 0) {
			struct target *t = *p;

			*p = t->next;
			target_free(t);
			return;
		}
}

static int target_add(struct manager *m, const struct emc_record *rec)
{
	const char *board = emc_record_board(rec);
	struct target *t;

	target_remove(m, emc_record_path(rec));
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->path = strdup(emc_record_path(rec));
	t->name = strdup(emc_record_name(rec));
	t->board = board ? strdup(board) : NULL;
	if (!t->path || !t->name || (board && !t->board)) {
		target_free(t);
		return -ENOMEM;
	}
	t->next = m->targets;
	m->targets = t;
	return 0;
}

int config_target_lookup(struct manager *m, const char *path,
			 const char **ret_name, const char **ret_board)
{
	for (struct target *t = m->targets; t; t = t->next)
		if (strcmp(t->path, path) == 0) {
			*ret_name = t->name;
			*ret_board = t->board;
			return 0;
		}
	return -ENOENT;
}

bool config_is_nvme_record(struct manager *m, const char *path)
{
	return drive_find_by_config(m, path, DRIVE_FROM_RECORD) != NULL;
}

/* Thresholds sub-records; returns 1 if any usable one was found. */
static int read_thresholds(const struct emc_record *rec,
			   struct threshold_set *ret)
{
	size_t n = emc_record_n_children(rec, "Thresholds");
	struct threshold_set set;
	int found = 0;

	threshold_set_init(&set);
	for (size_t i = 0; i < n; i++) {
		struct emc_record *c = emc_record_child(rec, "Thresholds", i);
		const char *direction = NULL;
		uint64_t severity = 0;
		double value = 0, hyst = THRESHOLD_DEFAULT_HYSTERESIS;
		enum threshold_kind k;
		int r;

		if (!c)
			continue;
		r = emc_record_get_string(c, "Direction", &direction);
		if (r >= 0)
			r = emc_record_get_uint(c, "Severity", &severity);
		if (r >= 0)
			r = emc_record_get_double(c, "Value", &value);
		if (r >= 0 && emc_record_get_double(c, "Hysteresis", &hyst) < 0)
			hyst = THRESHOLD_DEFAULT_HYSTERESIS;
		if (r >= 0)
			r = threshold_kind_from_config(direction,
						       (unsigned)severity, &k);
		if (r == -EOPNOTSUPP) {
			log_info("%s: Thresholds%zu severity %u has no D-Bus "
				 "interface here; ignored",
				 emc_record_path(rec), i, (unsigned)severity);
			continue;
		}
		if (r < 0) {
			log_warning("%s: Thresholds%zu is invalid; ignored",
				    emc_record_path(rec), i);
			continue;
		}
		set.t[k].value = value;
		set.t[k].hysteresis = hyst < 0 ? 0 : hyst;
		found = 1;
	}
	if (found)
		*ret = set;
	return found;
}

static int add_drive(struct manager *m, const struct emc_record *rec)
{
	const char *type = emc_record_type(rec), *path = emc_record_path(rec);
	const char *name = emc_record_name(rec), *protocol = "mi_basic";
	uint64_t poll = 0, bus = 0, addr = 0x1d, net = 0, eid = 0;
	struct threshold_set th;
	struct drive *d;
	bool nvme1000 = strcmp(type, "NVME1000") == 0;
	int r;

	if (nvme1000) {
		(void)emc_record_get_string(rec, "Protocol", &protocol);
		if (strcmp(protocol, "mi_i2c") != 0) {
			log_warning("NVME1000 record '%s' (%s): Protocol "
				    "'%s' (NVMe-MI basic management command "
				    "over SMBus) is not supported yet; record "
				    "ignored",
				    name, path, protocol);
			return 0;
		}
		(void)emc_record_get_uint(rec, "Bus", &bus);
		(void)emc_record_get_uint(rec, "Address", &addr);
	} else {
		(void)emc_record_get_uint(rec, "Network", &net);
		(void)emc_record_get_uint(rec, "EID", &eid);
	}
	(void)emc_record_get_uint(rec, "PollIntervalMs", &poll);

	r = drive_new(m, nvme1000 ? DRIVE_FROM_RECORD : DRIVE_FROM_JSON, name,
		      path, emc_record_board(rec), poll,
		      read_thresholds(rec, &th) > 0 ? &th : NULL, &d);
	if (r == -EEXIST)
		return log_error_errno(r,
				       "%s record '%s' (%s): another drive "
				       "already has this name; ignored",
				       type, name, path);
	if (r < 0)
		return log_error_errno(r,
				       "%s record '%s' (%s): cannot add "
				       "drive",
				       type, name, path);
	log_info("%s record '%s' (%s): drive added", type, name, path);

	if (nvme1000) {
		d->i2c_bus = (unsigned)bus;
		d->i2c_addr = (uint8_t)addr;
		/* An mctpd endpoint configured_by this record is this drive. */
		mctpd_reconcile(m);
		return mctpd_setup_endpoint(d);
	}
	return drive_set_endpoint(d, (uint32_t)net, (uint8_t)eid);
}

static void remove_drive(struct manager *m, const char *path)
{
	struct drive *d;

	while ((d = drive_find_by_config(m, path, DRIVE_FROM_RECORD)) ||
	       (d = drive_find_by_config(m, path, DRIVE_FROM_JSON))) {
		log_info("Drive '%s': record %s removed", d->name, path);
		drive_free(d);
	}
}

static void on_record(enum emc_event event, const struct emc_record *rec,
		      const char *error, void *userdata)
{
	struct manager *m = userdata;
	const char *type = emc_record_type(rec), *path = emc_record_path(rec);

	if (event == EMC_INVALID) {
		log_error("Invalid configuration record, ignored: %s",
			  error ? error : path);
		remove_drive(m, path);
		if (is_target(type)) {
			target_remove(m, path);
			mctpd_reconcile(m);
		}
		return;
	}

	if (is_target(type)) {
		if (event == EMC_REMOVED)
			target_remove(m, path);
		else if (target_add(m, rec) < 0)
			log_oom();
		mctpd_reconcile(m);
		return;
	}

	if (event != EMC_ADDED)
		remove_drive(m, path);
	if (event != EMC_REMOVED)
		(void)add_drive(m, rec);
	if (event == EMC_REMOVED)
		mctpd_reconcile(m);
}

int config_start(struct manager *m, const char *json_path)
{
	_cleanup_free_ char *error = NULL;
	int r;

	if (json_path) {
		r = emc_source_new_json(json_path, m->event, json_schemas,
					on_record, m, &m->config, &error);
		if (r < 0)
			return log_error_errno(r, "Cannot read '%s': %s",
					       json_path,
					       error ? error : "error");
		return 0;
	}
	r = emc_source_new_dbus(m->bus, m->event, em_schemas, on_record, m,
				&m->config);
	if (r < 0)
		return log_error_errno(r, "Cannot follow entity-manager");
	return 0;
}

void config_stop(struct manager *m)
{
	m->config = emc_source_free(m->config);
	while (m->targets) {
		struct target *t = m->targets;

		m->targets = t->next;
		target_free(t);
	}
}
