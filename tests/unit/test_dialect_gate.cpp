// The gated dialect search (a literal automaton says which signature
// alternatives' words occur; only those regexes run) against the signature
// set that reads every text whole: the same dialect on every input, tricky
// ones included. And the automaton against a plain search.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "dsn/dialect_gate.hpp"
#include "dsn/fields.hpp"
#include "dsn/literal_automaton.hpp"
#include "dsn/plain.hpp"
#include "every_string.hpp"

namespace {

using clearbounce::dsn::detail::detect_dialect;
using clearbounce::dsn::detail::detect_dialect_by_set;
using clearbounce::dsn::detail::LiteralAutomaton;
using clearbounce::dsn::detail::scan_wording;

// What LiteralAutomaton promises, read plainly: ASCII case ignored, every
// other byte as it is.
bool occurs(std::string_view text, std::string_view literal) {
  const auto same = [](char t, char l) {
    return clearbounce::dsn::detail::ascii_lower(t) == clearbounce::dsn::detail::ascii_lower(l);
  };
  for (std::size_t i = 0; i + literal.size() <= text.size(); ++i) {
    std::size_t k = 0;
    while (k < literal.size() && same(text[i + k], literal[k])) ++k;
    if (k == literal.size()) return true;
  }
  return false;
}

void expect_same_dialect(const std::string& text, const std::string& subject = "", const std::string& failed = "") {
  const std::string by_set = detect_dialect_by_set(text, subject, failed);
  EXPECT_EQ(detect_dialect(text, subject, failed), by_set) << text;
  // The words scan_wording() found stand in for a second read of the text.
  EXPECT_EQ(detect_dialect(text, subject, failed, scan_wording(text)), by_set) << text;
  EXPECT_EQ(detect_dialect(text, subject, failed, scan_wording(text), scan_wording(subject)), by_set) << text;
}

// Phrases of every signature's alternatives, as servers write them.
const std::vector<std::string>& phrases() {
  static const std::vector<std::string> all = {
      "This is the Postfix program at host mx.example.net.",
      "This is the mail system at host mx.example.net.",
      "Postfix SMTP server: errors from client.example.org",
      "Hi. This is the qmail-send program at example.net.",
      "I'm afraid I wasn't able to deliver your message to the following addresses.",
      "This is the DragonFly Mail Agent",
      "This is the MAILER-DAEMON, please do not reply to this e-mail.",
      "An error has occurred while attempting to deliver a message",
      "A message is delayed for more than 4 hours",
      "This message was created automatically by mail delivery software.",
      "This message was created automatically by the SMTP relay on mx",
      "A message that you sent could not be delivered to one or more of its recipients.",
      "A message that you have sent has not yet been delivered",
      "A message that you sent contained one or more recipient addresses that were incorrectly",
      "The following addresses had permanent fatal errors -----",
      "The following addresses had delivery problems",
      "   ----- Transcript of session follows -----",
      "-----transcript of session follows",
      "The original message was received at Mon, 1 Jan 2024",
      "Delivery to the following recipient failed permanently:",
      "Delivery to the following recipients has been delayed.",
      "Technical details of permanent failure:",
      "Technical details of temporary failure:",
      "** Message not delivered **",
      "** Address not found **",
      "The group you tried to contact (team) may not exist",
      "googlegroups.com",
      "Sorry, we were unable to deliver your message to the following address.",
      "Your message did not reach the following recipient",
      "Delivery has failed to these recipients or groups:",
      "Your message couldn't be delivered",
      "Your message wasn't delivered",
      "Your message could not be delivered",
      "Your message was not been delivered",
      "Diagnostic information for administrators:",
      "Your message was not delivered to: bob@example.net",
      "------- Failure Reasons --------",
      "An error occurred while trying to deliver the mail to the following recipients:",
      "\"notificationType\" : \"Bounce\"",
      "\"notificationType\":\"Delivery\"",
      "The following message to <bob@example.net> was undeliverable.",
      "This report relates to a message you sent with the following header fields:",
      "\xD0\xAD\xD1\x82\xD0\xBE \xD0\xBF\xD0\xB8\xD1\x81\xD1\x8C\xD0\xBC\xD0\xBE "
      "\xD1\x81\xD0\xBE\xD0\xB7\xD0\xB4\xD0\xB0\xD0\xBD\xD0\xBE "
      "\xD0\xB0\xD0\xB2\xD1\x82\xD0\xBE\xD0\xBC\xD0\xB0\xD1\x82\xD0\xB8\xD1\x87\xD0\xB5\xD1\x81\xD0\xBA\xD0\xB8",
      "Unable to deliver message to the following address(es).",
      "Your mail message to the following address(es) could not be delivered.",
      "We had trouble delivering your message.",
      "The server returned permanent errors",
      "Body of message generated response:",
      "Delivery failed 3 attempts",
      "User mailbox exceeds allowed size",
      "Undeliverable to bob@example.net",
      "could not be delivered to: <bob@example.net>",
      "Unable to deliver message to: <bob@example.net>",
      "Delivery failed for the following reason:",
      "Message could not be delivered to mobile.",
      "You are not a member of this mailing list",
      "You are not a member of this list",
      "Duplicated Message-ID",
      "Each of the following recipients was rejected by a remote mail server.",
      "\xE9\x80\x81\xE4\xBF\xA1\xE3\x81\xA7\xE3\x81\x8D\xE3\x81\xBE\xE3\x81\x9B\xE3\x82\x93\xE3\x81\xA7\xE3\x81\x97"
      "\xE3\x81\x9F",
      "The user(s) account is disabled.",
      "m-filter",
  };
  return all;
}

// Ways a phrase may be written that its regex still reads, or no longer
// does: other case, other white space, letters a caseless regex folds to
// ASCII ones, a word cut short.
std::vector<std::string> variants(const std::string& phrase) {
  std::vector<std::string> out = {phrase, clearbounce::dsn::detail::to_lower(phrase)};
  std::string upper = phrase, spaced, folded_s, folded_k, cut = phrase.substr(0, phrase.size() - 1);
  for (char& c : upper) c = clearbounce::dsn::detail::ascii_upper(c);
  for (const char c : phrase) spaced += c == ' ' ? std::string(" \t\r\n  ") : std::string(1, c);
  for (const char c : phrase) folded_s += (c == 's' || c == 'S') ? std::string("\xC5\xBF") : std::string(1, c);
  for (const char c : phrase) folded_k += (c == 'k' || c == 'K') ? std::string("\xE2\x84\xAA") : std::string(1, c);
  // '_' and a vertical tab are no white space to a regex's \s, a form feed is.
  std::string joined = phrase, vertical = phrase, form_feed = phrase;
  for (std::size_t i = 0; i < phrase.size(); ++i)
    if (phrase[i] == ' ') joined[i] = '_', vertical[i] = '\v', form_feed[i] = '\f';
  out.insert(out.end(), {upper, spaced, folded_s, folded_k, cut, joined, vertical, form_feed});
  return out;
}

}  // namespace

