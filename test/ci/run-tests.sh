#!/bin/bash
# The whole test suite, as CI runs it: install what is missing, then build
# and test three configurations:
#   build-ci/deb12   Debian 12: libgpiod 1.6.3, libnvme 1.3
#   build-ci/asan    the same with AddressSanitizer + UndefinedBehaviorSanitizer
#   build-ci/trixie  Debian 13's libgpiod 2.2.1 and libnvme 1.13, unpacked
#                    into a private prefix (never installed system-wide)
#   build-ci/fuzz    clang, -Dfuzzing=true: the whole tree is built with
#                    clang (warnings are errors there too); the libFuzzer
#                    targets of test/fuzz replay their corpus, then each
#                    runs for FUZZ_SECONDS (20 s), the fuzzing at most
#                    5 min
# and then the real-kernel tier (test/kernel: Linux 6.1 in QEMU) with the
# deb12 and trixie builds.
# Usage: test/ci/run-tests.sh [deb12|asan|trixie|fuzz|kernel]...
#        (default: all)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
out=${BUILD_ROOT:-$src/build-ci}
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(deb12 asan trixie fuzz kernel)

mkdir -p "$out"
summary=$out/summary.log
: >"$summary"

"$src/test/ci/install-deps.sh"

# The GPIO simulation gives every requested line its own inotify instance
# (as the kernel gives every line request its own fd); the 1,000-cable
# tests need more than the default 128 per user.
if [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -lt 4096 ]; then
	sysctl -q -w fs.inotify.max_user_instances=4096 ||
		echo "warning: cannot raise fs.inotify.max_user_instances" >&2
fi

# An entity-manager checkout next to the source tree, if there is one:
# the tests that read its board files and validate against its schemas
# run with it and are skipped without it.
em_args=()
if [ -d "$src/../shared/entity-manager" ]; then
	em_args=("-Dentity-manager-dir=$(cd "$src/../shared/entity-manager" && pwd)")
fi

setup() { # dir, extra meson args...
	local dir=$1
	shift
	set -- "$@" "${em_args[@]}"
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" --wrap-mode=nodownload "$@"
	fi
}

prefix=$out/trixie-prefix
libdir=$prefix/usr/lib/x86_64-linux-gnu
status=0
run_config() {
	local name=$1 dir=$out/$1
	shift
	echo "=== configuration $name ==="
	local start=$SECONDS
	setup "$dir" "$@"
	meson compile -C "$dir"
	if ! meson test -C "$dir" --print-errorlogs --num-processes 2 \
		--no-suite kernel | tee -a "$summary"; then
		status=1
	fi
	echo "=== configuration $name: $((SECONDS - start)) s ==="
}

# Each libFuzzer target for a bounded time: a crash, a leak, undefined
# behaviour, a hang or a broken invariant fails CI; the input that did it
# is kept in build-ci/fuzz/artifacts/ (replay: the target with the file).
# New corpus entries stay in build-ci/fuzz/corpus/ for the next run.
run_fuzz() {
	local dir=$out/fuzz start=$SECONDS deadline bins=() bin name left t
	local runs dict i
	echo "=== configuration fuzz ==="
	if ! command -v clang >/dev/null; then
		echo "fuzz: clang not found: skipped"
		return
	fi
	CC=clang setup "$dir" -Dbuildtype=debugoptimized -Dfuzzing=true
	# Everything, not only the targets: the one clang build of the tree.
	meson compile -C "$dir"
	deadline=$((SECONDS + 300)) # for the fuzzing, after the build
	if ! meson test -C "$dir" --no-rebuild --suite fuzz --print-errorlogs |
		tee -a "$summary"; then
		status=1
	fi
	for bin in "$dir"/test/fuzz/fuzz-*; do
		[ -f "$bin" ] && [ -x "$bin" ] && bins+=("$bin")
	done
	mkdir -p "$dir/artifacts"
	for i in "${!bins[@]}"; do
		bin=${bins[$i]}
		name=$(basename "$bin")
		# what is left of the 5 minutes, shared by the targets left
		left=$(((deadline - SECONDS) / (${#bins[@]} - i)))
		t=${FUZZ_SECONDS:-20}
		[ "$t" -le "$left" ] || t=$left
		[ "$t" -ge 1 ] || t=1
		dict=()
		[ -f "$src/test/fuzz/$name.dict" ] &&
			dict=("-dict=$src/test/fuzz/$name.dict")
		mkdir -p "$dir/corpus/$name"
		if timeout $((t + 60)) "$bin" -max_total_time="$t" -timeout=10 \
			-rss_limit_mb=2048 -error_exitcode=1 -timeout_exitcode=1 \
			-print_final_stats=1 "${dict[@]}" \
			-artifact_prefix="$dir/artifacts/$name-" \
			"$dir/corpus/$name" "$src/test/fuzz/corpus/$name" \
			>"$dir/$name.log" 2>&1; then
			runs=$(awk '/stat::number_of_executed_units/ { print $2 }' \
				"$dir/$name.log")
			echo "fuzz: $name: $runs runs in $t s"
		else
			echo "fuzz: $name FAILED (log: $dir/$name.log," \
				"input: $dir/artifacts/$name-*)"
			tail -n 40 "$dir/$name.log"
			status=1
		fi
	done
	echo "=== configuration fuzz: $((SECONDS - start)) s ==="
}

for c in "${configs[@]}"; do
	case $c in
	deb12)
		run_config deb12 -Dbuildtype=debugoptimized
		;;
	asan)
		run_config asan -Dbuildtype=debug -Db_sanitize=address,undefined \
			-Db_lundef=false
		;;
	trixie)
		"$src/test/ci/trixie-prefix.sh" "$prefix"
		# No LD_LIBRARY_PATH: meson gives the built programs a RUNPATH
		# into the prefix, while system tools (nvme-cli, whose libnvme
		# 1.13 would need glibc 2.38) keep Debian 12's libraries.
		PKG_CONFIG_PATH=$libdir/pkgconfig run_config trixie -Dbuildtype=debug
		;;
	fuzz)
		run_fuzz
		;;
	kernel)
		# Needs the deb12 and trixie builds (made here if missing).
		for b in deb12 trixie; do
			[ -f "$out/$b/build.ninja" ] || {
				echo "kernel: run the $b configuration first" >&2
				exit 2
			}
		done
		echo "=== kernel tier ==="
		start=$SECONDS
		"$src/test/ci/kernel-tier.sh" "$out/deb12" \
			"$out/trixie:$libdir" | tee -a "$summary" || status=1
		echo "=== kernel tier: $((SECONDS - start)) s ==="
		;;
	*)
		echo "unknown configuration '$c' (deb12, asan, trixie, fuzz, kernel)" >&2
		exit 2
		;;
	esac
done

# One closing line over every configuration (meson's per-run summaries).
count() { awk -v k="$1" '$1 == k { n += $2 } END { print n + 0 }' "$summary"; }
passed=$(count Ok:)
failed=$(($(count Fail:) + $(count Timeout:)))
echo "$passed passed, $failed failed, $(count Skipped:) skipped"
[ "$failed" -eq 0 ] || status=1
if [ $status -ne 0 ]; then
	echo "Some tests failed (logs: $out/*/meson-logs/testlog.txt)"
fi
exit $status
