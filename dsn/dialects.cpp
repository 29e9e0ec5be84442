// Free-text bounce dialects: how MTAs that do not write RFC 3464 reports (or
// write them next to a text part) say which recipient failed and why.
//
// One generic reader serves every dialect: the dialect table below only
// names each MTA family by the wording that identifies it. Recipients are
// the addresses the text names (other than the bounce's own sender and
// addressee); each recipient's explanation is the text from its first
// mention to the next recipient's.
#include <re2/re2.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "dsn/fields.hpp"
#include "dsn/plain.hpp"

namespace clearbounce::dsn::detail {
namespace {

struct Dialect {
  const char* name;
  const char* signature;  // RE2, case-insensitive, searched in the human text and Subject
};

// Wording that identifies each MTA family. Order matters only where two
// families share a phrase: the first match names the bounce.
constexpr Dialect kDialects[] = {
    {"postfix", R"(this is the (postfix program|mail system) at host|postfix smtp server: errors from)"},
    {"qmail", R"(this is the qmail-send program|i'm afraid i wasn't able to deliver your message)"},
    {"dragonfly", R"(this is the dragonfly mail agent)"},
    {"opensmtpd", R"(this is the mailer-daemon, please do not reply|an error has occurred while attempting to deliver|a message is delayed for more than)"},
    {"exim", R"(this message was created automatically by (mail delivery software|the smtp relay)|a message that you (have )?sent (could not be delivered|has not yet been delivered|contained one or more recipient addresses))"},
    {"sendmail", R"(the following addresses had (permanent fatal|permanent delivery|delivery) (errors|problems)|-+ ?transcript of session follows|the original message was received at)"},
    {"gmail", R"(delivery to the following recipients? (failed|has been delayed)|technical details of (permanent|temporary) failure|\*\* (message|address) not (delivered|found) \*\*)"},
    {"googlegroups", R"(googlegroups|the group you tried to contact)"},
    {"yahoo", R"(sorry, we were unable to deliver your message to the following address)"},
    {"exchange", R"(did not reach the following recipient|delivery has failed to these recipients|your message (couldn't|could not|wasn't|was not) be(en)? delivered|diagnostic information for administrators)"},
    {"domino", R"(was not delivered to:|-+ ?failure reasons ?-+)"},
    {"amazonses", R"re(an error occurred while trying to deliver the mail to the following recipients|"notificationtype"\s*:\s*"(bounce|delivery)"|the following message to .* was undeliverable)re"},
    {"messagingserver", R"(this report relates to a message you sent with the following header fields)"},
    {"mailru", R"(это письмо создано автоматически)"},
    {"x2", R"(unable to deliver message to the following address\(es\))"},
    {"x4", R"(your mail message to the following address\(es\) could not be delivered)"},
    {"x6", R"(we had trouble delivering your message|returned permanent errors)"},
    {"imailserver", R"(body of message generated response|delivery failed \d+ attempts|user mailbox exceeds allowed size|undeliverable to )"},
    {"kddi", R"(could not be delivered to:)"},
    {"mailfoundry", R"(unable to deliver message to:|delivery failed for the following reason)"},
    {"verizon", R"(message could not be delivered to mobile)"},
    {"mailinglist", R"(you are not a member of this (mailing )?list|duplicated message-id)"},
    {"ezweb", R"(each of the following recipients was rejected by a remote mail server|送信できませんでした|the user\(s\) account is disabled)"},
    {"mfilter", R"(m-filter)"},
};

struct CompiledDialect {
  const char* name;
  std::unique_ptr<RE2> signature;
};

const std::vector<CompiledDialect>& dialects() {
  static const std::vector<CompiledDialect> compiled = [] {
    RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);
    std::vector<CompiledDialect> out;
    for (const auto& d : kDialects) out.push_back({d.name, std::make_unique<RE2>(d.signature, options)});
    return out;
  }();
  return compiled;
}

// Lines that start the returned message in free-text bounces.
const RE2& original_message_marker() {
  static const RE2 re(
      R"((?im)^[ \t]*(?:-{2,}|={2,}|\*{2,})?[ \t]*(?:original message|below this line is a copy|this is a copy of the message|the header of the original message|returned message|original mail as follows|unsent message follows|message headers follow|headers of the original message|original message follows|a copy of the original message|the original message headers|included is a copy)|(?im)^(?:original message follows|message headers follow|original mail as follows)|(?im)^content-type: message/rfc822)");
  return re;
}

const RE2& bounce_from() {
  static const RE2 re(R"((?i)mailer-daemon|mailer_daemon|postmaster|post_master|mail delivery|mail administrator|ndr administrator|mail deliver system|MAILER-DAEMON)");
  return re;
}

const RE2& bounce_subject() {
  static const RE2 re(
      R"((?i)undeliver|delivery (status|failure|failed|notification|problem)|returned mail|failure notice|failed delivery|failure delivery|mail delivery failed|non-?deliver|delivery has failed|could not be delivered|error sending your mail|not delivered|mail system error|delayed mail|returned to sender)");
  return re;
}

bool is_header_like_line(std::string_view line) {
  static const char* const kNames[] = {"from:", "to:", "subject:", "sent:", "date:", "message-id:", "reply-to:",
                                       "cc:", "return-path:", "received:", "in-reply-to:", "references:"};
  const auto t = trim(line);
  for (const char* n : kNames) {
    const std::string_view name(n);
    if (t.size() >= name.size() && iequals(t.substr(0, name.size()), name)) return true;
  }
  return false;
}

// An address in `line` that follows a sender marker ("MAIL FROM:<a>", "F=<a>").
bool is_sender_mention(std::string_view line, std::size_t at) {
  const auto before = to_lower(line.substr(at > 24 ? at - 24 : 0, at > 24 ? 24 : at));
  return before.find("mail from") != std::string::npos || before.find("from:<") != std::string::npos ||
         before.find("f=[") != std::string::npos || before.find("f=<") != std::string::npos ||
         before.find("envelope-from") != std::string::npos;
}

bool substantive(std::string_view text, std::string_view address) {
  std::size_t letters = 0;
  std::string_view rest = text;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    const auto c = static_cast<unsigned char>(rest[i]);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) ++letters;
  }
  std::size_t address_letters = 0;
  for (char c : address)
    if (std::isalpha(static_cast<unsigned char>(c))) ++address_letters;
  return letters > address_letters + 8;
}

