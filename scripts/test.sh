#!/usr/bin/env bash
# Installs the build dependencies (Debian 12), builds everything with
# warnings as errors and runs the whole test suite, then builds it again
# with AddressSanitizer and UndefinedBehaviorSanitizer and runs the unit,
# CLI, milter and corpus tests there; exits non-zero when anything fails.
# Run it as root from the top of a clone: ./scripts/test.sh
#
# BUILD_DIR           the main build (default: build)
# SANITIZE_BUILD_DIR  the sanitizer build (default: build-asan)
# CLEARBOUNCE_SANITIZE_TESTS=0 leaves the sanitizer build out
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
sanitize_dir=${SANITIZE_BUILD_DIR:-$root/build-asan}
# shellcheck source=scripts/deps.sh
source "$root/scripts/deps.sh"

install_deps
cmake -S "$root" -B "$build_dir" -DCLEARBOUNCE_WERROR=ON -DCLEARBOUNCE_TESTS=ON
cmake --build "$build_dir" -j"$(nproc)"
(cd "$build_dir" && ctest --output-on-failure -j2)

if [[ ${CLEARBOUNCE_SANITIZE_TESTS:-1} == 0 ]]; then
  exit 0
fi
# Left out under the sanitizers: the end-to-end and package tests (slow,
# and about Postfix and dpkg more than our code) and the fuzz tests (which
# run sanitized already). Warnings were checked by the main build; GCC's
# warnings under instrumentation include false positives.
# -O1 -g1 rather than the default -O2 -g: instrumented code compiles two to
# three times faster so, and line tables are all a sanitizer report needs.
# The fuzz targets are left out of this build (tests/CMakeLists.txt).
cmake -S "$root" -B "$sanitize_dir" -DCLEARBOUNCE_WERROR=OFF -DCLEARBOUNCE_TESTS=ON \
  -DCLEARBOUNCE_BENCH=OFF -DCLEARBOUNCE_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g1"
cmake --build "$sanitize_dir" -j"$(nproc)"
export UBSAN_OPTIONS=print_stacktrace=1
(cd "$sanitize_dir" && ctest --output-on-failure -j2 -LE '^(e2e|package|fuzz)$')
