// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/decode.c: raw NVMe-MI bytes in, fields out. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"

static void test_ctemp(void **state)
{
	double t = 0;

	assert_int_equal(nvmed_decode_ctemp(0x00, &t), 0);
	assert_true(t == 0.0);
	assert_int_equal(nvmed_decode_ctemp(35, &t), 0);
	assert_true(t == 35.0);
	assert_int_equal(nvmed_decode_ctemp(0x7e, &t), 0);
	assert_true(t == 126.0);
	assert_int_equal(nvmed_decode_ctemp(0x7f, &t), 0); /* >= 127 */
	assert_true(t == 127.0);
	assert_int_equal(nvmed_decode_ctemp(0xc4, &t), 0); /* <= -60 */
	assert_true(t == -60.0);
	assert_int_equal(nvmed_decode_ctemp(0xc5, &t), 0);
	assert_true(t == -59.0);
	assert_int_equal(nvmed_decode_ctemp(0xff, &t), 0);
	assert_true(t == -1.0);

	t = 42;
	assert_int_equal(nvmed_decode_ctemp(0x80, &t), -ENODATA);
	assert_int_equal(nvmed_decode_ctemp(0x81, &t), -EIO);
	assert_int_equal(nvmed_decode_ctemp(0x82, &t), -ERANGE);
	assert_int_equal(nvmed_decode_ctemp(0xc3, &t), -ERANGE);
	assert_true(t == 42); /* untouched on failure */
}

static void test_health_mi12(void **state)
{
	/* NSS: DF (bit 5) + RNR; SW all ones = no warning; 40 C; 3 % */
	uint8_t raw[8] = { 0x30, 0xff, 40, 3, 0x00, 0x02, 0, 0 };
	struct nvmed_health h;

	assert_int_equal(nvmed_decode_health(raw, 8, 1, 2, &h), 0);
	assert_true(h.functional);
	assert_true(h.ready);
	assert_int_equal(h.crit_warning, 0);
	assert_true(h.temperature == 40.0);
	assert_int_equal(h.temp_error, 0);
	assert_int_equal(h.used, 3);
	assert_int_equal(h.nss, 0x30);
	assert_int_equal(h.sw, 0xff);

	/* Drive Functional cleared; SW bit 1 (temperature) cleared = warning */
	raw[0] = 0x10;
	raw[1] = 0xfd;
	assert_int_equal(nvmed_decode_health(raw, 8, 1, 2, &h), 0);
	assert_false(h.functional);
	assert_int_equal(h.crit_warning, NVMED_CW_TEMPERATURE);

	/* All five warnings */
	raw[1] = 0xe0;
	assert_int_equal(nvmed_decode_health(raw, 8, 1, 1, &h), 0);
	assert_int_equal(h.crit_warning, 0x1f);

	/* The MI 2.x ready bits mean nothing in 1.x */
	raw[0] = 0x01;
	assert_int_equal(nvmed_decode_health(raw, 8, 1, 2, &h), 0);
	assert_false(h.functional);
}

static void test_health_mi2(void **state)
{
	uint8_t raw[8] = { 0x02, 0xff, 0x81, 0, 0, 0, 0, 0 };
	struct nvmed_health h;

	/* DRV set, NRDY clear: ready and functional */
	assert_int_equal(nvmed_decode_health(raw, 8, 2, 0, &h), 0);
	assert_true(h.ready);
	assert_true(h.functional);
	assert_int_equal(h.temp_error, -EIO);
	assert_true(isnan(h.temperature));

	/* NRDY set */
	raw[0] = 0x03;
	assert_int_equal(nvmed_decode_health(raw, 8, 2, 0, &h), 0);
	assert_false(h.ready);
	assert_false(h.functional);

	/* bit 5 (1.2 Drive Functional) is read on 2.x too (unverified bit
	 * meanings: either DRV or DF means functional) */
	raw[0] = 0x20;
	assert_int_equal(nvmed_decode_health(raw, 8, 2, 1, &h), 0);
	assert_true(h.ready);
	assert_true(h.functional);
	/* neither: ready but not functional */
	raw[0] = 0x00;
	assert_int_equal(nvmed_decode_health(raw, 8, 2, 0, &h), 0);
	assert_true(h.ready);
	assert_false(h.functional);
	/* Not Ready wins over both */
	raw[0] = 0x23;
	assert_int_equal(nvmed_decode_health(raw, 8, 2, 0, &h), 0);
	assert_false(h.ready);
	assert_false(h.functional);

	/* anything after 1.2 uses the newer layout */
	raw[0] = 0x02;
	assert_int_equal(nvmed_decode_health(raw, 8, 1, 3, &h), 0);
	assert_true(h.functional);
}

