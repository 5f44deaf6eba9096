/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "bus-util.h"
#include "macros.h"

#define CREDS_MASK                               \
	(SD_BUS_CREDS_EUID | SD_BUS_CREDS_EGID | \
	 SD_BUS_CREDS_SUPPLEMENTARY_GIDS | SD_BUS_CREDS_AUGMENT)

/* An unreasonably large group entry (members listed) is refused. */
#define GROUP_BUF_MAX (1024 * 1024)

static void creds_unrefp(sd_bus_creds **c)
{
	sd_bus_creds_unref(*c);
}

/* 1 when group is among the supplementary gids, 0 when not, or -errno. */
static int in_supplementary(sd_bus_creds *c, gid_t group)
{
	const gid_t *gids;
	int n = sd_bus_creds_get_supplementary_gids(c, &gids);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (gids[i] == group)
			return 1;
	return 0;
}

/* The decision, on credentials with the effective ids (and the
 * supplementary groups when have_group). */
static int creds_allowed(sd_bus_creds *c, uid_t euid, gid_t group,
			 bool have_group)
{
	gid_t egid;
	int r;

	if (euid == 0)
		return 1;
	if (!have_group)
		return 0;
	r = sd_bus_creds_get_egid(c, &egid);
	if (r < 0)
		return r;
	if (egid == group)
		return 1;
	return in_supplementary(c, group);
}

int bus_sender_allowed(sd_bus_message *m, gid_t group, bool have_group)
{
	_cleanup_(creds_unrefp) sd_bus_creds *c = NULL;
	uid_t euid;
	int r;

	if (!m)
		return -EINVAL;
	r = sd_bus_query_sender_creds(m, CREDS_MASK, &c);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(c, &euid);
	if (r < 0)
		return r;
	return creds_allowed(c, euid, group, have_group);
}

struct sender_check {
	sd_bus_message *call;
	gid_t group;
	bool have_group;
	bus_sender_checked_t done;
	void *userdata;
};

struct peer {
	uint32_t uid, pid;
	bool have_uid, have_pid;
};

static int peer_field(sd_bus_message *m, const char *key, const char *contents,
		      void *userdata)
{
	struct peer *p = userdata;

	if (strcmp(contents, "u") != 0)
		return 0;
	if (strcmp(key, "UnixUserID") == 0) {
		p->have_uid = true;
		return sd_bus_message_read(m, "v", "u", &p->uid) < 0 ?
			       -EBADMSG :
			       1;
	}
	if (strcmp(key, "ProcessID") == 0) {
		p->have_pid = true;
		return sd_bus_message_read(m, "v", "u", &p->pid) < 0 ?
			       -EBADMSG :
			       1;
	}
	return 0;
}

/* The bus daemon's answer: the uid it saw at connect (SO_PEERCRED, the
 * effective one) and the pid, whose groups are read from /proc as
 * sd-bus's SD_BUS_CREDS_AUGMENT does for bus_sender_allowed(). */
static int on_credentials(sd_bus_message *reply, void *userdata,
			  sd_bus_error *ret_error)
{
	struct sender_check *k = userdata;
	_cleanup_(creds_unrefp) sd_bus_creds *c = NULL;
	struct peer p = { 0 };
	int r;

	if (sd_bus_message_is_method_error(reply, NULL)) {
		r = sd_bus_message_get_errno(reply);
		r = r > 0 ? -r : -EIO;
	} else
		r = bus_for_each_prop(reply, peer_field, &p);
	if (r >= 0 && (!p.have_uid || !p.have_pid))
		r = -ENODATA;
	if (r >= 0 && p.uid != 0 && k->have_group)
		r = sd_bus_creds_new_from_pid(
			&c, (pid_t)p.pid,
			SD_BUS_CREDS_EGID | SD_BUS_CREDS_SUPPLEMENTARY_GIDS);
	if (r >= 0)
		r = creds_allowed(c, p.uid, k->group, k->have_group);
	k->done(k->call, r, k->userdata);
	sd_bus_message_unref(k->call);
	free(k);
	return 0;
}

int bus_sender_check_async(sd_bus_message *m, gid_t group, bool have_group,
			   bus_sender_checked_t done, void *userdata)
{
	struct sender_check *k;
	const char *sender = m ? sd_bus_message_get_sender(m) : NULL;
	int r;

	if (!sender || !done)
		return -EINVAL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	*k = (struct sender_check){ .call = sd_bus_message_ref(m),
				    .group = group,
				    .have_group = have_group,
				    .done = done,
				    .userdata = userdata };
	r = sd_bus_call_method_async(
		sd_bus_message_get_bus(m), NULL, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus",
		"GetConnectionCredentials", on_credentials, k, "s", sender);
	if (r < 0) {
		sd_bus_message_unref(k->call);
		free(k);
	}
	return r;
}

int access_group_lookup(const char *name, gid_t *ret)
{
	long hint = sysconf(_SC_GETGR_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 1024;

	if (!name || !*name || !ret)
		return -EINVAL;
	for (;;) {
		_cleanup_free_ char *buf = malloc(size);
		struct group grp, *found = NULL;
		int r;

		if (!buf)
			return -ENOMEM;
		r = getgrnam_r(name, &grp, buf, size, &found);
		if (r == ERANGE && size < GROUP_BUF_MAX) {
			size *= 2;
			continue;
		}
		if (found) {
			*ret = found->gr_gid;
			return 0;
		}
		/* getgrnam_r(3): 0, ENOENT, ESRCH, EBADF and EPERM all
		 * may mean "no such group". */
		if (r == 0 || r == ENOENT || r == ESRCH || r == EBADF ||
		    r == EPERM)
			return -ENOENT;
		return -r;
	}
}
