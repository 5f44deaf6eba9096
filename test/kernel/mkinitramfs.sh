#!/bin/bash
# Build the test tier's initramfs: a static busybox and a 40-line /init that
# mounts the host root read-only over 9p (tag "root") under a tmpfs
# overlay, mounts the read-write shares named by kt.rw= (tags rw0, rw1, ...)
# at their host paths, and switch_roots into kt.stage2= (a bash script from
# the host root).
#
#   mkinitramfs.sh OUTPUT.cpio.gz
#
# Exit 77 when busybox-static is not installed.
set -euo pipefail

out=${1:?usage: mkinitramfs.sh OUTPUT.cpio.gz}
busybox=${KT_BUSYBOX:-/bin/busybox}
if [[ ! -x $busybox ]] || ! file -L "$busybox" 2>/dev/null |
	grep -q "statically linked"; then
	# `file` may be missing: fall back to ldd's verdict
	if [[ ! -x $busybox ]] || ldd "$busybox" >/dev/null 2>&1; then
		echo "mkinitramfs: static busybox not found (apt-get install" \
			"busybox-static)" >&2
		exit 77
	fi
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,dev,proc,sys,ro,rw,newroot}
cp "$busybox" "$tmp/bin/busybox"
cat >"$tmp/init" <<'INIT'
#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
fail() {
	echo "kt-init: $*"
	$bb echo -ne '\x7f' | $bb dd of=/dev/port bs=1 seek=244 2>/dev/null
	$bb reboot -f
}
opts=version=9p2000.L,msize=262144,trans=virtio
$bb mount -t 9p -o $opts,cache=loose,ro root /ro || fail "9p root"
$bb mount -t tmpfs -o size=256m tmpfs /rw || fail "tmpfs"
$bb mkdir -p /rw/upper /rw/work
$bb mount -t overlay -o lowerdir=/ro,upperdir=/rw/upper,workdir=/rw/work \
	overlay /newroot || fail "overlay"
stage2=
for arg in $($bb cat /proc/cmdline); do
	case $arg in
	kt.rw=*)
		i=0
		for d in $($bb echo "${arg#kt.rw=}" | $bb tr , ' '); do
			$bb mkdir -p "/newroot$d"
			$bb mount -t 9p -o $opts "rw$i" "/newroot$d" ||
				fail "9p rw$i at $d"
			i=$((i + 1))
		done
		;;
	kt.stage2=*) stage2=${arg#kt.stage2=} ;;
	esac
done
[ -n "$stage2" ] || fail "no kt.stage2="
$bb umount /proc /sys /dev
exec $bb switch_root /newroot /bin/bash "$stage2"
INIT
chmod +x "$tmp/init"
# Guests started together may build it at once: each writes its own file
# and renames it into place atomically.
part=$(mktemp "$out.XXXXXX")
(cd "$tmp" && find . | cpio -o -H newc --quiet | gzip -1) >"$part"
chmod 644 "$part"
mv -f "$part" "$out"
