// Many patterns: which of them match a text.
//
// The text is matched in lower case (ASCII, Latin-1 and basic Cyrillic
// letters), and ASCII/Latin-1 patterns are matched as written, without case
// folding: they must not contain upper-case letters outside escapes.
// Patterns in Cyrillic or in scripts without case (Japanese, Chinese,
// Korean) are matched with case folding on the same lower-cased text
// (filtered_fold_case in filter_plan.hpp).
//
// These patterns are filtered first: each has a "filter plan"
// (filter_plan.hpp), the literal strings ("atoms") a text must hold for the
// pattern to match, worked out by RE2's FilteredRE2; the atoms are looked up
// in the text in one read, and only the patterns whose plan the text passes
// are run. The shipped rules' plans are made at build time, and their RE2s
// are built the first time a text makes them a candidate: a process pays
// for the few patterns its texts need, not for all of them
// (classifier/README.md, "Speed").
//
// Patterns with other characters beyond Latin-1 (Greek, Latin Extended,
// Armenian...) keep Unicode case folding over the text as it is, in an
// RE2::Set of their own, tried only on texts that contain characters beyond
// Latin-1: a pattern of that set must need them (write "(ä|ae)" freely, but
// not "(αλληλογραφία|mail)"). The shipped rules have none.
#pragma once

#include "classifier/filter_plan.hpp"  // has_upper_case_literal

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::classifier {

class PatternSet {
 public:
  PatternSet();
  ~PatternSet();
  PatternSet(const PatternSet&) = delete;
  PatternSet& operator=(const PatternSet&) = delete;

  // Adds `pattern` as number `size()`; on error returns false and says why.
  // `fold_case` lets a pattern carry upper-case letters (it is then matched
  // without regard to case, at some cost). A pattern of the shipped rules
  // (found in builtin_plan_table(), checked when the program was built)
  // takes its plan from there and its RE2 is built when first needed; any
  // other is built and its plan worked out now.
  bool add(std::string_view pattern, std::string& error, bool fold_case = false);
  // Prepares the filter; false when the patterns that need Unicode case
  // folding do not fit in memory. When every filtered pattern is a shipped one (the
  // built-in rules), their automaton is left to the first text with such
  // characters instead, and should it not fit then, none of them matches.
  bool compile();
  std::size_t size() const { return count_; }
  // How many filtered patterns took their plan from the build, and how
  // many had it worked out when added.
  std::size_t planned_at_build() const { return planned_at_build_; }
  std::size_t planned_at_load() const { return planned_at_load_; }
  // Builds the automaton of the patterns that need Unicode case folding
  // if not done yet;
  // false when it does not fit in memory (they then never match).
  bool folded_set_compiles() const;

  // The numbers of the patterns that match `text`, in no particular order.
  // Thread-safe after compile(). A text that holds the words of more than
  // kMaxCandidates filtered patterns matches none of them: no report
  // does (the shared corpus's most is 9), and trying them all would let a
  // hostile text multiply the work by the number of patterns.
  void match(std::string_view text, std::vector<int>& matched) const;
  static constexpr std::size_t kMaxCandidates = 48;

  // After compile(): the patterns with no literal of three bytes that every
  // match needs, which are therefore run on every text ("\\d+ h", "a|b").
  std::vector<std::string> tried_on_every_text() const;

 private:
  struct Filtered;
  struct Folded;
  std::unique_ptr<Filtered> filtered_;
  std::unique_ptr<Folded> folded_;  // patterns needing Unicode case folding over the text as it is
  std::size_t count_ = 0;
  std::size_t planned_at_build_ = 0;
  std::size_t planned_at_load_ = 0;
};

}  // namespace clearbounce::classifier
