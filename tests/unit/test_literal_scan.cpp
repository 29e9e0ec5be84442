// The literal scanner that gates the readers' wording regexes, and the
// gates themselves: a gate may only spare a regex that cannot match.
#include <gtest/gtest.h>

#include <string>

#include "dsn/fields.hpp"
#include "dsn/literal_scan.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::detail::LiteralScan;

const LiteralScan& scanner() {
  static const LiteralScan scan({"virus", "spam", "spam arrest", "this is a warning", "you are "});
  return scan;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A qmail bounce for bob@example.net whose text ends with `footer`.
std::string qmail_bounce_with(const std::string& footer) {
  return "From: MAILER-DAEMON@mail.example.net\nTo: alice@example.com\nSubject: failure notice\n\n"
         "Hi. This is the qmail-send program at mail.example.net.\n"
         "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
         "<bob@example.net>:\n550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown\n\n" +
         footer;
}

}  // namespace

TEST(LiteralScan, FindsEachLiteralInAnyCaseAndNoOther) {
  EXPECT_EQ(scanner().find("no such words here at all"), 0u);
  EXPECT_EQ(scanner().find("A VIRUS was found"), 1u << 0);
  EXPECT_EQ(scanner().find("SpAm"), 1u << 1);
  // Two literals that start alike are both looked at.
  EXPECT_EQ(scanner().find("blocked by Spam Arrest"), (1u << 1) | (1u << 2));
  EXPECT_EQ(scanner().find("This is a warning; you are late"), (1u << 3) | (1u << 4));
  // A literal cut off by the end of the text is not there.
  EXPECT_EQ(scanner().find("this is a warnin"), 0u);
  EXPECT_EQ(scanner().find("vir"), 0u);
  EXPECT_EQ(scanner().find(""), 0u);
}

TEST(LiteralScan, NoSkipPassesOverALiteral) {
  // The window moves on by up to three bytes: a literal at any offset,
  // after any filler, at the start or at the end, is still seen.
  for (const std::string filler : {"", "x", "xy", "xyz", "qqqq", "irus ", "spa", "vi"}) {
    for (std::size_t offset = 0; offset < 8; ++offset) {
      const std::string text = std::string(offset, '-') + filler + "virus";
      EXPECT_EQ(scanner().find(text), 1u) << text;
      EXPECT_EQ(scanner().find(text + " and more text"), 1u) << text;
    }
  }
}

TEST(LiteralScan, BytesThatHashAlikeAreStillCompared) {
  // A window's case is folded by setting bit 0x20 of each byte, which also
  // merges '@' with '`' and 0x1A with ':': those must not count as found.
  const LiteralScan scan({"smtp:", "@dom"});
  EXPECT_EQ(scan.find("SMTP: 550"), 1u << 0);
  EXPECT_EQ(scan.find("smtp\x1a 550"), 0u);
  EXPECT_EQ(scan.find("a@DOM"), 1u << 1);
  EXPECT_EQ(scan.find("a`dom"), 0u);
}

TEST(LiteralScan, RejectsLiteralsItCannotLookFor) {
  EXPECT_THROW(LiteralScan({"abc"}), std::invalid_argument);
  EXPECT_THROW(LiteralScan(std::vector<std::string_view>(65, "abcd")), std::invalid_argument);
}

TEST(LiteralScan, CostIsLinearInTheText) {
  // 16 MB where every window stops on a head and compares two literals:
  // a scan that compared more than those would take many seconds.
  std::string text;
  for (std::size_t i = 0; i < (16u << 20) / 4; ++i) text += "spam";
  EXPECT_EQ(scanner().find(text), 1u << 1);
}

TEST(LiteralScan, SeesLettersThatCaselessRegexesTakeForAscii) {
  EXPECT_FALSE(LiteralScan::has_ascii_case_variant("plain ascii, or caf\xC3\xA9"));
  EXPECT_TRUE(LiteralScan::has_ascii_case_variant("viru\xC5\xBF"));         // U+017F, long s
  EXPECT_TRUE(LiteralScan::has_ascii_case_variant("\xE2\x84\xAA" "elvin"));  // U+212A, Kelvin sign
  EXPECT_FALSE(LiteralScan::has_ascii_case_variant("\xE2\x84\xA2 \xC5\xBE"));  // trade mark sign, z caron
}

TEST(WordingGates, BannerIsRemovedWhateverTheCaseOfItsWords) {
  for (const std::string banner : {"This email has been scanned for viruses by Example AV.\n",
                                   "THIS EMAIL HAS BEEN SCANNED FOR VIRUSES BY EXAMPLE AV.\n",
                                   // "viru\u017Fes": a caseless regex reads the long s as 's'.
                                   "This email has been scanned for viru\xC5\xBF" "es by Example AV.\n"}) {
    const auto report = analyse(qmail_bounce_with(banner));
    ASSERT_EQ(report.recipients.size(), 1u) << banner;
    EXPECT_FALSE(contains(report.recipients[0].context, "Example AV")) << report.recipients[0].context;
  }
}

TEST(WordingGates, TextWithoutABannersWordsKeepsEveryParagraph) {
  const auto report = analyse(qmail_bounce_with("Sent through the Example relay.\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_TRUE(contains(report.recipients[0].context, "Example relay")) << report.recipients[0].context;
}

TEST(WordingGates, DelayWordingIsFoundInAnyCase) {
  for (const std::string words : {"This is a warning only.\n", "THIS IS A WARNING ONLY.\n",
                                  "Delivery attempts will continue.\n"}) {
    const auto report = analyse(qmail_bounce_with(words));
    ASSERT_EQ(report.recipients.size(), 1u) << words;
    EXPECT_EQ(report.recipients[0].action, "delayed") << words;
  }
  const auto report = analyse(qmail_bounce_with("Nothing more will be tried.\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].action, "failed");
}

namespace {

std::string command_of(const std::string& diagnostic) {
  clearbounce::dsn::RecipientReport r;
  r.diagnostic = diagnostic;
  clearbounce::dsn::detail::complete_from_diagnostic(r);
  return r.smtp_command;
}

}  // namespace

TEST(WordingGates, CommandIsReadAfterEachOfItsMarkers) {
  // Each way the command regex starts, present or absent.
  EXPECT_EQ(command_of("host mx.example.net said: 550 unknown (in reply to RCPT TO command)"), "RCPT");
  EXPECT_EQ(command_of("550 rejected AFTER end of data"), "DATA");
  EXPECT_EQ(command_of("while sending MAIL FROM: 451 try later"), "MAIL");
  EXPECT_EQ(command_of(">>> DATA\n<<< 554 rejected"), "DATA");
  EXPECT_EQ(command_of("mx.example.net did not like our HELO"), "HELO");
  EXPECT_EQ(command_of("SMTP: rcpt to rejected"), "RCPT");
  EXPECT_EQ(command_of("[connect] refused"), "CONN");
  // "did not li\u212Ae our": the Kelvin sign is a 'k' to a caseless regex.
  EXPECT_EQ(command_of("mx.example.net did not li\xE2\x84\xAA" "e our EHLO"), "EHLO");
  // No marker: no command, and the one fallback wording still counts.
  EXPECT_EQ(command_of("550 5.1.1 user unknown, rcpt rejected"), "");
  EXPECT_EQ(command_of("192.0.2.25 does not like recipient."), "RCPT");
}
