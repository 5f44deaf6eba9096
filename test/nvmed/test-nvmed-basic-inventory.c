// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed's inventory (nvmed-test.h, NT_SMBUS): Redfish Storage, Drives and
 * Controllers as bmcweb finds them, and one drive read over SMBus and
 * over MCTP publishing the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "nvmed-test.h"

/* ---- Redfish Storage, as bmcweb finds it --------------------------- */

#define STORAGE_IF    "xyz.openbmc_project.Inventory.Item.Storage"
#define CONTROLLER_IF "xyz.openbmc_project.Inventory.Item.StorageController"
#define STORAGE	      "/xyz/openbmc_project/inventory/storage/1"

/* Paths of nvmed's inventory objects that carry iface, as the mapper
 * indexes them (GetManagedObjects at the inventory root), sorted. */
static size_t paths_with(struct nt_env *e, const char *iface, char out[][256],
			 size_t max)
{
	_cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
	size_t n = 0;
	const char *path, *name;

	assert_true(sd_bus_call_method(tb_bus(e->tb), NVME,
				       "/xyz/openbmc_project/inventory",
				       "org.freedesktop.DBus.ObjectManager",
				       "GetManagedObjects", NULL, &reply,
				       "") >= 0);
	assert_true(sd_bus_message_enter_container(reply, 'a',
						   "{oa{sa{sv}}}") >= 0);
	while (sd_bus_message_enter_container(reply, 'e', "oa{sa{sv}}") > 0) {
		bool has = false;

		assert_true(sd_bus_message_read(reply, "o", &path) >= 0);
		assert_true(sd_bus_message_enter_container(reply, 'a',
							   "{sa{sv}}") >= 0);
		while (sd_bus_message_enter_container(reply, 'e', "sa{sv}") >
		       0) {
			assert_true(sd_bus_message_read(reply, "s", &name) >=
				    0);
			has |= strcmp(name, iface) == 0;
			assert_true(sd_bus_message_skip(reply, "a{sv}") >= 0);
			assert_true(sd_bus_message_exit_container(reply) >= 0);
		}
		assert_true(sd_bus_message_exit_container(reply) >= 0);
		assert_true(sd_bus_message_exit_container(reply) >= 0);
		if (has) {
			assert_true(n < max);
			snprintf(out[n++], 256, "%s", path);
		}
	}
	qsort(out, n, 256, (int (*)(const void *, const void *))strcmp);
	return n;
}

/* Storage, its Drives and its Controllers are found the way bmcweb finds
 * them (every object with the interface, the Redfish Id its last path
 * segment), with Present, Asset and firmware version, and the
 * associations lead from each to the others; the drive is named after
 * the drive ("NVMe 1 Temp" -> NVMe_1), the sensor as upstream. */
