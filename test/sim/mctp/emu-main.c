/* SPDX-License-Identifier: Apache-2.0 */
/*
 * nvme-mi-emu: NVMe-MI endpoints for libmctp-shim.so, one process serving
 * every drive of a scenario. Single-threaded sd-event loop:
 * - the MCTP socket (--socket, SOCK_SEQPACKET): one connection per shim
 *   AF_MCTP socket, protocol in mctp-shim-proto.h;
 * - the control socket (--control, SOCK_STREAM): one JSON request per
 *   line, one JSON reply per line (emu_control()).
 * - the serial link (--serial-fd, a pty master whose slave carries the
 *   kernel's N_MCTP line discipline): MCTP over serial framing as Linux
 *   6.1 does it, packets reassembled and fragmented here (emu-serial.c).
 * - the SMBus socket (--i2c-socket, for libi2c-shim.so): the basic
 *   management command of the same drives (emu-smbus.c).
 * NVMe-MI requests (type 4) are answered by emu_mi_handle(), MCTP control
 * requests (type 0: Set/Get Endpoint ID, Get Endpoint UUID, Get MCTP
 * Version Support, Get Message Type Support) by emu_ctrl_respond()
 * (emu-ctrl.c); the per-drive faults decide whether, when and how the
 * reply leaves (silent, miss, delay_ms, late, link_bps for both; bad_mic,
 * truncate, status, mpr_ms for NVMe-MI only; ctrl_silent for control).
 *
 * Addressing: a message goes to the drive whose current EID is its
 * destination on its network; Set Endpoint ID moves a drive, and the
 * routes the shim asks for (the hello frame, sent on every connection)
 * list each drive at its current EID, none at EID 0. On the serial link
 * the null destination EID 0 (physical addressing, DSP0236 1.3.1 "Special endpoint IDs",
 * as mctpd uses it before a drive has an EID) reaches the link's physical
 * drive: the first scenario drive on the link's network (--serial-net);
 * only control messages are accepted that way. The shim cannot carry EID
 * 0 (no route, as the kernel), so the shim-tier bus owner uses the control
 * socket's "mctp_control" request instead, which runs the same
 * emu_ctrl_respond() but does not wait for delays.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/mctp.h>
#include <systemd/sd-event.h>

#include "emu-serial.h"
#include "emu-smbus.h"
#include "emu.h"
#include "log.h"
#include "macros.h"
#include "mctp-shim-proto.h"

#define CONTROL_LINE_MAX    65536
#define TIMER_ACCURACY_USEC 1000

struct emu;

struct conn {
	struct emu *emu;
	int fd;
	sd_event_source *src;
	/* control connections: bytes of the current, unfinished line */
	char *line;
	size_t line_len;
	/* control connections: reply bytes the socket has not taken yet,
	 * sent in order when it is writable again */
	char *out;
	size_t out_len;
	bool closing; /* no more requests: close once out is sent */
	bool broken; /* the peer is gone: close now */
	struct conn *next;
};

/* The serial transport: one link, any number of drives behind it. */
struct serial_link {
	struct emu *emu;
	int fd;
	uint32_t net;
	sd_event_source *src;
	struct emu_serial_rx rx;
	struct emu_mctp_reasm *reasm;
	uint64_t bad_fcs, framing_errors, dropped_packets;
};

/* Where a reply goes: a shim connection or the serial link. */
struct target {
	struct conn *conn;
	struct mctp_shim_hdr hdr; /* shim: the request's header */
	struct serial_link *link;
	uint8_t src, dst, tag; /* serial: the reply's addresses and tag */
};

struct pending {
	struct emu *emu;
	struct conn *conn;
	struct serial_link *link;
	sd_event_source *timer;
	struct pending *next;
	size_t len;
	uint8_t frame[];
};

struct emu {
	sd_event *event;
	struct emu_state state;
	struct conn *conns; /* MCTP connections */
	struct conn *ctls; /* control connections */
	struct pending *pending;
	struct serial_link *link;
	struct emu_smbus *smbus;
};

