/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mctpd-standin: the subset of CodeConstruct mctpd 2.x (and of the
 * association dbus-sensors' mctpreactor hosts) that nvmed uses, driven by
 * the NVMe-MI emulator's scenario file instead of real MCTP links.
 *
 *   mctpd-standin [-v] [--scenario FILE] [--interface NAME=BUS]...
 *                 [--publish-all] [--emu-control PATH]
 *
 * mctpd part (bus name au.com.codeconstruct.MCTP1, ObjectManager at
 * /au/com/codeconstruct/mctp1):
 * - /au/com/codeconstruct/mctp1/interfaces/<if>, au.com.codeconstruct.
 *   MCTP.BusOwner1: SetupEndpoint(ay hwaddr) -> (y eid, i net, s path,
 *   b new) and AssignEndpoint (same arguments). hwaddr is one byte, the
 *   I2C address; the endpoint is the scenario drive with that bus and
 *   address (interface mctpi2c<bus> for every bus in the scenario, plus
 *   --interface NAME=BUS). No drive there: org.freedesktop.DBus.Error.
 *   Failed "No endpoint ...". An endpoint already set up is returned with
 *   new = false.
 * - /au/com/codeconstruct/mctp1/networks/<net>/endpoints/<eid>:
 *   xyz.openbmc_project.MCTP.Endpoint {NetworkId u, EID y,
 *   SupportedMessageTypes ay} and au.com.codeconstruct.MCTP.Endpoint1
 *   {Connectivity s; SetMTU(u), Remove(), Recover()}.
 * - InterfacesAdded/InterfacesRemoved as endpoints come and go.
 * - With --emu-control PATH (the NVMe-MI emulator's control socket), the
 *   emulator stands for the MCTP link, as mctpd's Get Endpoint ID query
 *   does on real hardware: SetupEndpoint fails for a drive the emulator
 *   does not serve, and Recover() removes an endpoint whose drive the
 *   emulator no longer serves or keeps silent (mctpd removes an endpoint
 *   that does not answer its recovery queries). Without it, Recover()
 *   only logs.
 *
 * mctpreactor part (a second connection, bus name
 * xyz.openbmc_project.MCTPReactor, ObjectManager at
 * /au/com/codeconstruct/mctp1, as dbus-sensors' MCTPReactorMain.cpp): for
 * an endpoint with a configuration path, an object at the endpoint's path
 * carrying xyz.openbmc_project.Association.Definitions
 * Associations = [("configured_by", "configures", <config path>)].
 *
 * --publish-all publishes every scenario drive's endpoint at start (types
 * [4], NVMe-MI), with the association when the drive has "config".
 *
 * Test control: /au/com/codeconstruct/mctp1/test,
 * xyz.openbmc_project.Test.MCTPD: AddEndpoint(u net, y eid, ay types,
 * s config_path) ("" = no association), RemoveEndpoint(u net, y eid),
 * SetConnectivity(u net, y eid, s state).
 */
#include <errno.h>
#include <getopt.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "macros.h"

#define MCTPD_SERVICE	"au.com.codeconstruct.MCTP1"
#define MCTPD_ROOT	"/au/com/codeconstruct/mctp1"
#define MCTPD_IFACES	MCTPD_ROOT "/interfaces"
#define BUSOWNER_IFACE	"au.com.codeconstruct.MCTP.BusOwner1"
#define ENDPOINT_IFACE	"xyz.openbmc_project.MCTP.Endpoint"
#define ENDPOINT1_IFACE "au.com.codeconstruct.MCTP.Endpoint1"
#define REACTOR_SERVICE "xyz.openbmc_project.MCTPReactor"
#define ASSOC_IFACE	"xyz.openbmc_project.Association.Definitions"
#define TEST_PATH	MCTPD_ROOT "/test"
#define TEST_IFACE	"xyz.openbmc_project.Test.MCTPD"
#define NVME_MI_TYPE	0x04

struct drive {
	uint32_t net;
	uint8_t eid;
	bool has_phys;
	uint32_t bus;
	uint8_t address;
	char *config;
};

struct interface {
	struct daemon *d;
	char *name;
	char *path;
	uint32_t bus;
	sd_bus_slot *slot;
};

struct endpoint {
	struct daemon *d;
	uint32_t net;
	uint8_t eid;
	uint8_t *types;
	size_t n_types;
	char *config;
	char *path;
	char *connectivity;
	uint32_t mtu;
	sd_bus_slot *slot_ep, *slot_ep1, *slot_assoc;
};

struct daemon {
	sd_event *event;
	sd_bus *bus;
	sd_bus *reactor;
	struct drive *drives;
	size_t n_drives;
	struct interface **ifaces;
	size_t n_ifaces;
	struct endpoint **eps;
	size_t n_eps;
	const char *emu_control; /* NULL: no emulator to ask */
};

/*
 * Does the emulator serve (net, eid) and answer? 1 yes, 0 no (removed or
 * silent), -errno if it cannot be asked. Without --emu-control: 1.
 */
static int emu_answers(struct daemon *d, uint32_t net, uint8_t eid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[128], reply[8192];
	json_object *j, *drive, *v;
	size_t len = 0;
	ssize_t n;
	int fd, r;

	if (!d->emu_control)
		return 1;
	if (strlen(d->emu_control) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, d->emu_control);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	snprintf(line, sizeof(line),
		 "{\"get\": {\"network\": %" PRIu32 ", \"eid\": %u}}\n", net,
		 eid);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		close(fd);
		return -EIO;
	}
	while (len < sizeof(reply) - 1 &&
	       (n = read(fd, reply + len, sizeof(reply) - 1 - len)) > 0) {
		len += (size_t)n;
		if (memchr(reply, '\n', len))
			break;
	}
	close(fd);
	reply[len] = '\0';
	j = json_tokener_parse(reply);
	if (!j)
		return -EBADMSG;
	r = 0;
	if (json_object_object_get_ex(j, "drive", &drive)) {
		r = 1;
		if (json_object_object_get_ex(drive, "silent", &v) &&
		    json_object_get_boolean(v))
			r = 0;
	}
	json_object_put(j);
	return r;
}

/* ---- endpoints --------------------------------------------------------- */

static int ep_get_types(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error)
{
	struct endpoint *ep = userdata;

	return sd_bus_message_append_array(reply, 'y', ep->types, ep->n_types);
}

static int ep_get_connectivity(sd_bus *bus, const char *path,
			       const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	struct endpoint *ep = userdata;

	return sd_bus_message_append(reply, "s", ep->connectivity);
}

static int ep_get_associations(sd_bus *bus, const char *path,
			       const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	struct endpoint *ep = userdata;

	return sd_bus_message_append(reply, "a(sss)", 1, "configured_by",
				     "configures", ep->config);
}

static void endpoint_remove(struct daemon *d, struct endpoint *ep);

struct ep_key {
	struct daemon *d;
	uint32_t net;
	uint8_t eid;
};

static struct endpoint *find_endpoint(struct daemon *d, uint32_t net,
				      uint8_t eid, size_t *ret_index);

static int remove_deferred(sd_event_source *s, void *userdata)
{
	struct ep_key *key = userdata;
	struct endpoint *ep = find_endpoint(key->d, key->net, key->eid, NULL);

	if (ep)
		endpoint_remove(key->d, ep);
	return 0;
}

/* The endpoint goes away after the reply, outside its own method call. */
static int method_remove(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	_cleanup_(sd_event_source_unrefp) sd_event_source *s = NULL;
	struct ep_key *key;
	int r;

	log_info("Remove() on %s", ep->path);
	key = malloc(sizeof(*key));
	if (!key)
		return -ENOMEM;
	*key = (struct ep_key){ .d = ep->d, .net = ep->net, .eid = ep->eid };
	r = sd_event_add_defer(ep->d->event, &s, remove_deferred, key);
	if (r < 0) {
		free(key);
		return r;
	}
	r = sd_event_source_set_destroy_callback(s, free);
	if (r >= 0)
		r = sd_event_source_set_floating(s, true);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static int method_set_mtu(sd_bus_message *m, void *userdata,
			  sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	uint32_t mtu;
	int r;

	r = sd_bus_message_read(m, "u", &mtu);
	if (r < 0)
		return r;
	/* MCTP baseline transmission unit is 64; mctpd passes the value to
	 * the kernel route, which takes up to 65535 */
	if (mtu < 64 || mtu > 65535)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "MTU %" PRIu32 " out of range", mtu);
	ep->mtu = mtu;
	log_info("SetMTU(%" PRIu32 ") on %s", mtu, ep->path);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_recover(sd_bus_message *m, void *userdata,
			  sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	_cleanup_(sd_event_source_unrefp) sd_event_source *s = NULL;
	struct ep_key *key;
	int r;

	r = emu_answers(ep->d, ep->net, ep->eid);
	log_info("Recover() on %s: %s", ep->path,
		 r > 0	? "endpoint answers" :
		 r == 0 ? "endpoint does not answer; removing it" :
			  "emulator cannot be asked; kept");
	if (r != 0)
		return sd_bus_reply_method_return(m, NULL);
	/* as Remove(): the endpoint goes after the reply */
	key = malloc(sizeof(*key));
	if (!key)
		return -ENOMEM;
	*key = (struct ep_key){ .d = ep->d, .net = ep->net, .eid = ep->eid };
	r = sd_event_add_defer(ep->d->event, &s, remove_deferred, key);
	if (r < 0) {
		free(key);
		return r;
	}
	r = sd_event_source_set_destroy_callback(s, free);
	if (r >= 0)
		r = sd_event_source_set_floating(s, true);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable endpoint_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("NetworkId", "u", NULL, offsetof(struct endpoint, net),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("EID", "y", NULL, offsetof(struct endpoint, eid),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SupportedMessageTypes", "ay", ep_get_types, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable endpoint1_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Connectivity", "s", ep_get_connectivity, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_METHOD_WITH_ARGS("SetMTU", SD_BUS_ARGS("u", mtu),
				SD_BUS_NO_RESULT, method_set_mtu, 0),
	SD_BUS_METHOD_WITH_ARGS("Remove", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				method_remove, 0),
	SD_BUS_METHOD_WITH_ARGS("Recover", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				method_recover, 0),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable assoc_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Associations", "a(sss)", ep_get_associations, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static struct endpoint *endpoint_free(struct endpoint *ep)
{
	if (!ep)
		return NULL;
	sd_bus_slot_unref(ep->slot_ep);
	sd_bus_slot_unref(ep->slot_ep1);
	sd_bus_slot_unref(ep->slot_assoc);
	free(ep->types);
	free(ep->config);
	free(ep->path);
	free(ep->connectivity);
	free(ep);
	return NULL;
}
DEFINE_CLEANUP_FUNC(struct endpoint, endpoint_free)

static struct endpoint *find_endpoint(struct daemon *d, uint32_t net,
				      uint8_t eid, size_t *ret_index)
{
	for (size_t k = 0; k < d->n_eps; k++)
		if (d->eps[k]->net == net && d->eps[k]->eid == eid) {
			if (ret_index)
				*ret_index = k;
			return d->eps[k];
		}
	return NULL;
}

static void endpoint_remove(struct daemon *d, struct endpoint *ep)
{
	size_t index;
	int r;

	if (!find_endpoint(d, ep->net, ep->eid, &index))
		return;
	r = sd_bus_emit_object_removed(d->bus, ep->path);
	if (r < 0)
		log_warning_errno(r, "InterfacesRemoved on %s failed",
				  ep->path);
	if (ep->slot_assoc) {
		r = sd_bus_emit_object_removed(d->reactor, ep->path);
		if (r < 0)
			log_warning_errno(r,
					  "InterfacesRemoved (reactor) on "
					  "%s failed",
					  ep->path);
	}
	log_info("removed endpoint %s", ep->path);
	memmove(d->eps + index, d->eps + index + 1,
		(d->n_eps - index - 1) * sizeof(*d->eps));
	d->n_eps--;
	endpoint_free(ep);
}

/* Publish an endpoint; config may be NULL or "" (no association). */
static int endpoint_add(struct daemon *d, uint32_t net, uint8_t eid,
			const uint8_t *types, size_t n_types,
			const char *config, struct endpoint **ret)
{
	_cleanup_(endpoint_freep) struct endpoint *ep = NULL;
	struct endpoint **a;
	int r;

	if (find_endpoint(d, net, eid, NULL))
		return -EEXIST;
	if (config && !*config)
		config = NULL;
	if (config && !sd_bus_object_path_is_valid(config))
		return -EINVAL;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->d = d;
	ep->net = net;
	ep->eid = eid;
	ep->types = malloc(n_types ? n_types : 1);
	ep->connectivity = strdup("Available");
	if (!ep->types || !ep->connectivity)
		return -ENOMEM;
	if (n_types)
		memcpy(ep->types, types, n_types);
	ep->n_types = n_types;
	if (config) {
		ep->config = strdup(config);
		if (!ep->config)
			return -ENOMEM;
	}
	if (asprintf(&ep->path, MCTPD_ROOT "/networks/%" PRIu32 "/endpoints/%u",
		     net, eid) < 0) {
		ep->path = NULL;
		return -ENOMEM;
	}

	a = reallocarray(d->eps, d->n_eps + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	d->eps = a;

	r = sd_bus_add_object_vtable(d->bus, &ep->slot_ep, ep->path,
				     ENDPOINT_IFACE, endpoint_vtable, ep);
	if (r < 0)
		return r;
	r = sd_bus_add_object_vtable(d->bus, &ep->slot_ep1, ep->path,
				     ENDPOINT1_IFACE, endpoint1_vtable, ep);
	if (r < 0)
		return r;
	r = sd_bus_emit_object_added(d->bus, ep->path);
	if (r < 0)
		return r;
	if (ep->config) {
		r = sd_bus_add_object_vtable(d->reactor, &ep->slot_assoc,
					     ep->path, ASSOC_IFACE,
					     assoc_vtable, ep);
		if (r < 0)
			return r;
		r = sd_bus_emit_object_added(d->reactor, ep->path);
		if (r < 0)
			return r;
	}
	log_info("added endpoint %s%s%s", ep->path,
		 ep->config ? " configured by " : "",
		 ep->config ? ep->config : "");
	d->eps[d->n_eps++] = ep;
	if (ret)
		*ret = ep;
	TAKE_PTR(ep);
	return 0;
}

/* ---- bus owner interfaces --------------------------------------------- */

static int method_setup_endpoint(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct interface *ifc = userdata;
	struct daemon *d = ifc->d;
	const struct drive *drv = NULL;
	struct endpoint *ep;
	const void *hwaddr;
	size_t len;
	bool created = false;
	int r;

	r = sd_bus_message_read_array(m, 'y', &hwaddr, &len);
	if (r < 0)
		return r;
	if (len != 1)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "%s: hardware address must be 1 byte "
					 "(I2C address), got %zu",
					 ifc->name, len);
	for (size_t k = 0; k < d->n_drives; k++)
		if (d->drives[k].has_phys && d->drives[k].bus == ifc->bus &&
		    d->drives[k].address == *(const uint8_t *)hwaddr) {
			drv = &d->drives[k];
			break;
		}
	if (!drv) {
		log_info("%s on %s: no endpoint at 0x%02x",
			 sd_bus_message_get_member(m), ifc->name,
			 *(const uint8_t *)hwaddr);
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "No endpoint at address 0x%02x on %s",
					 *(const uint8_t *)hwaddr, ifc->name);
	}

	if (emu_answers(d, drv->net, drv->eid) == 0) {
		log_info("%s on %s: net %" PRIu32 " eid %u does not answer",
			 sd_bus_message_get_member(m), ifc->name, drv->net,
			 drv->eid);
		ep = find_endpoint(d, drv->net, drv->eid, NULL);
		if (ep)
			endpoint_remove(d, ep);
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "Endpoint at address 0x%02x on %s "
					 "does not respond",
					 drv->address, ifc->name);
	}
	ep = find_endpoint(d, drv->net, drv->eid, NULL);
	if (!ep) {
		static const uint8_t types[] = { NVME_MI_TYPE };

		r = endpoint_add(d, drv->net, drv->eid, types,
				 ARRAY_SIZE(types), NULL, &ep);
		if (r < 0)
			return r;
		created = true;
	}
	log_info("%s on %s, 0x%02x: eid %u net %" PRIu32 " %s",
		 sd_bus_message_get_member(m), ifc->name, drv->address, ep->eid,
		 ep->net, created ? "new" : "existing");
	return sd_bus_reply_method_return(m, "yisb", ep->eid, (int32_t)ep->net,
					  ep->path, created);
}

static const sd_bus_vtable busowner_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("SetupEndpoint", SD_BUS_ARGS("ay", physaddr),
				SD_BUS_RESULT("y", eid, "i", net, "s", path,
					      "b", new),
				method_setup_endpoint, 0),
	SD_BUS_METHOD_WITH_ARGS("AssignEndpoint", SD_BUS_ARGS("ay", physaddr),
				SD_BUS_RESULT("y", eid, "i", net, "s", path,
					      "b", new),
				method_setup_endpoint, 0),
	SD_BUS_VTABLE_END,
};

static int daemon_add_interface(struct daemon *d, const char *name,
				uint32_t bus)
{
	struct interface *ifc, **a;
	int r;

	for (size_t k = 0; k < d->n_ifaces; k++)
		if (strcmp(d->ifaces[k]->name, name) == 0) {
			d->ifaces[k]->bus = bus;
			return 0;
		}
	a = reallocarray(d->ifaces, d->n_ifaces + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	d->ifaces = a;
	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	ifc->d = d;
	ifc->bus = bus;
	ifc->name = strdup(name);
	if (!ifc->name) {
		free(ifc);
		return -ENOMEM;
	}
	r = sd_bus_path_encode(MCTPD_IFACES, name, &ifc->path);
	if (r < 0) {
		free(ifc->name);
		free(ifc);
		return r;
	}
	d->ifaces[d->n_ifaces++] = ifc;
	return 0;
}

/* ---- test control ------------------------------------------------------ */

static int method_add_endpoint(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	struct daemon *d = userdata;
	const void *types;
	const char *config;
	size_t n;
	uint32_t net;
	uint8_t eid;
	int r;

	r = sd_bus_message_read(m, "uy", &net, &eid);
	if (r < 0)
		return r;
	r = sd_bus_message_read_array(m, 'y', &types, &n);
	if (r < 0)
		return r;
	r = sd_bus_message_read(m, "s", &config);
	if (r < 0)
		return r;
	r = endpoint_add(d, net, eid, types, n, config, NULL);
	if (r == -EEXIST)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "endpoint %u on network %" PRIu32
					 " exists",
					 eid, net);
	if (r == -EINVAL)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "'%s' is not an object path", config);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static int method_remove_endpoint(sd_bus_message *m, void *userdata,
				  sd_bus_error *error)
{
	struct daemon *d = userdata;
	struct endpoint *ep;
	uint32_t net;
	uint8_t eid;
	int r;

	r = sd_bus_message_read(m, "uy", &net, &eid);
	if (r < 0)
		return r;
	ep = find_endpoint(d, net, eid, NULL);
	if (!ep)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					 "no endpoint %u on network %" PRIu32,
					 eid, net);
	endpoint_remove(d, ep);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_set_connectivity(sd_bus_message *m, void *userdata,
				   sd_bus_error *error)
{
	struct daemon *d = userdata;
	struct endpoint *ep;
	const char *state;
	char *s;
	uint32_t net;
	uint8_t eid;
	int r;

	r = sd_bus_message_read(m, "uys", &net, &eid, &state);
	if (r < 0)
		return r;
	if (strcmp(state, "Available") != 0 && strcmp(state, "Degraded") != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Connectivity must be Available or "
					 "Degraded, got '%s'",
					 state);
	ep = find_endpoint(d, net, eid, NULL);
	if (!ep)
		return sd_bus_error_setf(error, SD_BUS_ERROR_UNKNOWN_OBJECT,
					 "no endpoint %u on network %" PRIu32,
					 eid, net);
	s = strdup(state);
	if (!s)
		return -ENOMEM;
	free(ep->connectivity);
	ep->connectivity = s;
	r = sd_bus_emit_properties_changed(d->bus, ep->path, ENDPOINT1_IFACE,
					   "Connectivity", NULL);
	if (r < 0)
		return r;
	return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable test_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("AddEndpoint",
				SD_BUS_ARGS("u", net, "y", eid, "ay", types,
					    "s", config_path),
				SD_BUS_NO_RESULT, method_add_endpoint, 0),
	SD_BUS_METHOD_WITH_ARGS("RemoveEndpoint",
				SD_BUS_ARGS("u", net, "y", eid),
				SD_BUS_NO_RESULT, method_remove_endpoint, 0),
	SD_BUS_METHOD_WITH_ARGS("SetConnectivity",
				SD_BUS_ARGS("u", net, "y", eid, "s", state),
				SD_BUS_NO_RESULT, method_set_connectivity, 0),
	SD_BUS_VTABLE_END,
};

/* ---- scenario ---------------------------------------------------------- */

static int get_uint(struct json_object *o, const char *key, uint64_t max,
		    bool required, size_t index, uint64_t *ret)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (!required)
			return 0;
		log_error("scenario: drives[%zu]: key '%s' missing", index,
			  key);
		return -EINVAL;
	}
	if (!json_object_is_type(v, json_type_int)) {
		log_error("scenario: drives[%zu]: key '%s' is not an integer",
			  index, key);
		return -EINVAL;
	}
	x = json_object_get_int64(v);
	if (x < 0 || (uint64_t)x > max) {
		log_error("scenario: drives[%zu]: key '%s' = %" PRId64
			  " out of range 0..%" PRIu64,
			  index, key, x, max);
		return -EINVAL;
	}
	*ret = (uint64_t)x;
	return 1;
}

