// Where the returned message starts in a free-text bounce: the human text
// before it is the only text that may explain a recipient.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/plain.hpp"

namespace {

using clearbounce::dsn::detail::before_original_message;

const std::string kReport = "Delivery to bob@example.org failed:\n550 5.1.1 User unknown\n\n";

std::string_view before(const std::string& text) { return before_original_message(text); }

TEST(ReturnedMessageStart, ALineWithARuleAndAnOpeningStartsIt) {
  for (const char* line : {"----- Original message -----", "=== Returned message ===", "** original message follows **",
                           "  ---- Below this line is a copy of the message.", "\t-- The original message headers"}) {
    EXPECT_EQ(before(kReport + line + "\nFrom: alice@example.com\n"), kReport) << line;
  }
}

TEST(ReturnedMessageStart, AnOpeningWithoutARuleStartsItToo) {
  EXPECT_EQ(before(kReport + "ORIGINAL MESSAGE FOLLOWS:\r\nFrom: a@b.example\r\n"), kReport);
  EXPECT_EQ(before(kReport + "   included is a copy of your message\n"), kReport);
  EXPECT_EQ(before(kReport + "Content-Type: message/rfc822\n\nFrom: a@b.example\n"), kReport);
}

TEST(ReturnedMessageStart, TheFirstLineCanStartIt) {
  EXPECT_EQ(before("Original message:\nFrom: a@b.example\n"), "");
}

TEST(ReturnedMessageStart, WordsThatOnlyLookLikeAnOpeningDoNot) {
  for (const char* line : {"- original message",                      // a rule is two or more
                           "-=- original message",                    // of one character
                           "Please see the original message below",   // not at the start of the line
                           " Content-Type: message/rfc822",           // a field starts the line
                           "originalmessage"}) {
    const std::string text = kReport + line + "\nmore words\n";
    EXPECT_EQ(before(text), text) << line;
  }
}

TEST(ReturnedMessageStart, TheFirstOpeningCounts) {
  EXPECT_EQ(before(kReport + "-- returned message --\nx\n-- original message --\n"), kReport);
}

}  // namespace
