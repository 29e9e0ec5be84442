// The state shared by every connection of the daemon: the engine in use
// (swapped whole on reload), the counters, and the count of transactions in
// progress that SIGTERM waits for. The program keeps one for its whole life
// (never destroyed, see main.cpp); tests make their own.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "milter/session_host.hpp"
#include "milter/stats.hpp"

namespace clearbounce::milter {

// Reads the configuration file and builds the engine it describes. Null,
// with `errors` filled ("file:line: what is wrong"), when anything is wrong.
std::shared_ptr<const engine::Engine> load_engine(const std::string& config_path, std::vector<std::string>& errors);

class Daemon final : public SessionHost {
 public:
  // Reports buffered and rewritten at once. Each costs up to about 65 MB at
  // the default rewrite.max_message_bytes (10 MiB: the buffer, the parsed
  // report and the rewritten copy, measured), and the MTA may open a
  // connection per process (Postfix: default_process_limit, 100), so
  // without a bound memory grows with the MTA's concurrency. Bounces come
  // a few at a time; reports past the bound pass unchanged, with a log
  // line. The systemd unit's MemoryMax is sized from this figure.
  static constexpr std::size_t kReportsAtOnce = 8;

  explicit Daemon(std::string config_file = {}, std::size_t reports_at_once = kReportsAtOnce)
      : config_path(std::move(config_file)), reports_at_once_(reports_at_once) {}
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::shared_ptr<const engine::Engine> engine() const override;
  void set_engine(std::shared_ptr<const engine::Engine> engine);

  // SIGUSR1: reads the configuration file again and swaps the engine in;
  // a file with errors is refused (logged) and the running one stays.
  // Returns whether the new configuration is in use.
  bool reload();

  Stats& stats() override { return stats_; }

  bool begin_transaction() override;
  void end_transaction() noexcept override;
  std::size_t open_transactions() const;
  bool begin_report() override;
  void end_report() noexcept override;
  // Called by the chores thread: gives freed heap back to the system when
  // reports have ended since the last call and none is in progress.
  void trim_heap_if_idle() noexcept;
  // SIGTERM: no new transactions; waits up to `limit` for the open ones,
  // or until `give_up()` (asked ten times a second) says to stop waiting.
  // Returns the number still open.
  std::size_t stop_and_drain(std::chrono::milliseconds limit, const std::function<bool()>& give_up);

  std::string config_path;

 private:
  mutable std::mutex engine_mutex_;
  std::shared_ptr<const engine::Engine> engine_;
  std::mutex reload_mutex_;  // one reload at a time

  mutable std::mutex transactions_mutex_;
  std::condition_variable transactions_done_;
  std::size_t open_transactions_ = 0;
  bool stopping_ = false;

  const std::size_t reports_at_once_;
  std::atomic<std::size_t> open_reports_{0};
  std::atomic<bool> trim_wanted_{false};  // a last report in progress ended since the last trim

  Stats stats_;
};

}  // namespace clearbounce::milter
