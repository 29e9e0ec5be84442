#include "classifier/filter_plan.hpp"

#include <re2/filtered_re2.h>
#include <re2/re2.h>
#include <toml++/toml.h>

#include <algorithm>
#include <bit>
#include <optional>
#include <tuple>

namespace clearbounce::classifier {

namespace {

RE2::Options pattern_options(bool fold_case) {
  RE2::Options options;
  options.set_case_sensitive(!fold_case);
  options.set_log_errors(false);
  return options;
}

// Whether RE2's filter lets the pattern through when exactly `atoms` are found.
bool passes(const re2::FilteredRE2& filter, const std::vector<int>& atoms) {
  std::vector<int> candidates;
  filter.AllPotentials(atoms, &candidates);
  return !candidates.empty();
}

std::vector<int> atoms_of_mask(std::uint64_t mask) {
  std::vector<int> atoms;
  for (int i = 0; mask != 0; ++i, mask >>= 1)
    if (mask & 1u) atoms.push_back(i);
  return atoms;
}

// Every minimal set of atoms that passes, found by deciding atoms in turn
// (left out, then put in). A branch ends when even all the atoms still
// undecided would not pass, when those put in pass already, or when they
// hold a set found before. The atoms without which nothing passes are put
// in from the start ("needed" in "(alpha|...|mike).*needed"), and an atom
// that completes a set is decided first, so that common patterns take a
// few dozen questions to the filter. Worst cases are exponential; a budget
// of questions bounds them.
class ClauseSearch {
 public:
  ClauseSearch(const re2::FilteredRE2& filter, std::size_t atom_count, std::size_t max_queries)
      : filter_(filter),
        all_(atom_count >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << atom_count) - 1),
        queries_left_(max_queries) {}

  // False when it would take more than `max_queries` questions to the filter.
  bool run() {
    if (!passes_with(all_)) return queries_left_ > 0;  // nothing passes: no clause
    std::uint64_t needed = 0;
    for (std::uint64_t rest = all_; rest != 0; rest &= rest - 1)
      if (!passes_with(all_ & ~(rest & -rest))) needed |= rest & -rest;
    search(needed, 0, false);
    return queries_left_ > 0;
  }

  // The sets found, but none that holds another.
  std::vector<std::vector<int>> clauses() const {
    std::vector<std::uint64_t> sets = found_;
    std::sort(sets.begin(), sets.end(), [](std::uint64_t a, std::uint64_t b) {
      return std::popcount(a) != std::popcount(b) ? std::popcount(a) < std::popcount(b) : a < b;
    });
    std::vector<std::uint64_t> minimal;
    for (const std::uint64_t set : sets)
      if (!holds_one(minimal, set)) minimal.push_back(set);
    std::vector<std::vector<int>> out;
    for (const std::uint64_t set : minimal) out.push_back(atoms_of_mask(set));
    return out;
  }

 private:
  static bool holds_one(const std::vector<std::uint64_t>& sets, std::uint64_t in) {
    return std::any_of(sets.begin(), sets.end(), [in](std::uint64_t m) { return (m & in) == m; });
  }

  bool passes_with(std::uint64_t mask) {
    if (queries_left_ == 0) return false;
    --queries_left_;
    return passes(filter_, atoms_of_mask(mask));
  }

  // `in` is put in, `out` left out; `narrowed` when `out` has just grown
  // (putting an atom in leaves what can pass as it was).
  void search(std::uint64_t in, std::uint64_t out, bool narrowed) {
    if (queries_left_ == 0 || holds_one(found_, in)) return;
    const std::uint64_t undecided = all_ & ~in & ~out;
    if (narrowed && !passes_with(in | undecided)) return;
    if (passes_with(in)) {
      found_.push_back(in);
      return;
    }
    if (undecided == 0) return;  // only when out of questions
    const std::uint64_t atom = branching_atom(in, undecided);
    search(in, out | atom, true);
    search(in | atom, out, false);
  }

