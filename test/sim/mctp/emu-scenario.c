/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-mi-emu drive model: defaults, the scenario file and the control
 * protocol (README.md documents both). Every drive field is described once
 * in the table below, which drives parsing, validation and "get".
 * No I/O here.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "emu.h"
#include "macros.h"

/* CCS change flags (libnvme enum nvme_mi_ccs) raised by field changes */
#define CCS_CSTS   (1u << 8)
#define CCS_CTEMP  (1u << 9)
#define CCS_PDLU   (1u << 10)
#define CCS_SPARE  (1u << 11)
#define CCS_CCWARN (1u << 12)

#define DELAY_MAX_MS 600000

enum field_kind {
	F_INT, /* integer stored in a member of size `size`, signed if min<0 */
	F_BOOL,
	F_STRING, /* char array of size `size` */
	F_TEMP, /* integer degrees C, or "no_data" / "sensor_failure" */
	F_TRUNCATE, /* false/true (11 bytes) or a byte count */
	F_IGNORE, /* read by someone else (the mctpd stand-in): any value */
	F_UUID, /* RFC 4122 string, or null: derived (emu_drive_uuid()) */
	F_ACTION, /* control requests only: true runs an operation */
	F_FW_RESET, /* "", "conventional", "subsystem", "controller" */
	F_SANICAP, /* list of "crypto", "block", "overwrite" */
	F_NAMESPACES, /* [{"nsid", "size", "lbads", "ms"}, ...] */
};

static const char *const fw_reset_names[] = {
	[EMU_FW_RESET_NONE] = "",
	[EMU_FW_RESET_CONVENTIONAL] = "conventional",
	[EMU_FW_RESET_SUBSYSTEM] = "subsystem",
	[EMU_FW_RESET_CONTROLLER] = "controller",
};

/* SANICAP bit i is sanicap_names[i] */
static const char *const sanicap_names[] = { "crypto", "block", "overwrite" };

static const char *const sanitize_state_names[] = {
	[EMU_SAN_NEVER] = "never",
	[EMU_SAN_COMPLETED] = "completed",
	[EMU_SAN_IN_PROGRESS] = "in_progress",
	[EMU_SAN_FAILED] = "failed",
	[EMU_SAN_COMPLETED_NO_DEALLOC] = "completed_no_dealloc",
};

struct field {
	const char *name;
	enum field_kind kind;
	size_t offset;
	size_t size;
	int64_t min, max;
	uint16_t ccs; /* CCS change flag raised when the value changes */
	bool identity; /* network/eid: selectors, set only at creation */
};

#define INT_FIELD(n, m, lo, hi, c)                                           \
	{                                                                    \
		n, F_INT, offsetof(struct emu_drive, m),                     \
			sizeof(((struct emu_drive *)0)->m), lo, hi, c, false \
	}
#define BOOL_FIELD(n, m, c)                                                   \
	{                                                                     \
		n, F_BOOL, offsetof(struct emu_drive, m), sizeof(bool), 0, 1, \
			c, false                                              \
	}
#define STRING_FIELD(n, m)                                                 \
	{                                                                  \
		n, F_STRING, offsetof(struct emu_drive, m),                \
			sizeof(((struct emu_drive *)0)->m), 0, 0, 0, false \
	}

/* fault_temp: off */
#define FAULT_TEMP_OFF (-274)

/* A truncated reply shorter than 12 bytes makes libnvme fail with EPROTO */
#define TRUNCATE_DEFAULT 11

