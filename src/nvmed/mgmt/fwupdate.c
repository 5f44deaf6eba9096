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
 * ApplyTime asks for. The phases are fwupdate-phase.c's; the objects
 * fwupdate-bus.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dbus-names.h"
#include "drive.h"
#include "errors.h"
#include "fwupdate.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"

#define IMAGE_MAX (256u << 20)
/* Per command: the endpoint's timeout times this, capped (nvmesensor's
 * rework gives a download 10 s): a 4 KiB piece spends 0.42 s on a
 * 100 kHz SMBus before the drive even starts on it. */
#define DOWNLOAD_TIMEOUT_X	10
#define DOWNLOAD_TIMEOUT_MAX_MS 10000
#define COMMIT_TIMEOUT_X	30
#define COMMIT_TIMEOUT_MAX_MS	30000
/* A staged image: the firmware slot log is read this many poll
 * intervals apart, to see the reset that activates it. */
#define STAGED_CHECK_POLLS 10
/* After an activating commit, how long the drive has to report its new
 * revision through the re-read Identify. */
#define REIDENTIFY_USEC (10 * 1000 * 1000ULL)

const char *const fwupdate_activation_names[] = {
	[FW_ACT_ACTIVATING] = ENUM_ACTIVATIONS "Activating",
	[FW_ACT_ACTIVE] = ENUM_ACTIVATIONS "Active",
	[FW_ACT_STAGED] = ENUM_ACTIVATIONS "Staged",
	[FW_ACT_FAILED] = ENUM_ACTIVATIONS "Failed",
	[FW_ACT_INVALID] = ENUM_ACTIVATIONS "Invalid",
};

const struct mgmt_prop fwupdate_props[_FW_EMIT_MAX] = {
	[FW_EMIT_RUNNING_VERSION] = { FW_OBJ_RUNNING,
				      IFACE_SW_VERSION,
				      { "Version" } },
	[FW_EMIT_APPLY_TIMES] = { FW_OBJ_RUNNING,
				  IFACE_SW_UPDATE,
				  { "AllowedApplyTimes" } },
	[FW_EMIT_PROGRESS] = { FW_OBJ_UPDATE,
			       IFACE_SW_PROGRESS,
			       { "Progress" } },
	[FW_EMIT_VERSION] = { FW_OBJ_UPDATE, IFACE_SW_VERSION, { "Version" } },
	[FW_EMIT_ACTIVATION] = { FW_OBJ_UPDATE,
				 IFACE_SW_ACTIVATION,
				 { "Activation" } },
};

const struct mgmt_claim fwupdate_claim = { .what = "a firmware update" };

struct fwupdate_drive *fwupdate_drive(const struct mgmt_drive *md)
{
	return md->feature[MGMT_FWUPDATE];
}

bool fwupdate_immediate_allowed(const struct mgmt_drive *md)
{
	return md->have_caps && md->caps.activate_no_reset;
}

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

static void emit(struct fwupdate *u, unsigned what)
{
	mgmt_emit(u->md, u->path, &fwupdate_props[what]);
}

static void set_progress(struct fwupdate *u, uint8_t p)
{
	if (u->progress == p)
		return;
	u->progress = p;
	emit(u, FW_EMIT_PROGRESS);
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
	emit(u, FW_EMIT_VERSION);
}

static void staged_schedule(struct fwupdate *u);

/* The end of the update, once: the phase it ends in is set. */
static void finish(struct fwupdate *u)
{
	struct drive *d = u->md->d;
	enum fw_activation a = fw_phase_activation(u->st.phase);

	release_io(u);
	mgmt_release(u->md, &fwupdate_claim);
	if (a == FW_ACT_ACTIVE || a == FW_ACT_STAGED)
		set_progress(u, 100);
	if (a == FW_ACT_ACTIVE)
		set_version(u, d->firmware);
	emit(u, FW_EMIT_ACTIVATION);
	if (a == FW_ACT_STAGED)
		staged_schedule(u);
	log_info("Drive '%s': firmware update %s after %.1f s", d->name,
		 fwupdate_activation_names[a] + strlen(ENUM_ACTIVATIONS),
		 (double)(now_monotonic_usec(u) - u->started_usec) / 1e6);
}

static void fail(struct fwupdate *u)
{
	fw_fail(&u->st);
	finish(u);
}