TEST(LiteralAutomaton, AgreesWithAPlainSearchOnEveryShortText) {
  const std::vector<std::string> literals = {"ab", "bab", "b a", "aab", "\xC3" "a", "Ba", "a", "\xC3\xA9"};
  const LiteralAutomaton automaton(literals);
  clearbounce::test::for_each_string(std::string("aAb \xC3\xA9"), 7, [&](const std::string& text) {
    const auto found = automaton.find(text);
    for (std::size_t i = 0; i < literals.size(); ++i) EXPECT_EQ(found.test(i), occurs(text, literals[i])) << text;
  });
}

TEST(LiteralAutomaton, AgreesWithAPlainSearchOnLongRandomTexts) {
  const std::vector<std::string> literals = {"message", "mess", "sage", "age", "delivered", "to:", "**", "mailer-daemon,"};
  const LiteralAutomaton automaton(literals);
  std::mt19937 random(7);
  const std::string alphabet = "mesagMESAG delivrDT:o*,-n\xD0";
  for (int round = 0; round < 2000; ++round) {
    // Long texts are read in stretches side by side: lengths on both sides of that.
    const std::size_t length = random() % 1200;
    std::string text;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    const auto found = automaton.find(text);
    for (std::size_t i = 0; i < literals.size(); ++i) EXPECT_EQ(found.test(i), occurs(text, literals[i])) << text;
  }
}

TEST(LiteralAutomaton, FindsALiteralWhereverItStandsInALongText) {
  // Wherever a long text is cut into stretches read side by side, a
  // literal across the cut is still found, and nothing else is.
  const std::vector<std::string> literals = {"delivered", "to:", "Mailer-Daemon,", "z"};
  const LiteralAutomaton automaton(literals);
  for (std::size_t length = 150; length <= 700; length += 61) {
    for (std::size_t i = 0; i < literals.size(); ++i) {
      for (std::size_t at = 0; at + literals[i].size() <= length; ++at) {
        std::string text(length, '.');
        text.replace(at, literals[i].size(), literals[i]);
        const auto found = automaton.find(text);
        EXPECT_TRUE(found.test(i)) << literals[i] << " at " << at << " of " << length;
        EXPECT_EQ(found.count(), 1u) << literals[i] << " at " << at << " of " << length;
      }
    }
  }
}

