/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libi2c-shim.so: /dev/i2c-N for machines without those adapters, for
 * tests. Loaded with LD_PRELOAD.
 *
 * With $I2C_SHIM_SOCK set, open("/dev/i2c-N") returns a real descriptor:
 * an AF_UNIX SOCK_SEQPACKET connection to nvme-mi-emu --i2c-socket
 * (protocol in i2c-shim-proto.h), on which ioctl() behaves like the
 * kernel's i2c-dev (drivers/i2c/i2c-dev.c) on an SMBus-emulating adapter:
 * I2C_SLAVE/I2C_SLAVE_FORCE, I2C_TENBIT, I2C_PEC, I2C_FUNCS,
 * I2C_RETRIES/I2C_TIMEOUT, I2C_SMBUS reads (byte data, block data) with
 * PEC checked like i2c_smbus_check_pec() (-EBADMSG), and I2C_RDWR as a
 * write of the command byte followed by a read. Every other path and
 * descriptor is passed through; without $I2C_SHIM_SOCK nothing changes.
 *
 * A transfer blocks the calling thread until the emulator's reply, which
 * it sends when the transfer would end on the wire (bus speed, other
 * transfers on the bus, a drive holding the bus: i2c-shim-proto.h), as
 * the kernel's transfer blocks the caller until the adapter completes.
 *
 * Not modelled (README.md): writes, 10-bit addresses, dup() of a shim
 * descriptor (the copy is a plain socket), read()/write() on it.
 */
/* open() and open64() are both interposed: no redirection of one to the
 * other, no fortified inline wrappers. */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/i2c-dev.h>
#include <linux/i2c.h>

#include "i2c-shim-proto.h"

#define SHIM_EXPORT	__attribute__((visibility("default")))
#define SHIM_TIMEOUT_MS 5000
/* A transfer waits this long for its reply: far beyond any modelled bus
 * time (the kernel waits for the bus lock without a limit), only a
 * stopped emulator takes this long. */
#define SHIM_XFER_TIMEOUT_MS 60000
#define SHIM_DEV_PREFIX	     "/dev/i2c-"
#define SHIM_FUNCS                                                           \
	(I2C_FUNC_I2C | I2C_FUNC_SMBUS_PEC | I2C_FUNC_SMBUS_READ_BYTE_DATA | \
	 I2C_FUNC_SMBUS_READ_BLOCK_DATA)

struct shim_fd {
	int fd;
	unsigned bus;
	int addr; /* -1 until I2C_SLAVE */
	bool pec;
	unsigned stale; /* replies still due to transfers that timed out */
	struct shim_fd *next;
};

static pthread_mutex_t shim_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shim_fd *shim_fds;

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_ioctl)(int, unsigned long, ...);
static int (*real_close)(int);

static void *next_sym(const char *name)
{
	void *p = dlsym(RTLD_NEXT, name);

	if (!p) {
		fprintf(stderr, "libi2c-shim: no %s: %s\n", name, dlerror());
		abort();
	}
	return p;
}

__attribute__((constructor)) static void shim_init(void)
{
	/* POSIX's way to turn dlsym()'s void * into a function pointer */
	*(void **)&real_open = next_sym("open");
	*(void **)&real_open64 = next_sym("open64");
	*(void **)&real_openat = next_sym("openat");
	*(void **)&real_openat64 = next_sym("openat64");
	*(void **)&real_ioctl = next_sym("ioctl");
	*(void **)&real_close = next_sym("close");
}

/* "/dev/i2c-<decimal>" -> bus number; false for any other path. */
static bool is_i2c_dev(const char *path, unsigned *ret_bus)
{
	const char *p;
	unsigned long v = 0;

	if (!path || strncmp(path, SHIM_DEV_PREFIX, strlen(SHIM_DEV_PREFIX)))
		return false;
	p = path + strlen(SHIM_DEV_PREFIX);
	if (!*p)
		return false;
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000000)
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*ret_bus = (unsigned)v;
	return true;
}

static struct shim_fd *find_locked(int fd)
{
	for (struct shim_fd *s = shim_fds; s; s = s->next)
		if (s->fd == fd)
			return s;
	return NULL;
}

static int wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int r;

	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	if (r == 0)
		return -ETIMEDOUT;
	return 0;
}

