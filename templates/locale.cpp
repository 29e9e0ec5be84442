#include "templates/locale.hpp"

#include <algorithm>
#include <vector>

namespace clearbounce::templates {
namespace {

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

// The catalogue tag spelled as requested, ignoring case.
std::string find_tag(std::string_view wanted, const CatalogueSet& catalogues) {
  const auto key = lower(wanted);
  for (const auto& tag : catalogues.tags())
    if (lower(tag) == key) return tag;
  return {};
}

// Chinese is chosen by script: the mainland and Singapore write Simplified.
std::string script_alias(const std::string& tag) {
  if (tag == "zh" || tag == "zh-cn" || tag == "zh-sg" || tag.rfind("zh-hans", 0) == 0) return "zh-hans";
  return tag;
}

// "de-AT, de;q=0.8, en;q=0.5" -> tags by preference.
std::vector<std::string> accepted(std::string_view header) {
  std::vector<std::pair<double, std::string>> weighted;
  std::size_t order = 0;
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto item = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    double q = 1.0;
    if (const auto semi = item.find(';'); semi != std::string_view::npos) {
      const auto param = trim(item.substr(semi + 1));
      if (param.rfind("q=", 0) == 0) {
        try {
          q = std::stod(std::string(param.substr(2)));
        } catch (...) {
          q = 0;
        }
      }
      item = trim(item.substr(0, semi));
    }
    if (!item.empty() && item != "*" && q > 0) weighted.emplace_back(q - static_cast<double>(order++) * 1e-6, std::string(item));
  }
  std::stable_sort(weighted.begin(), weighted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> out;
  for (auto& [q, tag] : weighted) out.push_back(std::move(tag));
  return out;
}

}  // namespace

std::string match_locale(std::string_view requested, const CatalogueSet& catalogues) {
  std::string tag = script_alias(lower(trim(requested)));
  while (!tag.empty()) {
    if (auto found = find_tag(tag, catalogues); !found.empty()) return found;
    const auto dash = tag.rfind('-');
    if (dash == std::string::npos) break;
    tag.resize(dash);  // de-AT-1996 -> de-AT -> de
  }
  return {};
}

std::string choose_locale(const LocaleInputs& inputs, const std::map<std::string, std::string>& domain_locales,
                          std::string_view default_locale, const CatalogueSet& catalogues) {
  // The language the sender wrote in, then the languages the sender reads.
  for (const auto& header : {inputs.content_language, inputs.accept_language}) {
    for (const auto& tag : accepted(header))
      if (auto found = match_locale(tag, catalogues); !found.empty()) return found;
  }
  // The administrator's map, for the domain and its parents.
  std::string domain = lower(inputs.sender_domain);
  while (!domain.empty()) {
    if (const auto it = domain_locales.find(domain); it != domain_locales.end())
      if (auto found = match_locale(it->second, catalogues); !found.empty()) return found;
    const auto dot = domain.find('.');
    if (dot == std::string::npos) break;
    domain.erase(0, dot + 1);
  }
  if (auto found = match_locale(default_locale, catalogues); !found.empty()) return found;
  return "en";
}

}  // namespace clearbounce::templates
