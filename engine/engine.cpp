#include "engine/engine.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <optional>

#include "dsn/ascii.hpp"
#include "dsn/fields.hpp"
#include "dsn/layout.hpp"
#include "dsn/mime.hpp"
#include "dsn/report.hpp"
#include "engine/backscatter.hpp"
#include "templates/locale.hpp"
#include "templates/render.hpp"

namespace clearbounce::engine {
namespace {

// The domain of the first address in a header value: "Alice
// <alice@example.com>" gives "example.com", without the display name or
// the angle bracket.
std::string domain_of_first_address(std::string_view header_value) {
  const std::string address = dsn::detail::first_address(header_value);
  const auto at = address.rfind('@');
  return at == std::string::npos ? std::string() : address.substr(at + 1);
}

}  // namespace

Engine::Engine(config::Config config, std::unique_ptr<classifier::Classifier> classifier,
               std::unique_ptr<templates::CatalogueSet> catalogues)
    : config_(std::move(config)), classifier_(std::move(classifier)), catalogues_(std::move(catalogues)) {}

std::unique_ptr<Engine> Engine::load(const config::Config& config, std::vector<std::string>& errors) {
  std::string error;
  auto rules = config.rules_file.empty() ? classifier::Classifier::builtin(error)
                                         : classifier::Classifier::load_file(config.rules_file, error);
  if (!rules) errors.push_back(error);
  auto catalogues = templates::CatalogueSet::load(config.templates_directory, errors);
  if (rules && catalogues) {
    std::vector<std::string> ids, more_keys;
    const auto require = [&more_keys](std::string key) {
      if (std::find(more_keys.begin(), more_keys.end(), key) == more_keys.end()) more_keys.push_back(std::move(key));
    };
    for (const auto& category : rules->categories()) {
      ids.push_back(category.id);
      const std::string who(classifier::to_string(category.who_can_fix));
      // Who most likely can fix it: a heading and a sentence of their own.
      const std::vector<std::string> tables =
          category.who_is_likely ? std::vector<std::string>{"fix_likely.", "who_likely."} : std::vector<std::string>{};
      for (const auto& table : tables) require(table + who);
      // "Our mail administrators" are not the ones to fix what a report from
      // the internet blames on the system that wrote it.
      if (category.who_can_fix == classifier::WhoCanFix::sender_admin) {
        require("fix." + who + "_remote");
        require("who." + who + "_remote");
        for (const auto& table : tables) require(table + who + "_remote");
      }
    }
    catalogues->check_complete(ids, more_keys, errors);
  }
  if (!errors.empty() || !rules || !catalogues) return nullptr;
  if (templates::match_locale(config.default_locale, *catalogues).empty()) {
    errors.push_back("locale.default: no catalogue serves \"" + config.default_locale + "\"");
    return nullptr;
  }
  std::optional<marker::Key> key;
  if (!config.marker_key_file.empty()) {
    key = marker::Key::load_file(config.marker_key_file, error);
    if (!key) {
      errors.push_back("marker.key_file: " + error);
      return nullptr;
    }
  }
  auto engine = std::unique_ptr<Engine>(new Engine(config, std::move(rules), std::move(catalogues)));
  engine->key_ = std::move(key);
  if (!engine->load_blocklists(errors)) return nullptr;
  return engine;
}

// The block lists a notice may name. Read whether or not the diagnosis is
// on (`clearbounce rewrite --diagnose` turns it on for one run), so that a
// mistake in diagnose.blocklists_file shows when the configuration is checked.
bool Engine::load_blocklists(std::vector<std::string>& errors) {
  if (!config_.diagnose.check_blocklists) return true;
  std::string error;
  const auto lists =
      diagnose::configured_blocklists(config_.diagnose.blocklist_zones, config_.diagnose.blocklists_file, error);
  if (!lists) {
    errors.push_back(error);
    return false;
  }
  for (const auto& list : *lists) blocklists_.push_back({list.name, list.removal_page});
  return true;
}

// The single fail-open point of the core: whatever goes wrong below (an
// allocation that fails, a bug) leaves the message as it is, with the
// reason for the caller's log line.
Outcome Engine::process(std::string_view message, const Options& options) const {
  try {
    return process_or_throw(message, options);
  } catch (const std::exception& e) {
    Outcome out;
    out.reason = std::string("internal error: ") + e.what();
    return out;
  }
}

// The work budget of one message: rewrite.time_limit_ms of this thread's
// CPU time, and the caller's deadline (wall clock: when the MTA stops
// waiting). CPU time, not wall time, for the limit: a busy machine must not
// turn ordinary reports into passed ones, while a hostile report is stopped
// by the work it costs. Every stage is linear in the message, so looking
// between stages (and between recipients) bounds a run to the limit plus
// one stage.
class Budget {
 public:
  Budget(std::chrono::steady_clock::time_point deadline, unsigned limit_ms)
      : deadline_(deadline),
        started_(coarse_now()),
        cpu_started_(thread_cpu()),
        limit_(limit_ms) {}

