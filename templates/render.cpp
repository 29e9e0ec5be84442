#include "templates/render.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

#include "dsn/ascii.hpp"
#include "dsn/encoding.hpp"
#include "templates/dates.hpp"

namespace clearbounce::templates {

namespace {

// The bytes HTML text must not carry as they are: read a byte at a time by
// table, so that the rest (nearly all) costs one test each.
constexpr std::array<bool, 256> kMarkup = [] {
  std::array<bool, 256> table{};
  for (const unsigned char c : {'&', '<', '>', '"', '\''}) table[c] = true;
  return table;
}();

}  // namespace

void append_escaped_html(std::string& out, std::string_view text) {
  std::size_t copied = 0;  // text before this is in `out`
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!kMarkup[static_cast<unsigned char>(text[i])]) continue;
    std::string_view entity;
    switch (text[i]) {
      case '&': entity = "&amp;"; break;
      case '<': entity = "&lt;"; break;
      case '>': entity = "&gt;"; break;
      case '"': entity = "&quot;"; break;
      case '\'': entity = "&#39;"; break;
      default: continue;
    }
    out.append(text.substr(copied, i - copied)).append(entity);
    copied = i + 1;
  }
  out.append(text.substr(copied));
}

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  append_escaped_html(out, text);
  return out;
}

namespace {

// What one rendering may copy out of a report. Remote text is data: valid
// UTF-8, no control or invisible characters, bounded (the original report
// stays attached, whole).
//
// Size bound of the result (text + HTML): C + O + N × R, where N is
// RenderInput::detailed_recipients, C ≈ 64 KB is the frame (catalogue
// texts, the summary by cause: at most one entry per category), O the
// overview at the top (at most one line per category and outcome, each
// with three addresses of at most kMaxValueBytes: under 1 MB with the
// escaping, about 100 KB for any real report) and
// R ≈ 96 KB per detailed recipient: the quote once per format (text: at most
// 5 × kMaxQuotedBytes with its indentation; HTML: at most 6 × that, the
// worst case of escaping) or the technical section's copy instead, and a
// dozen single-line values of kMaxValueBytes (× 6 when escaped) inside about
// 3 KB of catalogue text. The number of recipients in the report does not
// enter it. With N = 20 that is under 2 MB.
constexpr std::size_t kMaxQuotedBytes = 4000;      // a server's answer, quoted once per format
// Addresses named in a list (the overview's line for a cause, a shared
// section's headline); the others are counted.
constexpr std::size_t kAddressesNamed = 3;
constexpr std::size_t kMaxValueBytes = 320;        // one value inside a sentence or a technical row

// Length of the UTF-8 sequence that starts with `lead` (input is valid UTF-8).
std::size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xF0) return 4;
  if (lead >= 0xE0) return 3;
  return 2;
}

char32_t decode(std::string_view sequence) {
  const auto lead = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() == 1) return lead;
  char32_t c = lead & (0x7F >> sequence.size());
  for (std::size_t i = 1; i < sequence.size(); ++i) c = (c << 6) | (static_cast<unsigned char>(sequence[i]) & 0x3F);
  return c;
}

// Characters that are not seen but change how the text around them is shown
// or read: direction embeddings, overrides and isolates (an unclosed
// right-to-left override would reverse our own words after a quote),
// zero-width spaces and joiners, invisible operators, tag characters.
bool invisible_format_character(char32_t c) {
  return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 || c == 0x17B4 ||
         c == 0x17B5 || (c >= 0x180B && c <= 0x180F) || (c >= 0x200B && c <= 0x200F) ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) || c == 0x3164 || c == 0xFEFF ||
         c == 0xFFA0 || (c >= 0xFFF9 && c <= 0xFFFB) || (c >= 0x1D173 && c <= 0x1D17A) ||
         (c >= 0xE0000 && c <= 0xE0FFF);
}

// Valid UTF-8 without control or invisible characters, line breaks and tabs
// kept, at most `max_bytes` (then cut between characters and marked " …").
std::string clean_remote_text(std::string_view text, std::size_t max_bytes = kMaxQuotedBytes) {
  const std::string valid = dsn::sanitize_utf8(text);
  std::string out;
  out.reserve(std::min(valid.size(), max_bytes) + 4);
  bool truncated = false;
  const auto plain = [](char c) { return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t'; };
  for (std::size_t i = 0; i < valid.size();) {
    // Printable ASCII, the bulk of most texts, is copied a run at a time.
    std::size_t run = i;
    while (run < valid.size() && plain(valid[run])) ++run;
    if (run > i) {
      const std::size_t room = max_bytes - out.size();
      out.append(valid, i, std::min(run - i, room));
      if (run - i > room) {
        truncated = true;
        break;
      }
      i = run;
      continue;
    }
    const auto length = std::min(sequence_length(static_cast<unsigned char>(valid[i])), valid.size() - i);
    const std::string_view sequence(valid.data() + i, length);
    i += length;
    const char32_t c = decode(sequence);
    if (c == '\r' || c == 0x7F || invisible_format_character(c)) continue;  // dropped, not cut
    std::string_view kept = sequence;
    if (c == 0x2028 || c == 0x2029) kept = "\n";  // line and paragraph separators
    else if ((c < 0x20 && c != '\n' && c != '\t') || (c >= 0x80 && c < 0xA0)) kept = " ";
    if (out.size() + kept.size() > max_bytes) {
      truncated = true;
      break;
    }
    out += kept;
  }
  if (truncated) out += " …";
  return out;
}

// Facts are single-line values: no line breaks, no control characters.
std::string clean_value(std::string_view text, std::size_t max_bytes = kMaxValueBytes) {
  std::string out = clean_remote_text(text, max_bytes);
  for (auto& c : out)
    if (c == '\n' || c == '\t') c = ' ';
  return out;
}

// A DNS host name: letter-digit-hyphen labels joined by dots, at most 253
// characters; a server name has a dot and a top-level label of letters (or
// an IDN "xn--" label). Anything else is no name we put into a sentence.
bool is_host_name(std::string_view name, bool server_name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > 253) return false;
  std::size_t labels = 0;
  std::string_view last;
  while (true) {
    const auto dot = name.find('.');
    const auto label = name.substr(0, dot);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    for (char c : label)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') return false;
    ++labels;
    last = label;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  if (!server_name) return true;
  const bool letters = std::all_of(last.begin(), last.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)); });
  return labels >= 2 && (letters || last.substr(0, 4) == "xn--");
}

