// SPDX-License-Identifier: Apache-2.0
/*
 * GetLogPage's reads: a log page in transfers of at most ADMIN_XFER_MAX
 * bytes, the call answered with the whole or the first error. See
 * logpage.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbus-names.h"
#include "drive.h"
#include "errors.h"
#include "iowork.h"
#include "log.h"
#include "logpage.h"
#include "macros.h"

#define LOG_TIMEOUT_MS 5000

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

struct logpage_drive *logpage_drive(const struct mgmt_drive *md)
{
	return md->feature[MGMT_LOGPAGE];
}

static struct logread *logread_free(struct logread *l)
{
	struct logread **p;

	if (!l)
		return NULL;
	for (p = &logpage_drive(l->md)->reads; *p; p = &(*p)->next)
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

unsigned logpage_reads(const struct mgmt_drive *md)
{
	unsigned n = 0;

	for (const struct logread *l = logpage_drive(md)->reads; l; l = l->next)
		n++;
	return n;
}

int logpage_read(struct mgmt_drive *md, sd_bus_message *call, uint8_t lid,
		 uint32_t nsid, uint8_t lsp, uint16_t lsi, uint32_t len)
{
	struct logpage_drive *ld = logpage_drive(md);
	struct logread *l;

	l = calloc(1, sizeof(*l));
	if (!l || !(l->buf = malloc(len))) {
		free(l);
		return -ENOMEM;
	}
	*l = (struct logread){ .md = md,
			       .next = ld->reads,
			       .call = sd_bus_message_ref(call),
			       .lid = lid,
			       .lsp = lsp,
			       .lsi = lsi,
			       .nsid = nsid,
			       .len = len,
			       .buf = l->buf };
	ld->reads = l;
	logread_send(l);
	return 1;
}

void logpage_drop(struct mgmt_drive *md)
{
	struct logpage_drive *ld = logpage_drive(md);

	while (ld && ld->reads) {
		sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(
			ERR_UNAVAILABLE, "The drive was removed");

		(void)sd_bus_reply_method_error(ld->reads->call, &e);
		logread_free(ld->reads);
	}
}
