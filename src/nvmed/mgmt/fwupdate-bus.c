// SPDX-License-Identifier: Apache-2.0
/*
 * Firmware update's objects (fwupdate.h): the running firmware's and the
 * last update's vtables, StartUpdate, and the feature as the
 * orchestrator drives it.
 */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus-util.h"
#include "dbus-names.h"
#include "drive.h"
#include "fmt.h"
#include "fwupdate.h"
#include "log.h"
#include "macros.h"

/* ---- the running firmware's object ------------------------------------ */

static int get_running_version(sd_bus *bus, const char *path, const char *iface,
			       const char *prop, sd_bus_message *reply,
			       void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;

	return bus_append_string(reply, md->d->firmware);
}

static int get_const(sd_bus *bus, const char *path, const char *iface,
		     const char *prop, sd_bus_message *reply, void *userdata,
		     sd_bus_error *error)
{
	if (strcmp(prop, "Purpose") == 0)
		return sd_bus_message_append(reply, "s", ENUM_PURPOSE_OTHER);
	if (strcmp(prop, "Activation") == 0)
		return sd_bus_message_append(reply, "s",
					     ENUM_ACTIVATIONS "Active");
	return sd_bus_message_append(reply, "s",
				     ENUM_REQUESTED_ACTIVATIONS "None");
}

static int get_apply_times(sd_bus *bus, const char *path, const char *iface,
			   const char *prop, sd_bus_message *reply,
			   void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;

	if (fwupdate_immediate_allowed(md))
		return sd_bus_message_append(reply, "as", 2,
					     ENUM_APPLY_TIMES "Immediate",
					     ENUM_APPLY_TIMES "OnReset");
	return sd_bus_message_append(reply, "as", 1,
				     ENUM_APPLY_TIMES "OnReset");
}

static int get_running_assoc(sd_bus *bus, const char *path, const char *iface,
			     const char *prop, sd_bus_message *reply,
			     void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;

	return sd_bus_message_append(reply, "a(sss)", 1, "running", "ran_on",
				     md->d->drive_path);
}

/* ---- the update's object ---------------------------------------------- */

static int get_activation(sd_bus *bus, const char *path, const char *iface,
			  const char *prop, sd_bus_message *reply,
			  void *userdata, sd_bus_error *error)
{
	struct fwupdate *u = userdata;

	if (strcmp(prop, "RequestedActivation") == 0)
		return sd_bus_message_append(
			reply, "s", ENUM_REQUESTED_ACTIVATIONS "Active");
	return sd_bus_message_append(
		reply, "s",
		fwupdate_activation_names[fw_phase_activation(u->st.phase)]);
}

static int get_update_version(sd_bus *bus, const char *path, const char *iface,
			      const char *prop, sd_bus_message *reply,
			      void *userdata, sd_bus_error *error)
{
	struct fwupdate *u = userdata;

	if (strcmp(prop, "Purpose") == 0)
		return sd_bus_message_append(reply, "s", ENUM_PURPOSE_OTHER);
	return bus_append_string(reply, u->version);
}

static int get_update_assoc(sd_bus *bus, const char *path, const char *iface,
			    const char *prop, sd_bus_message *reply,
			    void *userdata, sd_bus_error *error)
{
	struct fwupdate *u = userdata;

	return sd_bus_message_append(reply, "a(sss)", 1, "activating",
				     "activated_by", u->md->d->drive_path);
}

static int method_start_update(sd_bus_message *m, void *userdata,
			       sd_bus_error *error);

