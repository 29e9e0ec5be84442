// RFC 3464 / RFC 6533 delivery-status reports read through dsn::analyse on
// whole messages. Every message is written here by hand.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/fields.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::AnalyseLimits;
using clearbounce::dsn::BounceReport;
using clearbounce::dsn::ReportKind;

// A multipart/report around the given delivery-status fields, with a short
// neutral human-readable part that names no address.
std::string report_with(std::string_view status_fields, std::string_view report_type = "delivery-status",
                        std::string_view status_type = "message/delivery-status") {
  std::string m;
  m += "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n";
  m += "To: alice@example.com\n";
  m += "Subject: Delivery Status Notification\n";
  m += "Date: Mon, 3 Jun 2024 10:05:00 +0200\n";
  m += "MIME-Version: 1.0\n";
  m += "Content-Type: multipart/report; report-type=";
  m += report_type;
  m += "; boundary=\"=_report_7f3a\"\n";
  m += "\n";
  m += "This is a MIME-encapsulated message.\n";
  m += "\n";
  m += "--=_report_7f3a\n";
  m += "Content-Type: text/plain; charset=us-ascii\n";
  m += "\n";
  m += "The report below lists what happened to each recipient.\n";
  m += "\n";
  m += "--=_report_7f3a\n";
  m += "Content-Type: ";
  m += status_type;
  m += "\n";
  m += "\n";
  m += status_fields;
  m += "\n";
  m += "--=_report_7f3a\n";
  m += "Content-Type: text/rfc822-headers\n";
  m += "\n";
  m += "From: alice@example.com\n";
  m += "To: team@example.net\n";
  m += "Subject: Quarterly numbers\n";
  m += "\n";
  m += "--=_report_7f3a--\n";
  return m;
}

std::string collapse_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool space = c == ' ' || c == '\t' || c == '\r' || c == '\n';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string to_crlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += "\r\n";
    else out.push_back(c);
  }
  return out;
}

// A Postfix 3.7 style bounce: the text part names the remote host and the
// SMTP command, the delivery-status part carries the fields.
const char* const kPostfixBounce = R"MSG(Return-Path: <>
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
	boundary="3F1A2B4C5D.1717401900/mx.example.com"

This is a MIME-encapsulated message.

--3F1A2B4C5D.1717401900/mx.example.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<bob@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1
    <bob@example.net>: Recipient address rejected: User unknown in virtual
    mailbox table (in reply to RCPT TO command)

<carol@example.net>: host mx.example.net[192.0.2.25] said: 552 5.3.4 Message
    size exceeds fixed limit (in reply to end of DATA command)

--3F1A2B4C5D.1717401900/mx.example.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com
X-Postfix-Queue-ID: 3F1A2B4C5D
X-Postfix-Sender: rfc822; alice@example.com
Arrival-Date: Mon,  3 Jun 2024 10:04:58 +0200 (CEST)

Final-Recipient: rfc822; bob@example.net
Original-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected:
    User unknown in virtual mailbox table

Final-Recipient: rfc822; carol@example.net
Original-Recipient: rfc822;carol@example.net
Action: failed
Status: 5.3.4
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 552 5.3.4 Message size exceeds fixed limit

--3F1A2B4C5D.1717401900/mx.example.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: alice@example.com
To: bob@example.net, carol@example.net
Subject: Quarterly numbers

--3F1A2B4C5D.1717401900/mx.example.com--
)MSG";

}  // namespace

TEST(DeliveryStatus, PerMessageFieldsAndRecipientsInOrder) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com
Arrival-Date: Mon, 3 Jun 2024 10:00:00 +0200

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 No such user

Final-Recipient: rfc822; carol@example.org
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox over quota

Final-Recipient: rfc822; dave@example.com
Action: delivered
Status: 2.0.0
Diagnostic-Code: smtp; 250 2.0.0 Ok: queued
)"));
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  EXPECT_EQ(report.reporting_mta, "mx.example.com");
  EXPECT_EQ(report.arrival_date, "Mon, 3 Jun 2024 10:00:00 +0200");
  EXPECT_TRUE(report.error.empty()) << report.error;
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].action, "failed");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.org");
  EXPECT_EQ(report.recipients[1].action, "delayed");
  EXPECT_EQ(report.recipients[1].status, "4.2.2");
  EXPECT_EQ(report.recipients[2].recipient, "dave@example.com");
  EXPECT_EQ(report.recipients[2].action, "delivered");
  EXPECT_EQ(report.recipients[2].status, "2.0.0");
  // No MTA family's wording in the text: a plain RFC 3464 report.
  EXPECT_EQ(report.dialect, "rfc3464");
}

