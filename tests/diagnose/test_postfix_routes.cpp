// PostfixRoutes with Postfix's own postconf and postmap, over a main.cf and
// a transport table written here: the next hop Postfix would use.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "diagnose/postfix_routes.hpp"

namespace {

using clearbounce::diagnose::PostfixRoutes;
using Kind = PostfixRoutes::Route::Kind;

std::chrono::steady_clock::time_point soon() { return std::chrono::steady_clock::now() + std::chrono::seconds(10); }

class PostfixRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/usr/sbin/postconf", X_OK) != 0 || ::access("/usr/sbin/postmap", X_OK) != 0)
      GTEST_SKIP() << "Postfix's postconf and postmap are not installed";
    directory_ = std::filesystem::temp_directory_path() / ("clearbounce-routes-" + std::to_string(::getpid()));
    std::filesystem::create_directories(directory_);
  }
  void TearDown() override {
    if (!directory_.empty()) std::filesystem::remove_all(directory_);
  }
  std::optional<PostfixRoutes> routes(const std::string& main_cf, const std::string& transport) {
    // myhostname set: postconf need not look up this host's name.
    std::ofstream(directory_ / "main.cf") << "myhostname = mail.example.test\n" << main_cf;
    std::ofstream(directory_ / "master.cf") << "";  // without it postconf warns
    std::ofstream(directory_ / "transport") << transport;
    // Postfix waits until a file written within the last second stops
    // changing: these were written an hour ago, as far as it can tell.
    for (const char* name : {"main.cf", "master.cf", "transport"})
      std::filesystem::last_write_time(directory_ / name,
                                       std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
    std::string error;
    auto read = PostfixRoutes::read(directory_.string(), error);
    EXPECT_TRUE(read.has_value()) << error;
    return read;
  }
  std::string table() const { return "texthash:" + (directory_ / "transport").string(); }
  std::filesystem::path directory_;
};

TEST_F(PostfixRoutesTest, TransportEntriesThenRelayhostThenTheMx) {
  const auto r = routes("relayhost = [relay.example.net]:587\ntransport_maps = " + table() + "\n",
                        "example.org smtp:[mx.internal.example]:2525\n"
                        ".example.com relay:gateway.example.com\n"
                        "example.info error:5.1.2 no mail for this domain\n"
                        "lmtp.example lmtp:unix:private/dovecot-lmtp\n");
  ASSERT_TRUE(r.has_value());
  auto hop = r->route("example.org", soon());
  ASSERT_EQ(hop.kind, Kind::next_hop);
  EXPECT_EQ(hop.hop.host, "mx.internal.example");
  EXPECT_EQ(hop.hop.port, 2525);
  EXPECT_FALSE(hop.hop.mx_lookup);
  hop = r->route("sub.example.com", soon());  // ".example.com" covers its subdomains
  ASSERT_EQ(hop.kind, Kind::next_hop);
  EXPECT_EQ(hop.hop.host, "gateway.example.com");
  EXPECT_TRUE(hop.hop.mx_lookup);
  hop = r->route("example.net", soon());  // no entry: relayhost
  ASSERT_EQ(hop.kind, Kind::next_hop);
  EXPECT_EQ(hop.hop.host, "relay.example.net");
  EXPECT_EQ(hop.hop.port, 587);
  EXPECT_EQ(r->route("example.info", soon()).kind, Kind::not_smtp);  // error: nothing to probe
  EXPECT_EQ(r->route("lmtp.example", soon()).kind, Kind::not_smtp);
  EXPECT_EQ(r->route("-q", soon()).kind, Kind::not_smtp);  // never an option to a tool
}

TEST_F(PostfixRoutesTest, WithoutEitherTheDomainsMx) {
  const auto r = routes("", "");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->route("example.org", soon()).kind, Kind::mx);
}

