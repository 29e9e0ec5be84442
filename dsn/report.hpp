// What a bounce says, independent of how it said it: the result of reading
// an RFC 3464 / RFC 6533 delivery-status report or one of the plain-text
// dialects that MTAs write instead.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::dsn {

enum class ReportKind {
  not_bounce,       // ordinary mail: nothing to classify
  delivery_status,  // multipart/report; report-type=(global-)delivery-status
  plain_bounce,     // a bounce written as free text (qmail, Exim, Exchange, ...)
  feedback_report,  // ARF abuse / feedback report (RFC 5965)
  auto_reply,       // vacation / out-of-office (RFC 3834); dialect "challenge-response" for
                    // requests to confirm the sender (TMDA, whitelist systems): held, not failed
};

std::string_view to_string(ReportKind kind);

// How much of a recipient's diagnostic is examined for codes, commands,
// hosts and wording: as much as a notice quotes. The causes are named at
// the start of a server's answer; looking further only costs time on
// hostile input.
constexpr std::size_t kMaxExaminedDiagnosticBytes = 4096;

// One reported recipient, in the order the bounce lists them.
struct RecipientReport {
  // The bare address the sender used: the Original-Recipient when the report
  // gives one with a domain (the sender knows that address, not the one an
  // alias or forward expanded it to), else the Final-Recipient. Exchange's
  // "smtp=", "SMTP:" and "[SMTP:...]" wrappers are removed.
  std::string recipient;
  std::string original_recipient;  // Original-Recipient when given, bare address
  std::string final_recipient;     // Final-Recipient when given, bare address (after aliases and forwards)
  // RFC 3464's set: failed, delayed, delivered, relayed, expanded (other
  // spellings such as "failure", "error", "bounced", "deferred" are mapped),
  // or "expired" (failed when the queue lifetime ran out), or empty when the
  // report's value means nothing known. Auto-replies say "auto-replied",
  // feedback reports "feedback".
  std::string action;
  std::string status;              // enhanced status code "5.1.1", empty when unknown
  std::string reply_code;          // SMTP reply code "550", empty when unknown
  std::string remote_mta;          // host name (or [ip]) of the server that answered
  std::string remote_ip;           // its address when the bounce names one
  std::string diagnostic_type;     // lower-case: smtp, x-postfix, x-unix, ... or empty
  std::string diagnostic;          // unfolded UTF-8 text as the MTA wrote it
  std::string context;             // the bounce's other explanatory text, when the diagnostic may not say enough
  std::string smtp_command;        // upper-case command the error answered (RCPT, DATA, ...)
  std::string last_attempt_date;   // as written
  std::string will_retry_until;    // as written
};

// True when `address` could be a mailbox a report names: a dot-atom local
// part (UTF-8 allowed), optionally "@" and a domain of letters, digits,
// hyphens and dots (or an [address literal]); at most 254 bytes. A report's
// recipient that is anything else (words, a URL, a phone number) is not
// put into a notice's sentences.
bool is_plausible_address(std::string_view address);

struct BounceReport {
  ReportKind kind = ReportKind::not_bounce;
  std::string dialect;        // who wrote it: "rfc3464", "postfix", "qmail", "exim", ...
  std::string reporting_mta;  // Reporting-MTA or the host named in the text
  std::string arrival_date;
  std::string subject;        // the bounce's own subject, decoded
  std::string feedback_type;  // ARF only
  std::vector<RecipientReport> recipients;
  std::string error;          // not_bounce or damaged input: why, in one sentence
};

struct AnalyseLimits {
  std::size_t max_message_bytes = 64u << 20;  // larger input is not analysed
  std::size_t max_recipients = 10000;         // the rest are dropped with a note in `error`
};

// Reads a whole message. Throws only std::bad_alloc; bad input gives kind == not_bounce
// and a one-sentence `error`.
BounceReport analyse(std::string_view message, const AnalyseLimits& limits = {});

struct MimeMessage;
// The same, for a message the caller has parsed already (parse_mime(message)).
BounceReport analyse(const MimeMessage& parsed, std::string_view message, const AnalyseLimits& limits = {});

struct ReportLayout;
// The same, for a message whose layout the caller has worked out already
// (layout_of(parse_mime(message)->root)), so that it is found once for
// every reader of the message.
BounceReport analyse(const ReportLayout& layout, std::string_view message, const AnalyseLimits& limits = {});

}  // namespace clearbounce::dsn
