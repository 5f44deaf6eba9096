// SPDX-License-Identifier: Apache-2.0
/*
 * Firmware update through xyz.openbmc_project.Software.Update, the
 * interface OpenBMC's device code updaters serve and bmcweb's
 * UpdateService calls (phosphor-dbus-interfaces
 * yaml/xyz/openbmc_project/Software/Update.interface.yaml; the object
 * layout of openbmc/docs designs/code-update.md: the running version
 * carries Update and a "running"/"ran_on" association to the item, and
 * StartUpdate returns the object whose Activation and
 * ActivationProgress follow the update).
 *
 * The image is read from the caller's descriptor (a memfd or a regular
 * file: bmcweb hands over a memfd) 4 KiB at a time, each piece one
 * Firmware Image Download (NVMe Base 2.0 5.13), then Firmware Commit
 * (5.12) into the slot admin_pick_slot() chose with the action the
 * ApplyTime asks for.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbus-names.h"
#include "bus-util.h"
#include "drive.h"
#include "fmt.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "errors.h"
#include "mgmt.h"

#define IMAGE_MAX (256u << 20)
#define CHUNK	  ADMIN_XFER_MAX
/* Per command: the endpoint's timeout times this, capped (nvmesensor's
 * rework gives a download 10 s): a 4 KiB piece spends 0.42 s on a
 * 100 kHz SMBus before the drive even starts on it. */
#define DOWNLOAD_TIMEOUT_X	10
#define DOWNLOAD_TIMEOUT_MAX_MS 10000
#define COMMIT_TIMEOUT_X	30
#define COMMIT_TIMEOUT_MAX_MS	30000
#define CHUNK_RETRIES		3
/* A staged image: the firmware slot log is read this many poll
 * intervals apart, to see the reset that activates it. */
#define STAGED_CHECK_POLLS 10
/* After an activating commit, how long the drive has to report its new
 * revision through the re-read Identify. */
#define REIDENTIFY_USEC (10 * 1000 * 1000ULL)

enum activation {
	ACT_ACTIVATING,
	ACT_ACTIVE,
	ACT_STAGED,
	ACT_FAILED,
	ACT_INVALID
};

static const char *const activation_names[] = {
	[ACT_ACTIVATING] = ENUM_ACTIVATIONS "Activating",
	[ACT_ACTIVE] = ENUM_ACTIVATIONS "Active",
	[ACT_STAGED] = ENUM_ACTIVATIONS "Staged",
	[ACT_FAILED] = ENUM_ACTIVATIONS "Failed",
	[ACT_INVALID] = ENUM_ACTIVATIONS "Invalid",
};

struct fwupdate {
	struct mgmt_drive *md;
	char *path;
	sd_bus_slot *slots[4];
	int fd;
	uint64_t size, sent;
	unsigned slot, retries;
	unsigned active_before; /* the slot running when the commit went */
	int commit_r; /* < 0: the commit got no answer, the slot log tells */
	enum admin_commit_action action;
	enum activation activation;
	uint8_t progress;
	char *version;
	struct iowork_req *req;
	sd_event_source *timer;
	uint64_t started_usec;
	uint8_t buf[CHUNK];
};

static uint64_t now_monotonic_usec(struct fwupdate *u)
{
	uint64_t t = 0;

	(void)sd_event_now(u->md->d->m->event, CLOCK_MONOTONIC, &t);
	return t;
}

static unsigned scaled_timeout(struct fwupdate *u, unsigned x, unsigned max)
{
	unsigned t = u->md->d->m->timeout_ms * x;

	return t < max ? t : max;
}

bool fwupdate_running(const struct mgmt_drive *md)
{
	return md->update && md->update->activation == ACT_ACTIVATING;
}

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

static bool immediate_allowed(const struct mgmt_drive *md)
{
	return md->have_caps && md->caps.activate_no_reset;
}

