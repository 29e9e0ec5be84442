#include "milter/session.hpp"

#include <syslog.h>

#include <algorithm>
#include <chrono>

#include "engine/diagnosis.hpp"
#include "milter/log.hpp"
#include "milter/message.hpp"

namespace clearbounce::milter {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

const char* or_dash(const std::string& text) { return text.empty() ? "-" : text.c_str(); }

}  // namespace

Session::Session(Mta& mta, SessionHost& host, bool leading_space, bool may_modify)
    : mta_(mta), host_(host), leading_space_(leading_space), may_modify_(may_modify) {}

Session::~Session() { end_transaction(); }

std::string Session::queue_id() const {
  for (const char* name : {"i", "{i}"}) {
    if (auto value = mta_.macro(name)) return *value;
  }
  return {};
}

void Session::end_transaction() noexcept {
  engine_.reset();
  diagnoser_.reset();
  // Give the memory of a large message back rather than keep it per
  // connection; before its bytes are released, which may hand it back to
  // the system.
  std::string().swap(message_);
  header_names_.clear();
  content_type_.clear();
  markers_ = 0;
  in_body_ = false;
  host_.release_report_bytes(reserved_);
  reserved_ = 0;
  if (in_transaction_) host_.end_transaction();
  in_transaction_ = false;
}

void Session::abandon() noexcept { end_transaction(); }

bool Session::over_cap() const { return engine_ && message_.size() > engine_->config().max_message_bytes; }

bool Session::had_header(std::string_view name) const {
  const std::string wanted = lower(name);
  return std::find(header_names_.begin(), header_names_.end(), wanted) != header_names_.end();
}

sfsistat Session::pass(const char* why) {
  host_.stats().passed.fetch_add(1, std::memory_order_relaxed);
  const std::string id = queue_id_.empty() ? queue_id() : queue_id_;
  log(LOG_INFO, "%s: action=passed reason=\"%s\" path=%s", or_dash(id), why, remote_ ? "remote" : "local");
  end_transaction();
  return SMFIS_ACCEPT;
}

sfsistat Session::envfrom(const char* sender) {
  end_transaction();  // a new MAIL FROM without end of message or abort
  host_.stats().seen.fetch_add(1, std::memory_order_relaxed);

  // Only the null sender sends delivery reports. Postfix's own bounces come
  // through non_smtpd_milters with an empty address ("Sendmail 8.13 does not
  // externalize the null address"); reports received over SMTP as "<>".
  const SenderPath path = sender_path(sender != nullptr ? sender : "");
  if (path == SenderPath::ordinary) return SMFIS_ACCEPT;
  const bool local = path == SenderPath::local_bounce;
  const bool remote = path == SenderPath::remote_report;

  auto engine = host_.engine();
  if (!engine) return SMFIS_ACCEPT;
  const auto& settings = engine->config().milter;
  if ((local && !settings.handle_local_bounces) || (remote && !settings.handle_remote_dsns)) {
    log(LOG_DEBUG, "%s: null sender on the %s path, which milter.handle_%s turns off", or_dash(queue_id()),
        local ? "local" : "remote", local ? "local_bounces" : "remote_dsns");
    return SMFIS_ACCEPT;
  }
  if (!host_.begin_transaction()) return SMFIS_ACCEPT;  // stopping
  in_transaction_ = true;
  remote_ = remote;
  engine_ = std::move(engine);
  if (local) diagnoser_ = host_.diagnoser();  // never for a report from the internet
  queue_id_ = queue_id();
  return SMFIS_CONTINUE;
}

sfsistat Session::header(const char* name, const char* value) {
  if (!in_transaction_ || name == nullptr) return SMFIS_ACCEPT;
  const std::string_view field(name);
  const std::string_view text(value != nullptr ? value : "");
  append_header(message_, field, text, leading_space_);
  header_names_.push_back(lower(field));
  if (same_name(field, "Content-Type") && content_type_.empty()) content_type_ = text.empty() ? " " : text;
  if (same_name(field, "X-Clearbounce")) ++markers_;
  if (over_cap()) {
    log(LOG_INFO, "%s: action=passed reason=\"the header section alone is larger than rewrite.max_message_bytes\"",
        or_dash(queue_id_));
    end_transaction();
    return SMFIS_ACCEPT;
  }
  return SMFIS_CONTINUE;
}

constexpr const char* kMemoryBound = "the reports in progress hold as much as the daemon buffers at once (its memory bound)";

// Counts `bytes` more of this report against the daemon's bound.
bool Session::reserve(std::size_t bytes) {
  if (!host_.reserve_report_bytes(bytes, reserved_)) return false;
  reserved_ += bytes;
  return true;
}

sfsistat Session::end_of_headers() {
  if (!in_transaction_) return SMFIS_ACCEPT;
  if (!is_delivery_report(content_type_)) {
    log(LOG_DEBUG, "%s: null sender, but not a delivery report (Content-Type: %s)", or_dash(queue_id_),
        content_type_.empty() ? "none" : std::string(trim(content_type_)).c_str());
    end_transaction();
    return SMFIS_ACCEPT;
  }
  host_.stats().reports.fetch_add(1, std::memory_order_relaxed);
  message_ += "\r\n";
  if (!reserve(message_.size())) return pass(kMemoryBound);
  in_body_ = true;
  return SMFIS_CONTINUE;
}

sfsistat Session::body(const unsigned char* chunk, std::size_t size) {
  if (!in_transaction_ || !in_body_) return SMFIS_ACCEPT;
  if (message_.size() + size > engine_->config().max_message_bytes) {
    return pass("larger than rewrite.max_message_bytes");
  }
  if (!reserve(size)) return pass(kMemoryBound);
  message_.append(reinterpret_cast<const char*>(chunk), size);
  return SMFIS_CONTINUE;
}

