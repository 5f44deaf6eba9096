// SPDX-License-Identifier: Apache-2.0
/*
 * Who may manage a drive (nvmed-test.h; mgmt-spec section 1e): with the
 * shipped policy (service_files/xyz.openbmc_project.NVMe.conf.in) on the
 * bus, uid 65534 is refused StartUpdate, Sanitize and GetLogPage while it
 * still reads the same objects' properties, and root may call all three;
 * on a bus without that policy nvmed refuses uid 65534 by itself. Both
 * refusals have the same error name: their messages tell them apart. The
 * calls come from a process of that user (tb_call_as, test/lib/testbed.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "macros.h"
#include "nvmed-test.h"

#define SW	    "/xyz/openbmc_project/software/nvme_NVMe_9"
#define SW_UPDATE   SW "_update"
#define CONTROLLER  "/xyz/openbmc_project/inventory/storage/1/controller/NVMe_9"
#define VOLUME	    "/xyz/openbmc_project/inventory/storage/1/volume/NVMe_9_"
#define VERSION_IF  "xyz.openbmc_project.Software.Version"
#define UPDATE_IF   "xyz.openbmc_project.Software.Update"
#define SANITIZE_IF "xyz.openbmc_project.Nvme.Sanitize"
#define ADMIN_IF    "xyz.openbmc_project.Nvme.Admin"
#define VOLUME_IF   "xyz.openbmc_project.Inventory.Item.Volume"
#define PROPS_IF    "org.freedesktop.DBus.Properties"
#define APPLY_ON_RESET                                                \
	"xyz.openbmc_project.Software.ApplyTime.RequestedApplyTimes." \
	"OnReset"
#define BLOCK_ERASE \
	"xyz.openbmc_project.Nvme.Sanitize.SanitizeAction.BlockErase"
#define DENIED "org.freedesktop.DBus.Error.AccessDenied"
/* Who refused, by the refusal's message: dbus-daemon's policy
 * (complain_about_message() in bus/bus.c of dbus), or nvmed's own check
 * (src/nvmed/mgmt/core.c). */
#define BY_BUS	 "Rejected send message"
#define BY_NVMED "Drive management is for root"

#define NOBODY	65534
#define NOGROUP 65534

/* One MCTP drive, NVMe 9, with nvmed on it; the bus with the shipped
 * policy when policy. */
static void start_one(struct nt_env *e, bool policy)
{
	char one[900], sc[1000];

	nt_mi_drive_json(one, sizeof(one), 9, 3, 35, NULL);
	snprintf(sc, sizeof(sc), "{\"drives\": [%s]}", one);
	if (policy)
		assert_int_equal(
			setenv("TB_BUS_POLICY", tb_prog("nvme-policy"), 1), 0);
	nt_start(e, NT_MCTP, sc);
	assert_int_equal(unsetenv("TB_BUS_POLICY"), 0);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	assert_int_equal(
		tb_wait_object(e->tb, NVME, VOLUME "1", VOLUME_IF, WAIT), 0);
	assert_int_equal(
		tb_wait_object(e->tb, NVME, CONTROLLER, ADMIN_IF, WAIT), 0);
}

/* An emulator image (test/sim/mctp/README.md): "EMFW", the revision,
 * a payload; a memfd, as bmcweb hands over. */
static int image(void)
{
	int fd = memfd_create("image", MFD_CLOEXEC);
	uint8_t buf[4096] = { 0 };

	assert_true(fd >= 0);
	memcpy(buf, "EMFW2.0.0   ", 12);
	assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	return fd;
}

/* ---- the three methods and a Get on each one's object, as uid:gid ---- */

static void start_update(struct nt_env *e, uid_t uid, gid_t gid, char *err,
			 size_t size)
{
	_cleanup_close_ int fd = image();

	tb_call_as(e->tb, uid, gid, NVME, SW, UPDATE_IF, "StartUpdate", err,
		   size, "hs", fd, APPLY_ON_RESET);
}

static void sanitize(struct nt_env *e, uid_t uid, gid_t gid, char *err,
		     size_t size)
{
	tb_call_as(e->tb, uid, gid, NVME, nt_drive("NVMe_9"), SANITIZE_IF,
		   "Sanitize", err, size, "s", BLOCK_ERASE);
}

