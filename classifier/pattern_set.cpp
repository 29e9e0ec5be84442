#include "classifier/pattern_set.hpp"

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <array>
#include <atomic>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>

#include "dsn/word_bytes.hpp"

namespace clearbounce::classifier {

namespace {

constexpr std::array<char, 256> kAsciiLower = [] {
  std::array<char, 256> table{};
  for (int c = 0; c < 256; ++c) table[static_cast<std::size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return table;
}();

using dsn::word::kEveryByte;
using dsn::word::kHighBits;

// Eight ASCII bytes at once, 'A'-'Z' made 'a'-'z': a byte's high bit is set
// by adding 0x80 - 'A' when it is 'A' or above, and by adding 0x80 - 'Z' - 1
// when it is above 'Z' (no carry crosses a byte below 0x80); where exactly
// one of them is set, 0x20 is added.
constexpr std::uint64_t lower_ascii_word(std::uint64_t word) {
  const std::uint64_t from_a = word + kEveryByte * (0x80 - 'A');
  const std::uint64_t past_z = word + kEveryByte * (0x80 - 'Z' - 1);
  return word | (((from_a ^ past_z) & kHighBits) >> 2);
}

// `text` lower-cased (ASCII, Latin-1, Latin Extended-A, Greek and basic
// Cyrillic letters) into `out`,
// whose capacity a thread keeps from one text to the next. True when the
// text holds a character beyond Latin-1, found in the same read (see
// beyond_latin1()). Eight bytes are done at once where all are ASCII (most
// of every report), a byte or a two-byte letter at a time elsewhere.
bool lower_case(std::string_view text, std::string& out) {
  out.resize(text.size());
  char* to = out.data();  // not out[i]: a char store could alias the string's own pointer
  const char* from = text.data();
  const std::size_t size = text.size();
  bool beyond = false;
  for (std::size_t i = 0; i < size;) {
    std::uint64_t word;
    if (i + sizeof word <= size) {
      std::memcpy(&word, from + i, sizeof word);
      if (dsn::word::non_ascii_bytes(word) == 0) {
        word = lower_ascii_word(word);
        std::memcpy(to + i, &word, sizeof word);
        i += sizeof word;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(from[i]);
    to[i] = kAsciiLower[c];
    beyond |= c >= 0xC4;
    if (i + 1 < size) {
      const auto next = static_cast<unsigned char>(from[i + 1]);
      if (is_latin1_upper(c, next)) {
        to[++i] = static_cast<char>(next + 0x20);
      } else if (is_cyrillic_upper(c, next)) {
        const auto [lead, trail] = cyrillic_lower(next);
        to[i] = static_cast<char>(lead);
        to[++i] = static_cast<char>(trail);
      } else if (c >= 0xC4 && c <= 0xCF && (next & 0xC0) == 0x80) {
        const auto [lead, trail] = extended_lower(c, next);
        to[i] = static_cast<char>(lead);
        to[++i] = static_cast<char>(trail);
      }
    }
    ++i;
  }
  return beyond;
}

// One filtered pattern. Its RE2 lives alone in a FilteredRE2 (the
// analysis that gave its plan, when the plan was worked out at load), built
// at load or, for a shipped pattern, by the first text that needs it.
struct FilteredPattern {
  std::string_view text;  // the plan table's copy, or the RE2's own
  bool fold_case = false;
  bool literal = false;  // matched by its atom alone (FilterPlan::literal)
  int number = 0;
  mutable std::once_flag built;
  mutable std::unique_ptr<re2::FilteredRE2> holder;
  // The RE2 once built: std::call_once sets up thread-local state on every
  // call, even long after the flag was set, where this is one load.
  mutable std::atomic<const RE2*> ready{nullptr};

  // nullptr when the pattern does not compile, which the build rules out.
  const RE2* regex() const {
    if (const RE2* regex = ready.load(std::memory_order_acquire)) return regex;
    std::call_once(built, [this] {
      std::string error;
      if (!holder) holder = checked_pattern(text, fold_case, error);
      if (holder) ready.store(&holder->GetRE2(0), std::memory_order_release);
    });
    return holder ? &holder->GetRE2(0) : nullptr;
  }
};

}  // namespace

// Filtered patterns: the atoms of their plans are looked up in the
// text, and only the patterns whose plan it passes are run. One RE2::Set over
// all of them would build a new automaton state for nearly every byte of a
// short-lived process's texts, each state paying for hundreds of patterns.
struct PatternSet::Filtered {
  std::deque<FilteredPattern> patterns;  // a deque: a once_flag does not move
  std::vector<FilterPlan> plans;      // of the patterns planned at load, until compile()
  std::vector<std::uint32_t> planned; // which patterns those are
  CandidateIndex index;
  bool compiled = false;
};

// Patterns needing Unicode case folding over the text as it is: few (none
// in the shipped rules), and tried only on texts with characters beyond
// Latin-1. Added (parsed)
// at load; the automaton is compiled once, by compile() or the first text.
struct PatternSet::Folded {
  Folded() {
    RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);
    options.set_max_mem(64 << 20);
    set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
  }
  bool compiled() const {
    std::call_once(compile_once, [this] { compile_ok = set->Compile(); });
    return compile_ok;
  }
  std::unique_ptr<RE2::Set> set;
  std::vector<int> numbers;  // set index -> pattern number
  mutable std::once_flag compile_once;
  mutable bool compile_ok = false;
};

PatternSet::PatternSet() : filtered_(std::make_unique<Filtered>()), folded_(std::make_unique<Folded>()) {}
PatternSet::~PatternSet() = default;

bool PatternSet::add(std::string_view pattern, std::string& error, bool rule_folds_case) {
  const std::optional<bool> filtered = filtered_fold_case(pattern, rule_folds_case);
  if (!filtered) {
    if (folded_->set->Add(pattern, &error) < 0) return false;
    folded_->numbers.push_back(static_cast<int>(count_++));
    return true;
  }
  const bool fold_case = *filtered;
  const auto index = static_cast<std::uint32_t>(filtered_->patterns.size());
  const PlanTable& table = builtin_plan_table();
  if (const PlannedPattern* planned = table.find(pattern, fold_case)) {
    filtered_->index.add(index, table, *planned);
    auto& added = filtered_->patterns.emplace_back();
    added.text = planned->text;
    added.fold_case = fold_case;
    added.literal = planned->literal;
    added.number = static_cast<int>(count_++);
    ++planned_at_build_;
    return true;
  }
  auto holder = checked_pattern(pattern, fold_case, error);
  if (!holder) return false;
  filtered_->plans.push_back(plan_of(*holder));
  filtered_->planned.push_back(index);
  auto& added = filtered_->patterns.emplace_back();
  added.literal = filtered_->plans.back().literal;
  added.holder = std::move(holder);
  added.text = added.holder->GetRE2(0).pattern();
  added.fold_case = fold_case;
  added.number = static_cast<int>(count_++);
  ++planned_at_load_;
  return true;
}

bool PatternSet::compile() {
  for (std::size_t i = 0; i < filtered_->plans.size(); ++i) filtered_->index.add(filtered_->planned[i], filtered_->plans[i]);
  filtered_->plans = {};
  filtered_->planned = {};
  filtered_->index.finish();
  filtered_->compiled = true;
  // A rule file of one's own hears at load whether its patterns fit; the
  // shipped ones are known to. An empty RE2::Set does not compile; it is
  // never matched either.
  if (planned_at_load_ == 0 || folded_->numbers.empty()) return true;
  return folded_->compiled();
}

bool PatternSet::folded_set_compiles() const { return folded_->numbers.empty() || folded_->compiled(); }

std::vector<std::string> PatternSet::tried_on_every_text() const {
  std::vector<std::string> out;
  if (!filtered_->compiled) return out;
  for (const int index : filtered_->index.every_text())
    out.emplace_back(filtered_->patterns[static_cast<std::size_t>(index)].text);
  return out;
}

void PatternSet::match(std::string_view text, std::vector<int>& matched) const {
  matched.clear();
  // Kept by each thread from one text to the next: no allocation once warm.
  thread_local std::string lowered;
  thread_local std::vector<int> candidates;  // the patterns whose words are in the text
  const bool beyond_latin1_text = lower_case(text, lowered);
  if (filtered_->compiled) {
    filtered_->index.candidates(lowered, candidates);
    if (candidates.size() <= kMaxCandidates) {
      for (const int index : candidates) {
        const FilteredPattern& pattern = filtered_->patterns[static_cast<std::size_t>(index)];
        if (pattern.literal) {
          matched.push_back(pattern.number);  // its atom, the whole pattern, is in the text
        } else if (const RE2* regex = pattern.regex();
                   regex && regex->Match(lowered, 0, lowered.size(), RE2::UNANCHORED, nullptr, 0)) {
          matched.push_back(pattern.number);
        }
      }
    }
  }
  if (folded_->numbers.empty() || !beyond_latin1_text || !folded_->compiled()) return;
  std::vector<int> found;
  if (folded_->set->Match(lowered, &found))
    for (const int index : found) matched.push_back(folded_->numbers[static_cast<std::size_t>(index)]);
}

}  // namespace clearbounce::classifier
