// Many patterns, one pass over a text: which of them match.
//
// The text is matched in lower case (ASCII and Latin-1 letters), and
// patterns are matched as written, without case folding: they must not
// contain upper-case letters outside escapes. Patterns with characters
// beyond Latin-1 (Cyrillic, Greek, Japanese, Chinese) keep Unicode case
// folding in a set of their own, tried only on texts that contain such
// characters: a pattern of that set must need them (write "(ä|ae)" freely,
// but not "(почта|mail)"). Keeping them apart halves the cost of reading
// Latin text: RE2 builds its automaton lazily, and each new state pays for
// every pattern that could start there.
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
  // Thread-safe after compile().
  void match(std::string_view text, std::vector<int>& matched) const;

 private:
  struct Part;
  std::unique_ptr<Part> latin_;     // ASCII and Latin-1 patterns
  std::unique_ptr<Part> beyond_;    // patterns needing characters beyond Latin-1
  std::size_t count_ = 0;
};

// True when `pattern` has an upper-case ASCII or Latin-1 letter outside
// escapes ("\S", "\P{Lu}" are escapes): it could never match lower-cased text.
bool has_upper_case_literal(std::string_view pattern);

}  // namespace clearbounce::classifier