static const struct field fields[] = {
	{ "network", F_INT, offsetof(struct emu_drive, network),
	  sizeof(uint32_t), 1, UINT32_MAX, 0, true },
	{ "eid", F_INT, offsetof(struct emu_drive, eid), sizeof(uint8_t), 0,
	  254, 0, true },
	INT_FIELD("bus", bus, 0, 65535, 0),
	INT_FIELD("address", address, 0, 127, 0),
	INT_FIELD("basic_address", basic_address, 0, 127, 0),
	{ "uuid", F_UUID, offsetof(struct emu_drive, uuid), 16, 0, 0, 0,
	  false },
	STRING_FIELD("serial", serial),
	STRING_FIELD("model", model),
	STRING_FIELD("firmware", firmware),
	INT_FIELD("vid", vid, 0, 65535, 0),
	INT_FIELD("ssvid", ssvid, 0, 65535, 0),
	INT_FIELD("did", did, 0, 65535, 0),
	INT_FIELD("ssid", ssid, 0, 65535, 0),
	INT_FIELD("capacity", capacity, 0, INT64_MAX, 0),
	{ "temperature", F_TEMP, offsetof(struct emu_drive, temperature),
	  sizeof(int), -273, 1000, CCS_CTEMP, false },
	INT_FIELD("warning_temp", warning_temp, -273, 1000, 0),
	INT_FIELD("critical_temp", critical_temp, -273, 1000, 0),
	INT_FIELD("percentage_used", percentage_used, 0, 65535, CCS_PDLU),
	INT_FIELD("critical_warning", critical_warning, 0, 255, CCS_CCWARN),
	INT_FIELD("available_spare", available_spare, 0, 100, CCS_SPARE),
	INT_FIELD("spare_threshold", spare_threshold, 0, 100, 0),
	INT_FIELD("power_on_hours", power_on_hours, 0, INT64_MAX, 0),
	INT_FIELD("power_cycles", power_cycles, 0, INT64_MAX, 0),
	BOOL_FIELD("functional", functional, CCS_CSTS),
	BOOL_FIELD("ready", ready, CCS_CSTS),
	INT_FIELD("mi_major", mi_major, 0, 255, 0),
	INT_FIELD("mi_minor", mi_minor, 0, 255, 0),
	INT_FIELD("smbus_freq", smbus_freq, 1, 3, 0),
	INT_FIELD("mctp_mtu", mctp_mtu, 64, 65535, 0),
	BOOL_FIELD("silent", silent, 0),
	BOOL_FIELD("ctrl_silent", ctrl_silent, 0),
	INT_FIELD("miss", miss, 0, 1000000, 0),
	INT_FIELD("miss_mi", miss_mi, 0, 1000000, 0),
	INT_FIELD("delay_ms", delay_ms, 0, DELAY_MAX_MS, 0),
	INT_FIELD("late", late_ms, 0, DELAY_MAX_MS, 0),
	BOOL_FIELD("bad_mic", bad_mic, 0),
	INT_FIELD("fault_temp", fault_temp, FAULT_TEMP_OFF, 1000, 0),
	{ "truncate", F_TRUNCATE, offsetof(struct emu_drive, truncate),
	  sizeof(unsigned int), 0, EMU_MSG_MAX, 0, false },
	INT_FIELD("status", status, 0, 255, 0),
	INT_FIELD("mpr_ms", mpr_ms, 0, DELAY_MAX_MS, 0),
	INT_FIELD("link_bps", link_bps, 0, 100000000, 0),
	INT_FIELD("admin_status", admin_status, 0, 0x7fff, 0),
	BOOL_FIELD("nack", nack, 0),
	BOOL_FIELD("bus_busy", bus_busy, 0),
	INT_FIELD("garbage_temp", garbage_temp, -1, 255, 0),
	BOOL_FIELD("bad_pec", bad_pec, 0),
	/* 10 kHz .. 1 MHz is SMBus 3.x; up to I2C Fast-mode Plus and beyond
	 * for experiments */
	INT_FIELD("smbus_hz", smbus_hz, 0, 10000000, 0),
	BOOL_FIELD("hold_bus", hold_bus, 0),
	INT_FIELD("hold_ms", hold_ms, 0, DELAY_MAX_MS, 0),
	INT_FIELD("fw_slots", fw_slots, 1, EMU_FW_SLOTS_MAX, 0),
	BOOL_FIELD("fw_slot1_ro", fw_slot1_ro, 0),
	BOOL_FIELD("fw_no_reset", fw_no_reset, 0),
	INT_FIELD("fw_ug", fw_ug, 0, 255, 0),
	{ "fw_reset_required", F_FW_RESET, 0, 0, 0, 0, 0, false },
	INT_FIELD("fw_commit_status", fw_commit_status, 0, 0x7fff, 0),
	INT_FIELD("fw_download_status", fw_download_status, 0, 0x7fff, 0),
	INT_FIELD("fw_miss_at", fw_miss_at, 0, UINT32_MAX, 0),
	INT_FIELD("miss_admin", miss_admin, 0, 255, 0),
	{ "sanicap", F_SANICAP, 0, 0, 0, 0, 0, false },
	INT_FIELD("sanitize_ms", sanitize_ms, 0, 86400000, 0),
	BOOL_FIELD("sanitize_fail", sanitize_fail, 0),
	{ "namespaces", F_NAMESPACES, 0, 0, 0, 0, 0, false },
	{ "config", F_IGNORE, 0, 0, 0, 0, 0, false },
	{ "power_cycle", F_ACTION, 0, 0, 0, 0, 0, false },
	{ "swap", F_ACTION, 0, 0, 0, 0, 0, false },
};

static const struct field *field_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static int64_t int_get(const void *p, size_t size, bool is_signed)
{
	switch (size) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return *(const uint16_t *)p;
	case 4:
		if (is_signed)
			return *(const int32_t *)p;
		return *(const uint32_t *)p;
	default:
		return (int64_t) * (const uint64_t *)p;
	}
}

static void int_set(void *p, size_t size, int64_t v)
{
	switch (size) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		*(uint16_t *)p = (uint16_t)v;
		break;
	case 4:
		*(uint32_t *)p = (uint32_t)v;
		break;
	default:
		*(uint64_t *)p = (uint64_t)v;
	}
}

void emu_drive_init(struct emu_drive *d, uint32_t network, uint8_t eid)
{
	*d = (struct emu_drive){
		.network = network,
		.eid = eid,
		.initial_eid = eid,
		.address = 0x1d,
		.basic_address = 0x6a,
		.vid = 0x1b36,
		.ssvid = 0x1b36,
		.did = 0x0010,
		.capacity = 960197124096ull,
		.temperature = 35,
		.warning_temp = 70,
		.critical_temp = 80,
		.available_spare = 100,
		.spare_threshold = 10,
		.power_on_hours = 1000,
		.power_cycles = 10,
		.functional = true,
		.ready = true,
		.mi_major = 1,
		.mi_minor = 2,
		.smbus_freq = 1,
		.mctp_mtu = 64,
		.garbage_temp = -1,
		.fault_temp = FAULT_TEMP_OFF,
		.smbus_hz = 100000,
		.hold_ms = 1000, /* adap->timeout = HZ, i2c-core-base.c */
		.fw_slots = 2,
		.fw_no_reset = true,
		.fw_ug = 1,
		.fw_active = 1,
		.sanicap = 0x07,
		.sanitize_ms = 2000,
	};
	snprintf(d->serial, sizeof(d->serial), "EMU%05" PRIu32 "%03u",
		 network % 100000, eid);
	snprintf(d->model, sizeof(d->model), "nvme-mi-emu drive");
	snprintf(d->firmware, sizeof(d->firmware), "EMU1.0");
	memcpy(d->fw_rev[0], d->firmware, sizeof(d->firmware));
}

