#!/bin/bash
# Both daemons as shipped, under the host's systemd as PID 1 (run-vm.sh
# KT_SYSTEMD=1): the build is installed as a package would install it
# (meson install --destdir, unpacked over the guest's root), the units and
# D-Bus policies exactly as installed, and each daemon checked inside its
# own sandbox against real kernel devices: gpio-sim lines, an SMBus
# basic-command drive on i2c-stub (/dev/i2c-N), an NVMe-MI drive over
# AF_MCTP on an mctp-serial link, its endpoint set up by the mctpd
# stand-in running as mctpd.service. Then the service behaviour: Type=dbus
# readiness, Restart=always, a clean stop, the journal's priorities; and a
# report of systemd-analyze security and of the start-up times.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nvme-lib.sh"

CABLE_SVC=xyz.openbmc_project.GPIOCableSensing
EM_SVC=xyz.openbmc_project.EntityManager
CABLE_UNIT=$CABLE_SVC.service
NVME_UNIT=$NVME_SVC.service
EM_UNIT=$EM_SVC.service
MCTPD_UNIT=mctpd.service
ITEM=/xyz/openbmc_project/inventory/item
I_ITEM=xyz.openbmc_project.Inventory.Item

# The daemons under test get no LD_LIBRARY_PATH from their units: a build
# against other libraries (Debian 13's, in a private prefix) has them
# installed below /usr/local, as an integrator would.
libdir=${LD_LIBRARY_PATH:-}
unset LD_LIBRARY_PATH

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
unit_prop() { systemctl show -p "$2" --value "$1"; }
present_is() { prop_is "b $2" $CABLE_SVC "$ITEM/$1" $I_ITEM Present; }

kt_collect_logs() {
	local u
	for u in $CABLE_UNIT $NVME_UNIT $EM_UNIT $MCTPD_UNIT; do
		journalctl -q --no-pager -b -u "$u" -o short-monotonic >"$KT_LOGS/$u.log"
	done
}

check "systemd is PID 1" test "$(readlink /proc/1/exe)" = /usr/lib/systemd/systemd -o \
	"$(readlink /proc/1/exe)" = /lib/systemd/systemd
need 30 "the system bus" busctl call org.freedesktop.DBus /org/freedesktop/DBus \
	org.freedesktop.DBus GetId
check "the journal runs" systemctl is-active -q systemd-journald.service

# ---- install as a package would ----

[[ -d ${KT_DESTDIR:-} ]] || {
	kt_log "setup failed: no staging tree (KT_DESTDIR; run-vm.sh KT_INSTALL=BUILDDIR)"
	exit 1
}
(cd "$KT_DESTDIR" && find . ! -type d | sed 's|^\.||' | sort) >/run/kt/installed
kt_log "installing $(wc -l </run/kt/installed) files from meson install --destdir:"
sed 's/^/    /' /run/kt/installed
tar -C "$KT_DESTDIR" -cf - . | tar -C / -xf - --keep-directory-symlink ||
	exit 1
if [[ -n $libdir ]]; then
	multiarch=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
	mkdir -p "/usr/local/lib/$multiarch"
	cp -a "$libdir"/libnvme-mi.so.1* "$libdir"/libgpiod.so.3* \
		"/usr/local/lib/$multiarch/"
	ldconfig
	kt_log "libnvme-mi and libgpiod 2 from $libdir installed below /usr/local/lib/$multiarch"
fi

