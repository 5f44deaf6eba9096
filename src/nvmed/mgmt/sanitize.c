// SPDX-License-Identifier: Apache-2.0
/*
 * Sanitize (NVMe Base 2.0 5.24) as a method on the drive: the action is
 * checked against SANICAP (Identify Controller bytes 331:328), the
 * command sent, then the Sanitize Status log (5.16.1.25, log 81h) read
 * once a poll interval into Progress and the progress object's
 * xyz.openbmc_project.Common.Progress. The drive's health polls go on
 * meanwhile: a sanitizing controller still answers them and its
 * temperature (NVMe Base 2.0 8.21: commands it aborts are the ones that
 * touch user data).
 *
 * Upstream phosphor-dbus-interfaces has no sanitize method; ours,
 * xyz.openbmc_project.Nvme.Sanitize, is described in PDI's yaml form
 * under service_files/phosphor-dbus-interfaces.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dbus-names.h"
#include "drive.h"
#include "fmt.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "errors.h"
#include "mgmt.h"

#define SANITIZE_TIMEOUT_MS 20000 /* as nvmesensor's rework */
#define STATUS_TIMEOUT_MS   5000
/* Consecutive unreadable status logs after which the sanitize is given
 * up as failed (the drive itself goes on after a power loss, 8.21). */
#define STATUS_FAILURES_MAX 30

static const struct {
	const char *name;
	enum admin_sanitize_action action;
	uint32_t cap;
} actions[] = {
	{ "BlockErase", ADMIN_SANACT_BLOCK, ADMIN_SANICAP_BES },
	{ "CryptoErase", ADMIN_SANACT_CRYPTO, ADMIN_SANICAP_CES },
	{ "Overwrite", ADMIN_SANACT_OVERWRITE, ADMIN_SANICAP_OWS },
};

enum status { ST_IN_PROGRESS, ST_COMPLETED, ST_FAILED };

static const char *const status_names[] = {
	[ST_IN_PROGRESS] = ENUM_OPERATION_STATUS "InProgress",
	[ST_COMPLETED] = ENUM_OPERATION_STATUS "Completed",
	[ST_FAILED] = ENUM_OPERATION_STATUS "Failed",
};

struct sanitize {
	struct mgmt_drive *md;
	char *path;
	sd_bus_slot *slot;
	sd_bus_message *call; /* until the drive accepts the command */
	struct iowork_req *req;
	sd_event_source *timer;
	const char *action;
	enum status status;
	uint8_t progress;
	unsigned failures;
	uint64_t start_time, completed_time; /* us since the epoch */
	int command_r; /* < 0: the Sanitize got no answer, the log tells */
};

bool sanitize_running(const struct mgmt_drive *md)
{
	return md->sanitize && md->sanitize->status == ST_IN_PROGRESS;
}

/* ---- properties ----------------------------------------------------- */

static int get_supported(sd_bus *bus, const char *path, const char *iface,
			 const char *prop, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "s");
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(actions); i++)
		if (md->have_caps && (md->caps.sanicap & actions[i].cap)) {
			_cleanup_free_ char *s = fmt_alloc(
				ENUM_SANITIZE_ACTIONS "%s", actions[i].name);

			r = s ? sd_bus_message_append(reply, "s", s) : -ENOMEM;
		}
	return r < 0 ? r : sd_bus_message_close_container(reply);
}

static int get_progress(sd_bus *bus, const char *path, const char *iface,
			const char *prop, sd_bus_message *reply, void *userdata,
			sd_bus_error *error)
{
	struct mgmt_drive *md = userdata;

	return sd_bus_message_append(reply, "y",
				     md->sanitize ? md->sanitize->progress : 0);
}

static int get_status(sd_bus *bus, const char *path, const char *iface,
		      const char *prop, sd_bus_message *reply, void *userdata,
		      sd_bus_error *error)
{
	struct sanitize *s = userdata;

	return sd_bus_message_append(reply, "s", status_names[s->status]);
}

static int method_sanitize(sd_bus_message *m, void *userdata,
			   sd_bus_error *error);