/* Connect to the emulator and say which adapter this is. */
static int shim_open(unsigned bus, int flags)
{
	const char *sock = getenv("I2C_SHIM_SOCK");
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct i2c_shim_hello hello = {
		.magic = I2C_SHIM_MAGIC,
		.version = I2C_SHIM_VERSION,
		.bus = bus,
	};
	struct i2c_shim_welcome w;
	struct shim_fd *s;
	ssize_t n;
	int fd, r;

	if (strlen(sock) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX,
		    SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0),
		    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		goto fail;
	if (send(fd, &hello, sizeof(hello), MSG_NOSIGNAL) < 0)
		goto fail;
	r = wait_readable(fd, SHIM_TIMEOUT_MS);
	if (r < 0) {
		errno = -r;
		goto fail;
	}
	n = recv(fd, &w, sizeof(w), 0);
	if (n != (ssize_t)sizeof(w) || w.magic != I2C_SHIM_MAGIC) {
		errno = EIO;
		goto fail;
	}
	if (w.status < 0) {
		errno = -w.status; /* no such adapter: ENOENT like devtmpfs */
		goto fail;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		errno = ENOMEM;
		goto fail;
	}
	s->fd = fd;
	s->bus = bus;
	s->addr = -1;
	pthread_mutex_lock(&shim_lock);
	s->next = shim_fds;
	shim_fds = s;
	pthread_mutex_unlock(&shim_lock);
	return fd;
fail:
	r = errno;
	real_close(fd);
	errno = r;
	return -1;
}

static bool want_shim(const char *path, unsigned *ret_bus)
{
	const char *sock = getenv("I2C_SHIM_SOCK");

	return sock && *sock && is_i2c_dev(path, ret_bus);
}

static mode_t mode_arg(int flags, va_list ap)
{
	if (flags & (O_CREAT | __O_TMPFILE))
		return (mode_t)va_arg(ap, int);
	return 0;
}

SHIM_EXPORT int open(const char *path, int flags, ...)
{
	unsigned bus;
	va_list ap;
	mode_t mode;

	if (want_shim(path, &bus))
		return shim_open(bus, flags);
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_open(path, flags, mode);
}

SHIM_EXPORT int open64(const char *path, int flags, ...)
{
	unsigned bus;
	va_list ap;
	mode_t mode;

	if (want_shim(path, &bus))
		return shim_open(bus, flags);
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_open64(path, flags, mode);
}

SHIM_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	unsigned bus;
	va_list ap;
	mode_t mode;

	if (want_shim(path, &bus))
		return shim_open(bus, flags);
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_openat(dirfd, path, flags, mode);
}

SHIM_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	unsigned bus;
	va_list ap;
	mode_t mode;

	if (want_shim(path, &bus))
		return shim_open(bus, flags);
	va_start(ap, flags);
	mode = mode_arg(flags, ap);
	va_end(ap);
	return real_openat64(dirfd, path, flags, mode);
}

/* _FORTIFY_SOURCE entry points (glibc's, undeclared without it) */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

SHIM_EXPORT int __open_2(const char *path, int flags)
{
	return open(path, flags);
}

SHIM_EXPORT int __open64_2(const char *path, int flags)
{
	return open64(path, flags);
}

SHIM_EXPORT int close(int fd)
{
	struct shim_fd *dead = NULL;

	pthread_mutex_lock(&shim_lock);
	for (struct shim_fd **p = &shim_fds; *p; p = &(*p)->next)
		if ((*p)->fd == fd) {
			dead = *p;
			*p = dead->next;
			break;
		}
	pthread_mutex_unlock(&shim_lock);
	free(dead);
	return real_close(fd);
}

/* SMBus PEC: CRC-8, polynomial x^8 + x^2 + x + 1, initial 0. */
static uint8_t crc8(uint8_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 :
						     crc << 1);
	}
	return crc;
}

/* One read transfer (flags: I2C_SHIM_F_*): returns the wire bytes the
 * slave sent, once the emulator says the transfer ended. */
static int transfer(struct shim_fd *s, uint8_t cmd, uint8_t len, uint8_t flags,
		    struct i2c_shim_reply *ret)
{
	struct i2c_shim_request req = {
		.op = I2C_SHIM_OP_READ,
		.addr = (uint8_t)s->addr,
		.cmd = cmd,
		.len = len,
		.flags = flags,
	};
	ssize_t n;
	int r;

	if (s->addr < 0)
		return -EINVAL; /* i2c-dev: no address set yet */
	if (send(s->fd, &req, sizeof(req), MSG_NOSIGNAL) < 0)
		return -EIO;
	for (;;) {
		r = wait_readable(s->fd, SHIM_XFER_TIMEOUT_MS);
		if (r < 0) {
			s->stale++; /* its reply, if any, is not ours */
			return r;
		}
		n = recv(s->fd, ret, sizeof(*ret), 0);
		if (n <= 0)
			return -EIO;
		if (!s->stale)
			break;
		s->stale--;
	}
	if (n < (ssize_t)offsetof(struct i2c_shim_reply, wire) ||
	    (size_t)n < offsetof(struct i2c_shim_reply, wire) + ret->len)
		return -EIO;
	if (ret->status < 0)
		return ret->status;
	return 0;
}

static int check_pec(const struct shim_fd *s, uint8_t cmd, const uint8_t *wire,
		     size_t n)
{
	uint8_t hdr[3] = { (uint8_t)(s->addr << 1), cmd,
			   (uint8_t)(s->addr << 1 | 1) };
	uint8_t crc = crc8(crc8(0, hdr, 3), wire, n);

	return crc == wire[n] ? 0 : -EBADMSG;
}

