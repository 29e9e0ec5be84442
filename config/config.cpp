// The configuration loader. Keys are described by one table per section
// (name -> setter), so a new section such as [milter] is a new table and a
// line in kSections; unknown keys and tables are found by the same tables,
// with the line they are on, so that a typing mistake is an error rather
// than a silently ignored setting.
#include "config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fstream>
#include <span>
#include <sstream>

#include "diagnose/address_policy.hpp"
#include "dsn/ascii.hpp"
#include "diagnose/domain_suggestions.hpp"

namespace clearbounce::config {
namespace {

// Collects the first error; every check returns false once it has failed.
class Context {
 public:
  explicit Context(std::string_view source) : source_(source) {}

  bool fail(const toml::source_region& where, std::string_view message) {
    if (error_.empty()) error_ = at(where) + ": " + std::string(message);
    return false;
  }
  bool fail(const toml::node& node, std::string_view message) { return fail(node.source(), message); }

  std::string at(const toml::source_region& where) const {
    std::string location(source_);
    if (where.begin.line > 0) {
      // Two appends rather than ":" + string: GCC 12 -O3 warns (-Wrestrict,
      // a false positive) on the inlined prepend.
      location += ':';
      location += std::to_string(where.begin.line);
    }
    return location;
  }
  std::string take_error() { return std::move(error_); }

 private:
  std::string_view source_;
  std::string error_;
};

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number with a fraction";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

bool is_alpha(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
char ascii_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// BCP 47 in the shape catalogues are named: a primary subtag of 2-8 letters,
// then subtags of 1-8 letters or digits, joined by hyphens ("de", "de-AT",
// "zh-Hans", "es-419"). Anything else is almost certainly a mistake ("de_AT").
bool valid_locale_tag(std::string_view tag) {
  std::size_t index = 0;
  std::size_t start = 0;
  for (;;) {
    const std::size_t hyphen = tag.find('-', start);
    const std::string_view subtag = tag.substr(start, hyphen == std::string_view::npos ? std::string_view::npos
                                                                                         : hyphen - start);
    if (subtag.empty() || subtag.size() > 8) return false;
    for (const char c : subtag) {
      if (!is_alpha(c) && !(index > 0 && is_digit(c))) return false;
    }
    if (index == 0 && subtag.size() < 2) return false;
    if (hyphen == std::string_view::npos) return true;
    start = hyphen + 1;
    ++index;
  }
}

// A mail domain as a key of locale.domains: labels of letters, digits and
// hyphens separated by dots. Compared lower-case, as mail domains are.
bool valid_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253 || domain.front() == '.' || domain.back() == '.') return false;
  if (domain.find("..") != std::string_view::npos) return false;
  for (const char c : domain) {
    if (!is_alpha(c) && !is_digit(c) && c != '-' && c != '.') return false;
  }
  return true;
}

const toml::value<std::string>* expect_string(const toml::node& node, std::string_view path, Context& ctx) {
  const auto* value = node.as_string();
  if (value == nullptr) {
    ctx.fail(node, std::string(path) + " must be a string, not " + std::string(type_name(node)));
  }
  return value;
}

// ---- setters, one per key ----------------------------------------------------

using Setter = bool (*)(const toml::node& node, std::string_view path, Config& config, Context& ctx);

template <std::string Config::*Member>
bool set_string(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  config.*Member = value->get();
  return true;
}

bool set_default_locale(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  if (!valid_locale_tag(value->get())) {
    return ctx.fail(node, std::string(path) + ": \"" + value->get() +
                              "\" is not a locale tag (letters, digits and hyphens, such as \"de-AT\")");
  }
  config.default_locale = value->get();
  return true;
}

// The entries of a table keyed by mail domain (locale.domains,
// organization.domains), each domain valid and lower-cased, none twice.
// `what` says what the table holds, for the error about its type.
bool read_domain_table(const toml::node& node, std::string_view path, std::string_view what, Context& ctx,
                       std::vector<std::pair<std::string, const toml::node*>>& entries) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return ctx.fail(node, std::string(path) + " must be a table of " + std::string(what) + ", not " +
                              std::string(type_name(node)));
  }
  // toml++ iterates keys in sorted order, not file order: remember where each
  // domain was written, to name the later of two spellings of the same one.
  std::map<std::string, const toml::key*> written_at;
  for (const auto& [key, value] : *table) {
    const std::string key_path = std::string(path) + ".\"" + std::string(key.str()) + "\"";
    if (!valid_domain(key.str())) {
      return ctx.fail(key.source(), key_path + ": \"" + std::string(key.str()) + "\" is not a mail domain");
    }
    std::string domain(key.str());
    for (char& c : domain) c = ascii_lower(c);
    const auto [earlier, fresh] = written_at.emplace(domain, &key);
    if (!fresh) {
      const toml::key& first = earlier->second->source().begin.line <= key.source().begin.line ? *earlier->second : key;
      const toml::key& second = &first == &key ? *earlier->second : key;
      return ctx.fail(second.source(), std::string(path) + ": domain " + domain + " is listed twice (also as \"" +
                                           std::string(first.str()) + "\" at " + ctx.at(first.source()) +
                                           "; domains ignore case)");
    }
    entries.emplace_back(std::move(domain), &value);
  }
  return true;
}

