/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ipmi-responder: a test-only IPMI responder that serves the cable SDRs
 * of libcable-ipmi to an independent client, ipmitool, over the IPMI
 * serial Basic Mode (IPMI 2.0 section 14.4; ipmitool's "-I serial-basic",
 * src/plugins/serial/serial_basic.c).
 *
 * It makes a pseudo-terminal and links its client side at PATH, so that
 * "ipmitool -I serial-basic -D PATH:115200 sdr list event" talks to it.
 * Every answer about cables comes from the library: the records from
 * cable_ipmi_record(), the states from cable_ipmi_event_status() and
 * cable_ipmi_reading(); the repository is rebuilt (cable_ipmi_refresh)
 * at the first request after the library reports a change, which also
 * moves the addition timestamp and cancels reservations, as an SDR
 * repository does (IPMI 2.0 section 33.11).
 *
 * Commands: Get Device ID (App 01h), Get SDR Repository Info (Storage
 * 20h), Reserve SDR Repository (22h), Get SDR (23h), Get Sensor Event
 * Status (Sensor/Event 2Bh), Get Sensor Reading (2Dh). Others: C1h.
 * Record i (ID i) is sensor number i, LUN 0, owner 20h, as dbus-sdr
 * numbers its records from 0.
 *
 * Usage: ipmi-responder PATH   (on $DBUS_SYSTEM_BUS_ADDRESS)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "cable-ipmi.h"

#define BM_START     0xa0
#define BM_STOP	     0xa5
#define BM_HANDSHAKE 0xa6
#define BM_ESCAPE    0xaa
#define MSG_MAX	     64

#define BMC_SA	      0x20
#define NETFN_SENSOR  0x04
#define NETFN_APP     0x06
#define NETFN_STORAGE 0x0a

#define CC_OK	       0x00
#define CC_INVALID_CMD 0xc1
#define CC_LENGTH      0xc7
#define CC_RESERVATION 0xc5
#define CC_NOT_PRESENT 0xcb
#define CC_UNSPECIFIED 0xff

struct responder {
	sd_event *event;
	sd_bus *bus;
	struct cable_ipmi *cables;
	int master, slave;
	uint8_t in[MSG_MAX];
	size_t in_len;
	bool in_frame, in_escape;
	bool dirty; /* the library reported a change */
	uint16_t reservation;
	uint32_t added; /* seconds since the epoch of the last change */
};

static uint8_t checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)-s;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void on_changed(struct cable_ipmi *c, void *userdata)
{
	struct responder *s = userdata;

	s->dirty = true;
}

/* Rebuild after a change: new records, new timestamp, and every
 * reservation cancelled. */
static void refresh(struct responder *s)
{
	int r;

	if (!s->dirty)
		return;
	r = cable_ipmi_refresh(s->cables);
	if (r < 0) {
		fprintf(stderr, "ipmi-responder: refresh: %s\n", strerror(-r));
		return; /* try again at the next request */
	}
	s->dirty = false;
	s->added = (uint32_t)time(NULL);
	s->reservation++;
	if (s->reservation == 0)
		s->reservation = 1;
}

/* Handle one request; data and *len are the response data after the
 * completion code, which is returned. */
