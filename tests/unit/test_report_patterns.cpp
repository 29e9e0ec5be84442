// Patterns of bounces that were misread (issue 10, "Patterns to fix"): the
// returned message's addresses and numbers taken for the report's, the
// wrong address kept, bounces refused or taken for something else, and text
// outside the report deciding the verdict. Every message is written here
// by hand, in the style of the servers it imitates.
#include <gtest/gtest.h>

#include <string>

#include "classifier/classifier.hpp"
#include "dsn/mime.hpp"
#include "dsn/report.hpp"
#include "dsn/rewrite.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::BounceReport;
using clearbounce::dsn::ReportKind;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string recipients_of(const BounceReport& report) {
  std::string out;
  for (const auto& r : report.recipients) out += r.recipient + " ";
  return out;
}

// A multipart/report around a text part and delivery-status fields, with
// the returned message's headers after them.
std::string report_with(std::string_view text, std::string_view fields, std::string_view returned_headers = {}) {
  std::string m =
      "From: MAILER-DAEMON@mx.example.net (Mail Delivery System)\n"
      "To: alice@example.com\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"rb-41\"\n"
      "\n"
      "--rb-41\nContent-Type: text/plain; charset=us-ascii\n\n";
  m += text;
  m += "\n--rb-41\nContent-Type: message/delivery-status\n\n";
  m += fields;
  if (!returned_headers.empty()) {
    m += "\n--rb-41\nContent-Type: text/rfc822-headers\n\n";
    m += returned_headers;
  }
  m += "\n--rb-41--\n";
  return m;
}

}  // namespace

// 1. No recipient is ever taken from the returned message.

TEST(ReportPatterns, QuotedToAndCcOfTheReturnedMessageAreNotRecipients) {
  const auto report = analyse(R"MSG(From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>
To: alice@example.com
Subject: Delivery Status Notification (Failure)

Delivery to the following recipient failed permanently:

    bob@example.net

Technical details of permanent failure:
550 5.1.1 The email account that you tried to reach does not exist.

Received: from mail.example.com (mail.example.com [192.0.2.10])
	by mx.example.net with ESMTP id 4B2C1; Mon, 3 Jun 2024 10:00:00 +0200
From: Alice <alice@example.com>
To: bob@example.net,
	carol@example.org,
	dave@example.org
Cc: erin@example.org,
 frank@example.org
Subject: Team meeting
Date: Mon, 3 Jun 2024 09:59:00 +0200
Message-ID: <4f2a.1@example.com>

See you all at ten.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
}

TEST(ReportPatterns, MailingListAddressesAreNotRecipients) {
  const auto report = analyse(R"MSG(From: postmaster@mail.example.net
To: team-bounces@lists.example.org
Subject: Delivery failure
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mx-7"

--mx-7
Content-Type: text/plain

Your message to team@lists.example.org could not be delivered to
one of its recipients, bob@example.net. The server answered:
550 5.1.1 mailbox unavailable

--mx-7
Content-Type: message/rfc822

From: Alice <alice@example.com>
To: team@lists.example.org
Subject: [team] Minutes
List-Id: Team discussion <team.lists.example.org>
List-Post: <mailto:team@lists.example.org>
List-Unsubscribe: <mailto:team-leave@lists.example.org>
Sender: team-bounces@lists.example.org

The minutes are attached.

--mx-7--
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
}

TEST(ReportPatterns, MailingListAddressesQuotedInTheTextAreNotRecipients) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.net
To: team-bounces@lists.example.org
Subject: Returned mail: see transcript for details

Your message to team@lists.example.org was not delivered to bob@example.net:
550 5.1.1 unknown user.

------ Original message header ------
From: Alice <alice@example.com>
To: team@lists.example.org
Subject: [team] Minutes
List-Id: Team discussion <team.lists.example.org>
List-Post: <mailto:team@lists.example.org>
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
}

TEST(ReportPatterns, MailingListAddressesInReturnedHeadersPartAreNotRecipients) {
  const auto report = analyse(R"MSG(From: Mail Delivery Subsystem <mailer-daemon@mx.example.net>
To: team-bounces@lists.example.org
Subject: Delivery failure
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="hd-3"

--hd-3
Content-Type: text/plain

Your message to team@lists.example.org could not be delivered to
bob@example.net: 550 5.1.1 no such user.

--hd-3
Content-Type: text/rfc822-headers

From: Alice <alice@example.com>
To: team@lists.example.org
Subject: [team] Minutes
List-Post: <mailto:team@lists.example.org>

--hd-3--
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
}

TEST(ReportPatterns, OneDelayNoticeForOneAddressGivesOneDelayedRecipient) {
  std::string message = R"MSG(From: Mail Delivery System <Mailer-Daemon@relay.example.net>
To: news@example.com
Subject: Warning: message 1sE5xY-0003Ab-7Q delayed 24 hours
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on relay.example.net.

The message identifier is:     1sE5xY-0003Ab-7Q
The subject of the message is: Newsletter June

The address to which the message has not yet been delivered is:

  bob@example.net
    host mx.example.net [192.0.2.25]
    Delay reason: SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    451 4.7.1 Greylisted, please try again later

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals.

Return-path: <news@example.com>
Received: from [192.0.2.9] by relay.example.net; Sun, 02 Jun 2024 10:00:00 +0200
From: News <news@example.com>
Subject: Newsletter June
Message-ID: <n-2024-06@example.com>
To: bob@example.net,
)MSG";
  for (int i = 0; i < 45; ++i) message += "  reader" + std::to_string(i) + "@example.org,\n";
  message += "  last@example.org\n\nThis month's news.\n";
  const auto report = analyse(message);
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].action, "delayed");
}

