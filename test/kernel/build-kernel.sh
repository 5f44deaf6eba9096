#!/bin/bash
# Build the test-tier kernel: Debian's linux-source-6.1, tinyconfig plus
# kernel.config, cached outside the source tree.
#
#   build-kernel.sh            build (or find) the kernel, print its path
#   build-kernel.sh --path     print the cached bzImage path, build nothing
#
# Cache: ${KT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmed-kernel}/<key>/bzImage
# and i2c-stub.ko beside it (the one module; the guests insmod it)
# where <key> is a hash of the fragment and the source tarball's version.
# KT_KSRC overrides the source tarball (default
# /usr/src/linux-source-6.1.tar.xz). KT_JOBS overrides -j (default 2).
# Exit 77 when the source is not installed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/kernel.config
src=${KT_KSRC:-/usr/src/linux-source-6.1.tar.xz}
cache=${KT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmed-kernel}

if [[ ! -r $src ]]; then
	echo "build-kernel: $src not found (apt-get install linux-source-6.1)" >&2
	exit 77
fi

# The key: the fragment's content and the source package's version (its
# tarball's size and mtime stand in when dpkg does not know it).
ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null ||
	stat -c '%s-%Y' "$src")
key=$( (cat "$frag"; echo "$ver") | sha256sum | cut -c1-16)
out=$cache/$key
if [[ ${1:-} == --path ]]; then
	echo "$out/bzImage"
	exit 0
fi
if [[ -s $out/bzImage ]]; then
	echo "$out/bzImage"
	exit 0
fi

mkdir -p "$cache"
work=$cache/work-$ver
if [[ ! -f $work/.extracted ]]; then
	rm -rf "$work"
	mkdir -p "$work"
	echo "build-kernel: extracting $src" >&2
	tar -C "$work" -xf "$src"
	touch "$work/.extracted"
fi
ksrc=$(echo "$work"/linux-source-*)
kbuild=$work/kbuild-$key
mkdir -p "$kbuild"

jobs=${KT_JOBS:-2}
mk() { make -C "$ksrc" O="$kbuild" -j"$jobs" "$@"; }
mk tinyconfig >&2
"$ksrc/scripts/kconfig/merge_config.sh" -m -O "$kbuild" \
	"$kbuild/.config" "$frag" >&2
mk olddefconfig >&2

# Every option of the fragment must have survived the merge.
missing=0
while IFS= read -r line; do
	[[ $line =~ ^CONFIG_ ]] || continue
	opt=${line%%=*}
	val=${line#*=}
	if [[ $val == n ]]; then
		if grep -q "^$opt=" "$kbuild/.config"; then
			echo "build-kernel: $opt should be off" >&2
			missing=1
		fi
	elif ! grep -qx "$line" "$kbuild/.config"; then
		echo "build-kernel: $line did not survive olddefconfig" >&2
		missing=1
	fi
done <"$frag"
((missing == 0)) || exit 1

mk bzImage modules >&2
mkdir -p "$out"
# i2c-stub (the only module) first: the bzImage's presence marks the
# cache entry complete.
cp "$kbuild/drivers/i2c/i2c-stub.ko" "$out/i2c-stub.ko"
cp "$kbuild/arch/x86/boot/bzImage" "$out/bzImage.tmp"
mv "$out/bzImage.tmp" "$out/bzImage"
cp "$kbuild/.config" "$out/config"
echo "$out/bzImage"
