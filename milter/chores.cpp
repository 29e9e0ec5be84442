#include "milter/chores.hpp"

#include <signal.h>
#include <syslog.h>

#include <exception>
#include <string>

#include "milter/log.hpp"
#include "milter/notify.hpp"

namespace clearbounce::milter {
namespace {

// The chores thread's boundary: a failed chore is logged, and the daemon
// goes on serving with what it has (the running configuration).
template <typename Chore>
void run_chore(const char* what, Chore&& chore) noexcept {
  try {
    chore();
  } catch (const std::exception& e) {
    log(LOG_ERR, "%s failed: %s", what, e.what());
  } catch (...) {
    log(LOG_ERR, "%s failed: an exception of unknown type", what);
  }
}

}  // namespace

void log_stats(Daemon& daemon) {
  std::string line = daemon.stats().summary();
  if (const auto diagnoser = daemon.diagnoser()) {
    const auto c = diagnoser->counters();
    line += " diagnose_questions=" + std::to_string(c.questions) + " diagnose_cache_hits=" +
            std::to_string(c.cache_hits) + " diagnose_lookups=" + std::to_string(c.lookups) +
            " diagnose_probes=" + std::to_string(c.probes) + " diagnose_refined=" + std::to_string(c.refined) +
            " diagnose_timed_out=" + std::to_string(c.timed_out) +
            " diagnose_refused_by_policy=" + std::to_string(c.refused_by_policy);
  }
  log(LOG_INFO, "%s", line.c_str());
  notify_systemd("STATUS=" + line);
}

Chores::Chores(Daemon& daemon) : daemon_(daemon), thread_([this] { run(); }) {}

Chores::~Chores() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Chores::post(int signal_number) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(signal_number);
  }
  wake_.notify_one();
}

void Chores::run() {
  auto last_report = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  while (!stop_) {
    wake_.wait_for(lock, std::chrono::milliseconds(500), [this] { return stop_ || !queue_.empty(); });
    std::deque<int> received;
    received.swap(queue_);
    lock.unlock();
    for (const int signal_number : received) {
      if (signal_number == SIGUSR1) {
        log(LOG_NOTICE, "SIGUSR1: reloading %s", daemon_.config_path.c_str());
        notify_systemd("RELOADING=1");
        run_chore("reload", [this] { daemon_.reload(); });
        notify_systemd("READY=1");  // with the new configuration or the old one
      } else if (signal_number == SIGUSR2) {
        run_chore("logging the counters", [this] { log_stats(daemon_); });
      }
    }
    run_chore("logging the counters", [&] { report_if_due(last_report); });
    daemon_.trim_heap_if_idle();
    lock.lock();
  }
}

void Chores::report_if_due(std::chrono::steady_clock::time_point& last_report) {
  const auto engine = daemon_.engine();
  const unsigned interval = engine ? engine->config().milter.stats_interval_seconds : 0;
  const auto now = std::chrono::steady_clock::now();
  if (interval > 0 && now - last_report >= std::chrono::seconds(interval)) {
    log_stats(daemon_);
    last_report = now;
  }
}

}  // namespace clearbounce::milter
