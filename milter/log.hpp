// Logging of the daemon: syslog facility mail, and standard error as well
// when it runs in the foreground (-f). Safe to call from every thread.
#pragma once

#include <string_view>

namespace clearbounce::milter {

// Opens the log ("clearbounce-milter", facility mail). `to_stderr` copies
// every line to standard error.
void log_open(bool to_stderr);

// Least important priority logged: "error", "warning", "notice", "info" or
// "debug" (the values of milter.log_level); anything else leaves it as it is.
void log_set_level(std::string_view level);

// printf-style; `priority` is one of LOG_ERR ... LOG_DEBUG.
void log(int priority, const char* format, ...) __attribute__((format(printf, 2, 3)));

}  // namespace clearbounce::milter
