// The configuration file (TOML), shared by the CLI and the milter. Every key
// is optional; defaults are the values below. Documented for administrators
// in config/clearbounce.toml (the shipped example) and the man page.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace clearbounce::config {

struct Config {
  // [locale]
  std::string default_locale = "en";                      // locale.default
  std::map<std::string, std::string> domain_locales;      // locale.domains: "example.de" = "de"
  // [organization]
  std::string organization;                               // organization.name
  std::string support;                                    // organization.support (address, URL or phone)
  // [templates]
  std::string templates_directory;                        // templates.directory: admin overrides, <tag>.toml
  // [rules]
  std::string rules_file;                                 // rules.file: empty = built-in rule set
  // [rewrite]
  std::size_t max_message_bytes = 10u << 20;              // rewrite.max_message_bytes (default 10 MiB)
};

// Loads a configuration file. On error returns nullopt and sets `error` to
// "file:line: what is wrong" (unknown keys and wrong types are errors, so
// that typing mistakes do not go unnoticed).
std::optional<Config> load_file(const std::string& path, std::string& error);
std::optional<Config> load_text(std::string_view toml, std::string_view source_name, std::string& error);

}  // namespace clearbounce::config
