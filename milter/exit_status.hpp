// The exit statuses of clearbounce-milter (sysexits.h values), which the
// systemd unit's Restart=on-abnormal relies on: these need an
// administrator, so the daemon is not restarted after them.
#pragma once

namespace clearbounce::milter {

constexpr int kExitUsage = 64;    // EX_USAGE: a wrong command line
constexpr int kExitConfig = 78;   // EX_CONFIG: a configuration with errors, an unknown user or group
constexpr int kExitFailure = 71;  // EX_OSERR: socket, fork, privileges, libmilter

}  // namespace clearbounce::milter
