#!/usr/bin/env bash
# Installs the build dependencies (Debian 12), builds clearbounce and runs
# `clearbounce classify` on the sample bounces: first as a table, then as JSON.
# Run it as root from the top of a clone: ./scripts/demo.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
# shellcheck source=scripts/deps.sh
source "$root/scripts/deps.sh"

install_deps
cmake -S "$root" -B "$build_dir"
cmake --build "$build_dir" -j"$(nproc)" --target clearbounce

cd "$root"
clearbounce=$build_dir/cli/clearbounce
echo
echo "\$ clearbounce classify packaging/samples"
"$clearbounce" classify packaging/samples
echo
echo "\$ clearbounce classify --json packaging/samples"
"$clearbounce" classify --json packaging/samples