static char *errorf(const char *fmt, ...) _printf_(1, 2);
static char *errorf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int parse_sanicap(struct emu_drive *d, json_object *v, char **ret_error)
{
	uint8_t cap = 0;

	if (!json_object_is_type(v, json_type_array))
		goto bad;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *e = json_object_array_get_idx(v, i);
		size_t k;

		if (!json_object_is_type(e, json_type_string))
			goto bad;
		for (k = 0; k < ARRAY_SIZE(sanicap_names); k++)
			if (strcmp(json_object_get_string(e),
				   sanicap_names[k]) == 0)
				break;
		if (k == ARRAY_SIZE(sanicap_names))
			goto bad;
		cap |= (uint8_t)(1u << k);
	}
	d->sanicap = cap;
	return 0;
bad:
	*ret_error = errorf("field 'sanicap' must be a list of \"crypto\", "
			    "\"block\" and \"overwrite\"");
	return -EINVAL;
}

static int ns_cmp(const void *a, const void *b)
{
	const struct emu_ns *x = a, *y = b;

	return x->nsid < y->nsid ? -1 : x->nsid > y->nsid;
}

/* One namespace object; on failure *ret_error says why. */
static int parse_ns(json_object *o, struct emu_ns *ns, char **ret_error)
{
	static const struct {
		const char *name;
		int64_t min, max;
	} keys[] = { { "nsid", 1, 0xfffffffe },
		     { "size", 1, INT64_MAX },
		     { "lbads", 9, 12 },
		     { "ms", 0, 65535 },
		     { "fault_lbads", 0, 255 } };
	int64_t n[5] = { 0, 0, 9, 0, 0 };
	json_object *v;

	if (!json_object_is_type(o, json_type_object)) {
		*ret_error = errorf("a namespace is an object");
		return -EINVAL;
	}
	json_object_object_foreach (o, key, val) {
		size_t k;

		(void)val;
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (strcmp(key, keys[k].name) == 0)
				break;
		if (k == ARRAY_SIZE(keys)) {
			*ret_error = errorf("unknown key '%s'", key);
			return -EINVAL;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(keys); k++) {
		if (!json_object_object_get_ex(o, keys[k].name, &v)) {
			if (k < 2) {
				*ret_error = errorf("'%s' is required",
						    keys[k].name);
				return -EINVAL;
			}
			continue;
		}
		errno = 0;
		if (!json_object_is_type(v, json_type_int) ||
		    (n[k] = json_object_get_int64(v), errno != 0) ||
		    n[k] < keys[k].min || n[k] > keys[k].max) {
			*ret_error = errorf("'%s' must be an integer between "
					    "%" PRId64 " and %" PRId64,
					    keys[k].name, keys[k].min,
					    keys[k].max);
			return -EINVAL;
		}
	}
	if (n[2] != 9 && n[2] != 12) {
		*ret_error = errorf("'lbads' must be 9 or 12");
		return -EINVAL;
	}
	if (n[1] % ((int64_t)1 << n[2])) {
		*ret_error = errorf("'size' must be a multiple of the block "
				    "size (%d bytes)",
				    1 << (int)n[2]);
		return -EINVAL;
	}
	*ns = (struct emu_ns){
		.nsid = (uint32_t)n[0],
		.size = (uint64_t)n[1],
		.lbads = (uint8_t)n[2],
		.ms = (uint16_t)n[3],
		.fault_lbads = (uint8_t)n[4],
	};
	return 0;
}

static int parse_namespaces(struct emu_drive *d, json_object *v,
			    char **ret_error)
{
	struct emu_ns ns[EMU_NS_MAX];
	size_t n;
	char *err = NULL;

	if (!json_object_is_type(v, json_type_array) ||
	    json_object_array_length(v) > EMU_NS_MAX) {
		*ret_error = errorf("field 'namespaces' must be a list of at "
				    "most %d namespaces",
				    EMU_NS_MAX);
		return -EINVAL;
	}
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++) {
		if (parse_ns(json_object_array_get_idx(v, i), &ns[i], &err) <
		    0) {
			*ret_error = errorf("field 'namespaces'[%zu]: %s", i,
					    err ? err : "out of memory");
			free(err);
			return -EINVAL;
		}
	}
	qsort(ns, n, sizeof(ns[0]), ns_cmp);
	for (size_t i = 1; i < n; i++) {
		if (ns[i].nsid == ns[i - 1].nsid) {
			*ret_error = errorf("field 'namespaces': NSID %" PRIu32
					    " appears twice",
					    ns[i].nsid);
			return -EINVAL;
		}
	}
	memcpy(d->ns, ns, n * sizeof(ns[0]));
	d->n_ns = (unsigned int)n;
	d->ns_set = true;
	return 0;
}