static uint8_t handle(struct responder *s, uint8_t netfn, uint8_t cmd,
		      const uint8_t *rq, size_t rq_len, uint8_t *data,
		      size_t *len)
{
	size_t count;
	int r;

	*len = 0;
	refresh(s);
	count = cable_ipmi_count(s->cables);
	if (netfn == NETFN_APP && cmd == 0x01) { /* Get Device ID, 20.1 */
		const uint8_t id[] = {
			0x20, 0x01, /* device 20h, rev 1, no device SDRs */
			0x01, 0x00, /* firmware 1.00, normal operation */
			0x02, /* IPMI 2.0 */
			0x03, /* SDR repository and sensor device */
			0x00, 0x00, 0x00, /* manufacturer: unspecified */
			0x00, 0x00, /* product */
		};
		memcpy(data, id, sizeof(id));
		*len = sizeof(id);
		return CC_OK;
	}
	if (netfn == NETFN_STORAGE && cmd == 0x20) { /* 33.9 */
		data[0] = 0x51;
		put_le16(data + 1, (uint16_t)count);
		put_le16(data + 3, 0x0000); /* free space: none */
		put_le32(data + 5, s->added);
		put_le32(data + 9, s->added);
		data[13] = 0x22; /* non-modal update, reserve supported */
		*len = 14;
		return CC_OK;
	}
	if (netfn == NETFN_STORAGE && cmd == 0x22) { /* 33.11 */
		put_le16(data, s->reservation);
		*len = 2;
		return CC_OK;
	}
	if (netfn == NETFN_STORAGE && cmd == 0x23) { /* Get SDR, 33.12 */
		uint8_t rec[CABLE_IPMI_RECORD_MAX];
		uint16_t resv, id, next;
		uint8_t offset, want;
		struct cable_ipmi_key key = { .owner_id = BMC_SA };

		if (rq_len != 6)
			return CC_LENGTH;
		resv = (uint16_t)(rq[0] | rq[1] << 8);
		id = (uint16_t)(rq[2] | rq[3] << 8);
		offset = rq[4];
		want = rq[5];
		if (offset && resv != s->reservation)
			return CC_RESERVATION;
		if (id == 0xffff) /* the last record */
			id = count ? (uint16_t)(count - 1) : 0;
		if (id >= count)
			return CC_NOT_PRESENT;
		key.record_id = id;
		key.sensor_number = (uint8_t)id;
		r = cable_ipmi_record(s->cables, id, &key, rec, sizeof(rec));
		if (r < 0)
			return CC_UNSPECIFIED;
		if (offset > r)
			return CC_NOT_PRESENT;
		if (want == 0xff || want > r - offset)
			want = (uint8_t)(r - offset);
		if (want > 30)
			return 0xca; /* cannot return that many bytes */
		next = id + 1u < count ? (uint16_t)(id + 1) : 0xffff;
		put_le16(data, next);
		memcpy(data + 2, rec + offset, want);
		*len = 2u + want;
		return CC_OK;
	}
	if (netfn == NETFN_SENSOR && (cmd == 0x2b || cmd == 0x2d)) {
		if (rq_len != 1)
			return CC_LENGTH;
		if (rq[0] >= count)
			return CC_NOT_PRESENT;
		r = cmd == 0x2b ?
			    cable_ipmi_event_status(s->cables, rq[0], data,
						    MSG_MAX) :
			    cable_ipmi_reading(s->cables, rq[0], data, MSG_MAX);
		if (r < 0)
			return CC_UNSPECIFIED;
		*len = (size_t)r;
		return CC_OK;
	}
	return CC_INVALID_CMD;
}

static void send_frame(struct responder *s, const uint8_t *msg, size_t n)
{
	uint8_t out[2 * MSG_MAX + 2];
	size_t o = 0;

	out[o++] = BM_START;
	for (size_t i = 0; i < n; i++) {
		switch (msg[i]) {
		case BM_START:
		case BM_STOP:
		case BM_HANDSHAKE:
		case BM_ESCAPE:
		case 0x1b:
			out[o++] = BM_ESCAPE;
			out[o++] = msg[i] == 0x1b ? 0x3b :
						    (uint8_t)(msg[i] + 0x10);
			break;
		default:
			out[o++] = msg[i];
		}
	}
	out[o++] = BM_STOP;
	if (write(s->master, out, o) != (ssize_t)o)
		fprintf(stderr, "ipmi-responder: short write\n");
}

/* A whole IPMB-style request: rsSA netFn/rsLUN chk1 rqSA rqSeq/rqLUN
 * cmd data chk2 (IPMI 2.0 section 14.4.2). */
