#include "milter/milter_thread.hpp"

#include <libmilter/mfapi.h>

#include "milter/listener.hpp"

namespace clearbounce::milter {

MilterThread::MilterThread() : state_(std::make_shared<State>()) {
  state_->result = MI_FAILURE;
  thread_ = std::thread([state = state_] {
    state->result = smfi_main();
    state->done = true;
  });
}

MilterThread::~MilterThread() {
  if (thread_.joinable()) thread_.join();
}

std::optional<int> MilterThread::stop(std::chrono::seconds limit, const std::string& unix_path) {
  std::atomic<bool> stopped{false};
  std::thread stopper([&stopped] {
    smfi_stop();
    stopped = true;
  });
  const auto wake_until = std::chrono::steady_clock::now() + std::chrono::seconds(6);
  while (!stopped && !unix_path.empty() && std::chrono::steady_clock::now() < wake_until) {
    wake_listener(unix_path);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stopper.join();
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!state_->done && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!state_->done) {
    thread_.detach();  // the state it writes stays alive with it (shared_ptr)
    return std::nullopt;
  }
  thread_.join();
  return state_->result.load();
}

}  // namespace clearbounce::milter
