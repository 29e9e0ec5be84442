#include "milter/notify.hpp"

#ifdef CLEARBOUNCE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace clearbounce::milter {

void notify_systemd([[maybe_unused]] const std::string& state) {
#ifdef CLEARBOUNCE_HAVE_SYSTEMD
  // Its result only says whether systemd listens; nothing to do either way.
  (void)sd_notify(0, state.c_str());
#endif
}

}  // namespace clearbounce::milter
