// clearbounce rewrite | preview | lint: the commands that write and check texts.
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/input.hpp"
#include "config/config.hpp"
#include "dsn/report.hpp"
#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "templates/locale.hpp"
#include "templates/render.hpp"
#include "templates/word_count.hpp"

namespace clearbounce::cli {
namespace {

constexpr std::size_t kMaxInputBytes = 64u << 20;

void print_errors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::fprintf(stderr, "clearbounce: %s\n", e.c_str());
}

// Loads the configuration (or the defaults) and builds the engine from it.
std::unique_ptr<engine::Engine> load_engine(const std::string& config_path) {
  config::Config config;
  if (!config_path.empty()) {
    std::string error;
    auto loaded = config::load_file(config_path, error);
    if (!loaded) {
      std::fprintf(stderr, "clearbounce: %s\n", error.c_str());
      return nullptr;
    }
    config = std::move(*loaded);
  }
  std::vector<std::string> errors;
  auto engine = engine::Engine::load(config, errors);
  if (!engine) print_errors(errors);
  return engine;
}

// "--name VALUE" / "-n VALUE" options; returns false on a usage error.
bool take_value(std::span<const std::string_view> args, std::size_t& i, std::string& value) {
  if (i + 1 >= args.size()) {
    std::fprintf(stderr, "clearbounce: %.*s needs a value\n", static_cast<int>(args[i].size()), args[i].data());
    return false;
  }
  value = std::string(args[++i]);
  return true;
}

bool write_all(std::string_view data) {
  return std::fwrite(data.data(), 1, data.size(), stdout) == data.size() && std::fflush(stdout) == 0;
}

}  // namespace

int run_rewrite(std::span<const std::string_view> args) {
  std::string config_path, locale, file;
  bool remote = false;
  bool diagnosis = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(
          "Usage: clearbounce rewrite [--locale TAG] [-c CONFIG] [--remote] [--diagnose] FILE|-\n"
          "Prints the message as the milter would pass it on: rewritten, or unchanged\n"
          "with the reason on standard error. --remote treats the report as one that\n"
          "arrived from the internet. --diagnose looks at the DNS and the recipient's\n"
          "mail server where the report leaves the cause open, as the milter does for\n"
          "its own MTA's reports with diagnose.enabled ([diagnose] settings apply).\n",
          stdout);
      return kExitOk;
    }
    if (a == "--locale" || a == "-l") {
      if (!take_value(args, i, locale)) return kExitUsage;
    } else if (a == "-c" || a == "--config") {
      if (!take_value(args, i, config_path)) return kExitUsage;
    } else if (a == "--remote") {
      remote = true;
    } else if (a == "--diagnose") {
      diagnosis = true;
    } else if (file.empty() && (a == "-" || !a.starts_with('-'))) {
      file = std::string(a);
    } else {
      std::fprintf(stderr, "clearbounce rewrite: unexpected argument '%.*s'\n", static_cast<int>(a.size()), a.data());
      return kExitUsage;
    }
  }
  if (file.empty()) {
    std::fputs("clearbounce rewrite: name one FILE, or - for standard input\n", stderr);
    return kExitUsage;
  }
  const auto engine = load_engine(config_path);
  if (!engine) return kExitFailure;
  if (!locale.empty() && templates::match_locale(locale, engine->catalogues()).empty()) {
    std::fprintf(stderr, "clearbounce rewrite: no catalogue serves the locale '%s'\n", locale.c_str());
    return kExitUsage;
  }

  Source source{file, file == "-", {}};
  std::string message, error;
  if (!read_source(source, kMaxInputBytes, message, error)) {
    std::fprintf(stderr, "clearbounce rewrite: %s: %s\n", file.c_str(), error.c_str());
    return kExitFailure;
  }
  engine::Options options;
  options.locale = locale;
  options.remote_report = remote;
  std::unique_ptr<diagnose::Diagnoser> diagnoser;
  if (diagnosis) {
    diagnoser = engine::start_diagnosis(engine->config(), "", error);
    if (!diagnoser) {
      std::fprintf(stderr, "clearbounce rewrite: --diagnose: %s\n", error.c_str());
      return kExitFailure;
    }
    options.diagnose = engine::ask(*diagnoser, std::chrono::steady_clock::now() +
                                                   std::chrono::milliseconds(engine->config().diagnose.timeout_ms));
  }
  const auto outcome = engine->process(message, options);
  if (!outcome.rewritten) {
    std::fprintf(stderr, "clearbounce rewrite: %s: unchanged: %s\n", file.c_str(), outcome.reason.c_str());
    return write_all(message) ? kExitOk : kExitFailure;
  }
  return write_all(outcome.result.message) ? kExitOk : kExitFailure;
}