TEST(ReportPatterns, ReturnedDeliveryReportIsNotThisReport) {
  // A notice about our own notice: the returned message is itself a report,
  // whose recipients are not the ones this bounce is about.
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.org (Mail Delivery System)
To: postmaster@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="dbl-1"

--dbl-1
Content-Type: text/plain

This is the mail system at host mx.example.org.

<postmaster@example.com>: host mx.example.com[192.0.2.10] said: 550 5.7.1
    relaying denied (in reply to RCPT TO command)

--dbl-1
Content-Type: message/rfc822

From: MAILER-DAEMON@mx.example.com
To: someone@example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: multipart/report; report-type=delivery-status; boundary="in-2"

--in-2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; zed@example.com
Action: failed
Status: 5.1.1

--in-2--

--dbl-1--
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "postmaster@example.com");
  EXPECT_EQ(report.recipients[0].status, "5.7.1");
}

TEST(ReportPatterns, AddresseeOfTheReturnedMessageIsNotTakenForTheRecipient) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.net
To: alice@example.com
Subject: Returned mail: delivery problems

The message could not be delivered: the remote system refused it.

----- Original message follows -----
From: alice@example.com
To: team@lists.example.org
Subject: Hello
List-Id: Team <team.lists.example.org>

Hi.
)MSG");
  for (const auto& r : report.recipients) EXPECT_NE(r.recipient, "team@lists.example.org");
}

// 2. Status codes come from the report, never from returned headers or versions.

TEST(ReportPatterns, VersionInReturnedHeadersIsNotAStatus) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.net
To: team-bounces@lists.example.org
Subject: failure notice

Hi. This is the qmail-send program at mx.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.net>:
Sorry, I couldn't find any host named example.net.

Return-Path: <team-bounces@lists.example.org>
Received: from lists.example.org by mx.example.net; 3 Jun 2024 08:00:00 -0000
X-Mailman-Version: 2.1.12
X-Mailer: Groupware 4.2.17
Subject: [team] Agenda
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].status, "");
  EXPECT_FALSE(contains(report.recipients[0].diagnostic, "2.1.12")) << report.recipients[0].diagnostic;
}

