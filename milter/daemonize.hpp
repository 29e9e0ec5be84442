// Going into the background (without -f): the usual fork, setsid, chdir and
// standard streams on /dev/null. Call it before any thread starts: fork
// keeps only the calling thread.
#pragma once

namespace clearbounce::milter {

// In the child: true when it is detached. The parent exits 0 at once.
// False (logged) when fork fails.
bool daemonize();

}  // namespace clearbounce::milter
