#include "diagnose/tls_policy.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "diagnose/address_policy.hpp"
#include "diagnose/next_hop.hpp"

namespace clearbounce::diagnose {
namespace {

constexpr std::array<std::pair<std::string_view, TlsLevel>, 8> kLevels = {{
    {"none", TlsLevel::none},
    {"may", TlsLevel::may},
    {"encrypt", TlsLevel::encrypt},
    {"dane", TlsLevel::dane},
    {"dane-only", TlsLevel::dane_only},
    {"fingerprint", TlsLevel::fingerprint},
    {"verify", TlsLevel::verify},
    {"secure", TlsLevel::secure},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::optional<TlsLevel> tls_level_named(std::string_view name) {
  for (const auto& [text, level] : kLevels)
    if (lower(name) == text) return level;
  return std::nullopt;
}

std::string_view to_string(TlsLevel level) {
  for (const auto& [text, known] : kLevels)
    if (known == level) return text;
  return "?";
}

bool checks_certificate_names(TlsLevel level) { return level == TlsLevel::verify || level == TlsLevel::secure; }

std::vector<std::string> split_list(std::string_view value, std::string_view delimiters) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start < value.size()) {
    const auto end = value.find_first_of(delimiters, start);
    if (end != start) items.emplace_back(value.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return items;
}

std::optional<TlsPolicy> parse_tls_policy(std::string_view value) {
  const auto words = split_list(value, " \t\n");  // the level, then attributes
  if (words.empty()) return std::nullopt;
  const auto level = tls_level_named(words.front());
  if (!level) return std::nullopt;
  TlsPolicy policy;
  policy.level = *level;
  for (std::size_t i = 1; i < words.size(); ++i) {
    // Other attributes (ciphers=, protocols=, exclude=, tafile=) change
    // what is offered, not which names are asked for.
    if (!words[i].starts_with("match=")) continue;
    for (auto& name : split_list(std::string_view(words[i]).substr(6))) policy.match.push_back(std::move(name));
  }
  return policy;
}

std::vector<std::string> certificate_names_wanted(const TlsPolicy& policy, const std::vector<std::string>& default_match,
                                                  std::string_view mx_host, std::string_view next_hop) {
  const auto& match = policy.match.empty() ? default_match : policy.match;
  std::vector<std::string> names;
  const auto add = [&](std::string name) {
    const std::string_view bare = std::string_view(name).substr(name.starts_with('.') ? 1 : 0);
    if (!is_plain_domain(bare) || IpAddress::parse(bare)) return;  // an address, or nothing: no name to ask for
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(std::move(name));
  };
  for (const auto& item : match) {
    const std::string keyword = lower(item);
    if (keyword == "hostname") {
      add(lower(mx_host));
    } else if (keyword == "nexthop") {
      add(lower(next_hop));
    } else if (keyword == "dot-nexthop") {
      add("." + lower(next_hop));
    } else {
      add(keyword);
    }
  }
  return names;
}

}  // namespace clearbounce::diagnose