  // An atom that completes a set with those put in, if there is one: in
  // "(a|b) (c|d)", once `a` is in, `c` and `d` each end a branch at once,
  // where deciding `b` first would double the work.
  std::uint64_t branching_atom(std::uint64_t in, std::uint64_t undecided) {
    for (std::uint64_t rest = undecided; rest != 0; rest &= rest - 1)
      if (passes_with(in | (rest & -rest))) return rest & -rest;
    return undecided & -undecided;
  }

  const re2::FilteredRE2& filter_;
  const std::uint64_t all_;
  std::size_t queries_left_;
  std::vector<std::uint64_t> found_;
};

// Too many atoms to search. The filter is a tree of ANDs and ORs,
// so letting through more atoms never hurts: an atom without which all the
// others fail is in every passing set, and those atoms together are a safe
// clause. When no atom is needed alone, every passing set still holds one.
std::vector<std::vector<int>> conservative_clauses(const re2::FilteredRE2& filter, std::size_t atom_count) {
  std::vector<int> all(atom_count);
  for (std::size_t i = 0; i < atom_count; ++i) all[i] = static_cast<int>(i);
  if (!passes(filter, all)) return {};
  std::vector<int> needed;
  for (std::size_t i = 0; i < atom_count; ++i) {
    std::vector<int> without = all;
    without.erase(without.begin() + static_cast<std::ptrdiff_t>(i));
    if (!passes(filter, without)) needed.push_back(static_cast<int>(i));
  }
  if (!needed.empty()) return {needed};
  std::vector<std::vector<int>> clauses;
  for (const int atom : all) clauses.push_back({atom});
  return clauses;
}

// Reads a pattern written with literal characters, groups, alternatives,
// '?' and small classes of ASCII characters, and lists the strings it
// matches; gives up (nullopt) at anything else RE2 would read differently
// or that matches more than kMaxSpellings strings (classes such as \s or
// '.', repetition, anchors, \b, flags, Unicode escapes).
class SpellingReader {
 public:
  explicit SpellingReader(std::string_view pattern) : pattern_(pattern) {}

  std::optional<std::vector<std::string>> all() {
    auto out = alternatives();
    if (!out || at_ != pattern_.size()) return std::nullopt;
    return out;
  }

 private:
  using Strings = std::vector<std::string>;

  bool at(char c) const { return at_ < pattern_.size() && pattern_[at_] == c; }

  // sequence ('|' sequence)*
  std::optional<Strings> alternatives() {
    Strings out;
    for (;;) {
      const auto one = sequence();
      if (!one || out.size() + one->size() > kMaxSpellings) return std::nullopt;
      out.insert(out.end(), one->begin(), one->end());
      if (!at('|')) return out;
      ++at_;
    }
  }

  // (item '?'?)*, up to the end, a '|' or a ')'
  std::optional<Strings> sequence() {
    Strings out{std::string()};
    while (at_ < pattern_.size() && !at('|') && !at(')')) {
      auto item = this->item();
      if (!item) return std::nullopt;
      if (at('?')) {
        ++at_;
        item->emplace_back();
      }
      if (at_ < pattern_.size() && std::string_view("?*+{").find(pattern_[at_]) != std::string_view::npos)
        return std::nullopt;  // repetition, or '??'
      if (out.size() * item->size() > kMaxSpellings) return std::nullopt;
      Strings joined;
      for (const auto& head : out)
        for (const auto& tail : *item) joined.push_back(head + tail);
      out = std::move(joined);
    }
    return out;
  }

  std::optional<Strings> item() {
    const auto c = static_cast<unsigned char>(pattern_[at_]);
    if (c == '(') {
      ++at_;
      if (at('?')) {
        if (pattern_.substr(at_, 2) != "?:") return std::nullopt;  // flags, named groups
        at_ += 2;
      }
      auto inner = alternatives();
      if (!inner || !at(')')) return std::nullopt;
      ++at_;
      return inner;
    }
    if (c == '[') return char_class();
    if (const auto one = character()) return Strings{*one};
    return std::nullopt;
  }

