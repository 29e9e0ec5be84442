// For the build-time tools that write C++ sources: a string literal for any
// bytes.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace clearbounce::dsn::detail {

// Printable ASCII as it is, every other byte as an octal escape (octal
// escapes cannot run on into the next character as hexadecimal ones do); a
// `suffix` such as "sv" follows the closing quote.
inline std::string cpp_literal(std::string_view bytes, std::string_view suffix = "sv") {
  std::string out(1, '"');
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7F && c != '"' && c != '\\' && c != '?') {
      out += c;
    } else {
      char escape[5];
      std::snprintf(escape, sizeof escape, "\\%03o", b);
      out += escape;
    }
  }
  out += '"';
  out += suffix;
  return out;
}

}  // namespace clearbounce::dsn::detail
