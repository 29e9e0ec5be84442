// The state shared by every connection of the daemon: the engine in use
// (swapped whole on reload), the counters, and the count of transactions in
// progress that SIGTERM waits for.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "milter/stats.hpp"

namespace clearbounce::milter {

// Reads the configuration file and builds the engine it describes. Null,
// with `errors` filled ("file:line: what is wrong"), when anything is wrong.
std::shared_ptr<const engine::Engine> load_engine(const std::string& config_path, std::vector<std::string>& errors);

class Daemon {
 public:
  static Daemon& instance();

  // The engine for one message: sessions take a copy at MAIL FROM and keep
  // it to the end of the message, so one message always sees one
  // configuration even when a reload happens meanwhile.
  std::shared_ptr<const engine::Engine> engine() const;
  void set_engine(std::shared_ptr<const engine::Engine> engine);

  // SIGUSR1: reads the configuration file again and swaps the engine in;
  // a file with errors is refused (logged) and the running one stays.
  // Returns whether the new configuration is in use.
  bool reload();

  Stats& stats() { return stats_; }

  // Transactions in progress (MAIL FROM to end of message or abort).
  // begin_transaction() is false once the daemon is stopping: the message is
  // then accepted unchanged.
  bool begin_transaction();
  void end_transaction();
  // SIGTERM: no new transactions; waits up to `limit` for the open ones,
  // or until `give_up()` (asked ten times a second) says to stop waiting.
  // Returns the number still open.
  std::size_t stop_and_drain(std::chrono::seconds limit, const std::function<bool()>& give_up);

  std::string config_path;

 private:
  Daemon() = default;

  mutable std::mutex engine_mutex_;
  std::shared_ptr<const engine::Engine> engine_;
  std::mutex reload_mutex_;  // one reload at a time

  std::mutex transactions_mutex_;
  std::condition_variable transactions_done_;
  std::size_t open_transactions_ = 0;
  bool stopping_ = false;

  Stats stats_;
};

}  // namespace clearbounce::milter
