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
 *
 * Bus time: each bus number has one timeline. A transfer starts when the
 * bus is free (the kernel holds the adapter's bus lock for a whole
 * transfer, i2c_lock_bus() in drivers/i2c/i2c-core-smbus.c, so transfers
 * from any process queue up) and occupies it for its bits at the
 * addressed drive's smbus_hz (emu_smbus_xfer_usec()), or, to a drive with
 * hold_bus, for hold_ms and then fails with -ETIMEDOUT: the drive
 * stretches SCL once addressed, the adapter gives up after its timeout
 * (adap->timeout, HZ unless the driver sets it, in i2c_register_adapter(),
 * drivers/i2c/i2c-core-base.c) and recovers the bus. The reply leaves
 * when the transfer ends, from a timer: the loop never blocks.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "emu-smbus.h"
#include "i2c-shim-proto.h"
#include "log.h"
#include "macros.h"

/* A reply waiting for its transfer to end on the wire. */
struct smbus_pending {
	uint64_t end_usec; /* CLOCK_MONOTONIC */
	struct i2c_shim_reply rep;
	struct smbus_pending *next;
};

struct smbus_conn {
	struct emu_smbus *s;
	int fd;
	unsigned bus;
	bool welcomed;
	sd_event_source *src;
	/* replies in request order (one bus: their end times ascend) */
	struct smbus_pending *pending, **pending_tail;
	sd_event_source *timer;
	struct smbus_conn *next;
};

/* One adapter's timeline. */
struct smbus_bus {
	unsigned bus;
	uint64_t free_usec; /* when the last transfer on it ends */
	struct smbus_bus *next;
};