// One fact of a classification, or an empty view when it was not found.
std::string_view fact_of(const classifier::Classification& c, const char* name) {
  const auto it = c.facts.find(name);
  return it == c.facts.end() ? std::string_view() : std::string_view(it->second);
}

// A local part we can write back to the sender as theirs: a dot-atom
// (RFC 5322 atext, or UTF-8 that clean_value leaves as it is) of at most 64
// bytes, without quotes, spaces (Unicode ones too) or control characters.
bool is_plain_local_part(std::string_view local) {
  static constexpr std::string_view kAtext = "!#$%&'*+-/=?^_`{|}~";
  static constexpr std::string_view kWideSpaces[] = {"\xC2\xA0", "\xE1\x9A\x80", "\xE2\x80", "\xE2\x81\x9F",
                                                     "\xE3\x80\x80"};
  if (local.empty() || local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos || clean_value(local) != local)
    return false;
  for (const auto wide : kWideSpaces)  // U+2000 to U+203F: spaces, quotes, dashes, invisible marks
    if (local.find(wide) != std::string_view::npos) return false;
  return std::all_of(local.begin(), local.end(), [](char c) {
    const auto b = static_cast<unsigned char>(c);
    return b >= 0x80 || std::isalnum(b) || c == '.' || kAtext.find(c) != std::string_view::npos;
  });
}

// "bob@gmail.com" for the domain a diagnosis suggests, or "" when the
// domain is no host name or the recipient's local part is not plain.
std::string suggested_address(std::string_view recipient, std::string_view domain) {
  const auto at = recipient.rfind('@');
  if (at == std::string_view::npos || !is_host_name(domain, true) || !is_plain_local_part(recipient.substr(0, at)))
    return {};
  return std::string(recipient.substr(0, at + 1)) + std::string(domain);
}

// An IPv4 or IPv6 address ("IPv6:" prefix of an address literal allowed),
// written canonically; "" when the text is no address.
std::string ip_address(std::string_view text) {
  if (text.size() > 5 && (text.substr(0, 5) == "IPv6:" || text.substr(0, 5) == "ipv6:")) text.remove_prefix(5);
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return {};
  const std::string address(text);
  std::array<unsigned char, 16> binary{};
  // IPv4, the usual case, written as inet_ntop writes it ("%u.%u.%u.%u")
  // without its formatted printing.
  if (inet_pton(AF_INET, address.c_str(), binary.data()) == 1) {
    std::string out;
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      out += std::to_string(binary[i]);
    }
    return out;
  }
  char written[INET6_ADDRSTRLEN] = {};
  if (inet_pton(AF_INET6, address.c_str(), binary.data()) == 1 &&
      inet_ntop(AF_INET6, binary.data(), written, sizeof written) != nullptr)
    return written;
  return {};
}

bool is_size_unit(std::string unit) {
  for (auto& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::string_view kUnits[] = {"",   "b",   "byte", "bytes", "k",  "kb",     "kib",   "kbytes",
                                                "m",  "mb",  "mib",  "mbytes", "g", "gb",     "gib",   "gbytes"};
  return std::find(std::begin(kUnits), std::end(kUnits), unit) != std::end(kUnits);
}

// "10485760" (bytes, as some servers write it) -> "10 MB"; "20 MB" as
// written; "" for anything that is not a size.
std::string readable_size(std::string_view value) {
  const auto number_end = value.find_first_not_of("0123456789.,");
  const auto number = value.substr(0, number_end);
  if (value.size() > 32 || number.empty() || !std::isdigit(static_cast<unsigned char>(number.front()))) return {};
  auto unit = number_end == std::string_view::npos ? std::string_view() : value.substr(number_end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  if (!is_size_unit(std::string(unit))) return {};
  if (number_end != std::string_view::npos || value.size() > 15) return std::string(value);
  double amount = std::stod(std::string(value));
  const char* units[] = {"bytes", "KB", "MB", "GB"};
  int scale = 0;
  while (amount >= 1024 && scale < 3) {
    amount /= 1024;
    ++scale;
  }
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, scale == 0 || amount >= 10 ? "%.0f %s" : "%.1f %s", amount, units[scale]);
  return buffer;
}

// Columns `text` takes in a fixed-width font: East Asian wide and
// full-width characters two, combining marks none, others one.
std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t length = std::min(sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
    const char32_t c = decode(text.substr(i, length));
    i += length;
    if (c >= 0x300 && c <= 0x36F) continue;  // combining diacritical marks
    const bool wide = (c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0xA4CF && c != 0x303F) ||
                      (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) || (c >= 0xFE30 && c <= 0xFE4F) ||
                      (c >= 0xFF00 && c <= 0xFF60) || (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x20000 && c <= 0x3FFFD);
    width += wide ? 2 : 1;
  }
  return width;
}

