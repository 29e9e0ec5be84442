// RFC 3464 / RFC 6533 delivery-status fields.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>

#include "dsn/encoding.hpp"
#include "dsn/fields.hpp"
#include "dsn/literal_scan.hpp"
#include "dsn/smtp_mentions.hpp"

namespace clearbounce::dsn::detail {

namespace {

bool is_addr_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-' || c == '=' || c == '/' || c == '!' || c == '#' || c == '$' ||
         c == '&' || c == '\'' || c == '*' || c == '?' || c == '^' || c == '`' || c == '{' || c == '|' ||
         c == '}' || c == '~' || c >= 0x80;
}
bool is_domain_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '[' || c == ']' || c == ':' || c >= 0x80;
}

// Spaces and punctuation beyond ASCII, which end an address as ASCII ones
// do: reports written in Chinese or Japanese glue the address to its label
// ("收件人：a@b", U+FF1A) and indent with U+3000. Latin-1's (no-break space,
// guillemets), general punctuation (U+2000-U+206F: quotes, dashes, spaces),
// CJK symbols and punctuation (U+3000-U+303F) and the full-width forms of
// ASCII punctuation. Letters of any script stay part of an address.
bool is_non_ascii_delimiter(char32_t cp) {
  return (cp >= 0xA0 && cp <= 0xBF) || (cp >= 0x2000 && cp <= 0x206F) || (cp >= 0x3000 && cp <= 0x303F) ||
         (cp >= 0xFF01 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) || (cp >= 0xFF3B && cp <= 0xFF40) ||
         (cp >= 0xFF5B && cp <= 0xFF65);
}

// [begin, end) of text without what lies up to its last non-ASCII
// delimiter before `at` and from its first one after `at`.
std::pair<std::size_t, std::size_t> within_non_ascii_delimiters(std::string_view text, std::size_t begin,
                                                                std::size_t at, std::size_t end) {
  char32_t cp = 0;
  for (std::size_t i = begin; i < at;) {
    i += decode_utf8(text, i, cp);
    if (is_non_ascii_delimiter(cp)) begin = i;
  }
  for (std::size_t i = at + 1; i < end;) {
    const std::size_t length = decode_utf8(text, i, cp);
    if (is_non_ascii_delimiter(cp)) return {begin, i};
    i += length;
  }
  return {begin, end};
}

// Value after the "type;" prefix of a typed field ("dns; mx.example.org").
std::string_view after_type(std::string_view value, std::string* type = nullptr) {
  const auto semi = value.find(';');
  if (semi == std::string_view::npos) return trim(value);
  if (type) *type = to_lower(trim(value.substr(0, semi)));
  return trim(value.substr(semi + 1));
}

// The name fields_of gives the end of a group: no line's name holds a line break.
constexpr std::string_view kGroupEnd = "\n";

// One field, as views of the text: most values fit on one line, and only
// a folded one is copied to be joined.
struct FieldView {
  std::string_view name;  // as written; empty for a line that is no field, kGroupEnd after a group
  std::string_view first_line;  // the value on the name's line, trimmed
  std::string unfolded;         // the whole value when continuation lines add to it
  std::string_view value() const { return unfolded.empty() ? first_line : std::string_view(unfolded); }
  // Appends a continuation line (trimmed, not empty) with one space between.
  void add_line(std::string_view more) {
    if (unfolded.empty()) unfolded = first_line;
    if (!unfolded.empty()) unfolded.push_back(' ');
    unfolded.append(more);
  }
};

std::vector<FieldView> fields_of(std::string_view text) {
  std::vector<FieldView> fields;
  // Room for a report's usual lines (about 30 bytes each) at once, where
  // growing would allocate several times; a longer text grows past it.
  constexpr std::size_t kUsualLineBytes = 32, kMaxReserved = 1024;
  fields.reserve(std::min(text.size() / kUsualLineBytes + 4, kMaxReserved));
  std::size_t pos = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (trim(line).empty()) {
      // A blank line ends a group of fields (per-message, then one per recipient).
      if (!fields.empty() && fields.back().name != kGroupEnd) fields.push_back({kGroupEnd, {}, {}});
      continue;
    }
    if ((line[0] == ' ' || line[0] == '\t')) {
      if (!fields.empty()) fields.back().add_line(trim(line));
      continue;
    }
    const auto colon = line.find(':');
    const auto name = line.substr(0, colon);
    if (colon == std::string_view::npos || colon == 0 || colon > 40 || name.find(' ') != std::string_view::npos) {
      // Not a field: a stray line of text ends the previous field's folding.
      fields.push_back({{}, trim(line), {}});
      continue;
    }
    fields.push_back({name, trim(line.substr(colon + 1)), {}});
  }
  return fields;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The length of the run of digits at `text[at]`.
