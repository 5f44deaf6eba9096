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
 * (entity-manager's Thresholds<N>.Value).
 * Plus phosphor-nvme's nvme_config.json (pnvme.h), loaded once.
 * Each record (and file entry) is read once, when it comes, into the
 * drive configuration it wants; records_wants() hands them all to
 * drives.c, whose reconciler decides what a change means for the drive
 * (reconcile.h: in place, or rebuilt).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "avail.h"
#include "basic.h"
#include "drive.h"
#include "reconcile.h"
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

/* The keys both drive records share: how often and how patiently the
 * drive is polled, and its thresholds. exact: numbers only. */
/* clang-format off */
#define POLLING_KEYS(exact_)						\
	{ .name = "PollIntervalMs", .kind = EMC_UINT,			\
	  .min = 100, .max = 3600000, .exact = (exact_) },		\
	{ .name = "UnavailableAfterFailures", .kind = EMC_UINT,		\
	  .min = AVAIL_MIN_WINDOW, .max = AVAIL_MAX_WINDOW,		\
	  .exact = (exact_) },						\
	{ .name = "Thresholds", .kind = EMC_CHILDREN,			\
	  .children = &threshold_schema }
/* clang-format on */

static const struct emc_key nvme1000_keys[] = {
	{ .name = "Name", .kind = EMC_STRING, .required = true, .max_len = 255 },
	{ .name = "Bus", .kind = EMC_UINT, .required = true, .max = 65535 },
	{ .name = "Address", .kind = EMC_UINT, .max = 127 },
	{ .name = "Protocol", .kind = EMC_ENUM, .values = protocols },
	{ .name = "PEC", .kind = EMC_ENUM, .values = pec_values },
	{ .name = "PowerState", .kind = EMC_ENUM, .values = power_states },
	/* nvmed's own keys: numbers only, as the schema says */
	POLLING_KEYS(true),
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
	POLLING_KEYS(false),
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

/* A record that wants a drive: what it says, read once when it came. */
struct record_entry {
	struct record_entry *next;
	struct emc_record *rec;
	struct drive_config cfg; /* strings: rec's */
	struct threshold_set th;
	bool has_th;
};

/* A phosphor-nvme file entry's drive. */
struct pnvme_entry {
	struct pnvme_entry *next;
	char *name, *config_path;
	struct drive_config cfg;
	struct threshold_set th;
	bool has_th;
};

struct record_set {
	struct record_entry *records;
	struct pnvme_entry *pnvme;
};

static struct record_set *record_set(struct manager *m)
{
	if (!m->records)
		m->records = calloc(1, sizeof(*m->records));
	return m->records;
}

/* What an NVME1000 or NVMeMI record says of its drive. */
static void read_drive_record(struct manager *m, struct record_entry *e)
{
	const struct emc_record *rec = e->rec;
	const char *protocol = "mi_basic", *pec = NULL, *power = "On";
	struct drive_config *c = &e->cfg;
	uint64_t v;
	bool basic = false;

	drive_config_init(c);
	c->name = emc_record_name(rec);
	c->config_path = emc_record_path(rec);
	c->board = emc_record_board(rec);
	c->record = e->rec;
	c->power_state = POWER_ALWAYS;
	if (strcmp(emc_record_type(rec), "NVME1000") == 0) {
		(void)emc_record_get_string(rec, "Protocol", &protocol);
		basic = strcmp(protocol, "mi_basic") == 0;
		c->origin = basic ? DRIVE_FROM_BASIC : DRIVE_FROM_RECORD;
		v = basic ? 0x6a : 0x1d;
		(void)emc_record_get_uint(rec, "Address", &v);
		c->i2c_addr = (uint8_t)v;
		v = 0;
		(void)emc_record_get_uint(rec, "Bus", &v);
		c->i2c_bus = (unsigned)v;
		(void)emc_record_get_string(rec, "PEC", &pec);
		c->pec = pec && strcmp(pec, "Required") == 0;
		(void)emc_record_get_string(rec, "PowerState", &power);
		/* validated by the schema */
		(void)power_state_from_string(power, &c->power_state);
		if (basic)
			c->root_bus = basic_root_bus(m->sysfs_root, c->i2c_bus);
	} else {
		c->origin = DRIVE_FROM_JSON;
		v = 0;
		(void)emc_record_get_uint(rec, "Network", &v);
		c->net = (uint32_t)v;
		v = 0;
		(void)emc_record_get_uint(rec, "EID", &v);
		c->eid = (uint8_t)v;
	}
	(void)emc_record_get_uint(rec, "PollIntervalMs", &c->poll_ms);
	v = 0;
	(void)emc_record_get_uint(rec, "UnavailableAfterFailures", &v);
	c->window = (unsigned)v;
	threshold_set_init(&e->th);
	e->has_th = read_thresholds(rec, &e->th, c->th_index) > 0;
	if (!e->has_th)
		for (int k = 0; k < _THRESHOLD_MAX; k++)
			c->th_index[k] = -1;
}

static struct record_entry **record_find(struct record_set *rs,
					 const char *path)
{
	struct record_entry **p;

	for (p = &rs->records; *p; p = &(*p)->next)
		if (strcmp(emc_record_path((*p)->rec), path) == 0)
			break;
	return p;
}

static void record_drop(struct record_set *rs, const char *path)
{
	struct record_entry **p, *e;

	while (*(p = record_find(rs, path))) {
		e = *p;
		*p = e->next;
		emc_record_unref(e->rec);
		free(e);
	}
}

static int record_put(struct manager *m, struct record_set *rs,
		      const struct emc_record *rec)
{
	struct record_entry *e = calloc(1, sizeof(*e)), **p;

	if (!e)
		return -ENOMEM;
	e->rec = emc_record_ref(rec);
	read_drive_record(m, e);
	record_drop(rs, emc_record_path(rec));
	/* at the end: the records' order is the order they came in */
	for (p = &rs->records; *p; p = &(*p)->next)
		;
	*p = e;
	return 0;
}

static int want(struct drive_wants *w, const struct drive_config *cfg,
		const struct threshold_set *th, bool has_th)
{
	struct drive_want *x = drive_wants_add(w);

	if (!x)
		return -ENOMEM;
	x->cfg = *cfg;
	x->th = *th;
	x->has_th = has_th;
	return 0;
}

int records_wants(struct manager *m, struct drive_wants *w)
{
	struct record_set *rs = m->records;
	int r = 0;

	for (struct record_entry *e = rs ? rs->records : NULL; r >= 0 && e;
	     e = e->next)
		r = want(w, &e->cfg, &e->th, e->has_th);
	for (struct pnvme_entry *e = rs ? rs->pnvme : NULL; r >= 0 && e;
	     e = e->next)
		r = want(w, &e->cfg, &e->th, e->has_th);
	return r;
}

static void on_record(enum emc_event event, const struct emc_record *rec,
		      const char *error, void *userdata)
{
	struct manager *m = userdata;
	const char *type = emc_record_type(rec), *path = emc_record_path(rec);
	struct record_set *rs = record_set(m);

	if (!rs) {
		log_oom();
		return;
	}
	if (event == EMC_INVALID)
		log_error("Invalid configuration record, ignored: %s",
			  error ? error : path);
	if (is_target(type)) {
		if (event == EMC_REMOVED || event == EMC_INVALID)
			mctpd_target_remove(m->mctpd, path);
		else if (mctpd_target_set(m->mctpd, path, emc_record_name(rec),
					  emc_record_board(rec)) < 0)
			log_oom();
		return;
	}
	if (event == EMC_REMOVED || event == EMC_INVALID)
		record_drop(rs, path);
	else if (record_put(m, rs, rec) < 0)
		log_oom();
	sources_changed(m);
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

static int pnvme_entry_add(struct manager *m, const struct pnvme_config *c,
			   const struct pnvme_drive *pd,
			   const struct threshold_set *th)
{
	struct pnvme_entry *e = calloc(1, sizeof(*e)), **p;

	if (!e)
		return -ENOMEM;
	e->name = fmt_alloc("nvme%u", pd->index);
	if (e->name)
		e->config_path = fmt_alloc("%s/%s", PNVME_BOARD, e->name);
	if (!e->config_path) {
		free(e->name);
		free(e);
		return -ENOMEM;
	}
	/* phosphor-nvme polls whenever the power-good pin says so; those
	 * sysfs GPIOs are not read here */
	drive_config_init(&e->cfg);
	e->cfg.origin = DRIVE_FROM_PNVME;
	e->cfg.name = e->name;
	e->cfg.config_path = e->config_path;
	e->cfg.board = PNVME_BOARD;
	e->cfg.poll_ms = (uint64_t)c->interval_s * 1000;
	e->cfg.power_state = POWER_ALWAYS;
	e->cfg.i2c_bus = pd->bus;
	e->cfg.i2c_addr = 0x6a;
	e->cfg.root_bus = basic_root_bus(m->sysfs_root, pd->bus);
	threshold_set_init(&e->th);
	if (th) {
		e->th = *th;
		e->has_th = true;
	}
	for (p = &m->records->pnvme; *p; p = &(*p)->next)
		;
	*p = e;
	return 0;
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
	if (!record_set(m))
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < c.n_drives; i++)
		r = pnvme_entry_add(m, &c, &c.drives[i], have_th ? &th : NULL);
	if (r < 0) {
		pnvme_config_clear(&c);
		return log_oom();
	}
	sources_changed(m);
	log_info("phosphor-nvme configuration '%s': %zu drive(s)", path,
		 c.n_drives);
	pnvme_config_clear(&c);
	return 0;
}

void records_stop(struct manager *m)
{
	struct record_set *rs = m->records;

	m->config = emc_source_free(m->config);
	if (!rs)
		return;
	while (rs->records) {
		struct record_entry *e = rs->records;

		rs->records = e->next;
		emc_record_unref(e->rec);
		free(e);
	}
	while (rs->pnvme) {
		struct pnvme_entry *e = rs->pnvme;

		rs->pnvme = e->next;
		free(e->name);
		free(e->config_path);
		free(e);
	}
	free(rs);
	m->records = NULL;
}
