// SPDX-License-Identifier: Apache-2.0
/*
 * Drive management over NVMe-MI (nvmed-test.h): firmware update through
 * xyz.openbmc_project.Software.Update (download in 4 KiB pieces, commit,
 * the activation and progress it reports, each error a drive or a caller
 * can cause), sanitize with progress while the sensor keeps updating,
 * log pages, namespaces as volumes, and none of it on a drive read with
 * the SMBus basic command. nvme-cli, through the same shim, is the
 * independent reading of the emulator's firmware slots, sanitize status
 * and namespaces.
 */
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <json-c/json.h>

#include "macros.h"
#include "nvmed-test.h"

#define SW	      "/xyz/openbmc_project/software/nvme_NVMe_9"
#define SW_UPDATE     SW "_update"
#define CONTROLLER    "/xyz/openbmc_project/inventory/storage/1/controller/NVMe_9"
#define VOLUME	      "/xyz/openbmc_project/inventory/storage/1/volume/NVMe_9_"
#define VERSION_IF    "xyz.openbmc_project.Software.Version"
#define ACTIVATION_IF "xyz.openbmc_project.Software.Activation"
#define PROGRESS_IF   "xyz.openbmc_project.Software.ActivationProgress"
#define UPDATE_IF     "xyz.openbmc_project.Software.Update"
#define SANITIZE_IF   "xyz.openbmc_project.Nvme.Sanitize"
#define CPROGRESS_IF  "xyz.openbmc_project.Common.Progress"
#define ADMIN_IF      "xyz.openbmc_project.Nvme.Admin"
#define VOLUME_IF     "xyz.openbmc_project.Inventory.Item.Volume"
#define NVOLUME_IF    "xyz.openbmc_project.Nvme.Volume"
#define ACT	      "xyz.openbmc_project.Software.Activation.Activations."
#define APPLY	      "xyz.openbmc_project.Software.ApplyTime.RequestedApplyTimes."
#define OPSTATUS      "xyz.openbmc_project.Common.Progress.OperationStatus."
#define ACTION	      "xyz.openbmc_project.Nvme.Sanitize.SanitizeAction."
#define ERR_UPD	      "xyz.openbmc_project.Software.Update.Error."
#define ERR_COMMON    "xyz.openbmc_project.Common.Error."

/* One MCTP drive, NVMe 9, with extra scenario keys; nvmed on it. */
static void start_one(struct nt_env *e, const char *extra)
{
	char one[900], sc[1000];

	nt_mi_drive_json(one, sizeof(one), 9, 3, 35, NULL);
	if (extra) {
		one[strlen(one) - 1] = '\0';
		snprintf(sc, sizeof(sc), "{\"drives\": [%s, %s}]}", one, extra);
	} else {
		snprintf(sc, sizeof(sc), "{\"drives\": [%s]}", one);
	}
	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	assert_int_equal(
		tb_wait_object(e->tb, NVME, VOLUME "1", VOLUME_IF, WAIT), 0);
}

/* An emulator image (test/sim/mctp/README.md): "EMFW", the revision,
 * then size - 12 bytes. A memfd, as bmcweb hands over. */
static int image(const char *magic, const char *rev, size_t size)
{
	int fd = memfd_create("image", MFD_CLOEXEC);
	uint8_t *buf = calloc(1, size);
	char head[13];

	assert_true(fd >= 0 && buf);
	snprintf(head, sizeof(head), "%-4.4s%-8.8s", magic, rev);
	memcpy(buf, head, size < 12 ? size : 12);
	for (size_t i = 12; i < size; i++)
		buf[i] = (uint8_t)(i * 7);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	free(buf);
	return fd;
}

/* StartUpdate: 0 and the object path in path, or the D-Bus error's name
 * in path. */
static int start_update(struct nt_env *e, int fd, const char *apply, char *path,
			size_t len)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL;
	const char *p;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), NVME, SW, UPDATE_IF,
			       "StartUpdate", &err, &reply, "hs", fd, apply);
	if (r < 0) {
		snprintf(path, len, "%s", err.name);
		fprintf(stderr, "# StartUpdate: %s: %s\n", err.name,
			err.message);
	} else {
		assert_true(sd_bus_message_read(reply, "o", &p) >= 0);
		snprintf(path, len, "%s", p);
	}
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	close(fd);
	return r < 0 ? r : 0;
}

static void update_must_fail(struct nt_env *e, int fd, const char *apply,
			     const char *error)
{
	char got[256];

	assert_true(start_update(e, fd, apply, got, sizeof(got)) < 0);
	assert_string_equal(got, error);
}

static void wait_activation(struct nt_env *e, const char *state, int ms)
{
	assert_int_equal(tb_wait_string(e->tb, NVME, SW_UPDATE, ACTIVATION_IF,
					"Activation", state, ms),
			 0);
}

/* StartUpdate with the image fd, then the update reaches state. */
static void update_ends(struct nt_env *e, int fd, const char *apply,
			const char *state, int ms)
{
	char path[256];

	assert_int_equal(start_update(e, fd, apply, path, sizeof(path)), 0);
	wait_activation(e, state, ms);
}

