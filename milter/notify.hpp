// Telling systemd (Type=notify) what the daemon is doing: READY=1,
// RELOADING=1, STOPPING=1, STATUS=... Does nothing when built without
// libsystemd or when not started by systemd.
#pragma once

#include <string>

namespace clearbounce::milter {

void notify_systemd(const std::string& state);

}  // namespace clearbounce::milter
