// Counters of the daemon, updated by every session thread and logged
// periodically and on SIGUSR2.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace clearbounce::milter {

class Stats {
 public:
  // The rewrite times of the last kWindow reports processed make the
  // median and the 99th percentile.
  static constexpr std::size_t kWindow = 10000;

  std::atomic<std::uint64_t> seen{0};       // transactions started (MAIL FROM)
  std::atomic<std::uint64_t> reports{0};    // delivery reports handed to the engine
  std::atomic<std::uint64_t> rewritten{0};  // reports changed (in dry-run: marked)
  std::atomic<std::uint64_t> passed{0};     // reports left unchanged (engine's reason, too large, path off)
  std::atomic<std::uint64_t> errors{0};     // failures: exceptions, refused modifications

  // Time the engine took for one report.
  void record_latency(std::chrono::nanoseconds elapsed);

  struct Latency {
    std::size_t samples = 0;
    double median_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
  };
  Latency latency() const;

  // One log line: "seen=.. dsns=.. rewritten=.. passed=.. errors=.. ...".
  std::string summary() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint32_t> window_us_;  // microseconds, a ring of kWindow
  std::size_t next_ = 0;
};

}  // namespace clearbounce::milter