/* Set one field of d from v; on failure *ret_error says why. */
static int field_apply(struct emu_drive *d, const struct field *f,
		       json_object *v, char **ret_error)
{
	uint8_t *p = (uint8_t *)d + f->offset;
	int64_t old = 0, n = 0;
	const char *s;

	switch (f->kind) {
	case F_IGNORE:
		return 0;
	case F_SANICAP:
		return parse_sanicap(d, v, ret_error);
	case F_NAMESPACES:
		return parse_namespaces(d, v, ret_error);
	case F_FW_RESET:
		if (json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			for (size_t i = 0; i < ARRAY_SIZE(fw_reset_names);
			     i++) {
				if (strcmp(s, fw_reset_names[i]) == 0) {
					d->fw_reset_required =
						(enum emu_fw_reset)i;
					return 0;
				}
			}
		}
		*ret_error = errorf("field '%s' must be \"\", "
				    "\"conventional\", \"subsystem\" or "
				    "\"controller\"",
				    f->name);
		return -EINVAL;
	case F_ACTION:
		if (!json_object_is_type(v, json_type_boolean)) {
			*ret_error = errorf("operation '%s' must be true or "
					    "false",
					    f->name);
			return -EINVAL;
		}
		if (!json_object_get_boolean(v))
			return 0;
		if (strcmp(f->name, "swap") == 0)
			emu_drive_swap(d);
		else
			emu_drive_power_cycle(d);
		return 0;
	case F_UUID:
		if (json_object_is_type(v, json_type_null)) {
			d->uuid_set = false;
			return 0;
		}
		if (!json_object_is_type(v, json_type_string) ||
		    emu_uuid_parse(json_object_get_string(v), d->uuid) < 0) {
			*ret_error = errorf("field '%s' must be a UUID string "
					    "(RFC 4122, "
					    "\"xxxxxxxx-xxxx-xxxx-xxxx-"
					    "xxxxxxxxxxxx\") or null",
					    f->name);
			return -EINVAL;
		}
		d->uuid_set = true;
		return 0;
	case F_BOOL:
		if (!json_object_is_type(v, json_type_boolean)) {
			*ret_error = errorf("field '%s' must be true or false",
					    f->name);
			return -EINVAL;
		}
		old = *(bool *)p;
		*(bool *)p = json_object_get_boolean(v);
		n = *(bool *)p;
		break;
	case F_STRING:
		if (!json_object_is_type(v, json_type_string)) {
			*ret_error =
				errorf("field '%s' must be a string", f->name);
			return -EINVAL;
		}
		s = json_object_get_string(v);
		if (strlen(s) >= f->size) {
			*ret_error = errorf("field '%s' is longer than %zu "
					    "characters",
					    f->name, f->size - 1);
			return -EINVAL;
		}
		for (const char *c = s; *c; c++) {
			if (*c < 0x20 || *c > 0x7e) {
				*ret_error = errorf("field '%s' must be "
						    "printable ASCII",
						    f->name);
				return -EINVAL;
			}
		}
		strcpy((char *)p, s);
		/* the running firmware is the active slot's */
		if (p == (uint8_t *)d->firmware)
			memcpy(d->fw_rev[d->fw_active - 1], d->firmware,
			       sizeof(d->firmware));
		return 0;
	case F_TEMP:
		old = d->temp_state == EMU_TEMP_VALID ?
			      (int64_t)d->temperature :
			      -1000 - (int64_t)d->temp_state;
		if (json_object_is_type(v, json_type_string)) {
			s = json_object_get_string(v);
			if (strcmp(s, "no_data") == 0) {
				d->temp_state = EMU_TEMP_NO_DATA;
			} else if (strcmp(s, "sensor_failure") == 0) {
				d->temp_state = EMU_TEMP_SENSOR_FAILURE;
			} else {
				*ret_error = errorf(
					"field 'temperature': unknown value "
					"\"%s\" (expected a number, "
					"\"no_data\" or \"sensor_failure\")",
					s);
				return -EINVAL;
			}
			n = -1000 - (int64_t)d->temp_state;
			break;
		}
		/* fall through */
	case F_INT:
	case F_TRUNCATE:
		if (f->kind == F_TRUNCATE &&
		    json_object_is_type(v, json_type_boolean)) {
			old = d->truncate;
			d->truncate = json_object_get_boolean(v) ?
					      TRUNCATE_DEFAULT :
					      0;
			return 0;
		}
		if (!json_object_is_type(v, json_type_int)) {
			*ret_error = errorf("field '%s' must be an integer",
					    f->name);
			return -EINVAL;
		}
		errno = 0;
		n = json_object_get_int64(v);
		if (errno != 0 || n < f->min || n > f->max) {
			*ret_error = errorf("field '%s' must be between "
					    "%" PRId64 " and %" PRId64,
					    f->name, f->min, f->max);
			return -ERANGE;
		}
		if (strcmp(f->name, "status") == 0 && n == EMU_MI_MPR) {
			*ret_error = errorf("field 'status' cannot be 1 (More "
					    "Processing Required): use "
					    "'mpr_ms'");
			return -EINVAL;
		}
		if (f->kind == F_TEMP) {
			d->temp_state = EMU_TEMP_VALID;
			d->temperature = (int)n;
			break;
		}
		old = int_get(p, f->size, f->min < 0);
		int_set(p, f->size, n);
		break;
	}
	if (old != n)
		d->ccs_changed |= f->ccs;
	return 0;
}

/* Apply every key of o except the identity fields. Operations (control
 * requests only) run first, so that a "swap" with a "serial" gets that
 * serial number. */
