#include "classifier/pattern_set.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace clearbounce::classifier {

// One RE2::Set and the pattern numbers of its members, in the order added.
struct PatternSet::Part {
  explicit Part(bool fold_case) {
    RE2::Options options;
    options.set_case_sensitive(!fold_case);
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  }
  std::unique_ptr<RE2::Set> set;
  std::vector<int> numbers;  // set index -> pattern number
};

namespace {

// In UTF-8, a byte from 0xC4 on starts a character beyond Latin-1 (U+0100
// and up); 0xC2 and 0xC3 start U+0080-U+00FF, continuation bytes are below.
bool beyond_latin1(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xC4; });
}

// Latin-1's upper-case letters U+00C0-U+00DE (not U+00D7, the multiplication
// sign) are 0xC3 0x80-0x9E in UTF-8; their lower-case forms are 0x20 above.
bool is_latin1_upper(unsigned char lead, unsigned char next) {
  return lead == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97;
}

std::string lower_case(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + ('a' - 'A'));
    } else if (i + 1 < out.size() && is_latin1_upper(c, static_cast<unsigned char>(out[i + 1]))) {
      out[i + 1] = static_cast<char>(static_cast<unsigned char>(out[i + 1]) + 0x20);
      ++i;
    }
  }
  return out;
}

}  // namespace

bool has_upper_case_literal(std::string_view pattern) {
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const auto c = static_cast<unsigned char>(pattern[i]);
    if (c == '\\') {
      ++i;
      // \p{Greek}, \P{Lu}, \pL: a class name, not letters to match.
      if (i + 1 < pattern.size() && (pattern[i] == 'p' || pattern[i] == 'P')) {
        if (pattern[i + 1] != '{') {
          ++i;
        } else if (const auto close = pattern.find('}', i); close != std::string_view::npos) {
          i = close;
        }
      }
      continue;
    }
    if (c >= 'A' && c <= 'Z') return true;
    if (i + 1 < pattern.size() && is_latin1_upper(c, static_cast<unsigned char>(pattern[i + 1]))) return true;
  }
  return false;
}

PatternSet::PatternSet() : latin_(std::make_unique<Part>(false)), beyond_(std::make_unique<Part>(true)) {}
PatternSet::~PatternSet() = default;

bool PatternSet::add(std::string_view pattern, std::string& error, bool fold_case) {
  const bool beyond = beyond_latin1(pattern);
  if (!beyond && !fold_case && has_upper_case_literal(pattern)) {
    error = "upper-case letters never match: texts are compared in lower case";
    return false;
  }
  Part& part = beyond ? *beyond_ : *latin_;
  const std::string written = !beyond && fold_case ? "(?i)" + std::string(pattern) : std::string(pattern);
  if (part.set->Add(written, &error) < 0) return false;
  part.numbers.push_back(static_cast<int>(count_++));
  return true;
}

bool PatternSet::compile() {
  // An empty RE2::Set does not compile; it is never matched either.
  for (Part* part : {latin_.get(), beyond_.get()})
    if (!part->numbers.empty() && !part->set->Compile()) return false;
  return true;
}

void PatternSet::match(std::string_view text, std::vector<int>& matched) const {
  matched.clear();
  const std::string lowered = lower_case(text);
  std::vector<int> found;
  auto collect = [&](const Part& part) {
    if (part.numbers.empty() || !part.set->Match(lowered, &found)) return;
    for (const int index : found) matched.push_back(part.numbers[static_cast<std::size_t>(index)]);
  };
  collect(*latin_);
  if (beyond_latin1(lowered)) collect(*beyond_);
}

}  // namespace clearbounce::classifier