  // A thread cannot have used more CPU time than has passed since it
  // started: the CPU clock, a system call each time (a costly one in a
  // virtual machine), is read only once the limit has passed on the wall
  // clock.
  bool spent() const {
    const auto now = coarse_now();
    if (now >= deadline_) return true;
    return now - started_ >= limit_ && thread_cpu() - cpu_started_ >= limit_;
  }
  // Why the message passes, naming the stage that ran out of time.
  std::string reason(std::string_view stage) const {
    return "the time limit ran out " + std::string(stage) + " (rewrite.time_limit_ms = " +
           std::to_string(limit_.count()) + ", or the MTA stopped waiting)";
  }

 private:
  // The latest it can be on std::chrono::steady_clock's time line
  // (CLOCK_MONOTONIC on Linux): the coarse clock as of the kernel's last
  // tick, plus that tick (its resolution, 1 to 4 ms). The vDSO reads it
  // without a system call even where the exact clock needs one (the clock
  // sources of some virtual machines); a deadline may be taken as passed up
  // to a tick early, which only passes a report unchanged sooner.
  static std::chrono::steady_clock::time_point coarse_now() {
    static const std::chrono::nanoseconds tick = [] {
      timespec resolution{};
      ::clock_getres(CLOCK_MONOTONIC_COARSE, &resolution);
      return std::chrono::seconds(resolution.tv_sec) + std::chrono::nanoseconds(resolution.tv_nsec);
    }();
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec) + tick));
  }
  static std::chrono::nanoseconds thread_cpu() {
    timespec now{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
  }

  std::chrono::steady_clock::time_point deadline_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::nanoseconds cpu_started_;
  std::chrono::milliseconds limit_;
};

namespace {

Outcome unchanged(std::string reason) {
  Outcome out;
  out.reason = std::move(reason);
  return out;
}

// X-Clearbounce fields that verify mean "rewritten before": the outcome
// says which. Those that do not are anybody's: the message is read again
// without them (into `unmarked`, with its layout), so that they neither
// stop the rewrite nor stay in it.
std::optional<Outcome> settle_markers(const marker::Key& key, std::string_view& message,
                                      std::optional<dsn::MimeMessage>& parsed, dsn::ReportLayout& layout,
                                      std::string& unmarked) {
  if (!layout.has_marker_field) return std::nullopt;
  const auto verdicts = marker::verify(key, *parsed, layout);
  if (verdicts.empty()) return std::nullopt;
  if (const auto good = std::find(verdicts.begin(), verdicts.end(), true); good != verdicts.end()) {
    Outcome out = unchanged("already rewritten (its X-Clearbounce marker verifies)");
    out.verified_marker = static_cast<std::size_t>(good - verdicts.begin()) + 1;
    return out;
  }
  unmarked = marker::without_markers(message, parsed->root);
  message = unmarked;
  parsed = dsn::parse_mime(message);
  if (!parsed) return unchanged("not an e-mail message once its X-Clearbounce fields are removed");
  layout = dsn::layout_of(parsed->root);
  return std::nullopt;
}

dsn::RewriteRequest rewrite_request(templates::Rendered rendered, std::string_view locale, bool forged_sender) {
  dsn::RewriteRequest request;
  request.text_plain = std::move(rendered.text);
  request.html = std::move(rendered.html);
  request.subject = std::move(rendered.subject);
  std::string ids;
  for (const auto& id : rendered.categories) ids += (ids.empty() ? "" : ",") + id;
  // Reports of successes only name no failure category.
  request.x_clearbounce = marker::unsealed("category=" + (ids.empty() ? std::string("delivered") : ids) +
                                           "; locale=" + std::string(locale) + (forged_sender ? "; forged=yes" : ""));
  return request;
}

}  // namespace

