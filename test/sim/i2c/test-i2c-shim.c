// SPDX-License-Identifier: Apache-2.0
/*
 * libi2c-shim.so against nvme-mi-emu --i2c-socket: raw i2c-dev ioctls as
 * nvmed and i2c-tools issue them, every fault, PEC checking, and
 * pass-through of everything else. Plus the emulator's pure encoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "emu-smbus.h"
#include "i2c-harness.h"

static const char scenario_json[] =
	"{\"drives\": [{\"network\": 1, \"eid\": 9, \"bus\": 3, "
	"\"serial\": \"S1234\", \"vid\": 32902, \"temperature\": 41, "
	"\"percentage_used\": 7, \"critical_warning\": 2}, "
	"{\"network\": 1, \"eid\": 10, \"bus\": 3, \"basic_address\": 107, "
	"\"temperature\": -5, \"config\": \"/xyz/anything\"}]}";

static struct emu_proc emu;

static int block_read(int fd, uint8_t cmd, uint8_t *block)
{
	union i2c_smbus_data data;
	struct i2c_smbus_ioctl_data a = {
		.read_write = I2C_SMBUS_READ,
		.command = cmd,
		.size = I2C_SMBUS_BLOCK_DATA,
		.data = &data,
	};

	if (ioctl(fd, I2C_SMBUS, &a) < 0)
		return -errno;
	memcpy(block, data.block, sizeof(data.block));
	return 0;
}

static int open_bus(unsigned bus)
{
	char path[32];

	snprintf(path, sizeof(path), "/dev/i2c-%u", bus);
	return open(path, O_RDWR | O_CLOEXEC);
}

static void test_pure_encoding(void **state)
{
	struct emu_drive d;
	uint8_t w[40], hdr[3] = { 0x6a << 1, 0, 0x6a << 1 | 1 };
	const uint8_t check[] = "123456789";

	/* CRC-8/SMBus check value */
	assert_int_equal(emu_smbus_crc8(0, check, 9), 0xf4);

	emu_drive_init(&d, 1, 9);
	d.temperature = 50;
	d.percentage_used = 300;
	assert_int_equal(emu_smbus_read(&d, 0x6a, 0, w, sizeof(w)), 0);
	assert_int_equal(w[0], 6);
	assert_int_equal(w[1], 0xbf);
	assert_int_equal(w[2], 0xff);
	assert_int_equal(w[3], 50);
	assert_int_equal(w[4], 255);
	assert_int_equal(w[7], emu_smbus_crc8(emu_smbus_crc8(0, hdr, 3), w, 7));
	d.ready = false;
	d.functional = false;
	assert_int_equal(emu_smbus_status_flags(&d), 0x80 | 0x40 | 0x1f);
	d.nack = true;
	assert_int_equal(emu_smbus_read(&d, 0x6a, 0, w, sizeof(w)), -ENXIO);
	d.nack = false;
	d.bus_busy = true;
	assert_int_equal(emu_smbus_read(&d, 0x6a, 0, w, sizeof(w)), -EBUSY);
}

