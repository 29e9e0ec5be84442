// PatternSet: many patterns, one pass, texts compared in lower case.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include <re2/re2.h>

#include "classifier/pattern_set.hpp"

namespace {

using clearbounce::classifier::has_upper_case_literal;
using clearbounce::classifier::PatternSet;

std::vector<int> matches(const PatternSet& set, std::string_view text) {
  std::vector<int> found;
  set.match(text, found);
  std::sort(found.begin(), found.end());
  return found;
}

TEST(PatternSet, NumbersPatternsInTheOrderAddedAcrossBothSets) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("mailbox full", error)) << error;
  ASSERT_TRUE(set.add("հասցե չկա", error)) << error;  // Armenian: Unicode case folding
  ASSERT_TRUE(set.add("user unknown", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(set.size(), 3u);
  EXPECT_EQ(set.planned_at_build() + set.planned_at_load(), 2u);  // the Armenian one is not filtered
  EXPECT_EQ(matches(set, "550 User Unknown; Mailbox FULL"), (std::vector<int>{0, 2}));
  EXPECT_EQ(matches(set, "ՀԱՍՑԵ ՉԿԱ, mailbox full"), (std::vector<int>{0, 1}));
  EXPECT_TRUE(matches(set, "delivered").empty());
}

TEST(PatternSet, GreekAndLatinExtendedCapitalsAreComparedInLowerCase) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("γραμματοκιβώτιο( \\S+)? γεμάτο", error)) << error;
  ASSERT_TRUE(set.add("skrzynka jest przepełniona", error)) << error;
  ASSERT_TRUE(set.add("χρήστησ δεν υπάρχει", error)) << error;  // final sigma written as sigma
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(set.planned_at_build() + set.planned_at_load(), 3u);  // all filtered, none folded
  EXPECT_EQ(matches(set, "ΓΡΑΜΜΑΤΟΚΙΒΏΤΙΟ ΕΊΝΑΙ ΓΕΜΆΤΟ"), (std::vector<int>{0}));
  EXPECT_EQ(matches(set, "SKRZYNKA JEST PRZEPEŁNIONA"), (std::vector<int>{1}));
  EXPECT_EQ(matches(set, "Ο χρήστης δεν υπάρχει"), (std::vector<int>{2}));
  // A lead byte without its continuation is no letter: the byte after it
  // is lowered as itself.
  PatternSet ascii;
  ASSERT_TRUE(ascii.add("ab", error)) << error;
  ASSERT_TRUE(ascii.compile());
  EXPECT_EQ(matches(ascii, "x\xC4" "AB"), (std::vector<int>{0}));
}

TEST(PatternSet, CyrillicCapitalsAreComparedInLowerCase) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("ящик переполнен", error)) << error;
  ASSERT_TRUE(set.add("ёмкость исчерпана", error)) << error;
  ASSERT_TRUE(set.add("пользовател\\S* не найден", error)) << error;
  ASSERT_TRUE(set.add("ユーザーが存在しません", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(set.planned_at_build() + set.planned_at_load(), 4u);  // all filtered, none in the folding set
  EXPECT_EQ(matches(set, "Ящик ПЕРЕПОЛНЕН"), (std::vector<int>{0}));
  EXPECT_EQ(matches(set, "ЁМКОСТЬ Исчерпана"), (std::vector<int>{1}));  // Ё (U+0401) is lowered to ё (U+0451)
  EXPECT_EQ(matches(set, "550 ПОЛЬЗОВАТЕЛЬ НЕ НАЙДЕН"), (std::vector<int>{2}));
  EXPECT_EQ(matches(set, "宛先: ユーザーが存在しません"), (std::vector<int>{3}));
  // A capital at the very end, or cut off after its first byte.
  EXPECT_EQ(matches(set, "ящик переполнеН"), (std::vector<int>{0}));
  EXPECT_TRUE(matches(set, "ящик переполне\xD0").empty());
}

TEST(PatternSet, LatinOneCapitalsAreComparedInLowerCase) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("d[ée]lai (d[ée]pass[ée]|expir[ée])", error)) << error;
  ASSERT_TRUE(set.add("zeit(ü|ue)berschreitung", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "DÉLAI DÉPASSÉ"), (std::vector<int>{0}));
  EXPECT_EQ(matches(set, "Delai expire"), (std::vector<int>{0}));
  EXPECT_EQ(matches(set, "ZEITÜBERSCHREITUNG"), (std::vector<int>{1}));
  // The multiplication sign has no lower case: it stays as it is.
  EXPECT_TRUE(matches(set, "zeit×berschreitung").empty());
}

TEST(PatternSet, AShortTextAfterALongOneSeesOnlyItsOwnBytes) {
  // Each thread keeps its lower-cased copy and scratch from one text to the next.
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("quota exceeded", error)) << error;
  ASSERT_TRUE(set.add("user unknown", error)) << error;
  ASSERT_TRUE(set.add("ящик переполнен", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "QUOTA EXCEEDED for a user unknown here; ящик переполнен"), (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(matches(set, "QUOTA").empty());
  EXPECT_EQ(matches(set, "user Unknown"), (std::vector<int>{1}));
  EXPECT_TRUE(matches(set, "").empty());
}

TEST(PatternSet, ALatinOneCapitalAtEitherEndOfTheTextIsLowered) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add("échec", error)) << error;
  ASSERT_TRUE(set.add("bloqué", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "ÉCHEC"), (std::vector<int>{0}));
  EXPECT_EQ(matches(set, "BLOQUÉ"), (std::vector<int>{1}));
  EXPECT_TRUE(matches(set, "BLOQU\xc3").empty());  // a lead byte cut off at the end stays as it is
}