TEST(LiteralAutomaton, RefusesWhatItCannotLookFor) {
  EXPECT_THROW(LiteralAutomaton({""}), std::invalid_argument);
  EXPECT_THROW(LiteralAutomaton(std::vector<std::string>(LiteralAutomaton::kMaxLiterals + 1, "x")), std::invalid_argument);
}

TEST(DialectGate, BuiltinTablesAreTheOnesWorkedOutFromTheWordingTables) {
  // The build writes the gate out as constants; read back, they are the
  // gate worked out here from the same tables, entry by entry.
  using clearbounce::dsn::detail::GateAlternative;
  using clearbounce::dsn::detail::GateSpelling;
  const clearbounce::dsn::detail::GateBuild build;
  const clearbounce::dsn::detail::GateTables worked_out = build.tables();
  const clearbounce::dsn::detail::GateTables& builtin = clearbounce::dsn::detail::kBuiltinGate;
  EXPECT_EQ(*builtin.column_of, *worked_out.column_of);
  EXPECT_EQ(builtin.columns, worked_out.columns);
  EXPECT_TRUE(std::ranges::equal(builtin.next, worked_out.next));
  EXPECT_EQ(builtin.first_accepting_row, worked_out.first_accepting_row);
  EXPECT_TRUE(std::ranges::equal(builtin.ends, worked_out.ends));
  EXPECT_EQ(builtin.longest_word, worked_out.longest_word);
  EXPECT_TRUE(std::ranges::equal(builtin.alternatives, worked_out.alternatives,
                                 [](const GateAlternative& a, const GateAlternative& b) {
                                   return a.dialect == b.dialect && a.pattern == b.pattern && a.phrases == b.phrases;
                                 }));
  EXPECT_TRUE(std::ranges::equal(builtin.spellings, worked_out.spellings,
                                 [](const GateSpelling& a, const GateSpelling& b) {
                                   return a.alternative == b.alternative && a.longest_word == b.longest_word &&
                                          a.words == b.words && a.needs_non_ascii == b.needs_non_ascii;
                                 }));
  EXPECT_EQ(builtin.without_words, worked_out.without_words);
  EXPECT_EQ(builtin.only_non_ascii, worked_out.only_non_ascii);
  EXPECT_EQ(builtin.banner, worked_out.banner);
  EXPECT_EQ(builtin.challenge, worked_out.challenge);
  EXPECT_EQ(builtin.delay, worked_out.delay);
  EXPECT_EQ(builtin.ascii_case_variants, worked_out.ascii_case_variants);
  // Not empty: every signature has an alternative, most have words.
  EXPECT_GE(builtin.alternatives.size(), 24u);
  EXPECT_FALSE(builtin.spellings.empty());
  EXPECT_TRUE(builtin.banner.found().any());
}

TEST(DialectGate, WordSetsRoundTripThroughTheirThreeWords) {
  using clearbounce::dsn::detail::GateWordSet;
  for (const std::size_t bit : {0u, 1u, 63u, 64u, 100u, 127u, 128u, 191u}) {
    LiteralAutomaton::Found one;
    one.set(bit);
    const GateWordSet set = GateWordSet::of(one);
    EXPECT_EQ(set.bits[bit / 64], std::uint64_t{1} << (bit % 64)) << bit;
    EXPECT_EQ(set.found(), one) << bit;
  }
}

TEST(DialectGate, EveryPhraseAndItsVariantsGiveWhatTheSetGives) {
  for (const std::string& phrase : phrases()) {
    for (const std::string& variant : variants(phrase)) {
      expect_same_dialect(variant);
      expect_same_dialect("Some words first.\n\n" + variant + "\nand after.\n");
      expect_same_dialect("nothing here", variant);               // the Subject
      expect_same_dialect("nothing here", "Undelivered", variant);  // X-Failed-Recipients
    }
  }
}

TEST(DialectGate, TwoPhrasesInEitherOrderGiveTheFirstFamilyInTableOrder) {
  const auto& all = phrases();
  for (std::size_t i = 0; i < all.size(); ++i)
    for (std::size_t j = 0; j < all.size(); j += 3) {
      expect_same_dialect(all[i] + "\n\n" + all[j]);
      expect_same_dialect(all[j] + " " + all[i], all[i]);
    }
}