  // One character standing for itself: an ASCII character that is no
  // operator, an escaped ASCII punctuation mark, or a two-byte UTF-8
  // character (Latin-1, as the set's patterns are).
  std::optional<std::string> character() {
    const auto c = static_cast<unsigned char>(pattern_[at_]);
    if (c == '\\') {
      if (at_ + 1 >= pattern_.size() || !is_punctuation(static_cast<unsigned char>(pattern_[at_ + 1])))
        return std::nullopt;
      at_ += 2;
      return std::string(1, pattern_[at_ - 1]);
    }
    if (c < 0x80) {
      if (c < 0x20 || std::string_view(".^$|?*+()[]{}").find(static_cast<char>(c)) != std::string_view::npos)
        return std::nullopt;
      return std::string(1, pattern_[at_++]);
    }
    if ((c != 0xC2 && c != 0xC3) || at_ + 1 >= pattern_.size() ||
        (static_cast<unsigned char>(pattern_[at_ + 1]) & 0xC0) != 0x80)
      return std::nullopt;
    at_ += 2;
    return std::string(pattern_.substr(at_ - 2, 2));
  }

  static bool is_punctuation(unsigned char c) {
    return c > 0x20 && c < 0x7F && c != '_' && !(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
  }

  // [...] of ASCII characters and ranges, not negated.
  std::optional<Strings> char_class() {
    ++at_;
    if (at('^') || at(']')) return std::nullopt;
    std::string members;
    while (!at(']')) {
      if (at_ >= pattern_.size() || at('[')) return std::nullopt;
      const auto first = class_member();
      if (!first) return std::nullopt;
      char last = *first;
      if (at('-') && at_ + 1 < pattern_.size() && pattern_[at_ + 1] != ']') {
        ++at_;
        const auto end = class_member();
        if (!end || *end < *first) return std::nullopt;
        last = *end;
      }
      for (int m = *first; m <= last; ++m)
        if (members.find(static_cast<char>(m)) == std::string::npos) members.push_back(static_cast<char>(m));
      if (members.size() > kMaxSpellings) return std::nullopt;
    }
    ++at_;
    Strings out;
    for (const char m : members) out.emplace_back(1, m);
    return out;
  }

  std::optional<char> class_member() {
    const auto c = static_cast<unsigned char>(pattern_[at_]);
    if (c == '\\') {
      if (at_ + 1 >= pattern_.size() || !is_punctuation(static_cast<unsigned char>(pattern_[at_ + 1])))
        return std::nullopt;
      at_ += 2;
      return pattern_[at_ - 1];
    }
    if (c < 0x20 || c >= 0x7F) return std::nullopt;
    ++at_;
    return static_cast<char>(c);
  }

  std::string_view pattern_;
  std::size_t at_ = 0;
};

// The spellings as atoms: each once, and none that holds another (a text
// holding the longer holds the shorter too).
std::vector<std::string> fewest_spellings(std::vector<std::string> spellings) {
  std::sort(spellings.begin(), spellings.end(),
            [](const std::string& a, const std::string& b) { return a.size() != b.size() ? a.size() < b.size() : a < b; });
  std::vector<std::string> out;
  for (auto& s : spellings)
    if (std::none_of(out.begin(), out.end(), [&s](const std::string& kept) { return s.find(kept) != std::string::npos; }))
      out.push_back(std::move(s));
  return out;
}

// Characters beyond Latin-1 that lower-cased texts hold as every pattern
// folding case expects: Latin Extended-A, Greek and basic Cyrillic (their
// capitals are lowered), and scripts and signs that have no case.
bool lowered_in_text(char32_t c) {
  return (c >= 0x100 && c <= 0x17F)        // Latin Extended-A: its capitals are lowered
         || (c >= 0x370 && c <= 0x3FF)     // Greek: its capitals are lowered
         || (c >= 0x400 && c <= 0x45F)     // basic Cyrillic: capitals Ѐ-Я are lowered
         || (c >= 0x590 && c <= 0x5FF)     // Hebrew
         || (c >= 0x600 && c <= 0x6FF)     // Arabic
         || (c >= 0xE00 && c <= 0xE7F)     // Thai
         || (c >= 0x1100 && c <= 0x11FF)   // Hangul jamo
         || (c >= 0x2000 && c <= 0x206F)   // general punctuation
         || (c >= 0x3000 && c <= 0x30FF)   // CJK punctuation, hiragana, katakana
         || (c >= 0x3400 && c <= 0x4DBF)   // CJK extension A
         || (c >= 0x4E00 && c <= 0x9FFF)   // CJK ideographs
         || (c >= 0xAC00 && c <= 0xD7AF)   // Hangul syllables
         || (c >= 0xFF01 && c <= 0xFF20)   // full-width signs and digits
         || (c >= 0xFF5B && c <= 0xFF9F);  // full-width signs, half-width katakana
}

}  // namespace

bool beyond_latin1(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) >= 0xC4; });
}

