#include "classifier/pattern_set.hpp"

#include "classifier/atom_index.hpp"

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>

namespace clearbounce::classifier {

namespace {

RE2::Options pattern_options(bool fold_case) {
  RE2::Options options;
  options.set_case_sensitive(!fold_case);
  options.set_log_errors(false);
  return options;
}

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

// ASCII and Latin-1 patterns: a filter of literal atoms, then only the
// patterns whose atoms the text holds. One RE2::Set over all of them would
// build a new automaton state for nearly every byte of a short-lived
// process's texts, each state paying for hundreds of patterns.
struct PatternSet::Filtered {
  re2::FilteredRE2 filter{kMinAtomBytes};
  AtomIndex atoms;
  std::vector<int> numbers;  // filter id -> pattern number
  bool compiled = false;
  // Shorter atoms would pass nearly every text; such patterns are simply tried.
  static constexpr int kMinAtomBytes = 3;
};

// Patterns needing characters beyond Latin-1, with Unicode case folding:
// few, and tried only on texts that contain such characters.
struct PatternSet::Folded {
  Folded() {
    RE2::Options options = pattern_options(true);
    options.set_max_mem(64 << 20);
    set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  }
  std::unique_ptr<RE2::Set> set;
  std::vector<int> numbers;  // set index -> pattern number
};

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

PatternSet::PatternSet() : latin_(std::make_unique<Filtered>()), beyond_(std::make_unique<Folded>()) {}
PatternSet::~PatternSet() = default;

bool PatternSet::add(std::string_view pattern, std::string& error, bool fold_case) {
  if (beyond_latin1(pattern)) {
    if (beyond_->set->Add(pattern, &error) < 0) return false;
    beyond_->numbers.push_back(static_cast<int>(count_++));
    return true;
  }
  if (!fold_case && has_upper_case_literal(pattern)) {
    error = "upper-case letters never match: texts are compared in lower case";
    return false;
  }
  const RE2::Options options = pattern_options(fold_case);
  int id = -1;
  if (latin_->filter.Add(pattern, options, &id) != RE2::NoError) {
    error = RE2(pattern, options).error();  // the filter keeps no failed pattern, nor its error
    return false;
  }
  latin_->numbers.resize(static_cast<std::size_t>(id) + 1, -1);
  latin_->numbers[static_cast<std::size_t>(id)] = static_cast<int>(count_++);
  return true;
}

bool PatternSet::compile() {
  if (!latin_->numbers.empty()) {
    std::vector<std::string> atoms;
    latin_->filter.Compile(&atoms);
    latin_->atoms = AtomIndex(std::move(atoms));
    latin_->compiled = true;
  }
  // An empty RE2::Set does not compile; it is never matched either.
  return beyond_->numbers.empty() || beyond_->set->Compile();
}

std::vector<std::string> PatternSet::tried_on_every_text() const {
  std::vector<std::string> out;
  if (!latin_->compiled) return out;
  std::vector<int> unfiltered;
  latin_->filter.AllPotentials({}, &unfiltered);  // no atom found: what passes anyway
  for (const int id : unfiltered) out.push_back(latin_->filter.GetRE2(id).pattern());
  return out;
}

void PatternSet::match(std::string_view text, std::vector<int>& matched) const {
  matched.clear();
  const std::string lowered = lower_case(text);
  std::vector<int> found;
  if (latin_->compiled) {
    std::vector<int> atoms;
    latin_->atoms.find(lowered, atoms);
    std::vector<int> candidates;  // the patterns whose words are all in the text
    latin_->filter.AllPotentials(atoms, &candidates);
    if (candidates.size() <= kMaxCandidates) {
      for (const int id : candidates)
        if (RE2::PartialMatch(lowered, latin_->filter.GetRE2(id)))
          matched.push_back(latin_->numbers[static_cast<std::size_t>(id)]);
    }
  }
  if (!beyond_->numbers.empty() && beyond_latin1(lowered) && beyond_->set->Match(lowered, &found))
    for (const int index : found) matched.push_back(beyond_->numbers[static_cast<std::size_t>(index)]);
}

}  // namespace clearbounce::classifier
