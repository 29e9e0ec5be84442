// Which of up to 192 literals occur in a text, in one pass of one table
// step per byte (an Aho-Corasick automaton): the gate a set of regexes
// needs to know which of them can match, cheaper per byte than the regexes'
// own scan. Internal to dsn/.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::dsn::detail {

class LiteralAutomaton {
 public:
  static constexpr std::size_t kMaxLiterals = 192;
  using Found = std::bitset<kMaxLiterals>;

  // `literals`: non-empty, at most kMaxLiterals. ASCII letters match in
  // either case, every other byte only itself. Throws std::invalid_argument
  // otherwise, or when the table would outgrow its 16-bit entries.
  explicit LiteralAutomaton(const std::vector<std::string>& literals);

  // The automaton whose tables another one's accessors gave (a build step
  // writes them out as constants); `next` must outlive it.
  LiteralAutomaton(const std::array<std::uint8_t, 256>& column_of, std::uint32_t columns,
                   std::span<const std::uint16_t> next, std::uint32_t first_accepting_row, std::vector<Found> ends,
                   std::uint32_t longest_literal);

  // It may point into its own table.
  LiteralAutomaton(const LiteralAutomaton&) = delete;
  LiteralAutomaton& operator=(const LiteralAutomaton&) = delete;

  // Bit i is set when literals[i] occurs in `text`.
  Found find(std::string_view text) const;

  // The tables, for the second constructor.
  const std::array<std::uint8_t, 256>& column_of() const { return column_of_; }
  std::uint32_t columns() const { return columns_; }
  std::span<const std::uint16_t> next() const { return next_; }
  std::uint32_t first_accepting_row() const { return first_accepting_row_; }
  const std::vector<Found>& ends() const { return ends_; }
  std::uint32_t longest_literal() const { return longest_literal_; }

 private:
  // The byte a literal's byte is compared as: ASCII letters in lower case.
  static unsigned char folded(unsigned char byte);
  static std::uint64_t reciprocal(std::uint32_t columns);
  void find_in_lanes(std::string_view text, Found& found) const;

  std::array<std::uint8_t, 256> column_of_{};  // by byte; 0 for bytes in no literal
  std::uint32_t columns_ = 1;
  // next_[row + column_of_[byte]] is the next state's row (state * columns_).
  // States that end a literal come last, from first_accepting_row_ on.
  std::span<const std::uint16_t> next_;
  std::vector<std::uint16_t> built_next_;  // next_'s storage when built here
  std::uint32_t first_accepting_row_ = 0;
  std::vector<Found> ends_;  // by accepting state (from the first): the literals it ends
  std::uint32_t longest_literal_ = 0;  // in bytes
  std::uint64_t state_of_row_ = 0;     // reciprocal(columns_)
};

}  // namespace clearbounce::dsn::detail