// The address an alias or forward expanded the recipient to, when the
// report shows one: the Final-Recipient where the Original-Recipient differs.
std::string_view expanded_address(const dsn::RecipientReport& r) {
  if (r.original_recipient.empty() || r.final_recipient.empty()) return {};
  if (dsn::detail::iequals(r.original_recipient, r.final_recipient)) return {};
  return r.final_recipient;
}

// `text` with every occurrence of `address` (ignoring ASCII case) left out,
// marked by an ellipsis: leftmost first, none overlapping. Knuth-Morris-
// Pratt, so the cost stays linear in the text (a report's diagnostic may be
// megabytes, and the address 254 bytes).
std::string without_address(std::string_view text, std::string_view address) {
  if (address.empty()) return std::string(text);
  const auto lower = dsn::detail::ascii_lower;
  // fallback[k]: the longest proper prefix of address[0..k] that is also its suffix.
  std::vector<std::size_t> fallback(address.size(), 0);
  for (std::size_t i = 1, k = 0; i < address.size(); ++i) {
    while (k > 0 && lower(address[i]) != lower(address[k])) k = fallback[k - 1];
    if (lower(address[i]) == lower(address[k])) ++k;
    fallback[i] = k;
  }
  std::string out;
  out.reserve(text.size());
  std::size_t matched = 0;
  for (const char c : text) {
    while (matched > 0 && lower(c) != lower(address[matched])) matched = fallback[matched - 1];
    if (lower(c) == lower(address[matched])) ++matched;
    if (matched == address.size()) {
      out.resize(out.size() - (address.size() - 1));  // the match's bytes copied so far
      out += "\u2026";
      matched = 0;
    } else {
      out += c;
    }
  }
  return out;
}

int action_rank(std::string_view action) {
  if (action == "failed" || action.empty()) return 0;
  if (action == "delayed") return 1;
  return 2;
}

std::string_view action_key(std::string_view action) {
  if (action == "delayed" || action == "delivered" || action == "relayed" || action == "expanded") return action;
  return "failed";
}

class Writer {
 public:
  Writer(const RenderInput& input, std::string_view locale, const CatalogueSet& catalogues)
      : input_(input), locale_(locale), catalogues_(catalogues), entries_(catalogues.entries(locale)) {}

  Rendered run();

 private:
  const std::vector<Template>* entry(std::string_view key) const { return entries_.find(key); }

  // The entry's first template, or null.
  const Template* first(std::string_view key) const {
    const auto* templates = entry(key);
    return templates && !templates->empty() ? &templates->front() : nullptr;
  }
  std::string text(std::string_view key, const Values& values) const {
    const Template* t = first(key);
    return t ? t->render(values) : std::string();
  }
  // The entry rendered at the end of text_ and, escaped, of html_ (nothing
  // for a missing entry): written in place, without a string of its own.
  static void put_text(std::string& out, const Template* t, const Values& values) {
    if (t) t->render_into(out, values);
  }
  static void put_html(std::string& out, const Template* t, const Values& values) {
    if (t) t->render_into(out, values, append_escaped_html);
  }

  std::string number(std::size_t n) const;
  std::string category_key(std::string_view id, std::string_view entry_name) const;
  std::string as_reported(std::string key) const;
  void add_facts(const classifier::Classification& c, Values& v) const;
  void add_diagnosis_facts(const classifier::Classification& c, Values& v) const;
  void add_retry_until(const dsn::RecipientReport& r, const classifier::Classification& c, Values& v) const;
  Values values_for(const dsn::RecipientReport& r, const classifier::Classification& c) const;
  // Recipients explained together, and the values of their sentences.
  struct Section {
    std::string action;
    const classifier::Category* category;  // null: a section no one else joins
    std::vector<std::size_t> members;      // indexes into the report's recipients
    Values values;                         // the first member's, without its address
  };
  bool section(const Section& shared);
  std::vector<Section> sections_of(const std::vector<std::size_t>& order) const;
  bool names_one_recipient(const classifier::Category& category) const;
  std::string address_list(const std::vector<std::size_t>& members, std::size_t shown) const;
  void quote(const dsn::RecipientReport& r, const Values& values);
  std::string retry_key(const Values& values) const;
  // The recipient and the server's words as the notice shows them: without
  // an expanded address when rewrite.hide_expanded_recipients asks.
  std::string_view shown_recipient(const dsn::RecipientReport& r) const {
    const std::string_view expanded = input_.hide_expanded_recipients ? expanded_address(r) : std::string_view();
    return !expanded.empty() && dsn::detail::iequals(r.recipient, expanded) ? r.original_recipient : r.recipient;
  }
  std::string shown_diagnostic(const dsn::RecipientReport& r) const {
    return input_.hide_expanded_recipients ? without_address(r.diagnostic, expanded_address(r)) : r.diagnostic;
  }
  std::string local_date(std::string_view written) const;
  void how_to_fix(const classifier::Classification& c, const std::string& steps_key, const Values& values);
  void fix_steps(std::string_view heading_key, const std::vector<Template>& steps, const Values& values);
  void forward(const Template* sentence, const Values& values);
  void open_html(std::string_view title);
  void technical(const dsn::RecipientReport& r, const classifier::Classification& c, bool quoted_above);
  void summary(const std::vector<std::size_t>& rest);
  void overview(const std::vector<std::size_t>& order);
  void overview_line(const classifier::Category* category, const std::vector<std::size_t>& members, std::size_t shown);
  std::string counted(std::string_view key, std::size_t count) const;
  void paragraph(std::string_view key, const Values& values);

  const RenderInput& input_;
  std::string locale_;
  const CatalogueSet& catalogues_;
  const CatalogueSet::Entries entries_;  // the locale's, found once
  std::string text_;
  std::string html_;
  int fix_lists_ = 0;  // numbers the "How to fix it" lists' ids
};

