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
  bool none = false;
  auto hop = r->route("example.org", none);
  ASSERT_TRUE(hop.has_value());
  EXPECT_EQ(hop->host, "mx.internal.example");
  EXPECT_EQ(hop->port, 2525);
  EXPECT_FALSE(hop->mx_lookup);
  hop = r->route("sub.example.com", none);  // ".example.com" covers its subdomains
  ASSERT_TRUE(hop.has_value());
  EXPECT_EQ(hop->host, "gateway.example.com");
  EXPECT_TRUE(hop->mx_lookup);
  hop = r->route("example.net", none);  // no entry: relayhost
  ASSERT_TRUE(hop.has_value());
  EXPECT_EQ(hop->host, "relay.example.net");
  EXPECT_EQ(hop->port, 587);
  EXPECT_FALSE(none);
  EXPECT_FALSE(r->route("example.info", none).has_value());
  EXPECT_TRUE(none);  // error: nothing to probe
  EXPECT_FALSE(r->route("lmtp.example", none).has_value());
  EXPECT_TRUE(none);
  EXPECT_FALSE(r->route("-q", none).has_value());  // never an option to a tool
  EXPECT_TRUE(none);
}

TEST_F(PostfixRoutesTest, WithoutEitherTheDomainsMx) {
  const auto r = routes("", "");
  ASSERT_TRUE(r.has_value());
  bool none = true;
  EXPECT_FALSE(r->route("example.org", none).has_value());
  EXPECT_FALSE(none);
}

TEST_F(PostfixRoutesTest, AMissingConfigurationIsAnError) {
  std::string error;
  EXPECT_FALSE(PostfixRoutes::read((directory_ / "nowhere").string(), error).has_value());
  EXPECT_NE(error.find("nowhere"), std::string::npos) << error;
}

}  // namespace
