#!/bin/bash
# PID 1 of a test-tier guest, after the initramfs switched into the host
# root (read-only 9p under a tmpfs overlay). Mounts the usual file
# systems, loads the run's environment (kt.env=FILE, written by
# run-vm.sh), runs kt.init=SCRIPT and reports its exit status to QEMU
# through isa-debug-exit (port 0xf4).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -sf pts/ptmx /dev/ptmx
mount -t tmpfs tmpfs /dev/shm
# A fresh /run and /tmp, unless a read-write share (the build directory,
# mounted by the initramfs at its host path) lies below one of them: a
# tmpfs on top would hide it. The overlay root is writable anyway.
for d in /run /tmp; do
	grep -q " $d/" /proc/mounts || mount -t tmpfs tmpfs "$d"
done
mount -t configfs configfs /sys/kernel/config
ip link set lo up 2>/dev/null || true

report() {
	local rc=$1
	((rc > 127)) && rc=127
	printf "\\x$(printf %02x "$rc")" |
		dd of=/dev/port bs=1 seek=244 count=1 status=none
	# isa-debug-exit ends QEMU; should it not, reboot (QEMU -no-reboot)
	busybox reboot -f 2>/dev/null || echo b >/proc/sysrq-trigger
	sleep 10
}

init= envf=
for arg in $(</proc/cmdline); do
	case $arg in
	kt.init=*) init=${arg#kt.init=} ;;
	kt.env=*) envf=${arg#kt.env=} ;;
	esac
done
if [[ -n $envf ]]; then
	# shellcheck disable=SC1090
	source "$envf" || report 126
fi
echo "kt: guest up after $(cut -d' ' -f1 /proc/uptime) s, running $init"
if [[ -z $init || ! -r $init ]]; then
	echo "kt: no test script (kt.init=$init)"
	report 126
fi
cd /tmp
bash "$init"
rc=$?
echo "kt: $init exited $rc after $(cut -d' ' -f1 /proc/uptime) s of uptime"
report $rc
