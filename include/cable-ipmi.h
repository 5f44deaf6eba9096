/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libcable-ipmi: cable presence as IPMI sensors.
 *
 * Every D-Bus object under /xyz/openbmc_project/inventory (any depth)
 * that has xyz.openbmc_project.Inventory.Item.Cable, as the
 * ObjectMapper lists it, is grouped as the OpenBMC design
 * "gpio-based-cable-presence" says: cables named <base><index> under one
 * parent object make event-only SDRs named "<base>[<first>-<last>]" of
 * at most 14 members, bit i of whose state is the Present property
 * (xyz.openbmc_project.Inventory.Item) of member <first>+i; a cable
 * without an index is an SDR of its own, bit 0 only. ID strings are at
 * most 16 bytes and unique.
 *
 * The library gives an IPMI responder (phosphor-host-ipmid's dbus-sdr,
 * or any other) what it needs and nothing of its own framing:
 *   - the groups, in a stable order (parent path, base, index):
 *     cable_ipmi_refresh(), cable_ipmi_count(), cable_ipmi_name();
 *   - each group's type 03h (Event-Only) SDR, byte for byte
 *     (IPMI 2.0 section 43.3): cable_ipmi_record();
 *   - the response data of Get Sensor Event Status (04h 2Bh) and Get
 *     Sensor Reading (04h 2Dh), read from every member's live Present at
 *     the time of the call (nothing is cached): cable_ipmi_event_status(),
 *     cable_ipmi_reading();
 *   - a callback when the set of cables may have changed, so that the
 *     caller rebuilds its SDR repository and moves its timestamps and
 *     reservations: cable_ipmi_set_changed_callback().
 *
 * It uses the caller's sd-bus connection and makes blocking method calls
 * on it (sd_bus_call: other messages are queued, not dispatched, while
 * it waits); the change callback runs from the caller's own dispatch of
 * that connection. Single-threaded, as the connection is.
 *
 * Return values: 0 or a positive count on success, a negative errno on
 * failure; output parameters are untouched on failure. Usable from C and
 * C++.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <systemd/sd-bus.h>