std::string lower_address(std::string_view a) { return to_lower(a); }

// First lines with which MTAs open a bounce; seen again inside a text,
// they start a second copy (bounces written in two languages).
bool starts_a_bounce(std::string_view line) {
  static const RE2 opening(
      R"((?i)^\s*(this message was created automatically by|this is the (mail system|postfix program|qmail-send program|dragonfly mail agent)|hi\. this is the|this is an automatically generated delivery status notification))");
  return RE2::PartialMatch(line, opening);
}

bool is_dialect_wording(std::string_view text) {
  for (const auto& d : dialects())
    if (RE2::PartialMatch(text, *d.signature)) return true;
  return false;
}

bool is_transcript_line(std::string_view line) {
  const auto t = trim(line);
  return t.size() > 4 && (t.substr(0, 4) == ">>> " || t.substr(0, 4) == "<<< ");
}

// Where the address whose '@' is at `at` starts: after the nearest
// delimiter (space, '<', '"', '(', '[', ':' or tab), not before `floor`.
std::size_t address_start(std::string_view line, std::size_t at, std::size_t floor) {
  std::size_t begin = at;
  while (begin > floor && std::string_view(" <\"([:\t").find(line[begin - 1]) == std::string_view::npos) --begin;
  return begin;
}

// "----- Transcript of session follows -----", "=========": a new section,
// shared by all recipients, starts.
bool is_section_banner(std::string_view line) {
  const auto t = trim(line);
  return t.size() >= 3 && (t.substr(0, 3) == "---" || t.substr(0, 3) == "===" || t.substr(0, 3) == "***");
}

// Only list punctuation before the address on its line.
// A label that introduces a recipient ("Recipient address:", "RCPT TO:")
// counts as list punctuation too.
bool starts_line(std::string_view line, std::size_t begin) {
  static const RE2 label(R"((?i)^\s*[a-z][a-z _-]{0,30}(recipient|rcpt|address|addressee)[a-z _-]{0,10}:[\s<"]*$)");
  bool only_punctuation = true;
  for (std::size_t i = 0; i < begin && only_punctuation; ++i) {
    const char c = line[i];
    only_punctuation = c == ' ' || c == '\t' || c == '<' || c == '"' || c == '>' || c == '\'' || c == '*' || c == '-';
  }
  return only_punctuation || RE2::FullMatch(line.substr(0, begin), label);
}

// "please contact <support@...>", "send mail to <postmaster@...>".
bool is_contact_mention(std::string_view line) {
  static const RE2 re(R"((?i)contact|send mail to|assistance|questions|help at|reply to|write to)");
  return RE2::PartialMatch(line, re);
}

}  // namespace

