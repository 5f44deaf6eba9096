// SPDX-License-Identifier: Apache-2.0
/*
 * The seam tests' fixture (seam-fixture.h). The replies are laid out as
 * the specifications say: NVMe-MI 1.2 5.6 (NVM Subsystem Health Data
 * Structure) and 5.7 (Read NVMe-MI Data Structure), NVMe Base 2.0
 * 5.17.2.1 (Identify Controller), 5.16.1.4 (Firmware Slot Information)
 * and 5.16.1.25 (Sanitize Status).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <systemd/sd-bus.h>

#include "admin.h"
#include "drive-bus.h"
#include "decode.h"
#include "evlog.h"
#include "hooks.h"
#include "log.h"
#include "mctpd.h"
#include "mgmt.h"
#include "mi.h"
#include "seam-fixture.h"
#include "testbed.h"

/* The test's fixture, freed by seam_fx_teardown when a failure left it. */
static struct seam_fx *current;

struct seam_fx *seam_fx_new(uint64_t poll_ms, unsigned window, bool hooks)
{
	struct seam_fx *f = calloc(1, sizeof(*f));
	struct manager *m;

	assert_non_null(f);
	m = &f->m;
	f->temp = 40;
	f->fw_active = 1;
	f->tb = tb_new();
	m->poll_ms = poll_ms;
	m->window = window;
	m->timeout_ms = 20;
	m->sysfs_root = tb_dir(f->tb); /* no muxes */
	m->sources = nvmed_source_hooks;
	if (hooks)
		m->hooks = nvmed_drive_hooks;
	assert_int_equal(sd_event_new(&m->event), 0);
	assert_int_equal(sd_bus_open_system(&m->bus), 0);
	assert_int_equal(sd_bus_attach_event(m->bus, m->event, 0), 0);
	assert_true(sd_bus_request_name(m->bus, NVMED_BUS_NAME, 0) >= 0);
	assert_int_equal(sd_bus_open_system(&f->client), 0);
	assert_int_equal(sd_bus_attach_event(f->client, m->event, 0), 0);
	/* libnvme-mi's limit: 2 x 20 ms, no More Processing Required wait */
	assert_int_equal(mi_root_new(20, 0, LOG_CRIT, &m->mi), 0);
	assert_int_equal(bus_surface_new(m, &m->surface), 0);
	assert_int_equal(mgmt_new(m, NULL, &m->mgmt), 0);
	assert_int_equal(evlog_new(m->bus, &m->evlog), 0);
	assert_int_equal(iowork_set_new(m->event, m->mi, &m->iowork), 0);
	assert_int_equal(mctpd_new(m, &m->mctpd), 0);
	current = f;
	return f;
}

void seam_fx_free(struct seam_fx *f)
{
	struct manager *m = &f->m;

	current = NULL;
	while (m->drives)
		drive_free(m->drives);
	m->iowork = iowork_set_free(m->iowork);
	m->mctpd = mctpd_free(m->mctpd);
	m->mgmt = mgmt_free(m->mgmt);
	m->evlog = evlog_free(m->evlog);
	m->surface = bus_surface_free(m->surface);
	m->mi = mi_root_free(m->mi);
	f->client = sd_bus_flush_close_unref(f->client);
	m->bus = sd_bus_flush_close_unref(m->bus);
	m->event = sd_event_unref(m->event);
	tb_free(f->tb);
	free(f);
}

int seam_fx_teardown(void **state)
{
	if (current)
		seam_fx_free(current);
	return 0;
}

struct drive *seam_mi_drive(struct seam_fx *f, const char *name, uint8_t eid)
{
	char path[128];
	struct drive_config cfg = {
		.origin = DRIVE_FROM_JSON,
		.name = name,
		.config_path = path,
		.power_state = POWER_ALWAYS,
	};
	struct drive *d = NULL;

	snprintf(path, sizeof(path), "/seam/%s", name);
	for (int k = 0; k < _THRESHOLD_MAX; k++)
		cfg.th_index[k] = -1;
	assert_int_equal(drive_new(&f->m, &cfg, &d), 0);
	assert_int_equal(drive_set_endpoint(d, 1, eid), 0);
	return d;
}

void seam_health(uint8_t buf[8], uint8_t temp)
{
	memset(buf, 0, 8);
	buf[0] = 0x20; /* NSS: Drive Functional (NVMe-MI 1.2) */
	buf[1] = 0xff; /* SW: no warning (inverted) */
	buf[2] = temp; /* CTEMP */
	buf[3] = 5; /* PDLU */
}

