#include "milter/session.hpp"

#include <syslog.h>

#include <algorithm>
#include <exception>

#include "milter/daemon.hpp"
#include "milter/log.hpp"
#include "milter/message.hpp"

namespace clearbounce::milter {
namespace {

constexpr unsigned long kWantedActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
// Steps we have no use for: the MTA leaves them out. DATA is taken (and
// answered at once): Postfix sends the macros of skipped steps anyway, and
// over TCP an unanswered macro packet waits for a delayed ACK, 40 ms per
// report (bench/postfix/README.md).
constexpr unsigned long kUnneededSteps = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN;
// Body replacement goes out in pieces of this size. MTAs take any size up to
// MILTER_CHUNK_SIZE (65535) and join lines across pieces; miltertest, the
// protocol test tool, reads every reply into a 1 KiB buffer and crashes on
// larger ones. A few more small writes per rewritten report cost nothing
// next to the rewrite itself.
constexpr std::size_t kReplaceChunk = 1000;

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

Session* session_of(SMFICTX* ctx) { return static_cast<Session*>(smfi_getpriv(ctx)); }

// Every callback: no exception crosses into libmilter; on any failure the
// message is accepted unchanged (fail open: never reject, never tempfail).
template <typename Body>
sfsistat guarded(SMFICTX* ctx, const char* step, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    log(LOG_ERR, "%s: %s", step, e.what());
  } catch (...) {
    log(LOG_ERR, "%s: unknown exception", step);
  }
  try {
    Daemon::instance().stats().errors.fetch_add(1, std::memory_order_relaxed);
    if (Session* session = session_of(ctx)) session->abandon();
  } catch (...) {
  }
  return SMFIS_ACCEPT;
}

}  // namespace

Session::Session(SMFICTX* ctx, bool leading_space, bool may_modify)
    : ctx_(ctx), leading_space_(leading_space), may_modify_(may_modify) {}

Session::~Session() { end_transaction(); }

std::string Session::queue_id() const {
  for (const char* name : {"i", "{i}"}) {
    if (const char* value = smfi_getsymval(ctx_, const_cast<char*>(name))) return value;
  }
  return {};
}

void Session::end_transaction() noexcept {
  if (in_transaction_) Daemon::instance().end_transaction();
  in_transaction_ = false;
  engine_.reset();
  // Give the memory of a large message back rather than keep it per connection.
  std::string().swap(message_);
  header_names_.clear();
  content_type_.clear();
  marked_ = false;
  in_body_ = false;
}

void Session::abandon() noexcept { end_transaction(); }

bool Session::over_cap() const { return engine_ && message_.size() > engine_->config().max_message_bytes; }

bool Session::had_header(std::string_view name) const {
  const std::string wanted = lower(name);
  return std::find(header_names_.begin(), header_names_.end(), wanted) != header_names_.end();
}

sfsistat Session::pass(const char* why) {
  auto& stats = Daemon::instance().stats();
  stats.passed.fetch_add(1, std::memory_order_relaxed);
  const std::string id = queue_id_.empty() ? queue_id() : queue_id_;
  log(LOG_INFO, "%s: action=passed reason=\"%s\" path=%s", or_dash(id), why, remote_ ? "remote" : "local");
  end_transaction();
  return SMFIS_ACCEPT;
}

sfsistat Session::envfrom(char** argv) {
  end_transaction();  // a new MAIL FROM without end of message or abort
  Daemon& daemon = Daemon::instance();
  daemon.stats().seen.fetch_add(1, std::memory_order_relaxed);

  // Only the null sender sends delivery reports. Postfix's own bounces come
  // through non_smtpd_milters with an empty address ("Sendmail 8.13 does not
  // externalize the null address"); reports received over SMTP as "<>".
  const SenderPath path = sender_path(argv != nullptr && argv[0] != nullptr ? argv[0] : "");
  if (path == SenderPath::ordinary) return SMFIS_ACCEPT;
  const bool local = path == SenderPath::local_bounce;
  const bool remote = path == SenderPath::remote_report;

  auto engine = daemon.engine();
  if (!engine) return SMFIS_ACCEPT;
  const auto& settings = engine->config().milter;
  if ((local && !settings.handle_local_bounces) || (remote && !settings.handle_remote_dsns)) {
    log(LOG_DEBUG, "%s: null sender on the %s path, which milter.handle_%s turns off", or_dash(queue_id()),
        local ? "local" : "remote", local ? "local_bounces" : "remote_dsns");
    return SMFIS_ACCEPT;
  }
  if (!daemon.begin_transaction()) return SMFIS_ACCEPT;  // stopping
  in_transaction_ = true;
  remote_ = remote;
  engine_ = std::move(engine);
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
  if (same_name(field, "X-Clearbounce")) marked_ = true;
  if (over_cap()) {
    log(LOG_INFO, "%s: action=passed reason=\"the header section alone is larger than rewrite.max_message_bytes\"",
        or_dash(queue_id_));
    end_transaction();
    return SMFIS_ACCEPT;
  }
  return SMFIS_CONTINUE;
}

