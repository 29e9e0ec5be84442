// Bounces written as free text, auto-replies, feedback reports, forwarded
// and damaged reports, read through dsn::analyse. Every sample is written
// here by hand in the style of the MTA it imitates.
#include <gtest/gtest.h>

#include <string>

#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::analyse;
using clearbounce::dsn::ReportKind;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST(PlainBounces, Qmail) {
  const auto report = analyse(R"MSG(Return-Path: <>
From: MAILER-DAEMON@mail.example.com
To: alice@example.com
Subject: failure notice
Date: 3 Jun 2024 08:12:44 -0000

Hi. This is the qmail-send program at mail.example.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<bob@example.net>:
192.0.2.25 does not like recipient.
Remote host said: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown
Giving up on 192.0.2.25.

<carol@example.org>:
Sorry, no mailbox here by that name. (#5.1.1)

--- Below this line is a copy of the message.

Return-Path: <alice@example.com>
Received: (qmail 4242 invoked by uid 1000); 3 Jun 2024 08:12:40 -0000
From: alice@example.com
To: bob@example.net, carol@example.org
Subject: Quarterly numbers

Hello both.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  EXPECT_EQ(report.dialect, "qmail");
  ASSERT_EQ(report.recipients.size(), 2u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.action, "failed");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_EQ(bob.smtp_command, "RCPT");
  EXPECT_TRUE(contains(bob.diagnostic, "User unknown")) << bob.diagnostic;
  EXPECT_FALSE(contains(bob.diagnostic, "no mailbox here")) << bob.diagnostic;
  const auto& carol = report.recipients[1];
  EXPECT_EQ(carol.recipient, "carol@example.org");
  EXPECT_EQ(carol.action, "failed");
  EXPECT_EQ(carol.status, "5.1.1");
  EXPECT_TRUE(contains(carol.diagnostic, "no mailbox here by that name")) << carol.diagnostic;
  EXPECT_FALSE(contains(carol.diagnostic, "Recipient address rejected")) << carol.diagnostic;
  // The returned copy of the message is not part of the explanation.
  EXPECT_FALSE(contains(carol.diagnostic, "Hello both")) << carol.diagnostic;
}

TEST(PlainBounces, Exim) {
  const auto report = analyse(R"MSG(Return-path: <>
From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: alice@example.com
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: bob@example.net
Auto-Submitted: auto-replied
Date: Mon, 03 Jun 2024 10:12:44 +0200

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.net
    host mx.example.net [192.0.2.25]
    SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown

------ This is a copy of the message, including all the headers. ------

Return-path: <alice@example.com>
From: alice@example.com
To: bob@example.net
Subject: Quarterly numbers

Hello.
)MSG");
  // Exim marks its bounces Auto-Submitted: auto-replied; they stay bounces.
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  EXPECT_EQ(report.dialect, "exim");
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.action, "failed");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_EQ(bob.smtp_command, "RCPT");
  EXPECT_EQ(bob.remote_mta, "mx.example.net");
  EXPECT_EQ(bob.remote_ip, "192.0.2.25");
  EXPECT_TRUE(contains(bob.diagnostic, "User unknown")) << bob.diagnostic;
}

TEST(PlainBounces, EximDelayWarningIsDelayed) {
  const auto report = analyse(R"MSG(From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: alice@example.com
Subject: Warning: message 1sE2xY-0001Ab-3C delayed 24 hours
Auto-Submitted: auto-replied

This message was created automatically by mail delivery software.
A message that you sent has not yet been delivered to one or more of its
recipients after more than 24 hours on the queue on mx.example.com.

The message identifier is:     1sE2xY-0001Ab-3C
The subject of the message is: Quarterly numbers

The address to which the message has not yet been delivered is:

  bob@example.net
    host mx.example.net [192.0.2.25]
    Delay reason: SMTP error from remote mail server after RCPT TO:<bob@example.net>:
    451 4.7.1 Please try again later

No action is required on your part. Delivery attempts will continue for
some time, and this warning may be repeated at intervals if the message
remains undelivered. Eventually the mail delivery software will give up,
and when that happens, the message will be returned to you.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].action, "delayed");
  EXPECT_EQ(report.recipients[0].status, "4.7.1");
}

