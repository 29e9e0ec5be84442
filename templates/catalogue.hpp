// Message catalogues: the texts of every locale (templates/FORMAT.md), loaded
// and checked once, then looked up along a locale's fallback chain.
#pragma once

#include <map>
#include <unordered_map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::templates {

// Placeholder values for one rendering; missing or empty means unknown.
using Values = std::map<std::string, std::string, std::less<>>;

// A parsed template string: literals, {placeholders} and {? optional ?} groups.
class Template {
 public:
  // Parses `text`. On error returns nullopt and sets `error` (what is wrong).
  static std::optional<Template> parse(std::string_view text, std::string& error);

  // Renders with `values`; `escape` is applied to every piece (literal or
  // value) so that HTML output escapes everything alike.
  std::string render(const Values& values, std::string (*escape)(std::string_view) = nullptr) const;

  // Writes `text` (escaped, for HTML) at the end of `out`.
  using AppendEscaped = void (*)(std::string& out, std::string_view text);
  // The same rendering appended to `out`, each piece escaped in place by
  // `escape` when given: a notice renders a hundred templates, and a string
  // per template and per escaped piece cost more than the text itself.
  void render_into(std::string& out, const Values& values, AppendEscaped escape = nullptr) const;

  const std::vector<std::string>& placeholders() const { return placeholders_; }
  // Those of them written outside any {? ?} group: the text needs their value.
  const std::vector<std::string>& required_placeholders() const { return required_placeholders_; }
  bool empty() const { return pieces_.empty(); }

 private:
  struct Piece {
    enum class Kind { literal, placeholder, group_begin, group_end } kind;
    std::string text;
  };
  template <typename Append>
  void render_pieces(std::string& out, const Values& values, Append append) const;

  std::vector<Piece> pieces_;
  std::vector<std::string> placeholders_;
  std::vector<std::string> required_placeholders_;
};

// The placeholder names templates may use (FORMAT.md).
const std::vector<std::string_view>& known_placeholders();

struct DateNames {
  std::vector<std::string> months;    // 12
  std::vector<std::string> weekdays;  // 7, Monday first
  std::string datetime;               // pattern, see FORMAT.md
  // For a date less than a week after the report's own date: the weekday
  // and time are enough ("Friday 14:00"). Empty: `datetime` serves.
  std::string near;
  std::string am, pm;
};

// How a language picks the form of a word for a count (CLDR's cardinal
// rules, for whole numbers): the forms are "one", "few", "many" and "other".
enum class PluralRule {
  one,          // one for 1, other otherwise (English, German, Spanish, ...)
  zero_one,     // one for 0 and 1 (French, Portuguese)
  east_slavic,  // one 1, 21, 31...; few 2-4, 22-24...; many the rest (Russian, Ukrainian)
  polish,       // one 1; few 2-4, 22-24...; many the rest
  none,         // other always (Japanese, Chinese, Korean)
};
// The forms a rule can ask for ("one" and "other"; "one", "few" and "many"; "other").
std::vector<std::string_view> plural_forms(PluralRule rule);
// The rule named in a catalogue's [locale] plurals ("one", "zero-one",
// "east-slavic", "polish", "none"), or nullopt.
std::optional<PluralRule> plural_rule_named(std::string_view name);
// The form `rule` takes for `count`.
std::string_view plural_form(PluralRule rule, std::size_t count);

// One locale's file, as written: entries keyed by their dotted path
// ("action.failed.lead", "category.recipient.unknown.fix"). Array entries
// hold several templates.
struct Catalogue {
  std::string tag;
  std::string name;
  std::string fallback;
  std::optional<DateNames> dates;
  std::optional<PluralRule> plurals;  // [locale] plurals; from the fallback when not given
  std::map<std::string, std::vector<Template>, std::less<>> entries;
  std::map<std::string, int, std::less<>> lines;  // where each entry was written, for messages
  std::string source;                             // file name, for messages
};

// Parses a catalogue. Problems are appended to `errors` as "file:line: ...";
// returns nullopt when the file cannot be used at all.
std::optional<Catalogue> parse_catalogue(std::string_view toml, std::string_view source,
                                         std::vector<std::string>& errors);

