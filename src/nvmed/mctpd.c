// SPDX-License-Identifier: Apache-2.0
/*
 * Asynchronous client of mctpd (au.com.codeconstruct.MCTP1, mctpd >= 2.0):
 * SetupEndpoint for NVME1000 mi_i2c records, and the endpoint objects
 * (with dbus-sensors' configured_by association) that become drives.
 * Nothing here blocks the event loop.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "nvmed.h"

#define MCTPD_SERVICE "au.com.codeconstruct.MCTP1"
/* dbus-sensors' mctpreactor hosts the configured_by associations on the
 * endpoint paths, ObjectManager at MCTPD_ROOT (MCTPReactorMain.cpp). */
#define REACTOR_SERVICE	     "xyz.openbmc_project.MCTPReactor"
#define MCTPD_ROOT	     "/au/com/codeconstruct/mctp1"
#define MCTPD_BUSOWNER	     "au.com.codeconstruct.MCTP.BusOwner1"
#define MCTPD_ENDPOINT1	     "au.com.codeconstruct.MCTP.Endpoint1"
#define EP_IFACE	     "xyz.openbmc_project.MCTP.Endpoint"
#define ASSOC_IFACE	     "xyz.openbmc_project.Association.Definitions"
#define UUID_IFACE	     "xyz.openbmc_project.Common.UUID"
#define MCTP_TYPE_NVME_MI    4
#define SETUP_TIMEOUT_USEC   (5 * 1000 * 1000ULL)
#define SETUP_BACKOFF_MAX_MS 30000
/* mctpd's recovery takes Treclaim (5 s, DSP0237 1.2.0 §6.19) plus its
 * query timeouts (src/mctpd.c: three Get Endpoint ID polls 2.25 s apart,
 * 250 ms each); wait twice that for its outcome before polling again. */
#define RECOVER_WAIT_USEC (10 * 1000 * 1000ULL)
/* A drive whose NVMe-MI keeps failing while mctpd finds its endpoint
 * answering is not sent to recovery more often than this: in between it
 * is polled with its back-off. */
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

struct mctpd {
	struct manager *m;
	struct endpoint *endpoints;
	sd_bus_slot *added, *removed, *changed, *owner, *reactor_owner;
	sd_bus_slot *get_call, *reactor_get_call;
};

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

static int setup_start(struct drive *d);

static int setup_retry_cb(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct drive *d = userdata;

	d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
	(void)setup_start(d);
	return 0;
}

static void setup_failed(struct drive *d, const char *why)
{
	uint64_t delay_ms, now = 0;
	int r;

	d->setup_failures++;
	delay_ms = 1000ULL
		   << (d->setup_failures < 6 ? d->setup_failures - 1 : 5);
	if (delay_ms > SETUP_BACKOFF_MAX_MS)
		delay_ms = SETUP_BACKOFF_MAX_MS;
	if (d->setup_failures == 1)
		log_warning("Drive '%s': mctpd SetupEndpoint on I2C bus %u "
			    "address 0x%02x failed: %s; retrying",
			    d->name, d->i2c_bus, d->i2c_addr, why);
	else
		log_debug("Drive '%s': SetupEndpoint failed again (%u): %s",
			  d->name, d->setup_failures, why);

	(void)sd_event_now(d->m->event, CLOCK_MONOTONIC, &now);
	r = sd_event_add_time(d->m->event, &d->setup_timer, CLOCK_MONOTONIC,
			      now + delay_ms * 1000, 0, setup_retry_cb, d);
	if (r < 0)
		log_error_errno(r,
				"Drive '%s': cannot schedule SetupEndpoint "
				"retry",
				d->name);
}

static int setup_reply(sd_bus_message *reply, void *userdata,
		       sd_bus_error *ret_error)
{
	struct drive *d = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);
	uint8_t eid;
	int32_t net;
	const char *path;
	int isnew, r;
	char type;

	d->setup_call = sd_bus_slot_unref(d->setup_call);
	if (e) {
		setup_failed(d, e->message ? e->message : e->name);
		return 0;
	}
	r = sd_bus_message_read(reply, "yi", &eid, &net);
	if (r >= 0)
		r = sd_bus_message_peek_type(reply, &type, NULL);
	if (r >= 0)
		r = (type == 's' || type == 'o') ?
			    sd_bus_message_read_basic(reply, type, &path) :
			    -EBADMSG;
	if (r >= 0)
		r = sd_bus_message_read(reply, "b", &isnew);
	if (r < 0 || net < 0 || eid == 0 || eid == 0xff) {
		setup_failed(d, "malformed reply");
		return 0;
	}
	d->setup_failures = 0;
	log_info("Drive '%s': mctpd set up EID %u on network %d ('%s')",
		 d->name, eid, net, path);
	if (type == 'o' || sd_bus_object_path_is_valid(path)) {
		char *p = strdup(path);

		if (!p) {
			log_oom();
			return 0;
		}
		free(d->endpoint_path);
		d->endpoint_path = p;
	}
	(void)drive_set_endpoint(d, (uint32_t)net, eid);
	return 0;
}