std::string_view before_original_message(std::string_view text) {
  const re2::StringPiece input(text.data(), text.size());
  re2::StringPiece marker;
  if (original_message_marker().Match(input, 0, input.size(), RE2::UNANCHORED, &marker, 1)) {
    return text.substr(0, static_cast<std::size_t>(marker.data() - text.data()));
  }
  return text;
}

std::string human_text(const MimePart& root) {
  const MimePart* html = nullptr;
  // Depth-first, skipping attached messages: their text is the original mail.
  std::vector<const MimePart*> stack{&root};
  while (!stack.empty()) {
    const MimePart* p = stack.back();
    stack.pop_back();
    const auto& type = p->media_type();
    if (type.rfind("message/", 0) == 0 || type == "text/rfc822-headers") continue;
    if (p->is_multipart()) {
      for (auto it = p->children.rbegin(); it != p->children.rend(); ++it) stack.push_back(&*it);
      continue;
    }
    if (type == "text/plain" || type.empty()) return p->decoded_body();
    if (type == "text/html" && !html) html = p;
  }
  if (!html) {
    // A multipart whose boundary never occurs: its body is all there is.
    if (root.is_multipart() && root.children.empty()) return std::string(root.body);
    return {};
  }
  // Crude but safe: drop the markup, keep the words.
  std::string body = html->decoded_body();
  std::string out;
  out.reserve(body.size());
  bool in_tag = false;
  for (char c : body) {
    if (c == '<') {
      in_tag = true;
      continue;
    }
    if (c == '>') {
      in_tag = false;
      out.push_back(' ');
      continue;
    }
    if (!in_tag) out.push_back(c);
  }
  return out;
}

std::string detect_dialect(const MimePart& root, std::string_view text) {
  const std::string subject = root.header_text("Subject");
  const std::string failed = root.header_text("X-Failed-Recipients");
  for (const auto& d : dialects()) {
    if (RE2::PartialMatch(text, *d.signature) || RE2::PartialMatch(subject, *d.signature) ||
        (!failed.empty() && RE2::PartialMatch(failed, *d.signature)))
      return d.name;
  }
  return {};
}

bool looks_like_bounce_headers(const MimePart& root) {
  return RE2::PartialMatch(root.header_text("From"), bounce_from()) ||
         RE2::PartialMatch(root.header_text("Subject"), bounce_subject());
}

