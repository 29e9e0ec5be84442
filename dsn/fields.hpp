// Helpers shared by the delivery-status reader and the plain-text dialects.
// Internal to dsn/.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/ascii.hpp"
#include "dsn/report.hpp"

namespace clearbounce::dsn::detail {

// Reads RFC 3464 fields ("Name: value", folded lines joined) from `text` and
// adds what they say to `report`: per-message fields set reporting_mta and
// arrival_date, each Final-Recipient / Original-Recipient group becomes a
// RecipientReport. Tolerates groups that are not separated by blank lines and
// fields in unusual order. Returns the number of recipients added.
std::size_t read_delivery_status(std::string_view text, BounceReport& report, std::size_t max_recipients);

// "rfc822; <Foo@Example.ORG>" -> "Foo@Example.ORG"; empty when no address.
std::string bare_address(std::string_view value);

// Fills reply_code, status, smtp_command, remote_mta and remote_ip from the
// diagnostic text where the structured fields left them empty.
void complete_from_diagnostic(RecipientReport& r);

// Fills in what `r` lacks of the reply code, the SMTP command the error
// answered and the server named with its address, from `text` (its first
// kMaxExaminedDiagnosticBytes): each is looked for only when missing.
// complete_from_diagnostic does this with the diagnostic, and more.
void fill_missing_from(RecipientReport& r, std::string_view text);

// The first e-mail address in `text` (bare), or empty.
std::string first_address(std::string_view text);

// The address whose '@' is at `text[at]`, or empty when that '@' is not part
// of one. Linear in the address's length, not in the text's.
std::string_view address_at(std::string_view text, std::size_t at);

// The same, read in free text: an address ends at spaces and punctuation
// beyond ASCII too ("收件人：a@b", a full-width colon; U+3000 indents).
// Fields keep address_at's reading, in which such a character is part of
// the address (and makes it one no notice suggests a correction for).
std::string_view address_in_text_at(std::string_view text, std::size_t at);


}  // namespace clearbounce::dsn::detail
