#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Unpack Debian 13 (trixie) libgpiod 2.x and libnvme into a private prefix,
# so that a Debian 12 machine can build and test the libgpiod v2 adapter
# without installing anything system-wide.
#
#   test/ci/trixie-prefix.sh PREFIX
#   export PKG_CONFIG_PATH=PREFIX/usr/lib/x86_64-linux-gnu/pkgconfig
#   export LD_LIBRARY_PATH=PREFIX/usr/lib/x86_64-linux-gnu
#   meson setup build-gpio2 && meson test -C build-gpio2
#
# apt-get runs with a private sources list, list directory and cache under
# PREFIX/.apt, so the system's apt state is not touched (no root needed for
# the download itself). Idempotent: a package already unpacked (same
# version) is skipped. MIRROR overrides the mirror taken from this
# machine's apt sources.
set -eu

[ $# -eq 1 ] || {
	echo "usage: $0 PREFIX" >&2
	exit 2
}
mkdir -p "$1"
prefix=$(cd "$1" && pwd)
arch=$(dpkg --print-architecture)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null ||
	gcc -print-multiarch)
libdir=$prefix/usr/lib/$multiarch

# libgpiod 2.x and libnvme with their runtime libraries. libnvme.pc
# Requires.private json-c and dbus-1, which Debian 12 has at versions that
# satisfy it; libgpiod.pc requires nothing.
packages="libgpiod-dev libgpiod3 libnvme-dev libnvme1t64"

# First "deb.debian.org/debian"-like URI of this machine's sources.
find_mirror() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		sed -n -e 's|^URIs:[[:space:]]*\([^[:space:]]*/debian\)/*$|\1|p' \
			-e 's|^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^[:space:]]*/debian\)/*[[:space:]].*|\2|p' \
			"$f"
	done | head -n 1
}
mirror=${MIRROR:-$(find_mirror)}
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

apt_dir=$prefix/.apt
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" \
	"$apt_dir/debs" "$apt_dir/stamps"
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
echo "deb [signed-by=$keyring] $mirror trixie main" >"$apt_dir/sources.list"

apt_opts="-o Dir::Etc::SourceList=$apt_dir/sources.list
	-o Dir::Etc::SourceParts=/dev/null
	-o Dir::State::Lists=$apt_dir/lists
	-o Dir::State::Status=/dev/null
	-o Dir::Cache=$apt_dir/cache
	-o Debug::NoLocking=1
	-o APT::Architecture=$arch"
# The files land in PREFIX, which apt's _apt sandbox user may not write.
[ "$(id -u)" -ne 0 ] || apt_opts="$apt_opts -o APT::Sandbox::User=root"

have_all() {
	for p in $packages; do
		[ -e "$apt_dir/stamps/$p" ] || return 1
	done
}

if have_all && [ -e "$libdir/pkgconfig/libgpiod.pc" ]; then
	echo "trixie-prefix: $prefix is up to date"
	exit 0
fi

# shellcheck disable=SC2086
apt-get -q $apt_opts update >/dev/null
cd "$apt_dir/debs"
for p in $packages; do
	# shellcheck disable=SC2086
	ver=$(apt-cache $apt_opts show --no-all-versions "$p" |
		sed -n 's/^Version: //p' | head -n 1)
	[ -n "$ver" ] || {
		echo "trixie-prefix: $p not found in trixie" >&2
		exit 1
	}
	if [ "$(cat "$apt_dir/stamps/$p" 2>/dev/null)" = "$ver" ]; then
		continue
	fi
	rm -f "$p"_*.deb
	# shellcheck disable=SC2086
	apt-get -q $apt_opts download "$p" >/dev/null
	dpkg-deb -x "$p"_*.deb "$prefix"
	echo "$ver" >"$apt_dir/stamps/$p"
	echo "trixie-prefix: unpacked $p $ver"
done

# The .pc files say prefix=/usr: point them at the private prefix.
for pc in "$libdir"/pkgconfig/*.pc; do
	[ -e "$pc" ] || continue
	sed -i "s|^prefix=/usr\$|prefix=$prefix/usr|" "$pc"
done

# Debian 12 has glibc 2.36: say which unpacked libraries need a newer one
# (libnvme.so.1 1.13 does, for __isoc23_*; libgpiod.so.3 and
# libnvme-mi.so.1 do not).
glibc=$(getconf GNU_LIBC_VERSION | sed 's/^glibc //')
for so in "$libdir"/*.so.*[0-9]; do
	[ -L "$so" ] && continue
	need=$(objdump -T "$so" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' |
		sed 's/GLIBC_//' | sort -uV | tail -n 1)
	[ -n "$need" ] || continue
	if [ "$(printf '%s\n%s\n' "$need" "$glibc" | sort -V | tail -n 1)" != "$glibc" ]; then
		echo "trixie-prefix: warning: $(basename "$so") needs glibc $need (have $glibc), it will not load here" >&2
	fi
done

echo "trixie-prefix: PKG_CONFIG_PATH=$libdir/pkgconfig LD_LIBRARY_PATH=$libdir"