std::vector<PlainRecipient> find_plain_recipients(std::string_view text, const std::vector<std::string>& exclude,
                                                  const std::vector<std::string>& known, std::size_t max_recipients) {
  std::vector<std::string_view> lines;
  for (std::size_t pos = 0; pos <= text.size();) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = end + 1;
  }

  std::unordered_set<std::string> excluded;
  for (const auto& e : exclude) excluded.insert(lower_address(e));
  std::unordered_set<std::string> wanted;
  for (const auto& k : known) wanted.insert(lower_address(k));

  struct Mention {
    std::string address;
    std::size_t line;
  };
  // Bounces list failed recipients at the start of a line ("<a@b>:", "  a@b",
  // ">>> a@b"); addresses inside sentences are often contacts or senders.
  // Only when no line starts with an address are sentence mentions used.
  // Every line that names an address, by address: transcripts name each
  // recipient again further down.
  std::unordered_map<std::string, std::vector<std::size_t>> mentions;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view rest = lines[i];
    for (auto at = rest.find('@'); at != std::string_view::npos; at = rest.find('@', at + 1)) {
      const std::size_t begin = address_start(rest, at, 0);
      auto address = first_address(rest.substr(begin));
      if (address.empty()) continue;
      auto& where = mentions[lower_address(address)];
      if (where.empty() || where.back() != i) where.push_back(i);
    }
  }
  const auto collect = [&](bool line_start_only) {
    std::vector<Mention> firsts;
    std::unordered_set<std::string> seen;
    for (std::size_t i = 0; i < lines.size() && firsts.size() < max_recipients; ++i) {
      const auto line = lines[i];
      if (line.find('@') == std::string_view::npos) continue;
      if (wanted.empty() && is_header_like_line(line)) continue;
      std::size_t offset = 0;
      while (offset < line.size()) {
        const auto at = line.find('@', offset);
        if (at == std::string_view::npos) break;
        const std::size_t begin = address_start(line, at, offset);
        const auto address = first_address(line.substr(begin));
        const std::size_t next = line.find_first_of(" >\")]", at);
        offset = next == std::string_view::npos ? line.size() : next;
        if (address.empty()) continue;
        const auto key = lower_address(address);
        if (seen.count(key)) continue;
        if (!wanted.empty()) {
          if (!wanted.count(key)) continue;
        } else {
          if (excluded.count(key)) continue;
          if (is_sender_mention(line, begin)) continue;
          if (line_start_only && !starts_line(line, begin)) continue;
          if (!line_start_only && is_contact_mention(line)) continue;
        }
        seen.insert(key);
        firsts.push_back({address, i});
      }
    }
    return firsts;
  };
  std::vector<Mention> firsts = collect(true);
  if (firsts.empty() && wanted.empty()) firsts = collect(false);
  if (firsts.empty() && wanted.empty() && !excluded.empty()) {
    // Bounces of mail one sent to oneself name the sender as recipient.
    excluded.clear();
    firsts = collect(true);
  }

  // For recipients whose own lines say nothing: the text after the list, or
  // else the paragraph before it. Worked out once, shared by all.
  struct SharedExplanation {
    std::string text;
    bool before_list = false;
  };
  std::optional<SharedExplanation> shared_explanation;
  const auto shared = [&]() -> const SharedExplanation& {
    if (shared_explanation) return *shared_explanation;
    SharedExplanation found;
    for (std::size_t i = firsts.back().line + 1; i < lines.size(); ++i) {
      found.text.append(lines[i]);
      found.text.push_back('\n');
    }
    if (substantive(found.text, "")) return shared_explanation.emplace(std::move(found));
    found.text.clear();
    found.before_list = true;
    std::size_t i = firsts.front().line;
    while (i > 0 && trim(lines[i - 1]).empty()) --i;
    std::size_t paragraph = i;
    while (paragraph > 0 && !trim(lines[paragraph - 1]).empty()) --paragraph;
    for (std::size_t k = paragraph; k < i; ++k) {
      found.text.append(lines[k]);
      found.text.push_back('\n');
    }
    // The bounce's own opening words explain nothing.
    if (is_dialect_wording(found.text)) found.text.clear();
    return shared_explanation.emplace(std::move(found));
  };

  // Lines that list a recipient at their start, by recipient: the list
  // repeated further down (a second language) names them there again.
  std::vector<std::size_t> listed_at(lines.size(), firsts.size());
  for (std::size_t r = 0; r < firsts.size(); ++r) {
    const auto key = lower_address(firsts[r].address);
    for (const std::size_t i : mentions[key]) {
      const auto position = to_lower(lines[i]).find(key);
      if (position != std::string::npos && starts_line(lines[i], position)) listed_at[i] = r;
    }
  }

  std::vector<PlainRecipient> out;
  for (std::size_t r = 0; r < firsts.size(); ++r) {
    const std::size_t first = firsts[r].line;
    std::size_t end = r + 1 < firsts.size() ? firsts[r + 1].line : lines.size();
    // Some bounces repeat themselves in a second language: a line that
    // starts a bounce again, or lists another recipient again, ends this
    // recipient's text.
    for (std::size_t i = first + 1; i < end; ++i) {
      const bool other_listed = listed_at[i] != firsts.size() && listed_at[i] != r;
      if (starts_a_bounce(lines[i]) || is_section_banner(lines[i]) || other_listed) {
        end = i;
        break;
      }
    }
    if (end == first && r + 1 < firsts.size()) end = first + 1;  // two recipients on one line
    PlainRecipient pr;
    pr.address = firsts[r].address;
    const auto key = lower_address(pr.address);
    // A transcript exchange (">>> MAIL From:", "<<< 550 ...") right above
    // the line that names the recipient is what the server answered.
    std::size_t start = first;
    const std::size_t previous = r > 0 ? firsts[r - 1].line + 1 : 0;
    while (start > previous && is_transcript_line(lines[start - 1])) --start;
    for (std::size_t i = start; i < std::max(end, first + 1) && i < lines.size(); ++i) {
      pr.text.append(lines[i]);
      pr.text.push_back('\n');
    }
    // Lists of addresses followed by one explanation each further down
    // (transcripts): gather the later lines that name this address.
    if (!substantive(pr.text, pr.address)) {
      for (const std::size_t i : mentions[key]) {
        if (i < end) continue;
        pr.text.append(lines[i]);
        pr.text.push_back('\n');
      }
    }
    // Still nothing: the explanation is shared, after or before the list.
    if (!substantive(pr.text, pr.address)) {
      const auto& explanation = shared();
      pr.text = explanation.before_list ? explanation.text + pr.text : pr.text + explanation.text;
    }
    out.push_back(std::move(pr));
  }
  return out;
}

}  // namespace clearbounce::dsn::detail
