#include "milter/stats.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace clearbounce::milter {

void Stats::record_latency(std::chrono::nanoseconds elapsed) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  const auto clamped = static_cast<std::uint32_t>(
      std::clamp<long long>(us, 0, std::numeric_limits<std::uint32_t>::max()));
  std::lock_guard lock(mutex_);
  if (window_us_.size() < kWindow) {
    window_us_.push_back(clamped);
  } else {
    window_us_[next_] = clamped;
    next_ = (next_ + 1) % kWindow;
  }
}

Stats::Latency Stats::latency() const {
  std::vector<std::uint32_t> copy;
  {
    std::lock_guard lock(mutex_);
    copy = window_us_;
  }
  Latency out;
  out.samples = copy.size();
  if (copy.empty()) return out;
  // Nearest rank: the smallest value with at least p of the samples at or below it.
  const auto rank = [&](double p) {
    const auto n = static_cast<double>(copy.size());
    auto index = static_cast<std::size_t>(p * n + 0.999999);
    index = std::clamp<std::size_t>(index, 1, copy.size()) - 1;
    std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(index), copy.end());
    return static_cast<double>(copy[index]) / 1000.0;
  };
  out.median_ms = rank(0.5);
  out.p99_ms = rank(0.99);
  out.max_ms = static_cast<double>(*std::max_element(copy.begin(), copy.end())) / 1000.0;
  return out;
}

std::string Stats::summary() const {
  const Latency l = latency();
  char line[320];
  std::snprintf(line, sizeof line,
                "stats: seen=%llu dsns=%llu rewritten=%llu passed=%llu errors=%llu "
                "latency_median_ms=%.3f latency_p99_ms=%.3f latency_max_ms=%.3f latency_samples=%zu",
                static_cast<unsigned long long>(seen.load()), static_cast<unsigned long long>(reports.load()),
                static_cast<unsigned long long>(rewritten.load()), static_cast<unsigned long long>(passed.load()),
                static_cast<unsigned long long>(errors.load()), l.median_ms, l.p99_ms, l.max_ms, l.samples);
  return line;
}

}  // namespace clearbounce::milter