static void test_without_socket(void **state)
{
	int fd;

	unsetenv("I2C_SHIM_SOCK");
	fd = open_bus(3);
	/* no i2c-dev on the build machine: the real open fails */
	if (fd >= 0) {
		close(fd);
		skip();
	}
	assert_true(errno == ENOENT || errno == EACCES);
	fd = open("/dev/null", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
}

static void test_basic_reads(void **state)
{
	uint8_t b[I2C_SMBUS_BLOCK_MAX + 2];
	unsigned long funcs = 0;
	int fd, fd2;

	setenv("I2C_SHIM_SOCK", i2c_emu_sock(&emu), 1);
	/* a bus without drives has no adapter */
	assert_int_equal(open_bus(9), -1);
	assert_int_equal(errno, ENOENT);

	fd = open_bus(3);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, I2C_FUNCS, &funcs), 0);
	assert_true(funcs & I2C_FUNC_SMBUS_READ_BLOCK_DATA);
	assert_true(funcs & I2C_FUNC_SMBUS_PEC);
	/* no address yet */
	assert_int_equal(block_read(fd, 0, b), -EINVAL);
	assert_int_equal(ioctl(fd, I2C_SLAVE, 0x80), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(ioctl(fd, I2C_SLAVE, 0x6a), 0);

	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(b[0], 6);
	assert_int_equal(b[1], 0xbf); /* ready, functional */
	assert_int_equal(b[2], 0xfd); /* temperature warning (bit 1 clear) */
	assert_int_equal(b[3], 41);
	assert_int_equal(b[4], 7);

	assert_int_equal(block_read(fd, 8, b), 0);
	assert_int_equal(b[0], 22);
	assert_int_equal(b[1], 0x80);
	assert_int_equal(b[2], 0x86);
	assert_memory_equal(b + 3, "S1234               ", 20);

	/* with PEC: the good one passes */
	assert_int_equal(ioctl(fd, I2C_PEC, 1), 0);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(b[3], 41);

	/* the second drive on the same bus, by its own address */
	fd2 = open_bus(3);
	assert_true(fd2 >= 0);
	assert_int_equal(ioctl(fd2, I2C_SLAVE_FORCE, 0x6b), 0);
	assert_int_equal(block_read(fd2, 0, b), 0);
	assert_int_equal((int8_t)b[3], -5);
	/* nobody at 0x50 */
	assert_int_equal(ioctl(fd2, I2C_SLAVE, 0x50), 0);
	assert_int_equal(block_read(fd2, 0, b), -ENXIO);
	assert_int_equal(close(fd2), 0);

	/* another ioctl on a shim descriptor: not an i2c-dev request */
	assert_int_equal(ioctl(fd, FIONREAD, &funcs), -1);
	assert_int_equal(errno, ENOTTY);
	assert_int_equal(close(fd), 0);
}

static void test_faults(void **state)
{
	uint8_t b[I2C_SMBUS_BLOCK_MAX + 2];
	int fd;

	setenv("I2C_SHIM_SOCK", i2c_emu_sock(&emu), 1);
	fd = open_bus(3);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, I2C_SLAVE, 0x6a), 0);

	emu_ctl_ok(&emu, "{\"eid\": 9, \"nack\": true}");
	assert_int_equal(block_read(fd, 0, b), -ENXIO);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"nack\": false, \"bus_busy\": true}");
	assert_int_equal(block_read(fd, 0, b), -EBUSY);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"bus_busy\": false}");
	assert_int_equal(block_read(fd, 0, b), 0);

	/* a bad PEC matters only when PEC is on */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"bad_pec\": true}");
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(ioctl(fd, I2C_PEC, 1), 0);
	assert_int_equal(block_read(fd, 0, b), -EBADMSG);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"bad_pec\": false}");
	assert_int_equal(block_read(fd, 0, b), 0);

	/* garbage on the wire: caught by PEC, read as is without */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"garbage_temp\": 100}");
	assert_int_equal(block_read(fd, 0, b), -EBADMSG);
	assert_int_equal(ioctl(fd, I2C_PEC, 0), 0);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(b[3], 100);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"garbage_temp\": -1}");

	/* the drive state is shared with MCTP: a change shows here too */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"temperature\": 77, "
			 "\"functional\": false}");
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(b[3], 77);
	assert_int_equal(b[1] & 0x20, 0);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"temperature\": 41, "
			 "\"functional\": true}");
	assert_int_equal(close(fd), 0);
}

static void test_rdwr(void **state)
{
	uint8_t cmd = 0, buf[8] = { 0 };
	struct i2c_msg msgs[2] = {
		{ .addr = 0x6a, .flags = 0, .len = 1, .buf = &cmd },
		{ .addr = 0x6a, .flags = I2C_M_RD, .len = 8, .buf = buf },
	};
	struct i2c_rdwr_ioctl_data a = { .msgs = msgs, .nmsgs = 2 };
	int fd;

	setenv("I2C_SHIM_SOCK", i2c_emu_sock(&emu), 1);
	fd = open_bus(3);
	assert_true(fd >= 0);
	/* phosphor-nvme's raw read: length byte first */
	assert_int_equal(ioctl(fd, I2C_RDWR, &a), 2);
	assert_int_equal(buf[0], 6);
	assert_int_equal(buf[3], 41);
	assert_int_equal(close(fd), 0);
}

static int setup(void **state)
{
	return i2c_emu_start(&emu, scenario_json) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	emu_stop(&emu);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pure_encoding),
		cmocka_unit_test(test_without_socket),
		cmocka_unit_test(test_basic_reads),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_rdwr),
	};

	if (i2c_preload_self(argv) < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
