// Shortcuts the report readers take (dsn/report.cpp, dsn/dialects.cpp,
// dsn/delivery_status.cpp): each must give what the plain way gives, on
// every short string over the bytes that matter and on tricky input.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "dsn/fields.hpp"
#include "dsn/literal_scan.hpp"
#include "dsn/plain.hpp"
#include "dsn/smtp_mentions.hpp"
#include "every_string.hpp"

namespace {

using clearbounce::dsn::detail::icontains;
using clearbounce::dsn::detail::LiteralSearch;
using clearbounce::test::for_each_string;

}  // namespace

TEST(LiteralSearch, AgreesWithIcontainsOnEveryShortString) {
  // Needles that overlap themselves, repeat a pair, or are two bytes long:
  // a wrong shift would pass over an occurrence.
  for (const std::string needle : {"abab", "aab", "ab", "abcab", "a-b-"}) {
    const LiteralSearch search(needle);
    for_each_string("abAB-c", 8, [&](const std::string& text) {
      ASSERT_EQ(search.occurs_in(text), icontains(text, needle)) << needle << " in " << text;
    });
  }
}

TEST(LiteralSearch, AgreesWithIcontainsAroundTheReportTypeName) {
  // The name the raw message is searched for, whole, cut, in any case and
  // with each byte changed, at every offset in fillers made of its bytes.
  const std::string name = "delivery-status";
  const LiteralSearch search(name);
  std::vector<std::string> pieces = {name, "DELIVERY-STATUS", "Delivery-Status", "message/global-delivery-status"};
  for (std::size_t i = 0; i < name.size(); ++i) {
    pieces.push_back(name.substr(0, i));
    pieces.push_back(name.substr(i));
    for (const char c : {'x', '-', 's', 'y', 'e'}) {
      std::string changed = name;
      changed[i] = c;
      pieces.push_back(changed);
    }
  }
  std::mt19937 random(10);
  const std::string filler_bytes = "deliverysatu- yy--ss\n";
  for (const std::string& piece : pieces) {
    for (std::size_t offset = 0; offset < 20; ++offset) {
      std::string before, after;
      for (std::size_t i = 0; i < offset; ++i) before.push_back(filler_bytes[random() % filler_bytes.size()]);
      for (std::size_t i = 0; i < 7; ++i) after.push_back(filler_bytes[random() % filler_bytes.size()]);
      for (const std::string& text : {before + piece, piece + after, before + piece + after}) {
        ASSERT_EQ(search.occurs_in(text), icontains(text, name)) << text;
      }
    }
  }
}

TEST(LiteralSearch, RejectsWhatItCannotLookFor) {
  EXPECT_THROW(LiteralSearch("a"), std::invalid_argument);
  EXPECT_THROW(LiteralSearch(std::string(256, 'a')), std::invalid_argument);
  EXPECT_THROW(LiteralSearch("caf\xC3\xA9"), std::invalid_argument);
}

TEST(LiteralSearch, CostIsLinearInTheText) {
  // 32 MB where every window ends on a pair of the needle's: each is
  // compared once and moved on by one. A search that went back would take
  // many seconds.
  const LiteralSearch search("aaaaaaab");
  const std::string text(32u << 20, 'a');
  EXPECT_FALSE(search.occurs_in(text));
  EXPECT_TRUE(search.occurs_in(text + "b"));
}

namespace {

// The plain reading find_byte_in_range stands in for.
std::size_t first_in_range_bytewise(std::string_view text, std::size_t from, char low, char high) {
  while (from < text.size() && !(text[from] >= low && text[from] <= high)) ++from;
  return from;
}

}  // namespace

TEST(FindByteInRange, AgreesWithAByteByByteLookOnEveryShortString) {
  using clearbounce::dsn::detail::find_byte_in_range;
  // The bytes next to each end of the ranges, and non-ASCII ones, whose
  // high bit the eight-at-once tests must not take for a digit's.
  for_each_string("/05:9\xB0\xFF", 7, [](const std::string& text) {
    for (std::size_t from = 0; from <= text.size(); ++from) {
      ASSERT_EQ(find_byte_in_range(text, from, '0', '9'), first_in_range_bytewise(text, from, '0', '9')) << text;
      ASSERT_EQ(find_byte_in_range(text, from, '2', '5'), first_in_range_bytewise(text, from, '2', '5')) << text;
    }
  });
}