bool set_domain_locales(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  if (!read_domain_table(node, path, "\"domain\" = \"locale\"", ctx, entries)) return false;
  std::map<std::string, std::string> domains;
  for (const auto& [domain, value] : entries) {
    const std::string key_path = std::string(path) + ".\"" + domain + "\"";
    const auto* tag = expect_string(*value, key_path, ctx);
    if (tag == nullptr) return false;
    if (!valid_locale_tag(tag->get())) {
      return ctx.fail(*value, key_path + ": \"" + tag->get() + "\" is not a locale tag (such as \"de-AT\")");
    }
    domains.emplace(domain, tag->get());
  }
  config.domain_locales = std::move(domains);
  return true;
}

// organization.domains."example.com" = { name, support, locale }: what
// senders of that domain (and of the domains under it) see instead of the
// [organization] defaults, for systems that serve several organisations.
bool set_brands(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  std::vector<std::pair<std::string, const toml::node*>> entries;
  if (!read_domain_table(node, path, "domains, each a table of name, support and locale", ctx, entries)) return false;
  std::map<std::string, Config::Brand, std::less<>> brands;
  for (const auto& [domain, value] : entries) {
    const std::string brand_path = std::string(path) + ".\"" + domain + "\"";
    const auto* table = value->as_table();
    if (table == nullptr) {
      return ctx.fail(*value, brand_path + " must be a table (name, support, locale), not " +
                                  std::string(type_name(*value)));
    }
    Config::Brand brand;
    for (const auto& [key, field] : *table) {
      const std::string field_path = brand_path + "." + std::string(key.str());
      std::string* target = key.str() == "name" ? &brand.name : key.str() == "support" ? &brand.support
                            : key.str() == "locale" ? &brand.locale : nullptr;
      if (target == nullptr) {
        return ctx.fail(key.source(), "unknown key " + field_path + " (known keys: name, support, locale)");
      }
      const auto* text = expect_string(field, field_path, ctx);
      if (text == nullptr) return false;
      if (target == &brand.locale && !valid_locale_tag(text->get())) {
        return ctx.fail(field, field_path + ": \"" + text->get() + "\" is not a locale tag (such as \"de-AT\")");
      }
      *target = text->get();
    }
    brands.emplace(domain, std::move(brand));
  }
  config.brands = std::move(brands);
  return true;
}

bool set_max_message_bytes(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = node.as_integer();
  if (value == nullptr) {
    return ctx.fail(node, std::string(path) + " must be an integer (bytes), not " + std::string(type_name(node)));
  }
  if (value->get() <= 0) return ctx.fail(node, std::string(path) + " must be a positive number of bytes");
  config.max_message_bytes = static_cast<std::size_t>(value->get());
  return true;
}

