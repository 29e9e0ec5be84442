#include "milter/log.hpp"

#include <syslog.h>

#include <cstdarg>
#include <cstdlib>

namespace clearbounce::milter {

void log_open(bool to_stderr) {
  // Under systemd, stderr goes to the journal, which also gets syslog: one
  // copy is enough (systemd sets JOURNAL_STREAM for exactly this check).
  const bool journal = std::getenv("JOURNAL_STREAM") != nullptr;
  openlog("clearbounce-milter", LOG_PID | LOG_NDELAY | (to_stderr && !journal ? LOG_PERROR : 0), LOG_MAIL);
}

void log_set_level(std::string_view level) {
  int upto = -1;
  if (level == "error") upto = LOG_ERR;
  else if (level == "warning") upto = LOG_WARNING;
  else if (level == "notice") upto = LOG_NOTICE;
  else if (level == "info") upto = LOG_INFO;
  else if (level == "debug") upto = LOG_DEBUG;
  if (upto >= 0) setlogmask(LOG_UPTO(upto));
}

void log(int priority, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsyslog(LOG_MAIL | priority, format, args);
  va_end(args);
}

}  // namespace clearbounce::milter