static int do_smbus(struct shim_fd *s, struct i2c_smbus_ioctl_data *a)
{
	struct i2c_shim_reply rep;
	union i2c_smbus_data *data = a->data;
	unsigned count;
	int r;

	if (a->read_write != I2C_SMBUS_READ)
		return -EOPNOTSUPP;
	if (!data)
		return -EINVAL;
	switch (a->size) {
	case I2C_SMBUS_BYTE_DATA:
		r = transfer(s, a->command, 1 + (s->pec ? 1 : 0), 0, &rep);
		if (r < 0)
			return r;
		if (rep.len < 1 + (s->pec ? 1 : 0))
			return -EIO;
		if (s->pec && check_pec(s, a->command, rep.wire, 1) < 0)
			return -EBADMSG;
		data->byte = rep.wire[0];
		return 0;
	case I2C_SMBUS_BLOCK_DATA:
		r = transfer(s, a->command, I2C_SMBUS_BLOCK_MAX + 2,
			     I2C_SHIM_F_BLOCK | (s->pec ? I2C_SHIM_F_PEC : 0),
			     &rep);
		if (r < 0)
			return r;
		count = rep.len ? rep.wire[0] : 0;
		/* i2c_smbus_xfer_emulated(): an invalid count is -EPROTO */
		if (count == 0 || count > I2C_SMBUS_BLOCK_MAX)
			return -EPROTO;
		if (rep.len < 1 + count + (s->pec ? 1 : 0))
			return -EIO;
		if (s->pec && check_pec(s, a->command, rep.wire, 1 + count) < 0)
			return -EBADMSG;
		memcpy(data->block, rep.wire, 1 + count);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* I2C_RDWR: [write the command byte][read n bytes], nothing else. */
static int do_rdwr(struct shim_fd *s, struct i2c_rdwr_ioctl_data *a)
{
	struct i2c_shim_reply rep;
	struct i2c_msg *w, *rd;
	int saved = s->addr, r;
	size_t n;

	if (!a || !a->msgs || a->nmsgs > I2C_RDWR_IOCTL_MAX_MSGS)
		return -EINVAL;
	if (a->nmsgs != 2)
		return -EOPNOTSUPP;
	w = &a->msgs[0];
	rd = &a->msgs[1];
	if ((w->flags & I2C_M_RD) || w->len != 1 || !(rd->flags & I2C_M_RD) ||
	    w->addr != rd->addr || w->addr > 0x7f)
		return -EOPNOTSUPP;
	n = (rd->flags & I2C_M_RECV_LEN) ? I2C_SMBUS_BLOCK_MAX + 2 : rd->len;
	if (n > I2C_SHIM_WIRE_MAX)
		return -EOPNOTSUPP;
	s->addr = w->addr;
	r = transfer(s, w->buf[0], (uint8_t)n,
		     (rd->flags & I2C_M_RECV_LEN) ? I2C_SHIM_F_BLOCK : 0, &rep);
	s->addr = saved;
	if (r < 0)
		return r;
	if (rd->flags & I2C_M_RECV_LEN) {
		if (rep.len < 1 || rep.wire[0] == 0 ||
		    rep.wire[0] > I2C_SMBUS_BLOCK_MAX)
			return -EPROTO;
		n = 1u + rep.wire[0];
		rd->len = (uint16_t)n;
	}
	memset(rd->buf, 0xff, rd->len);
	memcpy(rd->buf, rep.wire, n < rep.len ? n : rep.len);
	return 2;
}

static int shim_ioctl(struct shim_fd *s, unsigned long req, unsigned long arg)
{
	switch (req) {
	case I2C_SLAVE:
	case I2C_SLAVE_FORCE:
		if (arg > 0x7f)
			return -EINVAL;
		s->addr = (int)arg;
		return 0;
	case I2C_TENBIT:
		return arg ? -EINVAL : 0; /* no I2C_FUNC_10BIT_ADDR */
	case I2C_PEC:
		s->pec = arg != 0;
		return 0;
	case I2C_FUNCS:
		if (!arg)
			return -EFAULT;
		*(unsigned long *)arg = SHIM_FUNCS;
		return 0;
	case I2C_RETRIES:
	case I2C_TIMEOUT:
		return 0;
	case I2C_SMBUS:
		if (!arg)
			return -EFAULT;
		return do_smbus(s, (struct i2c_smbus_ioctl_data *)arg);
	case I2C_RDWR:
		return do_rdwr(s, (struct i2c_rdwr_ioctl_data *)arg);
	default:
		return -ENOTTY;
	}
}

SHIM_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct shim_fd *s;
	unsigned long arg;
	va_list ap;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	pthread_mutex_lock(&shim_lock);
	s = find_locked(fd);
	pthread_mutex_unlock(&shim_lock);
	if (!s)
		return real_ioctl(fd, req, arg);
	r = shim_ioctl(s, req, arg);
	if (r < 0) {
		errno = -r;
		return -1;
	}
	return r;
}