std::size_t digits_at(std::string_view text, std::size_t at) {
  std::size_t n = 0;
  while (at + n < text.size() && is_digit(text[at + n])) ++n;
  return n;
}

// The length of the enhanced status code ("5.1.1", "4.7.500") at
// `text[at]`, or 0: a digit, then twice a dot and one to three digits, with
// no digit or dot next to it on either side.
std::size_t status_code_at(std::string_view text, std::size_t at) {
  const auto free = [&](std::size_t i) { return !is_digit(text[i]) && text[i] != '.'; };
  if (at >= text.size() || !is_digit(text[at]) || (at > 0 && !free(at - 1))) return 0;
  std::size_t end = at + 1;
  for (int part = 0; part < 2; ++part) {
    if (end >= text.size() || text[end] != '.') return 0;
    const auto n = digits_at(text, end + 1);
    if (n < 1 || n > 3) return 0;
    end += 1 + n;
  }
  return end == text.size() || free(end) ? end - at : 0;
}

// Each enhanced status code in `text`, in order, until `found` returns true.
template <typename Found>
void for_each_status_code(std::string_view text, Found found) {
  for (std::size_t at = 0; (at = find_byte_in_range(text, at, '0', '9')) < text.size(); ++at) {
    if (const auto length = status_code_at(text, at); length > 0) {
      if (found(at, text.substr(at, length))) return;
      at += length - 1;
    }
  }
}

// Where the first reply code of one of `classes` ("45", "2") stands alone:
// after a space, colon or parenthesis (never inside an IP address or a
// date), and followed by a space, a hyphen, a colon and a space, or the
// end; npos when there is none.
std::size_t reply_code_at(std::string_view text, std::string_view classes) {
  for (std::size_t i = 0; (i = find_byte_in_range(text, i, '2', '5')) + 3 <= text.size(); ++i) {
    if (!is_one_of(text[i], classes)) continue;
    if (i > 0 && !is_pattern_space(text[i - 1]) && text[i - 1] != ':' && text[i - 1] != '(') continue;
    if (text[i + 1] < '0' || text[i + 1] > '5' || !is_digit(text[i + 2])) continue;
    const std::size_t after = i + 3;
    if (after == text.size() || text[after] == ' ' || text[after] == '-' ||
        (text[after] == ':' && after + 1 < text.size() && is_pattern_space(text[after + 1])))
      return i;
  }
  return std::string_view::npos;
}

// In a transcript ("<<< 250 ok" / ">>> RCPT TO:<b@example.net>" / "<<< 550
// ..."; MDaemon's "-->" and "<--"), the command sent last before the text
// at `end`: the one the failure there answered. Empty when no line before
// it sends one.
std::string transcript_command_before(std::string_view text, std::size_t end) {
  std::string command;
  text = text.substr(0, end);
  for (std::size_t start = 0; start < text.size();) {
    const std::size_t stop = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, stop - start);
    start = stop + 1;
    std::size_t arrow = line.find(">>> ");
    if (arrow == std::string_view::npos) arrow = line.find("--> ");
    if (arrow == std::string_view::npos) continue;
    const std::string_view verb = line.substr(arrow + 4, 4);
    for (const std::string_view known : {"HELO", "EHLO", "MAIL", "RCPT", "DATA", "BDAT"})
      if (iequals(verb, known)) command = std::string(known);
  }
  return command;
}

// True when the number that starts at `text[at]` is written as a version
// ("version 2.1.12", "v5.0.1", "Groupware/4.2.17"), not as a status code.
bool reads_as_version(std::string_view text, std::size_t at) {
  if (at > 0 && (text[at - 1] == '/' || text[at - 1] == 'v' || text[at - 1] == 'V')) return true;
  const auto before = trim(text.substr(at > 16 ? at - 16 : 0, at > 16 ? 16 : at));
  for (const std::string_view word : {"version", "ver.", "release", "build", "rev.", "revision"})
    if (before.size() >= word.size() && iequals(before.substr(before.size() - word.size()), word)) return true;
  return false;
}

