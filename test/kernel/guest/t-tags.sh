#!/bin/bash
# MCTP tag exhaustion on the real kernel. libnvme before 1.6 leaks the
# manually allocated tag of every request that times out; the kernel never
# expires manually allocated tags (mctp_sk_expire_keys skips them), and
# mctp_alloc_local_tag fails with EBUSY once eight are held for a peer,
# for every socket in the network namespace. A client that keeps its
# endpoint open (kt-naive-mi) is locked out after eight timeouts; nvmed,
# which closes and reopens after any failure, is not.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/nvme-lib.sh"

leaky=0
version_lt "$KT_LIBNVME_VERSION" 1.6 && leaky=1
kt_log "libnvme-mi $KT_LIBNVME_VERSION: tag leak expected: $leaky"

cat >/run/kt/drives.json <<'JSON'
{"drives": [
 {"network": 1, "eid": 9, "serial": "KT-TAGS-0001", "temperature": 33}
]}
JSON
emu_start /run/kt/drives.json 8 9

# id_ctrl LOGNAME: nvme id-ctrl of EID 9 succeeds with its serial number.
id_ctrl() {
	nvme_cli id-ctrl mctp:1,9 -o json >/run/kt/id.json \
		2>>"$KT_LOGS/nvme-$1.log" &&
		[[ $(json_str /run/kt/id.json sn) == KT-TAGS-0001 ]]
}

# ---- the naive client ----
coproc NAIVE { "$KT_NAIVE_MI" 1 9 100 2>"$KT_LOGS/naive.log"; }
naive() {
	echo poll >&"${NAIVE[1]}"
	read -r -t 20 reply <&"${NAIVE[0]}" || reply="no answer"
	echo "$reply"
}
check "naive client: first poll ok" test "$(naive)" = ok
emu_ctl '{"eid": 9, "silent": true}' >/dev/null
results=()
for i in $(seq 1 12); do
	results+=("$(naive)")
done
kt_log "naive client, 12 polls of a silent drive: ${results[*]}"
check "naive client: polls 1-8 time out" \
	test "${results[*]:0:8}" = "$(printf 'error ETIMEDOUT %.0s' {1..8} | sed 's/ $//')"
emu_ctl '{"eid": 9, "silent": false}' >/dev/null
after=$(naive)
kt_log "naive client, drive answering again: $after"
nvme_rc=0
if command -v nvme >/dev/null; then
	nvme_cli id-ctrl mctp:1,9 -o json >/run/kt/id.json 2>"$KT_LOGS/nvme-naive.log"
	nvme_rc=$?
	kt_log "nvme id-ctrl while the naive client is open: rc $nvme_rc" \
		"($(tail -n1 "$KT_LOGS/nvme-naive.log"))"
fi
if ((leaky)); then
	check "naive client (leaky libnvme): poll 9 fails with EBUSY" \
		test "${results[8]}" = "error EBUSY"
	check "naive client: polls 9-12 all EBUSY" test \
		"${results[*]:8}" = "error EBUSY error EBUSY error EBUSY error EBUSY"
	check "naive client: still EBUSY after the drive answers again" \
		test "$after" = "error EBUSY"
	if command -v nvme >/dev/null; then
		check "another process (nvme id-ctrl) is locked out too" \
			test $nvme_rc -ne 0
	fi
else
	check "naive client (fixed libnvme): no EBUSY" \
		bash -c "! grep -q EBUSY <<<'${results[*]}'"
	check "naive client: polls 9-12 time out" test \
		"${results[*]:8}" = "error ETIMEDOUT error ETIMEDOUT error ETIMEDOUT error ETIMEDOUT"
	check "naive client: ok once the drive answers again" test "$after" = ok
	if command -v nvme >/dev/null; then
		check "nvme id-ctrl works meanwhile" test $nvme_rc -eq 0
	fi
fi
echo quit >&"${NAIVE[1]}"
wait "$NAIVE_PID"
if command -v nvme >/dev/null; then
	check "naive client closed: its tags are released (nvme id-ctrl)" \
		id_ctrl naive
fi

# ---- nvmed, same drive, same kernel ----
cat >/run/kt/nvmed.json <<'JSON'
[{"Type": "NVMeMI", "Name": "NVMe_T", "Network": 1, "EID": 9}]
JSON
bus_start
spawn nvmed "$KT_NVMED" -v --config /run/kt/nvmed.json -i 100 -t 100
need 10 "nvmed on the bus" has_name $NVME_SVC
wait_for 20 "nvmed: NVMe_T temperature 33" temp_is NVMe_T 33
req0=$(emu_get 9 requests)
emu_ctl '{"eid": 9, "silent": true}' >/dev/null
more_than_8() { (($(emu_get 9 requests) - req0 >= 10)); }
wait_for 60 "nvmed: 10 requests time out (more than the 8 tags)" more_than_8
check "nvmed: NVMe_T unavailable while silent" available_is NVMe_T false
emu_ctl '{"eid": 9, "silent": false, "temperature": 36}' >/dev/null
if command -v nvme >/dev/null; then
	check "nvmed holds no leaked tags: nvme id-ctrl works at once" \
		id_ctrl nvmed
fi
wait_for 40 "nvmed: NVMe_T recovers" available_is NVMe_T true
wait_for 10 "nvmed: NVMe_T temperature 36" temp_is NVMe_T 36
stop "$KT_PID_nvmed"
check "nvmed exits cleanly on SIGTERM" test $? -eq 0
kt_finish