unit_file() { grep -m1 "/$1\$" /run/kt/installed; }
exec_of() { sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$(unit_file "$1")"; }
for u in $CABLE_UNIT $NVME_UNIT; do
	[[ -n $(unit_file $u) ]] || {
		kt_log "setup failed: $u not installed"
		exit 1
	}
	kt_log "$u: $(unit_file $u), ExecStart=$(exec_of $u)"
done
nvmed=$(exec_of $NVME_UNIT)
cable=$(exec_of $CABLE_UNIT)
nvme_lib=$(ldd "$nvmed" | grep -o 'libnvme-mi\.so[^ ]* => [^ ]*')
gpiod_lib=$(ldd "$cable" | grep -o 'libgpiod\.so\.[0-9]* => [^ ]*')
kt_log "installed nvmed runs with $nvme_lib (built for libnvme-mi $KT_LIBNVME_VERSION)"
kt_log "installed cable-presenced runs with $gpiod_lib (built for libgpiod $KT_GPIOD_VERSION)"
if [[ -n $libdir ]]; then
	check "installed nvmed finds the libnvme-mi it was built for" \
		grep -q "=> /usr/local/lib/" <<<"$nvme_lib"
fi
check "installed cable-presenced finds the libgpiod it was built for" \
	test "${gpiod_lib:12:1}" = "$([[ $KT_GPIOD_VERSION == 1.* ]] && echo 2 || echo 3)"

# The D-Bus policies as installed: the system bus reads
# /usr/share/dbus-1/system.d and /etc/dbus-1/system.d; a build with another
# prefix has its directory added, as an integrator would.
for p in $(grep '/dbus-1/system\.d/xyz\.openbmc_project\.' /run/kt/installed); do
	d=$(dirname "$p")
	case $d in
	/usr/share/dbus-1/system.d | /etc/dbus-1/system.d) ;;
	*)
		[[ -f /etc/dbus-1/system.d/kt-prefix.conf ]] ||
			cat >/etc/dbus-1/system.d/kt-prefix.conf <<XML
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><includedir>$d</includedir></busconfig>
XML
		;;
	esac
done

# ---- the entity-manager and mctpd stand-ins as units (fixtures) ----

# Root owns the names, anyone may call them (as the policies entity-manager
# and mctpd install do).
fixture_policy() {
	local n
	echo '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"'
	echo ' "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">'
	echo '<busconfig>'
	for n in "$@"; do
		echo "  <policy user=\"root\"><allow own=\"$n\"/></policy>"
		echo "  <policy context=\"default\"><allow send_destination=\"$n\"/></policy>"
	done
	echo '</busconfig>'
}
fixture_policy $EM_SVC >/etc/dbus-1/system.d/kt-entity-manager.conf
fixture_policy au.com.codeconstruct.MCTP1 xyz.openbmc_project.MCTPReactor \
	>/etc/dbus-1/system.d/kt-mctpd.conf
cat >/etc/systemd/system/$EM_UNIT <<UNIT
[Unit]
Description=entity-manager stand-in (kernel-tier fixture)

[Service]
Type=dbus
BusName=$EM_SVC
ExecStart=$TB_EM_STANDIN /run/kt/board.json
UNIT
cat >/etc/systemd/system/$MCTPD_UNIT <<UNIT
[Unit]
Description=mctpd stand-in (kernel-tier fixture)

[Service]
Type=dbus
BusName=au.com.codeconstruct.MCTP1
ExecStart=$TB_MCTPD_STANDIN --scenario /run/kt/mctpd.json
UNIT

busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus \
	ReloadConfig || exit 1
systemctl daemon-reload || exit 1
for u in $CABLE_UNIT $NVME_UNIT; do
	check "$u loaded from the installed file" test \
		"$(realpath "$(unit_prop $u FragmentPath)")" = "$(realpath "$(unit_file $u)")"
done

# ---- devices ----

grep -q " /sys/kernel/config " /proc/mounts ||
	mount -t configfs configfs /sys/kernel/config
gpiosim_create bmc CAB0_PRSNT_N CAB1_PRSNT && gpiosim_live bmc 1 || exit 1

# i2c-stub: one chip at 0x6a holding a basic management command reply
# (NVMe-MI 1.2 Appendix A): command 0, Status Flags (ready, functional),
# SMART Warnings (none: all ones), CTemp, PDLU, 2 reserved; command 8, the
# vendor ID MSB first and a 20-byte serial number. The stub answers an
# SMBus block read with the block last written at that command.
[[ -f ${KT_I2C_STUB:-} ]] || {
	kt_log "setup failed: no i2c-stub.ko beside the kernel (build-kernel.sh)"
	exit 1
}
busybox insmod "$KT_I2C_STUB" chip_addr=0x6a functionality=0xffffffff ||
	exit 1
