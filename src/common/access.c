/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include "access.h"
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

int bus_sender_allowed(sd_bus_message *m, gid_t group, bool have_group)
{
	_cleanup_(creds_unrefp) sd_bus_creds *c = NULL;
	uid_t euid;
	gid_t egid;
	int r;

	if (!m)
		return -EINVAL;
	r = sd_bus_query_sender_creds(m, CREDS_MASK, &c);
	if (r < 0)
		return r;
	r = sd_bus_creds_get_euid(c, &euid);
	if (r < 0)
		return r;
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