sfsistat Session::end_of_headers() {
  if (!in_transaction_) return SMFIS_ACCEPT;
  if (!is_delivery_report(content_type_)) {
    log(LOG_DEBUG, "%s: null sender, but not a delivery report (Content-Type: %s)", or_dash(queue_id_),
        content_type_.empty() ? "none" : std::string(trim(content_type_)).c_str());
    end_transaction();
    return SMFIS_ACCEPT;
  }
  Daemon::instance().stats().reports.fetch_add(1, std::memory_order_relaxed);
  if (marked_) return pass("already rewritten (X-Clearbounce present)");
  message_ += "\r\n";
  in_body_ = true;
  return SMFIS_CONTINUE;
}

sfsistat Session::body(const unsigned char* chunk, std::size_t size) {
  if (!in_transaction_ || !in_body_) return SMFIS_ACCEPT;
  if (message_.size() + size > engine_->config().max_message_bytes) {
    return pass("larger than rewrite.max_message_bytes");
  }
  message_.append(reinterpret_cast<const char*>(chunk), size);
  return SMFIS_CONTINUE;
}

sfsistat Session::end_of_message() {
  if (!in_transaction_ || !in_body_) {
    end_transaction();
    return SMFIS_ACCEPT;
  }
  Daemon& daemon = Daemon::instance();
  auto& stats = daemon.stats();
  if (const std::string id = queue_id(); !id.empty()) queue_id_ = id;

  engine::Options options;
  options.remote_report = remote_;
  const auto started = std::chrono::steady_clock::now();
  const engine::Outcome outcome = engine_->process(message_, options);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  stats.record_latency(elapsed);
  const double ms = std::chrono::duration<double, std::milli>(elapsed).count();

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
  log(applied ? LOG_INFO : LOG_ERR, "%s: action=%s category=%s locale=%s path=%s time=%.3fms", or_dash(queue_id_),
      !applied ? "failed" : dry_run ? "marked(dry-run)" : "rewritten", or_dash(categories), or_dash(outcome.locale),
      remote_ ? "remote" : "local", ms);
  end_transaction();
  return SMFIS_ACCEPT;
}

// Header changes first, then the body in one run of SMFIR_REPLBODY
// requests: Postfix refuses body replacement interleaved with other edits.
bool Session::apply(const engine::Outcome& outcome, bool dry_run) {
  for (const auto& edit : outcome.result.headers) {
    if (dry_run && !same_name(edit.name, "X-Clearbounce")) continue;
    std::string name = edit.name;
    std::string value = header_value_for_mta(edit.value, leading_space_);
    const int rc = had_header(name) ? smfi_chgheader(ctx_, name.data(), 1, value.data())
                                    : smfi_addheader(ctx_, name.data(), value.data());
    if (rc != MI_SUCCESS) {
      log(LOG_ERR, "%s: the MTA refused the change of header %s", or_dash(queue_id_), name.c_str());
      return false;
    }
  }
  if (dry_run) return true;
  const std::string& body = outcome.result.body;
  for (std::size_t offset = 0; offset < body.size(); offset += kReplaceChunk) {
    const std::size_t length = std::min(kReplaceChunk, body.size() - offset);
    // libmilter's prototype is not const-correct; it only reads the bytes.
    auto* bytes = reinterpret_cast<unsigned char*>(const_cast<char*>(body.data() + offset));
    if (smfi_replacebody(ctx_, bytes, static_cast<int>(length)) != MI_SUCCESS) {
      log(LOG_ERR, "%s: the MTA refused the body replacement", or_dash(queue_id_));
      return false;
    }
  }
  return true;
}

