#!/bin/bash
# cable-presenced on the kernel's GPIO character device (gpio-sim), its
# records from the entity-manager stand-in on a private bus.
source "$(dirname "$0")/lib.sh"

SVC=xyz.openbmc_project.GPIOCableSensing
ITEM=/xyz/openbmc_project/inventory/item
I_ITEM=xyz.openbmc_project.Inventory.Item
I_OPS=xyz.openbmc_project.State.Decorator.OperationalStatus

present_is() { prop_is "b $2" $SVC "$ITEM/$1" $I_ITEM Present; }
# The kernel's own view of a line: gpio-sim's sim_gpioN/value
# (Documentation/admin-guide/gpio/gpio-sim.rst), which gpioget cannot
# give while cable-presenced holds the line (EBUSY).
kernel_value() { cat "$(gpiosim_sysfs "$1")/sim_gpio$2/value"; }
# kernel_agrees CABLE CHIP OFFSET active_high|active_low: Present is the
# line's level as the kernel has it, through the polarity.
kernel_agrees() {
	local v want
	v=$(kernel_value "$2" "$3") || return 1
	if [[ $4 == active_low ]]; then want=$((1 - v)); else want=$v; fi
	present_is "$1" "$( ((want)) && echo true || echo false)"
}
both_agree() {
	kernel_agrees cab0 bmc 0 active_low && kernel_agrees cab1 bmc 1 active_high
}
functional_is() { prop_is "b $2" $SVC "$ITEM/$1" $I_OPS Functional; }

kt_log "cable-presenced $KT_CABLE_PRESENCED, libgpiod $KT_GPIOD_VERSION"
lib=$(ldd "$KT_CABLE_PRESENCED" | grep -o 'libgpiod\.so\.[0-9]* => [^ ]*')
kt_log "the daemon runs with $lib"
check "the daemon's libgpiod is the one it was built for" \
	test "${lib:12:1}" = "$([[ $KT_GPIOD_VERSION == 1.* ]] && echo 2 || echo 3)"

# Lines: bmc has the two polarities and a line another process holds;
# hot is taken down and brought back; exp appears only later.
gpiosim_create bmc CAB0_PRSNT_N CAB1_PRSNT BUSY0 - &&
	gpiosim_live bmc 1 || exit 1
gpiosim_create hot HOT0 && gpiosim_live hot 1 || exit 1
gpiosim_pull hot 0 up
bmc=/dev/$(<"$GPIOSIM/bmc/bank0/chip_name")
kt_log "gpio-sim: bmc is $bmc, hot is $(<"$GPIOSIM/hot/bank0/chip_name")"

# BUSY0 is held by gpiomon before the daemon starts.
gpiosim_pull bmc 2 up
spawn gpiomon gpiomon "$bmc" 2
need 10 "gpiomon holds BUSY0" \
	bash -c "gpioinfo $bmc | grep -q 'BUSY0.*\"gpiomon\"'"

cat >/run/kt/board.json <<'JSON'
{"Name": "Kernel Tier Board", "Type": "Board", "Probe": "TRUE",
 "Exposes": [
  {"Name": "cab0", "Type": "GPIOCableSensing", "GpioLine": "CAB0_PRSNT_N",
   "Polarity": "active_low", "CableTypeDescription": "CDFP", "Length": 0.5},
  {"Name": "cab1", "Type": "GPIOCableSensing", "GpioLine": "CAB1_PRSNT",
   "Polarity": "active_high"},
  {"Name": "busy", "Type": "GPIOCableSensing", "GpioLine": "BUSY0",
   "Polarity": "active_high", "PollIntervalMs": 300},
  {"Name": "hot", "Type": "GPIOCableSensing", "GpioLine": "HOT0",
   "Polarity": "active_high", "PollIntervalMs": 300},
  {"Name": "exp", "Type": "GPIOCableSensing", "GpioLine": "EXP0",
   "Polarity": "active_high", "PollIntervalMs": 300}
 ]}
JSON

bus_start
spawn em "$TB_EM_STANDIN" /run/kt/board.json
need 10 "em-standin" has_name xyz.openbmc_project.EntityManager
# The default poll is an hour: cab0/cab1 can only move through edges.
spawn cable "$KT_CABLE_PRESENCED" -v --poll-interval-ms 3600000
need 10 "cable-presenced on the bus" has_name $SVC

# Presence for both polarities (all lines pulled down: level 0).
wait_for 10 "active_low line at 0: cab0 present" present_is cab0 true
wait_for 10 "active_high line at 0: cab1 absent" present_is cab1 false
check "kernel's value agrees with Present, both polarities, line at 0" both_agree
check "cab0 functional" functional_is cab0 true
check "cab0 Length from the record" \
	prop_is "d 0.5" $SVC $ITEM/cab0 xyz.openbmc_project.Inventory.Item.Cable Length

# Edges from pull changes reach D-Bus without the (hour-long) poll.
gpiosim_pull bmc 1 up
wait_for 5 "edge: CAB1_PRSNT pulled up -> cab1 present" present_is cab1 true
check "kernel's value agrees after the active_high edge" both_agree
gpiosim_pull bmc 0 up
wait_for 5 "edge: CAB0_PRSNT_N pulled up -> cab0 absent" present_is cab0 false
check "kernel's value agrees after the active_low edge (both at 1)" both_agree
gpiosim_pull bmc 0 down
gpiosim_pull bmc 1 down
both_back() { present_is cab0 true && present_is cab1 false; }
wait_for 5 "edge: both pulled down again" both_back
check "kernel's value agrees after both edges back" both_agree
check "gpioget cannot read a line cable-presenced holds (EBUSY)" \
	bash -c "! gpioget $bmc 0 2>/dev/null"
check "gpioinfo names cable-presenced as the consumer" \
	bash -c "gpioinfo $bmc | grep -q 'CAB0_PRSNT_N.*\"cable-presenced\"'"

# A line held by another process: EBUSY, reported, retried.
wait_for 10 "BUSY0 held by gpiomon: busy not functional" functional_is busy false
check "the daemon says why (EBUSY: used by another consumer)" \
	grep -q "'BUSY0' is used by another consumer" "$KT_LOGS/cable.log"
stop "$KT_PID_gpiomon"
wait_for 10 "gpiomon gone: busy functional" functional_is busy true
wait_for 10 "busy reads its line (pulled up: present)" present_is busy true

# A line that appears only when a second chip goes live later.
wait_for 10 "EXP0 missing: exp not functional" functional_is exp false
gpiosim_create exp EXP0 && gpiosim_live exp 1
wait_for 10 "chip exp live: exp functional" functional_is exp true
check "exp absent (pulled down)" present_is exp false
gpiosim_pull exp 0 up
wait_for 10 "exp follows its line" present_is exp true

# A chip taken down and brought back.
wait_for 10 "hot present" present_is hot true
gpiosim_live hot 0
wait_for 10 "chip hot down: hot not functional" functional_is hot false
gpiosim_live hot 1
wait_for 10 "chip hot back: hot functional" functional_is hot true
check "hot reads its line again (pulled down now: absent)" \
	present_is hot false
gpiosim_pull hot 0 up
wait_for 10 "hot follows its line after the return" present_is hot true

# The other lines were not disturbed.
check "cab0 still present" present_is cab0 true
check "cab1 still absent" present_is cab1 false

stop "$KT_PID_cable"
check "cable-presenced exits cleanly on SIGTERM" test $? -eq 0
gpiosim_destroy exp
gpiosim_destroy hot
gpiosim_destroy bmc
kt_finish