i2c_bus=
for a in /sys/bus/i2c/devices/i2c-*; do
	[[ $(<"$a/name") == "SMBus stub driver" ]] && i2c_bus=${a##*/i2c-}
done
[[ -n $i2c_bus && -c /dev/i2c-$i2c_bus ]] || {
	kt_log "setup failed: no i2c-stub adapter"
	exit 1
}
basic_status() { # CTEMP
	i2cset -y "$i2c_bus" 0x6a 0 0xbf 0xff "$1" 5 0 0 s
}
serial=KT-STUB-0001
serial_bytes=$(printf '%-20s' $serial | od -An -tx1 | sed 's/ \([0-9a-f]\)/ 0x\1/g')
# shellcheck disable=SC2086
i2cset -y "$i2c_bus" 0x6a 8 0x1b 0x36 $serial_bytes s || exit 1
basic_status 38 || exit 1
kt_log "i2c-stub on /dev/i2c-$i2c_bus, 0x6a: CTemp 38, serial $serial"

cat >/run/kt/drives.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 9, "serial": "KT-MCTP-0001",
  "model": "kernel-tier NVMe-MI drive", "firmware": "KT1.0",
  "temperature": 35}
]}
JSON
emu_start /run/kt/drives.json 8 9

# mctpd (the stand-in as mctpd.service, the name the nvmed unit wants)
# sets up the endpoints of the NVME1000 mi_i2c records: EID 9 on bus 3 is
# the drive on the serial link; EID 11 on bus 5 has no route in the kernel.
cat >/run/kt/mctpd.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 9, "bus": 3, "address": 29},
 {"network": 1, "eid": 11, "bus": 5, "address": 29}
]}
JSON
cat >/run/kt/board.json <<JSON
{"Name": "Kernel Tier systemd Board", "Type": "Board", "Probe": "TRUE",
 "Exposes": [
  {"Name": "cab0", "Type": "GPIOCableSensing", "GpioLine": "CAB0_PRSNT_N",
   "Polarity": "active_low"},
  {"Name": "cab1", "Type": "GPIOCableSensing", "GpioLine": "CAB1_PRSNT",
   "Polarity": "active_high"},
  {"Name": "cab_gone", "Type": "GPIOCableSensing", "GpioLine": "NO_SUCH_LINE",
   "Polarity": "active_high"},
  {"Name": "NVMe_SMBus", "Type": "NVME1000", "Bus": $i2c_bus,
   "Address": "0x6a", "PowerState": "Always"},
  {"Name": "NVMe_MCTP", "Type": "NVME1000", "Bus": 3, "Protocol": "mi_i2c",
   "PowerState": "Always"},
  {"Name": "NVMe_NoRoute", "Type": "NVME1000", "Bus": 5, "Protocol": "mi_i2c",
   "PowerState": "Always"}
 ]}
JSON

systemctl start $EM_UNIT $MCTPD_UNIT || exit 1
need 10 "entity-manager stand-in" has_name $EM_SVC
need 10 "mctpd stand-in" has_name au.com.codeconstruct.MCTP1

# ---- per daemon: readiness, objects, restart, stop, start-up time ----

# ready_check UNIT NAME: with entity-manager frozen (it owns its name but
# does not answer, as while it probes at boot) the daemon cannot read its
# records and holds back its name (for up to 10 s): the unit must stay
# "activating" all that time and never be "active" without the name.
ready_check() {
	local unit=$1 name=$2 st early=0 waiting=0 end
	systemctl kill -s SIGSTOP $EM_UNIT
	systemctl start --no-block "$unit"
	end=$(($(now_ms) + 3000))
	while (($(now_ms) < end)); do
		st=$(systemctl is-active "$unit")
		if ! has_name "$name"; then
			[[ $st == active ]] && early=$((early + 1))
			[[ $st == activating ]] && waiting=$((waiting + 1))
		fi
	done
	systemctl kill -s SIGCONT $EM_UNIT
	kt_log "$unit: $waiting samples 'activating' without $name while entity-manager was frozen"
	check "$unit: never active before $name is owned" test $early -eq 0
	check "$unit: activating while it waits for its records" \
		test $waiting -gt 0
	wait_for 30 "$unit: active once entity-manager answers" \
		systemctl is-active -q "$unit"
	check "$unit: $name owned once active" has_name "$name"
}

# restart_check UNIT CHECK...: kill -9; Restart=always brings it back, and
# CHECK (its objects) holds again.
restart_check() {
	local unit=$1 pid
	shift
	pid=$(unit_prop "$unit" MainPID)
	kill -9 "$pid"
	kt_log "$unit: killed pid $pid with SIGKILL"
	new_pid() {
		local p
		p=$(unit_prop "$unit" MainPID)
		[[ $p != 0 && $p != "$pid" ]] && systemctl is-active -q "$unit"
	}
	wait_for 30 "$unit: restarted (Restart=always) after kill -9" new_pid
	check "$unit: one restart counted" test "$(unit_prop "$unit" NRestarts)" = 1
	wait_for 30 "$unit: objects back after the restart" "$@"
}