static int setup_start(struct drive *d)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *msg = NULL;
	_cleanup_free_ char *iface = NULL, *path = NULL;
	int r;

	r = mctpd_interface_for_bus(d->m->sysfs_root, d->i2c_bus, &iface);
	if (r < 0)
		return log_oom();
	/* mctpd names the object with sd_bus_path_encode, as we do: an
	 * interface name with anything but [A-Za-z0-9] is escaped */
	r = sd_bus_path_encode(MCTPD_ROOT "/interfaces", iface, &path);
	if (r < 0) {
		setup_failed(d, "invalid MCTP interface name");
		return r;
	}
	r = sd_bus_message_new_method_call(d->m->bus, &msg, MCTPD_SERVICE, path,
					   MCTPD_BUSOWNER, "SetupEndpoint");
	if (r >= 0)
		r = sd_bus_message_append_array(msg, 'y', &d->i2c_addr, 1);
	if (r >= 0)
		r = sd_bus_call_async(d->m->bus, &d->setup_call, msg,
				      setup_reply, d, SETUP_TIMEOUT_USEC);
	if (r < 0) {
		setup_failed(d, strerror(-r));
		return r;
	}
	return 0;
}

int mctpd_setup_endpoint(struct drive *d)
{
	mctpd_cancel_setup(d);
	d->setup_failures = 0;
	return setup_start(d);
}

static struct endpoint *endpoint_get(struct mctpd *c, const char *path,
				     bool create);
static void recovery_end(struct endpoint *ep);

