#include "templates/catalogue.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "dsn/ascii.hpp"
#include "templates/builtin_locales.hpp"

namespace clearbounce::templates {

// --- Template -------------------------------------------------------------

std::optional<Template> Template::parse(std::string_view text, std::string& error) {
  Template t;
  std::string literal;
  bool in_group = false;
  const auto flush = [&] {
    if (!literal.empty()) t.pieces_.push_back({Piece::Kind::literal, std::move(literal)});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal.push_back('{');
      ++i;
    } else if (c == '}' && i + 1 < text.size() && text[i + 1] == '}') {
      literal.push_back('}');
      ++i;
    } else if (c == '{' && i + 1 < text.size() && text[i + 1] == '?') {
      if (in_group) {
        error = "optional groups \"{?\" cannot nest";
        return std::nullopt;
      }
      flush();
      t.pieces_.push_back({Piece::Kind::group_begin, {}});
      in_group = true;
      ++i;
    } else if (c == '?' && i + 1 < text.size() && text[i + 1] == '}' && in_group) {
      flush();
      t.pieces_.push_back({Piece::Kind::group_end, {}});
      in_group = false;
      ++i;
    } else if (c == '{') {
      const auto close = text.find('}', i);
      if (close == std::string_view::npos) {
        error = "\"{\" without \"}\" (write \"{{\" for a brace)";
        return std::nullopt;
      }
      std::string name(text.substr(i + 1, close - i - 1));
      const auto& known = known_placeholders();
      if (std::find(known.begin(), known.end(), name) == known.end()) {
        error = "unknown placeholder {" + name + "}";
        return std::nullopt;
      }
      flush();
      t.placeholders_.push_back(name);
      if (!in_group) t.required_placeholders_.push_back(name);
      t.pieces_.push_back({Piece::Kind::placeholder, std::move(name)});
      i = close;
    } else if (c == '}') {
      error = "\"}\" without \"{\" (write \"}}\" for a brace)";
      return std::nullopt;
    } else {
      literal.push_back(c);
    }
  }
  if (in_group) {
    error = "optional group \"{?\" is not closed with \"?}\"";
    return std::nullopt;
  }
  flush();
  return t;
}

// The pieces in order, each written through append(out, text). A group is
// written in place and taken back when one of its values is missing.
template <typename Append>
void Template::render_pieces(std::string& out, const Values& values, Append append) const {
  std::size_t group_start = out.size();
  bool group_complete = true;
  for (const auto& piece : pieces_) {
    switch (piece.kind) {
      case Piece::Kind::literal:
        append(out, piece.text);
        break;
      case Piece::Kind::placeholder: {
        const auto it = values.find(piece.text);
        if (it == values.end() || it->second.empty()) {
          group_complete = false;
        } else {
          append(out, it->second);
        }
        break;
      }
      case Piece::Kind::group_begin:
        group_start = out.size();
        group_complete = true;
        break;
      case Piece::Kind::group_end:
        if (!group_complete) out.resize(group_start);
        break;
    }
  }
}

std::string Template::render(const Values& values, std::string (*escape)(std::string_view)) const {
  std::string out;
  if (escape) {
    render_pieces(out, values, [escape](std::string& to, std::string_view piece) { to += escape(piece); });
  } else {
    render_into(out, values);
  }
  return out;
}

void Template::render_into(std::string& out, const Values& values, AppendEscaped escape) const {
  if (escape) {
    render_pieces(out, values, escape);
  } else {
    render_pieces(out, values, [](std::string& to, std::string_view piece) { to.append(piece); });
  }
}

const std::vector<std::string_view>& known_placeholders() {
  static const std::vector<std::string_view> names = {
      "recipient",  "recipient_domain", "subject",       "remote_host",  "remote_ip",
      "blocklist",  "size_limit",       "retry_until",   "last_error",   "reporting_mta",
      "organization", "support",        "count",         "number",       "cause",
      "causes",     "addresses",
      // What a diagnosis of our own found (diagnose/).
      "suggested_address", "suggested_domain",
      "certificate_expired_on", "certificate_valid_from", "certificate_names", "expected_name", "checked_at",
      "blocklists_listed", "blocklist_removal", "listed_address"};
  return names;
}

// --- Catalogue files ------------------------------------------------------