// A whole number from `low` to `high`; `unit` names it in the error.
template <typename Number, Number Config::*Member, long long Low, long long High>
bool set_bounded(const toml::node& node, std::string_view path, Config& config, Context& ctx, std::string_view unit) {
  const auto* value = node.as_integer();
  if (value == nullptr) {
    return ctx.fail(node, std::string(path) + " must be an integer (" + std::string(unit) + "), not " +
                              std::string(type_name(node)));
  }
  if (value->get() < Low || value->get() > High) {
    return ctx.fail(node, std::string(path) + " must be from " + std::to_string(Low) + " to " + std::to_string(High) +
                              " " + std::string(unit));
  }
  config.*Member = static_cast<Number>(value->get());
  return true;
}

bool set_time_limit(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  return set_bounded<unsigned, &Config::time_limit_ms, 10, 600000>(node, path, config, ctx, "milliseconds");
}

bool set_detailed_recipients(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  return set_bounded<std::size_t, &Config::detailed_recipients, 1, 1000>(node, path, config, ctx, "recipients");
}

// ---- [backscatter] ---------------------------------------------------------------

// An array of host or domain names, stored lower-case.
template <std::vector<std::string> Config::*Member>
bool set_names(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* array = node.as_array();
  if (array == nullptr) {
    return ctx.fail(node, std::string(path) + " must be an array of names such as [\"mx1.example.com\"], not " +
                              std::string(type_name(node)));
  }
  std::vector<std::string> names;
  for (const auto& element : *array) {
    const auto* name = expect_string(element, std::string(path) + " (each entry)", ctx);
    if (name == nullptr) return false;
    if (!valid_domain(name->get())) {
      return ctx.fail(element, std::string(path) + ": \"" + name->get() + "\" is not a host or domain name");
    }
    std::string lower = name->get();
    for (char& c : lower) c = ascii_lower(c);
    names.push_back(std::move(lower));
  }
  config.*Member = std::move(names);
  return true;
}

// ---- [milter] ------------------------------------------------------------------

// libmilter's socket notation. A Postfix-style "inet:host:port" is the likely
// mistake, so it gets its own hint.
bool set_socket(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  const std::string& socket = value->get();
  const std::string hint = " (\"unix:/path\", \"inet:PORT@HOST\" or \"inet6:PORT@HOST\")";
  const auto colon = socket.find(':');
  if (colon == std::string::npos) {
    return ctx.fail(node, std::string(path) + ": \"" + socket + "\" names no socket type" + hint);
  }
  const std::string_view kind = std::string_view(socket).substr(0, colon);
  const std::string_view rest = std::string_view(socket).substr(colon + 1);
  if (kind == "unix" || kind == "local") {
    if (rest.empty() || rest.front() != '/') {
      return ctx.fail(node, std::string(path) + ": \"" + socket + "\": a unix socket needs an absolute path" + hint);
    }
  } else if (kind == "inet" || kind == "inet6") {
    const std::string_view port = rest.substr(0, rest.find('@'));
    unsigned long number = 0;
    bool digits = !port.empty() && port.size() <= 5;
    for (const char c : port) {
      digits = digits && is_digit(c);
      if (digits) number = number * 10 + static_cast<unsigned long>(c - '0');
    }
    const auto last_colon = rest.rfind(':');
    if (rest.find('@') == std::string_view::npos && last_colon != std::string_view::npos) {
      // Postfix's notation, inet:HOST:PORT.
      return ctx.fail(node, std::string(path) + ": \"" + socket + "\": libmilter writes PORT@HOST, such as \"" +
                                std::string(kind) + ":" + std::string(rest.substr(last_colon + 1)) + "@" +
                                std::string(rest.substr(0, last_colon)) + "\"");
    }
    if (!digits || number == 0 || number > 65535) {
      return ctx.fail(node, std::string(path) + ": \"" + socket + "\": expected a port number from 1 to 65535 " +
                                "before the optional @HOST" + hint);
    }
    if (rest.find('@') != std::string_view::npos && rest.substr(rest.find('@') + 1).empty()) {
      return ctx.fail(node, std::string(path) + ": \"" + socket + "\": nothing after '@'" + hint);
    }
  } else {
    return ctx.fail(node, std::string(path) + ": \"" + socket + "\": unknown socket type \"" + std::string(kind) +
                              "\"" + hint);
  }
  config.milter.socket = socket;
  return true;
}

