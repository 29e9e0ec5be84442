#!/usr/bin/env bash
# The README's main command. Run it as root from the top of a clone on a
# Debian 12 machine:
#
#   ./scripts/demo.sh            installs the build dependencies, builds the
#                                Debian package and installs it, then a
#                                private Postfix sends mail to three failing
#                                servers on loopback addresses (unknown user,
#                                expired certificate, mailbox full), the
#                                milter is started with the demo's own
#                                configuration (the package's, plus the
#                                diagnosis for those servers), and each bounce
#                                is printed before and after clearbounce, side
#                                by side
#   ./scripts/demo.sh --samples  only builds the clearbounce command and runs
#                                `clearbounce classify` on the sample bounces
#                                in packaging/samples/ (a table, then JSON)
#   ./scripts/demo.sh --cleanup  removes what the demo installed and started:
#                                the milter, the package, the Debian packages
#                                it installed, its files in /var/tmp
#
# The demo's files (Postfix instances, certificates, bounces, the milter's
# configuration, its record of what it installed) are in
# /var/tmp/clearbounce-demo (DEMO_DIR). The system's own Postfix
# configuration, if any, is not touched, nor is the package's
# /etc/clearbounce/clearbounce.toml (its diagnosis stays off).
# (`demo.sh --start-milter` is the step postfix_demo.py runs once its
# Postfix instances are up: the milter reads their routes when it starts.)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${BUILD_DIR:-$root/build}
work=${DEMO_DIR:-/var/tmp/clearbounce-demo}
state=$work/state                      # what the demo installed, for --cleanup
socket=/var/spool/postfix/clearbounce/clearbounce.sock   # the package's default
config=$work/clearbounce.toml          # the demo's: see write_demo_config
package_config=/etc/clearbounce/clearbounce.toml
# With systemd, the unit runs the daemon with the demo's configuration
# through this drop-in (removed by --cleanup).
dropin=/run/systemd/system/clearbounce.service.d/demo.conf
# shellcheck source=scripts/deps.sh
source "$root/scripts/deps.sh"

say() { printf '\n== %s\n' "$*"; }

need_root() {
  if ((EUID != 0)); then
    echo "Run this as root: it installs a Debian package and starts services ($0 $*)." >&2
    exit 1
  fi
}

systemd_runs() { [[ -d /run/systemd/system ]]; }

# --- --samples: the sample files only ---------------------------------------
samples() {
  install_deps
  cmake -S "$root" -B "$build_dir"
  cmake --build "$build_dir" -j"$(nproc)" --target clearbounce
  cd "$root"
  local clearbounce=$build_dir/cli/clearbounce
  echo
  echo "\$ clearbounce classify packaging/samples"
  "$clearbounce" classify packaging/samples
  echo
  echo "\$ clearbounce classify --json packaging/samples"
  "$clearbounce" classify --json packaging/samples
}

# --- the real-Postfix demo --------------------------------------------------

# Remembers the Debian packages that are missing now, before install_deps adds
# them, so that --cleanup removes those and only those.
record_missing_packages() {
  local package
  [[ ${CLEARBOUNCE_SKIP_DEPS:-0} == 1 ]] && return 0   # install_deps installs nothing then
  for package in "${CLEARBOUNCE_DEPS[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) != "install ok installed" ]]; then
      echo "$package" >>"$state/installed-packages"
    fi
  done
  if [[ -f $state/installed-packages ]]; then
    sort -u -o "$state/installed-packages" "$state/installed-packages"
  fi
}

# Without systemd (a container, a chroot) the daemon is started the way its
# unit starts it: as the user clearbounce, umask 0007, in the foreground;
# only the unit's sandboxing is missing then.
start_milter_without_systemd() {
  stop_milter_without_systemd
  rm -f "$socket"   # so that waiting for it below waits for this daemon
  setpriv --reuid=clearbounce --regid=clearbounce --init-groups --no-new-privs \
    sh -c "umask 0007; exec /usr/sbin/clearbounce-milter -f -c $config" \
    >>"$work/milter.log" 2>&1 </dev/null &
  echo $! >"$state/milter.pid"
  disown
}

stop_milter_without_systemd() {
  local pid
  if [[ -f $state/milter.pid ]]; then
    pid=$(<"$state/milter.pid")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    fi
    rm -f "$state/milter.pid"
  fi
}

# The package's settings (socket, marker key) and the diagnosis, on for the
# demo's failing servers: their loopback network, the test CA that signed
# their certificates (Postfix's smtp_tls_CAfile too), and the routes of the
# Postfix instance that uses the milter (postfix_demo.py: postfix-after),
# so that the milter looks at the very server that Postfix used. The
# package's own configuration keeps the diagnosis off (README: Diagnosis).
write_demo_config() {
  cat >"$config" <<EOF
# clearbounce-milter's configuration for ./scripts/demo.sh; every key not
# here keeps its default (see $package_config).
[milter]
socket = "unix:$socket"

[marker]
key_file = "/etc/clearbounce/marker.key"

[diagnose]
enabled = true
timeout_ms = 3000
helo_name = "mail.origin.test"
ca_file = "$work/certs/ca.crt"
allow_networks = ["127.0.77.0/24"]
postfix_directory = "$work/postfix-after/etc"
EOF
  chmod 0644 "$config"
}