static int drive_apply(struct emu_drive *d, json_object *o, bool control,
		       char **ret_error)
{
	const struct field *f;

	for (int pass = 0; pass < 2; pass++) {
		json_object_object_foreach (o, key, v) {
			f = field_find(key);
			if (!f) {
				*ret_error = errorf("unknown field '%s'", key);
				return -EINVAL;
			}
			if (f->kind == F_ACTION && !control) {
				*ret_error = errorf("'%s' is an operation of "
						    "control requests, not a "
						    "drive field",
						    key);
				return -EINVAL;
			}
			if (f->identity || (f->kind == F_ACTION) != (pass == 0))
				continue;
			if (field_apply(d, f, v, ret_error) < 0)
				return -EINVAL;
		}
	}
	if (d->fw_active > d->fw_slots || d->fw_next > d->fw_slots) {
		*ret_error = errorf("field 'fw_slots': %u is below the active "
				    "or next slot",
				    d->fw_slots);
		return -EINVAL;
	}
	return 0;
}

/* A reset: the slot committed for the next reset runs (NVMe Base 2.0
 * 5.12), a partial image download is gone. */
void emu_drive_power_cycle(struct emu_drive *d)
{
	d->eid = 0;
	d->power_cycles++;
	if (d->fw_next) {
		d->fw_active = d->fw_next;
		d->fw_next = 0;
		memcpy(d->firmware, d->fw_rev[d->fw_active - 1],
		       sizeof(d->firmware));
	}
	d->dl_bytes = 0;
	d->dl_ended = false;
	memset(d->dl_head, 0, sizeof(d->dl_head));
}

void emu_drive_swap(struct emu_drive *d)
{
	d->swaps++;
	snprintf(d->serial, sizeof(d->serial), "EMU%03dA%03dS%u", d->bus % 1000,
		 d->address, d->swaps % 100000);
	d->uuid_set = false; /* derived again, from the new serial number */
	d->eid = 0;
}

/* Read an identity field; -ENOENT when absent. */
static int get_identity(json_object *o, const char *name, int64_t *ret,
			char **ret_error)
{
	const struct field *f = field_find(name);
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(o, name, &v))
		return -ENOENT;
	if (!json_object_is_type(v, json_type_int)) {
		*ret_error = errorf("field '%s' must be an integer", name);
		return -EINVAL;
	}
	n = json_object_get_int64(v);
	if (n < f->min || n > f->max) {
		*ret_error = errorf("field '%s' must be between %" PRId64
				    " and %" PRId64,
				    name, f->min, f->max);
		return -ERANGE;
	}
	*ret = n;
	return 0;
}

/* A new drive from a scenario/add object. */
static int drive_new(json_object *o, struct emu_drive **ret, char **ret_error)
{
	_cleanup_free_ struct emu_drive *d = NULL;
	int64_t net, eid;
	char *err = NULL;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		*ret_error = errorf("a drive must be a JSON object");
		return -EINVAL;
	}
	r = get_identity(o, "network", &net, ret_error);
	if (r == -ENOENT)
		*ret_error = errorf("drive without 'network'");
	if (r < 0)
		return -EINVAL;
	r = get_identity(o, "eid", &eid, ret_error);
	if (r == -ENOENT)
		*ret_error = errorf("drive without 'eid'");
	if (r < 0)
		return -EINVAL;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	emu_drive_init(d, (uint32_t)net, (uint8_t)eid);
	r = drive_apply(d, o, false, &err);
	if (r < 0) {
		*ret_error = errorf("drive %" PRId64 ":%" PRId64 ": %s", net,
				    eid, err ? err : "out of memory");
		free(err);
		return r;
	}
	d->ccs_changed = 0;
	*ret = TAKE_PTR(d);
	return 0;
}

struct emu_drive *emu_state_find(const struct emu_state *s, uint32_t network,
				 uint8_t eid)
{
	if (eid == 0)
		return NULL;
	for (size_t i = 0; i < s->n_drives; i++)
		if (s->drives[i]->network == network &&
		    s->drives[i]->eid == eid)
			return s->drives[i];
	return NULL;
}

static int state_append(struct emu_state *s, struct emu_drive *d)
{
	struct emu_drive **n;

	n = realloc(s->drives, (s->n_drives + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->drives = n;
	s->drives[s->n_drives++] = d;
	return 0;
}

void emu_state_clear(struct emu_state *s)
{
	for (size_t i = 0; i < s->n_drives; i++)
		free(s->drives[i]);
	free(s->drives);
	s->drives = NULL;
	s->n_drives = 0;
}

static json_object *parse_json(const char *text, char **ret_error)
{
	enum json_tokener_error jerr;
	json_object *o;

	o = json_tokener_parse_verbose(text, &jerr);
	if (!o)
		*ret_error = errorf("invalid JSON: %s",
				    json_tokener_error_desc(jerr));
	return o;
}

int emu_state_load(struct emu_state *s, const char *text, char **ret_error)
{
	struct emu_state n = { 0 };
	json_object *root, *drives;
	struct emu_drive *d;
	int r = -EINVAL;

	root = parse_json(text, ret_error);
	if (!root)
		return -EINVAL;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "drives", &drives) ||
	    !json_object_is_type(drives, json_type_array)) {
		*ret_error = errorf("a scenario is an object with a "
				    "\"drives\" array");
		goto out;
	}
	json_object_object_foreach (root, key, val) {
		(void)val;
		if (strcmp(key, "drives") != 0) {
			*ret_error = errorf("unknown scenario key '%s'", key);
			goto out;
		}
	}
	for (size_t i = 0; i < json_object_array_length(drives); i++) {
		char *err = NULL;

		r = drive_new(json_object_array_get_idx(drives, i), &d, &err);
		if (r < 0) {
			*ret_error = errorf("drives[%zu]: %s", i,
					    err ? err : "out of memory");
			free(err);
			goto out;
		}
		if (emu_state_find(&n, d->network, d->eid)) {
			*ret_error = errorf("drives[%zu]: network %" PRIu32
					    " EID %u appears twice",
					    i, d->network, d->eid);
			free(d);
			r = -EEXIST;
			goto out;
		}
		r = state_append(&n, d);
		if (r < 0) {
			free(d);
			goto out;
		}
	}
	emu_state_clear(s);
	*s = n;
	n = (struct emu_state){ 0 };
	r = 0;
out:
	emu_state_clear(&n);
	json_object_put(root);
	return r;
}

