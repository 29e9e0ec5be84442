#include "dsn/literal_scan.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <stdexcept>

#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

namespace clearbounce::dsn::detail {

static_assert(LiteralScan::kMinLiteralBytes == sizeof(std::uint32_t), "a head is read as one word");

std::uint32_t LiteralScan::head_at(std::string_view text, std::size_t start) {
  // Bit 0x20 set in each byte: ASCII letters lose their case in one step
  // (a few other bytes fall together too, which costs only a comparison:
  // the head picks the literals to compare, it decides nothing).
  std::uint32_t head;
  std::memcpy(&head, text.data() + start, sizeof head);
  return head | 0x20202020u;
}

LiteralScan::LiteralScan(const std::vector<std::string_view>& literals) : shift_(1u << 16, kMinLiteralBytes - 1) {
  if (literals.size() > kMaxLiterals) throw std::invalid_argument("LiteralScan: too many literals");
  for (std::size_t i = 0; i < literals.size(); ++i) {
    if (literals[i].size() < kMinLiteralBytes) throw std::invalid_argument("LiteralScan: literal too short");
    literals_.push_back(to_lower(literals[i]));
    by_head_[head_bucket(head_at(literals_.back(), 0))] |= std::uint64_t{1} << i;
    // The pair at j, j + 1 ends a head when the window ends 2 - j bytes further.
    for (std::size_t j = 0; j + 1 < kMinLiteralBytes; ++j) {
      const char a = literals_.back()[j], b = literals_.back()[j + 1];
      const auto distance = static_cast<std::uint8_t>(kMinLiteralBytes - 2 - j);
      for (const char x : {a, ascii_upper(a)})
        for (const char y : {b, ascii_upper(b)}) {
          auto& shift = shift_[pair_index(static_cast<unsigned char>(x), static_cast<unsigned char>(y))];
          shift = std::min(shift, distance);
        }
    }
  }
}


std::uint64_t LiteralScan::find(std::string_view text) const {
  std::uint64_t found = 0;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t end = kMinLiteralBytes - 1; end < text.size();) {  // the window's last byte
    const std::uint8_t shift = shift_[pair_index(bytes[end - 1], bytes[end])];
    if (shift != 0) {
      end += shift;
      continue;
    }
    const std::size_t start = end + 1 - kMinLiteralBytes;
    for (std::uint64_t candidates = by_head_[head_bucket(head_at(text, start))]; candidates != 0;
         candidates &= candidates - 1) {
      const auto i = static_cast<std::size_t>(std::countr_zero(candidates));
      if (istarts_with(text.substr(start), literals_[i])) found |= std::uint64_t{1} << i;
    }
    ++end;
  }
  return found;
}

std::size_t find_byte_in_range(std::string_view text, std::size_t from, char low, char high) {
  const auto in_range = [low, high](char c) { return c >= low && c <= high; };
  for (; from + sizeof(std::uint64_t) <= text.size(); from += sizeof(std::uint64_t)) {
    const std::uint64_t x = word::load(text.data() + from);
    // Bytes above low - 1 and below high + 1, non-ASCII ones left out by
    // the second; a mark after another may be wrong, so each is checked.
    for (std::uint64_t marks = word::bytes_above(x, static_cast<std::uint8_t>(low - 1)) &
                               word::bytes_below(x, static_cast<std::uint8_t>(high + 1));
         marks != 0; marks &= marks - 1) {
      const std::size_t at = from + word::first_marked(marks);
      if (in_range(text[at])) return at;
    }
  }
  while (from < text.size() && !in_range(text[from])) ++from;
  return std::min(from, text.size());
}

LiteralSearch::LiteralSearch(std::string_view literal) : literal_(literal) {
  if (literal.size() < 2 || literal.size() > 255 ||
      std::any_of(literal.begin(), literal.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    throw std::invalid_argument("LiteralSearch: not a literal it can look for");
  const std::size_t m = literal.size();
  shift_.fill(static_cast<std::uint8_t>(m - 1));
  // The pair at j, j + 1 ends the window when it moves on by m - 2 - j.
  for (std::size_t j = 0; j + 1 < m; ++j) {
    const auto distance = static_cast<std::uint8_t>(m - 2 - j);
    for (const char x : {ascii_lower(literal[j]), ascii_upper(literal[j])})
      for (const char y : {ascii_lower(literal[j + 1]), ascii_upper(literal[j + 1])}) {
        auto& shift = shift_[pair_index(static_cast<unsigned char>(x), static_cast<unsigned char>(y))];
        shift = std::min(shift, distance);
      }
  }
}

std::size_t LiteralSearch::find(std::string_view text, std::size_t from) const {
  const std::size_t m = literal_.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t end = from + m - 1; end < text.size();) {  // the window's last byte
    const std::uint8_t shift = shift_[pair_index(bytes[end - 1], bytes[end])];
    if (shift != 0) {
      end += shift;
    } else {
      if (iequals(text.substr(end + 1 - m, m), literal_)) return end + 1 - m;
      ++end;
    }
  }
  return std::string_view::npos;
}

bool LiteralScan::has_ascii_case_variant(std::string_view text) {
  // U+017F is C5 BF in UTF-8, U+212A is E2 84 AA.
  if (text.empty()) return false;
  const auto occurs = [text](char lead, std::string_view sequence) {
    for (const char* p = text.data(); (p = static_cast<const char*>(std::memchr(p, lead, text.data() + text.size() - p)));
         ++p)
      if (std::string_view(p, text.data() + text.size() - p).starts_with(sequence)) return true;
    return false;
  };
  return occurs('\xC5', "\xC5\xBF") || occurs('\xE2', "\xE2\x84\xAA");
}

}  // namespace clearbounce::dsn::detail
