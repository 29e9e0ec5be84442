// The diagnosis service against a real DNS server and SMTP peers on
// loopback: what it finds, and the security contract (no private address
// without allow_networks, one probe for a burst of reports, the deadline).
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <unistd.h>

#include "diagnose/diagnoser.hpp"
#include "dsn/encoding.hpp"
#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/diagnose/diagnoser_support.hpp"
#include "tests/diagnose/dns_server.hpp"
#include "tests/diagnose/test_tls.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::diagnose::DiagnoseSettings;
using clearbounce::diagnose::Diagnoser;
using clearbounce::diagnose::Finding;
using clearbounce::diagnose::Question;
using clearbounce::testing::DnsServer;
using clearbounce::testing::start_diagnoser;
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

  static Finding ask(Diagnoser& d, const std::string& domain, Question::Look look = Question::Look::server) {
    return d.diagnose(Question{look, domain, ""}, std::chrono::steady_clock::now() + 10s);
  }

  // Postfix's routes from a main.cf whose transport_maps is
  // "<type>:<directory>/transport", the table holding `transport`, and
  // whose smtp_tls_policy_maps holds `tls_policy`.
  std::shared_ptr<const clearbounce::diagnose::PostfixRoutes> postfix_routes(const std::string& type,
                                                                             const std::string& transport,
                                                                             const std::string& tls_policy = "",
                                                                             const std::string& more_main_cf = "") const {
    const auto postfix = directory_ / "postfix";
    std::filesystem::create_directories(postfix);
    std::ofstream(postfix / "main.cf") << "myhostname = mail.example.test\ntransport_maps = " << type << ":"
                                       << (postfix / "transport").string() << "\nsmtp_tls_security_level = verify\n"
                                       << "smtp_tls_policy_maps = texthash:" << (postfix / "tls_policy").string()
                                       << "\n" << more_main_cf;
    std::ofstream(postfix / "master.cf") << "";
    std::ofstream(postfix / "transport") << transport;
    std::ofstream(postfix / "tls_policy") << tls_policy;
    for (const char* name : {"main.cf", "master.cf", "transport", "tls_policy"})  // Postfix waits for files written just now
      std::filesystem::last_write_time(postfix / name,
                                       std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    std::string error;
    auto routes = clearbounce::diagnose::PostfixRoutes::read(postfix.string(), error);
    EXPECT_TRUE(routes.has_value()) << error;
    if (!routes) return nullptr;
    return std::make_shared<const clearbounce::diagnose::PostfixRoutes>(std::move(*routes));
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
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "expired.test");
  EXPECT_EQ(finding.category, "tls.certificate_expired") << finding.summary;
  EXPECT_EQ(finding.facts.count("certificate_expired_on"), 1u);
  EXPECT_EQ(finding.facts.at("remote_host"), "mx.expired.test");
  EXPECT_EQ(peer_->connections(), 1);
  EXPECT_EQ(d->counters().probes, 1u);
  EXPECT_EQ(d->counters().refined, 1u);
  EXPECT_NE(d->describe().find("the domains' MX"), std::string::npos) << d->describe();
}

TEST_F(DiagnoserTest, TellsTheDomainsOwnProblemsWithoutProbing) {
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ask(*d, "no-such-domain.test").category, "domain.not_found");
  EXPECT_EQ(ask(*d, "nullmx.test").category, "domain.no_mail_server");
  EXPECT_EQ(peer_->connections(), 0);
  EXPECT_EQ(d->counters().probes, 0u);
}

TEST_F(DiagnoserTest, NeverProbesAPrivateAddressUnlessAllowed) {
  auto d = start_diagnoser(settings(peer_->port(), {}));
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "expired.test");
  EXPECT_FALSE(finding.learned());
  EXPECT_NE(finding.summary.find("a loopback address"), std::string::npos) << finding.summary;
  EXPECT_EQ(peer_->connections(), 0);
  EXPECT_EQ(d->counters().refused_by_policy, 1u);
  EXPECT_EQ(d->counters().probes, 0u);
}

