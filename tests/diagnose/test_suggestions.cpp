// Typo suggestions in the diagnosis service, against a real DNS server: a
// recipient domain that does not exist gets the closest well-known mail
// domain that has mail servers now, and no other.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "config/config.hpp"
#include "diagnose/diagnoser.hpp"
#include "diagnose/domain_suggestions.hpp"
#include "dsn/encoding.hpp"
#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/diagnose/diagnoser_support.hpp"
#include "tests/diagnose/dns_server.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::diagnose::DiagnoseSettings;
using clearbounce::diagnose::Diagnoser;
using clearbounce::diagnose::Finding;
using clearbounce::diagnose::MailDomains;
using clearbounce::diagnose::Question;
using clearbounce::testing::DnsServer;
using clearbounce::testing::start_diagnoser;
using clearbounce::testing::StubDnsServer;
using namespace std::chrono_literals;

// The well-known domains of these tests, in the .test zone the DNS server
// serves: some with mail servers, some without.
constexpr std::string_view kListed =
    "gmail.test\n"       // MX
    "nomx.test\n"        // no MX record (and no address)
    "nullmx.test\n"      // a null MX: takes no mail
    "abcdefgh.test\n"    // no MX; one neighbouring key from "abcdefgj.test"
    "abcdefgx.test\n"    // MX; one full edit from "abcdefgj.test"
    "slowmail.test\n";   // its name servers never answer

class SuggestionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    silent_ = std::make_unique<StubDnsServer>(StubDnsServer::Behaviour::silent);
    dns_ = std::make_unique<DnsServer>(
        std::vector<std::string>{
            "mx-host=gmail.test,mx.gmail.test,10",
            "host-record=mx.gmail.test,192.0.2.25",
            "dns-rr=nullmx.test,15,000000",
            "mx-host=abcdefgx.test,mx.abcdefgx.test,10",
            "server=/slowmail.test/127.0.0.1#" + std::to_string(silent_->port()),
        },
        std::vector<std::string>{"test"});
    if (!dns_->unavailable().empty()) GTEST_SKIP() << dns_->unavailable();
  }

  DiagnoseSettings settings() const {
    DiagnoseSettings s;
    s.resolvers = {dns_->address()};
    MailDomains domains;
    std::string error;
    EXPECT_TRUE(domains.add_text(kListed, "test", error)) << error;
    s.mail_domains = std::make_shared<const MailDomains>(std::move(domains));
    return s;
  }

  static Finding ask(Diagnoser& d, const std::string& domain) {
    return d.diagnose(Question{Question::Look::domain, domain, ""}, std::chrono::steady_clock::now() + 10s);
  }

  static std::string suggested(const Finding& finding) {
    const auto found = finding.facts.find("suggested_domain");
    return found == finding.facts.end() ? "" : found->second;
  }

  // The MX questions the DNS server received, in order.
  std::vector<std::string> mx_queries() const {
    std::vector<std::string> names;
    for (const auto& q : dns_->queries())
      if (q.rfind("query[MX] ", 0) == 0) names.push_back(q.substr(10));
    return names;
  }

  std::unique_ptr<StubDnsServer> silent_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(SuggestionTest, ADomainNotFoundGetsTheCloseDomainThatHasMailServers) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "gmial.test");
  EXPECT_EQ(finding.category, "domain.not_found") << finding.summary;
  EXPECT_EQ(suggested(finding), "gmail.test") << finding.summary;
  EXPECT_EQ(mx_queries(), (std::vector<std::string>{"gmial.test", "gmail.test"}));
  EXPECT_EQ(d->counters().lookups, 2u);
  // The cache keeps the suggestion: a second report asks nothing.
  EXPECT_EQ(suggested(ask(*d, "gmial.test")), "gmail.test");
  EXPECT_EQ(mx_queries().size(), 2u);
  EXPECT_EQ(d->counters().cache_hits, 1u);
}

