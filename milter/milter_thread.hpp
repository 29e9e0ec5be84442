// libmilter's smfi_main() in a thread of its own, so that the main thread
// stays free for signals.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace clearbounce::milter {

class MilterThread {
 public:
  MilterThread();
  // Joins the thread unless stop() gave up on it.
  ~MilterThread();
  MilterThread(const MilterThread&) = delete;
  MilterThread& operator=(const MilterThread&) = delete;

  // Whether smfi_main() has returned (libmilter stopped on its own, or
  // after stop()).
  bool done() const { return state_->done; }

  // Asks libmilter to stop and waits up to `limit` for smfi_main() to
  // return: its result (MI_SUCCESS or MI_FAILURE), or nothing when it did
  // not return in time. The thread is then detached and may still run, and
  // so may libmilter's workers: the caller must not let anything they use
  // be destroyed (see main.cpp).
  // `unix_path` (empty for TCP): smfi_stop() waits for the listener, which
  // holds its lock while it polls the socket for up to 5 seconds; a
  // connection to a unix socket wakes it at once.
  std::optional<int> stop(std::chrono::seconds limit, const std::string& unix_path);

 private:
  struct State {
    std::atomic<bool> done{false};
    std::atomic<int> result{0};
  };
  std::shared_ptr<State> state_;  // shared with the thread, which may outlive this object
  std::thread thread_;
};

}  // namespace clearbounce::milter
