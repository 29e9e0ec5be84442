// One system, many organisations: organization.domains gives the senders
// of a domain (and of the domains under it) their own name, support
// contact and locale (issue 12).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::config::Config;
using clearbounce::config::load_text;

constexpr std::string_view kBrands = R"(
[organization]
name = "Hosting Ltd"
support = "help@hosting.example"

[organization.domains."shop.example"]
name = "Shop GmbH"
support = "+49 30 1234567"
locale = "de"

[organization.domains."school.example"]
support = "it@school.example"
)";

std::string error_of(std::string_view toml) {
  std::string error;
  EXPECT_FALSE(load_text(toml, "test.toml", error).has_value()) << toml;
  return error;
}

TEST(Brands, ADomainAndTheDomainsUnderItHaveTheirBrand) {
  std::string error;
  const auto config = load_text(kBrands, "test.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  ASSERT_NE(config->brand_for("shop.example"), nullptr);
  EXPECT_EQ(config->brand_for("shop.example")->name, "Shop GmbH");
  EXPECT_EQ(config->brand_for("Mail.SHOP.example"), config->brand_for("shop.example"));
  EXPECT_EQ(config->brand_for("school.example")->name, "");  // the default name stays
  EXPECT_EQ(config->brand_for("example"), nullptr);
  EXPECT_EQ(config->brand_for("myshop.example"), nullptr);  // a domain, not a text, ends with it
  EXPECT_EQ(config->domain_locales.at("shop.example"), "de");  // the locale is chosen with the others
}

TEST(Brands, MistakesAreErrorsWithTheirLine) {
  EXPECT_NE(error_of("[organization.domains.\"shop.example\"]\ncolour = \"red\"\n").find("test.toml:2"),
            std::string::npos);
  EXPECT_NE(error_of("[organization.domains.\"shop.example\"]\nlocale = \"de_DE\"\n").find("not a locale tag"),
            std::string::npos);
  EXPECT_NE(error_of("[organization.domains]\n\"shop example\" = { name = \"x\" }\n").find("not a mail domain"),
            std::string::npos);
  EXPECT_NE(error_of("[organization.domains]\n\"shop.example\" = \"Shop\"\n").find("must be a table"),
            std::string::npos);
  const std::string twice = error_of(
      "[locale.domains]\n\"shop.example\" = \"fr\"\n[organization.domains.\"shop.example\"]\nlocale = \"de\"\n");
  EXPECT_NE(twice.find("name its locale in one place"), std::string::npos) << twice;
  EXPECT_NE(twice.find("test.toml:4"), std::string::npos) << twice;
}

TEST(Brands, TheSendersDomainPicksNameSupportAndLocale) {
  std::string error;
  const auto config = load_text(kBrands, "test.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load(*config, errors);
  ASSERT_NE(engine, nullptr);
  const auto notice_to = [&](const std::string& sender) {
    std::string report = clearbounce::testing::postfix_report(
        {{"bob@example.org", "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1", "failed",
          "smtp"}});
    report.replace(report.find("To: alice@example.com"), 21, "To: " + sender);
    const auto outcome = engine->process(report, {});
    EXPECT_TRUE(outcome.rewritten) << outcome.reason;
    return outcome;
  };
  const auto shop = notice_to("alice@mail.shop.example");
  EXPECT_EQ(shop.locale, "de");
  EXPECT_NE(shop.result.notification.text_plain.find("Shop GmbH"), std::string::npos);
  EXPECT_NE(shop.result.notification.text_plain.find("+49 30 1234567"), std::string::npos);
  EXPECT_EQ(shop.result.notification.text_plain.find("Hosting Ltd"), std::string::npos);
  const auto school = notice_to("carol@school.example");
  EXPECT_EQ(school.locale, "en");
  EXPECT_NE(school.result.notification.text_plain.find("Hosting Ltd"), std::string::npos);  // no name of its own
  EXPECT_NE(school.result.notification.text_plain.find("it@school.example"), std::string::npos);
  const auto other = notice_to("dave@elsewhere.example");
  EXPECT_NE(other.result.notification.text_plain.find("help@hosting.example"), std::string::npos);
  EXPECT_EQ(other.result.notification.text_plain.find("Shop GmbH"), std::string::npos);
}

}  // namespace
