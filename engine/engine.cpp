#include "engine/engine.hpp"

#include <algorithm>

#include "dsn/mime.hpp"
#include "dsn/report.hpp"
#include "engine/backscatter.hpp"
#include "templates/locale.hpp"
#include "templates/render.hpp"

namespace clearbounce::engine {
namespace {

// The headers of the returned message: an attached message/rfc822 (or
// message/global), or a text/rfc822-headers part. Empty when there is none.
struct Returned {
  std::optional<dsn::MimeMessage> headers_only;  // parsed text/rfc822-headers
  const dsn::MimePart* part = nullptr;
};

void find_returned(const dsn::MimePart& part, Returned& out) {
  if (out.part || out.headers_only) return;
  const auto& type = part.media_type();
  if ((type == "message/rfc822" || type == "message/global") && !part.children.empty()) {
    out.part = &part.children.front();
    return;
  }
  if (type == "text/rfc822-headers" || type == "message/global-headers") {
    out.headers_only = dsn::parse_mime(part.body);
    return;
  }
  for (const auto& child : part.children) find_returned(child, out);
}

std::string domain_of(std::string_view address) {
  const auto at = address.rfind('@');
  return at == std::string_view::npos ? std::string() : std::string(address.substr(at + 1));
}

// X-Clearbounce fields that verify mean "rewritten before": the outcome
// says which. Those that do not are anybody's: the message is read again
// without them (into `unmarked`), so that they neither stop the rewrite nor
// stay in it.
std::optional<Outcome> settle_markers(const marker::Key& key, std::string_view& message,
                                      std::optional<dsn::MimeMessage>& parsed, std::string& unmarked) {
  const auto verdicts = marker::verify(key, *parsed);
  if (verdicts.empty()) return std::nullopt;
  Outcome out;
  if (const auto good = std::find(verdicts.begin(), verdicts.end(), true); good != verdicts.end()) {
    out.reason = "already rewritten (its X-Clearbounce marker verifies)";
    out.verified_marker = static_cast<std::size_t>(good - verdicts.begin()) + 1;
    return out;
  }
  unmarked = marker::without_markers(message, parsed->root);
  message = unmarked;
  parsed = dsn::parse_mime(message);
  if (parsed) return std::nullopt;
  out.reason = "not an e-mail message once its X-Clearbounce fields are removed";
  return out;
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
    std::vector<std::string> ids;
    for (const auto& category : rules->categories()) ids.push_back(category.id);
    catalogues->check_complete(ids, errors);
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
  return engine;
}

Outcome Engine::process(std::string_view message, const Options& options) const {
  try {
    return process_or_throw(message, options);
  } catch (const std::exception& e) {
    Outcome out;
    out.reason = std::string("internal error: ") + e.what();
    return out;
  } catch (...) {
    Outcome out;
    out.reason = "internal error";
    return out;
  }
}

Outcome Engine::process_or_throw(std::string_view message, const Options& options) const {
  Outcome out;
  if (message.size() > config_.max_message_bytes) {
    out.reason = "the message is larger than rewrite.max_message_bytes";
    return out;
  }
  auto parsed = dsn::parse_mime(message);
  if (!parsed) {
    out.reason = "not an e-mail message";
    return out;
  }
  std::string unmarked;
  if (auto settled = settle_markers(marker_key(), message, parsed, unmarked)) return std::move(*settled);
  const auto report = dsn::analyse(*parsed, message);
  // A multipart/report whose recipients had to be read from its text (the
  // delivery-status part is empty or missing) is still a delivery report.
  const bool report_kind =
      report.kind == dsn::ReportKind::delivery_status || report.kind == dsn::ReportKind::plain_bounce;
  if (!report_kind || report.recipients.empty()) {
    out.reason = report.error.empty() ? "not a delivery status report" : report.error;
    return out;
  }

  std::vector<classifier::Classification> results;
  results.reserve(report.recipients.size());
  for (const auto& r : report.recipients) results.push_back(classifier_->classify(r, report));

  Returned returned;
  find_returned(parsed->root, returned);
  const dsn::MimePart* returned_headers =
      returned.part ? returned.part : returned.headers_only ? &returned.headers_only->root : nullptr;

  templates::LocaleInputs inputs;
  if (returned_headers) {
    inputs.content_language = returned_headers->header_text("Content-Language");
    inputs.accept_language = returned_headers->header_text("Accept-Language");
  }
  inputs.sender_domain = domain_of(parsed->root.header_text("To"));
  out.locale = options.locale.empty()
                   ? templates::choose_locale(inputs, config_.domain_locales, config_.default_locale, *catalogues_)
                   : templates::match_locale(options.locale, *catalogues_);
  if (out.locale.empty()) out.locale = "en";

  templates::RenderInput input;
  input.report = &report;
  input.classifications = &results;
  input.classifier = classifier_.get();
  input.original_subject = returned_headers ? returned_headers->header_text("Subject") : std::string();
  input.organization = config_.organization;
  input.support = config_.support;
  input.remote_report = options.remote_report;
  input.detailed_recipients = config_.detailed_recipients;
  out.forged_sender = options.remote_report && sent_elsewhere(returned_headers, options);
  input.forged_sender = out.forged_sender;
  auto rendered = templates::render(input, out.locale, *catalogues_);
  out.categories = rendered.categories;

  dsn::RewriteRequest request;
  request.text_plain = std::move(rendered.text);
  request.html = std::move(rendered.html);
  request.subject = std::move(rendered.subject);
  std::string ids;
  for (const auto& id : out.categories) ids += (ids.empty() ? "" : ",") + id;
  // Reports of successes only name no failure category.
  request.x_clearbounce = marker::unsealed("category=" + (ids.empty() ? std::string("delivered") : ids) +
                                           "; locale=" + out.locale + (out.forged_sender ? "; forged=yes" : ""));

  auto rewritten = dsn::rewrite_report(message, *parsed, request);
  if (!rewritten.rewritten) {
    out.reason = rewritten.reason;
    return out;
  }
  if (!marker::seal(marker_key(), *rewritten.rewritten)) {
    out.reason = "the rewritten message could not be marked";
    return out;
  }
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
