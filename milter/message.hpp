// The message as the milter protocol delivers it, turned back into the bytes
// the engine reads, and the engine's header edits turned into what the MTA
// expects. Pure functions, tested without libmilter.
#pragma once

#include <string>
#include <string_view>

namespace clearbounce::milter {

// Which path a MAIL FROM argument comes by. Only the null sender sends
// delivery reports: Postfix passes its own bounces (non_smtpd_milters) with
// an empty address, reports received over SMTP come as "<>".
enum class SenderPath { ordinary, local_bounce, remote_report };
SenderPath sender_path(std::string_view mail_from_argument);

// Appends one header field as "Name:value\r\n". With SMFIP_HDR_LEADSPC the
// value arrives exactly as written after the colon; without it the MTA has
// dropped the blank after the colon, and one space is put back. Folded
// values come with bare LF between their lines (the MTAs' own form) and get
// CRLF, the line end of the body over the milter protocol.
void append_header(std::string& message, std::string_view name, std::string_view value, bool leading_space);

// A header value from the engine ("Name: " + value, folded with CRLF) in the
// form smfi_chgheader/smfi_addheader take: folds as "\n" plus blank (the MTA
// adds the carriage return), and the blank after the colon included when
// SMFIP_HDR_LEADSPC is in force (the MTA then adds none).
std::string header_value_for_mta(std::string_view engine_value, bool leading_space);

// multipart/report with report-type delivery-status or
// global-delivery-status: the messages worth buffering.
bool is_delivery_report(std::string_view content_type_value);

// ASCII case-insensitive comparison of header names.
bool same_name(std::string_view a, std::string_view b);

}  // namespace clearbounce::milter
