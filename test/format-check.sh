#!/bin/sh
# Fails when a tracked C file differs from what clang-format makes of it.
set -eu
cd "$1"
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find src include test -name '*.[ch]')
[ -n "$files" ] || exit 0
# shellcheck disable=SC2086
clang-format --dry-run -Werror $files
