#!/bin/bash
# Runs one miltertest script against a clearbounce-milter started for it.
#
#   run_miltertest.sh DAEMON SCRIPT [--root-only] [--expect-log REGEX]... [CONFIG-LINE]...
#
# The daemon gets a configuration in a fresh temporary directory: a unix
# socket there, debug logging, no periodic counters, plus each CONFIG-LINE
# (root-level dotted keys such as 'milter.dry_run = true' or
# 'rewrite.max_message_bytes = 4096'). It runs in the foreground (-f); after
# the script it is stopped with SIGTERM and must exit 0. Each --expect-log
# regular expression (grep -E) must match a line of its log, in the order
# given. The script gets -D socket, samples (this directory), daemon_pid and
# config (the file, which it may change before sending SIGUSR1). Exit 77
# (ctest: skipped) when miltertest is not installed, or with --root-only when
# not run as root.
set -u

if (($# < 2)); then
  echo "usage: $0 DAEMON SCRIPT [--root-only] [--expect-log REGEX]... [CONFIG-LINE]..." >&2
  exit 2
fi
daemon=$1
script=$2
shift 2
expect=()
config_lines=()
root_only=0
while (($#)); do
  if [[ $1 == --root-only ]]; then
    root_only=1
    shift
  elif [[ $1 == --expect-log ]]; then
    expect+=("$2")
    shift 2
  else
    config_lines+=("$1")
    shift
  fi
done

if ! command -v miltertest >/dev/null 2>&1; then
  echo "miltertest is not installed (Debian package miltertest): skipped"
  exit 77
fi

if ((root_only)) && ((EUID != 0)); then
  echo "needs root (switching users): skipped"
  exit 77
fi

here=$(cd "$(dirname "$0")" && pwd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/cbmilter.XXXXXX") || exit 1
chmod 0755 "$dir"  # a daemon that switches users still reads its configuration
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

socket="unix:$dir/milter.sock"
{
  echo "milter.socket = \"$socket\""
  echo 'milter.log_level = "debug"'
  echo 'milter.stats_interval_seconds = 0'
  for line in "${config_lines[@]}"; do
    echo "$line"
  done
} >"$dir/clearbounce.toml"

# -b 1000: miltertest reads every reply packet into a 1 KiB buffer (it
# crashes on more); MTAs get the daemon's default pieces of 63 KiB.
"$daemon" -c "$dir/clearbounce.toml" -f -b 1000 2>"$dir/daemon.log" &
pid=$!
for _ in $(seq 100); do
  [[ -S $dir/milter.sock ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done

status=0
if [[ ! -S $dir/milter.sock ]]; then
  echo "FAIL: the daemon did not open $socket"
  status=1
else
  miltertest -D socket="$socket" -D samples="$here" -D daemon_pid="$pid" -D config="$dir/clearbounce.toml" \
    -s "$here/$script" || { echo "FAIL: miltertest $script"; status=1; }
fi

if kill -TERM "$pid" 2>/dev/null; then
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
fi
if kill -0 "$pid" 2>/dev/null; then
  echo "FAIL: the daemon did not exit within 10 s of SIGTERM"
  status=1
else
  wait "$pid"
  rc=$?
  pid=
  if ((rc != 0)); then
    echo "FAIL: the daemon exited with status $rc"
    status=1
  fi
fi

# The expected lines must appear in the order given.
after=0
for pattern in "${expect[@]}"; do
  line=$(tail -n "+$((after + 1))" "$dir/daemon.log" | grep -En -m1 -- "$pattern" | cut -d: -f1)
  if [[ -z $line ]]; then
    if grep -Eq -- "$pattern" "$dir/daemon.log"; then
      echo "FAIL: the log line matching '$pattern' comes before the one expected earlier"
    else
      echo "FAIL: no log line matches: $pattern"
    fi
    status=1
  else
    after=$((after + line))
  fi
done

echo "---- daemon log ----"
cat "$dir/daemon.log"
exit "$status"
