// SPDX-License-Identifier: Apache-2.0
/*
 * Drive management's orchestrator: the drives, the re-reading of
 * Identify, firmware slots and namespaces, and what it means for the
 * features. See mgmt.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "dbus-names.h"
#include "drive.h"
#include "fwupdate.h"
#include "iowork.h"
#include "log.h"
#include "logpage.h"
#include "macros.h"
#include "manager.h"
#include "mgmt.h"
#include "sanitize.h"
#include "volume.h"

#define REFRESH_TIMEOUT_MS 5000
#define IDENTIFY_CTRL_LEN  512 /* the management fields end at 331 */
#define IDENTIFY_NS_LEN	   384 /* LBA formats 0..63 end at 383 */

/* The features, in the order their objects are added; removed in the
 * reverse order. */
static const struct mgmt_feature *const features[] = {
	&fwupdate_feature,
	&sanitize_feature,
	&logpage_feature,
	&volume_feature,
};

enum refresh_step {
	REFRESH_IDLE,
	REFRESH_CTRL,
	REFRESH_FW_SLOTS,
	REFRESH_NS_LIST,
	REFRESH_NS,
};

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
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i]->caps_known)
			features[i]->caps_known(md);
}

static void refreshed(struct mgmt_drive *md)
{
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i]->refreshed)
			features[i]->refreshed(md);
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
		refreshed(md);
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
	c.timeout_ms = REFRESH_TIMEOUT_MS;
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
	for (size_t i = ARRAY_SIZE(features); i-- > 0;)
		if (features[i]->remove)
			features[i]->remove(md);
	iowork_cancel(md->refresh_req);
	free(md->sw_path);
	free(md);
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
		mgmt_leaf_path(NVMED_SOFTWARE_ROOT, "nvme_%s", d->drive_name);
	if (!md->sw_path) {
		free(md);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ARRAY_SIZE(features); i++) {
		r = features[i]->add ? features[i]->add(md) : 0;
		if (r < 0) {
			md_free(md);
			return r;
		}
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
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i]->drive_changed)
			features[i]->drive_changed(md, mask);
}

/* ---- the manager's ------------------------------------------------------ */

int mgmt_new(struct manager *m, const char *group, struct mgmt **ret)
{
	struct mgmt *g;
	gid_t gid;
	int r;

	/* every property a feature emits is published, checked once */
	for (size_t i = 0; i < ARRAY_SIZE(features); i++)
		if (features[i]->check) {
			r = features[i]->check();
			if (r < 0)
				return r;
		}
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->m = m;
	g->group_name = group;
	g->refresh = mgmt_refresh;
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