TEST(DeliveryStatus, ReportingMtaKeepsOnlyTheName) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns;relay.example.org

Final-Recipient: rfc822;bob@example.net
Action: failed
Status: 5.1.1
)"));
  EXPECT_EQ(report.reporting_mta, "relay.example.org");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
}

// The sender knows the address it used: the Original-Recipient is reported,
// the address an alias expanded it to is kept as final_recipient.
TEST(DeliveryStatus, OriginalRecipientIsTheRecipientFinalIsKept) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob.smith@mail.example.net
Original-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].original_recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].final_recipient, "bob.smith@mail.example.net");
}

TEST(DeliveryStatus, OriginalRecipientFirstStillBelongsToTheSameRecipient) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Original-Recipient: rfc822; sales@example.com
Final-Recipient: rfc822; erin@example.org
Action: failed
Status: 5.2.2

Original-Recipient: rfc822; info@example.com
Final-Recipient: rfc822; frank@example.org
Action: failed
Status: 5.1.1
)"));
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].recipient, "sales@example.com");
  EXPECT_EQ(report.recipients[0].final_recipient, "erin@example.org");
  EXPECT_EQ(report.recipients[0].status, "5.2.2");
  EXPECT_EQ(report.recipients[1].recipient, "info@example.com");
  EXPECT_EQ(report.recipients[1].final_recipient, "frank@example.org");
  EXPECT_EQ(report.recipients[1].status, "5.1.1");
}

TEST(DeliveryStatus, OnlyOriginalRecipientGivesTheRecipient) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Original-Recipient: rfc822; <gina@example.org>
Action: failed
Status: 5.1.1
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "gina@example.org");
  EXPECT_EQ(report.recipients[0].original_recipient, "gina@example.org");
}

TEST(DeliveryStatus, AngleBracketsAndCaseOfAddress) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: RFC822; <Bob.Smith@Example.NET>
Action: failed
Status: 5.1.1
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "Bob.Smith@Example.NET");
}

TEST(DeliveryStatus, FoldedDiagnosticCodeIsOneText) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
    not exist. Please try double-checking the recipient's email
	address for typos or unnecessary spaces.
Last-Attempt-Date: Mon, 3 Jun 2024 10:01:00 +0200
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& diagnostic = report.recipients[0].diagnostic;
  EXPECT_EQ(diagnostic.find('\n'), std::string::npos) << diagnostic;
  EXPECT_EQ(diagnostic.find('\r'), std::string::npos) << diagnostic;
  EXPECT_EQ(collapse_spaces(diagnostic),
            "550-5.1.1 The email account that you tried to reach does not exist. Please try "
            "double-checking the recipient's email address for typos or unnecessary spaces.");
  // The field after the folded one is still its own field.
  EXPECT_EQ(report.recipients[0].last_attempt_date, "Mon, 3 Jun 2024 10:01:00 +0200");
}

TEST(DeliveryStatus, DiagnosticTypesAreLowerCased) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: SMTP; 550 5.1.1 User unknown

Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.4.6
Diagnostic-Code: X-Postfix; mail for example.net loops back to myself

Final-Recipient: rfc822; dave@example.net
Action: failed
Status: 5.3.0
Diagnostic-Code: X-Unix; /usr/bin/procmail: permission denied
)"));
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].diagnostic_type, "smtp");
  EXPECT_EQ(report.recipients[0].diagnostic, "550 5.1.1 User unknown");
  EXPECT_EQ(report.recipients[1].diagnostic_type, "x-postfix");
  EXPECT_EQ(report.recipients[1].diagnostic, "mail for example.net loops back to myself");
  EXPECT_EQ(report.recipients[2].diagnostic_type, "x-unix");
  EXPECT_EQ(report.recipients[2].diagnostic, "/usr/bin/procmail: permission denied");
}

TEST(DeliveryStatus, StatusWithComment) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.0.0 (permanent failure)
Diagnostic-Code: X-Postfix; mail for example.net loops back to myself
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, "5.0.0");
  EXPECT_EQ(report.recipients[0].action, "failed");
}

TEST(DeliveryStatus, GenericStatusRefinedByTheDiagnostic) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
}

TEST(DeliveryStatus, SpecificStatusIsNotReplacedByTheDiagnostic) {
  // The Status field is the report's own verdict (RFC 3464 2.3.4); only a
  // generic x.0.0 says less than the text.
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, "5.2.2");
}

TEST(DeliveryStatus, ReplyCodeFromMultilineAndSingleLineReplies) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does
    not exist.

Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <carol@example.net>: User unknown

