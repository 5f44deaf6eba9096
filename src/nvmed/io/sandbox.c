// SPDX-License-Identifier: Apache-2.0
/* See sandbox.h. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
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
 * net/mctp/af_mctp.c): it clears its effective set but keeps the
 * permitted one, for the workers it execs (below).
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

/*
 * What a worker holds after nvmed's execve(2), capabilities(7),
 * "Transformation of capabilities during execve()": P'(permitted) =
 * (P(inheritable) & F(inheritable)) | (F(permitted) & P(bounding)) |
 * P'(ambient), and P'(effective) = F(effective) ? P'(permitted) :
 * P'(ambient). The worker programs carry no file capabilities, so:
 *
 * - nvmed as root (the unit): "Capabilities and execution of programs by
 *   root" makes F(inheritable) and F(permitted) all ones and F(effective)
 *   set, so the worker's permitted and effective sets are the bounding
 *   set (CapabilityBoundingSet= of the unit), whatever nvmed's effective
 *   set was. Under NoNewPrivileges= (prctl(2) PR_SET_NO_NEW_PRIVS: execve(2)
 *   "promises not to grant privileges to do anything that could not have
 *   been done without the execve(2) call") the new permitted set is cut
 *   to the caller's (security/commoncap.c, cap_bprm_creds_from_file).
 *   That is why nvmed keeps its permitted set. Root outside the unit
 *   (tests, a shell) would hand the worker the whole bounding set.
 * - nvmed not root, no ambient set (the tests unprivileged): P'(permitted)
 *   is empty, as is the worker's effective set; the worker needs none
 *   with the emulated devices.
 * - nvmed not root with AmbientCapabilities=: the ambient set survives
 *   the execve into the permitted and effective sets.
 *
 * So the worker does not need to raise anything: it drops what it does
 * not need, keeping at most WORKER_CAPS permitted and effective (the
 * unit's set; the bounding set is unchanged, which needs CAP_SETPCAP),
 * no inheritable and no ambient capability, before it talks to a device.
 */
#define CAP_BIT(c)  (1ULL << (c))
#define WORKER_CAPS (CAP_BIT(CAP_NET_ADMIN) | CAP_BIT(CAP_NET_RAW))

int sandbox_worker_caps(void)
{
	struct __user_cap_header_struct h = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		uint32_t keep = (uint32_t)(WORKER_CAPS >> (32 * i));

		d[i].permitted &= keep;
		d[i].effective = d[i].permitted;
		d[i].inheritable = 0;
	}
	if (syscall(SYS_capset, &h, d) < 0) {
		int r = -errno;

		fprintf(stderr, "<3>nvmed I/O worker: capset: %s\n",
			strerror(-r));
		return r;
	}
	/* emptied with the inheritable set already (capabilities(7)); for
	 * kernels before 4.3 EINVAL, nothing to clear */
	(void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
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
 * devices and to nvmed, nothing else. It cannot start programs (it is
 * exec'd already) or processes (threads only), trace or signal others, change namespaces or
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