/* The same NSS bytes per revision: 1.0/1.1/1.2 read bit 5 only; 1.3 and
 * 2.x read !NRDY && (DRV || DF). */
static void test_health_nss_by_revision(void **state)
{
	static const struct {
		uint8_t major, minor, nss;
		bool functional;
	} cases[] = {
		{ 1, 0, 0x20, true },  { 1, 1, 0x00, false },
		{ 1, 2, 0x20, true },  { 1, 2, 0x02, false },
		{ 1, 2, 0x21, true },  { 1, 3, 0x02, true },
		{ 1, 3, 0x20, true },  { 1, 3, 0x01, false },
		{ 2, 0, 0x02, true },  { 2, 0, 0x22, true },
		{ 2, 0, 0x03, false }, { 2, 0, 0x21, false },
		{ 2, 1, 0x00, false }, { 2, 2, 0x20, true },
	};
	uint8_t raw[8] = { 0, 0xff, 40, 0, 0, 0, 0, 0 };
	struct nvmed_health h;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		raw[0] = cases[i].nss;
		assert_int_equal(nvmed_decode_health(raw, 8, cases[i].major,
						     cases[i].minor, &h),
				 0);
		if (h.functional != cases[i].functional)
			fail_msg("NVMe-MI %u.%u NSS 0x%02x: functional %d",
				 cases[i].major, cases[i].minor, cases[i].nss,
				 h.functional);
	}
}

static void test_health_bad_length(void **state)
{
	uint8_t raw[32] = { 0 };
	struct nvmed_health h = { .used = 77 };

	assert_int_equal(nvmed_decode_health(raw, 7, 1, 2, &h), -EBADMSG);
	assert_int_equal(nvmed_decode_health(raw, 32, 1, 2, &h), -EBADMSG);
	assert_int_equal(nvmed_decode_health(NULL, 8, 1, 2, &h), -EBADMSG);
	assert_int_equal(h.used, 77);
}

static void test_subsys_info(void **state)
{
	uint8_t raw[32] = { 0, 1, 2 };
	uint8_t major = 9, minor = 9;

	assert_int_equal(nvmed_decode_subsys_info(raw, 32, &major, &minor), 0);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 2);
	raw[1] = 2;
	raw[2] = 0;
	assert_int_equal(nvmed_decode_subsys_info(raw, 32, &major, &minor), 0);
	assert_int_equal(major, 2);
	assert_int_equal(minor, 0);
	raw[1] = 0; /* pre-1.1 drives: taken as 1.0 */
	raw[2] = 7;
	assert_int_equal(nvmed_decode_subsys_info(raw, 32, &major, &minor), 0);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 0);
	assert_int_equal(nvmed_decode_subsys_info(raw, 8, &major, &minor),
			 -EBADMSG);
}

static void put_field(uint8_t *buf, size_t off, size_t len, const char *s)
{
	memset(buf + off, ' ', len);
	memcpy(buf + off, s, strlen(s));
}

