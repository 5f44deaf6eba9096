#!/bin/bash
# Guest-side fixtures of the real-kernel test tier (sourced by the t-*.sh
# scripts): checks, waits with deadlines, the private system bus, gpio-sim
# chips through configfs, and MCTP serial links served by nvme-mi-emu.
# Programs come from the build directory through the TB_* variables that
# run-vm.sh passes in.

KT_GUEST=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KT_LOGS=/run/kt/logs
mkdir -p "$KT_LOGS"
KT_PIDS=()
kt_failures=0
kt_checks=0

kt_log() { echo "[$(cut -d' ' -f1 /proc/uptime)] $*"; }

# Show a daemon's log when something failed (a script that logs elsewhere,
# to the journal, defines kt_collect_logs to bring them into $KT_LOGS).
kt_dump_logs() {
	local f
	! declare -F kt_collect_logs >/dev/null || kt_collect_logs
	for f in "$KT_LOGS"/*.log; do
		[[ -s $f ]] || continue
		echo "----- $f (last 40 lines) -----"
		tail -n 40 "$f"
	done
}

kt_ok() {
	kt_checks=$((kt_checks + 1))
	kt_log "ok $kt_checks - $*"
}

kt_not_ok() {
	kt_checks=$((kt_checks + 1))
	kt_failures=$((kt_failures + 1))
	kt_log "not ok $kt_checks - $*"
}

# check DESCRIPTION CMD...: run CMD once.
check() {
	local what=$1
	shift
	if "$@"; then kt_ok "$what"; else kt_not_ok "$what"; fi
}

# wait_for SECONDS DESCRIPTION CMD...: retry CMD every 50 ms until it
# succeeds or the deadline passes. Returns CMD's last status.
wait_for() {
	local secs=$1 what=$2
	shift 2
	local end=$((${EPOCHREALTIME/./} + secs * 1000000))
	while :; do
		if "$@"; then
			kt_ok "$what"
			return 0
		fi
		if ((${EPOCHREALTIME/./} > end)); then
			kt_not_ok "$what (not within ${secs} s)"
			return 1
		fi
		sleep 0.05
	done
}

# Quiet variant for setup steps: fail the test at once.
need() {
	local secs=$1 what=$2
	shift 2
	local end=$((${EPOCHREALTIME/./} + secs * 1000000))
	until "$@"; do
		if ((${EPOCHREALTIME/./} > end)); then
			kt_log "setup failed: $what"
			kt_dump_logs
			exit 1
		fi
		sleep 0.05
	done
}

# spawn NAME CMD...: start a background process, its output in
# $KT_LOGS/NAME.log; its pid in KT_PID_<NAME>.
spawn() {
	local name=$1
	shift
	"$@" >"$KT_LOGS/$name.log" 2>&1 &
	local pid=$!
	KT_PIDS+=("$pid")
	printf -v "KT_PID_${name//[^A-Za-z0-9_]/_}" %s "$pid"
}

# stop PID: SIGTERM and wait; returns its exit status.
stop() {
	local pid=$1 rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	return $rc
}

kt_finish() {
	local pid
	for pid in "${KT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	if ((kt_failures)); then
		kt_dump_logs
		kt_log "$kt_failures of $kt_checks checks failed"
		exit 1
	fi
	kt_log "all $kt_checks checks passed"
	exit 0
}

# ---- D-Bus ----

bus_start() {
	mkdir -p /run/kt
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/kt/system_bus_socket
	spawn dbus-daemon dbus-daemon --nofork --nopidfile \
		--config-file="$KT_GUEST/dbus-system.conf"
	need 10 "dbus-daemon" busctl --system call org.freedesktop.DBus \
		/org/freedesktop/DBus org.freedesktop.DBus GetId >/dev/null 2>&1
}

has_name() {
	[[ $(busctl --system call org.freedesktop.DBus /org/freedesktop/DBus \
		org.freedesktop.DBus NameHasOwner s "$1" 2>/dev/null) == "b true" ]]
}

# prop SERVICE PATH IFACE PROP: the value as busctl prints it ("b true").
prop() {
	busctl --system get-property "$1" "$2" "$3" "$4" 2>/dev/null
}

# prop_is EXPECTED SERVICE PATH IFACE PROP
prop_is() {
	local want=$1
	shift
	[[ $(prop "$@") == "$want" ]]
}

# ---- gpio-sim ----

GPIOSIM=/sys/kernel/config/gpio-sim

# gpiosim_create CHIP NAME0 NAME1 ...: a chip with one bank, a line per
# name ("-" leaves a line unnamed); not live yet.
gpiosim_create() {
	local chip=$1 i=0 n
	shift
	mkdir "$GPIOSIM/$chip" "$GPIOSIM/$chip/bank0" || return 1
	echo "$#" >"$GPIOSIM/$chip/bank0/num_lines"
	echo "kt-$chip" >"$GPIOSIM/$chip/bank0/label"
	for n in "$@"; do
		if [[ $n != - ]]; then
			mkdir "$GPIOSIM/$chip/bank0/line$i"
			echo "$n" >"$GPIOSIM/$chip/bank0/line$i/name"
		fi
		i=$((i + 1))
	done
}

# gpiosim_live CHIP 0|1
gpiosim_live() { echo "$2" >"$GPIOSIM/$1/live"; }

# gpiosim_sysfs CHIP: the chip's sim_gpio directory root.
gpiosim_sysfs() {
	echo "/sys/devices/platform/$(<"$GPIOSIM/$1/dev_name")/$(<"$GPIOSIM/$1/bank0/chip_name")"
}

# gpiosim_pull CHIP OFFSET up|down
gpiosim_pull() { echo "pull-$3" >"$(gpiosim_sysfs "$1")/sim_gpio$2/pull"; }

gpiosim_destroy() {
	local chip=$1 d
	[[ -d $GPIOSIM/$chip ]] || return 0
	[[ $(<"$GPIOSIM/$chip/live") == 1 ]] && gpiosim_live "$chip" 0
	for d in "$GPIOSIM/$chip"/bank0/line*; do
		[[ -d $d ]] && rmdir "$d"
	done
	rmdir "$GPIOSIM/$chip/bank0" "$GPIOSIM/$chip"
}

# ---- MCTP over serial, served by nvme-mi-emu ----

# emu_start SCENARIO LOCAL_EID EID...: one serial link carrying every EID,
# served by nvme-mi-emu with its control socket at /run/kt/emu.ctl.
emu_start() {
	local scenario=$1 local_eid=$2 eid routes=()
	shift 2
	for eid in "$@"; do
		routes+=(--route "$eid")
	done
	spawn emu "$TB_KT_MCTP_LINK" --local-eid "$local_eid" "${routes[@]}" \
		-- "$TB_NVME_MI_EMU" -v --scenario "$scenario" \
		--control /run/kt/emu.ctl
	need 10 "nvme-mi-emu on a serial link" test -S /run/kt/emu.ctl
	KT_MCTP_IF=$(head -n1 "$KT_LOGS/emu.log")
	kt_log "MCTP serial link $KT_MCTP_IF: local EID $local_eid, routes $*"
}

# emu_ctl JSON: one control request; prints the reply, fails unless ok.
emu_ctl() {
	local reply
	reply=$(printf '%s\n' "$1" | "$TB_KT_CTL" /run/kt/emu.ctl) || return 1
	echo "$reply"
	[[ $reply == *'"ok":true'* ]]
}

# emu_get EID FIELD: a field of the drive's state.
emu_get() {
	emu_ctl "{\"get\":{\"eid\":$1}}" |
		sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"
}