TEST(PlainBounces, SendmailWithoutDsnPart) {
  const auto report = analyse(R"MSG(Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>
To: <alice@example.com>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)

The original message was received at Mon, 3 Jun 2024 10:00:00 +0200
from client.example.com [198.51.100.7]

   ----- The following addresses had permanent fatal errors -----
<bob@example.net>
    (reason: 550 5.1.1 <bob@example.net>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> MAIL From:<alice@example.com> SIZE=1532
<<< 250 2.1.0 <alice@example.com>... Sender ok
>>> RCPT To:<bob@example.net>
<<< 550 5.1.1 <bob@example.net>... User unknown
550 5.1.1 <bob@example.net>... User unknown

   ----- Original message follows -----

Return-Path: <alice@example.com>
From: alice@example.com
To: bob@example.net
Subject: Quarterly numbers

Hello.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  EXPECT_EQ(report.dialect, "sendmail");
  // The sender named in the transcript (MAIL From) is not a recipient.
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.action, "failed");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_TRUE(contains(bob.diagnostic, "User unknown")) << bob.diagnostic;
}

TEST(PlainBounces, SendmailTranscriptGivesCommand) {
  const auto report = analyse(R"MSG(Return-Path: <>
From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>
To: <alice@example.com>
Subject: Returned mail: see transcript for details
Auto-Submitted: auto-generated (failure)

The original message was received at Mon, 3 Jun 2024 10:00:00 +0200
from client.example.com [198.51.100.7]

   ----- The following addresses had permanent fatal errors -----
<bob@example.net>
    (reason: 550 5.1.1 <bob@example.net>... User unknown)

   ----- Transcript of session follows -----
... while talking to mx.example.net.:
>>> MAIL From:<alice@example.com> SIZE=1532
<<< 250 2.1.0 <alice@example.com>... Sender ok
>>> RCPT To:<bob@example.net>
<<< 550 5.1.1 <bob@example.net>... User unknown
550 5.1.1 <bob@example.net>... User unknown

   ----- Original message follows -----

Return-Path: <alice@example.com>
From: alice@example.com
To: bob@example.net
Subject: Quarterly numbers

Hello.
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].smtp_command, "RCPT");
}

TEST(PlainBounces, GmailStyle) {
  const auto report = analyse(R"MSG(From: Mail Delivery Subsystem <mailer-daemon@example.com>
To: alice@example.com
Subject: Delivery Status Notification (Failure)
Auto-Submitted: auto-replied

Delivery to the following recipient failed permanently:

     bob@example.net

Technical details of permanent failure:
The recipient server did not accept our requests to deliver the message.
The error that the other server returned was:
550-5.1.1 The email account that you tried to reach does not exist. Please try
550-5.1.1 double-checking the recipient's email address for typos or
550 5.1.1 unnecessary spaces.

----- Original message -----

From: alice@example.com
To: bob@example.net
Subject: Quarterly numbers
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  EXPECT_EQ(report.dialect, "gmail");
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& bob = report.recipients[0];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(bob.action, "failed");
  EXPECT_EQ(bob.status, "5.1.1");
  EXPECT_TRUE(contains(bob.diagnostic, "does not exist")) << bob.diagnostic;
}

TEST(PlainBounces, TwoLanguagesSecondCopyOpenedAgain) {
  // A German copy first, then the English original of the same notice.
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Unzustellbar / Undelivered Mail Returned to Sender

Dies ist das Mailsystem auf mx.example.com.

Ihre Nachricht konnte nicht zugestellt werden.

<bob@example.net>: Postfach voll

<carol@example.org>: Empfaenger unbekannt

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@example.net>: host mx.example.net[192.0.2.25] said: 552 5.2.2 Mailbox full
    (in reply to RCPT TO command)

<carol@example.org>: host mx.example.org[198.51.100.9] said: 550 5.1.1 User
    unknown (in reply to RCPT TO command)
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 2u);
  const auto& bob = report.recipients[0];
  const auto& carol = report.recipients[1];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(carol.recipient, "carol@example.org");
  EXPECT_TRUE(contains(bob.diagnostic, "Postfach voll")) << bob.diagnostic;
  EXPECT_FALSE(contains(bob.diagnostic, "Empfaenger unbekannt")) << bob.diagnostic;
  EXPECT_TRUE(contains(carol.diagnostic, "Empfaenger unbekannt")) << carol.diagnostic;
  // The English copy is not part of the German explanation of carol.
  EXPECT_FALSE(contains(carol.diagnostic, "This is the mail system")) << carol.diagnostic;
  EXPECT_FALSE(contains(carol.diagnostic, "Mailbox full")) << carol.diagnostic;
  EXPECT_FALSE(contains(carol.diagnostic, "5.2.2")) << carol.diagnostic;
}