namespace {

std::string at(std::string_view source, const toml::node& node) {
  return std::string(source) + ":" + std::to_string(node.source().begin.line);
}

void parse_entries(const toml::table& table, const std::string& prefix, Catalogue& out,
                   std::vector<std::string>& errors) {
  for (const auto& [key, node] : table) {
    const std::string path = prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (path == "locale" || path == "dates") continue;
    if (const auto* sub = node.as_table()) {
      parse_entries(*sub, path, out, errors);
      continue;
    }
    std::vector<const toml::node*> strings;
    if (const auto* array = node.as_array()) {
      for (const auto& element : *array) strings.push_back(&element);
    } else {
      strings.push_back(&node);
    }
    std::vector<Template> templates;
    for (const auto* element : strings) {
      const auto* s = element->as_string();
      if (!s) {
        errors.push_back(at(out.source, *element) + ": " + path + " must be a string or an array of strings");
        continue;
      }
      std::string error;
      auto parsed = Template::parse(s->get(), error);
      if (!parsed) {
        errors.push_back(at(out.source, *element) + ": " + path + ": " + error);
        continue;
      }
      templates.push_back(std::move(*parsed));
    }
    out.lines[path] = static_cast<int>(node.source().begin.line);
    out.entries[path] = std::move(templates);
  }
}

std::optional<DateNames> parse_dates(const toml::table& root, std::string_view source, std::vector<std::string>& errors) {
  const auto* dates = root["dates"].as_table();
  if (!dates) return std::nullopt;
  DateNames names;
  const auto strings = [&](std::string_view key, std::size_t count, std::vector<std::string>& out) {
    const auto* array = (*dates)[key].as_array();
    if (!array || array->size() != count) {
      errors.push_back(at(source, *dates) + ": dates." + std::string(key) + " must list " + std::to_string(count) +
                       " names");
      return;
    }
    for (const auto& element : *array) out.push_back(element.value_or(std::string()));
  };
  strings("months", 12, names.months);
  strings("weekdays", 7, names.weekdays);
  names.datetime = (*dates)["datetime"].value_or(std::string());
  names.near = (*dates)["near"].value_or(std::string());
  names.am = (*dates)["am"].value_or(std::string());
  names.pm = (*dates)["pm"].value_or(std::string());
  if (names.datetime.empty()) errors.push_back(at(source, *dates) + ": dates.datetime is missing");
  return names;
}

std::optional<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Entries an override may add on top of a shipped catalogue.
void merge_into(Catalogue& base, Catalogue&& override_catalogue) {
  for (auto& [key, value] : override_catalogue.entries) {
    base.entries[key] = std::move(value);
    base.lines[key] = override_catalogue.lines[key];
  }
  if (override_catalogue.dates) base.dates = std::move(override_catalogue.dates);
  if (!override_catalogue.name.empty()) base.name = override_catalogue.name;
  if (!override_catalogue.fallback.empty()) base.fallback = override_catalogue.fallback;
}

}  // namespace

std::optional<Catalogue> parse_catalogue(std::string_view toml_text, std::string_view source,
                                         std::vector<std::string>& errors) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source);
  } catch (const toml::parse_error& e) {
    errors.push_back(std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " +
                     std::string(e.description()));
    return std::nullopt;
  }
  Catalogue c;
  c.source = std::string(source);
  const auto* locale = root["locale"].as_table();
  if (!locale || !(*locale)["tag"].is_string()) {
    errors.push_back(std::string(source) + ":1: [locale] with a tag is required");
    return std::nullopt;
  }
  c.tag = (*locale)["tag"].value_or(std::string());
  c.name = (*locale)["name"].value_or(std::string());
  c.fallback = (*locale)["fallback"].value_or(std::string());
  c.dates = parse_dates(root, source, errors);
  if (const auto* plurals = (*locale)["plurals"].as_string()) {
    c.plurals = plural_rule_named(plurals->get());
    if (!c.plurals)
      errors.push_back(at(source, *plurals) + ": [locale] plurals must be one of \"one\", \"zero-one\", "
                       "\"east-slavic\", \"polish\", \"none\"");
  }
  parse_entries(root, "", c, errors);
  return c;
}

// --- CatalogueSet -----------------------------------------------------------

