// SPDX-License-Identifier: Apache-2.0
/* See sandbox.h. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#ifdef HAVE_LIBSECCOMP
#include <sched.h>
#include <seccomp.h>
#endif

#include "macros.h"
#include "sandbox.h"

/*
 * The process serving D-Bus needs none of the unit's capabilities
 * (CAP_NET_ADMIN, CAP_NET_RAW: MCTP tag allocation and sockets,
 * net/mctp/af_mctp.c): it keeps them permitted, for the workers it forks,
 * but not effective; each worker makes its permitted set effective again.
 * capget(2)/capset(2), version 3 (64-bit sets).
 */
int sandbox_caps_effective(bool on)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		d[i].effective = on ? d[i].permitted : 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}

/* Every inherited descriptor but keep and stdio. */
void sandbox_close_others(int keep)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int dfd;

	if (!d)
		return;
	dfd = dirfd(d);
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end || fd <= 2 || fd == keep || fd == dfd)
			continue;
		close((int)fd);
	}
	closedir(d);
}

/*
 * The worker's own confinement, on top of the unit's: it talks to its
 * devices and to nvmed, nothing else. It cannot start programs or
 * processes (threads only), trace or signal others, change namespaces or
 * mounts, or open IP, netlink or packet sockets (AF_MCTP and AF_UNIX stay:
 * the devices, and nvmed's socketpair). Refused calls fail with EPERM.
 */
void sandbox_confine(void)
{
#ifdef HAVE_LIBSECCOMP
	static const int denied[] = {
		SCMP_SYS(execve),
		SCMP_SYS(execveat),
		SCMP_SYS(fork),
		SCMP_SYS(vfork),
		SCMP_SYS(clone3),
		SCMP_SYS(ptrace),
		SCMP_SYS(process_vm_readv),
		SCMP_SYS(process_vm_writev),
		SCMP_SYS(kill),
		SCMP_SYS(mount),
		SCMP_SYS(umount2),
		SCMP_SYS(pivot_root),
		SCMP_SYS(chroot),
		SCMP_SYS(setns),
		SCMP_SYS(unshare),
		SCMP_SYS(bind),
		SCMP_SYS(listen),
		SCMP_SYS(accept),
		SCMP_SYS(accept4),
	};
	static const int families[] = { AF_INET, AF_INET6, AF_NETLINK,
					AF_PACKET };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(denied); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	/* clone: threads only */
	if (r >= 0)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
			SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, 0));
	/* (SCMP_A0 with one datum leaves datum_b to the compiler, which
	 * clang's -Wmissing-field-initializers reports: spelt out.) */
	for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(families); i++)
		r = seccomp_rule_add(
			ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
			(struct scmp_arg_cmp){
				.arg = 0,
				.op = SCMP_CMP_EQ,
				.datum_a = (scmp_datum_t)families[i],
				.datum_b = 0,
			});
	if (r >= 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0)
		fprintf(stderr, "<4>nvmed I/O worker: no seccomp filter: %s\n",
			strerror(-r));
#endif
}