// All locales: the shipped ones, each optionally overridden by an
// administrator's file with the same tag.
class CatalogueSet {
 public:
  CatalogueSet(const CatalogueSet&) = delete;  // chains point into locales_
  CatalogueSet& operator=(const CatalogueSet&) = delete;
  // Loads the shipped catalogues (built into the program) and, when
  // `override_directory` is not empty, every <tag>.toml in it. Returns null
  // and fills `errors` when anything is wrong.
  static std::unique_ptr<CatalogueSet> load(const std::string& override_directory, std::vector<std::string>& errors);
  // For tests and lint: catalogues given as (source name, text) pairs.
  static std::unique_ptr<CatalogueSet> from_texts(const std::vector<std::pair<std::string, std::string>>& files,
                                                  std::vector<std::string>& errors);

  bool has_locale(std::string_view tag) const;
  // The catalogue's spelling of `tag`, compared without regard to ASCII
  // case ("pt-br" -> "pt-BR"), or "".
  std::string_view tag_spelled(std::string_view tag) const;
  std::vector<std::string> tags() const;

  // The chain of catalogues consulted for `tag`: itself, its fallback, ...
  // ending with "en" (only "en" for a tag not in tags()). Worked out once,
  // when the set is loaded: a notice looks up dozens of entries.
  const std::vector<const Catalogue*>& chain(std::string_view tag) const;

  // The first of the chain's entries for `key`, or null.
  const std::vector<Template>* find(std::string_view tag, std::string_view key) const;

  // Every key of one tag's chain, looked up as find(tag, key) does without
  // finding the tag again: a notice looks up dozens of keys in one locale.
  class Entries {
   public:
    const std::vector<Template>* find(std::string_view key) const;

   private:
    friend class CatalogueSet;
    using Resolved = std::unordered_map<std::string_view, const std::vector<Template>*>;
    explicit Entries(const Resolved& keys) : keys_(&keys) {}
    const Resolved* keys_;
  };
  // Valid as long as the set.
  Entries entries(std::string_view tag) const;
  const DateNames* dates(std::string_view tag) const;
  // The plural rule of the locale (through its chain); `one` when none says.
  PluralRule plurals(std::string_view tag) const;
  // The key `key` + "." + the form `count` takes ("text.summary_failed.few"),
  // or its "other" form when the locale has no such form; and that entry
  // (null when neither exists).
  std::string counted_key(std::string_view tag, std::string_view key, std::size_t count) const;
  const std::vector<Template>* find_counted(std::string_view tag, std::string_view key, std::size_t count) const;

  // Checks completeness against the category ids: every locale must have,
  // through its chain, every required key. Problems go to `errors`.
  // Every entry the frame and these categories need, and `more_keys`
  // (entries the rule set's data asks for, such as "fix_likely.<who>").
  void check_complete(const std::vector<std::string>& category_ids, const std::vector<std::string>& more_keys,
                      std::vector<std::string>& errors) const;
  // Stricter, for shipped locales: every key of "en" present in the locale's own file.
  void check_same_keys_as_english(std::vector<std::string>& errors) const;
  // Facts that are often unknown or left out ({remote_host}, {remote_ip},
  // {blocklist}, {size_limit}, {reporting_mta}) must sit inside {? ?}, so that
  // a missing value never leaves a broken sentence.
  void check_optional_facts(std::vector<std::string>& errors) const;

 private:
  CatalogueSet() = default;
  void index_locales();

  std::map<std::string, Catalogue, std::less<>> locales_;  // merged: shipped + override
  std::map<std::string, std::vector<const Catalogue*>, std::less<>> chains_;  // tag -> chain()
  std::vector<const Catalogue*> english_only_;                               // chain() of other tags
  // Every key reachable through a chain, with the entry that serves it (the
  // first along the chain): what find() answers, one hash lookup a key.
  using Resolved = Entries::Resolved;
  std::map<std::string, Resolved, std::less<>> resolved_;  // tag -> its keys
  Resolved english_resolved_;                              // keys of other tags
  std::map<std::string, std::string, std::less<>> tags_by_lower_case_;
};

// Entries that must exist (through the fallback chain) for a category id.
std::vector<std::string> required_category_keys(std::string_view category_id);
// Entries of the frame that must exist.
const std::vector<std::string>& required_frame_keys();
// The frame's entries that take a count: each has a form per plural form
// of the locale ("text.summary_failed.one", ".other").
const std::vector<std::string>& counted_frame_keys();

}  // namespace clearbounce::templates
