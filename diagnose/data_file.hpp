// Reading a data file an administrator names in the configuration (more
// mail domains, more block lists): only a regular file, checked before it is
// opened (a FIFO or a device would block the start or never end), and only
// up to a size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace clearbounce::diagnose {

// The file's bytes; nullopt, with "path: why" in `error`, when it is no
// regular file, cannot be read or holds more than `max_bytes`.
std::optional<std::string> read_data_file(const std::string& path, std::size_t max_bytes, std::string& error);

}  // namespace clearbounce::diagnose
