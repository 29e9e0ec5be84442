// The texts of the categories a look of our own (diagnose/) can name: in
// every locale, the sentence that states the cause says when we checked,
// and it says so only when we did. The expected date is the catalogue's own
// spelling of the check time ([dates]), never a string written here.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"
#include "templates/dates.hpp"

namespace {

using clearbounce::diagnose::Finding;
using clearbounce::diagnose::Question;
using clearbounce::engine::Engine;
using clearbounce::engine::Options;
using clearbounce::engine::Outcome;

constexpr const char* kCheckedAt = "Fri, 04 Dec 2026 10:00:00 +0000";
constexpr std::int64_t kCheckedAtSeconds = 1796378400;  // the same time

// Postfix's words for each kind of failure that leave its cause open, so
// that a finding of the same kind may refine it.
constexpr const char* kDomainOpen =
    "Host or domain name not found. Name service error for name=example.org type=MX: Host not found, try again";
constexpr const char* kNetworkOpen = "connect to mx.example.org[192.0.2.25]:25: Connection refused";
constexpr const char* kTlsOpen = "Server certificate not verified";

struct Case {
  std::string category;
  std::string open;    // what a report says that leaves the cause open
  std::string status;  // its status code
  std::string stated;  // what a report says that names the category itself
};

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"domain.no_mail_server", kDomainOpen, "4.4.3", "host mx.example.org[192.0.2.25] said: 556 5.1.10 null MX"},
      {"dns.temporary_failure", kDomainOpen, "4.4.3", kDomainOpen},
      {"network.connection_refused", kNetworkOpen, "4.4.1", kNetworkOpen},
      {"network.connect_timeout", kNetworkOpen, "4.4.1", "connect to mx.example.org[192.0.2.25]:25: Connection timed out"},
      {"network.greeting_timeout", kNetworkOpen, "4.4.1",
       "conversation with mx.example.org[192.0.2.25] timed out while receiving the initial server greeting"},
      {"tls.certificate_untrusted", kTlsOpen, "4.7.5", "Server certificate not trusted: self-signed certificate"},
      {"tls.handshake_failed", kTlsOpen, "4.7.5", "Cannot start TLS: handshake failure"},
      {"tls.not_offered", kTlsOpen, "4.7.5", "TLS is required, but was not offered by host mx.example.org[192.0.2.25]"},
      {"tls.certificate_not_verified", kTlsOpen, "4.7.5", kTlsOpen},
  };
  return all;
}

// A Postfix report of our own about one recipient, still being retried.
std::string report(const std::string& diagnostic, const std::string& status) {
  return clearbounce::testing::postfix_report({{"carol@example.org", diagnostic, status, "delayed"}},
                                              "Delayed Mail (still being retried)");
}

// What a look at example.org's server found: the category and its facts.
Finding found(const std::string& category) {
  Finding finding;
  finding.category = category;
  finding.summary = "mx.example.org[192.0.2.25]:25: " + category;
  finding.checked_at = kCheckedAtSeconds;
  finding.facts = {{"recipient_domain", "example.org"},
                   {"remote_host", "mx.example.org"},
                   {"remote_ip", "192.0.2.25"},
                   {"checked_at", kCheckedAt}};
  return finding;
}

class DiagnosisTexts : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  // The check time as the locale writes dates.
  std::string checked_date(const std::string& tag) const {
    const auto* names = engine_->catalogues().dates(tag);
    const auto parsed = clearbounce::templates::parse_rfc5322_date(kCheckedAt);
    if (names == nullptr || !parsed) return {};
    return clearbounce::templates::format_date(*parsed, *names);
  }
  std::unique_ptr<Engine> engine_;
};

void expect_no_braces(const Outcome& outcome, const std::string& where) {
  const auto& notice = outcome.result.notification;
  for (const std::string* text : {&notice.text_plain, &notice.html}) {
    EXPECT_EQ(text->find('{'), std::string::npos) << where << "\n" << *text;
    EXPECT_EQ(text->find('}'), std::string::npos) << where << "\n" << *text;
  }
}

TEST_F(DiagnosisTexts, EveryLocaleSaysWhenWeCheckedForEveryRefinedCategory) {
  for (const auto& tag : engine_->catalogues().tags()) {
    const std::string date = checked_date(tag);
    ASSERT_FALSE(date.empty()) << tag;
    for (const auto& c : cases()) {
      Options options;
      options.locale = tag;
      options.diagnose = clearbounce::engine::ask_each([&](const Question&) { return found(c.category); });
      const auto outcome = engine_->process(report(c.open, c.status), options);
      const std::string where = tag + " " + c.category;
      ASSERT_TRUE(outcome.rewritten) << where << ": " << outcome.reason;
      ASSERT_EQ(outcome.categories, std::vector<std::string>{c.category}) << where;
      EXPECT_NE(outcome.result.notification.text_plain.find(date), std::string::npos)
          << where << ": no \"" << date << "\"\n" << outcome.result.notification.text_plain;
      EXPECT_NE(outcome.result.notification.html.find(date), std::string::npos) << where;
      expect_no_braces(outcome, where);
    }
  }
}

// A notice that no look of ours stands behind: the report's own words name
// the category, and no check time or remnant of its group is left.
TEST_F(DiagnosisTexts, WithoutALookOfOursNoDateAndNoBraces) {
  for (const auto& tag : engine_->catalogues().tags()) {
    const std::string date = checked_date(tag);
    for (const auto& c : cases()) {
      Options options;
      options.locale = tag;
      const auto outcome = engine_->process(report(c.stated, c.status), options);
      const std::string where = tag + " " + c.category;
      ASSERT_TRUE(outcome.rewritten) << where << ": " << outcome.reason;
      ASSERT_EQ(outcome.categories, std::vector<std::string>{c.category}) << where;
      EXPECT_EQ(outcome.result.notification.text_plain.find(date), std::string::npos) << where;
      expect_no_braces(outcome, where);
    }
  }
}

// The check time stands only inside an optional group of the sentence that
// states the cause, so that it vanishes with the group when no look ran.
TEST_F(DiagnosisTexts, TheCheckTimeStandsOnlyInsideAnOptionalGroup) {
  const auto& catalogues = engine_->catalogues();
  for (const auto& tag : catalogues.tags()) {
    for (const auto& c : cases()) {
      bool used = false;
      for (const char* key : {"what", "why"}) {
        const auto* templates = catalogues.find(tag, "category." + c.category + "." + key);
        ASSERT_NE(templates, nullptr) << tag << " " << c.category << "." << key;
        for (const auto& text : *templates) {
          const auto has = [](const std::vector<std::string>& names) {
            return std::find(names.begin(), names.end(), "checked_at") != names.end();
          };
          used = used || has(text.placeholders());
          EXPECT_FALSE(has(text.required_placeholders())) << tag << " " << c.category << "." << key;
        }
      }
      EXPECT_TRUE(used) << tag << " " << c.category << ": what or why should say when we checked";
    }
  }
}

}  // namespace