sfsistat Session::end_of_message() {
  if (!in_transaction_ || !in_body_) {
    end_transaction();
    return SMFIS_ACCEPT;
  }
  auto& stats = host_.stats();
  if (const std::string id = queue_id(); !id.empty()) queue_id_ = id;

  const auto started = std::chrono::steady_clock::now();
  engine::Options options;
  options.remote_report = remote_;
  options.local_hostnames = own_hostnames();
  // The MTA waits this long for the answer to end of message, then gives up
  // and goes on without the milter (Postfix: milter_content_timeout, which
  // milter.timeout_seconds is documented to match): past it nobody needs
  // the result, so the engine stops and the CPU is free for other messages.
  options.deadline = started + std::chrono::seconds(engine_->config().milter.timeout_seconds);
  if (diagnoser_ && !remote_) {
    const auto diagnosis_deadline = started + std::chrono::milliseconds(engine_->config().diagnose.timeout_ms);
    options.diagnose = engine::ask(*diagnoser_, std::min(diagnosis_deadline, options.deadline));
  }
  const engine::Outcome outcome = engine_->process(message_, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  stats.record_latency(elapsed);
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();
  if (!remove_untrusted_markers(outcome.verified_marker)) {
    stats.errors.fetch_add(1, std::memory_order_relaxed);
    end_transaction();
    return SMFIS_ACCEPT;
  }

  if (!outcome.rewritten) {
    stats.passed.fetch_add(1, std::memory_order_relaxed);
    log(LOG_INFO, "%s: action=passed reason=\"%s\" path=%s time=%.3fms", or_dash(queue_id_), outcome.reason.c_str(),
        remote_ ? "remote" : "local", ms);
    end_transaction();
    return SMFIS_ACCEPT;
  }

  std::string categories;
  for (const auto& id : outcome.categories) categories += (categories.empty() ? "" : ",") + id;
  const bool dry_run = engine_->config().milter.dry_run;
  if (!may_modify_) {
    stats.passed.fetch_add(1, std::memory_order_relaxed);
    log(LOG_WARNING, "%s: action=passed reason=\"the MTA does not allow header and body changes\" category=%s",
        or_dash(queue_id_), or_dash(categories));
    end_transaction();
    return SMFIS_ACCEPT;
  }
  const bool applied = apply(outcome, dry_run);
  if (applied) {
    stats.rewritten.fetch_add(1, std::memory_order_relaxed);
  } else {
    stats.errors.fetch_add(1, std::memory_order_relaxed);
  }
  log(applied ? LOG_INFO : LOG_ERR, "%s: action=%s category=%s locale=%s path=%s%s time=%.3fms", or_dash(queue_id_),
      !applied ? "failed" : dry_run ? "marked(dry-run)" : "rewritten", or_dash(categories), or_dash(outcome.locale),
      remote_ ? "remote" : "local", outcome.forged_sender ? " forged=yes" : "", ms);
  end_transaction();
  return SMFIS_ACCEPT;
}

// Header changes first, then the body: Postfix refuses body replacement
// interleaved with other edits.
bool Session::apply(const engine::Outcome& outcome, bool dry_run) {
  for (const auto& edit : outcome.result.headers) {
    if (dry_run && !same_name(edit.name, "X-Clearbounce")) continue;
    const std::string value = header_value_for_mta(edit.value, leading_space_);
    const bool done = had_header(edit.name) ? mta_.change_header(edit.name, 1, value) : mta_.add_header(edit.name, value);
    if (!done) {
      log(LOG_ERR, "%s: the MTA refused the change of header %s", or_dash(queue_id_), edit.name.c_str());
      return false;
    }
  }
  if (dry_run) return true;
  if (!mta_.replace_body(outcome.result.body)) {
    log(LOG_ERR, "%s: the MTA refused the body replacement", or_dash(queue_id_));
    return false;
  }
  return true;
}

// What the MTA calls itself: Postfix and Sendmail send {j} with the
// connection's macros (also when the connect step itself is skipped).
std::vector<std::string> Session::own_hostnames() const {
  for (const char* name : {"j", "{j}"}) {
    if (auto value = mta_.macro(name); value && !value->empty()) return {*value};
  }
  return {};
}

// Only a marker whose MAC verifies says "rewritten before" (engine/marker.hpp):
// every other X-Clearbounce field is anybody's and is deleted, last first so
// that the positions of the others stay as counted. `verified`: the 1-based
// position of the one that verifies, kept; 0: none.
bool Session::remove_untrusted_markers(std::size_t verified) {
  if (markers_ == 0 || (markers_ == 1 && verified == 1) || !may_modify_) return true;
  for (std::size_t index = markers_; index >= 1; --index) {
    if (index == verified) continue;
    if (!mta_.delete_header("X-Clearbounce", static_cast<int>(index))) {
      log(LOG_ERR, "%s: the MTA refused to remove an X-Clearbounce field that does not verify", or_dash(queue_id_));
      return false;
    }
  }
  log(LOG_INFO, "%s: removed %zu X-Clearbounce field(s) that do not verify", or_dash(queue_id_),
      markers_ - (verified != 0 ? 1 : 0));
  if (verified == 0) std::erase(header_names_, std::string("x-clearbounce"));
  return true;
}

sfsistat Session::abort() {
  end_transaction();
  return SMFIS_CONTINUE;
}

}  // namespace clearbounce::milter