TEST(FindByteInRange, AgreesOnLongerTextsWhereMarksFollowEachOther) {
  // Past eight bytes the look is a word at a time: a borrow from one byte
  // may mark the next wrongly, so texts with many marks in a row.
  using clearbounce::dsn::detail::find_byte_in_range;
  std::mt19937 random(5);
  const std::string bytes = "/0123456789:;\x7F\x80\xC3 a";
  for (int round = 0; round < 20000; ++round) {
    std::string text(1 + random() % 40, ' ');
    for (char& c : text) c = bytes[random() % bytes.size()];
    for (std::size_t from = 0; from <= text.size(); from += 1 + random() % 5) {
      ASSERT_EQ(find_byte_in_range(text, from, '0', '9'), first_in_range_bytewise(text, from, '0', '9')) << text;
      ASSERT_EQ(find_byte_in_range(text, from, '2', '5'), first_in_range_bytewise(text, from, '2', '5')) << text;
      ASSERT_EQ(find_byte_in_range(text, from, ':', ':'), first_in_range_bytewise(text, from, ':', ':')) << text;
    }
  }
}

namespace {

// Calls `check` with every sequence of up to `max_tokens` of `tokens`, joined.
void for_each_joining(const std::vector<std::string>& tokens, std::size_t max_tokens,
                      const std::function<void(const std::string&)>& check) {
  std::string alphabet;
  for (std::size_t i = 0; i < tokens.size(); ++i) alphabet.push_back(static_cast<char>('A' + i));
  for_each_string(alphabet, max_tokens, [&](const std::string& indices) {
    std::string text;
    for (const char i : indices) text += tokens[static_cast<std::size_t>(i - 'A')];
    check(text);
  });
}

std::string command_by_regex(const std::string& text) {
  static const RE2 regex(clearbounce::dsn::detail::command_pattern());
  std::string command;
  return RE2::PartialMatch(text, regex, &command) ? command : "<none>";
}

std::string command_by_scanner(const std::string& text) {
  const auto found = clearbounce::dsn::detail::command_mention(text);
  return found ? std::string(*found) : "<none>";
}

std::string server_by_regex(const std::string& text) {
  using clearbounce::dsn::detail::kServerPattern;
  static const RE2 regex(re2::StringPiece(kServerPattern.data(), kServerPattern.size()));
  std::string host, ip;
  return RE2::PartialMatch(text, regex, &host, &ip) ? host + " " + ip : "<none>";
}

std::string server_by_scanner(const std::string& text) {
  const auto found = clearbounce::dsn::detail::server_mention(text);
  return found ? std::string(found->host) + " " + std::string(found->ip) : "<none>";
}

}  // namespace

TEST(SmtpMentions, CommandScannerAgreesWithItsRegex) {
  // Openings, commands that are prefixes of others, word ends and blanks.
  const std::vector<std::string> tokens = {"in reply to", "AFTER", ">>>", "[", "smtp:", " ",  "\n", "rcpt",
                                           " to",         "_to",   "data", "x", "connect", "ion", "-",  "mail"};
  for_each_joining(tokens, 4, [](const std::string& text) {
    ASSERT_EQ(command_by_scanner(text), command_by_regex(text)) << text;
  });
  for (const std::string text : {"did not like our   HELO", "while sending\r\n\tMessage body", "after end of data.",
                                  "Did Not Like Our ehlo_", "after final data,after initial connection",
                                  "in reply to RCPT_TO", ">>> STARTTLS1 >>> AUTH"}) {
    EXPECT_EQ(command_by_scanner(text), command_by_regex(text)) << text;
  }
}