std::unique_ptr<CatalogueSet> CatalogueSet::from_texts(const std::vector<std::pair<std::string, std::string>>& files,
                                                       std::vector<std::string>& errors) {
  auto set = std::unique_ptr<CatalogueSet>(new CatalogueSet());
  const auto before = errors.size();
  for (const auto& [source, text] : files) {
    auto catalogue = parse_catalogue(text, source, errors);
    if (!catalogue) continue;
    const auto stem = std::filesystem::path(source).stem().string();
    if (stem != catalogue->tag) {
      errors.push_back(source + ":1: the tag \"" + catalogue->tag + "\" does not match the file name");
      continue;
    }
    auto it = set->locales_.find(catalogue->tag);
    if (it == set->locales_.end()) {
      set->locales_.emplace(catalogue->tag, std::move(*catalogue));
    } else {
      merge_into(it->second, std::move(*catalogue));
    }
  }
  if (!set->locales_.count("en")) errors.push_back("the English catalogue (en) is missing");
  for (const auto& [tag, catalogue] : set->locales_) {
    if (!catalogue.fallback.empty() && !set->locales_.count(catalogue.fallback))
      errors.push_back(catalogue.source + ":1: fallback \"" + catalogue.fallback + "\" is not a known locale");
    if (!catalogue.dates && tag == "en") errors.push_back(catalogue.source + ":1: [dates] is missing");
  }
  if (errors.size() != before) return nullptr;
  set->index_locales();
  return set;
}

std::unique_ptr<CatalogueSet> CatalogueSet::load(const std::string& override_directory,
                                                 std::vector<std::string>& errors) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& locale : builtin_locales()) files.emplace_back(std::string(locale.file), std::string(locale.text));
  if (!override_directory.empty()) {
    std::error_code ec;
    if (!std::filesystem::is_directory(override_directory, ec)) {
      errors.push_back(override_directory + ": the templates directory does not exist");
      return nullptr;
    }
    std::vector<std::filesystem::path> paths;
    for (const auto& entry : std::filesystem::directory_iterator(override_directory, ec))
      if (entry.path().extension() == ".toml") paths.push_back(entry.path());
    std::sort(paths.begin(), paths.end());
    for (const auto& path : paths) {
      auto text = read_file(path);
      if (!text) {
        errors.push_back(path.string() + ": cannot be read");
        continue;
      }
      files.emplace_back(path.string(), std::move(*text));
    }
  }
  return from_texts(files, errors);
}

bool CatalogueSet::has_locale(std::string_view tag) const { return locales_.find(tag) != locales_.end(); }

// The key of tags_by_lower_case_: ASCII only, whatever the C locale says.
using dsn::detail::to_lower;

std::string_view CatalogueSet::tag_spelled(std::string_view tag) const {
  const auto it = tags_by_lower_case_.find(to_lower(tag));
  return it == tags_by_lower_case_.end() ? std::string_view() : std::string_view(it->second);
}

std::vector<std::string> CatalogueSet::tags() const {
  std::vector<std::string> out;
  for (const auto& [tag, catalogue] : locales_) out.push_back(tag);
  return out;
}

// What every notice looks up, worked out once: each locale's chain, and its
// tag by lower-case spelling.
void CatalogueSet::index_locales() {
  for (const auto& [tag, catalogue] : locales_) tags_by_lower_case_.emplace(to_lower(tag), tag);
  const auto en = locales_.find(std::string_view("en"));
  if (en != locales_.end()) english_only_ = {&en->second};
  for (const auto& [tag, catalogue] : locales_) {
    std::vector<const Catalogue*> out;
    for (auto it = locales_.find(tag); it != locales_.end() && out.size() < 8;
         it = locales_.find(it->second.fallback)) {
      if (std::find(out.begin(), out.end(), &it->second) != out.end()) break;  // a fallback loop
      out.push_back(&it->second);
      if (it->second.fallback.empty()) break;
    }
    if (en != locales_.end() && std::find(out.begin(), out.end(), &en->second) == out.end())
      out.push_back(&en->second);
    chains_.emplace(tag, std::move(out));
  }
  const auto resolve = [](const std::vector<const Catalogue*>& chain) {
    Resolved keys;
    for (const Catalogue* catalogue : chain)
      for (const auto& [key, templates] : catalogue->entries) keys.emplace(key, &templates);  // the first one stays
    return keys;
  };
  for (const auto& [tag, chain] : chains_) resolved_.emplace(tag, resolve(chain));
  english_resolved_ = resolve(english_only_);
}

