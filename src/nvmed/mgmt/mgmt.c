// SPDX-License-Identifier: Apache-2.0
/*
 * Drive management: the per-drive state, the access check, the
 * re-reading of Identify, firmware slots and namespaces, the volumes,
 * and GetLogPage. See mgmt.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbus-names.h"
#include "access.h"
#include "bus-util.h"
#include "drive.h"
#include "emconfig.h"
#include "fmt.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "errors.h"
#include "mgmt.h"

#define LOG_TIMEOUT_MS 5000
#define LOG_PAGE_MAX   65536
/* GetLogPage calls waiting for one drive at a time: beyond, the caller
 * is told to come back rather than queueing without bound. */
#define LOG_READS_MAX	  8
#define IDENTIFY_CTRL_LEN 512 /* the management fields end at 331 */
#define IDENTIFY_NS_LEN	  384 /* LBA formats 0..63 end at 383 */

enum refresh_step {
	REFRESH_IDLE,
	REFRESH_CTRL,
	REFRESH_FW_SLOTS,
	REFRESH_NS_LIST,
	REFRESH_NS,
};

/* prefix/<what>: <what> named after the drive (fmt), made a segment as
 * entity-manager and sdbusplus make one of a name, so that object_path's
 * filename() reads the name back (emconfig.h emc_escape). */
_printf_(2, 3) static char *drive_leaf_path(const char *prefix, const char *fmt,
					    ...)
{
	_cleanup_free_ char *raw = NULL, *seg = NULL;
	va_list ap;

	va_start(ap, fmt);
	raw = fmt_allocv(fmt, ap);
	va_end(ap);
	if (raw)
		seg = emc_escape(raw);
	return seg ? fmt_alloc("%s/%s", prefix, seg) : NULL;
}

uint64_t mgmt_now_realtime_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- access and reachability ------------------------------------------ */

static struct mgmt_drive *find_by_path(struct mgmt *g, const char *path)
{
	for (struct mgmt_drive *md = g->drives; path && md; md = md->next)
		if (strcmp(path, md->sw_path) == 0 ||
		    strcmp(path, md->d->drive_path) == 0 ||
		    strcmp(path, md->d->controller_path) == 0)
			return md;
	return NULL;
}

struct authorization {
	struct mgmt *g;
	mgmt_method_t method;
};

static void refuse(struct mgmt *g, sd_bus_error *error)
{
	if (g->have_group)
		sd_bus_error_setf(error, ERR_ACCESS,
				  "Drive management is for root and group "
				  "'%s' only",
				  g->group_name);
	else
		sd_bus_error_set(error, ERR_ACCESS,
				 "Drive management is for root only");
}

/* The caller's credentials came: the method, or the refusal. The drive
 * is looked up again by the call's path: it may have gone meanwhile. */
static void on_checked(sd_bus_message *m, int allowed, void *userdata)
{
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	struct authorization *a = userdata;
	struct mgmt_drive *md = find_by_path(a->g, sd_bus_message_get_path(m));
	int r = -EACCES;

	if (allowed < 0)
		log_warning_errno(allowed, "Cannot tell who called %s.%s",
				  sd_bus_message_get_interface(m),
				  sd_bus_message_get_member(m));
	if (allowed <= 0)
		refuse(a->g, &error);
	else if (!md)
		r = sd_bus_error_set(&error, ERR_UNAVAILABLE,
				     "The drive was removed");
	else
		r = a->method(m, md, &error);
	if (r < 0 && sd_bus_error_is_set(&error))
		(void)sd_bus_reply_method_error(m, &error);
	else if (r < 0)
		(void)sd_bus_reply_method_errno(m, r, NULL);
	free(a);
}

int mgmt_authorize(struct mgmt_drive *md, sd_bus_message *m,
		   mgmt_method_t method)
{
	struct authorization *a = malloc(sizeof(*a));
	int r;

	if (!a)
		return -ENOMEM;
	*a = (struct authorization){ .g = md->g, .method = method };
	r = bus_sender_check_async(m, (gid_t)md->g->group, md->g->have_group,
				   on_checked, a);
	if (r < 0) {
		free(a);
		return log_error_errno(r, "Cannot ask who called %s",
				       sd_bus_message_get_member(m));
	}
	return 1;
}