/* The running firmware's Version becomes v. */
static void wait_version(struct nt_env *e, const char *v)
{
	assert_int_equal(tb_wait_string(e->tb, NVME, SW, VERSION_IF, "Version",
					v, WAIT),
			 0);
}

/* nvmed's journal says text. */
static void wait_log(struct nt_env *e, const char *text)
{
	assert_int_equal(tb_wait_log(e->tb, "nvmed", text, WAIT), 0);
}

static uint32_t get_u32(struct nt_env *e, const char *path, const char *iface,
			const char *prop)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	uint32_t v = 0;

	assert_true(sd_bus_get_property_trivial(tb_bus(e->tb), NVME, path,
						iface, prop, &err, 'u',
						&v) >= 0);
	return v;
}

static json_object *nvme_cli(struct nt_env *e, const char *const *args)
{
	const char *env[] = { e->preload, e->mctp_sock, "LD_LIBRARY_PATH",
			      NULL };
	const char *argv[12] = { "/usr/sbin/nvme" };
	_cleanup_free_ char *out = NULL;
	size_t n = 1;
	json_object *j;

	for (; *args; args++)
		argv[n++] = *args;
	argv[n++] = "-o";
	argv[n++] = "json";
	argv[n] = NULL;
	assert_int_equal(tb_run(e->tb, argv, env, 30000, &out), 0);
	j = json_tokener_parse(out);
	if (!j)
		fprintf(stderr, "# nvme-cli said: %s\n", out);
	assert_non_null(j);
	return j;
}

/* ---- the objects -------------------------------------------------------- */

static void test_objects(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *v = NULL;

	start_one(e, NULL);
	v = tb_get_string(e->tb, NVME, SW, VERSION_IF, "Version");
	assert_string_equal(v, "FW9");
	assert_int_equal(tb_wait_string(e->tb, NVME, SW, ACTIVATION_IF,
					"Activation", ACT "Active", WAIT),
			 0);
	assert_true(
		nt_has_assoc(e, SW, "running", "ran_on", nt_drive("NVMe_9")));
	assert_int_equal(tb_wait_object(e->tb, NVME, nt_drive("NVMe_9"),
					SANITIZE_IF, WAIT),
			 0);
	assert_int_equal(
		tb_wait_object(e->tb, NVME, CONTROLLER, ADMIN_IF, WAIT), 0);
	/* the default namespace: the whole capacity in 512-byte blocks */
	assert_true(nt_get_u64(e, VOLUME "1", VOLUME_IF, "Size") ==
		    960197124096ULL);
	assert_true(nt_get_u64(e, VOLUME "1", VOLUME_IF, "BlockSize") == 512);
	assert_true(nt_has_assoc(e, VOLUME "1", "contained", "containing",
				 "/xyz/openbmc_project/inventory/storage/1"));
	assert_true(nt_has_assoc(e, VOLUME "1", "attached", "attaching",
				 CONTROLLER));
	nt_stop(e);
}

static int on_sanitize_changed(sd_bus_message *m, void *userdata,
			       sd_bus_error *ret_error)
{
	unsigned *n = userdata;
	const char *iface, *key;

	if (sd_bus_message_read(m, "s", &iface) < 0 ||
	    strcmp(iface, SANITIZE_IF) != 0 ||
	    sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
		return 0;
	while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
		if (sd_bus_message_read(m, "s", &key) < 0)
			return 0;
		if (strcmp(key, "SupportedActions") == 0)
			(*n)++;
		if (sd_bus_message_skip(m, "v") < 0 ||
		    sd_bus_message_exit_container(m) < 0)
			return 0;
	}
	return 0;
}

/* SupportedActions is announced once Identify has told SANICAP: a client
 * that read it before (empty) learns the actions. */
static void test_caps_signalled(void **state)
{
	struct nt_env *e = *state;
	_cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
	char one[900], sc[1000];
	unsigned n = 0;

	nt_mi_drive_json(one, sizeof(one), 9, 3, 35, NULL);
	snprintf(sc, sizeof(sc), "{\"drives\": [%s]}", one);
	nt_start(e, NT_MCTP, sc);
	assert_true(sd_bus_match_signal(
			    tb_bus(e->tb), &slot, NULL, nt_drive("NVMe_9"),
			    "org.freedesktop.DBus.Properties",
			    "PropertiesChanged", on_sanitize_changed, &n) >= 0);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	for (int i = 0; i < 100 && n == 0; i++)
		tb_pump(e->tb, 100);
	assert_int_equal(n, 1);
	nt_stop(e);
}

