# shellcheck shell=bash
# The Debian 12 packages clearbounce needs to build, test, fuzz and benchmark:
# the one list, sourced by demo.sh and test.sh. (make: cmake's default
# generator needs it and cmake only recommends it. dpkg-dev: dpkg-shlibdeps,
# with which cpack finds the .deb's library dependencies; groff-base, adduser
# and systemd: the package tests render the man pages, install the package
# and run systemd-analyze; lintian: they check the .deb with it.)
CLEARBOUNCE_DEPS=(
  cmake make g++ pkg-config
  libre2-dev libtomlplusplus-dev libfmt-dev libmilter-dev libc-ares-dev libssl-dev libsystemd-dev miltertest
  dnsmasq-base
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  python3
  postfix swaks openssl
  m4 libwrap0
  dpkg-dev groff-base adduser systemd lintian
)

# Installs whatever is missing from the list with apt-get. Nothing is fetched
# from anywhere but the Debian archive, and nothing at all when every package
# is there already (CLEARBOUNCE_SKIP_DEPS=1 skips even the check).
install_deps() {
  if [[ ${CLEARBOUNCE_SKIP_DEPS:-0} == 1 ]]; then
    return 0
  fi
  local missing=() package
  for package in "${CLEARBOUNCE_DEPS[@]}"; do
    if [[ $(dpkg-query -W -f='${Status}' "$package" 2>/dev/null) != "install ok installed" ]]; then
      missing+=("$package")
    fi
  done
  if ((${#missing[@]} == 0)); then
    echo "Build dependencies are installed."
    return 0
  fi
  local as_root=()
  if ((EUID != 0)); then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "Missing packages: ${missing[*]}; run this script as root to install them." >&2
      return 1
    fi
    as_root=(sudo)
  fi
  echo "Installing: ${missing[*]}"
  # Postfix is a test and demo component here: install it unconfigured, so
  # that no system mail service is set up or started by the install.
  echo "postfix postfix/main_mailer_type select No configuration" | "${as_root[@]}" debconf-set-selections
  "${as_root[@]}" apt-get update
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y --no-install-recommends "${missing[@]}"
}
