// libFuzzer target for locale negotiation: BCP 47 tags and Accept-Language
// lists as a returned message's headers carry them (attacker text, not
// capped by the MTA's header limits when it sits in a report's body). The
// input's first line is Content-Language, the second Accept-Language, the
// third the sender's domain; the whole input is also matched as one tag.
// Built and run by run_fuzz.sh; the main build only compiles it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "templates/catalogue.hpp"
#include "templates/locale.hpp"
#include "tests/fuzz/fuzz_support.hpp"

namespace {

using clearbounce::fuzz::require;
using clearbounce::templates::CatalogueSet;

const CatalogueSet& catalogues() {
  static const std::unique_ptr<CatalogueSet> shipped = [] {
    std::vector<std::string> errors;
    auto loaded = CatalogueSet::load("", errors);
    require(loaded != nullptr);
    return loaded;
  }();
  return *shipped;
}

std::string_view next_line(std::string_view& rest) {
  const auto newline = rest.find('\n');
  const auto line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = clearbounce::fuzz::as_text(data, size);
  const std::string matched = clearbounce::templates::match_locale(input, catalogues());
  require(matched.empty() || catalogues().has_locale(matched));

  std::string_view rest = input;
  clearbounce::templates::LocaleInputs inputs;
  inputs.content_language = std::string(next_line(rest));
  inputs.accept_language = std::string(next_line(rest));
  inputs.sender_domain = std::string(next_line(rest));
  const std::map<std::string, std::string> domain_locales{{"example.de", "de"}, {"example.fr", "fr"}};
  const std::string chosen =
      clearbounce::templates::choose_locale(inputs, domain_locales, "en", catalogues());
  require(catalogues().has_locale(chosen));
  return 0;
}