/* Three namespaces of two formats; nvme-cli lists the same. */
static void test_namespaces(void **state)
{
	struct nt_env *e = *state;
	const char *args[] = { "list-ns", "mctp:1,9", NULL };
	json_object *j;

	start_one(e, "\"namespaces\": [{\"nsid\": 1, \"size\": 1048576, "
		     "\"lbads\": 9, \"ms\": 0}, {\"nsid\": 2, \"size\": "
		     "4194304, \"lbads\": 12, \"ms\": 8}, {\"nsid\": 5, "
		     "\"size\": 8192, \"lbads\": 12, \"ms\": 0}]");
	assert_int_equal(
		tb_wait_object(e->tb, NVME, VOLUME "5", VOLUME_IF, WAIT), 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  VOLUME_IF),
			 3);
	assert_true(nt_get_u64(e, VOLUME "2", VOLUME_IF, "Size") == 4194304);
	assert_true(nt_get_u64(e, VOLUME "2", VOLUME_IF, "BlockSize") == 4096);
	/* nvme-cli lists the namespaces nvmed publishes */
	j = nvme_cli(e, args);
	{
		static const uint32_t want[] = { 1, 2, 5 };
		json_object *list, *id;

		assert_true(json_object_object_get_ex(j, "nsid_list", &list));
		assert_int_equal(json_object_array_length(list), 3);
		for (size_t i = 0; i < 3; i++) {
			char path[128];

			assert_true(json_object_object_get_ex(
				json_object_array_get_idx(list, i), "nsid",
				&id));
			assert_int_equal(json_object_get_int(id), want[i]);
			snprintf(path, sizeof(path), VOLUME "%u", want[i]);
			assert_int_equal(get_u32(e, path, NVOLUME_IF,
						 "NamespaceId"),
					 want[i]);
		}
	}
	json_object_put(j);
	nt_stop(e);
}

/* A namespace the drive describes wrongly (LBADS 8: 256-byte blocks) is
 * left out, the journal naming it; the others are published. */
static void test_namespace_impossible(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"namespaces\": [{\"nsid\": 1, \"size\": 1048576}, "
		     "{\"nsid\": 3, \"size\": 1048576, \"fault_lbads\": 8}, "
		     "{\"nsid\": 4, \"size\": 1048576}]");
	assert_int_equal(
		tb_wait_object(e->tb, NVME, VOLUME "4", VOLUME_IF, WAIT), 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  VOLUME_IF),
			 2);
	wait_log(e, "Identify Namespace 3: impossible LBA "
		    "format or short reply; not published");
	nt_stop(e);
}

/* ---- firmware ----------------------------------------------------------- */

static void test_update_immediate(void **state)
{
	struct nt_env *e = *state;
	const char *args[] = { "fw-log", "mctp:1,9", NULL };
	char path[256];
	json_object *j;

	start_one(e, NULL);
	assert_int_equal(start_update(e, image("EMFW", "2.0.0", 65536),
				      APPLY "Immediate", path, sizeof(path)),
			 0);
	assert_string_equal(path, SW_UPDATE);
	wait_activation(e, ACT "Active", WAIT);
	assert_int_equal(nt_get_u8(e, SW_UPDATE, PROGRESS_IF, "Progress"), 100);
	assert_int_equal(tb_wait_string(e->tb, NVME, SW_UPDATE, VERSION_IF,
					"Version", "2.0.0", WAIT),
			 0);
	wait_version(e, "2.0.0");
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("NVMe_9"), REV_IF,
					"Version", "2.0.0", WAIT),
			 0);
	assert_true(nt_has_assoc(e, SW_UPDATE, "activating", "activated_by",
				 nt_drive("NVMe_9")));
	/* nvme-cli reads the slot the image went to */
	j = nvme_cli(e, args);
	{
		json_object *dev, *v;

		assert_true(json_object_object_get_ex(j, "mctp:1,9", &dev));
		assert_true(json_object_object_get_ex(
			dev, "Active Firmware Slot (afi)", &v));
		assert_int_equal(json_object_get_int(v), 2);
		assert_true(json_object_object_get_ex(
			dev, "Firmware Rev Slot 2", &v));
		assert_non_null(strstr(json_object_get_string(v), "(2.0.0"));
	}
	json_object_put(j);
	/* the sensor went on */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 41}");
	nt_wait_value(e, "NVMe_9", 41, WAIT);
	nt_stop(e);
}

/* nvmed-update, the command line way to StartUpdate with a file. */
static void test_update_tool(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *out = NULL, *bad = NULL;
	static char buf[65536];
	const char *path;
	FILE *f;
	int fd;

	start_one(e, NULL);
	path = tb_path(e->tb, "fw.bin");
	fd = image("EMFW", "7.7.7", sizeof(buf));
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	close(fd);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(buf, 1, sizeof(buf), f), sizeof(buf));
	fclose(f);
	{
		const char *argv[] = { tb_prog("nvmed-update"),
				       "--apply-time",
				       "Immediate",
				       "NVMe_9",
				       path,
				       NULL };

		assert_int_equal(tb_run(e->tb, argv, NULL, 30000, &out), 0);
	}
	assert_non_null(strstr(out, SW_UPDATE "\n"));
	assert_non_null(strstr(out, "Progress 100 %\nActivation Active\n"));
	wait_version(e, "7.7.7");
	{
		const char *argv[] = { tb_prog("nvmed-update"), "NVMe_9",
				       tb_path(e->tb, "none.bin"), NULL };

		assert_int_not_equal(tb_run(e->tb, argv, NULL, 30000, &bad), 0);
	}
	nt_stop(e);
}

