// A notice about several recipients opens with an overview: how many the
// message did not reach, has not reached yet and reached, in the locale's
// plural forms, and under each the addresses grouped by cause (issue 12).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "engine/engine.hpp"
#include "templates/catalogue.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;
using clearbounce::templates::PluralRule;
using clearbounce::templates::plural_form;
using clearbounce::testing::postfix_report;
using clearbounce::testing::ReportedRecipient;

TEST(PluralForms, EachRuleGivesTheFormsOfItsLanguages) {
  EXPECT_EQ(plural_form(PluralRule::one, 1), "one");
  EXPECT_EQ(plural_form(PluralRule::one, 0), "other");
  EXPECT_EQ(plural_form(PluralRule::one, 2), "other");
  EXPECT_EQ(plural_form(PluralRule::zero_one, 0), "one");
  EXPECT_EQ(plural_form(PluralRule::zero_one, 1), "one");
  EXPECT_EQ(plural_form(PluralRule::zero_one, 2), "other");
  const std::pair<std::size_t, std::string_view> russian[] = {
      {1, "one"}, {2, "few"}, {4, "few"}, {5, "many"}, {11, "many"}, {12, "many"}, {14, "many"},
      {21, "one"}, {22, "few"}, {25, "many"}, {101, "one"}, {111, "many"}, {112, "many"}, {0, "many"}};
  for (const auto& [n, form] : russian) EXPECT_EQ(plural_form(PluralRule::east_slavic, n), form) << n;
  const std::pair<std::size_t, std::string_view> polish[] = {
      {1, "one"}, {2, "few"}, {4, "few"}, {5, "many"}, {12, "many"}, {21, "many"}, {22, "few"}, {0, "many"}};
  for (const auto& [n, form] : polish) EXPECT_EQ(plural_form(PluralRule::polish, n), form) << n;
  EXPECT_EQ(plural_form(PluralRule::none, 1), "other");
  EXPECT_EQ(plural_form(PluralRule::none, 7), "other");
}

TEST(PluralForms, CataloguesNameTheirRule) {
  std::vector<std::string> errors;
  const auto catalogues = clearbounce::templates::CatalogueSet::load("", errors);
  ASSERT_NE(catalogues, nullptr);
  EXPECT_EQ(catalogues->plurals("en"), PluralRule::one);
  EXPECT_EQ(catalogues->plurals("fr"), PluralRule::zero_one);
  EXPECT_EQ(catalogues->plurals("ru"), PluralRule::east_slavic);
  EXPECT_EQ(catalogues->plurals("pl"), PluralRule::polish);
  EXPECT_EQ(catalogues->plurals("ja"), PluralRule::none);
  EXPECT_EQ(catalogues->plurals("zh-Hans"), PluralRule::none);
  EXPECT_EQ(catalogues->plurals("de-AT"), PluralRule::one);  // through its fallback
}

// "user7@example.org". Appended piecewise: GCC 12's -Wrestrict misreads
// "literal" + std::string&& at -O3.
std::string numbered(std::string_view stem, std::size_t n) {
  std::string address(stem);
  address += std::to_string(n);
  address += "@example.org";
  return address;
}

class NoticeOverview : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine = Engine::load({}, errors);
    ASSERT_NE(engine, nullptr);
  }
  std::string notice(const std::vector<ReportedRecipient>& recipients, std::string_view locale = "en") const {
    Options options;
    options.locale = std::string(locale);
    const auto outcome = engine->process(postfix_report(recipients), options);
    EXPECT_TRUE(outcome.rewritten) << outcome.reason;
    return outcome.result.notification.text_plain;
  }
  static ReportedRecipient unknown(std::string address) {
    return {std::move(address), "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1", "failed",
            "smtp"};
  }
  static ReportedRecipient full(std::string address) {
    return {std::move(address), "host mx.example.org[192.0.2.25] said: 552 5.2.2 Mailbox full", "5.2.2", "failed",
            "smtp"};
  }
  static ReportedRecipient late(std::string address) {
    return {std::move(address), "host mx.example.org[192.0.2.25] said: 451 4.7.1 Try again later", "4.7.1",
            "delayed", "smtp"};
  }
  std::unique_ptr<Engine> engine;
};

TEST_F(NoticeOverview, CountsEachOutcomeAndGroupsIdenticalCauses) {
  const std::string text = notice({full("carol@example.net"), unknown("bob@example.org"), full("dave@example.net"),
                                   late("eve@example.com")});
  const auto top = text.substr(0, text.find("Your message"));
  EXPECT_NE(top.find("Not delivered to 3 addresses:"), std::string::npos) << text;
  EXPECT_NE(top.find("Not delivered yet to 1 address:"), std::string::npos) << text;
  // The same cause once, with its addresses.
  EXPECT_NE(top.find("carol@example.net, dave@example.net: the recipient's mailbox is full"), std::string::npos)
      << top;
  EXPECT_NE(top.find("bob@example.org: the address does not exist"), std::string::npos) << top;
  // Nobody is said to have received it: the report lists no delivery.
  EXPECT_EQ(top.find("Delivered"), std::string::npos) << top;
}

TEST_F(NoticeOverview, ACauseOfManyAddressesNamesAFewAndCountsTheRest) {
  std::vector<ReportedRecipient> many;
  for (std::size_t i = 0; i < 40; ++i) many.push_back(unknown(numbered("user", i)));
  const std::string text = notice(many);
  EXPECT_NE(text.find("Not delivered to 40 addresses:"), std::string::npos) << text;
  EXPECT_NE(text.find("user0@example.org, user1@example.org, user2@example.org and 37 others: the address does not exist"),
            std::string::npos)
      << text;
}

TEST_F(NoticeOverview, RussianCountsTakeTheirThreeForms) {
  std::vector<std::string> errors;
  const auto catalogues = clearbounce::templates::CatalogueSet::load("", errors);
  ASSERT_NE(catalogues, nullptr);
  for (const std::size_t count : {2u, 5u, 21u}) {
    std::vector<ReportedRecipient> recipients;
    for (std::size_t i = 0; i < count; ++i) recipients.push_back(unknown(numbered("u", i)));
    const std::string text = notice(recipients, "ru");
    const auto* heading = catalogues->find_counted("ru", "text.summary_failed", count);
    ASSERT_TRUE(heading && !heading->empty());
    EXPECT_NE(text.find(heading->front().render({{"count", std::to_string(count)}})), std::string::npos)
        << count << "\n" << text;
  }
  // The three forms differ: one of them would be wrong for the others.
  const auto form = [&](std::size_t n) {
    return catalogues->find_counted("ru", "text.summary_failed", n)->front().render({{"count", "N"}});
  };
  EXPECT_NE(form(1), form(2));
  EXPECT_NE(form(2), form(5));
}

TEST_F(NoticeOverview, OneRecipientHasNoOverview) {
  const std::string text = notice({unknown("bob@example.org")});
  EXPECT_EQ(text.find("Not delivered to 1 address"), std::string::npos) << text;
}

}  // namespace
