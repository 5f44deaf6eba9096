#!/bin/bash
# nvmed over the kernel's MCTP stack: an MCTP serial link (N_MCTP on a
# pty) whose far end is nvme-mi-emu; drives set up through the mctpd
# stand-in from entity-manager NVME1000 records.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nvme-lib.sh"

kt_log "nvmed $KT_NVMED, libnvme-mi $KT_LIBNVME_VERSION"
kt_log "the daemon runs with $(ldd "$KT_NVMED" | grep -o 'libnvme-mi\.so[^ ]* => [^ ]*')"

cat >/run/kt/drives.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 9, "bus": 3, "address": 29, "serial": "KT-SIM-0001",
  "model": "kernel-tier NVMe-MI drive one", "firmware": "KT1.0",
  "temperature": 35, "percentage_used": 7},
 {"network": 1, "eid": 10, "bus": 4, "address": 29, "serial": "KT-SIM-0002",
  "model": "kernel-tier NVMe-MI drive two", "firmware": "KT2.0",
  "temperature": 41, "mi_major": 2, "mi_minor": 0}
]}
JSON
# mctpd knows a third drive whose EID (11) has no route in the kernel.
cat >/run/kt/mctpd.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 9, "bus": 3, "address": 29},
 {"network": 1, "eid": 10, "bus": 4, "address": 29},
 {"network": 1, "eid": 11, "bus": 5, "address": 29}
]}
JSON
# PowerState Always: the guest has no host state service (the default,
# On, polls only while xyz.openbmc_project.State.Host says Running).
cat >/run/kt/board.json <<'JSON'
{"Name": "Kernel Tier NVMe Board", "Type": "Board", "Probe": "TRUE",
 "Exposes": [
  {"Name": "NVMe_1", "Type": "NVME1000", "Bus": 3, "Protocol": "mi_i2c",
   "PowerState": "Always"},
  {"Name": "NVMe_2", "Type": "NVME1000", "Bus": 4, "Protocol": "mi_i2c",
   "PowerState": "Always"},
  {"Name": "NVMe_3", "Type": "NVME1000", "Bus": 5, "Protocol": "mi_i2c",
   "PowerState": "Always"}
 ]}
JSON

