// Patterns that match a few strings only ("user (is )?unknown") are matched
// by finding one of those strings, never by their RE2: spellings_of() must
// list exactly the strings RE2 would find, and give up on anything else.
#include <gtest/gtest.h>

#include <re2/filtered_re2.h>
#include <re2/re2.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "classifier/filter_plan.hpp"
#include "classifier/pattern_set.hpp"
#include "every_string.hpp"
#include "tests/test_files.hpp"

namespace {

using clearbounce::testing::read_file;
using namespace clearbounce::classifier;

using Spellings = std::set<std::string>;

Spellings spellings(const std::string& pattern) {
  const auto listed = spellings_of(pattern);
  EXPECT_TRUE(listed.has_value()) << pattern;
  return listed ? Spellings(listed->begin(), listed->end()) : Spellings{};
}

// The plain reading: RE2 itself, as PatternSet runs a pattern that is not
// spelled out (case-sensitive, unanchored).
bool re2_matches(const RE2& regex, const std::string& text) { return RE2::PartialMatch(text, regex); }

bool holds_one(const std::vector<std::string>& spellings, const std::string& text) {
  return std::any_of(spellings.begin(), spellings.end(),
                     [&text](const std::string& s) { return text.find(s) != std::string::npos; });
}

TEST(SpellingsOf, ListsTheStringsOfOptionalPartsAlternativesAndClasses) {
  EXPECT_EQ(spellings("user unknown"), (Spellings{"user unknown"}));
  EXPECT_EQ(spellings("user (is )?unknown"), (Spellings{"user unknown", "user is unknown"}));
  EXPECT_EQ(spellings("mail ?box full"), (Spellings{"mailbox full", "mail box full"}));
  EXPECT_EQ(spellings("unknown (?:user|local[- ]part)"),
            (Spellings{"unknown user", "unknown local part", "unknown local-part"}));
  EXPECT_EQ(spellings(R"(over quota\.|[x-z]yz)"), (Spellings{"over quota.", "xyz", "yyz", "zyz"}));
  EXPECT_EQ(spellings("d\xc3\xa9lai (d\xc3\xa9pass\xc3\xa9)?"), (Spellings{"d\xc3\xa9lai "}));
  EXPECT_EQ(spellings("<address>>?: user"), (Spellings{"<address>: user", "<address>>: user"}));
}

// A text holding "mailbox is full" holds "mailbox " too: only the shortest
// spellings are looked for.
TEST(SpellingsOf, DropsASpellingThatHoldsAnother) {
  EXPECT_EQ(spellings("abc(de)?"), (Spellings{"abc"}));
  EXPECT_EQ(spellings("(mailbox full|full)"), (Spellings{"full"}));
}

TEST(SpellingsOf, GivesUpOnWhatIsNotAFewLongStrings) {
  for (const char* pattern : {"user.unknown", R"(user\sunknown)", "user +unknown", "users*", "user{2}", "^user",
                              "user$", R"(\bspf\b)", "(?i)user", "[^a]bc", R"(\d\d\d)", "abc|x", "ab(c)?",
                              "(?P<who>user)", "user??x", R"(\x41bc)", "[[:alpha:]]bc", "[]a]bc", "(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)",
                              "(unclosed", "user)", "\xe3\x83\xa6\xe3\x83\xbc\xe3\x82\xb6", ""})
    EXPECT_FALSE(spellings_of(pattern).has_value()) << pattern;
}

// A spelled-out plan is a match: its patterns never run their RE2.
TEST(SpellingsOf, MakesTheFilterPlanLiteral) {
  std::string error;
  auto filter = checked_pattern("hel?lo (command )?(rejected|refused)", false, error);
  ASSERT_NE(filter, nullptr) << error;
  const FilterPlan plan = plan_of(*filter);
  EXPECT_TRUE(plan.literal);
  EXPECT_EQ(plan.atoms.size(), 8u);
  EXPECT_EQ(plan.clauses.size(), 8u);
  auto folded = checked_pattern("user (is )?unknown", true, error);  // case folding needs the RE2
  ASSERT_NE(folded, nullptr) << error;
  EXPECT_FALSE(plan_of(*folded).literal);
}

// Random patterns of the syntax spellings_of() reads, and of some it must
// refuse, against RE2 on every short text over their bytes and on longer
// random ones (Latin-1 letters, broken UTF-8, 'ſ' and 'K').
std::string random_pattern(std::mt19937& random, int depth) {
  static const std::vector<std::string> pieces{"a", "b", " ", "-", "ab", "ba ", "\\.", "\xc3\xa9", "[ab]", "[- ]",
                                               "[a-b]", ".", "a*", "\\s", "b+", "^", "$", "\\b", "[^a]"};
  std::string out;
  for (int k = 0, items = 1 + static_cast<int>(random() % 4); k < items; ++k) {
    std::string item;
    if (depth > 0 && random() % 4 == 0) {
      item = random() % 2 ? "(" : "(?:";
      for (int a = 0, alternatives = 1 + static_cast<int>(random() % 3); a < alternatives; ++a)
        item += (a ? "|" : "") + random_pattern(random, depth - 1);
      item += ")";
    } else {
      // Mostly pieces that can be spelled; now and then one that cannot.
      item = pieces[random() % (random() % 8 == 0 ? pieces.size() : 11)];
    }
    if (random() % 3 == 0 && item.back() != '*' && item.back() != '+' && item != "^" && item != "$") item += "?";
    out += item;
  }
  return out;
}

TEST(SpellingsOf, AgreesWithRe2OnRandomPatternsAndTexts) {
  std::mt19937 random(20261204);
  std::vector<std::string> long_texts;
  const std::vector<std::string> bytes{"a", "b", " ", "-", ".", "\xc3\xa9", "\xc3", "\xa9", "\xff", "\xc5\xbf", "\xe2\x84\xaa", "s"};
  for (int t = 0; t < 300; ++t) {
    std::string text;
    for (int k = 0, n = static_cast<int>(random() % 24); k < n; ++k) text += bytes[random() % bytes.size()];
    long_texts.push_back(text);
  }
  std::size_t spelled = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    const std::string pattern = random_pattern(random, 2);
    RE2::Options options;
    options.set_log_errors(false);
    const RE2 regex(pattern, options);
    const auto listed = spellings_of(pattern);
    if (!listed) {
      ++refused;
      continue;
    }
    ++spelled;
    ASSERT_TRUE(regex.ok()) << pattern;
    for (const auto& s : *listed) EXPECT_GE(s.size(), static_cast<std::size_t>(kMinAtomBytes)) << pattern;
    clearbounce::test::for_each_string("ab -.", 5, [&](const std::string& text) {
      EXPECT_EQ(holds_one(*listed, text), re2_matches(regex, text)) << pattern << " on '" << text << "'";
    });
    for (const auto& text : long_texts)
      EXPECT_EQ(holds_one(*listed, text), re2_matches(regex, text)) << pattern << " on '" << text << "'";
  }
  EXPECT_GT(spelled, 100u);  // the comparison is about patterns spelled out
  EXPECT_GT(refused, 50u);
}