// A category's entry ("category.<id>.what"). In a report from the internet,
// its "_remote" form where the category has one: a text that speaks of our
// server or our domain says there whose they were (the system that sent
// the notice, the sender's domain).
std::string Writer::category_key(std::string_view id, std::string_view entry_name) const {
  std::string key = "category.";
  key.append(id).append(".").append(entry_name);
  return as_reported(std::move(key));
}

// In a report from the internet, the entry's `_remote` form where there is
// one: it speaks of the system that wrote the report, not of ours.
std::string Writer::as_reported(std::string key) const {
  if (input_.remote_report && entry(key + "_remote")) key += "_remote";
  return key;
}

// 2480 -> "2,480" with the locale's digit grouping.
std::string Writer::number(std::size_t n) const {
  const std::string digits = std::to_string(n);
  const std::string separator = text("text.thousands_separator", {});
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += separator;
    out.push_back(digits[i]);
  }
  return out;
}

// The facts that go into our sentences, each only when it is well-formed:
// in a report from the internet any of them can hold any text, and a value
// that is left out drops its {? ?} group rather than speak in our name.
void Writer::add_facts(const classifier::Classification& c, Values& v) const {
  const auto fact = [&](const char* name) { return fact_of(c, name); };
  if (is_host_name(fact("remote_host"), true)) v["remote_host"] = std::string(fact("remote_host"));
  v["remote_ip"] = ip_address(fact("remote_ip"));
  if (is_host_name(fact("blocklist"), false)) v["blocklist"] = std::string(fact("blocklist"));
  v["size_limit"] = readable_size(fact("size_limit"));
  if (is_host_name(fact("reporting_mta"), true)) v["reporting_mta"] = std::string(fact("reporting_mta"));
  add_diagnosis_facts(c, v);
  if (const auto id = fact("last_error_category"); !id.empty())
    v["last_error"] = text(category_key(id, "label"), {});
  for (auto it = v.begin(); it != v.end();) it = it->second.empty() ? v.erase(it) : std::next(it);
}

// Until when the recipient is retried. A deadline is a date or nothing (the
// retry_unknown wording covers the rest). Less than a week after the
// report's last attempt or the message's arrival, its weekday and time
// say it ("Friday 14:00"): read at any time between the two, a weekday
// names one day only. The technical section gives the full date.
void Writer::add_retry_until(const dsn::RecipientReport& r, const classifier::Classification& c, Values& v) const {
  const auto* names = catalogues_.dates(locale_);
  // Most reports name no deadline: no date to look for in an empty text.
  const auto written = fact_of(c, "retry_until");
  if (written.empty() || !names) return;
  const auto deadline = parse_rfc5322_date(written);
  if (!deadline) return;
  bool near = false;
  for (const std::string* known : {&r.last_attempt_date, &input_.report->arrival_date})
    if (const auto reference = parse_rfc5322_date(*known)) near = near || within_six_days(*reference, *deadline);
  v["retry_until"] = format_date(*deadline, *names, near ? DateForm::near : DateForm::full);
}

// The pieces of a list fact, as diagnose/blocklists.cpp joins them.
std::vector<std::string_view> pieces(std::string_view list, std::string_view separator) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const auto at = list.find(separator);
    out.push_back(list.substr(0, at));
    list = at == std::string_view::npos ? std::string_view() : list.substr(at + separator.size());
  }
  return out;
}

// The block lists a diagnosis found our address on, with their removal
// pages: each name and page must be one of the configured lists' (our own
// data file's), so no other text and no URL from elsewhere reaches a notice.
void add_blocklist_facts(const classifier::Classification& c, const std::vector<NamedBlocklist>* known, Values& v) {
  const auto names = pieces(fact_of(c, "blocklists_listed"), ", ");
  const auto pages = pieces(fact_of(c, "blocklist_removal"), " ");
  if (known == nullptr || names.size() != pages.size()) return;
  std::string listed, removal;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const bool ours = std::any_of(known->begin(), known->end(), [&](const NamedBlocklist& list) {
      return list.name == names[i] && list.removal_page == pages[i];
    });
    if (!ours) continue;
    listed += (listed.empty() ? "" : ", ") + std::string(names[i]);
    removal += (removal.empty() ? "" : ", ") + std::string(names[i]) + " <" + std::string(pages[i]) + ">";
  }
  v["blocklists_listed"] = listed;
  v["blocklist_removal"] = removal;
  v["listed_address"] = ip_address(fact_of(c, "listed_address"));
}

// What a diagnosis of our own found (diagnose/findings.hpp). The names
// come from the remote server's certificate: only host names (a leading
// "*." allowed) go into a sentence; the dates are ours, localized.
void Writer::add_diagnosis_facts(const classifier::Classification& c, Values& v) const {
  const auto fact = [&](const char* name) { return fact_of(c, name); };
  if (fact("checked_at").empty()) return;  // no diagnosis ran
  if (const auto* names = catalogues_.dates(locale_))
    for (const char* date : {"certificate_expired_on", "certificate_valid_from", "checked_at"})
      if (const auto parsed = parse_rfc5322_date(fact(date))) v[date] = format_date(*parsed, *names);
  if (is_host_name(fact("expected_name"), true)) v["expected_name"] = std::string(fact("expected_name"));
  std::string shown;
  std::string_view list = fact("certificate_names");
  while (!list.empty()) {
    const auto comma = list.find(", ");
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 2);
    const std::string_view bare = name.substr(0, 2) == "*." ? name.substr(2) : name;
    if (is_host_name(bare, false)) shown += (shown.empty() ? "" : ", ") + std::string(name);
  }
  v["certificate_names"] = shown;
  add_blocklist_facts(c, input_.blocklists, v);
}