sfsistat Session::abort() {
  end_transaction();
  return SMFIS_CONTINUE;
}

// ---- libmilter callbacks --------------------------------------------------------

namespace {

Session* ensure_session(SMFICTX* ctx, bool leading_space, bool may_modify) {
  if (Session* existing = session_of(ctx)) return existing;
  auto session = std::make_unique<Session>(ctx, leading_space, may_modify);
  if (smfi_setpriv(ctx, session.get()) != MI_SUCCESS) return nullptr;
  return session.release();  // owned by the connection until xxfi_close
}

sfsistat on_data(SMFICTX*) { return SMFIS_CONTINUE; }

sfsistat on_negotiate(SMFICTX* ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long,
                      unsigned long* want_actions, unsigned long* want_steps, unsigned long* want2,
                      unsigned long* want3) {
  *want_actions = kWantedActions & actions;
  *want_steps = (kUnneededSteps | SMFIP_HDR_LEADSPC) & steps;
  *want2 = 0;
  *want3 = 0;
  // SMFIS_ACCEPT is no answer to negotiation: after a failure here the
  // connection goes on without a session, and every message is accepted.
  guarded(ctx, "negotiate", [&] {
    ensure_session(ctx, (steps & SMFIP_HDR_LEADSPC) != 0, (actions & kWantedActions) == kWantedActions);
    if ((actions & kWantedActions) != kWantedActions) {
      log(LOG_WARNING, "the MTA does not allow header and body changes (actions 0x%lx): reports pass unchanged",
          actions);
    }
    return SMFIS_CONTINUE;
  });
  return SMFIS_CONTINUE;
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  return guarded(ctx, "MAIL FROM", [&] {
    // No session: negotiation failed, so what the MTA offered is unknown.
    Session* session = session_of(ctx);
    return session != nullptr ? session->envfrom(argv) : SMFIS_ACCEPT;
  });
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  return guarded(ctx, "header", [&] {
    Session* session = session_of(ctx);
    return session != nullptr ? session->header(name, value) : SMFIS_ACCEPT;
  });
}

sfsistat on_eoh(SMFICTX* ctx) {
  return guarded(ctx, "end of headers", [&] {
    Session* session = session_of(ctx);
    return session != nullptr ? session->end_of_headers() : SMFIS_ACCEPT;
  });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t size) {
  return guarded(ctx, "body", [&] {
    Session* session = session_of(ctx);
    return session != nullptr ? session->body(chunk, size) : SMFIS_ACCEPT;
  });
}

sfsistat on_eom(SMFICTX* ctx) {
  return guarded(ctx, "end of message", [&] {
    Session* session = session_of(ctx);
    return session != nullptr ? session->end_of_message() : SMFIS_ACCEPT;
  });
}

sfsistat on_abort(SMFICTX* ctx) {
  const sfsistat result = guarded(ctx, "abort", [&] {
    Session* session = session_of(ctx);
    return session != nullptr ? session->abort() : SMFIS_CONTINUE;
  });
  return result == SMFIS_ACCEPT ? SMFIS_CONTINUE : result;
}

sfsistat on_close(SMFICTX* ctx) {
  try {
    std::unique_ptr<Session> session(session_of(ctx));
    smfi_setpriv(ctx, nullptr);
  } catch (...) {
  }
  return SMFIS_CONTINUE;
}

}  // namespace

struct smfiDesc filter_description() {
  struct smfiDesc desc {};
  desc.xxfi_name = const_cast<char*>("clearbounce");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = kWantedActions;
  desc.xxfi_envfrom = on_envfrom;
  desc.xxfi_data = on_data;
  desc.xxfi_header = on_header;
  desc.xxfi_eoh = on_eoh;
  desc.xxfi_body = on_body;
  desc.xxfi_eom = on_eom;
  desc.xxfi_abort = on_abort;
  desc.xxfi_close = on_close;
  desc.xxfi_negotiate = on_negotiate;
  return desc;
}

}  // namespace clearbounce::milter