static json_object *namespaces_to_json(const struct emu_drive *d)
{
	struct emu_ns ns[EMU_NS_MAX];
	unsigned int n = emu_drive_namespaces(d, ns);
	json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "nsid",
				       json_object_new_int64(ns[i].nsid));
		json_object_object_add(
			o, "size", json_object_new_int64((int64_t)ns[i].size));
		json_object_object_add(o, "lbads",
				       json_object_new_int(ns[i].lbads));
		json_object_object_add(o, "ms", json_object_new_int(ns[i].ms));
		json_object_array_add(a, o);
	}
	return a;
}

/* The state "get" reports besides the fields: firmware slots, the image
 * download, sanitize, namespaces. */
static void state_to_json(const struct emu_drive *d, json_object *o)
{
	struct emu_ns ns[EMU_NS_MAX];
	json_object *revs = json_object_new_array();

	for (unsigned int s = 0; s < d->fw_slots; s++)
		json_object_array_add(revs,
				      json_object_new_string(d->fw_rev[s]));
	json_object_object_add(o, "fw_slot_revisions", revs);
	json_object_object_add(o, "fw_active_slot",
			       json_object_new_int(d->fw_active));
	json_object_object_add(o, "fw_next_slot",
			       json_object_new_int(d->fw_next));
	json_object_object_add(o, "fw_downloaded",
			       json_object_new_int64((int64_t)d->dl_bytes));
	json_object_object_add(
		o, "sanitize_state",
		json_object_new_string(sanitize_state_names[d->san_state]));
	json_object_object_add(
		o, "sanitize_progress",
		json_object_new_int(emu_drive_sanitize_progress(d)));
	json_object_object_add(o, "sanitize_cdw10",
			       json_object_new_int64(d->san_cdw10));
	json_object_object_add(o, "sanitize_event",
			       json_object_new_boolean(d->san_event));
	json_object_object_add(
		o, "namespace_count",
		json_object_new_int((int)emu_drive_namespaces(d, ns)));
}

static json_object *drive_to_json(const struct emu_drive *d)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		const struct field *f = &fields[i];
		const uint8_t *p = (const uint8_t *)d + f->offset;
		json_object *v;

		char buf[37];
		uint8_t uuid[16];

		switch (f->kind) {
		case F_IGNORE:
		case F_ACTION:
			continue;
		case F_FW_RESET:
			v = json_object_new_string(
				fw_reset_names[d->fw_reset_required]);
			break;
		case F_SANICAP:
			v = json_object_new_array();
			for (size_t k = 0; k < ARRAY_SIZE(sanicap_names); k++)
				if (d->sanicap & (1u << k))
					json_object_array_add(
						v, json_object_new_string(
							   sanicap_names[k]));
			break;
		case F_NAMESPACES:
			v = namespaces_to_json(d);
			break;
		case F_UUID:
			emu_drive_uuid(d, uuid);
			emu_uuid_format(uuid, buf);
			v = json_object_new_string(buf);
			break;
		case F_BOOL:
			v = json_object_new_boolean(*(const bool *)p);
			break;
		case F_STRING:
			v = json_object_new_string((const char *)p);
			break;
		case F_TEMP:
			if (d->temp_state == EMU_TEMP_NO_DATA)
				v = json_object_new_string("no_data");
			else if (d->temp_state == EMU_TEMP_SENSOR_FAILURE)
				v = json_object_new_string("sensor_failure");
			else
				v = json_object_new_int64(d->temperature);
			break;
		default:
			v = json_object_new_int64(
				int_get(p, f->size, f->min < 0));
		}
		json_object_object_add(o, f->name, v);
	}
	json_object_object_add(o, "ccs_changed",
			       json_object_new_int(d->ccs_changed));
	json_object_object_add(o, "requests",
			       json_object_new_int64((int64_t)d->requests));
	json_object_object_add(
		o, "bad_mic_requests",
		json_object_new_int64((int64_t)d->bad_mic_requests));
	json_object_object_add(
		o, "ctrl_requests",
		json_object_new_int64((int64_t)d->ctrl_requests));
	json_object_object_add(o, "bus_usec",
			       json_object_new_int64((int64_t)d->bus_usec));
	json_object_object_add(o, "bus_waits",
			       json_object_new_int64((int64_t)d->bus_waits));
	json_object_object_add(o, "initial_eid",
			       json_object_new_int(d->initial_eid));
	json_object_object_add(o, "swaps", json_object_new_int64(d->swaps));
	state_to_json(d, o);
	return o;
}

