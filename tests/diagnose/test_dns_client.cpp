// DnsClient against a real DNS server on loopback (dnsmasq): every outcome a
// notice tells apart, several lookups at once on one loop, and the deadline
// against a server that never answers.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "diagnose/dns.hpp"
#include "tests/diagnose/dns_server.hpp"

namespace {

using clearbounce::diagnose::DnsAnswer;
using clearbounce::diagnose::DnsClient;
using clearbounce::diagnose::DnsOutcome;
using clearbounce::diagnose::RecordType;
using clearbounce::testing::DnsServer;
using clearbounce::testing::StubDnsServer;
using namespace std::chrono_literals;

std::unique_ptr<DnsClient> client_for(const std::string& server, std::chrono::milliseconds try_timeout = 1500ms) {
  std::string error;
  DnsClient::Options options;
  options.servers = {server};
  options.try_timeout = try_timeout;
  auto client = DnsClient::make(options, error);
  EXPECT_NE(client, nullptr) << error;
  return client;
}

DnsAnswer lookup(DnsClient& client, const std::string& name, RecordType type) {
  DnsAnswer got;
  bool called = false;
  client.query(name, type, [&](const DnsAnswer& answer) {
    got = answer;
    called = true;
  });
  client.run_until(std::chrono::steady_clock::now() + 10s);
  EXPECT_TRUE(called) << name;
  return got;
}

class DnsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servfail_ = std::make_unique<StubDnsServer>(StubDnsServer::Behaviour::servfail);
    server_ = std::make_unique<DnsServer>(
        std::vector<std::string>{
            "mx-host=good.test,mx1.good.test,10",
            "mx-host=good.test,mx2.good.test,20",
            "host-record=mx1.good.test,192.0.2.25",
            "host-record=mx2.good.test,192.0.2.26,2001:db8::26",
            "dns-rr=nullmx.test,15,000000",  // preference 0, exchange "."
            "txt-record=nomail.test,\"v=spf1 -all\"",
            "dns-rr=_25._tcp.mx1.good.test,52,030101AABBCCDD",
            "txt-record=2.0.0.127.bl.test,\"Listed, see https://bl.test/remove\"",
            "host-record=2.0.0.127.bl.test,127.0.0.2",
            "server=/lame.test/127.0.0.1#" + std::to_string(servfail_->port()),
        },
        std::vector<std::string>{"test"});
    if (!server_->unavailable().empty()) GTEST_SKIP() << server_->unavailable();
    client_ = client_for(server_->address());
    ASSERT_NE(client_, nullptr);
  }

  std::unique_ptr<StubDnsServer> servfail_;
  std::unique_ptr<DnsServer> server_;
  std::unique_ptr<DnsClient> client_;
};

TEST_F(DnsClientTest, FindsTheMailHostsByPreference) {
  const auto answer = lookup(*client_, "good.test", RecordType::mx);
  ASSERT_EQ(answer.outcome, DnsOutcome::answered);
  ASSERT_EQ(answer.mx.size(), 2u);
  EXPECT_EQ(answer.mx[0].host, "mx1.good.test");
  EXPECT_EQ(answer.mx[1].host, "mx2.good.test");
  EXPECT_FALSE(answer.null_mx());

  const auto v4 = lookup(*client_, "mx2.good.test", RecordType::a);
  ASSERT_EQ(v4.outcome, DnsOutcome::answered);
  EXPECT_EQ(v4.addresses.at(0).to_string(), "192.0.2.26");
  const auto v6 = lookup(*client_, "mx2.good.test", RecordType::aaaa);
  ASSERT_EQ(v6.outcome, DnsOutcome::answered);
  EXPECT_EQ(v6.addresses.at(0).to_string(), "2001:db8::26");
}

