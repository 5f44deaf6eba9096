// SPDX-License-Identifier: Apache-2.0
/*
 * Asynchronous client of mctpd (au.com.codeconstruct.MCTP1, mctpd >= 2.0):
 * SetupEndpoint for NVME1000 mi_i2c records, and the endpoint objects
 * (with dbus-sensors' configured_by association) that become drives.
 * Nothing here blocks the event loop. Per drive it keeps a link (the
 * endpoint object, the SetupEndpoint call and its retries); per endpoint
 * object the recovery handshake; per MCTP target record its name.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbus-names.h"
#include "backoff.h"
#include "bus-util.h"
#include "drive.h"
#include "reconcile.h"
#include "fmt.h"
#include "log.h"
#include "macros.h"
#include "manager.h"
#include "mctpd.h"

/* dbus-sensors' mctpreactor hosts the configured_by associations on the
 * endpoint paths, ObjectManager at MCTPD_ROOT (MCTPReactorMain.cpp). */
#define MCTP_TYPE_NVME_MI    4
#define SETUP_TIMEOUT_USEC   (5 * 1000 * 1000ULL)
#define SETUP_BACKOFF_MAX_MS 30000
/* mctpd's recovery takes Treclaim (5 s, DSP0237 1.2.0 §6.19) plus its
 * query timeouts (src/mctpd.c: three Get Endpoint ID polls 2.25 s apart,
 * 250 ms each); wait twice that for its outcome before polling again. */
#define RECOVER_WAIT_USEC (10 * 1000 * 1000ULL)
/* A drive whose NVMe-MI keeps failing while mctpd finds its endpoint
 * answering is not sent to recovery more often than this: in between it
 * is polled with its back-off. A drive that answered since is a new
 * case. */
#define RECOVER_EVERY_USEC (30 * 1000 * 1000ULL)

static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}

/*
 * One endpoint object of mctpd (and mctpreactor's association on it), and
 * the recovery handshake of mctpd's docs/endpoint-recovery.md: after
 * Recover, mctpd sets Connectivity to Degraded and polls the device; the
 * outcome is Connectivity back to Available, or the object removed (the
 * device is gone, or came back with another EID or UUID and was set up
 * again at another path). While we wait, the drive sends nothing.
 */
struct endpoint {
	struct endpoint *next;
	struct mctpd *c;
	char *path;
	bool has_endpoint; /* the MCTP.Endpoint interface is there */
	uint32_t net;
	uint8_t eid;
	bool nvme_mi;
	bool degraded; /* Endpoint1.Connectivity is "Degraded" */
	char *uuid; /* Common.UUID, NULL if not published */
	char *config; /* configured_by target, NULL if none */
	/* the handshake: our Recover call, and waiting for its outcome */
	uint64_t last_recover_usec;
	sd_bus_slot *recover_call;
	sd_event_source *wait_timer;
	bool waiting;
};

/* What we know of one drive's MCTP link. */
struct link {
	struct link *next;
	struct mctpd *c;
	struct drive *d;
	/* mctpd's endpoint object: DRIVE_FROM_ENDPOINT's own, or the path
	 * SetupEndpoint returned for DRIVE_FROM_RECORD; NULL if none */
	char *endpoint_path;
	sd_bus_slot *setup_call;
	sd_event_source *setup_timer;
	unsigned setup_failures;
};

/* An MCTPI2CTarget/MCTPI3CTarget record: the name of the drives behind
 * the endpoints configured_by it. */
struct target {
	struct target *next;
	char *path;
	char *name;
	char *board;
};

struct mctpd {
	struct manager *m;
	struct endpoint *endpoints;
	struct link *links;
	struct target *targets;
	struct bus_matches *matches;
	sd_bus_slot *get_call, *reactor_get_call;
};

static struct link *link_get(struct mctpd *c, struct drive *d, bool create)
{
	struct link *l;

	for (l = c->links; l; l = l->next)
		if (l->d == d)
			return l;
	if (!create)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->c = c;
	l->d = d;
	l->next = c->links;
	c->links = l;
	return l;
}

static void link_free(struct mctpd *c, struct link *l)
{
	for (struct link **p = &c->links; *p; p = &(*p)->next)
		if (*p == l) {
			*p = l->next;
			break;
		}
	sd_bus_slot_unref(l->setup_call);
	sd_event_source_disable_unref(l->setup_timer);
	free(l->endpoint_path);
	free(l);
}

/* The drive's endpoint object, NULL if none. */
static const char *link_endpoint(struct mctpd *c, struct drive *d)
{
	struct link *l = link_get(c, d, false);

	return l ? l->endpoint_path : NULL;
}

/* Is a SetupEndpoint of the drive's in flight? */
static bool link_setting_up(struct mctpd *c, struct drive *d)
{
	struct link *l = link_get(c, d, false);

	return l && l->setup_call;
}

