// libFuzzer target for the configuration loader (TOML text in, Config or a
// "file:line: what" error out). Built and run by run_fuzz.sh; the main build
// only compiles it.
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "tests/fuzz/fuzz_support.hpp"

using clearbounce::fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string error;
  const auto config = clearbounce::config::load_text(clearbounce::fuzz::as_text(data, size), "fuzz.toml", error);
  // Exactly one of the two: a configuration, or a reason there is none.
  require(config.has_value() == error.empty());
  if (!config) require(error.rfind("fuzz.toml", 0) == 0);
  return 0;
}