namespace {

// A recipient report that shows every fact a text may use.
// The server answer of the samples: a placeholder, quoted as any answer is.
constexpr std::string_view kSampleDiagnostic = "(the receiving server's own words appear here)";

dsn::BounceReport sample_report(std::string_view action) {
  dsn::BounceReport report;
  report.kind = dsn::ReportKind::delivery_status;
  report.dialect = "postfix";
  report.reporting_mta = "mail.example.com";
  report.arrival_date = "Mon, 23 Nov 2026 10:02:11 +0100";
  dsn::RecipientReport r;
  r.recipient = "bob@example.org";
  r.action = std::string(action);
  r.status = action == "delayed" ? "4.7.5" : action == "failed" ? "5.0.0" : "2.0.0";
  r.remote_mta = "mx.example.org";
  r.remote_ip = "192.0.2.10";
  r.diagnostic = std::string(kSampleDiagnostic);
  r.reply_code = action == "delayed" ? "451" : "550";  // the recipient's server's words, as most are
  r.will_retry_until = "Fri, 27 Nov 2026 14:00:00 +0100";
  report.recipients.push_back(std::move(r));
  return report;
}

classifier::Classification sample_classification(const classifier::Category* category) {
  classifier::Classification c;
  c.category = category;
  c.reason = category ? category->reason : "delivered";
  c.facts = {{"remote_host", "mx.example.org"},     {"remote_ip", "192.0.2.10"},
             {"blocklist", "zen.spamhaus.org"},     {"size_limit", "10 MB"},
             {"retry_until", "Fri, 27 Nov 2026 14:00:00 +0100"},
             {"reporting_mta", "mail.example.com"}};
  if (category && category->id == "delivery.expired") c.facts["last_error_category"] = "network.connection_refused";
  return c;
}

// `remote`: as a report that arrived from the internet (the texts that
// would speak of our server take their _remote forms).
templates::Rendered render_sample(const engine::Engine& engine, const classifier::Category* category,
                                  std::string_view action, std::string_view locale, bool remote = false) {
  const auto report = sample_report(action);
  const std::vector<classifier::Classification> results{sample_classification(category)};
  templates::RenderInput input;
  input.report = &report;
  input.classifications = &results;
  input.classifier = &engine.classifier();
  input.original_subject = "Quarterly report";
  input.organization = engine.config().organization.empty() ? "Example Ltd" : engine.config().organization;
  input.support = engine.config().support.empty() ? "helpdesk@example.com" : engine.config().support;
  input.remote_report = remote;
  return templates::render(input, locale, engine.catalogues());
}

}  // namespace

int run_preview(std::span<const std::string_view> args) {
  std::string config_path, category_id, locale = "en", action = "failed";
  bool html = false, remote = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(
          "Usage: clearbounce preview --category ID [--locale TAG] [--action ACTION] [--remote] [--html]\n"
          "                           [-c CONFIG]\n"
          "Renders the text for one category with sample facts. ACTION is failed (default),\n"
          "delayed, delivered, relayed or expanded. --remote: as a report that arrived from\n"
          "the internet, written by another mail system.\n",
          stdout);
      return kExitOk;
    }
    if (a == "--category") {
      if (!take_value(args, i, category_id)) return kExitUsage;
    } else if (a == "--locale" || a == "-l") {
      if (!take_value(args, i, locale)) return kExitUsage;
    } else if (a == "--action") {
      if (!take_value(args, i, action)) return kExitUsage;
    } else if (a == "-c" || a == "--config") {
      if (!take_value(args, i, config_path)) return kExitUsage;
    } else if (a == "--html") {
      html = true;
    } else if (a == "--remote") {
      remote = true;
    } else {
      std::fprintf(stderr, "clearbounce preview: unexpected argument '%.*s'\n", static_cast<int>(a.size()), a.data());
      return kExitUsage;
    }
  }
  const auto engine = load_engine(config_path);
  if (!engine) return kExitFailure;
  const auto* category = engine->classifier().find_category(category_id);
  if (!category) {
    std::fprintf(stderr, "clearbounce preview: unknown category '%s' (see classifier/rules.toml)\n",
                 category_id.c_str());
    return kExitUsage;
  }
  if (action != "failed" && action != "delayed" && action != "delivered" && action != "relayed" &&
      action != "expanded") {
    std::fprintf(stderr, "clearbounce preview: unknown action '%s'\n", action.c_str());
    return kExitUsage;
  }
  const auto tag = templates::match_locale(locale, engine->catalogues());
  if (tag.empty()) {
    std::fprintf(stderr, "clearbounce preview: no catalogue serves the locale '%s'\n", locale.c_str());
    return kExitUsage;
  }
  const auto rendered = render_sample(*engine, category, action, tag, remote);
  const std::string out = html ? rendered.html : "Subject: " + rendered.subject + "\n\n" + rendered.text + "\n";
  return write_all(out) ? kExitOk : kExitFailure;
}

