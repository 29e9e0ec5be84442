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
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/types.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#ifdef CLEARBOUNCE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <atomic>
#include <cerrno>
#include <csignal>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "milter/daemon.hpp"
#include "milter/log.hpp"
#include "milter/session.hpp"

#ifndef CLEARBOUNCE_VERSION
#define CLEARBOUNCE_VERSION "unknown"
#endif

namespace {

using clearbounce::milter::Daemon;
using clearbounce::milter::log;

constexpr int kExitUsage = 64;     // EX_USAGE
constexpr int kExitConfig = 78;    // EX_CONFIG
constexpr int kExitFailure = 71;   // EX_OSERR: socket, fork, privileges

void notify([[maybe_unused]] const std::string& state) {
#ifdef CLEARBOUNCE_HAVE_SYSTEMD
  sd_notify(0, state.c_str());
#endif
}

void usage(FILE* out) {
  std::fprintf(out,
               "usage: clearbounce-milter [-c FILE] [-f] [-n]\n"
               "  -c FILE  configuration file (default /etc/clearbounce/clearbounce.toml)\n"
               "  -f       stay in the foreground, log to standard error as well as syslog\n"
               "  -n       check the configuration and templates, then exit\n"
               "  -V       print the version and exit\n");
}

// The accounts named by milter.user and milter.group.
struct Accounts {
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;        // milter.group, or the user's primary group
  std::string user;
  bool group_named = false;
};

bool resolve_accounts(const clearbounce::config::Config::Milter& settings, const std::string& path,
                      Accounts& out) {
  if (!settings.user.empty()) {
    const passwd* pw = getpwnam(settings.user.c_str());
    if (pw == nullptr) {
      std::fprintf(stderr, "%s: milter.user: no such user \"%s\"\n", path.c_str(), settings.user.c_str());
      return false;
    }
    out.uid = pw->pw_uid;
    out.gid = pw->pw_gid;
    out.user = settings.user;
  }
  if (!settings.group.empty()) {
    const group* gr = getgrnam(settings.group.c_str());
    if (gr == nullptr) {
      std::fprintf(stderr, "%s: milter.group: no such group \"%s\"\n", path.c_str(), settings.group.c_str());
      return false;
    }
    out.gid = gr->gr_gid;
    out.group_named = true;
  }
  return true;
}

// The path of a unix socket ("unix:/p", "local:/p"), else empty.
// libmilter writes each change of an end-of-message reply as its own small
// packet and Postfix answers only the last: with Nagle's algorithm that waits
// for a delayed ACK, 40 ms per rewritten report over TCP. libmilter does not
// hand out its listening socket, so it is found among the open descriptors;
// accepted connections inherit TCP_NODELAY from it on Linux.
void disable_nagle_on_listener() {
  for (int fd = 0; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    sockaddr_storage address{};
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_length) != 0) continue;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) continue;
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0)
      log(LOG_WARNING, "cannot set TCP_NODELAY on the milter socket: %s", std::strerror(errno));
  }
}

std::string unix_socket_path(const std::string& socket) {
  for (const char* prefix : {"unix:", "local:"}) {
    const std::size_t length = std::strlen(prefix);
    if (socket.compare(0, length, prefix) == 0) return socket.substr(length);
  }
  return {};
}

bool drop_privileges(const Accounts& accounts) {
  const bool root = geteuid() == 0;
  if (accounts.gid && getegid() != *accounts.gid) {
    if (!root && !accounts.uid) {
      // Not root: the group can still own the socket, but the process keeps its own.
    } else if (setgid(*accounts.gid) != 0) {
      log(LOG_ERR, "cannot switch to group %u: %s", static_cast<unsigned>(*accounts.gid), std::strerror(errno));
      return false;
    }
  }
  if (accounts.uid && geteuid() != *accounts.uid) {
    if (!root) {
      log(LOG_ERR, "cannot switch to user %s: not started as root", accounts.user.c_str());
      return false;
    }
    if (initgroups(accounts.user.c_str(), accounts.gid.value_or(getegid())) != 0 || setuid(*accounts.uid) != 0) {
      log(LOG_ERR, "cannot switch to user %s: %s", accounts.user.c_str(), std::strerror(errno));
      return false;
    }
  }
  return true;
}

