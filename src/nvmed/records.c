// SPDX-License-Identifier: Apache-2.0
/*
 * Configuration records nvmed consumes:
 *   NVME1000       drives on an I2C bus; Protocol mi_basic (the default)
 *                  is the SMBus basic management command at Address
 *                  (default 0x6a), mi_i2c goes over MCTP (mctpd
 *                  SetupEndpoint, Address default 0x1d); PowerState
 *                  (default On, like nvmesensor) gates the polling;
 *   NVMeMI         JSON-only: a drive at a fixed MCTP network and EID;
 *   MCTPI2CTarget, MCTPI3CTarget
 *                  only their Name, to name drives behind mctpd endpoints
 *                  that carry a configured_by association to them.
 * Threshold values set over D-Bus are written back to the record
 * (entity-manager's Thresholds<N>.Value); a record change that touches
 * only thresholds updates the drive in place.
 * Plus phosphor-nvme's nvme_config.json (pnvme.h), loaded once.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "basic.h"
#include "drive.h"
#include "emconfig.h"
#include "fileio.h"
#include "fmt.h"
#include "log.h"
#include "manager.h"
#include "mctpd.h"
#include "pnvme.h"
#include "records.h"

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
	/* numbers only, as entity-manager's Thresholds schema says */
	{ .name = "Severity",
	  .kind = EMC_UINT,
	  .required = true,
	  .max = 4,
	  .exact = true },
	{ .name = "Value",
	  .kind = EMC_NUMBER,
	  .required = true,
	  .min = NVMED_THRESHOLD_VALUE_MIN,
	  .max = NVMED_THRESHOLD_VALUE_MAX,
	  .exact = true },
	{ .name = "Hysteresis", .kind = EMC_NUMBER, .max = 100, .exact = true },
	/* entity-manager's threshold labels; not used here */
	{ .name = "Name", .kind = EMC_STRING, .max_len = 255 },
	{ .name = "Label", .kind = EMC_STRING, .max_len = 255 },
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
	/* nvmed's own keys: numbers only, as the schema says */
	{ .name = "PollIntervalMs",
	  .kind = EMC_UINT,
	  .min = 100,
	  .max = 3600000,
	  .exact = true },
	{ .name = "UnavailableAfterFailures",
	  .kind = EMC_UINT,
	  .min = AVAIL_MIN_WINDOW,
	  .max = AVAIL_MAX_WINDOW,
	  .exact = true },
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
	{ .name = "UnavailableAfterFailures",
	  .kind = EMC_UINT,
	  .min = AVAIL_MIN_WINDOW,
	  .max = AVAIL_MAX_WINDOW },
	{ .name = "Thresholds",
	  .kind = EMC_CHILDREN,
	  .children = &threshold_schema },
	{ 0 },
};

static const struct emc_key target_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ 0 },
};

/* Closed, as entity-manager's NVME1000 schema ("additionalProperties":
 * false) and ours that extends it (service_files/entity-manager). */
static const struct emc_schema nvme1000_schema = { .type = "NVME1000",
						   .keys = nvme1000_keys,
						   .closed = true };
static const struct emc_schema nvmemi_schema = { .type = "NVMeMI",
						 .keys = nvmemi_keys };
static const struct emc_schema i2c_target_schema = { .type = "MCTPI2CTarget",
						     .keys = target_keys };
static const struct emc_schema i3c_target_schema = { .type = "MCTPI3CTarget",
						     .keys = target_keys };

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

/* Thresholds sub-records; returns 1 if any usable one was found, and
 * each kind's sub-record index in ret_index (-1: none). */
static int read_thresholds(const struct emc_record *rec,
			   struct threshold_set *ret,
			   int ret_index[_THRESHOLD_MAX])
{
	int index[_THRESHOLD_MAX] = { -1, -1, -1, -1 };
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
			log_info("'%s': Thresholds%zu severity %u has no D-Bus "
				 "interface here; ignored",
				 emc_record_path(rec), i, (unsigned)severity);
			continue;
		}
		if (r < 0) {
			log_warning("'%s': Thresholds%zu is invalid; ignored",
				    emc_record_path(rec), i);
			continue;
		}
		set.t[k].value = value;
		set.t[k].hysteresis = hyst < 0 ? 0 : hyst;
		index[k] = (int)i;
		found = 1;
	}
	if (found) {
		*ret = set;
		memcpy(ret_index, index, sizeof(index));
	}
	return found;
}