static void put_ascii(uint8_t *p, const char *s, size_t n)
{
	memset(p, ' ', n);
	memcpy(p, s, strlen(s) < n ? strlen(s) : n);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, (uint16_t)v);
	put_le16(p + 2, (uint16_t)(v >> 16));
}

/* Identify Controller: the same for NVMe-MI's and the Admin command's. */
static void identify_ctrl(struct seam_fx *f, uint8_t *b, size_t len)
{
	uint8_t id[4096] = { 0 };

	put_le16(id, 0x144d); /* VID */
	put_ascii(id + 4, "SEAM0001", 20); /* SN */
	put_ascii(id + 24, "Seam Drive", 40); /* MN */
	put_ascii(id + 64, "1.0", 8); /* FR */
	put_le16(id + 256, 0x0006); /* OACS: Format, FW Commit/Download */
	id[260] = 2 << 1 | 0x10; /* FRMW: 2 slots, activation w/o reset */
	put_le16(id + 266, 273 + 70); /* WCTEMP */
	put_le16(id + 268, 273 + 80); /* CCTEMP */
	id[280] = 0x10; /* TNVMCAP */
	put_le32(id + 328, ADMIN_SANICAP_CES | ADMIN_SANICAP_BES);
	memcpy(b, id, len < sizeof(id) ? len : sizeof(id));
}

static void fw_slot_log(struct seam_fx *f, uint8_t *b, size_t len)
{
	uint8_t log[512] = { 0 };

	log[0] = (uint8_t)(f->fw_active | f->fw_next << 4); /* AFI */
	put_ascii(log + 8, "1.0", 8);
	put_ascii(log + 16, "2.0", 8);
	memcpy(b, log, len < sizeof(log) ? len : sizeof(log));
}

static void sanitize_log(struct seam_fx *f, uint8_t *b, size_t len)
{
	uint8_t log[512] = { 0 };

	put_le16(log,
		 f->sanitize_state == ADMIN_SANITIZE_RUNNING ? 0x8000 : 0xffff);
	put_le16(log + 2, f->sanitize_state);
	memcpy(b, log, len < sizeof(log) ? len : sizeof(log));
}

void seam_answer(struct seam_fx *f, struct seam_req *q)
{
	uint8_t buf[4096] = { 0 };
	size_t len = q->len < sizeof(buf) ? q->len : sizeof(buf);

	if (q->kind == SEAM_SMBUS) {
		seam_reply(q, -EIO, NULL, 0); /* no basic drive scripted */
		return;
	}
	if (q->kind == SEAM_MI) {
		switch (q->op) {
		case IOWORK_MI_SUBSYS_INFO:
			buf[1] = 1; /* NVMe-MI 1.2 */
			buf[2] = 2;
			break;
		case IOWORK_MI_HEALTH:
			seam_health(buf, f->temp);
			break;
		case IOWORK_MI_IDENTIFY:
			identify_ctrl(f, buf, len);
			break;
		case IOWORK_MI_SMART:
			buf[3] = 100; /* available spare */
			break;
		}
		seam_reply(q, 0, buf, len);
		return;
	}
	switch (q->admin.opcode) {
	case ADMIN_IDENTIFY:
		if ((q->admin.cdw[0] & 0xff) == 0x01)
			identify_ctrl(f, buf, len);
		/* CNS 02h: an empty namespace list */
		break;
	case ADMIN_GET_LOG_PAGE:
		if ((q->admin.cdw[0] & 0xff) == ADMIN_LOG_FW_SLOT)
			fw_slot_log(f, buf, len);
		else if ((q->admin.cdw[0] & 0xff) == ADMIN_LOG_SANITIZE)
			sanitize_log(f, buf, len);
		break;
	case ADMIN_FW_COMMIT:
		f->fw_next = q->admin.cdw[0] & 0x7;
		break;
	case ADMIN_SANITIZE:
		f->sanitize_state = ADMIN_SANITIZE_RUNNING;
		break;
	default:
		break;
	}
	seam_reply(q, 0, buf, len);
}

struct seam_req *seam_next(struct seam_fx *f)
{
	struct seam_req *q = seam_wait(f->m.event, 5000);

	assert_non_null(q);
	return q;
}

void seam_serve_until(struct seam_fx *f, bool (*cond)(struct seam_fx *, void *),
		      void *arg, unsigned timeout_ms)
{
	unsigned waited = 0;

	while (!cond(f, arg)) {
		struct seam_req *q = seam_wait(f->m.event, 10);

		if (q)
			seam_answer(f, q);
		else
			waited += 10;
		if (waited > timeout_ms)
			fail_msg("condition not reached in %u ms", timeout_ms);
	}
}