TEST(PatternSet, EveryAsciiByteIsLoweredAloneOrEightAtOnceAlike) {
  // Eight ASCII bytes are lowered at once, others one by one: every
  // printable byte, at every offset from an 8-byte boundary and after a
  // Latin-1 capital, must come out as lowering it alone would make it
  // ('@' and '[' lie next to 'A' and 'Z' and stay as they are).
  std::string printable;
  for (char c = ' '; c <= '~'; ++c) printable += c;
  std::string lowered = printable;
  for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add(RE2::QuoteMeta(lowered), error)) << error;
  ASSERT_TRUE(set.add("é" + RE2::QuoteMeta(lowered), error)) << error;
  ASSERT_TRUE(set.add(RE2::QuoteMeta(printable.substr(0, 33)), error)) << error;  // " " to "@"
  ASSERT_TRUE(set.compile());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    const std::string pad(offset, 'x');
    EXPECT_EQ(matches(set, pad + printable), (std::vector<int>{0, 2})) << offset;
    EXPECT_EQ(matches(set, pad + "\xc3\x89" + printable), (std::vector<int>{0, 1, 2})) << offset;
    EXPECT_EQ(matches(set, pad + lowered), (std::vector<int>{0, 2})) << offset;
  }
}

TEST(PatternSet, RefusesUpperCaseLettersThatCouldNeverMatch) {
  PatternSet set;
  std::string error;
  EXPECT_FALSE(set.add("User unknown", error));
  EXPECT_NE(error.find("lower case"), std::string::npos) << error;
  EXPECT_FALSE(set.add("DÉLAI", error));
  // Escapes and class names are not letters to match.
  EXPECT_TRUE(set.add(R"(\S+ \D\W \p{Lu}\pL unknown)", error)) << error;
  // A pattern added for its captures may carry capitals: it folds case.
  EXPECT_TRUE(set.add("blocked using ([A-Za-z0-9.-]+)", error, true)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "Client host blocked using ZEN.spamhaus.org"), (std::vector<int>{1}));
}

TEST(PatternSet, UpperCaseLiteralDetection) {
  EXPECT_TRUE(has_upper_case_literal("Mailbox"));
  EXPECT_TRUE(has_upper_case_literal("[A-Z]"));
  EXPECT_TRUE(has_upper_case_literal("Ü"));
  EXPECT_FALSE(has_upper_case_literal("ü×"));
  EXPECT_FALSE(has_upper_case_literal(R"(\S\W\D\B\A\z)"));
  EXPECT_FALSE(has_upper_case_literal(R"(\p{Greek}\P{Lu}\pN)"));
  EXPECT_FALSE(has_upper_case_literal("ПОЧТА"));  // beyond Latin-1: matched folding case
}

TEST(PatternSet, PatternsWithoutALongLiteralAreAlwaysTried) {
  PatternSet set;
  std::string error;
  ASSERT_TRUE(set.add(R"(\d{3} \d\.\d\.\d)", error)) << error;  // looked for as " 0." to " 9."
  ASSERT_TRUE(set.add("no (such|valid) (user|mailbox)", error)) << error;
  ASSERT_TRUE(set.add("ab|x", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "550 5.1.1 no such user"), (std::vector<int>{0, 1}));
  EXPECT_EQ(matches(set, "No valid user: X"), (std::vector<int>{1, 2}));
  EXPECT_TRUE(matches(set, "no such person").empty());
  EXPECT_EQ(set.tried_on_every_text(), std::vector<std::string>{"ab|x"});
}

// A text with the words of a great many patterns is not a report: it is
// read for none of them, so that it cannot multiply the work.
TEST(PatternSet, ATextWithTheWordsOfTooManyPatternsMatchesNone) {
  PatternSet set;
  std::string error;
  const std::size_t patterns = PatternSet::kMaxCandidates + 1;
  std::string all_words;
  for (std::size_t i = 0; i < patterns; ++i) {
    const std::string word = "word" + std::to_string(i) + "x";
    ASSERT_TRUE(set.add(word + " (is|was) refused", error)) << error;
    all_words += word + " was refused; ";
  }
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "word7x is refused, word12x was refused"), (std::vector<int>{7, 12}));
  EXPECT_TRUE(matches(set, all_words).empty());
  // At the limit, every pattern is still tried.
  const std::string but_one = all_words.substr(all_words.find(';') + 2);
  EXPECT_EQ(matches(set, but_one).size(), PatternSet::kMaxCandidates);
}

TEST(PatternSet, AnEmptySetMatchesNothing) {
  PatternSet set;
  ASSERT_TRUE(set.compile());
  EXPECT_TRUE(matches(set, "user unknown").empty());
}

TEST(PatternSet, ReportsBadPatterns) {
  PatternSet set;
  std::string error;
  EXPECT_FALSE(set.add("(unclosed", error));
  EXPECT_NE(error.find("missing )"), std::string::npos) << error;
  EXPECT_FALSE(set.add("(незакрыто", error));
  EXPECT_FALSE(error.empty());
  ASSERT_TRUE(set.add("user unknown", error)) << error;
  ASSERT_TRUE(set.compile());
  EXPECT_EQ(matches(set, "User unknown"), (std::vector<int>{0}));
}

}  // namespace