/* OnReset: Staged until the drive is reset, then Active. */
static void test_update_on_reset(void **state)
{
	struct nt_env *e = *state;

	start_one(e, NULL);
	update_ends(e, image("EMFW", "3.1", 8192), APPLY "OnReset",
		    ACT "Staged", WAIT);
	assert_int_equal(nt_get_u8(e, SW_UPDATE, PROGRESS_IF, "Progress"), 100);
	wait_version(e, "FW9");
	/* power cycle; the EID comes back as mctpd would give it */
	emu_ctl_ok(&e->emu,
		   "{\"bus\": 3, \"address\": 29, \"power_cycle\": true}");
	emu_ctl_ok(&e->emu, "{\"mctp_control\": {\"bus\": 3, \"address\": "
			    "29, \"request\": \"0080010009\"}}");
	wait_activation(e, ACT "Active", SLOW_WAIT);
	wait_version(e, "3.1");
	nt_stop(e);
}

/* The drive needs a reset for an immediate activation: Staged. */
static void test_update_needs_reset(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"fw_reset_required\": \"conventional\"");
	update_ends(e, image("EMFW", "4.0", 4096), APPLY "Immediate",
		    ACT "Staged", WAIT);
	wait_log(e, "Requires Conventional Reset");
	nt_stop(e);
}

/* What StartUpdate refuses at once, and the drive keeps being served. */
static void test_update_refused(void **state)
{
	struct nt_env *e = *state;
	int pfd[2];

	start_one(e, "\"fw_no_reset\": false");
	/* a size that is not a multiple of 4, nothing, a pipe */
	update_must_fail(e, image("EMFW", "x", 4098), APPLY "OnReset",
			 ERR_UPD "InvalidImage");
	update_must_fail(e, image("EMFW", "x", 0), APPLY "OnReset",
			 ERR_UPD "InvalidImage");
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	close(pfd[1]);
	update_must_fail(e, pfd[0], APPLY "OnReset", ERR_UPD "InvalidImage");
	/* this drive activates only on reset */
	update_must_fail(e, image("EMFW", "x", 4096), APPLY "Immediate",
			 ERR_UPD "InvalidApplyTime");
	update_must_fail(e, image("EMFW", "x", 4096), "Soon",
			 ERR_COMMON "InvalidArgument");
	nt_stop(e);
}

/* A drive whose only slot is read-only. */
static void test_update_no_slot(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"fw_slots\": 1, \"fw_slot1_ro\": true");
	update_must_fail(e, image("EMFW", "x", 4096), APPLY "OnReset",
			 ERR_UPD "Incompatible");
	nt_stop(e);
}

/* One that takes firmware in 8 KiB pieces, more than NVMe-MI carries. */
static void test_update_granularity(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"fw_ug\": 2");
	update_must_fail(e, image("EMFW", "x", 8192), APPLY "OnReset",
			 ERR_UPD "Incompatible");
	nt_stop(e);
}

/* The drive rejects the image at commit: Invalid; another status: Failed. */
static void test_update_rejected(void **state)
{
	struct nt_env *e = *state;

	start_one(e, NULL);
	update_ends(e, image("XXXX", "bad", 8192), APPLY "Immediate",
		    ACT "Invalid", WAIT);
	wait_log(e, "Invalid Firmware Image");
	/* a new update replaces the finished one */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"fw_commit_status\": 16390}");
	update_ends(e, image("EMFW", "5.0", 8192), APPLY "Immediate",
		    ACT "Failed", WAIT);
	wait_version(e, "FW9");
	/* the drive refuses a piece of the image: Invalid Field, DNR */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"fw_commit_status\": 0, "
			    "\"fw_download_status\": 16386}");
	update_ends(e, image("EMFW", "5.1", 16384), APPLY "Immediate",
		    ACT "Failed", WAIT);
	wait_log(e, "Firmware Image Download at byte 0 of "
		    "16384 failed: NVMe status 0x002");
	assert_int_equal(nt_get_u8(e, SW_UPDATE, PROGRESS_IF, "Progress"), 0);
	nt_stop(e);
}

/* The reply to a piece is lost after the drive took it: the piece sent
 * again overlaps (Overlapping Range), and the update goes on. */
static void test_update_lost_reply(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"fw_miss_at\": 4096");
	update_ends(e, image("EMFW", "8.0", 16384), APPLY "Immediate",
		    ACT "Active", SLOW_WAIT);
	wait_version(e, "8.0");
	wait_log(e, "firmware piece at 4096 was taken before "
		    "(NVMe status 0x114 (Overlapping Range))");
	nt_stop(e);
}

/* The drive takes the Firmware Commit but its answer is lost: the slot
 * log shows the new slot running (Active), or the slot to run after the
 * next reset (Staged). */
