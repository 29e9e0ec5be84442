// The gate of the free-text readers (dialects.cpp): one automaton over the
// words of every dialect signature and of the gated wording regexes
// (dialect_table.hpp), and which signature alternatives each word can
// make candidates. Worked out from the tables at build time
// (make_dialect_gate writes kBuiltinGate), so that a process starts with
// it instead of spending some five million instructions and a megabyte of
// scratch building it. Internal to dsn/.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/literal_automaton.hpp"

namespace clearbounce::dsn::detail {

// Servers wrap and indent their wording as they like: a space in a
// signature stands for any run of white space, line breaks included.
std::string spacing_tolerant(std::string_view signature);

// A set of the automaton's words (a LiteralAutomaton::Found) as three
// 64-bit words, bit i in word i / 64: what a constant can hold.
struct GateWordSet {
  std::array<std::uint64_t, 3> bits{};

  LiteralAutomaton::Found found() const;
  static GateWordSet of(const LiteralAutomaton::Found& found);
  friend bool operator==(const GateWordSet&, const GateWordSet&) = default;
};
static_assert(LiteralAutomaton::kMaxLiterals == 3 * 64);

// A signature's alternative (its parts separated by a '|' outside groups),
// in table order: its regex, and when it matches exactly where one of a
// few plain phrases does, those phrases, lower case, which are looked for
// instead of running the regex.
struct GateAlternative {
  std::uint32_t dialect;
  std::string_view pattern;  // spacing_tolerant()
  std::string_view phrases;  // one a line; empty when the regex must run
};

// A spelling of an alternative: the alternative may match only where all
// its words occur. Looked at only once its longest word is found.
struct GateSpelling {
  std::uint32_t alternative;
  std::uint32_t longest_word;
  GateWordSet words;
  bool needs_non_ascii;  // it also needs some byte beyond ASCII in the text
};

// The gate as views of its tables.
struct GateTables {
  // The automaton over all words (LiteralAutomaton's tables).
  const std::array<std::uint8_t, 256>* column_of;
  std::uint32_t columns;
  std::span<const std::uint16_t> next;
  std::uint32_t first_accepting_row;
  std::span<const GateWordSet> ends;
  std::uint32_t longest_word;  // in bytes
  std::span<const GateAlternative> alternatives;  // at most 64: candidates are bits of a word
  std::span<const GateSpelling> spellings;        // those with words to look for
  std::uint64_t without_words;   // alternatives a spelling without words makes candidates in every text
  std::uint64_t only_non_ascii;  // those a spelling needing only a byte beyond ASCII makes candidates
  // Each gated wording regex's literals; U+017F and U+212A, which caseless
  // regexes read as 's' and 'k' (a text with one is left to the regexes).
  GateWordSet banner, challenge, delay, ascii_case_variants;
};

// The gate worked out from the tables: what the build step writes out,
// and what the tests compare the written tables with.
class GateBuild {
 public:
  GateBuild();
  GateBuild(const GateBuild&) = delete;
  GateBuild& operator=(const GateBuild&) = delete;

  // Views into this object.
  GateTables tables() const;

 private:
  std::size_t word_number(std::string_view word);

  std::vector<std::string> words_;
  std::unique_ptr<LiteralAutomaton> automaton_;
  std::vector<GateWordSet> ends_;
  std::vector<std::string> patterns_, phrases_;  // by alternative
  std::vector<GateAlternative> alternatives_;
  std::vector<GateSpelling> spellings_;
  std::uint64_t without_words_ = 0, only_non_ascii_ = 0;
  GateWordSet banner_, challenge_, delay_, ascii_case_variants_;
};

// The tables the build worked out (builtin_dialect_gate.cpp).
extern const GateTables kBuiltinGate;

}  // namespace clearbounce::dsn::detail
