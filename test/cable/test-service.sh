#!/bin/sh
# Checks the cable-presenced unit and D-Bus policy:
#  - systemd-analyze verify accepts the unit without a single complaint
#    (ExecStart pointed at the freshly built binary, as it must exist);
#  - systemd-analyze security rates its exposure at most THRESHOLD/10
#    (its scale: 20 = "2.0", out of 10.0);
#  - the policy lets only root own the name and everyone talk to it.
# Usage: test-service.sh UNIT POLICY DAEMON [THRESHOLD]
set -eu
unit=$1 policy=$2 daemon=$(realpath "$3") threshold=${4:-20}
name=$(basename "$unit")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

grep -q '^Type=dbus$' "$unit"
grep -q '^BusName=xyz.openbmc_project.GPIOCableSensing$' "$unit"
grep -q '^Restart=always$' "$unit"
grep -q '^ExecStart=/.*/cable-presenced$' "$unit"

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
	echo "exposure above $threshold/10"
	exit 1
}
tail -n 1 "$tmp/security"

# D-Bus policy: well-formed, 'own' only in the root policy.
if command -v xmllint >/dev/null; then
	xmllint --noout "$policy"
fi
awk '
	/<policy user="root">/ { inroot = 1 }
	/<policy context="default">/ { indefault = 1 }
	/<\/policy>/ { inroot = 0; indefault = 0 }
	/allow own=/ { if (!inroot) bad = 1; own = 1 }
	/allow send_destination="xyz.openbmc_project.GPIOCableSensing"/ {
		if (indefault) send = 1
	}
	END { exit !(own && send && !bad) }
' "$policy" || {
	echo "D-Bus policy: owner must be root only, everyone may send"
	exit 1
}
echo "policy: ok"