int mctpd_interface_for_bus(const char *sysfs_root, unsigned bus, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	DIR *d;
	char *name = NULL;

	if (asprintf(&dir, "%s/bus/i2c/devices/i2c-%u/net", sysfs_root, bus) <
	    0)
		return -ENOMEM;
	d = opendir(dir);
	if (d) {
		struct dirent *de;

		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			name = strdup(de->d_name);
			break;
		}
		closedir(d);
		if (name) {
			*ret = name;
			return 0;
		}
	}
	if (asprintf(&name, "mctpi2c%u", bus) < 0)
		return -ENOMEM;
	*ret = name;
	return 0;
}

/* ---- SetupEndpoint ---------------------------------------------------- */

static int setup_start(struct link *l);

static int setup_retry_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct link *l = userdata;

	l->setup_timer = sd_event_source_disable_unref(l->setup_timer);
	(void)setup_start(l);
	return 0;
}

static void setup_failed(struct link *l, const char *why)
{
	struct drive *d = l->d;
	uint64_t delay_ms;
	int r;

	l->setup_failures++;
	delay_ms = backoff_delay(1000, l->setup_failures, SETUP_BACKOFF_MAX_MS);
	if (l->setup_failures == 1)
		log_warning("Drive '%s': mctpd SetupEndpoint on I2C bus %u "
			    "address 0x%02x failed: %s; retrying",
			    d->name, d->i2c_bus, d->i2c_addr, why);
	else
		log_debug("Drive '%s': SetupEndpoint failed again (%u): %s",
			  d->name, l->setup_failures, why);

	l->setup_timer = sd_event_source_disable_unref(l->setup_timer);
	r = sd_event_add_time_relative(l->c->m->event, &l->setup_timer,
				       CLOCK_MONOTONIC, delay_ms * 1000, 0,
				       setup_retry_cb, l);
	if (r < 0)
		log_error_errno(r,
				"Drive '%s': cannot schedule SetupEndpoint "
				"retry",
				d->name);
}

/* SetupEndpoint's reply: (EID, network, object path, new). */
static int read_setup_reply(sd_bus_message *reply, uint8_t *eid, int32_t *net,
			    const char **path, char *type)
{
	int isnew, r;

	r = sd_bus_message_read(reply, "yi", eid, net);
	if (r >= 0)
		r = sd_bus_message_peek_type(reply, type, NULL);
	if (r >= 0)
		r = (*type == 's' || *type == 'o') ?
			    sd_bus_message_read_basic(reply, *type, path) :
			    -EBADMSG;
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &isnew);
	if (r >= 0 && (*net < 0 || *eid == 0 || *eid == 0xff))
		r = -EBADMSG;
	return r;
}

static int setup_reply(sd_bus_message *reply, void *userdata,
		       sd_bus_error *ret_error)
{
	struct link *l = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	const char *path = NULL;
	uint8_t eid = 0;
	int32_t net = 0;
	char type = 0;

	l->setup_call = sd_bus_slot_unref(l->setup_call);
	if (e) {
		setup_failed(l, e->message ? e->message : e->name);
		return 0;
	}
	if (read_setup_reply(reply, &eid, &net, &path, &type) < 0) {
		setup_failed(l, "malformed reply");
		return 0;
	}
	l->setup_failures = 0;
	log_info("Drive '%s': mctpd set up EID %u on network %d ('%s')",
		 l->d->name, eid, net, path);
	if (type == 'o' || sd_bus_object_path_is_valid(path)) {
		char *p = strdup(path);

		if (!p) {
			log_oom();
			return 0;
		}
		free(l->endpoint_path);
		l->endpoint_path = p;
	}
	(void)sources_set_endpoint(l->c->m, l->d, (uint32_t)net, eid);
	return 0;
}

static int setup_start(struct link *l)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	_cleanup_free_ char *iface = NULL, *path = NULL;
	struct manager *m = l->c->m;
	int r;

	r = mctpd_interface_for_bus(m->sysfs_root, l->d->i2c_bus, &iface);
	if (r < 0)
		return log_oom();
	/* mctpd names the object with sd_bus_path_encode, as we do: an
	 * interface name with anything but [A-Za-z0-9] is escaped */
	r = sd_bus_path_encode(MCTPD_ROOT "/interfaces", iface, &path);
	if (r < 0) {
		setup_failed(l, "invalid MCTP interface name");
		return r;
	}
	r = sd_bus_message_new_method_call(m->bus, &msg, MCTPD_SERVICE, path,
					   MCTPD_BUSOWNER, "SetupEndpoint");
	if (r >= 0)
		r = sd_bus_message_append_array(msg, 'y', &l->d->i2c_addr, 1);
	if (r >= 0)
		r = sd_bus_call_async(m->bus, &l->setup_call, msg, setup_reply,
				      l, SETUP_TIMEOUT_USEC);
	if (r < 0) {
		setup_failed(l, strerror(-r));
		return r;
	}
	return 0;
}

