/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mctpd-standin: CodeConstruct mctpd v2.6 as its docs/mctpd.md and
 * docs/endpoint-recovery.md describe it and src/mctpd.c (tag v2.6)
 * implements it, for the parts an MCTP client sees, plus the association
 * dbus-sensors' mctpreactor hosts. The MCTP link is the NVMe-MI
 * emulator's: control messages (Get/Set Endpoint ID, Get Endpoint UUID,
 * Get Message Type Support) go to a device by its physical address
 * through the emulator's control socket (standin-link.c), as mctpd sends
 * them with extended addressing.
 *
 *   mctpd-standin [-v] [--scenario FILE] [--interface NAME=BUS]...
 *                 [--publish-all] [--emu-control PATH] [--time-scale F]
 *                 [--local-eid N] [--role bus-owner|unknown]
 *
 * Objects (bus name au.com.codeconstruct.MCTP1, ObjectManager at
 * /au/com/codeconstruct/mctp1):
 * - the root, au.com.codeconstruct.MCTP1: RegisterTypeSupport(y, au) and
 *   RegisterVDMTypeSupport(y, v, q), a registration per type that lasts
 *   while its sender is connected; a second one of a type fails.
 * - /au/com/codeconstruct/mctp1/interfaces/<if>: au.com.codeconstruct.
 *   MCTP.Interface1 {Role s (writable while "Unknown"), NetworkId u};
 *   while Role is BusOwner, au.com.codeconstruct.MCTP.BusOwner1:
 *   SetupEndpoint(ay), AssignEndpoint(ay), AssignEndpointStatic(ay, y),
 *   LearnEndpoint(ay), each -> (y eid, i net, s path, b new). Interfaces:
 *   mctpi2c<bus> for every bus of the scenario, plus --interface.
 * - /au/com/codeconstruct/mctp1/networks/<net>: au.com.codeconstruct.
 *   MCTP.Network1 {LearnEndpoint(y) -> (s path, b found), LocalEIDs ay}.
 * - /au/com/codeconstruct/mctp1/networks/<net>/endpoints/<eid>, remote
 *   and local (--local-eid, default 8, on every network):
 *   xyz.openbmc_project.MCTP.Endpoint {NetworkId u, EID y,
 *   SupportedMessageTypes ay, VendorDefinedMessageTypes a(yvq)},
 *   xyz.openbmc_project.Common.UUID {UUID s} when known, and
 *   au.com.codeconstruct.MCTP.Endpoint1 {Connectivity s; SetMTU(u),
 *   Remove(), Recover()}.
 *
 * Behaviour, as mctpd v2.6:
 * - one method call at a time: every query to a device blocks the daemon
 *   until its answer or mctpd's 250 ms timeout (SetupEndpoint: up to four
 *   tries of Get Endpoint ID);
 * - SetupEndpoint adopts the EID a device has, or assigns the lowest free
 *   EID from 8 with Set Endpoint ID; it removes a known endpoint whose
 *   device reports another EID (0 after a power cycle) and sets it up
 *   again;
 * - Recover returns at once and sets Connectivity to Degraded; mctpd then
 *   polls Get Endpoint ID three times, Treclaim/2 - 250 ms apart (Treclaim
 *   5 s, DSP0237 1.2.0 §6.19): an answer with the endpoint's EID makes it
 *   Available again; another EID (a reset device) with the same UUID gets
 *   its EID back with Set Endpoint ID (the object moves if the device
 *   takes another), a different UUID (a swapped device) removes the
 *   endpoint and sets the new device up as a new one; no answer at all
 *   removes the endpoint.
 * --time-scale F multiplies every one of these times (tests use 0.1).
 * Endpoints without a physical address (--publish-all drives without a
 * bus, AddEndpoint) are asked through the emulator's "get" by network
 * and EID instead. Without --emu-control there is no link: a scenario
 * drive is taken to answer with its scenario EID, and Recover only
 * returns.
 *
 * mctpreactor part (a second connection, bus name
 * xyz.openbmc_project.MCTPReactor, ObjectManager at
 * /au/com/codeconstruct/mctp1, as dbus-sensors' MCTPReactorMain.cpp): for
 * an endpoint published by --publish-all of a scenario drive with
 * "config" (or by AddEndpoint), an object at the endpoint's path carrying
 * xyz.openbmc_project.Association.Definitions Associations =
 * [("configured_by", "configures", <config path>)]; it follows the
 * endpoint when the endpoint moves. Endpoints set up through BusOwner1
 * have none: the caller that set them up would publish it.
 *
 * --publish-all publishes every scenario drive's endpoint at start.
 *
 * Test control: /au/com/codeconstruct/mctp1/test,
 * xyz.openbmc_project.Test.MCTPD: AddEndpoint(u net, y eid, ay types,
 * s config_path) ("" = no association), RemoveEndpoint(u net, y eid),
 * SetConnectivity(u net, y eid, s state).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "log.h"
#include "macros.h"
#include "standin-link.h"

#define MCTPD_SERVICE	"au.com.codeconstruct.MCTP1"
#define MCTPD_ROOT	"/au/com/codeconstruct/mctp1"
#define MCTPD_IFACES	MCTPD_ROOT "/interfaces"
#define ROOT_IFACE	"au.com.codeconstruct.MCTP1"
#define INTERFACE1	"au.com.codeconstruct.MCTP.Interface1"
#define BUSOWNER_IFACE	"au.com.codeconstruct.MCTP.BusOwner1"
#define NETWORK1_IFACE	"au.com.codeconstruct.MCTP.Network1"
#define ENDPOINT_IFACE	"xyz.openbmc_project.MCTP.Endpoint"
#define ENDPOINT1_IFACE "au.com.codeconstruct.MCTP.Endpoint1"
#define UUID_IFACE	"xyz.openbmc_project.Common.UUID"
#define REACTOR_SERVICE "xyz.openbmc_project.MCTPReactor"
#define ASSOC_IFACE	"xyz.openbmc_project.Association.Definitions"
#define TEST_PATH	MCTPD_ROOT "/test"
#define TEST_IFACE	"xyz.openbmc_project.Test.MCTPD"
#define NVME_MI_TYPE	0x04
#define EID_ALLOC_MIN	0x08 /* src/mctpd.c eid_alloc_min/max */
#define EID_ALLOC_MAX	0xfe
/* src/mctpd.c: MCTP_I2C_TSYM_TRECLAIM_MIN_US, MCTP_I2C_TSYM_MN1_MIN */
#define TRECLAIM_USEC  5000000ULL
#define RECOVERY_POLLS 3
#define SETUP_TRIES    4
#define MAX_TYPES      32

struct drive {
	uint32_t net;
	uint8_t eid; /* the scenario's: the device's EID before setup */
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
	uint32_t net;
	char *role; /* "BusOwner", "Endpoint", "Unknown" */
	sd_bus_slot *slot_if, *slot_owner;
};

struct endpoint {
	struct daemon *d;
	uint32_t net;
	uint8_t eid;
	bool local;
	/* physical address, when set up through an interface */
	bool has_phys;
	uint32_t bus;
	uint8_t address;
	uint8_t types[MAX_TYPES];
	size_t n_types;
	bool has_uuid;
	uint8_t uuid[16];
	char uuid_str[37];
	char *config;
	char *path;
	bool degraded;
	unsigned npolls;
	sd_event_source *recovery;
	uint32_t mtu;
	sd_bus_slot *slot_ep, *slot_ep1, *slot_uuid, *slot_assoc;
};

struct registration {
	char *sender;
	uint8_t type; /* message type, or 0x7e/0x7f for a VDM */
	uint8_t vid_format; /* VDMs: 0 PCI, 1 IANA */
	uint32_t vid;
	uint16_t subtype;
	uint32_t *versions;
	size_t n_versions;
};

struct network {
	uint32_t net;
	char *path;
	sd_bus_slot *slot;
};

struct daemon {
	sd_event *event;
	sd_bus *bus;
	sd_bus *reactor;
	struct drive *drives;
	size_t n_drives;
	struct interface **ifaces;
	size_t n_ifaces;
	struct network *nets;
	size_t n_nets;
	struct endpoint **eps;
	size_t n_eps;
	struct registration *regs;
	size_t n_regs;
	struct link_ctx link;
	uint8_t local_eid;
	const char *initial_role;
};

/* ---- the link ----------------------------------------------------------- */

static const struct drive *drive_at(const struct daemon *d, uint32_t bus,
				    uint8_t address)
{
	for (size_t k = 0; k < d->n_drives; k++)
		if (d->drives[k].has_phys && d->drives[k].bus == bus &&
		    d->drives[k].address == address)
			return &d->drives[k];
	return NULL;
}

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

	if (!d->link.emu_control)
		return 1;
	if (strlen(d->link.emu_control) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, d->link.emu_control);
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

/* Get Endpoint ID to the device at (bus, address), tries times. Without
 * a link, a scenario drive there answers with its scenario EID. */
static int dev_get_eid(struct daemon *d, uint32_t bus, uint8_t address,
		       unsigned tries, uint8_t *ret_eid)
{
	const struct drive *drv;
	int r = -ETIMEDOUT;

	if (!d->link.emu_control) {
		drv = drive_at(d, bus, address);
		if (!drv)
			return -ETIMEDOUT;
		*ret_eid = drv->eid;
		return 0;
	}
	for (unsigned i = 0; i < tries; i++) {
		r = link_get_eid(&d->link, bus, address, ret_eid);
		if (r != -ETIMEDOUT)
			break;
	}
	return r;
}

static int dev_set_eid(struct daemon *d, uint32_t bus, uint8_t address,
		       uint8_t eid, uint8_t *ret_eid)
{
	if (!d->link.emu_control) {
		*ret_eid = eid;
		return 0;
	}
	return link_set_eid(&d->link, bus, address, eid, ret_eid);
}

static void uuid_format(struct endpoint *ep)
{
	const uint8_t *u = ep->uuid;

	snprintf(ep->uuid_str, sizeof(ep->uuid_str),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

/* src/mctpd.c query_peer_properties: message types, then the UUID. */
static void dev_query_properties(struct daemon *d, struct endpoint *ep)
{
	size_t n = MAX_TYPES;
	int r;

	if (!d->link.emu_control || !ep->has_phys) {
		ep->types[0] = 0;
		ep->types[1] = NVME_MI_TYPE;
		ep->n_types = 2;
		return;
	}
	r = link_get_types(&d->link, ep->bus, ep->address, ep->types, &n);
	if (r < 0) {
		log_warning_errno(r,
				  "net %" PRIu32 " eid %u: Get Message "
				  "Type Support failed",
				  ep->net, ep->eid);
		ep->n_types = 0;
	} else {
		ep->n_types = n;
	}
	r = link_get_uuid(&d->link, ep->bus, ep->address, ep->uuid);
	ep->has_uuid = r >= 0;
	if (ep->has_uuid)
		uuid_format(ep);
}

/* ---- endpoints --------------------------------------------------------- */

static int ep_get_types(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error);
static int ep_get_vdm(sd_bus *bus, const char *path, const char *interface,
		      const char *property, sd_bus_message *reply,
		      void *userdata, sd_bus_error *error);

static int ep_get_connectivity(sd_bus *bus, const char *path,
			       const char *interface, const char *property,
			       sd_bus_message *reply, void *userdata,
			       sd_bus_error *error)
{
	struct endpoint *ep = userdata;

	return sd_bus_message_append(reply, "s",
				     ep->degraded ? "Degraded" : "Available");
}

static int ep_get_uuid(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	struct endpoint *ep = userdata;

	return sd_bus_message_append(reply, "s", ep->uuid_str);
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

static int method_remove(sd_bus_message *m, void *userdata,
			 sd_bus_error *error);
static int method_set_mtu(sd_bus_message *m, void *userdata,
			  sd_bus_error *error);
static int method_recover(sd_bus_message *m, void *userdata,
			  sd_bus_error *error);

static const sd_bus_vtable endpoint_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("NetworkId", "u", NULL, offsetof(struct endpoint, net),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("EID", "y", NULL, offsetof(struct endpoint, eid),
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("SupportedMessageTypes", "ay", ep_get_types, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_PROPERTY("VendorDefinedMessageTypes", "a(yvq)", ep_get_vdm, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable endpoint1_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("SetMTU", SD_BUS_ARGS("u", mtu),
				SD_BUS_NO_RESULT, method_set_mtu, 0),
	SD_BUS_METHOD_WITH_ARGS("Remove", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				method_remove, 0),
	SD_BUS_METHOD_WITH_ARGS("Recover", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT,
				method_recover, 0),
	SD_BUS_PROPERTY("Connectivity", "s", ep_get_connectivity, 0,
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static const sd_bus_vtable uuid_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("UUID", "s", ep_get_uuid, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
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
	sd_bus_slot_unref(ep->slot_uuid);
	sd_bus_slot_unref(ep->slot_assoc);
	sd_event_source_disable_unref(ep->recovery);
	free(ep->config);
	free(ep->path);
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

static struct endpoint *find_by_phys(struct daemon *d, uint32_t bus,
				     uint8_t address)
{
	for (size_t k = 0; k < d->n_eps; k++)
		if (d->eps[k]->has_phys && d->eps[k]->bus == bus &&
		    d->eps[k]->address == address)
			return d->eps[k];
	return NULL;
}

static void endpoint_remove(struct daemon *d, struct endpoint *ep)
{
	size_t index;
	int r;

	if (!find_endpoint(d, ep->net, ep->eid, &index) || d->eps[index] != ep)
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

/* Put ep on the bus at networks/<net>/endpoints/<eid> (again). */
static int endpoint_publish(struct daemon *d, struct endpoint *ep)
{
	int r;

	free(ep->path);
	if (asprintf(&ep->path, MCTPD_ROOT "/networks/%" PRIu32 "/endpoints/%u",
		     ep->net, ep->eid) < 0) {
		ep->path = NULL;
		return -ENOMEM;
	}
	r = sd_bus_add_object_vtable(d->bus, &ep->slot_ep, ep->path,
				     ENDPOINT_IFACE, endpoint_vtable, ep);
	if (r >= 0)
		r = sd_bus_add_object_vtable(d->bus, &ep->slot_ep1, ep->path,
					     ENDPOINT1_IFACE, endpoint1_vtable,
					     ep);
	if (r >= 0 && ep->has_uuid)
		r = sd_bus_add_object_vtable(d->bus, &ep->slot_uuid, ep->path,
					     UUID_IFACE, uuid_vtable, ep);
	if (r >= 0)
		r = sd_bus_emit_object_added(d->bus, ep->path);
	if (r >= 0 && ep->config) {
		r = sd_bus_add_object_vtable(d->reactor, &ep->slot_assoc,
					     ep->path, ASSOC_IFACE,
					     assoc_vtable, ep);
		if (r >= 0)
			r = sd_bus_emit_object_added(d->reactor, ep->path);
	}
	return r;
}

static void endpoint_unpublish(struct daemon *d, struct endpoint *ep)
{
	(void)sd_bus_emit_object_removed(d->bus, ep->path);
	if (ep->slot_assoc)
		(void)sd_bus_emit_object_removed(d->reactor, ep->path);
	ep->slot_ep = sd_bus_slot_unref(ep->slot_ep);
	ep->slot_ep1 = sd_bus_slot_unref(ep->slot_ep1);
	ep->slot_uuid = sd_bus_slot_unref(ep->slot_uuid);
	ep->slot_assoc = sd_bus_slot_unref(ep->slot_assoc);
}

/*
 * A new endpoint object; config may be NULL or "" (no association).
 * types NULL: ask the device (src/mctpd.c setup_added_peer).
 */
static int endpoint_add(struct daemon *d, uint32_t net, uint8_t eid,
			const struct endpoint *phys, const uint8_t *types,
			size_t n_types, const char *config,
			struct endpoint **ret)
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
	if (n_types > MAX_TYPES)
		return -E2BIG;

	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	ep->d = d;
	ep->net = net;
	ep->eid = eid;
	if (phys) {
		ep->has_phys = true;
		ep->bus = phys->bus;
		ep->address = phys->address;
	}
	if (config) {
		ep->config = strdup(config);
		if (!ep->config)
			return -ENOMEM;
	}
	if (types) {
		memcpy(ep->types, types, n_types);
		ep->n_types = n_types;
	} else {
		dev_query_properties(d, ep);
	}

	a = reallocarray(d->eps, d->n_eps + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	d->eps = a;
	r = endpoint_publish(d, ep);
	if (r < 0)
		return r;
	log_info("added endpoint %s%s%s%s%s", ep->path,
		 ep->config ? " configured by " : "",
		 ep->config ? ep->config : "", ep->has_uuid ? " UUID " : "",
		 ep->has_uuid ? ep->uuid_str : "");
	d->eps[d->n_eps++] = ep;
	if (ret)
		*ret = ep;
	TAKE_PTR(ep);
	return 0;
}

/* src/mctpd.c change_peer_eid: the object moves to the new EID. */
static int endpoint_move(struct daemon *d, struct endpoint *ep, uint8_t eid)
{
	_cleanup_free_ char *old = strdup(ep->path);

	if (find_endpoint(d, ep->net, eid, NULL))
		return -EEXIST;
	endpoint_unpublish(d, ep);
	ep->eid = eid;
	log_info("endpoint %s moved to EID %u", old ? old : "?", eid);
	return endpoint_publish(d, ep);
}

/* src/mctpd.c allocate_eid: the lowest EID from 8 nobody has. */
static int allocate_eid(struct daemon *d, uint32_t net, uint8_t *ret)
{
	for (unsigned eid = EID_ALLOC_MIN; eid <= EID_ALLOC_MAX; eid++)
		if (!find_endpoint(d, net, (uint8_t)eid, NULL)) {
			*ret = (uint8_t)eid;
			return 0;
		}
	return -EADDRNOTAVAIL;
}

/* src/mctpd.c endpoint_assign_eid: Set Endpoint ID, then the new peer.
 * static_eid 0: allocate. */
static int assign_eid(struct daemon *d, uint32_t net, uint32_t bus,
		      uint8_t address, uint8_t static_eid,
		      struct endpoint **ret)
{
	struct endpoint phys = { .bus = bus, .address = address };
	uint8_t eid = static_eid, got = 0;
	int r;

	if (!eid) {
		r = allocate_eid(d, net, &eid);
		if (r < 0)
			return r;
	}
	r = dev_set_eid(d, bus, address, eid, &got);
	if (r < 0)
		return r;
	if (got != eid)
		log_info("bus %" PRIu32 " 0x%02x: asked for EID %u, took %u",
			 bus, address, eid, got);
	return endpoint_add(d, net, got, &phys, NULL, 0, NULL, ret);
}

struct ep_key {
	struct daemon *d;
	uint32_t net;
	uint8_t eid;
};

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
	if (ep->local)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Cannot remove a local endpoint");
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

/* ---- recovery (src/mctpd.c method_endpoint_recover and
 * peer_endpoint_recover) ---------------------------------------------- */

static int emit_connectivity(struct endpoint *ep)
{
	return sd_bus_emit_properties_changed(
		ep->d->bus, ep->path, ENDPOINT1_IFACE, "Connectivity", NULL);
}

/* One Get Endpoint ID, no retry. */
static int recovery_query(struct daemon *d, struct endpoint *ep, uint8_t *eid)
{
	int r;

	if (ep->has_phys)
		return dev_get_eid(d, ep->bus, ep->address, 1, eid);
	r = emu_answers(d, ep->net, ep->eid);
	if (r < 0)
		return r;
	if (r == 0) {
		usleep((useconds_t)link_usec(&d->link, LINK_TIMEOUT_USEC));
		return -ETIMEDOUT;
	}
	*eid = ep->eid;
	return 0;
}

static int recovery_poll(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct endpoint *ep = userdata;
	struct daemon *d = ep->d;
	uint8_t eid = 0, uuid[16], got;
	int r;

	ep->npolls--;
	r = recovery_query(d, ep, &eid);
	if (r < 0) {
		log_info("Recover %s: no answer (%u queries left)", ep->path,
			 ep->npolls);
		goto reschedule;
	}
	if (eid != ep->eid) {
		/* A reset device (EID 0) or one set up by someone else: is it
		 * the same device? */
		bool same = false;

		r = link_get_uuid(&d->link, ep->bus, ep->address, uuid);
		if (r >= 0 && ep->has_uuid) {
			static const uint8_t nil[16];

			same = memcmp(uuid, ep->uuid, 16) == 0 &&
			       memcmp(uuid, nil, 16) != 0;
		}
		if (!same) {
			uint32_t net = ep->net, bus = ep->bus;
			uint8_t address = ep->address;

			log_info("Recover %s: device at EID %u is another "
				 "device; setting it up anew",
				 ep->path, eid);
			endpoint_remove(d, ep);
			r = assign_eid(d, net, bus, address, 0, NULL);
			if (r < 0)
				log_warning_errno(r, "cannot set up the new "
						     "device");
			return 0;
		}
		r = dev_set_eid(d, ep->bus, ep->address, ep->eid, &got);
		if (r < 0)
			goto reschedule;
		log_info("Recover %s: same device at EID %u, EID %u given back",
			 ep->path, eid, got);
		if (got != ep->eid && endpoint_move(d, ep, got) < 0)
			goto reclaim;
	}
	ep->degraded = false;
	log_info("Recover %s: Available", ep->path);
	(void)emit_connectivity(ep);
	ep->recovery = sd_event_source_disable_unref(ep->recovery);
	ep->npolls = 0;
	return 0;

reschedule:
	if (ep->npolls > 0) {
		r = sd_event_source_set_time_relative(
			ep->recovery,
			link_usec(&d->link,
				  TRECLAIM_USEC / 2 - LINK_TIMEOUT_USEC));
		if (r >= 0)
			r = sd_event_source_set_enabled(ep->recovery,
							SD_EVENT_ONESHOT);
		if (r >= 0)
			return 0;
	}
reclaim:
	log_info("Recover %s: removed after Treclaim", ep->path);
	endpoint_remove(d, ep);
	return 0;
}

static int method_recover(sd_bus_message *m, void *userdata,
			  sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	struct daemon *d = ep->d;
	int r;

	log_info("Recover() on %s%s", ep->path,
		 ep->degraded ? " (already degraded)" : "");
	if (!ep->degraded && d->link.emu_control) {
		ep->npolls = RECOVERY_POLLS;
		r = sd_event_add_time_relative(
			d->event, &ep->recovery, CLOCK_MONOTONIC, 0,
			link_usec(&d->link, LINK_TIMEOUT_USEC), recovery_poll,
			ep);
		if (r < 0)
			return r;
		ep->degraded = true;
		r = emit_connectivity(ep);
		if (r < 0)
			return r;
	}
	return sd_bus_reply_method_return(m, NULL);
}

/* ---- bus owner interfaces (src/mctpd.c method_setup_endpoint and the
 * others) ---------------------------------------------------------------- */

static int read_hwaddr(sd_bus_message *m, struct interface *ifc, uint8_t *ret,
		       sd_bus_error *error)
{
	const void *hwaddr;
	size_t len;
	int r;

	r = sd_bus_message_read_array(m, 'y', &hwaddr, &len);
	if (r < 0)
		return r;
	if (len != 1 || *(const uint8_t *)hwaddr > 0x7f)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Bad physaddr");
	*ret = *(const uint8_t *)hwaddr;
	return 1;
}

/* src/mctpd.c set_berr */
static int reply_error(sd_bus_error *error, int r)
{
	switch (r) {
	case -ETIMEDOUT:
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "MCTP Endpoint did not respond");
	case -EPROTO:
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "MCTP Endpoint replied with failure");
	case -EADDRNOTAVAIL:
		return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED,
					 "Ran out of EIDs");
	default:
		return sd_bus_error_set_errno(error, r);
	}
}

static int reply_endpoint(sd_bus_message *m, struct endpoint *ep, bool isnew)
{
	log_info("%s: eid %u net %" PRIu32 " %s", sd_bus_message_get_member(m),
		 ep->eid, ep->net, isnew ? "new" : "existing");
	return sd_bus_reply_method_return(m, "yisb", ep->eid, (int32_t)ep->net,
					  ep->path, isnew);
}

static int method_setup_endpoint(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct interface *ifc = userdata;
	struct daemon *d = ifc->d;
	struct endpoint phys = { .bus = ifc->bus }, *ep;
	uint8_t eid = 0;
	int r;

	r = read_hwaddr(m, ifc, &phys.address, error);
	if (r <= 0)
		return r;
	r = dev_get_eid(d, ifc->bus, phys.address, SETUP_TRIES, &eid);
	if (r < 0) {
		log_info("SetupEndpoint on %s, 0x%02x: %s", ifc->name,
			 phys.address, strerror(-r));
		return reply_error(error, r);
	}
	ep = find_by_phys(d, ifc->bus, phys.address);
	if (ep) {
		if (eid && ep->eid == eid)
			return reply_endpoint(m, ep, false);
		/* another EID (0: reset): remove and set up again */
		log_info("SetupEndpoint on %s, 0x%02x: device reports EID %u, "
			 "endpoint %s removed",
			 ifc->name, phys.address, eid, ep->path);
		endpoint_remove(d, ep);
	}
	if (eid) {
		r = endpoint_add(d, ifc->net, eid, &phys, NULL, 0, NULL, &ep);
		if (r >= 0)
			return reply_endpoint(m, ep, true);
		if (r != -EEXIST)
			return reply_error(error, r);
		/* the EID is another endpoint's: assign one */
	}
	r = assign_eid(d, ifc->net, ifc->bus, phys.address, 0, &ep);
	if (r < 0)
		return reply_error(error, r);
	return reply_endpoint(m, ep, true);
}

static int method_assign_endpoint(sd_bus_message *m, void *userdata,
				  sd_bus_error *error)
{
	struct interface *ifc = userdata;
	struct endpoint *ep;
	uint8_t address;
	int r;

	r = read_hwaddr(m, ifc, &address, error);
	if (r <= 0)
		return r;
	ep = find_by_phys(ifc->d, ifc->bus, address);
	if (ep)
		return reply_endpoint(m, ep, false);
	r = assign_eid(ifc->d, ifc->net, ifc->bus, address, 0, &ep);
	if (r < 0)
		return reply_error(error, r);
	return reply_endpoint(m, ep, true);
}

static int method_assign_endpoint_static(sd_bus_message *m, void *userdata,
					 sd_bus_error *error)
{
	struct interface *ifc = userdata;
	struct endpoint *ep;
	uint8_t address, eid;
	int r;

	r = read_hwaddr(m, ifc, &address, error);
	if (r <= 0)
		return r;
	r = sd_bus_message_read(m, "y", &eid);
	if (r < 0)
		return r;
	if (eid < EID_ALLOC_MIN || eid > EID_ALLOC_MAX)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Invalid EID %u", eid);
	ep = find_by_phys(ifc->d, ifc->bus, address);
	if (ep) {
		if (ep->eid != eid)
			return sd_bus_error_setf(
				error, SD_BUS_ERROR_INVALID_ARGS,
				"Already assigned a different EID");
		return reply_endpoint(m, ep, false);
	}
	if (find_endpoint(ifc->d, ifc->net, eid, NULL))
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Address in use");
	r = assign_eid(ifc->d, ifc->net, ifc->bus, address, eid, &ep);
	if (r < 0)
		return reply_error(error, r);
	return reply_endpoint(m, ep, true);
}

/* src/mctpd.c method_learn_endpoint, get_endpoint_peer: query only. */
static int method_learn_endpoint(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct interface *ifc = userdata;
	struct daemon *d = ifc->d;
	struct endpoint phys = { .bus = ifc->bus }, *ep;
	uint8_t eid = 0;
	int r;

	r = read_hwaddr(m, ifc, &phys.address, error);
	if (r <= 0)
		return r;
	r = dev_get_eid(d, ifc->bus, phys.address, SETUP_TRIES, &eid);
	if (r < 0)
		return reply_error(error, r);
	ep = find_by_phys(d, ifc->bus, phys.address);
	if (ep && (eid == 0 || ep->eid != eid)) {
		endpoint_remove(d, ep);
		ep = NULL;
	}
	if (eid == 0)
		return sd_bus_reply_method_return(m, "yisb", 0, 0, "", false);
	if (!ep) {
		r = endpoint_add(d, ifc->net, eid, &phys, NULL, 0, NULL, &ep);
		if (r == -EEXIST)
			return sd_bus_error_setf(
				error, SD_BUS_ERROR_FILE_EXISTS,
				"Endpoint claimed EID %d which is already used",
				eid);
		if (r < 0)
			return reply_error(error, r);
	}
	return reply_endpoint(m, ep, true);
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
				method_assign_endpoint, 0),
	SD_BUS_METHOD_WITH_ARGS(
		"AssignEndpointStatic", SD_BUS_ARGS("ay", physaddr, "y", eid),
		SD_BUS_RESULT("y", eid, "i", net, "s", path, "b", new),
		method_assign_endpoint_static, 0),
	SD_BUS_METHOD_WITH_ARGS("LearnEndpoint", SD_BUS_ARGS("ay", physaddr),
				SD_BUS_RESULT("y", eid, "i", net, "s", path,
					      "b", new),
				method_learn_endpoint, 0),
	SD_BUS_VTABLE_END,
};

/* ---- interface, network and root objects ------------------------------- */

static int if_get_role(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *reply,
		       void *userdata, sd_bus_error *error)
{
	struct interface *ifc = userdata;

	return sd_bus_message_append(reply, "s", ifc->role);
}

static int interface_set_role(struct interface *ifc, const char *role)
{
	char *s = strdup(role);
	int r;

	if (!s)
		return -ENOMEM;
	free(ifc->role);
	ifc->role = s;
	if (strcmp(role, "BusOwner") != 0 || ifc->slot_owner)
		return 0;
	r = sd_bus_add_object_vtable(ifc->d->bus, &ifc->slot_owner, ifc->path,
				     BUSOWNER_IFACE, busowner_vtable, ifc);
	if (r >= 0 && ifc->d->bus && sd_bus_is_ready(ifc->d->bus) > 0)
		r = sd_bus_emit_interfaces_added(ifc->d->bus, ifc->path,
						 BUSOWNER_IFACE, NULL);
	return r;
}

/* Role can be written only while it is Unknown (docs/mctpd.md). */
static int if_set_role(sd_bus *bus, const char *path, const char *interface,
		       const char *property, sd_bus_message *value,
		       void *userdata, sd_bus_error *error)
{
	struct interface *ifc = userdata;
	const char *role;
	int r;

	r = sd_bus_message_read(value, "s", &role);
	if (r < 0)
		return r;
	if (strcmp(ifc->role, "Unknown") != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Role is already %s", ifc->role);
	if (strcmp(role, "BusOwner") != 0 && strcmp(role, "Endpoint") != 0)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Unknown role '%s'", role);
	r = interface_set_role(ifc, role);
	if (r < 0)
		return r;
	log_info("interface %s: role %s", ifc->name, role);
	return sd_bus_emit_properties_changed(bus, path, INTERFACE1, "Role",
					      NULL);
}

static const sd_bus_vtable interface1_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_WRITABLE_PROPERTY("Role", "s", if_get_role, if_set_role, 0,
				 SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_PROPERTY("NetworkId", "u", NULL, offsetof(struct interface, net),
			SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
	SD_BUS_VTABLE_END,
};

static struct daemon *the_daemon;

static int net_get_local(sd_bus *bus, const char *path, const char *interface,
			 const char *property, sd_bus_message *reply,
			 void *userdata, sd_bus_error *error)
{
	return sd_bus_message_append_array(reply, 'y', &the_daemon->local_eid,
					   1);
}

/* src/mctpd.c method_net_learn_endpoint: an EID we can route to. */
static int method_net_learn(sd_bus_message *m, void *userdata,
			    sd_bus_error *error)
{
	struct network *n = userdata;
	struct daemon *d = the_daemon;
	struct endpoint *ep;
	uint8_t eid;
	int r;

	r = sd_bus_message_read(m, "y", &eid);
	if (r < 0)
		return r;
	ep = find_endpoint(d, n->net, eid, NULL);
	if (ep)
		return sd_bus_reply_method_return(m, "sb", ep->path, false);
	r = emu_answers(d, n->net, eid);
	if (r <= 0 || !d->link.emu_control)
		return reply_error(error, r < 0 ? r : -ETIMEDOUT);
	r = endpoint_add(d, n->net, eid, NULL,
			 (const uint8_t[]){ 0, NVME_MI_TYPE }, 2, NULL, &ep);
	if (r < 0)
		return reply_error(error, r);
	return sd_bus_reply_method_return(m, "sb", ep->path, true);
}

static const sd_bus_vtable network1_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("LearnEndpoint", SD_BUS_ARGS("y", eid),
				SD_BUS_RESULT("s", path, "b", found),
				method_net_learn, 0),
	SD_BUS_PROPERTY("LocalEIDs", "ay", net_get_local, 0,
			SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END,
};

/* Registered message types (RegisterTypeSupport, RegisterVDMTypeSupport)
 * are what the local endpoints support besides control. */
static int ep_get_types(sd_bus *bus, const char *path, const char *interface,
			const char *property, sd_bus_message *reply,
			void *userdata, sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	struct daemon *d = ep->d;
	uint8_t types[MAX_TYPES + 1] = { 0 };
	size_t n = 1;

	if (!ep->local)
		return sd_bus_message_append_array(reply, 'y', ep->types,
						   ep->n_types);
	for (size_t k = 0; k < d->n_regs && n < ARRAY_SIZE(types); k++) {
		bool seen = false;

		for (size_t i = 0; i < n; i++)
			seen = seen || types[i] == d->regs[k].type;
		if (!seen)
			types[n++] = d->regs[k].type;
	}
	return sd_bus_message_append_array(reply, 'y', types, n);
}

static int ep_get_vdm(sd_bus *bus, const char *path, const char *interface,
		      const char *property, sd_bus_message *reply,
		      void *userdata, sd_bus_error *error)
{
	struct endpoint *ep = userdata;
	struct daemon *d = ep->d;
	int r;

	r = sd_bus_message_open_container(reply, 'a', "(yvq)");
	for (size_t k = 0; r >= 0 && ep->local && k < d->n_regs; k++) {
		const struct registration *g = &d->regs[k];

		if (g->type != 0x7e && g->type != 0x7f)
			continue;
		r = sd_bus_message_open_container(reply, 'r', "yvq");
		if (r >= 0)
			r = sd_bus_message_append(reply, "y", g->vid_format);
		if (r >= 0)
			r = g->vid_format == 0 ?
				    sd_bus_message_append(reply, "v", "q",
							  (uint16_t)g->vid) :
				    sd_bus_message_append(reply, "v", "u",
							  g->vid);
		if (r >= 0)
			r = sd_bus_message_append(reply, "q", g->subtype);
		if (r >= 0)
			r = sd_bus_message_close_container(reply);
	}
	if (r >= 0)
		r = sd_bus_message_close_container(reply);
	return r;
}

static int add_registration(struct daemon *d, const struct registration *g)
{
	struct registration *a;

	a = reallocarray(d->regs, d->n_regs + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	d->regs = a;
	d->regs[d->n_regs++] = *g;
	return 0;
}

static int method_register_type(sd_bus_message *m, void *userdata,
				sd_bus_error *error)
{
	struct daemon *d = userdata;
	struct registration g = { 0 };
	const void *versions;
	size_t n;
	int r;

	r = sd_bus_message_read(m, "y", &g.type);
	if (r >= 0)
		r = sd_bus_message_read_array(m, 'u', &versions, &n);
	if (r < 0)
		return r;
	if (g.type == 0 || g.type == 0x7e || g.type == 0x7f)
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Message type 0x%02x cannot be "
					 "registered here",
					 g.type);
	for (size_t k = 0; k < d->n_regs; k++)
		if (d->regs[k].type == g.type)
			return sd_bus_error_setf(error,
						 SD_BUS_ERROR_FILE_EXISTS,
						 "Message type 0x%02x is "
						 "already registered",
						 g.type);
	g.sender = strdup(sd_bus_message_get_sender(m) ?
				  sd_bus_message_get_sender(m) :
				  "");
	g.n_versions = n / sizeof(uint32_t);
	g.versions = malloc(n ? n : 1);
	if (!g.sender || !g.versions) {
		free(g.sender);
		free(g.versions);
		return -ENOMEM;
	}
	memcpy(g.versions, versions, n);
	r = add_registration(d, &g);
	if (r < 0) {
		free(g.sender);
		free(g.versions);
		return r;
	}
	log_info("RegisterTypeSupport(0x%02x) by %s", g.type, g.sender);
	return sd_bus_reply_method_return(m, NULL);
}

static int method_register_vdm(sd_bus_message *m, void *userdata,
			       sd_bus_error *error)
{
	struct daemon *d = userdata;
	struct registration g = { 0 };
	const char *contents;
	int r;

	r = sd_bus_message_read(m, "y", &g.vid_format);
	if (r >= 0)
		r = sd_bus_message_peek_type(m, NULL, &contents);
	if (r < 0)
		return r;
	if (g.vid_format == 0 && strcmp(contents, "q") == 0) {
		uint16_t vid;

		r = sd_bus_message_read(m, "v", "q", &vid);
		g.vid = vid;
		g.type = 0x7e;
	} else if (g.vid_format == 1 && strcmp(contents, "u") == 0) {
		r = sd_bus_message_read(m, "v", "u", &g.vid);
		g.type = 0x7f;
	} else {
		return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
					 "Vendor ID format %u takes a %s",
					 g.vid_format,
					 g.vid_format == 0 ? "q (PCI)" :
					 g.vid_format == 1 ? "u (IANA)" :
							     "known format");
	}
	if (r >= 0)
		r = sd_bus_message_read(m, "q", &g.subtype);
	if (r < 0)
		return r;
	for (size_t k = 0; k < d->n_regs; k++)
		if (d->regs[k].type == g.type && d->regs[k].vid == g.vid &&
		    d->regs[k].subtype == g.subtype)
			return sd_bus_error_setf(error,
						 SD_BUS_ERROR_FILE_EXISTS,
						 "VDM type already registered");
	g.sender = strdup(sd_bus_message_get_sender(m) ?
				  sd_bus_message_get_sender(m) :
				  "");
	if (!g.sender)
		return -ENOMEM;
	r = add_registration(d, &g);
	if (r < 0) {
		free(g.sender);
		return r;
	}
	return sd_bus_reply_method_return(m, NULL);
}

/* Registrations last while their sender is on the bus. */
static int on_name_owner_changed(sd_bus_message *m, void *userdata,
				 sd_bus_error *error)
{
	struct daemon *d = userdata;
	const char *name, *old, *new;

	if (sd_bus_message_read(m, "sss", &name, &old, &new) < 0 || *new)
		return 0;
	for (size_t k = 0; k < d->n_regs;) {
		if (strcmp(d->regs[k].sender, name) == 0) {
			log_info("type 0x%02x unregistered: %s left",
				 d->regs[k].type, name);
			free(d->regs[k].sender);
			free(d->regs[k].versions);
			d->regs[k] = d->regs[--d->n_regs];
		} else {
			k++;
		}
	}
	return 0;
}

static const sd_bus_vtable root_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD_WITH_ARGS("RegisterTypeSupport",
				SD_BUS_ARGS("y", msg_type, "au", versions),
				SD_BUS_NO_RESULT, method_register_type, 0),
	SD_BUS_METHOD_WITH_ARGS("RegisterVDMTypeSupport",
				SD_BUS_ARGS("y", format, "v", format_data, "q",
					    vendor_subtype),
				SD_BUS_NO_RESULT, method_register_vdm, 0),
	SD_BUS_VTABLE_END,
};

static int daemon_add_interface(struct daemon *d, const char *name,
				uint32_t bus, uint32_t net)
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
	ifc->net = net;
	ifc->name = strdup(name);
	ifc->role = strdup("Unknown");
	if (!ifc->name || !ifc->role) {
		free(ifc->name);
		free(ifc->role);
		free(ifc);
		return -ENOMEM;
	}
	r = sd_bus_path_encode(MCTPD_IFACES, name, &ifc->path);
	if (r < 0) {
		free(ifc->name);
		free(ifc->role);
		free(ifc);
		return r;
	}
	d->ifaces[d->n_ifaces++] = ifc;
	return 0;
}

static int daemon_add_network(struct daemon *d, uint32_t net)
{
	struct network *a;

	for (size_t k = 0; k < d->n_nets; k++)
		if (d->nets[k].net == net)
			return 0;
	a = reallocarray(d->nets, d->n_nets + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	d->nets = a;
	d->nets[d->n_nets] = (struct network){ .net = net };
	if (asprintf(&d->nets[d->n_nets].path, MCTPD_ROOT "/networks/%" PRIu32,
		     net) < 0)
		return -ENOMEM;
	d->n_nets++;
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
	r = endpoint_add(d, net, eid, NULL, types, n, config, NULL);
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
	ep->degraded = strcmp(state, "Degraded") == 0;
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
			r = daemon_add_interface(d, name, drv->bus, drv->net);
			if (r >= 0)
				r = daemon_add_network(d, drv->net);
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
		sd_bus_slot_unref(d->ifaces[k]->slot_if);
		sd_bus_slot_unref(d->ifaces[k]->slot_owner);
		free(d->ifaces[k]->role);
		free(d->ifaces[k]->name);
		free(d->ifaces[k]->path);
		free(d->ifaces[k]);
	}
	free(d->ifaces);
	for (size_t k = 0; k < d->n_drives; k++)
		free(d->drives[k].config);
	free(d->drives);
	for (size_t k = 0; k < d->n_nets; k++) {
		sd_bus_slot_unref(d->nets[k].slot);
		free(d->nets[k].path);
	}
	free(d->nets);
	for (size_t k = 0; k < d->n_regs; k++) {
		free(d->regs[k].sender);
		free(d->regs[k].versions);
	}
	free(d->regs);
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
	return daemon_add_interface(d, name, (uint32_t)bus, 1);
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
		{ "time-scale", required_argument, NULL, 't' },
		{ "local-eid", required_argument, NULL, 'l' },
		{ "role", required_argument, NULL, 'r' },
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
	while ((c = getopt_long(argc, argv, "s:i:e:t:l:r:avh", options,
				NULL)) >= 0) {
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
			d->link.emu_control = optarg;
			break;
		case 't': {
			char *end;

			d->link.scale = strtod(optarg, &end);
			if (*end ||
			    !(d->link.scale > 0 && d->link.scale <= 100)) {
				log_error("--time-scale: expected a factor in "
					  "(0, 100], got '%s'",
					  optarg);
				free(extra);
				return -EINVAL;
			}
			break;
		}
		case 'l': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 0);

			if (*end || v < 8 || v > 0xfe) {
				log_error("--local-eid: expected 8..254, got "
					  "'%s'",
					  optarg);
				free(extra);
				return -EINVAL;
			}
			d->local_eid = (uint8_t)v;
			break;
		}
		case 'r':
			if (strcmp(optarg, "bus-owner") == 0)
				d->initial_role = "BusOwner";
			else if (strcmp(optarg, "unknown") == 0)
				d->initial_role = "Unknown";
			else {
				log_error("--role: expected bus-owner or "
					  "unknown, got '%s'",
					  optarg);
				free(extra);
				return -EINVAL;
			}
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			printf("Usage: mctpd-standin [-v] [--scenario FILE] "
			       "[--interface NAME=BUS]... [--publish-all] "
			       "[--emu-control PATH] [--time-scale F] "
			       "[--local-eid N] [--role bus-owner|unknown]\n");
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
	r = sd_bus_add_object_vtable(d->bus, NULL, MCTPD_ROOT, ROOT_IFACE,
				     root_vtable, d);
	if (r >= 0)
		r = sd_bus_match_signal(d->bus, NULL, "org.freedesktop.DBus",
					"/org/freedesktop/DBus",
					"org.freedesktop.DBus",
					"NameOwnerChanged",
					on_name_owner_changed, d);
	if (r < 0)
		return log_error_errno(r, "cannot add the root object");
	for (size_t k = 0; k < d->n_ifaces; k++) {
		struct interface *ifc = d->ifaces[k];

		r = daemon_add_network(d, ifc->net);
		if (r >= 0)
			r = sd_bus_add_object_vtable(d->bus, &ifc->slot_if,
						     ifc->path, INTERFACE1,
						     interface1_vtable, ifc);
		if (r >= 0)
			r = interface_set_role(ifc, d->initial_role);
		if (r < 0)
			return log_error_errno(r, "cannot publish %s",
					       ifc->path);
		log_info("interface %s: bus %" PRIu32 ", network %" PRIu32
			 ", %s",
			 ifc->name, ifc->bus, ifc->net, ifc->role);
	}
	for (size_t k = 0; k < d->n_nets; k++) {
		struct endpoint *local;

		r = sd_bus_add_object_vtable(d->bus, &d->nets[k].slot,
					     d->nets[k].path, NETWORK1_IFACE,
					     network1_vtable, &d->nets[k]);
		if (r >= 0)
			r = endpoint_add(d, d->nets[k].net, d->local_eid, NULL,
					 (const uint8_t[]){ 0 }, 1, NULL,
					 &local);
		if (r < 0)
			return log_error_errno(
				r, "cannot publish network %" PRIu32,
				d->nets[k].net);
		local->local = true;
	}
	if (publish_all)
		for (size_t k = 0; k < d->n_drives; k++) {
			static const uint8_t types[] = { 0, NVME_MI_TYPE };
			struct endpoint phys = { .bus = d->drives[k].bus,
						 .address =
							 d->drives[k].address };

			r = endpoint_add(d, d->drives[k].net, d->drives[k].eid,
					 d->drives[k].has_phys ? &phys : NULL,
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
	struct daemon d = { .link.scale = 1.0,
			    .local_eid = EID_ALLOC_MIN,
			    .initial_role = "BusOwner" };
	int r;

	the_daemon = &d;
	r = run(&d, argc, argv);
	daemon_done(&d);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