std::optional<bool> filtered_fold_case(std::string_view pattern, bool fold_case) {
  if (!beyond_latin1(pattern)) return fold_case;
  for (std::size_t i = 0; i < pattern.size();) {
    const auto lead = static_cast<unsigned char>(pattern[i]);
    const int length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    if (lead >= 0xC4) {
      if (i + static_cast<std::size_t>(length) > pattern.size()) return std::nullopt;
      char32_t c = lead & (0x7Fu >> length);
      for (int k = 1; k < length; ++k) c = (c << 6) | (static_cast<unsigned char>(pattern[i + static_cast<std::size_t>(k)]) & 0x3Fu);
      if (!lowered_in_text(c)) return std::nullopt;
    }
    i += static_cast<std::size_t>(length);
  }
  // Folding case, a pattern's Cyrillic capitals still match. A text's rare
  // letters outside basic Cyrillic that fold to basic ones (U+1C80-U+1C88)
  // are not lowered and so not read as them, as U+212A is not read as 'k'.
  return true;
}

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
    if (i + 1 < pattern.size() && c >= 0xC4 && c <= 0xCF) {
      const auto next = static_cast<unsigned char>(pattern[i + 1]);
      if (extended_lower(c, next) != std::pair<unsigned char, unsigned char>{c, next}) return true;
    }
  }
  return false;
}

std::unique_ptr<re2::FilteredRE2> checked_pattern(std::string_view pattern, bool fold_case, std::string& error) {
  if (!fold_case && has_upper_case_literal(pattern)) {
    error = "upper-case letters never match: texts are compared in lower case";
    return nullptr;
  }
  const RE2::Options options = pattern_options(fold_case);
  auto filter = std::make_unique<re2::FilteredRE2>(kMinAtomBytes);
  int id = -1;
  if (filter->Add(pattern, options, &id) != RE2::NoError) {
    error = RE2(pattern, options).error();  // the filter keeps no failed pattern, nor its error
    return nullptr;
  }
  return filter;
}

std::optional<std::vector<std::string>> spellings_of(std::string_view pattern) {
  auto spellings = SpellingReader(pattern).all();
  if (!spellings || std::any_of(spellings->begin(), spellings->end(),
                                [](const std::string& s) { return s.size() < static_cast<std::size_t>(kMinAtomBytes); }))
    return std::nullopt;
  return fewest_spellings(std::move(*spellings));
}

FilterPlan plan_of(re2::FilteredRE2& filter, std::size_t max_queries) {
  FilterPlan plan;
  filter.Compile(&plan.atoms);
  const RE2& regex = filter.GetRE2(0);
  if (const auto spellings = regex.options().case_sensitive() ? spellings_of(regex.pattern()) : std::nullopt) {
    plan.atoms = *spellings;
    for (std::size_t i = 0; i < plan.atoms.size(); ++i) plan.clauses.push_back({static_cast<int>(i)});
    plan.literal = true;
    return plan;
  }
  ClauseSearch search(filter, plan.atoms.size(), max_queries);
  if (passes(filter, {})) {
    plan.clauses.emplace_back();  // no atom needed: tried on every text
  } else if (plan.atoms.size() <= kMaxExactAtoms && search.run()) {
    plan.clauses = search.clauses();
  } else {
    plan.clauses = conservative_clauses(filter, plan.atoms.size());
    plan.exact = false;
  }
  return plan;
}

