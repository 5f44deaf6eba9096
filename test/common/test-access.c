// SPDX-License-Identifier: Apache-2.0
/*
 * Who may manage the drives, on a private bus: the shipped NVMe policy
 * (service_files/xyz.openbmc_project.NVMe.conf.in, mgmt-spec section 1e)
 * keeps Software.Update, Nvme.Sanitize and Nvme.Admin to root and the
 * management group while everything else stays open, and
 * bus_sender_allowed() (src/common/access.h) tells the same callers apart
 * on a bus without that policy. The service is a stand-in served by the
 * test itself, which calls it as other users with tb_call_as()
 * (test/lib/testbed.h).
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access.h"
#include "macros.h"
#include "testbed.h"

#include <cmocka.h>

#define NVME	     "xyz.openbmc_project.NVMe"
#define CTRL_PATH    "/xyz/openbmc_project/inventory/storage/1/controller/d0"
#define UPDATE_IFACE "xyz.openbmc_project.Software.Update"
#define SAN_IFACE    "xyz.openbmc_project.Nvme.Sanitize"
#define ADMIN_IFACE  "xyz.openbmc_project.Nvme.Admin"
#define ITEM_IFACE   "xyz.openbmc_project.Inventory.Item"
#define PROPS_IFACE  "org.freedesktop.DBus.Properties"
#define DENIED	     "org.freedesktop.DBus.Error.AccessDenied"
#define BLOCK_ERASE \
	"xyz.openbmc_project.Nvme.Sanitize.SanitizeAction.BlockErase"
#define IMMEDIATE \
	"xyz.openbmc_project.Software.ApplyTime.RequestedApplyTimes.Immediate"

#define NOBODY	 65534
#define NOGROUP	 65534
#define TEST_GID 4242 /* a group no one else is in */

/* The stand-in: every management method checks its caller as nvmed does
 * (src/nvmed/mgmt/core.c, mgmt_authorize) and counts the calls that reach it. */
struct standin {
	gid_t group;
	bool have_group;
	unsigned calls;
	int last; /* bus_sender_allowed()'s last result */
};

static int check(sd_bus_message *m, struct standin *s, sd_bus_error *error)
{
	s->calls++;
	s->last = bus_sender_allowed(m, s->group, s->have_group);
	if (s->last > 0)
		return 1;
	return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
				"not root or in the management group");
}

static int method_log_page(sd_bus_message *m, void *userdata,
			   sd_bus_error *error)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	static const uint8_t page[4];
	int r = check(m, userdata, error);

	if (r <= 0)
		return r;
	r = sd_bus_message_new_method_return(m, &reply);
	if (r >= 0)
		r = sd_bus_message_append_array(reply, 'y', page, sizeof(page));
	return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int method_sanitize(sd_bus_message *m, void *userdata,
			   sd_bus_error *error)
{
	int r = check(m, userdata, error);

	return r <= 0 ? r :
			sd_bus_reply_method_return(m, "o",
						   CTRL_PATH "/sanitize");
}

static int method_update(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
	int r = check(m, userdata, error);

	return r <= 0 ? r :
			sd_bus_reply_method_return(m, "o", CTRL_PATH "_update");
}

/* UNPRIVILEGED: otherwise sd-bus itself refuses callers without
 * CAP_SYS_ADMIN on a system bus (sd_bus_add_object_vtable(3)), members of
 * the management group among them; nvmed's methods are so too. */
