// Reading bounces that MTAs write as free text, and the human-readable part
// of RFC 3464 reports (found by layout_of, dsn/layout.hpp). Internal to dsn/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/mime.hpp"
#include "dsn/report.hpp"

namespace clearbounce::dsn::detail {

// Cuts `text` where the returned original message starts.
std::string_view before_original_message(std::string_view text);

// The name of the MTA family whose wording `text` (or the headers) carry,
// or empty when none is recognised.
std::string detect_dialect(const MimePart& root, std::string_view text);

// True when `text` carries the wording of a known MTA family.
bool is_dialect_wording(std::string_view text);

// True when the message's own headers say it is a delivery failure notice
// (a mailer-daemon sender or a failure subject).
bool looks_like_bounce_headers(const MimePart& root);

// True when the message's From is a mail system (mailer-daemon, postmaster...).
bool from_mail_system(const MimePart& root);

// True when `text` words a delivery failure with a status or reply code
// ("... could not be delivered ... 550 5.1.1"): what a bounce says and a
// vacation reply does not.
bool has_failure_wording(std::string_view text);

// True when the message asks the sender to confirm itself before delivery
// (challenge-response, whitelist requests): the message is held, not refused.
bool is_challenge_request(std::string_view subject, std::string_view text);

// `text` without the paragraphs that gateways append (antivirus and
// anti-spam banners): they describe the gateway, never the failure. A
// paragraph that reports a finding (a virus found, a message rejected) is kept.
std::string without_banners(std::string_view text);

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