static int get_apply_times(sd_bus *bus, const char *path, const char *iface,
			   const char *prop, sd_bus_message *reply,
			   void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;

	if (immediate_allowed(md))
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
	return sd_bus_message_append(reply, "s",
				     activation_names[u->activation]);
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
const sd_bus_vtable fwupdate_version_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Version", "s", get_running_version, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("Purpose", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

const sd_bus_vtable fwupdate_activation_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Activation", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("RequestedActivation", "s", get_const, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

const sd_bus_vtable fwupdate_update_vtable[] = {
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

const sd_bus_vtable fwupdate_assoc_vtable[] = {
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

static const struct {
	const char *iface;
	const sd_bus_vtable *vtable;
} update_ifaces[] = {
	{ IFACE_SW_ACTIVATION, update_activation_vtable },
	{ IFACE_SW_PROGRESS, update_progress_vtable },
	{ IFACE_SW_VERSION, update_version_vtable },
	{ IFACE_ASSOC, update_assoc_vtable },
};

/* ---- the update --------------------------------------------------------- */

static void emit(struct fwupdate *u, const char *iface, const char *prop)
{
	int r = sd_bus_emit_properties_changed(u->md->d->m->bus, u->path, iface,
					       prop, NULL);

	if (r < 0)
		log_debug_errno(r, "Cannot emit %s.%s", iface, prop);
}

static void set_progress(struct fwupdate *u, uint8_t p)
{
	if (u->progress == p)
		return;
	u->progress = p;
	emit(u, IFACE_SW_PROGRESS, "Progress");
}

static void release_io(struct fwupdate *u)
{
	iowork_cancel(TAKE_PTR(u->req));
	u->timer = sd_event_source_disable_unref(u->timer);
	if (u->fd >= 0)
		close(TAKE_FD(u->fd));
}

static void set_version(struct fwupdate *u, const char *v)
{
	char *copy = strdup(v ? v : "");

	if (!copy)
		return;
	free(u->version);
	u->version = copy;
	emit(u, IFACE_SW_VERSION, "Version");
}

static void staged_schedule(struct fwupdate *u);

/* The end of the update: the state it ends in, once. */
static void finish(struct fwupdate *u, enum activation a)
{
	struct drive *d = u->md->d;

	release_io(u);
	u->activation = a;
	if (a == ACT_ACTIVE || a == ACT_STAGED)
		set_progress(u, 100);
	if (a == ACT_ACTIVE)
		set_version(u, d->firmware);
	emit(u, IFACE_SW_ACTIVATION, "Activation");
	if (a == ACT_STAGED)
		staged_schedule(u);
	log_info("Drive '%s': firmware update %s after %.1f s", d->name,
		 activation_names[a] + strlen(ENUM_ACTIVATIONS),
		 (double)(now_monotonic_usec(u) - u->started_usec) / 1e6);
}

static int reidentify_timeout(sd_event_source *es, uint64_t usec, void *ud)
{
	struct fwupdate *u = ud;

	log_warning("Drive '%s': no new firmware revision reported %llu s "
		    "after the commit; %s stays",
		    u->md->d->name, REIDENTIFY_USEC / 1000000ULL,
		    u->md->d->firmware ? u->md->d->firmware : "?");
	finish(u, ACT_ACTIVE);
	return 0;
}

/* The slot log says the committed slot runs and nothing waits for a
 * reset: it was activated; Identify has the new revision. */
static void staged_log_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct admin_fw_slots slots;

	u->req = NULL;
	if (r == 0 && admin_decode_fw_slots(data, len, &slots) == 0 &&
	    slots.active == u->slot && slots.next == 0) {
		log_info("Drive '%s': firmware slot %u active after a reset",
			 u->md->d->name, u->slot);
		drive_reidentify(u->md->d);
		mgmt_refresh(u->md);
		return;
	}
	staged_schedule(u);
}

static int staged_check(sd_event_source *es, uint64_t usec, void *ud)
{
	struct fwupdate *u = ud;
	int r;

	u->timer = sd_event_source_disable_unref(u->timer);
	r = mgmt_read_log(u->md, ADMIN_LOG_FW_SLOT, ADMIN_LOG_FW_SLOT_LEN, 0,
			  staged_log_done, u, &u->req);
	if (r < 0)
		staged_schedule(u);
	return 0;
}

static void staged_schedule(struct fwupdate *u)
{
	struct drive *d = u->md->d;

	u->timer = sd_event_source_disable_unref(u->timer);
	if (sd_event_add_time_relative(d->m->event, &u->timer, CLOCK_MONOTONIC,
				       d->poll_ms * 1000 * STAGED_CHECK_POLLS,
				       0, staged_check, u) < 0)
		log_warning("Drive '%s': cannot watch for the reset that "
			    "activates its firmware",
			    d->name);
}

static void commit_done(int r, const uint8_t *data, size_t len, void *ud);

/* The Firmware Commit got no answer (its reply lost, or late): whether the
 * drive took it shows in the firmware slot log, as the slot that runs now
 * (activate now; another slot ran before) or the one that will run after
 * the next reset. */
static void confirm_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct admin_fw_slots slots;
	bool took = false;

	u->req = NULL;
	if (r == 0 && admin_decode_fw_slots(data, len, &slots) == 0)
		took = u->action == ADMIN_CA_REPLACE_ACTIVATE_NOW ?
			       slots.active == u->slot &&
				       u->active_before != u->slot :
			       slots.next == u->slot;
	if (took)
		log_warning("Drive '%s': the Firmware Commit to slot %u got no "
			    "answer, but the slot log shows it taken",
			    u->md->d->name, u->slot);
	commit_done(took ? 0 : u->commit_r, NULL, 0, u);
}

static int confirm(struct fwupdate *u, int commit_r)
{
	u->commit_r = commit_r;
	return mgmt_read_log(u->md, ADMIN_LOG_FW_SLOT, ADMIN_LOG_FW_SLOT_LEN, 0,
			     confirm_done, u, &u->req);
}

static void commit_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct drive *d = u->md->d;
	char buf[96];
	int code;

	u->req = NULL;
	if (r < 0 && r != -ENOMEM && u->commit_r == 0 && confirm(u, r) >= 0)
		return;
	code = r > 0 ? admin_status_code(r) : r;
	admin_status_str(r, buf, sizeof(buf));
	if (r == 0 && u->action == ADMIN_CA_REPLACE_ACTIVATE_NOW) {
		/* the new revision shows in Identify: read it again */
		set_progress(u, 95);
		drive_reidentify(d);
		mgmt_refresh(u->md);
		/* the timer also marks the wait (fwupdate_drive_changed):
		 * without one the update ends now, not never */
		r = sd_event_add_time_relative(d->m->event, &u->timer,
					       CLOCK_MONOTONIC, REIDENTIFY_USEC,
					       0, reidentify_timeout, u);
		if (r < 0) {
			log_warning_errno(r,
					  "Drive '%s': cannot wait for the "
					  "new revision",
					  d->name);
			finish(u, ACT_ACTIVE);
		}
		return;
	}
	if (r == 0) {
		log_info("Drive '%s': firmware committed to slot %u, active "
			 "after the next reset",
			 d->name, u->slot);
		finish(u, ACT_STAGED);
	} else if (code == ADMIN_SC_FW_NEEDS_CONV_RESET ||
		   code == ADMIN_SC_FW_NEEDS_SUBSYS_RESET ||
		   code == ADMIN_SC_FW_NEEDS_RESET) {
		log_warning("Drive '%s': firmware committed to slot %u; %s: "
			    "it activates at that reset",
			    d->name, u->slot, buf);
		finish(u, ACT_STAGED);
	} else {
		log_error("Drive '%s': Firmware Commit to slot %u failed: %s",
			  d->name, u->slot, buf);
		finish(u, code == ADMIN_SC_INVALID_FW_IMAGE ? ACT_INVALID :
							      ACT_FAILED);
	}
	mgmt_refresh(u->md);
}

