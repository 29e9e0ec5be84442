// The built-in rule set: real Postfix 3.7 wordings and common remote
// replies, checked against the taxonomy (docs: design/taxonomy.md).
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::classifier::Classification;
using clearbounce::classifier::Classifier;
using clearbounce::classifier::WhoCanFix;
using clearbounce::dsn::BounceReport;
using clearbounce::dsn::RecipientReport;
using clearbounce::dsn::ReportKind;

class ClassifierTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    classifier_ = Classifier::builtin(error);
    ASSERT_NE(classifier_, nullptr) << error;
    ASSERT_TRUE(error.empty()) << error;
  }
  static void TearDownTestSuite() { classifier_.reset(); }
  static const Classifier& rules() { return *classifier_; }

  static std::string category_of(const Classification& c) { return c.category ? c.category->id : "(null)"; }

  static std::unique_ptr<Classifier> classifier_;
};

std::unique_ptr<Classifier> ClassifierTest::classifier_;

// One recipient of a DSN written by Postfix, as analyse() would give it.
struct PostfixCase {
  std::string action = "failed";
  std::string status;
  std::string diagnostic_type = "smtp";
  std::string diagnostic;
  std::string remote_mta;
  std::string will_retry_until;
};

// A whole Postfix 3.7 style DSN with one recipient, bob@example.net. The
// text part carries the same words as the Diagnostic-Code, the way Postfix
// writes them, including "(in reply to ... command)" when given.
std::string postfix_dsn(const PostfixCase& c, std::string_view text_line) {
  const bool delayed = c.action == "delayed";
  std::string m;
  m += "Return-Path: <>\n";
  m += "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n";
  m += "To: alice@example.com\n";
  m += delayed ? "Subject: Delayed Mail (still being retried)\n" : "Subject: Undelivered Mail Returned to Sender\n";
  m += "Auto-Submitted: auto-replied\n";
  m += "MIME-Version: 1.0\n";
  m += "Content-Type: multipart/report; report-type=delivery-status;\n";
  m += "\tboundary=\"9A8B7C6D5E.1717401900/mx.example.com\"\n";
  m += "\n";
  m += "This is a MIME-encapsulated message.\n\n";
  m += "--9A8B7C6D5E.1717401900/mx.example.com\n";
  m += "Content-Description: Notification\n";
  m += "Content-Type: text/plain; charset=us-ascii\n\n";
  m += "This is the mail system at host mx.example.com.\n\n";
  if (delayed) {
    m += "####################################################################\n";
    m += "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n";
    m += "####################################################################\n\n";
    m += "Your message could not be delivered for more than 4 hour(s).\n";
    m += "It will be retried until it is 5 day(s) old.\n\n";
  } else {
    m += "I'm sorry to have to inform you that your message could not\n";
    m += "be delivered to one or more recipients. It's attached below.\n\n";
  }
  m += "For further assistance, please send mail to postmaster.\n\n";
  m += "If you do so, please include this problem report. You can\n";
  m += "delete your own text from the attached returned message.\n\n";
  m += "                   The mail system\n\n";
  m += "<bob@example.net>: ";
  m += text_line;
  m += "\n\n";
  m += "--9A8B7C6D5E.1717401900/mx.example.com\n";
  m += "Content-Description: Delivery report\n";
  m += "Content-Type: message/delivery-status\n\n";
  m += "Reporting-MTA: dns; mx.example.com\n";
  m += "X-Postfix-Queue-ID: 9A8B7C6D5E\n";
  m += "X-Postfix-Sender: rfc822; alice@example.com\n";
  m += "Arrival-Date: Mon,  3 Jun 2024 10:04:58 +0200 (CEST)\n\n";
  m += "Final-Recipient: rfc822; bob@example.net\n";
  m += "Original-Recipient: rfc822;bob@example.net\n";
  m += "Action: " + c.action + "\n";
  m += "Status: " + c.status + "\n";
  if (!c.remote_mta.empty()) m += "Remote-MTA: dns; " + c.remote_mta + "\n";
  m += "Diagnostic-Code: " + c.diagnostic_type + "; " + c.diagnostic + "\n";
  if (!c.will_retry_until.empty()) m += "Will-Retry-Until: " + c.will_retry_until + "\n";
  m += "\n";
  m += "--9A8B7C6D5E.1717401900/mx.example.com\n";
  m += "Content-Description: Undelivered Message Headers\n";
  m += "Content-Type: text/rfc822-headers\n\n";
  m += "From: alice@example.com\n";
  m += "To: bob@example.net\n";
  m += "Subject: Quarterly numbers\n\n";
  m += "--9A8B7C6D5E.1717401900/mx.example.com--\n";
  return m;
}

struct Analysed {
  BounceReport report;
  Classification result;
};

// A recipient given directly, as a reader of some RFC 3464 report gives it.
RecipientReport failed(std::string status, std::string diagnostic, std::string smtp_command = "") {
  RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "failed";
  r.status = std::move(status);
  r.diagnostic_type = "smtp";
  r.diagnostic = std::move(diagnostic);
  r.smtp_command = std::move(smtp_command);
  if (r.diagnostic.size() >= 3) r.reply_code = r.diagnostic.substr(0, 3);
  return r;
}