/* clang-format off */
static const sd_bus_vtable version_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_running_version, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Purpose", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable activation_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Activation", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("RequestedActivation", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable update_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_NAMES("StartUpdate", "hs",
				 SD_BUS_PARAM(Image) SD_BUS_PARAM(ApplyTime),
				 "o", SD_BUS_PARAM(ObjectPath),
				 method_start_update,
				 SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_PROPERTY("AllowedApplyTimes", "as", get_apply_times, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_running_assoc, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable update_activation_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Activation", "s", get_activation, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("RequestedActivation", "s", get_activation, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable update_progress_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Progress", "y", NULL,
			offsetof(struct fwupdate, progress),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable update_version_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_update_version, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Purpose", "s", get_update_version, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable update_assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", get_update_assoc, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};
/* clang-format on */

/* Each object's interfaces, in the order they are added. */
static const struct mgmt_iface ifaces[] = {
	{ FW_OBJ_RUNNING, IFACE_SW_VERSION, version_vtable },
	{ FW_OBJ_RUNNING, IFACE_SW_ACTIVATION, activation_vtable },
	{ FW_OBJ_RUNNING, IFACE_SW_UPDATE, update_vtable },
	{ FW_OBJ_RUNNING, IFACE_ASSOC, assoc_vtable },
	{ FW_OBJ_UPDATE, IFACE_SW_ACTIVATION, update_activation_vtable },
	{ FW_OBJ_UPDATE, IFACE_SW_PROGRESS, update_progress_vtable },
	{ FW_OBJ_UPDATE, IFACE_SW_VERSION, update_version_vtable },
	{ FW_OBJ_UPDATE, IFACE_ASSOC, update_assoc_vtable },
};

/* Add the interfaces of object at path, n slots. */
static int add_object(struct mgmt_drive *md, unsigned object, const char *path,
		      sd_bus_slot **slots, size_t n, void *userdata)
{
	size_t k = 0;
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(ifaces); i++) {
		if (ifaces[i].object != object)
			continue;
		assert(k < n);
		r = mgmt_add_vtable(md, &slots[k++], path, ifaces[i].iface,
				    ifaces[i].vtable, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- StartUpdate -------------------------------------------------------- */

static int update_publish(struct fwupdate *u)
{
	sd_bus *bus = mgmt_bus(u->md);
	int r;

	u->path = fmt_alloc("%s_update", u->md->sw_path);
	if (!u->path)
		return -ENOMEM;
	r = add_object(u->md, FW_OBJ_UPDATE, u->path, u->slots,
		       ARRAY_SIZE(u->slots), u);
	if (r >= 0)
		(void)sd_bus_emit_object_added(bus, u->path);
	return r;
}

static int start_update(sd_bus_message *m, struct mgmt_drive *md,
			sd_bus_error *error)
{
	enum admin_commit_action action = ADMIN_CA_REPLACE_ACTIVATE_RESET;
	const char *apply;
	struct fwupdate *u;
	unsigned slot = 0;
	uint64_t size = 0;
	int fd, r;

	r = sd_bus_message_read(m, "hs", &fd, &apply);
	if (r < 0)
		return r;
	fd = fwupdate_check(md, fd, apply, &slot, &action, &size, error);
	if (fd < 0)
		return fd;
	u = fwupdate_new(md, fd, size, slot, action);
	if (!u)
		return -ENOMEM;
	r = update_publish(u);
	if (r < 0) {
		fwupdate_discard(md);
		return r;
	}
	fwupdate_run(u);
	return sd_bus_reply_method_return(m, "o", u->path);
}

static int method_start_update(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, start_update);
}

/* ---- the feature -------------------------------------------------------- */

static int fwupdate_bus_check(void)
{
	return mgmt_check_props(fwupdate_props, ARRAY_SIZE(fwupdate_props),
				ifaces, ARRAY_SIZE(ifaces));
}

static void fwupdate_remove(struct mgmt_drive *md)
{
	struct fwupdate_drive *fd = fwupdate_drive(md);

	if (!fd)
		return;
	fwupdate_discard(md);
	(void)sd_bus_emit_object_removed(mgmt_bus(md), md->sw_path);
	for (size_t i = 0; i < ARRAY_SIZE(fd->slots); i++)
		sd_bus_slot_unref(fd->slots[i]);
	mgmt_feature_free(md, MGMT_FWUPDATE);
}

/* The running firmware's object, announced (the drive's own objects
 * announce the other features' interfaces). */
static int fwupdate_add(struct mgmt_drive *md)
{
	struct fwupdate_drive *fd =
		mgmt_feature_new(md, MGMT_FWUPDATE, sizeof(*fd));
	int r;

	if (!fd)
		return -ENOMEM;
	r = add_object(md, FW_OBJ_RUNNING, md->sw_path, fd->slots,
		       ARRAY_SIZE(fd->slots), md);
	if (r < 0)
		return r;
	r = sd_bus_emit_object_added(mgmt_bus(md), md->sw_path);
	if (r < 0)
		log_debug_errno(r, "Cannot announce %s", md->sw_path);
	return 0;
}

const struct mgmt_feature fwupdate_feature = {
	.check = fwupdate_bus_check,
	.add = fwupdate_add,
	.remove = fwupdate_remove,
	.caps_known = fwupdate_caps_known,
	.drive_changed = fwupdate_drive_changed,
};
