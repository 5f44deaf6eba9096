// SPDX-License-Identifier: Apache-2.0
/*
 * NVMe-MI replies as nvmed decodes them (src/nvmed/pure/decode.h): the
 * Subsystem Health Status Poll, NVM Subsystem Information, Identify
 * Controller, the SMART log page, and the basic management command's
 * status and VPD blocks, all from the same bytes.
 *
 * Input: the drive's NVMe-MI major and minor version, then the reply.
 * Each decoder gets the reply as it came and, when it is longer, cut to
 * the decoder's own length (so one long input feeds every decoder).
 *
 * Invariants: a reply of the wrong length is refused with -EBADMSG and
 * the output is left untouched; decoding twice gives the same result;
 * strings are printable ASCII, NUL-terminated within their field,
 * trimmed, and each character is the reply's byte or '?'; a temperature
 * is NaN exactly when there is no reading and otherwise within what the
 * encoding can say (-60..127 C for CTemp, -273..65262 C for Kelvin
 * fields); warning bits stay within the five the specification defines.
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "fuzz.h"
#include "src/nvmed/pure/decode.h"

/* An output filled with this before a call that must fail is unchanged. */
#define POISON 0xa5

static bool untouched(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != POISON)
			return false;
	return true;
}

static void check_ctemp(uint8_t raw)
{
	double t;
	int r;

	memset(&t, POISON, sizeof(t));
	r = nvmed_decode_ctemp(raw, &t);
	if (raw == 0x80)
		FUZZ_CHECK(r == -ENODATA, "ctemp 0x%02x: %d", raw, r);
	else if (raw == 0x81)
		FUZZ_CHECK(r == -EIO, "ctemp 0x%02x: %d", raw, r);
	else if (raw >= 0x82 && raw <= 0xc3)
		FUZZ_CHECK(r == -ERANGE, "ctemp 0x%02x: %d", raw, r);
	else
		FUZZ_CHECK(r == 0 && t >= -60 && t <= 127 &&
				   t == (double)(int8_t)raw,
			   "ctemp 0x%02x: %d, %g", raw, r, t);
	if (r < 0)
		FUZZ_CHECK(untouched(&t, sizeof(t)), "ctemp 0x%02x written",
			   raw);
}

static bool health_equal(const struct nvmed_health *a,
			 const struct nvmed_health *b)
{
	return fuzz_same_double(a->temperature, b->temperature) &&
	       a->temp_error == b->temp_error &&
	       a->functional == b->functional && a->ready == b->ready &&
	       a->crit_warning == b->crit_warning && a->used == b->used &&
	       a->nss == b->nss && a->sw == b->sw;
}

/* What both health decoders promise about their result. */
static void check_health_common(const struct nvmed_health *h,
				const uint8_t *buf, const char *what)
{
	FUZZ_CHECK(h->nss == buf[0] && h->sw == buf[1] && h->used == buf[3],
		   "%s: raw bytes not kept", what);
	FUZZ_CHECK(h->crit_warning == (uint8_t)(~buf[1] & 0x1f),
		   "%s: warnings 0x%02x from SMART Warnings 0x%02x", what,
		   h->crit_warning, buf[1]);
	FUZZ_CHECK(!h->functional || h->ready, "%s: functional but not ready",
		   what);
	FUZZ_CHECK(h->temp_error == 0 || h->temp_error == -ENODATA ||
			   h->temp_error == -EIO || h->temp_error == -ERANGE,
		   "%s: temp_error %d", what, h->temp_error);
	FUZZ_CHECK(isnan(h->temperature) ||
			   (h->temperature >= -60 && h->temperature <= 127),
		   "%s: temperature %g", what, h->temperature);
	if (h->temp_error)
		FUZZ_CHECK(isnan(h->temperature),
			   "%s: temperature %g with error %d", what,
			   h->temperature, h->temp_error);
	FUZZ_CHECK(nvmed_life_left(h->used) <= 100, "%s: life left %u", what,
		   nvmed_life_left(h->used));
}

