// "Did you mean bob@gmail.com?": a diagnosis (a stand-in for
// Options::diagnose here) finds that the recipient's domain does not exist
// and suggests a well-known one; the notice asks about the address in
// every locale, and only when the address can be written back safely.
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

// A Postfix report of our own about one recipient.
std::string report(const std::string& recipient, const std::string& action, const std::string& status,
                   const std::string& diagnostic) {
  return clearbounce::testing::postfix_report({{recipient, diagnostic, status, action}});
}

// Postfix's words for a domain that does not exist, final and for now.
std::string not_found_report(const std::string& recipient) {
  return report(recipient, "failed", "5.4.4",
                "Host or domain name not found. Name service error for name=gmial.com type=MX: Host not found");
}

Finding not_found(const std::string& suggested) {
  Finding f;
  f.category = "domain.not_found";
  f.summary = "gmial.com: the domain does not exist (NXDOMAIN)";
  f.facts = {{"recipient_domain", "gmial.com"}, {"checked_at", "Fri, 04 Dec 2026 10:00:00 +0000"}};
  if (!suggested.empty()) f.facts["suggested_domain"] = suggested;
  return f;
}

class EngineSuggestion : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  Options with(const Finding& finding, const std::string& locale = "en") {
    Options options;
    options.locale = locale;
    options.diagnose = clearbounce::engine::ask_each([this, finding](const Question& q) {
      asked_.push_back(q);
      return finding;
    });
    return options;
  }
  // The notice's text/plain part, decoded (base64 for the locales whose
  // script is not Latin, quoted-printable for the others).
  static std::string text_of(const clearbounce::engine::Outcome& outcome) {
    std::string body = outcome.result.body;
    std::erase(body, '\r');
    const auto part = body.find("Content-Type: text/plain");
    const auto start = body.find("\n\n", part), end = body.find("\n--", start);
    if (part == std::string::npos || start == std::string::npos) return body;
    const std::string encoded = body.substr(start + 2, end - start - 2);
    const bool base64 = body.substr(part, start - part).find("base64") != std::string::npos;
    return base64 ? clearbounce::dsn::decode_base64(encoded) : clearbounce::dsn::decode_quoted_printable(encoded);
  }
  std::unique_ptr<Engine> engine_;
  std::vector<Question> asked_;
};

TEST_F(EngineSuggestion, OurOwnReportOfADomainNotFoundAsksAboutTheSuggestedAddress) {
  const auto outcome = engine_->process(not_found_report("bob@gmial.com"), with(not_found("gmail.com")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  ASSERT_EQ(asked_.size(), 1u);  // domain.not_found is an open cause now
  EXPECT_EQ(asked_[0].domain, "gmial.com");
  EXPECT_EQ(asked_[0].look, Question::Look::domain);
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"domain.not_found"}));
  const std::string text = text_of(outcome);
  EXPECT_NE(text.find("Did you mean bob@gmail.com?"), std::string::npos) << text;
}

// "Host not found, try again" (a temporary failure of the name servers) is
// refined to a domain that does not exist, with its suggestion.
TEST_F(EngineSuggestion, ATemporaryNameServiceErrorRefinedToNotFoundCarriesTheSuggestion) {
  const auto outcome = engine_->process(
      report("bob@gmial.com", "delayed", "4.4.3",
             "delivery temporarily suspended: Host or domain name not found. Name service error for name=gmial.com "
             "type=MX: Host not found, try again"),
      with(not_found("gmail.com")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"domain.not_found"}));
  EXPECT_NE(text_of(outcome).find("bob@gmail.com"), std::string::npos) << text_of(outcome);
}

TEST_F(EngineSuggestion, EveryLocaleAsksAboutTheSuggestedAddress) {
  for (const std::string locale : {"en", "de", "de-AT", "fr", "es", "it", "nl", "pl", "pt", "ru", "sv", "ja", "zh-Hans"}) {
    const auto outcome = engine_->process(not_found_report("bob@gmial.com"), with(not_found("gmail.com"), locale));
    ASSERT_TRUE(outcome.rewritten) << locale << ": " << outcome.reason;
    EXPECT_EQ(outcome.locale, locale);
    EXPECT_NE(text_of(outcome).find("bob@gmail.com"), std::string::npos) << locale << ":\n" << text_of(outcome);
  }
}

TEST_F(EngineSuggestion, WithoutASuggestionTheNoticeAsksNothing) {
  const auto outcome = engine_->process(not_found_report("bob@gmial.com"), with(not_found("")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(text_of(outcome).find("Did you mean"), std::string::npos) << text_of(outcome);
}

// The local part is the sender's text, written back in our own sentence:
// one with a no-break space, a right-to-left override, a quotation mark or
// bytes that are not UTF-8 gets no suggestion, nor does a suggested domain
// that is no host name. (Quotes, ASCII spaces and control characters do
// not get this far through a report: test_render_suggestion.cpp.)
TEST_F(EngineSuggestion, AHostileLocalPartOrDomainGivesNoSuggestion) {
  for (const std::string recipient :
       {"bob\xc2\xa0x@gmial.com", "bob\xe2\x80\xae" "moc@gmial.com", "bob\xe2\x80\x9cx@gmial.com", "bob\xff@gmial.com"}) {
    asked_.clear();
    const auto outcome = engine_->process(not_found_report(recipient), with(not_found("gmail.com")));
    ASSERT_TRUE(outcome.rewritten) << recipient << ": " << outcome.reason;
    ASSERT_EQ(asked_.size(), 1u) << recipient;  // asked, and the suggestion was there to use
    const std::string text = text_of(outcome);
    EXPECT_EQ(text.find("@gmail.com"), std::string::npos) << recipient << ":\n" << text;
    EXPECT_EQ(text.find("Did you mean"), std::string::npos) << recipient << ":\n" << text;
  }
  const auto outcome = engine_->process(not_found_report("bob@gmial.com"), with(not_found("gmail.com/x\"y")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(text_of(outcome).find("Did you mean"), std::string::npos) << text_of(outcome);
}

}  // namespace
