// SPDX-License-Identifier: Apache-2.0
/*
 * Sanitize's objects (sanitize.h): Nvme.Sanitize on the drive, the
 * progress object, and the feature as the orchestrator drives it.
 */
#include <errno.h>
#include <stdlib.h>

#include "dbus-names.h"
#include "drive.h"
#include "fmt.h"
#include "log.h"
#include "macros.h"
#include "sanitize.h"

static int get_supported(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "s");
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(sanitize_actions); i++)
		if (md->have_caps &&
		    (md->caps.sanicap & sanitize_actions[i].cap)) {
			_cleanup_free_ char *s =
				fmt_alloc(ENUM_SANITIZE_ACTIONS "%s",
					  sanitize_actions[i].name);

			r = s ? sd_bus_message_append(reply, "s", s) : -ENOMEM;
		}
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_progress(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *userdata,
			sd_bus_error *error)
{
	struct sanitize *s = sanitize_drive(userdata)->s;

	return sd_bus_message_append(reply, "y", s ? s->progress : 0);
}

static int get_status(sd_bus *bus, const char *path, const char *iface,
		      const char *prop, sd_bus_message *reply, void *userdata,
		      sd_bus_error *error)
{
	struct sanitize *s = userdata;

	return sd_bus_message_append(
		reply, "s",
		sanitize_status_names[san_phase_status(s->st.phase)]);
}

static int method_sanitize(sd_bus_message *m, void *userdata,
			   sd_bus_error *error);

/* clang-format off */
static const sd_bus_vtable sanitize_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("Sanitize", "s", SD_BUS_PARAM(Action),
				 "o", SD_BUS_PARAM(Progress),
				 method_sanitize, SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_PROPERTY("SupportedActions", "as", get_supported, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Progress", "y", get_progress, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable progress_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Status", "s", get_status, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("StartTime", "t", NULL,
			offsetof(struct sanitize, start_time),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("CompletedTime", "t", NULL,
			offsetof(struct sanitize, completed_time),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

static const struct mgmt_iface ifaces[] = {
	{ SAN_OBJ_DRIVE, IFACE_SANITIZE, sanitize_vtable },
	{ SAN_OBJ_PROGRESS, IFACE_PROGRESS, progress_vtable },
};

/* The progress object, once the drive took the command. */
static int publish_progress(struct sanitize *s)
{
	sd_bus *bus = mgmt_bus(s->md);
	int r;

	s->path = fmt_alloc("%s/sanitize", s->md->d->drive_path);
	if (!s->path)
		return -ENOMEM;
	r = sd_bus_add_object_vtable(bus, &s->slot, s->path, IFACE_PROGRESS,
				     progress_vtable, s);
	if (r >= 0)
		(void)sd_bus_emit_object_added(bus, s->path);
	return r;
}

static int start_sanitize(sd_bus_message *m, struct mgmt_drive *md,
			  sd_bus_error *error)
{
	const char *arg;
	int r;

	r = sd_bus_message_read(m, "s", &arg);
	if (r < 0)
		return r;
	return sanitize_start(md, m, arg, publish_progress, error);
}

static int method_sanitize(sd_bus_message *m, void *userdata,
			   sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, start_sanitize);
}

/* ---- the feature -------------------------------------------------------- */

static int sanitize_bus_check(void)
{
	return mgmt_check_props(sanitize_props, ARRAY_SIZE(sanitize_props),
				ifaces, ARRAY_SIZE(ifaces));
}

static void sanitize_remove(struct mgmt_drive *md)
{
	struct sanitize_drive *sd = sanitize_drive(md);

	if (!sd)
		return;
	sanitize_discard(md);
	sd_bus_slot_unref(sd->slot);
	mgmt_feature_free(md, MGMT_SANITIZE);
}

/* Nvme.Sanitize on the drive's object: the drive's announcement carries
 * it. */
static int sanitize_add(struct mgmt_drive *md)
{
	struct sanitize_drive *sd =
		mgmt_feature_new(md, MGMT_SANITIZE, sizeof(*sd));

	if (!sd)
		return -ENOMEM;
	return mgmt_add_vtable(md, &sd->slot, md->d->drive_path, IFACE_SANITIZE,
			       sanitize_vtable, md);
}

const struct mgmt_feature sanitize_feature = {
	.check = sanitize_bus_check,
	.add = sanitize_add,
	.remove = sanitize_remove,
	.caps_known = sanitize_caps_known,
};