/* Read "bus" and "address" (both or neither); -ENOENT when neither. */
static int get_physical(json_object *o, int64_t *ret_bus, int64_t *ret_addr,
			char **ret_error)
{
	json_object *v;
	int64_t n[2];
	static const struct {
		const char *name;
		int64_t max;
	} keys[] = { { "bus", 65535 }, { "address", 127 } };
	int found = 0;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!json_object_object_get_ex(o, keys[i].name, &v))
			continue;
		found++;
		if (!json_object_is_type(v, json_type_int)) {
			*ret_error = errorf("field '%s' must be an integer",
					    keys[i].name);
			return -EINVAL;
		}
		n[i] = json_object_get_int64(v);
		if (n[i] < 0 || n[i] > keys[i].max) {
			*ret_error = errorf("field '%s' must be between 0 and "
					    "%" PRId64,
					    keys[i].name, keys[i].max);
			return -ERANGE;
		}
	}
	if (found == 0)
		return -ENOENT;
	if (found == 1) {
		*ret_error = errorf("a drive is selected by \"bus\" and "
				    "\"address\" together");
		return -EINVAL;
	}
	*ret_bus = n[0];
	*ret_addr = n[1];
	return 0;
}

/*
 * Find the drive o selects: by "eid" (its current EID) and, unless unique,
 * "network"; or, without "eid", by its physical address "bus" and
 * "address" (and "network" if given). With "eid", "bus" and "address"
 * are values to set, as they always were.
 */
static int select_drive(struct emu_state *s, json_object *o,
			struct emu_drive **ret, char **ret_error)
{
	struct emu_drive *found = NULL;
	int64_t net = -1, eid = -1, bus = -1, addr = -1;
	size_t n = 0;
	int r;

	if (!json_object_is_type(o, json_type_object)) {
		*ret_error = errorf("expected an object with \"eid\" or "
				    "\"bus\" and \"address\"");
		return -EINVAL;
	}
	r = get_identity(o, "eid", &eid, ret_error);
	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT) {
		r = get_physical(o, &bus, &addr, ret_error);
		if (r == -ENOENT)
			*ret_error = errorf("missing \"eid\" (or \"bus\" "
					    "and \"address\")");
		if (r < 0)
			return r;
	}
	r = get_identity(o, "network", &net, ret_error);
	if (r < 0 && r != -ENOENT)
		return r;
	for (size_t i = 0; i < s->n_drives; i++) {
		struct emu_drive *d = s->drives[i];

		if (net >= 0 && d->network != net)
			continue;
		if (eid >= 0 ? d->eid == eid :
			       d->bus == bus && d->address == addr) {
			found = d;
			n++;
		}
	}
	if (n == 0 && eid < 0) {
		*ret_error = errorf("no drive at bus %" PRId64
				    " address %" PRId64,
				    bus, addr);
		return -ENOENT;
	}
	if (n == 0) {
		if (net < 0)
			*ret_error = errorf("no drive with EID %" PRId64, eid);
		else
			*ret_error = errorf("no drive at network %" PRId64
					    " EID %" PRId64,
					    net, eid);
		return -ENOENT;
	}
	if (n > 1 && eid < 0) {
		*ret_error = errorf("several drives at bus %" PRId64
				    " address %" PRId64 ": give \"network\"",
				    bus, addr);
		return -EINVAL;
	}
	if (n > 1 && net < 0) {
		*ret_error = errorf("EID %" PRId64 " exists on several "
				    "networks: give \"network\" (or \"bus\" "
				    "and \"address\" without \"eid\")",
				    eid);
		return -EINVAL;
	}
	if (n > 1) {
		/* several drives without an EID yet */
		*ret_error = errorf("EID %" PRId64 " is held by several "
				    "drives on network %" PRId64 ": give "
				    "\"bus\" and \"address\" without "
				    "\"eid\"",
				    eid, net);
		return -EINVAL;
	}
	*ret = found;
	return 0;
}

/* {"mctp_control": {"bus": B, "address": A, ["network": N,] "request":
 * "<hex>"}}: the control message to the drive at that physical address,
 * through emu_ctrl_respond() as a transport would (delays are not
 * waited for). The reply's "response" is its hex, or null. */
