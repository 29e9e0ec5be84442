#!/bin/sh
# Builds the libFuzzer targets with clang and runs them for a while on their
# seed corpora (tests/fuzz/CMakeLists.txt lists the targets).
#
#   run_fuzz.sh SOURCE_DIR BUILD_DIR [TARGET...]     (default: every target)
#
# The targets live in a clang build of the whole project with
# CLEARBOUNCE_FUZZ=ON, in BUILD_DIR/fuzz/clang: configured on first use,
# brought up to date on every run (several runs at once take turns).
#
# FUZZ_SECONDS   how long to fuzz each target (default 15); set it higher
#                (600 or more) for a real run
# FUZZ_TIMEOUT   seconds one input may take before it counts as a failure
#                (default 5): this is what finds slow inputs
# FUZZ_RSS_MB    memory limit in MB (default 2048)
# FUZZ_LEN_CONTROL  libFuzzer's -len_control (default 0: inputs may grow to
#                -max_len at once instead of slowly from a few hundred bytes,
#                so that a short run already tries inputs large enough for
#                a quadratic path to be slow)
# FUZZ_CXX       the compiler (default clang++)
# FUZZ_BUILD_JOBS  parallel jobs for building the clang tree (default 2)
#
# Each target's corpus grows in BUILD_DIR/fuzz/corpus/TARGET (seeded from
# tests/fuzz/seeds). Exit status: 0 clean, 77 when clang or libFuzzer is
# missing (ctest shows the test as skipped), 1 for a crash, a slow input, a
# broken invariant or too much memory; that input is kept in
# BUILD_DIR/fuzz/artifacts/TARGET/, and `BUILD_DIR/fuzz/clang/tests/fuzz/
# fuzz_TARGET FILE` replays it.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 SOURCE_DIR BUILD_DIR [TARGET...]" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
build=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2
targets=${*:-mime analyse engine config locale}
seconds=${FUZZ_SECONDS:-15}
timeout=${FUZZ_TIMEOUT:-5}
rss_mb=${FUZZ_RSS_MB:-2048}
cxx=${FUZZ_CXX:-clang++}
out="$build/fuzz"
clang_dir="$out/clang"
mkdir -p "$out"

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "SKIP: $cxx not found" >&2
  exit 77
fi

# libFuzzer ships separately from clang on some systems (libclang-rt-*-dev).
probe_dir=$(mktemp -d "$out/probe.XXXXXX")
trap 'rm -rf "$probe_dir"' EXIT
cat >"$probe_dir/probe.cpp" <<'PROBE'
#include <cstddef>
#include <cstdint>
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }
PROBE
if ! "$cxx" -fsanitize=fuzzer "$probe_dir/probe.cpp" -o "$probe_dir/probe" >"$probe_dir/log" 2>&1; then
  echo "SKIP: $cxx cannot link libFuzzer programs:" >&2
  cat "$probe_dir/log" >&2
  exit 77
fi

# -O1 -g: fast enough to fuzz, stack traces still readable. Warnings are not
# errors here: clang warns about other things than the main g++ build. The
# embedded catalogues are constexpr string_views whose length clang works
# out within its default step limit only for short files.
build_targets() {
  if [ ! -f "$clang_dir/CMakeCache.txt" ]; then
    cmake -S "$src" -B "$clang_dir" -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
      -DCMAKE_CXX_FLAGS="-fconstexpr-steps=100000000" \
      -DCLEARBOUNCE_FUZZ=ON -DCLEARBOUNCE_WERROR=OFF -DCLEARBOUNCE_TESTS=ON -DCLEARBOUNCE_BENCH=OFF
  fi
  for target in $targets; do
    cmake --build "$clang_dir" --target "fuzz_$target" -j"${FUZZ_BUILD_JOBS:-2}"
  done
}
# ctest runs the targets' tests in parallel; they share one clang build.
if command -v flock >/dev/null 2>&1; then
  (flock 9 && build_targets) 9>"$out/build.lock"
else
  build_targets
fi

seeds_of() {
  case $1 in
    mime) echo "$src/tests/fuzz/seeds/mime" ;;
    analyse | engine) echo "$src/tests/fuzz/seeds/text" ;;
    *) echo "$src/tests/fuzz/seeds/$1" ;;
  esac
}
# Large enough for the quadratic paths of issue 9 to show within the timeout.
max_len_of() {
  case $1 in
    config) echo 262144 ;;
    *) echo 1048576 ;;
  esac
}

# Words that steer the input down the readers' paths, where there is a list.
dict_of() {
  case $1 in
    analyse | engine) echo "$src/tests/fuzz/bounce.dict" ;;
    locale) echo "$src/tests/fuzz/locale.dict" ;;
  esac
}

failed=""
for target in $targets; do
  corpus="$out/corpus/$target"
  artifacts="$out/artifacts/$target"
  mkdir -p "$corpus" "$artifacts"
  cp "$(seeds_of "$target")"/* "$corpus/"
  if [ "$target" = config ]; then cp "$src/config/clearbounce.toml" "$corpus/"; fi
  dict=$(dict_of "$target")
  echo "=== fuzz_$target: $seconds s, -timeout=$timeout, -max_len=$(max_len_of "$target")"
  # libFuzzer's own failure status is 77 by default, which ctest would read
  # as "skipped"; every failure is 1 here.
  if ! "$clang_dir/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -timeout="$timeout" \
    -rss_limit_mb="$rss_mb" -max_len="$(max_len_of "$target")" -len_control="${FUZZ_LEN_CONTROL:-0}" \
    -error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
    ${dict:+-dict="$dict"} -artifact_prefix="$artifacts/" "$corpus"; then
    echo "fuzz_$target FAILED: the input is in $artifacts/" >&2
    failed="$failed $target"
  fi
done
if [ -n "$failed" ]; then
  echo "failed:$failed" >&2
  exit 1
fi
