// The work budget of one message: a deadline, after which the message passes
// unchanged with a reason, and a rewritten size that never exceeds what the
// configuration allows.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "dsn/report.hpp"
#include "engine/engine.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

std::string report(int recipients, std::size_t diagnostic_bytes) {
  std::string m =
      "From: MAILER-DAEMON@mail.example.com\r\nTo: alice@example.com\r\nSubject: Undelivered Mail\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
      "--B\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mail.example.com.\r\n\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.com\r\n\r\n";
  std::string words;
  while (words.size() < diagnostic_bytes) words += "mailbox unknown ";
  for (int i = 0; i < recipients; ++i) {
    m += "Final-Recipient: rfc822; u" + std::to_string(i) + "@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n" +
         "Diagnostic-Code: smtp; 550 5.1.1 " + words + "\r\n\r\n";
  }
  return m + "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nSubject: Minutes\r\n\r\n--B--\r\n";
}

std::unique_ptr<Engine> load(const clearbounce::config::Config& config) {
  std::vector<std::string> errors;
  auto engine = Engine::load(config, errors);
  EXPECT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  return engine;
}

TEST(EngineBudget, PassedDeadlineLeavesTheMessageUnchangedAndSaysWhy) {
  const auto engine = load({});
  const auto message = report(3, 100);
  ASSERT_TRUE(engine->process(message).rewritten);
  Options late;
  late.deadline = std::chrono::steady_clock::now() - std::chrono::seconds(1);
  const auto out = engine->process(message, late);
  EXPECT_FALSE(out.rewritten);
  EXPECT_NE(out.reason.find("time limit"), std::string::npos) << out.reason;
}

// A report that costs far more than the limit (here: 100,000 listed
// recipients sharing a long explanation, some 0.5 s of work) is passed on
// once the limit's CPU time is spent.
TEST(EngineBudget, CostlyReportStopsAtTheTimeLimit) {
  clearbounce::config::Config config;
  config.time_limit_ms = 10;
  std::string text;
  for (int i = 0; i < 100000; ++i) text += "<u" + std::to_string(i) + "@example.net>: unknown\r\n";
  text += "\r\n";
  for (int i = 0; i < 20000; ++i) text += "The remote server explained the failure in many words.\r\n";
  const std::string message =
      "From: MAILER-DAEMON@mail.example.com\r\nTo: alice@example.com\r\nSubject: Undelivered Mail\r\n"
      "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
      "--B\r\nContent-Type: text/plain\r\n\r\n" + text + "--B--\r\n";
  const auto out = load(config)->process(message);
  EXPECT_FALSE(out.rewritten);
  EXPECT_NE(out.reason.find("time limit"), std::string::npos) << out.reason;
}

TEST(EngineBudget, RewriteLargerThanTheLimitIsNotMade) {
  const auto message = report(3, 100);
  clearbounce::config::Config config;
  config.max_message_bytes = message.size() + 64;  // the original fits, a rewrite (new text and HTML) does not
  const auto out = load(config)->process(message);
  EXPECT_FALSE(out.rewritten);
  EXPECT_NE(out.reason.find("rewritten message would be larger"), std::string::npos) << out.reason;
}

// A recipient is written into our sentences ("was not delivered to
// ..."): a report whose recipient is a sentence or a link is left alone.
TEST(EngineBudget, RecipientThatIsNotAnAddressLeavesTheReportUnchanged) {
  const auto engine = load({});
  auto message = report(1, 100);
  ASSERT_TRUE(engine->process(message).rewritten);
  const std::string bogus = "https://evil.example/reset-your-password";
  message.replace(message.find("u0@example.org"), std::string("u0@example.org").size(), bogus);
  const auto out = engine->process(message);
  EXPECT_FALSE(out.rewritten);
  EXPECT_NE(out.reason.find("not an e-mail address"), std::string::npos) << out.reason;
}

TEST(EngineBudget, PlausibleAddresses) {
  using clearbounce::dsn::is_plausible_address;
  for (const char* good : {"bob@example.org", "root", "o'brien+tag@mail.example.co.uk", "jörg@bücher.example",
                           "user@[192.0.2.1]", "user@[IPv6:2001:db8::1]"})
    EXPECT_TRUE(is_plausible_address(good)) << good;
  for (const char* bad : {"", "two words@example.org", "a@https://evil.example", "call me on +1 555",
                          "a@b@c", ".a@example.org", "a..b@example.org", "a@example..org", "a@", "<a@b.org>"})
    EXPECT_FALSE(is_plausible_address(bad)) << bad;
  EXPECT_FALSE(is_plausible_address(std::string(250, 'a') + "@example.org"));
}

}  // namespace
