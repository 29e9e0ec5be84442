// libFuzzer target for the whole engine: parse, classify, choose the locale,
// render and rebuild the message, on local and remote reports alike. The
// first byte frames the rest and says whether the report is remote
// (fuzz_support.hpp): '0'-'3' local, '4'-'7' remote. Built and run by
// run_fuzz.sh; the main build only compiles it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using clearbounce::fuzz::require;

const clearbounce::engine::Engine& engine() {
  static const std::unique_ptr<clearbounce::engine::Engine> loaded = [] {
    clearbounce::config::Config config;
    // The engine's own time limit would turn a slow path into a quick "passed
    // unchanged"; lifted here (to the largest value the loader accepts) so
    // that the slow path itself shows up as a libFuzzer timeout.
    config.time_limit_ms = 600000;
    std::vector<std::string> errors;
    auto built = clearbounce::engine::Engine::load(config, errors);
    require(built != nullptr);
    return built;
  }();
  return *loaded;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto frame = clearbounce::fuzz::frame_of(data[0]);
  const std::string message = clearbounce::fuzz::framed_message(frame, clearbounce::fuzz::as_text(data + 1, size - 1));
  clearbounce::engine::Options options;
  options.remote_report = (data[0] / 4) % 2 == 1;

  const auto outcome = engine().process(message, options);
  // The engine's catch-all turns an exception into "internal error": still a
  // bug, which the fuzzer should report rather than pass over.
  require(outcome.reason.rfind("internal error", 0) != 0);
  require(outcome.rewritten == outcome.reason.empty());
  if (!outcome.rewritten) return 0;
  require(!outcome.result.message.empty());
  require(!outcome.locale.empty());
  // A rewritten message is never rewritten again.
  require(!engine().process(outcome.result.message, options).rewritten);
  return 0;
}