emu_start /run/kt/drives.json 8 9 10
bus_start
spawn mctpd "$TB_MCTPD_STANDIN" --scenario /run/kt/mctpd.json
need 10 "mctpd stand-in" has_name au.com.codeconstruct.MCTP1
spawn em "$TB_EM_STANDIN" /run/kt/board.json
need 10 "em-standin" has_name xyz.openbmc_project.EntityManager
rx0=$(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_packets")
spawn nvmed "$KT_NVMED" -v -i 300 -t 1000
need 10 "nvmed on the bus" has_name $NVME_SVC

# Drives appear with the emulator's identity (Identify over the kernel).
wait_for 20 "NVMe_1 serial from Identify" serial_is NVMe_1 KT-SIM-0001
wait_for 20 "NVMe_2 serial from Identify" serial_is NVMe_2 KT-SIM-0002
check "NVMe_1 model" prop_is 's "kernel-tier NVMe-MI drive one"' \
	$NVME_SVC $DRIVE/NVMe_1 $I_ASSET Model
check "NVMe_1 firmware revision" prop_is 's "KT1.0"' \
	$NVME_SVC $DRIVE/NVMe_1 $I_REV Version
wait_for 10 "NVMe_1 temperature 35" temp_is NVMe_1 35
wait_for 10 "NVMe_2 temperature 41 (NVMe-MI 2.0 layout)" temp_is NVMe_2 41

# nvmed's Identify replies (the first 512 bytes: 20 + 512 + 4 bytes) crossed
# the link as 64-byte packets (MTU 68): at least 9 each, two drives. The
# full 4 KiB Identify is nvme-cli's, below.
rx=$(($(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_packets") - rx0))
kt_log "$KT_MCTP_IF: $rx packets received since nvmed started"
check "at least 2 x 9 packets in (two 512-byte Identify replies)" \
	test "$rx" -ge 18
check "MTU 68 on $KT_MCTP_IF" \
	test "$(<"/sys/class/net/$KT_MCTP_IF/mtu")" -eq 68
check "no receive errors or drops on $KT_MCTP_IF" test \
	"$(($(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_errors") + \
	$(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_dropped")))" -eq 0

# Routing: an endpoint the kernel has no route to.
wait_for 10 "NVMe_3 (no route to EID 11) reported" \
	grep -q "NVMe_3.*No route to host" "$KT_LOGS/nvmed.log"

# Temperature changes propagate.
emu_ctl '{"eid": 9, "temperature": 52}' >/dev/null
wait_for 10 "NVMe_1 temperature 52 after the change" temp_is NVMe_1 52
check "NVMe_2 unchanged" temp_is NVMe_2 41

# A silent endpoint goes unavailable and recovers.
emu_ctl '{"eid": 10, "silent": true}' >/dev/null
wait_for 15 "silent NVMe_2 unavailable" available_is NVMe_2 false
check "silent NVMe_2 reads NaN, not a stale value" temp_is NVMe_2 nan
check "NVMe_1 still available" available_is NVMe_1 true
emu_ctl '{"eid": 10, "silent": false, "temperature": 44}' >/dev/null
wait_for 30 "NVMe_2 recovers" available_is NVMe_2 true
wait_for 10 "NVMe_2 temperature 44 after recovery" temp_is NVMe_2 44

# A late reply (after nvmed's 1 s timeout) is never taken for the answer
# to a later command.
emu_ctl '{"eid": 9, "late": 1500, "temperature": 60}' >/dev/null
wait_for 30 "NVMe_1 temperature 60 after a late reply" temp_is NVMe_1 60
check "nvmed saw the timeout of the late reply" \
	grep -q "NVMe_1.*timed out" "$KT_LOGS/nvmed.log"
check "NVMe_1 available after the late reply" available_is NVMe_1 true
sleep 1
check "NVMe_1 still 60 (no stale reply decoded)" temp_is NVMe_1 60

# nvme-cli in the same guest, over the same kernel, agrees with nvmed.
if command -v nvme >/dev/null; then
	rx0=$(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_packets")
	nvme_cli id-ctrl mctp:1,9 -o json >/run/kt/id.json 2>"$KT_LOGS/nvme-id.log"
	check "nvme_cli id-ctrl mctp:1,9 succeeds" test $? -eq 0
	# The 4 KiB Identify reply crossed the link as 64-byte packets.
	rx=$(($(<"/sys/class/net/$KT_MCTP_IF/statistics/rx_packets") - rx0))
	kt_log "$KT_MCTP_IF: $rx packets received for nvme id-ctrl"
	check "at least 65 packets in (a 4 KiB Identify reply)" \
		test "$rx" -ge 65
	sn=$(json_str /run/kt/id.json sn)
	mn=$(json_str /run/kt/id.json mn)
	fr=$(json_str /run/kt/id.json fr)
	kt_log "nvme id-ctrl: sn '$sn' mn '$mn' fr '$fr'"
	check "id-ctrl sn = nvmed SerialNumber" serial_is NVMe_1 "$sn"
	check "id-ctrl mn = nvmed Model" prop_is "s \"$mn\"" \
		$NVME_SVC $DRIVE/NVMe_1 $I_ASSET Model
	check "id-ctrl fr = nvmed Version" prop_is "s \"$fr\"" \
		$NVME_SVC $DRIVE/NVMe_1 $I_REV Version
	nvme_cli smart-log mctp:1,9 -o json >/run/kt/smart.json \
		2>"$KT_LOGS/nvme-smart.log"
	check "nvme_cli smart-log mctp:1,9 succeeds" test $? -eq 0
	k=$(json_num /run/kt/smart.json temperature)
	used=$(json_num /run/kt/smart.json percent_used)
	kt_log "nvme smart-log: temperature ${k} K, percent_used $used"
	check "smart-log temperature = nvmed Value" temp_is NVMe_1 $((k - 273))
	check "smart-log percent_used = 100 - PredictedMediaLifeLeftPercent" \
		prop_is "y $((100 - used))" $NVME_SVC $DRIVE/NVMe_1 \
		xyz.openbmc_project.Inventory.Item.Drive PredictedMediaLifeLeftPercent
else
	kt_log "nvme-cli not installed: cross-check skipped"
fi

# Drive management over the same kernel path: the tunnelled Admin
# commands' data (4 KiB image pieces, log pages) crosses the link as
# 64-byte packets, each way.
CTRL=/xyz/openbmc_project/inventory/storage/1/controller
VOL=/xyz/openbmc_project/inventory/storage/1/volume
SW=/xyz/openbmc_project/software/nvme_NVMe_1
I_ADMIN=xyz.openbmc_project.Nvme.Admin
I_SANITIZE=xyz.openbmc_project.Nvme.Sanitize
I_PROGRESS=xyz.openbmc_project.Common.Progress
I_VERSION=xyz.openbmc_project.Software.Version

# bytes LSB MSB of busctl's "ay N b0 b1 ..." as one number
ay_u16() { echo $(($(cut -d' ' -f$(($1 + 3)) <<<"$2") + \
	256 * $(cut -d' ' -f$(($1 + 4)) <<<"$2"))); }
# bytes as text
ay_text() {
	local b
	for b in $(cut -d' ' -f$(($1 + 3))-$(($1 + 2 + $2)) <<<"$3"); do
		printf "\\$(printf %03o "$b")"
	done
}

wait_for 10 "NVMe_1 namespace 1 is a volume (Identify Namespace)" \
	prop_is "u 1" $NVME_SVC $VOL/NVMe_1_1 \
	xyz.openbmc_project.Nvme.Volume NamespaceId
check "volume NVMe_1_1 Size = the drive's namespace (960197124096 bytes)" \
	prop_is "t 960197124096" $NVME_SVC $VOL/NVMe_1_1 \
	xyz.openbmc_project.Inventory.Item.Volume Size

smart=$(busctl --system call $NVME_SVC $CTRL/NVMe_1 $I_ADMIN GetLogPage \
	yuyqu 2 4294967295 0 0 512 2>"$KT_LOGS/getlog.log")
check "GetLogPage SMART (02h) gives 512 bytes" \
	test "$(cut -d' ' -f1-2 <<<"$smart")" = "ay 512"
check "its Composite Temperature is nvmed's Value (60 C = 333 K)" \
	test "$(ay_u16 1 "$smart")" -eq 333

# An update with an image in the emulator's format ("EMFW", 8 bytes of
# revision): 64 KiB, 16 Firmware Image Downloads of 4 KiB.
{
	printf 'EMFWKT1.1   '
	head -c $((65536 - 12)) /dev/zero
} >/run/kt/fw.bin
tx0=$(<"/sys/class/net/$KT_MCTP_IF/statistics/tx_packets")
"$TB_NVMED_UPDATE" --apply-time Immediate NVMe_1 /run/kt/fw.bin \
	>"$KT_LOGS/update.log" 2>&1
check "nvmed-update NVMe_1 fw.bin: Active" \
	grep -qx "Activation Active" "$KT_LOGS/update.log"
tx=$(($(<"/sys/class/net/$KT_MCTP_IF/statistics/tx_packets") - tx0))
kt_log "$KT_MCTP_IF: $tx packets sent for the 64 KiB update"
check "at least 16 x 65 packets out (16 pieces of 4 KiB)" test "$tx" -ge 1040
check "the drive reports KT1.1: Version" \
	prop_is 's "KT1.1"' $NVME_SVC $SW $I_VERSION Version
check "the drive reports KT1.1: Revision" \
	prop_is 's "KT1.1"' $NVME_SVC $DRIVE/NVMe_1 $I_REV Version
check "NVMe_2 still polled during the update" available_is NVMe_2 true
slots=$(busctl --system call $NVME_SVC $CTRL/NVMe_1 $I_ADMIN GetLogPage \
	yuyqu 3 4294967295 0 0 512 2>>"$KT_LOGS/getlog.log")
afi=$(cut -d' ' -f3 <<<"$slots")
frs=$(ay_text $((8 * (afi & 7))) 8 "$slots")
kt_log "firmware slot log: AFI $afi, active slot's revision '$frs'"
check "GetLogPage firmware slot (03h): the active slot holds KT1.1" \
	test "$frs" = "KT1.1   "
if command -v nvme >/dev/null; then
	nvme_cli fw-log mctp:1,9 -o json >/run/kt/fw-log.json \
		2>"$KT_LOGS/nvme-fw-log.log"
	check "nvme_cli fw-log mctp:1,9 lists KT1.1" grep -q KT1.1 /run/kt/fw-log.json
fi

busctl --system call $NVME_SVC $DRIVE/NVMe_1 $I_SANITIZE Sanitize s \
	$I_SANITIZE.SanitizeAction.BlockErase >"$KT_LOGS/sanitize.log" 2>&1
check "Sanitize BlockErase accepted" \
	grep -q "$DRIVE/NVMe_1/sanitize" "$KT_LOGS/sanitize.log"
wait_for 30 "the sanitize completes (Sanitize Status log 81h)" \
	prop_is "s \"$I_PROGRESS.OperationStatus.Completed\"" $NVME_SVC \
	$DRIVE/NVMe_1/sanitize $I_PROGRESS Status
check "NVMe_1 temperature still read (60)" temp_is NVMe_1 60

stop "$KT_PID_nvmed"
check "nvmed exits cleanly on SIGTERM" test $? -eq 0
kt_finish