TEST_F(DiagnoserTest, ABurstOfReportsToOneDomainMakesOneLookAndOneProbe) {
  auto d = start_diagnoser(settings(peer_->port()));
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

// Reports name the server as "[192.0.2.7]" too: an address is probed as it
// is, not looked up as a name.
TEST_F(DiagnoserTest, ProbesAnAddressTheReportNames) {
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  const auto finding =
      d->diagnose(Question{Question::Look::server, "expired.test", "[127.0.0.1]"}, std::chrono::steady_clock::now() + 10s);
  EXPECT_EQ(finding.category, "tls.certificate_expired") << finding.summary;
  EXPECT_EQ(finding.facts.count("remote_host"), 0u);
  EXPECT_EQ(finding.facts.at("remote_ip"), "127.0.0.1");
  EXPECT_EQ(peer_->connections(), 1);
}

TEST_F(DiagnoserTest, TellsARefusedConnection) {
  auto d = start_diagnoser(settings(clearbounce::testing::closed_port()));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ask(*d, "expired.test").category, "network.connection_refused");
}

TEST_F(DiagnoserTest, TheDeadlineHoldsWhenTheDnsServerStaysSilent) {
  StubDnsServer silent(StubDnsServer::Behaviour::silent);
  auto s = settings(peer_->port());
  s.resolvers = {silent.address()};
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto started = std::chrono::steady_clock::now();
  const auto finding = d->diagnose(Question{Question::Look::server, "expired.test", ""}, started + 300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_FALSE(finding.learned());
  EXPECT_EQ(d->counters().timed_out, 1u);
  EXPECT_EQ(peer_->connections(), 0);
}

// The whole way: our own report of a certificate "not verified", the engine
// asking the service, the notice naming the expired certificate and its date.
TEST_F(DiagnoserTest, TheNoticeOfOurOwnReportNamesTheExpiredCertificateAndItsDate) {
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load({}, errors);
  ASSERT_NE(engine, nullptr);
  const auto report = clearbounce::testing::postfix_report(
      {{"carol@expired.test", "Server certificate not verified", "4.7.5", "delayed"}});
  clearbounce::engine::Options options;
  options.locale = "en";
  options.diagnose = clearbounce::engine::ask(*d, std::chrono::steady_clock::now() + 5s);
  const auto outcome = engine->process(report, options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_expired"}));
  const std::string text = clearbounce::dsn::decode_quoted_printable(outcome.result.body);
  const std::time_t expired_at = std::time(nullptr) - 2 * 86400;
  std::tm day{};
  gmtime_r(&expired_at, &day);
  std::array<char, 32> month{};
  std::strftime(month.data(), month.size(), "%B %Y", &day);  // English, as the "en" notice writes it
  const std::string date = " " + std::to_string(day.tm_mday) + " " + month.data();  // "Wednesday, 2 December 2026"
  const auto said = text.find("expired security certificate (on ");
  ASSERT_NE(said, std::string::npos) << text;
  EXPECT_EQ(text.find(date, said), text.find(',', said) + 1) << text;
  EXPECT_EQ(peer_->connections(), 1);
}

// A report to two failing domains asks about both at once: a server that
// never greets, first in the report, holds its look until the deadline,
// and the other domain's look is not left waiting behind it.
TEST_F(DiagnoserTest, AReportsDomainsAreLookedAtTogether) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  SmtpPeer silent(SmtpPeer::Settings{SmtpPeer::Behaviour::silent, {}, false, ""});
  auto s = settings(clearbounce::testing::closed_port());
  s.routes = postfix_routes("texthash", "slow.test smtp:[127.0.0.1]:" + std::to_string(silent.port()) +
                                            "\nexpired.test smtp:[127.0.0.1]:" + std::to_string(peer_->port()) + "\n");
  ASSERT_NE(s.routes, nullptr);
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load({}, errors);
  ASSERT_NE(engine, nullptr);
  const auto report = clearbounce::testing::postfix_report(
      {{"carol@slow.test", "Server certificate not verified", "4.7.5", "delayed"},
       {"dave@expired.test", "Server certificate not verified", "4.7.5", "delayed"}});
  clearbounce::engine::Options options;
  options.locale = "en";
  options.diagnose = clearbounce::engine::ask(*d, std::chrono::steady_clock::now() + 1500ms);
  const auto outcome = engine->process(report, options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"tls.certificate_not_verified", "tls.certificate_expired"}));
  EXPECT_EQ(d->counters().questions, 2u);
  EXPECT_EQ(d->counters().probes, 2u);
}

// The server the MTA really used: a transport_maps entry sends a domain to
// [127.0.0.1]:port. The route is followed (not the default port, and not
// the domain's own DNS, which the MTA did not use: internal.test is in no
// zone, and no "domain not found" is claimed).
TEST_F(DiagnoserTest, FollowsThePostfixRouteOfTheDomain) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  auto s = settings(clearbounce::testing::closed_port());
  s.routes = postfix_routes("texthash", "internal.test smtp:[127.0.0.1]:" + std::to_string(peer_->port()) + "\n");
  ASSERT_NE(s.routes, nullptr);
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "internal.test");
  EXPECT_EQ(finding.category, "tls.certificate_expired") << finding.summary;
  EXPECT_EQ(peer_->connections(), 1);
  EXPECT_EQ(mx_queries("internal.test"), 0);
}

