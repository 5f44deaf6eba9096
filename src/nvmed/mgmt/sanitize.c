// SPDX-License-Identifier: Apache-2.0
/*
 * Sanitize (NVMe Base 2.0 5.24) as a method on the drive: the action is
 * checked against SANICAP (Identify Controller bytes 331:328), the
 * command sent, then the Sanitize Status log (5.16.1.25, log 81h) read
 * once a poll interval into Progress and the progress object's
 * xyz.openbmc_project.Common.Progress. The drive's health polls go on
 * meanwhile: a sanitizing controller still answers them and its
 * temperature (NVMe Base 2.0 8.21: commands it aborts are the ones that
 * touch user data). The phases are sanitize-phase.c's; the objects
 * sanitize-bus.c's.
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
#include "errors.h"
#include "iowork.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "sanitize.h"

#define SANITIZE_TIMEOUT_MS 20000 /* as nvmesensor's rework */
#define STATUS_TIMEOUT_MS   5000

const struct sanitize_action sanitize_actions[3] = {
	{ "BlockErase", ADMIN_SANACT_BLOCK, ADMIN_SANICAP_BES },
	{ "CryptoErase", ADMIN_SANACT_CRYPTO, ADMIN_SANICAP_CES },
	{ "Overwrite", ADMIN_SANACT_OVERWRITE, ADMIN_SANICAP_OWS },
};

const char *const sanitize_status_names[] = {
	[SAN_ST_IN_PROGRESS] = ENUM_OPERATION_STATUS "InProgress",
	[SAN_ST_COMPLETED] = ENUM_OPERATION_STATUS "Completed",
	[SAN_ST_FAILED] = ENUM_OPERATION_STATUS "Failed",
};

const struct mgmt_prop sanitize_props[_SAN_EMIT_MAX] = {
	[SAN_EMIT_SUPPORTED] = { SAN_OBJ_DRIVE,
				 IFACE_SANITIZE,
				 { "SupportedActions" } },
	[SAN_EMIT_PROGRESS] = { SAN_OBJ_DRIVE, IFACE_SANITIZE, { "Progress" } },
	[SAN_EMIT_END] = { SAN_OBJ_PROGRESS,
			   IFACE_PROGRESS,
			   { "Status", "CompletedTime" } },
};

const struct mgmt_claim sanitize_claim = { .what = "a sanitize" };

struct sanitize_drive *sanitize_drive(const struct mgmt_drive *md)
{
	return md->feature[MGMT_SANITIZE];
}

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
	if (san_phase_running(s->st.phase))
		mgmt_release(s->md, &sanitize_claim);
	if (s->call) {
		sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(
			ERR_UNAVAILABLE, "The drive was removed");

		(void)sd_bus_reply_method_error(s->call, &e);
		sd_bus_message_unref(s->call);
	}
	if (s->slot)
		(void)sd_bus_emit_object_removed(mgmt_bus(s->md), s->path);
	sd_bus_slot_unref(s->slot);
	free(s->path);
	free(s);
	return NULL;
}

void sanitize_discard(struct mgmt_drive *md)
{
	struct sanitize_drive *sd = sanitize_drive(md);

	if (sd)
		sd->s = sanitize_unref(sd->s);
}

void sanitize_caps_known(struct mgmt_drive *md)
{
	mgmt_emit(md, md->d->drive_path, &sanitize_props[SAN_EMIT_SUPPORTED]);
}

static void emit_progress(struct sanitize *s, uint8_t p)
{
	if (s->progress == p)
		return;
	s->progress = p;
	mgmt_emit(s->md, s->md->d->drive_path,
		  &sanitize_props[SAN_EMIT_PROGRESS]);
}

/* The end, once: the phase it ends in is set. */
static void end(struct sanitize *s)
{
	struct drive *d = s->md->d;
	bool completed = s->st.phase == SAN_COMPLETED;

	sanitize_release(s);
	mgmt_release(s->md, &sanitize_claim);
	s->completed_time = mgmt_now_realtime_usec();
	if (completed)
		emit_progress(s, 100);
	mgmt_emit(s->md, s->path, &sanitize_props[SAN_EMIT_END]);
	if (completed)
		log_info("Drive '%s': sanitize (%s) completed", d->name,
			 s->action);
	else
		log_error("Drive '%s': sanitize (%s) failed", d->name,
			  s->action);
	/* the namespaces may have changed with it */
	mgmt_request_refresh(s->md);
}

static void status_schedule(struct sanitize *s);

