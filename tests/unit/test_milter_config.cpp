// The [milter] section of the configuration: defaults, every key, and
// errors with file:line.
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "config/config.hpp"

namespace {

using clearbounce::config::Config;
using clearbounce::config::load_file;
using clearbounce::config::load_text;

std::string error_of(std::string_view toml) {
  std::string error;
  const auto config = load_text(toml, "m.toml", error);
  EXPECT_FALSE(config.has_value()) << "accepted: " << toml;
  EXPECT_FALSE(error.empty());
  return error;
}

Config config_of(std::string_view toml) {
  std::string error;
  const auto config = load_text(toml, "m.toml", error);
  EXPECT_TRUE(config.has_value()) << error;
  return config.value_or(Config{});
}

TEST(MilterConfig, Defaults) {
  const Config config = config_of("");
  EXPECT_EQ(config.milter.socket, "unix:/run/clearbounce/clearbounce.sock");
  EXPECT_EQ(config.milter.user, "");
  EXPECT_EQ(config.milter.group, "");
  EXPECT_EQ(config.milter.umask, 0007u);
  EXPECT_TRUE(config.milter.handle_local_bounces);
  EXPECT_TRUE(config.milter.handle_remote_dsns);
  EXPECT_EQ(config.milter.timeout_seconds, 300u);
  EXPECT_FALSE(config.milter.dry_run);
  EXPECT_EQ(config.milter.log_level, "info");
  EXPECT_EQ(config.milter.stats_interval_seconds, 3600u);
  // The size cap is the one of [rewrite], shared with the CLI.
  EXPECT_EQ(config.max_message_bytes, 10u << 20);
  EXPECT_EQ(config_of("[milter]\n").milter.socket, "unix:/run/clearbounce/clearbounce.sock");
}

TEST(MilterConfig, EveryKeyIsRead) {
  const Config config = config_of(R"(
[rewrite]
max_message_bytes = 1_048_576

[milter]
socket = "inet:8891@127.0.0.1"
user = "clearbounce"
group = "postfix"
umask = "0117"
handle_local_bounces = false
handle_remote_dsns = false
timeout_seconds = 120
dry_run = true
log_level = "debug"
stats_interval_seconds = 0
)");
  EXPECT_EQ(config.max_message_bytes, 1048576u);
  EXPECT_EQ(config.milter.socket, "inet:8891@127.0.0.1");
  EXPECT_EQ(config.milter.user, "clearbounce");
  EXPECT_EQ(config.milter.group, "postfix");
  EXPECT_EQ(config.milter.umask, 0117u);
  EXPECT_FALSE(config.milter.handle_local_bounces);
  EXPECT_FALSE(config.milter.handle_remote_dsns);
  EXPECT_EQ(config.milter.timeout_seconds, 120u);
  EXPECT_TRUE(config.milter.dry_run);
  EXPECT_EQ(config.milter.log_level, "debug");
  EXPECT_EQ(config.milter.stats_interval_seconds, 0u);
}

TEST(MilterConfig, DottedKeysWork) {
  const Config config = config_of("milter.dry_run = true\nmilter.socket = \"unix:/tmp/cb.sock\"\n");
  EXPECT_TRUE(config.milter.dry_run);
  EXPECT_EQ(config.milter.socket, "unix:/tmp/cb.sock");
}

TEST(MilterConfig, SocketNotations) {
  for (const char* socket : {"unix:/run/clearbounce/clearbounce.sock", "local:/var/spool/postfix/cb/cb.sock",
                             "inet:8891", "inet:8891@localhost", "inet:1@192.0.2.1", "inet:65535@[::1]",
                             "inet6:8891@::1", "inet6:8891"}) {
    const Config config = config_of(std::string("[milter]\nsocket = \"") + socket + "\"\n");
    EXPECT_EQ(config.milter.socket, socket);
  }
  for (const char* socket : {"", "/run/clearbounce.sock", "unix:", "unix:relative.sock", "inet:", "inet:port@host",
                             "inet:0@localhost", "inet:65536", "inet:8891@", "tcp:8891@localhost",
                             "inet:127.0.0.1:8891"}) {
    const std::string error = error_of(std::string("[milter]\n\nsocket = \"") + socket + "\"\n");
    EXPECT_NE(error.find("m.toml:3: milter.socket"), std::string::npos) << socket << ": " << error;
  }
  // Postfix's notation gets the libmilter spelling as a hint.
  const std::string hint = error_of("[milter]\nsocket = \"inet:127.0.0.1:8891\"\n");
  EXPECT_NE(hint.find("\"inet:8891@127.0.0.1\""), std::string::npos) << hint;
}

TEST(MilterConfig, Umask) {
  EXPECT_EQ(config_of("[milter]\numask = \"0007\"\n").milter.umask, 07u);
  EXPECT_EQ(config_of("[milter]\numask = \"027\"\n").milter.umask, 027u);
  EXPECT_EQ(config_of("[milter]\numask = \"0\"\n").milter.umask, 0u);
  EXPECT_EQ(config_of("[milter]\numask = 0o117\n").milter.umask, 0117u);
  for (const char* bad : {"\"0008\"", "\"\"", "\"00007\"", "\"rw-\"", "0o1000", "-1", "true"}) {
    const std::string error = error_of(std::string("[milter]\numask = ") + bad + "\n");
    EXPECT_NE(error.find("m.toml:2: milter.umask"), std::string::npos) << bad << ": " << error;
  }
}

TEST(MilterConfig, AccountNames) {
  EXPECT_EQ(config_of("[milter]\nuser = \"_clearbounce-1\"\n").milter.user, "_clearbounce-1");
  for (const char* bad : {"clear bounce", "a:b", "../root", "tab\\there"}) {
    const std::string error = error_of(std::string("[milter]\ngroup = \"") + bad + "\"\n");
    EXPECT_NE(error.find("m.toml:2: milter.group"), std::string::npos) << bad << ": " << error;
  }
  const std::string error = error_of("[milter]\nuser = 1000\n");
  EXPECT_NE(error.find("m.toml:2: milter.user must be a string"), std::string::npos) << error;
}

TEST(MilterConfig, Booleans) {
  for (const char* key : {"handle_local_bounces", "handle_remote_dsns", "dry_run"}) {
    const std::string error = error_of(std::string("[milter]\n") + key + " = \"yes\"\n");
    EXPECT_NE(error.find(std::string("m.toml:2: milter.") + key + " must be true or false"), std::string::npos)
        << error;
  }
}

TEST(MilterConfig, Seconds) {
  EXPECT_EQ(config_of("[milter]\ntimeout_seconds = 1\n").milter.timeout_seconds, 1u);
  EXPECT_EQ(config_of("[milter]\ntimeout_seconds = 86400\n").milter.timeout_seconds, 86400u);
  for (const char* bad : {"0", "-5", "86401", "\"300\"", "1.5"}) {
    const std::string error = error_of(std::string("[milter]\ntimeout_seconds = ") + bad + "\n");
    EXPECT_NE(error.find("m.toml:2: milter.timeout_seconds"), std::string::npos) << bad << ": " << error;
  }
  EXPECT_EQ(config_of("[milter]\nstats_interval_seconds = 0\n").milter.stats_interval_seconds, 0u);
  EXPECT_EQ(config_of("[milter]\nstats_interval_seconds = 60\n").milter.stats_interval_seconds, 60u);
  for (const char* bad : {"-1", "86401", "\"1h\""}) {
    const std::string error = error_of(std::string("[milter]\nstats_interval_seconds = ") + bad + "\n");
    EXPECT_NE(error.find("m.toml:2: milter.stats_interval_seconds"), std::string::npos) << bad << ": " << error;
  }
}

TEST(MilterConfig, LogLevels) {
  for (const char* level : {"error", "warning", "notice", "info", "debug"}) {
    EXPECT_EQ(config_of(std::string("[milter]\nlog_level = \"") + level + "\"\n").milter.log_level, level);
  }
  for (const char* bad : {"INFO", "warn", "verbose", ""}) {
    const std::string error = error_of(std::string("[milter]\n\n\nlog_level = \"") + bad + "\"\n");
    EXPECT_NE(error.find("m.toml:4: milter.log_level"), std::string::npos) << bad << ": " << error;
  }
}

TEST(MilterConfig, UnknownKeyNamesTheKnownOnes) {
  const std::string error = error_of("[milter]\nsocket = \"unix:/x\"\nmax_message_bytes = 5\n");
  EXPECT_NE(error.find("m.toml:3: unknown key milter.max_message_bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("stats_interval_seconds"), std::string::npos) << error;
}

TEST(MilterConfig, MilterMustBeATable) {
  const std::string error = error_of("milter = true\n");
  EXPECT_NE(error.find("m.toml:1: milter must be a table"), std::string::npos) << error;
}

// The shipped example documents every key, commented out with its default:
// uncommenting all of them must give the defaults.
TEST(MilterConfig, ShippedExampleShowsTheDefaults) {
  std::ifstream in(std::string(CLEARBOUNCE_SOURCE_DIR) + "/config/clearbounce.toml");
  ASSERT_TRUE(in) << "config/clearbounce.toml not found";
  std::string text;
  std::string section;
  std::string line;
  int milter_keys = 0;
  while (std::getline(in, line)) {
    if (line.rfind("[", 0) == 0) section = line;
    // Key lines are "#key = value"; prose comments have "# " after the hash.
    if (section == "[milter]" && line.size() > 1 && line[0] == '#' && line[1] != ' ' &&
        line.find(" = ") != std::string::npos) {
      line.erase(0, 1);
      ++milter_keys;
    }
    text += line + "\n";
  }
  EXPECT_EQ(milter_keys, 10);
  const Config uncommented = config_of(text);
  const Config defaults;
  EXPECT_EQ(uncommented.milter.socket, defaults.milter.socket);
  EXPECT_EQ(uncommented.milter.user, defaults.milter.user);
  EXPECT_EQ(uncommented.milter.group, defaults.milter.group);
  EXPECT_EQ(uncommented.milter.umask, defaults.milter.umask);
  EXPECT_EQ(uncommented.milter.handle_local_bounces, defaults.milter.handle_local_bounces);
  EXPECT_EQ(uncommented.milter.handle_remote_dsns, defaults.milter.handle_remote_dsns);
  EXPECT_EQ(uncommented.milter.timeout_seconds, defaults.milter.timeout_seconds);
  EXPECT_EQ(uncommented.milter.dry_run, defaults.milter.dry_run);
  EXPECT_EQ(uncommented.milter.log_level, defaults.milter.log_level);
  EXPECT_EQ(uncommented.milter.stats_interval_seconds, defaults.milter.stats_interval_seconds);
}

}  // namespace