static bool same_string(const struct emc_record *a, const struct emc_record *b,
			const char *key)
{
	const char *x = NULL, *y = NULL;
	int ra = emc_record_get_string(a, key, &x);
	int rb = emc_record_get_string(b, key, &y);

	return ra == rb && (ra < 0 || strcmp(x, y) == 0);
}

static bool same_uint(const struct emc_record *a, const struct emc_record *b,
		      const char *key)
{
	uint64_t x = 0, y = 0;
	int ra = emc_record_get_uint(a, key, &x);
	int rb = emc_record_get_uint(b, key, &y);

	return ra == rb && x == y;
}

/* Everything but the thresholds is the same. */
static bool same_drive(const struct emc_record *a, const struct emc_record *b)
{
	static const char *const strings[] = { "Name", "Protocol", "PEC",
					       "PowerState" };
	static const char *const uints[] = { "Bus", "Address", "PollIntervalMs",
					     "UnavailableAfterFailures" };

	for (size_t i = 0; i < ARRAY_SIZE(strings); i++)
		if (!same_string(a, b, strings[i]))
			return false;
	for (size_t i = 0; i < ARRAY_SIZE(uints); i++)
		if (!same_uint(a, b, uints[i]))
			return false;
	return true;
}

/* New thresholds from the record (e.g. our own write-back, or an
 * operator's change in entity-manager): the drive updates in place. */
static void update_thresholds(struct drive *d, const struct emc_record *rec)
{
	struct threshold_set th;
	int index[_THRESHOLD_MAX];
	bool found;

	threshold_set_init(&th);
	found = read_thresholds(rec, &th, index) > 0;
	drive_update_thresholds(d, (struct emc_record *)rec, found, &th, index);
	log_info("Drive '%s': thresholds updated from '%s'", d->name,
		 emc_record_path(rec));
}

void records_write_threshold(struct drive *d, enum threshold_kind k)
{
	int r;

	if (!d->record || d->th_index[k] < 0 || !d->m->config)
		return;
	r = emc_source_write_double(d->m->config, d->record, "Thresholds",
				    (size_t)d->th_index[k], "Value",
				    d->th.t[k].value);
	if (r == -EOPNOTSUPP)
		log_debug("Drive '%s': %s threshold not written back (file "
			  "source)",
			  d->name, threshold_kind_name(k));
	else if (r < 0)
		log_warning_errno(r,
				  "Drive '%s': cannot write the %s threshold "
				  "back to %s",
				  d->name, threshold_kind_name(k),
				  emc_record_path(d->record));
}

/*
 * The basic-command drive that already polls the device at addr on bus
 * (root: the bus below any muxes), or NULL. The same bus number is the
 * same device; channels of a mux are different buses, so different
 * devices; but a device on a mux's parent (root) bus answers through
 * every channel of it, so it is the same device as one at its address
 * behind the mux.
 */
static struct drive *basic_drive_at(struct manager *m, unsigned bus,
				    unsigned root, uint8_t addr)
{
	for (struct drive *d = m->drives; d; d = d->next)
		if (d->basic && d->i2c_addr == addr &&
		    (d->i2c_bus == bus || d->i2c_bus == root ||
		     d->root_bus == bus))
			return d;
	return NULL;
}

/* Refuse a second drive for a device a basic-command drive polls
 * (-EADDRINUSE, logged naming both); what names the newcomer. */
static int basic_check_free(struct manager *m, const char *what, unsigned bus,
			    uint8_t addr)
{
	unsigned root = basic_root_bus(m->sysfs_root, bus);
	struct drive *o = basic_drive_at(m, bus, root, addr);

	if (!o)
		return 0;
	if (o->i2c_bus == bus)
		return log_error_errno(-EADDRINUSE,
				       "%s: I2C bus %u address 0x%02x is "
				       "already drive '%s' (%s); ignored",
				       what, bus, addr, o->name,
				       o->config_path);
	return log_error_errno(-EADDRINUSE,
			       "%s: I2C bus %u address 0x%02x is the device "
			       "of drive '%s' (%s) at bus %u address 0x%02x "
			       "(bus %u is behind a mux on bus %u, which "
			       "reaches both); ignored",
			       what, bus, addr, o->name, o->config_path,
			       o->i2c_bus, addr, root == bus ? o->i2c_bus : bus,
			       root == bus ? bus : root);
}

/* What an NVME1000 or NVMeMI record says of its drive. */
struct drive_record {
	bool nvme1000, basic, pec;
	uint64_t poll, bus, addr, net, eid, window;
	enum power_state ps;
};

static void read_drive_record(const struct emc_record *rec,
			      struct drive_record *dr)
{
	const char *protocol = "mi_basic", *pec = NULL, *power = "On";