bool mgmt_reachable(struct mgmt_drive *md, sd_bus_error *error)
{
	struct drive *d = md->d;

	if (d->have_endpoint && d->available && md->have_caps)
		return true;
	sd_bus_error_setf(error, ERR_UNAVAILABLE,
			  "Drive '%s' is not answering%s", d->name,
			  d->have_endpoint ? "" : " (no MCTP endpoint)");
	if (d->have_endpoint && !md->have_caps)
		mgmt_refresh(md);
	return false;
}

int mgmt_admin(struct mgmt_drive *md, const struct mi_admin_cmd *c,
	       const void *dout, size_t dout_len, size_t din_len,
	       void (*done)(int r, const uint8_t *data, size_t len,
			    void *userdata),
	       void *userdata, struct iowork_req **ret)
{
	struct drive *d = md->d;

	if (!d->have_endpoint)
		return -ENOTCONN;
	return iowork_admin(d->m->iowork, d->net, d->eid, c, dout, dout_len,
			    din_len, done, userdata, ret);
}

int mgmt_read_log(struct mgmt_drive *md, uint8_t lid, size_t len,
		  unsigned timeout_ms,
		  void (*done)(int r, const uint8_t *data, size_t len,
			       void *userdata),
		  void *userdata, struct iowork_req **ret)
{
	struct mi_admin_cmd c;

	admin_get_log(&c, lid, 0xffffffffu, 0, 0, 0, len);
	c.timeout_ms = timeout_ms;
	return mgmt_admin(md, &c, NULL, 0, len, done, userdata, ret);
}

/* ---- volumes ------------------------------------------------------------ */

#define V(field) offsetof(struct volume, field)

static int get_false(sd_bus *bus, const char *path, const char *iface,
		     const char *prop, sd_bus_message *reply, void *userdata,
		     sd_bus_error *error)
{
	return sd_bus_message_append(reply, "b", 0);
}

static int get_block_size(sd_bus *bus, const char *path, const char *iface,
			  const char *prop, sd_bus_message *reply,
			  void *userdata, sd_bus_error *error)
{
	struct volume *v = userdata;

	return sd_bus_message_append(reply, "t", (uint64_t)v->ns.block_size);
}

static int get_volume_assoc(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	struct volume *v = userdata;

	return sd_bus_message_append(reply, "a(sss)", 2, "contained",
				     "containing", NVMED_STORAGE_PATH,
				     "attached", "attaching",
				     v->md->d->controller_path);
}

