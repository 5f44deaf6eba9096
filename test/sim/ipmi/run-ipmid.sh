#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
#
# run-ipmid.sh TTY: run an already built phosphor-host-ipmid (with the
# dbus-sdr change of src/cable-ipmi/ipmid/), its serialbridged and the
# phosphor-objmgr mapper on $DBUS_SYSTEM_BUS_ADDRESS, the IPMI serial port
# reachable for ipmitool at TTY (a socat pty pair). Prints "ready", then
# runs until SIGTERM. Used by test-cable-ipmid; builds and fetches nothing.
#
# TB_IPMID_PREFIX is the prefix the programs were installed to: ipmid,
# serialbridged and mapperx are looked for in its bin/, sbin/ and
# libexec/ (any depth), its lib/ goes on LD_LIBRARY_PATH. ipmid loads its
# providers from the path it was built with (-Dhost-ipmi-lib-path).
#
# ipmid reads and writes fixed paths (phosphor-host-ipmid
# user_channel/channel_mgmt.cpp, user_mgmt.cpp, apphandler.cpp):
# /usr/share/ipmi-providers, /var/lib/ipmi, /run/ipmi and /etc. It runs in
# a mount namespace of its own with those trees overlaid on directories
# under TTY's directory, so the host's are never touched (needs root).
set -euo pipefail

tty=${1:?usage: run-ipmid.sh TTY}
prefix=${TB_IPMID_PREFIX:?TB_IPMID_PREFIX names the prefix of the built programs}
work=$(cd "$(dirname "$tty")" && pwd)/ipmid

if [[ -z ${RUN_IPMID_NS:-} ]]; then
	mkdir -p "$work"
	RUN_IPMID_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

prog() {
	local p
	p=$(find "$prefix/bin" "$prefix/sbin" "$prefix/libexec" -name "$1" \
		-type f -perm -u+x 2>/dev/null | head -n1)
	[[ -n $p ]] || { echo "run-ipmid: no $1 under $prefix" >&2; exit 1; }
	echo "$p"
}
ipmid=$(prog ipmid)
bridge=$(prog serialbridged)
mapper=$(prog mapperx)
libs=$(find "$prefix" -name 'lib*.so*' -printf '%h\n' | sort -u | tr '\n' ':')
export LD_LIBRARY_PATH=${libs}${LD_LIBRARY_PATH:-}
# serialbridged picks its bus by DBUS_STARTER_BUS_TYPE (sd-bus's
# sd_bus_default); phosphor-logging writes to stderr, not the journal.
export DBUS_STARTER_BUS_TYPE=system
export DBUS_STARTER_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
export LG2_FORCE_STDERR=1

for d in usr/share var/lib run etc; do
	n=${d//\//-}
	mkdir -p "$work/$n.upper" "$work/$n.work"
	mount -t overlay overlay -o \
		"lowerdir=/$d,upperdir=$work/$n.upper,workdir=$work/$n.work" "/$d"
done
mkdir -p /usr/share/ipmi-providers /var/lib/ipmi /run/ipmi

# The device as a channel: the 20h BMC, IPMI 2.0, SDR repository device
# and sensor device (IPMI 2.0 section 20.1), OpenBMC's IANA number.
cat >/usr/share/ipmi-providers/dev_id.json <<'JSON'
{"id": 32, "revision": 1, "addn_dev_support": 3, "manuf_id": 49871,
 "prod_id": 1, "aux": 0}
JSON
# Channels: D-Bus callers (serialbridged) that name no channel are
# treated as the one named INTRABMC (phosphor-host-ipmid ipmid-new.cpp).
channel() { # number name medium protocol session
	printf '"%s": {"name": "%s", "is_valid": true, "active_sessions": 0,
 "channel_info": {"medium_type": "%s", "protocol_type": "%s",
 "session_supported": "%s", "is_ipmi": true}}' "$@"
}
{
	echo "{"
	channel 0 IPMB ipmb ipmb-1.0 session-less
	echo ","
	channel 8 INTRABMC oem oem session-less
	echo ","
	channel 15 SYSTEM_INTERFACE system-interface kcs session-less
	echo "}"
} >/usr/share/ipmi-providers/channel_config.json
cat >/usr/share/ipmi-providers/channel_access.json <<'JSON'
{"8": {"access_mode": "always_available", "user_auth_disabled": false,
       "per_msg_auth_disabled": false, "alerting_disabled": false,
       "priv_limit": "priv-admin"}}
JSON

pids=()
cleanup() {
	trap - EXIT TERM INT
	((${#pids[@]})) && kill "${pids[@]}" 2>/dev/null
	wait
}
trap cleanup EXIT
trap 'exit 0' TERM INT

has_name() { busctl --system list --no-legend 2>/dev/null | grep -q "^$1 "; }
wait_name() {
	for _ in $(seq 200); do
		has_name "$1" && return 0
		sleep 0.1
	done
	echo "run-ipmid: $1 did not come up" >&2
	exit 1
}

"$mapper" &
pids+=($!)
wait_name xyz.openbmc_project.ObjectMapper
"$ipmid" &
pids+=($!)
wait_name xyz.openbmc_project.Ipmi.Host
socat pty,raw,echo=0,link="$work/bmc-tty" pty,raw,echo=0,link="$tty" &
pids+=($!)
for _ in $(seq 100); do
	[[ -L $tty && -L $work/bmc-tty ]] && break
	sleep 0.05
done
dev=$(readlink "$work/bmc-tty")
"$bridge" -d "${dev#/dev/}" &
pids+=($!)
sleep 0.5
kill -0 "${pids[@]}"
echo ready
wait -n
echo "run-ipmid: a program exited" >&2
exit 1
