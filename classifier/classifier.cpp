#include "classifier/classifier.hpp"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>
#include <unordered_map>

#include <toml++/toml.h>

#include "classifier/pattern_set.hpp"
#include "classifier/rules_image.hpp"
#include "classifier/text.hpp"
#include "dsn/ascii.hpp"
#include "dsn/lazy_regex.hpp"

namespace clearbounce::classifier {

extern const std::string_view builtin_rules_image;  // rules_image.hpp, written at build time

std::string_view to_string(WhoCanFix who) {
  switch (who) {
    case WhoCanFix::sender: return "sender";
    case WhoCanFix::sender_admin: return "sender-admin";
    case WhoCanFix::recipient: return "recipient";
    case WhoCanFix::recipient_admin: return "recipient-admin";
    case WhoCanFix::nobody: return "nobody";
  }
  return "sender-admin";
}

namespace {

std::optional<WhoCanFix> who_from_string(std::string_view s) {
  if (s == "sender") return WhoCanFix::sender;
  if (s == "sender-admin") return WhoCanFix::sender_admin;
  if (s == "recipient") return WhoCanFix::recipient;
  if (s == "recipient-admin") return WhoCanFix::recipient_admin;
  if (s == "nobody") return WhoCanFix::nobody;
  return std::nullopt;
}

// Mail's codes and addresses are ASCII: the C library's locale must not
// decide their case.
using dsn::detail::ascii_lower;
using dsn::detail::is_ascii_alnum;

// The shipped rules' host and fact patterns are checked by the tests, which
// load the same file as an administrator's (ClassifierLoad in
// test_classifier.cpp): their regexes are built when first needed.
using dsn::detail::LazyRegex;

// A wording rule: any of its patterns matching the diagnostic names its category.
struct WordingRule {
  std::size_t category = 0;  // index into categories
  std::string reason;        // empty: the category's reason
  // For wordings that only mean "no such user" when given in answer to RCPT
  // TO: answered to the message itself, they come from a content filter.
  std::string reason_after_data;
  // Generic wording ("rejected", "denied") that yields to a specific status code.
  bool weak = false;
  // A footer or banner ("scanned for viruses"): never decides; where it is
  // found, this rule's category is no evidence in the same text.
  bool banner = false;
  std::string source;  // "rules.toml:123", for Classification::decided_by
  // Provider conventions: the rule applies only when the remote, reporting
  // or recipient's host matches, and (if given) to errors at these commands.
  std::unique_ptr<LazyRegex> hosts;
  std::vector<std::string> commands;
};

// What a status or reply code alone says.
struct CodeMeaning {
  std::size_t category = 0;
  std::string reason;
  bool decisive = false;  // status codes so specific that they beat any wording
};

struct FactRule {
  std::string name;
  std::unique_ptr<LazyRegex> pattern;  // one capture group
};

}  // namespace

class RuleSet {
 public:
  std::vector<Category> categories;
  std::unordered_map<std::string, std::size_t> category_index;
  std::vector<WordingRule> rules;
  // The wording patterns, numbered 0.. (-> rule via pattern_rule), then
  // the facts' patterns: one pass over a text finds both.
  PatternSet patterns;
  std::vector<std::size_t> pattern_rule;
  std::unordered_map<std::string, CodeMeaning> status_codes;  // "5.1.1" or "x.1.1"
  std::unordered_map<std::string, CodeMeaning> reply_codes;   // "550"
  std::unordered_map<std::string, CodeMeaning> dialects;      // reporting software -> usual cause
  std::unordered_map<std::string, CodeMeaning> diagnostic_types;  // "x-unix" -> usual cause
  std::unordered_map<std::string, CodeMeaning> stages;        // SMTP command -> cause
  std::vector<std::size_t> stage_replaces;                    // categories a stage overrides
  std::string undecided_reason = "onhold";
  std::vector<FactRule> facts;
  std::size_t expired_category = 0;
  std::size_t unknown_category = 0;
  // [evidence] generic: categories that say little. A status or reply code
  // meaning one of them lets the rest of the report's text speak.
  std::vector<bool> generic_category;
  // [evidence] asides: how sentences open that speak beside the reply's
  // cause (advice, pointers to help); the causes they name never decide.
  std::vector<std::string> aside_openers;
};

namespace {

class LoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Where a rule file's nodes come from: its name and, for a tree rebuilt
// from the shipped rules' image (whose nodes have no source position), the
// line where each table began.
struct Origin {
  std::string_view name;
  const TableLines* table_lines = nullptr;
  // The shipped rules, whose host and fact patterns the tests check: their
  // regexes are built when first needed, not at load.
  bool checked_at_build = false;
};

std::string where(const Origin& source, const toml::node& node) {
  auto line = node.source().begin.line;
  if (source.table_lines)
    if (const auto it = source.table_lines->find(&node); it != source.table_lines->end()) line = it->second;
  return std::string(source.name) + ":" + std::to_string(line);
}

[[noreturn]] void fail(const Origin& source, const toml::node& node, const std::string& what) {
  throw LoadError(where(source, node) + ": " + what);
}

std::string required_string(const Origin& source, const toml::table& t, std::string_view key) {
  const auto* node = t.get(key);
  if (!node) fail(source, t, "missing key '" + std::string(key) + "'");
  const auto* s = node->as_string();
  if (!s) fail(source, *node, "'" + std::string(key) + "' must be a string");
  return s->get();
}

std::string optional_string(const Origin& source, const toml::table& t, std::string_view key) {
  const auto* node = t.get(key);
  if (!node) return {};
  const auto* s = node->as_string();
  if (!s) fail(source, *node, "'" + std::string(key) + "' must be a string");
  return s->get();
}

std::size_t category_ref(const Origin& source, const RuleSet& rs, const toml::node& node,
                         const std::string& id) {
  auto it = rs.category_index.find(id);
  if (it == rs.category_index.end()) fail(source, node, "unknown category '" + id + "'");
  return it->second;
}

void load_categories(const Origin& source, const toml::table& root, RuleSet& rs) {
  const auto* arr = root["category"].as_array();
  if (!arr || arr->empty()) fail(source, root, "no [[category]] tables");
  for (const auto& node : *arr) {
    const auto* t = node.as_table();
    if (!t) fail(source, node, "[[category]] must be a table");
    Category c;
    c.id = required_string(source, *t, "id");
    c.reason = required_string(source, *t, "reason");
    const auto who = who_from_string(required_string(source, *t, "who_can_fix"));
    if (!who) fail(source, *t, "who_can_fix must be sender, sender-admin, recipient, recipient-admin or nobody");
    c.who_can_fix = *who;
    c.who_is_likely = (*t)["who_is_likely"].value_or(false);
    c.temporary = (*t)["temporary"].value_or(false);
    c.severity = static_cast<int>((*t)["severity"].value_or(int64_t{0}));
    c.expires_when_final = (*t)["expires_when_final"].value_or(false);
    c.without_reply = (*t)["without_reply"].value_or(false);
    if (const auto look = (*t)["diagnose"].value<std::string>()) {
      if (*look == "domain") {
        c.open_cause = Category::OpenCause::domain;
      } else if (*look == "server") {
        c.open_cause = Category::OpenCause::server;
      } else if (*look == "blocklists") {
        c.open_cause = Category::OpenCause::blocklists;
      } else {
        fail(source, *t, "diagnose must be \"domain\", \"server\" or \"blocklists\"");
      }
    }
    if (rs.category_index.count(c.id)) fail(source, *t, "category '" + c.id + "' defined twice");
    rs.category_index.emplace(c.id, rs.categories.size());
    rs.categories.push_back(std::move(c));
  }
  for (const char* needed : {"delivery.expired", "unknown"}) {
    if (!rs.category_index.count(needed)) fail(source, root, std::string("category '") + needed + "' is required");
  }
  for (const auto& node : *arr) {
    const auto& t = *node.as_table();
    if (const auto* other = t.get("when_temporary")) {
      const auto* id = other->as_string();
      if (!id) fail(source, *other, "when_temporary must be a category id");
      rs.categories[rs.category_index.at(required_string(source, t, "id"))].when_temporary =
          category_ref(source, rs, *other, id->get());
    }
  }
  rs.expired_category = rs.category_index.at("delivery.expired");
  rs.unknown_category = rs.category_index.at("unknown");
}

void load_wording(const Origin& source, const toml::table& root, RuleSet& rs) {
  const auto* arr = root["rule"].as_array();
  if (!arr) fail(source, root, "no [[rule]] tables");
  for (const auto& node : *arr) {
    const auto* t = node.as_table();
    if (!t) fail(source, node, "[[rule]] must be a table");
    WordingRule rule;
    rule.category = category_ref(source, rs, *t, required_string(source, *t, "category"));
    rule.reason = optional_string(source, *t, "reason");
    rule.reason_after_data = optional_string(source, *t, "reason_after_data");
    rule.weak = (*t)["weak"].value_or(false);
    rule.banner = (*t)["banner"].value_or(false);
    rule.source = where(source, *t);
    if (const auto hosts = optional_string(source, *t, "hosts"); !hosts.empty()) {
      RE2::Options host_options;
      host_options.set_case_sensitive(false);
      host_options.set_log_errors(false);
      std::unique_ptr<RE2> checked;
      if (!source.checked_at_build) {
        checked = std::make_unique<RE2>(hosts, host_options);
        if (!checked->ok()) fail(source, *t, "bad hosts pattern: " + checked->error());
      }
      rule.hosts = std::make_unique<LazyRegex>(hosts, host_options, std::move(checked));
    }
    if (const auto* commands = (*t)["commands"].as_array()) {
      for (const auto& c : *commands) {
        const auto* name = c.as_string();
        if (!name) fail(source, c, "commands must be strings such as \"RCPT\" or \"DATA\"");
        rule.commands.push_back(name->get());
      }
    }
    const auto* patterns = (*t)["patterns"].as_array();
    if (!patterns || patterns->empty()) fail(source, *t, "rule needs a non-empty 'patterns' array");
    for (const auto& p : *patterns) {
      const auto* s = p.as_string();
      if (!s) fail(source, p, "patterns must be strings");
      std::string error;
      if (!rs.patterns.add(s->get(), error)) fail(source, p, "bad pattern: " + error);
      rs.pattern_rule.push_back(rs.rules.size());
    }
    rs.rules.push_back(std::move(rule));
  }
}

void load_codes(const Origin& source, const toml::table& root, std::string_view key,
                std::unordered_map<std::string, CodeMeaning>& out, const RuleSet& rs) {
  const auto* table = root[key].as_table();
  if (!table) return;
  for (const auto& [code, node] : *table) {
    CodeMeaning meaning;
    if (const auto* s = node.as_string()) {
      meaning.category = category_ref(source, rs, node, s->get());
    } else if (const auto* t = node.as_table()) {
      meaning.category = category_ref(source, rs, node, required_string(source, *t, "category"));
      meaning.reason = optional_string(source, *t, "reason");
      meaning.decisive = (*t)["decisive"].value_or(false);
    } else {
      fail(source, node, "code '" + std::string(code.str()) + "' must map to a category id or a table");
    }
    std::string k(code.str());
    std::transform(k.begin(), k.end(), k.begin(), ascii_lower);
    out.emplace(std::move(k), std::move(meaning));
  }
}

void load_facts(const Origin& source, const toml::table& root, RuleSet& rs) {
  const auto* arr = root["fact"].as_array();
  if (!arr) return;
  RE2::Options options;
  options.set_case_sensitive(false);
  options.set_log_errors(false);
  for (const auto& node : *arr) {
    const auto* t = node.as_table();
    if (!t) fail(source, node, "[[fact]] must be a table");
    FactRule fact;
    fact.name = required_string(source, *t, "name");
    const std::string pattern = required_string(source, *t, "pattern");
    std::unique_ptr<RE2> checked;
    if (!source.checked_at_build) {
      checked = std::make_unique<RE2>(pattern, options);
      if (!checked->ok()) fail(source, *t, "bad pattern: " + checked->error());
      if (checked->NumberOfCapturingGroups() != 1) fail(source, *t, "fact pattern needs exactly one capture group");
    }
    fact.pattern = std::make_unique<LazyRegex>(pattern, options, std::move(checked));
    // The set says which facts are there; only those are then extracted.
    std::string error;
    if (!rs.patterns.add(pattern, error, true)) fail(source, *t, "bad pattern: " + error);
    rs.facts.push_back(std::move(fact));
  }
}

// [evidence]: which categories are too generic to silence the report's
// text, and how the asides of a reply open.
void load_evidence(const Origin& source, const toml::table& root, RuleSet& rs) {
  rs.generic_category.assign(rs.categories.size(), false);
  rs.generic_category[rs.unknown_category] = true;
  if (const auto* generic = root["evidence"]["generic"].as_array()) {
    for (const auto& node : *generic) {
      const auto* id = node.as_string();
      if (!id) fail(source, node, "evidence.generic must list category ids");
      rs.generic_category[category_ref(source, rs, node, id->get())] = true;
    }
  }
  if (const auto* asides = root["evidence"]["asides"].as_array()) {
    for (const auto& node : *asides) {
      const auto* opener = node.as_string();
      if (!opener || opener->get().empty()) fail(source, node, "evidence.asides must list sentence openings");
      rs.aside_openers.push_back(opener->get());
    }
  }
}

// [stage]: what an error at a given SMTP command means when the wording and
// codes only gave a generic or address-related category.
void load_stages(const Origin& source, const toml::table& root, RuleSet& rs) {
  const auto* table = root["stage"].as_table();
  if (!table) return;
  if (const auto* replaces = (*table)["replaces"].as_array()) {
    for (const auto& node : *replaces) {
      const auto* id = node.as_string();
      if (!id) fail(source, node, "stage.replaces must list category ids");
      rs.stage_replaces.push_back(category_ref(source, rs, node, id->get()));
    }
  }
  for (const auto& [command, node] : *table) {
    if (command.str() == "replaces") continue;
    const auto* t = node.as_table();
    if (!t) fail(source, node, "stage." + std::string(command.str()) + " must be a table");
    CodeMeaning meaning;
    meaning.category = category_ref(source, rs, node, required_string(source, *t, "category"));
    meaning.reason = optional_string(source, *t, "reason");
    rs.stages.emplace(std::string(command.str()), std::move(meaning));
  }
}

std::unique_ptr<RuleSet> load_rules(const toml::table& root, const Origin& source) {
  auto rs = std::make_unique<RuleSet>();
  load_categories(source, root, *rs);
  load_wording(source, root, *rs);
  load_codes(source, root, "status", rs->status_codes, *rs);
  load_codes(source, root, "reply", rs->reply_codes, *rs);
  load_codes(source, root, "dialect", rs->dialects, *rs);
  load_codes(source, root, "diagnostic_type", rs->diagnostic_types, *rs);
  load_stages(source, root, *rs);
  load_evidence(source, root, *rs);
  load_facts(source, root, *rs);
  if (!rs->patterns.compile()) fail(source, root, "the wording patterns do not fit in memory");
  return rs;
}

std::unique_ptr<RuleSet> parse_rules(std::string_view toml_text, std::string_view name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, name);
  } catch (const toml::parse_error& e) {
    throw LoadError(std::string(name) + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
  return load_rules(root, Origin{name});
}

const CodeMeaning* find_status(const RuleSet& rs, std::string_view status) {
  if (status.size() < 5) return nullptr;
  if (auto it = rs.status_codes.find(std::string(status)); it != rs.status_codes.end()) return &it->second;
  // "x.1.1": the subject and detail, whatever the class.
  std::string generic = "x" + std::string(status.substr(1));
  if (auto it = rs.status_codes.find(generic); it != rs.status_codes.end()) return &it->second;
  return nullptr;
}

bool is_success(const dsn::RecipientReport& r) {
  return r.action == "delivered" || r.action == "relayed" || r.action == "expanded" ||
         (!r.status.empty() && r.status[0] == '2');
}

// True when `text` (prepared for matching) has words besides masked addresses.
bool has_words(std::string_view text) {
  constexpr std::string_view mask = "<address>";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, mask.size(), mask) == 0) {
      i += mask.size() - 1;
      continue;
    }
    if (is_ascii_alnum(text[i]) || static_cast<unsigned char>(text[i]) >= 0x80) return true;
  }
  return false;
}