const std::vector<const Catalogue*>& CatalogueSet::chain(std::string_view tag) const {
  const auto it = chains_.find(tag);
  return it == chains_.end() ? english_only_ : it->second;
}

const std::vector<Template>* CatalogueSet::find(std::string_view tag, std::string_view key) const {
  return entries(tag).find(key);
}

CatalogueSet::Entries CatalogueSet::entries(std::string_view tag) const {
  const auto locale = resolved_.find(tag);
  return Entries(locale == resolved_.end() ? english_resolved_ : locale->second);
}

const std::vector<Template>* CatalogueSet::Entries::find(std::string_view key) const {
  const auto it = keys_->find(key);
  return it == keys_->end() ? nullptr : it->second;
}

std::optional<PluralRule> plural_rule_named(std::string_view name) {
  if (name == "one") return PluralRule::one;
  if (name == "zero-one") return PluralRule::zero_one;
  if (name == "east-slavic") return PluralRule::east_slavic;
  if (name == "polish") return PluralRule::polish;
  if (name == "none") return PluralRule::none;
  return std::nullopt;
}

std::string_view plural_form(PluralRule rule, std::size_t count) {
  const std::size_t last = count % 10, last_two = count % 100;
  const bool few = last >= 2 && last <= 4 && (last_two < 12 || last_two > 14);
  switch (rule) {
    case PluralRule::one: return count == 1 ? "one" : "other";
    case PluralRule::zero_one: return count <= 1 ? "one" : "other";
    case PluralRule::east_slavic: return last == 1 && last_two != 11 ? "one" : few ? "few" : "many";
    case PluralRule::polish: return count == 1 ? "one" : few ? "few" : "many";
    case PluralRule::none: return "other";
  }
  return "other";
}

PluralRule CatalogueSet::plurals(std::string_view tag) const {
  for (const auto* catalogue : chain(tag))
    if (catalogue->plurals) return *catalogue->plurals;
  return PluralRule::one;
}

std::string CatalogueSet::counted_key(std::string_view tag, std::string_view key, std::size_t count) const {
  std::string form(key);
  form += '.';
  form += plural_form(plurals(tag), count);
  if (find(tag, form)) return form;
  return std::string(key) + ".other";
}

const std::vector<Template>* CatalogueSet::find_counted(std::string_view tag, std::string_view key,
                                                        std::size_t count) const {
  return find(tag, counted_key(tag, key, count));
}

const DateNames* CatalogueSet::dates(std::string_view tag) const {
  for (const auto* catalogue : chain(tag))
    if (catalogue->dates) return &*catalogue->dates;
  return nullptr;
}

const std::vector<std::string>& required_frame_keys() {
  static const std::vector<std::string> keys = {
      "subject.failed",          "subject.delayed",         "subject.delivered",
      "action.failed.lead",      "action.delayed.lead",     "action.delayed.lead_cause",
      "action.delayed.retry",    "action.delayed.retry_unknown", "action.delayed.retry_remote",
      "action.delayed.retry_unknown_remote",                "action.delivered.lead",
      "action.relayed.lead",     "action.expanded.lead",    "action.failed.technical",
      "action.delayed.technical", "action.delivered.technical", "action.relayed.technical",
      "action.expanded.technical", "who.sender",
      "who.sender-admin",        "who.recipient",           "who.recipient-admin",
      "who.nobody",              "fix.sender",              "fix.sender-admin",       "fix.recipient",
      "fix.recipient-admin",     "fix.nobody",              "text.greeting",           "text.summary_item",
      "text.summary_addresses",
      "text.remote_said",        "text.remote_claimed",     "text.reporter_said",     "text.remote_notice",
      "text.backscatter",        "text.system_said",        "text.urgent",
      "text.forward",            "text.technical",          "text.technical_separator", "text.technical_status",
      "text.technical_answer",   "text.technical_server",   "text.technical_reported_by",
      "text.technical_arrival",  "text.technical_retry",   "text.technical_checked",  "text.attached_message",  "text.attached_headers",  "text.attached_report",  "text.closing",
      "text.signature",          "text.intro_limited",      "text.more_failed",       "text.more_delayed",
      "text.more_delivered",     "text.more_cause",         "text.list_separator",    "text.thousands_separator",
      "text.technical_more"};
  return keys;
}