// A user or group name: empty (no change) or a name without blanks, colons
// or slashes. Whether it exists is checked by the daemon when it starts.
template <std::string Config::Milter::*Member>
bool set_account(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  for (const char c : value->get()) {
    if (static_cast<unsigned char>(c) <= ' ' || c == ':' || c == '/' || c == 0x7f) {
      return ctx.fail(node, std::string(path) + ": \"" + value->get() + "\" is not a user or group name");
    }
  }
  config.milter.*Member = value->get();
  return true;
}

// An octal string such as "0007" (the way umasks are written), or a TOML
// integer such as 0o007.
bool set_umask(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  long long mask = -1;
  if (const auto* number = node.as_integer()) {
    mask = number->get();
  } else if (const auto* text = node.as_string()) {
    const std::string& digits = text->get();
    if (!digits.empty() && digits.size() <= 4) {
      mask = 0;
      for (const char c : digits) {
        if (c < '0' || c > '7') {
          mask = -1;
          break;
        }
        mask = mask * 8 + (c - '0');
      }
    }
  } else {
    return ctx.fail(node, std::string(path) + " must be an octal string such as \"0007\", not " +
                              std::string(type_name(node)));
  }
  if (mask < 0 || mask > 0777) {
    return ctx.fail(node, std::string(path) + " must be an octal mode mask from \"0000\" to \"0777\" (such as \"0007\")");
  }
  config.milter.umask = static_cast<unsigned>(mask);
  return true;
}

// A true-or-false key of the top level of Config.
template <bool Config::*Member>
bool set_flag(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = node.as_boolean();
  if (value == nullptr) {
    return ctx.fail(node, std::string(path) + " must be true or false, not " + std::string(type_name(node)));
  }
  config.*Member = value->get();
  return true;
}

// A true-or-false key of any table: `Table` is the table's member of
// Config, `Member` the key's member of that table.
template <auto Table, auto Member>
bool set_bool(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = node.as_boolean();
  if (value == nullptr) {
    return ctx.fail(node, std::string(path) + " must be true or false, not " + std::string(type_name(node)));
  }
  (config.*Table).*Member = value->get();
  return true;
}

// Whole seconds, at most a day; `allow_zero` for "never".
template <unsigned Config::Milter::*Member, bool AllowZero>
bool set_seconds(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = node.as_integer();
  if (value == nullptr) {
    return ctx.fail(node, std::string(path) + " must be an integer (seconds), not " + std::string(type_name(node)));
  }
  const long long seconds = value->get();
  if (seconds < (AllowZero ? 0 : 1) || seconds > 86400) {
    return ctx.fail(node, std::string(path) + " must be a number of seconds from " + (AllowZero ? "0" : "1") +
                              " to 86400");
  }
  config.milter.*Member = static_cast<unsigned>(seconds);
  return true;
}

bool set_log_level(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  for (const std::string_view level : {"error", "warning", "notice", "info", "debug"}) {
    if (value->get() == level) {
      config.milter.log_level = value->get();
      return true;
    }
  }
  return ctx.fail(node, std::string(path) + ": \"" + value->get() +
                            "\" is not a log level (error, warning, notice, info or debug)");
}

// ---- [diagnose] ----------------------------------------------------------------

template <unsigned Config::Diagnose::*Member, long long Least, long long Most>
bool set_diagnose_number(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = node.as_integer();
  if (value == nullptr || value->get() < Least || value->get() > Most) {
    return ctx.fail(node, std::string(path) + " must be an integer from " + std::to_string(Least) + " to " +
                              std::to_string(Most));
  }
  config.diagnose.*Member = static_cast<unsigned>(value->get());
  return true;
}

