// The [diagnose] keys of the block-list check: read, checked with their
// line, and documented in the shipped example.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "config/config.hpp"

namespace {

using clearbounce::config::Config;
using clearbounce::config::load_text;

std::string error_of(const std::string& text) {
  std::string error;
  EXPECT_FALSE(load_text(text, "test.toml", error).has_value()) << text;
  return error;
}

TEST(ConfigBlocklists, TheKeysAreRead) {
  std::string error;
  const auto config = load_text(R"([diagnose]
check_blocklists = false
blocklist_zones = ["ZEN.spamhaus.org", "bl.example.net"]
sending_addresses = ["8.8.4.4", "2a00:1450::25"]
blocklists_file = "/etc/clearbounce/blocklists.toml"
)",
                                "d.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  const auto& d = config->diagnose;
  EXPECT_FALSE(d.check_blocklists);
  EXPECT_EQ(d.blocklist_zones, (std::vector<std::string>{"zen.spamhaus.org", "bl.example.net"}));
  EXPECT_EQ(d.sending_addresses, (std::vector<std::string>{"8.8.4.4", "2a00:1450::25"}));
  EXPECT_EQ(d.blocklists_file, "/etc/clearbounce/blocklists.toml");
}

TEST(ConfigBlocklists, TheDefaultsCheckASmallSetOfLists) {
  const Config defaults;
  EXPECT_TRUE(defaults.diagnose.check_blocklists);
  EXPECT_EQ(defaults.diagnose.blocklist_zones,
            (std::vector<std::string>{"zen.spamhaus.org", "bl.spamcop.net", "psbl.surriel.com", "bl.mailspike.net"}));
  EXPECT_TRUE(defaults.diagnose.sending_addresses.empty());
  EXPECT_TRUE(defaults.diagnose.blocklists_file.empty());
}

TEST(ConfigBlocklists, MistakesAreNamedWithTheirLine) {
  EXPECT_NE(error_of("[diagnose]\ncheck_blocklists = \"no\"\n").find("diagnose.check_blocklists must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nblocklist_zones = \"zen.spamhaus.org\"\n").find("must be an array"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nblocklist_zones = [\"zen spamhaus\"]\n").find("test.toml:2"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nsending_addresses = [\"mail.example.com\"]\n").find("is not an IP address"),
            std::string::npos);
  // A private address is never one a block list holds, nor one we ask about.
  for (const char* address : {"10.0.0.25", "192.168.1.2", "127.0.0.1", "fd00::25"})
    EXPECT_NE(error_of(std::string("[diagnose]\nsending_addresses = [\"") + address + "\"]\n")
                  .find("give the public address"),
              std::string::npos)
        << address;
}

TEST(ConfigBlocklists, TheShippedExampleDocumentsEachKey) {
  std::ifstream in(std::string(CLEARBOUNCE_SOURCE_DIR) + "/config/clearbounce.toml");
  ASSERT_TRUE(in);
  std::stringstream text;
  text << in.rdbuf();
  for (const char* key : {"#check_blocklists = true", "#blocklist_zones = [", "#sending_addresses = [", "#blocklists_file = "})
    EXPECT_NE(text.str().find(key), std::string::npos) << key;
}

}  // namespace
