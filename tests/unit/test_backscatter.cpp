// Backscatter (engine/backscatter.hpp): a remote report about a message
// that never passed through this mail system says so, and its marker
// carries forged=yes; whenever that is not clear, it says nothing.
#include <gtest/gtest.h>

#include <string>

#include "dsn/mime.hpp"
#include "engine/backscatter.hpp"
#include "engine/engine.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;
namespace backscatter = clearbounce::engine::backscatter;

constexpr std::string_view kNotice = "was not sent from this mail system";

// A report from mx.example.org about a message to bob@example.org;
// `returned_part` is the whole third part (headers and body), or empty.
std::string report_with(std::string_view returned_part) {
  std::string m =
      "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "To: alice@example.com\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"XB\"\r\n"
      "\r\n"
      "--XB\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "Your message could not be delivered.\r\n"
      "\r\n"
      "--XB\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mx.example.org\r\n"
      "\r\n"
      "Final-Recipient: rfc822; bob@example.org\r\n"
      "Action: failed\r\n"
      "Status: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: User unknown\r\n"
      "\r\n";
  if (!returned_part.empty()) {
    m += "--XB\r\n";
    m += returned_part;
    m += "\r\n";
  }
  m += "--XB--\r\n";
  return m;
}

std::string report(std::string_view returned_headers) {
  return report_with("Content-Type: text/rfc822-headers\r\n\r\n" + std::string(returned_headers));
}

// What a spammer's message looks like when it comes back: sent by a bot,
// received by the remote server, a Message-ID of neither of us.
constexpr std::string_view kSpam =
    "Received: from bot.dsl.example.net (bot.dsl.example.net [198.51.100.9])\r\n"
    "\tby mx.example.org (Postfix) with ESMTP id 4QxYz1\r\n"
    "\tfor <bob@example.org>; Mon, 23 Nov 2026 10:02:10 +0100 (CET)\r\n"
    "Message-ID: <a8f3.77@bot.dsl.example.net>\r\n"
    "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Cheap watches\r\n";

// The same message, had Alice sent it through our mail.example.com.
constexpr std::string_view kOurs =
    "Received: from mail.example.com (mail.example.com [192.0.2.1])\r\n"
    "\tby mx.example.org (Postfix) with ESMTPS id 4QxYz1\r\n"
    "\tfor <bob@example.org>; Mon, 23 Nov 2026 10:02:10 +0100 (CET)\r\n"
    "Received: from [192.0.2.77] by mail.example.com (Postfix) with ESMTPSA id 88A1\r\n"
    "\tfor <bob@example.org>; Mon, 23 Nov 2026 10:02:09 +0100 (CET)\r\n"
    "Message-ID: <c0ffee@example.com>\r\n"
    "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: Quarterly report\r\n";

std::unique_ptr<Engine> load(clearbounce::config::Config config = {}) {
  std::vector<std::string> errors;
  auto engine = Engine::load(config, errors);
  EXPECT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  return engine;
}

Options remote_at(std::vector<std::string> hostnames) {
  Options options;
  options.remote_report = true;
  options.local_hostnames = std::move(hostnames);
  return options;
}

std::string plain_text(const std::string& message) {
  const auto parsed = clearbounce::dsn::parse_mime(message);
  if (!parsed) return {};
  std::vector<const clearbounce::dsn::MimePart*> stack{&parsed->root};
  std::string found;
  while (!stack.empty()) {
    const auto* part = stack.back();
    stack.pop_back();
    if (part->media_type() == "multipart/alternative") return part->children.front().decoded_body();
    for (const auto& child : part->children) stack.push_back(&child);
  }
  return found;
}

std::string marker_of(const std::string& message) {
  const auto parsed = clearbounce::dsn::parse_mime(message);
  return parsed ? std::string(parsed->root.header("X-Clearbounce").value_or("")) : std::string();
}

// Rewritten, and whether it claims a forged sender (outcome, text and
// marker agree).
bool claims_forged(const Engine& engine, const std::string& input, const Options& options) {
  const auto out = engine.process(input, options);
  EXPECT_TRUE(out.rewritten) << out.reason;
  const bool in_text = plain_text(out.result.message).find(kNotice) != std::string::npos;
  const bool in_marker = marker_of(out.result.message).find("forged=yes") != std::string::npos;
  EXPECT_EQ(in_text, out.forged_sender);
  EXPECT_EQ(in_marker, out.forged_sender);
  return out.forged_sender;
}