void mctpd_cancel_setup(struct drive *d)
{
	struct endpoint *ep;

	d->setup_call = sd_bus_slot_unref(d->setup_call);
	d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
	if (d->m->mctpd && d->endpoint_path) {
		ep = endpoint_get(d->m->mctpd, d->endpoint_path, false);
		if (ep)
			recovery_end(ep);
	}
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
	for (struct drive *d = ep->c->m->drives; d; d = d->next) {
		if (d->endpoint_path && strcmp(d->endpoint_path, ep->path) == 0)
			return d;
		/* an NVMeMI record's drive at an EID mctpd publishes */
		if (d->origin == DRIVE_FROM_JSON && d->have_endpoint &&
		    ep->has_endpoint && d->net == ep->net && d->eid == ep->eid)
			return d;
	}
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
	if (d && d->origin == DRIVE_FROM_RECORD && !d->setup_call)
		(void)mctpd_setup_endpoint(d);
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

/*
 * A drive's polls keep failing. mctpd does not poll its endpoints: ask it
 * to recover the endpoint (Recover returns at once), then wait for the
 * outcome without talking to the drive (mctpd docs/endpoint-recovery.md).
 * An endpoint already Degraded (another client asked) is only waited on.
 */
void mctpd_endpoint_failing(struct drive *d)
{
	struct endpoint *ep;
	uint64_t now = 0;
	int r;

	if (d->origin == DRIVE_FROM_JSON) {
		/* a static EID: recovered by mctpd if mctpd publishes it */
		ep = d->m->mctpd && d->have_endpoint ?
			     endpoint_at(d->m->mctpd, d->net, d->eid) :
			     NULL;
		if (!ep)
			return;
		goto recover;
	}
	if (d->origin != DRIVE_FROM_RECORD && d->origin != DRIVE_FROM_ENDPOINT)
		return;
	if (!d->endpoint_path || !d->m->mctpd) {
		if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
			(void)mctpd_setup_endpoint(d);
		return;
	}
	ep = endpoint_get(d->m->mctpd, d->endpoint_path, false);
	if (!ep || !ep->has_endpoint) {
		/* mctpd does not publish it (any more): set it up again */
		if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
			(void)mctpd_setup_endpoint(d);
		return;
	}
recover:
	if (ep->waiting)
		return;
	(void)sd_event_now(d->m->event, CLOCK_MONOTONIC, &now);
	if (ep->last_recover_usec &&
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
	r = sd_bus_call_method_async(d->m->bus, &ep->recover_call,
				     MCTPD_SERVICE, ep->path, MCTPD_ENDPOINT1,
				     "Recover", recover_reply, ep, NULL);
	if (r >= 0)
		r = recovery_wait(ep, d);
	if (r < 0) {
		log_warning_errno(r, "Drive '%s': cannot call mctpd Recover",
				  d->name);
		recovery_end(ep);
		if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
			(void)mctpd_setup_endpoint(d);
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

/*
 * Walk an "a{sv}" property dictionary: one(msg, name, contents, userdata)
 * reads the variant it wants and returns 1, returns 0 to have it skipped,
 * or -errno.
 */
typedef int (*prop_fn_t)(sd_bus_message *msg, const char *name,
			 const char *contents, void *userdata);

static int for_each_prop(sd_bus_message *msg, prop_fn_t one, void *userdata)
{
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
		const char *prop, *contents;
		char type;

		r = sd_bus_message_read(msg, "s", &prop);
		if (r >= 0)
			r = sd_bus_message_peek_type(msg, &type, &contents);
		if (r >= 0)
			r = one(msg, prop, contents, userdata);
		if (r == 0)
			r = sd_bus_message_skip(msg, "v");
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(msg);
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

	return for_each_prop(msg, string_prop_one, &sp);
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
	int r = for_each_prop(msg, endpoint_prop_one, &er);

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
	return for_each_prop(msg, assoc_prop_one, ep);
}

/* Reads "a{sa{sv}}" for the object at path. */
static int read_interfaces(struct mctpd *c, sd_bus_message *msg,
			   const char *path)
{
	struct endpoint *ep = NULL;
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "{sa{sv}}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(msg, 'e', "sa{sv}")) > 0) {
		const char *iface;

		r = sd_bus_message_read(msg, "s", &iface);
		if (r < 0)
			return r;
		if (strcmp(iface, EP_IFACE) == 0 ||
		    strcmp(iface, ASSOC_IFACE) == 0) {
			if (!ep)
				ep = endpoint_get(c, path, true);
			if (!ep)
				return -ENOMEM;
			r = strcmp(iface, EP_IFACE) == 0 ?
				    read_endpoint_props(msg, ep) :
				    read_assoc_props(msg, ep);
		} else if (strcmp(iface, MCTPD_ENDPOINT1) == 0) {
			_cleanup_free_ char *value = NULL;

			if (!ep)
				ep = endpoint_get(c, path, true);
			if (!ep)
				return -ENOMEM;
			r = read_string_props(msg, "Connectivity", &value);
			if (r >= 0 && value)
				connectivity_update(ep, value);
		} else if (strcmp(iface, UUID_IFACE) == 0) {
			if (!ep)
				ep = endpoint_get(c, path, true);
			if (!ep)
				return -ENOMEM;
			r = read_string_props(msg, "UUID", &ep->uuid);
		} else {
			r = sd_bus_message_skip(msg, "a{sv}");
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	return sd_bus_message_exit_container(msg);
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
		/* Our own SetupEndpoint endpoint vanished (mctpd's recovery
		 * found the device gone, or gave it another EID or UUID):
		 * ask for it again, after mctpd is done with it. */
		log_info("Drive '%s': mctpd removed its endpoint; setting it "
			 "up again",
			 d->name);
		drive_clear_endpoint(d);
		d->endpoint_path = mfree(d->endpoint_path);
		(void)mctpd_setup_endpoint(d);
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
	mctpd_reconcile(c->m);
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
		if (strcmp(iface, EP_IFACE) == 0) {
			endpoint_gone(c, ep);
			ep->has_endpoint = false;
		} else if (strcmp(iface, ASSOC_IFACE) == 0) {
			ep->config = mfree(ep->config);
		}
	}
	if (!ep->has_endpoint && !ep->config)
		endpoint_drop(c, ep);
	mctpd_reconcile(c->m);
	return 0;
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
	r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
	while (r >= 0 &&
	       (r = sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}")) >
		       0) {
		const char *path;

		r = sd_bus_message_read(reply, "o", &path);
		if (r >= 0)
			r = read_interfaces(c, reply, path);
		if (r >= 0)
			r = sd_bus_message_exit_container(reply);
	}
	if (r < 0)
		log_warning_errno(r, "Malformed GetManagedObjects reply from "
				     "mctpd; using what was read");
	mctpd_reconcile(c->m);
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
		MCTPD_ROOT, "org.freedesktop.DBus.ObjectManager",
		"GetManagedObjects",
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
			(void)mctpd_setup_endpoint(d);
	return 0;
}

/* Display name and board of the record an endpoint is configured by. */
static int endpoint_identity(struct manager *m, const struct endpoint *ep,
			     char **ret_name, char **ret_board)
{
	const char *name = NULL, *board = NULL;
	_cleanup_free_ char *parent = NULL;
	char *slash;

	if (config_target_lookup(m, ep->config, &name, &board) < 0) {
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

/* A drive configured for (net, eid) (a record, not an endpoint): the
 * endpoint is that drive, not another one. */
static bool owned_by_record(struct manager *m, uint32_t net, uint8_t eid)
{
	for (struct drive *d = m->drives; d; d = d->next)
		if (d->origin != DRIVE_FROM_ENDPOINT && d->have_endpoint &&
		    d->net == net && d->eid == eid)
			return true;
	return false;
}

static bool eligible(struct manager *m, const struct endpoint *ep)
{
	return ep->has_endpoint && ep->nvme_mi && ep->config &&
	       !config_is_nvme_record(m, ep->config) &&
	       !owned_by_record(m, ep->net, ep->eid);
}

void mctpd_reconcile(struct manager *m)
{
	struct mctpd *c = m->mctpd;

	if (!c)
		return;
	/* Drop endpoint drives whose endpoint is gone or renamed; not while
	 * a GetManagedObjects is pending (half of what we know may be
	 * missing until then). */
	for (struct drive *d = m->drives, *next;
	     d && !c->get_call && !c->reactor_get_call; d = next) {
		struct endpoint *ep;
		_cleanup_free_ char *name = NULL, *board = NULL;

		next = d->next;
		if (d->origin != DRIVE_FROM_ENDPOINT)
			continue;
		ep = endpoint_get(c, d->endpoint_path, false);
		if (ep && eligible(m, ep) && ep->net == d->net &&
		    ep->eid == d->eid &&
		    endpoint_identity(m, ep, &name, &board) >= 0 &&
		    strcmp(name, d->name) == 0)
			continue;
		log_info("Drive '%s': endpoint %s %s", d->name,
			 d->endpoint_path,
			 ep && eligible(m, ep) ? "changed" : "is gone");
		drive_free(d);
	}
	/* Create drives for new endpoints. */
	for (struct endpoint *ep = c->endpoints; ep; ep = ep->next) {
		_cleanup_free_ char *name = NULL, *board = NULL;
		struct drive *d;
		int r;

		if (!eligible(m, ep) ||
		    drive_find_by_endpoint(m, ep->net, ep->eid))
			continue;
		r = endpoint_identity(m, ep, &name, &board);
		if (r < 0) {
			log_oom();
			continue;
		}
		r = drive_new(m, DRIVE_FROM_ENDPOINT, name, ep->config, board,
			      0, NULL, &d);
		if (r < 0) {
			log_error_errno(r,
					"mctpd endpoint %s (configured by "
					"'%s'): cannot add drive '%s'",
					ep->path, ep->config, name);
			continue;
		}
		d->endpoint_path = strdup(ep->path);
		if (!d->endpoint_path) {
			drive_free(d);
			log_oom();
			continue;
		}
		(void)drive_set_endpoint(d, ep->net, ep->eid);
	}
}

int mctpd_new(struct manager *m, struct mctpd **ret)
{
	struct mctpd *c;
	int r;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->m = m;
	/* No sender filter: mctpd publishes the endpoints, and the
	 * configured_by association may come from another service
	 * (dbus-sensors' mctpreactor) on the same object path. */
	r = sd_bus_add_match_async(
		m->bus, &c->added,
		"type='signal',interface='org.freedesktop.DBus.ObjectManager',"
		"member='InterfacesAdded',arg0path='" MCTPD_ROOT "/'",
		on_interfaces_added, NULL, c);
	if (r >= 0)
		r = sd_bus_add_match_async(
			m->bus, &c->removed,
			"type='signal',interface='org.freedesktop.DBus."
			"ObjectManager',member='InterfacesRemoved',"
			"arg0path='" MCTPD_ROOT "/'",
			on_interfaces_removed, NULL, c);
	if (r >= 0)
		r = sd_bus_add_match_async(
			m->bus, &c->changed,
			"type='signal',interface='org.freedesktop.DBus."
			"Properties',member='PropertiesChanged',"
			"arg0='" MCTPD_ENDPOINT1 "',"
			"path_namespace='" MCTPD_ROOT "'",
			on_properties_changed, NULL, c);
	if (r >= 0)
		r = sd_bus_add_match_async(
			m->bus, &c->owner,
			"type='signal',sender='org.freedesktop.DBus',"
			"interface='org.freedesktop.DBus',"
			"member='NameOwnerChanged',arg0='" MCTPD_SERVICE "'",
			on_owner_changed, NULL, c);
	if (r >= 0)
		r = sd_bus_add_match_async(
			m->bus, &c->reactor_owner,
			"type='signal',sender='org.freedesktop.DBus',"
			"interface='org.freedesktop.DBus',"
			"member='NameOwnerChanged',arg0='" REACTOR_SERVICE "'",
			on_owner_changed, NULL, c);
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
	sd_bus_slot_unref(c->added);
	sd_bus_slot_unref(c->removed);
	sd_bus_slot_unref(c->changed);
	sd_bus_slot_unref(c->owner);
	sd_bus_slot_unref(c->reactor_owner);
	sd_bus_slot_unref(c->get_call);
	sd_bus_slot_unref(c->reactor_get_call);
	while (c->endpoints) {
		struct endpoint *ep = c->endpoints;

		c->endpoints = ep->next;
		endpoint_free(ep);
	}
	free(c);
	return NULL;
}