template <std::string Config::Diagnose::*Member>
bool set_diagnose_string(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  config.diagnose.*Member = value->get();
  return true;
}

// An EHLO name: a host name, or empty for the MTA's own.
bool set_helo_name(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  if (!value->get().empty() && !valid_domain(value->get())) {
    return ctx.fail(node, std::string(path) + ": \"" + value->get() + "\" is not a host name");
  }
  config.diagnose.helo_name = value->get();
  return true;
}

// A file of well-known mail domains, read and checked now: a line that is
// no domain is a configuration error with its file and line, not a
// suggestion that silently never comes.
bool set_domains_file(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* value = expect_string(node, path, ctx);
  if (value == nullptr) return false;
  std::string error;
  if (!value->get().empty() && !diagnose::MailDomains().add_file(value->get(), error))
    return ctx.fail(node, std::string(path) + ": " + error);
  config.diagnose.domains_file = value->get();
  return true;
}

// "192.0.2.53", "[2001:db8::53]:5353" or "127.0.0.1:5353" (resolvers), or
// an address with an optional /prefix (networks).
bool valid_resolver(std::string_view text) {
  std::string_view host = text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return false;
    host = text.substr(1, close - 1);
    const auto rest = text.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || rest.size() < 2 || rest.size() > 6)) return false;
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
  }
  return diagnose::IpAddress::parse(host).has_value();
}

template <std::vector<std::string> Config::Diagnose::*Member, bool Networks>
bool set_diagnose_list(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* array = node.as_array();
  const char* example = Networks ? "[\"127.0.0.0/8\", \"fd00::/8\"]" : "[\"127.0.0.1:53\"]";
  if (array == nullptr) {
    return ctx.fail(node, std::string(path) + " must be an array such as " + example + ", not " +
                              std::string(type_name(node)));
  }
  std::vector<std::string> entries;
  for (const auto& element : *array) {
    const auto* entry = expect_string(element, std::string(path) + " (each entry)", ctx);
    if (entry == nullptr) return false;
    const bool valid = Networks ? diagnose::Network::parse(entry->get()).has_value() : valid_resolver(entry->get());
    if (!valid) {
      return ctx.fail(element, std::string(path) + ": \"" + entry->get() + "\" is not " +
                                   (Networks ? "an address or address/prefix" : "an address or address:port"));
    }
    entries.push_back(entry->get());
  }
  config.diagnose.*Member = std::move(entries);
  return true;
}

// Why an entry cannot be a block-list zone, or "".
std::string zone_problem(std::string_view zone) {
  return valid_domain(zone) && zone.find('.') != std::string_view::npos ? "" : "is not a DNS zone";
}

// Why an entry cannot be one of our sending addresses, or "": a block list
// never lists a private or local address, and we never ask about one.
std::string sending_address_problem(std::string_view text) {
  const auto address = diagnose::IpAddress::parse(text);
  if (!address) return "is not an IP address";
  std::string error;
  const auto strict = diagnose::AddressPolicy::make({}, error);
  const auto refusal = strict->refusal(*address);
  return refusal.empty() ? "" : "is " + std::string(refusal) + ": give the public address our mail leaves from";
}

template <std::vector<std::string> Config::Diagnose::*Member, std::string (*Problem)(std::string_view)>
bool set_diagnose_entries(const toml::node& node, std::string_view path, Config& config, Context& ctx) {
  const auto* array = node.as_array();
  if (array == nullptr)
    return ctx.fail(node, std::string(path) + " must be an array of strings, not " + std::string(type_name(node)));
  std::vector<std::string> entries;
  for (const auto& element : *array) {
    const auto* entry = expect_string(element, std::string(path) + " (each entry)", ctx);
    if (entry == nullptr) return false;
    std::string value = entry->get();
    for (char& c : value) c = ascii_lower(c);
    if (const auto problem = Problem(value); !problem.empty())
      return ctx.fail(element, std::string(path) + ": \"" + entry->get() + "\" " + problem);
    entries.push_back(std::move(value));
  }
  config.diagnose.*Member = std::move(entries);
  return true;
}

