// Which of a few fixed literals occur in a text, in one pass: a cheap
// necessary condition to test before running a regex that can only match
// where one of them occurs. Internal to dsn/.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::dsn::detail {

class LiteralScan {
 public:
  static constexpr std::size_t kMaxLiterals = 64;
  static constexpr std::size_t kMinLiteralBytes = 4;

  // `literals`: ASCII, at least kMinLiteralBytes each, at most kMaxLiterals.
  // Throws std::invalid_argument otherwise (a programming error).
  explicit LiteralScan(const std::vector<std::string_view>& literals);

  // Bit i is set when literals[i] occurs in `text`, ASCII case ignored.
  // Linear: the window moves on by one to three bytes a step, and where a
  // step stops at what may end a literal's first four bytes, each literal
  // whose first four bytes hash alike is compared once (at most 64).
  std::uint64_t find(std::string_view text) const;

  // Also true when `text` may hold a literal written with a non-ASCII
  // letter that a caseless regex takes for an ASCII one: U+017F (long s)
  // for 's', U+212A (Kelvin sign) for 'k'. find() does not see those; a
  // gate built on it must then let the regex run.
  static bool has_ascii_case_variant(std::string_view text);

 private:
  static std::uint32_t head_at(std::string_view text, std::size_t start);
  static std::size_t pair_index(unsigned char first, unsigned char second) { return std::size_t{first} << 8 | second; }
  static std::size_t head_bucket(std::uint32_t head) { return (head * 2654435761u) >> 24; }

  std::vector<std::string> literals_;  // lower-cased
  // By a hash of their first four bytes (head_at), the literals that may
  // start so, as bits.
  std::array<std::uint64_t, 256> by_head_{};
  // Wu-Manber's table: for the two bytes that end a four-byte window (any
  // case), how far the window may move on without passing over the end of
  // a head: 3 when they occur in no head, less where they do.
  std::vector<std::uint8_t> shift_;
};

// The first place at or after `from` whose byte lies in [low, high] (ASCII
// bytes, low <= high), or text.size(): eight bytes are looked at at once,
// for scanners that stop only at digits.
std::size_t find_byte_in_range(std::string_view text, std::size_t from, char low, char high);

// One literal looked for in long texts, ASCII case ignored: what
// icontains(text, literal) tells, reading a fraction of the text. A window
// of the literal's length moves on by what its last two bytes allow
// (Horspool's rule on byte pairs): by the literal's length less one where
// they occur nowhere in it, which is most places.
class LiteralSearch {
 public:
  // `literal`: ASCII, 2 to 255 bytes. Throws std::invalid_argument otherwise.
  explicit LiteralSearch(std::string_view literal);

  bool occurs_in(std::string_view text) const { return find(text) != std::string_view::npos; }
  // Where the literal first occurs at or after `from`, or npos.
  std::size_t find(std::string_view text, std::size_t from = 0) const;
  std::size_t size() const { return literal_.size(); }

 private:
  // Pairs of bytes share a slot of the table by their bytes with bit 0x20
  // set (which takes away ASCII letters' case): slots hold the least shift
  // of their pairs, which is safe for each.
  static std::size_t pair_index(unsigned char first, unsigned char second) {
    return ((std::size_t{first} | 0x20) << 6 ^ (std::size_t{second} | 0x20)) & 0xFFF;
  }

  std::string literal_;
  // For the two bytes that end a window (any case), how far it may move on.
  std::array<std::uint8_t, 0x1000> shift_;
};

}  // namespace clearbounce::dsn::detail