TEST(SmtpMentions, ServerScannerAgreesWithItsRegex) {
  const std::vector<std::string> tokens = {"host", "Connect to", "connection with", "g", " ",  "\n", "mx",
                                           ".",    "-",          "[",               "]", "1", "f:", "conversation with"};
  for_each_joining(tokens, 5, [](const std::string& text) {
    ASSERT_EQ(server_by_scanner(text), server_by_regex(text)) << text;
  });
  for (const std::string text : {"host mx.example.net[192.0.2.1] said", "ghost mx.example.net[192.0.2.1]",
                                 "connect to mx.example.net [2001:db8::1]:25", "host a[1] host bb[2]",
                                 "host mx.[1] host mx-2.example [1.2]", "_host mx[1]", "HOST\tmx\n[ab]"}) {
    EXPECT_EQ(server_by_scanner(text), server_by_regex(text)) << text;
  }
}

TEST(SmtpMentions, ScannersCostIsLinearInTheText) {
  // Openings and brackets over and over, none completing a match: a
  // scanner that read on from each one again would take many seconds.
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "host a [ after \n>>> [1";
  EXPECT_FALSE(clearbounce::dsn::detail::command_mention(text));
  EXPECT_FALSE(clearbounce::dsn::detail::server_mention(text));
}

namespace {

// The openings of the returned message, and the plain reading of a line
// that before_original_message's look at a line's first letter stands in for.
const std::vector<std::string> kOpenings = {
    "original message",          "below this line is a copy",       "this is a copy of the message",
    "the header of the original message", "returned message",       "original mail as follows",
    "unsent message follows",    "message headers follow",          "headers of the original message",
    "original message follows",  "a copy of the original message",  "the original message headers",
    "included is a copy"};

bool opens_by_reference(std::string_view line) {
  using clearbounce::dsn::detail::istarts_with;
  if (istarts_with(line, "content-type: message/rfc822")) return true;
  std::size_t i = 0;
  while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  if (i < line.size() && (line[i] == '-' || line[i] == '=' || line[i] == '*')) {
    const std::size_t start = i;
    while (i < line.size() && line[i] == line[start]) ++i;
    if (i - start < 2) return false;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
  }
  for (const std::string& opening : kOpenings)
    if (istarts_with(line.substr(i), opening)) return true;
  return false;
}

}  // namespace

TEST(ReturnedMessageOpenings, EachLineIsReadAsByComparingEveryOpening) {
  using clearbounce::dsn::detail::before_original_message;
  std::vector<std::string> lines = {"", "o", "the", "a copy", "Message", "-- ", "** Original Message", "-original message"};
  for (const std::string& opening : kOpenings) {
    std::string upper = opening;
    for (char& c : upper) c = clearbounce::dsn::detail::ascii_upper(c);
    for (const std::string& form : {opening, upper, "---- " + opening, "\t== " + upper, "*" + opening,
                                    opening.substr(0, opening.size() - 1), opening + " below", "x" + opening}) {
      lines.push_back(form);
      for (std::size_t i = 0; i < form.size(); i += 3) {
        std::string changed = form;
        changed[i] = changed[i] == 'e' ? 'a' : 'e';
        lines.push_back(changed);
      }
    }
  }
  for (const std::string& line : lines) {
    const std::string text = "Hello.\n" + line + "\nmore text\n";
    const std::size_t expected = opens_by_reference(line) ? 7 : text.size();
    EXPECT_EQ(before_original_message(text).size(), expected) << line;
  }
}

TEST(SmtpMentions, TextWithLettersACaselessRegexFoldsStillReachesTheRegexes) {
  // "ho\u017Ft" is "host" to the caseless server regex, "\u212Aelvin" holds a
  // 'k' for it: the scanners do not read those, the regexes must.
  clearbounce::dsn::RecipientReport r;
  clearbounce::dsn::detail::fill_missing_from(r, "ho\xC5\xBFt mx.example.net[192.0.2.1] said: 550 no");
  EXPECT_EQ(r.remote_mta, "mx.example.net");
  EXPECT_EQ(r.remote_ip, "192.0.2.1");
  EXPECT_EQ(r.reply_code, "550");
  clearbounce::dsn::RecipientReport s;
  clearbounce::dsn::detail::fill_missing_from(s, "\xE2\x84\xAA 550 rejected (in reply to RCPT TO command)");
  EXPECT_EQ(s.smtp_command, "RCPT");
}
