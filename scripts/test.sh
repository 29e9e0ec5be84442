#!/usr/bin/env bash
# Installs the build dependencies (Debian 12), builds everything with
# warnings as errors and runs the whole test suite; exits non-zero when
# anything fails. Run it as root from the top of a clone: ./scripts/test.sh
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
# shellcheck source=scripts/deps.sh
source "$root/scripts/deps.sh"

install_deps
cmake -S "$root" -B "$build_dir" -DCLEARBOUNCE_WERROR=ON -DCLEARBOUNCE_TESTS=ON
cmake --build "$build_dir" -j"$(nproc)"
cd "$build_dir"
ctest --output-on-failure -j2