TEST(ReportPatterns, VersionLikeNumberInTheDiagnosticIsNotAStatus) {
  const auto report = analyse(report_with("Your message could not be delivered.\n",
                                          "Reporting-MTA: dns; mx.example.net\n\n"
                                          "Final-Recipient: rfc822; bob@example.net\nAction: failed\n"
                                          "Diagnostic-Code: smtp; 550 rejected by filter version 2.1.12\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].status, "");
  EXPECT_EQ(report.recipients[0].reply_code, "550");
}

// 3. The right address.

TEST(ReportPatterns, FinalRecipientWithoutDomainGivesWayToOriginalRecipient) {
  const auto report = analyse(report_with("Your message could not be delivered.\n",
                                          "Reporting-MTA: dns; mx.example.net\n\n"
                                          "Final-Recipient: rfc822; bob\n"
                                          "Original-Recipient: rfc822; bob@example.net\n"
                                          "Action: failed\nStatus: 5.1.1\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
}

TEST(ReportPatterns, TheAddressTheSenderUsedIsReportedTheExpandedOneKept) {
  const auto report = analyse(report_with("Your message could not be delivered.\n",
                                          "Reporting-MTA: dns; mx.example.net\n\n"
                                          "Final-Recipient: rfc822; bob.smith@mailhost.example.net\n"
                                          "Original-Recipient: rfc822; sales@example.net\n"
                                          "Action: failed\nStatus: 5.2.2\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "sales@example.net");
  EXPECT_EQ(report.recipients[0].original_recipient, "sales@example.net");
  EXPECT_EQ(report.recipients[0].final_recipient, "bob.smith@mailhost.example.net");
}

TEST(ReportPatterns, ExchangePrefixesAreStripped) {
  const auto report = analyse(report_with("Delivery has failed to these recipients or groups:\n",
                                          "Reporting-MTA: dns; exch01.example.net\n\n"
                                          "Final-Recipient: rfc822; smtp=bob@example.net\n"
                                          "Action: failed\nStatus: 5.1.1\n\n"
                                          "Final-Recipient: rfc822; SMTP:carol@example.net\n"
                                          "Action: failed\nStatus: 5.1.1\n\n"
                                          "Final-Recipient: rfc822; [SMTP:dave@example.net]\n"
                                          "Action: failed\nStatus: 5.1.1\n"));
  ASSERT_EQ(report.recipients.size(), 3u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.net");
  EXPECT_EQ(report.recipients[2].recipient, "dave@example.net");
}

// 4. Bounces that were refused or misread.

TEST(ReportPatterns, BounceStartingWithBlankLinesIsRead) {
  const std::string message = std::string("\n  \r\n\n") + report_with("Your message could not be delivered.\n",
                                                                      "Reporting-MTA: dns; mx.example.net\n\n"
                                                                      "Final-Recipient: rfc822; bob@example.net\n"
                                                                      "Action: failed\nStatus: 5.1.1\n");
  const auto report = analyse(message);
  EXPECT_EQ(report.kind, ReportKind::delivery_status) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u);
  // The parse still covers every byte: nothing is lost for the rewrite.
  const auto parsed = clearbounce::dsn::parse_mime(message);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->root.raw.size(), message.size());
  EXPECT_EQ(parsed->root.header_block.size() + (parsed->root.raw.size() - parsed->root.header_block.size()),
            message.size());
  EXPECT_EQ(parsed->root.header_text("Subject"), "Undelivered Mail Returned to Sender");
  // The rewrite keeps the leading lines and every byte after the replaced part.
  clearbounce::dsn::RewriteRequest request{"The address does not exist.\n", "<p>The address does not exist.</p>",
                                           "Not delivered", "category=recipient.unknown; locale=en"};
  const auto outcome = clearbounce::dsn::rewrite_report(message, *parsed, request);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  const std::string& out = outcome.rewritten->message;
  EXPECT_EQ(out.substr(0, 5), message.substr(0, 5));
  const auto status_part = message.find("\n--rb-41\nContent-Type: message/delivery-status");
  ASSERT_NE(status_part, std::string::npos);
  EXPECT_TRUE(out.ends_with(message.substr(status_part)));
  const auto again = clearbounce::dsn::parse_mime(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->root.header_text("Subject"), "Not delivered");
}

TEST(ReportPatterns, AutoRepliedBounceIsABounce) {
  // No mailer-daemon, no bounce subject, no known MTA's wording: the failure
  // and its code say it is a bounce, whatever Auto-Submitted says.
  const auto report = analyse(R"MSG(From: Example Mail Service <no-reply@mail.example.net>
To: alice@example.com
Subject: Re: Quarterly numbers
Auto-Submitted: auto-replied

Delivery to bob@example.net failed permanently.

Reason: 550 5.1.1 <bob@example.net>: mailbox does not exist
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
}

TEST(ReportPatterns, VacationReplyIsStillAnAutoReply) {
  const auto report = analyse(R"MSG(From: Bob <bob@example.net>
To: alice@example.com
Subject: Automatic reply: Quarterly numbers
Auto-Submitted: auto-replied

I am away until 10 June. Your message will not be delivered to my deputy;
please write to carol@example.net for anything urgent.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::auto_reply) << report.error;
}

TEST(ReportPatterns, PostfixWithUnusualSpacing) {
  // A localised subject, a sender that is not "MAILER-DAEMON", the opening
  // line wrapped and the recipient line indented.
  const auto report = analyse(R"MSG(From: Mail System <mailsystem@mx.example.net>
To: alice@example.com
Subject: Nachricht konnte nicht zugestellt werden

   This is the mail system at
   host mx.example.net.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

                   The mail system

   <bob@example.net>:   host mx2.example.net[192.0.2.30] said:
      550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown
      (in reply to RCPT TO command)
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  EXPECT_EQ(report.dialect, "postfix");
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[0].smtp_command, "RCPT");
}

TEST(ReportPatterns, QmailWithReasonOnTheNextLinesAndBlankLines) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mail.example.net
To: alice@example.com
Subject: failure notice
Auto-Submitted: auto-replied

Hi. This is the qmail-send
program at mail.example.net.
I'm afraid I wasn't able to
deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.


<bob@example.net>:


This mailbox is over quota. (#5.2.2)


--- Below this line is a copy of the message.

To: bob@example.net, carol@example.org
Subject: Photos
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  EXPECT_EQ(report.dialect, "qmail");
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_TRUE(contains(report.recipients[0].diagnostic, "over quota")) << report.recipients[0].diagnostic;
  EXPECT_EQ(report.recipients[0].status, "5.2.2");
}

TEST(ReportPatterns, YahooAddressOnTheNextLine) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@yahoo.example
To: alice@example.com
Subject: Failure Notice
Auto-Submitted: auto-replied

Sorry, we were unable to deliver your message to the following
address.

<bob@example.net>:
Remote host said: 554 delivery error: dd This user doesn't have an account [-5]

--- Below this line is a copy of the message.

To: bob@example.net
Subject: Hello
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  EXPECT_EQ(report.dialect, "yahoo");
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].reply_code, "554");
}

TEST(ReportPatterns, NoRecipientIsTakenFromTheReturnedMessage) {
  // The bounce names nobody; the returned message had one addressee. Who
  // the sender wrote to is not who delivery failed for (an alias, a list,
  // a forward): the report names no recipient.
  const auto report = analyse(R"MSG(From: MMS Gateway <gateway@mms.example.net>
To: alice@example.com
Subject: Undeliverable Message

Message could not be delivered to mobile.
Error: No valid recipients for this MM

Original Message:
From: Alice <alice@example.com>
To: 5551234567@mms.example.net
Subject: photo
)MSG");
  EXPECT_TRUE(report.recipients.empty()) << recipients_of(report);
  EXPECT_NE(report.error.find("names no recipient"), std::string::npos) << report.error;

  // The same with a report whose delivery-status part lists nobody and
  // whose attached message has one addressee.
  const auto attached = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

--b
Content-Type: message/rfc822

From: Alice <alice@example.com>
To: bob@example.net
Subject: Hello

Hi Bob
--b--
)MSG");
  for (const auto& r : attached.recipients) EXPECT_NE(r.recipient, "bob@example.net");
  EXPECT_TRUE(attached.recipients.empty()) << recipients_of(attached);
}

// 5. Non-standard input.

TEST(ReportPatterns, ActionValuesAreNormalised) {
  const auto report = analyse(report_with("Delivery report.\n",
                                          "Reporting-MTA: dns; mx.example.net\n\n"
                                          "Final-Recipient: rfc822; a@example.net\nAction: failure\nStatus: 5.1.1\n\n"
                                          "Final-Recipient: rfc822; b@example.net\nAction: Error\nStatus: 5.1.1\n\n"
                                          "Final-Recipient: rfc822; c@example.net\nAction: bounced\nStatus: 5.1.1\n\n"
                                          "Final-Recipient: rfc822; d@example.net\nAction: deferred\nStatus: 4.4.1\n\n"
                                          "Final-Recipient: rfc822; e@example.net\nAction: deliverable\nStatus: 2.1.5\n\n"
                                          "Final-Recipient: rfc822; f@example.net\nAction: Expanded\nStatus: 2.0.0\n\n"
                                          "Final-Recipient: rfc822; g@example.net\nAction: relayed\nStatus: 2.0.0\n"));
  ASSERT_EQ(report.recipients.size(), 7u);
  const char* expected[] = {"failed", "failed", "failed", "delayed", "delivered", "expanded", "relayed"};
  for (std::size_t i = 0; i < 7; ++i) EXPECT_EQ(report.recipients[i].action, expected[i]) << i;
}

TEST(ReportPatterns, ChallengeResponseIsNotAFailure) {
  const char* const requests[] = {
      // TMDA style: written like a bounce, asks for a reply.
      R"MSG(From: bob-confirm-1717401234.5678.abcdef@example.net
To: alice@example.com
Subject: Please confirm your message
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software (TMDA).

Your message attached below is being held because the address
<alice@example.com> has not been verified.

To release your message for delivery, please send an empty message
to the following address, or use your mailer's "Reply" feature.

   bob-confirm-1717401234.5678.abcdef@example.net
)MSG",
      // Web-link style.
      R"MSG(From: Verification Service <verify@challenge.example>
To: alice@example.com
Subject: Your message to bob@example.net is awaiting verification

Hello,

bob@example.net uses a whitelist to protect against spam. Your message is
held until you verify that you are a human.
To complete delivery, click the link below:

https://challenge.example/v/8d7f2c
)MSG",
  };
  for (const char* message : requests) {
    const auto report = analyse(message);
    EXPECT_NE(report.kind, ReportKind::plain_bounce) << message;
    EXPECT_NE(report.kind, ReportKind::delivery_status) << message;
    for (const auto& r : report.recipients) EXPECT_NE(r.action, "failed") << r.recipient;
  }
}

