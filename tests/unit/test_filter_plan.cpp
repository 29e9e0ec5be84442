// Filter plans: which atoms a text must hold before a pattern is run, as
// RE2's own filter works them out, and the build-time table of the shipped
// rules' plans.
#include <gtest/gtest.h>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <iterator>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "classifier/filter_plan.hpp"
#include "tests/test_files.hpp"

namespace {

using clearbounce::testing::read_file;
using namespace clearbounce::classifier;

// A plan as sets of atom strings, in no particular order.
using Clauses = std::set<std::set<std::string>>;

FilterPlan plan_for(const std::string& pattern) {
  std::string error;
  auto filter = checked_pattern(pattern, false, error);
  EXPECT_NE(filter, nullptr) << pattern << ": " << error;
  return filter ? plan_of(*filter) : FilterPlan{};
}

Clauses clauses_of(const FilterPlan& plan) {
  Clauses out;
  for (const auto& clause : plan.clauses) {
    std::set<std::string> atoms;
    for (const int i : clause) atoms.insert(plan.atoms[static_cast<std::size_t>(i)]);
    out.insert(atoms);
  }
  return out;
}

// Whether the plan lets a text through that holds exactly the atoms of `mask`.
bool plan_passes(const FilterPlan& plan, std::uint32_t mask) {
  return std::any_of(plan.clauses.begin(), plan.clauses.end(), [mask](const std::vector<int>& clause) {
    return std::all_of(clause.begin(), clause.end(), [mask](int atom) { return (mask >> atom) & 1u; });
  });
}

std::string shipped_rules() { return read_file(std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml"); }

TEST(FilterPlan, TheWordsOfAConcatenationFormOneClause) {
  const FilterPlan plan = plan_for("mailbox (is )?.*full");
  ASSERT_EQ(plan.clauses.size(), 1u);
  EXPECT_EQ(plan.clauses[0].size(), 2u);
  EXPECT_EQ(clauses_of(plan), (Clauses{{"mailbox ", "full"}}));
}

TEST(FilterPlan, AlternativesFormAClauseEach) {
  EXPECT_EQ(clauses_of(plan_for("(user unknown|no such user)")), (Clauses{{"user unknown"}, {"no such user"}}));
}

TEST(FilterPlan, NestedAlternativesAndConcatenations) {
  EXPECT_EQ(clauses_of(plan_for("quota|(mailbox.*full)")), (Clauses{{"quota"}, {"mailbox", "full"}}));
  EXPECT_EQ(clauses_of(plan_for("no (such|valid) .*(user|mailbox)")),
            (Clauses{{"no such ", "user"}, {"no such ", "mailbox"}, {"no valid ", "user"}, {"no valid ", "mailbox"}}));
}

TEST(FilterPlan, APatternWithoutALongLiteralIsTriedOnEveryText) {
  EXPECT_EQ(clauses_of(plan_for(R"(\d+ h)")), (Clauses{{}}));
  EXPECT_EQ(clauses_of(plan_for("ab|x")), (Clauses{{}}));  // one alternative is too short to look for
}

FilterPlan plan_for(const std::string& pattern, std::size_t max_queries) {
  std::string error;
  auto filter = checked_pattern(pattern, false, error);
  EXPECT_NE(filter, nullptr) << pattern << ": " << error;
  return filter ? plan_of(*filter, max_queries) : FilterPlan{};
}

const std::string kThirteenThenNeeded =
    "(alpha|bravo|charlie|delta|echo|foxtrot|golf|hotel|india|juliet|kilo|lima|mike).*needed";
// (".*": without it the pattern is 49 strings, spelled out, not planned by RE2.)
const std::string kSevenBySeven =
    "(alpha|bravo|charlie|delta|echo|foxtrot|golf) .*(india|juliet|kilo|lima|mike|november|oscar)";

TEST(FilterPlan, ManyAtomsStillGiveAnExactPlan) {
  const FilterPlan plan = plan_for(kThirteenThenNeeded);
  ASSERT_EQ(plan.atoms.size(), 14u);
  EXPECT_EQ(plan.clauses.size(), 13u);
  for (const auto& clause : plan.clauses) EXPECT_EQ(clause.size(), 2u);
  EXPECT_EQ(plan_for(kSevenBySeven).clauses.size(), 49u);
}

// When working the plan out would take too many questions to RE2's filter,
// the atoms each needed alone make one clause...
TEST(FilterPlan, ATooCostlyPlanKeepsTheAtomsNeededAlone) {
  const FilterPlan plan = plan_for(kThirteenThenNeeded, 10);
  EXPECT_FALSE(plan.exact);
  EXPECT_EQ(clauses_of(plan), (Clauses{{"needed"}}));
  EXPECT_TRUE(plan_for(kThirteenThenNeeded).exact);
}

// ...and when none is needed alone, any one atom lets the text through.
TEST(FilterPlan, ATooCostlyPlanWithNoAtomNeededAloneLetsAnyOneThrough) {
  const FilterPlan plan = plan_for(kSevenBySeven, 10);
  EXPECT_EQ(plan.atoms.size(), 14u);
  EXPECT_EQ(plan.clauses.size(), plan.atoms.size());
  for (const auto& clause : plan.clauses) EXPECT_EQ(clause.size(), 1u);
}

// An exact plan lets through exactly the sets of atoms that RE2's filter does.
TEST(FilterPlan, AnExactPlanAgreesWithRe2sFilterOnEverySetOfAtoms) {
  for (const std::string& pattern : {std::string("no (such|valid) .*(user|mailbox)"), std::string("quota|(mailbox.*full)"),
                                     std::string("(mailbox|inbox) (is )?(full|over ?quota).*"), std::string("user unknown"),
                                     kThirteenThenNeeded, kSevenBySeven, std::string("b|(a.*c)|(c.*a)")}) {
    std::string error;
    auto filter = checked_pattern(pattern, false, error);
    ASSERT_NE(filter, nullptr) << error;
    const FilterPlan plan = plan_of(*filter);
    ASSERT_LE(plan.atoms.size(), 16u) << pattern;
    for (std::uint32_t mask = 0; mask < (1u << plan.atoms.size()); ++mask) {
      std::vector<int> atoms, passed;
      for (std::size_t i = 0; i < plan.atoms.size(); ++i)
        if ((mask >> i) & 1u) atoms.push_back(static_cast<int>(i));
      filter->AllPotentials(atoms, &passed);
      EXPECT_EQ(plan_passes(plan, mask), !passed.empty()) << pattern << " with atoms " << mask;
    }
  }
}

// Plain text, or a few spellings of it, is matched by finding its atoms
// (test_spelled_plans.cpp); anything else RE2 reads as an operator, or case
// folding, still needs the RE2.
TEST(FilterPlan, PlainTextIsItsOwnAtom) {
  EXPECT_TRUE(plan_for("user unknown").literal);
  EXPECT_TRUE(plan_for("d\xc3\xa9lai d\xc3\xa9pass\xc3\xa9").literal);
  EXPECT_FALSE(plan_for("user.unknown").literal);
  EXPECT_TRUE(plan_for("mailbox (is )?full").literal);
  EXPECT_TRUE(plan_for("user unknown|no such user").literal);
  EXPECT_FALSE(plan_for("mailbox (is )?.*full").literal);
  EXPECT_FALSE(plan_for("no").literal);  // too short to be an atom
  std::string error;
  auto folded = checked_pattern("user unknown", true, error);
  ASSERT_NE(folded, nullptr) << error;
  EXPECT_FALSE(plan_of(*folded).literal);
}

TEST(FilterPlan, CheckedPatternsAreLowerCaseAndValid) {
  std::string error;
  EXPECT_EQ(checked_pattern("User unknown", false, error), nullptr);
  EXPECT_NE(error.find("lower case"), std::string::npos) << error;
  EXPECT_EQ(checked_pattern("(unclosed", false, error), nullptr);
  EXPECT_NE(error.find("missing )"), std::string::npos) << error;
  EXPECT_NE(checked_pattern("Blocked using ([A-Z.]+)", true, error), nullptr) << error;
}

TEST(CandidateIndex, APatternIsACandidateWhenEveryAtomOfOneClauseIsThere) {
  CandidateIndex index;
  index.add(0, plan_for("no (such|valid) .*(user|mailbox)"));
  index.add(1, plan_for("quota|(mailbox.*full)"));
  index.add(2, plan_for(R"(\d+ h)"));
  index.finish();
  std::vector<int> out;
  index.candidates("no such mailbox", out);
  EXPECT_EQ(out, (std::vector<int>{0, 2}));
  index.candidates("your mailbox is full", out);
  EXPECT_EQ(out, (std::vector<int>{1, 2}));
  index.candidates("no valid quota, no valid user", out);
  EXPECT_EQ(out, (std::vector<int>{0, 1, 2}));
  index.candidates("no such thing", out);
  EXPECT_EQ(out, (std::vector<int>{2}));
  index.candidates("the user's mailbox is not valid", out);
  EXPECT_EQ(out, (std::vector<int>{2}));
  EXPECT_EQ(index.every_text(), (std::vector<int>{2}));
}

TEST(CandidateIndex, AtomsSharedByPatternsAreLookedUpOnce) {
  CandidateIndex index;
  index.add(3, plan_for("mailbox.*full"));
  index.add(5, plan_for("mailbox.*(disabled|locked)"));
  index.finish();
  std::vector<int> out;
  index.candidates("mailbox locked", out);
  EXPECT_EQ(out, (std::vector<int>{5}));
  index.candidates("full mailbox, locked mailbox", out);
  EXPECT_EQ(out, (std::vector<int>{3, 5}));
  EXPECT_TRUE(index.every_text().empty());
}

TEST(CandidateIndex, AgreesWithCheckingEveryClauseOnRandomPlansAndTexts) {
  // Each clause is looked at only when its longest atom is found: the
  // candidates must still be exactly the patterns one of whose clauses has
  // all its atoms in the text. Short atoms shared by many clauses, atoms of
  // equal length, a clause of one atom and one that lists an atom twice.
  const std::vector<std::string> words{"ab ", "ba ", "abab", "bab ", "aab", "abba", "bbb", "ab ab"};
  std::mt19937 random(777);
  for (int round = 0; round < 40; ++round) {
    std::vector<std::vector<std::vector<std::string>>> plans(6);
    CandidateIndex index;
    for (std::size_t p = 0; p < plans.size(); ++p) {
      FilterPlan plan;
      plan.atoms = words;
      for (int c = 0, clauses = 1 + static_cast<int>(random() % 3); c < clauses; ++c) {
        std::vector<int> clause;
        std::vector<std::string> clause_words;
        for (int k = 0, size = 1 + static_cast<int>(random() % 4); k < size; ++k) {
          clause.push_back(static_cast<int>(random() % words.size()));
          clause_words.push_back(words[static_cast<std::size_t>(clause.back())]);
        }
        plan.clauses.push_back(clause);
        plans[p].push_back(clause_words);
      }
      index.add(static_cast<std::uint32_t>(p), plan);
    }
    index.finish();
    for (int t = 0; t < 50; ++t) {
      std::string text(random() % 30, 'a');
      for (char& c : text) c = "ab "[random() % 3];
      std::vector<int> expected;
      for (std::size_t p = 0; p < plans.size(); ++p) {
        const bool passes = std::any_of(plans[p].begin(), plans[p].end(), [&text](const auto& clause) {
          return std::all_of(clause.begin(), clause.end(),
                             [&text](const std::string& w) { return text.find(w) != std::string::npos; });
        });
        if (passes) expected.push_back(static_cast<int>(p));
      }
      std::vector<int> out;
      index.candidates(text, out);
      EXPECT_EQ(out, expected) << "round " << round << ", text '" << text << "'";
    }
  }
}

TEST(RulePatterns, WordingPatternsInOrderThenFactsFoldingCase) {
  std::string error;
  const auto patterns = patterns_in_rules(R"(
[[fact]]
name = "host"
pattern = 'host ([A-Za-z.]+)'
[[rule]]
category = "a"
patterns = ['user unknown', 'no such user']
[[rule]]
category = "b"
patterns = ['mailbox full']
)",
                                          error);
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(patterns, (std::vector<RulePattern>{{"user unknown", false},
                                                {"no such user", false},
                                                {"mailbox full", false},
                                                {"host ([A-Za-z.]+)", true}}));
  EXPECT_TRUE(patterns_in_rules("[[rule]\n", error).empty());
  EXPECT_FALSE(error.empty());
}

// The table made at build time holds every ASCII/Latin-1 pattern of the
// shipped rules, with the plan RE2 gives it now.
TEST(FilteredFoldCase, CyrillicAndCaselessScriptsAreFilteredFoldingCase) {
  EXPECT_EQ(filtered_fold_case("mailbox full", false), std::optional<bool>(false));
  EXPECT_EQ(filtered_fold_case("blocked using ([A-Z]+)", true), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("délai dépassé", false), std::optional<bool>(false));
  EXPECT_EQ(filtered_fold_case("ящик переполнен", false), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("Ёмкость", false), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("ユーザーが存在しません", false), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("用户不存在（mailbox）", false), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("사용자 없음", false), std::optional<bool>(true));
  // Greek and Latin Extended-A capitals are lowered too.
  EXPECT_EQ(filtered_fold_case("αλληλογραφία", false), std::optional<bool>(true));
  EXPECT_EQ(filtered_fold_case("skrzynka pełna", false), std::optional<bool>(true));  // ł: Latin Extended-A
  // Scripts with case that texts are not lowered in: Unicode case folding.
  EXPECT_EQ(filtered_fold_case("հասցե", false), std::nullopt);         // Armenian
  EXPECT_EQ(filtered_fold_case("người dùng", false), std::nullopt);    // ư: Latin Extended-B
  EXPECT_EQ(filtered_fold_case("ящик ѣ", false), std::nullopt);         // U+0463: not lowered
  EXPECT_EQ(filtered_fold_case("ＵＳＥＲ", false), std::nullopt);       // full-width letters have case
  EXPECT_EQ(filtered_fold_case("я\\xD1", false), std::optional<bool>(true));  // an escape is ASCII
  EXPECT_EQ(filtered_fold_case(std::string_view("\xD1\x8F", 1), false), std::nullopt);  // a cut-off character
}

// Every basic Cyrillic capital is lowered to the letter RE2's own case
// folding pairs it with, and every lower-case letter stays as it is.
TEST(FilteredFoldCase, CyrillicCapitalsAreLoweredAsRe2FoldsThem) {
  RE2::Options folding;
  folding.set_case_sensitive(false);
  const auto utf8 = [](char32_t c) {
    return std::string{static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
  };
  for (char32_t capital = 0x400; capital <= 0x42F; ++capital) {
    const std::string upper = utf8(capital);
    const auto lead = static_cast<unsigned char>(upper[0]), next = static_cast<unsigned char>(upper[1]);
    ASSERT_TRUE(is_cyrillic_upper(lead, next)) << static_cast<unsigned>(capital);
    const auto [lower_lead, lower_next] = cyrillic_lower(next);
    const std::string lower{static_cast<char>(lower_lead), static_cast<char>(lower_next)};
    EXPECT_TRUE(RE2::FullMatch(lower, RE2(upper, folding))) << static_cast<unsigned>(capital);
    EXPECT_FALSE(RE2::FullMatch(lower, RE2(upper))) << static_cast<unsigned>(capital);  // a different letter
  }
  for (char32_t small = 0x430; small <= 0x45F; ++small) {
    const std::string lower = utf8(small);
    EXPECT_FALSE(is_cyrillic_upper(static_cast<unsigned char>(lower[0]), static_cast<unsigned char>(lower[1])));
  }
}

TEST(BuiltinPlanTable, HoldsEveryShippedPatternWithItsPlan) {
  std::string error;
  const auto patterns = patterns_in_rules(shipped_rules(), error);
  ASSERT_TRUE(error.empty()) << error;
  ASSERT_GT(patterns.size(), 100u);
  const PlanTable& table = builtin_plan_table();
  std::size_t filtered = 0;
  for (const auto& pattern : patterns) {
    const std::optional<bool> fold_case = filtered_fold_case(pattern.text, pattern.fold_case);
    if (!fold_case) continue;
    ++filtered;
    const PlannedPattern* planned = table.find(pattern.text, *fold_case);
    ASSERT_NE(planned, nullptr) << pattern.text;
    Clauses built;
    for (std::uint32_t c = planned->first_clause; c < planned->first_clause + planned->clause_count; ++c) {
      std::set<std::string> atoms;
      for (std::uint32_t k = table.clause_start[c]; k < table.clause_start[c + 1]; ++k)
        atoms.emplace(table.atoms[table.clause_atoms[k]]);
      built.insert(atoms);
    }
    auto filter = checked_pattern(pattern.text, *fold_case, error);
    ASSERT_NE(filter, nullptr) << error;
    const FilterPlan plan = plan_of(*filter);
    EXPECT_TRUE(plan.exact) << pattern.text;
    EXPECT_EQ(built, clauses_of(plan)) << pattern.text;
  }
  EXPECT_LE(table.patterns.size(), filtered);  // each once
}

// On every line of the phrasing set, the shipped plans make every pattern
// that matches a candidate, and no pattern that one FilteredRE2 holding
// all of them would not: the candidates, and so PatternSet::kMaxCandidates,
// mean what they meant. (A plan may be stricter than the shared filter,
// whose tree drops atoms that many patterns hold.)
TEST(BuiltinPlanTable, MakesTheCandidatesOfOneFilterOverAllPatterns) {
  std::string error;
  std::vector<RulePattern> patterns = patterns_in_rules(shipped_rules(), error);
  std::erase_if(patterns, [](const RulePattern& p) { return beyond_latin1(p.text); });
  re2::FilteredRE2 all(kMinAtomBytes);
  CandidateIndex index;
  const PlanTable& table = builtin_plan_table();
  for (std::size_t i = 0; i < patterns.size(); ++i) {
    RE2::Options options;
    options.set_case_sensitive(!patterns[i].fold_case);
    int id = -1;
    ASSERT_EQ(all.Add(patterns[i].text, options, &id), RE2::NoError);
    index.add(static_cast<std::uint32_t>(i), table, *table.find(patterns[i].text, patterns[i].fold_case));
  }
  std::vector<std::string> atoms;
  all.Compile(&atoms);
  index.finish();
  const AtomIndex atom_index(atoms);
  std::istringstream lines(read_file(std::string(CLEARBOUNCE_SOURCE_DIR) + "/tests/phrasings/phrasings.txt"));
  std::size_t with_candidates = 0;
  for (std::string line; std::getline(lines, line);) {
    std::transform(line.begin(), line.end(), line.begin(), [](char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; });
    std::vector<int> found, potentials, matching, candidates;
    atom_index.find(line, found);
    all.AllPotentials(found, &potentials);
    std::sort(potentials.begin(), potentials.end());
    std::copy_if(potentials.begin(), potentials.end(), std::back_inserter(matching),
                 [&](int p) { return RE2::PartialMatch(line, all.GetRE2(p)); });
    index.candidates(line, candidates);
    std::sort(candidates.begin(), candidates.end());
    EXPECT_TRUE(std::includes(candidates.begin(), candidates.end(), matching.begin(), matching.end())) << line;
    EXPECT_TRUE(std::includes(potentials.begin(), potentials.end(), candidates.begin(), candidates.end())) << line;
    with_candidates += !matching.empty();
  }
  EXPECT_GT(with_candidates, 200u);
}

TEST(BuiltinPlanTable, FindsAPatternByItsTextAndCaseFolding) {
  const PlanTable& table = builtin_plan_table();
  ASSERT_FALSE(table.patterns.empty());
  const PlannedPattern& first = table.patterns.front();
  EXPECT_EQ(table.find(first.text, first.fold_case), &first);
  EXPECT_EQ(table.find(first.text, !first.fold_case), nullptr);
  EXPECT_EQ(table.find("a wording no rule has", false), nullptr);
}

}  // namespace