// Checks that an HTML text is well-formed: tags balanced and properly
// nested (void elements excepted), no stray '<'.
std::optional<std::string> html_problem(std::string_view html) {
  static const std::vector<std::string_view> kVoid = {"meta", "br", "hr", "img", "!doctype"};
  std::vector<std::string> open;
  for (std::size_t i = html.find('<'); i != std::string_view::npos; i = html.find('<', i + 1)) {
    const auto close = html.find('>', i);
    if (close == std::string_view::npos) return "a '<' is never closed";
    std::string_view tag = html.substr(i + 1, close - i - 1);
    const bool closing = !tag.empty() && tag.front() == '/';
    if (closing) tag.remove_prefix(1);
    const auto end = tag.find_first_of(" \t\n/");
    std::string name(tag.substr(0, end));
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (name.empty()) return "an empty tag";
    if (std::find(kVoid.begin(), kVoid.end(), name) != kVoid.end()) continue;
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes nothing open";
      open.pop_back();
    } else {
      open.push_back(name);
    }
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return std::nullopt;
}

// The words of a sample notice that the targets count: the part the sender
// reads, without the server's quoted answer (its words, not ours, shown
// once as written) and the administrator's closing and signature
// (templates/FORMAT.md, "Length").
std::size_t words_to_read(const engine::Engine& engine, const templates::Rendered& rendered, const std::string& tag) {
  const auto reader_part = templates::reader_part(rendered.text);
  std::size_t words = templates::count_words(reader_part);
  const templates::Values frame{{"support", "helpdesk@example.com"}, {"organization", "Example Ltd"}};
  // Where the server's words are quoted for the sender (a delay leaves them
  // to the technical section).
  if (reader_part.find(kSampleDiagnostic) != std::string_view::npos)
    words -= std::min(words, templates::count_words(kSampleDiagnostic));
  for (const char* key : {"text.closing", "text.signature"})
    if (const auto* entry = engine.catalogues().find(tag, key); entry && !entry->empty())
      words -= std::min(words, templates::count_words(entry->front().render(frame)));
  return words;
}

// "median 68, max 80, 16 of 50 over 70"
std::string length_summary(std::vector<std::size_t>& words, std::size_t target) {
  std::sort(words.begin(), words.end());
  const auto over = static_cast<std::size_t>(std::count_if(words.begin(), words.end(), [&](auto n) { return n > target; }));
  return "median " + std::to_string(words[words.size() / 2]) + ", max " + std::to_string(words.back()) + ", " +
         std::to_string(over) + " of " + std::to_string(words.size()) + " over " + std::to_string(target);
}

// The words to read of one locale's sample notices, for one failed and
// one delayed recipient, as our own report and as one from the internet.
struct ReadingLengths {
  std::array<std::vector<std::size_t>, 2> failed, delayed;  // by remote (0: our own report)
};

// One locale's lengths against the targets of templates/FORMAT.md; a report
// from the internet says so in one more sentence. Reported, not refused: an
// administrator's text may be longer. The shipped catalogues are within
// them (tests/cli keeps them so).
void report_reading_length(const std::string& tag, ReadingLengths& lengths) {
  constexpr std::size_t kFailedTarget = 70, kDelayedTarget = 40, kRemoteNoticeWords = 15;
  for (const std::size_t remote : {0u, 1u}) {
    const std::size_t more = remote ? kRemoteNoticeWords : 0;
    std::printf("clearbounce lint: length: %s%s, words to read: failed %s; delayed %s\n", tag.c_str(),
                remote ? " (report from the internet)" : "",
                length_summary(lengths.failed[remote], kFailedTarget + more).c_str(),
                length_summary(lengths.delayed[remote], kDelayedTarget + more).c_str());
  }
}