/* clang-format off */
static const sd_bus_vtable item_volume_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Locked", "b", get_false, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Size", "t", NULL, V(ns.size),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("BlockSize", "t", get_block_size, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable nvme_volume_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("NamespaceId", "u", NULL, V(nsid),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("LBAFormat", "y", NULL, V(ns.format),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("MetadataSize", "q", NULL, V(ns.metadata),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Capacity", "t", NULL, V(ns.capacity),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("Utilization", "t", NULL, V(ns.used),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable volume_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_volume_assoc, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

static void volumes_drop(struct mgmt_drive *md)
{
	for (size_t i = 0; i < md->n_volumes; i++) {
		struct volume *v = &md->volumes[i];

		(void)sd_bus_emit_object_removed(md->d->m->bus, v->path);
		for (size_t k = 0; k < ARRAY_SIZE(v->slots); k++)
			sd_bus_slot_unref(v->slots[k]);
		free(v->path);
	}
	free(md->volumes);
	md->volumes = NULL;
	md->n_volumes = 0;
}

static int volume_add(struct mgmt_drive *md, struct volume *v)
{
	sd_bus *bus = md->d->m->bus;
	int r;

	v->path = drive_leaf_path(NVMED_STORAGE_PATH "/volume", "%s_%u",
				  md->d->drive_name, v->nsid);
	if (!v->path)
		return -ENOMEM;
	r = sd_bus_add_object_vtable(bus, &v->slots[0], v->path,
				     IFACE_ITEM_VOLUME, item_volume_vtable, v);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, &v->slots[1], v->path,
					     IFACE_NVME_VOLUME,
					     nvme_volume_vtable, v);
	if (r >= 0)
		r = sd_bus_add_object_vtable(bus, &v->slots[2], v->path,
					     IFACE_ASSOC, volume_assoc_vtable,
					     v);
	if (r >= 0)
		(void)sd_bus_emit_object_added(bus, v->path);
	return r;
}

/* Field by field: the struct's padding holds nothing to compare. */
static bool namespace_same(const struct admin_namespace *a,
			   const struct admin_namespace *b)
{
	return a->size == b->size && a->capacity == b->capacity &&
	       a->used == b->used && a->block_size == b->block_size &&
	       a->metadata == b->metadata && a->format == b->format;
}

static bool volumes_same(const struct mgmt_drive *md)
{
	if (md->n_volumes != md->n_ns_ids)
		return false;
	for (size_t i = 0; i < md->n_volumes; i++)
		if (md->volumes[i].nsid != md->ns_ids[i] ||
		    !namespace_same(&md->volumes[i].ns, &md->ns_new[i]))
			return false;
	return true;
}

/* Publish what the refresh read, when it differs from what is out. */
static void volumes_publish(struct mgmt_drive *md)
{
	size_t n = md->n_ns_ids;
	int r;

	if (volumes_same(md))
		return;
	volumes_drop(md);
	if (n == 0)
		return;
	md->volumes = calloc(n, sizeof(*md->volumes));
	if (!md->volumes) {
		log_oom();
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct volume *v = &md->volumes[md->n_volumes++];

		v->md = md;
		v->nsid = md->ns_ids[i];
		v->ns = md->ns_new[i];
		r = volume_add(md, v);
		if (r < 0)
			log_error_errno(r,
					"Drive '%s': cannot publish "
					"namespace %u",
					md->d->name, v->nsid);
	}
	log_info("Drive '%s': %zu namespace%s", md->d->name, n,
		 n == 1 ? "" : "s");
}

/* ---- the refresh: Identify, firmware slots, namespaces ---------------- */

static void refresh_send(struct mgmt_drive *md);

/* The refresh stops (what is published stays); one asked for meanwhile
 * starts over. */
static void refresh_failed(struct mgmt_drive *md, int r, const char *what)
{
	char buf[96];

	log_warning("Drive '%s': %s for drive management: %s", md->d->name,
		    what, admin_status_str(r, buf, sizeof(buf)));
	md->refresh_step = REFRESH_IDLE;
	if (md->refresh_again) {
		md->refresh_again = false;
		mgmt_refresh(md);
	}
}

/* What the caps decide (AllowedApplyTimes, SupportedActions) is known
 * now, or changed. */
static void caps_announce(struct mgmt_drive *md)
{
	fwupdate_caps_known(md);
	sanitize_caps_known(md);
}

static int refresh_decode(struct mgmt_drive *md, const uint8_t *data,
			  size_t len)
{
	int r = 0;

	switch (md->refresh_step) {
	case REFRESH_CTRL: {
		struct admin_ctrl_caps old = md->caps;

		r = admin_decode_caps(data, len, &md->caps);
		/* a firmware change may change them (FRMW, SANICAP) */
		if (r >= 0 && md->have_caps &&
		    (old.sanicap != md->caps.sanicap ||
		     old.activate_no_reset != md->caps.activate_no_reset))
			caps_announce(md);
		md->refresh_step = REFRESH_FW_SLOTS;
		break;
	}
	case REFRESH_FW_SLOTS:
		r = admin_decode_fw_slots(data, len, &md->fw);
		if (r >= 0) {
			bool had = md->have_caps;

			md->have_caps = true;
			if (!had)
				caps_announce(md);
		}
		md->refresh_step = REFRESH_NS_LIST;
		break;
	case REFRESH_NS_LIST:
		md->n_ns_ids = admin_decode_ns_list(data, len, md->ns_ids,
						    MGMT_NS_MAX);
		md->ns_next = 0;
		md->refresh_step = REFRESH_NS;
		break;
	case REFRESH_NS:
		r = admin_decode_namespace(data, len, &md->ns_new[md->ns_next]);
		if (r >= 0) {
			md->ns_next++;
			break;
		}
		/* a namespace the drive describes wrongly is left out; the
		 * others are published */
		log_warning("Drive '%s': Identify Namespace %u: impossible "
			    "LBA format or short reply; not published",
			    md->d->name, md->ns_ids[md->ns_next]);
		memmove(md->ns_ids + md->ns_next, md->ns_ids + md->ns_next + 1,
			(md->n_ns_ids - md->ns_next - 1) * sizeof(*md->ns_ids));
		md->n_ns_ids--;
		r = 0;
		break;
	}
	return r;
}

static const char *const refresh_what[] = {
	[REFRESH_CTRL] = "Identify Controller",
	[REFRESH_FW_SLOTS] = "Get Log Page Firmware Slot Information",
	[REFRESH_NS_LIST] = "Identify Active Namespace ID list",
	[REFRESH_NS] = "Identify Namespace",
};

static void refresh_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct mgmt_drive *md = ud;
	enum refresh_step step = md->refresh_step; /* decoding moves it on */

	md->refresh_req = NULL;
	if (r == 0)
		r = refresh_decode(md, data, len);
	if (r != 0) {
		refresh_failed(md, r, refresh_what[step]);
		return;
	}
	if (md->refresh_step == REFRESH_NS && md->ns_next == md->n_ns_ids) {
		md->refresh_step = REFRESH_IDLE;
		volumes_publish(md);
		if (md->refresh_again) {
			md->refresh_again = false;
			mgmt_refresh(md);
		}
		return;
	}
	refresh_send(md);
}

static void refresh_send(struct mgmt_drive *md)
{
	struct mi_admin_cmd c;
	size_t len;
	int r;

	switch (md->refresh_step) {
	case REFRESH_CTRL:
		admin_identify(&c, 0x01, 0);
		len = IDENTIFY_CTRL_LEN;
		break;
	case REFRESH_FW_SLOTS:
		admin_get_log(&c, ADMIN_LOG_FW_SLOT, 0xffffffffu, 0, 0, 0,
			      ADMIN_LOG_FW_SLOT_LEN);
		len = ADMIN_LOG_FW_SLOT_LEN;
		break;
	case REFRESH_NS_LIST:
		admin_identify(&c, 0x02, 0);
		len = ADMIN_XFER_MAX;
		break;
	default:
		admin_identify(&c, 0x00, md->ns_ids[md->ns_next]);
		len = IDENTIFY_NS_LEN;
		break;
	}
	c.timeout_ms = LOG_TIMEOUT_MS;
	r = mgmt_admin(md, &c, NULL, 0, len, refresh_done, md,
		       &md->refresh_req);
	if (r < 0)
		refresh_failed(md, r, refresh_what[md->refresh_step]);
}

void mgmt_refresh(struct mgmt_drive *md)
{
	if (md->refresh_step != REFRESH_IDLE) {
		md->refresh_again = true;
		return;
	}
	if (!md->d->have_endpoint)
		return;
	md->refresh_step = REFRESH_CTRL;
	refresh_send(md);
}

/* ---- GetLogPage --------------------------------------------------------- */

struct logread {
	struct mgmt_drive *md;
	struct logread *next;
	sd_bus_message *call;
	struct iowork_req *req;
	uint8_t lid, lsp;
	uint16_t lsi;
	uint32_t nsid;
	size_t len, got;
	uint8_t *buf;
};

static struct logread *logread_free(struct logread *l)
{
	struct logread **p;

	if (!l)
		return NULL;
	for (p = &l->md->logs; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	iowork_cancel(l->req);
	sd_bus_message_unref(l->call);
	free(l->buf);
	free(l);
	return NULL;
}

static void logread_send(struct logread *l);

static void logread_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct logread *l = ud;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	char what[64];

	l->req = NULL;
	if (r == 0) {
		memcpy(l->buf + l->got, data, len);
		l->got += len;
		if (l->got < l->len) {
			logread_send(l);
			return;
		}
		r = sd_bus_message_new_method_return(l->call, &reply);
		if (r >= 0)
			r = sd_bus_message_append_array(reply, 'y', l->buf,
							l->len);
		if (r >= 0)
			r = sd_bus_send(NULL, reply, NULL);
		if (r < 0)
			log_debug_errno(r, "Cannot reply to GetLogPage");
		logread_free(l);
		return;
	}
	snprintf(what, sizeof(what), "Get Log Page 0x%02x of drive '%s'",
		 l->lid, l->md->d->name);
	nvmed_command_error(&error, r, ERR_INVALID_ARG, what);
	(void)sd_bus_reply_method_error(l->call, &error);
	logread_free(l);
}

static void logread_send(struct logread *l)
{
	size_t n = l->len - l->got;
	struct mi_admin_cmd c;
	int r;

	if (n > ADMIN_XFER_MAX)
		n = ADMIN_XFER_MAX;
	admin_get_log(&c, l->lid, l->nsid, l->lsp, l->lsi, l->got, n);
	c.timeout_ms = LOG_TIMEOUT_MS;
	r = mgmt_admin(l->md, &c, NULL, 0, n, logread_done, l, &l->req);
	if (r < 0)
		logread_done(r, NULL, 0, l);
}

static unsigned logreads(const struct mgmt_drive *md)
{
	unsigned n = 0;

	for (const struct logread *l = md->logs; l; l = l->next)
		n++;
	return n;
}

static int get_log_page(sd_bus_message *m, struct mgmt_drive *md,
			sd_bus_error *error)
{
	struct logread *l;
	uint32_t nsid, len;
	uint16_t lsi;
	uint8_t lid, lsp;
	int r;

	r = sd_bus_message_read(m, "yuyqu", &lid, &nsid, &lsp, &lsi, &len);
	if (r < 0)
		return r;
	if (len < 4 || len > LOG_PAGE_MAX || len % 4)
		return sd_bus_error_setf(error, ERR_INVALID_ARG,
					 "Length %u: expected 4..%u, a "
					 "multiple of 4",
					 len, LOG_PAGE_MAX);
	if (lsp > 0x7f)
		return sd_bus_error_setf(error, ERR_INVALID_ARG,
					 "LogSpecificField 0x%x: 7 bits", lsp);
	if (!mgmt_reachable(md, error))
		return -EHOSTUNREACH;
	if (logreads(md) >= LOG_READS_MAX)
		return sd_bus_error_setf(error, ERR_UNAVAILABLE,
					 "Drive '%s': %u log page reads are "
					 "waiting already",
					 md->d->name, LOG_READS_MAX);
	l = calloc(1, sizeof(*l));
	if (!l || !(l->buf = malloc(len))) {
		free(l);
		return -ENOMEM;
	}
	*l = (struct logread){ .md = md,
			       .next = md->logs,
			       .call = sd_bus_message_ref(m),
			       .lid = lid,
			       .lsp = lsp,
			       .lsi = lsi,
			       .nsid = nsid,
			       .len = len,
			       .buf = l->buf };
	md->logs = l;
	logread_send(l);
	return 1;
}

static int method_get_log_page(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, get_log_page);
}

/* clang-format off */
const sd_bus_vtable admin_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("GetLogPage", "yuyqu",
				 SD_BUS_PARAM(LogId)
				 SD_BUS_PARAM(NamespaceId)
				 SD_BUS_PARAM(LogSpecificField)
				 SD_BUS_PARAM(LogSpecificId)
				 SD_BUS_PARAM(Length),
				 "ay", SD_BUS_PARAM(Data),
				 method_get_log_page,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

/* ---- the drives --------------------------------------------------------- */

static struct mgmt_drive *find(struct mgmt *g, struct drive *d)
{
	for (struct mgmt_drive *md = g->drives; md; md = md->next)
		if (md->d == d)
			return md;
	return NULL;
}

static bool is_mi(const struct drive *d)
{
	return d->origin == DRIVE_FROM_RECORD ||
	       d->origin == DRIVE_FROM_ENDPOINT || d->origin == DRIVE_FROM_JSON;
}

static void md_free(struct mgmt_drive *md)
{
	fwupdate_free(md);
	sanitize_free(md);
	while (md->logs) {
		sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(
			ERR_UNAVAILABLE, "The drive was removed");

		(void)sd_bus_reply_method_error(md->logs->call, &e);
		logread_free(md->logs);
	}
	iowork_cancel(md->refresh_req);
	volumes_drop(md);
	if (md->sw_path)
		(void)sd_bus_emit_object_removed(md->d->m->bus, md->sw_path);
	for (size_t i = 0; i < ARRAY_SIZE(md->slots); i++)
		sd_bus_slot_unref(md->slots[i]);
	free(md->sw_path);
	free(md);
}

static int md_publish(struct mgmt_drive *md)
{
	struct drive *d = md->d;
	sd_bus *bus = d->m->bus;
	const struct {
		const char *path, *iface;
		const sd_bus_vtable *vtable;
	} objs[] = {
		{ md->sw_path, IFACE_SW_VERSION, fwupdate_version_vtable },
		{ md->sw_path, IFACE_SW_ACTIVATION,
		  fwupdate_activation_vtable },
		{ md->sw_path, IFACE_SW_UPDATE, fwupdate_update_vtable },
		{ md->sw_path, IFACE_ASSOC, fwupdate_assoc_vtable },
		{ d->drive_path, IFACE_SANITIZE, sanitize_vtable },
		{ d->controller_path, IFACE_ADMIN, admin_vtable },
	};
	int r;

	_Static_assert(ARRAY_SIZE(objs) == ARRAY_SIZE(md->slots), "slots");
	for (size_t i = 0; i < ARRAY_SIZE(objs); i++) {
		r = sd_bus_add_object_vtable(bus, &md->slots[i], objs[i].path,
					     objs[i].iface, objs[i].vtable, md);
		if (r < 0)
			return log_error_errno(r,
					       "Drive '%s': cannot add %s at "
					       "%s",
					       d->name, objs[i].iface,
					       objs[i].path);
	}
	r = sd_bus_emit_object_added(bus, md->sw_path);
	if (r < 0)
		log_debug_errno(r, "Cannot announce %s", md->sw_path);
	return 0;
}

int mgmt_drive_add(struct mgmt *g, struct drive *d)
{
	struct mgmt_drive *md;
	int r;

	if (!g || !is_mi(d))
		return 0;
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	md->g = g;
	md->d = d;
	md->sw_path =
		drive_leaf_path(NVMED_SOFTWARE_ROOT, "nvme_%s", d->drive_name);
	if (!md->sw_path) {
		free(md);
		return -ENOMEM;
	}
	r = md_publish(md);
	if (r < 0) {
		md_free(md);
		return r;
	}
	md->next = g->drives;
	g->drives = md;
	return 0;
}

void mgmt_drive_remove(struct mgmt *g, struct drive *d)
{
	struct mgmt_drive **p;

	if (!g)
		return;
	for (p = &g->drives; *p; p = &(*p)->next)
		if ((*p)->d == d) {
			struct mgmt_drive *md = *p;

			*p = md->next;
			md_free(md);
			return;
		}
}

#define IDENTITY_BITS                                            \
	(DRIVE_BIT(DRIVE_SERIAL) | DRIVE_BIT(DRIVE_MODEL) |      \
	 DRIVE_BIT(DRIVE_FIRMWARE) | DRIVE_BIT(DRIVE_CAPACITY) | \
	 DRIVE_BIT(DRIVE_AVAILABLE))

void mgmt_drive_changed(struct mgmt *g, struct drive *d, uint64_t mask)
{
	struct mgmt_drive *md;

	if (!g || !(mask & IDENTITY_BITS))
		return;
	md = find(g, d);
	if (!md)
		return;
	if (mask & (IDENTITY_BITS & ~DRIVE_BIT(DRIVE_AVAILABLE)) ||
	    (d->available && !md->have_caps))
		mgmt_refresh(md);
	fwupdate_drive_changed(md, mask);
}

/* ---- the manager's ------------------------------------------------------ */

int mgmt_new(struct manager *m, const char *group, struct mgmt **ret)
{
	struct mgmt *g = calloc(1, sizeof(*g));
	gid_t gid;
	int r;

	if (!g)
		return -ENOMEM;
	g->m = m;
	g->group_name = group;
	if (group && *group) {
		r = access_group_lookup(group, &gid);
		if (r >= 0) {
			g->have_group = true;
			g->group = gid;
		} else {
			log_info("Management group '%s': %s; drive "
				 "management is for root only",
				 group, strerror(-r));
		}
	}
	r = sd_bus_add_object_manager(m->bus, &g->om_software,
				      NVMED_SOFTWARE_ROOT);
	if (r < 0) {
		free(g);
		return log_error_errno(r, "Cannot add object manager at %s",
				       NVMED_SOFTWARE_ROOT);
	}
	*ret = g;
	return 0;
}

struct mgmt *mgmt_free(struct mgmt *g)
{
	if (!g)
		return NULL;
	while (g->drives) {
		struct mgmt_drive *md = g->drives;

		g->drives = md->next;
		md_free(md);
	}
	sd_bus_slot_unref(g->om_software);
	free(g);
	return NULL;
}
