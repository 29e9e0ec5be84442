#!/usr/bin/env bash
# Instructions of one warm pass over a corpus (parse + classify, or the
# whole engine), counted by callgrind: steady where timings are not (a
# shared machine, a VM without hardware counters).
#
#   bench/count_instructions.sh classify|engine [CORPUS_DIR]
#
# Environment: CLEARBOUNCE_BENCH_PASSES (default build-release/bench/clearbounce_bench_passes).
# Prints the first pass (start-up and cold caches included) and a warm pass:
# (I(3 passes) - I(1 pass)) / 2.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${CLEARBOUNCE_BENCH_PASSES:-$root/build-release/bench/clearbounce_bench_passes}
mode=${1:?usage: count_instructions.sh classify|engine [CORPUS_DIR]}
corpus=${2:-$root/../shared/corpus/sisimai/eml}

if [[ ! -x $binary ]]; then
  echo "count_instructions.sh: $binary not found; build the target clearbounce_bench_passes" >&2
  exit 1
fi
command -v valgrind >/dev/null || { echo "count_instructions.sh: valgrind is not installed" >&2; exit 1; }

count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$binary" "$mode" "$1" "$corpus" 2>&1 >/dev/null |
    awk '/refs:/ { gsub(",", "", $NF); print $NF }'
}
one=$(count 1)
three=$(count 3)
echo "$mode over $corpus: first pass $((one / 1000000))M instructions (start-up included), warm pass $(((three - one) / 2 / 1000000))M"