static void test_update_lost_commit_reply(void **state)
{
	struct nt_env *e = *state;

	start_one(e, "\"miss_admin\": 16");
	update_ends(e, image("EMFW", "8.1", 8192), APPLY "Immediate",
		    ACT "Active", 60000);
	wait_version(e, "8.1");
	wait_log(e, "the Firmware Commit to slot 2 got no "
		    "answer, but the slot log shows it taken");
	/* at the next reset: the slot log names the slot to come */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"miss_admin\": 16}");
	update_ends(e, image("EMFW", "8.2", 8192), APPLY "OnReset",
		    ACT "Staged", 60000);
	wait_log(e, "the Firmware Commit to slot 1 got no "
		    "answer, but the slot log shows it taken");
	nt_stop(e);
}

/* NVMe 9 as entity-manager's NVME1000 mi_i2c record (mctpd sets it
 * up), with extra scenario keys and record keys; its record path. */
static const char *start_em_one(struct nt_env *e, const char *extra,
				const char *keys)
{
	char one[900], sc[1000], rec[600];
	const char *board;

	nt_mi_drive_json(one, sizeof(one), 9, 3, 35, NULL);
	if (extra) {
		one[strlen(one) - 1] = '\0';
		snprintf(sc, sizeof(sc), "{\"drives\": [%s, %s}]}", one, extra);
	} else {
		snprintf(sc, sizeof(sc), "{\"drives\": [%s]}", one);
	}
	nt_start(e, NT_MCTP, sc);
	nt_start_mctpd(e, "mctpd", sc, NULL);
	snprintf(rec, sizeof(rec),
		 "{\"Type\": \"NVME1000\", \"Name\": \"NVMe 9\", \"Bus\": 3, "
		 "\"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\", %s}",
		 keys);
	board = nt_board_file(e, rec);
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_mi_check_drive(e, "NVMe_9", 9, 35);
	return "/xyz/openbmc_project/inventory/system/board/Test_Board/"
	       "NVMe_9";
}

/* entity-manager changes a number of the record. */
static void set_record_uint(struct nt_env *e, const char *rec, const char *key,
			    uint64_t v)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), EM,
			       "/xyz/openbmc_project/test/em",
			       "xyz.openbmc_project.Test.EntityManager",
			       "SetRecordProperty", &err, NULL, "ossv", rec,
			       NVME1000_IF, key, "t", v);
	if (r < 0)
		fprintf(stderr, "# SetRecordProperty: %s\n", err.message);
	sd_bus_error_free(&err);
	assert_true(r >= 0);
}

/* An NVME1000 record's PollIntervalMs changes in entity-manager during a
 * firmware update: the drive changes in place (issue 28: a changed poll
 * interval used to rebuild the drive, which aborted the update), the
 * update ends Active, and the drive is polled at the new rate. */
static void test_update_poll_interval_changed(void **state)
{
	struct nt_env *e = *state;
	const char *rec = start_em_one(e, NULL, "\"PollIntervalMs\": 200");
	char path[256];
	long long before, polls;

	/* about a second per 4 KiB piece: the change comes mid-download */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"link_bps\": 40000}");
	assert_int_equal(start_update(e, image("EMFW", "7.0", 16384),
				      APPLY "Immediate", path, sizeof(path)),
			 0);
	wait_activation(e, ACT "Activating", WAIT);
	set_record_uint(e, rec, "PollIntervalMs", 2000);
	assert_int_equal(nt_get_u8(e, SW_UPDATE, PROGRESS_IF, "Progress") < 100,
			 true);
	wait_activation(e, ACT "Active", SLOW_WAIT);
	wait_version(e, "7.0");
	wait_log(e, "Drive 'NVMe 9': polled every 2000 ms");
	/* after the activation's re-reading (Identify, slot log,
	 * namespaces), 6 s at 2000 ms: three health polls, a SMART at
	 * most; at the old 200 ms it would be 30 */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"link_bps\": 0}");
	usleep(3000 * 1000);
	before = emu_get_int(&e->emu, 9, "requests");
	usleep(6000 * 1000);
	polls = emu_get_int(&e->emu, 9, "requests") - before;
	fprintf(stderr, "# %lld requests in 6 s\n", polls);
	assert_in_range(polls, 2, 6);
	nt_stop(e);
}

/* A second update while one runs; the drive falls silent mid-download. */
static void test_update_busy_and_silent(void **state)
{
	struct nt_env *e = *state;
	char path[256];

	/* 10 kbit/s: each 4 KiB piece takes about 4 s on the wire */
	start_one(e, NULL);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"link_bps\": 100000}");
	assert_int_equal(start_update(e, image("EMFW", "6.0", 1 << 20),
				      APPLY "Immediate", path, sizeof(path)),
			 0);
	update_must_fail(e, image("EMFW", "x", 4096), APPLY "Immediate",
			 ERR_UPD "InProgress");
	assert_int_equal(tb_wait_string(e->tb, NVME, SW_UPDATE, ACTIVATION_IF,
					"Activation", ACT "Activating", WAIT),
			 0);
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"silent\": true}");
	wait_activation(e, ACT "Failed", SLOW_WAIT);
	assert_true(nt_get_u8(e, SW_UPDATE, PROGRESS_IF, "Progress") < 90);
	wait_log(e, "Firmware Image Download at byte");
	nt_stop(e);
}