/* CLOCK_MONOTONIC in ms: the time emu_mi_handle() runs sanitize on */
static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void pending_free(struct emu *e, struct pending *p)
{
	for (struct pending **pp = &e->pending; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	sd_event_source_disable_unref(p->timer);
	free(p);
}

static void conn_free(struct conn **list, struct conn *c)
{
	struct emu *e = c->emu;

	for (struct conn **pp = list; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	for (struct pending *p = e->pending, *n; p; p = n) {
		n = p->next;
		if (p->conn == c)
			pending_free(e, p);
	}
	sd_event_source_disable_unref(c->src);
	if (c->fd >= 0)
		close(c->fd);
	free(c->line);
	free(c->out);
	free(c);
}

/* An MCTP connection (SOCK_SEQPACKET) takes a frame whole or not at all.
 * A client that went away is not our problem: ignore EPIPE and friends. */
static void conn_send(struct conn *c, const void *buf, size_t len)
{
	if (send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug_errno(errno, "Dropping a reply of %zu bytes", len);
}

/*
 * A control connection is a byte stream: send() may take part of a long
 * reply (a "list" of hundreds of drives is larger than the socket buffer)
 * or nothing. What it leaves waits in c->out, and the connection is
 * watched for EPOLLOUT until it is gone, so every reply arrives whole and
 * in order.
 */
static void ctl_flush(struct conn *c)
{
	uint32_t events;
	size_t sent = 0;

	while (sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + sent, c->out_len - sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			log_debug_errno(n < 0 ? errno : EIO,
					"Control connection lost");
			c->broken = true;
			return;
		}
		sent += (size_t)n;
	}
	if (sent > 0) {
		memmove(c->out, c->out + sent, c->out_len - sent);
		c->out_len -= sent;
	}
	events = (c->closing ? 0 : EPOLLIN) | (c->out_len ? EPOLLOUT : 0);
	if (events && sd_event_source_set_io_events(c->src, events) < 0)
		c->broken = true;
}

static void ctl_send(struct conn *c, const char *buf, size_t len)
{
	char *grown;

	if (c->broken)
		return;
	grown = realloc(c->out, c->out_len + len);
	if (!grown) {
		log_oom();
		c->broken = true;
		return;
	}
	memcpy(grown + c->out_len, buf, len);
	c->out = grown;
	c->out_len += len;
	ctl_flush(c);
}

/* The line discipline consumes whatever we write; a write error means
 * the slave side went away. */
static void serial_send(struct serial_link *l, const uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(l->fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_error_errno(n < 0 ? errno : EIO,
					"Serial link write failed");
			(void)sd_event_exit(l->emu->event, -EIO);
			return;
		}
		buf += n;
		len -= (size_t)n;
	}
}

static void pending_send(struct pending *p)
{
	if (p->conn)
		conn_send(p->conn, p->frame, p->len);
	else
		serial_send(p->link, p->frame, p->len);
}

static int pending_fire(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct pending *p = userdata;

	pending_send(p);
	pending_free(p->emu, p);
	return 0;
}

/* Send the reply message resp (resp[0] is the type byte) to t now or
 * after delay_ms. */
static int reply(struct emu *e, const struct target *t, const uint8_t *resp,
		 size_t len, unsigned int delay_ms)
{
	struct pending *p;
	int r;

	if (t->conn) {
		struct mctp_shim_hdr hdr = {
			.net = t->hdr.net,
			.eid = t->hdr.eid,
			.type = resp[0],
			.tag = t->hdr.tag & MCTP_TAG_MASK,
		};

		p = malloc(sizeof(*p) + sizeof(hdr) + len - 1);
		if (!p)
			return log_oom();
		*p = (struct pending){ .emu = e, .conn = t->conn };
		p->len = sizeof(hdr) + len - 1;
		memcpy(p->frame, &hdr, sizeof(hdr));
		memcpy(p->frame + sizeof(hdr), resp + 1, len - 1);
	} else {
		p = malloc(sizeof(*p) + EMU_SERIAL_STREAM_MAX);
		if (!p)
			return log_oom();
		*p = (struct pending){ .emu = e, .link = t->link };
		r = emu_serial_encode_message(t->src, t->dst, t->tag, resp, len,
					      p->frame, &p->len);
		if (r < 0) {
			free(p);
			return log_error_errno(r, "Reply of %zu bytes", len);
		}
	}
	if (delay_ms == 0) {
		pending_send(p);
		free(p);
		return 0;
	}
	r = sd_event_add_time_relative(e->event, &p->timer, CLOCK_MONOTONIC,
				       (uint64_t)delay_ms * 1000,
				       TIMER_ACCURACY_USEC, pending_fire, p);
	if (r < 0) {
		free(p);
		return log_error_errno(r, "Failed to schedule a reply");
	}
	p->next = e->pending;
	e->pending = p;
	return 0;
}

/* Answer one request message (msg[0] is the type byte) for drive d. */
static void handle_message(struct emu *e, struct emu_drive *d,
			   const struct target *t, const uint8_t *msg,
			   size_t len)
{
	static uint8_t resp[EMU_MSG_MAX], mpr[16];
	unsigned int delay;
	size_t rlen;
	int r;

	if (len > 0 && msg[0] == EMU_MCTP_TYPE_CONTROL) {
		if (emu_ctrl_respond(d, msg, len, resp, &rlen, &delay))
			(void)reply(e, t, resp, rlen, delay);
		else
			log_debug("Network %u EID %u: control request %s",
				  d->network, d->eid,
				  len >= 3 ? "not answered" : "too short");
		return;
	}
	r = emu_mi_handle(d, msg, len, now_ms(), resp, &rlen);
	if (r < 0) {
		log_debug_errno(r, "Network %u EID %u: request dropped",
				d->network, d->eid);
		return;
	}
	if (d->silent)
		return;
	if (d->miss) {
		d->miss--;
		return;
	}
	if (d->miss_mi && len >= 2 && ((msg[1] >> 3) & 0xf) == EMU_NMIMT_MI) {
		d->miss_mi--;
		return;
	}

	delay = d->delay_ms + d->late_ms;
	d->late_ms = 0; /* "late" is one-shot */
	if (d->mpr_ms) {
		/* advertise more time than we take, so clients wait */
		size_t mlen = emu_mi_mpr_reply(
			msg, (uint16_t)((d->mpr_ms + 99) / 100 + 1), mpr);

		if (reply(e, t, mpr, mlen, delay) < 0)
			return;
		delay += d->mpr_ms;
	}
	rlen = emu_mi_apply_faults(d, resp, rlen);
	/* a slow link: about 10 bits per byte on the wire (SMBus: 8 data
	 * bits + ACK, plus packet headers), the request's bytes (a 4 KiB
	 * firmware chunk) on the way in and the reply's on the way out */
	delay += emu_link_delay_ms(d, len, rlen);
	(void)reply(e, t, resp, rlen, delay);
}

static void handle_frame(struct conn *c, const uint8_t *frame, size_t n)
{
	static uint8_t msg[EMU_MSG_MAX];
	struct target t = { .conn = c };
	struct mctp_shim_hdr hdr;
	struct emu_drive *d;
	size_t len;

	if (n < sizeof(hdr) || n - sizeof(hdr) + 1 > sizeof(msg)) {
		log_debug("Dropping a frame of %zu bytes", n);
		return;
	}
	memcpy(&hdr, frame, sizeof(hdr));
	d = emu_state_find(&c->emu->state, hdr.net, hdr.eid);
	if (!d) {
		log_debug("No drive at network %u EID %u: dropped", hdr.net,
			  hdr.eid);
		return;
	}
	if (!(hdr.tag & MCTP_TAG_OWNER)) {
		log_debug("Dropping a message without the owner tag");
		return;
	}
	msg[0] = hdr.type;
	len = n - sizeof(hdr) + 1;
	memcpy(msg + 1, frame + sizeof(hdr), len - 1);
	t.hdr = hdr;
	handle_message(c->emu, d, &t, msg, len);
}

static void serial_message(struct serial_link *l, const struct emu_mctp_msg *m)
{
	struct target t = {
		.link = l,
		.src = m->dst,
		.dst = m->src,
		.tag = EMU_MCTP_TAG(m->tag),
	};
	struct emu_drive *d;

	if (!(m->tag & EMU_MCTP_TO)) {
		log_debug("Serial: dropping a message without the owner tag");
		return;
	}
	if (m->dst == 0) {
		/* physical addressing: the drive on the other end */
		d = NULL;
		for (size_t i = 0; i < l->emu->state.n_drives && !d; i++)
			if (l->emu->state.drives[i]->network == l->net)
				d = l->emu->state.drives[i];
		if (d && (m->len == 0 || m->data[0] != EMU_MCTP_TYPE_CONTROL)) {
			log_debug("Serial: only control messages to EID 0");
			return;
		}
	} else {
		d = emu_state_find(&l->emu->state, l->net, m->dst);
	}
	if (!d) {
		log_debug("Serial: no drive at network %u EID %u: dropped",
			  l->net, m->dst);
		return;
	}
	handle_message(l->emu, d, &t, m->data, m->len);
}

static int serial_io(sd_event_source *s, int fd, uint32_t revents,
		     void *userdata)
{
	struct serial_link *l = userdata;
	uint8_t buf[4096];
	ssize_t n;

	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		log_error_errno(n < 0 ? errno : EIO,
				"Serial link closed (line discipline gone?)");
		return sd_event_exit(l->emu->event, -EIO);
	}
	for (ssize_t i = 0; i < n; i++) {
		const struct emu_mctp_msg *m;
		int r = emu_serial_rx_byte(&l->rx, buf[i]);

		if (r == -EBADMSG)
			l->bad_fcs++;
		else if (r < 0)
			l->framing_errors++;
		if (r < 0)
			log_debug_errno(r, "Serial: frame dropped");
		if (r <= 0)
			continue;
		r = emu_mctp_reasm_push(l->reasm, l->rx.buf, l->rx.len, &m);
		if (r < 0) {
			l->dropped_packets++;
			log_debug_errno(r, "Serial: packet dropped");
		} else if (r > 0) {
			serial_message(l, m);
		}
	}
	return 0;
}