	*dr = (struct drive_record){ .ps = POWER_ALWAYS };
	dr->nvme1000 = strcmp(emc_record_type(rec), "NVME1000") == 0;
	if (dr->nvme1000) {
		(void)emc_record_get_string(rec, "Protocol", &protocol);
		dr->basic = strcmp(protocol, "mi_basic") == 0;
		dr->addr = dr->basic ? 0x6a : 0x1d;
		(void)emc_record_get_uint(rec, "Bus", &dr->bus);
		(void)emc_record_get_uint(rec, "Address", &dr->addr);
		(void)emc_record_get_string(rec, "PEC", &pec);
		dr->pec = pec && strcmp(pec, "Required") == 0;
		(void)emc_record_get_string(rec, "PowerState", &power);
		/* validated by the schema */
		(void)power_state_from_string(power, &dr->ps);
	} else {
		(void)emc_record_get_uint(rec, "Network", &dr->net);
		(void)emc_record_get_uint(rec, "EID", &dr->eid);
	}
	(void)emc_record_get_uint(rec, "PollIntervalMs", &dr->poll);
	(void)emc_record_get_uint(rec, "UnavailableAfterFailures", &dr->window);
}

/* Start what the drive's transport needs. */
static int drive_start(struct manager *m, struct drive *d,
		       const struct drive_record *dr)
{
	drive_power_update(d);
	if (dr->basic) {
		drive_start_basic(d, (unsigned)dr->bus, (uint8_t)dr->addr,
				  dr->pec);
		return 0;
	}
	if (dr->nvme1000) {
		/* An mctpd endpoint configured_by this record is this drive. */
		mctpd_reconcile(m->mctpd);
		return mctpd_setup_endpoint(m->mctpd, d);
	}
	return drive_set_endpoint(d, (uint32_t)dr->net, (uint8_t)dr->eid);
}

static int add_drive(struct manager *m, const struct emc_record *rec)
{
	const char *type = emc_record_type(rec), *path = emc_record_path(rec);
	const char *name = emc_record_name(rec);
	struct drive_record dr;
	struct drive_config cfg;
	struct threshold_set th;
	struct drive *d;
	int r;

	read_drive_record(rec, &dr);
	/* As an MCTP endpoint or a GPIO line is followed once: two drives
	 * polling one device would publish it twice. */
	if (dr.basic) {
		_cleanup_free_ char *what =
			fmt_alloc("%s record '%s' (%s)", type, name, path);

		if (!what)
			return log_oom();
		r = basic_check_free(m, what, (unsigned)dr.bus,
				     (uint8_t)dr.addr);
		if (r < 0)
			return r;
	}
	cfg = (struct drive_config){
		.origin = dr.basic    ? DRIVE_FROM_BASIC :
			  dr.nvme1000 ? DRIVE_FROM_RECORD :
					DRIVE_FROM_JSON,
		.name = name,
		.config_path = path,
		.board = emc_record_board(rec),
		.poll_ms = dr.poll,
		.window = (unsigned)dr.window,
		.power_state = dr.ps,
		.record = (struct emc_record *)rec,
		.i2c_bus = (unsigned)dr.bus,
		.i2c_addr = (uint8_t)dr.addr,
	};
	threshold_set_init(&th);
	if (read_thresholds(rec, &th, cfg.th_index) > 0)
		cfg.thresholds = &th;
	r = drive_new(m, &cfg, &d);
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
	return drive_start(m, d, &dr);
}

static void remove_drive(struct manager *m, const char *path)
{
	struct drive *d;

	while ((d = drive_find_by_config(m, path, DRIVE_FROM_RECORD)) ||
	       (d = drive_find_by_config(m, path, DRIVE_FROM_BASIC)) ||
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
		if (is_target(type))
			mctpd_target_remove(m->mctpd, path);
		return;
	}

	if (is_target(type)) {
		if (event == EMC_REMOVED)
			mctpd_target_remove(m->mctpd, path);
		else if (mctpd_target_set(m->mctpd, path, emc_record_name(rec),
					  emc_record_board(rec)) < 0)
			log_oom();
		return;
	}

	if (event == EMC_CHANGED) {
		struct drive *d =
			drive_find_by_config(m, path, DRIVE_FROM_BASIC);

		if (!d)
			d = drive_find_by_config(m, path, DRIVE_FROM_RECORD);
		if (!d)
			d = drive_find_by_config(m, path, DRIVE_FROM_JSON);
		if (d && d->record && same_drive(d->record, rec)) {
			update_thresholds(d, rec);
			return;
		}
	}
	if (event != EMC_ADDED)
		remove_drive(m, path);
	if (event != EMC_REMOVED)
		(void)add_drive(m, rec);
	if (event == EMC_REMOVED)
		mctpd_reconcile(m->mctpd);
}