/* ---- sanitize ----------------------------------------------------------- */

static int sanitize(struct nt_env *e, const char *action, char *out, size_t len)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	sd_bus_message *reply = NULL, *m = NULL;
	const char *p;
	int r;

	/* longer than nvmed's 20 s wait for the command's answer */
	r = sd_bus_message_new_method_call(tb_bus(e->tb), &m, NVME,
					   nt_drive("NVMe_9"), SANITIZE_IF,
					   "Sanitize");
	assert_true(r >= 0);
	assert_true(sd_bus_message_append(m, "s", action) >= 0);
	r = sd_bus_call(tb_bus(e->tb), m, 60 * 1000000ULL, &err, &reply);
	sd_bus_message_unref(m);
	if (r < 0) {
		snprintf(out, len, "%s", err.name);
		fprintf(stderr, "# Sanitize: %s: %s\n", err.name, err.message);
	} else {
		assert_true(sd_bus_message_read(reply, "o", &p) >= 0);
		snprintf(out, len, "%s", p);
	}
	sd_bus_error_free(&err);
	sd_bus_message_unref(reply);
	return r < 0 ? r : 0;
}

static void test_sanitize(void **state)
{
	struct nt_env *e = *state;
	const char *args[] = { "sanitize-log", "mctp:1,9", NULL };
	char path[256], busy[256];
	json_object *j;

	start_one(e, "\"sanitize_ms\": 4000");
	assert_int_equal(sanitize(e, ACTION "BlockErase", path, sizeof(path)),
			 0);
	assert_string_equal(path, DRIVE "NVMe_9/sanitize");
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "InProgress", WAIT),
			 0);
	assert_true(sanitize(e, ACTION "CryptoErase", busy, sizeof(busy)) < 0);
	assert_string_equal(busy, ERR_COMMON "Unavailable");
	/* the sensor and health go on meanwhile */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 47}");
	nt_wait_value(e, "NVMe_9", 47, WAIT);
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "Completed",
					SLOW_WAIT),
			 0);
	assert_int_equal(
		nt_get_u8(e, nt_drive("NVMe_9"), SANITIZE_IF, "Progress"), 100);
	assert_true(nt_get_u64(e, path, CPROGRESS_IF, "CompletedTime") >
		    nt_get_u64(e, path, CPROGRESS_IF, "StartTime"));
	/* nvmed read log 81h retaining the Sanitize Operation Completed
	 * event (RAE) for the host; nvme-cli's read (RAE clear) takes it */
	{
		_cleanup_free_ char *r = NULL;

		assert_int_equal(
			emu_ctl(&e->emu, "{\"get\": {\"eid\": 9}}", &r), 0);
		assert_non_null(strstr(r, "\"sanitize_event\":true"));
	}
	j = nvme_cli(e, args);
	{
		_cleanup_free_ char *r = NULL;

		assert_int_equal(
			emu_ctl(&e->emu, "{\"get\": {\"eid\": 9}}", &r), 0);
		assert_non_null(strstr(r, "\"sanitize_event\":false"));
	}
	/* nvme-cli reads the same outcome: completed, no sanitize running */
	{
		json_object *dev, *sstat, *v;

		assert_true(json_object_object_get_ex(j, "mctp:1,9", &dev));
		assert_true(json_object_object_get_ex(dev, "sprog", &v));
		assert_int_equal(json_object_get_int(v), 65535);
		assert_true(json_object_object_get_ex(dev, "sstat", &sstat));
		assert_true(json_object_object_get_ex(sstat, "status", &v));
		assert_non_null(strstr(json_object_get_string(v), "(1)"));
		assert_true(json_object_object_get_ex(dev, "cdw10_info", &v));
		assert_int_equal(json_object_get_int(v), 2); /* block erase */
	}
	json_object_put(j);
	nt_stop(e);
}

/* The drive takes the Sanitize but its answer is lost: the Sanitize
 * Status log shows one running, and the call is answered with it. */
static void test_sanitize_lost_reply(void **state)
{
	struct nt_env *e = *state;
	char path[256];

	start_one(e, "\"miss_admin\": 132, \"sanitize_ms\": 60000");
	assert_int_equal(sanitize(e, ACTION "BlockErase", path, sizeof(path)),
			 0);
	assert_string_equal(path, DRIVE "NVMe_9/sanitize");
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "InProgress", WAIT),
			 0);
	wait_log(e, "the Sanitize (BlockErase) got no answer, "
		    "but the drive is sanitizing");
	nt_stop(e);
}

/* The record's UnavailableAfterFailures changes while a sanitize runs:
 * in place too, the sanitize completes. */
