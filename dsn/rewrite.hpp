// Rebuilding a delivery report with a new human-readable part. Every other
// part (message/delivery-status, message/global-delivery-status,
// message/rfc822, text/rfc822-headers, message/global*) and every header not
// named below is kept byte for byte.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/layout.hpp"
#include "dsn/mime.hpp"

namespace clearbounce::dsn {

struct RewriteRequest {
  std::string text_plain;     // new human-readable text, UTF-8, lines separated by '\n'
  std::string html;           // the same as HTML, UTF-8 (already escaped by the renderer)
  std::string subject;        // new Subject, UTF-8; encoded here (RFC 2047) and folded
  std::string x_clearbounce;  // value of the X-Clearbounce header, ASCII
  // Replace a returned message by its header section (privacy, opt-in), when
  // can_return_headers_only() says it can be done.
  bool returned_headers_only = false;
};

// Whether the report's returned message (message/rfc822 or message/global,
// a part of the multipart/report, not transfer-encoded) can be replaced by
// its header section: text/rfc822-headers, or message/global-headers for
// message/global (RFC 6533). The report stays valid: RFC 3462 lets its third
// part be either.
bool can_return_headers_only(const ReportLayout& layout);

// A header field to set: replaces the first field of that name, or is added
// when there is none. `value` is ready to be written: encoded and folded with
// the message's own line ending, without the final line break. It does not
// start with the space after the colon: the field is written as
// "Name: " + value, and the folding already accounts for "Name: ".
struct HeaderEdit {
  std::string name;
  std::string value;
};

// The new notification's texts as a reader decodes them from the rewritten
// message (valid UTF-8, '\n' line breaks): what the marker covers, known
// without reading the message back.
struct NotificationTexts {
  std::string subject;
  std::string text_plain;
  std::string html;
};

struct Rewritten {
  std::vector<HeaderEdit> headers;  // Subject, X-Clearbounce
  std::string body;                 // the new body: everything after the header section
  std::string message;              // the whole new message, as the CLI prints it
  NotificationTexts notification;
};

struct RewriteOutcome {
  std::optional<Rewritten> rewritten;  // empty: the message stays as it is
  std::string reason;                  // why it stays, in one sentence (empty when rewritten)
};

// Replaces the first part of the message's multipart/report (wherever it is
// in the tree) with a multipart/alternative of text/plain and text/html.
// `parsed` must come from parse_mime(original). Throws only std::bad_alloc; anything it
// cannot do safely (no multipart/report, already carries X-Clearbounce, ...)
// gives an outcome without `rewritten` and a reason.
RewriteOutcome rewrite_report(std::string_view original, const MimeMessage& parsed, const RewriteRequest& request);

// The same with the message's layout worked out already
// (layout_of(parsed.root)): its report part and X-Clearbounce finding are
// used as they are, not searched for again.
RewriteOutcome rewrite_report(std::string_view original, const MimeMessage& parsed, const ReportLayout& layout,
                              const RewriteRequest& request);

// RFC 2047 encoding of a header value (UTF-8 in), folded at 76 columns for a
// field called `name`, lines joined with `line_end`. ASCII-only text without
// encoded-word lookalikes is only folded.
std::string encode_header_value(std::string_view name, std::string_view utf8_value, std::string_view line_end);

}  // namespace clearbounce::dsn