// The RCPT or MAIL stage: an error here concerns the address itself.
bool at_envelope_stage(std::string_view command) { return command == "RCPT" || command == "MAIL"; }

}  // namespace

Classifier::Classifier(std::unique_ptr<RuleSet> rules) : rules_(std::move(rules)) {}
Classifier::~Classifier() = default;

std::unique_ptr<Classifier> Classifier::load_text(std::string_view toml_text, std::string_view source_name,
                                                  std::string& error) {
  try {
    return std::unique_ptr<Classifier>(new Classifier(parse_rules(toml_text, source_name)));
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

std::unique_ptr<Classifier> Classifier::load_file(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the rule file";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_text(text.str(), path, error);
}

std::unique_ptr<Classifier> Classifier::builtin(std::string& error) {
  const auto tree = decode_rules_image(builtin_rules_image);
  if (!tree) {
    error = "rules.toml (built in): the program's image of the rules is damaged";
    return nullptr;
  }
  try {
    return std::unique_ptr<Classifier>(
        new Classifier(load_rules(tree->root, Origin{"rules.toml (built in)", &tree->table_lines, true})));
  } catch (const std::exception& e) {
    error = e.what();
  }
  return nullptr;
}

const std::vector<Category>& Classifier::categories() const { return rules_->categories; }

std::vector<std::string> Classifier::patterns_tried_on_every_text() const {
  return rules_->patterns.tried_on_every_text();
}

const Category* Classifier::find_category(std::string_view id) const {
  auto it = rules_->category_index.find(std::string(id));
  return it == rules_->category_index.end() ? nullptr : &rules_->categories[it->second];
}

namespace {

// The patterns of `text` that match: wording and facts, in one pass.
std::vector<int> matching_patterns(const RuleSet& rs, std::string_view text) {
  std::vector<int> matched;
  if (!text.empty()) rs.patterns.match(text, matched);
  return matched;
}

// `matched` in increasing order: facts are read in the order the rule file
// lists them, and the first one found for a name wins.
void collect_facts(const RuleSet& rs, const std::string& text, const std::vector<int>& matched,
                   const dsn::RecipientReport& r, const dsn::BounceReport& report,
                   std::map<std::string, std::string>& facts) {
  const auto first_fact = static_cast<int>(rs.pattern_rule.size());
  for (auto it = std::lower_bound(matched.begin(), matched.end(), first_fact); it != matched.end(); ++it) {
    const FactRule& fact = rs.facts[static_cast<std::size_t>(*it - first_fact)];
    if (facts.count(fact.name)) continue;
    std::string value;
    if (RE2::PartialMatch(text, fact.pattern->get(), &value) && !value.empty()) facts.emplace(fact.name, value);
  }
  if (!r.remote_mta.empty()) facts["remote_host"] = r.remote_mta;
  if (!r.remote_ip.empty()) facts["remote_ip"] = r.remote_ip;
  if (!r.will_retry_until.empty()) facts["retry_until"] = r.will_retry_until;
  if (!r.smtp_command.empty()) facts["smtp_command"] = r.smtp_command;
  if (!report.reporting_mta.empty()) facts["reporting_mta"] = report.reporting_mta;
  if (!report.dialect.empty()) facts["reporting_software"] = report.dialect;
}

// A provider's rule applies only to its hosts, a stage's rule only to its commands.
bool applies(const WordingRule& rule, const dsn::RecipientReport& r, const dsn::BounceReport& report) {
  if (rule.hosts) {
    const std::string_view domain = std::string_view(r.recipient).substr(r.recipient.rfind('@') + 1);
    const RE2& hosts = rule.hosts->get();
    if (!RE2::PartialMatch(r.remote_mta, hosts) && !RE2::PartialMatch(report.reporting_mta, hosts) &&
        !RE2::PartialMatch(domain, hosts))
      return false;
  }
  return rule.commands.empty() ||
         std::find(rule.commands.begin(), rule.commands.end(), r.smtp_command) != rule.commands.end();
}

struct WordingMatch {
  const WordingRule* rule = nullptr;
  const WordingRule* expired_cause = nullptr;  // when `rule` says "gave up": the cause it names, if any
  bool said_gave_up = false;  // "gave up" was said too, and `rule` is the cause it named
  std::string_view evidence;  // which text it was found in (see classifier/README.md)
};

// True when a banner rule for `category` matched the same text.
bool discounted(const std::vector<std::size_t>& banners, std::size_t category) {
  return std::find(banners.begin(), banners.end(), category) != banners.end();
}

// Calls `with_rule` with the rule of each pattern among `matched` (facts
// are not rules), without a list of them to allocate.
template <typename WithRule>
void for_each_matched_rule(const RuleSet& rs, const std::vector<int>& matched, WithRule with_rule) {
  for (const int pattern : matched)
    if (static_cast<std::size_t>(pattern) < rs.pattern_rule.size())
      with_rule(rs.pattern_rule[static_cast<std::size_t>(pattern)]);
}

// The rule that decides for a text whose patterns `matched`: specific
// wording before generic (weak) wording, and within each the rule listed first.
WordingMatch best_rule(const RuleSet& rs, const std::vector<int>& matched, const dsn::RecipientReport& r,
                       const dsn::BounceReport& report, std::string_view evidence) {
  WordingMatch out;
  out.evidence = evidence;
  std::vector<std::size_t> banners;  // categories a footer or banner in this text speaks of
  for_each_matched_rule(rs, matched, [&](std::size_t index) {
    if (const auto& rule = rs.rules[index]; rule.banner) banners.push_back(rule.category);
  });
  const std::size_t none = rs.rules.size();
  std::size_t best = none, best_weak = none, best_not_expired = none;
  for_each_matched_rule(rs, matched, [&](std::size_t index) {
    const WordingRule& rule = rs.rules[index];
    if (rule.banner || discounted(banners, rule.category) || !applies(rule, r, report)) return;
    if (rule.weak) {
      best_weak = std::min(best_weak, index);
      return;
    }
    best = std::min(best, index);
    if (rule.category != rs.expired_category) best_not_expired = std::min(best_not_expired, index);
  });
  if (best == none) {
    if (best_weak != none) out.rule = &rs.rules[best_weak];
    return out;
  }
  out.rule = &rs.rules[best];
  if (best_not_expired != none && rs.rules[best].category == rs.expired_category) {
    const WordingRule& other = rs.rules[best_not_expired];
    // "Gave up" stays the outcome unless the cause named is more than a
    // network failure, which only ever ends in giving up.
    if (!rs.categories[other.category].expires_when_final) {
      out.rule = &other;
      out.said_gave_up = true;
    } else {
      out.expired_cause = &other;
    }
  }
  return out;
}

bool is_specific(const WordingMatch& m) { return m.rule && !m.rule->weak; }

// The paragraphs of the human part that name the recipient: what the
// report says about this recipient in particular.
std::string paragraphs_naming(std::string_view text, std::string_view address) {
  std::string out;
  if (address.empty()) return out;
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = text.find("\n\n", pos);
    if (end == std::string_view::npos) end = text.size();
    const auto paragraph = text.substr(pos, end - pos);
    const auto hit = std::search(paragraph.begin(), paragraph.end(), address.begin(), address.end(),
                                 [](char a, char b) { return ascii_lower(a) == ascii_lower(b); });
    if (hit != paragraph.end()) out.append(paragraph).push_back('\n');
    pos = end + 2;
  }
  return out;
}

// The human text, when the recipient's own diagnostic and codes said
// nothing specific: first the paragraphs about this recipient, then the
// rest. Text after the report never gets here (dsn::RecipientReport::context
// ends where the returned message begins), and banners are discounted.
WordingMatch match_human_text(const RuleSet& rs, const dsn::RecipientReport& r, const dsn::BounceReport& report) {
  if (r.context.empty()) return {};
  const std::string context(std::string_view(r.context).substr(0, 4 * dsn::kMaxExaminedDiagnosticBytes));
  const std::string about = paragraphs_naming(context, r.recipient);
  WordingMatch own;
  if (!about.empty() && about.size() < context.size()) {
    own = best_rule(rs, matching_patterns(rs, text_for_matching(about)), r, report,
                    "the report's text about the recipient");
    if (is_specific(own)) return own;
  }
  auto rest = best_rule(rs, matching_patterns(rs, text_for_matching(context)), r, report, "the report's other text");
  return rest.rule ? rest : own;
}

// Is this recipient still being retried? The report's Action decides, then
// its codes, then what the category usually is.
bool is_temporary(const dsn::RecipientReport& r, const Category& category) {
  if (r.action == "delayed") return true;
  if (r.action == "failed" || r.action == "expired") return false;
  if (!r.status.empty()) return r.status[0] == '4';
  if (!r.reply_code.empty()) return r.reply_code[0] == '4';
  return category.temporary;
}

const CodeMeaning* lookup(const std::unordered_map<std::string, CodeMeaning>& table, const std::string& key) {
  const auto it = table.find(key);
  return it == table.end() ? nullptr : &it->second;
}

// What the evidence, taken in its order, decided (classifier/README.md).
struct Decision {
  std::size_t category = 0;
  std::string reason;
  std::string decided_by;
  const WordingRule* expired_cause = nullptr;  // the cause behind a "gave up" wording
  bool said_gave_up = false;  // the wording named a cause and said it gave up on it
};

// The recipient's own codes, in the order they are trusted.
struct Codes {
  const CodeMeaning* status = nullptr;
  const CodeMeaning* diagnostic_type = nullptr;
  const CodeMeaning* dialect = nullptr;
  const CodeMeaning* reply = nullptr;
};

std::string describe(const CodeMeaning* m, const Codes& codes, const dsn::RecipientReport& r,
                     const dsn::BounceReport& report) {
  if (m == codes.status) return "status " + r.status;
  if (m == codes.diagnostic_type) return "diagnostic type " + r.diagnostic_type;
  if (m == codes.dialect) return "reporting software " + report.dialect;
  return "reply " + r.reply_code;
}

Decision from_wording(const WordingMatch& m, const Codes& codes, const dsn::RecipientReport& r) {
  Decision d;
  d.category = m.rule->category;
  d.reason = m.rule->reason;
  // One allocation, not one for each piece joined.
  constexpr std::string_view kWordingIn = "wording in ", kComma = ", ";
  d.decided_by.reserve(kWordingIn.size() + m.evidence.size() + kComma.size() + m.rule->source.size());
  d.decided_by.append(kWordingIn).append(m.evidence).append(kComma).append(m.rule->source);
  d.expired_cause = m.expired_cause;
  d.said_gave_up = m.said_gave_up;
  // Where a category has two reasons and the wording did not pick one,
  // the status code does.
  const bool status_agrees = codes.status && codes.status->category == d.category;
  if (d.reason.empty() && status_agrees) d.reason = codes.status->reason;
  // Only an answer to RCPT TO, or a status code that says so, proves the
  // address is unknown; said about the message, it is a filter's verdict.
  if (!m.rule->reason_after_data.empty() && !at_envelope_stage(r.smtp_command) && !status_agrees)
    d.reason = m.rule->reason_after_data;
  return d;
}

Decision from_code(const CodeMeaning* m, const Codes& codes, const dsn::RecipientReport& r,
                   const dsn::BounceReport& report) {
  return {m->category, m->reason, describe(m, codes, r, report), nullptr};
}

// True when a specific rule of another category than `chosen`'s also
// matched: the text names more than one cause.
bool names_another_cause(const RuleSet& rs, const std::vector<int>& matched, const WordingRule& chosen,
                         const dsn::RecipientReport& r, const dsn::BounceReport& report) {
  bool another = false;
  for_each_matched_rule(rs, matched, [&](std::size_t index) {
    const WordingRule& rule = rs.rules[index];
    another = another || (!rule.weak && !rule.banner && rule.category != chosen.category && applies(rule, r, report));
  });
  return another;
}

// When the recipient's diagnostic names more than one cause, the one it
// names outside its asides (without_asides()): advice, links and
// references beside a reply's cause may name others. When nothing outside
// them names a cause, they may well name the reply's own (a help link's
// path often does), and the whole text decides. So it does when what is
// left says only that delivery was given up: the cause named after that
// decides.
WordingMatch outside_asides(const RuleSet& rs, const std::string& text, const std::vector<int>& matched,
                            const WordingMatch& whole, const dsn::RecipientReport& r,
                            const dsn::BounceReport& report) {
  if (!names_another_cause(rs, matched, *whole.rule, r, report)) return whole;
  const std::string statement = without_asides(text, rs.aside_openers);
  if (statement.empty()) return whole;
  // best_rule() takes the first listed rule whatever the order of matches: no sort.
  const WordingMatch stated =
      best_rule(rs, matching_patterns(rs, statement), r, report, "the recipient's diagnostic, without its asides");
  if (!is_specific(stated) || stated.rule == whole.rule || stated.rule->category == rs.expired_category)
    return whole;
  return stated;
}

// The order of evidence: the recipient's own status (when decisive), its
// own diagnostic wording, its own codes when specific; only then the
// report's human text, first about this recipient, then the rest; then
// generic codes and generic wording.
Decision decide(const RuleSet& rs, const std::string& text, const std::vector<int>& matched,
                const dsn::RecipientReport& r, const dsn::BounceReport& report) {
  Codes codes;
  codes.status = find_status(rs, r.status);
  if (codes.status && rs.categories[codes.status->category].without_reply && !r.reply_code.empty())
    codes.status = nullptr;  // a status that says nobody answered, in a server's answer
  codes.diagnostic_type = lookup(rs.diagnostic_types, r.diagnostic_type);
  codes.dialect = lookup(rs.dialects, report.dialect);
  codes.reply = lookup(rs.reply_codes, r.reply_code);
  if (codes.status && codes.status->decisive) return from_code(codes.status, codes, r, report);
  const WordingMatch own = best_rule(rs, matched, r, report, "the recipient's diagnostic");
  if (is_specific(own)) return from_wording(outside_asides(rs, text, matched, own, r, report), codes, r);
  if (codes.diagnostic_type) return from_code(codes.diagnostic_type, codes, r, report);
  const CodeMeaning* overriding = codes.status ? codes.status : codes.dialect;
  const bool codes_specific = overriding && !rs.generic_category[overriding->category];
  if (codes_specific) return from_code(overriding, codes, r, report);
  // The diagnostic and codes said nothing specific: the human text may.
  const WordingMatch human = match_human_text(rs, r, report);
  if (is_specific(human)) return from_wording(human, codes, r);
  if (overriding) return from_code(overriding, codes, r, report);
  if (own.rule) return from_wording(own, codes, r);
  if (human.rule) return from_wording(human, codes, r);
  if (codes.reply) return from_code(codes.reply, codes, r, report);
  return {rs.unknown_category, {}, {}, nullptr};
}

// What the refused command tells: at MAIL FROM the sender was refused,
// before it only our server's address was known.
void apply_stage(const RuleSet& rs, const dsn::RecipientReport& r, Decision& d) {
  const CodeMeaning* stage = lookup(rs.stages, r.smtp_command);
  if (!stage) return;
  const auto& replaceable = rs.stage_replaces;
  if (std::find(replaceable.begin(), replaceable.end(), d.category) == replaceable.end()) return;
  d.category = stage->category;
  d.reason = stage->reason;
  d.decided_by = "stage " + r.smtp_command;
}

// The reason of the network categories: a network error given up on is
// sisimai's "expired", where another cause keeps its own reason.
constexpr std::string_view kNetworkErrorReason = "networkerror";

// A retry period that ran out hides nothing: the category is the last
// cause known, and that we gave up is a fact beside it (gave_up=yes), with
// sisimai's reason "expired". Only when no cause is known is the category
// delivery.expired.
void apply_gave_up(const RuleSet& rs, const dsn::RecipientReport& r, Decision& d,
                   std::map<std::string, std::string>& facts) {
  const bool temporary_status = !r.status.empty() && r.status[0] == '4';
  // A delay is not a failure yet: its category is the cause, if one is known.
  if (r.action == "delayed") {
    if (d.category != rs.expired_category) return;
    d.category = d.expired_cause ? d.expired_cause->category : rs.unknown_category;
    d.reason = "expired";
    return;
  }
  const bool says_expired = d.category == rs.expired_category;
  // A network failure reported as final, without a status or with one that
  // says "temporary", is one the queue gave up on.
  const bool network_final = rs.categories[d.category].expires_when_final && r.action == "failed" &&
                             (temporary_status || r.status.empty());
  // x.4.7: "delivery time expired".
  const bool status_expired = r.status.size() == 5 && r.status.compare(1, 4, ".4.7") == 0;
  if (!says_expired && !d.said_gave_up && !network_final && !status_expired && r.action != "expired") return;
  facts["gave_up"] = "yes";
  if (says_expired && d.expired_cause) d.category = d.expired_cause->category;
  if (d.category == rs.unknown_category) d.category = rs.expired_category;
  // sisimai names a queue that ran out "expired", unless x.4.7 came with a
  // cause of another kind than the network.
  // A cause named beside "gave up" keeps its own reason, unless it is a
  // network error (the reason of the network categories).
  const bool named_other_cause = d.said_gave_up && rs.categories[d.category].reason != kNetworkErrorReason;
  const bool other_cause = (status_expired && !says_expired && !d.said_gave_up && !network_final &&
                            r.action != "expired" && d.category != rs.expired_category) ||
                           named_other_cause;
  if (!other_cause) d.reason = "expired";
}

}  // namespace

Classification Classifier::classify(const dsn::RecipientReport& r, const dsn::BounceReport& report) const {
  const RuleSet& rs = *rules_;
  Classification out;
  const std::string text =
      text_for_matching(std::string_view(r.diagnostic).substr(0, dsn::kMaxExaminedDiagnosticBytes));
  std::vector<int> matched = matching_patterns(rs, text);
  std::sort(matched.begin(), matched.end());
  collect_facts(rs, text, matched, r, report, out.facts);

  if (report.kind == dsn::ReportKind::feedback_report) {
    out.reason = "feedback";
    return out;
  }
  if (report.kind == dsn::ReportKind::auto_reply) {
    out.reason = "vacation";
    return out;
  }
  if (is_success(r)) {
    out.reason = "delivered";
    return out;
  }

  Decision d = decide(rs, text, matched, r, report);
  apply_stage(rs, r, d);
  if (d.category == rs.unknown_category && d.reason.empty() && (has_words(text) || !r.status.empty())) {
    // Something was said, we could not tell what it means.
    d.reason = rs.undecided_reason;
  }
  // Some causes mean something else when the server said "try again".
  const bool temporary_status = !r.status.empty() && r.status[0] == '4';
  if (temporary_status && rs.categories[d.category].when_temporary) {
    d.category = *rs.categories[d.category].when_temporary;
    d.reason.clear();
  }
  apply_gave_up(rs, r, d, out.facts);

  out.category = &rs.categories[d.category];
  out.reason = d.reason.empty() ? out.category->reason : d.reason;
  out.decided_by = std::move(d.decided_by);
  out.temporary = is_temporary(r, *out.category);
  return out;
}

}  // namespace clearbounce::classifier