TEST(PlainBounces, TwoLanguagesEnglishFirst) {
  // The usual order: the English notice, then a translated copy opened in
  // the second language.
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Undelivered Mail Returned to Sender / Unzustellbar

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@example.net>: host mx.example.net[192.0.2.25] said: 552 5.2.2 Mailbox full
    (in reply to RCPT TO command)

<carol@example.org>: host mx.example.org[198.51.100.9] said: 550 5.1.1 User
    unknown (in reply to RCPT TO command)

Dies ist das Mailsystem auf mx.example.com.

Ihre Nachricht konnte leider nicht zugestellt werden.

<bob@example.net>: Postfach voll (5.2.2)

<carol@example.org>: Empfaenger unbekannt (5.1.1)
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 2u);
  const auto& bob = report.recipients[0];
  const auto& carol = report.recipients[1];
  EXPECT_EQ(bob.recipient, "bob@example.net");
  EXPECT_EQ(carol.recipient, "carol@example.org");
  EXPECT_TRUE(contains(bob.diagnostic, "Mailbox full")) << bob.diagnostic;
  EXPECT_FALSE(contains(bob.diagnostic, "User")) << bob.diagnostic;
  EXPECT_TRUE(contains(carol.diagnostic, "User")) << carol.diagnostic;
  // The German copy repeats bob's failure: it must not become carol's.
  EXPECT_FALSE(contains(carol.diagnostic, "Postfach voll")) << carol.diagnostic;
  EXPECT_FALSE(contains(carol.diagnostic, "5.2.2")) << carol.diagnostic;
}

TEST(PlainBounces, XFailedRecipientsNamesTheRecipients) {
  const auto report = analyse(R"MSG(From: Mail Delivery System <Mailer-Daemon@relay.example.com>
To: alice@example.com
Subject: Mail delivery failed
X-Failed-Recipients: carol@example.org

Your message to bob@example.net and carol@example.org was processed.
Delivery to carol@example.org failed: mailbox unavailable.
For help, write to helpdesk@example.com.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "carol@example.org");
  EXPECT_EQ(report.recipients[0].action, "failed");
}

TEST(PlainBounces, XFailedRecipientsWithoutMentionInText) {
  const auto report = analyse(R"MSG(From: Mail Delivery System <Mailer-Daemon@relay.example.com>
To: alice@example.com
Subject: Mail delivery failed
X-Failed-Recipients: dave@example.net

Sorry, your message could not be delivered: the remote server answered
550 5.1.1 mailbox unavailable.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "dave@example.net");
  EXPECT_TRUE(contains(report.recipients[0].diagnostic, "mailbox unavailable")) << report.recipients[0].diagnostic;
}

TEST(PlainBounces, BounceOfMailSentToOneself) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<alice@example.com>: host mx.example.com[192.0.2.10] said: 552 5.2.2 <alice@example.com>:
    Mailbox full (in reply to RCPT TO command)
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "alice@example.com");
  EXPECT_EQ(report.recipients[0].status, "5.2.2");
}

TEST(PlainBounces, AutoReplyIsAutoReply) {
  const auto report = analyse(R"MSG(From: Bob Example <bob@example.net>
To: alice@example.com
Subject: Automatic reply: Quarterly numbers
Auto-Submitted: auto-replied
Date: Mon, 3 Jun 2024 10:15:00 +0200

I am out of the office until 10 June with limited access to e-mail.
For urgent matters please contact carol@example.net.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::auto_reply);
  // It reports nothing that failed.
  for (const auto& r : report.recipients) EXPECT_NE(r.action, "failed") << r.recipient;
}

TEST(PlainBounces, AutoRepliedPostmasterWithCustomWordingIsNotABounce) {
  const auto report = analyse(R"MSG(From: postmaster@example.net
To: alice@example.com
Subject: Re: Quarterly numbers
Auto-Submitted: auto-replied

Thank you for your message to the example.net mail team. Messages sent to
this address are not read any more; please use our web form instead.
)MSG");
  EXPECT_EQ(report.kind, ReportKind::not_bounce);
  EXPECT_FALSE(report.error.empty());
}

