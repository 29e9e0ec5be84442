// text_for_matching(): what the wording patterns see of a remote text.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classifier/text.hpp"

namespace {

using clearbounce::classifier::text_for_matching;
using clearbounce::classifier::without_asides;

const std::vector<std::string> kOpeners = {"if ", "see ", "for more information"};

TEST(TextForMatching, CollapsesWhiteSpaceAndTrimsTheEnd) {
  EXPECT_EQ(text_for_matching("Mailbox\r\n   full \t now  \n"), "Mailbox full now");
  EXPECT_EQ(text_for_matching("  leading"), "leading");
  EXPECT_EQ(text_for_matching(""), "");
}

TEST(TextForMatching, AddressesSayWhoNeverWhy) {
  EXPECT_EQ(text_for_matching("<mailboxfull@example.net>: User unknown"), "<<address>>: User unknown");
  EXPECT_EQ(text_for_matching("to quota.exceeded@ex-ample.org failed"), "to <address> failed");
  // Without a local part or a domain it is no address.
  EXPECT_EQ(text_for_matching("@example.net and user@ here"), "@example.net and user@ here");
}

TEST(TextForMatching, TranscriptArrowsAreLayout) {
  EXPECT_EQ(text_for_matching(">>> RCPT TO:<a@b.example>\n<<< 550 unknown"), "RCPT TO:<<address>> 550 unknown");
  EXPECT_EQ(text_for_matching("a >>>b"), "a >>>b");  // not followed by a space: kept
}

TEST(TextForMatching, RepeatedReplyCodesOfAMultiLineReplyGo) {
  EXPECT_EQ(text_for_matching("550-5.7.1 The user you are trying\n550-5.7.1 to reach is over\n550 5.7.1 quota"),
            "550-5.7.1 The user you are trying to reach is over quota");
  EXPECT_EQ(text_for_matching("550 sorry 550 again"), "550 sorry again");
  // A number that is no reply code stays.
  EXPECT_EQ(text_for_matching("code 5501 and 55 and 250.1"), "code 5501 and 55 and 250.1");
}

TEST(TextForMatching, SingleSpacesStayAndRunsAroundThemAreCollapsed) {
  EXPECT_EQ(text_for_matching("over quota  now \n\n"), "over quota now");
  EXPECT_EQ(text_for_matching("a b\tc \r\nd"), "a b c d");
  EXPECT_EQ(text_for_matching("for user x@example.org now"), "for user <address> now");
}

TEST(TextForMatching, WideCharactersAgainstAnAddressStayWords) {
  // Chinese and Japanese servers write their words right against an address.
  EXPECT_EQ(text_for_matching("系统中没有此用户：bob@example.net"), "系统中没有此用户：<address>");
  EXPECT_EQ(text_for_matching("收件人bob@example.net不存在"), "收件人<address>不存在");
  // An address written wholly in such characters, or with two-byte letters, is one.
  EXPECT_EQ(text_for_matching("宛先 用户@例え.jp は不明"), "宛先 <address> は不明");
  EXPECT_EQ(text_for_matching("to jürgen@bücher.example failed"), "to <address> failed");
  EXPECT_EQ(text_for_matching("ok <<< 550 no"), "ok 550 no");
  // Punctuation of those scripts ends such an address: the sentence around
  // an '@' in prose stays words.
  EXPECT_EQ(text_for_matching("RFCに準拠していないため送信できません（連続したドットまたは@直前のドット）"),
            "RFCに準拠していないため送信できません（<address>）");
  EXPECT_EQ(text_for_matching("宛先は存在しません。用户@例え.jp、再送不可"), "宛先は存在しません。<address>、再送不可");
  EXPECT_EQ(text_for_matching("see…bob@example.net…now"), "see…<address>…now");
}

TEST(TextForMatching, AServersNameBesideItsAddressIsNoWords) {
  // Who spoke, not what it said: a filtering host's name holds "spam".
  EXPECT_EQ(text_for_matching("host spamfilter.example.net[192.0.2.1] said: 550 User unknown"),
            "host <host>[192.0.2.1] said: 550 User unknown");
  EXPECT_EQ(text_for_matching("host mx.spam-in.example.net [192.0.2.1]: 550 No such user"),
            "host <host> [192.0.2.1]: 550 No such user");
  EXPECT_EQ(text_for_matching("connect to antivirus.example.org[IPv6:2001:db8::25]:25: refused"),
            "connect to <host>[IPv6:2001:db8::25]:25: refused");
  // Without a dotted name before it, or without an address in it, the text stays.
  EXPECT_EQ(text_for_matching("Client host [192.0.2.1] blocked using zen.spamhaus.org"),
            "Client host [192.0.2.1] blocked using zen.spamhaus.org");
  EXPECT_EQ(text_for_matching("spam.example.net[not an address] and [192.0.2.1"),
            "spam.example.net[not an address] and [192.0.2.1");
  EXPECT_EQ(text_for_matching("a.b[1.2.3.4] x.y.z [5.6.7.8]"), "<host>[1.2.3.4] <host> [5.6.7.8]");
}

TEST(TextForMatching, RepeatedCodesAreFoundWhereverTheyFallInTheText) {
  // The next code is looked for eight bytes at a time: codes at every
  // offset, after other digits ('0', '1', '6' to '9' start none), and
  // numbers that are no codes.
  for (std::size_t offset = 0; offset < 17; ++offset) {
    const std::string pad = std::string(offset + 1, 'w') + " 19 60 7 ";
    EXPECT_EQ(text_for_matching("550-5.7.1 " + pad + "550-5.7.1 tail 450 x 4500 y 0550 z 250"),
              "550-5.7.1 " + pad + "tail x 4500 y 0550 z 250")
        << offset;
    EXPECT_EQ(text_for_matching(pad + "421 a 421-4.4.2 b"), pad + "421 a b") << offset;
  }
}

TEST(TextForMatching, AHugeMultiLineReplyIsReadInLinearTime) {
  // Two million lines; a pass that copied the kept text again for each
  // dropped code would not end in time.
  std::string in;
  for (int i = 0; i < 1 << 21; ++i) in += "550-5.7.1 word\n";
  const std::string out = text_for_matching(in);
  EXPECT_EQ(out.size(), std::string("550-5.7.1 ").size() + (std::size_t{1} << 21) * 5 - 1);
  EXPECT_EQ(out.substr(0, 20), "550-5.7.1 word word ");
}

TEST(WithoutAsides, AdviceAfterTheStatementSaysNothing) {
  EXPECT_EQ(without_asides("550 5.1.1 No such user. If you believe you were blocked as spam, tell us.", kOpeners),
            "550 5.1.1 No such user.");
  EXPECT_EQ(without_asides("Mailbox full. IF you think this is spam, see the FAQ. Try later.", kOpeners),
            "Mailbox full. Try later.");
  // The first sentence is the statement, whatever it opens with.
  EXPECT_EQ(without_asides("If the address is right, the mailbox is full. See the help page.", kOpeners),
            "If the address is right, the mailbox is full.");
}

TEST(WithoutAsides, AClauseAfterASemicolonMayBeAnAside) {
  EXPECT_EQ(without_asides("Rate limit exceeded; if this is spam, see below; try later", kOpeners),
            "Rate limit exceeded; try later");
  EXPECT_EQ(without_asides("If unsure; mailbox full", kOpeners), "");  // the first clause stays
}

TEST(WithoutAsides, OnlyAFullStopAfterAWordEndsASentence) {
  // Codes, numbers and abbreviations of one letter end none.
  EXPECT_EQ(without_asides("5.1.1 Use e.g. another address. If not, tell us.", kOpeners),
            "5.1.1 Use e.g. another address.");
  EXPECT_EQ(without_asides("Limit 10.5 MB exceeded. for more information: ask.", kOpeners), "Limit 10.5 MB exceeded.");
  EXPECT_EQ(without_asides("Quota exceeded (bob). see below", kOpeners), "Quota exceeded (bob).");
  EXPECT_EQ(without_asides("No.see below", kOpeners), "");  // no space after the stop: one sentence
}

TEST(WithoutAsides, LinksKeepTheirHostOnly) {
  EXPECT_EQ(without_asides("Rejected - https://help.example.net/spam-blocklist?x=1 now", kOpeners),
            "Rejected - https://help.example.net now");
  // Of an aside, the links' hosts stay: a block list's host is evidence.
  EXPECT_EQ(without_asides("Mailbox full. See https://www.spamhaus.org/query/ip for more.", kOpeners),
            "Mailbox full. https://www.spamhaus.org");
}

TEST(WithoutAsides, ReferenceNumbersAreNoWords) {
  EXPECT_EQ(without_asides("Recipient not found (ref: RBL-20240312-0042)", kOpeners), "Recipient not found (ref:");
  EXPECT_EQ(without_asides("User unknown [spam-blocked-eu4-7f3a2c] here", kOpeners), "User unknown here");
  // Words joined by hyphens without a digit, or host names, are words.
  EXPECT_EQ(without_asides("listed at zen.spamhaus.org; x-spam-flag set; e-mail 550-5.7.1", kOpeners), "");
}

TEST(WithoutAsides, EmptyWhenNothingIsLeftOut) {
  EXPECT_EQ(without_asides("550 5.1.1 User unknown. Check the address.", kOpeners), "");
  EXPECT_EQ(without_asides("", kOpeners), "");
  EXPECT_EQ(without_asides("Mailbox full. See", {}), "");
}

TEST(WithoutAsides, AHugeTextOfSentencesIsReadInLinearTime) {
  // A quarter of a million pairs of sentences, each aside cut to its link's host.
  std::string in;
  for (int i = 0; i < 1 << 18; ++i) in += "Box full. If so, see https://a.example/x now. ";
  in.pop_back();
  const std::string out = without_asides(in, kOpeners);
  EXPECT_EQ(out.size(), std::string("Box full. https://a.example ").size() * (1 << 18) - 1);
  EXPECT_EQ(out.substr(0, 37), "Box full. https://a.example Box full.");
}

}  // namespace
