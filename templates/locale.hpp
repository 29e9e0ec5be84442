// Which language a bounce is written in: the returned message's own
// Content-Language / Accept-Language, then the administrator's per-domain
// map, then the configured default; each tag falls back along its chain
// (de-AT -> de -> en).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "templates/catalogue.hpp"

namespace clearbounce::templates {

struct LocaleInputs {
  std::string content_language;  // of the returned message, as written
  std::string accept_language;   // of the returned message, as written
  std::string sender_domain;     // domain of the address the bounce goes to
};

// The shipped or overridden locale that best serves `requested` (a BCP 47
// tag such as "de-AT", "pt-BR", "zh-CN"), or "" when none does.
std::string match_locale(std::string_view requested, const CatalogueSet& catalogues);

std::string choose_locale(const LocaleInputs& inputs, const std::map<std::string, std::string>& domain_locales,
                          std::string_view default_locale, const CatalogueSet& catalogues);

}  // namespace clearbounce::templates