// MTAs mark their reports auto-replied too; one from MAILER-DAEMON is a
// report in whatever language it is written, here a German delay warning
// with neither a code nor English words.
TEST(PlainBounces, AutoRepliedGermanWarningFromMailerDaemonIsADelay) {
  const auto report = analyse(R"MSG(From: mailer-daemon@mx.example.net
To: alice@example.com
Subject: Warnung: Nachricht noch nicht zugestellt
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=utf-8

Diese Nachricht wurde automatisch vom Mail-System erzeugt.

Die Zustellung Ihrer Nachricht an folgenden Empfänger verzögert sich.
DIES IST NUR EINE WARNUNG. Sie müssen die Nachricht nicht erneut senden.

"bob@example.net":
Verbindung zum Server mx.example.net [192.0.2.18] fehlgeschlagen:
Connection refused
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].action, "delayed");
}

// Reports written in Chinese or Japanese glue the address to its label
// with a full-width colon and indent with ideographic spaces: the address
// ends there, as at an ASCII colon or space.
TEST(PlainBounces, AddressGluedToACjkLabelIsTheAddressAlone) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.net
To: alice@example.com
Subject: =?UTF-8?B?6YCA5L+h?=
Content-Type: text/plain; charset=utf-8

很抱歉您的邮件未能成功投递。
收件人：bob@example.net
　　　　carol@example.net
退信原因：550 5.1.1 用户不存在
)MSG");
  std::string names;
  for (const auto& r : report.recipients) names += r.recipient + " ";
  ASSERT_EQ(report.recipients.size(), 2u) << names;
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.net");
}

// "Recipient address:" names where an alias led, "Original address:" the
// address the sender used: one recipient, under the sender's address, with
// the reason given below both.
TEST(PlainBounces, AnAliasAndItsExpansionAreOneRecipient) {
  const auto report = analyse(R"MSG(From: postmaster@ms.example.net
To: alice@example.com
Subject: Delivery Notification: Delivery has failed

Your message cannot be delivered to the following recipients:

  Recipient address: tanya@ms.example.net
  Original address: tanya.ivanova@example.net
  Reason: Over quota
  Diagnostic code: smtp;552 5.2.2 Mailbox full
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "tanya.ivanova@example.net");
  EXPECT_NE(report.recipients[0].diagnostic.find("5.2.2"), std::string::npos) << report.recipients[0].diagnostic;
}

// Some reports quote each address in single quotes: the quotes are not
// part of it.
TEST(PlainBounces, AddressInSingleQuotesIsTheAddressAlone) {
  const auto report = analyse(R"MSG(From: postmaster@mail.example.org
To: alice@example.com
Subject: Undeliverable: Minutes

The following recipients could not receive this message:

'bob@example.net' - mailbox unavailable
'carol@example.net' - mailbox unavailable
)MSG");
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.net");
}

// "... contact the postmaster at" / "postmaster@example.org.": an address
// that opens a line but ends the sentence before it is no recipient.
TEST(PlainBounces, AddressEndingAContactSentenceIsNoRecipient) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mail.example.org
To: alice@example.com
Subject: Undeliverable mail

Your message, subject "Minutes", could not be delivered to
the following local addressee(s):

   dirk@example.org
    - No such local user

If you think this is an error, contact the postmaster at
postmaster@example.org.
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "dirk@example.org");
}

TEST(PlainBounces, OrdinaryMessageIsNotABounce) {
  const auto report = analyse(R"MSG(From: Alice <alice@example.com>
To: Bob <bob@example.net>
Subject: Lunch on Friday?
Date: Mon, 3 Jun 2024 09:00:00 +0200
Message-ID: <20240603.1@example.com>

Hi Bob,

lunch on Friday at noon? Carol (carol@example.org) joins too.

Alice
)MSG");
  EXPECT_EQ(report.kind, ReportKind::not_bounce);
  EXPECT_TRUE(report.recipients.empty());
  EXPECT_FALSE(report.error.empty());
}

TEST(PlainBounces, ForwardedBounceGivesItsRecipients) {
  const auto report = analyse(R"MSG(From: Alice <alice@example.com>
To: helpdesk@example.com
Subject: Fwd: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-b1"

--outer-b1
Content-Type: text/plain; charset=us-ascii

Hi, why did this bounce? Thanks, Alice

--outer-b1
Content-Type: message/rfc822

From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="inner-b2"

--inner-b2
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--inner-b2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: User unknown

Final-Recipient: rfc822; carol@example.org
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full

--inner-b2--

--outer-b1--
)MSG");
  EXPECT_NE(report.kind, ReportKind::not_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.recipients[1].recipient, "carol@example.org");
  EXPECT_EQ(report.recipients[1].status, "5.2.2");
}