static void commit(struct fwupdate *u)
{
	struct mi_admin_cmd c;
	int r;

	set_progress(u, 90);
	u->active_before = u->md->fw.active;
	admin_fw_commit(&c, u->slot, u->action);
	c.timeout_ms =
		scaled_timeout(u, COMMIT_TIMEOUT_X, COMMIT_TIMEOUT_MAX_MS);
	r = mgmt_admin(u->md, &c, NULL, 0, 0, commit_done, u, &u->req);
	if (r < 0)
		commit_done(r, NULL, 0, u);
}

static void download_next(struct fwupdate *u);

static void download_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct drive *d = u->md->d;
	char buf[96];

	u->req = NULL;
	if (r < 0 && u->retries++ < CHUNK_RETRIES) {
		log_warning("Drive '%s': firmware piece at %llu: %s; "
			    "sending it again",
			    d->name, (unsigned long long)u->sent,
			    admin_status_str(r, buf, sizeof(buf)));
		download_next(u);
		return;
	}
	if (r > 0 && u->retries > 0 &&
	    admin_status_code(r) == ADMIN_SC_OVERLAPPING_RANGE) {
		/* the piece sent again overlaps what the drive has: the
		 * first copy arrived, only its reply was lost */
		log_info("Drive '%s': firmware piece at %llu was taken before "
			 "(%s)",
			 d->name, (unsigned long long)u->sent,
			 admin_status_str(r, buf, sizeof(buf)));
		r = 0;
		len = 0;
	}
	if (r != 0) {
		log_error("Drive '%s': Firmware Image Download at byte %llu "
			  "of %llu failed: %s",
			  d->name, (unsigned long long)u->sent,
			  (unsigned long long)u->size,
			  admin_status_str(r, buf, sizeof(buf)));
		finish(u, ACT_FAILED);
		return;
	}
	u->retries = 0;
	u->sent +=
		len ? len :
		      (u->size - u->sent < CHUNK ? u->size - u->sent : CHUNK);
	set_progress(u, (uint8_t)(u->sent * 90 / u->size));
	if (u->sent < u->size)
		download_next(u);
	else
		commit(u);
}

