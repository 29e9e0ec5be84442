// The configuration loader: defaults, every key, and errors with file:line.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace {

using clearbounce::config::Config;
using clearbounce::config::load_file;
using clearbounce::config::load_text;

// Loads text that must be rejected and returns the error.
std::string error_of(std::string_view toml) {
  std::string error;
  const auto config = load_text(toml, "test.toml", error);
  EXPECT_FALSE(config.has_value()) << "accepted: " << toml;
  EXPECT_FALSE(error.empty());
  return error;
}

TEST(Config, EmptyTextGivesTheDefaults) {
  std::string error = "stale";
  const auto config = load_text("", "empty.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_TRUE(error.empty());
  EXPECT_EQ(config->default_locale, "en");
  EXPECT_TRUE(config->domain_locales.empty());
  EXPECT_EQ(config->organization, "");
  EXPECT_EQ(config->support, "");
  EXPECT_EQ(config->templates_directory, "");
  EXPECT_EQ(config->rules_file, "");
  EXPECT_EQ(config->max_message_bytes, 10u * 1024u * 1024u);
}

TEST(Config, CommentsAndEmptyTablesGiveTheDefaults) {
  std::string error;
  const auto config = load_text("# nothing set\n[locale]\n[rewrite]\n", "c.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->default_locale, "en");
  EXPECT_EQ(config->max_message_bytes, 10u << 20);
}

TEST(Config, EveryKeyIsRead) {
  std::string error;
  const auto config = load_text(R"(
[locale]
default = "de-AT"
domains = { "example.de" = "de", "Example.JP" = "ja", "example.cn" = "zh-Hans" }

[organization]
name = "Example GmbH"
support = "helpdesk@example.com, +43 1 234 56 78"

[templates]
directory = "/etc/clearbounce/templates"

[rules]
file = "/etc/clearbounce/rules.toml"

[rewrite]
max_message_bytes = 2_000_000
)",
                                "full.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->default_locale, "de-AT");
  ASSERT_EQ(config->domain_locales.size(), 3u);
  EXPECT_EQ(config->domain_locales.at("example.de"), "de");
  EXPECT_EQ(config->domain_locales.at("example.jp"), "ja");  // domains compare lower-case
  EXPECT_EQ(config->domain_locales.at("example.cn"), "zh-Hans");
  EXPECT_EQ(config->organization, "Example GmbH");
  EXPECT_EQ(config->support, "helpdesk@example.com, +43 1 234 56 78");
  EXPECT_EQ(config->templates_directory, "/etc/clearbounce/templates");
  EXPECT_EQ(config->rules_file, "/etc/clearbounce/rules.toml");
  EXPECT_EQ(config->max_message_bytes, 2000000u);
}

TEST(Config, MarkerKeyAndBackscatterNames) {
  std::string error;
  const auto config = load_text(R"(
[marker]
key_file = "/etc/clearbounce/marker.key"

[backscatter]
hostnames = ["Relay.Example.NET", "mx2.example.com"]
domains = ["example.com"]
)",
                                "marker.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->marker_key_file, "/etc/clearbounce/marker.key");
  const std::vector<std::string> hostnames = {"relay.example.net", "mx2.example.com"};  // lower-case
  EXPECT_EQ(config->backscatter_hostnames, hostnames);
  EXPECT_EQ(config->backscatter_domains, std::vector<std::string>{"example.com"});

  EXPECT_NE(error_of("[backscatter]\nhostnames = \"mx.example.com\"\n").find("test.toml:2: backscatter.hostnames must be an array"),
            std::string::npos);
  EXPECT_NE(error_of("[backscatter]\ndomains = [\"example.com\", \"not a domain\"]\n").find("\"not a domain\" is not a host"),
            std::string::npos);
  EXPECT_NE(error_of("[backscatter]\ndomains = [42]\n").find("must be a string"), std::string::npos);
  EXPECT_NE(error_of("[marker]\nkey = \"x\"\n").find("unknown key marker.key"), std::string::npos);
}

TEST(Config, DomainsAsASubTableAndDottedKeys) {
  std::string error;
  const auto config = load_text("organization.name = \"Example\"\n[locale.domains]\n\"example.at\" = \"de-AT\"\n",
                                "d.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->organization, "Example");
  EXPECT_EQ(config->domain_locales.at("example.at"), "de-AT");
}

TEST(Config, UnknownKeyIsAnErrorWithItsLine) {
  const std::string error = error_of("[organization]\nname = \"Example\"\nnmae = \"typo\"\n");
  EXPECT_NE(error.find("test.toml:3"), std::string::npos) << error;
  EXPECT_NE(error.find("organization.nmae"), std::string::npos) << error;
}

TEST(Config, UnknownTableIsAnErrorWithItsLine) {
  const std::string error = error_of("[locale]\ndefault = \"de\"\n\n[localle]\ndefault = \"en\"\n");
  EXPECT_NE(error.find("test.toml:4"), std::string::npos) << error;
  EXPECT_NE(error.find("localle"), std::string::npos) << error;
  const std::string top = error_of("\n\ndefault = \"de\"\n");
  EXPECT_NE(top.find("test.toml:3"), std::string::npos) << top;
}

TEST(Config, WrongTypeIsAnErrorWithItsLine) {
  std::string error = error_of("[rewrite]\n\nmax_message_bytes = \"10 MiB\"\n");
  EXPECT_NE(error.find("test.toml:3"), std::string::npos) << error;
  EXPECT_NE(error.find("rewrite.max_message_bytes"), std::string::npos) << error;
  EXPECT_NE(error.find("integer"), std::string::npos) << error;

  error = error_of("[organization]\nname = 42\n");
  EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;
  EXPECT_NE(error.find("string"), std::string::npos) << error;

  error = error_of("[locale]\ndomains = \"example.de=de\"\n");
  EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;

  error = error_of("locale = \"de\"\n");
  EXPECT_NE(error.find("test.toml:1"), std::string::npos) << error;

  error = error_of("[rewrite]\nmax_message_bytes = 1.5\n");
  EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;

  error = error_of("[locale.domains]\n\"example.de\" = [\"de\"]\n");
  EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;
}

TEST(Config, NonPositiveSizeIsAnError) {
  for (const char* text : {"[rewrite]\nmax_message_bytes = 0\n", "[rewrite]\nmax_message_bytes = -5\n"}) {
    const std::string error = error_of(text);
    EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;
    EXPECT_NE(error.find("positive"), std::string::npos) << error;
  }
}

TEST(Config, BadTomlIsAnErrorWithItsLine) {
  std::string error = error_of("[locale]\ndefault = \"de\"\n\nname = \"unterminated\n");
  EXPECT_NE(error.find("test.toml:4"), std::string::npos) << error;
  error = error_of("[locale]\ndefault = \"de\"\ndefault = \"en\"\n");  // duplicate key
  EXPECT_NE(error.find("test.toml:3"), std::string::npos) << error;
}

TEST(Config, BadLocaleTagIsAnError) {
  for (const char* tag : {"de_AT", "", "-de", "de-", "de--AT", "d", "deutsch-österreich", "en US", "toolongtag"}) {
    const std::string error = error_of(std::string("[locale]\ndefault = \"") + tag + "\"\n");
    EXPECT_NE(error.find("test.toml:2"), std::string::npos) << tag << ": " << error;
    EXPECT_NE(error.find("locale"), std::string::npos) << error;
  }
  const std::string error = error_of("[locale.domains]\n\"example.de\" = \"de_DE\"\n");
  EXPECT_NE(error.find("test.toml:2"), std::string::npos) << error;
  // Tags that are fine.
  for (const char* tag : {"en", "de-AT", "zh-Hans", "es-419", "sr-Latn-RS"}) {
    std::string ok_error;
    EXPECT_TRUE(load_text(std::string("[locale]\ndefault = \"") + tag + "\"\n", "t.toml", ok_error)) << tag << ok_error;
  }
}

TEST(Config, BadDomainIsAnError) {
  for (const char* domain : {"exa mple.de", ".example.de", "example..de", ""}) {
    const std::string error = error_of(std::string("[locale.domains]\n\"") + domain + "\" = \"de\"\n");
    EXPECT_NE(error.find("test.toml:2"), std::string::npos) << domain << ": " << error;
  }
  const std::string twice = error_of("[locale.domains]\n\"example.de\" = \"de\"\n\"EXAMPLE.de\" = \"en\"\n");
  EXPECT_NE(twice.find("test.toml:3"), std::string::npos) << twice;
}

TEST(Config, LoadFileReadsAFileAndNamesItInErrors) {
  const std::string path = testing::TempDir() + "clearbounce_config_test.toml";
  {
    std::ofstream(path) << "[organization]\nname = \"File Org\"\n";
  }
  std::string error;
  const auto config = load_file(path, error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->organization, "File Org");

  {
    std::ofstream(path) << "[organization]\n\nsupprt = \"x\"\n";
  }
  EXPECT_FALSE(load_file(path, error).has_value());
  EXPECT_NE(error.find(path + ":3"), std::string::npos) << error;
  std::remove(path.c_str());

  EXPECT_FALSE(load_file(path + ".missing", error).has_value());
  EXPECT_NE(error.find(path + ".missing"), std::string::npos) << error;
}

TEST(Config, ShippedExampleConfigLoadsToTheDefaults) {
  const std::string path = std::string(CLEARBOUNCE_SOURCE_DIR) + "/config/clearbounce.toml";
  std::string error;
  const auto config = load_file(path, error);
  ASSERT_TRUE(config.has_value()) << error;
  const Config defaults;
  EXPECT_EQ(config->default_locale, defaults.default_locale);
  EXPECT_EQ(config->domain_locales, defaults.domain_locales);
  EXPECT_EQ(config->organization, defaults.organization);
  EXPECT_EQ(config->support, defaults.support);
  EXPECT_EQ(config->templates_directory, defaults.templates_directory);
  EXPECT_EQ(config->rules_file, defaults.rules_file);
  EXPECT_EQ(config->max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(config->marker_key_file, defaults.marker_key_file);
  EXPECT_EQ(config->backscatter_hostnames, defaults.backscatter_hostnames);
  EXPECT_EQ(config->backscatter_domains, defaults.backscatter_domains);
  EXPECT_EQ(config->diagnose.enabled, defaults.diagnose.enabled);
  EXPECT_EQ(config->diagnose.timeout_ms, defaults.diagnose.timeout_ms);
  EXPECT_EQ(config->diagnose.allow_networks, defaults.diagnose.allow_networks);
}

TEST(Config, TheDiagnoseTableIsRead) {
  std::string error;
  const auto config = load_text(R"(
[diagnose]
enabled = true
timeout_ms = 2500
cache_seconds = 0
max_probes = 2
helo_name = "mx1.example.com"
ca_file = "/etc/ssl/certs/ca-certificates.crt"
resolvers = ["127.0.0.1:5353", "[::1]:53", "192.0.2.53", "2001:db8::53"]
allow_networks = ["127.0.0.0/8", "fd00::/8", "192.168.1.10"]
postfix_directory = "/etc/postfix-out"
)",
                                "d.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  const auto& d = config->diagnose;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.timeout_ms, 2500u);
  EXPECT_EQ(d.cache_seconds, 0u);
  EXPECT_EQ(d.max_probes, 2u);
  EXPECT_EQ(d.helo_name, "mx1.example.com");
  EXPECT_EQ(d.ca_file, "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(d.resolvers.size(), 4u);
  EXPECT_EQ(d.allow_networks, (std::vector<std::string>{"127.0.0.0/8", "fd00::/8", "192.168.1.10"}));
  EXPECT_EQ(d.postfix_directory, "/etc/postfix-out");
  const Config defaults;
  EXPECT_FALSE(defaults.diagnose.enabled);  // the README says why
}

TEST(Config, TheDiagnoseTableRefusesWhatWouldNotWork) {
  EXPECT_NE(error_of("[diagnose]\nenabled = \"yes\"\n").find("diagnose.enabled"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\ntimeout_ms = 50\n").find("100 to 60000"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nmax_probes = 0\n").find("diagnose.max_probes"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nhelo_name = \"not a name\"\n").find("not a host name"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nresolvers = [\"ns1.example.com\"]\n").find("\"ns1.example.com\""),
            std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nallow_networks = [\"10.0.0.0/33\"]\n").find("test.toml:2"), std::string::npos);
  EXPECT_NE(error_of("[diagnose]\nprobe_everything = true\n").find("unknown key diagnose.probe_everything"),
            std::string::npos);
}

// The typo suggestions: on by default with the built-in list; a file of
// more domains is read when the configuration loads, and a line in it that
// is no domain (or a file that cannot be read) is an error naming both.
TEST(Config, TheDomainSuggestionKeys) {
  std::string error;
  const Config defaults;
  EXPECT_TRUE(defaults.diagnose.suggest_domains);
  EXPECT_EQ(defaults.diagnose.domains_file, "");
  const std::string path = ::testing::TempDir() + "clearbounce-config-domains.txt";
  std::ofstream(path) << "# partners\nmail.partner.example\n";
  const auto config =
      load_text("[diagnose]\nsuggest_domains = false\ndomains_file = \"" + path + "\"\n", "d.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_FALSE(config->diagnose.suggest_domains);
  EXPECT_EQ(config->diagnose.domains_file, path);

  EXPECT_NE(error_of("[diagnose]\nsuggest_domains = 1\n").find("test.toml:2: diagnose.suggest_domains must be true or false"),
            std::string::npos);
  EXPECT_NE(error_of("[diagnose]\ndomains_file = \"/nonexistent/domains.txt\"\n")
                .find("test.toml:2: diagnose.domains_file: /nonexistent/domains.txt: cannot be read"),
            std::string::npos);
  std::ofstream(path) << "mail.partner.example\n\nmail partner\n";
  EXPECT_NE(error_of("[diagnose]\ndomains_file = \"" + path + "\"\n")
                .find("test.toml:2: diagnose.domains_file: " + path + ":3: \"mail partner\" is not a mail domain"),
            std::string::npos);
  std::remove(path.c_str());

  std::ifstream in(std::string(CLEARBOUNCE_SOURCE_DIR) + "/config/clearbounce.toml");
  const std::string shipped((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(shipped.find("\n#suggest_domains = true\n"), std::string::npos);
  EXPECT_NE(shipped.find("\n#domains_file = \"\"\n"), std::string::npos);
}

// Every key of the shipped example, with its comment marker removed, is a
// valid setting: the documentation cannot drift from the loader.
TEST(Config, ShippedExampleDocumentsEveryKey) {
  std::ifstream in(std::string(CLEARBOUNCE_SOURCE_DIR) + "/config/clearbounce.toml");
  ASSERT_TRUE(in);
  std::string uncommented;
  std::string line;
  while (std::getline(in, line)) {
    // "#key = value" lines are settings; "# text" lines are prose.
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ' && line[1] != '#') line.erase(0, 1);
    uncommented += line + "\n";
  }
  std::string error;
  const auto config = load_text(uncommented, "uncommented.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  for (const std::string_view key : {"default =", "domains", "name =", "support =", "directory =", "file =",
                                     "max_message_bytes =",
                                     "key_file =", "hostnames =", "domains =", "enabled =", "timeout_ms =",
                                     "cache_seconds =", "max_probes =", "helo_name =", "ca_file =",
                                     "resolvers =", "allow_networks =", "postfix_directory ="}) {
    EXPECT_NE(uncommented.find(key), std::string::npos) << key;
  }
  EXPECT_FALSE(config->domain_locales.empty());  // the example shows the map's shape
}

}  // namespace