// One classification per recipient, in order; false when the budget ran
// out on the way.
bool Engine::classify_all(const dsn::BounceReport& report, const Budget& budget,
                          std::vector<classifier::Classification>& results) const {
  results.reserve(report.recipients.size());
  for (const auto& r : report.recipients) {
    results.push_back(classifier_->classify(r, report));
    if (results.size() % 64 == 0 && budget.spent()) return false;
  }
  return true;
}

namespace {

// What the report attaches of the returned message.
templates::RenderInput::Returned returned_kind(const dsn::MimePart* returned) {
  using Returned = templates::RenderInput::Returned;
  if (returned == nullptr) return Returned::nothing;
  const auto& type = returned->media_type();
  const auto& headers = dsn::media_types::returned_headers;
  return std::find(headers.begin(), headers.end(), type) != headers.end() ? Returned::headers : Returned::message;
}

// The family of a category: "tls", "network", "domain" (with "dns"), ...
std::string_view family_of(std::string_view id) {
  const std::string_view family = id.substr(0, id.find('.'));
  return family == "dns" ? "domain" : family;
}

// Whether what a diagnosis found may stand in for what the report said. It
// refines within the same kind of failure (a certificate "not verified"
// that has expired; a name "not found, try again" whose domain does not
// exist), and names the cause of a delivery that expired. It does not
// replace a cause the report stated with another seen later: a server that
// failed the certificate check then and refuses connections now did both.
bool refines(const classifier::Category& reported, std::string_view found) {
  return reported.id == "delivery.expired" || family_of(reported.id) == family_of(found);
}

// What to ask about one failed recipient: its domain (and mail server), or
// for a block list's refusal, which lists hold our own address: the report's
// addresses (the remote server's words) only help to choose it.
diagnose::Question question_for(const classifier::Classification& result, std::string_view recipient) {
  using OpenCause = classifier::Category::OpenCause;
  using Look = diagnose::Question::Look;
  const auto fact = [&](const char* name) {
    const auto found = result.facts.find(name);
    return found == result.facts.end() ? std::string() : dsn::detail::to_lower(found->second);
  };
  diagnose::Question question;
  const auto cause = result.category->open_cause;
  question.look = cause == OpenCause::domain ? Look::domain : cause == OpenCause::blocklists ? Look::blocklists : Look::server;
  question.domain = dsn::detail::to_lower(recipient.substr(recipient.rfind('@') + 1));
  question.remote_host = fact("remote_host");
  if (question.look == Look::blocklists) {
    question.client_ip = fact("client_ip");
    question.remote_ip = fact("remote_ip");
  }
  return question;
}

}  // namespace