// The first enhanced status code of one of `classes` ("45", "2") in `text`
// that is not a version number; empty when there is none. Linear: each
// candidate is looked at once, with a bounded look behind it.
std::string status_code_in(std::string_view text, std::string_view classes) {
  std::string out;
  for_each_status_code(text, [&](std::size_t at, std::string_view code) {
    if (!is_one_of(code[0], classes) || reads_as_version(text, at)) return false;
    out = code;
    return true;
  });
  return out;
}

// Action values as MTAs write them, mapped to RFC 3464's set (failed,
// delayed, delivered, relayed, expanded). "expired" is kept: a failure after
// the queue lifetime ran out, which the classifier reads as such. Anything
// else says nothing: empty.
std::string normalised_action(std::string_view value) {
  const auto word = to_lower(trim(value.substr(0, find_first_in(value, " (;"))));
  static const std::pair<std::string_view, std::string_view> kSynonyms[] = {
      {"failed", "failed"},       {"failure", "failed"},    {"fail", "failed"},        {"error", "failed"},
      {"bounced", "failed"},      {"bounce", "failed"},     {"rejected", "failed"},    {"undeliverable", "failed"},
      {"permanent", "failed"},    {"delayed", "delayed"},   {"delay", "delayed"},      {"deferred", "delayed"},
      {"transient", "delayed"},   {"temporary", "delayed"}, {"retry", "delayed"},      {"delivered", "delivered"},
      {"deliverable", "delivered"}, {"success", "delivered"}, {"sent", "delivered"},   {"relayed", "relayed"},
      {"relay", "relayed"},       {"forwarded", "relayed"}, {"expanded", "expanded"}, {"expansion", "expanded"},
      {"expired", "expired"},
  };
  for (const auto& [written, meant] : kSynonyms)
    if (word == written) return std::string(meant);
  return {};
}

bool has_domain(std::string_view address) { return address.find('@') != std::string_view::npos; }

}  // namespace

std::string_view address_at(std::string_view text, std::size_t at) {
  if (at >= text.size() || text[at] != '@') return {};
  // Neither scan crosses another '@': each byte of a line is looked at a
  // bounded number of times however many '@' it holds.
  std::size_t begin = at;
  while (begin > 0 && is_addr_char(static_cast<unsigned char>(text[begin - 1]))) --begin;
  // Colons and brackets belong to a domain literal ("[192.0.2.1]") only:
  // "a@example.com:blocked" is the address and a word.
  std::size_t end = at + 1;
  const bool literal = end < text.size() && text[end] == '[';
  while (end < text.size() && is_domain_char(static_cast<unsigned char>(text[end])) &&
         (literal || (text[end] != ':' && text[end] != '[' && text[end] != ']')))
    ++end;
  while (end > at + 1 && (text[end - 1] == '.' || text[end - 1] == ':' || text[end - 1] == ']')) --end;
  // Dots may not start a local part; "...@" in "<a@b>... User unknown" has none.
  while (begin < at && text[begin] == '.') ++begin;
  // Exchange writes "smtp=user@host" in its reports: the prefix is not part
  // of the address ("SMTP:" and "[SMTP:...]" end at the colon already).
  if (at - begin > 5 && iequals(text.substr(begin, 5), "smtp=")) begin += 5;
  if (begin < at && end > at + 1 && text.substr(at + 1, end - at - 1).find('.') != std::string_view::npos)
    return text.substr(begin, end - begin);
  return {};
}

std::string_view address_in_text_at(std::string_view text, std::size_t at) {
  const std::string_view address = address_at(text, at);
  if (address.empty()) return address;
  const auto begin = static_cast<std::size_t>(address.data() - text.data());
  const auto [trimmed_begin, trimmed_end] = within_non_ascii_delimiters(text, begin, at, begin + address.size());
  if (trimmed_begin == at || trimmed_end <= at + 1) return {};
  // What address_at checks of a domain, checked again of the shorter one.
  const std::string_view domain = text.substr(at + 1, trimmed_end - at - 1);
  if (domain.find('.') == std::string_view::npos) return {};
  // "'bob@example.net' - mailbox unavailable": quoted in single quotes, which
  // a local part may hold but does not start with here.
  std::size_t local_begin = trimmed_begin;
  if (text[local_begin] == '\'' && trimmed_end < text.size() && text[trimmed_end] == '\'' && local_begin + 1 < at)
    ++local_begin;
  return text.substr(local_begin, trimmed_end - local_begin);
}

