#!/bin/bash
# The demo: install what is missing, build, and show both daemons working on
# simulated hardware on a private D-Bus: cables from simulated GPIO lines,
# NVMe drives from the NVMe-MI emulator, configured through the
# entity-manager stand-in exactly as entity-manager would publish them.
#
#   bash test/demo/demo.sh            run the demo and exit
#   KEEP=1 bash test/demo/demo.sh     leave everything running afterwards
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-$src/build-demo}

"$src/test/ci/install-deps.sh"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" --wrap-mode=nodownload -Dbuildtype=debugoptimized \
		>/dev/null
fi
meson compile -C "$build" >"$build/demo-compile.log" 2>&1 ||
	{ tail -40 "$build/demo-compile.log"; exit 1; }

work=$(mktemp -d /tmp/nvmed-demo.XXXXXX)
pids=()
cleanup() {
	if [ -n "${KEEP:-}" ]; then
		echo
		echo "Left running (KEEP=1): pids ${pids[*]}"
		echo "  export DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS"
		echo "  logs and simulated hardware in $work"
		return
	fi
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

b=$(tput bold 2>/dev/null || true)
n=$(tput sgr0 2>/dev/null || true)
say() { printf '\n%s==> %s%s\n' "$b" "$*" "$n"; }
show() { printf '%s$ %s%s\n' "$b" "$*" "$n"; "$@"; }
# Wait until a command succeeds (at most 10 s).
wait_for() {
	local i
	for i in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "timed out waiting for: $*" >&2
	return 1
}
spawn() { # name, command...
	local name=$1
	shift
	"$@" >"$work/$name.log" 2>&1 &
	pids+=($!)
}

# ---- a private system bus -------------------------------------------------
cat >"$work/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus</listen>
  <auth>EXTERNAL</auth>
  <limit name="max_match_rules_per_connection">65536</limit>
  <limit name="max_replies_per_connection">65536</limit>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
CONF
spawn dbus dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/bus
wait_for busctl --system status org.freedesktop.DBus

say "Private D-Bus at $DBUS_SYSTEM_BUS_ADDRESS; hardware simulated under $work"

# ---- simulated hardware and configuration ---------------------------------
write_nvme_files() {
	# Three NVMe drives behind I2C buses 3, 4 and 5, speaking NVMe-MI over
	# MCTP, and one on bus 13 read with the SMBus basic management
	# command at 0x6a, as 119 of the 120 NVME1000 records in
	# entity-manager are (the emulator's scenario: identity, temperature,
	# health).
	cat >"$work/scenario.json" <<'JSON'
{"drives": [
  {"network": 1, "eid": 9, "bus": 3, "address": 29, "serial": "S3XNA0R512345",
   "model": "DEMO NVMe 1.92TB", "firmware": "1.0.7", "vid": 5197,
   "capacity": 1920383410176, "temperature": 38, "warning_temp": 70,
   "critical_temp": 80, "percentage_used": 3},
  {"network": 1, "eid": 10, "bus": 4, "address": 29, "serial": "S3XNA0R567890",
   "model": "DEMO NVMe 3.84TB", "firmware": "1.0.7", "vid": 5197,
   "capacity": 3840755982336, "temperature": 41, "percentage_used": 17},
  {"network": 1, "eid": 11, "bus": 5, "address": 29, "serial": "BTLJ0123",
   "model": "DEMO E1.S 7.68TB", "firmware": "2.1", "vid": 32902,
   "capacity": 7681501126656, "temperature": 35, "percentage_used": 0,
   "mi_major": 2, "mi_minor": 0},
  {"network": 1, "eid": 12, "bus": 13, "serial": "PHLJ9876543", "vid": 32902,
   "temperature": 44, "percentage_used": 9}
]}
JSON
	# entity-manager records for them, as a platform would ship them
	# (PowerState Always: no host to power on here; the default, On,
	# polls only while xyz.openbmc_project.State.Host says Running).
	cp "$src/test/demo/boards/demo-backplane.json" "$work/nvme.json"
}

# ---- cable-presenced -------------------------------------------------------
# Two GPIO chips, as the device tree would name their lines. Each file holds
# the line's physical level; writing it raises an edge.
gpio=$work/gpio
mkdir -p "$gpio/gpiochip0" "$gpio/gpiochip1"
for i in 0 1 2 3; do echo 0 >"$gpio/gpiochip0/CDFP${i}_PRSNT_N"; done
echo 1 >"$gpio/gpiochip0/CDFP2_PRSNT_N" # cdfp2 is not plugged in
echo 1 >"$gpio/gpiochip1/OSFP_PRESENT"
cp "$src/test/demo/boards/demo-chassis.json" "$work/cables.json"
cp "$src/test/demo/boards/demo-broken.json" "$work/broken.json"

write_nvme_files

say "entity-manager (stand-in) publishes the board files $work/cables.json, $work/broken.json and $work/nvme.json"
spawn em-standin "$build/test/sim/em/em-standin" "$work/cables.json" \
	"$work/broken.json" "$work/nvme.json"
wait_for busctl --system status xyz.openbmc_project.EntityManager
show busctl --system tree xyz.openbmc_project.EntityManager

say "cable-presenced starts on the simulated lines (LD_PRELOAD=libgpiod-sim.so)"
cable=/xyz/openbmc_project/inventory/item
spawn cable-presenced env LD_PRELOAD="$build/test/sim/gpio/libgpiod-sim.so" \
	GPIO_SIM_DIR="$gpio" "$build/src/cable-presenced/cable-presenced"
wait_for busctl --system get-property xyz.openbmc_project.GPIOCableSensing \
	$cable/osfp xyz.openbmc_project.Inventory.Item Present
show busctl --system tree xyz.openbmc_project.GPIOCableSensing
show busctl --system introspect xyz.openbmc_project.GPIOCableSensing \
	$cable/cdfp0
say "The malformed record is rejected with a message naming the record and key:"
grep -i "broken" "$work/cable-presenced.log" || true
say "The same check without a daemon, as an image build can run it (exit status 1):"
show "$build/src/cable-presenced/cable-presenced" --check-config \
	"$work/broken.json" || true

present() {
	busctl --system get-property xyz.openbmc_project.GPIOCableSensing \
		"$cable/$1" xyz.openbmc_project.Inventory.Item Present
}
say "Presence of every cable"
for c in cdfp0 cdfp1 cdfp2 cdfp3 osfp; do printf '%-6s ' $c; present $c; done

say "Unplug cdfp0 (its active-low line goes high): the edge reaches D-Bus at once"
show sh -c "echo 1 > $gpio/gpiochip0/CDFP0_PRSNT_N"
wait_for sh -c "busctl --system get-property xyz.openbmc_project.GPIOCableSensing $cable/cdfp0 xyz.openbmc_project.Inventory.Item Present | grep -q false"
printf 'cdfp0  '
present cdfp0
show "$build/src/cable-presenced/cable-sdr"

say "Plug it back"
show sh -c "echo 0 > $gpio/gpiochip0/CDFP0_PRSNT_N"
wait_for sh -c "busctl --system get-property xyz.openbmc_project.GPIOCableSensing $cable/cdfp0 xyz.openbmc_project.Inventory.Item Present | grep -q true"
printf 'cdfp0  '
present cdfp0
show "$build/src/cable-presenced/cable-sdr"

# ---- nvmed -------------------------------------------------------------------
say "The NVMe-MI emulator serves the drives of $work/scenario.json; the mctpd stand-in sets up their MCTP endpoints"
spawn nvme-mi-emu "$build/test/sim/mctp/nvme-mi-emu" --scenario "$work/scenario.json" \
	--socket "$work/mctp.sock" --i2c-socket "$work/i2c.sock" \
	--control "$work/emu.ctl"
wait_for test -S "$work/emu.ctl"
spawn mctpd "$build/test/sim/mctpd/mctpd-standin" --scenario "$work/scenario.json"
wait_for busctl --system status au.com.codeconstruct.MCTP1
emu() { # send one control line to the emulator
	printf '%s$ emulator <- %s%s\n' "$b" "$1" "$n"
	printf '%s\n' "$1" | socat -t 2 - "UNIX-CONNECT:$work/emu.ctl"
}
shim=(env LD_PRELOAD="$build/test/sim/mctp/libmctp-shim.so"
	MCTP_SHIM_SOCK="$work/mctp.sock")

say "nvmed starts: NVME1000 records with Protocol mi_i2c -> mctpd SetupEndpoint -> NVMe-MI over MCTP (libmctp-shim.so), the default protocol -> SMBus basic command on /dev/i2c-13 (libi2c-shim.so)"
spawn nvmed env LD_PRELOAD="$build/test/sim/mctp/libmctp-shim.so $build/test/sim/i2c/libi2c-shim.so" \
	MCTP_SHIM_SOCK="$work/mctp.sock" I2C_SHIM_SOCK="$work/i2c.sock" \
	"$build/src/nvmed/nvmed"
nvmed_pid=${pids[-1]}
sensor=/xyz/openbmc_project/sensors/temperature
drive=/xyz/openbmc_project/inventory/drive
value() {
	busctl --system get-property xyz.openbmc_project.NVMe "$sensor/$1" \
		xyz.openbmc_project.Sensor.Value Value
}
wait_until_value() { # sensor, busctl output pattern
	wait_for sh -c "busctl --system get-property xyz.openbmc_project.NVMe $sensor/$1 xyz.openbmc_project.Sensor.Value Value | grep -q '$2'"
}
wait_until_value NVMe_2_Temp '^d 35$'
wait_until_value MB_E1S0_TEMP_C '^d 44$'
show busctl --system tree xyz.openbmc_project.NVMe
show busctl --system introspect xyz.openbmc_project.NVMe "$sensor/NVMe_0_Temp"
show busctl --system introspect xyz.openbmc_project.NVMe "$drive/NVMe_0"

say "nvmed's device I/O runs in I/O worker processes (one per root I2C bus, one per MCTP network): the process serving D-Bus never waits on a device"
show ps -o pid,ppid,comm --ppid "$nvmed_pid"

say "Redfish Storage: one Storage (Id 1) with a controller per drive"
show busctl --system get-property xyz.openbmc_project.NVMe \
	/xyz/openbmc_project/inventory/storage/1 \
	xyz.openbmc_project.Association.Definitions Associations
show busctl --system get-property xyz.openbmc_project.NVMe \
	/xyz/openbmc_project/inventory/storage/1/controller/NVMe_0 \
	xyz.openbmc_project.Association.Definitions Associations

say "The basic-command drive: the sensor nvmesensor would publish, plus its inventory"
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/MB_E1S0_TEMP_C" \
	xyz.openbmc_project.Sensor.Value Value
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/MB_E1S0_TEMP_C" \
	xyz.openbmc_project.Sensor.Threshold.Critical CriticalHigh
show busctl --system call xyz.openbmc_project.NVMe "$drive/MB_E1S0_TEMP_C" \
	org.freedesktop.DBus.Properties GetAll s xyz.openbmc_project.Inventory.Decorator.Asset

say "The same MCTP drive read by nvme-cli through the same MCTP shim"
show "${shim[@]}" nvme id-ctrl mctp:1,9 -o normal | grep -E '^(vid|sn|mn|fr|wctemp|cctemp) '
show "${shim[@]}" nvme smart-log mctp:1,9 | grep -E '^(temperature|percentage_used)'

say "NVMe 0 heats up to 77 C: value, alarms and ThresholdAsserted"
busctl --system monitor --match "type='signal',member='ThresholdAsserted'" \
	>"$work/signals.log" 2>&1 &
pids+=($!)
emu '{"eid": 9, "temperature": 77}'
wait_until_value NVMe_0_Temp '^d 77$'
printf 'Value: '; value NVMe_0_Temp
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_0_Temp" \
	xyz.openbmc_project.Sensor.Threshold.Critical CriticalAlarmHigh
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_0_Temp" \
	xyz.openbmc_project.Sensor.Threshold.Warning WarningAlarmHigh
sleep 0.5
grep -A1 -E 'ThresholdAsserted|STRING' "$work/signals.log" | grep -E 'STRING|BOOLEAN|DOUBLE' | head -12 || true

say "NVMe 1 misses one poll: its reading stays (fan control sees no failure)"
emu '{"eid": 10, "miss": 1}'
sleep 1.5
printf 'Value: '; value NVMe_1_Temp
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_1_Temp" \
	xyz.openbmc_project.State.Decorator.Availability Available

say "NVMe 1 goes silent: after 5 missed polls NaN and unavailable"
emu '{"eid": 10, "silent": true}'
wait_until_value NVMe_1_Temp 'nan'
printf 'Value: '; value NVMe_1_Temp
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_1_Temp" \
	xyz.openbmc_project.State.Decorator.Availability Available
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_1_Temp" \
	xyz.openbmc_project.State.Decorator.OperationalStatus Functional

say "NVMe 1 answers again and comes back"
emu '{"eid": 10, "silent": false}'
wait_until_value NVMe_1_Temp '^d 41$'
printf 'Value: '; value NVMe_1_Temp
show busctl --system get-property xyz.openbmc_project.NVMe "$sensor/NVMe_1_Temp" \
	xyz.openbmc_project.State.Decorator.Availability Available

say "Drive management (NVMe-MI drives only): NVMe 0's firmware, namespaces, log pages, sanitize"
sw=/xyz/openbmc_project/software/nvme_NVMe_0
show busctl --system introspect xyz.openbmc_project.NVMe "$sw"
{ printf 'EMFW2.1.0   '; head -c 1048564 /dev/urandom; } >"$work/fw.bin"
say "StartUpdate with the image file $work/fw.bin (1 MiB), applied at once, through nvmed-update (busctl cannot pass a file descriptor)"
show "$build/src/nvmed-update/nvmed-update" --apply-time Immediate NVMe_0 "$work/fw.bin"
show busctl --system get-property xyz.openbmc_project.NVMe "${sw}_update" \
	xyz.openbmc_project.Software.ActivationProgress Progress
show busctl --system get-property xyz.openbmc_project.NVMe "$sw" \
	xyz.openbmc_project.Software.Version Version
show "${shim[@]}" nvme fw-log mctp:1,9
say "Its namespace as a volume, and the SMART log page read through nvmed"
show busctl --system introspect xyz.openbmc_project.NVMe \
	/xyz/openbmc_project/inventory/storage/1/volume/NVMe_0_1
show busctl --system call xyz.openbmc_project.NVMe \
	/xyz/openbmc_project/inventory/storage/1/controller/NVMe_0 \
	xyz.openbmc_project.Nvme.Admin GetLogPage yuyqu 2 4294967295 0 0 16
say "Sanitize (block erase) with progress; the temperature keeps updating"
show busctl --system call xyz.openbmc_project.NVMe "$drive/NVMe_0" \
	xyz.openbmc_project.Nvme.Sanitize Sanitize s \
	xyz.openbmc_project.Nvme.Sanitize.SanitizeAction.BlockErase
sleep 1.5
show busctl --system get-property xyz.openbmc_project.NVMe "$drive/NVMe_0" \
	xyz.openbmc_project.Nvme.Sanitize Progress
wait_for sh -c "busctl --system get-property xyz.openbmc_project.NVMe $drive/NVMe_0/sanitize xyz.openbmc_project.Common.Progress Status | grep -q Completed"
show busctl --system get-property xyz.openbmc_project.NVMe "$drive/NVMe_0/sanitize" \
	xyz.openbmc_project.Common.Progress Status
printf 'Value: '; value NVMe_0_Temp

say "Done. Run it again with KEEP=1 to explore the bus yourself."
