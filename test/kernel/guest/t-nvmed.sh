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

stop "$KT_PID_nvmed"
check "nvmed exits cleanly on SIGTERM" test $? -eq 0
kt_finish