static void on_message(struct responder *s, const uint8_t *m, size_t n)
{
	uint8_t rsp[MSG_MAX], data[MSG_MAX];
	size_t len;
	uint8_t cc;

	if (n < 7 || checksum(m, 2) != m[2] ||
	    checksum(m + 3, n - 4) != m[n - 1]) {
		fprintf(stderr, "ipmi-responder: bad request dropped\n");
		return;
	}
	cc = handle(s, m[1] >> 2, m[5], m + 6, n - 7, data, &len);
	rsp[0] = m[3]; /* rqSA */
	rsp[1] = (uint8_t)(((m[1] >> 2) | 1) << 2 | (m[4] & 3));
	rsp[2] = checksum(rsp, 2);
	rsp[3] = m[0]; /* rsSA */
	rsp[4] = (uint8_t)((m[4] & ~3) | (m[1] & 3));
	rsp[5] = m[5];
	rsp[6] = cc;
	memcpy(rsp + 7, data, len);
	rsp[7 + len] = checksum(rsp + 3, 4 + len);
	send_frame(s, rsp, 8 + len);
}

static int on_input(sd_event_source *es, int fd, uint32_t revents,
		    void *userdata)
{
	struct responder *s = userdata;
	uint8_t buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0)
		return 0;
	for (ssize_t i = 0; i < n; i++) {
		uint8_t b = buf[i];

		if (b == BM_START) {
			s->in_frame = true;
			s->in_escape = false;
			s->in_len = 0;
		} else if (!s->in_frame || b == BM_HANDSHAKE) {
			continue;
		} else if (b == BM_STOP) {
			s->in_frame = false;
			on_message(s, s->in, s->in_len);
		} else if (b == BM_ESCAPE) {
			s->in_escape = true;
		} else if (s->in_len == sizeof(s->in)) {
			s->in_frame = false; /* too long: dropped */
		} else {
			if (s->in_escape)
				b = b == 0x3b ? 0x1b : (uint8_t)(b - 0x10);
			s->in_escape = false;
			s->in[s->in_len++] = b;
		}
	}
	return 0;
}

/* A pty whose client side is linked at path; the responder keeps the
 * client side open too, so that the server side never reads a hang-up
 * between two ipmitool runs. */
static int open_pty(struct responder *s, const char *path)
{
	struct termios t;
	const char *name;

	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) < 0 ||
	    unlockpt(s->master) < 0 || !(name = ptsname(s->master)))
		return -errno;
	s->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave < 0 || tcgetattr(s->slave, &t) < 0)
		return -errno;
	cfmakeraw(&t);
	if (tcsetattr(s->slave, TCSANOW, &t) < 0)
		return -errno;
	(void)unlink(path);
	if (symlink(name, path) < 0)
		return -errno;
	return 0;
}

int main(int argc, char *argv[])
{
	struct responder s = { .master = -1, .slave = -1, .dirty = true };
	int r;

	if (argc != 2) {
		fprintf(stderr, "Usage: ipmi-responder PATH\n");
		return EXIT_FAILURE;
	}
	r = open_pty(&s, argv[1]);
	if (r >= 0)
		r = sd_event_default(&s.event);
	if (r >= 0)
		r = sd_bus_open_system(&s.bus);
	if (r >= 0)
		r = sd_bus_attach_event(s.bus, s.event, 0);
	if (r >= 0)
		r = cable_ipmi_new(s.bus, &s.cables);
	if (r >= 0)
		r = cable_ipmi_set_changed_callback(s.cables, on_changed, &s);
	if (r >= 0)
		r = sd_event_add_io(s.event, NULL, s.master, EPOLLIN, on_input,
				    &s);
	if (r >= 0) {
		refresh(&s);
		printf("ready\n");
		fflush(stdout);
		r = sd_event_loop(s.event);
	}
	if (r < 0)
		fprintf(stderr, "ipmi-responder: %s\n", strerror(-r));
	cable_ipmi_free(s.cables);
	sd_bus_flush_close_unref(s.bus);
	sd_event_unref(s.event);
	if (s.slave >= 0)
		close(s.slave);
	if (s.master >= 0)
		close(s.master);
	unlink(argv[1]);
	return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