static void download_next(struct fwupdate *u)
{
	size_t n = u->size - u->sent < CHUNK ? (size_t)(u->size - u->sent) :
					       CHUNK;
	struct mi_admin_cmd c;
	ssize_t got;
	int r;

	got = pread(u->fd, u->buf, n, (off_t)u->sent);
	if (got != (ssize_t)n) {
		log_error("Drive '%s': cannot read the image at %llu: %s",
			  u->md->d->name, (unsigned long long)u->sent,
			  got < 0 ? strerror(errno) : "short read");
		finish(u, ACT_FAILED);
		return;
	}
	admin_fw_download(&c, u->sent, n);
	c.timeout_ms =
		scaled_timeout(u, DOWNLOAD_TIMEOUT_X, DOWNLOAD_TIMEOUT_MAX_MS);
	r = mgmt_admin(u->md, &c, u->buf, n, 0, download_done, u, &u->req);
	if (r < 0)
		download_done(r, NULL, 0, u);
}

static struct fwupdate *update_free(struct fwupdate *u)
{
	if (!u)
		return NULL;
	release_io(u);
	if (u->path)
		(void)sd_bus_emit_object_removed(u->md->d->m->bus, u->path);
	for (size_t i = 0; i < ARRAY_SIZE(u->slots); i++)
		sd_bus_slot_unref(u->slots[i]);
	free(u->path);
	free(u->version);
	free(u);
	return NULL;
}

void fwupdate_free(struct mgmt_drive *md)
{
	md->update = update_free(md->update);
}

/* Identify's caps were read, the first time or changed: AllowedApplyTimes. */
void fwupdate_caps_known(struct mgmt_drive *md)
{
	int r = sd_bus_emit_properties_changed(md->d->m->bus, md->sw_path,
					       IFACE_SW_UPDATE,
					       "AllowedApplyTimes", NULL);

	if (r < 0)
		log_debug_errno(r, "Cannot emit AllowedApplyTimes");
}

/* The drive was identified again: an activating
 * commit ends when the new revision shows, a staged one after the reset
 * that activates it. */
void fwupdate_drive_changed(struct mgmt_drive *md, uint64_t mask)
{
	struct fwupdate *u = md->update;

	if (!(mask & DRIVE_BIT(DRIVE_FIRMWARE)))
		return;
	(void)sd_bus_emit_properties_changed(md->d->m->bus, md->sw_path,
					     IFACE_SW_VERSION, "Version", NULL);
	if (!u)
		return;
	if (u->activation == ACT_ACTIVATING && u->timer)
		finish(u, ACT_ACTIVE);
	else if (u->activation == ACT_STAGED) {
		release_io(u);
		u->activation = ACT_ACTIVE;
		set_version(u, md->d->firmware);
		emit(u, IFACE_SW_ACTIVATION, "Activation");
		log_info("Drive '%s': firmware %s active after the reset",
			 md->d->name, md->d->firmware);
	}
}

/* ---- StartUpdate -------------------------------------------------------- */

static int parse_apply_time(struct mgmt_drive *md, const char *s,
			    enum admin_commit_action *ret, sd_bus_error *error)
{
	const char *name =
		strncmp(s, ENUM_APPLY_TIMES, strlen(ENUM_APPLY_TIMES)) == 0 ?
			s + strlen(ENUM_APPLY_TIMES) :
			NULL;