/* clang-format off */
static const sd_bus_vtable admin_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("GetLogPage", "yuyqu", "ay", method_log_page, 
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static const sd_bus_vtable sanitize_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("Sanitize", "s", "o", method_sanitize, 
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static const sd_bus_vtable update_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_METHOD("StartUpdate", "hs", "o", method_update, 
		      SD_BUS_VTABLE_UNPRIVILEGED),
	SD_BUS_VTABLE_END
};

static const int present = 1;
static const sd_bus_vtable item_vtable[] = {
	SD_BUS_VTABLE_START(0),
	SD_BUS_PROPERTY("Present", "b", NULL, 0, SD_BUS_VTABLE_PROPERTY_CONST),
	SD_BUS_VTABLE_END
};
/* clang-format on */

static void serve(struct testbed *tb, struct standin *s)
{
	sd_bus *bus = tb_bus(tb);

	assert_true(sd_bus_add_object_vtable(bus, NULL, CTRL_PATH, ADMIN_IFACE,
					     admin_vtable, s) >= 0);
	assert_true(sd_bus_add_object_vtable(bus, NULL, CTRL_PATH, SAN_IFACE,
					     sanitize_vtable, s) >= 0);
	assert_true(sd_bus_add_object_vtable(bus, NULL, CTRL_PATH, UPDATE_IFACE,
					     update_vtable, s) >= 0);
	assert_true(sd_bus_add_object_vtable(bus, NULL, CTRL_PATH, ITEM_IFACE,
					     item_vtable,
					     (void *)&present) >= 0);
	/* Root may own the name under the policy too. */
	assert_true(sd_bus_request_name(bus, NVME, 0) >= 0);
}

/* ---- the three management methods and a property, as who ---- */

static void call_log_page(struct testbed *tb, const struct tb_caller *who,
			  const char *iface, char *err, size_t size)
{
	tb_call_as_caller(tb, who, NVME, CTRL_PATH, iface, "GetLogPage", err,
			  size, "yuyqu", (uint8_t)2, (uint32_t)0xffffffff,
			  (uint8_t)0, (uint16_t)0, (uint32_t)4);
}

static void call_sanitize(struct testbed *tb, const struct tb_caller *who,
			  char *err, size_t size)
{
	tb_call_as_caller(tb, who, NVME, CTRL_PATH, SAN_IFACE, "Sanitize", err,
			  size, "s", BLOCK_ERASE);
}

static void call_update(struct testbed *tb, const struct tb_caller *who,
			char *err, size_t size)
{
	_cleanup_close_ int fd = memfd_create("image", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "EMFW", 4), 4);
	tb_call_as_caller(tb, who, NVME, CTRL_PATH, UPDATE_IFACE, "StartUpdate",
			  err, size, "hs", fd, IMMEDIATE);
}

static void get_present(struct testbed *tb, const struct tb_caller *who,
			char *err, size_t size)
{
	tb_call_as_caller(tb, who, NVME, CTRL_PATH, PROPS_IFACE, "Get", err,
			  size, "ss", ITEM_IFACE, "Present");
}

/* All three methods refused by the bus: the stand-in never sees them. */
static void assert_bus_refuses(struct testbed *tb, struct standin *s,
			       const struct tb_caller *who)
{
	unsigned calls = s->calls;
	char err[128];

	call_log_page(tb, who, ADMIN_IFACE, err, sizeof(err));
	assert_string_equal(err, DENIED);
	call_sanitize(tb, who, err, sizeof(err));
	assert_string_equal(err, DENIED);
	call_update(tb, who, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s->calls, calls);
}

/* All three methods reach the stand-in, which lets them through. */
static void assert_allowed(struct testbed *tb, struct standin *s,
			   const struct tb_caller *who)
{
	unsigned calls = s->calls;
	char err[128];

	call_log_page(tb, who, ADMIN_IFACE, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s->last, 1);
	call_sanitize(tb, who, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s->last, 1);
	call_update(tb, who, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s->last, 1);
	assert_int_equal(s->calls, calls + 3);
}

static void needs_root(void)
{
	if (geteuid() != 0) {
		printf("# needs root (to call as other users)\n");
		skip();
	}
}

/* ---- with the shipped policy ---- */

