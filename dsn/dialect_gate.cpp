#include "dsn/dialect_gate.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "dsn/ascii.hpp"
#include "dsn/dialect_table.hpp"

namespace clearbounce::dsn::detail {

std::string spacing_tolerant(std::string_view signature) {
  std::string out;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    if (signature[i] != ' ') {
      out.push_back(signature[i]);
    } else if (i + 1 < signature.size() && signature[i + 1] == '?') {
      out.append(R"(\s*)");
      ++i;
    } else {
      out.append(R"(\s+)");
    }
  }
  return out;
}

namespace {

// The alternatives of a signature: its parts separated by a '|' outside
// groups.
std::vector<std::string_view> top_level_alternatives(std::string_view signature) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    const char c = signature[i];
    if (c == '\\') ++i;
    else if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == '|' && depth == 0) {
      out.push_back(signature.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(signature.substr(start));
  return out;
}

// What a signature's regex can match, spelled out as plain texts, for
// the gate: a ' ' stands for white space, '\x01' for anything else the
// regex may match there (a class, a repetition). Every match of the
// regex holds, ASCII case ignored, each word of at least one spelling.
// Groups and '?' are spelled out (at most kMaxSpellings spellings).
class Spellings {
 public:
  static constexpr std::size_t kMaxSpellings = 64;
  // Spellings of `pattern`; one without words when it cannot tell.
  static std::vector<std::string> of(std::string_view pattern) {
    Spellings parser{pattern};
    auto out = parser.alternation();
    if (parser.too_many_ || parser.at_ != pattern.size()) return {"\x01"};
    return out;
  }

  // The spellings of `pattern`, lower case, when the pattern matches
  // exactly where one of them occurs once spacing_tolerant() made each
  // space a run of white space: ASCII characters that stand for
  // themselves, single spaces between them, groups and '?' spelled out
  // into at most kMaxPhrases. Empty for any other pattern (classes,
  // repetitions, white space that may be absent...).
  static constexpr std::size_t kMaxPhrases = 8;
  static std::vector<std::string> exact(std::string_view pattern) {
    Spellings parser{pattern};
    auto out = parser.alternation();
    if (parser.too_many_ || !parser.exact_ || parser.at_ != pattern.size() || out.size() > kMaxPhrases) return {};
    for (std::string& spelling : out) {
      if (spelling.empty() || spelling.front() == ' ' || spelling.find("  ") != std::string::npos) return {};
      spelling = to_lower(spelling);
    }
    return out;
  }

 private:
  explicit Spellings(std::string_view pattern) : pattern_(pattern) {}

  bool more() const { return at_ < pattern_.size(); }
  char peek(std::size_t ahead = 0) const { return at_ + ahead < pattern_.size() ? pattern_[at_ + ahead] : '\0'; }

  std::vector<std::string> alternation() {
    std::vector<std::string> out = sequence();
    while (peek() == '|') {
      ++at_;
      for (auto& s : sequence()) out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<std::string> sequence() {
    std::vector<std::string> out{""};
    while (more() && peek() != '|' && peek() != ')') {
      std::vector<std::string> item = atom();
      bool quantified = true;
      if (peek() == '?') {
        item.emplace_back();
      } else if (peek() == '*' || peek() == '+') {
        item = {"\x01"};
        exact_ = false;
      } else if (peek() == '{') {
        at_ = std::min(pattern_.find('}', at_), pattern_.size() - 1);
        item = {"\x01"};
        exact_ = false;
      } else {
        quantified = false;
      }
      if (quantified && ++at_ < pattern_.size() && peek() == '?') ++at_;  // lazy: matches what greedy does
      if (item.size() == 1) {  // most atoms: one character, appended in place
        for (auto& head : out) head += item.front();
        continue;
      }
      std::vector<std::string> joined;
      for (const auto& head : out)
        for (const auto& tail : item) joined.push_back(head + tail);
      if (joined.size() > kMaxSpellings) too_many_ = true, joined.resize(1, "\x01");
      out = std::move(joined);
    }
    return out;
  }

  // One character, escape or group; a space (" ?" too) is white space.
  std::vector<std::string> atom() {
    const char c = pattern_[at_++];
    // Not spelled exactly: white space that may be absent, a non-ASCII
    // letter (caseless), anything but a character that stands for itself.
    if (static_cast<unsigned char>(c) >= 0x80 || c == '.' || c == '^' || c == '$' || (c == ' ' && peek() == '?'))
      exact_ = false;
    if ((c == '(' && peek() == '?') || c == '[') {
      too_many_ = true;  // flags, named groups and classes are not spelled out: no words
      return {"\x01"};
    }
    if (c == '(') {
      auto inner = alternation();
      if (peek() == ')') ++at_;
      return inner;
    }
    if (c == '\\' && more()) {
      const char escaped = pattern_[at_++];
      if (std::isalnum(static_cast<unsigned char>(escaped)) || static_cast<unsigned char>(escaped) >= 0x80) exact_ = false;
      if (escaped == 's') return {" "};
      if (std::isalnum(static_cast<unsigned char>(escaped))) return {"\x01"};
      return {std::string(1, escaped)};
    }
    if (c == ' ') {
      if (peek() == '?') ++at_;
      return {" "};
    }
    if (c == '.' || c == '^' || c == '$') return {"\x01"};
    return {std::string(1, c)};
  }

  std::string_view pattern_;
  std::size_t at_ = 0;
  bool too_many_ = false;
  bool exact_ = true;  // no character class, repetition, optional white space
};

// Whether every character of `word` lies in U+3000-U+9FFF (kana, CJK
// ideographs: three bytes each in UTF-8, led by 0xE3-0xE9), which have no
// other case: a caseless regex matches them only as they are
// (test_dialect_gate.cpp checks the block).
bool caseless_script(std::string_view word) {
  if (word.empty() || word.size() % 3 != 0) return false;
  for (std::size_t i = 0; i < word.size(); i += 3) {
    const auto lead = static_cast<unsigned char>(word[i]);
    if (lead < 0xE3 || lead > 0xE9) return false;
    for (std::size_t k = 1; k < 3; ++k)
      if ((static_cast<unsigned char>(word[i + k]) & 0xC0) != 0x80) return false;
  }
  return true;
}

// The words of a spelling the gate looks for: runs of four bytes or more
// between white space and '\x01', or shorter ones that hold a mark ("**",
// "to:"): short words are in every text. A word of other non-ASCII letters
// (Cyrillic) is not looked for as written, since its letters have other
// cases: the spelling then needs some non-ASCII byte in the text, as
// caseless regexes fold such letters only to other non-ASCII ones
// (test_dialect_gate.cpp checks the table's).
struct GateWords {
  std::vector<std::string> words;
  bool needs_non_ascii = false;
};

GateWords gate_words(std::string_view spelling) {
  GateWords out;
  const auto is_letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t start = 0; start < spelling.size();) {
    std::size_t end = spelling.find_first_of(" \x01", start);
    if (end == std::string_view::npos) end = spelling.size();
    const std::string_view word = spelling.substr(start, end - start);
    const bool non_ascii = std::any_of(word.begin(), word.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (non_ascii && caseless_script(word)) out.words.emplace_back(word);
    else if (non_ascii) out.needs_non_ascii = true;
    else if (word.size() >= 4 || (word.size() >= 2 && !std::all_of(word.begin(), word.end(), is_letter)))
      out.words.emplace_back(word);
    start = end + 1;
  }
  return out;
}
bool shorter(const std::string& a, const std::string& b) { return a.size() < b.size(); }

}  // namespace

LiteralAutomaton::Found GateWordSet::found() const {
  LiteralAutomaton::Found out;
  for (std::size_t word = bits.size(); word-- > 0;) {
    out <<= 64;
    out |= LiteralAutomaton::Found(bits[word]);
  }
  return out;
}

GateWordSet GateWordSet::of(const LiteralAutomaton::Found& found) {
  GateWordSet out;
  const LiteralAutomaton::Found low_64(~std::uint64_t{0});
  for (std::size_t word = 0; word < out.bits.size(); ++word)
    out.bits[word] = ((found >> (64 * word)) & low_64).to_ullong();
  return out;
}

std::size_t GateBuild::word_number(std::string_view word) {
  const std::string lower = to_lower(word);
  auto at = std::find(words_.begin(), words_.end(), lower);
  if (at == words_.end()) at = words_.insert(words_.end(), lower);
  return static_cast<std::size_t>(at - words_.begin());
}

GateBuild::GateBuild() {
  const auto literals = [this](const auto& list) {
    LiteralAutomaton::Found bits;
    for (const std::string_view literal : list) bits.set(word_number(literal));
    return GateWordSet::of(bits);
  };
  banner_ = literals(kBannerLiterals);
  challenge_ = literals(kChallengeLiterals);
  delay_ = literals(kDelayLiterals);
  ascii_case_variants_ = literals(std::array<std::string_view, 2>{"\xC5\xBF", "\xE2\x84\xAA"});
  for (std::size_t d = 0; d < std::size(kDialects); ++d) {
    for (const std::string_view alternative : top_level_alternatives(kDialects[d].signature)) {
      const auto number = static_cast<std::uint32_t>(patterns_.size());
      for (const std::string& spelling : Spellings::of(alternative)) {
        const auto [needed, needs_non_ascii] = gate_words(spelling);
        if (needed.empty()) {
          (needs_non_ascii ? only_non_ascii_ : without_words_) |= std::uint64_t{1} << number;
          continue;
        }
        LiteralAutomaton::Found words;
        for (const std::string& word : needed) words.set(word_number(word));
        const std::size_t longest = word_number(*std::max_element(needed.begin(), needed.end(), shorter));
        spellings_.push_back({number, static_cast<std::uint32_t>(longest), GateWordSet::of(words), needs_non_ascii});
      }
      patterns_.push_back(spacing_tolerant(alternative));
      std::string phrases;  // one a line
      for (const std::string& phrase : Spellings::exact(alternative))
        phrases.append(phrases.empty() ? "" : "\n").append(phrase);
      phrases_.push_back(std::move(phrases));
      alternatives_.push_back({static_cast<std::uint32_t>(d), {}, {}});
    }
  }
  if (alternatives_.size() > 64) throw std::logic_error("too many signature alternatives");
  // The views, now that the strings no longer move.
  for (std::size_t i = 0; i < alternatives_.size(); ++i) {
    alternatives_[i].pattern = patterns_[i];
    alternatives_[i].phrases = phrases_[i];
  }
  automaton_ = std::make_unique<LiteralAutomaton>(words_);
  for (const LiteralAutomaton::Found& ends : automaton_->ends()) ends_.push_back(GateWordSet::of(ends));
}

GateTables GateBuild::tables() const {
  return {&automaton_->column_of(), automaton_->columns(), automaton_->next(), automaton_->first_accepting_row(),
          ends_, automaton_->longest_literal(), alternatives_, spellings_, without_words_, only_non_ascii_,
          banner_, challenge_, delay_, ascii_case_variants_};
}

}  // namespace clearbounce::dsn::detail
