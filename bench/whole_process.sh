#!/usr/bin/env bash
# Times the whole process `clearbounce classify --json CORPUS > /dev/null`
# (start-up, rule loading, reading, parsing, output) and prints the median.
#
#   bench/whole_process.sh [CORPUS_DIR]
#
# Environment: CLEARBOUNCE_BIN (default build/cli/clearbounce),
# CLEARBOUNCE_CORPUS (default ../shared/corpus/sisimai/eml), RUNS (default 20).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
binary=${CLEARBOUNCE_BIN:-$root/build/cli/clearbounce}
corpus=${1:-${CLEARBOUNCE_CORPUS:-$root/../shared/corpus/sisimai/eml}}
runs=${RUNS:-20}

if [[ ! -x $binary ]]; then
  echo "whole_process.sh: $binary not found; build first (cmake --build build)" >&2
  exit 1
fi
if [[ ! -d $corpus ]]; then
  echo "whole_process.sh: corpus directory $corpus not found" >&2
  exit 1
fi
files=$(find "$corpus" -type f ! -name '.*' | wc -l)
echo "clearbounce classify --json over $files files in $corpus, $runs runs"

if command -v hyperfine >/dev/null 2>&1; then
  export_file=$(mktemp)
  trap 'rm -f "$export_file"' EXIT
  hyperfine --warmup 3 --runs "$runs" --output=null --export-json "$export_file" \
    "$(printf '%q classify --json %q' "$binary" "$corpus")"
  median=$(python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$export_file")
else
  "$binary" classify --json "$corpus" >/dev/null  # warm the page cache
  times=()
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$binary" classify --json "$corpus" >/dev/null
    end=$(date +%s%N)
    times+=($(((end - start) / 1000)))  # microseconds
  done
  middle=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
  median=$(awk -v us="$middle" 'BEGIN { printf "%.1f", us / 1000 }')
fi
echo "median: $median ms"