const std::vector<std::string>& counted_frame_keys() {
  static const std::vector<std::string> keys = {"text.summary_failed", "text.summary_delayed",
                                                "text.summary_delivered", "text.summary_others"};
  return keys;
}

std::vector<std::string_view> plural_forms(PluralRule rule) {
  switch (rule) {
    case PluralRule::one:
    case PluralRule::zero_one: return {"one", "other"};
    case PluralRule::east_slavic:
    case PluralRule::polish: return {"one", "few", "many"};
    case PluralRule::none: return {"other"};
  }
  return {"other"};
}

std::vector<std::string> required_category_keys(std::string_view category_id) {
  const std::string base = "category." + std::string(category_id) + ".";
  return {base + "label", base + "what", base + "why", base + "fix"};
}

void CatalogueSet::check_complete(const std::vector<std::string>& category_ids,
                                  const std::vector<std::string>& more_keys, std::vector<std::string>& errors) const {
  std::vector<std::string> keys = required_frame_keys();
  keys.insert(keys.end(), more_keys.begin(), more_keys.end());
  for (const auto& id : category_ids)
    for (auto& key : required_category_keys(id)) keys.push_back(std::move(key));
  for (const auto& [tag, catalogue] : locales_) {
    for (const auto& key : keys) {
      if (!find(tag, key)) errors.push_back(catalogue.source + ": " + tag + " has no \"" + key + "\"");
    }
    // A count's every form the locale's plural rule can ask for.
    for (const auto& key : counted_frame_keys())
      for (const auto form : plural_forms(plurals(tag)))
        if (!find(tag, key + "." + std::string(form)))
          errors.push_back(catalogue.source + ": " + tag + " has no \"" + key + "." + std::string(form) + "\"");
    for (const auto& [key, templates] : catalogue.entries) {
      if (key.size() > 4 && key.compare(key.size() - 4, 4, ".fix") == 0 && templates.size() > 3)
        errors.push_back(catalogue.source + ":" + std::to_string(catalogue.lines.at(key)) + ": " + key +
                         " has more than three steps");
      if (key.rfind("category.", 0) == 0) {
        const auto id = key.substr(9, key.rfind('.') - 9);
        if (std::find(category_ids.begin(), category_ids.end(), id) == category_ids.end())
          errors.push_back(catalogue.source + ":" + std::to_string(catalogue.lines.at(key)) + ": \"" + id +
                           "\" is not a category of the rule set");
      }
    }
  }
}

void CatalogueSet::check_same_keys_as_english(std::vector<std::string>& errors) const {
  const auto en = locales_.find(std::string_view("en"));
  if (en == locales_.end()) return;
  for (const auto& [tag, catalogue] : locales_) {
    if (tag == "en" || !catalogue.fallback.empty()) continue;  // regional variants rely on their fallback
    for (const auto& [key, templates] : en->second.entries) {
      // A count's forms are the locale's own ("one", "few", "many"...):
      // check_complete() asks for them by its plural rule.
      const std::string_view name = key;  // a structured binding cannot be captured (clang 14)
      const auto counted = std::find_if(counted_frame_keys().begin(), counted_frame_keys().end(),
                                        [name](const std::string& base) {
                                          return name.size() > base.size() && name.starts_with(base) &&
                                                 name[base.size()] == '.';
                                        });
      if (counted != counted_frame_keys().end()) continue;
      if (!catalogue.entries.count(key)) errors.push_back(catalogue.source + ": " + tag + " lacks \"" + key + "\"");
    }
  }
}

void CatalogueSet::check_optional_facts(std::vector<std::string>& errors) const {
  static constexpr std::string_view kOptional[] = {"remote_host", "remote_ip", "blocklist", "size_limit",
                                                   "reporting_mta"};
  for (const auto& [tag, catalogue] : locales_)
    for (const auto& [key, templates] : catalogue.entries)
      for (const auto& t : templates)
        for (const auto& name : t.required_placeholders())
          if (std::find(std::begin(kOptional), std::end(kOptional), name) != std::end(kOptional))
            errors.push_back(catalogue.source + ":" + std::to_string(catalogue.lines.at(key)) + ": " + key + ": {" +
                             name + "} is not always known; write it inside an optional group {? ?}");
}

}  // namespace clearbounce::templates
