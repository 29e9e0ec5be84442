// The work budget of one message: a deadline, after which the message passes
// unchanged with a reason, and a rewritten size that never exceeds what the
// configuration allows.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

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

TEST(EngineBudget, RewriteLargerThanTheLimitIsNotMade) {
  const auto message = report(3, 100);
  clearbounce::config::Config config;
  config.max_message_bytes = message.size() + 64;  // the original fits, a rewrite (new text and HTML) does not
  const auto out = load(config)->process(message);
  EXPECT_FALSE(out.rewritten);
  EXPECT_NE(out.reason.find("rewritten message would be larger"), std::string::npos) << out.reason;
}

}  // namespace