// Every shipped pattern that is spelled out, on texts made of its spellings
// cut, changed and surrounded: PatternSet (which finds the spellings) says
// what the pattern's RE2 says.
TEST(SpellingsOf, ShippedSpelledPatternsMatchAsTheirRe2) {
  std::string error;
  const auto patterns = patterns_in_rules(read_file(std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml"), error);
  ASSERT_TRUE(error.empty()) << error;
  std::size_t spelled = 0, texts = 0;
  for (const auto& p : patterns) {
    if (p.fold_case || beyond_latin1(p.text)) continue;
    const auto listed = spellings_of(p.text);
    if (!listed) continue;
    ++spelled;
    PatternSet set;
    ASSERT_TRUE(set.add(p.text, error)) << p.text << ": " << error;
    ASSERT_TRUE(set.compile());
    const RE2 regex(p.text);
    for (const auto& s : *listed) {
      std::vector<std::string> variants{s, "x " + s + " y", s.substr(1), s.substr(0, s.size() - 1)};
      for (std::size_t i = 0; i < s.size(); ++i) {
        std::string changed = s;
        changed[i] = changed[i] == 's' ? 'z' : 's';
        variants.push_back(changed);
        variants.push_back(s.substr(0, i) + s.substr(i + 1));
        variants.push_back(s.substr(0, i) + (s[i] == 's' ? "\xc5\xbf" : s[i] == 'k' ? "\xe2\x84\xaa" : "  ") + s.substr(i + 1));
      }
      for (const auto& text : variants) {
        std::vector<int> matched;
        set.match(text, matched);
        EXPECT_EQ(!matched.empty(), re2_matches(regex, text)) << p.text << " on '" << text << "'";
        ++texts;
      }
    }
  }
  EXPECT_GT(spelled, 150u);
  EXPECT_GT(texts, 10000u);
}

}  // namespace