// Asks the diagnosis about each failed recipient whose cause the report
// leaves open, once per domain and server (the diagnosis caches too, but
// a report to many recipients of one domain needs one answer).
void Engine::diagnose_open_causes(const dsn::BounceReport& report, const Options& options,
                                  std::vector<classifier::Classification>& results) const {
  using OpenCause = classifier::Category::OpenCause;
  std::vector<diagnose::Question> questions;
  std::map<std::string, std::size_t> question_of_key;
  std::vector<std::optional<std::size_t>> question_of(results.size());
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& result = results[i];
    if (result.category == nullptr || result.category->open_cause == OpenCause::none) continue;
    auto question = question_for(result, report.recipients[i].recipient);
    if (question.look == diagnose::Question::Look::blocklists && !config_.diagnose.check_blocklists) continue;
    std::string key = question.domain + " " + question.remote_host;
    if (question.look == diagnose::Question::Look::blocklists)
      key = "blocklists " + question.client_ip + " " + question.remote_ip;
    const auto [known, added] = question_of_key.emplace(key, questions.size());
    if (added) questions.push_back(std::move(question));
    question_of[i] = known->second;
  }
  if (questions.empty()) return;
  // All at once: a report to several failing domains waits for the
  // slowest look, not for the sum of them.
  const auto findings = options.diagnose(questions);
  for (std::size_t i = 0; i < results.size(); ++i)
    if (question_of[i] && *question_of[i] < findings.size()) apply_finding(findings[*question_of[i]], results[i]);
}

// What a diagnosis found, into one recipient's classification.
void Engine::apply_finding(const diagnose::Finding& finding, classifier::Classification& result) const {
  // What was looked at and when, for the notice's technical section,
  // whether or not it changed the cause.
  if (finding.checked_at != 0) {
    result.facts["diagnosis"] = finding.summary;
    result.facts["diagnosis_at"] = diagnose::rfc5322_utc(finding.checked_at);
  }
  const classifier::Category* found = classifier_->find_category(finding.category);
  if (!finding.learned() || found == nullptr || !refines(*result.category, finding.category)) return;
  result.category = found;
  result.reason = found->reason;
  result.decided_by = "diagnosis: " + finding.summary;
  for (const auto& [name, value] : finding.facts) result.facts[name] = value;
}

std::string Engine::locale_for(std::string_view sender_domain, const dsn::MimePart* returned_headers,
                               const Options& options) const {
  if (!options.locale.empty()) {
    auto forced = templates::match_locale(options.locale, *catalogues_);
    return forced.empty() ? "en" : forced;
  }
  templates::LocaleInputs inputs;
  if (returned_headers) {
    inputs.content_language = returned_headers->header_text("Content-Language");
    inputs.accept_language = returned_headers->header_text("Accept-Language");
  }
  inputs.sender_domain = std::string(sender_domain);
  auto chosen = templates::choose_locale(inputs, config_.domain_locales, config_.default_locale, *catalogues_);
  return chosen.empty() ? "en" : chosen;
}

// The new human-readable part, in the sender's language; fills the
// outcome's locale, categories and forged_sender.
templates::Rendered Engine::render_notice(const dsn::ReportLayout& layout, const dsn::BounceReport& report,
                                          const std::vector<classifier::Classification>& results,
                                          const Options& options, Outcome& out) const {
  const dsn::MimePart* returned_headers = layout.returned_headers();
  // The notice goes to the sender: their domain may have a brand of its own.
  const std::string sender_domain = domain_of_first_address(layout.root->header_text("To"));
  const config::Config::Brand* brand = config_.brand_for(sender_domain);
  out.locale = locale_for(sender_domain, returned_headers, options);
  templates::RenderInput input;
  input.report = &report;
  input.classifications = &results;
  input.classifier = classifier_.get();
  input.original_subject = returned_headers ? returned_headers->header_text("Subject") : std::string();
  // Asked to, the returned message goes back as its header section only.
  input.returned = config_.return_headers_only && dsn::can_return_headers_only(layout)
                       ? templates::RenderInput::Returned::headers
                       : returned_kind(layout.returned);
  input.hide_expanded_recipients = config_.hide_expanded_recipients;
  input.organization = brand && !brand->name.empty() ? brand->name : config_.organization;
  input.support = brand && !brand->support.empty() ? brand->support : config_.support;
  input.remote_report = options.remote_report;
  input.detailed_recipients = config_.detailed_recipients;
  input.blocklists = &blocklists_;
  out.forged_sender = options.remote_report && sent_elsewhere(returned_headers, options);
  input.forged_sender = out.forged_sender;
  auto rendered = templates::render(input, out.locale, *catalogues_);
  out.categories = rendered.categories;
  return rendered;
}