TEST_F(SuggestionTest, NoSuggestionWhenTheCloseDomainHasNoMailServers) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  for (const std::string typed : {"nmox.test", "nulmx.test"}) {
    const auto finding = ask(*d, typed);
    EXPECT_EQ(finding.category, "domain.not_found") << finding.summary;
    EXPECT_EQ(suggested(finding), "") << finding.summary;
  }
  // nulmx.test is close to nullmx.test and, a little farther, to
  // nomx.test: both are asked, neither has mail servers.
  EXPECT_EQ(mx_queries(),
            (std::vector<std::string>{"nmox.test", "nomx.test", "nulmx.test", "nullmx.test", "nomx.test"}));
}

// The closest candidate has no mail servers; the next one, farther but
// alone at its distance, has: it is asked second and suggested.
TEST_F(SuggestionTest, TheCandidatesAreAskedInOrder) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "abcdefgj.test");
  EXPECT_EQ(suggested(finding), "abcdefgx.test") << finding.summary;
  EXPECT_EQ(mx_queries(), (std::vector<std::string>{"abcdefgj.test", "abcdefgh.test", "abcdefgx.test"}));
}

TEST_F(SuggestionTest, NoLookupForADomainThatExistsOrIsFarFromAnyListed) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(ask(*d, "gmail.test").learned());  // exists: nothing to suggest, nothing learned
  EXPECT_EQ(suggested(ask(*d, "unrelated.test")), "");
  EXPECT_EQ(mx_queries(), (std::vector<std::string>{"gmail.test", "unrelated.test"}));
}

TEST_F(SuggestionTest, SwitchedOffThereIsNoSuggestionAndNoLookup) {
  auto s = settings();
  s.mail_domains = nullptr;
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "gmial.test");
  EXPECT_EQ(finding.category, "domain.not_found");
  EXPECT_EQ(suggested(finding), "");
  EXPECT_EQ(mx_queries(), (std::vector<std::string>{"gmial.test"}));
}

// A candidate whose name servers stay silent: at the look's bound the
// domain is still reported not found, only without a suggestion.
TEST_F(SuggestionTest, ASilentCandidateLeavesTheDomainNotFound) {
  auto s = settings();
  s.deadline = 700ms;
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "slowmial.test");
  EXPECT_EQ(finding.category, "domain.not_found") << finding.summary;
  EXPECT_EQ(suggested(finding), "");
  const auto asked = mx_queries();
  EXPECT_NE(std::find(asked.begin(), asked.end(), "slowmail.test"), asked.end());
}

// The whole way: the configuration's domains file, the service started as
// the milter and the CLI start it, our own report of a domain not found,
// and the notice asking about the address with the domain that has mail.
TEST_F(SuggestionTest, TheNoticeOfOurOwnReportAsksAboutTheSuggestedAddress) {
  const auto file =
      std::filesystem::temp_directory_path() / ("clearbounce-suggestion-domains-" + std::to_string(::getpid()));
  std::ofstream(file) << kListed;
  clearbounce::config::Config config;
  config.diagnose.resolvers = {dns_->address()};
  config.diagnose.domains_file = file.string();
  config.diagnose.postfix_directory = "";
  std::string error;
  auto d = clearbounce::engine::start_diagnosis(config, "mail.example.com", error);
  ASSERT_NE(d, nullptr) << error;
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load({}, errors);
  ASSERT_NE(engine, nullptr);
  const auto report = clearbounce::testing::postfix_report(
      {{"bob@gmial.test",
        "Host or domain name not found. Name service error for name=gmial.test type=MX: Host not found", "5.4.4"}});
  clearbounce::engine::Options options;
  options.locale = "en";
  options.diagnose = clearbounce::engine::ask(*d, std::chrono::steady_clock::now() + 5s);
  const auto outcome = engine->process(report, options);
  std::filesystem::remove(file);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"domain.not_found"}));
  const std::string text = clearbounce::dsn::decode_quoted_printable(outcome.result.body);
  EXPECT_NE(text.find("Did you mean bob@gmail.test?"), std::string::npos) << text;
  EXPECT_EQ(mx_queries(), (std::vector<std::string>{"gmial.test", "gmail.test"}));
}

}  // namespace
