// Delivery reports as our own Postfix writes them, for the tests and the
// benchmarks that feed the engine one: a text part, the delivery-status part
// with one block per recipient, the returned headers. One builder, so that
// a test says only what its case is about.
#pragma once

#include <string>
#include <vector>

namespace clearbounce::testing {

struct ReportedRecipient {
  std::string recipient{};           // "carol@example.org"
  std::string diagnostic{};          // the Diagnostic-Code text, folded lines included
  std::string status = "5.0.0";
  std::string action = "failed";
  std::string diagnostic_type = "X-Postfix";  // Postfix's own words; "smtp" for a remote server's
  std::string remote_mta{};          // a Remote-MTA line when not empty
  std::string more_fields{};         // further lines of the block, each ending in CRLF
};

// `returned_subject`: the Subject of the returned headers; empty: none.
inline std::string postfix_report(const std::vector<ReportedRecipient>& recipients,
                                  const std::string& subject = "Undelivered Mail Returned to Sender",
                                  const std::string& returned_subject = "Minutes") {
  std::string m =
      "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n"
      "Subject: " + subject + "\r\n"
      "To: alice@example.com\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
      "\r\n"
      "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail system at host mail.example.com.\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.com\r\n";
  for (const auto& r : recipients) {
    m += "\r\nFinal-Recipient: rfc822; " + r.recipient + "\r\nAction: " + r.action + "\r\nStatus: " + r.status + "\r\n";
    if (!r.remote_mta.empty()) m += "Remote-MTA: dns; " + r.remote_mta + "\r\n";
    m += "Diagnostic-Code: " + r.diagnostic_type + "; " + r.diagnostic + "\r\n";
    m += r.more_fields;
  }
  m += "\r\n--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.com\r\n";
  if (!returned_subject.empty()) m += "Subject: " + returned_subject + "\r\n";
  m += "\r\n--B--\r\n";
  return m;
}

}  // namespace clearbounce::testing
