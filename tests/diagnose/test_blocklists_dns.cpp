// The block-list check against a real DNS server (dnsmasq on loopback)
// serving three zones: one that lists 192.0.2.1, one that refuses every
// query the way Spamhaus does (127.255.255.254), and one whose name server
// fails (SERVFAIL). What the service finds, the names it asks, its cache per
// address, and that it never asks about a private address.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "diagnose/diagnoser.hpp"
#include "tests/diagnose/diagnoser_support.hpp"
#include "tests/diagnose/dns_server.hpp"

namespace {

using clearbounce::diagnose::Blocklist;
using clearbounce::diagnose::DiagnoseSettings;
using clearbounce::diagnose::Diagnoser;
using clearbounce::diagnose::Finding;
using clearbounce::diagnose::IpAddress;
using clearbounce::diagnose::Question;
using clearbounce::testing::DnsServer;
using clearbounce::testing::start_diagnoser;
using clearbounce::testing::StubDnsServer;
using namespace std::chrono_literals;

class BlocklistLookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    servfail_ = std::make_unique<StubDnsServer>(StubDnsServer::Behaviour::servfail);
    dns_ = std::make_unique<DnsServer>(
        std::vector<std::string>{
            "host-record=1.2.0.192.bl.test,127.0.0.2",
            "address=/refusing.test/127.255.255.254",
            "server=/lame.test/127.0.0.1#" + std::to_string(servfail_->port()),
        },
        std::vector<std::string>{"test"});
    if (!dns_->unavailable().empty()) GTEST_SKIP() << dns_->unavailable();
  }

  DiagnoseSettings settings(std::vector<std::string> allowed = {"192.0.2.0/24"}) const {
    DiagnoseSettings s;
    s.resolvers = {dns_->address()};
    s.allow_networks = std::move(allowed);
    s.blocklists = {{"bl.test", "Test BL", "https://bl.test/remove", false},
                    {"refusing.test", "Refusing BL", "https://refusing.test/", false},
                    {"lame.test", "Lame BL", "https://lame.test/", false}};
    return s;
  }

  static Finding ask(Diagnoser& d, const std::string& client_ip, const std::string& remote_ip = "") {
    Question q;
    q.look = Question::Look::blocklists;
    q.domain = "example.org";
    q.client_ip = client_ip;
    q.remote_ip = remote_ip;
    return d.diagnose(q, std::chrono::steady_clock::now() + 10s);
  }

  long a_queries(const std::string& name) const {
    const auto q = dns_->queries();
    return std::count(q.begin(), q.end(), "query[A] " + name);
  }
  long any_blocklist_queries() const {
    const auto q = dns_->queries();
    return std::count_if(q.begin(), q.end(), [](const std::string& line) {
      return line.ends_with(".bl.test") || line.ends_with(".refusing.test") || line.ends_with(".lame.test");
    });
  }

  std::unique_ptr<StubDnsServer> servfail_;
  std::unique_ptr<DnsServer> dns_;
};

TEST_F(BlocklistLookTest, AListedAddressNamesTheListThatHoldsIt) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "192.0.2.1");
  EXPECT_EQ(finding.category, "reputation.blocklisted") << finding.summary;
  EXPECT_EQ(finding.facts.at("blocklists_listed"), "Test BL");
  EXPECT_EQ(finding.facts.at("blocklist_removal"), "https://bl.test/remove");
  EXPECT_EQ(finding.facts.at("listed_address"), "192.0.2.1");
  // The refusing and the failing list are "no answer", never "not listed".
  EXPECT_NE(finding.summary.find("refusing.test (answered 127.255.255.254)"), std::string::npos) << finding.summary;
  EXPECT_NE(finding.summary.find("lame.test (server failure)"), std::string::npos) << finding.summary;
  EXPECT_NE(finding.summary.find("not listed by none"), std::string::npos) << finding.summary;
  // All three were asked, by the reversed address.
  EXPECT_EQ(a_queries("1.2.0.192.bl.test"), 1);
  EXPECT_EQ(a_queries("1.2.0.192.refusing.test"), 1);
  EXPECT_EQ(a_queries("1.2.0.192.lame.test"), 1);
}

TEST_F(BlocklistLookTest, AnAddressNoListHoldsIsNothingLearned) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  const auto finding = ask(*d, "192.0.2.2");
  EXPECT_FALSE(finding.learned()) << finding.summary;
  EXPECT_TRUE(finding.facts.empty());
  EXPECT_NE(finding.summary.find("not listed by bl.test"), std::string::npos) << finding.summary;
  EXPECT_EQ(a_queries("2.2.0.192.bl.test"), 1);
}

TEST_F(BlocklistLookTest, OneLookPerAddressOfOurs) {
  auto d = start_diagnoser(settings());
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(ask(*d, "192.0.2.1", "198.51.100.7").learned());
  EXPECT_TRUE(ask(*d, "192.0.2.1", "198.51.100.8").learned());  // another remote server, the same address of ours
  EXPECT_EQ(a_queries("1.2.0.192.bl.test"), 1);
  EXPECT_EQ(d->counters().cache_hits, 1u);
}

TEST_F(BlocklistLookTest, TheStatedSendingAddressComesBeforeTheRemotesWords) {
  auto s = settings();
  s.sending_addresses = {*IpAddress::parse("192.0.2.1")};
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(ask(*d, "192.0.2.77").facts.at("listed_address"), "192.0.2.1");
  EXPECT_EQ(a_queries("77.2.0.192.bl.test"), 0);
}

TEST_F(BlocklistLookTest, APrivateAddressIsNeverLookedUp) {
  auto d = start_diagnoser(settings({}));  // nothing allowed: 192.0.2.0/24 is a documentation network
  ASSERT_NE(d, nullptr);
  for (const char* address : {"192.0.2.1", "10.0.0.1", "127.0.0.2"}) {
    const auto finding = ask(*d, address);
    EXPECT_FALSE(finding.learned()) << address;
    EXPECT_NE(finding.summary.find("no public address"), std::string::npos) << finding.summary;
  }
  EXPECT_EQ(any_blocklist_queries(), 0);
  EXPECT_EQ(d->counters().lookups, 0u);
}

TEST_F(BlocklistLookTest, TheOffSwitchAsksNoList) {
  auto s = settings();
  s.check_blocklists = false;
  auto d = start_diagnoser(s);
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(ask(*d, "192.0.2.1").learned());
  EXPECT_EQ(any_blocklist_queries(), 0);
}

}  // namespace