static int daemon_load_scenario(struct daemon *d, const char *file)
{
	struct json_object *root, *drives;
	int r = 0;

	root = json_object_from_file(file);
	if (!root) {
		log_error("scenario '%s': %s", file, json_util_get_last_err());
		return -EINVAL;
	}
	if (!json_object_object_get_ex(root, "drives", &drives) ||
	    !json_object_is_type(drives, json_type_array)) {
		log_error("scenario '%s': no \"drives\" array", file);
		json_object_put(root);
		return -EINVAL;
	}
	d->drives = calloc(json_object_array_length(drives) + 1,
			   sizeof(*d->drives));
	if (!d->drives) {
		json_object_put(root);
		return log_oom();
	}
	for (size_t k = 0; k < json_object_array_length(drives); k++) {
		struct json_object *o = json_object_array_get_idx(drives, k);
		struct drive *drv = &d->drives[d->n_drives];
		struct json_object *cfg;
		uint64_t net = 0, eid = 0, bus = 0, addr = 0;
		int rb, ra;
		char name[32];

		if (!json_object_is_type(o, json_type_object)) {
			log_error("scenario: drives[%zu] is not an object", k);
			r = -EINVAL;
			break;
		}
		if ((r = get_uint(o, "network", UINT32_MAX, true, k, &net)) <
			    0 ||
		    (r = get_uint(o, "eid", 0xff, true, k, &eid)) < 0 ||
		    (rb = r = get_uint(o, "bus", UINT32_MAX, false, k, &bus)) <
			    0 ||
		    (ra = r = get_uint(o, "address", 0x7f, false, k, &addr)) <
			    0)
			break;
		drv->net = (uint32_t)net;
		drv->eid = (uint8_t)eid;
		drv->bus = (uint32_t)bus;
		drv->address = (uint8_t)addr;
		drv->has_phys = rb > 0 && ra > 0;
		if (json_object_object_get_ex(o, "config", &cfg)) {
			if (!json_object_is_type(cfg, json_type_string) ||
			    !sd_bus_object_path_is_valid(
				    json_object_get_string(cfg))) {
				log_error("scenario: drives[%zu]: key 'config' "
					  "is not an object path",
					  k);
				r = -EINVAL;
				break;
			}
			drv->config = strdup(json_object_get_string(cfg));
			if (!drv->config) {
				r = log_oom();
				break;
			}
		}
		d->n_drives++;
		if (drv->has_phys) {
			snprintf(name, sizeof(name), "mctpi2c%" PRIu32,
				 drv->bus);
			r = daemon_add_interface(d, name, drv->bus);
			if (r < 0)
				break;
		}
		r = 0;
	}
	json_object_put(root);
	return r;
}

