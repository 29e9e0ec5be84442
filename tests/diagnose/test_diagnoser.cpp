// The diagnosis service against a real DNS server and SMTP peers on
// loopback: what it finds, and the security contract (no private address
// without allow_networks, one probe for a burst of reports, the deadline).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "diagnose/diagnoser.hpp"
#include "tests/diagnose/dns_server.hpp"
#include "tests/diagnose/test_tls.hpp"

namespace {

using clearbounce::diagnose::DiagnoseSettings;
using clearbounce::diagnose::Diagnoser;
using clearbounce::diagnose::Finding;
using clearbounce::diagnose::Question;
using clearbounce::testing::DnsServer;
using clearbounce::testing::SmtpPeer;
using clearbounce::testing::StubDnsServer;
using clearbounce::testing::TestPki;
using namespace std::chrono_literals;

class DiagnoserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);
    directory_ = std::filesystem::temp_directory_path() / ("clearbounce-diag-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
    pki_ = std::make_unique<TestPki>(directory_.string());
    TestPki::Leaf expired{"mx.expired.test", -10 * 86400, -2 * 86400};
    peer_ = std::make_unique<SmtpPeer>(SmtpPeer::Settings{SmtpPeer::Behaviour::starttls, pki_->issue("expired", expired), false, ""});
    dns_ = std::make_unique<DnsServer>(std::vector<std::string>{
                                           "mx-host=expired.test,mx.expired.test,10",
                                           "host-record=mx.expired.test,127.0.0.1",
                                           "dns-rr=nullmx.test,15,000000",
                                       },
                                       std::vector<std::string>{"test"});
    if (!dns_->unavailable().empty()) GTEST_SKIP() << dns_->unavailable();
  }
  void TearDown() override { std::filesystem::remove_all(directory_); }

  DiagnoseSettings settings(int port, std::vector<std::string> allowed = {"127.0.0.0/8"}) const {
    DiagnoseSettings s;
    s.resolvers = {dns_->address()};
    s.allow_networks = std::move(allowed);
    s.smtp_port = static_cast<std::uint16_t>(port);
    s.ca_file = pki_->ca_file();
    s.helo_name = "mail.clearbounce.test";
    return s;
  }

  static std::unique_ptr<Diagnoser> start(const DiagnoseSettings& s) {
    std::string error;
    auto diagnoser = Diagnoser::start(s, error);
    EXPECT_NE(diagnoser, nullptr) << error;
    return diagnoser;
  }

  static Finding ask(Diagnoser& d, const std::string& domain, Question::Look look = Question::Look::server) {
    return d.diagnose(Question{look, domain, ""}, std::chrono::steady_clock::now() + 10s);
  }

  long mx_queries(const std::string& name) const {
    const auto q = dns_->queries();
    return std::count(q.begin(), q.end(), "query[MX] " + name);
  }

  std::filesystem::path directory_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<SmtpPeer> peer_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(DiagnoserTest, FindsTheExpiredCertificateOfTheDomainsMailServer) {
  auto d = start(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "expired.test");
  EXPECT_EQ(finding.category, "tls.certificate_expired") << finding.summary;
  EXPECT_EQ(finding.facts.count("certificate_expired_on"), 1u);
  EXPECT_EQ(finding.facts.at("remote_host"), "mx.expired.test");
  EXPECT_EQ(peer_->connections(), 1);
  EXPECT_EQ(d->counters().probes, 1u);
  EXPECT_EQ(d->counters().refined, 1u);
}

TEST_F(DiagnoserTest, TellsTheDomainsOwnProblemsWithoutProbing) {
  auto d = start(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ask(*d, "no-such-domain.test").category, "domain.not_found");
  EXPECT_EQ(ask(*d, "nullmx.test").category, "domain.no_mail_server");
  EXPECT_EQ(peer_->connections(), 0);
  EXPECT_EQ(d->counters().probes, 0u);
}

TEST_F(DiagnoserTest, NeverProbesAPrivateAddressUnlessAllowed) {
  auto d = start(settings(peer_->port(), {}));
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "expired.test");
  EXPECT_FALSE(finding.learned());
  EXPECT_NE(finding.summary.find("a loopback address"), std::string::npos) << finding.summary;
  EXPECT_EQ(peer_->connections(), 0);
  EXPECT_EQ(d->counters().refused_by_policy, 1u);
  EXPECT_EQ(d->counters().probes, 0u);
}

TEST_F(DiagnoserTest, ABurstOfReportsToOneDomainMakesOneLookAndOneProbe) {
  auto d = start(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  std::vector<std::thread> senders;
  std::atomic<int> expired{0};
  for (int t = 0; t < 20; ++t)
    senders.emplace_back([&] {
      for (int i = 0; i < 10; ++i)
        if (ask(*d, "expired.test").category == "tls.certificate_expired") ++expired;
    });
  for (auto& s : senders) s.join();
  EXPECT_EQ(expired.load(), 200);
  EXPECT_EQ(peer_->connections(), 1);
  EXPECT_EQ(mx_queries("expired.test"), 1);
  const auto counters = d->counters();
  EXPECT_EQ(counters.questions, 200u);
  EXPECT_EQ(counters.probes, 1u);
  EXPECT_EQ(counters.cache_hits, 199u);
}

TEST_F(DiagnoserTest, TellsARefusedConnection) {
  auto d = start(settings(clearbounce::testing::closed_port()));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ask(*d, "expired.test").category, "network.connection_refused");
}

TEST_F(DiagnoserTest, TheDeadlineHoldsWhenTheDnsServerStaysSilent) {
  StubDnsServer silent(StubDnsServer::Behaviour::silent);
  auto s = settings(peer_->port());
  s.resolvers = {silent.address()};
  auto d = start(s);
  ASSERT_NE(d, nullptr);
  const auto started = std::chrono::steady_clock::now();
  const auto finding = d->diagnose(Question{Question::Look::server, "expired.test", ""}, started + 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(finding.learned());
  EXPECT_EQ(d->counters().timed_out, 1u);
  EXPECT_EQ(peer_->connections(), 0);
}

TEST(DiagnoserSetup, RefusesSettingsThatDoNotParse) {
  std::string error;
  DiagnoseSettings bad;
  bad.allow_networks = {"not-a-network"};
  EXPECT_EQ(Diagnoser::start(bad, error), nullptr);
  EXPECT_NE(error.find("not-a-network"), std::string::npos) << error;
  DiagnoseSettings no_ca;
  no_ca.ca_file = "/nonexistent/ca.pem";
  EXPECT_EQ(Diagnoser::start(no_ca, error), nullptr);
  EXPECT_NE(error.find("/nonexistent/ca.pem"), std::string::npos) << error;
}

}  // namespace