# stop_check UNIT: SIGTERM ends it cleanly, exit 0, never "failed".
stop_check() {
	local unit=$1
	systemctl stop "$unit"
	check "$unit: inactive after systemctl stop" \
		test "$(unit_prop "$unit" ActiveState)" = inactive
	check "$unit: Result=success" \
		test "$(unit_prop "$unit" Result)" = success
	check "$unit: exit status 0 on SIGTERM" \
		test "$(unit_prop "$unit" ExecMainStatus)" = 0
	check "$unit: not failed" bash -c "! systemctl is-failed -q $unit"
}

# timed_start UNIT CHECK...: systemctl start, then the time until CHECK.
timed_start() {
	local unit=$1 t0 t1 t2
	shift
	t0=$(now_ms)
	systemctl start "$unit" || kt_not_ok "$unit: systemctl start failed"
	t1=$(now_ms)
	need 60 "$unit: objects after start" "$@"
	t2=$(now_ms)
	kt_log "report: $unit: systemctl start returned after $((t1 - t0)) ms, objects on D-Bus after $((t2 - t0)) ms"
}

# sandbox_report UNIT: what the kernel applied to the running daemon.
sandbox_report() {
	local unit=$1 pid
	pid=$(unit_prop "$unit" MainPID)
	kt_log "report: $unit (pid $pid): $(grep -E '^(Seccomp|NoNewPrivs|CapBnd|CapEff):' \
		/proc/"$pid"/status | tr -s '\t\n' '  ')"
	check "$unit: seccomp filter on (SystemCallFilter)" \
		grep -q '^Seccomp:[[:space:]]*2' /proc/"$pid"/status
	check "$unit: own mount namespace (ProtectSystem, PrivateTmp)" \
		test "$(readlink /proc/"$pid"/ns/mnt)" != "$(readlink /proc/1/ns/mnt)"
}

cable_objects() { present_is cab0 true && present_is cab1 false; }
nvme_objects() {
	temp_is NVMe_SMBus 38 && temp_is NVMe_MCTP 35 &&
		serial_is NVMe_SMBus $serial && serial_is NVMe_MCTP KT-MCTP-0001
}

kt_log "--- cable-presenced ---"
ready_check $CABLE_UNIT $CABLE_SVC
wait_for 20 "gpio-sim: active_low line at 0 -> cab0 present, cab1 absent" \
	cable_objects
gpiosim_pull bmc 1 up
wait_for 10 "edge: CAB1_PRSNT pulled up -> cab1 present" present_is cab1 true
gpiosim_pull bmc 1 down
wait_for 10 "edge: CAB1_PRSNT pulled down -> cab1 absent" present_is cab1 false
sandbox_report $CABLE_UNIT
restart_check $CABLE_UNIT cable_objects

kt_log "--- nvmed ---"
ready_check $NVME_UNIT $NVME_SVC
wait_for 30 "SMBus basic command on /dev/i2c-$i2c_bus (i2c-stub): NVMe_SMBus 38 C" \
	temp_is NVMe_SMBus 38
wait_for 10 "SMBus: NVMe_SMBus serial from command 8" serial_is NVMe_SMBus $serial
wait_for 30 "AF_MCTP on $KT_MCTP_IF: NVMe_MCTP 35 C" temp_is NVMe_MCTP 35
wait_for 10 "AF_MCTP: NVMe_MCTP serial from Identify" serial_is NVMe_MCTP KT-MCTP-0001
basic_status 45
wait_for 10 "SMBus: a new CTemp on the device reaches D-Bus (45 C)" \
	temp_is NVMe_SMBus 45
basic_status 38
wait_for 10 "SMBus: and back (38 C)" temp_is NVMe_SMBus 38
# The device I/O runs in the unit's I/O workers, inside its sandbox.
nvme_procs() {
	local cg pid
	cg=/sys/fs/cgroup$(systemctl show -P ControlGroup $NVME_UNIT)
	for pid in $(<"$cg/cgroup.procs"); do
		cat "/proc/$pid/comm" 2>/dev/null
	done
}
kt_log "processes of $NVME_UNIT: $(nvme_procs | tr '\n' ' ')"
check "nvmed's I2C bus $i2c_bus I/O worker runs in the unit" \
	bash -c "$(declare -f nvme_procs); NVME_UNIT=$NVME_UNIT; nvme_procs | grep -qx nvmed-i2c-$i2c_bus"
