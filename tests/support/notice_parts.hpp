// The parts of a rendered notice that the notice tests look at: a
// catalogue entry as it reads, the part the sender reads (before the
// technical section) and that section, and how often a text occurs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "templates/catalogue.hpp"

namespace clearbounce::testing {

// An entry's first template rendered with `values` (without them, as it
// reads with its optional groups left out); empty when the entry is missing.
inline std::string says(const templates::CatalogueSet& catalogues, std::string_view locale, std::string_view key,
                        const templates::Values& values = {}) {
  const auto* templates = catalogues.find(locale, key);
  return templates && !templates->empty() ? templates->front().render(values) : std::string();
}

// The notice up to its technical section's heading, and from there on.
inline std::string reader_part(const templates::CatalogueSet& catalogues, const std::string& text,
                               std::string_view locale) {
  return text.substr(0, text.find(says(catalogues, locale, "text.technical")));
}
inline std::string technical_part(const templates::CatalogueSet& catalogues, const std::string& text,
                                  std::string_view locale) {
  const auto at = text.find(says(catalogues, locale, "text.technical"));
  return at == std::string::npos ? std::string() : text.substr(at);
}

inline std::size_t occurrences(std::string_view text, std::string_view what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string_view::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace clearbounce::testing