Final-Recipient: rfc822; dave@example.net
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.25]:25: Connection
    refused
)"));
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].reply_code, "550");
  EXPECT_EQ(report.recipients[1].reply_code, "550");
  // No SMTP reply at all: neither the port nor the address is a reply code.
  EXPECT_EQ(report.recipients[2].reply_code, "");
}

TEST(DeliveryStatus, RemoteMtaAsDnsName) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx2.example.net
Diagnostic-Code: smtp; 550 5.1.1 User unknown
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].remote_mta, "mx2.example.net");
}

// report.hpp documents remote_mta as "host name (or [ip])", and it is the
// only remote field classify --json prints: an address literal fills both.
TEST(DeliveryStatus, RemoteMtaAsAddressLiteralGivesTheIpAndNamesTheServer) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; [192.0.2.25]
Diagnostic-Code: smtp; 550 5.1.1 User unknown
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].remote_ip, "192.0.2.25");
  EXPECT_EQ(report.recipients[0].remote_mta, "[192.0.2.25]");
}

TEST(DeliveryStatus, RetryAndAttemptDatesKeptAsWritten) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.net[192.0.2.25]:25: Connection refused
Last-Attempt-Date: Mon,  3 Jun 2024 14:05:01 +0200 (CEST)
Will-Retry-Until: Sat,  8 Jun 2024 10:04:58 +0200 (CEST)
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].last_attempt_date, "Mon,  3 Jun 2024 14:05:01 +0200 (CEST)");
  EXPECT_EQ(report.recipients[0].will_retry_until, "Sat,  8 Jun 2024 10:04:58 +0200 (CEST)");
}

TEST(DeliveryStatus, ActionIsLowerCased) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: FAILED
Status: 5.1.1

Final-Recipient: rfc822; carol@example.net
Action: Delayed
Status: 4.4.7

Final-Recipient: rfc822; dave@example.net
Action: Relayed (to a non-DSN-aware system)
Status: 2.0.0
)"));
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].action, "failed");
  EXPECT_EQ(report.recipients[1].action, "delayed");
  EXPECT_EQ(report.recipients[2].action, "relayed");
}

TEST(DeliveryStatus, SmtpCommandFromPostfixWording) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; host mx.example.net[192.0.2.25] said: 550 5.1.1
    <bob@example.net>: Recipient address rejected: User unknown (in reply to
    RCPT TO command)

Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; host mx.example.net[192.0.2.25] said: 554 5.7.1 Message
    rejected as spam (in reply to end of DATA command)
)"));
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].smtp_command, "RCPT");
  EXPECT_EQ(report.recipients[1].smtp_command, "DATA");
}

TEST(DeliveryStatus, RemoteHostAndIpFromHostSaid) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; host mx.example.net[192.0.2.25] said: 550 5.1.1 User unknown
    (in reply to RCPT TO command)
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].remote_mta, "mx.example.net");
  EXPECT_EQ(report.recipients[0].remote_ip, "192.0.2.25");
  EXPECT_EQ(report.recipients[0].smtp_command, "RCPT");
}

TEST(DeliveryStatus, ReplyCodeAfterHostSaid) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; host mx.example.net[192.0.2.25] said: 550 5.1.1 User unknown
    (in reply to RCPT TO command)
)"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].reply_code, "550");
}

TEST(DeliveryStatus, PostfixBounceTextPartGivesCommand) {
  const auto report = analyse(kPostfixBounce);
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  EXPECT_EQ(report.dialect, "postfix");
  EXPECT_EQ(report.reporting_mta, "mx.example.com");
  EXPECT_EQ(report.arrival_date, "Mon,  3 Jun 2024 10:04:58 +0200 (CEST)");
  ASSERT_EQ(report.recipients.size(), 2u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.original_recipient, "bob@example.net");
  EXPECT_EQ(bob.remote_mta, "mx.example.net");
  EXPECT_EQ(bob.reply_code, "550");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_EQ(bob.smtp_command, "RCPT");
  EXPECT_NE(bob.diagnostic.find("User unknown in virtual mailbox table"), std::string::npos) << bob.diagnostic;
  const auto& carol = report.recipients[1];
  EXPECT_EQ(carol.recipient, "carol@example.net");
  EXPECT_EQ(carol.reply_code, "552");
  EXPECT_EQ(carol.status, "5.3.4");
  EXPECT_EQ(carol.smtp_command, "DATA");
}

