// clearbounce-milter -c FILE [-f] [-n]: the milter daemon.
//
//   -c FILE  configuration (default /etc/clearbounce/clearbounce.toml)
//   -f       stay in the foreground and log to standard error as well
//   -n       check the configuration and templates, then exit (non-zero
//            with "file:line: what is wrong" on errors)
//
// Signals: SIGUSR1 reloads the configuration and templates (a bad new
// configuration is refused and the running one stays), SIGUSR2 logs the
// counters, SIGTERM (also SIGINT and SIGHUP) lets the messages in progress
// finish (new ones pass unchanged), then closes the socket and exits.
//
// This file puts the pieces together, in order: the command line
// (options.cpp), the configuration (daemon.cpp), the signals (signals.cpp),
// the socket (listener.cpp) and its accounts (privileges.cpp), the
// background (daemonize.cpp), then libmilter's thread (milter_thread.cpp),
// the chores thread (chores.cpp) and the stop.
#include <sys/stat.h>
#include <syslog.h>

#include <libmilter/mfapi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "milter/callbacks.hpp"
#include "milter/chores.hpp"
#include "milter/daemon.hpp"
#include "milter/daemonize.hpp"
#include "milter/exit_status.hpp"
#include "milter/listener.hpp"
#include "milter/log.hpp"
#include "milter/milter_thread.hpp"
#include "milter/never_destroyed.hpp"
#include "milter/notify.hpp"
#include "milter/options.hpp"
#include "milter/privileges.hpp"
#include "milter/signals.hpp"

#ifndef CLEARBOUNCE_VERSION
#define CLEARBOUNCE_VERSION "unknown"
#endif