static void status_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct admin_sanitize_status st = { 0 };
	char buf[96];

	s->req = NULL;
	if (r == 0)
		r = admin_decode_sanitize(data, len, &st);
	switch (san_status_done(&s->st, r, &st)) {
	case SAN_RUNNING:
		if (r == 0)
			emit_progress(s, st.percent);
		status_schedule(s);
		return;
	case SAN_FAILED:
		if (r != 0)
			log_error("Drive '%s': Sanitize Status unreadable %u "
				  "times in a row (%s)",
				  s->md->d->name, s->st.failures,
				  admin_status_str(r, buf, sizeof(buf)));
		end(s);
		return;
	default:
		end(s);
		return;
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
		san_fail(&s->st);
		end(s);
	}
}

/* The Sanitize got no answer (its reply lost, or late): whether the drive
 * took it shows in the Sanitize Status log. */
static bool command_taken(const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct admin_sanitize_status st;

	if (admin_decode_sanitize(data, len, &st) != 0 ||
	    !san_command_taken(&st))
		return false;
	log_warning("Drive '%s': the Sanitize (%s) got no answer, "
		    "but the drive is sanitizing",
		    s->md->d->name, s->action);
	return true;
}

static void command_done(int r, const uint8_t *data, size_t len, void *ud)
{
	struct sanitize *s = ud;
	struct mgmt_drive *md = s->md;
	_cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;
	char what[80];

	s->req = NULL;
	if (san_command_done(&s->st, r) == SAN_CONFIRM) {
		if (mgmt_confirm(md, &s->confirm, r, ADMIN_LOG_SANITIZE,
				 ADMIN_LOG_SANITIZE_LEN, STATUS_TIMEOUT_MS,
				 command_taken, command_done, s, &s->req) >= 0)
			return;
		san_command_done(&s->st, r);
	}
	call = TAKE_PTR(s->call);
	if (s->st.phase == SAN_RUNNING)
		r = s->publish(s);
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
		mgmt_release(md, &sanitize_claim);
		sanitize_discard(md);
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

	for (size_t i = 0; i < ARRAY_SIZE(sanitize_actions); i++)
		if (strcmp(name, sanitize_actions[i].name) == 0) {
			*ret = i;
			return 0;
		}
	return -EINVAL;
}

/* The action, the drive free (then claimed), answering, able to. */
static int check(struct mgmt_drive *md, const char *arg, size_t *ret,
		 sd_bus_error *error)
{
	int r;

	if (find_action(arg, ret) < 0)
		return sd_bus_error_setf(
			error, ERR_INVALID_ARG,
			"Action '%s': expected " ENUM_SANITIZE_ACTIONS
			"BlockErase, CryptoErase or "
			"Overwrite",
			arg);
	r = mgmt_claim(md, &sanitize_claim, error);
	if (r < 0)
		return r;
	if (!mgmt_reachable(md, error))
		r = -EHOSTUNREACH;
	else if (!(md->caps.sanicap & sanitize_actions[*ret].cap))
		r = sd_bus_error_setf(error, ERR_UNSUPPORTED,
				      "Drive '%s' does not support %s "
				      "(SANICAP 0x%x)",
				      md->d->name, sanitize_actions[*ret].name,
				      md->caps.sanicap);
	if (r < 0)
		mgmt_release(md, &sanitize_claim);
	return r;
}

int sanitize_start(struct mgmt_drive *md, sd_bus_message *call, const char *arg,
		   int (*publish)(struct sanitize *s), sd_bus_error *error)
{
	struct mi_admin_cmd c;
	struct sanitize *s;
	size_t i = 0;
	int r;

	r = check(md, arg, &i, error);
	if (r < 0)
		return r;
	sanitize_discard(md);
	s = calloc(1, sizeof(*s));
	if (!s) {
		mgmt_release(md, &sanitize_claim);
		return -ENOMEM;
	}
	*s = (struct sanitize){ .md = md,
				.call = sd_bus_message_ref(call),
				.action = sanitize_actions[i].name,
				.start_time = mgmt_now_realtime_usec(),
				.publish = publish };
	san_state_init(&s->st);
	sanitize_drive(md)->s = s;
	admin_sanitize(&c, sanitize_actions[i].action);
	c.timeout_ms = SANITIZE_TIMEOUT_MS;
	r = mgmt_admin(md, &c, NULL, 0, 0, command_done, s, &s->req);
	if (r < 0)
		command_done(r, NULL, 0, s);
	return 1;
}
