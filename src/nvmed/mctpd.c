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
#define MCTP_TYPE_NVME_MI    4
#define SETUP_TIMEOUT_USEC   (5 * 1000 * 1000ULL)
#define SETUP_BACKOFF_MAX_MS 30000

static inline void *mfree(void *p)
{
	free(p);
	return NULL;
}

static inline const char *strna(const char *s)
{
	return s ? s : "n/a";
}

struct endpoint {
	struct endpoint *next;
	char *path;
	bool has_endpoint; /* the MCTP.Endpoint interface is there */
	uint32_t net;
	uint8_t eid;
	bool nvme_mi;
	char *config; /* configured_by target, NULL if none */
};

struct mctpd {
	struct manager *m;
	struct endpoint *endpoints;
	sd_bus_slot *added, *removed, *owner, *reactor_owner;
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

void mctpd_cancel_setup(struct drive *d)
{
	d->setup_call = sd_bus_slot_unref(d->setup_call);
	d->setup_timer = sd_event_source_disable_unref(d->setup_timer);
	d->recover_call = sd_bus_slot_unref(d->recover_call);
}

static int recover_reply(sd_bus_message *reply, void *userdata,
			 sd_bus_error *ret_error)
{
	struct drive *d = userdata;
	const sd_bus_error *e = sd_bus_message_get_error(reply);

	d->recover_call = sd_bus_slot_unref(d->recover_call);
	if (e)
		log_warning("Drive '%s': mctpd Recover on '%s' failed: %s",
			    d->name, d->endpoint_path,
			    e->message ? e->message : e->name);
	/* mctpd removes an endpoint that does not answer (InterfacesRemoved
	 * then clears it here); a drive that was power-cycled or swapped
	 * may need a new EID: ask again, SetupEndpoint is idempotent. */
	if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
		(void)mctpd_setup_endpoint(d);
	return 0;
}

/*
 * mctpd does not poll its endpoints: a pulled drive stays published until
 * someone calls Recover (CodeConstruct's nvmed does after a few errors).
 */
void mctpd_endpoint_failing(struct drive *d)
{
	int r;

	if (d->origin != DRIVE_FROM_RECORD && d->origin != DRIVE_FROM_ENDPOINT)
		return;
	if (d->recover_call)
		return;
	if (!d->endpoint_path) {
		if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
			(void)mctpd_setup_endpoint(d);
		return;
	}
	log_info("Drive '%s': asking mctpd to recover '%s'", d->name,
		 d->endpoint_path);
	r = sd_bus_call_method_async(d->m->bus, &d->recover_call, MCTPD_SERVICE,
				     d->endpoint_path, MCTPD_ENDPOINT1,
				     "Recover", recover_reply, d, NULL);
	if (r < 0) {
		log_warning_errno(r, "Drive '%s': cannot call mctpd Recover",
				  d->name);
		if (d->origin == DRIVE_FROM_RECORD && !d->setup_call)
			(void)mctpd_setup_endpoint(d);
	}
}

/* ---- endpoint objects ------------------------------------------------- */

static struct endpoint *endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return NULL;
	free(ep->path);
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
	ep->path = strdup(path);
	if (!ep->path)
		return endpoint_free(ep);
	ep->next = c->endpoints;
	c->endpoints = ep;
	return ep;
}

static void endpoint_drop(struct mctpd *c, struct endpoint *ep)
{
	for (struct endpoint **p = &c->endpoints; *p; p = &(*p)->next)
		if (*p == ep) {
			*p = ep->next;
			endpoint_free(ep);
			return;
		}
}

static int read_endpoint_props(sd_bus_message *msg, struct endpoint *ep)
{
	bool have_net = false, have_eid = false;
	int r;

	r = sd_bus_message_enter_container(msg, 'a', "{sv}");
	if (r < 0)
		return r;
	while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
		const char *prop, *contents;
		char type;

		r = sd_bus_message_read(msg, "s", &prop);
		if (r < 0)
			return r;
		r = sd_bus_message_peek_type(msg, &type, &contents);
		if (r < 0)
			return r;
		if (strcmp(prop, "NetworkId") == 0 &&
		    (strcmp(contents, "u") == 0 ||
		     strcmp(contents, "i") == 0)) {
			uint32_t v;

			r = sd_bus_message_read(msg, "v", contents, &v);
			ep->net = v;
			have_net = true;
		} else if (strcmp(prop, "EID") == 0 &&
			   strcmp(contents, "y") == 0) {
			r = sd_bus_message_read(msg, "v", "y", &ep->eid);
			have_eid = true;
		} else if (strcmp(prop, "SupportedMessageTypes") == 0 &&
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
			r = sd_bus_message_skip(msg, "v");
		}
		if (r < 0)
			return r;
		r = sd_bus_message_exit_container(msg);
		if (r < 0)
			return r;
	}
	if (r < 0)
		return r;
	ep->has_endpoint = have_net && have_eid;
	return sd_bus_message_exit_container(msg);
}

static int read_assoc_props(sd_bus_message *msg, struct endpoint *ep)
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
		if (r < 0)
			return r;
		if (strcmp(prop, "Associations") == 0 &&
		    strcmp(contents, "a(sss)") == 0) {
			const char *fwd, *rev, *target;

			r = sd_bus_message_enter_container(msg, 'v', "a(sss)");
			if (r >= 0)
				r = sd_bus_message_enter_container(msg, 'a',
								   "(sss)");
			while (r >= 0 &&
			       (r = sd_bus_message_read(msg, "(sss)", &fwd,
							&rev, &target)) > 0) {
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
		} else {
			r = sd_bus_message_skip(msg, "v");
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
	d = drive_find_by_endpoint(c->m, ep->net, ep->eid);
	if (d && d->origin == DRIVE_FROM_RECORD) {
		/* Our own SetupEndpoint endpoint vanished: set it up again. */
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
			ep->has_endpoint = false;
			ep->nvme_mi = false;
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
