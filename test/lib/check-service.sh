#!/bin/sh
# Checks a daemon's systemd unit and D-Bus policy:
#  - the unit carries each REQUIRED line (grep patterns) besides Type=dbus,
#    BusName=BUSNAME, Restart=always and an ExecStart ending in the daemon;
#  - systemd-analyze verify accepts it without a single complaint
#    (ExecStart pointed at the freshly built binary, as it must exist);
#  - systemd-analyze security rates its exposure at most THRESHOLD
#    (its scale: 20 = "2.0" out of 10.0);
#  - the policy is well-formed, lets only root own BUSNAME and everyone
#    talk to it.
# Usage: check-service.sh UNIT POLICY DAEMON BUSNAME THRESHOLD [REQUIRED]...
set -eu
unit=$1 policy=$2 daemon=$(realpath "$3") busname=$4 threshold=$5
shift 5
name=$(basename "$unit")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for line in '^Type=dbus$' "^BusName=$busname\$" '^Restart=always$' \
	"^ExecStart=/.*/$(basename "$daemon")\$" "$@"; do
	grep -q "$line" "$unit" || {
		echo "unit lacks $line"
		exit 1
	}
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
	echo "exposure above $threshold/10"
	exit 1
}
tail -n 1 "$tmp/security"

if command -v xmllint >/dev/null; then
	xmllint --noout "$policy"
fi
awk -v name="$busname" '
	/<policy user="root">/ { inroot = 1 }
	/<policy context="default">/ { indefault = 1 }
	/<\/policy>/ { inroot = 0; indefault = 0 }
	/allow own=/ { if (!inroot) bad = 1; own = 1 }
	index($0, "allow send_destination=\"" name "\"") {
		if (indefault) send = 1
	}
	END { exit !(own && send && !bad) }
' "$policy" || {
	echo "D-Bus policy: owner must be root only, everyone may send"
	exit 1
}
echo "policy: ok"