static void test_policy_refuses_others(void **state)
{
	struct tb_caller nobody = { .uid = NOBODY, .gid = NOGROUP };
	struct tb_caller root = { 0 };
	struct standin s = { .group = TEST_GID, .have_group = true };
	struct testbed *tb;
	struct stat st;
	char err[128];
	unsigned calls;

	needs_root();
	tb = tb_new_with_policy(tb_prog("nvme-policy"));
	assert_int_equal(stat(tb_dir(tb), &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	serve(tb, &s);

	assert_bus_refuses(tb, &s, &nobody);
	/* A call without an interface is refused as well. */
	calls = s.calls;
	call_log_page(tb, &nobody, NULL, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.calls, calls);
	/* Everything else stays open. */
	get_present(tb, &nobody, err, sizeof(err));
	assert_string_equal(err, "");

	assert_allowed(tb, &s, &root);
	get_present(tb, &root, err, sizeof(err));
	assert_string_equal(err, "");
	/* Without an interface not even root's (see the policy). */
	calls = s.calls;
	call_log_page(tb, &root, NULL, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.calls, calls);
	tb_free(tb);
}

/* TB_BUS_POLICY has tb_new() include a policy, as tb_new_with_policy(). */
static void test_policy_from_env(void **state)
{
	struct tb_caller nobody = { .uid = NOBODY, .gid = NOGROUP };
	struct standin s = { 0 };
	struct testbed *tb;

	needs_root();
	assert_int_equal(setenv("TB_BUS_POLICY", tb_prog("nvme-policy"), 1), 0);
	tb = tb_new();
	assert_int_equal(unsetenv("TB_BUS_POLICY"), 0);
	serve(tb, &s);
	assert_bus_refuses(tb, &s, &nobody);
	tb_free(tb);
}

/* The policy's template with an existing group as the management group
 * (the configured one, priv-admin by default, need not exist here);
 * malloc'ed path of a file the caller removes. */
static char *policy_for_group(const char *group)
{
	char in[512], *out = NULL, *text = NULL, *at;
	const char *root = getenv("TB_SOURCE_ROOT");
	const char *key = "@MANAGEMENT_GROUP@";
	size_t len = 0;
	FILE *f;
	int fd;

	assert_non_null(root);
	snprintf(in, sizeof(in),
		 "%s/service_files/xyz.openbmc_project.NVMe.conf.in", root);
	f = fopen(in, "r");
	assert_non_null(f);
	assert_int_equal(getdelim(&text, &len, '\0', f) > 0, 1);
	fclose(f);
	at = strstr(text, key);
	assert_non_null(at);
	*at = '\0';
	out = strdup("/tmp/tb-policy.XXXXXX");
	assert_non_null(out);
	fd = mkstemp(out);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fprintf(f, "%s%s%s", text, group, at + strlen(key));
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(out, 0644), 0);
	free(text);
	return out;
}

static void test_policy_allows_group(void **state)
{
	static const gid_t extra[] = { NOGROUP };
	/* the group as the effective gid, and as a supplementary group */
	struct tb_caller as_egid = { .uid = NOBODY, .gid = NOGROUP };
	struct tb_caller as_supp = {
		.uid = NOBODY, .gid = TEST_GID, .groups = extra, .n_groups = 1
	};
	struct tb_caller other = { .uid = NOBODY, .gid = TEST_GID };
	struct standin s = { .group = NOGROUP, .have_group = true };
	struct group *g;
	struct testbed *tb;
	char *policy;

	needs_root();
	g = getgrgid(NOGROUP);
	if (!g) {
		printf("# no group %d to be the management group\n", NOGROUP);
		skip();
	}
	policy = policy_for_group(g->gr_name);
	tb = tb_new_with_policy(policy);
	serve(tb, &s);
	assert_allowed(tb, &s, &as_egid);
	assert_allowed(tb, &s, &as_supp);
	assert_bus_refuses(tb, &s, &other);
	tb_free(tb);
	unlink(policy);
	free(policy);
}

/* ---- bus_sender_allowed() without the policy ---- */

static void test_sender_allowed(void **state)
{
	static const gid_t extra[] = { 100, TEST_GID };
	struct tb_caller nobody = { .uid = NOBODY, .gid = NOGROUP };
	struct tb_caller root = { 0 };
	struct tb_caller in_egid = { .uid = NOBODY, .gid = TEST_GID };
	struct tb_caller in_supp = {
		.uid = NOBODY, .gid = NOGROUP, .groups = extra, .n_groups = 2
	};
	/* root's group is no one's ticket: only uid 0 is */
	struct tb_caller root_group = { .uid = NOBODY, .gid = 0 };
	struct standin s = { .group = TEST_GID, .have_group = true };
	struct testbed *tb;
	char err[128];

	needs_root();
	tb = tb_new_with_policy(NULL);
	serve(tb, &s);

	call_log_page(tb, &nobody, ADMIN_IFACE, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.last, 0);
	call_sanitize(tb, &nobody, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.last, 0);
	call_update(tb, &root_group, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.last, 0);

	assert_allowed(tb, &s, &root);
	assert_allowed(tb, &s, &in_egid);
	assert_allowed(tb, &s, &in_supp);

	/* Without a group, root only. */
	s.have_group = false;
	call_log_page(tb, &in_egid, ADMIN_IFACE, err, sizeof(err));
	assert_string_equal(err, DENIED);
	assert_int_equal(s.last, 0);
	call_log_page(tb, &root, ADMIN_IFACE, err, sizeof(err));
	assert_string_equal(err, "");
	assert_int_equal(s.last, 1);
	tb_free(tb);
}

static void test_sender_allowed_no_message(void **state)
{
	assert_int_equal(bus_sender_allowed(NULL, 0, false), -EINVAL);
}

static void test_group_lookup(void **state)
{
	struct group *g = getgrgid(0);
	gid_t gid = 1;

	assert_non_null(g);
	assert_int_equal(access_group_lookup(g->gr_name, &gid), 0);
	assert_int_equal(gid, 0);
	assert_int_equal(access_group_lookup("tb-no-such-group", &gid),
			 -ENOENT);
	assert_int_equal(access_group_lookup("", &gid), -EINVAL);
	assert_int_equal(access_group_lookup(NULL, &gid), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_policy_refuses_others),
		cmocka_unit_test(test_policy_from_env),
		cmocka_unit_test(test_policy_allows_group),
		cmocka_unit_test(test_sender_allowed),
		cmocka_unit_test(test_sender_allowed_no_message),
		cmocka_unit_test(test_group_lookup),
	};

	return tb_run_tests(tests, ARRAY_SIZE(tests));
}
