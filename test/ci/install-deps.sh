#!/bin/sh
# Install what building, testing and the demo need on Debian 12, and only
# what is missing. Run as root (or with sudo available).
set -eu

pkgs="meson ninja-build pkg-config gcc libc6-dev git
libsystemd-dev libjson-c-dev libcmocka-dev libgpiod-dev libnvme-dev
libdbus-1-dev libseccomp-dev dbus nvme-cli gpiod clang-format systemd socat
python3 python3-jsonschema procps clang libclang-rt-dev ipmitool strace"

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing:$missing"
$sudo apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
