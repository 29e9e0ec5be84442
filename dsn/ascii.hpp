// ASCII text helpers shared by the dsn/ sources: mail syntax is ASCII, and
// the C library's locale-dependent functions must not decide what a header
// name or a keyword is. Internal to dsn/.
#pragma once

#include <string>
#include <string_view>

namespace clearbounce::dsn::detail {

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr bool is_space(char c) noexcept { return is_wsp(c) || c == '\r' || c == '\n'; }

constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// True when `needle` (short) occurs in `text`, ignoring ASCII case.
constexpr bool icontains(std::string_view text, std::string_view needle) noexcept {
  if (needle.empty()) return true;
  const char first = ascii_lower(needle[0]);
  for (std::size_t i = 0; i + needle.size() <= text.size(); ++i)
    if (ascii_lower(text[i]) == first && iequals(text.substr(i, needle.size()), needle)) return true;
  return false;
}

// Without leading and trailing spaces, tabs and line breaks.
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace clearbounce::dsn::detail
