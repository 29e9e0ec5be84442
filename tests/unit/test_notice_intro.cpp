// A report about several recipients introduces them without implying that
// the others received the message: it may be that nobody did.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

TEST(NoticeIntro, SeveralFailedRecipientsAreNotCalledAPartialDelivery) {
  std::vector<std::string> errors;
  const auto engine = Engine::load({}, errors);
  ASSERT_NE(engine, nullptr);
  // Both recipients failed: nobody received the message.
  const auto report = clearbounce::testing::postfix_report(
      {{"bob@example.org", "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1"},
       {"carol@example.net", "host mx.example.net[192.0.2.26] said: 552 5.2.2 Mailbox full", "5.2.2"}});
  Options options;
  options.locale = "en";
  const auto outcome = engine->process(report, options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  const auto& text = outcome.result.notification.text_plain;
  EXPECT_EQ(text.find("every recipient"), std::string::npos) << text;
  EXPECT_EQ(text.find("not all"), std::string::npos) << text;
  EXPECT_NE(text.find("Not delivered to 2 addresses:"), std::string::npos) << text;
}

}  // namespace
