#!/bin/bash
# The guest itself: boot time, and the kernel features the tier relies on.
source "$(dirname "$0")/lib.sh"

kt_log "boot: uptime $(cut -d' ' -f1 /proc/uptime) s at test start"
check "kernel 6.1" grep -q '^6\.1\.' /proc/sys/kernel/osrelease
check "gpio-sim configfs" test -d /sys/kernel/config/gpio-sim
check "AF_MCTP in /proc/net/protocols" grep -q '^MCTP' /proc/net/protocols
check "root is read-only 9p under an overlay" \
	grep -q '^overlay / overlay' /proc/mounts
check "the build directory is writable" touch "$KT_RUNDIR/written"
bus_start
check "private system bus" has_name org.freedesktop.DBus
kt_finish