int mctpd_setup_endpoint(struct mctpd *c, struct drive *d)
{
	struct link *l;

	if (!c)
		return 0;
	l = link_get(c, d, true);
	if (!l)
		return log_oom();
	l->setup_call = sd_bus_slot_unref(l->setup_call);
	l->setup_timer = sd_event_source_disable_unref(l->setup_timer);
	l->setup_failures = 0;
	return setup_start(l);
}

void mctpd_drive_powered(struct mctpd *c, struct drive *d)
{
	if (c && d->origin == DRIVE_FROM_RECORD)
		(void)mctpd_setup_endpoint(c, d);
}

static struct endpoint *endpoint_get(struct mctpd *c, const char *path,
				     bool create);
static void recovery_end(struct endpoint *ep);

void mctpd_drive_removed(struct mctpd *c, struct drive *d)
{
	struct link *l = c ? link_get(c, d, false) : NULL;
	struct endpoint *ep;

	if (!l)
		return;
	if (l->endpoint_path) {
		ep = endpoint_get(c, l->endpoint_path, false);
		if (ep)
			recovery_end(ep);
	}
	link_free(c, l);
}

/* ---- endpoint objects ------------------------------------------------- */

static struct endpoint *endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return NULL;
	sd_bus_slot_unref(ep->recover_call);
	sd_event_source_disable_unref(ep->wait_timer);
	free(ep->path);
	free(ep->uuid);
	free(ep->config);
	free(ep);
	return NULL;
}

static struct endpoint *endpoint_get(struct mctpd *c, const char *path,
				     bool create)
{
	struct endpoint *ep;

	for (ep = c->endpoints; ep; ep = ep->next)
		if (strcmp(ep->path, path) == 0)
			return ep;
	if (!create)
		return NULL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return NULL;
	ep->c = c;
	ep->path = strdup(path);
	if (!ep->path)
		return endpoint_free(ep);
	ep->next = c->endpoints;
	c->endpoints = ep;
	return ep;
}

static void recovery_done(struct endpoint *ep, bool available);

static void endpoint_drop(struct mctpd *c, struct endpoint *ep)
{
	recovery_done(ep, false);
	for (struct endpoint **p = &c->endpoints; *p; p = &(*p)->next)
		if (*p == ep) {
			*p = ep->next;
			endpoint_free(ep);
			return;
		}
}

/* The drive that talks to this endpoint, if any. */
static struct drive *endpoint_drive(const struct endpoint *ep)
{
	for (struct link *l = ep->c->links; l; l = l->next)
		if (l->endpoint_path && strcmp(l->endpoint_path, ep->path) == 0)
			return l->d;
	/* an NVMeMI record's drive at an EID mctpd publishes */
	for (struct drive *d = ep->c->m->drives; d; d = d->next)
		if (d->origin == DRIVE_FROM_JSON && d->have_endpoint &&
		    ep->has_endpoint && d->net == ep->net && d->eid == ep->eid)
			return d;
	return NULL;
}

static struct endpoint *endpoint_at(struct mctpd *c, uint32_t net, uint8_t eid)
{
	for (struct endpoint *ep = c->endpoints; ep; ep = ep->next)
		if (ep->has_endpoint && ep->net == net && ep->eid == eid)
			return ep;
	return NULL;
}

/* Stop waiting; the drive's polls are its own again. */
static void recovery_end(struct endpoint *ep)
{
	ep->recover_call = sd_bus_slot_unref(ep->recover_call);
	ep->wait_timer = sd_event_source_disable_unref(ep->wait_timer);
	ep->waiting = false;
}

/* The outcome is in (or will not come): resume the drive, at once when
 * mctpd says the endpoint answers again. */
static void recovery_done(struct endpoint *ep, bool available)
{
	struct drive *d = endpoint_drive(ep);

	if (!ep->waiting)
		return;
	recovery_end(ep);
	if (d)
		drive_link_release(d, available);
}

static int recovery_timeout_cb(sd_event_source *s, uint64_t usec,
			       void *userdata)
{
	struct endpoint *ep = userdata;
	struct drive *d = endpoint_drive(ep);

	log_warning("Drive '%s': mctpd reported no outcome of recovering "
		    "'%s' in %llu s; polling the drive again",
		    d ? d->name : "?", ep->path,
		    RECOVER_WAIT_USEC / 1000000ULL);
	recovery_done(ep, false);
	return 0;
}

