#include "diagnose/smtp_reply.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

using clearbounce::diagnose::SmtpReply;
using clearbounce::diagnose::SmtpReplyReader;
using Status = SmtpReplyReader::Status;

TEST(SmtpReplyReader, ReadsAOneLineGreeting) {
  SmtpReplyReader reader;
  ASSERT_EQ(reader.feed("220 mx.example.org ESMTP ready\r\n"), Status::complete);
  const SmtpReply reply = reader.take();
  EXPECT_EQ(reply.code, 220);
  EXPECT_EQ(reply.lines, (std::vector<std::string>{"mx.example.org ESMTP ready"}));
  EXPECT_TRUE(reply.positive());
}

TEST(SmtpReplyReader, ReadsAMultiLineReplyInPieces) {
  const std::string reply = "250-mx.example.org\r\n250-SIZE 52428800\r\n250-starttls\r\n250 8BITMIME\r\n";
  for (std::size_t cut = 0; cut <= reply.size(); ++cut) {
    SmtpReplyReader reader;
    const Status first = reader.feed(reply.substr(0, cut));
    ASSERT_EQ(first, cut == reply.size() ? Status::complete : Status::need_more) << cut;
    if (cut < reply.size()) {
      ASSERT_EQ(reader.feed(reply.substr(cut)), Status::complete) << cut;
    }
    const SmtpReply ehlo = reader.take();
    EXPECT_EQ(ehlo.code, 250);
    EXPECT_EQ(ehlo.lines.size(), 4u);
    EXPECT_TRUE(ehlo.offers("STARTTLS"));
    EXPECT_TRUE(ehlo.offers("size"));
    EXPECT_FALSE(ehlo.offers("mx.example.org"));  // the first line is the server's name, not a keyword
    EXPECT_FALSE(ehlo.offers("8BIT"));
  }
}

TEST(SmtpReplyReader, KeepsWhatFollowsAReplyForTheNext) {
  SmtpReplyReader reader;
  ASSERT_EQ(reader.feed("220 ready\n221 bye\n"), Status::complete);  // bare line feeds too
  EXPECT_EQ(reader.take().code, 220);
  ASSERT_EQ(reader.feed({}), Status::complete);
  const SmtpReply second = reader.take();
  EXPECT_EQ(second.code, 221);
  EXPECT_EQ(second.lines, (std::vector<std::string>{"bye"}));
  EXPECT_EQ(reader.feed("554"), Status::need_more);
  ASSERT_EQ(reader.feed("\r\n"), Status::complete);
  EXPECT_FALSE(reader.take().positive());
}

TEST(SmtpReplyReader, RefusesWhatIsNotSmtp) {
  for (const char* text : {"HTTP/1.1 400 Bad Request\r\n", "22 short\r\n", "220x no separator\r\n",
                           "250-first\r\n251 other code\r\n", "\r\n", "SSH-2.0-OpenSSH_9.2\r\n", "020 no such code\r\n", "620 nor this\r\n"}) {
    SmtpReplyReader reader;
    EXPECT_EQ(reader.feed(text), Status::malformed) << text;
    EXPECT_EQ(reader.feed("220 ok\r\n"), Status::malformed) << "stays malformed after " << text;
  }
}

TEST(SmtpReplyReader, BoundsLinesAndReplies) {
  SmtpReplyReader long_line;
  EXPECT_EQ(long_line.feed("220 " + std::string(SmtpReplyReader::kMaxLineBytes, 'x')), Status::malformed);

  SmtpReplyReader many_lines;
  std::string reply;
  for (std::size_t i = 0; i <= SmtpReplyReader::kMaxLines; ++i) reply += "250-line\r\n";
  EXPECT_EQ(many_lines.feed(reply), Status::malformed);

  SmtpReplyReader flood;  // a reply, then megabytes before it is taken
  ASSERT_EQ(flood.feed("220 ok\r\n"), Status::complete);
  Status status = Status::complete;
  for (int i = 0; i < 1000 && status != Status::malformed; ++i) status = flood.feed(std::string(4096, 'a'));
  EXPECT_EQ(status, Status::malformed);
}

TEST(SmtpReplyReader, RandomBytesNeverBreakTheReader) {
  std::mt19937 random(11);
  const std::string alphabet = "0123456789- \r\nSTARTLSabc";
  for (int round = 0; round < 5000; ++round) {
    SmtpReplyReader reader;
    for (int piece = 0; piece < 4; ++piece) {
      std::string bytes(random() % 40, ' ');
      for (auto& c : bytes) c = alphabet[random() % alphabet.size()];
      if (reader.feed(bytes) == Status::complete) {
        const SmtpReply reply = reader.take();
        EXPECT_GE(reply.code, 100);
        EXPECT_LT(reply.code, 600);
        EXPECT_FALSE(reply.lines.empty());
      }
    }
  }
}

}  // namespace