std::vector<RulePattern> patterns_in_rules(std::string_view toml_text, std::string& error) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    error = "line " + std::to_string(e.source().begin.line) + ": " + std::string(e.description());
    return {};
  }
  std::vector<RulePattern> out;
  if (const auto* rules = root["rule"].as_array())
    for (const auto& rule : *rules)
      if (const auto* patterns = rule.as_table() ? (*rule.as_table())["patterns"].as_array() : nullptr)
        for (const auto& p : *patterns)
          if (const auto* s = p.as_string()) out.push_back({s->get(), false});
  if (const auto* facts = root["fact"].as_array())
    for (const auto& fact : *facts)
      if (const auto* t = fact.as_table())
        if (const auto* s = (*t)["pattern"].as_string()) out.push_back({s->get(), true});
  return out;
}

const PlannedPattern* PlanTable::find(std::string_view text, bool fold_case) const {
  const auto key = [](const PlannedPattern& p) { return std::tie(p.text, p.fold_case); };
  const auto it = std::lower_bound(patterns.begin(), patterns.end(), std::tie(text, fold_case),
                                   [&key](const PlannedPattern& p, const auto& wanted) { return key(p) < wanted; });
  if (it == patterns.end() || it->text != text || it->fold_case != fold_case) return nullptr;
  return &*it;
}

std::uint32_t CandidateIndex::atom_id(std::string_view atom) {
  const auto [it, added] = atom_ids_.try_emplace(std::string(atom), static_cast<std::uint32_t>(atoms_.size()));
  if (added) atoms_.emplace_back(atom);
  return it->second;
}

std::uint32_t CandidateIndex::atom_id(const PlanTable& table, std::uint32_t atom) {
  constexpr auto kNone = ~std::uint32_t{0};
  if (table_ != &table) {
    table_ = &table;
    table_atom_ids_.assign(table.atoms.size(), kNone);
  }
  std::uint32_t& id = table_atom_ids_[atom];
  if (id == kNone) {
    id = static_cast<std::uint32_t>(atoms_.size());
    atoms_.emplace_back(table.atoms[atom]);
  }
  return id;
}

void CandidateIndex::add_scratch_clause(std::uint32_t pattern) {
  std::vector<std::uint32_t>& atoms = clause_scratch_;
  if (atoms.empty()) {
    if (every_text_.empty() || every_text_.back() != static_cast<int>(pattern))
      every_text_.push_back(static_cast<int>(pattern));
    return;
  }
  std::sort(atoms.begin(), atoms.end());
  atoms.erase(std::unique(atoms.begin(), atoms.end()), atoms.end());
  clause_pattern_.push_back(pattern);
  clause_atoms_.insert(clause_atoms_.end(), atoms.begin(), atoms.end());
  clause_start_.push_back(static_cast<std::uint32_t>(clause_atoms_.size()));
  atoms.clear();
}

void CandidateIndex::add(std::uint32_t pattern, const FilterPlan& plan) {
  for (const auto& clause : plan.clauses) {
    for (const int i : clause) clause_scratch_.push_back(atom_id(plan.atoms[static_cast<std::size_t>(i)]));
    add_scratch_clause(pattern);
  }
}