int run_lint(std::span<const std::string_view> args) {
  std::string config_path;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto a = args[i];
    if (a == "--help" || a == "-h") {
      std::fputs(
          "Usage: clearbounce lint [-c CONFIG]\n"
          "Checks the configuration, the rule set and every catalogue (shipped and the\n"
          "administrator's): TOML syntax, unknown placeholders, missing categories or\n"
          "locales, facts that may be unknown used outside {? ?}, and that every text\n"
          "renders to well-formed HTML. Exit 0 when all is well.\n",
          stdout);
      return kExitOk;
    }
    if (a == "-c" || a == "--config") {
      if (!take_value(args, i, config_path)) return kExitUsage;
    } else {
      std::fprintf(stderr, "clearbounce lint: unexpected argument '%.*s'\n", static_cast<int>(a.size()), a.data());
      return kExitUsage;
    }
  }
  const auto engine = load_engine(config_path);  // syntax, placeholders, completeness
  if (!engine) return kExitFailure;
  std::vector<std::string> problems;
  engine->catalogues().check_same_keys_as_english(problems);
  // Facts that a report may leave out (or hold malformed) must be optional.
  engine->catalogues().check_optional_facts(problems);
  for (const char* tag : {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "ru", "ja", "zh-Hans"})
    if (!engine->catalogues().has_locale(tag)) problems.push_back(std::string("the shipped locale ") + tag + " is missing");
  for (const auto& [domain, tag] : engine->config().domain_locales)
    if (templates::match_locale(tag, engine->catalogues()).empty())
      problems.push_back((engine->config().brands.count(domain) ? "organization.domains" : "locale.domains") +
                         std::string(": no catalogue serves \"") + tag + "\" (for " + domain + ")");
  for (const auto& [domain, brand] : engine->config().brands)
    if (brand.name.empty() && brand.support.empty() && brand.locale.empty())
      problems.push_back("organization.domains.\"" + domain + "\": sets nothing (name, support or locale)");
  std::size_t rendered = 0;
  for (const auto& tag : engine->catalogues().tags()) {
    ReadingLengths lengths;
    for (const auto& category : engine->classifier().categories()) {
      const auto check = [&](std::string_view action, bool remote) {
        const auto r = render_sample(*engine, &category, action, tag, remote);
        ++rendered;
        if (action == "failed") lengths.failed[remote].push_back(words_to_read(*engine, r, tag));
        if (action == "delayed") lengths.delayed[remote].push_back(words_to_read(*engine, r, tag));
        const std::string what = tag + " " + category.id + " " + std::string(action) + (remote ? " (remote)" : "");
        if (auto problem = html_problem(r.html)) problems.push_back(what + ": HTML: " + *problem);
        if (r.subject.empty()) problems.push_back(what + ": empty subject");
        if (r.text.find('{') != std::string::npos && r.text.find("{?") != std::string::npos)
          problems.push_back(what + ": an optional group was left in the text");
      };
      for (const char* action : {"failed", "delayed", "delivered", "relayed", "expanded"}) check(action, false);
      // Failures and delays also as reports from the internet (_remote texts).
      for (const char* action : {"failed", "delayed"}) check(action, true);
    }
    report_reading_length(tag, lengths);
  }
  // Not a problem, a cost: such a pattern is run on every text.
  for (const auto& pattern : engine->classifier().patterns_tried_on_every_text())
    std::printf("clearbounce lint: note: the pattern '%s' has no literal of three bytes that every match needs, "
                "so it is run on every text; give it a word\n",
                pattern.c_str());
  print_errors(problems);
  std::fprintf(problems.empty() ? stdout : stderr, "clearbounce lint: %zu locales, %zu categories, %zu texts rendered, %zu problems\n",
               engine->catalogues().tags().size(), engine->classifier().categories().size(), rendered,
               problems.size());
  return problems.empty() ? kExitOk : kExitFailure;
}

}  // namespace clearbounce::cli
