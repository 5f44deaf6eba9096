// SPDX-License-Identifier: Apache-2.0
/*
 * The core of drive management: the admin channel, authorisation,
 * reachability, the confirmation after a lost answer, the busy claim.
 * See core.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "access.h"
#include "bus-util.h"
#include "core.h"
#include "dbus-names.h"
#include "drive.h"
#include "emconfig.h"
#include "fmt.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"

char *mgmt_leaf_path(const char *prefix, const char *fmt, ...)
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

void *mgmt_feature_new(struct mgmt_drive *md, enum mgmt_feature_id id,
		       size_t size)
{
	md->feature[id] = calloc(1, size);
	return md->feature[id];
}

void mgmt_feature_free(struct mgmt_drive *md, enum mgmt_feature_id id)
{
	free(md->feature[id]);
	md->feature[id] = NULL;
}

int mgmt_add_vtable(struct mgmt_drive *md, sd_bus_slot **slot, const char *path,
		    const char *iface, const sd_bus_vtable *vtable,
		    void *userdata)
{
	int r = sd_bus_add_object_vtable(mgmt_bus(md), slot, path, iface,
					 vtable, userdata);

	if (r < 0)
		return log_error_errno(r, "Drive '%s': cannot add %s at %s",
				       md->d->name, iface, path);
	return 0;
}

sd_bus *mgmt_bus(const struct mgmt_drive *md)
{
	return md->d->m->bus;
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

void mgmt_request_refresh(struct mgmt_drive *md)
{
	if (md->g->refresh)
		md->g->refresh(md);
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
		mgmt_request_refresh(md);
	return false;
}

/* ---- the admin channel -------------------------------------------------- */

int mgmt_admin(struct mgmt_drive *md, const struct mi_admin_cmd *c,
	       const void *dout, size_t dout_len, size_t din_len,
	       mgmt_done_t done, void *userdata, struct iowork_req **ret)
{
	struct drive *d = md->d;

	if (!d->have_endpoint)
		return -ENOTCONN;
	return iowork_admin(d->m->iowork, d->net, d->eid, c, dout, dout_len,
			    din_len, done, userdata, ret);
}

int mgmt_read_log(struct mgmt_drive *md, uint8_t lid, size_t len,
		  unsigned timeout_ms, mgmt_done_t done, void *userdata,
		  struct iowork_req **ret)
{
	struct mi_admin_cmd c;

	admin_get_log(&c, lid, 0xffffffffu, 0, 0, 0, len);
	c.timeout_ms = timeout_ms;
	return mgmt_admin(md, &c, NULL, 0, len, done, userdata, ret);
}

static void confirm_read(int r, const uint8_t *data, size_t len, void *ud)
{
	struct mgmt_confirm *c = ud;
	bool took = r == 0 && c->taken(data, len, c->userdata);

	c->done(took ? 0 : c->lost_r, NULL, 0, c->userdata);
}

int mgmt_confirm(struct mgmt_drive *md, struct mgmt_confirm *c, int lost_r,
		 uint8_t lid, size_t len, unsigned timeout_ms,
		 bool (*taken)(const uint8_t *data, size_t len, void *userdata),
		 mgmt_done_t done, void *userdata, struct iowork_req **ret)
{
	*c = (struct mgmt_confirm){ .lost_r = lost_r,
				    .taken = taken,
				    .done = done,
				    .userdata = userdata };
	return mgmt_read_log(md, lid, len, timeout_ms, confirm_read, c, ret);
}

/* ---- the busy claim ----------------------------------------------------- */

const struct mgmt_claim *mgmt_claimed(const struct mgmt_drive *md)
{
	return md->claim;
}

int mgmt_claim(struct mgmt_drive *md, const struct mgmt_claim *c,
	       sd_bus_error *error)
{
	if (md->claim)
		return sd_bus_error_setf(error, ERR_UNAVAILABLE,
					 "Drive '%s': %s is running",
					 md->d->name, md->claim->what);
	md->claim = c;
	return 0;
}

void mgmt_release(struct mgmt_drive *md, const struct mgmt_claim *c)
{
	if (md->claim == c)
		md->claim = NULL;
}

/* ---- what the features emit --------------------------------------------- */

static const sd_bus_vtable *find_vtable(const struct mgmt_iface *ifaces,
					size_t n, unsigned object,
					const char *iface)
{
	for (size_t i = 0; i < n; i++)
		if (ifaces[i].object == object &&
		    strcmp(ifaces[i].iface, iface) == 0)
			return ifaces[i].vtable;
	return NULL;
}

int mgmt_check_props(const struct mgmt_prop *props, size_t n_props,
		     const struct mgmt_iface *ifaces, size_t n_ifaces)
{
	for (size_t i = 0; i < n_props; i++) {
		const struct mgmt_prop *p = &props[i];
		const sd_bus_vtable *v =
			find_vtable(ifaces, n_ifaces, p->object, p->iface);

		for (size_t k = 0; k < ARRAY_SIZE(p->names) && p->names[k]; k++)
			if (!v || !bus_vtable_has(v, p->names[k]))
				return log_error_errno(-EINVAL,
						       "Internal error: %s.%s "
						       "is not published",
						       p->iface, p->names[k]);
	}
	return 0;
}

void mgmt_emit(struct mgmt_drive *md, const char *path,
	       const struct mgmt_prop *p)
{
	int r = sd_bus_emit_properties_changed_strv(
		mgmt_bus(md), path, p->iface, (char **)p->names);

	if (r < 0)
		log_debug_errno(r, "Cannot emit %s.%s", p->iface, p->names[0]);
}