void CandidateIndex::add(std::uint32_t pattern, const PlanTable& table, const PlannedPattern& planned) {
  if (table_ != &table) {
    // A table's patterns come one after another: room for all its clauses
    // at once, rather than growing a step at a time.
    clause_pattern_.reserve(clause_pattern_.size() + table.clause_start.size());
    clause_start_.reserve(clause_start_.size() + table.clause_start.size());
    clause_atoms_.reserve(clause_atoms_.size() + table.clause_atoms.size());
  }
  for (std::uint32_t c = planned.first_clause; c < planned.first_clause + planned.clause_count; ++c) {
    for (std::uint32_t k = table.clause_start[c]; k < table.clause_start[c + 1]; ++k)
      clause_scratch_.push_back(atom_id(table, table.clause_atoms[k]));
    add_scratch_clause(pattern);
  }
}

void CandidateIndex::finish() {
  // Each clause's trigger, its longest atom (the first of them on a tie),
  // and atom -> the clauses it triggers, as offsets into one array (a
  // counting sort by atom).
  std::vector<std::uint32_t> trigger(clause_pattern_.size());
  for (std::size_t c = 0; c < clause_pattern_.size(); ++c) {
    const auto first = clause_atoms_.begin() + clause_start_[c], last = clause_atoms_.begin() + clause_start_[c + 1];
    trigger[c] = *std::max_element(first, last, [this](std::uint32_t a, std::uint32_t b) {
      return atoms_[a].size() < atoms_[b].size();
    });
  }
  trigger_start_.assign(atoms_.size() + 1, 0);
  for (const std::uint32_t atom : trigger) ++trigger_start_[atom + 1];
  for (std::size_t a = 0; a < atoms_.size(); ++a) trigger_start_[a + 1] += trigger_start_[a];
  triggered_.resize(trigger.size());
  std::vector<std::uint32_t> next(trigger_start_.begin(), trigger_start_.end() - 1);
  for (std::size_t c = 0; c < trigger.size(); ++c) triggered_[next[trigger[c]]++] = static_cast<std::uint32_t>(c);
  std::sort(every_text_.begin(), every_text_.end());
  every_text_.erase(std::unique(every_text_.begin(), every_text_.end()), every_text_.end());
  atom_ids_ = {};
  clause_scratch_ = {};
  table_ = nullptr;
  table_atom_ids_ = {};
  index_ = AtomIndex(std::move(atoms_));
  atoms_ = {};
}

void CandidateIndex::candidates(std::string_view lowered, std::vector<int>& out) const {
  // Scratch kept by each thread between texts, so that matching allocates
  // nothing once warm: the atoms found at each place, and whether an atom
  // was found (seen, all zero between calls) with the list of those found.
  struct Scratch {
    std::vector<int> found;
    std::vector<std::uint8_t> seen;
    std::vector<std::uint32_t> counted;
  };
  thread_local Scratch scratch;
  out = every_text_;
  index_.find_each_place(lowered, scratch.found);
  if (scratch.seen.size() < index_.size()) scratch.seen.resize(index_.size(), 0);
  scratch.counted.clear();
  // Plain pointers, which the compiler keeps in registers while the lists grow.
  std::uint8_t* const seen = scratch.seen.data();
  for (const int atom : scratch.found) {
    const auto a = static_cast<std::size_t>(atom);
    if (!seen[a]) scratch.counted.push_back(static_cast<std::uint32_t>(a));
    seen[a] = 1;
  }
  const std::uint32_t* const clause_start = clause_start_.data();
  const std::uint32_t* const clause_atoms = clause_atoms_.data();
  for (const std::uint32_t atom : scratch.counted) {
    for (std::uint32_t k = trigger_start_[atom]; k < trigger_start_[atom + 1]; ++k) {
      const std::uint32_t clause = triggered_[k];
      const std::uint32_t* const first = clause_atoms + clause_start[clause];
      const std::uint32_t* const last = clause_atoms + clause_start[clause + 1];
      if (std::all_of(first, last, [seen](std::uint32_t a) { return seen[a] != 0; }))
        out.push_back(static_cast<int>(clause_pattern_[clause]));
    }
  }
  for (const std::uint32_t atom : scratch.counted) seen[atom] = 0;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
}

}  // namespace clearbounce::classifier