BounceReport rfc3464_report() {
  BounceReport report;
  report.kind = ReportKind::delivery_status;
  report.dialect = "rfc3464";
  report.reporting_mta = "mx.example.com";
  return report;
}

}  // namespace

// ---------------------------------------------------------------------------
// Postfix 3.7 wordings (architecture.md, "Postfix facts"), whole messages.

class PostfixWording : public ClassifierTest {
 protected:
  static Analysed run(const PostfixCase& c, std::string_view text_line) {
    Analysed a;
    a.report = clearbounce::dsn::analyse(postfix_dsn(c, text_line));
    EXPECT_EQ(a.report.kind, ReportKind::delivery_status) << a.report.error;
    EXPECT_EQ(a.report.dialect, "postfix");
    if (a.report.recipients.size() != 1) {
      ADD_FAILURE() << "expected one recipient, got " << a.report.recipients.size();
      return a;
    }
    a.result = rules().classify(a.report.recipients[0], a.report);
    return a;
  }
};

TEST_F(PostfixWording, ServerCertificateNotVerified) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.7.5";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "Server certificate not verified";
  c.will_retry_until = "Sat,  8 Jun 2024 10:04:58 +0200 (CEST)";
  const auto a = run(c, "Server certificate not verified");
  EXPECT_EQ(category_of(a.result), "tls.certificate_not_verified");
  EXPECT_TRUE(a.result.reason == "failedstarttls" || a.result.reason == "securityerror") << a.result.reason;
  EXPECT_TRUE(a.result.temporary);
  EXPECT_EQ(a.result.facts.count("retry_until"), 1u);
  if (a.result.facts.count("retry_until")) {
    EXPECT_EQ(a.result.facts.at("retry_until"), "Sat,  8 Jun 2024 10:04:58 +0200 (CEST)");
  }
  EXPECT_EQ(a.result.facts.count("reporting_mta"), 1u);
  if (a.result.facts.count("reporting_mta")) {
    EXPECT_EQ(a.result.facts.at("reporting_mta"), "mx.example.com");
  }
  // Postfix does not say which check failed: no detail may be invented.
  EXPECT_EQ(a.result.facts.count("cert_hint"), 0u);
}

TEST_F(PostfixWording, TlsRequiredButNotOffered) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.7.4";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "TLS is required, but was not offered by host mx.example.net[192.0.2.25]";
  c.remote_mta = "mx.example.net";
  const auto a = run(c, "TLS is required, but was not offered by host mx.example.net[192.0.2.25]");
  // Our policy demands TLS: not the remote's demand (x.7.4 alone would say so).
  EXPECT_EQ(category_of(a.result), "tls.not_offered");
  EXPECT_EQ(a.result.reason, "failedstarttls");
  EXPECT_TRUE(a.result.temporary);
  ASSERT_EQ(a.result.facts.count("remote_host"), 1u);
  EXPECT_EQ(a.result.facts.at("remote_host"), "mx.example.net");
  ASSERT_EQ(a.result.facts.count("remote_ip"), 1u);
  EXPECT_EQ(a.result.facts.at("remote_ip"), "192.0.2.25");
}

TEST_F(PostfixWording, CannotStartTlsHandshakeFailure) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.7.5";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "Cannot start TLS: handshake failure";
  c.remote_mta = "mx.example.net";
  const auto a = run(c, "Cannot start TLS: handshake failure");
  EXPECT_EQ(category_of(a.result), "tls.handshake_failed");
  EXPECT_EQ(a.result.reason, "failedstarttls");
  EXPECT_TRUE(a.result.temporary);
}

TEST_F(PostfixWording, ConnectionRefusedWhileDelayed) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.1";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "connect to mx.example.net[192.0.2.25]:25: Connection refused";
  c.will_retry_until = "Sat,  8 Jun 2024 10:04:58 +0200 (CEST)";
  const auto a = run(c, "connect to mx.example.net[192.0.2.25]:25: Connection refused");
  EXPECT_EQ(category_of(a.result), "network.connection_refused");
  EXPECT_TRUE(a.result.temporary);
  EXPECT_EQ(a.result.facts.count("retry_until"), 1u);
  EXPECT_EQ(a.result.facts.count("last_error_category"), 0u);
}

TEST_F(PostfixWording, ConnectionRefusedNamesTheServer) {
  // The only server named is the one Postfix tried to connect to; the text
  // should be able to name it (taxonomy: "the receiving host").
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.1";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "connect to mx.example.net[192.0.2.25]:25: Connection refused";
  const auto a = run(c, "connect to mx.example.net[192.0.2.25]:25: Connection refused");
  ASSERT_EQ(a.result.facts.count("remote_host"), 1u);
  EXPECT_EQ(a.result.facts.at("remote_host"), "mx.example.net");
  ASSERT_EQ(a.result.facts.count("remote_ip"), 1u);
  EXPECT_EQ(a.result.facts.at("remote_ip"), "192.0.2.25");
}