// The certificate is judged by the MTA's TLS policy for the route: the
// names its match= asks for (here none of the certificate's), and not at
// all where it checks none (encrypt: an expired certificate was no cause).
TEST_F(DiagnoserTest, TheCertificateIsJudgedByTheMtasTlsPolicy) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  SmtpPeer valid(SmtpPeer::Settings{SmtpPeer::Behaviour::starttls, pki_->issue("valid", {"mx.valid.test"}), false, ""});
  const std::string named = "[127.0.0.1]:" + std::to_string(valid.port());
  const std::string loose = "[127.0.0.1]:" + std::to_string(peer_->port());
  auto s = settings(clearbounce::testing::closed_port());
  s.routes = postfix_routes("texthash", "named.test smtp:" + named + "\nloose.test smtp:" + loose + "\n",
                            named + " secure match=mail.named.test\n" + loose + " encrypt\n");
  ASSERT_NE(s.routes, nullptr);
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto mismatch = ask(*d, "named.test");
  EXPECT_EQ(mismatch.category, "tls.certificate_name_mismatch") << mismatch.summary;
  EXPECT_EQ(mismatch.facts.count("expected_name") ? mismatch.facts.at("expected_name") : "", "mail.named.test");
  const auto unchecked = ask(*d, "loose.test");
  EXPECT_FALSE(unchecked.learned()) << unchecked.category;
  EXPECT_NE(unchecked.summary.find("TLS level encrypt"), std::string::npos) << unchecked.summary;
  EXPECT_EQ(valid.connections(), 1);
  EXPECT_EQ(peer_->connections(), 1);
}

// The SHA-256 of a PEM certificate's public key: a TLSA 3 1 1 record's data.
std::string spki_sha256_hex(const std::string& pem_file) {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_file(pem_file.c_str(), "r"), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> certificate(PEM_read_bio_X509(in.get(), nullptr, nullptr, nullptr),
                                                          X509_free);
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(certificate.get()), &der);
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(der, static_cast<std::size_t>(length), digest.data());
  OPENSSL_free(der);
  std::string hex;
  for (unsigned char byte : digest) hex += "0123456789abcdef"[byte >> 4], hex += "0123456789abcdef"[byte & 15];
  return hex;
}

// At Postfix's dane level the certificate is checked against the host's
// TLSA records when the resolver validated them (the AD bit): a
// self-signed certificate they name is no problem, one they do not name is
// a DANE mismatch. Without validated records Postfix checks no certificate,
// and no certificate problem is claimed.
TEST_F(DiagnoserTest, AtTheDaneLevelTheTlsaRecordsDecide) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  const auto issued = pki_->issue("dane", {"mx.dane.test", -3600, 86400, true});
  SmtpPeer peer(SmtpPeer::Settings{SmtpPeer::Behaviour::starttls, issued, false, ""});
  const std::string port = std::to_string(peer.port());
  DnsServer zone({"host-record=mx.dane.test,127.0.0.1", "host-record=mx.wrong.test,127.0.0.1",
                  "dns-rr=_" + port + "._tcp.mx.dane.test,52,030101" + spki_sha256_hex(issued.certificate_file),
                  "dns-rr=_" + port + "._tcp.mx.wrong.test,52,030101" + std::string(64, 'a')},
                 {"test"});
  ASSERT_TRUE(zone.unavailable().empty()) << zone.unavailable();
  StubDnsServer validating(StubDnsServer::Behaviour::validating, zone.port());
  auto s = settings(clearbounce::testing::closed_port());
  s.routes = postfix_routes("texthash",
                            "dane.test smtp:[mx.dane.test]:" + port + "\nwrong.test smtp:[mx.wrong.test]:" + port + "\n",
                            "[mx.dane.test]:" + port + " dane\n[mx.wrong.test]:" + port + " dane\n");
  ASSERT_NE(s.routes, nullptr);
  s.resolvers = {validating.address()};
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto named = ask(*d, "dane.test");
  EXPECT_FALSE(named.learned()) << named.category << ": " << named.summary;
  EXPECT_NE(named.summary.find("verified"), std::string::npos) << named.summary;
  const auto mismatch = ask(*d, "wrong.test");
  EXPECT_EQ(mismatch.category, "tls.dane_mismatch") << mismatch.summary;
  s.resolvers = {zone.address()};  // the same records, not validated
  auto unvalidated = start_diagnoser(s);
  ASSERT_NE(unvalidated, nullptr);
  const auto opportunistic = ask(*unvalidated, "wrong.test");
  EXPECT_FALSE(opportunistic.learned()) << opportunistic.category;
  EXPECT_NE(opportunistic.summary.find("TLS level dane"), std::string::npos) << opportunistic.summary;
  EXPECT_EQ(peer.connections(), 3);
}

