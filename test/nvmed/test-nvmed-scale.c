// SPDX-License-Identifier: Apache-2.0
/*
 * nvmed at scale over NVMe-MI (nvmed-test.h): 64 drives, each with its
 * identity and temperature.
 */
#include <stdio.h>

#include "macros.h"
#include "nvmed-test.h"

static void test_64_drives(void **state)
{
	struct nt_env *e = *state;
	_cleanup_free_ char *sc = nt_mi_scenario(64, NULL);

	nt_start(e, NT_MCTP, sc);
	nt_start_nvmed(e, nt_mi_config(e, 64, NULL), NULL);
	for (unsigned i = 0; i < 64; i++) {
		char name[32];

		snprintf(name, sizeof(name), "NVMe_%u", 9 + i);
		nt_mi_check_drive(e, name, 9 + i, 35);
	}
	assert_int_equal(tb_count_objects(e->tb, NVME,
					  "/xyz/openbmc_project/sensors",
					  VALUE_IF),
			 64);
	nt_stop(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		NT_TEST(test_64_drives),
	};

	return nt_run(tests, ARRAY_SIZE(tests));
}