TEST_F(PostfixWording, ConnectionRefusedUntilExpiry) {
  PostfixCase c;
  c.action = "failed";
  c.status = "4.4.1";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "connect to mx.example.net[192.0.2.25]:25: Connection refused";
  const auto a = run(c, "connect to mx.example.net[192.0.2.25]:25: Connection refused");
  // The cause is the category; that the queue gave up is a fact beside it.
  EXPECT_EQ(category_of(a.result), "network.connection_refused");
  EXPECT_EQ(a.result.reason, "expired");
  EXPECT_FALSE(a.result.temporary);
  ASSERT_EQ(a.result.facts.count("gave_up"), 1u);
  EXPECT_EQ(a.result.facts.at("gave_up"), "yes");
}

TEST_F(PostfixWording, GreetingTimeout) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.2";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "conversation with mx.example.net[192.0.2.25] timed out while receiving the initial server greeting";
  c.remote_mta = "mx.example.net";
  const auto a =
      run(c, "conversation with mx.example.net[192.0.2.25] timed out while receiving the initial server greeting");
  EXPECT_EQ(category_of(a.result), "network.greeting_timeout");
  EXPECT_EQ(a.result.reason, "networkerror");
  EXPECT_TRUE(a.result.temporary);
}

TEST_F(PostfixWording, LostConnectionWhileSendingRcptTo) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.2";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "lost connection with mx.example.net[192.0.2.25] while sending RCPT TO";
  c.remote_mta = "mx.example.net";
  const auto a = run(c, "lost connection with mx.example.net[192.0.2.25] while sending RCPT TO");
  EXPECT_EQ(category_of(a.result), "network.connection_lost");
  EXPECT_EQ(a.result.reason, "networkerror");
  EXPECT_TRUE(a.result.temporary);
  EXPECT_EQ(a.report.recipients[0].smtp_command, "RCPT");
}

TEST_F(PostfixWording, DnsTryAgain) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.3";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic =
      "Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again";
  const auto a = run(c,
                     "Host or domain name not found. Name service error for\n"
                     "    name=example.net type=MX: Host not found, try again");
  EXPECT_EQ(category_of(a.result), "dns.temporary_failure");
  EXPECT_TRUE(a.result.temporary);
  ASSERT_NE(a.result.category, nullptr);
  EXPECT_EQ(a.result.category->who_can_fix, WhoCanFix::recipient_admin);
}

TEST_F(PostfixWording, DnsTryAgainReasonPerTaxonomy) {
  PostfixCase c;
  c.action = "delayed";
  c.status = "4.4.3";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic =
      "Host or domain name not found. Name service error for name=example.net type=MX: Host not found, try again";
  const auto a = run(c,
                     "Host or domain name not found. Name service error for\n"
                     "    name=example.net type=MX: Host not found, try again");
  EXPECT_EQ(a.result.reason, "networkerror");
}

TEST_F(PostfixWording, DomainNotFound) {
  PostfixCase c;
  c.action = "failed";
  c.status = "5.4.4";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "Host or domain name not found. Name service error for name=nosuch.example.net type=A: Host not found";
  const auto a = run(c,
                     "Host or domain name not found. Name service error for\n"
                     "    name=nosuch.example.net type=A: Host not found");
  EXPECT_EQ(category_of(a.result), "domain.not_found");
  EXPECT_EQ(a.result.reason, "hostunknown");
  EXPECT_FALSE(a.result.temporary);
}

TEST_F(PostfixWording, UserUnknownAtRcpt) {
  PostfixCase c;
  c.status = "5.1.1";
  c.diagnostic = "550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table";
  c.remote_mta = "mx.example.net";
  const auto a = run(c,
                     "host mx.example.net[192.0.2.25] said: 550 5.1.1\n"
                     "    <bob@example.net>: Recipient address rejected: User unknown in virtual\n"
                     "    mailbox table (in reply to RCPT TO command)");
  EXPECT_EQ(category_of(a.result), "recipient.unknown");
  EXPECT_EQ(a.result.reason, "userunknown");
  EXPECT_FALSE(a.result.temporary);
  ASSERT_NE(a.result.category, nullptr);
  EXPECT_EQ(a.result.category->who_can_fix, WhoCanFix::sender);
}

TEST_F(PostfixWording, MailboxFull) {
  PostfixCase c;
  c.status = "5.2.2";
  c.diagnostic = "552 5.2.2 <bob@example.net>: Mailbox full";
  c.remote_mta = "mx.example.net";
  const auto a = run(c,
                     "host mx.example.net[192.0.2.25] said: 552 5.2.2 <bob@example.net>:\n"
                     "    Mailbox full (in reply to RCPT TO command)");
  EXPECT_EQ(category_of(a.result), "recipient.mailbox_full");
  EXPECT_EQ(a.result.reason, "mailboxfull");
  EXPECT_FALSE(a.result.temporary);
}