TEST(PlainBounces, BrokenBoundaryStillReadsTheDeliveryStatus) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: alice@example.com
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="declared-boundary"

--actual-boundary
Content-Type: text/plain; charset=us-ascii

Your message could not be delivered.

--actual-boundary
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--actual-boundary--
)MSG");
  EXPECT_NE(report.kind, ReportKind::not_bounce) << report.error;
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_EQ(report.recipients[0].action, "failed");
  EXPECT_EQ(report.recipients[0].status, "5.1.1");
  EXPECT_EQ(report.reporting_mta, "mx.example.com");
}

TEST(PlainBounces, ArfFeedbackReport) {
  const auto report = analyse(R"MSG(From: Abuse Desk <abuse@example.net>
To: abuse@example.com
Subject: FW: Quarterly numbers
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="arf-part"

--arf-part
Content-Type: text/plain; charset=us-ascii

This is an e-mail abuse report for a message received from IP 192.0.2.10
on Mon, 3 Jun 2024 10:00:00 +0200.

--arf-part
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: ExampleFBL/1.0
Version: 1
Original-Mail-From: <alice@example.com>
Original-Rcpt-To: <bob@example.net>
Arrival-Date: Mon, 3 Jun 2024 10:00:00 +0200
Source-IP: 192.0.2.10
Reported-Domain: example.com

--arf-part
Content-Type: message/rfc822

From: alice@example.com
To: bob@example.net
Subject: Quarterly numbers

Hello.

--arf-part--
)MSG");
  EXPECT_EQ(report.kind, ReportKind::feedback_report);
  EXPECT_EQ(report.feedback_type, "abuse");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.net");
  EXPECT_NE(report.recipients[0].action, "failed");
}

// Where an alias led is noted beside the address: the recipient is the
// address the sender used, as Original-Recipient gives it in a delivery
// report. Postfix writes the note on the recipient's line, Sendmail on the
// next one.
TEST(PlainBounces, AnAliasExpansionNoteNamesTheAddressTheSenderUsed) {
  const auto report = analyse(R"MSG(From: MAILER-DAEMON@mx.example.com
To: alice@example.org
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mx.example.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<b.olsen@example.net> (expanded from <bo@example.net>): cannot access mailbox
    /var/mail/bolsen for user bolsen. error writing message: File too large

<sales-team@example.net>
    (expanded from: <sales@example.net>)
    550 5.1.1 <sales-team@example.net>... User unknown
)MSG");
  EXPECT_EQ(report.kind, ReportKind::plain_bounce);
  ASSERT_EQ(report.recipients.size(), 2u);
  EXPECT_EQ(report.recipients[0].recipient, "bo@example.net");
  EXPECT_TRUE(contains(report.recipients[0].diagnostic, "File too large")) << report.recipients[0].diagnostic;
  EXPECT_EQ(report.recipients[1].recipient, "sales@example.net");
  EXPECT_TRUE(contains(report.recipients[1].diagnostic, "User unknown")) << report.recipients[1].diagnostic;
}

// Exim names the address an alias generated as the failed recipient itself
// (X-Failed-Recipients); its note on the sender's address does not change it.
TEST(PlainBounces, EximsGeneratedAddressStaysTheRecipient) {
  const auto report = analyse(R"MSG(From: Mail Delivery System <Mailer-Daemon@mx.example.com>
To: alice@example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: clara@example.org

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  clara@example.org
    (generated from info@example.net)
    retry timeout exceeded
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  EXPECT_EQ(report.recipients[0].recipient, "clara@example.org");
}

// A transcript shows the replies that went well before the one that
// failed: the failure's reply code counts, and the command it answered
// (here RCPT, not the MAIL FROM named first).
TEST(PlainBounces, ATranscriptsFailureNamesTheReplyAndTheCommand) {
  const auto report = analyse(R"MSG(From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: alice@example.org
Subject: Mail delivery failed

A message that you sent could not be delivered to one or more of
its recipients, after this conversation with the remote host:

  Connected to inbound.example.net [203.0.113.40]
  >>> MAIL FROM:<alice@example.org>
  <<< 250 ok
  >>> RCPT TO:<harriet@example.net>
  <<< 550 No such mailbox here
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto& harriet = report.recipients[0];
  EXPECT_EQ(harriet.recipient, "harriet@example.net");
  EXPECT_EQ(harriet.reply_code, "550");
  EXPECT_EQ(harriet.smtp_command, "RCPT");
}
