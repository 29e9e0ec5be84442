// Access to the shared corpus that lives next to the source tree. A fresh
// clone has none: tests skip with a message saying so.
#pragma once

#include <filesystem>

#include "tests/test_files.hpp"

namespace clearbounce::testing {

inline std::filesystem::path shared_dir() { return std::filesystem::path(CLEARBOUNCE_SHARED_DIR); }

}  // namespace clearbounce::testing

#define CLEARBOUNCE_REQUIRE_DIR(dir)                                                           \
  do {                                                                                         \
    if (!std::filesystem::is_directory(dir))                                                   \
      GTEST_SKIP() << "shared corpus not found at " << (dir)                                   \
                   << " (it sits beside the source tree in development checkouts only)";       \
  } while (0)