bool daemonize() {
  const pid_t pid = fork();
  if (pid < 0) {
    log(LOG_ERR, "cannot go into the background: fork: %s", std::strerror(errno));
    return false;
  }
  if (pid > 0) std::_Exit(0);
  if (setsid() < 0) return false;
  if (chdir("/") != 0) return false;
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    dup2(null, STDIN_FILENO);
    dup2(null, STDOUT_FILENO);
    dup2(null, STDERR_FILENO);
    if (null > STDERR_FILENO) close(null);
  }
  return true;
}

void report(Daemon& daemon) {
  const std::string line = daemon.stats().summary();
  log(LOG_INFO, "%s", line.c_str());
  notify("STATUS=" + line);
}

// libmilter's smfi_main() in a thread of its own; `done` once it returns.
class MilterThread {
 public:
  MilterThread() : state_(std::make_shared<State>()) {
    thread_ = std::thread([state = state_] {
      state->result = smfi_main();
      state->done = true;
    });
  }
  ~MilterThread() {
    if (thread_.joinable()) thread_.join();
  }
  MilterThread(const MilterThread&) = delete;
  MilterThread& operator=(const MilterThread&) = delete;

  bool done() const { return state_->done; }

  // Asks libmilter to stop and waits (up to `limit`) for smfi_main to return.
  // smfi_stop() waits for the listener, which holds its lock while it polls
  // the socket for up to 5 seconds; a connection to a unix socket wakes it
  // at once (the connection is closed straight away).
  int stop(std::chrono::seconds limit, const std::string& unix_path) {
    std::atomic<bool> stopped{false};
    std::thread stopper([&stopped] {
      smfi_stop();
      stopped = true;
    });
    const auto wake_until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
    while (!stopped && !unix_path.empty() && std::chrono::steady_clock::now() < wake_until) {
      poke(unix_path);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stopper.join();
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!state_->done && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!state_->done) {
      thread_.detach();  // the state it writes stays alive with it
      return MI_FAILURE;
    }
    thread_.join();
    return state_->result;
  }

 private:
  static void poke(const std::string& path) {
    sockaddr_un address{};
    if (path.size() >= sizeof address.sun_path) return;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    (void)::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address);
    ::close(fd);
  }

  struct State {
    std::atomic<bool> done{false};
    std::atomic<int> result{MI_FAILURE};
  };
  std::shared_ptr<State> state_;
  std::thread thread_;
};

// Reloading and logging the counters, away from the main thread: SIGUSR1
// and SIGUSR2 are handed over here, and the counters are also logged every
// milter.stats_interval_seconds.
class Chores {
 public:
  Chores() : thread_([this] { run(); }) {}
  ~Chores() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Chores(const Chores&) = delete;
  Chores& operator=(const Chores&) = delete;

