/* SPDX-License-Identifier: Apache-2.0 */
/* See standin-link.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "log.h"
#include "standin-link.h"

/* DSP0236 1.3.1 Table 12, DSP0239 1.10.0 */
#define CTRL_TYPE	  0x00
#define CTRL_RQ		  0x80
#define CMD_SET_EID	  0x01
#define CMD_GET_EID	  0x02
#define CMD_GET_UUID	  0x03
#define CMD_GET_MSG_TYPES 0x05
#define CC_SUCCESS	  0x00
#define SET_EID_OP_SET	  0x00
#define REPLY_MAX	  8192
#define CTRL_MSG_MAX	  64

uint64_t link_usec(const struct link_ctx *l, uint64_t usec)
{
	double s = l->scale > 0 ? l->scale : 1.0;

	return (uint64_t)((double)usec * s);
}

static void sleep_usec(uint64_t usec)
{
	struct timespec ts = { .tv_sec = (time_t)(usec / 1000000),
			       .tv_nsec = (long)(usec % 1000000) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int hex_decode(const char *s, uint8_t *out, size_t max, size_t *ret)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -EPROTO;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -EPROTO;
		out[i] = (uint8_t)v;
	}
	*ret = n / 2;
	return 0;
}

/* Ask the emulator; 1 with the response, 0 when the device is silent. */
static int emu_ask(struct link_ctx *l, uint32_t bus, uint8_t addr,
		   const uint8_t *req, size_t len, uint8_t *resp,
		   size_t *resp_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[256], hex[2 * CTRL_MSG_MAX + 1], reply[REPLY_MAX];
	json_object *j, *v;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	if (strlen(l->emu_control) >= sizeof(sa.sun_path) || len > CTRL_MSG_MAX)
		return -EINVAL;
	strcpy(sa.sun_path, l->emu_control);
	for (size_t i = 0; i < len; i++)
		snprintf(hex + 2 * i, 3, "%02x", req[i]);
	hex[2 * len] = '\0';
	snprintf(line, sizeof(line),
		 "{\"mctp_control\": {\"bus\": %u, \"address\": %u, "
		 "\"request\": \"%s\"}}\n",
		 bus, addr, hex);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		r = -errno;
		close(fd);
		return r ? r : -EIO;
	}
	while (got < sizeof(reply) - 1 &&
	       (n = read(fd, reply + got, sizeof(reply) - 1 - got)) > 0) {
		got += (size_t)n;
		if (memchr(reply, '\n', got))
			break;
	}
	close(fd);
	reply[got] = '\0';
	j = json_tokener_parse(reply);
	if (!j)
		return -EBADMSG;
	if (!json_object_object_get_ex(j, "ok", &v) ||
	    !json_object_get_boolean(v)) {
		log_warning("emulator refused mctp_control: %s", reply);
		json_object_put(j);
		return -EIO;
	}
	r = 0;
	if (json_object_object_get_ex(j, "response", &v) &&
	    json_object_is_type(v, json_type_string)) {
		r = hex_decode(json_object_get_string(v), resp, CTRL_MSG_MAX,
			       resp_len);
		if (r == 0)
			r = 1;
	}
	json_object_put(j);
	return r;
}

/* One request/response: checks the header, returns the payload after
 * the completion code. */
static int query(struct link_ctx *l, uint32_t bus, uint8_t addr, uint8_t cmd,
		 const uint8_t *args, size_t n_args, uint8_t *out,
		 size_t min_len, size_t max_len)
{
	uint8_t req[CTRL_MSG_MAX], resp[CTRL_MSG_MAX];
	uint8_t iid = l->iid++ & 0x1f;
	size_t len = 0;
	int r;

	if (!l->emu_control)
		return -ENOTCONN;
	req[0] = CTRL_TYPE;
	req[1] = CTRL_RQ | iid;
	req[2] = cmd;
	if (n_args)
		memcpy(req + 3, args, n_args);
	l->requests++;
	r = emu_ask(l, bus, addr, req, 3 + n_args, resp, &len);
	if (r < 0)
		return r;
	if (r == 0) {
		/* mctpd waits for its timeout, blocking everything else */
		sleep_usec(link_usec(l, LINK_TIMEOUT_USEC));
		return -ETIMEDOUT;
	}
	if (len < 4 || resp[0] != CTRL_TYPE || (resp[1] & CTRL_RQ) ||
	    (resp[1] & 0x1f) != iid || resp[2] != cmd ||
	    resp[3] != CC_SUCCESS || len - 4 < min_len)
		return -EPROTO;
	len -= 4;
	memcpy(out, resp + 4, len < max_len ? len : max_len);
	return (int)len;
}

int link_get_eid(struct link_ctx *l, uint32_t bus, uint8_t addr,
		 uint8_t *ret_eid)
{
	uint8_t out[3];
	int r = query(l, bus, addr, CMD_GET_EID, NULL, 0, out, sizeof(out),
		      sizeof(out));

	if (r < 0)
		return r;
	*ret_eid = out[0];
	return 0;
}

int link_set_eid(struct link_ctx *l, uint32_t bus, uint8_t addr, uint8_t eid,
		 uint8_t *ret_eid)
{
	const uint8_t args[] = { SET_EID_OP_SET, eid };
	uint8_t out[3];
	int r = query(l, bus, addr, CMD_SET_EID, args, sizeof(args), out,
		      sizeof(out), sizeof(out));

	if (r < 0)
		return r;
	/* assignment status, bits 5:4: 00b accepted */
	if ((out[0] >> 4) & 0x3)
		return -EPROTO;
	*ret_eid = out[1];
	return 0;
}

int link_get_uuid(struct link_ctx *l, uint32_t bus, uint8_t addr,
		  uint8_t uuid[16])
{
	int r = query(l, bus, addr, CMD_GET_UUID, NULL, 0, uuid, 16, 16);

	return r < 0 ? r : 0;
}

int link_get_types(struct link_ctx *l, uint32_t bus, uint8_t addr,
		   uint8_t *types, size_t *n)
{
	uint8_t out[CTRL_MSG_MAX];
	size_t count;
	int r = query(l, bus, addr, CMD_GET_MSG_TYPES, NULL, 0, out, 1,
		      sizeof(out));

	if (r < 0)
		return r;
	count = out[0];
	if ((size_t)r < 1 + count || count + 1 > *n)
		return -EPROTO;
	/* the response lists the types besides control (DSP0236 §12.7) */
	types[0] = CTRL_TYPE;
	*n = 1;
	for (size_t i = 0; i < count; i++)
		if (out[1 + i] != CTRL_TYPE)
			types[(*n)++] = out[1 + i];
	return 0;
}
