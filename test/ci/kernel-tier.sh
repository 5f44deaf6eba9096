#!/bin/bash
# The real-kernel test tier in CI (test/kernel/README.md): install what it
# needs, build or restore the kernel, run the 'kernel' suite in the given
# build directories.
#
#   test/ci/kernel-tier.sh BUILDDIR[:LIBDIR]...
#
# LIBDIR, when given, is the LD_LIBRARY_PATH that build's daemons need
# (the trixie build: PREFIX/usr/lib/x86_64-linux-gnu). The kernel is
# cached under ${KT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmed-kernel}
# (about 5 minutes to build cold on 2 cores, nothing when cached). Here a
# skipped kernel test is a failure (KT_REQUIRE=1): CI must run them all.
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
[ $# -gt 0 ] || {
	echo "usage: $0 BUILDDIR[:LIBDIR]..." >&2
	exit 2
}
start=$SECONDS

pkgs="qemu-system-x86 busybox-static linux-source-6.1 make gcc flex bison bc
libelf-dev xz-utils cpio i2c-tools"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	echo "kernel-tier: installing$missing"
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends $missing
fi
echo "=== kernel tier: packages ready after $((SECONDS - start)) s ==="

kstart=$SECONDS
kernel=$("$src/test/kernel/build-kernel.sh" 2>"${TMPDIR:-/tmp}/kt-kernel-build.log") || {
	tail -n 50 "${TMPDIR:-/tmp}/kt-kernel-build.log"
	echo "kernel-tier: the kernel build failed" >&2
	exit 1
}
echo "=== kernel tier: kernel $kernel ready after $((SECONDS - kstart)) s ==="

export KT_REQUIRE=1
status=0
for arg in "$@"; do
	dir=${arg%%:*}
	libdir=
	[[ $arg == *:* ]] && libdir=${arg#*:}
	tstart=$SECONDS
	echo "=== kernel tier: $dir ==="
	if ! env ${libdir:+LD_LIBRARY_PATH=$libdir} \
		meson test -C "$dir" --suite kernel --print-errorlogs \
		--num-processes 2; then
		status=1
	fi
	echo "=== kernel tier: $dir: $((SECONDS - tstart)) s ==="
done
echo "=== kernel tier: $((SECONDS - start)) s in all ==="
exit $status
