// SPDX-License-Identifier: Apache-2.0
/*
 * Replies to the management commands as nvmed decodes them
 * (src/nvmed/pure/admin.h): Identify Controller's management fields, the
 * Firmware Slot Information log, the Sanitize Status log, Identify
 * Namespace and the active namespace list, all from the same bytes, and
 * the status a drive answers with.
 *
 * Invariants: a reply shorter than its structure is refused with
 * -EBADMSG; decoding twice gives the same result; firmware revisions are
 * printable ASCII without trailing blanks; the slot chosen for an image
 * exists, is writable, and is the active one only when no other slot
 * is; sanitize progress is 0..100; a namespace's block size is a power
 * of two from 512 bytes and its sizes are whole blocks or saturated; the
 * namespace list is ascending, non-zero and within its bound; a status
 * string is NUL-terminated within its buffer.
 */
#include <errno.h>
#include <string.h>

#include "fuzz.h"
#include "src/nvmed/pure/admin.h"

#define MGMT_FUZZ_NS 64

static void check_caps_and_slots(const uint8_t *d, size_t n)
{
	struct admin_ctrl_caps caps, again;
	struct admin_fw_slots slots, again_slots;
	unsigned slot = 0;
	int r = admin_decode_caps(d, n, &caps);

	FUZZ_CHECK((r == 0) == (n >= ADMIN_IDENTIFY_CAPS_LEN), "caps %d", r);
	if (r == 0) {
		admin_decode_caps(d, n, &again);
		FUZZ_CHECK(caps.oacs == again.oacs &&
				   caps.slots == again.slots &&
				   caps.slot1_ro == again.slot1_ro &&
				   caps.activate_no_reset ==
					   again.activate_no_reset &&
				   caps.fwug == again.fwug &&
				   caps.sanicap == again.sanicap,
			   "caps differ");
		FUZZ_CHECK(caps.slots <= 7, "slots %u", caps.slots);
	}
	r = admin_decode_fw_slots(d, n, &slots);
	FUZZ_CHECK((r == 0) == (n >= 64), "fw slots %d", r);
	if (r != 0)
		return;
	admin_decode_fw_slots(d, n, &again_slots);
	FUZZ_CHECK(memcmp(&slots, &again_slots, sizeof(slots)) == 0,
		   "slots differ");
	for (int i = 0; i < 7; i++) {
		size_t len = strlen(slots.rev[i]);

		FUZZ_CHECK(len <= 8, "rev %d length %zu", i, len);
		FUZZ_CHECK(len == 0 || slots.rev[i][len - 1] != ' ',
			   "rev %d trailing blank", i);
		for (size_t k = 0; k < len; k++)
			FUZZ_CHECK(slots.rev[i][k] >= 0x20 &&
					   slots.rev[i][k] <= 0x7e,
				   "rev %d byte %zu", i, k);
	}
	if (r == 0 && n >= ADMIN_IDENTIFY_CAPS_LEN &&
	    admin_pick_slot(&caps, &slots, &slot) == 0) {
		unsigned max = caps.slots ? caps.slots : 1;

		FUZZ_CHECK(slot >= 1 && slot <= max, "slot %u of %u", slot,
			   max);
		FUZZ_CHECK(!(slot == 1 && caps.slot1_ro), "slot 1 read-only");
		if (slot == slots.active)
			for (unsigned s = 1; s <= max; s++)
				FUZZ_CHECK(s == slots.active ||
						   (s == 1 && caps.slot1_ro),
					   "active slot %u taken while %u is "
					   "free",
					   slot, s);
	}
}

static void check_sanitize(const uint8_t *d, size_t n)
{
	struct admin_sanitize_status st;
	int r = admin_decode_sanitize(d, n, &st);

	FUZZ_CHECK((r == 0) == (n >= 4), "sanitize %d", r);
	if (r == 0)
		FUZZ_CHECK(st.percent <= 100 && (unsigned)st.state <= 7,
			   "sanitize %u %u", st.percent, st.state);
}

static void check_namespace(const uint8_t *d, size_t n)
{
	struct admin_namespace ns;
	uint32_t ids[MGMT_FUZZ_NS], last = 0;
	size_t k;
	int r = admin_decode_namespace(d, n, &ns);

	if (n < 384)
		FUZZ_CHECK(r == -EBADMSG, "short namespace %d", r);
	if (r == 0) {
		FUZZ_CHECK(ns.block_size >= 512 &&
				   (ns.block_size & (ns.block_size - 1)) == 0,
			   "block size %u", ns.block_size);
		FUZZ_CHECK(ns.size == UINT64_MAX ||
				   ns.size % ns.block_size == 0,
			   "size %llu", (unsigned long long)ns.size);
	}
	k = admin_decode_ns_list(d, n, ids, MGMT_FUZZ_NS);
	FUZZ_CHECK(k <= MGMT_FUZZ_NS && k <= n / 4, "ns list %zu", k);
	for (size_t i = 0; i < k; i++) {
		FUZZ_CHECK(ids[i] > last && ids[i] != 0xffffffffu,
			   "ns list %zu: %u after %u", i, ids[i], last);
		last = ids[i];
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[96];
	int status = 0;

	check_caps_and_slots(data, size);
	check_sanitize(data, size);
	check_namespace(data, size);
	if (size >= 4)
		memcpy(&status, data, sizeof(status));
	admin_status_str(status, buf, sizeof(buf));
	FUZZ_CHECK(memchr(buf, '\0', sizeof(buf)) != NULL, "status string");
	return 0;
}
