// text_for_matching(): what the wording patterns see of a remote text.
#include <gtest/gtest.h>

#include "classifier/text.hpp"

namespace {

using clearbounce::classifier::text_for_matching;

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

}  // namespace
