#include "templates/locale.hpp"

#include "dsn/ascii.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

namespace clearbounce::templates {
namespace {

// Language tags are short (RFC 5646 4.4.1: 35 characters cover every tag
// worth supporting), a header lists a handful of them, and a domain name has
// at most 253 characters (dsn::detail::each_domain_upwards). Anything longer
// is no tag or domain we could serve, and skipping it keeps the cost of a
// hostile header bounded.
constexpr std::size_t kMaxTagLength = 35;
constexpr std::size_t kMaxHeaderItems = 16;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Chinese is chosen by script: the mainland and Singapore write Simplified.
std::string_view script_alias(std::string_view tag) {
  if (tag == "zh" || tag == "zh-cn" || tag == "zh-sg" || tag.substr(0, 7) == "zh-hans") return "zh-hans";
  return tag;
}

// "0.8" -> 0.8; anything that is not a number in [0, 1] counts as 0 (not wanted).
double quality(std::string_view text) {
  double q = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), q);
  if (error != std::errc() || end != text.data() + text.size() || !(q >= 0 && q <= 1)) return 0;
  return q;
}

// "de-AT, de;q=0.8, en;q=0.5" -> tags by preference (the first few items only).
std::vector<std::string_view> accepted(std::string_view header) {
  std::vector<std::pair<double, std::string_view>> weighted;
  for (std::size_t items = 0; !header.empty() && items < kMaxHeaderItems; ++items) {
    const auto comma = header.find(',');
    auto item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    double q = 1.0;
    if (const auto semi = item.find(';'); semi != std::string_view::npos) {
      const auto param = trim(item.substr(semi + 1));
      if (param.substr(0, 2) == "q=") q = quality(param.substr(2));
      item = trim(item.substr(0, semi));
    }
    if (!item.empty() && item != "*" && q > 0) weighted.emplace_back(q, item);
  }
  // Stable: equal weights keep the header's order.
  std::stable_sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string_view> out;
  for (const auto& [q, tag] : weighted) out.push_back(tag);
  return out;
}

std::string match_indexed(std::string_view requested, const CatalogueSet& catalogues) {
  requested = trim(requested);
  if (requested.empty() || requested.size() > kMaxTagLength) return {};
  const std::string lowered = lower(requested);
  std::string_view tag = script_alias(lowered);
  while (!tag.empty()) {
    if (const auto found = catalogues.tag_spelled(tag); !found.empty()) return std::string(found);
    const auto dash = tag.rfind('-');
    if (dash == std::string_view::npos) break;
    tag = tag.substr(0, dash);  // de-AT-1996 -> de-AT -> de
  }
  return {};
}

}  // namespace

std::string match_locale(std::string_view requested, const CatalogueSet& catalogues) {
  return match_indexed(requested, catalogues);
}

std::string choose_locale(const LocaleInputs& inputs, const std::map<std::string, std::string>& domain_locales,
                          std::string_view default_locale, const CatalogueSet& catalogues) {
  // The language the sender wrote in, then the languages the sender reads.
  for (const auto& header : {std::string_view(inputs.content_language), std::string_view(inputs.accept_language)}) {
    for (const auto tag : accepted(header))
      if (auto found = match_indexed(tag, catalogues); !found.empty()) return found;
  }
  // The administrator's map, for the domain and its parents.
  std::string by_domain;
  if (dsn::detail::each_domain_upwards(inputs.sender_domain, [&](std::string_view domain) {
        const auto it = domain_locales.find(std::string(domain));
        if (it != domain_locales.end()) by_domain = match_indexed(it->second, catalogues);
        return !by_domain.empty();
      }))
    return by_domain;
  if (auto found = match_indexed(default_locale, catalogues); !found.empty()) return found;
  return "en";
}

}  // namespace clearbounce::templates