static int control_mctp(struct emu_state *s, json_object *o, json_object *reply,
			char **ret_error)
{
	static uint8_t msg[EMU_MSG_MAX], resp[EMU_MSG_MAX];
	static const char hex[] = "0123456789abcdef";
	struct emu_drive *d = NULL;
	unsigned int delay;
	json_object *v;
	const char *in;
	size_t len, rlen;
	char *out, *err = NULL;
	int r;

	if (!json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, "request", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		*ret_error = errorf("\"mctp_control\" is an object with "
				    "\"bus\", \"address\" and \"request\" "
				    "(hex)");
		return -EINVAL;
	}
	json_object_object_foreach (o, key, val) {
		(void)val;
		if (strcmp(key, "bus") != 0 && strcmp(key, "address") != 0 &&
		    strcmp(key, "network") != 0 &&
		    strcmp(key, "request") != 0) {
			*ret_error = errorf("\"mctp_control\": unknown key "
					    "'%s'",
					    key);
			return -EINVAL;
		}
	}
	if (!json_object_object_get_ex(o, "bus", NULL) ||
	    !json_object_object_get_ex(o, "address", NULL)) {
		*ret_error = errorf("\"mctp_control\" needs \"bus\" and "
				    "\"address\"");
		return -EINVAL;
	}
	in = json_object_get_string(v);
	len = strlen(in);
	if (len == 0 || len % 2 || len / 2 > sizeof(msg)) {
		*ret_error = errorf("\"request\": 1 to %zu bytes as an even "
				    "number of hex digits",
				    sizeof(msg));
		return -EINVAL;
	}
	len /= 2;
	for (size_t i = 0; i < len; i++) {
		char pair[3] = { in[2 * i], in[2 * i + 1], 0 };

		if (!isxdigit((unsigned char)pair[0]) ||
		    !isxdigit((unsigned char)pair[1])) {
			*ret_error = errorf("\"request\": not hex digits");
			return -EINVAL;
		}
		msg[i] = (uint8_t)strtoul(pair, NULL, 16);
	}
	if (msg[0] != EMU_MCTP_TYPE_CONTROL) {
		*ret_error = errorf("\"request\": type byte %02x is not an "
				    "MCTP control message (00)",
				    msg[0]);
		return -EINVAL;
	}
	r = select_drive(s, o, &d, &err);
	if (r == -ENOENT) {
		free(err);
		d = NULL; /* nobody there: no answer */
	} else if (r < 0) {
		*ret_error = err;
		return r;
	}
	if (!d || !emu_ctrl_respond(d, msg, len, resp, &rlen, &delay)) {
		json_object_object_add(reply, "response", NULL);
		return 0;
	}
	out = malloc(2 * rlen + 1);
	if (!out)
		return -ENOMEM;
	for (size_t i = 0; i < rlen; i++) {
		out[2 * i] = hex[resp[i] >> 4];
		out[2 * i + 1] = hex[resp[i] & 0xf];
	}
	out[2 * rlen] = '\0';
	json_object_object_add(reply, "response", json_object_new_string(out));
	free(out);
	return 0;
}

static int control_apply(struct emu_state *s, json_object *req,
			 json_object *reply, char **ret_error)
{
	struct emu_drive *d, copy;
	json_object *v, *list;
	int r;

	if (json_object_object_get_ex(req, "add", &v)) {
		if (json_object_object_length(req) != 1) {
			*ret_error = errorf("\"add\" takes no other keys");
			return -EINVAL;
		}
		r = drive_new(v, &d, ret_error);
		if (r < 0)
			return r;
		if (emu_state_find(s, d->network, d->eid)) {
			*ret_error = errorf("network %" PRIu32 " EID %u "
					    "already exists",
					    d->network, d->eid);
			free(d);
			return -EEXIST;
		}
		r = state_append(s, d);
		if (r < 0)
			free(d);
		return r;
	}
	if (json_object_object_get_ex(req, "remove", &v)) {
		if (json_object_object_length(req) != 1) {
			*ret_error = errorf("\"remove\" takes no other keys");
			return -EINVAL;
		}
		r = select_drive(s, v, &d, ret_error);
		if (r < 0)
			return r;
		for (size_t i = 0; i < s->n_drives; i++) {
			if (s->drives[i] == d) {
				memmove(&s->drives[i], &s->drives[i + 1],
					(s->n_drives - i - 1) *
						sizeof(*s->drives));
				s->n_drives--;
				break;
			}
		}
		free(d);
		return 0;
	}
	if (json_object_object_get_ex(req, "mctp_control", &v)) {
		if (json_object_object_length(req) != 1) {
			*ret_error = errorf("\"mctp_control\" takes no other "
					    "keys");
			return -EINVAL;
		}
		return control_mctp(s, v, reply, ret_error);
	}
	if (json_object_object_get_ex(req, "get", &v)) {
		r = select_drive(s, v, &d, ret_error);
		if (r < 0)
			return r;
		json_object_object_add(reply, "drive", drive_to_json(d));
		return 0;
	}
	if (json_object_object_get_ex(req, "list", &v)) {
		list = json_object_new_array();
		for (size_t i = 0; i < s->n_drives; i++)
			json_object_array_add(list,
					      drive_to_json(s->drives[i]));
		json_object_object_add(reply, "drives", list);
		return 0;
	}

	r = select_drive(s, req, &d, ret_error);
	if (r < 0)
		return r;
	copy = *d;
	r = drive_apply(&copy, req, true, ret_error);
	if (r < 0)
		return r;
	*d = copy;
	return 0;
}

int emu_control(struct emu_state *s, const char *line, char **ret_reply)
{
	json_object *req, *reply;
	char *err = NULL;
	char *text;
	int r;

	reply = json_object_new_object();
	if (!reply)
		return -ENOMEM;
	json_object_object_add(reply, "ok", json_object_new_boolean(true));
	req = parse_json(line, &err);
	if (req && !json_object_is_type(req, json_type_object)) {
		err = errorf("a control request is a JSON object");
		r = -EINVAL;
	} else if (req) {
		r = control_apply(s, req, reply, &err);
	} else {
		r = -EINVAL;
	}
	json_object_put(req);

	if (r == -ENOMEM && !err) {
		json_object_put(reply);
		return -ENOMEM;
	}
	if (r < 0) {
		json_object_put(reply);
		reply = json_object_new_object();
		if (!reply) {
			free(err);
			return -ENOMEM;
		}
		json_object_object_add(reply, "ok",
				       json_object_new_boolean(false));
		json_object_object_add(
			reply, "error",
			json_object_new_string(err ? err : "out of memory"));
	}
	free(err);
	text = strdup(json_object_to_json_string_ext(
		reply,
		JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(reply);
	if (!text)
		return -ENOMEM;
	*ret_reply = text;
	return 0;
}