# The unit with the demo's configuration. Its PrivateTmp= hides /var/tmp,
# so the demo's directory (configuration, certificates, Postfix's routes)
# is shown to it, read-only.
write_dropin() {
  mkdir -p "$(dirname "$dropin")"
  cat >"$dropin" <<EOF
# ./scripts/demo.sh: the demo's configuration; ./scripts/demo.sh --cleanup removes this file.
[Service]
ExecStartPre=
ExecStartPre=/usr/sbin/clearbounce-milter -n -c $config
ExecStart=
ExecStart=/usr/sbin/clearbounce-milter -f -c $config
BindReadOnlyPaths=$work
EOF
  systemctl daemon-reload
}

# Run by postfix_demo.py once its Postfix instances are up.
start_milter() {
  need_root
  say "Starting clearbounce-milter with the demo's configuration ($config)"
  write_demo_config
  sed 's/^/    /' "$config"
  if systemd_runs; then
    write_dropin
    systemctl restart clearbounce.service
    systemctl --no-pager status clearbounce.service | head -n 5 || true
  else
    echo "systemd does not run here: starting the daemon as its unit would (log: $work/milter.log)"
    start_milter_without_systemd
  fi
  for _ in $(seq 75); do [[ -S $socket ]] && break; sleep 0.2; done
  if [[ ! -S $socket ]]; then
    echo "clearbounce-milter did not open $socket" >&2
    if systemd_runs; then journalctl -u clearbounce.service -n 20 --no-pager >&2; else tail -n 20 "$work/milter.log" >&2; fi
    exit 1
  fi
  ls -l "$socket"
  echo
}

demo() {
  need_root
  mkdir -p "$state"
  chmod 0755 "$work"

  say "Build dependencies (Debian packages; list in scripts/deps.sh)"
  record_missing_packages
  install_deps

  say "Building clearbounce and its Debian package in $build_dir"
  cmake -S "$root" -B "$build_dir"
  cmake --build "$build_dir" -j"$(nproc)" --target clearbounce clearbounce-milter man
  rm -rf "$work/package"
  cpack -G DEB --config "$build_dir/CPackConfig.cmake" -B "$work/package" >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; exit 1; }
  local deb
  deb=$(ls "$work"/package/clearbounce_*.deb)
  echo "Built $deb"

  say "Installing the package"
  if [[ $(dpkg-query -W -f='${Status}' clearbounce 2>/dev/null) != "install ok installed" ]]; then
    touch "$state/installed-clearbounce"
  fi
  DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"
  dpkg-query -W -f='${Package} ${Version}: ${binary:Summary}\n' clearbounce
  echo "The package's configuration: $package_config (socket $socket)"

  say "A private Postfix sends mail to three failing servers, once alone and once with the milter"
  python3 "$root/packaging/demo/postfix_demo.py" --work "$work" --socket "$socket" \
    --start-milter "$root/scripts/demo.sh --start-milter"

  cat <<EOF

The milter keeps running with the demo's configuration ($config):
systemctl status clearbounce (with systemd), man clearbounce-milter, and
/usr/share/doc/clearbounce/examples/ for your own Postfix or Sendmail.
Remove everything the demo installed and started:

    ./scripts/demo.sh --cleanup
EOF
}

# --- --cleanup ----------------------------------------------------------------
cleanup() {
  need_root
  local dir
  say "Stopping the demo's Postfix instances and the milter"
  for dir in "$work"/postfix-*/etc; do
    if [[ -f $dir/main.cf ]]; then
      postfix -c "$dir" stop 2>/dev/null || true
    fi
  done
  stop_milter_without_systemd
  if [[ -f $dropin ]]; then
    rm -f "$dropin"
    rmdir --ignore-fail-on-non-empty "$(dirname "$dropin")"
    if systemd_runs; then
      systemctl daemon-reload
      # A package the demo did not install goes back to its own configuration.
      [[ -f $state/installed-clearbounce ]] || systemctl try-restart clearbounce.service || true
    fi
  fi

  if [[ -f $state/installed-clearbounce ]]; then
    say "Purging the clearbounce package"
    DEBIAN_FRONTEND=noninteractive dpkg --purge clearbounce
  elif dpkg-query -W clearbounce >/dev/null 2>&1; then
    echo "The clearbounce package was installed before the demo ran: left in place."
  fi

  if [[ -s $state/installed-packages ]]; then
    local packages
    mapfile -t packages <"$state/installed-packages"
    say "Removing the Debian packages the demo installed: ${packages[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get purge -y "${packages[@]}"
    echo "(apt-get autoremove removes what they pulled in, if you want that too.)"
  fi

  say "Removing $work"
  rm -rf "$work"
  echo "Done. The build directory $build_dir is left as it is."
}

case "${1:-}" in
  "") demo ;;
  --start-milter) start_milter ;;
  --samples) samples ;;
  --cleanup) cleanup ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) echo "usage: $0 [--samples | --cleanup]" >&2; exit 2 ;;
esac
