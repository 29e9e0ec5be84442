// Shortcuts the bounce readers take instead of a regex or a lower-cased
// copy of a text: each must give what the long way gives, on tricky input.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <string>

#include "dsn/fields.hpp"
#include "dsn/plain.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::detail::names_a_list;

// The regex that names_a_list stands in for.
bool names_a_list_by_regex(const std::string& headers) {
  static const RE2 list_re(R"((?im)^list-(?:id|post):)");
  return RE2::PartialMatch(headers, list_re);
}

TEST(ReaderGates, ListHeaderScanAgreesWithItsRegex) {
  const std::string cases[] = {
      "",
      "List-Id: <team.example.org>\n",
      "From: a@example.org\r\nLIST-POST: <mailto:team@example.org>\r\n",
      "Subject: x\nlist-id:<team>",
      "Subject: x\n list-id: folded, not a field\n",
      "X-List-Id: <team>\n",
      "Subject: about List-Id: and List-Post: in prose\n",
      "List-Id : <team>\n",
      "List-Unsubscribe: <mailto:u@example.org>\nList-Help: <mailto:h@example.org>\n",
      "Subject: x\rList-Id: <team>\n",                 // a bare CR does not start a line
      "Li\xC5\xBFt-Id: <team>\n",                       // U+017F: the caseless regex reads it as 's'
      "Subject: \xC5\xBF\nList-Post: <mailto:l@x>\n",  // a long s elsewhere, and a list
      "Subject: \xE2\x84\xAA\nTo: b@example.org\n",    // a Kelvin sign, no list
      "List-Post:",
      "List-",
  };
  for (const std::string& headers : cases)
    EXPECT_EQ(names_a_list(headers), names_a_list_by_regex(headers)) << headers;
}

TEST(ReaderGates, ListAddressesAreStillLeftOut) {
  // The returned message came through a list: its List-Post address is not a failed recipient.
  const std::string message =
      "From: MAILER-DAEMON@mx.example.net\nTo: alice@example.com\nSubject: Undelivered Mail Returned to Sender\n"
      "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\n"
      "The message could not be delivered.\n\n--b\nContent-Type: message/rfc822\n\n"
      "From: alice@example.com\nTo: team@lists.example.org\nLIST-ID: <team.lists.example.org>\n"
      "List-Post: <mailto:team@lists.example.org>\nSubject: hello\n\nhello\n--b--\n";
  const auto report = analyse(message);
  for (const auto& r : report.recipients) EXPECT_NE(r.recipient, "team@lists.example.org");
}

TEST(ReaderGates, TranscriptLinesNamingTheRecipientAreFoundInAnyCase) {
  // The recipient's own lines name no command; the transcript further down
  // names it in another case, and its line says which command failed.
  const std::string message =
      "From: MAILER-DAEMON@mx.example.net\nTo: alice@example.com\nSubject: failure notice\n\n"
      "Hi. This is the qmail-send program at mx.example.net.\n"
      "I'm afraid I wasn't able to deliver your message to the following addresses.\n\n"
      "<Bob@Example.NET>:\nSorry, no mailbox here by that name.\n\n"
      "--- Transcript\n"
      ">>> RCPT TO:<bob@example.net>\n<<< 550 no such user\n";
  const auto report = analyse(message);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].smtp_command, "RCPT");
}

TEST(ReaderGates, FoldedFieldsAreJoinedAndNamesReadInAnyCase) {
  // The fields are read as views of the text; a value folded over lines,
  // or starting on the next line, is joined with one space a line.
  clearbounce::dsn::BounceReport report;
  const std::string status =
      "REPORTING-MTA: dns; mx.example.net\r\n\r\n"
      "final-recipient: rfc822;\r\n  bob@example.net\r\n"
      "ACTION: failed\r\nStatus: 5.1.1\r\n"
      "Diagnostic-Code:\r\n\tsmtp; 550 5.1.1 <bob@example.net>:\r\n   Recipient address rejected:\r\n\tUser unknown\r\n"
      "Last-Attempt-Date: Mon, 1 Jan 2024\r\n 10:00:00 +0000\r\n";
  ASSERT_EQ(clearbounce::dsn::detail::read_delivery_status(status, report, 10), 1u);
  EXPECT_EQ(report.reporting_mta, "mx.example.net");
  const auto& r = report.recipients[0];
  EXPECT_EQ(r.recipient, "bob@example.net");
  EXPECT_EQ(r.action, "failed");
  EXPECT_EQ(r.diagnostic_type, "smtp");
  EXPECT_EQ(r.diagnostic, "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown");
  EXPECT_EQ(r.last_attempt_date, "Mon, 1 Jan 2024 10:00:00 +0000");
}

TEST(ReaderGates, OnePassFindsWhereTheReturnedMessageStarts) {
  using clearbounce::dsn::detail::before_original_message;
  // A line that opens the returned message ends the text, even inside a
  // run of header fields that is not yet one.
  const std::string opened = "Sorry.\nReceived: from x\nMessage-Id: <1@x>\n----- Original message -----\nFrom: a@x\n";
  EXPECT_EQ(before_original_message(opened), "Sorry.\nReceived: from x\nMessage-Id: <1@x>\n");
  // A run of pasted header fields ends it where the run starts.
  const std::string pasted = "Sorry.\n\nReceived: from x\nMessage-Id: <1@x>\nSubject: hi\nOriginal message follows\n";
  EXPECT_EQ(before_original_message(pasted), "Sorry.\n\n");
  // Neither: the whole text, also without a final line break.
  EXPECT_EQ(before_original_message("Sorry.\nSubject: hi\nTo: b@x"), "Sorry.\nSubject: hi\nTo: b@x");
  // The last line, without a line break, may open it.
  EXPECT_EQ(before_original_message("Sorry.\r\n--- Original message"), "Sorry.\r\n");
}

