// The notice's Subject line: the returned message's subject after the
// outcome, and without it no dangling separator, in every locale.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

class SubjectLine : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  // The rewritten report's Subject header, in `locale`.
  std::string subject_of(const std::string& report, const std::string& locale) const {
    Options options;
    options.locale = locale;
    const auto outcome = engine_->process(report, options);
    EXPECT_TRUE(outcome.rewritten) << outcome.reason;
    return outcome.result.notification.subject;  // decoded
  }
  std::unique_ptr<Engine> engine_;
};

const std::vector<std::string> kLocales = {"en", "de", "de-AT", "fr", "es", "it", "nl", "pl",
                                           "pt", "ru", "sv", "ja", "zh-Hans"};

TEST_F(SubjectLine, WithoutTheReturnedSubjectNothingDangles) {
  const auto report = clearbounce::testing::postfix_report(
      {{"bob@example.org", "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1"}},
      "Undelivered Mail Returned to Sender", "");
  for (const auto& locale : kLocales) {
    const auto subject = subject_of(report, locale);
    ASSERT_FALSE(subject.empty()) << locale;
    // Not "Not delivered:", "Non remis :", "邮件未能送达：".
    EXPECT_FALSE(subject.ends_with(":") || subject.ends_with("：") || subject.ends_with(" "))
        << locale << ": " << subject;
  }
}

TEST_F(SubjectLine, TheReturnedSubjectFollowsTheOutcome) {
  const auto report = clearbounce::testing::postfix_report(
      {{"bob@example.org", "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1"}});
  for (const auto& locale : kLocales) {
    const auto subject = subject_of(report, locale);
    EXPECT_TRUE(subject.ends_with("Minutes")) << locale << ": " << subject;
  }
}

}  // namespace