Values Writer::values_for(const dsn::RecipientReport& r, const classifier::Classification& c) const {
  Values v;
  const std::string_view recipient = shown_recipient(r);
  v["recipient"] = clean_value(recipient);
  const auto at = recipient.rfind('@');
  v["recipient_domain"] = at == std::string::npos ? std::string() : clean_value(recipient.substr(at + 1));
  v["subject"] = clean_value(input_.original_subject);
  add_facts(c, v);
  add_retry_until(r, c, v);
  if (auto address = suggested_address(recipient, fact_of(c, "suggested_domain")); !address.empty()) {
    v["suggested_address"] = std::move(address);
    v["suggested_domain"] = std::string(fact_of(c, "suggested_domain"));
  }
  v["organization"] = clean_value(input_.organization);
  v["support"] = clean_value(input_.support);
  v["count"] = number(input_.report->recipients.size());
  return v;
}

void Writer::paragraph(std::string_view key, const Values& values) {
  const Template* t = first(key);
  const std::size_t before = text_.size();
  put_text(text_, t, values);
  if (text_.size() == before) return;  // nothing to say: no paragraph in either format
  text_ += "\n\n";
  html_ += "<p>";
  put_html(html_, t, values);
  html_ += "</p>\n";
}

// Who wrote a diagnostic: the recipient's server answers with a reply code
// ("550 5.1.1 ...", "host mx.example.org said: 451 ..."); a text without
// one ("host name lookup failure", "unable to deliver this message after
// 1 day") is the reporting system's own, ours in a report we wrote. In a
// report from the internet nothing is our words.
std::string_view speaker_key(const dsn::RecipientReport& r, bool remote_report) {
  const bool recipients_server = !r.reply_code.empty() || r.diagnostic.find("said:") != std::string::npos;
  if (remote_report) return recipients_server ? "text.remote_claimed" : "text.reporter_said";
  return recipients_server ? "text.remote_said" : "text.system_said";
}

// The server's answer, introduced as whose words it is, quoted in full: the
// only copy in each format (the technical section does not repeat it).
void Writer::quote(const dsn::RecipientReport& r, const Values& values) {
  paragraph(speaker_key(r, input_.remote_report), values);
  const auto quoted = clean_remote_text(shown_diagnostic(r));
  // Every line indented, a line at a time.
  text_ += "    ";
  std::size_t line = 0;
  for (std::size_t nl = quoted.find('\n'); nl != std::string::npos; line = nl + 1, nl = quoted.find('\n', line)) {
    text_.append(quoted, line, nl + 1 - line);
    text_ += "    ";
  }
  text_.append(quoted, line);
  text_ += "\n\n";
  // The server's words: monospace behind a bar, unlike our sentence to forward.
  html_ += "<blockquote style=\"margin:0.5em 0;padding-left:1em;border-left:3px solid #888\">"
           "<pre style=\"margin:0;white-space:pre-wrap;overflow-wrap:anywhere\">";
  append_escaped_html(html_, quoted);
  html_ += "</pre></blockquote>\n";
}

// How to fix it: a heading that says who can, then the steps as a numbered
// list; a single step is not numbered (there is no order to give).
void Writer::fix_steps(std::string_view heading_key, const std::vector<Template>& steps, const Values& values) {
  const Template* heading = first(heading_key);
  put_text(text_, heading, values);
  text_ += "\n\n";
  const bool numbered = steps.size() > 1;
  const char* list = numbered ? "ol" : "ul";
  // The list is labelled by its heading, for screen readers.
  const std::string id = "fix-" + std::to_string(++fix_lists_);
  html_ += "<h3 style=\"font-size:1em\" id=\"" + id + "\">";
  put_html(html_, heading, values);
  html_ += "</h3>\n<";
  html_ += list;
  html_ += " aria-labelledby=\"" + id + "\"";
  if (!numbered) html_ += " style=\"list-style:none;padding-left:1em\"";
  html_ += ">\n";
  int n = 0;
  for (const auto& step : steps) {
    text_ += "  ";
    if (numbered) text_ += std::to_string(++n) + ". ";
    put_text(text_, &step, values);
    text_ += '\n';
    html_ += "<li>";
    put_html(html_, &step, values);
    html_ += "</li>\n";
  }
  html_ += "</";
  html_ += list;
  html_ += ">\n";
  text_ += "\n";
}

// One section: one recipient, or several with the same outcome, cause and
// facts (sections_of), named together in the headline; true when the first
// one's server answer was quoted (the others' are in the technical
// section). A failure: the outcome, its cause and why, the server's words, how to
// fix it and who can. A delay asks nothing of the sender, so it stays
// short: the outcome with its cause (the category's label), that nothing
// needs doing and until when it is retried, `what` only when a look of our
// own found more, and one line for what cannot wait; no steps, no one to
// blame, nothing to forward, and the server's words in the technical
// section.
bool Writer::section(const Section& shared) {
  const auto& r = input_.report->recipients[shared.members.front()];
  const auto& c = (*input_.classifications)[shared.members.front()];
  Values values = shared.values;
  values["recipient"] = address_list(shared.members, kAddressesNamed);
  const std::string& action = shared.action;
  const bool explained = c.category && action_rank(action) < 2;
  const bool delayed = explained && action == "delayed";
  std::string lead_key = "action." + action + ".lead";
  if (delayed)
    if (auto label = text(category_key(c.category->id, "label"), {}); !label.empty()) {
      values["cause"] = std::move(label);
      lead_key += "_cause";
    }
  html_ += "<section>\n";
  const Template* lead = first(lead_key);
  put_text(text_, lead, values);
  text_ += "\n\n";
  html_ += "<h2 style=\"font-size:1.15em\">";
  put_html(html_, lead, values);
  html_ += "</h2>\n";
  bool quoted = false;
  if (delayed) {
    paragraph(retry_key(values), values);
    // What a look of our own found (a certificate's dates, when we checked,
    // a likely typing error) is more than the label says.
    if (!fact_of(c, "checked_at").empty()) paragraph(category_key(c.category->id, "what"), values);
    paragraph("text.urgent", values);
  } else if (explained) {
    const auto& id = c.category->id;
    paragraph(category_key(id, "what"), values);
    paragraph(category_key(id, "why"), values);
    quoted = !r.diagnostic.empty();
    if (quoted) quote(r, values);
    how_to_fix(c, category_key(id, "fix"), values);
    forward(first(category_key(id, "forward")), values);
  }
  html_ += "</section>\n<hr>\n";
  return quoted;
}

