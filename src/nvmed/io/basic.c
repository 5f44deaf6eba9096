// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "basic.h"
#include "macros.h"

int basic_open(unsigned bus, uint8_t addr, bool pec, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	char path[32];

	snprintf(path, sizeof(path), "/dev/i2c-%u", bus);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* FORCE: a kernel driver bound at 0x6a (none should be) must not
	 * stop the read, as with dbus-sensors' I2C_SLAVE on 0x6a. */
	if (ioctl(fd, I2C_SLAVE_FORCE, (unsigned long)addr) < 0)
		return -errno;
	if (ioctl(fd, I2C_PEC, (unsigned long)(pec ? 1 : 0)) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int basic_read_block(int fd, uint8_t cmd, uint8_t *buf, size_t len,
		     size_t *ret_len)
{
	union i2c_smbus_data data;
	struct i2c_smbus_ioctl_data args = {
		.read_write = I2C_SMBUS_READ,
		.command = cmd,
		.size = I2C_SMBUS_BLOCK_DATA,
		.data = &data,
	};
	size_t n;

	if (ioctl(fd, I2C_SMBUS, &args) < 0)
		return -errno;
	n = data.block[0];
	if (n == 0 || n > I2C_SMBUS_BLOCK_MAX)
		return -EPROTO;
	if (n > len)
		n = len;
	memcpy(buf, data.block + 1, n);
	*ret_len = n;
	return 0;
}

unsigned basic_root_bus(const char *sysfs_root, unsigned bus)
{
	for (int depth = 0; depth < 8; depth++) {
		char path[PATH_MAX], target[PATH_MAX];
		const char *name;
		unsigned long parent;
		char *end;
		ssize_t n;

		snprintf(path, sizeof(path),
			 "%s/bus/i2c/devices/i2c-%u/mux_device", sysfs_root,
			 bus);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			return bus;
		target[n] = '\0';
		name = strrchr(target, '/');
		name = name ? name + 1 : target;
		errno = 0;
		parent = strtoul(name, &end, 10);
		if (errno || end == name || *end != '-' || parent > UINT_MAX ||
		    parent == bus)
			return bus;
		bus = (unsigned)parent;
	}
	return bus;
}
