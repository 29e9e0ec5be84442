// The engine with a diagnosis (Options::diagnose, a stand-in here): asked
// only for causes the rule set marks open, never for a report from the
// internet, once per domain; what it finds refines the category within its
// kind of failure, and its facts reach the notice.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dsn/encoding.hpp"
#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::diagnose::Finding;
using clearbounce::diagnose::Question;
using clearbounce::engine::Engine;
using clearbounce::engine::Options;

// A Postfix report of our own: one line per recipient, Postfix's words.
std::string report(const std::vector<std::pair<std::string, std::string>>& recipients, const std::string& status) {
  std::vector<clearbounce::testing::ReportedRecipient> reported;
  for (const auto& [recipient, diagnostic] : recipients) reported.push_back({recipient, diagnostic, status, "delayed"});
  return clearbounce::testing::postfix_report(reported, "Delayed Mail (still being retried)");
}

Finding expired_certificate() {
  Finding f;
  f.category = "tls.certificate_expired";
  f.summary = "mx.example.org[192.0.2.25]:25: certificate not verified (certificate has expired)";
  f.facts = {{"remote_host", "mx.example.org"},
             {"remote_ip", "192.0.2.25"},
             {"checked_at", "Fri, 04 Dec 2026 10:00:00 +0000"},
             {"certificate_expired_on", "Thu, 01 Oct 2026 00:00:00 +0000"},
             {"certificate_names", "mx.example.org"},
             {"expected_name", "mx.example.org"}};
  return f;
}

class EngineDiagnosis : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  Options with(std::function<Finding(const Question&)> diagnose) {
    Options options;
    options.locale = "en";
    options.diagnose = clearbounce::engine::ask_each([this, diagnose](const Question& q) {
      asked_.push_back(q);
      return diagnose(q);
    });
    return options;
  }
  static std::string text_of(const clearbounce::engine::Outcome& outcome) {
    return clearbounce::dsn::decode_quoted_printable(outcome.result.body);
  }
  std::unique_ptr<Engine> engine_;
  std::vector<Question> asked_;
};

TEST_F(EngineDiagnosis, AnOpenCertificateFailureBecomesTheCauseFoundWithItsDate) {
  const auto outcome = engine_->process(report({{"carol@Example.ORG", "Server certificate not verified"}}, "4.7.5"),
                                        with([](const Question&) { return expired_certificate(); }));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].domain, "example.org");
  EXPECT_EQ(asked_[0].look, Question::Look::server);
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_expired"}));
  const std::string text = text_of(outcome);
  EXPECT_NE(text.find("1 October 2026"), std::string::npos) << text;
}

// The technical section says when we looked, in the locale's words as its
// other dates, and what we saw, in the words of the finding's summary,
// whether or not the look changed the cause.
TEST_F(EngineDiagnosis, TheTechnicalSectionSaysWhatWasCheckedAndWhen) {
  Finding verified;
  verified.summary = "mx.example.org[192.0.2.25]:25: verified";
  verified.checked_at = 1796378400;  // Fri, 04 Dec 2026 10:00:00 +0000
  auto found = expired_certificate();
  found.checked_at = verified.checked_at;
  for (const auto& finding : {found, verified}) {
    const auto outcome = engine_->process(report({{"carol@example.org", "Server certificate not verified"}}, "4.7.5"),
                                          with([&](const Question&) { return finding; }));
    ASSERT_TRUE(outcome.rewritten) << outcome.reason;
    const std::string text = text_of(outcome);
    const auto technical = text.find("Checked by us: ");
    ASSERT_NE(technical, std::string::npos) << text;
    EXPECT_EQ(text.find("Checked by us: Friday, 4 December 2026, 10:00 (UTC): " + finding.summary + "\r\n"), technical)
        << text;
    EXPECT_EQ(text.find("Fri, 04 Dec 2026"), std::string::npos) << text;
  }
}

TEST_F(EngineDiagnosis, NothingLearnedLeavesTheReportAsItWas) {
  const auto outcome = engine_->process(report({{"carol@example.org", "Server certificate not verified"}}, "4.7.5"),
                                        with([](const Question&) { return Finding{}; }));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_not_verified"}));
}

TEST_F(EngineDiagnosis, AFindingOfAnotherKindDoesNotReplaceTheReportedCause) {
  Finding refused;
  refused.category = "network.connection_refused";
  refused.facts = {{"checked_at", "Fri, 04 Dec 2026 10:00:00 +0000"}};
  const auto outcome = engine_->process(report({{"carol@example.org", "Server certificate not verified"}}, "4.7.5"),
                                        with([&](const Question&) { return refused; }));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_not_verified"}));
}

TEST_F(EngineDiagnosis, OnlyOpenCausesAreAskedAndEachDomainOnce) {
  const auto outcome = engine_->process(
      report({{"carol@example.org", "Server certificate not verified"},
              {"dave@example.org", "Server certificate not verified"},
              {"erin@example.net", "host mx.example.net[192.0.2.9] said: 452 4.2.2 Mailbox full (in reply to RCPT TO command)"}},
             "4.7.5"),
      with([](const Question&) { return expired_certificate(); }));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  ASSERT_EQ(asked_.size(), 1u);  // example.org once; a full mailbox is no open cause
  EXPECT_EQ(asked_[0].domain, "example.org");
}

TEST_F(EngineDiagnosis, AReportFromTheInternetIsNeverDiagnosed) {
  auto options = with([](const Question&) { return expired_certificate(); });
  options.remote_report = true;
  const auto outcome =
      engine_->process(report({{"carol@example.org", "Server certificate not verified"}}, "4.7.5"), options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_TRUE(asked_.empty());
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_not_verified"}));
}

}  // namespace