TEST(DeliveryStatus, PostfixBounceTextPartGivesRemoteIp) {
  // "host mx.example.net[192.0.2.25] said:" is in the text part only; the
  // delivery-status part names the host without its address.
  const auto report = analyse(kPostfixBounce);
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].remote_ip, "192.0.2.25");
  EXPECT_EQ(report.recipients[1].remote_ip, "192.0.2.25");
}

TEST(DeliveryStatus, GlobalDeliveryStatusWithUtf8Address) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Final-Recipient: utf-8; jörg.müller@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 Benutzer unbekannt: jörg.müller
)",
                                          "global-delivery-status", "message/global-delivery-status"));
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "jörg.müller@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[0].diagnostic, "550 5.1.1 Benutzer unbekannt: jörg.müller");
}

TEST(DeliveryStatus, CrlfLineEndings) {
  const auto message = to_crlf(report_with(R"(Reporting-MTA: dns; mx.example.com
Arrival-Date: Mon, 3 Jun 2024 10:00:00 +0200

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach
    does not exist.

Final-Recipient: rfc822; carol@example.net
Action: delayed
Status: 4.2.2
Diagnostic-Code: smtp; 452 4.2.2 Mailbox full
)"));
  ASSERT_NE(message.find("\r\n"), std::string::npos);
  const auto report = analyse(message);
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  EXPECT_EQ(report.reporting_mta, "mx.example.com");
  EXPECT_EQ(report.arrival_date, "Mon, 3 Jun 2024 10:00:00 +0200");
  ASSERT_EQ(report.recipients.size(), 2u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.action, "failed");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_EQ(bob.remote_mta, "mx.example.net");
  EXPECT_EQ(bob.diagnostic_type, "smtp");
  EXPECT_EQ(collapse_spaces(bob.diagnostic),
            "550-5.1.1 The email account that you tried to reach does not exist.");
  EXPECT_EQ(bob.diagnostic.find('\r'), std::string::npos);
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.net");
  EXPECT_EQ(report.recipients[1].action, "delayed");
  EXPECT_EQ(report.recipients[1].diagnostic, "452 4.2.2 Mailbox full");
}

TEST(DeliveryStatus, GroupsWithoutBlankLines) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com
Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown
Final-Recipient: rfc822; carol@example.net
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full
Final-Recipient: rfc822; dave@example.net
Action: delayed
Status: 4.4.1
)"));
  EXPECT_EQ(report.reporting_mta, "mx.example.com");
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[0].diagnostic, "550 5.1.1 User unknown");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.net");
  EXPECT_EQ(report.recipients[1].status, "5.2.2");
  EXPECT_EQ(report.recipients[1].diagnostic, "552 5.2.2 Mailbox full");
  EXPECT_EQ(report.recipients[2].recipient, "dave@example.net");
  EXPECT_EQ(report.recipients[2].action, "delayed");
  EXPECT_EQ(report.recipients[2].diagnostic, "");
}

TEST(DeliveryStatus, GroupsWithoutBlankLinesOriginalFirst) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com

Original-Recipient: rfc822; sales@example.com
Final-Recipient: rfc822; erin@example.org
Action: failed
Status: 5.1.1
Original-Recipient: rfc822; info@example.com
Final-Recipient: rfc822; frank@example.org
Action: failed
Status: 5.2.2
)"));
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].recipient, "sales@example.com");
  EXPECT_EQ(report.recipients[0].final_recipient, "erin@example.org");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[1].recipient, "info@example.com");
  EXPECT_EQ(report.recipients[1].final_recipient, "frank@example.org");
  EXPECT_EQ(report.recipients[1].status, "5.2.2");
}

