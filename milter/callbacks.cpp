#include "milter/callbacks.hpp"

#include <syslog.h>

#include <exception>
#include <memory>

#include "milter/libmilter_mta.hpp"
#include "milter/log.hpp"
#include "milter/session.hpp"

namespace clearbounce::milter {
namespace {

constexpr unsigned long kWantedActions = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
// Steps we have no use for: the MTA leaves them out. DATA is taken (and
// answered at once): Postfix sends the macros of skipped steps anyway, and
// over TCP an unanswered macro packet waits for a delayed ACK, 40 ms per
// report (bench/postfix/README.md).
constexpr unsigned long kUnneededSteps = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NOUNKNOWN;
// Header fields go unanswered: without this the MTA waits for a reply to
// each field of a report, a round trip per field (a dozen per report, more
// than the rest of the protocol together). A message that is to pass is
// accepted at end of headers instead. libmilter offers this flag to every
// MTA and answers "continue" itself to one that does not know it.
constexpr unsigned long kUnansweredSteps = SMFIP_NR_HDR;

// Set by filter_description() before libmilter starts, never changed after.
SessionHost* the_host = nullptr;
std::size_t the_body_piece_bytes = kBodyPieceBytes;

// What one connection owns, from negotiation to close.
struct Connection {
  Connection(SMFICTX* ctx, bool leading_space, bool may_modify)
      : mta(ctx, the_body_piece_bytes), session(mta, *the_host, leading_space, may_modify) {}
  LibmilterMta mta;
  Session session;
};

Connection* connection_of(SMFICTX* ctx) { return static_cast<Connection*>(smfi_getpriv(ctx)); }

// Runs one step. No exception crosses into libmilter: any failure is
// logged and the message accepted unchanged (fail open: never reject, never
// tempfail). The catch-all is the last resort for a non-standard exception
// and logs like the others. Without a connection (negotiation failed, so
// what the MTA offered is unknown) every message is accepted.
template <typename Step>
sfsistat guarded(SMFICTX* ctx, const char* step, Step&& run) noexcept {
  Connection* connection = connection_of(ctx);
  if (connection == nullptr) return SMFIS_ACCEPT;
  try {
    return run(connection->session);
  } catch (const std::exception& e) {
    log(LOG_ERR, "%s: %s; the message passes unchanged", step, e.what());
  } catch (...) {
    log(LOG_ERR, "%s: an exception of unknown type; the message passes unchanged", step);
  }
  the_host->stats().errors.fetch_add(1, std::memory_order_relaxed);
  connection->session.abandon();
  return SMFIS_ACCEPT;
}

// Makes the connection's session. False (logged) when that fails: the
// connection then goes on without one.
bool open_connection(SMFICTX* ctx, bool leading_space, bool may_modify) noexcept {
  try {
    auto connection = std::make_unique<Connection>(ctx, leading_space, may_modify);
    if (smfi_setpriv(ctx, connection.get()) != MI_SUCCESS) {
      log(LOG_ERR, "negotiate: libmilter refused the connection's data; its messages pass unchanged");
      return false;
    }
    connection.release();  // owned by the connection until on_close
    return true;
  } catch (const std::exception& e) {
    log(LOG_ERR, "negotiate: %s; the connection's messages pass unchanged", e.what());
    return false;
  }
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long actions, unsigned long steps, unsigned long, unsigned long,
                      unsigned long* want_actions, unsigned long* want_steps, unsigned long* want2,
                      unsigned long* want3) {
  *want_actions = kWantedActions & actions;
  *want_steps = (kUnneededSteps | kUnansweredSteps | SMFIP_HDR_LEADSPC) & steps;
  *want2 = 0;
  *want3 = 0;
  const bool may_modify = (actions & kWantedActions) == kWantedActions;
  if (connection_of(ctx) == nullptr) open_connection(ctx, (steps & SMFIP_HDR_LEADSPC) != 0, may_modify);
  if (!may_modify) {
    log(LOG_WARNING, "the MTA does not allow header and body changes (actions 0x%lx): reports pass unchanged",
        actions);
  }
  // SMFIS_ACCEPT is no answer to negotiation: after a failure here the
  // connection goes on without a session, and every message is accepted.
  return SMFIS_CONTINUE;
}

sfsistat on_data(SMFICTX*) { return SMFIS_CONTINUE; }

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  const char* sender = argv != nullptr ? argv[0] : nullptr;
  return guarded(ctx, "MAIL FROM", [&](Session& session) { return session.envfrom(sender); });
}

// No answer whatever the session decides (kUnansweredSteps): a session that
// lets the message pass here has ended its transaction, and the end of
// headers then accepts the message. Any other answer would make libmilter
// take the message as accepted while the MTA goes on sending it.
sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  guarded(ctx, "header", [&](Session& session) { return session.header(name, value); });
  return SMFIS_NOREPLY;
}

sfsistat on_eoh(SMFICTX* ctx) {
  return guarded(ctx, "end of headers", [](Session& session) { return session.end_of_headers(); });
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t size) {
  return guarded(ctx, "body", [&](Session& session) { return session.body(chunk, size); });
}

sfsistat on_eom(SMFICTX* ctx) {
  return guarded(ctx, "end of message", [](Session& session) { return session.end_of_message(); });
}

sfsistat on_abort(SMFICTX* ctx) {
  const sfsistat result = guarded(ctx, "abort", [](Session& session) { return session.abort(); });
  return result == SMFIS_ACCEPT ? SMFIS_CONTINUE : result;  // an abort is answered with CONTINUE
}

sfsistat on_close(SMFICTX* ctx) {
  const std::unique_ptr<Connection> connection(connection_of(ctx));  // noexcept from here on
  smfi_setpriv(ctx, nullptr);
  return SMFIS_CONTINUE;
}

}  // namespace

struct smfiDesc filter_description(SessionHost& host, std::size_t body_piece_bytes) {
  the_host = &host;
  the_body_piece_bytes = body_piece_bytes != 0 ? body_piece_bytes : kBodyPieceBytes;
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
