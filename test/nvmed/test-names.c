// SPDX-License-Identifier: Apache-2.0
/* Unit tests of src/nvmed/pure/names.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "names.h"

static void check(const char *record, const char *drive)
{
	char *s = nvmed_drive_name(record);

	assert_non_null(s);
	assert_string_equal(s, drive);
	free(s);
}

static void test_drive_name(void **state)
{
	/* as entity-manager's configurations name them */
	check("NVMe 1 Temp", "NVMe 1");
	check("PM9D3a 3 Temp", "PM9D3a 3");
	check("NVMe_0_Temp", "NVMe_0");
	check("SSD-temp", "SSD");
	check("Drive 7 TEMP", "Drive 7");
	check("NVMe 1  _Temp", "NVMe 1");
	/* nothing to strip, or nothing left */
	check("nvme9", "nvme9");
	check("Yosemite5 MB E1S1", "Yosemite5 MB E1S1");
	check("Temp", "Temp");
	check(" Temp", " Temp");
	check("Attempt", "Attempt");
	check("NVMe Temperature", "NVMe Temperature");
	check("", "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drive_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