/* ---- main -------------------------------------------------------------- */

static void daemon_done(struct daemon *d)
{
	for (size_t k = 0; k < d->n_eps; k++)
		endpoint_free(d->eps[k]);
	free(d->eps);
	for (size_t k = 0; k < d->n_ifaces; k++) {
		sd_bus_slot_unref(d->ifaces[k]->slot);
		free(d->ifaces[k]->name);
		free(d->ifaces[k]->path);
		free(d->ifaces[k]);
	}
	free(d->ifaces);
	for (size_t k = 0; k < d->n_drives; k++)
		free(d->drives[k].config);
	free(d->drives);
	sd_bus_flush_close_unref(d->bus);
	sd_bus_flush_close_unref(d->reactor);
	sd_event_unref(d->event);
}

static int parse_interface(struct daemon *d, const char *arg)
{
	_cleanup_free_ char *name = strdup(arg);
	char *eq, *end;
	unsigned long bus;

	if (!name)
		return log_oom();
	eq = strchr(name, '=');
	if (!eq || eq == name) {
		log_error("--interface expects NAME=BUS, got '%s'", arg);
		return -EINVAL;
	}
	*eq = '\0';
	errno = 0;
	bus = strtoul(eq + 1, &end, 10);
	if (errno || end == eq + 1 || *end || bus > UINT32_MAX) {
		log_error("--interface '%s': bad bus number", arg);
		return -EINVAL;
	}
	return daemon_add_interface(d, name, (uint32_t)bus);
}

