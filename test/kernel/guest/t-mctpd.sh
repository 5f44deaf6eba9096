#!/bin/bash
# nvmed against a real mctpd (CodeConstruct/mctp, KT_MCTPD) on the kernel's
# MCTP stack: mctpd owns the MCTP serial link whose far end is
# nvme-mi-emu, answering MCTP control messages as a drive's endpoint does.
# The endpoint is set up with mctpd's own SetupEndpoint, as mctpreactor
# does; nvmed reads the drive through an NVMeMI record at the EID mctpd
# assigned, and goes through mctpd's recovery (docs/endpoint-recovery.md)
# when the drive is power-cycled (same UUID: the EID is given back) and
# when it is swapped (new UUID: a new endpoint, a new identity).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nvme-lib.sh"

MCTP_SVC=au.com.codeconstruct.MCTP1
MCTP_ROOT=/au/com/codeconstruct/mctp1
EP_IF=xyz.openbmc_project.MCTP.Endpoint
EP1_IF=au.com.codeconstruct.MCTP.Endpoint1

kt_log "mctpd $KT_MCTPD; nvmed $KT_NVMED, libnvme-mi $KT_LIBNVME_VERSION"

# One drive with no EID yet: mctpd assigns it one.
cat >/run/kt/drives.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 0, "bus": 3, "address": 29, "serial": "KT-SIM-0001",
  "model": "kernel-tier NVMe-MI drive one", "firmware": "KT1.0",
  "temperature": 35, "percentage_used": 7}
]}
JSON
cat >/run/kt/mctpd.conf <<'TOML'
role = "bus-owner"
[mctp]
message_timeout_ms = 250
[bus-owner]
dynamic_eid_range = [9, 254]
TOML
cat >/run/kt/nvmemi.json <<'JSON'
[{"Type": "NVMeMI", "Name": "NVMe_1", "Network": 1, "EID": 9,
  "UnavailableAfterFailures": 2}]
JSON

emu_start /run/kt/drives.json 8
bus_start
spawn mctpd "$KT_MCTPD" -v -c /run/kt/mctpd.conf
need 10 "mctpd on the bus" has_name $MCTP_SVC
ifpath=$MCTP_ROOT/interfaces/$KT_MCTP_IF
wait_for 10 "mctpd's $KT_MCTP_IF is a bus owner interface" \
	prop_is 's "BusOwner"' $MCTP_SVC "$ifpath" \
	au.com.codeconstruct.MCTP.Interface1 Role

# SetupEndpoint as mctpreactor calls it (a serial link has no hardware
# address): Get Endpoint ID says 0, so mctpd assigns EID 9.
reply=$(busctl --system call $MCTP_SVC "$ifpath" \
	au.com.codeconstruct.MCTP.BusOwner1 SetupEndpoint ay 0 2>&1)
kt_log "SetupEndpoint: $reply"
check "SetupEndpoint assigns EID 9 on network 1" \
	test "$reply" = "yisb 9 1 \"$MCTP_ROOT/networks/1/endpoints/9\" true"
ep=$MCTP_ROOT/networks/1/endpoints/9
check "the drive took EID 9 (Set Endpoint ID)" \
	test "$(emu_ctl '{"get":{"bus":3,"address":29}}' |
		sed -n 's/.*"eid":\([0-9]*\).*/\1/p')" = 9
uuid=$(emu_ctl '{"get":{"bus":3,"address":29}}' |
	sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
check "the endpoint's UUID is the drive's (Get Endpoint UUID)" \
	prop_is "s \"$uuid\"" $MCTP_SVC $ep xyz.openbmc_project.Common.UUID UUID
check "SupportedMessageTypes lists NVMe-MI (Get Message Type Support)" \
	bash -c "busctl --system get-property $MCTP_SVC $ep $EP_IF \
		SupportedMessageTypes | grep -qw 4"

spawn nvmed "$KT_NVMED" -v -i 300 -t 1000 --config /run/kt/nvmemi.json
need 10 "nvmed on the bus" has_name $NVME_SVC
wait_for 20 "NVMe_1 serial from Identify" serial_is NVMe_1 KT-SIM-0001
wait_for 10 "NVMe_1 temperature 35" temp_is NVMe_1 35

n_objects() {
	busctl --system tree --list $MCTP_SVC | grep -c "/endpoints/"
}
objects0=$(n_objects)
kt_log "mctpd publishes $objects0 endpoint objects"

# Power cycle: the drive comes back with EID 0 and the same UUID; mctpd's
# recovery gives it EID 9 back: the same object, the same drive.
emu_ctl '{"bus":3,"address":29,"power_cycle":true}' >/dev/null
wait_for 20 "nvmed asks mctpd to recover the endpoint" \
	grep -q "asking mctpd to recover '$ep'" "$KT_LOGS/nvmed.log"
wait_for 20 "mctpd reports the endpoint recovered" \
	grep -q "mctpd recovered '$ep'" "$KT_LOGS/nvmed.log"
check "the drive has EID 9 again" \
	test "$(emu_ctl '{"get":{"bus":3,"address":29}}' |
		sed -n 's/.*"eid":\([0-9]*\).*/\1/p')" = 9
emu_ctl '{"bus":3,"address":29,"temperature":38}' >/dev/null
wait_for 20 "NVMe_1 temperature 38 after the power cycle" temp_is NVMe_1 38
check "Connectivity Available" \
	prop_is 's "Available"' $MCTP_SVC $ep $EP1_IF Connectivity
check "no endpoint object added or lost" test "$(n_objects)" = "$objects0"

# Swap: another drive (new UUID, new serial) in the slot; mctpd removes
# the endpoint and sets the new device up; nvmed reads a new identity.
emu_ctl '{"bus":3,"address":29,"swap":true}' >/dev/null
wait_for 30 "NVMe_1 serial of the swapped drive" serial_is NVMe_1 EMU003A029S1
newuuid=$(emu_ctl '{"get":{"bus":3,"address":29}}' |
	sed -n 's/.*"uuid":"\([^"]*\)".*/\1/p')
wait_for 10 "the endpoint carries the new drive's UUID" \
	prop_is "s \"$newuuid\"" $MCTP_SVC $ep xyz.openbmc_project.Common.UUID UUID
check "the new UUID differs" test "$newuuid" != "$uuid"
wait_for 10 "NVMe_1 available" available_is NVMe_1 true
check "one drive on D-Bus" \
	test "$(busctl --system tree --list $NVME_SVC | grep -c "^$DRIVE/")" = 1
check "no endpoint object added or lost" test "$(n_objects)" = "$objects0"

check "mctpd still running" kill -0 "$KT_PID_mctpd"
kt_log "mctpd's log:"
grep -v "^$" "$KT_LOGS/mctpd.log" | tail -n 30
stop "$KT_PID_nvmed"
check "nvmed exits cleanly on SIGTERM" test $? -eq 0
kt_finish
