#!/bin/sh
# Checks the nvmed unit and D-Bus policy: the unit's contract (Type=dbus,
# bus name, ordering after entity-manager and mctpd, AF_MCTP allowed),
# systemd-analyze verify without complaints, the exposure rating, and a
# policy in which only root owns xyz.openbmc_project.NVMe.
# Usage: test-service.sh UNIT POLICY DAEMON [THRESHOLD (0..100, systemd units: 25 = exposure 2.5)]
set -eu
unit=$1 policy=$2 daemon=$3 threshold=${4:-25}
name=$(basename "$unit")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for line in '^Type=dbus$' '^BusName=xyz.openbmc_project.NVMe$' \
	'^Restart=always$' '^ExecStart=/.*/nvmed$' \
	'^After=.*xyz.openbmc_project.EntityManager.service' \
	'^After=.*mctpd.service' '^Wants=.*mctpd.service' \
	'^RestrictAddressFamilies=AF_UNIX AF_MCTP$' \
	'^ProtectSystem=strict$' '^NoNewPrivileges=yes$' '^PrivateTmp=yes$'; do
	grep -q "$line" "$unit" || { echo "unit lacks $line"; exit 1; }
done

sed "s|^ExecStart=.*|ExecStart=$daemon|" "$unit" >"$tmp/$name"
out=$(cd "$tmp" && systemd-analyze verify --man=no "./$name" 2>&1) || {
	echo "$out"
	echo "systemd-analyze verify failed"
	exit 1
}
if [ -n "$out" ]; then
	echo "$out"
	echo "systemd-analyze verify complained"
	exit 1
fi
echo "verify: ok"

(cd "$tmp" && systemd-analyze security --offline=yes \
	--threshold="$threshold" "./$name") >"$tmp/security" 2>&1 || {
	cat "$tmp/security"
	echo "exposure above $threshold"
	exit 1
}
tail -n 1 "$tmp/security"

# D-Bus policy: well-formed; the only 'own' is in the root policy.
if command -v xmllint >/dev/null; then
	xmllint --noout "$policy"
fi
[ "$(grep -c '<allow own=' "$policy")" = 1 ]
awk '/<policy user="root">/ { r = 1 } /<\/policy>/ { r = 0 }
     /<allow own="xyz.openbmc_project.NVMe"\/>/ && !r { exit 1 }' "$policy"
echo "policy: ok"