static void get_log_page(struct nt_env *e, uid_t uid, gid_t gid, char *err,
			 size_t size)
{
	tb_call_as(e->tb, uid, gid, NVME, CONTROLLER, ADMIN_IF, "GetLogPage",
		   err, size, "yuyqu", (uint8_t)0x02, (uint32_t)0xffffffff,
		   (uint8_t)0, (uint16_t)0, (uint32_t)512);
}

static void get(struct nt_env *e, uid_t uid, gid_t gid, const char *path,
		const char *iface, const char *prop)
{
	char err[128];

	tb_call_as(e->tb, uid, gid, NVME, path, PROPS_IF, "Get", err,
		   sizeof(err), "ss", iface, prop);
	assert_string_equal(err, "");
}

/* The refusal of the last call came from who: its message starts with
 * who's (the two have the same error name). */
static void assert_refused_by(struct nt_env *e, const char *who)
{
	const char *msg = tb_call_message(e->tb);

	if (strncmp(msg, who, strlen(who)) != 0)
		fail_msg("refused by someone else: \"%s\"", msg);
}

/* uid 65534 is refused all three, by who (BY_BUS, BY_NVMED), and reads
 * the objects; nothing started. */
static void assert_nobody_refused(struct nt_env *e, const char *who)
{
	char err[128];

	start_update(e, NOBODY, NOGROUP, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_refused_by(e, who);
	sanitize(e, NOBODY, NOGROUP, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_refused_by(e, who);
	get_log_page(e, NOBODY, NOGROUP, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_refused_by(e, who);

	get(e, NOBODY, NOGROUP, SW, UPDATE_IF, "AllowedApplyTimes");
	get(e, NOBODY, NOGROUP, SW, VERSION_IF, "Version");
	get(e, NOBODY, NOGROUP, nt_drive("NVMe_9"), SANITIZE_IF,
	    "SupportedActions");
	get(e, NOBODY, NOGROUP, nt_drive("NVMe_9"), SANITIZE_IF, "Progress");
	get(e, NOBODY, NOGROUP, CONTROLLER, ITEM_IF, "Present");
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, SW_UPDATE, 100), 0);
	assert_int_equal(tb_wait_object_gone(e->tb, NVME,
					     DRIVE "NVMe_9/sanitize", 100),
			 0);
}

/* root may call all three. */
static void assert_root_allowed(struct nt_env *e)
{
	char err[128];

	get_log_page(e, 0, 0, err, sizeof(err));
	assert_string_equal(err, "");
	start_update(e, 0, 0, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(
		tb_wait_object(e->tb, NVME, SW_UPDATE, VERSION_IF, WAIT), 0);
	sanitize(e, 0, 0, err, sizeof(err));
	/* nvmed's own rule (mgmt-spec 1b): no sanitize during an update */
	if (strcmp(err, "xyz.openbmc_project.Common.Error.Unavailable") != 0)
		assert_string_equal(err, "");
}

/*
 * With the policy on the bus, the bus refuses uid 65534 before nvmed sees
 * the call. (What the policy allows and refuses, call by call, is
 * test/common/test-access.c's; this is that it is the one that refuses
 * nvmed's methods.)
 */
static void test_policy(void **state)
{
	struct nt_env *e = *state;

	start_one(e, true);
	assert_nobody_refused(e, BY_BUS);
	assert_root_allowed(e);
	nt_stop(e);
}

/* Without the policy on the bus, nvmed's own check refuses the same. */
static void test_nvmed_checks(void **state)
{
	struct nt_env *e = *state;

	start_one(e, false);
	assert_nobody_refused(e, BY_NVMED);
	assert_root_allowed(e);
	nt_stop(e);
}

/* A sanitize as root when nothing else runs. */
static void test_root_sanitize(void **state)
{
	struct nt_env *e = *state;
	char err[128];

	start_one(e, true);
	sanitize(e, 0, 0, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(tb_wait_object(e->tb, NVME, DRIVE "NVMe_9/sanitize",
					"xyz.openbmc_project.Common.Progress",
					WAIT),
			 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_policy),
		NT_TEST(test_nvmed_checks),
		NT_TEST(test_root_sanitize),
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (to call as uid %d)\n", NOBODY);
		return 0;
	}
	return nt_run(tests, ARRAY_SIZE(tests));
}
