// Reading test data: one helper for every test target.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace clearbounce::testing {

// The whole file, bytes as they are; empty when it cannot be read.
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace clearbounce::testing