static void check_health(const uint8_t *buf, size_t len, uint8_t major,
			 uint8_t minor)
{
	struct nvmed_health h, again;
	int r;

	memset(&h, POISON, sizeof(h));
	r = nvmed_decode_health(buf, len, major, minor, &h);
	if (len != NVMED_HEALTH_LEN) {
		FUZZ_CHECK(r == -EBADMSG && untouched(&h, sizeof(h)),
			   "health of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0, "health: %d", r);
	check_health_common(&h, buf, "health");
	/* The poll always carries a reading or says why it has none. */
	FUZZ_CHECK(isnan(h.temperature) == (h.temp_error != 0),
		   "health: temperature %g, error %d", h.temperature,
		   h.temp_error);
	if (major < 1 || (major == 1 && minor <= 2))
		FUZZ_CHECK(h.ready, "health: MI %u.%u not ready", major, minor);
	FUZZ_CHECK(nvmed_decode_health(buf, len, major, minor, &again) == 0 &&
			   health_equal(&h, &again),
		   "health: decoded twice differently");
}

static void check_subsys_info(const uint8_t *buf, size_t len)
{
	uint8_t major = POISON, minor = POISON, m2, n2;
	int r;

	r = nvmed_decode_subsys_info(buf, len, &major, &minor);
	if (len != NVMED_SUBSYS_INFO_LEN) {
		FUZZ_CHECK(r == -EBADMSG && major == POISON && minor == POISON,
			   "subsystem information of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0 && major >= 1, "subsystem information: %d, %u", r,
		   major);
	FUZZ_CHECK(buf[1] ? major == buf[1] && minor == buf[2] :
			    major == 1 && minor == 0,
		   "subsystem information: %u.%u from %u.%u", major, minor,
		   buf[1], buf[2]);
	FUZZ_CHECK(nvmed_decode_subsys_info(buf, len, &m2, &n2) == 0 &&
			   m2 == major && n2 == minor,
		   "subsystem information: decoded twice differently");
}

/* A decoded string field of size bytes (NUL included) from raw[n]. */
static void check_field(const char *s, size_t size, const uint8_t *raw,
			size_t n, const char *what)
{
	size_t len;

	FUZZ_CHECK(fuzz_printable(s, size), "%s: not printable or too long",
		   what);
	len = strlen(s);
	FUZZ_CHECK(len <= n && len < size, "%s: %zu bytes", what, len);
	FUZZ_CHECK(len == 0 || s[len - 1] != ' ', "%s: '%s' not trimmed", what,
		   s);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(s[i] == (char)raw[i] || s[i] == '?',
			   "%s: byte %zu is '%c' for 0x%02x", what, i, s[i],
			   raw[i]);
	/* What was cut is only padding. */
	for (size_t i = len; i < n; i++)
		FUZZ_CHECK(raw[i] == ' ' || raw[i] == '\0',
			   "%s: byte %zu (0x%02x) lost", what, i, raw[i]);
}

static bool kelvin_ok(double c)
{
	return isnan(c) || (c >= -272 && c <= 65535 - 273);
}

static void check_identify(const uint8_t *buf, size_t len)
{
	struct nvmed_identity id, again;
	uint64_t cap = 0;
	bool big = false;
	int r;

	memset(&id, POISON, sizeof(id));
	r = nvmed_decode_identify(buf, len, &id);
	if (len < NVMED_IDENTIFY_DECODED) {
		FUZZ_CHECK(r == -EBADMSG && untouched(&id, sizeof(id)),
			   "identify of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0, "identify: %d", r);
	check_field(id.serial, sizeof(id.serial), buf + 4, 20, "serial");
	check_field(id.model, sizeof(id.model), buf + 24, 40, "model");
	check_field(id.firmware, sizeof(id.firmware), buf + 64, 8, "firmware");
	FUZZ_CHECK(id.vid == (uint16_t)(buf[0] | buf[1] << 8), "vid 0x%04x",
		   id.vid);
	FUZZ_CHECK(kelvin_ok(id.warning_temp) && kelvin_ok(id.critical_temp),
		   "temperatures %g, %g", id.warning_temp, id.critical_temp);
	FUZZ_CHECK(isnan(id.warning_temp) == !(buf[266] | buf[267]),
		   "WCTEMP %g", id.warning_temp);
	for (int i = 7; i >= 0; i--)
		cap = cap << 8 | buf[280 + i];
	for (int i = 8; i < 16; i++)
		big |= buf[280 + i] != 0;
	FUZZ_CHECK(id.capacity == (big ? UINT64_MAX : cap),
		   "capacity %llu, not saturated",
		   (unsigned long long)id.capacity);
	if (nvmed_vendor_name(id.vid)) {
		const char *v = nvmed_vendor_name(id.vid);

		FUZZ_CHECK(*v && fuzz_printable(v, strlen(v) + 1),
			   "vendor name of 0x%04x", id.vid);
	}
	FUZZ_CHECK(
		nvmed_decode_identify(buf, len, &again) == 0 &&
			strcmp(id.serial, again.serial) == 0 &&
			strcmp(id.model, again.model) == 0 &&
			strcmp(id.firmware, again.firmware) == 0 &&
			id.vid == again.vid && id.capacity == again.capacity &&
			fuzz_same_double(id.warning_temp, again.warning_temp) &&
			fuzz_same_double(id.critical_temp, again.critical_temp),
		"identify: decoded twice differently");
}

static void check_smart(const uint8_t *buf, size_t len)
{
	struct nvmed_smart s, again;
	int r;

	memset(&s, POISON, sizeof(s));
	r = nvmed_decode_smart(buf, len, &s);
	if (len != NVMED_SMART_LEN) {
		FUZZ_CHECK(r == -EBADMSG && untouched(&s, sizeof(s)),
			   "SMART log of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0 && s.crit_warning == buf[0] &&
			   s.avail_spare == buf[3] && s.used == buf[5],
		   "SMART log: %d", r);
	FUZZ_CHECK(nvmed_decode_smart(buf, len, &again) == 0 &&
			   again.crit_warning == s.crit_warning &&
			   again.avail_spare == s.avail_spare &&
			   again.used == s.used,
		   "SMART log: decoded twice differently");
}

static void check_basic_status(const uint8_t *buf, size_t len)
{
	struct nvmed_health h, again;
	int r;

	memset(&h, POISON, sizeof(h));
	r = nvmed_decode_basic_status(buf, len, &h);
	if (len < NVMED_BASIC_STATUS_MIN) {
		FUZZ_CHECK(r == -EBADMSG && untouched(&h, sizeof(h)),
			   "basic status of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0, "basic status: %d", r);
	check_health_common(&h, buf, "basic status");
	FUZZ_CHECK(h.ready == !(buf[0] & NVMED_BASIC_NOT_READY) &&
			   h.functional == (h.ready &&
					    (buf[0] & NVMED_BASIC_FUNCTIONAL)),
		   "basic status: flags 0x%02x", buf[0]);
	/* No reading from a drive that is not working, and no error. */
	if (!h.functional)
		FUZZ_CHECK(isnan(h.temperature) && h.temp_error == 0,
			   "basic status: temperature %g, error %d while not "
			   "functional",
			   h.temperature, h.temp_error);
	else
		FUZZ_CHECK(isnan(h.temperature) == (h.temp_error != 0),
			   "basic status: temperature %g, error %d",
			   h.temperature, h.temp_error);
	FUZZ_CHECK(nvmed_decode_basic_status(buf, len, &again) == 0 &&
			   health_equal(&h, &again),
		   "basic status: decoded twice differently");
}

static void check_basic_vpd(const uint8_t *buf, size_t len)
{
	char serial[21], again[21];
	uint16_t vid = 0x5a5a, vid2;
	int r;

	memset(serial, POISON, sizeof(serial));
	r = nvmed_decode_basic_vpd(buf, len, &vid, serial);
	if (len < NVMED_BASIC_VPD_MIN) {
		FUZZ_CHECK(r == -EBADMSG && vid == 0x5a5a &&
				   untouched(serial, sizeof(serial)),
			   "basic VPD of %zu bytes: %d", len, r);
		return;
	}
	FUZZ_CHECK(r == 0 && vid == (uint16_t)(buf[0] << 8 | buf[1]),
		   "basic VPD: %d, vid 0x%04x", r, vid);
	check_field(serial, sizeof(serial), buf + 2, 20, "basic serial");
	FUZZ_CHECK(nvmed_decode_basic_vpd(buf, len, &vid2, again) == 0 &&
			   vid2 == vid && strcmp(again, serial) == 0,
		   "basic VPD: decoded twice differently");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t exact[] = {
		NVMED_HEALTH_LEN,	NVMED_SUBSYS_INFO_LEN,
		NVMED_IDENTIFY_DECODED, NVMED_IDENTIFY_LEN,
		NVMED_SMART_LEN,	NVMED_BASIC_STATUS_MIN,
		NVMED_BASIC_VPD_MIN
	};
	struct fuzz_in in = { data, size };
	uint8_t major = fuzz_u8(&in), minor = fuzz_u8(&in);
	const uint8_t *reply = in.p;
	size_t len = in.n;

	if (size == 0) {
		/* the whole CTemp table, once per run */
		for (unsigned raw = 0; raw < 256; raw++)
			check_ctemp((uint8_t)raw);
		return 0;
	}
	check_ctemp(major);

	check_health(reply, len, major, minor);
	check_subsys_info(reply, len);
	check_identify(reply, len);
	check_smart(reply, len);
	check_basic_status(reply, len);
	check_basic_vpd(reply, len);
	for (size_t i = 0; i < ARRAY_SIZE(exact); i++) {
		if (len <= exact[i])
			continue;
		check_health(reply, exact[i], major, minor);
		check_subsys_info(reply, exact[i]);
		check_identify(reply, exact[i]);
		check_smart(reply, exact[i]);
	}
	return 0;
}