static void test_sanitize_window_changed(void **state)
{
	struct nt_env *e = *state;
	const char *rec = start_em_one(e, "\"sanitize_ms\": 4000",
				       "\"UnavailableAfterFailures\": 3");
	char path[256];

	assert_int_equal(sanitize(e, ACTION "BlockErase", path, sizeof(path)),
			 0);
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "InProgress", WAIT),
			 0);
	set_record_uint(e, rec, "UnavailableAfterFailures", 6);
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "Completed",
					SLOW_WAIT),
			 0);
	wait_log(e, "Drive 'NVMe 9': polled every 200 ms, unavailable after "
		    "6 failures");
	nt_stop(e);
}

static void test_sanitize_refused_and_failed(void **state)
{
	struct nt_env *e = *state;
	char path[256];

	start_one(e, "\"sanicap\": [\"block\"], \"sanitize_ms\": 500, "
		     "\"sanitize_fail\": true");
	assert_true(sanitize(e, ACTION "CryptoErase", path, sizeof(path)) < 0);
	assert_string_equal(path, ERR_COMMON "UnsupportedRequest");
	assert_true(sanitize(e, "Shred", path, sizeof(path)) < 0);
	assert_string_equal(path, ERR_COMMON "InvalidArgument");
	assert_int_equal(sanitize(e, ACTION "BlockErase", path, sizeof(path)),
			 0);
	assert_int_equal(tb_wait_string(e->tb, NVME, path, CPROGRESS_IF,
					"Status", OPSTATUS "Failed", SLOW_WAIT),
			 0);
	nt_stop(e);
}

/* ---- log pages ---------------------------------------------------------- */

static int get_log(struct nt_env *e, uint8_t lid, uint32_t len,
		   const uint8_t **data, size_t *n, sd_bus_message **reply,
		   char *err_name, size_t err_len)
{
	sd_bus_error err = SD_BUS_ERROR_NULL;
	int r;

	r = sd_bus_call_method(tb_bus(e->tb), NVME, CONTROLLER, ADMIN_IF,
			       "GetLogPage", &err, reply, "yuyqu", lid,
			       0xffffffffu, 0, 0, len);
	if (r < 0) {
		snprintf(err_name, err_len, "%s", err.name);
		fprintf(stderr, "# GetLogPage: %s: %s\n", err.name,
			err.message);
	} else {
		assert_true(sd_bus_message_read_array(
				    *reply, 'y', (const void **)data, n) >= 0);
	}
	sd_bus_error_free(&err);
	return r < 0 ? r : 0;
}

static void test_log_pages(void **state)
{
	struct nt_env *e = *state;
	const uint8_t *data;
	sd_bus_message *reply = NULL;
	char err[256];
	size_t n;

	start_one(e, NULL);
	/* SMART: the composite temperature in kelvin at bytes 1..2 */
	assert_int_equal(
		get_log(e, 0x02, 512, &data, &n, &reply, err, sizeof(err)), 0);
	assert_int_equal(n, 512);
	assert_int_equal(data[1] | data[2] << 8, 35 + 273);
	reply = sd_bus_message_unref(reply);
	/* the firmware slot log: FRS1 */
	assert_int_equal(
		get_log(e, 0x03, 64, &data, &n, &reply, err, sizeof(err)), 0);
	assert_memory_equal(data + 8, "FW9", 3);
	reply = sd_bus_message_unref(reply);
	/* a vendor page, longer than one transfer would be fine too */
	assert_int_equal(
		get_log(e, 0xc0, 512, &data, &n, &reply, err, sizeof(err)), 0);
	assert_non_null(memmem(data, n, "nvme-mi-emu", 11));
	reply = sd_bus_message_unref(reply);
	/* what the drive and the method refuse */
	assert_true(get_log(e, 0x7f, 512, &data, &n, &reply, err, sizeof(err)) <
		    0);
	assert_string_equal(err, ERR_COMMON "InvalidArgument");
	assert_true(get_log(e, 0x02, 6, &data, &n, &reply, err, sizeof(err)) <
		    0);
	assert_string_equal(err, ERR_COMMON "InvalidArgument");
	assert_true(get_log(e, 0x02, 1 << 20, &data, &n, &reply, err,
			    sizeof(err)) < 0);
	assert_string_equal(err, ERR_COMMON "InvalidArgument");
	nt_stop(e);
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *e)
{
	int *left = userdata;

	if (sd_bus_message_is_method_error(m, NULL))
		fprintf(stderr, "# queued GetLogPage: %s\n",
			sd_bus_message_get_error(m)->message);
	(*left)--;
	return 0;
}

