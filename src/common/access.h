/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who may call a method: the caller's credentials against root and one
 * group. The bus policy (service_files/xyz.openbmc_project.NVMe.conf.in) is
 * the first gate; a daemon checks again with these, so that a bus without
 * that policy installed does not open the methods to everyone.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

/*
 * Whether the sender of m may call: 1 when its effective uid is 0, or,
 * when have_group, when group is its effective gid or one of its
 * supplementary groups; 0 when not; -errno when its credentials cannot be
 * read (callers treat that as a refusal). The credentials are the bus's
 * (org.freedesktop.DBus.GetConnectionCredentials on dbus-daemon, see
 * sd_bus_query_sender_creds(3)), with what the bus does not report
 * (the effective ids on dbus-daemon) read from /proc/<pid>/status
 * (SD_BUS_CREDS_AUGMENT).
 */
int bus_sender_allowed(sd_bus_message *m, gid_t group, bool have_group);

/*
 * bus_sender_allowed() without waiting on the bus: the bus daemon is
 * asked for the sender's credentials (GetConnectionCredentials,
 * asynchronously; its uid is the effective one at connect, SO_PEERCRED)
 * and the groups of its pid read from /proc, as sd-bus augments them.
 * done(m, allowed, userdata) is called once from the event loop with 1,
 * 0 or -errno, holding a reference to m. Returns 0, or -errno (done is
 * not called).
 */
typedef void (*bus_sender_checked_t)(sd_bus_message *m, int allowed,
				     void *userdata);
int bus_sender_check_async(sd_bus_message *m, gid_t group, bool have_group,
			   bus_sender_checked_t done, void *userdata);

/*
 * The gid of group name (getgrnam_r(3)). Returns 0, -ENOENT when there is
 * no such group, or another -errno when the group database cannot be
 * read.
 */
int access_group_lookup(const char *name, gid_t *ret);