TEST_F(PostfixWording, BlockedUsingZenSpamhaus) {
  PostfixCase c;
  c.status = "5.7.1";
  c.diagnostic =
      "554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org; "
      "https://www.spamhaus.org/query/ip/192.0.2.10";
  c.remote_mta = "mx.example.net";
  const auto a = run(c,
                     "host mx.example.net[192.0.2.25] said: 554 5.7.1 Service unavailable;\n"
                     "    Client host [192.0.2.10] blocked using zen.spamhaus.org;\n"
                     "    https://www.spamhaus.org/query/ip/192.0.2.10 (in reply to RCPT TO command)");
  EXPECT_EQ(category_of(a.result), "reputation.blocklisted");
  EXPECT_EQ(a.result.reason, "blocked");
  EXPECT_FALSE(a.result.temporary);
  ASSERT_EQ(a.result.facts.count("blocklist"), 1u);
  EXPECT_EQ(a.result.facts.at("blocklist"), "zen.spamhaus.org");
}

TEST_F(PostfixWording, RemoteSizeLimitOfServer) {
  // Postfix's own words when the server announced a smaller SIZE limit.
  PostfixCase c;
  c.status = "5.3.4";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "message size 20971520 exceeds size limit 10240000 of server mx.example.net[192.0.2.25]";
  c.remote_mta = "mx.example.net";
  const auto a = run(c, "message size 20971520 exceeds size limit 10240000 of server\n    mx.example.net[192.0.2.25]");
  EXPECT_EQ(category_of(a.result), "message.too_large");
  EXPECT_FALSE(a.result.temporary);
}

TEST_F(PostfixWording, RemoteSizeLimitOfServerIsAFact) {
  PostfixCase c;
  c.status = "5.3.4";
  c.diagnostic_type = "X-Postfix";
  c.diagnostic = "message size 20971520 exceeds size limit 10240000 of server mx.example.net[192.0.2.25]";
  c.remote_mta = "mx.example.net";
  const auto a = run(c, "message size 20971520 exceeds size limit 10240000 of server\n    mx.example.net[192.0.2.25]");
  ASSERT_EQ(a.result.facts.count("size_limit"), 1u);
  EXPECT_NE(a.result.facts.at("size_limit").find("10240000"), std::string::npos) << a.result.facts.at("size_limit");
}

// ---------------------------------------------------------------------------
// Recipients given directly.