/* clang-format off */
const sd_bus_vtable sanitize_vtable[] = {
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

/* ---- the state machine ------------------------------------------------ */

static void sanitize_release(struct sanitize *s)
{
	iowork_cancel(TAKE_PTR(s->req));
	s->timer = sd_event_source_disable_unref(s->timer);
}

static struct sanitize *sanitize_unref(struct sanitize *s)
{
	if (!s)
		return NULL;
	sanitize_release(s);
	if (s->call) {
		sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(
			ERR_UNAVAILABLE, "The drive was removed");

		(void)sd_bus_reply_method_error(s->call, &e);
		sd_bus_message_unref(s->call);
	}
	if (s->slot)
		(void)sd_bus_emit_object_removed(s->md->d->m->bus, s->path);
	sd_bus_slot_unref(s->slot);
	free(s->path);
	free(s);
	return NULL;
}

void sanitize_free(struct mgmt_drive *md)
{
	md->sanitize = sanitize_unref(md->sanitize);
}

void sanitize_caps_known(struct mgmt_drive *md)
{
	int r = sd_bus_emit_properties_changed(md->d->m->bus, md->d->drive_path,
					       IFACE_SANITIZE,
					       "SupportedActions", NULL);

	if (r < 0)
		log_debug_errno(r, "Cannot emit SupportedActions");
}

static void emit_progress(struct sanitize *s, uint8_t p)
{
	if (s->progress == p)
		return;
	s->progress = p;
	(void)sd_bus_emit_properties_changed(s->md->d->m->bus,
					     s->md->d->drive_path,
					     IFACE_SANITIZE, "Progress", NULL);
}

static void end(struct sanitize *s, enum status st)
{
	struct drive *d = s->md->d;

	sanitize_release(s);
	s->status = st;
	s->completed_time = mgmt_now_realtime_usec();
	if (st == ST_COMPLETED)
		emit_progress(s, 100);
	(void)sd_bus_emit_properties_changed(d->m->bus, s->path, IFACE_PROGRESS,
					     "Status", "CompletedTime", NULL);
	if (st == ST_COMPLETED)
		log_info("Drive '%s': sanitize (%s) completed", d->name,
			 s->action);
	else
		log_error("Drive '%s': sanitize (%s) failed", d->name,
			  s->action);
	/* the namespaces may have changed with it */
	mgmt_refresh(s->md);
}

static void status_schedule(struct sanitize *s);

static void status_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct admin_sanitize_status st;
	char buf[96];

	s->req = NULL;
	if (r == 0)
		r = admin_decode_sanitize(data, len, &st);
	if (r != 0) {
		if (++s->failures < STATUS_FAILURES_MAX) {
			status_schedule(s);
			return;
		}
		log_error("Drive '%s': Sanitize Status unreadable %u times "
			  "in a row (%s)",
			  s->md->d->name, s->failures,
			  admin_status_str(r, buf, sizeof(buf)));
		end(s, ST_FAILED);
		return;
	}
	s->failures = 0;
	if (st.state == ADMIN_SANITIZE_RUNNING) {
		emit_progress(s, st.percent);
		status_schedule(s);
	} else if (st.state == ADMIN_SANITIZE_DONE ||
		   st.state == ADMIN_SANITIZE_DONE_NO_DEALLOC) {
		end(s, ST_COMPLETED);
	} else {
		end(s, ST_FAILED);
	}
}

static int status_read(sd_event_source *es, uint64_t usec, void *ud)
{
	struct sanitize *s = ud;
	int r;

	r = mgmt_read_log(s->md, ADMIN_LOG_SANITIZE, ADMIN_LOG_SANITIZE_LEN,
			  STATUS_TIMEOUT_MS, status_done, s, &s->req);
	if (r < 0)
		status_done(r, NULL, 0, s);
	return 0;
}

static void status_schedule(struct sanitize *s)
{
	struct drive *d = s->md->d;
	int r;

	s->timer = sd_event_source_disable_unref(s->timer);
	r = sd_event_add_time_relative(d->m->event, &s->timer, CLOCK_MONOTONIC,
				       d->poll_ms * 1000, 0, status_read, s);
	if (r < 0) {
		log_error_errno(r, "Drive '%s': cannot follow the sanitize",
				d->name);
		end(s, ST_FAILED);
	}
}