check "nvmed's MCTP network 1 I/O worker runs in the unit" \
	bash -c "$(declare -f nvme_procs); NVME_UNIT=$NVME_UNIT; nvme_procs | grep -qx nvmed-mctp-1"
# ... each under a seccomp filter of its own on top of the unit's
filters() { sed -n 's/^Seccomp_filters:[[:space:]]*//p' "/proc/$1/status"; }
main_pid=$(systemctl show -P MainPID $NVME_UNIT)
# ... and only they have effective capabilities (the unit's bounding set)
capeff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
capprm() { sed -n 's/^CapPrm:[[:space:]]*//p' "/proc/$1/status"; }
kt_log "nvmed CapEff $(capeff $main_pid), CapPrm $(capprm $main_pid)"
check "nvmed (serving D-Bus) has no effective capabilities" \
	test "$(capeff $main_pid)" = 0000000000000000
for w in $(pgrep -P "$main_pid"); do
	check "$(cat /proc/$w/comm) has its permitted capabilities effective" \
		test "$(capeff $w)" = "$(capprm $w)"
done
for w in $( ((KT_SECCOMP)) && pgrep -P "$main_pid"); do
	kt_log "$(cat /proc/$w/comm): $(filters $w) seccomp filters, nvmed $(filters $main_pid)"
	check "$(cat /proc/$w/comm) has a seccomp filter more than nvmed" \
		test "$(filters $w)" -gt "$(filters $main_pid)"
done
sandbox_report $NVME_UNIT
restart_check $NVME_UNIT nvme_objects

# The journal: the daemons' "<N>" prefixes became priorities.
for u in $CABLE_UNIT $NVME_UNIT; do
	j() { journalctl -q --no-pager -b _SYSTEMD_UNIT="$u" "$@"; }
	kt_log "journal of $u, warnings and worse:"
	j -p warning -o short-monotonic | sed 's/^/    /'
	check "$u: journal has info messages (PRIORITY=6)" \
		test -n "$(j -p info..info -o cat)"
	check "$u: journal has warnings (PRIORITY=4)" \
		test -n "$(j -p warning..warning -o cat)"
	check "$u: no priority prefix left in a message" \
		bash -c "! journalctl -q --no-pager -b _SYSTEMD_UNIT=$u -o cat | grep -q '^<[0-7]>'"
done
check "cable-presenced: the missing line is a warning" \
	bash -c "journalctl -q -b _SYSTEMD_UNIT=$CABLE_UNIT -p warning -o cat | grep -q NO_SUCH_LINE"
check "nvmed: the endpoint without a route is a warning" \
	bash -c "journalctl -q -b _SYSTEMD_UNIT=$NVME_UNIT -p warning -o cat | grep -q NVMe_NoRoute"

for u in $CABLE_UNIT $NVME_UNIT; do
	stop_check $u
done
timed_start $CABLE_UNIT cable_objects
timed_start $NVME_UNIT nvme_objects
for u in $CABLE_UNIT $NVME_UNIT; do
	stop_check $u
done

# ---- report ----
for u in $CABLE_UNIT $NVME_UNIT; do
	kt_log "report: systemd-analyze security $u (under the running manager), what stays exposed:"
	systemd-analyze security --no-pager "$u" 2>&1 |
		grep -E '✗|Overall exposure' | sed 's/^ */    /'
done
# Both at most 2.0 under the real manager (systemd-analyze's scale: 20);
# the unit tests check the same offline (test/lib/check-service.sh).
for u in $CABLE_UNIT $NVME_UNIT; do
	check "$u: exposure at most 2.0 under the running manager" \
		bash -c "systemd-analyze security --no-pager --threshold=20 $u >/dev/null 2>&1"
done
# What systemd could not apply of the units' lines on this kernel.
kt_log "report: systemd's own messages about the units (sandboxing it could not apply would be here):"
journalctl -q --no-pager -b _PID=1 -p notice -o cat |
	grep -E "GPIOCableSensing|NVMe" | grep -v -E "^(Started|Stopped|Starting|Stopping) " |
	sed 's/^/    /'

systemctl stop $EM_UNIT $MCTPD_UNIT
kt_collect_logs
kt_finish