static int reidentify_timeout(sd_event_source *es, uint64_t usec, void *ud)
{
	struct fwupdate *u = ud;

	log_warning("Drive '%s': no new firmware revision reported %llu s "
		    "after the commit; %s stays",
		    u->md->d->name, REIDENTIFY_USEC / 1000000ULL,
		    u->md->d->firmware ? u->md->d->firmware : "?");
	fw_reidentify_timeout(&u->st);
	finish(u);
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
		mgmt_request_refresh(u->md);
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

/* The Firmware Commit got no answer (its reply lost, or late): whether the
 * drive took it shows in the firmware slot log, as the slot that runs now
 * (activate now; another slot ran before) or the one that will run after
 * the next reset. */
static bool commit_taken(const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct admin_fw_slots slots;

	if (admin_decode_fw_slots(data, len, &slots) != 0 ||
	    !fw_commit_taken(u->st.action, u->slot, u->active_before, &slots))
		return false;
	log_warning("Drive '%s': the Firmware Commit to slot %u got no "
		    "answer, but the slot log shows it taken",
		    u->md->d->name, u->slot);
	return true;
}

static void commit_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct fwupdate *u = ud;
	struct drive *d = u->md->d;
	char buf[96];

	u->req = NULL;
	if (fw_commit_done(&u->st, r) == FW_CONFIRM) {
		if (mgmt_confirm(u->md, &u->confirm, r, ADMIN_LOG_FW_SLOT,
				 ADMIN_LOG_FW_SLOT_LEN, 0, commit_taken,
				 commit_done, u, &u->req) >= 0)
			return;
		fw_commit_done(&u->st, r);
	}
	admin_status_str(r, buf, sizeof(buf));
	if (u->st.phase == FW_REIDENTIFY) {
		/* the new revision shows in Identify: read it again */
		set_progress(u, 95);
		drive_reidentify(d);
		mgmt_request_refresh(u->md);
		/* without a timer the update ends now, not never */
		r = sd_event_add_time_relative(d->m->event, &u->timer,
					       CLOCK_MONOTONIC, REIDENTIFY_USEC,
					       0, reidentify_timeout, u);
		if (r < 0) {
			log_warning_errno(r,
					  "Drive '%s': cannot wait for the "
					  "new revision",
					  d->name);
			fw_reidentify_timeout(&u->st);
			finish(u);
		}
		return;
	}
	if (r == 0)
		log_info("Drive '%s': firmware committed to slot %u, active "
			 "after the next reset",
			 d->name, u->slot);
	else if (u->st.phase == FW_STAGED)
		log_warning("Drive '%s': firmware committed to slot %u; %s: "
			    "it activates at that reset",
			    d->name, u->slot, buf);
	else
		log_error("Drive '%s': Firmware Commit to slot %u failed: %s",
			  d->name, u->slot, buf);
	finish(u);
	mgmt_request_refresh(u->md);
}

static void commit(struct fwupdate *u)
{
	struct mi_admin_cmd c;
	int r;

	set_progress(u, 90);
	u->active_before = u->md->fw.active;
	admin_fw_commit(&c, u->slot, u->st.action);
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
	uint64_t at = u->st.sent;
	char buf[96];

	u->req = NULL;
	switch (fw_piece_done(
		&u->st, r, len ? len : fw_piece_len(&u->st, FWUPDATE_CHUNK))) {
	case FW_PIECE_AGAIN:
		log_warning("Drive '%s': firmware piece at %llu: %s; "
			    "sending it again",
			    d->name, (unsigned long long)at,
			    admin_status_str(r, buf, sizeof(buf)));
		download_next(u);
		return;
	case FW_PIECE_FAILED:
		log_error("Drive '%s': Firmware Image Download at byte %llu "
			  "of %llu failed: %s",
			  d->name, (unsigned long long)at,
			  (unsigned long long)u->st.size,
			  admin_status_str(r, buf, sizeof(buf)));
		finish(u);
		return;
	case FW_PIECE_TAKEN_BEFORE:
		/* the piece sent again overlaps what the drive has: the
		 * first copy arrived, only its reply was lost */
		log_info("Drive '%s': firmware piece at %llu was taken before "
			 "(%s)",
			 d->name, (unsigned long long)at,
			 admin_status_str(r, buf, sizeof(buf)));
		break;
	case FW_PIECE_TAKEN:
		break;
	}
	set_progress(u, (uint8_t)(u->st.sent * 90 / u->st.size));
	if (u->st.phase == FW_COMMIT)
		commit(u);
	else
		download_next(u);
}

static void download_next(struct fwupdate *u)
{
	size_t n = fw_piece_len(&u->st, FWUPDATE_CHUNK);
	struct mi_admin_cmd c;
	ssize_t got;
	int r;

	got = pread(u->fd, u->buf, n, (off_t)u->st.sent);
	if (got != (ssize_t)n) {
		log_error("Drive '%s': cannot read the image at %llu: %s",
			  u->md->d->name, (unsigned long long)u->st.sent,
			  got < 0 ? strerror(errno) : "short read");
		fail(u);
		return;
	}
	admin_fw_download(&c, u->st.sent, n);
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
	if (fw_phase_running(u->st.phase))
		mgmt_release(u->md, &fwupdate_claim);
	if (u->path)
		(void)sd_bus_emit_object_removed(mgmt_bus(u->md), u->path);
	for (size_t i = 0; i < ARRAY_SIZE(u->slots); i++)
		sd_bus_slot_unref(u->slots[i]);
	free(u->path);
	free(u->version);
	free(u);
	return NULL;
}

