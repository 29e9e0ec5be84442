// One milter connection: its negotiated options and the message in
// progress. The libmilter callbacks (callbacks.cpp) create one per
// connection at negotiation and hand it every step; it talks to the MTA
// only through Mta and to the daemon only through SessionHost, so that the
// unit tests drive it in process. Every step answers SMFIS_CONTINUE (go on)
// or SMFIS_ACCEPT (this message is left as it is).
#pragma once

#include <libmilter/mfapi.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/engine.hpp"
#include "milter/mta.hpp"
#include "milter/session_host.hpp"

namespace clearbounce::milter {

class Session {
 public:
  Session(Mta& mta, SessionHost& host, bool leading_space, bool may_modify);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  sfsistat envfrom(const char* sender);  // MAIL FROM's first argument
  sfsistat header(const char* name, const char* value);
  sfsistat end_of_headers();
  sfsistat body(const unsigned char* chunk, std::size_t size);
  sfsistat end_of_message();
  sfsistat abort();

  // After an exception in a step: the message is accepted unchanged.
  void abandon() noexcept;

 private:
  bool over_cap() const;
  bool reserve(std::size_t bytes);
  sfsistat pass(const char* why);  // a report left as it is: log, count, accept
  void end_transaction() noexcept;
  std::string queue_id() const;
  bool had_header(std::string_view name) const;
  bool apply(const engine::Outcome& outcome, bool dry_run);
  std::vector<std::string> own_hostnames() const;
  bool remove_untrusted_markers(std::size_t verified);

  Mta& mta_;
  SessionHost& host_;
  bool leading_space_;  // SMFIP_HDR_LEADSPC negotiated: header values come with their leading blanks
  bool may_modify_;     // the MTA allows header and body changes

  // The message in progress.
  bool in_transaction_ = false;
  bool remote_ = false;          // MAIL FROM:<> over SMTP, not the MTA's own bounce
  std::shared_ptr<const engine::Engine> engine_;  // one configuration per message
  std::shared_ptr<diagnose::Diagnoser> diagnoser_;  // with it; null: no diagnosis
  std::string message_;          // header section rebuilt, then "\r\n", then the body
  std::vector<std::string> header_names_;  // lower-case, in order
  std::string content_type_;     // raw value of the first Content-Type
  std::size_t markers_ = 0;      // X-Clearbounce fields in the header section
  bool in_body_ = false;
  std::size_t reserved_ = 0;     // bytes of this report counted against the daemon's bound
  std::string queue_id_;
};

}  // namespace clearbounce::milter
