// Hostile bounces for analyse(): huge recipient lists must stay bounded in
// output, linear in time, and say that recipients were left out.
#include <gtest/gtest.h>

#include <string>

#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::AnalyseLimits;
using clearbounce::dsn::ReportKind;

constexpr int kRecipients = 100000;

std::string dsn_with_recipients(int count) {
  std::string m =
      "From: MAILER-DAEMON@example.com\nTo: alice@example.com\nSubject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
      "--B\nContent-Type: text/plain\n\nThis is the mail system at host example.com.\n\n";
  for (int i = 0; i < count; ++i)
    m += "<u" + std::to_string(i) + "@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown\n";
  m += "\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.com\n\n";
  for (int i = 0; i < count; ++i)
    m += "Final-Recipient: rfc822; u" + std::to_string(i) + "@example.net\nAction: failed\nStatus: 5.1.1\n\n";
  return m + "--B--\n";
}

std::string qmail_with_recipients(int count) {
  std::string m =
      "From: MAILER-DAEMON@example.com\nTo: alice@example.com\nSubject: failure notice\n\n"
      "Hi. This is the qmail-send program at example.com.\n\n";
  for (int i = 0; i < count; ++i)
    m += "<u" + std::to_string(i) + "@example.net>:\nSorry, no mailbox here by that name.\n\n";
  return m;
}

TEST(HostileReports, HundredThousandDsnRecipientsAreCutAtTheLimit) {
  const auto report = analyse(dsn_with_recipients(kRecipients));
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  EXPECT_EQ(report.recipients.size(), AnalyseLimits{}.max_recipients);
  EXPECT_EQ(report.recipients.front().recipient, "u0@example.net");
  EXPECT_EQ(report.recipients.front().status, "5.1.1");
  EXPECT_NE(report.error.find("recipients"), std::string::npos) << report.error;
}

TEST(HostileReports, HundredThousandPlainRecipientsAreCutAtTheLimit) {
  AnalyseLimits limits;
  limits.max_recipients = 500;
  const auto report = analyse(qmail_with_recipients(kRecipients), limits);
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 500u);
  EXPECT_EQ(report.recipients[499].recipient, "u499@example.net");
  EXPECT_NE(report.recipients[499].diagnostic.find("no mailbox"), std::string::npos);
  EXPECT_FALSE(report.error.empty());
}

TEST(HostileReports, OversizedMessageIsNotAnalysed) {
  AnalyseLimits limits;
  limits.max_message_bytes = 1000;
  const auto report = analyse(qmail_with_recipients(100), limits);
  EXPECT_EQ(report.kind, ReportKind::not_bounce);
  EXPECT_NE(report.error.find("larger"), std::string::npos) << report.error;
}

TEST(HostileReports, BinaryGarbageIsNotABounce) {
  std::string garbage;
  unsigned state = 12345;
  for (int i = 0; i < 200000; ++i) {
    state = state * 1103515245u + 12345u;
    garbage.push_back(static_cast<char>(state >> 24));
  }
  const auto report = analyse(garbage);
  EXPECT_EQ(report.kind, ReportKind::not_bounce);
  EXPECT_FALSE(report.error.empty());
}

TEST(HostileReports, TruncatedReportKeepsWhatWasThere) {
  auto message = dsn_with_recipients(3);
  message.resize(message.find("u2@example.net\nAction"));  // cut inside the last recipient's fields
  const auto report = analyse(message);
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  ASSERT_GE(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[1].recipient, "u1@example.net");
}

}  // namespace
