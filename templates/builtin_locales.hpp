// The shipped catalogues, built into the program (generated from
// templates/locales/*.toml by cmake/embed_locales.cmake).
#pragma once

#include <span>
#include <string_view>

namespace clearbounce::templates {

struct BuiltinLocale {
  std::string_view file;  // "en.toml"
  std::string_view text;
};

std::span<const BuiltinLocale> builtin_locales();

}  // namespace clearbounce::templates