int records_check_file(const char *path)
{
	_cleanup_free_ char *error = NULL;
	int r = emc_check_json(path, json_schemas, NULL, NULL, &error);

	if (r < 0 && error)
		log_error("%s", error);
	else if (r < 0)
		log_error_errno(r, "%s: cannot check", path);
	return r;
}

int records_start(struct manager *m, const char *json_path)
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

/* phosphor-nvme's thresholds, one set for all its drives; false if none. */
static bool pnvme_thresholds(const struct pnvme_config *c,
			     struct threshold_set *th)
{
	const double v[_THRESHOLD_MAX] = {
		[THRESHOLD_WARNING_HIGH] = c->warning_high,
		[THRESHOLD_WARNING_LOW] = c->warning_low,
		[THRESHOLD_CRITICAL_HIGH] = c->critical_high,
		[THRESHOLD_CRITICAL_LOW] = c->critical_low,
	};
	bool any = false;

	threshold_set_init(th);
	for (int k = 0; k < _THRESHOLD_MAX; k++) {
		if (isnan(v[k]))
			continue;
		th->t[k].value = v[k];
		th->t[k].hysteresis = THRESHOLD_DEFAULT_HYSTERESIS;
		any = true;
	}
	return any;
}

/* phosphor-nvme's inventory location of its drives */
#define PNVME_BOARD "/xyz/openbmc_project/inventory/system/chassis/motherboard"

static void pnvme_add_drive(struct manager *m, const struct pnvme_config *c,
			    const struct pnvme_drive *pd,
			    const struct threshold_set *th)
{
	_cleanup_free_ char *name = fmt_alloc("nvme%u", pd->index);
	_cleanup_free_ char *cpath = NULL, *what = NULL;
	struct drive_config cfg;
	struct drive *d;
	int r;

	if (name)
		cpath = fmt_alloc("%s/%s", PNVME_BOARD, name);
	if (name)
		what = fmt_alloc("phosphor-nvme drive '%s' (config entry "
				 "NVMeDriveIndex %u)",
				 name, pd->index);
	if (!cpath || !what) {
		log_oom();
		return;
	}
	if (basic_check_free(m, what, pd->bus, 0x6a) < 0)
		return;
	/* phosphor-nvme polls whenever the power-good pin says so; those
	 * sysfs GPIOs are not read here */
	cfg = (struct drive_config){
		.origin = DRIVE_FROM_PNVME,
		.name = name,
		.config_path = cpath,
		.board = PNVME_BOARD,
		.poll_ms = (uint64_t)c->interval_s * 1000,
		.power_state = POWER_ALWAYS,
		.thresholds = th,
		.th_index = { -1, -1, -1, -1 },
	};
	r = drive_new(m, &cfg, &d);
	if (r < 0) {
		log_error_errno(r, "%s: cannot add (%s); ignored", what,
				r == -EEXIST ? "name in use" : "error");
		return;
	}
	drive_power_update(d);
	drive_start_basic(d, pd->bus, 0x6a, false);
}

int records_load_pnvme(struct manager *m, const char *path)
{
	_cleanup_free_ char *text = NULL, *error = NULL;
	struct pnvme_config c;
	struct threshold_set th;
	bool have_th;
	int r;

	/* phosphor-nvme reads the whole file too; 16 MiB is far beyond any */
	r = read_file(path, 16u << 20, &text, NULL);
	if (r < 0)
		return log_error_errno(r,
				       "Cannot read phosphor-nvme "
				       "configuration '%s'",
				       path);
	r = pnvme_parse(text, &c, &error);
	if (r < 0)
		return log_error_errno(r,
				       "phosphor-nvme configuration '%s': %s",
				       path, error ? error : "error");
	for (size_t i = 0; i < c.n_errors; i++)
		log_error("phosphor-nvme configuration '%s': %s; ignored", path,
			  c.errors[i]);
	have_th = pnvme_thresholds(&c, &th);
	for (size_t i = 0; i < c.n_drives; i++)
		pnvme_add_drive(m, &c, &c.drives[i], have_th ? &th : NULL);
	log_info("phosphor-nvme configuration '%s': %zu drive(s)", path,
		 c.n_drives);
	pnvme_config_clear(&c);
	return 0;
}

void records_stop(struct manager *m)
{
	m->config = emc_source_free(m->config);
}