// What fill_missing_from finds in `text` for a recipient that lacks all of it.
clearbounce::dsn::RecipientReport filled_from(const std::string& text) {
  clearbounce::dsn::RecipientReport r;
  clearbounce::dsn::detail::fill_missing_from(r, text);
  return r;
}

TEST(ReaderGates, CommandIsTakenFromTheWholeMatchAsFromItsGroup) {
  const std::pair<std::string, std::string> cases[] = {
      {"550 5.1.1 unknown user (in reply to RCPT TO command)", "RCPT"},
      {"In reply to\r\n   end of data command", "DATA"},
      {">>>DATA\n<<< 554 rejected", "DATA"},
      {"[RCPT_TO] refused", "RCPT"},
      {"SMTP: mail from refused", "MAIL"},
      {"host did not like our\n\tRCPT TO:<b@x>", "RCPT"},
      {"error while sending STARTTLS", "STARTTLS"},
      {"afterRCPT", "RCPT"},
      {"after rcptx, then after helo", "HELO"},
      {"after HELO, and later after RCPT TO", "HELO"},
      {"after connect", "CONN"},
      {"after initial connection", "CONN"},
      {"\xC5\xBFmtp: DATA refused", "DATA"},  // U+017F: the caseless regex reads "smtp:"
      {"after nothing at all", ""},
  };
  for (const auto& [text, command] : cases) EXPECT_EQ(filled_from(text).smtp_command, command) << text;
}

TEST(ReaderGates, ServerIsTakenFromTheWholeMatchAsFromItsGroups) {
  // The regex whose groups the shortcut stands in for.
  static const RE2 host_re(
      R"((?i)(?:\bhost|connect to|conversation with|connection with)\s+([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\s*\[([0-9A-Fa-f.:]+)\])");
  const std::string cases[] = {
      "host mx.example.net[192.0.2.1] said: 550 no",
      "connect to mx.example.net [2001:db8::1]:25: refused",
      "Conversation with\r\n  mx.example.net\t[192.0.2.1] timed out",
      "ghost mx.example.net[192.0.2.1]",
      "ghost a.example[192.0.2.9] then host b.example[192.0.2.7]",
      "HOST mx.example.net  [192.0.2.1]",
      "ho\xC5\xBFt mx.example.net[192.0.2.1]",  // U+017F read as 's'
      "connection with mx.example.net[not an address]",
      "host [192.0.2.1]",
      "[192.0.2.1] with no name",
  };
  for (const std::string& text : cases) {
    std::string host, ip;
    const bool found = RE2::PartialMatch(text, host_re, &host, &ip);
    const auto r = filled_from(text);
    EXPECT_EQ(r.remote_mta, found ? host : "") << text;
    EXPECT_EQ(r.remote_ip, found ? ip : "") << text;
  }
}

// A report whose MIME boundary never occurs: its parts are read from the
// raw text, after the line `content_type`.
std::string broken_report_with(const std::string& content_type, const std::string& before = "") {
  return "From: MAILER-DAEMON@mx.example.net\nTo: alice@example.com\nSubject: Delivery Status Notification\n"
         "Content-Type: multipart/report; report-type=delivery-status; boundary=NEVER\n\n"
         "--XYZ\nContent-Type: text/plain\n\nDelivery failed.\n\n" +
         before + "--XYZ\n" + content_type +
         "\n\nReporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; carol@example.net\n"
         "Action: failed\nStatus: 5.1.1\n\n--XYZ--\n";
}

// Whether the fields were read as a report's (the text's reader would
// name carol too, as a plain bounce).
bool names_carol(const std::string& message) {
  const auto report = analyse(message);
  return report.kind == clearbounce::dsn::ReportKind::delivery_status && report.recipients.size() == 1 &&
         report.recipients[0].recipient == "carol@example.net";
}

TEST(ReaderGates, LooseReportLinesAreFoundAsByTheirRegex) {
  EXPECT_TRUE(names_carol(broken_report_with("Content-Type: message/delivery-status")));
  EXPECT_TRUE(names_carol(broken_report_with("CONTENT-TYPE: \t Message/Delivery-Status; x=y")));
  EXPECT_TRUE(names_carol(broken_report_with("content-type:message/delivery-status")));
  // U+017F: the caseless regex reads "meſſage" as "message".
  EXPECT_TRUE(names_carol(broken_report_with("Content-Type: me\xC5\xBF\xC5\xBF" "age/delivery-status")));
  EXPECT_FALSE(names_carol(broken_report_with(" Content-Type: message/delivery-status")));
  EXPECT_FALSE(names_carol(broken_report_with("Content-Type: message/delivery-statu")));
  // A report inside the returned message is another report.
  EXPECT_FALSE(names_carol(broken_report_with("Content-Type: message/delivery-status",
                                              "--XYZ\nContent-Type:\tmessage/rfc822\n\nFrom: a@x\n\n")));
  // The regex ends with the type: a longer name starting so counts.
  EXPECT_FALSE(names_carol(broken_report_with("Content-Type: message/delivery-status",
                                              "--XYZ\nContent-Type: text/rfc822-headersX\n\n")));
  // The field's line must end: a message that stops on it has no report.
  const std::string cut = "From: MAILER-DAEMON@mx.example.net\nTo: alice@example.com\nSubject: failure\n"
                          "Content-Type: multipart/report; boundary=NEVER\n\n--XYZ\n"
                          "Content-Type: message/delivery-status; carol@example.net";
  EXPECT_FALSE(names_carol(cut));
}

}  // namespace