Outcome Engine::process_or_throw(std::string_view message, const Options& options) const {
  const Budget budget(options.deadline, config_.time_limit_ms);
  if (message.size() > config_.max_message_bytes)
    return unchanged("the message is larger than rewrite.max_message_bytes");
  auto parsed = dsn::parse_mime(message);
  if (!parsed) return unchanged("not an e-mail message");
  // Found once, read by every stage below. It points into `parsed`, which
  // stays where it is from here on (settle_markers makes both again).
  auto layout = dsn::layout_of(parsed->root);
  std::string unmarked;
  if (auto settled = settle_markers(marker_key(), message, parsed, layout, unmarked)) return std::move(*settled);
  const auto report = dsn::analyse(layout, message);
  // A multipart/report whose recipients had to be read from its text (the
  // delivery-status part is empty or missing) is still a delivery report.
  const bool report_kind =
      report.kind == dsn::ReportKind::delivery_status || report.kind == dsn::ReportKind::plain_bounce;
  if (!report_kind || report.recipients.empty())
    return unchanged(report.error.empty() ? "not a delivery status report" : report.error);
  // Recipients go into our sentences: a report naming something else (words,
  // a URL) as its recipient is not one we can retell truthfully.
  const auto not_address = std::find_if(report.recipients.begin(), report.recipients.end(),
                                        [](const auto& r) { return !dsn::is_plausible_address(r.recipient); });
  if (not_address != report.recipients.end())
    return unchanged("a reported recipient is not an e-mail address");
  if (budget.spent()) return unchanged(budget.reason("after reading the report"));

  std::vector<classifier::Classification> results;
  if (!classify_all(report, budget, results)) return unchanged(budget.reason("while classifying"));
  if (options.diagnose && !options.remote_report) diagnose_open_causes(report, options, results);

  Outcome out;
  auto rendered = render_notice(layout, report, results, options, out);
  if (budget.spent()) return unchanged(budget.reason("while writing the notice"));

  auto request = rewrite_request(std::move(rendered), out.locale, out.forged_sender);
  request.returned_headers_only = config_.return_headers_only;
  auto rewritten = dsn::rewrite_report(message, *parsed, layout, request);
  if (!rewritten.rewritten) return unchanged(rewritten.reason);
  if (!marker::seal(marker_key(), *rewritten.rewritten)) return unchanged("the rewritten message could not be marked");
  if (budget.spent()) return unchanged(budget.reason("while rebuilding the message"));
  // The MTA accepted the original at this size; a rewrite must not make it
  // one that the next hop refuses.
  if (rewritten.rewritten->message.size() > config_.max_message_bytes)
    return unchanged("the rewritten message would be larger than rewrite.max_message_bytes");
  out.rewritten = true;
  out.result = std::move(*rewritten.rewritten);
  return out;
}

// Whether the returned message clearly never passed through this system
// (engine/backscatter.hpp). Without names to compare with, never.
bool Engine::sent_elsewhere(const dsn::MimePart* returned_headers, const Options& options) const {
  const backscatter::OwnNames names(options.local_hostnames, config_.backscatter_hostnames,
                                    config_.backscatter_domains);
  return backscatter::origin_of(returned_headers, names) == backscatter::Origin::elsewhere;
}

}  // namespace clearbounce::engine
