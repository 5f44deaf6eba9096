#!/bin/bash
# PID 1 of a test-tier guest, after the initramfs switched into the host
# root (read-only 9p under a tmpfs overlay). Mounts the usual file
# systems, loads the run's environment (kt.env=FILE, written by
# run-vm.sh), runs kt.init=SCRIPT and reports its exit status to QEMU
# through isa-debug-exit (port 0xf4).
#
# With kt.systemd=1 on the command line it hands PID 1 to the host's own
# systemd instead (/lib/systemd/systemd, booted into kt.target), and the
# script runs as the unit kt-run.service, which calls this file again
# with --run: run the script, report its status.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
self=$(realpath "${BASH_SOURCE[0]}")

report() {
	local rc=$1
	((rc > 127)) && rc=127
	printf "\\x$(printf %02x "$rc")" |
		dd of=/dev/port bs=1 seek=244 count=1 status=none
	# isa-debug-exit ends QEMU; should it not, reboot (QEMU -no-reboot)
	busybox reboot -f 2>/dev/null || echo b >/proc/sysrq-trigger
	sleep 10
}

cmdline() { # KEY: the value of kt.KEY= on the kernel command line
	local arg
	for arg in $(</proc/cmdline); do
		[[ $arg == "kt.$1="* ]] && echo "${arg#kt."$1"=}"
	done
}

run_init() {
	local init envf rc
	init=$(cmdline init)
	envf=$(cmdline env)
	if [[ -n $envf ]]; then
		# shellcheck disable=SC1090
		source "$envf" || report 126
	fi
	echo "kt: guest up after $(cut -d' ' -f1 /proc/uptime) s, running $init"
	if [[ -z $init || ! -r $init ]]; then
		echo "kt: no test script (kt.init=$init)"
		report 126
	fi
	cd /tmp || report 126
	bash "$init"
	rc=$?
	echo "kt: $init exited $rc after $(cut -d' ' -f1 /proc/uptime) s of uptime"
	report $rc
}

if [[ ${1:-} == --run ]]; then
	run_init
fi

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

if [[ $(cmdline systemd) == 1 ]]; then
	# systemd mounts the API file systems, /run and cgroup2 itself. The
	# guest boots into kt.target: the test unit and what it pulls in
	# (sysinit.target, sockets.target with the system bus), nothing of
	# the host's multi-user.target. Units written here land in the
	# tmpfs overlay, never on the host.
	units=/etc/systemd/system
	cat >"$units/kt.target" <<UNIT
[Unit]
Description=Kernel-tier test
Wants=kt-run.service
AllowIsolate=yes
UNIT
	cat >"$units/kt-run.service" <<UNIT
[Unit]
Description=Kernel-tier test script
Wants=dbus.socket
After=basic.target dbus.socket

[Service]
Type=oneshot
ExecStart=/bin/bash $self --run
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
UNIT
	# No getty on the console the test writes to; no clock sync (no
	# network); not the host's sysctl.d (its kernel.pid_max is above the
	# limit of a CONFIG_BASE_SMALL kernel).
	for u in serial-getty@ttyS0.service getty@tty1.service \
		systemd-timesyncd.service systemd-sysctl.service; do
		ln -sf /dev/null "$units/$u"
	done
	# systemd-tmpfiles-setup empties /tmp at boot (tmpfiles.d/tmp.conf:
	# "D /tmp"), which would take the host's files under /tmp out of the
	# guest's view, the test scripts of a checkout there included. A file
	# of the same name in /etc overrides it (tmpfiles.d(5)).
	mkdir -p /etc/tmpfiles.d
	: >/etc/tmpfiles.d/tmp.conf
	umount /dev /sys /proc
	exec /lib/systemd/systemd --unit=kt.target --show-status=false \
		--log-level=notice
fi

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
run_init