/* Log page reads wait in line, up to 8 a drive; the 9th is refused. */
static void test_log_pages_queue(void **state)
{
	struct nt_env *e = *state;
	sd_bus_slot *slots[8] = { 0 };
	const uint8_t *data;
	sd_bus_message *reply = NULL;
	char err[256];
	int left = 8;
	size_t n;

	start_one(e, NULL);
	/* each 4 KiB read spends about 0.4 s on the wire */
	emu_ctl_ok(&e->emu, "{\"eid\": 9, \"link_bps\": 100000}");
	for (int i = 0; i < 8; i++)
		assert_true(sd_bus_call_method_async(
				    tb_bus(e->tb), &slots[i], NVME, CONTROLLER,
				    ADMIN_IF, "GetLogPage", on_reply, &left,
				    "yuyqu", 0xc0, 0xffffffffu, 0, 0,
				    4096) >= 0);
	/* sent after the 8, on the same connection: they wait already */
	assert_true(get_log(e, 0x02, 512, &data, &n, &reply, err, sizeof(err)) <
		    0);
	assert_string_equal(err, ERR_COMMON "Unavailable");
	for (int i = 0; i < 200 && left > 0; i++)
		tb_pump(e->tb, 100);
	assert_int_equal(left, 0);
	for (int i = 0; i < 8; i++)
		sd_bus_slot_unref(slots[i]);
	/* and once they are done, reads go through again */
	assert_int_equal(
		get_log(e, 0x02, 512, &data, &n, &reply, err, sizeof(err)), 0);
	sd_bus_message_unref(reply);
	nt_stop(e);
}

/* --management-group: its members may manage drives, as egid or as a
 * supplementary group; others may not (nvmed's own check: the test bed's
 * bus has no policy). */
static void test_management_group(void **state)
{
	struct nt_env *e = *state;
	const char *args[] = { "--management-group", "nogroup", NULL };
	struct group *g = getgrnam("nogroup");
	gid_t member;
	char one[900], sc[1000], err[256];

	if (!g) {
		fprintf(stderr, "# no group nogroup here: nothing to check\n");
		return;
	}
	member = g->gr_gid;
	nt_mi_drive_json(one, sizeof(one), 9, 3, 35, NULL);
	snprintf(sc, sizeof(sc), "{\"drives\": [%s]}", one);
	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 1, NULL), args);
	assert_int_equal(
		tb_wait_object(e->tb, NVME, VOLUME "1", VOLUME_IF, WAIT), 0);
	/* egid the group */
	assert_int_equal(tb_call_as(e->tb, 65534, member, NVME, CONTROLLER,
				    ADMIN_IF, "GetLogPage", err, sizeof(err),
				    "yuyqu", 0x02, 0xffffffffu, 0, 0, 512),
			 0);
	assert_string_equal(err, "");
	/* a supplementary group */
	{
		const gid_t groups[] = { member };
		const struct tb_caller who = {
			.uid = 65534, .gid = 1, .groups = groups, .n_groups = 1
		};

		assert_int_equal(tb_call_as_caller(e->tb, &who, NVME,
						   CONTROLLER, ADMIN_IF,
						   "GetLogPage", err,
						   sizeof(err), "yuyqu", 0x02,
						   0xffffffffu, 0, 0, 512),
				 0);
		assert_string_equal(err, "");
	}
	/* not in it */
	assert_true(tb_call_as(e->tb, 65534, 1, NVME, CONTROLLER, ADMIN_IF,
			       "GetLogPage", err, sizeof(err), "yuyqu", 0x02,
			       0xffffffffu, 0, 0, 512) < 0);
	assert_string_equal(err, "org.freedesktop.DBus.Error.AccessDenied");
	nt_stop(e);
}

/* ---- a drive without management ---------------------------------------- */

static void test_basic_drive_has_none(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	const char *args[2] = { NULL };

	nt_start(e, NT_SMBUS, sc);
	args[0] = nt_board_file(e, "{\"Type\": \"NVME1000\", \"Name\": "
				   "\"NVMe 1 Temp\", \"Bus\": 3, "
				   "\"PowerState\": \"Always\"}");
	nt_start_em(e, args);
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "NVMe_1_Temp", 35, WAIT);
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("NVMe_1"),
					ASSET_IF, "SerialNumber", "SN9", WAIT),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/software",
					  UPDATE_IF),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  SANITIZE_IF),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  ADMIN_IF),
			 0);
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/inventory",
					  VOLUME_IF),
			 0);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_objects),
		NT_TEST(test_caps_signalled),
		NT_TEST(test_namespaces),
		NT_TEST(test_namespace_impossible),
		NT_TEST(test_update_immediate),
		NT_TEST(test_update_tool),
		NT_TEST(test_update_on_reset),
		NT_TEST(test_update_needs_reset),
		NT_TEST(test_update_refused),
		NT_TEST(test_update_no_slot),
		NT_TEST(test_update_granularity),
		NT_TEST(test_update_rejected),
		NT_TEST(test_update_lost_reply),
		NT_TEST(test_update_lost_commit_reply),
		NT_TEST(test_update_busy_and_silent),
		NT_TEST(test_update_poll_interval_changed),
		NT_TEST(test_sanitize),
		NT_TEST(test_sanitize_lost_reply),
		NT_TEST(test_sanitize_window_changed),
		NT_TEST(test_sanitize_refused_and_failed),
		NT_TEST(test_log_pages),
		NT_TEST(test_log_pages_queue),
		NT_TEST(test_management_group),
		NT_TEST(test_basic_drive_has_none),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
