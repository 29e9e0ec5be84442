#include "diagnose/data_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace clearbounce::diagnose {

std::optional<std::string> read_data_file(const std::string& path, std::size_t max_bytes, std::string& error) {
  std::error_code why;
  if (!std::filesystem::is_regular_file(path, why)) {
    error = path + (std::filesystem::exists(path, why) ? ": is not a file" : ": cannot be read (no such file)");
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    error = path + ": cannot be read (" + std::strerror(errno) + ")";
    return std::nullopt;
  }
  std::string text(max_bytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (in.bad()) {
    error = path + ": cannot be read";
    return std::nullopt;
  }
  if (text.size() > max_bytes) {
    error = path + ": larger than " + std::to_string(max_bytes) + " bytes";
    return std::nullopt;
  }
  return text;
}

}  // namespace clearbounce::diagnose
