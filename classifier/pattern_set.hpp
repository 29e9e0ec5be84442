// Many patterns: which of them match a text.
//
// The text is matched in lower case (ASCII and Latin-1 letters), and
// patterns are matched as written, without case folding: they must not
// contain upper-case letters outside escapes.
//
// ASCII and Latin-1 patterns go through RE2's FilteredRE2: the literal
// strings each pattern needs ("atoms") are looked up in the text first, and
// only the patterns whose atoms are all there are run. A single RE2::Set
// would read the text once too, but builds its automaton lazily, and in a
// short-lived process (the CLI, a test run) nearly every byte of text made
// a new state that paid for hundreds of patterns: 5,000 instructions a byte
// against about 470 now (classifier/README.md, "Speed").
//
// Patterns with characters beyond Latin-1 (Cyrillic, Greek, Japanese,
// Chinese) keep Unicode case folding in an RE2::Set of their own, tried only
// on texts that contain such characters: a pattern of that set must need
// them (write "(ä|ae)" freely, but not "(почта|mail)").
#pragma once

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
  // without regard to case, at some cost).
  bool add(std::string_view pattern, std::string& error, bool fold_case = false);
  // Prepares the automata; false when they do not fit in memory.
  bool compile();
  std::size_t size() const { return count_; }

  // The numbers of the patterns that match `text`, in no particular order.
  // Thread-safe after compile(). A text that holds the words of more than
  // kMaxCandidates ASCII/Latin-1 patterns matches none of them: no report
  // does (the shared corpus's most is 8), and trying them all would let a
  // hostile text multiply the work by the number of patterns.
  void match(std::string_view text, std::vector<int>& matched) const;
  static constexpr std::size_t kMaxCandidates = 48;

  // After compile(): the patterns with no literal of three bytes that every
  // match needs, which are therefore run on every text ("\\d+ h", "a|b").
  std::vector<std::string> tried_on_every_text() const;

 private:
  struct Filtered;
  struct Folded;
  std::unique_ptr<Filtered> latin_;  // ASCII and Latin-1 patterns
  std::unique_ptr<Folded> beyond_;   // patterns needing characters beyond Latin-1
  std::size_t count_ = 0;
};

// True when `pattern` has an upper-case ASCII or Latin-1 letter outside
// escapes ("\S", "\P{Lu}" are escapes): it could never match lower-cased text.
bool has_upper_case_literal(std::string_view pattern);

}  // namespace clearbounce::classifier
