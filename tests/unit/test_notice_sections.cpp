// One section per cause (issue 12): recipients with the same outcome, the
// same cause and the same facts are explained once, under a headline that
// names them together; a cause whose sentences name one recipient, or a
// different server, keeps sections of its own.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/support/notice_test.hpp"

namespace {

using clearbounce::testing::occurrences;
using clearbounce::testing::ReportedRecipient;

class NoticeSections : public clearbounce::testing::NoticeTest {
 protected:
  std::string user_part(const std::string& text) const { return prose(text, "en"); }
};

ReportedRecipient expired_at(std::string address, std::string host = "mx.example.org") {
  return {std::move(address), "host " + host + "[192.0.2.25] said: 454 4.7.0 TLS not available: certificate expired",
          "4.7.0", "failed", "smtp", host};
}

TEST_F(NoticeSections, RecipientsWithTheSameCauseAndFactsShareOneSection) {
  const std::string text =
      notice_about({expired_at("ann@example.org"), expired_at("ben@example.org"), expired_at("cyd@example.org")});
  const std::string reader = user_part(text);
  // One headline names the three, and the cause is told once.
  EXPECT_NE(reader.find("was not delivered to ann@example.org, ben@example.org, cyd@example.org."),
            std::string::npos)
      << reader;
  EXPECT_EQ(occurrences(reader, "was not delivered to"), 1u) << reader;
  EXPECT_EQ(occurrences(reader, "How to get it fixed"), 1u) << reader;
  // The first answer is quoted there; the others' stay in the technical
  // section, each recipient with its own lines.
  EXPECT_EQ(occurrences(reader, "certificate expired"), 1u) << reader;
  EXPECT_EQ(occurrences(text, "certificate expired"), 3u) << text;
  for (const char* address : {"\nann@example.org\n", "\nben@example.org\n", "\ncyd@example.org\n"})
    EXPECT_EQ(occurrences(text, address), 1u) << address;
}

TEST_F(NoticeSections, ALongListIsCounted) {
  std::vector<ReportedRecipient> many;
  for (const char* name : {"ann", "ben", "cyd", "dee", "eve"}) many.push_back(expired_at(std::string(name) + "@example.org"));
  const std::string reader = user_part(notice_about(many));
  EXPECT_NE(reader.find("was not delivered to ann@example.org, ben@example.org, cyd@example.org and 2 others."),
            std::string::npos)
      << reader;
}

TEST_F(NoticeSections, ADifferentServerOrARecipientNamedInTheCauseKeepsItsOwnSection) {
  // The cause's sentence names the server: two servers, two sections.
  const std::string servers =
      user_part(notice_about({expired_at("ann@example.org"), expired_at("ben@example.org", "mx2.example.org")}));
  EXPECT_EQ(occurrences(servers, "was not delivered to"), 2u) << servers;
  // "The mail server of example.org says ann@example.org does not exist":
  // one sentence per address.
  const auto unknown = [](std::string address) {
    return ReportedRecipient{address, "host mx.example.org[192.0.2.25] said: 550 5.1.1 <" + address + ">: User unknown",
                             "5.1.1", "failed", "smtp", "mx.example.org"};
  };
  const std::string addresses = user_part(notice_about({unknown("ann@example.org"), unknown("ben@example.org")}));
  EXPECT_EQ(occurrences(addresses, "was not delivered to"), 2u) << addresses;
  EXPECT_NE(addresses.find("says ann@example.org does not exist"), std::string::npos) << addresses;
  EXPECT_NE(addresses.find("says ben@example.org does not exist"), std::string::npos) << addresses;
}

}  // namespace
