// SPDX-License-Identifier: Apache-2.0
/*
 * libi2c-shim.so against nvme-mi-emu --i2c-socket: raw i2c-dev ioctls as
 * nvmed and i2c-tools issue them, every fault, PEC checking, and
 * pass-through of everything else. Plus the emulator's pure encoding and
 * bus time, the bus time it accounts ("bus_usec") and a drive holding
 * the bus (ETIMEDOUT after hold_ms, the other drive on that bus waiting
 * for it, a drive on another bus not).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
	"\"temperature\": -5, \"config\": \"/xyz/anything\"}, "
	"{\"network\": 1, \"eid\": 11, \"bus\": 4, \"temperature\": 30}]}";

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

static void test_pure_bus_time(void **state)
{
	const unsigned blk = I2C_SHIM_F_BLOCK, pec = I2C_SHIM_F_PEC;
	uint8_t health[1] = { 6 }, vpd[1] = { 22 }, bad[1] = { 0xff };
	struct emu_drive d;

	emu_drive_init(&d, 1, 9);
	assert_int_equal(d.smbus_hz, 100000);
	assert_false(d.hold_bus);
	assert_int_equal(d.hold_ms, 1000);

	/* S, addr+W, cmd, Sr, addr+R, count + 6, P: 3 + 9 * 10 = 93 bits */
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, health, 34, blk), 930);
	/* and the PEC byte: 102 bits */
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, health, 34, blk | pec),
			 1020);
	/* command 8: count + 22, 237 bits */
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, vpd, 34, blk), 2370);
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, vpd, 34, blk | pec),
			 2460);
	/* 400 kHz, rounded up: 232.5 us */
	assert_int_equal(emu_smbus_xfer_usec(400000, 0, health, 34, blk), 233);
	assert_int_equal(emu_smbus_xfer_usec(1000000, 0, health, 34, blk), 93);
	/* an invalid count: the master stops after it (39 bits) */
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, bad, 34, blk | pec),
			 390);
	/* byte data, without and with PEC: 39 and 48 bits */
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, health, 1, 0), 390);
	assert_int_equal(emu_smbus_xfer_usec(100000, 0, health, 2, 0), 480);
	/* NACK at the address: S, addr+W, P */
	assert_int_equal(emu_smbus_xfer_usec(100000, -ENXIO, NULL, 0, blk),
			 110);
	/* a busy bus never starts; 0 Hz is instant */
	assert_int_equal(emu_smbus_xfer_usec(100000, -EBUSY, NULL, 0, blk), 0);
	assert_int_equal(emu_smbus_xfer_usec(0, 0, vpd, 34, blk | pec), 0);
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

/* Bus time the emulator accounted to a drive (it leaves with the reply,
 * so it is there when the ioctl returns). */
static long long bus_usec(unsigned eid)
{
	return emu_get_int(&emu, eid, "bus_usec");
}

static void test_bus_time(void **state)
{
	uint8_t b[I2C_SMBUS_BLOCK_MAX + 2];
	long long t0;
	int fd;

	setenv("I2C_SHIM_SOCK", i2c_emu_sock(&emu), 1);
	fd = open_bus(3);
	assert_true(fd >= 0);
	assert_int_equal(ioctl(fd, I2C_SLAVE, 0x6a), 0);

	/* 100 kHz by default: health, VPD, health with PEC */
	t0 = bus_usec(9);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(bus_usec(9) - t0, 930);
	assert_int_equal(block_read(fd, 8, b), 0);
	assert_int_equal(bus_usec(9) - t0, 930 + 2370);
	assert_int_equal(ioctl(fd, I2C_PEC, 1), 0);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(bus_usec(9) - t0, 930 + 2370 + 1020);
	assert_int_equal(ioctl(fd, I2C_PEC, 0), 0);

	/* a NACK costs the address byte; a busy bus nothing */
	t0 = bus_usec(9);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"nack\": true}");
	assert_int_equal(block_read(fd, 0, b), -ENXIO);
	assert_int_equal(bus_usec(9) - t0, 110);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"nack\": false, \"bus_busy\": true}");
	assert_int_equal(block_read(fd, 0, b), -EBUSY);
	assert_int_equal(bus_usec(9) - t0, 110);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"bus_busy\": false}");

	/* per drive: 400 kHz, then instant */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"smbus_hz\": 400000}");
	t0 = bus_usec(9);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(bus_usec(9) - t0, 233);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"smbus_hz\": 0}");
	assert_int_equal(block_read(fd, 8, b), 0);
	assert_int_equal(bus_usec(9) - t0, 233);
	assert_int_equal(b[0], 22);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"smbus_hz\": 100000}");
	assert_int_equal(close(fd), 0);
}