static int publish(struct sanitize *s)
{
	sd_bus *bus = s->md->d->m->bus;
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

static void command_done(int r, const uint8_t *data, size_t len, void *ud);

/* The Sanitize got no answer (its reply lost, or late): whether the drive
 * took it shows in the Sanitize Status log. */
static void confirm_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct admin_sanitize_status st;

	s->req = NULL;
	if (r == 0 && admin_decode_sanitize(data, len, &st) == 0 &&
	    st.state == ADMIN_SANITIZE_RUNNING) {
		log_warning("Drive '%s': the Sanitize (%s) got no answer, "
			    "but the drive is sanitizing",
			    s->md->d->name, s->action);
		command_done(0, NULL, 0, s);
		return;
	}
	command_done(s->command_r, NULL, 0, s);
}

static int confirm(struct sanitize *s, int command_r)
{
	s->command_r = command_r;
	return mgmt_read_log(s->md, ADMIN_LOG_SANITIZE, ADMIN_LOG_SANITIZE_LEN,
			     STATUS_TIMEOUT_MS, confirm_done, s, &s->req);
}

static void command_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct mgmt_drive *md = s->md;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	char what[80];

	s->req = NULL;
	if (r < 0 && r != -ENOMEM && s->command_r == 0 && confirm(s, r) >= 0)
		return;
	call = TAKE_PTR(s->call);
	if (r == 0)
		r = publish(s);
	if (r != 0) {
		snprintf(what, sizeof(what), "Sanitize (%s) of drive '%s'",
			 s->action, md->d->name);
		nvmed_command_error(
			&error, r,
			admin_status_code(r) == ADMIN_SC_SANITIZE_IN_PROGRESS ?
				ERR_UNAVAILABLE :
				ERR_UNSUPPORTED,
			what);
		log_warning("%s", error.message);
		(void)sd_bus_reply_method_error(call, &error);
		sanitize_free(md);
		return;
	}
	log_info("Drive '%s': sanitize (%s) started", md->d->name, s->action);
	(void)sd_bus_reply_method_return(call, "o", s->path);
	status_schedule(s);
}

static int find_action(const char *arg, size_t *ret)
{
	const char *name = strncmp(arg, ENUM_SANITIZE_ACTIONS,
				   strlen(ENUM_SANITIZE_ACTIONS)) == 0 ?
				   arg + strlen(ENUM_SANITIZE_ACTIONS) :
				   arg;

	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strcmp(name, actions[i].name) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

static int check(struct mgmt_drive *md, const char *arg, size_t *ret,
		 sd_bus_error *error)
{
	if (find_action(arg, ret) < 0)
		return sd_bus_error_setf(
			error, ERR_INVALID_ARG,
			"Action '%s': expected " ENUM_SANITIZE_ACTIONS
			"BlockErase, CryptoErase or "
			"Overwrite",
			arg);
	if (sanitize_running(md) || fwupdate_running(md))
		return sd_bus_error_setf(error, ERR_UNAVAILABLE,
					 "Drive '%s': %s is running",
					 md->d->name,
					 sanitize_running(md) ?
						 "a sanitize" :
						 "a firmware update");
	if (!mgmt_reachable(md, error))
		return -EHOSTUNREACH;
	if (!(md->caps.sanicap & actions[*ret].cap))
		return sd_bus_error_setf(error, ERR_UNSUPPORTED,
					 "Drive '%s' does not support %s "
					 "(SANICAP 0x%x)",
					 md->d->name, actions[*ret].name,
					 md->caps.sanicap);
	return 0;
}

static int start_sanitize(sd_bus_message *m, struct mgmt_drive *md,
			  sd_bus_error *error)
{
	struct mi_admin_cmd c;
	struct sanitize *s;
	const char *arg;
	size_t i = 0;
	int r;

	r = sd_bus_message_read(m, "s", &arg);
	if (r < 0)
		return r;
	r = check(md, arg, &i, error);
	if (r < 0)
		return r;
	sanitize_free(md);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	*s = (struct sanitize){ .md = md,
				.call = sd_bus_message_ref(m),
				.action = actions[i].name,
				.start_time = mgmt_now_realtime_usec() };
	md->sanitize = s;
	admin_sanitize(&c, actions[i].action);
	c.timeout_ms = SANITIZE_TIMEOUT_MS;
	r = mgmt_admin(md, &c, NULL, 0, 0, command_done, s, &s->req);
	if (r < 0)
		command_done(r, NULL, 0, s);
	return 1;
}

static int method_sanitize(sd_bus_message *m, void *userdata,
			   sd_bus_error *error)
{
	return mgmt_authorize(userdata, m, start_sanitize);
}