TEST(DeliveryStatus, NoRecipientIsNotABounce) {
  const auto report = analyse(report_with(R"(Reporting-MTA: dns; mx.example.com
Arrival-Date: Mon, 3 Jun 2024 10:00:00 +0200
)"));
  EXPECT_EQ(report.kind, ReportKind::not_bounce);
  EXPECT_TRUE(report.recipients.empty());
  EXPECT_FALSE(report.error.empty());
}

TEST(DeliveryStatus, ManyRecipientsAreBounded) {
  std::string fields = "Reporting-MTA: dns; mx.example.com\n";
  for (int i = 0; i < 20000; ++i) {
    fields += "\nFinal-Recipient: rfc822; user" + std::to_string(i) + "@example.net\n";
    fields += "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n";
  }
  AnalyseLimits limits;
  limits.max_recipients = 100;
  const auto report = analyse(report_with(fields), limits);
  EXPECT_EQ(report.kind, ReportKind::delivery_status);
  ASSERT_LE(report.recipients.size(), 100u);
  ASSERT_EQ(report.recipients.size(), 100u);
  // The first ones, in order.
  EXPECT_EQ(report.recipients.front().recipient, "user0@example.net");
  EXPECT_EQ(report.recipients.back().recipient, "user99@example.net");
}

TEST(DeliveryStatus, DroppedRecipientsAreNoted) {
  std::string fields = "Reporting-MTA: dns; mx.example.com\n";
  for (int i = 0; i < 300; ++i) {
    fields += "\nFinal-Recipient: rfc822; user" + std::to_string(i) + "@example.net\n";
    fields += "Action: failed\nStatus: 5.1.1\n";
  }
  AnalyseLimits limits;
  limits.max_recipients = 100;
  const auto report = analyse(report_with(fields), limits);
  ASSERT_EQ(report.recipients.size(), 100u);
  // report.hpp: "the rest are dropped with a note in `error`".
  EXPECT_FALSE(report.error.empty());
}

// Codes in a diagnostic's wording: where a reply code and an enhanced
// status code start and end.
namespace {

clearbounce::dsn::RecipientReport completed(std::string diagnostic, std::string status = {}) {
  clearbounce::dsn::RecipientReport r;
  r.diagnostic = std::move(diagnostic);
  r.status = std::move(status);
  clearbounce::dsn::detail::complete_from_diagnostic(r);
  return r;
}

TEST(DiagnosticCodes, ReplyCodeStandsAlone) {
  EXPECT_EQ(completed("550 5.1.1 no such user").reply_code, "550");
  EXPECT_EQ(completed("said:\t452-4.2.2 over quota").reply_code, "452");
  EXPECT_EQ(completed("(554: message refused)").reply_code, "554");
  EXPECT_EQ(completed("answered 421:\ttry later").reply_code, "421");
  EXPECT_EQ(completed("code 550").reply_code, "550");
  // Inside an address, a time, a longer number, or a 3xx: not a reply.
  EXPECT_EQ(completed("from 192.0.2.250 at 10:45:33").reply_code, "");
  EXPECT_EQ(completed("ticket 5501 opened").reply_code, "");
  EXPECT_EQ(completed("354 go ahead").reply_code, "");
  EXPECT_EQ(completed("560 out of range").reply_code, "");
  EXPECT_EQ(completed("550:nospace").reply_code, "");
}

TEST(DiagnosticCodes, StatusCodeIsAFailureCodeNotAVersion) {
  EXPECT_EQ(completed("550 5.1.1 unknown", "5.0.0").status, "5.1.1");
  EXPECT_EQ(completed("X-Mailer 2.1.12 said 4.7.500 greylisted", "4.0.0").status, "4.7.500");
  EXPECT_EQ(completed("version 5.2.1 of the filter, then 5.7.1 denied", "5.0.0").status, "5.7.1");
  // Too many digits, or a dot or digit next to it: not a status code.
  EXPECT_EQ(completed("build 5.1.1234 failed", "5.0.0").status, "5.0.0");
  EXPECT_EQ(completed("address 10.5.1.1 refused", "5.0.0").status, "5.0.0");
  EXPECT_EQ(completed("at 15.1.1 refused", "5.0.0").status, "5.0.0");
  EXPECT_EQ(completed("5.4.4", "5.0.0").status, "5.4.4");
}

TEST(DiagnosticCodes, StatusFieldTakesTheFirstFailureOrSuccessCode) {
  const auto report = analyse(report_with("Reporting-MTA: dns; mx.example.net\n\n"
                                          "Final-Recipient: rfc822; a@example.net\nAction: failed\n"
                                          "Status: 3.1.1 then 5.1.1 (unknown)\n\n"
                                          "Final-Recipient: rfc822; b@example.net\nAction: failed\n"
                                          "Status: 5.1.10\n\n"
                                          "Final-Recipient: rfc822; c@example.net\nAction: failed\n"
                                          "Status: 5.1.1000\n"));
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[1].status, "5.1.10");
  EXPECT_EQ(report.recipients[2].status, "");
}

TEST(DiagnosticCodes, HostNamedWithItsAddressOnly) {
  const auto r = completed("host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown");
  EXPECT_EQ(r.remote_mta, "mx.example.net");
  EXPECT_EQ(r.remote_ip, "192.0.2.1");
  EXPECT_EQ(completed("host mx.example.net said: 550 5.1.1 unknown").remote_mta, "");
  EXPECT_EQ(completed("mx.example.net does not like recipient.").smtp_command, "RCPT");
  EXPECT_EQ(completed("MX.EXAMPLE.NET DOES NOT LIKE RECIPIENT.").smtp_command, "RCPT");
}

}  // namespace