TEST_F(ClassifierTest, UserUnknown) {
  const auto c = rules().classify(failed("5.1.1", "550 5.1.1 <bob@example.net>: User unknown", "RCPT"),
                                  rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.unknown");
  EXPECT_EQ(c.reason, "userunknown");
  EXPECT_FALSE(c.temporary);
}

TEST_F(ClassifierTest, MailboxFullGmailWording) {
  const auto c = rules().classify(
      failed("5.2.2",
             "552-5.2.2 The email account that you tried to reach is over quota. Please direct the recipient to "
             "https://support.example.com/mail/?p=OverQuotaPerm"),
      rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.mailbox_full");
  EXPECT_EQ(c.reason, "mailboxfull");
  EXPECT_FALSE(c.temporary);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->who_can_fix, WhoCanFix::recipient);
}

TEST_F(ClassifierTest, MessageSizeLimitWithSize) {
  const auto c = rules().classify(
      failed("5.3.4", "552 5.3.4 Message too large; the size limit is 10 MB", "DATA"), rfc3464_report());
  EXPECT_EQ(category_of(c), "message.too_large");
  EXPECT_EQ(c.reason, "mesgtoobig");
  ASSERT_EQ(c.facts.count("size_limit"), 1u);
  EXPECT_EQ(c.facts.at("size_limit"), "10 MB");
}

TEST_F(ClassifierTest, MessageSizeLimitInBytes) {
  const auto c = rules().classify(
      failed("5.3.4", "552 5.3.4 Message size exceeds maximum size of 26214400 bytes", "DATA"), rfc3464_report());
  EXPECT_EQ(category_of(c), "message.too_large");
  ASSERT_EQ(c.facts.count("size_limit"), 1u);
  EXPECT_EQ(c.facts.at("size_limit"), "26214400 bytes");
}

TEST_F(ClassifierTest, DelayedIsTemporary) {
  auto r = failed("4.2.2", "452 4.2.2 Mailbox full, try again later");
  r.action = "delayed";
  r.will_retry_until = "Sat, 8 Jun 2024 10:04:58 +0200";
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_TRUE(c.temporary);
  EXPECT_EQ(category_of(c), "recipient.mailbox_full");
  ASSERT_EQ(c.facts.count("retry_until"), 1u);
  EXPECT_EQ(c.facts.at("retry_until"), "Sat, 8 Jun 2024 10:04:58 +0200");
}

TEST_F(ClassifierTest, DelayedWithoutWordingIsStillTemporary) {
  RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "delayed";
  r.status = "4.0.0";
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_TRUE(c.temporary);
  ASSERT_NE(c.category, nullptr);
  EXPECT_NE(c.category->id, "delivery.expired");
}

TEST_F(ClassifierTest, FailedIsNotTemporaryEvenWithFourXxStatus) {
  auto r = failed("4.2.2", "452 4.2.2 Mailbox full");
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_FALSE(c.temporary);
}

TEST_F(ClassifierTest, DeliveredHasNoCategory) {
  RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "delivered";
  r.status = "2.0.0";
  r.diagnostic_type = "smtp";
  r.diagnostic = "250 2.0.0 Ok: queued as 4ABC";
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(c.category, nullptr);
  EXPECT_EQ(c.reason, "delivered");
}

TEST_F(ClassifierTest, RelayedAndExpandedHaveNoCategory) {
  for (const char* action : {"relayed", "expanded"}) {
    RecipientReport r;
    r.recipient = "bob@example.net";
    r.action = action;
    r.status = "2.0.0";
    const auto c = rules().classify(r, rfc3464_report());
    EXPECT_EQ(c.category, nullptr) << action;
    EXPECT_EQ(c.reason, "delivered") << action;
  }
}

TEST_F(ClassifierTest, DeliveredThroughAnalyse) {
  const auto report = clearbounce::dsn::analyse(R"MSG(From: MAILER-DAEMON@mx.example.com
To: alice@example.com
Subject: Successful Mail Delivery Report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dlv"

--dlv
Content-Type: text/plain

Your message was successfully delivered to the destination(s) listed below.

--dlv
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; bob@example.net
Action: delivered
Status: 2.0.0
Remote-MTA: dns; mx.example.net
Diagnostic-Code: smtp; 250 2.0.0 Ok: queued as 4ABC

--dlv--
)MSG");
  ASSERT_EQ(report.recipients.size(), 1u);
  const auto c = rules().classify(report.recipients[0], report);
  EXPECT_EQ(c.category, nullptr);
  EXPECT_EQ(c.reason, "delivered");
}

TEST_F(ClassifierTest, WordingBeatsGenericStatus) {
  const auto c = rules().classify(
      failed("5.7.1",
             "550 5.7.1 Message rejected: SPF check failed, 192.0.2.10 is not a permitted sender for example.com",
             "DATA"),
      rfc3464_report());
  EXPECT_EQ(category_of(c), "auth.spf_failed");
  EXPECT_EQ(c.reason, "authfailure");
}

TEST_F(ClassifierTest, GenericStatusAloneIsPolicy) {
  // Counterpart of the above: 5.7.1 without any telling words.
  const auto c = rules().classify(failed("5.7.1", "550 5.7.1 Message rejected", "DATA"), rfc3464_report());
  EXPECT_EQ(category_of(c), "policy.rejected");
}

TEST_F(ClassifierTest, AddressInDiagnosticNeverMatches) {
  auto r = failed("5.1.1", "550 5.1.1 <mailboxfull@example.org>... User unknown", "RCPT");
  r.recipient = "mailboxfull@example.org";
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.unknown");
  EXPECT_EQ(c.reason, "userunknown");
}

TEST_F(ClassifierTest, OtherAddressLocalPartsNeverMatch) {
  const struct {
    const char* diagnostic;
  } cases[] = {
      {"550 5.1.1 <spam-trap@example.org>... User unknown"},
      {"550 5.1.1 <virus.alerts@example.org>... User unknown"},
      {"550 5.1.1 <blocked@example.org>: Recipient address rejected: User unknown"},
      {"550 5.1.1 <relay-denied@example.org>: User unknown"},
  };
  for (const auto& tc : cases) {
    const auto c = rules().classify(failed("5.1.1", tc.diagnostic, "RCPT"), rfc3464_report());
    EXPECT_EQ(category_of(c), "recipient.unknown") << tc.diagnostic;
  }
}

TEST_F(ClassifierTest, DomainInAddressNeverMatches) {
  // A domain that looks like a cause is still only part of an address.
  const auto c = rules().classify(
      failed("5.1.1", "550 5.1.1 <bob@spamhaus-blocklist.example.org>: User unknown", "RCPT"), rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.unknown");
}

TEST_F(ClassifierTest, AutoReplyAndFeedbackHaveNoCategory) {
  BounceReport vacation;
  vacation.kind = ReportKind::auto_reply;
  RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "auto-replied";
  r.diagnostic = "I am out of the office until 10 June.";
  auto c = rules().classify(r, vacation);
  EXPECT_EQ(c.category, nullptr);
  EXPECT_EQ(c.reason, "vacation");

  BounceReport arf;
  arf.kind = ReportKind::feedback_report;
  arf.feedback_type = "abuse";
  r.action = "feedback";
  r.diagnostic.clear();
  c = rules().classify(r, arf);
  EXPECT_EQ(c.category, nullptr);
  EXPECT_EQ(c.reason, "feedback");
}

TEST_F(ClassifierTest, NothingRecognisableIsUnknown) {
  RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "failed";
  r.diagnostic = "xyzzy plugh";
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "unknown");
  EXPECT_FALSE(c.temporary);
}

TEST_F(ClassifierTest, SpecificStatusWithoutWording) {
  // RFC 3463: x.1.1 bad destination mailbox address; x.2.2 mailbox full;
  // x.3.4 message too big; x.1.2 bad destination system address.
  const std::map<std::string, std::string> expected = {
      {"5.1.1", "recipient.unknown"},
      {"5.2.2", "recipient.mailbox_full"},
      {"5.3.4", "message.too_large"},
      {"5.1.2", "domain.not_found"},
      {"5.1.6", "recipient.moved"},
  };
  for (const auto& [status, category] : expected) {
    RecipientReport r;
    r.recipient = "bob@example.net";
    r.action = "failed";
    r.status = status;
    const auto c = rules().classify(r, rfc3464_report());
    EXPECT_EQ(category_of(c), category) << status;
  }
}

// ---------------------------------------------------------------------------
// The category table against taxonomy.md.

TEST_F(ClassifierTest, EveryTaxonomyCategoryExists) {
  struct Row {
    const char* id;
    std::set<WhoCanFix> who;        // empty: depends (delivery.expired)
    std::set<std::string> reasons;  // sisimai reasons the taxonomy gives
  };
  using W = WhoCanFix;
  const Row rows[] = {
      {"recipient.unknown", {W::sender}, {"userunknown"}},
      {"recipient.disabled", {W::recipient}, {"suspend"}},
      {"recipient.moved", {W::sender}, {"hasmoved"}},
      {"recipient.mailbox_full", {W::recipient}, {"mailboxfull"}},
      {"recipient.address_invalid", {W::sender}, {"userunknown", "syntaxerror"}},
      {"domain.not_found", {W::sender}, {"hostunknown"}},
      {"domain.no_mail_server", {W::recipient_admin}, {"hostunknown", "notaccept"}},
      {"dns.temporary_failure", {W::recipient_admin}, {"networkerror"}},
      {"network.connect_timeout", {W::sender_admin, W::recipient_admin}, {"networkerror", "expired"}},
      {"network.connection_refused", {W::recipient_admin}, {"networkerror"}},
      {"network.no_route", {W::sender_admin}, {"networkerror"}},
      {"network.greeting_timeout", {W::recipient_admin}, {"networkerror"}},
      {"network.connection_lost", {W::nobody}, {"networkerror"}},
      {"tls.certificate_not_verified", {W::recipient_admin}, {"failedstarttls", "securityerror"}},
      {"tls.certificate_expired", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.certificate_not_yet_valid", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.certificate_name_mismatch", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.certificate_untrusted", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.handshake_failed", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.not_offered", {W::recipient_admin}, {"failedstarttls"}},
      {"tls.required_by_remote", {W::sender_admin}, {"securityerror"}},
      {"reputation.blocklisted", {W::sender_admin}, {"blocked"}},
      {"reputation.poor_reputation", {W::sender_admin}, {"badreputation", "blocked"}},
      {"reputation.no_reverse_dns", {W::sender_admin}, {"requireptr"}},
      {"auth.spf_failed", {W::sender_admin}, {"authfailure"}},
      {"auth.dkim_failed", {W::sender_admin}, {"authfailure"}},
      {"auth.dmarc_rejected", {W::sender_admin}, {"authfailure"}},
      {"auth.unauthenticated", {W::sender_admin}, {"authfailure"}},
      {"throttle.rate_limited", {W::nobody}, {"speeding", "toomanyconn"}},
      {"throttle.greylisted", {W::nobody}, {"blocked"}},
      {"throttle.too_many_recipients", {W::sender}, {"toomanyconn", "exceedlimit"}},
      {"throttle.too_many_connections", {W::nobody}, {"toomanyconn"}},
      {"message.too_large", {W::sender}, {"mesgtoobig", "exceedlimit"}},
      {"message.spam", {W::sender}, {"spamdetected"}},
      {"message.virus", {W::sender}, {"virusdetected"}},
      {"message.content_rejected", {W::sender}, {"contenterror", "filtered"}},
      {"message.malformed", {W::sender_admin}, {"notcompliantrfc"}},
      {"message.loop", {W::sender_admin}, {"systemerror"}},
      {"policy.relay_denied", {W::sender_admin}, {"norelaying"}},
      {"policy.authentication_required", {W::sender_admin}, {"securityerror"}},
      {"policy.sender_rejected", {W::sender_admin}, {"rejected"}},
      {"policy.recipient_restricted", {W::recipient}, {"filtered", "rejected"}},
      {"policy.rejected", {W::recipient_admin}, {"policyviolation", "rejected", "blocked"}},
      {"remote.system_error", {W::recipient_admin}, {"systemerror"}},
      {"remote.storage_full", {W::recipient_admin}, {"systemfull"}},
      {"remote.protocol_error", {W::sender_admin}, {"syntaxerror"}},
      {"delivery.expired", {}, {"expired"}},
      {"local.configuration_error", {W::sender_admin}, {"mailererror"}},
      {"unknown", {W::sender_admin}, {"undefined"}},
  };
  ASSERT_GE(rules().categories().size(), std::size(rows));
  for (const auto& row : rows) {
    const auto* category = rules().find_category(row.id);
    ASSERT_NE(category, nullptr) << row.id;
    EXPECT_EQ(category->id, row.id);
    if (!row.who.empty()) {
      EXPECT_EQ(row.who.count(category->who_can_fix), 1u)
          << row.id << " who_can_fix=" << clearbounce::classifier::to_string(category->who_can_fix);
    }
    EXPECT_EQ(row.reasons.count(category->reason), 1u) << row.id << " reason=" << category->reason;
    bool listed = false;
    for (const auto& c : rules().categories()) listed = listed || c.id == row.id;
    EXPECT_TRUE(listed) << row.id << " missing from categories()";
  }
}

TEST_F(ClassifierTest, CategoryIdsAreUnique) {
  std::set<std::string> seen;
  for (const auto& c : rules().categories()) EXPECT_TRUE(seen.insert(c.id).second) << c.id;
}

TEST_F(ClassifierTest, UnknownCategoryIdIsNotFound) {
  EXPECT_EQ(rules().find_category("no.such_category"), nullptr);
}

// ---------------------------------------------------------------------------
// The order of evidence (classifier/README.md).

namespace {

RecipientReport with_context(RecipientReport r, std::string context) {
  r.context = std::move(context);
  return r;
}

}  // namespace

TEST_F(ClassifierTest, AntivirusFooterCannotBeatUnknownUserStatus) {
  // The diagnostic says only "rejected"; the status says the address is
  // unknown; a scanner's footer in the human text speaks of viruses.
  const auto r = with_context(failed("5.1.1", "550 5.1.1 <bob@example.net>: Recipient address rejected: see below", "RCPT"),
                              "Delivery to bob@example.net failed.\n\n--\nThis message was checked for viruses by "
                              "Example Antivirus. Virus alerts go to postmaster.\n");
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.unknown") << c.decided_by;
  EXPECT_EQ(c.decided_by, "status 5.1.1");
}

TEST_F(ClassifierTest, BannerIsNoEvidenceEvenWhenNothingElseSpeaks) {
  // A generic refusal: the human text is read, but its anti-spam banner
  // does not make the message spam.
  const auto r = with_context(failed("5.7.1", "550 5.7.1 Message rejected", "DATA"),
                              "Your message to bob@example.net was rejected.\n\nThis e-mail was scanned for spam "
                              "and viruses by Example Anti-Spam Gateway. Report this message as spam.\n");
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "policy.rejected") << c.decided_by;
}

TEST_F(ClassifierTest, HumanTextDecidesOnlyWhenDiagnosticAndStatusSayNothingSpecific) {
  // Generic status and wording: the text about the recipient names the cause.
  const auto generic = with_context(failed("5.7.1", "550 5.7.1 Rejected", "RCPT"),
                                    "The mail system\n\n<bob@example.net>: mailbox is over quota\n");
  const auto c = rules().classify(generic, rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.mailbox_full");
  EXPECT_NE(c.decided_by.find("about the recipient"), std::string::npos) << c.decided_by;

  // A specific status: the same text does not overrule it.
  const auto specific = with_context(failed("5.1.1", "550 5.1.1 Rejected", "RCPT"),
                                     "The mail system\n\n<bob@example.net>: mailbox is over quota\n");
  EXPECT_EQ(category_of(rules().classify(specific, rfc3464_report())), "recipient.unknown");
}

TEST_F(ClassifierTest, TextAboutTheRecipientComesBeforeTheRestOfTheReport) {
  // The paragraph naming the recipient says "unknown user"; another
  // paragraph speaks generally of message size limits.
  const auto r = with_context(failed("", "", ""),
                              "Note: our size limit is 10 MB for all messages.\n\n"
                              "bob@example.net: user unknown\n");
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "recipient.unknown") << c.decided_by;
}

TEST_F(ClassifierTest, EveryDecisionSaysWhatDecided) {
  EXPECT_EQ(rules().classify(failed("5.1.1", "", "RCPT"), rfc3464_report()).decided_by, "status 5.1.1");
  const auto wording = rules().classify(failed("5.0.0", "550 5.0.0 Mailbox full", "RCPT"), rfc3464_report());
  EXPECT_EQ(wording.decided_by.rfind("wording in the recipient's diagnostic, rules.toml", 0), 0u)
      << wording.decided_by;
  auto at_mail = failed("", "550 Access denied", "MAIL");
  EXPECT_EQ(rules().classify(at_mail, rfc3464_report()).decided_by, "stage MAIL");
}

TEST_F(ClassifierTest, GaveUpAfterRetriesKeepsTheLastCause) {
  // Days of "greeting timeout", then the queue lifetime ran out.
  auto r = failed("4.4.7",
                  "retry timeout exceeded; conversation with mx.example.net[192.0.2.25] timed out while receiving "
                  "the initial server greeting");
  const auto c = rules().classify(r, rfc3464_report());
  EXPECT_EQ(category_of(c), "network.greeting_timeout");
  EXPECT_EQ(c.reason, "expired");
  ASSERT_EQ(c.facts.count("gave_up"), 1u);
  EXPECT_FALSE(c.temporary);
  // Without a known cause, giving up is all there is to say.
  const auto bare = rules().classify(failed("4.4.7", "Envelope expired"), rfc3464_report());
  EXPECT_EQ(category_of(bare), "delivery.expired");
  EXPECT_EQ(bare.reason, "expired");
}

TEST_F(ClassifierTest, GaveUpSaidBesideTheCauseIsAFact) {
  // qmail ends its last error with "I'm not going to try again; this message
  // has been in the queue too long": the error is the category, giving up a
  // fact beside it. A network error given up on is sisimai's "expired";
  // another cause keeps its reason.
  const struct {
    const char* status;
    const char* last_error;
    const char* category;
    const char* reason;
  } cases[] = {
      {"4.4.2", "Connected to 192.0.2.25 but connection died. (#4.4.2)", "network.connection_lost", "expired"},
      {"4.2.2", "Remote host said: 452 4.2.2 Mailbox full", "recipient.mailbox_full", "mailboxfull"},
  };
  for (const auto& c : cases) {
    const std::string said =
        std::string(c.last_error) + " I'm not going to try again; this message has been in the queue too long.";
    const auto result = rules().classify(failed(c.status, said), rfc3464_report());
    EXPECT_EQ(category_of(result), c.category) << result.decided_by;
    EXPECT_EQ(result.reason, c.reason) << c.last_error;
    EXPECT_EQ(result.facts.count("gave_up"), 1u) << c.last_error;
  }
}

TEST_F(ClassifierTest, IssueTenWordings) {
  const struct {
    const char* status;
    const char* command;
    const char* diagnostic;
    const char* category;
  } cases[] = {
      {"4.4.7", "", "Envelope expired", "delivery.expired"},
      {"", "", "all hosts have been failing for a long time and were last tried after this message arrived",
       "delivery.expired"},
      {"", "RCPT", "550 User bob does not exist", "recipient.unknown"},
      {"", "RCPT", "550 No mail box available for this user", "recipient.unknown"},
      {"", "RCPT", "552 Mailbox quota usage exceeded", "recipient.mailbox_full"},
      {"", "RCPT", "552 bob has exceeded its disk space limit", "recipient.mailbox_full"},
      {"", "RCPT", "550 Connection frequency limited", "throttle.too_many_connections"},
      {"", "CONN", "421 The mail server has been temporarily rate limited due to IP reputation",
       "reputation.poor_reputation"},
      {"", "", "Connected to 192.0.2.25 but my name was rejected.", "policy.rejected"},
      {"", "RCPT", "554 Invalid final delivery userid", "recipient.unknown"},
  };
  for (const auto& tc : cases) {
    auto r = failed(tc.status, tc.diagnostic, tc.command);
    if (std::string_view(tc.diagnostic).substr(0, 1) == "C" || std::string_view(tc.diagnostic).substr(0, 1) == "a")
      r.reply_code.clear();
    EXPECT_EQ(category_of(rules().classify(r, rfc3464_report())), tc.category) << tc.diagnostic;
  }
}

TEST_F(ClassifierTest, AReportedVirusIsNoBanner) {
  // A scan that found something is the cause, not a footer.
  const auto r = with_context(failed("5.7.0", "550 5.7.0 Message rejected", "DATA"),
                              "Your message to bob@example.net was rejected.\n\n"
                              "This message was scanned for viruses and a virus was found: Eicar-Test-Signature.\n");
  EXPECT_EQ(category_of(rules().classify(r, rfc3464_report())), "message.virus");
}

// The shipped rules' host and fact regexes are built when first needed;
// loaded as an administrator's file, where each is checked at once, the
// same rules must load: that is the check they get.
TEST(ClassifierLoad, ShippedRulesLoadAsAnAdministratorsFileWithEveryPatternChecked) {
  std::string error;
  const auto loaded = clearbounce::classifier::Classifier::load_file(
      std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml", error);
  ASSERT_NE(loaded, nullptr) << error;
  // A fact without its one capture group is refused there, as a bad host
  // pattern is.
  std::ifstream in(std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml");
  std::stringstream text;
  text << in.rdbuf() << "\n[[fact]]\nname = \"x\"\npattern = 'no group here'\n";
  EXPECT_EQ(clearbounce::classifier::Classifier::load_text(text.str(), "test.toml", error), nullptr);
  EXPECT_NE(error.find("capture group"), std::string::npos) << error;
  std::stringstream hosts;
  hosts << "[[rule]]\ncategory = \"unknown\"\nhosts = 'a(b'\npatterns = ['never said at all']\n";
  std::ifstream again(std::string(CLEARBOUNCE_SOURCE_DIR) + "/classifier/rules.toml");
  std::stringstream with_hosts;
  with_hosts << again.rdbuf() << "\n" << hosts.str();
  EXPECT_EQ(clearbounce::classifier::Classifier::load_text(with_hosts.str(), "test.toml", error), nullptr);
  EXPECT_NE(error.find("bad hosts pattern"), std::string::npos) << error;
}
