#!/bin/bash
# NVMe helpers for the guest scripts (after lib.sh).
NVME_SVC=xyz.openbmc_project.NVMe
SENSOR=/xyz/openbmc_project/sensors/temperature
DRIVE=/xyz/openbmc_project/inventory/drive
I_VALUE=xyz.openbmc_project.Sensor.Value
I_AVAIL=xyz.openbmc_project.State.Decorator.Availability
I_ASSET=xyz.openbmc_project.Inventory.Decorator.Asset
I_REV=xyz.openbmc_project.Inventory.Decorator.Revision
I_OPS=xyz.openbmc_project.State.Decorator.OperationalStatus

temp_is() { prop_is "d $2" $NVME_SVC "$SENSOR/$1" $I_VALUE Value; }
available_is() { prop_is "b $2" $NVME_SVC "$SENSOR/$1" $I_AVAIL Available; }
serial_is() {
	prop_is "s \"$2\"" $NVME_SVC "$DRIVE/$1" $I_ASSET SerialNumber
}

# version_lt A B: A < B (dotted versions)
version_lt() {
	[[ $1 != "$2" && $(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1) == "$1" ]]
}

# json_str FILE KEY / json_num FILE KEY: a top-level value of nvme-cli's
# JSON output (no jq or python on a fresh machine).
json_str() {
	sed -n "s/^[[:space:]]*\"$2\"[[:space:]]*:[[:space:]]*\"\\(.*\\)\",\\{0,1\\}$/\\1/p" "$1" |
		head -n1 | sed 's/[[:space:]]*$//'
}
json_num() {
	sed -n "s/^[[:space:]]*\"$2\"[[:space:]]*:[[:space:]]*\\([-0-9.]*\\),\\{0,1\\}$/\\1/p" "$1" |
		head -n1
}

# The host's nvme-cli, with the host's libnvme (LD_LIBRARY_PATH may point
# at another libnvme built for the daemon under test).
nvme_cli() { env -u LD_LIBRARY_PATH nvme "$@"; }