	if (name && strcmp(name, "Immediate") == 0) {
		if (!immediate_allowed(md))
			return sd_bus_error_setf(
				error, ERR_UPDATE "InvalidApplyTime",
				"Drive '%s' cannot activate firmware without "
				"a reset (FRMW); use OnReset",
				md->d->name);
		*ret = ADMIN_CA_REPLACE_ACTIVATE_NOW;
	} else if (name && strcmp(name, "OnReset") == 0) {
		*ret = ADMIN_CA_REPLACE_ACTIVATE_RESET;
	} else if (name && strcmp(name, "Default") == 0) {
		*ret = immediate_allowed(md) ? ADMIN_CA_REPLACE_ACTIVATE_NOW :
					       ADMIN_CA_REPLACE_ACTIVATE_RESET;
	} else {
		return sd_bus_error_setf(
			error, ERR_INVALID_ARG,
			"ApplyTime '%s': expected " ENUM_APPLY_TIMES
			"Immediate, OnReset or Default",
			s);
	}
	return 0;
}

/* The image: a regular file or memfd of a sensible size; dup'ed. */
static int check_image(struct mgmt_drive *md, int fd, uint64_t *size,
		       sd_bus_error *error)
{
	struct stat st;
	int copy;

	if (fstat(fd, &st) < 0)
		return nvmed_error(error, ERROR_SYSTEM, -errno, NULL,
				   "Image: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return sd_bus_error_setf(error, ERR_UPDATE "InvalidImage",
					 "Image: not a regular file or memfd");
	if (st.st_size <= 0 || st.st_size % 4 ||
	    (uint64_t)st.st_size > IMAGE_MAX)
		return sd_bus_error_setf(error, ERR_UPDATE "InvalidImage",
					 "Image: %lld bytes; expected a "
					 "multiple of 4 from 4 to %u",
					 (long long)st.st_size, IMAGE_MAX);
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0)
		return nvmed_error(error, ERROR_SYSTEM, -errno, NULL,
				   "Image: %s", strerror(errno));
	*size = (uint64_t)st.st_size;
	return copy;
}

/* What the drive allows: a writable slot, a granularity MI can meet. */
static int check_drive(struct mgmt_drive *md, unsigned *slot,
		       sd_bus_error *error)
{
	if (fwupdate_running(md))
		return sd_bus_error_setf(error, ERR_UPDATE "InProgress",
					 "Drive '%s': an update is running",
					 md->d->name);
	if (sanitize_running(md))
		return sd_bus_error_setf(error, ERR_UNAVAILABLE,
					 "Drive '%s': a sanitize is running",
					 md->d->name);
	if (!mgmt_reachable(md, error))
		return -EHOSTUNREACH;
	if (md->caps.fwug > 1 && md->caps.fwug != 0xff)
		return sd_bus_error_setf(error, ERR_UPDATE "Incompatible",
					 "Drive '%s' takes firmware in pieces "
					 "of %u KiB (FWUG); NVMe-MI carries "
					 "4 KiB",
					 md->d->name, 4u * md->caps.fwug);
	if (admin_pick_slot(&md->caps, &md->fw, slot) < 0)
		return sd_bus_error_setf(error, ERR_UPDATE "Incompatible",
					 "Drive '%s' has no writable firmware "
					 "slot",
					 md->d->name);
	return 0;
}

static int update_publish(struct fwupdate *u)
{
	sd_bus *bus = u->md->d->m->bus;
	int r = 0;

	u->path = fmt_alloc("%s_update", u->md->sw_path);
	if (!u->path)
		return -ENOMEM;
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(update_ifaces); i++)
		r = sd_bus_add_object_vtable(bus, &u->slots[i], u->path,
					     update_ifaces[i].iface,
					     update_ifaces[i].vtable, u);
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
	r = check_drive(md, &slot, error);
	if (r >= 0)
		r = parse_apply_time(md, apply, &action, error);
	if (r >= 0)
		r = fd = check_image(md, fd, &size, error);
	if (r < 0)
		return r;
	fwupdate_free(md);
	u = calloc(1, sizeof(*u));
	if (!u) {
		close(fd);
		return -ENOMEM;
	}
	*u = (struct fwupdate){
		.md = md, .fd = fd, .size = size, .slot = slot, .action = action
	};
	md->update = u;
	u->started_usec = now_monotonic_usec(u);
	r = update_publish(u);
	if (r < 0) {
		fwupdate_free(md);
		return r;
	}
	log_info("Drive '%s': firmware update of %llu bytes to slot %u, "
		 "%s",
		 md->d->name, (unsigned long long)size, slot,
		 action == ADMIN_CA_REPLACE_ACTIVATE_NOW ? "activating now" :
							   "at the next reset");
	download_next(u);
	return sd_bus_reply_method_return(m, "o", u->path);
}

static int method_start_update(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, start_update);
}