static int recover_reply(sd_bus_message *reply, void *userdata,
			 sd_bus_error *ret_error)
{
	struct endpoint *ep = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	struct drive *d = endpoint_drive(ep);

	ep->recover_call = sd_bus_slot_unref(ep->recover_call);
	if (!e)
		return 0; /* the outcome comes as Connectivity or removal */
	log_warning("Drive '%s': mctpd Recover on '%s' failed: %s",
		    d ? d->name : "?", ep->path,
		    e->message ? e->message : e->name);
	recovery_done(ep, false);
	/* An mctpd without Recover, or an endpoint it no longer knows: a
	 * record drive asks for its endpoint again. */
	if (d && d->origin == DRIVE_FROM_RECORD && !link_setting_up(ep->c, d))
		(void)mctpd_setup_endpoint(ep->c, d);
	return 0;
}

static int recovery_wait(struct endpoint *ep, struct drive *d)
{
	uint64_t now = 0;
	int r;

	(void)sd_event_now(ep->c->m->event, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(ep->c->m->event, &ep->wait_timer, CLOCK_MONOTONIC,
			      now + RECOVER_WAIT_USEC, 0, recovery_timeout_cb,
			      ep);
	if (r < 0)
		return r;
	ep->waiting = true;
	drive_link_hold(d);
	return 0;
}

/* Ask for the record drive's endpoint again, unless that is under way. */
static void setup_again(struct mctpd *c, struct drive *d)
{
	if (d->origin == DRIVE_FROM_RECORD && !link_setting_up(c, d))
		(void)mctpd_setup_endpoint(c, d);
}

/* The endpoint object mctpd recovers for the drive; NULL after asking for
 * a record drive's endpoint again where mctpd does not publish one. */
static struct endpoint *failing_endpoint(struct mctpd *c, struct drive *d)
{
	const char *path;
	struct endpoint *ep;

	if (d->origin == DRIVE_FROM_JSON)
		/* a static EID: recovered by mctpd if mctpd publishes it */
		return d->have_endpoint ? endpoint_at(c, d->net, d->eid) : NULL;
	if (d->origin != DRIVE_FROM_RECORD && d->origin != DRIVE_FROM_ENDPOINT)
		return NULL;
	path = link_endpoint(c, d);
	ep = path ? endpoint_get(c, path, false) : NULL;
	if (!ep || !ep->has_endpoint) {
		/* mctpd does not publish it (any more): set it up again */
		setup_again(c, d);
		return NULL;
	}
	return ep;
}

/*
 * A drive's polls keep failing. mctpd does not poll its endpoints: ask it
 * to recover the endpoint (Recover returns at once), then wait for the
 * outcome without talking to the drive (mctpd docs/endpoint-recovery.md).
 * An endpoint already Degraded (another client asked) is only waited on.
 */
void mctpd_endpoint_failing(struct mctpd *c, struct drive *d)
{
	struct endpoint *ep;
	uint64_t now = 0;
	int r;

	if (!c)
		return;
	ep = failing_endpoint(c, d);
	if (!ep || ep->waiting)
		return;
	(void)sd_event_now(c->m->event, CLOCK_MONOTONIC, &now);
	/* not again while the drive has not answered since the last one */
	if (ep->last_recover_usec && d->answered_usec < ep->last_recover_usec &&
	    now < ep->last_recover_usec + RECOVER_EVERY_USEC)
		return;
	if (ep->degraded) {
		log_info("Drive '%s': mctpd is already recovering '%s'; "
			 "waiting for it",
			 d->name, ep->path);
		r = recovery_wait(ep, d);
		if (r < 0)
			log_warning_errno(r,
					  "Drive '%s': cannot wait for mctpd",
					  d->name);
		return;
	}
	log_info("Drive '%s': asking mctpd to recover '%s'", d->name, ep->path);
	ep->last_recover_usec = now;
	r = sd_bus_call_method_async(c->m->bus, &ep->recover_call,
				     MCTPD_SERVICE, ep->path, MCTPD_ENDPOINT1,
				     "Recover", recover_reply, ep, NULL);
	if (r >= 0)
		r = recovery_wait(ep, d);
	if (r < 0) {
		log_warning_errno(r, "Drive '%s': cannot call mctpd Recover",
				  d->name);
		recovery_end(ep);
		setup_again(c, d);
	}
}

/* Endpoint1.Connectivity changed (or was read) to value. */
static void connectivity_update(struct endpoint *ep, const char *value)
{
	bool degraded = strcmp(value, "Degraded") == 0;
	struct drive *d;

	if (degraded == ep->degraded)
		return;
	ep->degraded = degraded;
	d = endpoint_drive(ep);
	if (degraded) {
		log_info("mctpd endpoint '%s'%s%s%s is degraded", ep->path,
			 d ? " (drive '" : "", d ? d->name : "", d ? "')" : "");
		return;
	}
	if (ep->waiting && d)
		log_info("Drive '%s': mctpd recovered '%s'; polling again",
			 d->name, ep->path);
	recovery_done(ep, true);
}

struct string_prop {
	const char *name;
	char **ret;
};

static int string_prop_one(sd_bus_message *msg, const char *name,
			   const char *contents, void *userdata)
{
	struct string_prop *sp = userdata;
	const char *v;
	char *copy;
	int r;

	if (strcmp(name, sp->name) != 0 || strcmp(contents, "s") != 0)
		return 0;
	r = sd_bus_message_read(msg, "v", "s", &v);
	if (r < 0)
		return r;
	copy = strdup(v);
	if (!copy)
		return -ENOMEM;
	free(*sp->ret);
	*sp->ret = copy;
	return 1;
}

/* The string property name of an "a{sv}" into *ret (kept if absent). */
static int read_string_props(sd_bus_message *msg, const char *name, char **ret)
{
	struct string_prop sp = { name, ret };

	return bus_for_each_prop(msg, string_prop_one, &sp);
}

static int on_properties_changed(sd_bus_message *msg, void *userdata,
				 sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;
	_cleanup_free_ char *value = NULL;
	const char *iface;
	struct endpoint *ep;
	int r;

	ep = endpoint_get(c, sd_bus_message_get_path(msg), false);
	if (!ep)
		return 0;
	r = sd_bus_message_read(msg, "s", &iface);
	if (r < 0 || strcmp(iface, MCTPD_ENDPOINT1) != 0)
		return 0;
	r = read_string_props(msg, "Connectivity", &value);
	if (r < 0)
		log_warning_errno(r,
				  "Ignoring malformed PropertiesChanged of "
				  "'%s'",
				  ep->path);
	else if (value)
		connectivity_update(ep, value);
	return 0;
}

struct endpoint_read {
	struct endpoint *ep;
	bool have_net, have_eid;
};

static int endpoint_prop_one(sd_bus_message *msg, const char *name,
			     const char *contents, void *userdata)
{
	struct endpoint_read *er = userdata;
	struct endpoint *ep = er->ep;
	int r;

	if (strcmp(name, "NetworkId") == 0 &&
	    (strcmp(contents, "u") == 0 || strcmp(contents, "i") == 0)) {
		uint32_t v;

		r = sd_bus_message_read(msg, "v", contents, &v);
		ep->net = v;
		er->have_net = true;
	} else if (strcmp(name, "EID") == 0 && strcmp(contents, "y") == 0) {
		r = sd_bus_message_read(msg, "v", "y", &ep->eid);
		er->have_eid = true;
	} else if (strcmp(name, "SupportedMessageTypes") == 0 &&
		   strcmp(contents, "ay") == 0) {
		const uint8_t *types;
		size_t n = 0;

		r = sd_bus_message_enter_container(msg, 'v', "ay");
		if (r >= 0)
			r = sd_bus_message_read_array(
				msg, 'y', (const void **)&types, &n);
		if (r >= 0)
			r = sd_bus_message_exit_container(msg);
		ep->nvme_mi = false;
		for (size_t i = 0; r >= 0 && i < n; i++)
			if (types[i] == MCTP_TYPE_NVME_MI)
				ep->nvme_mi = true;
	} else {
		return 0;
	}
	return r < 0 ? r : 1;
}

static int read_endpoint_props(sd_bus_message *msg, struct endpoint *ep)
{
	struct endpoint_read er = { .ep = ep };
	int r = bus_for_each_prop(msg, endpoint_prop_one, &er);

	if (r < 0)
		return r;
	ep->has_endpoint = er.have_net && er.have_eid;
	return r;
}

static int assoc_prop_one(sd_bus_message *msg, const char *name,
			  const char *contents, void *userdata)
{
	struct endpoint *ep = userdata;
	const char *fwd, *rev, *target;
	int r;

	if (strcmp(name, "Associations") != 0 ||
	    strcmp(contents, "a(sss)") != 0)
		return 0;
	r = sd_bus_message_enter_container(msg, 'v', "a(sss)");
	if (r >= 0)
		r = sd_bus_message_enter_container(msg, 'a', "(sss)");
	while (r >= 0 && (r = sd_bus_message_read(msg, "(sss)", &fwd, &rev,
						  &target)) > 0) {
		if (strcmp(fwd, "configured_by") != 0)
			continue;
		free(ep->config);
		ep->config = strdup(target);
		if (!ep->config)
			return -ENOMEM;
	}
	if (r >= 0)
		r = sd_bus_message_exit_container(msg);
	if (r >= 0)
		r = sd_bus_message_exit_container(msg);
	return r < 0 ? r : 1;
}

static int read_assoc_props(sd_bus_message *msg, struct endpoint *ep)
{
	return bus_for_each_prop(msg, assoc_prop_one, ep);
}

struct object_read {
	struct mctpd *c;
	const char *path;
	struct endpoint *ep;
};

/* One interface of an object under MCTPD_ROOT: ours are read, the rest
 * skipped. */
static int interface_one(sd_bus_message *msg, const char *iface,
			 const char *contents, void *userdata)
{
	struct object_read * or = userdata;
	_cleanup_free_ char *value = NULL;
	int r;

	if (strcmp(iface, IFACE_MCTP_EP) != 0 &&
	    strcmp(iface, IFACE_ASSOC) != 0 &&
	    strcmp(iface, MCTPD_ENDPOINT1) != 0 &&
	    strcmp(iface, IFACE_UUID) != 0)
		return 0;
	if (! or->ep)
		or->ep = endpoint_get(or->c, or->path, true);
	if (! or->ep)
		return -ENOMEM;
	if (strcmp(iface, IFACE_MCTP_EP) == 0)
		r = read_endpoint_props(msg, or->ep);
	else if (strcmp(iface, IFACE_ASSOC) == 0)
		r = read_assoc_props(msg, or->ep);
	else if (strcmp(iface, IFACE_UUID) == 0)
		r = read_string_props(msg, "UUID", & or->ep->uuid);
	else {
		r = read_string_props(msg, "Connectivity", &value);
		if (r >= 0 && value)
			connectivity_update(or->ep, value);
	}
	return r < 0 ? r : 1;
}

/* Reads "a{sa{sv}}" for the object at path. */
static int read_interfaces(struct mctpd *c, sd_bus_message *msg,
			   const char *path)
{
	struct object_read or = { c, path, NULL };

	return bus_for_each_iface(msg, interface_one, & or);
}

static void endpoint_gone(struct mctpd *c, struct endpoint *ep)
{
	struct drive *d;

	if (!ep->has_endpoint)
		return;
	recovery_done(ep, false);
	ep->degraded = false;
	d = drive_find_by_endpoint(c->m, ep->net, ep->eid);
	if (d && d->origin == DRIVE_FROM_RECORD) {
		struct link *l = link_get(c, d, false);

		/* Our own SetupEndpoint endpoint vanished (mctpd's recovery
		 * found the device gone, or gave it another EID or UUID):
		 * ask for it again, after mctpd is done with it. */
		log_info("Drive '%s': mctpd removed its endpoint; setting it "
			 "up again",
			 d->name);
		drive_clear_endpoint(d);
		if (l)
			l->endpoint_path = mfree(l->endpoint_path);
		(void)mctpd_setup_endpoint(c, d);
	}
}

static int on_interfaces_added(sd_bus_message *msg, void *userdata,
			       sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;
	const char *path;
	int r;

	r = sd_bus_message_read(msg, "o", &path);
	if (r >= 0)
		r = read_interfaces(c, msg, path);
	if (r < 0)
		log_warning_errno(r,
				  "Ignoring malformed InterfacesAdded from "
				  "'%s'",
				  strna(sd_bus_message_get_sender(msg)));
	mctpd_reconcile(c);
	return 0;
}

static int on_interfaces_removed(sd_bus_message *msg, void *userdata,
				 sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;
	const char *path, *iface;
	struct endpoint *ep;
	int r;

	r = sd_bus_message_read(msg, "o", &path);
	if (r < 0)
		return 0;
	ep = endpoint_get(c, path, false);
	if (!ep)
		return 0;
	r = sd_bus_message_enter_container(msg, 'a', "s");
	while (r >= 0 && (r = sd_bus_message_read(msg, "s", &iface)) > 0) {
		if (strcmp(iface, IFACE_MCTP_EP) == 0) {
			endpoint_gone(c, ep);
			ep->has_endpoint = false;
		} else if (strcmp(iface, IFACE_ASSOC) == 0) {
			ep->config = mfree(ep->config);
		}
	}
	if (!ep->has_endpoint && !ep->config)
		endpoint_drop(c, ep);
	mctpd_reconcile(c);
	return 0;
}

static int object_one(sd_bus_message *msg, const char *path,
		      const char *contents, void *userdata)
{
	int r = read_interfaces(userdata, msg, path);

	return r < 0 ? r : 1;
}

static int read_managed_objects(struct mctpd *c, sd_bus_message *reply)
{
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	int r;

	if (e) {
		log_debug("GetManagedObjects at " MCTPD_ROOT " failed (%s); "
			  "following endpoints when mctpd/mctpreactor start",
			  e->message ? e->message : e->name);
		return 0;
	}
	r = bus_for_each_object(reply, object_one, c);
	if (r < 0)
		log_warning_errno(r, "Malformed GetManagedObjects reply from "
				     "mctpd; using what was read");
	mctpd_reconcile(c);
	return 0;
}

static int on_managed_objects(sd_bus_message *reply, void *userdata,
			      sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;

	c->get_call = sd_bus_slot_unref(c->get_call);
	return read_managed_objects(c, reply);
}

static int on_reactor_objects(sd_bus_message *reply, void *userdata,
			      sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;

	c->reactor_get_call = sd_bus_slot_unref(c->reactor_get_call);
	return read_managed_objects(c, reply);
}

static int get_managed_objects(struct mctpd *c, bool reactor)
{
	sd_bus_slot **slot = reactor ? &c->reactor_get_call : &c->get_call;

	*slot = sd_bus_slot_unref(*slot);
	return sd_bus_call_method_async(
		c->m->bus, slot, reactor ? REACTOR_SERVICE : MCTPD_SERVICE,
		MCTPD_ROOT, IFACE_OBJECT_MANAGER, "GetManagedObjects",
		reactor ? on_reactor_objects : on_managed_objects, c, NULL);
}

/*
 * mctpd and mctpreactor publish different parts of one endpoint object
 * (the endpoint, the configured_by association). A restart of one of them
 * forgets only its part, and drives are not dropped until both
 * GetManagedObjects replies are in (mctpd_reconcile), so a restart does
 * not flap the endpoint drives.
 */
static int on_owner_changed(sd_bus_message *msg, void *userdata,
			    sd_bus_error *ret_error)
{
	struct mctpd *c = userdata;
	const char *name, *old, *new;
	bool reactor;

	if (sd_bus_message_read(msg, "sss", &name, &old, &new) < 0)
		return 0;
	if (!new || !*new)
		return 0;
	reactor = strcmp(name, REACTOR_SERVICE) == 0;
	log_info("%s appeared on the bus; reading its endpoints",
		 reactor ? "mctpreactor" : "mctpd");
	for (struct endpoint *ep = c->endpoints, *next; ep; ep = next) {
		next = ep->next;
		if (reactor) {
			ep->config = mfree(ep->config);
		} else {
			/* the new mctpd knows nothing of a recovery */
			recovery_done(ep, false);
			ep->has_endpoint = false;
			ep->nvme_mi = false;
			ep->degraded = false;
		}
		if (!ep->has_endpoint && !ep->config)
			endpoint_drop(c, ep);
	}
	(void)get_managed_objects(c, reactor);
	if (reactor)
		return 0;
	/* A new mctpd may hand our EIDs to other devices: set every record
	 * drive up again (SetupEndpoint is idempotent). */
	for (struct drive *d = c->m->drives; d; d = d->next)
		if (d->origin == DRIVE_FROM_RECORD)
			(void)mctpd_setup_endpoint(c, d);
	return 0;
}

/* ---- MCTP target records ---------------------------------------------- */

static struct target *target_free(struct target *t)
{
	if (!t)
		return NULL;
	free(t->path);
	free(t->name);
	free(t->board);
	free(t);
	return NULL;
}

static struct target **target_find(struct mctpd *c, const char *path)
{
	struct target **p;

	for (p = &c->targets; *p; p = &(*p)->next)
		if (strcmp((*p)->path, path) == 0)
			break;
	return p;
}

static void target_drop(struct mctpd *c, const char *path)
{
	struct target **p = target_find(c, path), *t = *p;

	if (!t)
		return;
	*p = t->next;
	target_free(t);
}

void mctpd_target_remove(struct mctpd *c, const char *path)
{
	if (!c)
		return;
	target_drop(c, path);
	mctpd_reconcile(c);
}

int mctpd_target_set(struct mctpd *c, const char *path, const char *name,
		     const char *board)
{
	struct target *t;

	if (!c)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->path = strdup(path);
	t->name = strdup(name);
	t->board = board ? strdup(board) : NULL;
	if (!t->path || !t->name || (board && !t->board)) {
		target_free(t);
		return -ENOMEM;
	}
	target_drop(c, path);
	t->next = c->targets;
	c->targets = t;
	mctpd_reconcile(c);
	return 0;
}

/* Display name and board of the record an endpoint is configured by: a
 * target record's, else the last segment and the parent of its path. */
static int endpoint_identity(struct mctpd *c, const struct endpoint *ep,
			     char **ret_name, char **ret_board)
{
	struct target *t = *target_find(c, ep->config);
	const char *name, *board = NULL;
	_cleanup_free_ char *parent = NULL;
	char *slash;

	if (t) {
		name = t->name;
		board = t->board;
	} else {
		slash = strrchr(ep->config, '/');
		name = slash && slash[1] ? slash + 1 : ep->config;
		parent = strdup(ep->config);
		if (!parent)
			return -ENOMEM;
		slash = strrchr(parent, '/');
		if (slash && slash != parent) {
			*slash = '\0';
			board = parent;
		}
	}
	*ret_name = strdup(name);
	*ret_board = board ? strdup(board) : NULL;
	if (!*ret_name || (board && !*ret_board)) {
		*ret_name = mfree(*ret_name);
		*ret_board = mfree(*ret_board);
		return -ENOMEM;
	}
	return 0;
}

/* ---- endpoint drives --------------------------------------------------- */

/* The drives mctpd's endpoints want: one per NVMe-MI endpoint that is
 * configured_by a record (the reconciler decides whether a configured
 * drive is its device already). Partial while a GetManagedObjects is
 * pending (half of what we know may be missing until then). */
int mctpd_wants(struct mctpd *c, struct drive_wants *w, bool *partial)
{
	if (!c)
		return 0;
	*partial = c->get_call || c->reactor_get_call;
	for (struct endpoint *ep = c->endpoints; ep; ep = ep->next) {
		struct drive_want *x;
		char *name = NULL, *board = NULL;

		if (!ep->has_endpoint || !ep->nvme_mi || !ep->config)
			continue;
		x = drive_wants_add(w);
		if (!x || endpoint_identity(c, ep, &name, &board) < 0)
			return -ENOMEM;
		x->own[0] = name;
		x->own[1] = board;
		x->cfg.origin = DRIVE_FROM_ENDPOINT;
		x->cfg.power_state = POWER_ALWAYS;
		x->cfg.name = name;
		x->cfg.board = board;
		x->cfg.config_path = ep->config;
		x->cfg.endpoint = ep->path;
		x->cfg.net = ep->net;
		x->cfg.eid = ep->eid;
	}
	return 0;
}

int mctpd_endpoint_drive(struct mctpd *c, struct drive *d, const char *path)
{
	struct link *l = c ? link_get(c, d, true) : NULL;

	if (l && !l->endpoint_path)
		l->endpoint_path = strdup(path);
	if (!l || !l->endpoint_path)
		return log_oom();
	return 0;
}

void mctpd_reconcile(struct mctpd *c)
{
	if (c)
		sources_changed(c->m);
}

/* ---- life cycle -------------------------------------------------------- */

/* No sender filter on the ObjectManager signals: mctpd publishes the
 * endpoints, and the configured_by association may come from another
 * service (dbus-sensors' mctpreactor) on the same object path. */
static const struct bus_match matches[] = {
	{ "type='signal',interface='org.freedesktop.DBus.ObjectManager',"
	  "member='InterfacesAdded',arg0path='" MCTPD_ROOT "/'",
	  on_interfaces_added },
	{ "type='signal',interface='org.freedesktop.DBus.ObjectManager',"
	  "member='InterfacesRemoved',arg0path='" MCTPD_ROOT "/'",
	  on_interfaces_removed },
	{ "type='signal',interface='org.freedesktop.DBus.Properties',"
	  "member='PropertiesChanged',arg0='" MCTPD_ENDPOINT1 "',"
	  "path_namespace='" MCTPD_ROOT "'",
	  on_properties_changed },
	{ "type='signal',sender='org.freedesktop.DBus',"
	  "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
	  "arg0='" MCTPD_SERVICE "'",
	  on_owner_changed },
	{ "type='signal',sender='org.freedesktop.DBus',"
	  "interface='org.freedesktop.DBus',member='NameOwnerChanged',"
	  "arg0='" REACTOR_SERVICE "'",
	  on_owner_changed },
};

/* A match was missing for a while: read both parts of the tree again. */
static void resync(void *userdata)
{
	struct mctpd *c = userdata;

	if (get_managed_objects(c, false) < 0 ||
	    get_managed_objects(c, true) < 0)
		log_warning("Cannot read mctpd's endpoints again");
}

int mctpd_new(struct manager *m, struct mctpd **ret)
{
	struct mctpd *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	r = bus_matches_add(m->bus, matches, ARRAY_SIZE(matches), c, resync,
			    &c->matches);
	if (r >= 0)
		r = get_managed_objects(c, false);
	if (r >= 0)
		r = get_managed_objects(c, true);
	if (r < 0) {
		mctpd_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

struct mctpd *mctpd_free(struct mctpd *c)
{
	if (!c)
		return NULL;
	c->matches = bus_matches_free(c->matches);
	sd_bus_slot_unref(c->get_call);
	sd_bus_slot_unref(c->reactor_get_call);
	while (c->links)
		link_free(c, c->links);
	while (c->endpoints) {
		struct endpoint *ep = c->endpoints;

		c->endpoints = ep->next;
		endpoint_free(ep);
	}
	while (c->targets) {
		struct target *t = c->targets;

		c->targets = t->next;
		target_free(t);
	}
	free(c);
	return NULL;
}
