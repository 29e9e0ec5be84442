// Telling the lines of a free-text bounce that quote a message's header
// fields ("To: a@b", and the indented lines that continue it): they name
// the message's addressees, not failed recipients. Internal to dsn/; its
// own header so that the backward reading can be held against the forward one.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "dsn/ascii.hpp"

namespace clearbounce::dsn::detail {

inline bool is_header_like_line(std::string_view line) {
  static constexpr std::string_view kNames[] = {
      "from:",     "to:",        "subject:", "sent:",         "date:",          "message-id:",
      "reply-to:", "cc:",        "bcc:",     "return-path:",  "received:",      "in-reply-to:",
      "references:", "sender:",  "errors-to:", "list-",       "delivered-to:",  "x-original-to:",
      "resent-",   "disposition-notification-to:", "return-receipt-to:"};
  // Every name ends in a colon, or ("list-", "resent-") starts one that does.
  const auto head = line.substr(0, 40);
  if (head.find(':') == std::string_view::npos) return false;
  const auto t = trim(head);
  if (t.empty()) return false;
  // The names are lower-case: only those that start with the line's first
  // letter need comparing.
  const char first = ascii_lower(t[0]);
  for (const std::string_view name : kNames)
    if (name[0] == first && istarts_with(t, name)) return true;
  return false;
}

// Whether `line` belongs to a header field quoted in the text: it looks like
// one, or it is an indented continuation of one ("To: a@b,\n  c@d,"). Such
// lines list the message's addressees, not failures. `in_field` says whether
// the lines before left a field open, and is updated.
inline bool is_quoted_header_line(std::string_view line, bool& in_field) {
  const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
  const bool header_like = is_header_like_line(line);
  const bool quoted = header_like || (in_field && continuation);
  // Only a field at the start of a line is folded; indented "Label: value"
  // lines are a bounce's own summary.
  in_field = header_like ? !continuation : in_field && continuation;
  return quoted;
}

// Whether the lines before lines[i] leave a quoted header field open, as
// is_quoted_header_line() run over every one of them from `known_line`
// on would say; `open_after_known` is what it said after lines[known_line]
// (known_line == npos: before the first line, where no field is open).
// Read backwards: a line that is not indented, or a field, decides alone;
// only an indented line that is not a field leaves it to the line above.
// The caller asks about lines in ascending order and passes the last line
// asked about, so that no line is read twice: linear in the text.
inline bool field_open_before(const std::vector<std::string_view>& lines, std::size_t i, std::size_t known_line,
                       bool open_after_known) {
  for (std::size_t k = i; k > 0 && k - 1 != known_line; --k) {
    const std::string_view line = lines[k - 1];
    const bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
    if (!continuation) return is_header_like_line(line);
    if (is_header_like_line(line)) return false;
  }
  return known_line != std::string_view::npos && open_after_known;
}

}  // namespace clearbounce::dsn::detail