static void test_identify(void **state)
{
	static uint8_t id[4096];
	struct nvmed_identity out;

	memset(id, 0, sizeof(id));
	id[0] = 0x4d; /* VID 0x144d */
	id[1] = 0x14;
	put_field(id, 4, 20, "S1");
	put_field(id, 24, 40, "Model M1");
	put_field(id, 64, 8, "F1");
	id[266] = (343 & 0xff); /* WCTEMP 343 K = 70 C */
	id[267] = 343 >> 8;
	id[268] = (353 & 0xff); /* CCTEMP 353 K = 80 C */
	id[269] = 353 >> 8;
	/* TNVMCAP 960197124096 = 0xDF90356000 */
	id[280] = 0x00;
	id[281] = 0x60;
	id[282] = 0x35;
	id[283] = 0x90;
	id[284] = 0xdf;

	assert_int_equal(nvmed_decode_identify(id, sizeof(id), &out), 0);
	assert_int_equal(out.vid, 0x144d);
	assert_string_equal(out.serial, "S1");
	assert_string_equal(out.model, "Model M1");
	assert_string_equal(out.firmware, "F1");
	assert_true(out.warning_temp == 70.0);
	assert_true(out.critical_temp == 80.0);
	assert_true(out.capacity == 960197124096ULL);
	assert_string_equal(nvmed_vendor_name(out.vid), "Samsung");

	/* Full-width fields, non-ASCII bytes, NUL padding, no thresholds,
	 * capacity beyond 2^64. */
	memset(id + 4, 'A', 20);
	id[10] = 0xc3;
	memset(id + 24, 0, 40);
	memcpy(id + 24, "X", 1);
	memset(id + 266, 0, 4);
	id[290] = 1;
	assert_int_equal(nvmed_decode_identify(id, sizeof(id), &out), 0);
	assert_string_equal(out.serial, "AAAAAA?AAAAAAAAAAAAA");
	assert_string_equal(out.model, "X");
	assert_true(isnan(out.warning_temp));
	assert_true(isnan(out.critical_temp));
	assert_true(out.capacity == UINT64_MAX);

	assert_int_equal(nvmed_decode_identify(id, 72, &out), -EBADMSG);

	/* the partial read nvmed does: every decoded field is in it */
	assert_int_equal(nvmed_decode_identify(id, NVMED_IDENTIFY_LEN, &out),
			 0);
	assert_string_equal(out.model, "X");
	assert_true(out.capacity == UINT64_MAX);
	assert_int_equal(
		nvmed_decode_identify(id, NVMED_IDENTIFY_DECODED, &out), 0);
	assert_int_equal(nvmed_decode_identify(id, NVMED_IDENTIFY_DECODED - 1,
					       &out),
			 -EBADMSG);
	/* a short read costs packets: 512 bytes, not the 4 KiB page */
	assert_true(NVMED_IDENTIFY_LEN <= 512);
}

static void test_smart(void **state)
{
	uint8_t log[512] = { 0 };
	struct nvmed_smart s;

	log[0] = NVMED_CW_SPARE | NVMED_CW_READ_ONLY;
	log[1] = (308 & 0xff); /* 35 C */
	log[2] = 308 >> 8;
	log[3] = 97;
	log[4] = 10;
	log[5] = 3;
	assert_int_equal(nvmed_decode_smart(log, sizeof(log), &s), 0);
	assert_int_equal(s.crit_warning, 0x09);
	assert_int_equal(s.avail_spare, 97);
	assert_int_equal(s.used, 3);
	assert_int_equal(nvmed_decode_smart(log, 511, &s), -EBADMSG);
}

static void test_life_left(void **state)
{
	assert_int_equal(nvmed_life_left(0), 100);
	assert_int_equal(nvmed_life_left(3), 97);
	assert_int_equal(nvmed_life_left(100), 0);
	assert_int_equal(nvmed_life_left(255), 0);
	assert_null(nvmed_vendor_name(0xabcd));
	assert_true(isnan(nvmed_kelvin_to_celsius(0)));
	assert_true(nvmed_kelvin_to_celsius(273) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctemp),
		cmocka_unit_test(test_health_mi12),
		cmocka_unit_test(test_health_mi2),
		cmocka_unit_test(test_health_nss_by_revision),
		cmocka_unit_test(test_health_bad_length),
		cmocka_unit_test(test_subsys_info),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_smart),
		cmocka_unit_test(test_life_left),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