static int serial_open(struct emu *e, int fd, uint32_t net)
{
	struct serial_link *l;
	int flags, r;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return log_error_errno(errno, "--serial-fd %d", fd);
	/* blocking writes (the line discipline drains them at once),
	 * reads only when the loop says so */
	if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return log_error_errno(errno, "--serial-fd %d", fd);
	l = calloc(1, sizeof(*l));
	if (!l)
		return log_oom();
	l->reasm = calloc(1, sizeof(*l->reasm));
	if (!l->reasm) {
		free(l);
		return log_oom();
	}
	l->emu = e;
	l->fd = fd;
	l->net = net;
	r = sd_event_add_io(e->event, &l->src, fd, EPOLLIN, serial_io, l);
	if (r < 0) {
		free(l->reasm);
		free(l);
		return log_error_errno(r, "Failed to watch the serial link");
	}
	e->link = l;
	return 0;
}

static void serial_free(struct serial_link *l)
{
	if (!l)
		return;
	log_debug("Serial: %" PRIu64 " bad FCS, %" PRIu64
		  " framing errors, %" PRIu64 " packets dropped",
		  l->bad_fcs, l->framing_errors, l->dropped_packets);
	sd_event_source_disable_unref(l->src);
	close(l->fd);
	free(l->reasm);
	free(l);
}