// Until when a delayed message is retried, and by whom: we, or in a report
// from the internet the system that wrote it.
std::string Writer::retry_key(const Values& values) const {
  std::string key = values.count("retry_until") != 0 ? "action.delayed.retry" : "action.delayed.retry_unknown";
  if (input_.remote_report) key += "_remote";
  return key;
}

// The steps under a heading that says who can take them, or, for a
// category without steps, who can fix it.
void Writer::how_to_fix(const classifier::Classification& c, const std::string& steps_key, const Values& values) {
  // Who can fix a given-up delivery depends on what kept failing.
  const classifier::Category* who_of = c.category;
  if (const auto it = c.facts.find("last_error_category"); it != c.facts.end() && input_.classifier)
    if (const auto* last = input_.classifier->find_category(it->second)) who_of = last;
  const std::string who(classifier::to_string(who_of->who_can_fix));
  const bool likely = who_of->who_is_likely;
  if (const auto* steps = entry(steps_key); steps && !steps->empty()) {
    fix_steps(as_reported((likely ? "fix_likely." : "fix.") + who), *steps, values);
  } else {
    paragraph(as_reported((likely ? "who_likely." : "who.") + who), values);
  }
}

// A sentence the sender can pass on to the recipient's side, set apart.
void Writer::forward(const Template* sentence, const Values& values) {
  const std::string forward_text = sentence ? sentence->render(values) : std::string();
  if (forward_text.empty()) return;
  paragraph("text.forward", values);
  text_ += "    ";
  text_ += forward_text;
  text_ += "\n\n";
  // Our words to pass on: in a dashed frame, unlike the server's quote.
  html_ += "<blockquote style=\"margin:0.5em 0;padding:0.5em 1em;border:1px dashed #888\">";
  put_html(html_, sentence, values);
  html_ += "</blockquote>\n";
}

void Writer::technical(const dsn::RecipientReport& r, const classifier::Classification& c, bool quoted_above) {
  const Values none;
  const Template* separator = first("text.technical_separator");
  const auto row = [&](std::string_view label_key, std::string_view value, std::size_t max_bytes) {
    if (value.empty()) return;
    const auto cleaned = clean_remote_text(value, max_bytes);
    const Template* label = first(label_key);
    text_ += "  ";
    put_text(text_, label, none);
    put_text(text_, separator, none);
    text_ += cleaned;
    text_ += '\n';
    html_ += "<tr><th style=\"text-align:left;vertical-align:top\">";
    put_html(html_, label, none);
    html_ += "</th><td><code style=\"white-space:pre-wrap;overflow-wrap:anywhere\">";
    append_escaped_html(html_, cleaned);
    html_ += "</code></td></tr>\n";
  };
  const std::string recipient = clean_value(shown_recipient(r));
  text_ += recipient;
  text_ += '\n';
  html_ += "<table>\n<tr><th colspan=\"2\" style=\"text-align:left\">";
  append_escaped_html(html_, recipient);
  html_ += "</th></tr>\n";
  // The action in the locale's words where it is one of RFC 3464's five.
  std::string action = r.action;
  if (action_key(r.action) == r.action)
    if (std::string word = text("action." + r.action + ".technical", {}); !word.empty()) action = std::move(word);
  std::string status = r.status;
  if (!action.empty()) status += status.empty() ? action : " (" + action + ")";
  row("text.technical_status", status, kMaxValueBytes);
  // Quoted in full above: not again.
  if (!quoted_above) row("text.technical_answer", shown_diagnostic(r), kMaxQuotedBytes);
  std::string server = r.remote_mta;
  if (!r.remote_ip.empty() && server.find(r.remote_ip) == std::string::npos)
    server += server.empty() ? r.remote_ip : " [" + r.remote_ip + "]";
  row("text.technical_server", server, kMaxValueBytes);
  row("text.technical_reported_by", input_.report->reporting_mta, kMaxValueBytes);
  row("text.technical_arrival", local_date(input_.report->arrival_date), kMaxValueBytes);
  // A deadline is a date or nothing, here as in the sentences.
  if (action_key(r.action) == "delayed" && parse_rfc5322_date(fact_of(c, "retry_until")))
    row("text.technical_retry", local_date(fact_of(c, "retry_until")), kMaxValueBytes);
  // Our own look (diagnose/): when, in the locale's words, and what it saw.
  if (const auto look = fact_of(c, "diagnosis"); !look.empty()) {
    std::string checked = local_date(fact_of(c, "diagnosis_at"));
    if (!checked.empty()) put_text(checked, separator, none);
    row("text.technical_checked", checked.append(look), kMaxValueBytes);
  }
  text_ += "\n";
  html_ += "</table>\n";
}

