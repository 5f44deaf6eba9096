// SPDX-License-Identifier: Apache-2.0
/*
 * nvme-mi-emu SMBus transport (README.md, "SMBus"): connections from
 * libi2c-shim.so, one per opened /dev/i2c-N, protocol in
 * test/sim/i2c/i2c-shim-proto.h. A read at (bus, address) is answered by
 * the drive whose bus and basic_address match, from its current state:
 *
 *   command 0: count 6, Status Flags, SMART Warnings, CTemp, PDLU, 2 x 0
 *   command 8: count 22, PCI Vendor ID (MSB first), serial number (20)
 *
 * followed by the PEC the slave appends. Status Flags (NVMe-MI 1.2
 * Appendix A): b7 SMBus arbitration (1), b6 Drive Not Ready, b5 Drive
 * Functional, b4 Reset Not Required (1), b3 PCIe link active (1), b2..0
 * reserved (1); SMART Warnings and CTemp as in the health poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "emu-smbus.h"
#include "i2c-shim-proto.h"
#include "log.h"
#include "macros.h"

struct smbus_conn {
	struct emu_smbus *s;
	int fd;
	unsigned bus;
	bool welcomed;
	sd_event_source *src;
	struct smbus_conn *next;
};

struct emu_smbus {
	sd_event *event;
	struct emu_state *state;
	char *path;
	int fd;
	sd_event_source *src;
	struct smbus_conn *conns;
};

uint8_t emu_smbus_crc8(uint8_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int i = 0; i < 8; i++)
			crc = (uint8_t)(crc & 0x80 ? (crc << 1) ^ 0x07 :
						     crc << 1);
	}
	return crc;
}

uint8_t emu_smbus_status_flags(const struct emu_drive *d)
{
	return (uint8_t)(0x80 | (d->ready ? 0 : 0x40) |
			 (d->functional ? 0x20 : 0) | 0x18 | 0x07);
}

int emu_smbus_read(const struct emu_drive *d, uint8_t addr, uint8_t cmd,
		   uint8_t *wire, size_t len)
{
	uint8_t buf[1 + 32 + 1], hdr[3];
	size_t n = 0, ctemp_at = 0;

	if (d->nack)
		return -ENXIO;
	if (d->bus_busy)
		return -EBUSY;

	if (cmd == 0) {
		buf[n++] = 6;
		buf[n++] = emu_smbus_status_flags(d);
		buf[n++] = (uint8_t) ~(d->critical_warning & 0x1f);
		ctemp_at = n;
		buf[n++] = emu_mi_ctemp(d);
		buf[n++] = d->percentage_used > 255 ?
				   255 :
				   (uint8_t)d->percentage_used;
		buf[n++] = 0;
		buf[n++] = 0;
	} else if (cmd == 8) {
		buf[n++] = 22;
		buf[n++] = (uint8_t)(d->vid >> 8);
		buf[n++] = (uint8_t)d->vid;
		memset(buf + n, ' ', 20);
		memcpy(buf + n, d->serial, strlen(d->serial));
		n += 20;
	} else {
		buf[n++] = 0xff;
	}
	hdr[0] = (uint8_t)(addr << 1);
	hdr[1] = cmd;
	hdr[2] = (uint8_t)(addr << 1 | 1);
	buf[n] = emu_smbus_crc8(emu_smbus_crc8(0, hdr, 3), buf, n);
	if (d->bad_pec)
		buf[n] ^= 0xff;
	n++;
	/* corrupted on the wire after the drive computed its PEC */
	if (ctemp_at && d->garbage_temp >= 0)
		buf[ctemp_at] = (uint8_t)d->garbage_temp;

	memset(wire, 0xff, len);
	memcpy(wire, buf, n < len ? n : len);
	return 0;
}

static struct emu_drive *find_drive(struct emu_state *st, unsigned bus,
				    uint8_t addr)
{
	for (size_t i = 0; i < st->n_drives; i++)
		if ((unsigned)st->drives[i]->bus == bus &&
		    st->drives[i]->basic_address == addr)
			return st->drives[i];
	return NULL;
}

static bool bus_exists(struct emu_state *st, unsigned bus)
{
	for (size_t i = 0; i < st->n_drives; i++)
		if ((unsigned)st->drives[i]->bus == bus)
			return true;
	return false;
}

static void conn_free(struct smbus_conn *c)
{
	for (struct smbus_conn **p = &c->s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c);
}

static void conn_reply(struct smbus_conn *c, const void *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug_errno(errno, "SMBus: dropping a reply");
}

