#!/bin/sh
# Builds the libFuzzer target for the message parser with clang++ and runs it
# for a short while on a seed corpus.
#
#   run_fuzz.sh SOURCE_DIR BUILD_DIR
#
# FUZZ_SECONDS   how long to fuzz (default 20); set it higher for a real run
# FUZZ_CXX       the compiler (default clang++)
#
# Exit status: 0 clean, 77 when clang++ or libFuzzer is missing (ctest shows
# the test as skipped), anything else is a build failure or a crash; crash
# inputs are kept in BUILD_DIR/fuzz/artifacts.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(mkdir -p "$2" && cd "$2" && pwd)
seconds=${FUZZ_SECONDS:-20}
cxx=${FUZZ_CXX:-clang++}
out="$build/fuzz"
mkdir -p "$out/artifacts"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found" >&2
  exit 77
fi

# libFuzzer ships separately from clang on some systems (libclang-rt-*-dev).
probe_dir=$(mktemp -d "$out/probe.XXXXXX")
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/probe.cpp" <<'EOF'
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
EOF
if ! "$cxx" -fsanitize=fuzzer "$probe_dir/probe.cpp" -o "$probe_dir/probe" >"$probe_dir/log" 2>&1; then
  echo "SKIP: $cxx cannot link libFuzzer programs:" >&2
  cat "$probe_dir/log" >&2
  exit 77
fi

# Everything under dsn/ is compiled, so new parser files are fuzzed without
# touching this script. Rebuild only when a source is newer than the binary.
binary="$out/fuzz_mime"
sources="$src/tests/fuzz/fuzz_mime.cpp $(ls "$src"/dsn/*.cpp)"
rebuild=no
if [ ! -x "$binary" ]; then
  rebuild=yes
else
  for f in $sources "$src"/dsn/*.hpp "$0"; do
    if [ "$f" -nt "$binary" ]; then rebuild=yes; fi
  done
fi
if [ "$rebuild" = yes ]; then
  extra=""
  if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists re2; then
    extra=$(pkg-config --cflags --libs re2)
  fi
  echo "building $binary"
  # shellcheck disable=SC2086 # $sources and $extra are word lists
  "$cxx" -std=c++20 -O1 -g -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$src" $sources $extra -o "$binary.tmp"
  mv "$binary.tmp" "$binary"
fi

# libFuzzer adds what it finds to the first corpus directory; a fresh
# temporary copy keeps the seeds in the source tree untouched.
corpus=$(mktemp -d "$out/corpus.XXXXXX")
trap 'rm -rf "$probe_dir" "$corpus"' EXIT
cp "$src"/tests/fuzz/seeds/* "$corpus/"

"$binary" -max_total_time="$seconds" -rss_limit_mb=1024 -max_len=65536 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$out/artifacts/" "$corpus"