void fwupdate_discard(struct mgmt_drive *md)
{
	struct fwupdate_drive *fd = fwupdate_drive(md);

	if (fd)
		fd->update = update_free(fd->update);
}

/* Identify's caps were read, the first time or changed: AllowedApplyTimes. */
void fwupdate_caps_known(struct mgmt_drive *md)
{
	mgmt_emit(md, md->sw_path, &fwupdate_props[FW_EMIT_APPLY_TIMES]);
}

/* The drive was identified again: an activating commit ends when the new
 * revision shows, a staged one after the reset that activates it. */
void fwupdate_drive_changed(struct mgmt_drive *md, uint64_t mask)
{
	struct fwupdate *u = fwupdate_drive(md)->update;
	bool staged;

	if (!(mask & DRIVE_BIT(DRIVE_FIRMWARE)))
		return;
	mgmt_emit(md, md->sw_path, &fwupdate_props[FW_EMIT_RUNNING_VERSION]);
	if (!u)
		return;
	staged = u->st.phase == FW_STAGED;
	if (!fw_firmware_changed(&u->st))
		return;
	if (!staged) {
		finish(u);
		return;
	}
	release_io(u);
	set_version(u, md->d->firmware);
	emit(u, FW_EMIT_ACTIVATION);
	log_info("Drive '%s': firmware %s active after the reset", md->d->name,
		 md->d->firmware);
}

/* ---- StartUpdate's checks ------------------------------------------------ */

static int parse_apply_time(struct mgmt_drive *md, const char *s,
			    enum admin_commit_action *ret, sd_bus_error *error)
{
	const char *name =
		strncmp(s, ENUM_APPLY_TIMES, strlen(ENUM_APPLY_TIMES)) == 0 ?
			s + strlen(ENUM_APPLY_TIMES) :
			NULL;

	if (name && strcmp(name, "Immediate") == 0) {
		if (!fwupdate_immediate_allowed(md))
			return sd_bus_error_setf(
				error, ERR_UPDATE "InvalidApplyTime",
				"Drive '%s' cannot activate firmware without "
				"a reset (FRMW); use OnReset",
				md->d->name);
		*ret = ADMIN_CA_REPLACE_ACTIVATE_NOW;
	} else if (name && strcmp(name, "OnReset") == 0) {
		*ret = ADMIN_CA_REPLACE_ACTIVATE_RESET;
	} else if (name && strcmp(name, "Default") == 0) {
		*ret = fwupdate_immediate_allowed(md) ?
			       ADMIN_CA_REPLACE_ACTIVATE_NOW :
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
static int check_image(int fd, uint64_t *size, sd_bus_error *error)
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

/* What the drive allows: a writable slot, a granularity MI can
 * meet. */
static int check_drive(struct mgmt_drive *md, unsigned *slot,
		       sd_bus_error *error)
{
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

int fwupdate_check(struct mgmt_drive *md, int fd, const char *apply,
		   unsigned *slot, enum admin_commit_action *action,
		   uint64_t *size, sd_bus_error *error)
{
	int r;

	/* an update running refuses with its own error; another operation
	 * with the claim's */
	if (mgmt_claimed(md) == &fwupdate_claim)
		return sd_bus_error_setf(error, ERR_UPDATE "InProgress",
					 "Drive '%s': an update is running",
					 md->d->name);
	r = mgmt_claim(md, &fwupdate_claim, error);
	if (r < 0)
		return r;
	r = check_drive(md, slot, error);
	if (r >= 0)
		r = parse_apply_time(md, apply, action, error);
	if (r >= 0)
		r = check_image(fd, size, error);
	if (r < 0)
		mgmt_release(md, &fwupdate_claim);
	return r;
}

struct fwupdate *fwupdate_new(struct mgmt_drive *md, int fd, uint64_t size,
			      unsigned slot, enum admin_commit_action action)
{
	struct fwupdate *u;

	fwupdate_discard(md);
	u = calloc(1, sizeof(*u));
	if (!u) {
		mgmt_release(md, &fwupdate_claim);
		close(fd);
		return NULL;
	}
	*u = (struct fwupdate){ .md = md, .fd = fd, .slot = slot };
	fw_state_init(&u->st, size, action);
	fwupdate_drive(md)->update = u;
	u->started_usec = now_monotonic_usec(u);
	return u;
}

void fwupdate_run(struct fwupdate *u)
{
	log_info("Drive '%s': firmware update of %llu bytes to slot %u, "
		 "%s",
		 u->md->d->name, (unsigned long long)u->st.size, u->slot,
		 u->st.action == ADMIN_CA_REPLACE_ACTIVATE_NOW ?
			 "activating now" :
			 "at the next reset");
	download_next(u);
}