// 6. Footers and banners do not decide.

TEST(ReportPatterns, AntivirusFooterDoesNotMakeUnknownUserAVirus) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mail.example.net
To: alice@example.com
Subject: failure notice

Hi. This is the qmail-send program at mail.example.net.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.net>:
192.0.2.25 does not like recipient.
Remote host said: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown
Giving up on 192.0.2.25.

--
This email has been scanned for viruses and malware by Example AV Gateway.
No virus was found. www.av.example
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u) << recipients_of(report);
  const auto& r = report.recipients[0];
  EXPECT_FALSE(contains(r.diagnostic, "virus")) << r.diagnostic;
  EXPECT_FALSE(contains(r.context, "virus")) << r.context;
  std::string error;
  const auto classifier = clearbounce::classifier::Classifier::builtin(error);
  ASSERT_TRUE(classifier) << error;
  EXPECT_EQ(classifier->classify(r, report).reason, "userunknown");
}

TEST(ReportPatterns, AntiSpamBannerDoesNotMakeUnknownUserSpam) {
  const auto report = analyse(report_with(
      "Your message could not be delivered to bob@example.net.\n\n"
      "The recipient's server said: 550 5.1.1 user unknown\n\n"
      "This message has been scanned for spam and viruses by Example Secure Mail.\n"
      "Click here to report this message as spam.\n",
      "Reporting-MTA: dns; mx.example.net\n\n"
      "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.0.0\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& r = report.recipients[0];
  EXPECT_FALSE(contains(r.context, "scanned for spam")) << r.context;
  std::string error;
  const auto classifier = clearbounce::classifier::Classifier::builtin(error);
  ASSERT_TRUE(classifier) << error;
  EXPECT_EQ(classifier->classify(r, report).reason, "userunknown");
}

TEST(ReportPatterns, VirusRejectionIsStillAVirus) {
  // A paragraph that reports a found virus is the cause, not a banner.
  const auto report = analyse(report_with(
      "Your message to bob@example.net was rejected.\n\n"
      "This message was scanned for viruses and a virus was found: Eicar-Test-Signature.\n",
      "Reporting-MTA: dns; mx.example.net\n\n"
      "Final-Recipient: rfc822; bob@example.net\nAction: failed\nStatus: 5.7.0\n"));
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_TRUE(contains(report.recipients[0].context, "a virus was found")) << report.recipients[0].context;
}
