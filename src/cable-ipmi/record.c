/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bytes of the cable SDRs and of the two reading commands (pure).
 *
 * Record: IPMI 2.0 section 43.3, table 43-3 "Event-Only Sensor Record -
 * SDR Type 03h". Readings: section 35.13 (Get Sensor Event Status) and
 * 35.14 (Get Sensor Reading), for a discrete sensor.
 */
#include <errno.h>
#include <string.h>

#include "cable-ipmi.h"

#define SDR_VERSION	    0x51 /* IPMI 2.0 (table 43-3, byte 3) */
#define SDR_TYPE_EVENT_ONLY 0x03
#define SDR_HEADER_SIZE	    5
/* Key and body before the ID string: bytes 6..17 of table 43-3. */
#define SDR_FIXED_SIZE 12
/* ID string type/length code: 11b = 8-bit ASCII + Latin 1 (43.15). */
#define SDR_ID_8BIT_ASCII 0xc0

int cable_ipmi_build_record(const char *id, uint8_t instance,
			    const struct cable_ipmi_key *key, uint8_t *buf,
			    size_t size)
{
	size_t len = id ? strnlen(id, CABLE_IPMI_ID_MAX) : 0;
	size_t total = SDR_HEADER_SIZE + SDR_FIXED_SIZE + len;

	if (!key || !buf || size < total)
		return -ENOBUFS;

	/* header */
	buf[0] = (uint8_t)(key->record_id & 0xff);
	buf[1] = (uint8_t)(key->record_id >> 8);
	buf[2] = SDR_VERSION;
	buf[3] = SDR_TYPE_EVENT_ONLY;
	buf[4] = (uint8_t)(SDR_FIXED_SIZE + len); /* bytes after the header */
	/* key: owner, channel 0 and LUN, number */
	buf[5] = key->owner_id;
	buf[6] = key->owner_lun & 0x03;
	buf[7] = key->sensor_number;
	/* body */
	buf[8] = CABLE_IPMI_ENTITY_ID;
	buf[9] = instance & 0x7f; /* bit 7 clear: a physical entity */
	buf[10] = CABLE_IPMI_SENSOR_TYPE;
	buf[11] = CABLE_IPMI_EVENT_READING_TYPE;
	buf[12] = 0x00; /* direction unspecified, not shared */
	buf[13] = 0x00; /* entity instance the same for shared records */
	buf[14] = 0x00; /* reserved */
	buf[15] = 0x00; /* OEM */
	buf[16] = (uint8_t)(SDR_ID_8BIT_ASCII | len);
	if (len)
		memcpy(buf + 17, id, len);
	return (int)total;
}

/* The members of s that exist, 14 at most, as a mask. */
static uint16_t state_valid(const struct cable_ipmi_state *s)
{
	unsigned n = s->count < CABLE_IPMI_MAX_STATES ? s->count :
							CABLE_IPMI_MAX_STATES;

	return (uint16_t)((1u << n) - 1);
}

/* Byte 1 of both responses: scanning on, events off (this sensor sends
 * none), reading unavailable when a member could not be read. */
static uint8_t state_flags(const struct cable_ipmi_state *s)
{
	return (uint8_t)(CABLE_IPMI_SCANNING_ENABLED |
			 (s->unreadable & state_valid(s) ?
				  CABLE_IPMI_UNAVAILABLE :
				  0));
}

/* The asserted states of s: bits of the members that read Present. */
static uint16_t state_bits(const struct cable_ipmi_state *s)
{
	return (uint16_t)(s->mask & ~s->unreadable & state_valid(s));
}

int cable_ipmi_build_event_status(const struct cable_ipmi_state *s,
				  uint8_t *buf, size_t size)
{
	uint16_t bits;

	if (!s || !buf || size < CABLE_IPMI_EVENT_STATUS_SIZE)
		return -ENOBUFS;
	bits = state_bits(s);
	buf[0] = state_flags(s);
	buf[1] = (uint8_t)(bits & 0xff); /* assertion events 0..7 */
	buf[2] = (uint8_t)(bits >> 8); /* 8..14, bit 7 reserved */
	buf[3] = 0x00; /* deassertion events 0..7: none tracked */
	buf[4] = 0x00; /* 8..14 */
	return CABLE_IPMI_EVENT_STATUS_SIZE;
}

int cable_ipmi_build_reading(const struct cable_ipmi_state *s, uint8_t *buf,
			     size_t size)
{
	uint16_t bits;

	if (!s || !buf || size < CABLE_IPMI_READING_SIZE)
		return -ENOBUFS;
	bits = state_bits(s);
	buf[0] = 0x00; /* sensor reading: ignored for discrete sensors */
	buf[1] = state_flags(s);
	buf[2] = (uint8_t)(bits & 0xff); /* states 0..7 asserted */
	/* states 8..14; bit 7 is reserved and "returned as 1b" (35.14) */
	buf[3] = (uint8_t)(0x80 | (bits >> 8));
	return CABLE_IPMI_READING_SIZE;
}