std::string first_address(std::string_view text) {
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    if (const auto address = address_at(text, at); !address.empty()) return std::string(address);
  }
  return {};
}

std::string bare_address(std::string_view value) {
  auto v = after_type(value);
  auto addr = first_address(v);
  if (!addr.empty()) return addr;
  // Local-only recipients ("rfc822; root") are still recipients.
  v = trim(v);
  while (!v.empty() && (v.front() == '<' || v.front() == '"')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '>' || v.back() == '"')) v.remove_suffix(1);
  if (v.find(' ') != std::string_view::npos) return {};
  return std::string(v);
}

namespace {

// What one scan of a diagnostic tells about the regexes below: whether one
// of their openings occurs, in any case (or in letters that a caseless
// regex folds to ASCII ones, which the scan does not see).
struct DiagnosticWords {
  std::uint32_t command_openings = ~std::uint32_t{0};  // bit i: kCommandOpenings[i] may occur
  bool may_name_server = true;                         // server_in
  // The text holds U+017F or U+212A, which a caseless regex reads as 's'
  // and 'k': only the regexes read it as they do.
  bool folded = true;
  bool may_name_command() const { return command_openings != 0; }  // smtp_command_in
};

DiagnosticWords scan_diagnostic(std::string_view text) {
  // The openings long enough for the scanner; the others are looked for one by one.
  static const auto [words, bit_of, server_bits] = [] {
    std::vector<std::string_view> literals;
    std::array<std::size_t, std::size(kCommandOpenings)> bit{};  // the scanner's bit of each opening, or npos
    std::uint64_t server = 0;
    for (std::size_t i = 0; i < bit.size(); ++i) {
      const bool scanned = kCommandOpenings[i].size() >= LiteralScan::kMinLiteralBytes;
      bit[i] = scanned ? literals.size() : std::string_view::npos;
      if (scanned) literals.push_back(kCommandOpenings[i]);
    }
    for (const std::string_view o : kServerOpenings) server |= std::uint64_t{1} << literals.size(), literals.push_back(o);
    return std::tuple(LiteralScan(literals), bit, server);
  }();
  if (LiteralScan::has_ascii_case_variant(text)) return {};
  const std::uint64_t found = words.find(text);
  DiagnosticWords result;
  result.command_openings = 0;
  for (std::size_t i = 0; i < bit_of.size(); ++i) {
    // The short openings have no letters: no case to ignore.
    const bool occurs = bit_of[i] != std::string_view::npos ? (found >> bit_of[i] & 1) != 0
                                                            : text.find(kCommandOpenings[i]) != std::string_view::npos;
    if (occurs) result.command_openings |= std::uint32_t{1} << i;
  }
  // Every match of the server regex also holds a '['.
  result.may_name_server = text.find('[') != std::string_view::npos && (found & server_bits) != 0;
  result.folded = false;
  return result;
}

// The command an error answered, as written: the command regex's group,
// which the scanner finds where the regex reads the text as it does.
std::string command_in(std::string_view text, const DiagnosticWords& words) {
  if (words.folded) {
    static const RE2 regex(command_pattern());
    std::string command;
    return RE2::PartialMatch(text, regex, &command) ? command : std::string();
  }
  return std::string(command_mention(text, words.command_openings).value_or(std::string_view()));
}

// The SMTP command an error answered ("RCPT", "DATA", ...), or empty.
std::string smtp_command_in(std::string_view diagnostic, const DiagnosticWords& words) {
  std::string cmd = words.may_name_command() ? command_in(diagnostic, words) : std::string();
  if (cmd.empty()) return icontains(diagnostic, "does not like recipient") ? "RCPT" : std::string();
  cmd = to_lower(cmd);
  if (cmd.rfind("rcpt", 0) == 0) return "RCPT";
  if (cmd.rfind("mail", 0) == 0) return "MAIL";
  if (cmd == "end of data" || cmd == "final data" || cmd == "data" || cmd == "message body") return "DATA";
  if (cmd == "initial connection" || cmd == "connect") return "CONN";
  for (auto& c : cmd) c = ascii_upper(c);
  return cmd;
}

// The server named with its address; false when there is none.
bool server_in(std::string_view diagnostic, const DiagnosticWords& words, std::string& host, std::string& ip) {
  // "host mx.example.net[192.0.2.1]", "connect to mx.example.net[192.0.2.1]:25",
  // "host mx.example.net [192.0.2.1]": Postfix's and Exim's way to name a server.
  if (!words.may_name_server) return false;
  if (words.folded) {
    static const RE2 regex(re2::StringPiece(kServerPattern.data(), kServerPattern.size()));
    return RE2::PartialMatch(diagnostic, regex, &host, &ip);
  }
  const auto mention = server_mention(diagnostic);
  if (!mention) return false;
  host = mention->host;
  ip = mention->ip;
  return true;
}

}  // namespace

