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
  // Bytes of reports buffered at once. A report costs up to about 6.5
  // times its size while it is rewritten (the buffer, the parsed report,
  // the rewritten copy; 65 MB for 10 MiB, measured), and the MTA may open a
  // connection per process (Postfix: default_process_limit, 100), so
  // without a bound memory grows with the MTA's concurrency. Bounded in
  // bytes, not reports: a burst of ordinary 10 KB reports is never turned
  // away, while a few large (or hostile) ones are. Past the bound a report
  // passes unchanged, with a log line; a report alone is always read. The
  // systemd unit's MemoryMax is sized from this figure:
  // 6.5 x max(64 MiB, rewrite.max_message_bytes) + 12 MB at rest.
  static constexpr std::size_t kReportBytesAtOnce = 64u << 20;

  explicit Daemon(std::string config_file = {}, std::size_t report_bytes_at_once = kReportBytesAtOnce)
      : config_path(std::move(config_file)), report_bytes_at_once_(report_bytes_at_once) {}
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::shared_ptr<const engine::Engine> engine() const override;
  std::shared_ptr<diagnose::Diagnoser> diagnoser() const override;
  // Puts the engine in use, with the diagnosis service its configuration
  // asks for (started here; when it cannot start, logged, and reports go
  // without it).
  void set_engine(std::shared_ptr<const engine::Engine> engine);

  // SIGUSR1: reads the configuration file again and swaps the engine in;
  // a file with errors is refused (logged) and the running one stays.
  // Returns whether the new configuration is in use.
  bool reload();

  Stats& stats() override { return stats_; }

  bool begin_transaction() override;
  void end_transaction() noexcept override;
  std::size_t open_transactions() const;
  bool reserve_report_bytes(std::size_t bytes, std::size_t held) override;
  void release_report_bytes(std::size_t bytes) noexcept override;
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
  std::shared_ptr<diagnose::Diagnoser> diagnoser_;
  std::mutex reload_mutex_;  // one reload at a time

  mutable std::mutex transactions_mutex_;
  std::condition_variable transactions_done_;
  std::size_t open_transactions_ = 0;
  bool stopping_ = false;

  const std::size_t report_bytes_at_once_;
  std::atomic<std::size_t> report_bytes_{0};  // buffered now, by all sessions
  std::atomic<bool> trim_wanted_{false};     // the last buffered report ended since the last trim

  Stats stats_;
};

}  // namespace clearbounce::milter
