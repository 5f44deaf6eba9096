#!/bin/bash
# Boot the test-tier kernel in QEMU and run one guest script in it; exit
# with the script's status.
#
#   run-vm.sh SCRIPT [NAME=VALUE]...
#
# The guest's root is this machine's root, read-only over 9p with a tmpfs
# overlay, so the script runs the same programs and libraries as the host.
# Exported TB_*, KT_*, LD_LIBRARY_PATH and ASAN/UBSAN options plus the
# NAME=VALUE arguments are passed into the guest's environment (the
# arguments are set here too, so KT_SYSTEMD and KT_INSTALL work as
# either).
#
# Environment:
#   KT_KERNEL   bzImage (default: the cache path build-kernel.sh prints)
#   KT_RW       directories shared read-write (comma separated; default
#               TB_BUILD_ROOT when set)
#   KT_TIMEOUT  seconds before the guest is killed (default 300; exit 124)
#   KT_ACCEL    tcg (default) or kvm (only when asked for: KVM hangs on
#               some hosts; "auto" uses kvm when /dev/kvm is usable)
#   KT_MEM      guest memory in MiB (default 512)
#   KT_CACHE    kernel/initramfs cache directory (see build-kernel.sh)
#   KT_REQUIRE  1: what would be a skip (77) is a failure (CI)
#   KT_SYSTEMD  1: the guest boots the host's systemd as PID 1 and runs
#               SCRIPT as a unit (guest/stage2.sh)
#   KT_INSTALL  a meson build directory: `meson install --destdir` it into
#               the run directory first, as a package build would; the
#               guest gets the staging tree as KT_DESTDIR
#   KT_NEEDS    the name of a variable that must name a program for this
#               test (an optional component, e.g. KT_MCTPD, a real
#               mctpd): without it the test is skipped (77), KT_REQUIRE
#               or not
# Exit: the script's status; 77 (skip) without QEMU, static busybox or a
# built kernel; 124 timeout; 125 the guest never reported (panic).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
script=${1:?usage: run-vm.sh SCRIPT [NAME=VALUE]...}
shift
script=$(realpath "$script")
for kv in "$@"; do
	export "${kv?}"
done

skip() {
	if [[ ${KT_REQUIRE:-0} == 1 ]]; then
		echo "run-vm: FAIL (KT_REQUIRE=1): $*" >&2
		exit 1
	fi
	echo "run-vm: SKIP: $*" >&2
	exit 77
}

if [[ -n ${KT_NEEDS:-} ]]; then
	needed=${!KT_NEEDS:-}
	if [[ -z $needed || ! -x $needed ]]; then
		echo "run-vm: SKIP: $KT_NEEDS does not name a program" \
			"(optional; see test/kernel/README.md)" >&2
		exit 77
	fi
fi

qemu=$(command -v qemu-system-x86_64) || skip "qemu-system-x86_64 not found"
kernel=${KT_KERNEL:-$("$here/build-kernel.sh" --path)}
[[ -s $kernel ]] || skip "no kernel at $kernel (run test/kernel/build-kernel.sh)"

cache=$(dirname "$kernel")
initrd=$cache/initramfs-$(sha256sum "$here/mkinitramfs.sh" | cut -c1-12).cpio.gz
if [[ ! -s $initrd ]]; then
	"$here/mkinitramfs.sh" "$initrd"
	rc=$?
	((rc == 77)) && skip "static busybox not found"
	((rc == 0)) || exit 1
fi

accel=${KT_ACCEL:-tcg}
if [[ $accel == auto ]]; then
	accel=tcg
	[[ -r /dev/kvm && -w /dev/kvm ]] && accel=kvm
fi

# Read-write shares and the run directory (environment file, artefacts).
rw=${KT_RW:-${TB_BUILD_ROOT:-}}
[[ -n $rw ]] || skip "no read-write directory (KT_RW or TB_BUILD_ROOT)"
first=${rw%%,*}
name=$(basename "$script" .sh)
rundir=$(mktemp -d "$first/kt-run-$name.XXXXXX")
trap 'rm -rf "$rundir"' EXIT
envf=$rundir/env.sh
{
	while IFS='=' read -r var _; do
		case $var in
		TB_* | KT_* | LD_LIBRARY_PATH | ASAN_OPTIONS | UBSAN_OPTIONS)
			printf 'export %s=%q\n' "$var" "${!var}"
			;;
		esac
	done < <(env)
	for kv in "$@"; do
		printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
	done
	printf 'export KT_RUNDIR=%q\n' "$rundir"
	# The one module of the kernel (build-kernel.sh), when it has it.
	[[ -f $cache/i2c-stub.ko ]] &&
		printf 'export KT_I2C_STUB=%q\n' "$cache/i2c-stub.ko"
} >"$envf"
if [[ -n ${KT_INSTALL:-} ]]; then
	if ! meson install -C "$KT_INSTALL" --no-rebuild --quiet \
		--destdir "$rundir/dest" >"$rundir/install.log" 2>&1; then
		cat "$rundir/install.log" >&2
		echo "run-vm: meson install of $KT_INSTALL failed" >&2
		exit 1
	fi
	printf 'export KT_DESTDIR=%q\n' "$rundir/dest" >>"$envf"
fi
append="console=ttyS0 quiet loglevel=4 panic=-1 kt.stage2=$here/guest/stage2.sh kt.init=$script kt.env=$envf kt.rw=$rw"
[[ ${KT_SYSTEMD:-0} == 1 ]] && append+=" kt.systemd=1"

virtfs=(-virtfs "local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap")
i=0
IFS=, read -ra dirs <<<"$rw"
for d in "${dirs[@]}"; do
	virtfs+=(-virtfs "local,path=$d,mount_tag=rw$i,security_model=none,multidevs=remap")
	i=$((i + 1))
done

start=$(date +%s%N)
timeout --foreground -k 5 "${KT_TIMEOUT:-300}" "$qemu" \
	-accel "$accel" -m "${KT_MEM:-512}" -nodefaults -no-reboot \
	-display none -serial stdio -cpu max \
	-device isa-debug-exit,iobase=0xf4,iosize=0x01 \
	-kernel "$kernel" -initrd "$initrd" \
	-append "$append" \
	"${virtfs[@]}" </dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
printf 'run-vm: %s: QEMU exit %d after %d.%03d s (%s)\n' "$name" "$rc" \
	$((ms / 1000)) $((ms % 1000)) "$accel" >&2
if ((rc == 124 || rc == 137)); then
	echo "run-vm: timeout after ${KT_TIMEOUT:-300} s" >&2
	exit 124
fi
if ((rc & 1)); then
	exit $((rc >> 1))
fi
echo "run-vm: the guest never reported a status (panic?)" >&2
exit 125