// A report's date in the locale's words, or as written when it is no date
// we can read (the row still shows what the report said).
std::string Writer::local_date(std::string_view written) const {
  const auto* names = catalogues_.dates(locale_);
  if (written.empty() || !names) return std::string(written);
  const auto date = parse_rfc5322_date(written);
  return date ? format_date(*date, *names) : std::string(written);
}

// The recipients not explained one by one: how many, by outcome, and by
// cause (the category's label), most frequent cause first.
void Writer::summary(const std::vector<std::size_t>& rest) {
  const auto& recipients = input_.report->recipients;
  const auto& results = *input_.classifications;
  struct Outcome {
    std::size_t total = 0;
    std::vector<std::pair<const classifier::Category*, std::size_t>> causes;  // in order of first appearance
  };
  std::array<Outcome, 3> outcomes;  // by action_rank
  for (const auto i : rest) {
    auto& outcome = outcomes[static_cast<std::size_t>(action_rank(recipients[i].action))];
    ++outcome.total;
    const auto* category = results[i].category;
    if (!category) continue;
    const auto it = std::find_if(outcome.causes.begin(), outcome.causes.end(),
                                 [&](const auto& cause) { return cause.first == category; });
    if (it == outcome.causes.end()) outcome.causes.emplace_back(category, 1);
    else ++it->second;
  }
  static constexpr const char* kKeys[] = {"text.more_failed", "text.more_delayed", "text.more_delivered"};
  const auto separator = text("text.list_separator", {});
  for (std::size_t rank = 0; rank < outcomes.size(); ++rank) {
    auto& outcome = outcomes[rank];
    if (outcome.total == 0) continue;
    std::stable_sort(outcome.causes.begin(), outcome.causes.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    std::string causes;
    for (const auto& [category, count] : outcome.causes) {
      const auto label = text(category_key(category->id, "label"), {});
      if (label.empty()) continue;
      causes += (causes.empty() ? "" : separator) + text("text.more_cause", {{"cause", label}, {"number", number(count)}});
    }
    paragraph(kKeys[rank], {{"number", number(outcome.total)}, {"causes", causes}});
  }
}

// At the top of a notice about several recipients: how many the message
// did not reach, has not reached yet, and reached, each count with the
// locale's plural form, and under each the addresses by cause (identical
// causes together, at most kAddressesNamed addresses a cause, the rest
// counted). It says that the message reached someone only when the report
// lists them as delivered.
void Writer::overview(const std::vector<std::size_t>& order) {
  const auto& recipients = input_.report->recipients;
  const auto& results = *input_.classifications;
  struct Cause {
    int rank;
    const classifier::Category* category;
    std::vector<std::size_t> members;
  };
  std::vector<Cause> causes;  // in severity order of their first recipient
  std::array<std::size_t, 3> totals{};
  for (const auto i : order) {
    const int rank = action_rank(recipients[i].action);
    ++totals[static_cast<std::size_t>(rank)];
    const auto* category = rank < 2 ? results[i].category : nullptr;
    auto it = std::find_if(causes.begin(), causes.end(),
                           [&](const Cause& c) { return c.rank == rank && c.category == category; });
    if (it == causes.end()) it = causes.insert(causes.end(), Cause{rank, category, {}});
    it->members.push_back(i);
  }
  static constexpr const char* kHeadings[] = {"text.summary_failed", "text.summary_delayed", "text.summary_delivered"};
  for (int rank = 0; rank < 3; ++rank) {
    const std::size_t total = totals[static_cast<std::size_t>(rank)];
    if (total == 0) continue;
    paragraph(counted(kHeadings[rank], total), {{"count", number(total)}});
    html_ += "<ul>\n";
    for (const Cause& cause : causes)
      if (cause.rank == rank) overview_line(cause.category, cause.members, kAddressesNamed);
    html_ += "</ul>\n";
    text_ += "\n";
  }
}

// One line of the overview: the addresses (the first `shown` of them, the
// others counted) and their cause.
void Writer::overview_line(const classifier::Category* category, const std::vector<std::size_t>& members,
                           std::size_t shown) {
  const std::string addresses = address_list(members, shown);
  const std::string cause = category ? text(category_key(category->id, "label"), {}) : std::string();
  const Template* line = first(cause.empty() ? "text.summary_addresses" : "text.summary_item");
  const Values values{{"addresses", addresses}, {"cause", cause}};
  text_ += "  - ";
  put_text(text_, line, values);
  text_ += "\n";
  html_ += "<li>";
  put_html(html_, line, values);
  html_ += "</li>\n";
}

// The addresses of `members`: the first `shown` of them, the others counted
// ("a@example.org, b@example.org and 2 others").
std::string Writer::address_list(const std::vector<std::size_t>& members, std::size_t shown) const {
  const auto& recipients = input_.report->recipients;
  std::string addresses;
  for (std::size_t k = 0; k < members.size() && k < shown; ++k)
    addresses.append(k == 0 ? "" : ", ").append(clean_value(shown_recipient(recipients[members[k]])));
  if (members.size() > shown) {
    const std::size_t others = members.size() - shown;
    addresses.append(" ").append(text(counted("text.summary_others", others), {{"number", number(others)}}));
  }
  return addresses;
}

// Whether a sentence of the category's explanation names the recipient
// ("... says bob@example.org does not exist"): such a cause is explained
// for each recipient on its own, since a list would not fit the sentence.
bool Writer::names_one_recipient(const classifier::Category& category) const {
  for (const char* part : {"what", "why", "fix", "forward"})
    if (const auto* templates = entry(category_key(category.id, part)))
      for (const auto& t : *templates)
        if (std::find(t.placeholders().begin(), t.placeholders().end(), "recipient") != t.placeholders().end())
          return true;
  return false;
}

// The sections of the notice, in severity order: recipients share one when
// they have the same outcome and cause and every fact their sentences use
// is the same (the domain, the server, the block list...), so that the
// cause is explained once for all of them.
std::vector<Writer::Section> Writer::sections_of(const std::vector<std::size_t>& order) const {
  const auto& recipients = input_.report->recipients;
  const auto& results = *input_.classifications;
  std::vector<Section> sections;
  for (const auto i : order) {
    const auto* category = results[i].category;
    const std::string action(action_key(recipients[i].action));
    Values values = values_for(recipients[i], results[i]);
    values.erase("recipient");
    if (category && action_rank(action) < 2 && !names_one_recipient(*category)) {
      const auto same = std::find_if(sections.begin(), sections.end(), [&](const Section& s) {
        return s.category == category && s.action == action && s.values == values;
      });
      if (same != sections.end()) {
        same->members.push_back(i);
        continue;
      }
    } else {
      category = nullptr;  // never joined
    }
    sections.push_back({action, category, {i}, std::move(values)});
  }
  return sections;
}

// The key of the form an entry takes for `count` in this locale.
std::string Writer::counted(std::string_view key, std::size_t count) const {
  return catalogues_.counted_key(locale_, key, count);
}

// Indexes of the recipients, most severe first: failures, then delays, then
// successes; within each, by the category's severity; the report's order
// breaks ties.
std::vector<std::size_t> severity_order(const std::vector<dsn::RecipientReport>& recipients,
                                        const std::vector<classifier::Classification>& results) {
  std::vector<std::size_t> order(recipients.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const int ra = action_rank(recipients[a].action), rb = action_rank(recipients[b].action);
    if (ra != rb) return ra < rb;
    const int sa = results[a].category ? results[a].category->severity : -1;
    const int sb = results[b].category ? results[b].category->severity : -1;
    return sa > sb;
  });
  return order;
}