// ---- the schema ---------------------------------------------------------------

struct Key {
  std::string_view name;
  Setter set;
};

struct Section {
  std::string_view name;
  std::span<const Key> keys;
};

constexpr Key kLocaleKeys[] = {
    {"default", set_default_locale},
    {"domains", set_domain_locales},
};
constexpr Key kOrganizationKeys[] = {
    {"name", set_string<&Config::organization>},
    {"support", set_string<&Config::support>},
    {"domains", set_brands},
};
constexpr Key kTemplatesKeys[] = {
    {"directory", set_string<&Config::templates_directory>},
};
constexpr Key kRulesKeys[] = {
    {"file", set_string<&Config::rules_file>},
};
constexpr Key kRewriteKeys[] = {
    {"max_message_bytes", set_max_message_bytes},
    {"time_limit_ms", set_time_limit},
    {"detailed_recipients", set_detailed_recipients},
    {"return_headers_only", set_flag<&Config::return_headers_only>},
    {"hide_expanded_recipients", set_flag<&Config::hide_expanded_recipients>},
};
constexpr Key kMarkerKeys[] = {
    {"key_file", set_string<&Config::marker_key_file>},
};
constexpr Key kBackscatterKeys[] = {
    {"hostnames", set_names<&Config::backscatter_hostnames>},
    {"domains", set_names<&Config::backscatter_domains>},
};

constexpr Key kMilterKeys[] = {
    {"socket", set_socket},
    {"user", set_account<&Config::Milter::user>},
    {"group", set_account<&Config::Milter::group>},
    {"umask", set_umask},
    {"handle_local_bounces", set_bool<&Config::milter, &Config::Milter::handle_local_bounces>},
    {"handle_remote_dsns", set_bool<&Config::milter, &Config::Milter::handle_remote_dsns>},
    {"timeout_seconds", set_seconds<&Config::Milter::timeout_seconds, false>},
    {"dry_run", set_bool<&Config::milter, &Config::Milter::dry_run>},
    {"log_level", set_log_level},
    {"stats_interval_seconds", set_seconds<&Config::Milter::stats_interval_seconds, true>},
};

constexpr Key kDiagnoseKeys[] = {
    {"enabled", set_bool<&Config::diagnose, &Config::Diagnose::enabled>},
    {"timeout_ms", set_diagnose_number<&Config::Diagnose::timeout_ms, 100, 60000>},
    {"cache_seconds", set_diagnose_number<&Config::Diagnose::cache_seconds, 0, 86400>},
    {"max_probes", set_diagnose_number<&Config::Diagnose::max_probes, 1, 256>},
    {"helo_name", set_helo_name},
    {"ca_file", set_diagnose_string<&Config::Diagnose::ca_file>},
    {"resolvers", set_diagnose_list<&Config::Diagnose::resolvers, false>},
    {"allow_networks", set_diagnose_list<&Config::Diagnose::allow_networks, true>},
    {"suggest_domains", set_bool<&Config::diagnose, &Config::Diagnose::suggest_domains>},
    {"domains_file", set_domains_file},
    {"postfix_directory", set_diagnose_string<&Config::Diagnose::postfix_directory>},
    {"check_blocklists", set_bool<&Config::diagnose, &Config::Diagnose::check_blocklists>},
    {"blocklist_zones", set_diagnose_entries<&Config::Diagnose::blocklist_zones, zone_problem>},
    {"sending_addresses", set_diagnose_entries<&Config::Diagnose::sending_addresses, sending_address_problem>},
    {"blocklists_file", set_diagnose_string<&Config::Diagnose::blocklists_file>},
};

