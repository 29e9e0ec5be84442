// analyse(): from raw message bytes to a BounceReport.
#include "dsn/report.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <utility>

#include "dsn/byte_regex.hpp"
#include "dsn/fields.hpp"
#include "dsn/layout.hpp"
#include "dsn/literal_scan.hpp"
#include "dsn/mime.hpp"
#include "dsn/plain.hpp"

namespace clearbounce::dsn {

std::string_view to_string(ReportKind kind) {
  switch (kind) {
    case ReportKind::not_bounce: return "not-bounce";
    case ReportKind::delivery_status: return "delivery-status";
    case ReportKind::plain_bounce: return "plain-bounce";
    case ReportKind::feedback_report: return "feedback-report";
    case ReportKind::auto_reply: return "auto-reply";
  }
  return "not-bounce";
}

namespace detail {

bool names_a_list(std::string_view headers) {
  static const RE2 list_re(R"((?im)^list-(?:id|post):)");
  // A caseless regex also reads U+017F as 's': such text is left to it.
  if (LiteralScan::has_ascii_case_variant(headers)) return RE2::PartialMatch(headers, list_re);
  // Most returned messages come from no list: a look at each line's start
  // tells, where the regex would read every byte.
  for (std::size_t pos = 0; pos < headers.size();) {
    const std::string_view line = headers.substr(pos);
    if (istarts_with(line, "list-id:") || istarts_with(line, "list-post:")) return true;
    const std::size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return false;
}

}  // namespace detail

namespace {

using detail::to_lower;

// The media types of `lists` as one RE2 group of alternatives.
template <std::size_t... N>
std::string any_media_type(const std::array<std::string_view, N>&... lists) {
  std::string out = "(?:";
  const auto add = [&out](const auto& list) {
    for (const std::string_view type : list) {
      if (out.size() > 3) out.push_back('|');
      out += RE2::QuoteMeta(re2::StringPiece(type.data(), type.size()));
    }
  };
  (add(lists), ...);
  out.push_back(')');
  return out;
}

// The first line of `text` that is a Content-Type field naming one of
// `types`: where it starts and where the type ends, or npos twice. What the
// regex (?im)^content-type:\s*(?:type|...) finds, by a look at each line's
// start instead of a walk from every byte. The caller lets the regex read
// text whose letters a caseless regex folds (LiteralScan::has_ascii_case_variant).
template <std::size_t... N>
std::pair<std::size_t, std::size_t> content_type_line(std::string_view text, const std::array<std::string_view, N>&... types) {
  constexpr std::string_view kName = "content-type:";
  for (std::size_t line = 0; line < text.size();) {
    if (detail::istarts_with(text.substr(line), kName)) {
      std::size_t at = line + kName.size();
      while (at < text.size() && detail::is_pattern_space(text[at])) ++at;  // RE2's \s
      std::size_t end = std::string_view::npos;
      const auto try_list = [&](const auto& list) {
        for (const std::string_view type : list)
          if (end == std::string_view::npos && detail::istarts_with(text.substr(at), type)) end = at + type.size();
      };
      (try_list(types), ...);
      if (end != std::string_view::npos) return {line, end};
    }
    const std::size_t next = text.find('\n', line);
    if (next == std::string_view::npos) break;
    line = next + 1;
  }
  return {std::string_view::npos, std::string_view::npos};
}

// Where the Content-Type line of a delivery-status part ends (after its
// line break), and where the returned message's starts: npos when absent.
std::pair<std::size_t, std::size_t> loose_report_bounds(std::string_view message) {
  static const RE2 header_re("(?im)^content-type:\\s*" + any_media_type(media_types::delivery_status) + "[^\\n]*\\n");
  static const RE2 returned_re("(?im)(^content-type:\\s*" +
                               any_media_type(media_types::returned_message, media_types::returned_headers) + ")");
  constexpr auto npos = std::string_view::npos;
  if (detail::LiteralScan::has_ascii_case_variant(message)) {
    re2::StringPiece returned, found;
    const re2::StringPiece input(message.data(), message.size());
    const std::size_t returned_at = RE2::PartialMatch(message, returned_re, &returned)
                                        ? static_cast<std::size_t>(returned.data() - message.data()) : npos;
    const auto before = input.substr(0, returned_at == npos ? input.size() : returned_at);
    if (!header_re.Match(before, 0, before.size(), RE2::UNANCHORED, &found, 1)) return {npos, returned_at};
    return {static_cast<std::size_t>(found.data() + found.size() - message.data()), returned_at};
  }
  const std::size_t returned_at = content_type_line(message, media_types::returned_message, media_types::returned_headers).first;
  const auto [header, type_end] = content_type_line(message.substr(0, returned_at), media_types::delivery_status);
  if (header == npos) return {npos, returned_at};
  // "[^\n]*\n": the field's line must end in a line break before the returned message.
  const std::size_t line_end = message.substr(0, returned_at).find('\n', type_end);
  return {line_end == npos ? npos : line_end + 1, returned_at};
}

// The fields after a "Content-Type: message/delivery-status" line found in
// the raw text, up to the next boundary-like line; empty when there is none.
std::string loose_delivery_status(std::string_view message) {
  // Most messages have no such line: no further look for them.
  static const detail::LiteralSearch type_name("delivery-status");
  if (!type_name.occurs_in(message)) return {};
  // A report inside the returned message is another report.
  const auto [fields_start, returned_at] = loose_report_bounds(message);
  if (fields_start == std::string_view::npos) return {};
  std::string_view rest = message.substr(0, returned_at).substr(fields_start);
  std::string out;
  for (std::size_t pos = 0; pos < rest.size();) {
    auto end = rest.find('\n', pos);
    if (end == std::string_view::npos) end = rest.size();
    const auto line = rest.substr(pos, end - pos);
    if (line.rfind("--", 0) == 0) break;
    out.append(line);
    out.push_back('\n');
    pos = end + 1;
  }
  return out;
}

// Body text of a part, decoded; message/* bodies are text by definition.
std::string part_text(const MimePart& part) {
  if (!part.children.empty()) return std::string(part.children.front().raw);
  return part.decoded_body();
}

std::vector<std::string> header_addresses(const MimePart& root, std::string_view name) {
  std::vector<std::string> out;
  const auto value = root.header_text(name);
  std::string_view rest = value;
  while (true) {
    auto address = detail::first_address(rest);
    if (address.empty()) break;
    out.push_back(address);
    const auto pos = rest.find(address);
    rest.remove_prefix(pos + address.size());
  }
  return out;
}

void read_feedback(const MimePart& root, const MimePart& feedback, BounceReport& report, std::size_t max) {
  report.kind = ReportKind::feedback_report;
  report.dialect = "arf";
  const auto text = part_text(feedback);
  static const RE2 type_re = detail::byte_regex(R"((?im)^feedback-type:\s*([\w-]+))");
  static const RE2 rcpt_re = detail::byte_regex(R"((?im)^(?:original-rcpt-to|removal-recipient):\s*(.+)$)");
  RE2::PartialMatch(text, type_re, &report.feedback_type);
  re2::StringPiece input(text);
  std::string value;
  while (report.recipients.size() < max && RE2::FindAndConsume(&input, rcpt_re, &value)) {
    RecipientReport r;
    r.recipient = detail::bare_address(value);
    r.action = "feedback";
    if (!r.recipient.empty()) report.recipients.push_back(std::move(r));
  }
  if (report.recipients.empty()) {
    // The complaint concerns the message: name its addressee.
    RecipientReport r;
    r.action = "feedback";
    const auto to = header_addresses(root, "To");
    r.recipient = to.empty() ? std::string() : to.front();
    report.recipients.push_back(std::move(r));
  }
}

// Amazon SES and similar services send JSON notifications as mail.
bool read_json_text(std::string_view text, BounceReport& report, std::size_t max) {
  static const RE2 type_re = detail::byte_regex(R"re("notificationType\\?"\s*:\s*\\?"(Bounce|Delivery|Complaint)\\?")re");
  std::string type;
  if (!RE2::PartialMatch(text, type_re, &type)) return false;
  static const RE2 address_re = detail::byte_regex(R"re(\\?"emailAddress\\?"\s*:\s*\\?"([^"\\]+)\\?")re");
  static const RE2 recipient_re = detail::byte_regex(R"re(\\?"recipients\\?"\s*:\s*\[\s*\\?"([^"\\]+)\\?")re");
  static const RE2 status_re = detail::byte_regex(R"re(\\?"status\\?"\s*:\s*\\?"([^"\\]*)\\?")re");
  static const RE2 diag_re = detail::byte_regex(R"re(\\?"diagnosticCode\\?"\s*:\s*\\?"((?:[^"\\]|\\[^"])*)\\?")re");
  static const RE2 response_re = detail::byte_regex(R"re(\\?"smtpResponse\\?"\s*:\s*\\?"((?:[^"\\]|\\[^"])*)\\?")re");
  report.dialect = "amazonses";
  report.kind = type == "Complaint" ? ReportKind::feedback_report : ReportKind::plain_bounce;
  re2::StringPiece input(text);
  std::string address;
  const RE2& who = type == "Delivery" ? recipient_re : address_re;
  while (report.recipients.size() < max && RE2::FindAndConsume(&input, who, &address)) {
    RecipientReport r;
    r.recipient = address;
    // The fields of this recipient's object follow its address.
    const auto rest = std::string_view(input.data(), std::min<std::size_t>(input.size(), 600));
    std::string status, diagnostic;
    if (type == "Complaint") {
      r.action = "feedback";
    } else if (type == "Delivery") {
      r.action = "delivered";
      RE2::PartialMatch(rest, response_re, &diagnostic);
    } else {
      r.action = "failed";
      RE2::PartialMatch(rest, status_re, &status);
      RE2::PartialMatch(rest, diag_re, &diagnostic);
    }
    r.status = status;
    const auto semi = diagnostic.find(';');
    if (semi != std::string::npos && semi < 12) {
      r.diagnostic_type = to_lower(detail::trim(std::string_view(diagnostic).substr(0, semi)));
      diagnostic = std::string(detail::trim(std::string_view(diagnostic).substr(semi + 1)));
    }
    r.diagnostic = diagnostic;
    detail::complete_from_diagnostic(r);
    report.recipients.push_back(std::move(r));
  }
  return !report.recipients.empty();
}

// `subject` is the message's decoded Subject.
bool looks_like_auto_reply(const MimePart& root, std::string_view subject) {
  static const RE2 subject_re = detail::byte_regex(
      R"((?i)^(auto(matic)?[ -]?(reply|response|antwort|r[eé]ponse)|out of (the )?office|away|abwesend|absence|vacation|on leave)\b|(?i)\b(auto(matic)?[ -]?reply|out of (the )?office|vacation)\b)");
  const auto auto_submitted = to_lower(root.header_text("Auto-Submitted"));
  return auto_submitted.rfind("auto-replied", 0) == 0 || RE2::PartialMatch(subject, subject_re) ||
         root.header("X-Autoreply") || root.header("X-Autorespond");
}

// Each recipient's context is most of the text again; past this many
// recipients a bounce is a mass failure whose recipients' own lines suffice,
// and the cost must stay linear.
constexpr std::size_t kMaxRecipientsWithContext = 50;
// What one recipient's context may hold: the explanation of a real bounce
// is in its first few KB; beyond, text only costs matching time and memory.
constexpr std::size_t kMaxContextBytes = 16384;

// Calls `on_line(line)` for each line of `text` (without its line break)
// until it returns false.
template <typename OnLine>
void for_each_line(std::string_view text, OnLine&& on_line) {
  for (std::size_t pos = 0; pos < text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    if (!on_line(text.substr(pos, end - pos))) return;
    pos = end + 1;
  }
}

// Appends `line` and a line break while `out` stays within `limit`;
// false once it is full.
bool append_line(std::string& out, std::string_view line, std::size_t limit) {
  if (out.size() + line.size() + 1 > limit) return false;
  out.append(line);
  out.push_back('\n');
  return true;
}

std::string bounded_context(std::string_view text) {
  return std::string(text.substr(0, kMaxContextBytes));
}

// Where `key` first occurs in `text` at or after `from`, ASCII case
// ignored: what to_lower(text).find(to_lower(key), from) gives, without
// lower-casing the text. An address holds one '@': only where the text has
// one is it compared; a key that starts with a byte without case ("(expanded
// from") is compared only where the text has that byte.
std::size_t ifind(std::string_view text, std::string_view key, std::size_t from) {
  if (key.empty()) return from <= text.size() ? from : std::string_view::npos;
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    const char first = key.front();
    if (detail::ascii_lower(first) == detail::ascii_upper(first)) {
      for (std::size_t p = text.find(first, from); p != std::string_view::npos; p = text.find(first, p + 1))
        if (detail::iequals(text.substr(p, key.size()), key)) return p;
      return std::string_view::npos;
    }
    for (std::size_t i = from; i + key.size() <= text.size(); ++i)
      if (detail::iequals(text.substr(i, key.size()), key)) return i;
    return std::string_view::npos;
  }
  for (std::size_t p = text.find('@', from + at); p != std::string_view::npos; p = text.find('@', p + 1))
    if (detail::iequals(text.substr(p - at, key.size()), key)) return p - at;
  return std::string_view::npos;
}

// The lines of `text` that name `address`: in session transcripts they show
// the command the server answered (">>> RCPT To:<a@b>").
std::string lines_naming(std::string_view text, std::string_view address) {
  std::string out;
  for (auto found = ifind(text, address, 0); found != std::string_view::npos; found = ifind(text, address, found + 1)) {
    const auto begin = text.rfind('\n', found);
    const std::size_t start = begin == std::string_view::npos ? 0 : begin + 1;
    const auto end = std::min(text.find('\n', found), text.size());
    if (!append_line(out, text.substr(start, end - start).substr(0, kMaxContextBytes / 4), kMaxContextBytes)) break;
    found = end;
  }
  return out;
}

// Which recipients' explanations each line of the found texts belongs to.
class LineOwners {
 public:
  explicit LineOwners(const std::vector<detail::PlainRecipient>& found) {
    for (std::size_t r = 0; r < found.size(); ++r) {
      for_each_line(found[r].text, [&](std::string_view line) {
        if (line.empty()) return true;
        const auto [it, first] = owners_.try_emplace(line, Owner{r});
        if (!first && it->second.recipient != r) it->second.shared = true;
        return true;
      });
    }
  }
  // True when `line` belongs to no recipient's explanation but `r`'s.
  bool only_of(std::string_view line, std::size_t r) const {
    const auto it = owners_.find(line);
    return it == owners_.end() || (!it->second.shared && it->second.recipient == r);
  }

 private:
  // What only_of() asks of a line's owners: the first, and whether there are others.
  struct Owner {
    std::size_t recipient;
    bool shared = false;
  };
  std::unordered_map<std::string_view, Owner> owners_;
};

// The lines of `text` that do not belong to another recipient's explanation:
// what a bounce says of this recipient or of nobody in particular. `r` is
// the recipient's index in `found`, or found.size() when it is not there.
std::string context_for(std::string_view text, const LineOwners& owners, std::size_t r) {
  std::string out;
  for_each_line(text, [&](std::string_view line) {
    if (!owners.only_of(line, r)) return true;  // another recipient's line
    return append_line(out, line, kMaxContextBytes);
  });
  return out;
}

// The index in `found` of `address` (or of `other`, when given), or found.size().
std::size_t index_of(const std::vector<detail::PlainRecipient>& found, std::string_view address,
                     std::string_view other = {}) {
  for (std::size_t i = 0; i < found.size(); ++i)
    if (detail::iequals(found[i].address, address) || (!other.empty() && detail::iequals(found[i].address, other)))
      return i;
  return found.size();
}

// The returned message's header section as text: the attached message's
// header block, else the quoted lines after `quote_start` (bounded).
std::string_view returned_headers(const ReportLayout& layout, std::string_view full_text, std::size_t quote_start) {
  constexpr std::size_t kMaxQuotedHeaderBytes = 16384;
  if (const MimePart* attached = layout.returned) {
    // message/rfc822: the encapsulated message's header section;
    // text/rfc822-headers (or a message left unparsed): the body itself.
    if (!attached->children.empty()) return attached->children.front().header_block;
    return attached->body.substr(0, kMaxQuotedHeaderBytes);
  }
  if (quote_start >= full_text.size()) return {};
  return full_text.substr(quote_start, kMaxQuotedHeaderBytes);
}

// Addresses of the returned message that are never a failed recipient: a
// mailing list's own addresses (List-Post, List-Owner, ..., the list's
// Sender and Errors-To), when a list sent it. `headers` is its header text.
std::vector<std::string> list_addresses(std::string_view headers) {
  static const RE2 field_re = detail::byte_regex(
      R"((?im)^(?:list-(?:post|owner|help|subscribe|unsubscribe|archive)|sender|errors-to):([^\n]*))");
  std::vector<std::string> out;
  if (!detail::names_a_list(headers)) return out;
  re2::StringPiece input(headers.data(), headers.size());
  std::string value;
  while (RE2::FindAndConsume(&input, field_re, &value)) {
    std::string_view rest = value;
    for (auto address = detail::first_address(rest); !address.empty(); address = detail::first_address(rest)) {
      rest.remove_prefix(rest.find(address) + address.size());
      out.push_back(std::move(address));
    }
  }
  return out;
}

// Labels of a line that names, under a recipient's line, the address the
// sender used (the recipient's line names where an alias led), or the one
// an alias led to (the line above names the address the sender used).
constexpr std::string_view kOriginalLabels[] = {"original address:", "original recipient:", "original-recipient:",
                                                "expanded from:", "(expanded from"};
constexpr std::string_view kExpansionLabels[] = {"expanded to:", "alias expanded to:"};

// The found recipient whose address `line` names, or npos.
std::size_t recipient_named(const std::vector<detail::PlainRecipient>& found, std::string_view line) {
  for (std::size_t r = 0; r < found.size(); ++r)
    if (ifind(line, found[r].address, 0) != std::string_view::npos) return r;
  return std::string_view::npos;
}

// A free-text report may name one recipient twice, as the address the
// sender used and the one an alias led to ("Recipient address: X" /
// "Original address: Y"; "To: Y" / "Expanded to: X"): one recipient, under
// the address the sender used (as Original-Recipient in a delivery report),
// with the lines of both.
void merge_alias_expansions(std::string_view text, std::vector<detail::PlainRecipient>& found) {
  if (found.size() < 2 || found.size() > kMaxRecipientsWithContext) return;
  std::string_view before;  // the last line that was not blank
  for_each_line(text, [&](std::string_view line) {
    const std::string_view trimmed = detail::trim(line);
    if (trimmed.empty()) return true;
    const auto starts = [trimmed](std::string_view label) {
      return detail::iequals(trimmed.substr(0, label.size()), label);
    };
    const bool original = std::any_of(std::begin(kOriginalLabels), std::end(kOriginalLabels), starts);
    const bool expansion = !original && std::any_of(std::begin(kExpansionLabels), std::end(kExpansionLabels), starts);
    const std::string_view previous_line = std::exchange(before, trimmed);
    if (!original && !expansion) return true;  // only labelled lines are looked up
    const std::size_t named = recipient_named(found, trimmed);
    const std::size_t previous = recipient_named(found, previous_line);
    if (named == std::string_view::npos || previous == std::string_view::npos || previous == named) return true;
    // Keep the sender's address, under the first of the two places.
    const std::size_t kept = std::min(previous, named), gone = std::max(previous, named);
    const std::size_t senders = original ? named : previous;
    found[kept].address = found[senders].address;
    found[kept].text += "\n" + found[gone].text;
    found.erase(found.begin() + static_cast<std::ptrdiff_t>(gone));
    before = {};
    return found.size() > 1;
  });
}

// Notes that follow an address where an alias led, naming the address the
// sender used: "<A> (expanded from <B>): ..." (Postfix), "A" then
// "(expanded from: <B>)" on the next line (Sendmail). Exim's "A (generated
// from B)" is not one: Exim names A as the failed recipient itself
// (X-Failed-Recipients), as do the readers of its reports.
constexpr std::string_view kOriginalNotes[] = {"(expanded from"};

// A recipient found under the address an alias led to, whose note names the
// address the sender used, is reported under that one (as Original-Recipient
// in a delivery report). The note's address was not found as a recipient
// itself (merge_alias_expansions joins the two when it was).
void name_recipients_as_sent(std::string_view text, std::vector<detail::PlainRecipient>& found) {
  if (found.empty() || found.size() > kMaxRecipientsWithContext) return;
  std::string_view before;  // the last line that was not blank
  for_each_line(text, [&](std::string_view line) {
    const std::string_view trimmed = detail::trim(line);
    if (trimmed.empty()) return true;
    const std::string_view previous_line = std::exchange(before, trimmed);
    for (const std::string_view note : kOriginalNotes) {
      const std::size_t at = ifind(trimmed, note, 0);
      if (at == std::string_view::npos) continue;
      const std::string original = detail::first_address(trimmed.substr(at + note.size()));
      if (original.empty() || recipient_named(found, original) != std::string_view::npos) break;
      const std::string_view head = trimmed.substr(0, at);
      const std::size_t named = recipient_named(found, detail::trim(head).empty() ? previous_line : head);
      if (named != std::string_view::npos) found[named].address = original;
      break;
    }
    return true;
  });
}

void add_plain_text_recipients(const MimePart& root, std::string_view text, std::string_view returned,
                               BounceReport& report, std::size_t max) {
  std::vector<std::string> exclude = header_addresses(root, "To");
  for (auto& a : header_addresses(root, "From")) exclude.push_back(std::move(a));
  for (auto& a : list_addresses(returned)) exclude.push_back(std::move(a));
  std::vector<std::string> known;
  for (auto& a : header_addresses(root, "X-Failed-Recipients")) known.push_back(std::move(a));
  auto found = detail::find_plain_recipients(text, exclude, known, max);
  merge_alias_expansions(text, found);
  name_recipients_as_sent(text, found);
  if (found.empty() && !known.empty()) {
    const std::string excerpt = bounded_context(text);
    for (auto& k : known) {
      if (found.size() >= max) break;
      found.push_back({k, excerpt});
    }
  }
  // With one recipient, the whole text explains it; with several, each
  // recipient's own lines must do (other lines speak of the others).
  const bool single = found.size() == 1;
  const bool few = found.size() <= kMaxRecipientsWithContext;
  const std::optional<LineOwners> owners = few && !single ? std::optional<LineOwners>(found) : std::nullopt;
  for (std::size_t i = 0; i < found.size(); ++i) {
    RecipientReport r;
    r.recipient = found[i].address;
    r.diagnostic = std::string(detail::trim(found[i].text));
    if (single) r.context = bounded_context(text);
    else if (few) r.context = context_for(text, *owners, i);
    detail::complete_from_diagnostic(r);
    if (r.smtp_command.empty() && few) detail::fill_missing_from(r, lines_naming(text, r.recipient));
    report.recipients.push_back(std::move(r));
  }
}

// Fills in what the report's fields left out from the human-readable text.
void enrich_from_text(std::string_view text, BounceReport& report) {
  if (text.empty()) return;
  std::vector<std::string> known;
  known.reserve(report.recipients.size());
  for (const auto& r : report.recipients) {
    known.push_back(r.recipient);
    if (!r.final_recipient.empty() && !detail::iequals(r.final_recipient, r.recipient))
      known.push_back(r.final_recipient);
  }
  const auto found = detail::find_plain_recipients(text, {}, known, known.size());
  // Views of the found addresses: found outlives the map.
  std::unordered_map<std::string_view, const detail::PlainRecipient*, detail::CaselessHash, detail::CaselessEqual>
      by_address;
  by_address.reserve(found.size());
  for (const auto& pr : found) by_address.emplace(pr.address, &pr);
  const bool single = report.recipients.size() == 1;
  const bool few = report.recipients.size() <= kMaxRecipientsWithContext;
  const std::optional<LineOwners> owners = few && !single ? std::optional<LineOwners>(found) : std::nullopt;
  for (auto& r : report.recipients) {
    if (r.context.empty() && single) r.context = bounded_context(text);
    else if (r.context.empty() && few) r.context = context_for(text, *owners, index_of(found, r.recipient, r.final_recipient));
    auto it = by_address.find(r.recipient);
    if (it == by_address.end() && !r.final_recipient.empty()) it = by_address.find(r.final_recipient);
    if (it == by_address.end()) continue;
    if (r.diagnostic.size() < 8) {
      r.diagnostic = std::string(detail::trim(it->second->text));
      detail::complete_from_diagnostic(r);  // a new diagnostic, read like the first
    } else {
      // The diagnostic was read with the delivery-status fields; only what
      // it left out is taken from the text.
      detail::fill_missing_from(r, it->second->text);
    }
  }
}


// What every reader looks at, worked out once per message.
struct Message {
  std::string_view raw;
  const MimePart& root;
  const ReportLayout& parts;  // where the message's parts are
  std::string full_text;  // the human-readable text, decoded
  std::string without_banners;  // what `text` views when banners were cut out
  // The same, up to where the returned message is quoted, without the
  // banners gateways append: the only text that may explain a recipient.
  std::string_view text;
  const AnalyseLimits& limits;
  std::size_t quote_start = 0;  // where the returned message starts in full_text
  std::string_view subject;     // decoded, once for all readers
  detail::TextWording wording;  // which wording can occur in `text`

  // Whether `text` words a delivery failure with its code: two readers ask,
  // the text is searched once.
  bool failure_wording() const {
    if (!failure_wording_) failure_wording_ = detail::has_failure_wording(text);
    return *failure_wording_;
  }
  mutable std::optional<bool> failure_wording_;
  // Which wording can occur in the Subject: the challenge and delay
  // readers both ask, the Subject is scanned once.
  const detail::TextWording& subject_wording() const {
    if (!subject_wording_) subject_wording_ = detail::scan_wording(subject);
    return *subject_wording_;
  }
  mutable std::optional<detail::TextWording> subject_wording_;
  // The decoded From, for the readers that ask.
  const std::string& from() const {
    if (!from_) from_ = root.header_text("From");
    return *from_;
  }
  mutable std::optional<std::string> from_;
};

std::string first_header_address(const MimePart& part, std::string_view name) {
  auto addresses = header_addresses(part, name);
  return addresses.empty() ? std::string() : std::move(addresses.front());
}

bool read_json_notification(const Message& m, BounceReport& report) {
  return read_json_text(m.full_text, report, m.limits.max_recipients);
}

// ARF (RFC 5965) abuse and feedback reports.
bool read_feedback_report(const Message& m, BounceReport& report) {
  if (!m.parts.feedback) return false;
  read_feedback(m.root, *m.parts.feedback, report, m.limits.max_recipients);
  return true;
}

// RFC 3464 / RFC 6533 reports, also when their MIME is broken or they come
// forwarded as an attachment.
bool read_delivery_report(const Message& m, BounceReport& report) {
  std::vector<std::string> status_texts;
  for (const MimePart* ds : m.parts.delivery_status) status_texts.push_back(part_text(*ds));
  if (status_texts.empty()) {
    // Broken MIME (a boundary that never occurs) still shows the report.
    if (auto loose = loose_delivery_status(m.raw); !loose.empty()) status_texts.push_back(std::move(loose));
  }
  // A report attached by a person is a forwarded report; attached by a mail
  // system that names recipients itself, it is the returned message, whose
  // recipients are not this report's.
  // A gateway that wraps a report and names nobody itself passes it on.
  if (status_texts.empty() && m.parts.returned && !m.parts.returned->children.empty() &&
      (!detail::from_mail_system(m.from()) || detail::first_address(m.text).empty())) {
    const MimePart& inner = m.parts.returned->children.front();
    for (const MimePart* ds : layout_of(inner).delivery_status) status_texts.push_back(part_text(*ds));
  }
  for (const auto& ds : status_texts) detail::read_delivery_status(ds, report, m.limits.max_recipients);
  if (report.recipients.empty()) return false;
  report.kind = ReportKind::delivery_status;
  report.dialect = detail::detect_dialect(m.text, m.subject, m.root.header_text("X-Failed-Recipients"), m.wording,
                                          m.subject_wording());
  if (report.dialect.empty()) report.dialect = "rfc3464";
  enrich_from_text(m.text, report);
  return true;
}

// A mail client's automatic unsubscribe request: feedback on a list.
bool read_unsubscribe_request(const Message& m, BounceReport& report) {
  const bool unsubscribe = m.root.header("X-Apple-Unsubscribe").has_value() ||
                           (detail::iequals(detail::trim(report.subject), "unsubscribe") &&
                            m.root.header("Auto-Submitted").has_value());
  if (!unsubscribe) return false;
  report.kind = ReportKind::feedback_report;
  report.dialect = "unsubscribe";
  report.feedback_type = "unsubscribe";
  RecipientReport r;
  r.action = "feedback";
  r.recipient = first_header_address(m.root, "From");
  report.recipients.push_back(std::move(r));
  return true;
}

// True when the message's From address is MAILER-DAEMON's, any domain.
bool from_mailer_daemon(const MimePart& root) {
  const std::string from = first_header_address(root, "From");
  const auto at = from.find('@');
  const std::string_view local = std::string_view(from).substr(0, at);
  return detail::iequals(local, "mailer-daemon") || detail::iequals(local, "mailer_daemon");
}

// Bounces written as free text by a known MTA family, or by any MTA whose
// headers say it is a failure notice.
bool read_plain_bounce(const Message& m, BounceReport& report) {
  report.dialect = detail::detect_dialect(m.text, m.subject, m.root.header_text("X-Failed-Recipients"), m.wording,
                                          m.subject_wording());
  // An RFC 3834 auto-reply is read as a bounce only when it carries a known
  // MTA's wording; X-Failed-Recipients is written only by MTAs reporting a
  // failure.
  // A failure worded with its code is a bounce whatever Auto-Submitted says;
  // so is a message from MAILER-DAEMON, the name MTAs give themselves on the
  // reports they mark auto-replied too, in any language (vacation replies
  // come from a person's address; a postmaster's notices are a person's).
  const bool bounce =
      !report.dialect.empty() || m.root.header("X-Failed-Recipients").has_value() ||
      from_mailer_daemon(m.root) ||
      (detail::looks_like_bounce_headers(m.from(), m.subject) && !looks_like_auto_reply(m.root, m.subject)) ||
      ((looks_like_auto_reply(m.root, m.subject) || detail::looks_like_bounce_headers(m.from(), m.subject)) &&
       m.failure_wording());
  if (!bounce) {
    report.dialect.clear();
    return false;
  }
  // Some MTAs put RFC 3464 fields into the text part itself.
  if (m.text.find("inal-Recipient:") != std::string_view::npos ||
      m.text.find("inal-recipient:") != std::string_view::npos) {
    detail::read_delivery_status(m.text, report, m.limits.max_recipients);
  }
  const auto returned = returned_headers(m.parts, m.full_text, m.quote_start);
  if (report.recipients.empty()) add_plain_text_recipients(m.root, m.text, returned, report, m.limits.max_recipients);
  else enrich_from_text(m.text, report);
  if (report.recipients.empty()) {
    // The returned message's addressees are whom the sender wrote to, not
    // whom delivery failed for (a list, an alias, a Cc): a report that
    // names nobody itself is not retold.
    report.error = "looks like a bounce, but names no recipient";
    return true;
  }
  report.kind = ReportKind::plain_bounce;
  // Free-text warnings say they keep trying; their recipients are delayed.
  const bool delayed = detail::says_delayed(m.text, m.wording) || detail::says_delayed(m.subject, m.subject_wording());
  for (auto& r : report.recipients)
    if (r.action.empty()) r.action = delayed ? "delayed" : "failed";
  if (report.dialect.empty()) report.dialect = "generic";
  return true;
}

// An automatic reply from the message's sender: its one "recipient" is the
// sender, and its opening words the reply.
void read_as_auto_reply(const Message& m, std::string_view dialect, BounceReport& report) {
  report.kind = ReportKind::auto_reply;
  report.dialect = std::string(dialect);
  RecipientReport r;
  r.recipient = first_header_address(m.root, "From");
  r.action = "auto-replied";
  r.diagnostic = std::string(detail::trim(std::string_view(m.text).substr(0, 400)));
  report.recipients.push_back(std::move(r));
}

// Challenge-response and whitelist requests: the message is held until its
// sender confirms itself. Not a failure: read as an automatic reply, which
// nothing rewrites as a bounce.
bool read_challenge_request(const Message& m, BounceReport& report) {
  // The wording first: it is seldom there, and mostly ruled out without a regex.
  if (m.root.header("X-Failed-Recipients") ||
      !detail::is_challenge_request(m.subject, m.subject_wording(), m.text, m.wording) || m.failure_wording())
    return false;
  read_as_auto_reply(m, "challenge-response", report);
  return true;
}

// Vacation and out-of-office replies (RFC 3834), not from a mail system.
bool read_auto_reply(const Message& m, BounceReport& report) {
  if (!looks_like_auto_reply(m.root, m.subject) || detail::looks_like_bounce_headers(m.from(), m.subject)) return false;
  read_as_auto_reply(m, "rfc3834", report);
  return true;
}

}  // namespace

BounceReport analyse(std::string_view message, const AnalyseLimits& limits) {
  BounceReport report;
  if (message.size() > limits.max_message_bytes) {
    report.error = "the message is larger than the analysis limit";
    return report;
  }
  const auto mime = parse_mime(message);
  if (!mime) {
    report.error = "not an e-mail message: no header section";
    return report;
  }
  return analyse(*mime, message, limits);
}

BounceReport analyse(const MimeMessage& parsed, std::string_view message, const AnalyseLimits& limits) {
  return analyse(layout_of(parsed.root), message, limits);
}

BounceReport analyse(const ReportLayout& layout, std::string_view message, const AnalyseLimits& limits) {
  BounceReport report;
  if (message.size() > limits.max_message_bytes) {
    report.error = "the message is larger than the analysis limit";
    return report;
  }
  Message m{message, *layout.root, layout, human_text(layout), {}, {}, limits};
  const auto before_quote = detail::before_original_message(m.full_text);
  m.quote_start = before_quote.size();
  // One pass tells which wording the readers look for can occur; a text
  // that lost a banner is scanned again.
  const auto quote_wording = detail::scan_wording(before_quote);
  // A text with no banner's words is used where it is, not copied.
  if (quote_wording.may_have_banner) m.without_banners = detail::without_banners(before_quote, quote_wording);
  m.text = quote_wording.may_have_banner ? std::string_view(m.without_banners) : before_quote;
  m.wording = m.text.size() == before_quote.size() ? quote_wording : detail::scan_wording(m.text);
  report.subject = m.root.header_text("Subject");
  m.subject = report.subject;

  // Most specific first: a reader that recognises the message decides.
  for (const auto reader : {read_feedback_report, read_delivery_report, read_json_notification,
                            read_unsubscribe_request, read_challenge_request, read_plain_bounce,
                            read_auto_reply}) {
    if (reader(m, report)) {
      if (report.recipients.size() >= limits.max_recipients && report.error.empty())
        report.error = "only the first " + std::to_string(limits.max_recipients) + " recipients were read";
      return report;
    }
  }
  report.error = "not a bounce: no delivery report and no known bounce wording";
  return report;
}

}  // namespace clearbounce::dsn