// The probe trusts what Postfix's SMTP client trusts (smtp_tls_CAfile):
// a certificate from the site's own CA verifies, as it did for Postfix,
// and is not called untrusted because the system's store lacks that CA.
TEST_F(DiagnoserTest, TrustsTheAnchorsPostfixUses) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  SmtpPeer site(SmtpPeer::Settings{SmtpPeer::Behaviour::starttls, pki_->issue("site", {"mx.site.test"}), false, ""});
  ASSERT_NE(postfix_routes("texthash", "site.test smtp:[127.0.0.1]:" + std::to_string(site.port()) + "\n", "",
                           "smtp_tls_CAfile = " + pki_->ca_file() + "\n"),
            nullptr);
  clearbounce::config::Config config;
  config.diagnose.postfix_directory = (directory_ / "postfix").string();
  config.diagnose.resolvers = {dns_->address()};
  config.diagnose.allow_networks = {"127.0.0.0/8"};
  std::string error;
  auto d = clearbounce::engine::start_diagnosis(config, "mail.clearbounce.test", error);
  ASSERT_NE(d, nullptr) << error;
  // What the milter logs at start: the routes followed, the anchors trusted.
  EXPECT_NE(d->describe().find("Postfix's routes"), std::string::npos) << d->describe();
  EXPECT_NE(d->describe().find(pki_->ca_file()), std::string::npos) << d->describe();
  const auto finding = ask(*d, "site.test");
  EXPECT_FALSE(finding.learned()) << finding.category << ": " << finding.summary;
  EXPECT_NE(finding.summary.find("verified"), std::string::npos) << finding.summary;
  EXPECT_EQ(site.connections(), 1);
}

// A transport table Postfix cannot read leaves the route unknown: the
// domain's MX is not probed in its place, since the MTA may have sent the
// mail elsewhere. (expired.test's MX is the expired peer.)
TEST_F(DiagnoserTest, AnUnreadableRouteProbesNothing) {
  if (::access("/usr/sbin/postconf", X_OK) != 0) GTEST_SKIP() << "Postfix's postconf is not installed";
  auto s = settings(peer_->port());
  s.routes = postfix_routes("hash", "");  // no transport.db was made
  ASSERT_NE(s.routes, nullptr);
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "expired.test");
  EXPECT_FALSE(finding.learned());
  EXPECT_NE(finding.summary.find("route is unknown"), std::string::npos) << finding.summary;
  EXPECT_EQ(mx_queries("expired.test"), 0);
  EXPECT_EQ(peer_->connections(), 0);
}

// A host name c-ares refuses at once (an empty label) answers inside the
// call that asks: the job ends there, and nothing reads it afterwards (the
// sanitizer build would report a use after free).
TEST_F(DiagnoserTest, ALookupAnsweredAtOnceEndsItsJobSafely) {
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  const auto finding =
      d->diagnose(Question{Question::Look::server, "expired.test", "bad..name.test"}, std::chrono::steady_clock::now() + 10s);
  EXPECT_FALSE(finding.learned()) << finding.category;
  EXPECT_NE(finding.summary.find("bad..name.test"), std::string::npos) << finding.summary;
  EXPECT_EQ(peer_->connections(), 0);
}

// A question asked after its deadline (a report's later recipients share
// the first one's) starts no look.
TEST_F(DiagnoserTest, AQuestionPastItsDeadlineStartsNoLook) {
  auto d = start_diagnoser(settings(peer_->port()));
  ASSERT_NE(d, nullptr);
  const auto finding =
      d->diagnose(Question{Question::Look::server, "expired.test", ""}, std::chrono::steady_clock::now() - 1ms);
  EXPECT_FALSE(finding.learned());
  EXPECT_EQ(d->counters().timed_out, 1u);
  EXPECT_EQ(d->counters().lookups, 0u);
  std::this_thread::sleep_for(100ms);  // a look started anyway would have asked by now
  EXPECT_EQ(mx_queries("expired.test"), 0);
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
