// Reloading and logging the counters, away from the main thread: SIGUSR1
// and SIGUSR2 are handed over here, and the counters are also logged every
// milter.stats_interval_seconds. Every half second, too, the freed heap of
// finished reports goes back to the system (Daemon::trim_heap_if_idle).
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "milter/daemon.hpp"

namespace clearbounce::milter {

// Logs the counters (and tells systemd, as the unit's status line).
void log_stats(Daemon& daemon);

class Chores {
 public:
  explicit Chores(Daemon& daemon);
  ~Chores();  // stops the thread and waits for it
  Chores(const Chores&) = delete;
  Chores& operator=(const Chores&) = delete;

  // SIGUSR1: reload; SIGUSR2: log the counters.
  void post(int signal_number);

 private:
  void run();
  void report_if_due(std::chrono::steady_clock::time_point& last_report);

  Daemon& daemon_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<int> queue_;
  bool stop_ = false;
  std::thread thread_;  // last: starts once everything above is built
};

}  // namespace clearbounce::milter