TEST(DialectGate, TextsWithTheWordsButNotThePhrasesGiveWhatTheSetGives) {
  // Every word the gate looks for, out of order: many candidates, no match;
  // past a few failed tries the set decides.
  std::string words;
  for (const std::string& phrase : phrases()) words = phrase + " | " + words;
  std::string shuffled;
  for (std::size_t i = 0; i < words.size(); ++i) shuffled += words[(i * 7919) % words.size()];
  expect_same_dialect(shuffled);
  expect_same_dialect(std::string(200000, 'x') + shuffled);
  for (const std::string& phrase : phrases()) expect_same_dialect(variants(phrase)[6] + " " + phrase.substr(0, 12));
}

TEST(DialectGate, SharedCorpusGivesWhatTheSetGives) {
  const std::filesystem::path corpus = std::filesystem::path(CLEARBOUNCE_SHARED_DIR) / "corpus/sisimai/eml";
  if (!std::filesystem::exists(corpus)) GTEST_SKIP() << "no shared corpus";
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    expect_same_dialect(text.str());
  }
}

namespace {

// The UTF-8 bytes of `c`, a code point from U+0080 on (not a surrogate).
std::string utf8_of(char32_t c) {
  if (c < 0x800) return {static_cast<char>(0xC0 | (c >> 6)), static_cast<char>(0x80 | (c & 0x3F))};
  if (c < 0x10000)
    return {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
            static_cast<char>(0x80 | (c & 0x3F))};
  return {static_cast<char>(0xF0 | (c >> 18)), static_cast<char>(0x80 | ((c >> 12) & 0x3F)),
          static_cast<char>(0x80 | ((c >> 6) & 0x3F)), static_cast<char>(0x80 | (c & 0x3F))};
}

}  // namespace

TEST(DialectGate, OnlyTwoNonAsciiLettersReadAsAsciiOnesInACaselessRegex) {
  // The gate compares its words as ASCII and leaves texts with U+017F or
  // U+212A to the set: no other character may stand for an ASCII letter.
  static const RE2 ascii_letter("(?i)[a-z]");
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const std::string utf8 = utf8_of(c);
    if (RE2::FullMatch(utf8, ascii_letter)) {
      EXPECT_TRUE(c == 0x17F || c == 0x212A) << std::hex << static_cast<std::uint32_t>(c);
    }
  }
}

TEST(DialectGate, KanaAndIdeographsHaveNoOtherCase) {
  // A signature word of U+3000-U+9FFF is looked for as written: true only
  // when a caseless regex matches each of its characters only as it is.
  static const RE2 block("(?i)[\\x{3000}-\\x{9FFF}]");
  for (char32_t c = 0x80; c <= 0x10FFFF; ++c) {
    if (c >= 0xD800 && c <= 0xDFFF) continue;
    const std::string utf8 = utf8_of(c);
    EXPECT_EQ(RE2::FullMatch(utf8, block), c >= 0x3000 && c <= 0x9FFF) << std::hex << static_cast<std::uint32_t>(c);
  }
  // Within the block, no character stands for another: each of the
  // Japanese signature's characters matches itself and no neighbour.
  for (char32_t c = 0x3000; c <= 0x9FFF; c += 97) {
    const std::string utf8 = {static_cast<char>(0xE0 | (c >> 12)), static_cast<char>(0x80 | ((c >> 6) & 0x3F)),
                              static_cast<char>(0x80 | (c & 0x3F))};
    const RE2 caseless("(?i)" + RE2::QuoteMeta(utf8));
    for (char32_t d = 0x3000; d <= 0x9FFF; d += 1)
      if (d != c) {
        const std::string other = {static_cast<char>(0xE0 | (d >> 12)), static_cast<char>(0x80 | ((d >> 6) & 0x3F)),
                                   static_cast<char>(0x80 | (d & 0x3F))};
        if (RE2::FullMatch(other, caseless)) ADD_FAILURE() << std::hex << static_cast<std::uint32_t>(c);
      }
  }
}

TEST(DialectGate, TheSignaturesNonAsciiLettersHaveNoAsciiCaseForm) {
  // A signature word of other non-ASCII letters makes the gate ask for
  // some non-ASCII byte: true only when no ASCII character matches them.
  std::string letters;  // the Cyrillic and the Japanese signatures' letters
  for (const std::string& phrase : phrases()) letters += phrase;
  for (std::size_t i = 0; i < letters.size();) {
    std::size_t length = 1;
    while (i + length < letters.size() && (static_cast<unsigned char>(letters[i + length]) & 0xC0) == 0x80) ++length;
    const std::string letter = letters.substr(i, length);
    i += length;
    if (letter.size() == 1) continue;
    const RE2 caseless("(?i)" + RE2::QuoteMeta(letter));
    for (int ascii = 0; ascii < 0x80; ++ascii)
      EXPECT_FALSE(RE2::FullMatch(std::string(1, static_cast<char>(ascii)), caseless)) << letter;
  }
}