TEST_F(DnsClientTest, TellsNoSuchDomainFromNoRecordsFromNullMx) {
  EXPECT_EQ(lookup(*client_, "no-such-domain.test", RecordType::mx).outcome, DnsOutcome::no_such_name);
  EXPECT_EQ(lookup(*client_, "nomail.test", RecordType::mx).outcome, DnsOutcome::no_records);
  EXPECT_EQ(lookup(*client_, "mx1.good.test", RecordType::aaaa).outcome, DnsOutcome::no_records);
  const auto null_mx = lookup(*client_, "nullmx.test", RecordType::mx);
  EXPECT_EQ(null_mx.outcome, DnsOutcome::answered);
  EXPECT_TRUE(null_mx.null_mx());
}

TEST_F(DnsClientTest, ReadsTlsaAndTxtRecords) {
  const auto tlsa = lookup(*client_, "_25._tcp.mx1.good.test", RecordType::tlsa);
  ASSERT_EQ(tlsa.outcome, DnsOutcome::answered);
  ASSERT_EQ(tlsa.tlsa.size(), 1u);
  EXPECT_EQ(tlsa.tlsa[0].usage, 3);
  EXPECT_EQ(tlsa.tlsa[0].data, (std::vector<std::uint8_t>{0xaa, 0xbb, 0xcc, 0xdd}));
  EXPECT_EQ(lookup(*client_, "_25._tcp.mx2.good.test", RecordType::tlsa).outcome, DnsOutcome::no_such_name);

  const auto txt = lookup(*client_, "2.0.0.127.bl.test", RecordType::txt);
  ASSERT_EQ(txt.outcome, DnsOutcome::answered);
  EXPECT_EQ(txt.texts, (std::vector<std::string>{"Listed, see https://bl.test/remove"}));
}

TEST_F(DnsClientTest, TellsAServerFailure) {
  EXPECT_EQ(lookup(*client_, "lame.test", RecordType::mx).outcome, DnsOutcome::server_failure);
}

TEST_F(DnsClientTest, AnswersManyLookupsOnOneLoopAndTheServerSeesEach) {
  constexpr int kLookups = 40;
  int answered = 0;
  for (int i = 0; i < kLookups; ++i) {
    const bool even = i % 2 == 0;
    client_->query(even ? "good.test" : "host" + std::to_string(i) + ".test", RecordType::mx,
                   [&, even](const DnsAnswer& a) {
                     if (a.outcome == (even ? DnsOutcome::answered : DnsOutcome::no_such_name)) ++answered;
                   });
  }
  client_->run_until(std::chrono::steady_clock::now() + 10s);
  EXPECT_EQ(answered, kLookups);
  EXPECT_TRUE(client_->idle());
  const auto queries = server_->queries();
  EXPECT_NE(std::find(queries.begin(), queries.end(), "query[MX] host39.test"), queries.end());
}

TEST(DnsClientDeadline, HoldsWhenTheServerStaysSilent) {
  StubDnsServer silent(StubDnsServer::Behaviour::silent);
  ASSERT_GT(silent.port(), 0);
  auto client = client_for(silent.address(), 5000ms);  // c-ares alone would wait 10 s
  ASSERT_NE(client, nullptr);
  DnsOutcome outcome = DnsOutcome::answered;
  int calls = 0;
  client->query("good.test", RecordType::mx, [&](const DnsAnswer& a) {
    outcome = a.outcome;
    ++calls;
  });
  const auto started = std::chrono::steady_clock::now();
  client->run_until(started + 300ms);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(outcome, DnsOutcome::timed_out);
  EXPECT_TRUE(client->idle());
  EXPECT_LT(took, 3s);  // the deadline, not c-ares' own 5 s tries
}

TEST(DnsClientSetup, RefusesAServerThatIsNotAnAddress) {
  std::string error;
  DnsClient::Options options;
  options.servers = {"ns.example.org"};
  EXPECT_EQ(DnsClient::make(options, error), nullptr);
  EXPECT_NE(error.find("ns.example.org"), std::string::npos) << error;
}

}  // namespace
