// The suggested address in a notice (templates/render.cpp): the recipient's
// local part with the domain a diagnosis suggests, written only when both
// are plain; whatever the local part holds, it never becomes our sentence.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"
#include "templates/catalogue.hpp"
#include "templates/render.hpp"

namespace {

using clearbounce::templates::CatalogueSet;
using clearbounce::templates::RenderInput;

class RenderSuggestion : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    classifier_ = clearbounce::classifier::Classifier::builtin(error);
    ASSERT_TRUE(classifier_) << error;
    std::vector<std::string> errors;
    catalogues_ = CatalogueSet::load("", errors);
    ASSERT_TRUE(catalogues_) << (errors.empty() ? "" : errors.front());
  }

  // The English text for one recipient whose domain was not found, with
  // `suggested` as the diagnosis's suggested_domain.
  std::string notice(const std::string& recipient, const std::string& suggested) {
    clearbounce::dsn::RecipientReport r;
    r.recipient = recipient;
    r.action = "failed";
    r.diagnostic = "Host or domain name not found. Name service error for name=gmial.com type=MX: Host not found";
    report_.kind = clearbounce::dsn::ReportKind::delivery_status;
    report_.reporting_mta = "mail.example.com";
    report_.recipients = {r};
    results_ = {classifier_->classify(r, report_)};
    EXPECT_EQ(results_[0].category, classifier_->find_category("domain.not_found"));
    results_[0].facts["suggested_domain"] = suggested;
    results_[0].facts["checked_at"] = "Fri, 04 Dec 2026 10:00:00 +0000";
    RenderInput input;
    input.report = &report_;
    input.classifications = &results_;
    input.classifier = classifier_.get();
    return clearbounce::templates::render(input, "en", *catalogues_).text;
  }

  std::unique_ptr<clearbounce::classifier::Classifier> classifier_;
  std::unique_ptr<CatalogueSet> catalogues_;
  clearbounce::dsn::BounceReport report_;
  std::vector<clearbounce::classifier::Classification> results_;
};

TEST_F(RenderSuggestion, APlainAddressIsSuggested) {
  EXPECT_NE(notice("bob@gmial.com", "gmail.com").find("Did you mean bob@gmail.com?"), std::string::npos);
  EXPECT_NE(notice("Bob.O'Neil+news@gmial.com", "gmail.com").find("Did you mean Bob.O'Neil+news@gmail.com?"),
            std::string::npos);
  // An internationalized local part (RFC 6531) is plain too.
  EXPECT_NE(notice("jos\xc3\xa9@gmial.com", "gmail.com").find("Did you mean jos\xc3\xa9@gmail.com?"), std::string::npos);
}

TEST_F(RenderSuggestion, NoSuggestionForALocalPartThatIsNotPlain) {
  for (const std::string& local :
       std::vector<std::string>{"\"bob smith\"", "\"bob\"", "bob smith", "bob\tsmith", "bob\x01", "bob\x7f",
                                "bob\r\nSubject: x", "a..b", ".bob", "bob.", "a<b>", "a(comment)b", "a,b", "a;b", "a\\b",
                                "bob\xc2\xa0x", "bob\xe2\x80\xae" "moc", "bob\xe2\x80\x8b", "bob\xe2\x80\x9c",
                                "bob\xe3\x80\x80x", "bob\xff", std::string(65, 'a'), ""}) {
    const std::string text = notice(local + "@gmial.com", "gmail.com");
    EXPECT_EQ(text.find("Did you mean"), std::string::npos) << local << ":\n" << text;
  }
  EXPECT_NE(notice(std::string(64, 'a') + "@gmial.com", "gmail.com").find("Did you mean"), std::string::npos);
}

TEST_F(RenderSuggestion, NoSuggestionForADomainThatIsNoHostName) {
  for (const std::string domain : {"", "gmail", "gmail.com/x", "gmail.com bob@evil.example", "-gmail.com", "gmail.123"})
    EXPECT_EQ(notice("bob@gmial.com", domain).find("Did you mean"), std::string::npos) << domain;
}

}  // namespace
