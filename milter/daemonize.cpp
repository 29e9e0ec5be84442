#include "milter/daemonize.hpp"

#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "milter/log.hpp"

namespace clearbounce::milter {

bool daemonize() {
  const pid_t pid = fork();
  if (pid < 0) {
    log(LOG_ERR, "cannot go into the background: fork: %s", std::strerror(errno));
    return false;
  }
  if (pid > 0) std::_Exit(0);
  if (setsid() < 0 || chdir("/") != 0) {
    log(LOG_ERR, "cannot go into the background: %s", std::strerror(errno));
    return false;
  }
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  return true;
}

}  // namespace clearbounce::milter
