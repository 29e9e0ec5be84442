// A regex built the first time a text needs it: a short-lived process pays
// only for those its texts reach (one costs tens to hundreds of thousands
// of instructions to build). Thread-safe. Internal to the project, like
// byte_regex.hpp.
#pragma once

#include <re2/re2.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace clearbounce::dsn::detail {

class LazyRegex {
 public:
  // `pattern` must compile: it was checked when loaded or built. `built`,
  // when given, is that pattern's regex already made (by a check that
  // needed it), and is used as it is.
  LazyRegex(std::string pattern, const RE2::Options& options, std::unique_ptr<RE2> built = nullptr)
      : pattern_(std::move(pattern)), options_(options), built_(std::move(built)), ready_(built_.get()) {}

  // Holds a once_flag: neither copied nor moved.
  LazyRegex(const LazyRegex&) = delete;
  LazyRegex& operator=(const LazyRegex&) = delete;

  const RE2& get() const {
    // std::call_once sets up thread-local state on every call, even long
    // after the flag was set, where this is one load.
    if (const RE2* built = ready_.load(std::memory_order_acquire)) return *built;
    std::call_once(once_, [this] {
      if (!built_) built_ = std::make_unique<RE2>(pattern_, options_);
      ready_.store(built_.get(), std::memory_order_release);
    });
    return *built_;
  }

 private:
  std::string pattern_;
  RE2::Options options_;
  mutable std::once_flag once_;
  mutable std::unique_ptr<RE2> built_;
  mutable std::atomic<const RE2*> ready_;
};

}  // namespace clearbounce::dsn::detail
