// ASCII text helpers for the dsn/ sources and the layers built on them
// (classifier/, templates/, engine/): mail syntax is ASCII, and the C library's
// locale-dependent functions must not decide what a header name, a code or
// a keyword is. Not part of the dsn/ interface that the CLI and the milter
// use.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace clearbounce::dsn::detail {

constexpr char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

constexpr bool is_ascii_alnum(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

constexpr bool is_wsp(char c) noexcept { return c == ' ' || c == '\t'; }

constexpr bool is_space(char c) noexcept { return is_wsp(c) || c == '\r' || c == '\n'; }

// What RE2's \s matches (form feed too): for scanners that stand in for a
// pattern written with \s.
constexpr bool is_pattern_space(char c) noexcept { return is_space(c) || c == '\f'; }

// Whether `c` is one of the bytes of `set`, and where the first byte of
// `text` from `from` on that is one of them (or npos). Plain loops:
// string_view's find and find_first_of call memchr, the latter once for
// every byte of the text, and a call costs more than a short loop.
constexpr bool is_one_of(char c, std::string_view set) noexcept {
  for (const char s : set)
    if (s == c) return true;
  return false;
}
constexpr std::size_t find_first_in(std::string_view text, std::string_view set, std::size_t from = 0) noexcept {
  for (std::size_t i = from; i < text.size(); ++i)
    if (is_one_of(text[i], set)) return i;
  return std::string_view::npos;
}

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

constexpr char ascii_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

constexpr bool istarts_with(std::string_view s, std::string_view prefix) noexcept {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// True when `needle` occurs in `text`, ignoring ASCII case. Over long texts
// Horspool's skip table lets the search jump ahead by up to the needle's
// length: it runs over whole messages ("delivery-status" in every bounce's
// raw bytes). A short text is cheaper to read a byte at a time than to
// build the table for.
inline bool icontains(std::string_view text, std::string_view needle) noexcept {
  constexpr std::size_t kShortText = 256;
  const std::size_t m = needle.size();
  if (m == 0) return true;
  if (text.size() < kShortText || m > 255) {
    const char first = ascii_lower(needle[0]);
    for (std::size_t i = 0; i + m <= text.size(); ++i)
      if (ascii_lower(text[i]) == first && iequals(text.substr(i, m), needle)) return true;
    return false;
  }
  std::array<unsigned char, 256> skip;
  skip.fill(static_cast<unsigned char>(m));
  for (std::size_t i = 0; i + 1 < m; ++i) {
    const auto distance = static_cast<unsigned char>(m - 1 - i);
    skip[static_cast<unsigned char>(ascii_lower(needle[i]))] = distance;
    skip[static_cast<unsigned char>(ascii_upper(needle[i]))] = distance;
  }
  for (std::size_t pos = 0; pos + m <= text.size(); pos += skip[static_cast<unsigned char>(text[pos + m - 1])])
    if (iequals(text.substr(pos, m), needle)) return true;
  return false;
}

// Calls visit(d) for `domain` lower-cased, then for each domain above it
// ("mx.shop.example", "shop.example", "example"), until visit returns true;
// true then. A name longer than a domain can be (253) visits nothing. The
// administrator's per-domain settings (locale.domains,
// organization.domains) apply to a domain and the domains under it.
template <typename Visit>
bool each_domain_upwards(std::string_view domain, Visit&& visit) {
  constexpr std::size_t kMaxDomainLength = 253;
  if (domain.size() > kMaxDomainLength) return false;
  std::string lowered(domain);
  for (char& c : lowered) c = ascii_lower(c);
  const std::string_view name = lowered;
  for (std::size_t start = 0; start < name.size();) {
    if (visit(name.substr(start))) return true;
    const auto dot = name.find('.', start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return false;
}

// For unordered containers keyed by text compared without regard to ASCII
// case (addresses): equal as iequals() says, hashed alike. FNV-1a over the
// bytes with bit 0x20 set, which folds ASCII case (and merges a few
// punctuation pairs, harmless in a hash) without a test.
struct CaselessHash {
  std::size_t operator()(std::string_view s) const noexcept {
    std::size_t hash = 14695981039346656037u;
    for (const char c : s) hash = (hash ^ (static_cast<unsigned char>(c) | 0x20u)) * 1099511628211u;
    return hash;
  }
};
struct CaselessEqual {
  bool operator()(std::string_view a, std::string_view b) const noexcept { return iequals(a, b); }
};

// Without leading and trailing spaces, tabs and line breaks.
constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace clearbounce::dsn::detail
