// Where a diagnostic names the SMTP command an error answered ("in reply to
// RCPT TO") and the server that gave it ("host mx.example.net[192.0.2.1]"):
// each rule as the regex it was first written as, and as a scanner that
// finds what the regex's leftmost match holds without running it. Internal
// to dsn/.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dsn/ascii.hpp"
#include "dsn/literal_scan.hpp"

namespace clearbounce::dsn::detail {

// What MTAs write before the command an error answered ("in reply to
// RCPT TO", ">>> DATA", "[RCPT"). They start with different bytes, in any
// case: at one place of a text at most one of them can start.
inline constexpr std::string_view kCommandOpenings[] = {"in reply to", "after", "while sending", ">>>",
                                                        "did not like our", "smtp:", "["};
// The commands, in the order the regex prefers them where two start at the
// same place ("rcpt to" before "rcpt"); its "rcpt[ _]to" is written out twice.
inline constexpr std::string_view kCommandWords[] = {
    "end of data", "final data", "rcpt to", "rcpt_to",  "mail from", "mail_from",    "rcpt",               "mail",
    "data",        "helo",       "ehlo",    "starttls", "auth",      "message body", "initial connection", "connect"};
// What names a server: each match of the server regex starts with one of
// them ("\b" before "host"). They end differently: at one place at most one ends.
inline constexpr std::string_view kServerOpenings[] = {"host", "connect to", "conversation with", "connection with"};

// The command regex: an opening, blanks, then a command ending a word. Its
// group is the command as written.
inline std::string command_pattern() {
  std::string openings;
  for (const std::string_view o : kCommandOpenings) {
    if (!openings.empty()) openings.push_back('|');
    for (const char c : o) {
      if (c == '[') openings.push_back('\\');
      openings.push_back(c);
    }
  }
  return "(?i)(?:" + openings +
         R"()\s*(end of data|final data|rcpt[ _]to|mail[ _]from|rcpt|mail|data|helo|ehlo|starttls|auth|message body|initial connection|connect)\b)";
}

// The server regex: its groups are the host name and the address.
inline constexpr std::string_view kServerPattern =
    R"((?i)(?:\bhost|connect to|conversation with|connection with)\s+([A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9])\s*\[([0-9A-Fa-f.:]+)\])";

namespace mentions {

constexpr bool is_word_byte(char c) noexcept { return is_ascii_alnum(c) || c == '_'; }
constexpr bool is_host_byte(char c) noexcept { return is_ascii_alnum(c) || c == '.' || c == '-'; }
constexpr bool is_address_byte(char c) noexcept {
  return (c >= '0' && c <= '9') || (ascii_lower(c) >= 'a' && ascii_lower(c) <= 'f') || c == '.' || c == ':';
}

// The command that starts `rest` and ends a word, the first of
// kCommandWords that does (as written), or nothing.
inline std::optional<std::string_view> command_at(std::string_view rest) {
  for (const std::string_view word : kCommandWords)
    if (istarts_with(rest, word) && (rest.size() == word.size() || !is_word_byte(rest[word.size()])))
      return rest.substr(0, word.size());
  return std::nullopt;
}

// Where kCommandOpenings[i] occurs in `text` at or after `from`, any case, or npos.
inline std::size_t find_opening(std::string_view text, std::size_t i, std::size_t from) {
  static const auto searches = [] {
    std::array<std::optional<LiteralSearch>, std::size(kCommandOpenings)> each;
    for (std::size_t k = 0; k < each.size(); ++k)
      if (kCommandOpenings[k].size() > 1) each[k].emplace(kCommandOpenings[k]);
    return each;
  }();
  if (!searches[i]) return text.find(kCommandOpenings[i][0], from);  // '[': no case
  return searches[i]->find(text, from);
}

}  // namespace mentions

// The command group of the command regex's leftmost match, or nothing. The
// regex reads U+017F as 's' and U+212A as 'k': a text that holds either
// (LiteralScan::has_ascii_case_variant) must go to the regex instead.
// Each opening's first place that a command follows is looked for, and
// the leftmost of those is the regex's match: the openings start with
// different bytes, so no two start at one place. `openings` (bit i for
// kCommandOpenings[i]) may leave out those known not to occur. Linear:
// each opening's search reads the text once, and the blanks after one of
// its places end before the next.
inline std::optional<std::string_view> command_mention(std::string_view text, std::uint32_t openings = ~0u) {
  std::size_t best = std::string_view::npos;
  std::optional<std::string_view> command;
  for (std::size_t i = 0; i < std::size(kCommandOpenings); ++i) {
    if ((openings >> i & 1) == 0) continue;
    for (std::size_t at = mentions::find_opening(text, i, 0); at < best; at = mentions::find_opening(text, i, at + 1)) {
      std::size_t start = at + kCommandOpenings[i].size();
      while (start < text.size() && is_pattern_space(text[start])) ++start;  // \s*
      if (const auto found = mentions::command_at(text.substr(start))) {
        best = at;
        command = found;
        break;
      }
    }
  }
  return command;
}

// The host name and address of the server regex's leftmost match. Same
// caveat as command_mention(). Every match holds one '[', the address's,
// and a later '[' can only belong to a later match: the '[' are tried in
// order, each read outwards. Linear: the runs read from one '[' stop at
// the one before and the one after.
struct ServerMention {
  std::string_view host;
  std::string_view ip;
};

inline std::optional<ServerMention> server_mention(std::string_view text) {
  for (std::size_t open = text.find('['); open != std::string_view::npos; open = text.find('[', open + 1)) {
    std::size_t close = open + 1;
    while (close < text.size() && mentions::is_address_byte(text[close])) ++close;
    if (close == open + 1 || close == text.size() || text[close] != ']') continue;
    // Backwards: \s*, the name (its run of name bytes, which \s+ precedes), \s+, an opening.
    std::size_t name_end = open;
    while (name_end > 0 && is_pattern_space(text[name_end - 1])) --name_end;
    std::size_t name_start = name_end;
    while (name_start > 0 && mentions::is_host_byte(text[name_start - 1])) --name_start;
    if (name_end - name_start < 2 || !is_ascii_alnum(text[name_start]) || !is_ascii_alnum(text[name_end - 1])) continue;
    std::size_t opening_end = name_start;
    while (opening_end > 0 && is_pattern_space(text[opening_end - 1])) --opening_end;
    if (opening_end == name_start) continue;
    const std::string_view before = text.substr(0, opening_end);
    for (const std::string_view opening : kServerOpenings) {
      if (before.size() < opening.size() || !iequals(before.substr(before.size() - opening.size()), opening)) continue;
      const std::size_t opening_start = before.size() - opening.size();
      if (opening == kServerOpenings[0] && opening_start > 0 && mentions::is_word_byte(text[opening_start - 1])) break;  // \bhost
      return ServerMention{text.substr(name_start, name_end - name_start), text.substr(open + 1, close - open - 1)};
    }
  }
  return std::nullopt;
}

}  // namespace clearbounce::dsn::detail