  void post(int signal_number) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(signal_number);
    }
    wake_.notify_one();
  }

 private:
  void run() {
    Daemon& daemon = Daemon::instance();
    auto last_report = std::chrono::steady_clock::now();
    std::unique_lock lock(mutex_);
    while (!stop_) {
      wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_ || !queue_.empty(); });
      while (!queue_.empty()) {
        const int received = queue_.front();
        queue_.pop_front();
        lock.unlock();
        handle(daemon, received);
        lock.lock();
      }
      lock.unlock();
      try {
        const auto engine = daemon.engine();
        const unsigned interval = engine ? engine->config().milter.stats_interval_seconds : 0;
        const auto now = std::chrono::steady_clock::now();
        if (interval > 0 && now - last_report >= std::chrono::seconds(interval)) {
          report(daemon);
          last_report = now;
        }
      } catch (...) {
      }
      lock.lock();
    }
  }

  static void handle(Daemon& daemon, int received) noexcept {
    try {
      if (received == SIGUSR1) {
        log(LOG_NOTICE, "SIGUSR1: reloading %s", daemon.config_path.c_str());
        notify("RELOADING=1");
        daemon.reload();
        notify("READY=1");
      } else if (received == SIGUSR2) {
        report(daemon);
      }
    } catch (const std::exception& e) {
      log(LOG_ERR, "signal %d: %s", received, e.what());
    } catch (...) {
      log(LOG_ERR, "signal %d: unknown exception", received);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<int> queue_;
  bool stop_ = false;
  std::thread thread_;
};

// SIGTERM, SIGINT and SIGHUP: set by the handler, read by the main thread.
volatile std::sig_atomic_t stop_signal = 0;

extern "C" void on_stop_signal(int number) { stop_signal = number; }

// The main thread does nothing but wait for signals: SIGUSR1 and SIGUSR2
// (taken synchronously) go to the chores thread; SIGTERM, SIGINT or SIGHUP
// (caught by a handler) end the loop. Returns the signal that ended it, or 0
// when libmilter stopped on its own.
//
// libmilter has a signal thread of its own that waits for SIGTERM, SIGINT
// and SIGHUP and, with the worker pool of Debian's build, stops serving
// every connection at once. Only the main thread leaves these signals
// unblocked, and Linux hands a signal sent to the process to its main
// thread first whenever that thread can take it (it cannot only while
// another signal sent a moment before is still pending for it): so the
// daemon gets SIGTERM and can let the messages in progress finish before it
// tells libmilter to stop. Should libmilter get it after all, the daemon
// still stops, and the messages in progress pass unchanged.
int signal_loop(const MilterThread& milter, Chores& chores) {
  sigset_t stop_set;
  sigemptyset(&stop_set);
  for (const int number : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&stop_set, number);
  pthread_sigmask(SIG_UNBLOCK, &stop_set, nullptr);

  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  while (stop_signal == 0 && !milter.done()) {
    const timespec wait{0, 250'000'000};
    const int received = sigtimedwait(&set, nullptr, &wait);  // EINTR when a stop signal is caught
    if (received == SIGUSR1 || received == SIGUSR2) chores.post(received);
  }
  // The stop signals stay unblocked here: a second one while the messages
  // in progress finish means "stop now".
  const int received = stop_signal;
  stop_signal = 0;
  return received;
}

int run(int argc, char** argv) {
  std::string config_path = "/etc/clearbounce/clearbounce.toml";
  bool foreground = false;
  bool check_only = false;
  int option;
  opterr = 0;
  while ((option = getopt(argc, argv, "c:fnVh")) != -1) {
    switch (option) {
      case 'c': config_path = optarg; break;
      case 'f': foreground = true; break;
      case 'n': check_only = true; break;
      case 'V': std::printf("clearbounce-milter %s\n", CLEARBOUNCE_VERSION); return 0;
      case 'h': usage(stdout); return 0;
      default:
        std::fprintf(stderr, "clearbounce-milter: unknown option or missing argument: -%c\n", optopt);
        usage(stderr);
        return kExitUsage;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "clearbounce-milter: unexpected argument: %s\n", argv[optind]);
    usage(stderr);
    return kExitUsage;
  }

  std::vector<std::string> errors;
  auto engine = clearbounce::milter::load_engine(config_path, errors);
  if (!engine) {
    for (const auto& error : errors) std::fprintf(stderr, "%s\n", error.c_str());
    return kExitConfig;
  }
  const auto settings = engine->config().milter;
  Accounts accounts;
  if (!resolve_accounts(settings, config_path, accounts)) return kExitConfig;
  if (check_only) {
    std::printf("%s: configuration and templates are valid\n", config_path.c_str());
    return 0;
  }

  // Standard error as well as syslog: in the background it is /dev/null
  // once the socket is open, so that a failure to start still shows where
  // the daemon was started.
  clearbounce::milter::log_open(true);
  clearbounce::milter::log_set_level(settings.log_level);

  Daemon& daemon = Daemon::instance();
  daemon.config_path = config_path;
  daemon.set_engine(std::move(engine));

  // The signals are blocked in every thread, which inherit this mask:
  // SIGUSR1 and SIGUSR2 are taken with sigtimedwait() by the main thread,
  // which alone unblocks SIGTERM, SIGINT and SIGHUP for their handler (see
  // signal_loop).
  sigset_t blocked;
  sigemptyset(&blocked);
  for (const int number : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT, SIGHUP}) sigaddset(&blocked, number);
  pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  struct sigaction stop_action {};
  stop_action.sa_handler = on_stop_signal;
  sigemptyset(&stop_action.sa_mask);
  for (const int number : {SIGTERM, SIGINT, SIGHUP}) sigaction(number, &stop_action, nullptr);

  umask(static_cast<mode_t>(settings.umask));
  std::string socket = settings.socket;
  struct smfiDesc description = clearbounce::milter::filter_description();
  if (smfi_setconn(socket.data()) != MI_SUCCESS || smfi_settimeout(static_cast<int>(settings.timeout_seconds)) != MI_SUCCESS ||
      smfi_register(description) != MI_SUCCESS) {
    log(LOG_ERR, "cannot set up libmilter for %s", socket.c_str());
    return kExitFailure;
  }
  if (smfi_opensocket(true) != MI_SUCCESS) {
    log(LOG_ERR, "cannot listen on %s (missing directory, permissions, or in use?)", socket.c_str());
    return kExitFailure;
  }
  if (unix_socket_path(socket).empty()) disable_nagle_on_listener();
  if (const std::string path = unix_socket_path(socket); !path.empty() && (accounts.uid || accounts.gid)) {
    const uid_t owner = geteuid() == 0 && accounts.uid ? *accounts.uid : static_cast<uid_t>(-1);
    const gid_t group = accounts.group_named ? *accounts.gid : static_cast<gid_t>(-1);
    if ((owner != static_cast<uid_t>(-1) || group != static_cast<gid_t>(-1)) && chown(path.c_str(), owner, group) != 0) {
      log(LOG_ERR, "cannot give socket %s to user %s group %s: %s", path.c_str(), settings.user.c_str(),
          settings.group.c_str(), std::strerror(errno));
      return kExitFailure;
    }
  }
  // The socket file as created, so that only this one is removed at exit
  // (not one a newer instance has created meanwhile).
  const std::string socket_path = unix_socket_path(socket);
  struct stat created {};
  const bool have_socket_file = !socket_path.empty() && stat(socket_path.c_str(), &created) == 0;
  if (!drop_privileges(accounts)) return kExitFailure;
  // Into the background before any thread starts (fork keeps only the caller).
  if (!foreground && !daemonize()) return kExitFailure;

  int result = MI_SUCCESS;
  {
    log(LOG_NOTICE, "clearbounce-milter %s listening on %s%s", CLEARBOUNCE_VERSION, socket.c_str(),
        settings.dry_run ? " (dry run: only X-Clearbounce is added)" : "");
    MilterThread milter;
    Chores chores;
    notify("READY=1\nSTATUS=listening on " + socket);
    const int received = signal_loop(milter, chores);
    notify("STOPPING=1");
    const unsigned limit = daemon.engine() ? daemon.engine()->config().milter.timeout_seconds : settings.timeout_seconds;
    if (received != 0) {
      const char* name = received == SIGTERM ? "SIGTERM" : received == SIGINT ? "SIGINT" : "SIGHUP";
      log(LOG_NOTICE, "%s: finishing the messages in progress (at most %u s), then stopping", name, limit);
      // Until they are done, a second stop signal, or libmilter stopping on
      // its own (its connections are gone then).
      const std::size_t left = daemon.stop_and_drain(std::chrono::seconds(limit),
                                                     [&milter] { return stop_signal != 0 || milter.done(); });
      if (left > 0) log(LOG_WARNING, "stopping with %zu message(s) still in progress (they pass unchanged)", left);
    } else {
      // libmilter took the signal (or failed): its connections are gone.
      daemon.stop_and_drain(std::chrono::seconds(0), nullptr);
      log(LOG_NOTICE, "libmilter stopped; messages in progress pass unchanged");
    }
    result = milter.stop(std::chrono::seconds(15), socket_path);
    report(daemon);
  }
  struct stat now {};
  if (have_socket_file && stat(socket_path.c_str(), &now) == 0 && now.st_ino == created.st_ino &&
      now.st_dev == created.st_dev && unlink(socket_path.c_str()) != 0) {
    log(LOG_DEBUG, "cannot remove %s: %s", socket_path.c_str(), std::strerror(errno));
  }
  log(LOG_NOTICE, "stopped");
  return result == MI_SUCCESS ? 0 : kExitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "clearbounce-milter: %s\n", e.what());
    return kExitFailure;
  }
}