constexpr Section kSections[] = {
    {"locale", kLocaleKeys},
    {"organization", kOrganizationKeys},
    {"templates", kTemplatesKeys},
    {"rules", kRulesKeys},
    {"rewrite", kRewriteKeys},
    {"marker", kMarkerKeys},
    {"backscatter", kBackscatterKeys},
    {"milter", kMilterKeys},
    {"diagnose", kDiagnoseKeys},
};

template <typename Entries>
std::string known_names(const Entries& entries) {
  std::string names;
  for (const auto& entry : entries) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

bool apply_section(const Section& section, const toml::node& node, Config& config, Context& ctx) {
  const auto* table = node.as_table();
  if (table == nullptr) {
    return ctx.fail(node, std::string(section.name) + " must be a table ([" + std::string(section.name) +
                              "]), not " + std::string(type_name(node)));
  }
  for (const auto& [key, value] : *table) {
    const std::string path = std::string(section.name) + "." + std::string(key.str());
    const Key* known = nullptr;
    for (const Key& candidate : section.keys) {
      if (candidate.name == key.str()) known = &candidate;
    }
    if (known == nullptr) {
      return ctx.fail(key.source(), "unknown key " + path + " (known keys in [" + std::string(section.name) +
                                        "]: " + known_names(section.keys) + ")");
    }
    if (!known->set(value, path, config, ctx)) return false;
  }
  return true;
}

bool apply(const toml::table& root, Config& config, Context& ctx) {
  for (const auto& [key, value] : root) {
    const Section* known = nullptr;
    for (const Section& candidate : kSections) {
      if (candidate.name == key.str()) known = &candidate;
    }
    if (known == nullptr) {
      const std::string what = value.is_table() ? "unknown table [" + std::string(key.str()) + "]"
                                                : "unknown key " + std::string(key.str()) + " outside any table";
      return ctx.fail(key.source(), what + " (known tables: " + known_names(kSections) + ")");
    }
    if (!apply_section(*known, value, config, ctx)) return false;
  }
  return true;
}

}  // namespace

std::optional<Config> load_text(std::string_view toml_text, std::string_view source_name, std::string& error) {
  Context ctx(source_name);
  try {
    toml::table root;
    try {
      root = toml::parse(toml_text, source_name);
    } catch (const toml::parse_error& e) {
      ctx.fail(e.source(), e.description());
      error = ctx.take_error();
      return std::nullopt;
    }
    Config config;
    if (!apply(root, config, ctx)) {
      error = ctx.take_error();
      return std::nullopt;
    }
    // A brand's locale is the locale of its domain: one map chooses the
    // locale, and a domain may not be given two.
    for (const auto& [domain, brand] : config.brands) {
      if (brand.locale.empty()) continue;
      const auto [at, fresh] = config.domain_locales.emplace(domain, brand.locale);
      if (!fresh && at->second != brand.locale) {
        const toml::node* where = root["organization"]["domains"][domain]["locale"].node();
        ctx.fail(where ? *where : static_cast<const toml::node&>(root),
                 "organization.domains.\"" + domain + "\".locale is \"" + brand.locale + "\" but locale.domains gives \"" +
                     at->second + "\" for the same domain; name its locale in one place");
        error = ctx.take_error();
        return std::nullopt;
      }
    }
    error.clear();
    return config;
  } catch (const std::exception& e) {
    error = std::string(source_name) + ": " + e.what();
    return std::nullopt;
  }
}

const Config::Brand* Config::brand_for(std::string_view sender_domain) const {
  const Brand* found = nullptr;
  if (brands.empty()) return found;
  dsn::detail::each_domain_upwards(sender_domain, [&](std::string_view domain) {
    const auto it = brands.find(domain);
    found = it == brands.end() ? nullptr : &it->second;
    return found != nullptr;
  });
  return found;
}

std::optional<Config> load_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open: " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = path + ": cannot read: " + std::strerror(errno);
    return std::nullopt;
  }
  return load_text(text.str(), path, error);
}

}  // namespace clearbounce::config