void fill_missing_from(RecipientReport& r, std::string_view text) {
  text = text.substr(0, kMaxExaminedDiagnosticBytes);
  // Transcripts show successes before the failure: the failure's reply
  // counts, and the command it answered (looked for only when one is missing).
  const bool wants_reply = r.reply_code.empty() || r.smtp_command.empty();
  const std::size_t failure = wants_reply ? reply_code_at(text, "45") : std::string_view::npos;
  if (r.reply_code.empty()) {
    const std::size_t at = failure != std::string_view::npos ? failure : reply_code_at(text, "2");
    if (at != std::string_view::npos) r.reply_code = std::string(text.substr(at, 3));
  }
  if (r.smtp_command.empty() && failure != std::string_view::npos)
    r.smtp_command = transcript_command_before(text, failure);
  const bool wants_server = r.remote_mta.empty() || r.remote_ip.empty();
  if (!r.smtp_command.empty() && !wants_server) return;
  const DiagnosticWords words = scan_diagnostic(text);
  if (r.smtp_command.empty()) r.smtp_command = smtp_command_in(text, words);
  if (wants_server) {
    std::string host, ip;
    if (server_in(text, words, host, ip)) {
      if (r.remote_mta.empty()) r.remote_mta = std::move(host);
      if (r.remote_ip.empty()) r.remote_ip = std::move(ip);
    }
  }
}

void complete_from_diagnostic(RecipientReport& r) {
  const std::string_view diagnostic = std::string_view(r.diagnostic).substr(0, kMaxExaminedDiagnosticBytes);
  fill_missing_from(r, diagnostic);
  // Transcripts show successes before the failure: the failure's code
  // counts. A success code in the text is one only in a success report;
  // elsewhere "2.1.12" is a version.
  const bool success = r.action == "delivered" || r.action == "relayed" || r.action == "expanded";
  std::string in_text = status_code_in(diagnostic, "45");
  if (in_text.empty() && success) in_text = status_code_in(diagnostic, "2");
  if (!in_text.empty()) {
    // A generic status field ("5.0.0") says less than the code in the wording.
    const bool generic = r.status.empty() || r.status.compare(1, 4, ".0.0") == 0;
    if (generic) r.status = in_text;
  }
}

// One of a recipient's own fields other than its addresses, as
// read_delivery_status() hands them on; a field it starts a recipient for
// but does not keep (X-Actual-Recipient) sets nothing.
void set_recipient_field(RecipientReport& r, std::string_view name, std::string_view value) {
  if (iequals(name, "action")) {
    r.action = normalised_action(value);
  } else if (iequals(name, "status")) {
    for_each_status_code(value, [&](std::size_t, std::string_view code) {
      if (code[0] == '2' || code[0] == '4' || code[0] == '5') r.status = code;
      return !r.status.empty();
    });
    // "4.0.0 (example.net: host name lookup failure)": some MTAs explain
    // here and give no Diagnostic-Code.
    const auto open = value.find('(');
    const auto close = value.rfind(')');
    if (r.diagnostic.empty() && open != std::string::npos && close != std::string::npos && close > open)
      r.diagnostic = value.substr(open + 1, close - open - 1);
  } else if (iequals(name, "remote-mta")) {
    auto host = std::string(after_type(value));
    // "[192.0.2.1]": an address literal names the server too.
    if (!host.empty() && host.front() == '[' && host.back() == ']') r.remote_ip = host.substr(1, host.size() - 2);
    r.remote_mta = host;
  } else if (iequals(name, "diagnostic-code")) {
    std::string type;
    auto text_part = after_type(value, &type);
    if (value.find(';') == std::string::npos) type.clear();
    r.diagnostic_type = type;
    r.diagnostic = decode_header_text(text_part);
  } else if (iequals(name, "last-attempt-date")) {
    r.last_attempt_date = value;
  } else if (iequals(name, "will-retry-until")) {
    r.will_retry_until = value;
  }
}