// The HTML document up to its body's content.
void Writer::open_html(std::string_view title) {
  // Room for a notice of one recipient or two: the texts then grow without
  // being copied again and again.
  text_.reserve(4096);
  html_.reserve(8192);
  html_ += "<!DOCTYPE html>\n<html lang=\"";
  append_escaped_html(html_, locale_);
  html_ += "\">\n<head>\n<meta charset=\"utf-8\">\n<title>";
  append_escaped_html(html_, title);
  html_ += "</title>\n</head>\n<body style=\"font-family:sans-serif;line-height:1.45\">\n";
}

Rendered Writer::run() {
  const auto& recipients = input_.report->recipients;
  const auto& results = *input_.classifications;
  auto order = severity_order(recipients, results);
  Rendered out;
  for (const auto i : order)
    if (results[i].category && std::find(out.categories.begin(), out.categories.end(), results[i].category->id) ==
                                   out.categories.end())
      out.categories.push_back(results[i].category->id);
  // The first ones in detail, the rest counted: the output stays bounded.
  const auto detailed = std::min(order.size(), input_.detailed_recipients);
  const std::vector<std::size_t> rest(order.begin() + static_cast<std::ptrdiff_t>(detailed), order.end());
  const std::vector<std::size_t> everyone = order;
  order.resize(detailed);

  Values frame;
  frame["subject"] = clean_value(input_.original_subject);
  frame["organization"] = clean_value(input_.organization);
  frame["support"] = clean_value(input_.support);
  frame["count"] = number(recipients.size());

  int best_rank = 2;
  for (const auto& r : recipients) best_rank = std::min(best_rank, action_rank(r.action));
  static constexpr const char* kSubjectKeys[] = {"subject.failed", "subject.delayed", "subject.delivered"};
  out.subject = text(kSubjectKeys[best_rank], frame);

  open_html(out.subject);
  paragraph("text.greeting", frame);
  // A report from the internet is the other system's claim, not our finding.
  if (input_.remote_report) paragraph("text.remote_notice", frame);
  if (input_.forged_sender) paragraph("text.backscatter", frame);
  if (recipients.size() > 1) overview(everyone);
  if (!rest.empty()) paragraph("text.intro_limited", frame);
  std::vector<bool> quoted(recipients.size(), false);  // by recipient: its answer is in its section
  for (const auto& shared : sections_of(order)) quoted[shared.members.front()] = section(shared);
  summary(rest);
  paragraph("text.closing", frame);
  paragraph("text.signature", frame);

  const auto heading = text("text.technical", frame);
  // Not "-- ": mail programs would hide what follows as a signature. As
  // wide as the heading looks in a fixed-width font: a CJK character takes
  // two columns.
  text_ += heading + "\n" + std::string(std::min<std::size_t>(display_width(heading), 60), '-') + "\n\n";
  html_ += "<h2 style=\"font-size:1em\">";
  put_html(html_, first("text.technical"), frame);
  html_ += "</h2>\n";
  for (const auto i : order) technical(recipients[i], results[i], quoted[i]);
  if (!rest.empty()) paragraph("text.technical_more", {{"number", number(rest.size())}});
  static constexpr const char* kAttachedKeys[] = {"text.attached_message", "text.attached_headers",
                                                  "text.attached_report"};
  paragraph(kAttachedKeys[static_cast<int>(input_.returned)], frame);
  html_ += "</body>\n</html>\n";

  while (text_.size() >= 2 && text_.compare(text_.size() - 2, 2, "\n\n") == 0) text_.pop_back();
  out.text = std::move(text_);
  out.html = std::move(html_);
  return out;
}

}  // namespace

Rendered render(const RenderInput& input, std::string_view locale, const CatalogueSet& catalogues) {
  return Writer(input, locale, catalogues).run();
}

}  // namespace clearbounce::templates
