// Which literal strings ("atoms") a text must hold before a pattern is worth
// running on it: the "filter plan" of each ASCII/Latin-1 pattern of a
// PatternSet, worked out by RE2's own analysis (re2::FilteredRE2), kept as
// plain data.
//
// A plan is a list of clauses, each a set of atoms: the pattern is a
// candidate for a lower-cased text when every atom of at least one clause
// occurs in it. The real RE2 still decides the match; a plan only has to
// let through every text the pattern can match, so a plan that lets more
// through is safe, only slower.
//
// The shipped rules' plans are worked out at build time (make_filter_plan
// writes them into the program), so that starting a process does not build
// hundreds of RE2s only to learn their atoms; a rule file of one's own has
// its patterns' plans worked out when it is loaded.
#pragma once

#include "classifier/atom_index.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace re2 {
class FilteredRE2;
}

namespace clearbounce::classifier {

// Shorter atoms would let nearly every text through; a pattern that has no
// longer one is tried on every text.
inline constexpr int kMinAtomBytes = 3;

// In UTF-8, a byte from 0xC4 on starts a character beyond Latin-1 (U+0100
// and up); 0xC2 and 0xC3 start U+0080-U+00FF, continuation bytes are below.
bool beyond_latin1(std::string_view s);

// Texts are lower-cased in ASCII, Latin-1 and basic Cyrillic (U+0400-U+042F
// become U+0430-U+045F); scripts without case (CJK ideographs, kana,
// Hangul, punctuation) need nothing. A pattern whose characters beyond
// Latin-1 are all such is filtered and run on the lower-cased text, with
// case folding; any other needs Unicode case folding over the text as it
// is. Given a pattern and whether its rule folds case: nullopt for the
// latter, else whether the filtered pattern folds case.
std::optional<bool> filtered_fold_case(std::string_view pattern, bool fold_case);

// Basic Cyrillic capitals, U+0400-U+042F: 0xD0 0x80-0xAF in UTF-8.
inline bool is_cyrillic_upper(unsigned char lead, unsigned char next) {
  return lead == 0xD0 && next >= 0x80 && next <= 0xAF;
}
// The two bytes of its lower-case letter: U+0400-U+040F become
// U+0450-U+045F, U+0410-U+042F become U+0430-U+044F.
inline std::pair<unsigned char, unsigned char> cyrillic_lower(unsigned char next) {
  const unsigned code = 0x400u + (next - 0x80u) + (next < 0x90 ? 0x50u : 0x20u);
  return {static_cast<unsigned char>(0xC0u | (code >> 6)), static_cast<unsigned char>(0x80u | (code & 0x3Fu))};
}

// The two UTF-8 bytes of the lower-case letter of a capital of Latin
// Extended-A (U+0100-U+017F: Polish, Czech, Hungarian, Turkish...) or Greek
// (U+0386-U+03AB), given as its two bytes, and final sigma's sigma; the
// same two bytes for any other character, for U+0130, whose lower-case
// letter is one byte long, and for two bytes that are no character.
// Patterns write Greek with σ at word ends too.
inline std::pair<unsigned char, unsigned char> extended_lower(unsigned char lead, unsigned char next) {
  const unsigned code = ((lead & 0x1Fu) << 6) | (next & 0x3Fu);
  unsigned lower = code;
  const bool even = code % 2 == 0;
  if ((code >= 0x100 && code <= 0x137 && even && code != 0x130) || (code >= 0x139 && code <= 0x148 && !even) ||
      (code >= 0x14A && code <= 0x177 && even) || (code >= 0x179 && code <= 0x17E && !even)) {
    lower = code + 1;
  } else if (code == 0x178) {
    lower = 0xFF;
  } else if (code == 0x386) {
    lower = 0x3AC;
  } else if (code >= 0x388 && code <= 0x38A) {
    lower = code + 0x25;
  } else if (code == 0x38C) {
    lower = 0x3CC;
  } else if (code == 0x38E || code == 0x38F) {
    lower = code + 0x3F;
  } else if ((code >= 0x391 && code <= 0x3A1) || (code >= 0x3A3 && code <= 0x3AB)) {
    lower = code + 0x20;
  } else if (code == 0x3C2) {
    lower = 0x3C3;  // final sigma: RE2's atoms fold it to sigma, so the text does too
  }
  if (lower == code || lead < 0xC4 || lead > 0xCF || (next & 0xC0u) != 0x80u) return {lead, next};
  return {static_cast<unsigned char>(0xC0u | (lower >> 6)), static_cast<unsigned char>(0x80u | (lower & 0x3Fu))};
}

// Latin-1's upper-case letters U+00C0-U+00DE (not U+00D7, the multiplication
// sign) are 0xC3 0x80-0x9E in UTF-8; their lower-case forms are 0x20 above.
inline bool is_latin1_upper(unsigned char lead, unsigned char next) {
  return lead == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97;
}

// True when `pattern` has an upper-case ASCII or Latin-1 letter outside
// escapes ("\S", "\P{Lu}" are escapes): it could never match lower-cased text.
bool has_upper_case_literal(std::string_view pattern);

// One ASCII/Latin-1 pattern checked as PatternSet takes it (lower case
// unless `fold_case`, valid RE2 syntax), held alone in a FilteredRE2 whose
// GetRE2(0) is the pattern's RE2. nullptr, and `error` says why, when bad.
std::unique_ptr<re2::FilteredRE2> checked_pattern(std::string_view pattern, bool fold_case, std::string& error);

struct FilterPlan {
  std::vector<std::string> atoms;
  // Each a set of indexes into `atoms`. An empty clause: every text is a
  // candidate. No clause at all: none is (the pattern can never match).
  std::vector<std::vector<int>> clauses;
  // The pattern, without case folding, matches a few strings only, and
  // they are the atoms, a clause each (spellings_of): a text that holds one
  // matches, with no need to run the RE2.
  bool literal = false;
  // The clauses are the minimal sets of atoms RE2's filter lets through
  // (or the pattern's spellings, when `literal`), not the conservative
  // stand-in for a plan too costly to work out.
  bool exact = true;
};

// The strings a case-sensitive pattern matches, when it is written with
// characters that stand for themselves, groups, '|', '?' and classes of
// ASCII characters ("mailbox (is )?(full|over ?quota)", "local[- ]part"),
// matches at most kMaxSpellings strings and none shorter than
// kMinAtomBytes: such a pattern matches a text exactly when the text holds
// one of them. Each once, and none that holds another. nullopt for any
// other pattern ('.', \s, repetition, anchors, \b, flags, ...).
inline constexpr std::size_t kMaxSpellings = 64;
std::optional<std::vector<std::string>> spellings_of(std::string_view pattern);

// A plan is exact (the minimal sets of atoms that RE2's filter lets
// through) when it is found within this many questions to the filter, and
// the pattern has no more atoms than kMaxExactAtoms; otherwise it is
// conservative: the atoms each needed alone, or else any one atom.
inline constexpr std::size_t kMaxPlanQueries = 1 << 14;
inline constexpr std::size_t kMaxExactAtoms = 64;

// The plan of the one pattern that `filter` holds (from checked_pattern);
// compiles the filter, which then holds no other pattern.
FilterPlan plan_of(re2::FilteredRE2& filter, std::size_t max_queries = kMaxPlanQueries);

// A pattern as a rule file gives it to the classifier's PatternSet.
struct RulePattern {
  std::string text;
  bool fold_case = false;
  auto operator<=>(const RulePattern&) const = default;
};

// The patterns of a rule file in the order the classifier adds them: each
// [[rule]]'s wording patterns as written, then each [[fact]]'s pattern with
// case folding. Empty, and `error` says why, when the text is not TOML.
// Should this ever part from the classifier's loader, the shipped patterns
// it misses only have their plans worked out at load: slower, not wrong.
std::vector<RulePattern> patterns_in_rules(std::string_view toml_text, std::string& error);

// Plans worked out at build time, for patterns known by their text.
struct PlannedPattern {
  std::string_view text;
  bool fold_case = false;
  std::uint32_t first_clause = 0;
  std::uint32_t clause_count = 0;
  bool literal = false;  // as FilterPlan::literal
};
struct PlanTable {
  std::span<const PlannedPattern> patterns;    // ordered by text, then fold_case
  std::span<const std::uint32_t> clause_start;  // clause c: clause_atoms[clause_start[c] .. clause_start[c + 1])
  std::span<const std::uint32_t> clause_atoms;  // indexes into atoms
  std::span<const std::string_view> atoms;