// postmap exits with 1 for a key that is not there and for a table it
// cannot read: the second must not read as "no entry", or the MX would be
// probed where Postfix sends the mail elsewhere.
TEST_F(PostfixRoutesTest, ATableThatCannotBeReadLeavesTheRouteUnknown) {
  const auto r = routes("relayhost = [relay.example.net]\ntransport_maps = hash:" +
                            (directory_ / "never-made").string() + "\n",
                        "");
  ASSERT_TRUE(r.has_value());
  const auto route = r->route("example.org", soon());
  EXPECT_EQ(route.kind, Kind::unknown);
  EXPECT_NE(route.why_unknown.find("never-made"), std::string::npos) << route.why_unknown;
}

TEST_F(PostfixRoutesTest, NoLookupRunsPastTheDeadline) {
  const auto r = routes("transport_maps = " + table() + "\n", "example.org smtp:[mx.internal.example]\n");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->route("example.org", std::chrono::steady_clock::now()).kind, Kind::unknown);
  EXPECT_EQ(r->route("example.org", soon()).kind, Kind::next_hop);  // the failure was not remembered
}

// The TLS policy of the next hop, looked up as Postfix does: a domain with
// its parents, a route's "[host]:port" as written; else the default level.
TEST_F(PostfixRoutesTest, TheTlsPolicyOfTheNextHop) {
  std::ofstream(directory_ / "tls_policy") << ".example.com secure\n"
                                              "[mx.internal.example]:2525 verify match=mx.internal.example:.internal\n"
                                              "broken.example strict\n";
  std::filesystem::last_write_time(directory_ / "tls_policy",
                                   std::filesystem::file_time_type::clock::now() - std::chrono::hours(1));
  const auto r = routes("smtp_tls_security_level = may\ntransport_maps = " + table() +
                            "\nsmtp_tls_policy_maps = texthash:" + (directory_ / "tls_policy").string() + "\n",
                        "example.org smtp:[mx.internal.example]:2525\n");
  ASSERT_TRUE(r.has_value());
  const auto sub = r->route("mail.example.com", soon());  // the MX, with ".example.com"'s policy
  ASSERT_EQ(sub.kind, Kind::mx);
  EXPECT_EQ(sub.tls.level, clearbounce::diagnose::TlsLevel::secure);
  EXPECT_EQ(sub.certificate_match, (std::vector<std::string>{"nexthop", "dot-nexthop"}));  // Postfix's default
  const auto routed = r->route("example.org", soon());
  ASSERT_EQ(routed.kind, Kind::next_hop);
  EXPECT_EQ(routed.tls.level, clearbounce::diagnose::TlsLevel::verify);
  EXPECT_EQ(routed.certificate_match, (std::vector<std::string>{"mx.internal.example", ".internal"}));
  EXPECT_EQ(r->route("example.net", soon()).tls.level, clearbounce::diagnose::TlsLevel::may);  // the default
  const auto broken = r->route("broken.example", soon());  // Postfix would defer: nothing to compare with
  EXPECT_EQ(broken.kind, Kind::unknown);
  EXPECT_NE(broken.why_unknown.find("does not parse"), std::string::npos) << broken.why_unknown;
}

TEST_F(PostfixRoutesTest, TheTrustAnchorsOfPostfixsClient) {
  auto r = routes("smtp_tls_CAfile = /etc/postfix/site-ca.pem\nsmtp_tls_CApath = /etc/ssl/certs\n"
                  "tls_append_default_CA = yes\n",
                  "");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->trust_anchors().file, "/etc/postfix/site-ca.pem");
  EXPECT_EQ(r->trust_anchors().directory, "/etc/ssl/certs");
  EXPECT_TRUE(r->trust_anchors().with_system_defaults);
  const auto none = routes("", "");
  ASSERT_TRUE(none.has_value());
  EXPECT_TRUE(none->trust_anchors().file.empty());
  EXPECT_FALSE(none->trust_anchors().with_system_defaults);
}

TEST_F(PostfixRoutesTest, AMissingConfigurationIsAnError) {
  std::string error;
  EXPECT_FALSE(PostfixRoutes::read((directory_ / "nowhere").string(), error).has_value());
  EXPECT_NE(error.find("nowhere"), std::string::npos) << error;
}

}  // namespace