static void test_storage_graph(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(2, 3);
	char p[4][256];
	const char *board = "/xyz/openbmc_project/inventory/system/board/"
			    "Test_Board";
	const char *file;

	nt_start(e, NT_SMBUS, sc);
	file = nt_board_file(e,
			     "{\"Type\": \"NVME1000\", \"Name\": \"NVMe 1 "
			     "Temp\", \"Bus\": 3, \"PowerState\": \"Always\"}, "
			     "{\"Type\": \"NVME1000\", \"Name\": \"nvme2\", "
			     "\"Bus\": 4, \"PowerState\": \"Always\"}");
	{
		const char *args[] = { file, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	nt_wait_value(e, "NVMe_1_Temp", 35, WAIT);
	nt_wait_value(e, "nvme2", 36, WAIT);
	assert_int_equal(tb_wait_string(e->tb, NVME, nt_drive("NVMe_1"),
					ASSET_IF, "SerialNumber", "SN9", WAIT),
			 0);

	/* Systems/system/Storage: one member, Id 1 */
	assert_int_equal(paths_with(e, STORAGE_IF, p, 4), 1);
	assert_string_equal(p[0], STORAGE);
	assert_true(tb_get_bool(e->tb, NVME, STORAGE, ITEM_IF, "Present"));
	assert_true(nt_has_assoc(e, STORAGE, "chassis", "storage", board));

	/* Storage/1/Drives: NVMe_1, nvme2 */
	assert_int_equal(paths_with(e, DRIVE_IF, p, 4), 2);
	assert_string_equal(p[0], nt_drive("NVMe_1"));
	assert_string_equal(p[1], nt_drive("nvme2"));
	for (int i = 0; i < 2; i++) {
		assert_true(tb_get_bool(e->tb, NVME, p[i], ITEM_IF, "Present"));
		assert_true(nt_has_assoc(e, p[i], "storage", "drive", STORAGE));
		assert_true(nt_has_assoc(e, p[i], "chassis", "drive", board));
	}
	{
		_cleanup_free_ char *pretty = tb_get_string(
			e->tb, NVME, nt_drive("NVMe_1"), ITEM_IF, "PrettyName");

		assert_string_equal(pretty, "NVMe 1");
	}
	/* the sensor keeps the record's name and points at the drive */
	assert_true(nt_has_assoc(e, nt_sensor("NVMe_1_Temp"), "inventory",
				 "sensors", nt_drive("NVMe_1")));

	/* Storage/1/Controllers: one per drive, same Ids, the drive's
	 * Present and Asset, linked to the Storage and the drive */
	assert_int_equal(paths_with(e, CONTROLLER_IF, p, 4), 2);
	assert_string_equal(p[0], STORAGE "/controller/NVMe_1");
	assert_string_equal(p[1], STORAGE "/controller/nvme2");
	for (int i = 0; i < 2; i++) {
		const char *drive = nt_drive(i ? "nvme2" : "NVMe_1");
		_cleanup_free_ char *sn = NULL, *dsn = NULL;

		assert_true(tb_get_bool(e->tb, NVME, p[i], ITEM_IF, "Present"));
		sn = tb_get_string(e->tb, NVME, p[i], ASSET_IF, "SerialNumber");
		dsn = tb_get_string(e->tb, NVME, drive, ASSET_IF,
				    "SerialNumber");
		assert_string_equal(sn, dsn);
		assert_true(nt_has_assoc(e, p[i], "storage",
					 "storage_controller", STORAGE));
		assert_true(nt_has_assoc(e, p[i], "drive", "storage_controller",
					 drive));
	}

	/* the board goes: drives, controllers and the Storage with it */
	nt_remove_board(e, board);
	assert_int_equal(tb_wait_object_gone(e->tb, NVME, STORAGE, WAIT), 0);
	assert_int_equal(paths_with(e, CONTROLLER_IF, p, 4), 0);
	assert_int_equal(paths_with(e, DRIVE_IF, p, 4), 0);
	nt_stop(e);
}

/* ---- one drive over SMBus and MCTP ----------------------------------- */

static void test_smbus_and_mctp_agree(void **state)
{
	static const char *const strings[][2] = {
		{ ASSET_IF, "SerialNumber" },
		{ ASSET_IF, "Manufacturer" },
		{ STATUS_IF, "SmartWarnings" },
		{ STATUS_IF, "DriveLifeUsed" },
	};
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_basic_scenario(1, 3);
	const char *board;

	nt_start(e, NT_SMBUS, sc);
	nt_start_mctpd(e, "mctpd", sc, NULL);
	board = nt_board_file(
		e, "{\"Type\": \"NVME1000\", \"Name\": \"Via SMBus\", "
		   "\"Bus\": 3, \"PEC\": \"Required\", \"PowerState\": "
		   "\"Always\"}, "
		   "{\"Type\": \"NVME1000\", \"Name\": \"Via MCTP\", \"Bus\": "
		   "3, \"Protocol\": \"mi_i2c\", \"PowerState\": \"Always\"}");
	{
		const char *args[] = { board, NULL };

		nt_start_em(e, args);
	}
	nt_start_nvmed(e, NULL, NULL);
	for (int t = 0; t < 2; t++) {
		int temp = t ? 57 : 35;

		if (t)
			emu_ctl_ok(&e->emu, "{\"eid\": 9, \"temperature\": 57, "
					    "\"critical_warning\": 4, "
					    "\"percentage_used\": 20}");
		nt_wait_value(e, "Via_SMBus", temp, WAIT);
		nt_wait_value(e, "Via_MCTP", temp, WAIT);
		if (t) {
			nt_wait_bool(e, nt_drive("Via_SMBus"), STATUS_IF,
				     "DegradesFault", true, WAIT);
			nt_wait_bool(e, nt_drive("Via_MCTP"), STATUS_IF,
				     "DegradesFault", true, WAIT);
			assert_int_equal(
				tb_wait_string(e->tb, NVME,
					       nt_drive("Via_SMBus"), STATUS_IF,
					       "DriveLifeUsed", "14", WAIT),
				0);
			assert_int_equal(
				tb_wait_string(e->tb, NVME,
					       nt_drive("Via_MCTP"), STATUS_IF,
					       "DriveLifeUsed", "14", WAIT),
				0);
		}
		assert_int_equal(tb_wait_string(e->tb, NVME,
						nt_drive("Via_MCTP"), ASSET_IF,
						"SerialNumber", "SN9", WAIT),
				 0);
		assert_int_equal(tb_wait_string(e->tb, NVME,
						nt_drive("Via_SMBus"), ASSET_IF,
						"SerialNumber", "SN9", WAIT),
				 0);
		for (size_t i = 0; i < ARRAY_SIZE(strings); i++) {
			_cleanup_free_ char *a = tb_get_string(
				e->tb, NVME, nt_drive("Via_SMBus"),
				strings[i][0], strings[i][1]);
			_cleanup_free_ char *b =
				tb_get_string(e->tb, NVME, nt_drive("Via_MCTP"),
					      strings[i][0], strings[i][1]);

			assert_string_equal(a, b);
		}
	}
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_storage_graph),
		NT_TEST(test_smbus_and_mctp_agree),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
