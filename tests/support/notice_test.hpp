// A test fixture for the notice tests: the engine and the shipped
// catalogues loaded once per test, a notice rendered from our own Postfix
// report, and the parts of it the tests look at.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "templates/catalogue.hpp"
#include "tests/support/notice_parts.hpp"
#include "tests/support/postfix_reports.hpp"

namespace clearbounce::testing {

class NoticeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine = engine::Engine::load({}, errors);
    ASSERT_NE(engine, nullptr) << (errors.empty() ? "" : errors.front());
    catalogues = templates::CatalogueSet::load("", errors);
    ASSERT_NE(catalogues, nullptr) << (errors.empty() ? "" : errors.front());
  }

  // The text/plain notice of a report about `recipients`, in `locale`;
  // `per_message`: lines added to the report's per-message fields
  // ("Arrival-Date: ...\r\n").
  std::string notice_about(const std::vector<ReportedRecipient>& recipients, std::string_view locale = "en",
                           std::string_view per_message = {}) const {
    std::string report = postfix_report(recipients);
    const std::string reporting = "Reporting-MTA: dns; mail.example.com\r\n";
    report.insert(report.find(reporting) + reporting.size(), per_message);
    engine::Options options;
    options.locale = std::string(locale);
    const auto outcome = engine->process(report, options);
    EXPECT_TRUE(outcome.rewritten) << outcome.reason;
    return outcome.result.notification.text_plain;
  }
  std::string notice(const ReportedRecipient& recipient, std::string_view locale = "en",
                     std::string_view per_message = {}) const {
    return notice_about({recipient}, locale, per_message);
  }

  // A catalogue entry as it reads (without `values`, without the facts of
  // its optional groups).
  std::string says(std::string_view locale, std::string_view key, const templates::Values& values = {}) const {
    return testing::says(*catalogues, locale, key, values);
  }
  // The part of a notice before its technical section, and that section.
  std::string prose(const std::string& text, std::string_view locale) const {
    return reader_part(*catalogues, text, locale);
  }
  std::string technical(const std::string& text, std::string_view locale) const {
    return technical_part(*catalogues, text, locale);
  }

  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<templates::CatalogueSet> catalogues;
};

}  // namespace clearbounce::testing