namespace {

using namespace clearbounce::milter;

// How long libmilter may take to return from smfi_main() once asked to stop.
constexpr std::chrono::seconds kLibmilterStopLimit{15};

// The daemon's state, for the life of the process and never destroyed:
// libmilter's thread and its workers use it (through the sessions), and
// when libmilter does not stop in time they are left running while the
// program ends. A static Daemon would be destroyed under them by exit().
Daemon& the_daemon() {
  static NeverDestroyed<Daemon> daemon;
  return daemon.get();
}

// Registers the callbacks and opens milter.socket, given to the accounts
// named in the configuration. The socket file, or nothing (logged).
std::optional<SocketFile> open_socket(const clearbounce::config::Config::Milter& settings, const Accounts& accounts,
                                      Daemon& daemon, std::size_t body_piece_bytes) {
  umask(static_cast<mode_t>(settings.umask));
  std::string socket = settings.socket;
  struct smfiDesc description = filter_description(daemon, body_piece_bytes);
  if (smfi_setconn(socket.data()) != MI_SUCCESS ||
      smfi_settimeout(static_cast<int>(settings.timeout_seconds)) != MI_SUCCESS ||
      smfi_register(description) != MI_SUCCESS) {
    log(LOG_ERR, "cannot set up libmilter for %s", socket.c_str());
    return std::nullopt;
  }
  if (smfi_opensocket(true) != MI_SUCCESS) {
    log(LOG_ERR, "cannot listen on %s (missing directory, permissions, or in use?)", socket.c_str());
    return std::nullopt;
  }
  const std::string path = unix_socket_path(socket);
  if (path.empty()) disable_nagle_on_listener();
  if (!path.empty() && !give_socket(path, accounts)) return std::nullopt;
  return SocketFile(path);
}

// Lets the messages in progress finish after a stop signal, for up to
// milter.timeout_seconds: no longer than the MTA waits for them anyway.
void drain(Daemon& daemon, int received, const MilterThread& milter, unsigned limit_seconds) {
  if (received == 0) {
    // libmilter took the signal (or failed): its connections are gone.
    daemon.stop_and_drain(std::chrono::milliseconds(0), nullptr);
    log(LOG_NOTICE, "libmilter stopped; messages in progress pass unchanged");
    return;
  }
  log(LOG_NOTICE, "%s: finishing the messages in progress (at most %u s), then stopping",
      stop_signal_name(received), limit_seconds);
  // Until they are done, a second stop signal, or libmilter stopping on its
  // own (its connections are gone then).
  const std::size_t left = daemon.stop_and_drain(std::chrono::seconds(limit_seconds),
                                                 [&milter] { return stop_signal_pending() || milter.done(); });
  if (left > 0) log(LOG_WARNING, "stopping with %zu message(s) still in progress (they pass unchanged)", left);
}

// Serves until a stop signal, then stops. The exit status.
int serve(Daemon& daemon, const std::string& socket, const SocketFile& socket_file) {
  std::optional<int> result;
  {
    MilterThread milter;
    Chores chores(daemon);
    notify_systemd("READY=1\nSTATUS=listening on " + socket);
    const int received = wait_for_stop(milter, chores);
    notify_systemd("STOPPING=1");
    const auto engine = daemon.engine();
    drain(daemon, received, milter, engine ? engine->config().milter.timeout_seconds : 0);
    result = milter.stop(kLibmilterStopLimit, unix_socket_path(socket));
    log_stats(daemon);
    if (!result) {
      // libmilter's threads still run and may call into the sessions: end
      // here, without exit()'s destructors and atexit handlers (the Daemon
      // is never destroyed either way). Only the log needs flushing.
      log(LOG_WARNING, "libmilter did not stop within %lld s; exiting without waiting for it",
          static_cast<long long>(kLibmilterStopLimit.count()));
      socket_file.remove_if_ours();
      log(LOG_NOTICE, "stopped");
      closelog();
      std::fflush(nullptr);
      std::_Exit(kExitFailure);
    }
  }
  socket_file.remove_if_ours();
  log(LOG_NOTICE, "stopped");
  return *result == MI_SUCCESS ? 0 : kExitFailure;
}

int run(int argc, char** argv) {
  const ParsedCommandLine parsed = parse_command_line(argc, argv, CLEARBOUNCE_VERSION);
  if (!parsed.options) return parsed.exit_status;
  const CommandLine& options = *parsed.options;

  std::vector<std::string> errors;
  auto engine = load_engine(options.config_path, errors);
  if (!engine) {
    for (const auto& error : errors) std::fprintf(stderr, "%s\n", error.c_str());
    return kExitConfig;
  }
  const auto settings = engine->config().milter;
  Accounts accounts;
  if (!resolve_accounts(settings, options.config_path, accounts)) return kExitConfig;
  if (options.check_only) {
    std::printf("%s: configuration and templates are valid\n", options.config_path.c_str());
    return 0;
  }

  // Standard error as well as syslog: in the background it is /dev/null
  // once the socket is open, so that a failure to start still shows where
  // the daemon was started.
  log_open(true);
  log_set_level(settings.log_level);
  Daemon& daemon = the_daemon();
  daemon.config_path = options.config_path;

  set_up_signals();  // before any thread starts: they inherit the mask
  const auto socket_file = open_socket(settings, accounts, daemon, options.body_piece_bytes);
  if (!socket_file || !drop_privileges(accounts)) return kExitFailure;
  // Into the background before any thread starts (fork keeps only the caller).
  if (!options.foreground && !daemonize()) return kExitFailure;
  // Starts the diagnosis service's thread, so only now (as a reload does:
  // as the daemon's user, with the signals blocked).
  daemon.set_engine(std::move(engine));
  log(LOG_NOTICE, "clearbounce-milter %s listening on %s%s", CLEARBOUNCE_VERSION, settings.socket.c_str(),
      settings.dry_run ? " (dry run: only X-Clearbounce is added)" : "");
  return serve(daemon, settings.socket, *socket_file);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clearbounce-milter: %s\n", e.what());
    log(LOG_ERR, "%s", e.what());
    return kExitFailure;
  }
}