static int conn_io(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	static uint8_t buf[sizeof(struct mctp_shim_hdr) + EMU_MSG_MAX];
	struct conn *c = userdata;
	ssize_t n;

	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* the client closed its socket, maybe before our reply */
		conn_free(&c->emu->conns, c);
		return 0;
	}
	if ((size_t)n > sizeof(buf)) {
		log_debug("Dropping an oversized message (%zd bytes)", n);
		return 0;
	}
	handle_frame(c, buf, (size_t)n);
	return 0;
}

/* The routes: every drive at its current EID; a drive without an EID
 * (after a power cycle or swap, before Set Endpoint ID) has none. */
static int send_hello(struct emu *e, int fd)
{
	size_t len = sizeof(struct mctp_shim_hello) +
		     MCTP_SHIM_MAX_ROUTES * sizeof(struct mctp_shim_route);
	_cleanup_free_ uint8_t *buf = calloc(1, len);
	struct mctp_shim_hello hello = {
		.magic = MCTP_SHIM_MAGIC,
		.version = MCTP_SHIM_VERSION,
	};

	if (!buf)
		return -ENOMEM;
	for (size_t i = 0;
	     i < e->state.n_drives && hello.count < MCTP_SHIM_MAX_ROUTES; i++) {
		struct mctp_shim_route rt = {
			.net = e->state.drives[i]->network,
			.eid = e->state.drives[i]->eid,
		};

		if (rt.eid == 0)
			continue;
		memcpy(buf + sizeof(hello) + hello.count * sizeof(rt), &rt,
		       sizeof(rt));
		hello.count++;
	}
	memcpy(buf, &hello, sizeof(hello));
	len = sizeof(hello) + hello.count * sizeof(struct mctp_shim_route);
	if (send(fd, buf, len, MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

static int accept_conn(struct emu *e, int lfd, struct conn **list,
		       sd_event_io_handler_t handler, struct conn **ret)
{
	_cleanup_close_ int fd = -1;
	struct conn *c;
	int r;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED)
			return 0;
		return log_error_errno(errno, "accept() failed");
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return log_oom();
	c->emu = e;
	r = sd_event_add_io(e->event, &c->src, fd, EPOLLIN, handler, c);
	if (r < 0) {
		free(c);
		return log_error_errno(r, "Failed to watch a connection");
	}
	c->fd = TAKE_FD(fd);
	c->next = *list;
	*list = c;
	*ret = c;
	return 1;
}

static int mctp_accept(sd_event_source *s, int fd, uint32_t revents,
		       void *userdata)
{
	struct emu *e = userdata;
	struct conn *c = NULL;
	int r;

	r = accept_conn(e, fd, &e->conns, conn_io, &c);
	if (r <= 0)
		return 0;
	r = send_hello(e, c->fd);
	if (r < 0) {
		log_debug_errno(r, "Failed to send the hello frame");
		conn_free(&e->conns, c);
	}
	return 0;
}

static int control_line(struct conn *c, const char *line)
{
	_cleanup_free_ char *out = NULL;
	char *text = NULL;
	int r;

	emu_state_tick(&c->emu->state, now_ms()); /* "get" is current */
	r = emu_control(&c->emu->state, line, &text);
	if (r < 0)
		return log_oom();
	log_debug("control: %s -> %s", line, text);
	r = asprintf(&out, "%s\n", text);
	free(text);
	if (r < 0)
		return log_oom();
	ctl_send(c, out, strlen(out));
	return 0;
}

static int control_io(sd_event_source *s, int fd, uint32_t revents,
		      void *userdata)
{
	struct conn *c = userdata;
	char buf[4096], *nl, *grown;
	ssize_t n;

	/* a peer gone while replies wait: EPOLLHUP comes whatever the
	 * events asked for, and the send fails */
	if (revents & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		ctl_flush(c);
	if (c->broken || (c->closing && c->out_len == 0)) {
		conn_free(&c->emu->ctls, c);
		return 0;
	}
	if (c->closing || !(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		/* the client is done asking: answer what it asked first */
		c->closing = true;
		ctl_flush(c);
		if (c->broken || c->out_len == 0)
			conn_free(&c->emu->ctls, c);
		return 0;
	}
	if (c->line_len + (size_t)n > CONTROL_LINE_MAX) {
		static const char msg[] =
			"{\"ok\":false,\"error\":\"line too long\"}\n";

		c->closing = true;
		ctl_send(c, msg, sizeof(msg) - 1);
		if (c->broken || c->out_len == 0)
			conn_free(&c->emu->ctls, c);
		return 0;
	}
	grown = realloc(c->line, c->line_len + (size_t)n + 1);
	if (!grown)
		return log_oom();
	c->line = grown;
	memcpy(c->line + c->line_len, buf, (size_t)n);
	c->line_len += (size_t)n;
	c->line[c->line_len] = '\0';

	while (!c->broken && (nl = memchr(c->line, '\n', c->line_len))) {
		size_t used = (size_t)(nl - c->line) + 1;

		*nl = '\0';
		if (nl > c->line && nl[-1] == '\r')
			nl[-1] = '\0';
		if (c->line[0] != '\0')
			(void)control_line(c, c->line);
		memmove(c->line, c->line + used, c->line_len - used + 1);
		c->line_len -= used;
	}
	if (c->broken)
		conn_free(&c->emu->ctls, c);
	return 0;
}

static int control_accept(sd_event_source *s, int fd, uint32_t revents,
			  void *userdata)
{
	struct emu *e = userdata;
	struct conn *c;

	(void)accept_conn(e, fd, &e->ctls, control_io, &c);
	return 0;
}

static int listen_on(const char *path, int type, int *ret_fd)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	if (strlen(path) >= sizeof(sun.sun_path))
		return log_error_errno(-ENAMETOOLONG, "Socket path \"%s\"",
				       path);
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(errno, "socket() failed");
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		return log_error_errno(errno, "Cannot bind \"%s\"", path);
	if (listen(fd, SOMAXCONN) < 0)
		return log_error_errno(errno, "Cannot listen on \"%s\"", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

static int read_file(const char *path, char **ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;

	f = fopen(path, "re");
	if (!f)
		return log_error_errno(errno, "Cannot open scenario \"%s\"",
				       path);
	for (;;) {
		size_t n;

		if (size - len < 4096) {
			char *g = realloc(buf, size + 65536);

			if (!g)
				return log_oom();
			buf = g;
			size += 65536;
		}
		n = fread(buf + len, 1, size - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f))
		return log_error_errno(-EIO, "Cannot read scenario \"%s\"",
				       path);
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static void help(void)
{
	printf("Usage: nvme-mi-emu --scenario FILE [--socket PATH] "
	       "[--serial-fd FD [--serial-net NET]]\n"
	       "                   [--control PATH] [--i2c-socket PATH] [-v]\n"
	       "Emulates NVMe-MI drives for libmctp-shim.so "
	       "(MCTP_SHIM_SOCK=PATH) and/or\n"
	       "on an MCTP serial link (FD: a pty master whose slave has "
	       "the N_MCTP line discipline).\n"
	       "See test/sim/mctp/README.md.\n");
}

static void emu_free(struct emu *e)
{
	while (e->conns)
		conn_free(&e->conns, e->conns);
	while (e->ctls)
		conn_free(&e->ctls, e->ctls);
	while (e->pending)
		pending_free(e, e->pending);
	serial_free(e->link);
	e->link = NULL;
	e->smbus = emu_smbus_free(e->smbus);
	emu_state_clear(&e->state);
	sd_event_unref(e->event);
}

static int run(const char *scenario, const char *sock_path,
	       const char *control_path, int serial_fd, uint32_t serial_net,
	       const char *i2c_path)
{
	_cleanup_(sd_event_source_disable_unrefp) sd_event_source *ls = NULL,
								  *cs = NULL;
	_cleanup_close_ int lfd = -1, cfd = -1;
	_cleanup_free_ char *text = NULL, *err = NULL;
	struct emu e = { 0 };
	sigset_t mask;
	int r;

	r = read_file(scenario, &text);
	if (r < 0)
		return r;
	r = emu_state_load(&e.state, text, &err);
	if (r < 0)
		return log_error_errno(r, "Scenario \"%s\": %s", scenario,
				       err ? err : "out of memory");

	r = sd_event_new(&e.event);
	if (r < 0) {
		log_error_errno(r, "Failed to create the event loop");
		goto out;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	r = sd_event_add_signal(e.event, NULL, SIGTERM, NULL, NULL);
	if (r >= 0)
		r = sd_event_add_signal(e.event, NULL, SIGINT, NULL, NULL);
	if (r < 0) {
		log_error_errno(r, "Failed to watch signals");
		goto out;
	}

	if (sock_path) {
		r = listen_on(sock_path, SOCK_SEQPACKET, &lfd);
		if (r < 0)
			goto out;
		r = sd_event_add_io(e.event, &ls, lfd, EPOLLIN, mctp_accept,
				    &e);
		if (r < 0) {
			log_error_errno(r, "Failed to watch \"%s\"", sock_path);
			goto out;
		}
	}
	if (serial_fd >= 0) {
		r = serial_open(&e, serial_fd, serial_net);
		if (r < 0)
			goto out;
	}
	if (i2c_path) {
		r = emu_smbus_new(e.event, &e.state, i2c_path, &e.smbus);
		if (r < 0)
			goto out;
	}
	if (control_path) {
		r = listen_on(control_path, SOCK_STREAM, &cfd);
		if (r < 0)
			goto out;
		r = sd_event_add_io(e.event, &cs, cfd, EPOLLIN, control_accept,
				    &e);
		if (r < 0) {
			log_error_errno(r, "Failed to watch \"%s\"",
					control_path);
			goto out;
		}
	}
	log_info("nvme-mi-emu: ready, %zu drive(s) on %s%s%s", e.state.n_drives,
		 sock_path ? sock_path : "",
		 sock_path && serial_fd >= 0 ? " and " : "",
		 serial_fd >= 0 ? "the serial link" : "");

	r = sd_event_loop(e.event);
	if (r < 0)
		log_error_errno(r, "Event loop failed");
	if (sock_path)
		(void)unlink(sock_path);
	if (control_path)
		(void)unlink(control_path);
out:
	ls = sd_event_source_disable_unref(ls);
	cs = sd_event_source_disable_unref(cs);
	emu_free(&e);
	return r < 0 ? r : 0;
}

int main(int argc, char *argv[])
{
	static const struct option options[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 'S' },
		{ "control", required_argument, NULL, 'c' },
		{ "i2c-socket", required_argument, NULL, 'i' },
		{ "serial-fd", required_argument, NULL, 'F' },
		{ "serial-net", required_argument, NULL, 'N' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *scenario = NULL, *sock_path = NULL, *control = NULL;
	const char *i2c = NULL;
	int serial_fd = -1;
	uint32_t serial_net = 1;
	unsigned long v;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "s:S:c:i:vh", options, NULL)) >=
	       0) {
		switch (c) {
		case 's':
			scenario = optarg;
			break;
		case 'S':
			sock_path = optarg;
			break;
		case 'c':
			control = optarg;
			break;
		case 'i':
			i2c = optarg;
			break;
		case 'F':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v > INT32_MAX) {
				log_error("--serial-fd \"%s\": not a "
					  "descriptor number",
					  optarg);
				return EXIT_FAILURE;
			}
			serial_fd = (int)v;
			break;
		case 'N':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || v == 0 ||
			    v > UINT32_MAX) {
				log_error("--serial-net \"%s\": not a "
					  "network number",
					  optarg);
				return EXIT_FAILURE;
			}
			serial_net = (uint32_t)v;
			break;
		case 'v':
			log_set_max_level(LOG_DEBUG);
			break;
		case 'h':
			help();
			return EXIT_SUCCESS;
		default:
			return EXIT_FAILURE;
		}
	}
	if (!scenario || (!sock_path && serial_fd < 0 && !i2c) ||
	    optind < argc) {
		help();
		return EXIT_FAILURE;
	}
	return run(scenario, sock_path, control, serial_fd, serial_net, i2c) <
			       0 ?
		       EXIT_FAILURE :
		       EXIT_SUCCESS;
}