static bool matches(const struct seam_req *q, enum seam_kind kind, int op)
{
	if (q->kind != kind)
		return false;
	if (kind == SEAM_MI)
		return op < 0 || (int)q->op == op;
	if (kind == SEAM_ADMIN)
		return op < 0 || q->admin.opcode == op;
	return true;
}

struct seam_req *seam_serve_to(struct seam_fx *f, enum seam_kind kind,
			       int op_or_opcode)
{
	uint64_t start = 0, now = 0;

	/* 1: the loop has not run yet, the time is the clock's */
	assert_true(sd_event_now(f->m.event, CLOCK_MONOTONIC, &start) >= 0);
	do {
		struct seam_req *q = seam_next(f);

		if (matches(q, kind, op_or_opcode))
			return q;
		seam_answer(f, q);
		assert_int_equal(
			sd_event_now(f->m.event, CLOCK_MONOTONIC, &now), 0);
	} while (now < start + 5 * 1000 * 1000);
	fail_msg("no request of kind %d op %d in 5 s", kind, op_or_opcode);
	return NULL;
}

uint64_t seam_next_step_in(struct seam_fx *f, struct drive *d)
{
	uint64_t now = 0, at = 0;
	int enabled = SD_EVENT_OFF;

	assert_non_null(d->timer);
	assert_int_equal(sd_event_source_get_enabled(d->timer, &enabled) >= 0,
			 1);
	assert_int_not_equal(enabled, SD_EVENT_OFF);
	assert_int_equal(sd_event_now(f->m.event, CLOCK_MONOTONIC, &now), 0);
	assert_int_equal(sd_event_source_get_time(d->timer, &at), 0);
	return at > now ? at - now : 0;
}

struct seam_pending {
	bool done;
	sd_bus_slot *slot;
	sd_bus_message *reply;
};

static int call_done(sd_bus_message *reply, void *userdata,
		     sd_bus_error *ret_error)
{
	struct seam_pending *c = userdata;

	c->done = true;
	c->reply = sd_bus_message_ref(reply);
	return 0;
}

static struct seam_pending *call_startv(struct seam_fx *f, const char *path,
					const char *iface, const char *member,
					const char *types, va_list ap)
{
	struct seam_pending *c = calloc(1, sizeof(*c));
	sd_bus_message *call = NULL;
	int r;

	assert_non_null(c);
	r = sd_bus_message_new_method_call(f->client, &call, NVMED_BUS_NAME,
					   path, iface, member);
	assert_int_equal(r, 0);
	if (types)
		assert_true(sd_bus_message_appendv(call, types, ap) >= 0);
	assert_true(sd_bus_call_async(f->client, &c->slot, call, call_done, c,
				      10 * 1000 * 1000) >= 0);
	sd_bus_message_unref(call);
	return c;
}

struct seam_pending *seam_call_start(struct seam_fx *f, const char *path,
				     const char *iface, const char *member,
				     const char *types, ...)
{
	struct seam_pending *c;
	va_list ap;

	va_start(ap, types);
	c = call_startv(f, path, iface, member, types, ap);
	va_end(ap);
	return c;
}

bool seam_call_done(struct seam_pending *c)
{
	return c->done;
}

struct sd_bus_message *
seam_call_finish(struct seam_fx *f, struct seam_pending *c, sd_bus_error *error)
{
	sd_bus_message *reply;

	while (!c->done)
		assert_true(sd_event_run(f->m.event, UINT64_MAX) >= 0);
	sd_bus_slot_unref(c->slot);
	reply = c->reply;
	free(c);
	if (sd_bus_message_is_method_error(reply, NULL)) {
		sd_bus_error_copy(error, sd_bus_message_get_error(reply));
		sd_bus_message_unref(reply);
		return NULL;
	}
	return reply;
}

struct sd_bus_message *seam_call(struct seam_fx *f, const char *path,
				 const char *iface, const char *member,
				 sd_bus_error *error, const char *types, ...)
{
	struct seam_pending *c;
	va_list ap;

	va_start(ap, types);
	c = call_startv(f, path, iface, member, types, ap);
	va_end(ap);
	return seam_call_finish(f, c, error);
}

char *seam_get_string(struct seam_fx *f, const char *path, const char *iface,
		      const char *prop)
{
	sd_bus_error error = SD_BUS_ERROR_NULL;
	sd_bus_message *reply;
	const char *s = NULL;
	char *copy;

	reply = seam_call(f, path, "org.freedesktop.DBus.Properties", "Get",
			  &error, "ss", iface, prop);
	if (!reply)
		fail_msg("Get %s.%s on %s: %s", iface, prop, path,
			 error.message);
	assert_true(sd_bus_message_read(reply, "v", "s", &s) >= 0);
	copy = strdup(s);
	sd_bus_message_unref(reply);
	return copy;
}
