// Reading bounces that MTAs write as free text, and the human-readable part
// of RFC 3464 reports (found by layout_of, dsn/layout.hpp). Internal to dsn/.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/literal_automaton.hpp"
#include "dsn/mime.hpp"
#include "dsn/report.hpp"

namespace clearbounce::dsn::detail {

// Cuts `text` where the returned original message starts.
std::string_view before_original_message(std::string_view text);

// What one pass over a text tells the readers that search it for wording:
// whether each wording regex they run over it can match (its literals
// occur). A reader whose wording cannot occur runs no regex. A default
// TextWording knows nothing: every wording may occur.
struct TextWording {
  bool may_have_banner = true;    // without_banners
  bool may_ask_challenge = true;  // is_challenge_request
  bool may_say_delayed = true;    // says_delayed
  // Which words of the dialect signatures occur, from the same pass
  // (detect_dialect reads them instead of the text); unknown when empty.
  std::optional<LiteralAutomaton::Found> words;
};

// One pass over `text` for the literals of every reader's wording.
TextWording scan_wording(std::string_view text);

// The name of the MTA family whose wording `text`, the Subject or
// X-Failed-Recipients carry, or empty when none is recognised.
// `text_wording`, `subject_wording`: scan_wording() of the text and the
// Subject, when the caller has them.
std::string detect_dialect(std::string_view text, std::string_view subject, std::string_view failed_recipients,
                           const TextWording& text_wording = {}, const TextWording& subject_wording = {});

// What detect_dialect() gives, found by the signature set alone, which
// reads every text whole: the reference its gated search is held to.
std::string detect_dialect_by_set(std::string_view text, std::string_view subject, std::string_view failed_recipients);

// True when `text` carries the wording of a known MTA family.
bool is_dialect_wording(std::string_view text);

// True when the message's own headers say it is a delivery failure notice
// (a mailer-daemon sender or a failure subject); `from` and `subject` are
// its decoded From and Subject.
bool looks_like_bounce_headers(std::string_view from, std::string_view subject);

// True when the decoded From names a mail system (mailer-daemon, postmaster...).
bool from_mail_system(std::string_view from);

// True when `text` words a delivery failure with a status or reply code
// ("... could not be delivered ... 550 5.1.1"): what a bounce says and a
// vacation reply does not.
bool has_failure_wording(std::string_view text);

// True when the message asks the sender to confirm itself before delivery
// (challenge-response, whitelist requests): the message is held, not refused.
// `subject_wording` and `wording`: scan_wording() of the Subject and the text.
bool is_challenge_request(std::string_view subject, const TextWording& subject_wording, std::string_view text,
                          const TextWording& wording);

// True when a free-text bounce says it keeps trying (a delay warning).
bool says_delayed(std::string_view text, const TextWording& wording = {});

// `text` without the paragraphs that gateways append (antivirus and
// anti-spam banners): they describe the gateway, never the failure. A
// paragraph that reports a finding (a virus found, a message rejected) is kept.
std::string without_banners(std::string_view text, const TextWording& wording = {});

// True when a line of a returned message's `headers` starts with "List-Id:"
// or "List-Post:", in any case (the regex (?im)^list-(?:id|post):): a
// mailing list sent it.
bool names_a_list(std::string_view headers);

struct PlainRecipient {
  std::string address;
  std::string text;  // the lines that speak of this recipient
};

// Finds the recipients a free-text bounce names, in order, each with the
// text that explains its failure (bounded: a few KB per recipient). Linear
// in the size of `text`. `exclude` holds addresses that are known
// not to be failed recipients (the bounce's own sender and addressee).
std::vector<PlainRecipient> find_plain_recipients(std::string_view text, const std::vector<std::string>& exclude,
                                                  const std::vector<std::string>& known, std::size_t max_recipients);

}  // namespace clearbounce::dsn::detail
