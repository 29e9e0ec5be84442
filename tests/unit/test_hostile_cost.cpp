// The cost of analysing a hostile report stays linear in its size, and what
// it keeps per recipient stays bounded (issue: "A hostile bounce can't hurt
// the mail server"). Each input here is one that made the reader quadratic
// or made it copy the same text into every recipient; the sizes are chosen
// so that the quadratic reader takes minutes (ctest's timeout fails it) and
// the copying reader breaks the size assertions.
#include <gtest/gtest.h>

#include <string>

#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::BounceReport;
using clearbounce::dsn::ReportKind;

// What one recipient may carry from the text: its explanation and its
// context are a few KB, whatever the report holds.
constexpr std::size_t kMaxDiagnosticBytes = 4096;
constexpr std::size_t kMaxContextBytes = 16384;

std::string report_head(std::string_view text) {
  return "From: MAILER-DAEMON@example.com\nTo: alice@example.com\nSubject: Undelivered Mail Returned to Sender\n"
         "MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n"
         "--B\nContent-Type: text/plain\n\n" +
         std::string(text);
}

std::string delivery_status(int recipients) {
  std::string part = "\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; example.com\n\n";
  for (int i = 0; i < recipients; ++i)
    part += "Final-Recipient: rfc822; u" + std::to_string(i) + "@example.net\nAction: failed\nStatus: 5.1.1\n\n";
  return part + "--B--\n";
}

std::size_t total_text(const BounceReport& report) {
  std::size_t bytes = 0;
  for (const auto& r : report.recipients) bytes += r.diagnostic.size() + r.context.size();
  return bytes;
}

// D1: N recipients listed as "<uN@e.net>: unknown", then one shared
// explanation of K lines; the delivery-status part names nobody.
TEST(HostileCost, SharedExplanationIsNotCopiedWhole) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "<u" + std::to_string(i) + "@example.net>: unknown\n";
  text += "\n";
  for (int i = 0; i < 2000; ++i) text += "The remote server explained the failure in line " + std::to_string(i) + ".\n";
  const auto report = analyse(report_head(text) + delivery_status(0));
  // The delivery-status part names nobody: the text decides.
  ASSERT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 3000u);
  for (const auto& r : report.recipients) {
    ASSERT_LE(r.diagnostic.size(), kMaxDiagnosticBytes) << r.recipient;
    // The explanation is still there, as far as it fits.
    ASSERT_NE(r.diagnostic.find("remote server explained"), std::string::npos) << r.recipient;
  }
  EXPECT_LE(total_text(report), 3000 * (kMaxDiagnosticBytes + kMaxContextBytes));
}

// D2: one line of many '@'. Each used to start a scan of the rest of the line.
TEST(HostileCost, LineOfManyAtSignsIsReadOnce) {
  const std::string text = "<x" + std::string(400000, '@') + "x.net>: no mailbox here\n" +
                           "<" + std::string(200000, 'a') + "@" + std::string(200000, '@') + "b.example.net>: gone\n";
  const auto report = analyse(
      "From: MAILER-DAEMON@example.com\nTo: alice@example.com\nSubject: failure notice\n\n"
      "Hi. This is the qmail-send program at example.com.\n\n" +
      text + "\n<real@example.net>: Sorry, no mailbox here by that name.\n");
  ASSERT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "real@example.net");
}

// D3: 50 recipients, each with many lines of its own: the context of each
// used to be found by a linear search per line.
TEST(HostileCost, ContextOfManyLinesIsBounded) {
  std::string text = "This is the mail system at host example.com.\n\n";
  for (int r = 0; r < 50; ++r) {
    text += "<u" + std::to_string(r) + "@example.net>: host mx.example.net said: 550 5.1.1 user unknown\n";
    for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(r) + "-" + std::to_string(i) + " of the report\n";
  }
  text += "\nA note that concerns every recipient.\n";
  const auto report = analyse(report_head(text) + delivery_status(50));
  ASSERT_EQ(report.recipients.size(), 50u);
  for (const auto& r : report.recipients) {
    EXPECT_LE(r.context.size(), kMaxContextBytes) << r.recipient;
    EXPECT_LE(r.diagnostic.size(), kMaxDiagnosticBytes) << r.recipient;
    EXPECT_EQ(r.status, "5.1.1");
  }
}

// D5: one 2 MB line naming 10,000 recipients: it used to be lower-cased
// again for each of them, and copied whole into each one's explanation.
TEST(HostileCost, LongLineNamingEveryRecipientIsNotCopiedIntoEach) {
  std::string line;
  for (int i = 0; i < 10000; ++i) {
    line += 'u';  // appended piecewise: GCC 12's -Wrestrict misreads "literal" + std::string&& at -O3
    line += std::to_string(i);
    line += "@example.net ";
  }
  line += std::string(2'000'000 - line.size(), 'x');
  const auto report = analyse(report_head("This is the mail system at host example.com.\n\n" + line + "\n") +
                              delivery_status(10000));
  ASSERT_EQ(report.recipients.size(), 10000u);
  for (const auto& r : report.recipients) ASSERT_LE(r.diagnostic.size() + r.context.size(), kMaxDiagnosticBytes);
}

// A failure header listing many recipients, when the text names none of
// them: each gets a bounded excerpt, not the whole text.
TEST(HostileCost, FailedRecipientsHeaderDoesNotCopyTheTextIntoEach) {
  std::string header = "X-Failed-Recipients: ";
  for (int i = 0; i < 2000; ++i) header += (i ? ", u" : "u") + std::to_string(i) + "@example.net";
  const std::string text(3'000'000, 'y');
  const auto report = analyse("From: MAILER-DAEMON@example.com\nTo: alice@example.com\nSubject: failure notice\n" +
                              header + "\n\n" + text + "\n");
  ASSERT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 2000u);
  EXPECT_LE(total_text(report), 2000 * (kMaxDiagnosticBytes + kMaxContextBytes));
}

}  // namespace