// Of the `added` recipients at the end of `rs`, drops those without any
// address (not reports of a recipient), names each one's address, and
// completes the rest from their diagnostics. Returns how many are kept.
std::size_t finish_recipients(std::vector<RecipientReport>& rs, std::size_t added) {
  rs.erase(std::remove_if(rs.end() - static_cast<std::ptrdiff_t>(added), rs.end(),
                          [&](RecipientReport& r) {
                            // The sender knows the address it used: the
                            // Original-Recipient, unless it names no domain.
                            const bool original = has_domain(r.original_recipient) ||
                                                  (r.final_recipient.empty() && !r.original_recipient.empty());
                            r.recipient = original ? r.original_recipient : r.final_recipient;
                            return r.recipient.empty();
                          }),
           rs.end());
  const auto kept = std::min(added, rs.size());
  for (auto it = rs.end() - static_cast<std::ptrdiff_t>(kept); it != rs.end(); ++it) complete_from_diagnostic(*it);
  return kept;
}

std::size_t read_delivery_status(std::string_view text, BounceReport& report, std::size_t max_recipients) {
  const auto fields = fields_of(text);
  std::size_t added = 0;
  RecipientReport* current = nullptr;
  bool current_has_final = false;
  bool current_has_original = false;
  const auto start_recipient = [&]() -> bool {
    if (report.recipients.size() >= max_recipients) return false;
    report.recipients.emplace_back();
    current = &report.recipients.back();
    current_has_final = current_has_original = false;
    ++added;
    return true;
  };
  for (const auto& f : fields) {
    const std::string_view n = f.name;
    if (n.empty()) continue;
    if (n == kGroupEnd) {
      current = nullptr;
      continue;
    }
    const std::string_view value = f.value();
    const auto named = [n](std::string_view name) { return iequals(n, name); };
    if (named("reporting-mta")) {
      if (report.reporting_mta.empty()) report.reporting_mta = std::string(after_type(value));
    } else if (named("arrival-date")) {
      if (report.arrival_date.empty()) report.arrival_date = value;
    } else if (named("final-recipient")) {
      if (!current || current_has_final) {
        if (!start_recipient()) break;
      }
      current->final_recipient = bare_address(value);
      current_has_final = true;
    } else if (named("original-recipient")) {
      if (!current || current_has_original) {
        if (!start_recipient()) break;
      }
      current->original_recipient = bare_address(value);
      current_has_original = true;
    } else if (named("action") || named("status") || named("remote-mta") || named("diagnostic-code") ||
               named("last-attempt-date") || named("will-retry-until") || named("x-actual-recipient")) {
      if (!current) {
        if (!start_recipient()) break;
      }
      set_recipient_field(*current, n, value);
    }
  }
  return finish_recipients(report.recipients, added);
}

}  // namespace clearbounce::dsn::detail

namespace clearbounce::dsn {

bool is_plausible_address(std::string_view address) {
  if (address.empty() || address.size() > 254) return false;
  const auto at = address.rfind('@');
  const std::string_view local = address.substr(0, at);
  if (local.empty() || local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos)
    return false;
  for (const char c : local)
    if (!detail::is_addr_char(static_cast<unsigned char>(c))) return false;
  if (at == std::string_view::npos) return true;  // a local recipient: "root"
  const std::string_view domain = address.substr(at + 1);
  if (domain.size() > 2 && domain.front() == '[' && domain.back() == ']') {
    for (const char c : domain.substr(1, domain.size() - 2))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':' && c != 'I' && c != 'P' && c != 'v')
        return false;
    return true;
  }
  if (domain.empty() || domain.front() == '.' || domain.back() == '.' || domain.find("..") != std::string_view::npos)
    return false;
  for (const char c : domain) {
    const auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '.' && u < 0x80) return false;
  }
  return true;
}

}  // namespace clearbounce::dsn