static void handle_hello(struct smbus_conn *c, const uint8_t *buf, size_t n)
{
	struct i2c_shim_hello h;
	struct i2c_shim_welcome w = { .magic = I2C_SHIM_MAGIC,
				      .version = I2C_SHIM_VERSION };

	if (n != sizeof(h)) {
		conn_free(c);
		return;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != I2C_SHIM_MAGIC || h.version != I2C_SHIM_VERSION) {
		log_debug("SMBus: bad hello");
		conn_free(c);
		return;
	}
	c->bus = h.bus;
	c->welcomed = true;
	/* an adapter exists while some drive sits on it */
	if (!bus_exists(c->s->state, h.bus))
		w.status = -ENOENT;
	log_debug("SMBus: /dev/i2c-%u opened%s", h.bus,
		  w.status ? " (no such bus)" : "");
	conn_reply(c, &w, sizeof(w));
}

static void handle_request(struct smbus_conn *c, const uint8_t *buf, size_t n)
{
	struct i2c_shim_request req;
	struct i2c_shim_reply rep = { 0 };
	struct emu_drive *d;

	if (n != sizeof(req)) {
		log_debug("SMBus: dropping a request of %zu bytes", n);
		return;
	}
	memcpy(&req, buf, sizeof(req));
	if (req.op != I2C_SHIM_OP_READ || req.len > I2C_SHIM_WIRE_MAX) {
		rep.status = -EOPNOTSUPP;
	} else {
		d = find_drive(c->s->state, c->bus, req.addr);
		if (!d) {
			rep.status = -ENXIO;
		} else {
			d->requests++;
			if (d->miss) {
				d->miss--;
				rep.status = -ENXIO;
			} else {
				rep.status = emu_smbus_read(d, req.addr,
							    req.cmd, rep.wire,
							    req.len);
			}
			if (rep.status == 0)
				rep.len = req.len;
		}
	}
	log_debug("SMBus: bus %u addr 0x%02x cmd %u -> %d", c->bus, req.addr,
		  req.cmd, rep.status);
	conn_reply(c, &rep, sizeof(rep));
}

static int conn_io(sd_event_source *src, int fd, uint32_t revents,
		   void *userdata)
{
	struct smbus_conn *c = userdata;
	uint8_t buf[64];
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		conn_free(c);
		return 0;
	}
	if (!c->welcomed)
		handle_hello(c, buf, (size_t)n);
	else
		handle_request(c, buf, (size_t)n);
	return 0;
}

static int on_accept(sd_event_source *src, int fd, uint32_t revents,
		     void *userdata)
{
	struct emu_smbus *s = userdata;
	struct smbus_conn *c;
	int cfd, r;

	cfd = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		return log_oom();
	}
	c->s = s;
	c->fd = cfd;
	r = sd_event_add_io(s->event, &c->src, cfd, EPOLLIN, conn_io, c);
	if (r < 0) {
		close(cfd);
		free(c);
		return log_error_errno(r, "SMBus: cannot watch a connection");
	}
	c->next = s->conns;
	s->conns = c;
	return 0;
}

int emu_smbus_new(sd_event *event, struct emu_state *state, const char *path,
		  struct emu_smbus **ret)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct emu_smbus *s;
	int r;

	if (strlen(path) >= sizeof(sun.sun_path))
		return log_error_errno(-ENAMETOOLONG, "Socket path \"%s\"",
				       path);
	strcpy(sun.sun_path, path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return log_oom();
	s->event = event;
	s->state = state;
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0);
	if (s->fd < 0) {
		r = log_error_errno(errno, "socket() failed");
		goto fail;
	}
	(void)unlink(path);
	if (bind(s->fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(s->fd, SOMAXCONN) < 0) {
		r = log_error_errno(errno, "Cannot listen on \"%s\"", path);
		goto fail;
	}
	s->path = strdup(path);
	if (!s->path) {
		r = log_oom();
		goto fail;
	}
	r = sd_event_add_io(event, &s->src, s->fd, EPOLLIN, on_accept, s);
	if (r < 0) {
		log_error_errno(r, "Failed to watch \"%s\"", path);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	emu_smbus_free(s);
	return r;
}

struct emu_smbus *emu_smbus_free(struct emu_smbus *s)
{
	if (!s)
		return NULL;
	while (s->conns)
		conn_free(s->conns);
	sd_event_source_disable_unref(s->src);
	if (s->fd >= 0)
		close(s->fd);
	if (s->path)
		(void)unlink(s->path);
	free(s->path);
	free(s);
	return NULL;
}