#ifdef __cplusplus
extern "C" {
#endif

/* IPMI 2.0 table 43-13: Entity ID 1Fh, Cable / Interconnect. */
#define CABLE_IPMI_ENTITY_ID 0x1f
/* IPMI 2.0 table 42-3: Sensor Type 1Bh, Cable / Interconnect. */
#define CABLE_IPMI_SENSOR_TYPE 0x1b
/* IPMI 2.0 table 42-1: an OEM event/reading type (70h-7Fh). Sensor
 * specific (6Fh) would give bit 1 of type 1Bh the meaning "Config Error"
 * (table 42-3), and clients name it so. */
#define CABLE_IPMI_EVENT_READING_TYPE 0x70
/* Discrete states of one sensor: 0..14 (IPMI 2.0 section 35.14). */
#define CABLE_IPMI_MAX_STATES 14
/* ID string bytes of an SDR (IPMI 2.0 section 43.3, bytes 18:33). */
#define CABLE_IPMI_ID_MAX 16
/* The longest record: 5 header bytes, 12 key and body bytes, the ID. */
#define CABLE_IPMI_RECORD_MAX (5 + 12 + CABLE_IPMI_ID_MAX)
/* Response data after the completion code. */
#define CABLE_IPMI_EVENT_STATUS_SIZE 5
#define CABLE_IPMI_READING_SIZE	     4

/* Byte 1 of both responses (IPMI 2.0 sections 35.13, 35.14). */
#define CABLE_IPMI_EVENTS_ENABLED   0x80 /* not set: we send no events */
#define CABLE_IPMI_SCANNING_ENABLED 0x40
#define CABLE_IPMI_UNAVAILABLE	    0x20

struct cable_ipmi;

/* Where a record sits in the caller's repository. */
struct cable_ipmi_key {
	uint16_t record_id;
	uint8_t owner_id; /* slave address of the BMC, e.g. 0x20 */
	uint8_t owner_lun; /* bits 1:0 */
	uint8_t sensor_number;
};

/* What the members read: mask bit i is Present of member i; unreadable
 * bit i is set when member i could not be read (its bit is then 0). */
struct cable_ipmi_state {
	uint16_t mask;
	uint16_t unreadable;
	unsigned count;
};

typedef void (*cable_ipmi_changed_t)(struct cable_ipmi *c, void *userdata);

/* A context on bus (which it references). No D-Bus traffic yet. */
int cable_ipmi_new(sd_bus *bus, struct cable_ipmi **ret);
/* Frees c, its matches and its groups; accepts NULL; returns NULL. */
struct cable_ipmi *cable_ipmi_free(struct cable_ipmi *c);

/*
 * Ask the mapper for the cables and group them anew. Returns the number
 * of groups; on failure the previous groups stay as they were. A group's
 * number (its index, 0..count-1) is valid until the next refresh.
 */
int cable_ipmi_refresh(struct cable_ipmi *c);
size_t cable_ipmi_count(const struct cable_ipmi *c);
/* The SDR ID string of group i (NUL-terminated), or NULL. */
const char *cable_ipmi_name(const struct cable_ipmi *c, size_t i);
/* The number of members of group i (0 when there is no group i). */
unsigned cable_ipmi_members(const struct cable_ipmi *c, size_t i);
/* The object path of member k of group i (bit k), or NULL. */
const char *cable_ipmi_member_path(const struct cable_ipmi *c, size_t i,
				   unsigned k);

/* Group i's type 03h record into buf; returns its length in bytes. */
int cable_ipmi_record(const struct cable_ipmi *c, size_t i,
		      const struct cable_ipmi_key *key, uint8_t *buf,
		      size_t size);

/*
 * Read Present of every member of group i now, each on its own: a
 * member that cannot be read (no such object, a service that does not
 * answer within the timeout, a property of the wrong type) sets its
 * unreadable bit and does not stop the others. -ENOENT: no group i.
 */
int cable_ipmi_read(struct cable_ipmi *c, size_t i,
		    struct cable_ipmi_state *ret);
/* cable_ipmi_read, then the response data of Get Sensor Event Status
 * (04h 2Bh) or Get Sensor Reading (04h 2Dh); returns its length. */
int cable_ipmi_event_status(struct cable_ipmi *c, size_t i, uint8_t *buf,
			    size_t size);
int cable_ipmi_reading(struct cable_ipmi *c, size_t i, uint8_t *buf,
		       size_t size);

/* How long one member's Present may take (default 1 s); 0 restores it. */
void cable_ipmi_set_timeout(struct cable_ipmi *c, uint64_t usec);

/*
 * Call cb whenever the set of cables may have changed: an
 * Inventory.Item.Cable added or removed under the inventory, or the owner
 * of a service that serves one leaving the bus. Installs the bus matches
 * on the first call; cb NULL stops the calls. The caller refreshes (now
 * or at its next request) and treats it as an SDR repository change.
 */
int cable_ipmi_set_changed_callback(struct cable_ipmi *c,
				    cable_ipmi_changed_t cb, void *userdata);
/* Counts the changes seen since c was made. */
uint64_t cable_ipmi_generation(const struct cable_ipmi *c);

/* Pure builders, for callers that group or read by themselves. */
/* A type 03h record of ID id (cut to CABLE_IPMI_ID_MAX bytes), entity
 * instance instance; returns its length, or -ENOBUFS. */
int cable_ipmi_build_record(const char *id, uint8_t instance,
			    const struct cable_ipmi_key *key, uint8_t *buf,
			    size_t size);
int cable_ipmi_build_event_status(const struct cable_ipmi_state *s,
				  uint8_t *buf, size_t size);
int cable_ipmi_build_reading(const struct cable_ipmi_state *s, uint8_t *buf,
			     size_t size);

#ifdef __cplusplus
}
#endif