TEST(Backscatter, AReportAboutMailThatNeverPassedHereSaysSo) {
  const auto engine = load();
  EXPECT_TRUE(claims_forged(*engine, report(kSpam), remote_at({"mail.example.com"})));
  // The same with the names from the configuration only (the CLI, or an
  // MTA that sends no {j}).
  clearbounce::config::Config config;
  config.backscatter_hostnames = {"mail.example.com"};
  EXPECT_TRUE(claims_forged(*load(config), report(kSpam), remote_at({})));
  // The whole returned message (message/rfc822) is read the same way.
  const std::string attached =
      "Content-Type: message/rfc822\r\n\r\n" + std::string(kSpam) + "\r\nBuy now.\r\n";
  EXPECT_TRUE(claims_forged(*engine, report_with(attached), remote_at({"mail.example.com"})));
}

TEST(Backscatter, MailThatPassedHereIsNotCalledForged) {
  const auto engine = load();
  EXPECT_FALSE(claims_forged(*engine, report(kOurs), remote_at({"mail.example.com"})));
  // The host name's case and a final dot do not matter.
  EXPECT_FALSE(claims_forged(*engine, report(kOurs), remote_at({"MAIL.Example.COM."})));
  // Sent out through a sibling host of the same domain.
  EXPECT_FALSE(claims_forged(*engine, report(kOurs), remote_at({"mx2.example.com"})));
  // Only the Message-ID is ours (a configured domain).
  clearbounce::config::Config config;
  config.backscatter_domains = {"example.com"};
  const std::string our_id = std::string(kSpam).replace(std::string(kSpam).find("a8f3.77@bot.dsl.example.net"),
                                                        27, "a8f3.77@example.com");
  EXPECT_FALSE(claims_forged(*load(config), report(our_id), remote_at({"smtp.example.info"})));
  // A Received line from another of our hosts (configured).
  config = {};
  config.backscatter_hostnames = {"relay.example.net", "mail.example.com"};
  EXPECT_FALSE(claims_forged(*load(config), report(kOurs), remote_at({"mx.example.net"})));
}

TEST(Backscatter, NoClaimWithoutEvidence) {
  const auto engine = load();
  // No returned headers at all.
  EXPECT_FALSE(claims_forged(*engine, report_with(""), remote_at({"mail.example.com"})));
  // Returned headers without a single Received line: cut short, no path.
  EXPECT_FALSE(claims_forged(*engine, report("From: alice@example.com\r\nSubject: hi\r\n"),
                             remote_at({"mail.example.com"})));
  // Our own names unknown: no {j}, nothing configured.
  EXPECT_FALSE(claims_forged(*engine, report(kSpam), remote_at({})));
  // Our own MTA's reports are about mail that passed here by definition.
  Options local = remote_at({"mail.example.com"});
  local.remote_report = false;
  EXPECT_FALSE(claims_forged(*engine, report(kSpam), local));
}

TEST(Backscatter, OwnNamesCoverThemselvesAndWhatIsUnderThem) {
  const backscatter::OwnNames names({"mx1.example.com"}, {"relay.example.net"}, {"example.org"});
  EXPECT_TRUE(names.covers("mx1.example.com"));
  EXPECT_TRUE(names.covers("MX7.Example.Com."));  // the parent of {j}
  EXPECT_TRUE(names.covers("relay.example.net"));
  EXPECT_TRUE(names.covers("a.b.example.org"));
  EXPECT_FALSE(names.covers("example.net"));
  EXPECT_FALSE(names.covers("notexample.com"));
  EXPECT_FALSE(names.covers("alice@example.com"));
  // A two-label name brings no one-label parent: "com" is not ours.
  const backscatter::OwnNames short_name({"example.com"}, {}, {});
  EXPECT_FALSE(short_name.covers("other.com"));
  EXPECT_TRUE(backscatter::OwnNames({}, {}, {}).empty());
}

}  // namespace
