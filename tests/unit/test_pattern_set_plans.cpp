// PatternSet over the shipped rules: plans taken from the build, RE2s built
// when first needed, and matches the same as running every pattern's RE2.
#include <gtest/gtest.h>

#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "classifier/filter_plan.hpp"
#include "classifier/pattern_set.hpp"
#include "tests/test_files.hpp"

namespace {

using clearbounce::testing::read_file;
using namespace clearbounce::classifier;

std::vector<RulePattern> shipped_patterns() {
  std::string error;
  auto patterns = patterns_in_rules(read_file(std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml"), error);
  EXPECT_TRUE(error.empty()) << error;
  return patterns;
}

// `wrap` turns each pattern into an equivalent one the build has no plan for.
std::unique_ptr<PatternSet> set_of(const std::vector<RulePattern>& patterns, bool wrap = false) {
  auto set = std::make_unique<PatternSet>();
  for (const auto& p : patterns) {
    std::string error;
    const std::string text = wrap ? "(?:" + p.text + ")" : p.text;
    EXPECT_TRUE(set->add(text, error, p.fold_case)) << text << ": " << error;
  }
  EXPECT_TRUE(set->compile());
  return set;
}

// The texts PatternSet compares: ASCII and Latin-1 capitals in lower case.
std::string lowered(std::string text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 'A' && c <= 'Z') text[i] = static_cast<char>(c + 32);
    if (c == 0xC3 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) text[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  return text;
}

// The reference: every pattern's own RE2, run on every text.
class PlainMatcher {
 public:
  explicit PlainMatcher(const std::vector<RulePattern>& patterns) {
    for (const auto& p : patterns) {
      RE2::Options options;
      options.set_case_sensitive(!p.fold_case && !beyond_latin1(p.text));
      regexes_.push_back(std::make_unique<RE2>(p.text, options));
      EXPECT_TRUE(regexes_.back()->ok()) << p.text;
    }
  }
  std::vector<int> match(const std::string& text) const {
    const std::string lower = lowered(text);
    std::vector<int> out;
    for (std::size_t i = 0; i < regexes_.size(); ++i)
      if (RE2::PartialMatch(lower, *regexes_[i])) out.push_back(static_cast<int>(i));
    return out;
  }

 private:
  std::vector<std::unique_ptr<RE2>> regexes_;
};

std::vector<int> matches(const PatternSet& set, const std::string& text) {
  std::vector<int> found;
  set.match(text, found);
  std::sort(found.begin(), found.end());
  return found;
}

// Every diagnostic of the phrasing set, and texts written to touch many
// patterns' words without their wording.
std::vector<std::string> sample_texts() {
  std::vector<std::string> texts;
  std::istringstream lines(read_file(std::string(CLEARBOUNCE_SOURCE_DIR) + "/tests/phrasings/phrasings.txt"));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto bar = line.rfind(" | ");
    if (bar != std::string::npos) texts.push_back(line.substr(bar + 3));
  }
  for (const char* made_up : {
           "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table",
           "Mailbox full, quota exceeded; user unknown? no such user here",
           "452 4.2.2 The email account that you tried to reach is over quota",
           "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
           "421 Connection timed out while receiving the initial server greeting",
           "Host or domain name not found. Name service error for name=example.invalid type=MX",
           "Das Postfach ist voll. La boîte aux lettres est pleine. El buzón está lleno.",
           "DÉLAI DÉPASSÉ, ZEITÜBERSCHREITUNG, Überschreitung der Zustellzeit",
           "Почтовый ящик переполнен; ユーザーが存在しません; 用户不存在",
           "ПОЛЬЗОВАТЕЛЬ НЕ НАЙДЕН. ПОЧТОВЫЙ ЯЩИК ПЕРЕПОЛНЕН. Домен Не Существует",
           "СРОК ДОСТАВКИ ИСТЕК; ПРЕВЫШЕН РАЗМЕР; ВИРУС; ＵＳＥＲ ＵＮＫＮＯＷＮ",
           "mailbox mailbox full full user user unknown unknown blocked spam virus relay denied",
           "the quick brown fox jumps over the lazy dog",
           "",
       })
    texts.emplace_back(made_up);
  return texts;
}

TEST(PatternSetPlans, ShippedPatternsTakeTheirPlansFromTheBuild) {
  const auto patterns = shipped_patterns();
  const auto set = set_of(patterns);
  EXPECT_EQ(set->size(), patterns.size());
  // Every shipped pattern is filtered, Cyrillic and CJK ones included: none
  // needs the set with Unicode case folding, which costs a start-up some
  // 13 million instructions to build.
  EXPECT_EQ(set->planned_at_build(), patterns.size());
  EXPECT_EQ(set->planned_at_load(), 0u);
  EXPECT_TRUE(set->tried_on_every_text().empty());
}

// A pattern the build did not see has its plan worked out, and is checked,
// when it is added, whatever the patterns before it.
TEST(PatternSetPlans, APatternTheBuildDidNotSeeIsPlannedAtLoad) {
  auto patterns = shipped_patterns();
  PatternSet set;
  std::string error;
  for (const auto& p : patterns) ASSERT_TRUE(set.add(p.text, error, p.fold_case)) << error;
  EXPECT_FALSE(set.add("(unclosed wording", error));
  EXPECT_NE(error.find("missing )"), std::string::npos) << error;
  ASSERT_TRUE(set.add("zyxxy (is|was) qwertied", error)) << error;
  ASSERT_TRUE(set.add(R"(\d+ h)", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(set.planned_at_load(), 2u);
  const auto zyxxy = static_cast<int>(patterns.size());
  EXPECT_EQ(matches(set, "Zyxxy was qwertied"), (std::vector<int>{zyxxy}));
  EXPECT_EQ(matches(set, "zyxxy was qwertied after 4 h"), (std::vector<int>{zyxxy, zyxxy + 1}));
  EXPECT_EQ(set.tried_on_every_text(), std::vector<std::string>{R"(\d+ h)"});
}

TEST(PatternSetPlans, AgreesWithEveryPatternsOwnRe2) {
  const auto patterns = shipped_patterns();
  const PlainMatcher reference(patterns);
  const auto built = set_of(patterns);
  const auto loaded = set_of(patterns, true);  // the same patterns, planned at load
  EXPECT_EQ(loaded->planned_at_build(), 0u);
  std::size_t texts_matched = 0;
  for (const auto& text : sample_texts()) {
    const auto expected = reference.match(text);
    EXPECT_EQ(matches(*built, text), expected) << text;
    EXPECT_EQ(matches(*loaded, text), expected) << text;
    texts_matched += !expected.empty();
  }
  EXPECT_GT(texts_matched, 200u);  // the comparison is about real matches
}

// Threads racing to be the first to need a pattern build it once and all
// see it: the milter's threads share one PatternSet.
TEST(PatternSetPlans, PatternsBuiltWhenFirstNeededUnderManyThreads) {
  const auto patterns = shipped_patterns();
  const auto texts = sample_texts();
  std::vector<std::vector<int>> expected;
  const auto reference = set_of(patterns);
  for (const auto& text : texts) expected.push_back(matches(*reference, text));
  const auto shared = set_of(patterns);
  constexpr int kThreads = 8;
  std::vector<int> mismatches(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread goes through the texts from a different place.
      for (std::size_t k = 0; k < texts.size(); ++k) {
        const std::size_t i = (k + static_cast<std::size_t>(t) * texts.size() / kThreads) % texts.size();
        if (matches(*shared, texts[i]) != expected[i]) ++mismatches[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(kThreads, 0));
}

// Patterns needing Unicode case folding whose automaton is too big: a rule
// file of one's own hears it at load, and such patterns never match (the
// others still do).
TEST(PatternSetPlans, FoldedPatternsThatDoNotFitMatchNothing) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("mailbox full", error)) << error;
  for (int i = 0; i < 40; ++i)
    ASSERT_TRUE(set.add("հասցե" + std::to_string(i) + R"( \pL{1000})", error)) << error;
  EXPECT_FALSE(set.compile());
  EXPECT_FALSE(set.folded_set_compiles());
  EXPECT_EQ(matches(set, "Mailbox full: հասցե1 " + std::string(2000, 'x')), (std::vector<int>{0}));
}

}  // namespace