struct held_read {
	unsigned bus;
	uint8_t addr;
	int r;
};

static void *held_read_thread(void *arg)
{
	struct held_read *h = arg;
	uint8_t b[I2C_SMBUS_BLOCK_MAX + 2];
	int fd = open_bus(h->bus);

	if (fd < 0) {
		h->r = -errno;
		return NULL;
	}
	if (ioctl(fd, I2C_SLAVE, h->addr) < 0)
		h->r = -errno;
	else
		h->r = block_read(fd, 0, b);
	close(fd);
	return NULL;
}

/* Until drive eid has seen `want` requests (10 s at most). */
static void wait_requests(unsigned eid, long long want)
{
	for (int i = 0; i < 1000; i++) {
		if (emu_get_int(&emu, eid, "requests") >= want)
			return;
		usleep(10000);
	}
	fail_msg("drive %u never saw request %lld", eid, want);
}

static void test_hold_bus(void **state)
{
	uint8_t b[I2C_SMBUS_BLOCK_MAX + 2];
	struct held_read h = { .bus = 3, .addr = 0x6a, .r = 1 };
	long long t0, req, waits10, waits11;
	pthread_t th;
	int fd, fd10, fd11;

	setenv("I2C_SHIM_SOCK", i2c_emu_sock(&emu), 1);
	fd = open_bus(3);
	fd10 = open_bus(3);
	fd11 = open_bus(4);
	assert_true(fd >= 0 && fd10 >= 0 && fd11 >= 0);
	assert_int_equal(ioctl(fd, I2C_SLAVE, 0x6a), 0);
	assert_int_equal(ioctl(fd10, I2C_SLAVE, 0x6b), 0);
	assert_int_equal(ioctl(fd11, I2C_SLAVE, 0x6a), 0);

	/* the adapter timeout, whatever the speed, then ETIMEDOUT */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"hold_bus\": true}");
	t0 = bus_usec(9);
	assert_int_equal(block_read(fd, 0, b), -ETIMEDOUT);
	assert_int_equal(bus_usec(9) - t0, 1000000);
	emu_ctl_ok(&emu, "{\"eid\": 9, \"hold_ms\": 200}");
	assert_int_equal(block_read(fd, 8, b), -ETIMEDOUT);
	assert_int_equal(bus_usec(9) - t0, 1000000 + 200000);

	/*
	 * While a transfer to it is held (3 s: far longer than the next
	 * steps take), a transfer to the other drive on bus 3 finds the bus
	 * in use and waits, then reads normally; a drive on bus 4 does not
	 * wait.
	 */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"hold_ms\": 3000}");
	req = emu_get_int(&emu, 9, "requests");
	waits10 = emu_get_int(&emu, 10, "bus_waits");
	waits11 = emu_get_int(&emu, 11, "bus_waits");
	assert_int_equal(pthread_create(&th, NULL, held_read_thread, &h), 0);
	wait_requests(9, req + 1);
	assert_int_equal(block_read(fd11, 0, b), 0);
	assert_int_equal(b[3], 30);
	assert_int_equal(emu_get_int(&emu, 11, "bus_waits"), waits11);
	assert_int_equal(block_read(fd10, 0, b), 0);
	assert_int_equal((int8_t)b[3], -5);
	assert_int_equal(emu_get_int(&emu, 10, "bus_waits"), waits10 + 1);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(h.r, -ETIMEDOUT);

	/* released: normal reads at the normal cost */
	emu_ctl_ok(&emu, "{\"eid\": 9, \"hold_bus\": false, "
			 "\"hold_ms\": 1000}");
	t0 = bus_usec(9);
	assert_int_equal(block_read(fd, 0, b), 0);
	assert_int_equal(b[3], 41);
	assert_int_equal(bus_usec(9) - t0, 930);
	assert_int_equal(close(fd11), 0);
	assert_int_equal(close(fd10), 0);
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
		cmocka_unit_test(test_pure_bus_time),
		cmocka_unit_test(test_without_socket),
		cmocka_unit_test(test_basic_reads),
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_bus_time),
		cmocka_unit_test(test_hold_bus),
		cmocka_unit_test(test_rdwr),
	};

	if (i2c_preload_self(argv) < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
