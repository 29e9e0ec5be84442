#!/bin/bash
# clearbounce-milter -n: checks the configuration and exits, 0 when it is
# valid, non-zero with "file:line: what is wrong" when it is not.
#
#   check_config.sh DAEMON SHIPPED_CONFIG
set -u
daemon=$1
shipped=$2
dir=$(mktemp -d "${TMPDIR:-/tmp}/cbmilter-n.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
failures=0

# expect STATUS PATTERN FILE: runs -n on FILE; the exit status must be
# STATUS (or any non-zero one for "fail") and the output must match PATTERN.
expect() {
  local want=$1 pattern=$2 file=$3 output status
  output=$("$daemon" -n -c "$file" 2>&1)
  status=$?
  if [[ $want == fail ]]; then
    if ((status == 0)); then
      echo "FAIL: $file accepted; expected an error matching: $pattern"
      failures=$((failures + 1))
      return
    fi
  elif ((status != want)); then
    echo "FAIL: $file: exit status $status, expected $want; output: $output"
    failures=$((failures + 1))
    return
  fi
  if ! grep -Eq -- "$pattern" <<<"$output"; then
    echo "FAIL: $file: output does not match '$pattern': $output"
    failures=$((failures + 1))
    return
  fi
  echo "ok: $(basename "$file"): $output"
}

# The shipped example (every key commented out) and one with every key set.
expect 0 "valid" "$shipped"
cat >"$dir/full.toml" <<'TOML'
[rewrite]
max_message_bytes = 5_000_000

[milter]
socket = "inet:8891@127.0.0.1"
user = "root"
group = "root"
umask = "0077"
handle_local_bounces = true
handle_remote_dsns = false
timeout_seconds = 60
dry_run = true
log_level = "notice"
stats_interval_seconds = 0
TOML
expect 0 "valid" "$dir/full.toml"

printf '[milter]\nsocket = "unix:/run/x.sock"\ndyr_run = true\n' >"$dir/typo.toml"
expect 78 "typo.toml:3: unknown key milter.dyr_run" "$dir/typo.toml"

printf '# Postfix notation by mistake\n[milter]\nsocket = "inet:127.0.0.1:8891"\n' >"$dir/socket.toml"
expect 78 "socket.toml:3: milter.socket: .*PORT@HOST, such as \"inet:8891@127.0.0.1\"" "$dir/socket.toml"

printf '[milter]\n\nlog_level = "verbose"\n' >"$dir/level.toml"
expect 78 "level.toml:3: milter.log_level" "$dir/level.toml"

printf '[milter]\numask = "0999"\n' >"$dir/umask.toml"
expect 78 "umask.toml:2: milter.umask" "$dir/umask.toml"

printf '[milter]\ntimeout_seconds = 0\n' >"$dir/timeout.toml"
expect 78 "timeout.toml:2: milter.timeout_seconds" "$dir/timeout.toml"

printf '[milter]\nuser = "no-such-user-clearbounce"\n' >"$dir/user.toml"
expect 78 "user.toml: milter.user: no such user" "$dir/user.toml"

printf '[milter]\ngroup = "no-such-group-clearbounce"\n' >"$dir/group.toml"
expect 78 "group.toml: milter.group: no such group" "$dir/group.toml"

expect 78 "missing.toml: cannot open" "$dir/missing.toml"

# Wrong usage.
output=$("$daemon" -n -x 2>&1)
status=$?
if ((status != 64)); then
  echo "FAIL: unknown option: exit status $status, expected 64: $output"
  failures=$((failures + 1))
else
  echo "ok: unknown option: exit status 64"
fi

exit $((failures > 0))