struct emu_smbus {
	sd_event *event;
	struct emu_state *state;
	char *path;
	int fd;
	sd_event_source *src;
	struct smbus_conn *conns;
	struct smbus_bus *buses;
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

uint64_t emu_smbus_xfer_usec(unsigned hz, int status, const uint8_t *wire,
			     size_t len, unsigned flags)
{
	uint64_t bits;
	size_t n = len;

	if (hz == 0 || status == -EBUSY)
		return 0; /* instant, or no START on a busy bus */
	if (status < 0) {
		/* START, address+W not acknowledged, STOP */
		bits = 1 + 9 + 1;
	} else {
		if (flags & I2C_SHIM_F_BLOCK) {
			/* count, data, PEC; after an invalid count the
			 * master stops */
			n = 1;
			if (len && wire[0] >= 1 && wire[0] <= 32)
				n += wire[0] +
				     ((flags & I2C_SHIM_F_PEC) ? 1 : 0);
		}
		/* START, address+W, command, repeated START, address+R,
		 * n bytes read, STOP; 9 bits a byte with its ACK/NACK */
		bits = 1 + 9 + 9 + 1 + 9 + 9 * (uint64_t)n + 1;
	}
	return (bits * 1000000 + hz - 1) / hz;
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

/* The bus speed for a transfer to an address without a drive: the first
 * drive's on that bus. */
static unsigned bus_hz(struct emu_state *st, unsigned bus)
{
	for (size_t i = 0; i < st->n_drives; i++)
		if ((unsigned)st->drives[i]->bus == bus)
			return st->drives[i]->smbus_hz;
	return 0;
}

static struct smbus_bus *bus_get(struct emu_smbus *s, unsigned bus)
{
	struct smbus_bus *b;

	for (b = s->buses; b; b = b->next)
		if (b->bus == bus)
			return b;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->bus = bus;
	b->next = s->buses;
	s->buses = b;
	return b;
}

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void conn_free(struct smbus_conn *c)
{
	for (struct smbus_conn **p = &c->s->conns; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	/* the transfers stay on their bus's timeline; only the replies go */
	while (c->pending) {
		struct smbus_pending *q = c->pending;

		c->pending = q->next;
		free(q);
	}
	sd_event_source_disable_unref(c->timer);
	sd_event_source_disable_unref(c->src);
	close(c->fd);
	free(c);
}

static void conn_reply(struct smbus_conn *c, const void *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug_errno(errno, "SMBus: dropping a reply");
}

/* Send every reply whose transfer has ended; arm the timer for the next. */
static int conn_flush(struct smbus_conn *c)
{
	uint64_t now = now_usec();
	int r;

	while (c->pending && c->pending->end_usec <= now) {
		struct smbus_pending *q = c->pending;

		c->pending = q->next;
		if (!c->pending)
			c->pending_tail = &c->pending;
		conn_reply(c, &q->rep, sizeof(q->rep));
		free(q);
	}
	if (!c->pending)
		return sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
	r = sd_event_source_set_time(c->timer, c->pending->end_usec);
	if (r < 0)
		return r;
	return sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

static int on_conn_timer(sd_event_source *src, uint64_t usec, void *userdata)
{
	struct smbus_conn *c = userdata;
	int r = conn_flush(c);

	if (r < 0)
		log_error_errno(r, "SMBus: cannot arm a reply timer");
	return 0;
}

/* Queue rep to leave end_usec (now or earlier: at once, after the replies
 * before it). */
static void conn_reply_at(struct smbus_conn *c,
			  const struct i2c_shim_reply *rep, uint64_t end_usec)
{
	struct smbus_pending *q;
	int r;

	if (!c->pending && end_usec <= now_usec()) {
		conn_reply(c, rep, sizeof(*rep));
		return;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		log_oom();
		return; /* the shim times out, as for a lost reply */
	}
	q->end_usec = end_usec;
	q->rep = *rep;
	*c->pending_tail = q;
	c->pending_tail = &q->next;
	if (!c->timer) {
		r = sd_event_add_time(c->s->event, &c->timer, CLOCK_MONOTONIC,
				      end_usec, 1, on_conn_timer, c);
		if (r < 0) {
			log_error_errno(r, "SMBus: cannot add a reply timer");
			return;
		}
	}
	r = conn_flush(c);
	if (r < 0)
		log_error_errno(r, "SMBus: cannot arm a reply timer");
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
	struct emu_drive *d = NULL;
	struct smbus_bus *b;
	uint64_t now, start, dur = 0;

	if (n != sizeof(req)) {
		log_debug("SMBus: dropping a request of %zu bytes", n);
		return;
	}
	memcpy(&req, buf, sizeof(req));
	if (req.op != I2C_SHIM_OP_READ || req.len > I2C_SHIM_WIRE_MAX) {
		/* i2c-dev rejects it before it reaches the bus */
		rep.status = -EOPNOTSUPP;
		conn_reply_at(c, &rep, 0);
		return;
	}
	d = find_drive(c->s->state, c->bus, req.addr);
	if (!d) {
		rep.status = -ENXIO;
		dur = emu_smbus_xfer_usec(bus_hz(c->s->state, c->bus),
					  rep.status, NULL, 0, req.flags);
	} else {
		d->requests++;
		if (d->hold_bus) {
			/* SCL held low from the address on: the adapter
			 * times out, whatever the speed */
			rep.status = -ETIMEDOUT;
			dur = (uint64_t)d->hold_ms * 1000;
		} else {
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
			dur = emu_smbus_xfer_usec(d->smbus_hz, rep.status,
						  rep.wire, rep.len, req.flags);
		}
		d->bus_usec += dur;
	}

	now = now_usec();
	b = bus_get(c->s, c->bus);
	if (!b) {
		log_oom();
		return; /* the shim times out, as for a lost reply */
	}
	start = b->free_usec > now ? b->free_usec : now;
	if (d && start > now)
		d->bus_waits++;
	b->free_usec = start + dur;
	log_debug("SMBus: bus %u addr 0x%02x cmd %u -> %d after %" PRIu64
		  " us on the bus (%" PRIu64 " us waiting for it)",
		  c->bus, req.addr, req.cmd, rep.status, dur, start - now);
	conn_reply_at(c, &rep, start + dur);
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
	c->pending_tail = &c->pending;
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
	while (s->buses) {
		struct smbus_bus *b = s->buses;

		s->buses = b->next;
		free(b);
	}
	sd_event_source_disable_unref(s->src);
	if (s->fd >= 0)
		close(s->fd);
	if (s->path)
		(void)unlink(s->path);
	free(s->path);
	free(s);
	return NULL;
}