  const PlannedPattern* find(std::string_view text, bool fold_case) const;
};

// The plans of the shipped rule set's patterns (make_filter_plan's output).
const PlanTable& builtin_plan_table();

// The plans of many patterns, their atoms shared: which patterns a text
// makes candidates. Patterns are numbered by the caller.
class CandidateIndex {
 public:
  void add(std::uint32_t pattern, const FilterPlan& plan);
  void add(std::uint32_t pattern, const PlanTable& table, const PlannedPattern& planned);
  // After the last add: files the atoms for lookup.
  void finish();

  // The patterns that `lowered` (a lower-cased text) makes candidates, in
  // increasing order, each once. Thread-safe after finish().
  void candidates(std::string_view lowered, std::vector<int>& out) const;
  // The patterns with an empty clause, in increasing order.
  const std::vector<int>& every_text() const { return every_text_; }

 private:
  std::uint32_t atom_id(std::string_view atom);
  std::uint32_t atom_id(const PlanTable& table, std::uint32_t atom);
  // Adds the clause whose atoms clause_scratch_ holds (and empties it).
  void add_scratch_clause(std::uint32_t pattern);

  std::vector<std::string> atoms_;
  std::unordered_map<std::string, std::uint32_t> atom_ids_;  // until finish()
  // A table's atoms are each once already: they are numbered without
  // hashing (one the table shares with a plan worked out at load is then
  // simply looked for twice).
  const PlanTable* table_ = nullptr;
  std::vector<std::uint32_t> table_atom_ids_;  // table atom -> ours, until finish()
  // Clause c: its pattern, and its atoms clause_atoms_[clause_start_[c] .. clause_start_[c + 1]).
  std::vector<std::uint32_t> clause_pattern_;
  std::vector<std::uint32_t> clause_start_ = {0};
  std::vector<std::uint32_t> clause_atoms_;
  std::vector<std::uint32_t> clause_scratch_;  // the clause being added: one buffer for all
  // Each clause is looked at only when its longest atom (the likeliest to
  // be rare) is found, and then asked whether its other atoms were found
  // too: a common atom ("not ", "user") does not touch the dozens of
  // clauses it is part of. Atom a triggers triggered_[trigger_start_[a] .. trigger_start_[a + 1]).
  std::vector<std::uint32_t> trigger_start_;
  std::vector<std::uint32_t> triggered_;
  std::vector<int> every_text_;
  AtomIndex index_;
};

}  // namespace clearbounce::classifier