static int connect_bus(sd_event *event, sd_bus **ret)
{
	_cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
	int r;

	r = sd_bus_open_system(&bus);
	if (r < 0)
		return log_error_errno(r, "cannot connect to the system bus");
	r = sd_bus_attach_event(bus, event, SD_EVENT_PRIORITY_NORMAL);
	if (r < 0)
		return log_error_errno(r, "sd_bus_attach_event failed");
	r = sd_bus_add_object_manager(bus, NULL, MCTPD_ROOT);
	if (r < 0)
		return log_error_errno(r, "cannot add object manager");
	*ret = TAKE_PTR(bus);
	return 0;
}

static int run(struct daemon *d, int argc, char **argv)
{
	static const struct option options[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "interface", required_argument, NULL, 'i' },
		{ "publish-all", no_argument, NULL, 'a' },
		{ "emu-control", required_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scenario = NULL;
	bool publish_all = false;
	char **extra = NULL;
	size_t n_extra = 0;
	sigset_t mask;
	int c, r;

	extra = calloc(argc + 1, sizeof(*extra));
	if (!extra)
		return log_oom();
	while ((c = getopt_long(argc, argv, "s:i:e:avh", options, NULL)) >= 0) {
		switch (c) {
		case 's':
			scenario = optarg;
			break;
		case 'i':
			extra[n_extra++] = optarg;
			break;
		case 'a':
			publish_all = true;
			break;
		case 'e':
			d->emu_control = optarg;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			printf("Usage: mctpd-standin [-v] [--scenario FILE] "
			       "[--interface NAME=BUS]... [--publish-all] "
			       "[--emu-control PATH]\n");
			free(extra);
			return 0;
		default:
			free(extra);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		free(extra);
		return -EINVAL;
	}

	r = scenario ? daemon_load_scenario(d, scenario) : 0;
	for (size_t k = 0; r >= 0 && k < n_extra; k++)
		r = parse_interface(d, extra[k]);
	free(extra);
	if (r < 0)
		return r;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r = sd_event_default(&d->event);
	if (r < 0)
		return log_error_errno(r, "sd_event_default failed");
	r = sd_event_add_signal(d->event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(d->event, NULL, SIGINT, NULL, NULL);
	if (r < 0)
		return log_error_errno(r, "cannot watch signals");

	r = connect_bus(d->event, &d->bus);
	if (r < 0)
		return r;
	r = connect_bus(d->event, &d->reactor);
	if (r < 0)
		return r;

	r = sd_bus_add_object_vtable(d->bus, NULL, TEST_PATH, TEST_IFACE,
				     test_vtable, d);
	if (r < 0)
		return log_error_errno(r, "cannot add test interface");
	for (size_t k = 0; k < d->n_ifaces; k++) {
		struct interface *ifc = d->ifaces[k];

		r = sd_bus_add_object_vtable(d->bus, &ifc->slot, ifc->path,
					     BUSOWNER_IFACE, busowner_vtable,
					     ifc);
		if (r < 0)
			return log_error_errno(r, "cannot publish %s",
					       ifc->path);
		log_info("interface %s: bus %" PRIu32, ifc->name, ifc->bus);
	}
	if (publish_all)
		for (size_t k = 0; k < d->n_drives; k++) {
			static const uint8_t types[] = { NVME_MI_TYPE };

			r = endpoint_add(d, d->drives[k].net, d->drives[k].eid,
					 types, ARRAY_SIZE(types),
					 d->drives[k].config, NULL);
			if (r < 0)
				return log_error_errno(
					r,
					"scenario: drives[%zu] (net %" PRIu32
					" eid %u): cannot publish",
					k, d->drives[k].net, d->drives[k].eid);
		}

	r = sd_bus_request_name(d->reactor, REACTOR_SERVICE, 0);
	if (r < 0)
		return log_error_errno(r, "cannot own %s", REACTOR_SERVICE);
	r = sd_bus_request_name(d->bus, MCTPD_SERVICE, 0);
	if (r < 0)
		return log_error_errno(r, "cannot own %s", MCTPD_SERVICE);
	log_info("mctpd-standin ready: %zu drives, %zu interfaces, %zu "
		 "endpoints",
		 d->n_drives, d->n_ifaces, d->n_eps);

	r = sd_event_loop(d->event);
	if (r < 0)
		return log_error_errno(r, "event loop failed");
	return 0;
}

int main(int argc, char **argv)
{
	struct daemon d = { 0 };
	int r;

	r = run(&d, argc, argv);
	daemon_done(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
