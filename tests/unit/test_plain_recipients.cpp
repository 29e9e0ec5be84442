// The free-text recipient reader (find_plain_recipients) on its own: which
// addresses it takes as failed recipients and where each one's text ends.
// Addresses are compared without regard to ASCII case, and a label before
// an address is recognised by its closing colon before any regex runs: these
// tests hold the cases those shortcuts must get right.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dsn/plain.hpp"

namespace {

using clearbounce::dsn::detail::find_plain_recipients;
using clearbounce::dsn::detail::PlainRecipient;

constexpr std::size_t kMax = 100;

std::vector<std::string> addresses(const std::vector<PlainRecipient>& found) {
  std::vector<std::string> out;
  for (const auto& r : found) out.push_back(r.address);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(PlainRecipients, KnownRecipientIsFoundWhateverItsCase) {
  const auto found = find_plain_recipients(
      "Delivery failed.\n\n<bob@example.net>:\nThe mailbox is full and accepts no more mail.\n", {},
      {"Bob@Example.NET"}, kMax);
  ASSERT_EQ(addresses(found), std::vector<std::string>{"bob@example.net"});
  EXPECT_TRUE(contains(found[0].text, "mailbox is full"));
}

TEST(PlainRecipients, KnownRecipientsOnlyAreTaken) {
  const auto found = find_plain_recipients(
      "<carol@example.net>: user unknown\n<bob@example.net>: mailbox full\n", {}, {"BOB@example.net"}, kMax);
  EXPECT_EQ(addresses(found), std::vector<std::string>{"bob@example.net"});
}

TEST(PlainRecipients, ExcludedAddressIsSkippedWhateverItsCase) {
  const auto found = find_plain_recipients(
      "<alice@example.com>: sent the message\n<carol@example.net>: user unknown, no such mailbox here\n",
      {"Alice@Example.COM"}, {}, kMax);
  EXPECT_EQ(addresses(found), std::vector<std::string>{"carol@example.net"});
}

TEST(PlainRecipients, SenderMarkerIsFoundWhateverItsCase) {
  const auto found = find_plain_recipients(
      "Delivery of your message with Mail From:<sender@example.org> to rcpt@example.net failed: no such user.\n",
      {}, {}, kMax);
  EXPECT_EQ(addresses(found), std::vector<std::string>{"rcpt@example.net"});
}

TEST(PlainRecipients, LabelEndingInColonQuoteAndSpacesListsTheAddress) {
  const auto found = find_plain_recipients(
      "Your message to <someone@example.org> was held.\n"
      "   Recipient address:  \"dave@example.net\"\n"
      "Reason: the mailbox does not exist on this server\n",
      {}, {}, kMax);
  ASSERT_EQ(addresses(found), std::vector<std::string>{"dave@example.net"});
  EXPECT_TRUE(contains(found[0].text, "does not exist"));
}

TEST(PlainRecipients, WordsWithoutColonAreNoLabel) {
  // Neither address is listed at a line's start or after a label: both are
  // read from the sentence.
  const auto found = find_plain_recipients(
      "The recipient address <erin@example.net> was rejected.\n"
      "The recipient address: is <frank@example.net> and it was rejected too.\n",
      {}, {}, kMax);
  EXPECT_EQ(addresses(found), (std::vector<std::string>{"erin@example.net", "frank@example.net"}));
}

// A list given again in a second language: a recipient's section ends
// where another recipient is listed again, not at the end of the text.
TEST(PlainRecipients, RecipientListedAgainEndsTheOtherSection) {
  const auto found = find_plain_recipients(
      "<a@example.net>: unknown user, no mailbox by that name here\n"
      "<b@example.net>: the mailbox is over its quota for now\n"
      "\n"
      "<b@example.net>: Postfach voll\n"
      "<a@example.net>: Benutzer unbekannt\n",
      {}, {}, kMax);
  ASSERT_EQ(addresses(found), (std::vector<std::string>{"a@example.net", "b@example.net"}));
  EXPECT_FALSE(contains(found[0].text, "quota"));
  EXPECT_TRUE(contains(found[1].text, "Postfach voll"));
  EXPECT_FALSE(contains(found[1].text, "Benutzer unbekannt"));
}

// A colon ends an address's domain outside a domain literal: filters write
// "(a@example.com:blocked)", and a domain holds no colon.
TEST(PlainRecipients, AColonAfterTheDomainEndsTheAddress) {
  const auto found = find_plain_recipients(
      "Reason: 550 permanent failure for one or more recipients (carl@example.com:blocked)\n", {}, {}, kMax);
  EXPECT_EQ(addresses(found), std::vector<std::string>{"carl@example.com"});
}

TEST(PlainRecipients, TextWithoutAtSignNamesNobody) {
  EXPECT_TRUE(find_plain_recipients("Delivery failed.\nNo address is given here.\n", {"x@example.org"}, {}, kMax)
                  .empty());
  EXPECT_TRUE(find_plain_recipients("", {}, {"x@example.org"}, kMax).empty());
}

}  // namespace
