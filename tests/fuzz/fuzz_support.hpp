// What the fuzz targets share: an invariant check that libFuzzer reports as
// a crash, and the frames that turn fuzz input into a delivery report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace clearbounce::fuzz {

// A broken invariant is a bug even when no sanitizer notices it.
inline void require(bool condition) {
  if (!condition) std::abort();
}

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The message a fuzz input stands for. Its first byte chooses a frame (its
// value modulo 4, so that every byte works; the seeds use the digits) and
// the rest is the fuzzed text, which the frame puts where hostile text
// arrives. The fuzzer then spends its time in the readers of that text
// instead of first having to find a header block that makes a bounce.
//   '0'  the text is the whole message
//   '1'  the text is the body of a free-text bounce from MAILER-DAEMON
//   '2'  the text is the human-readable part of a multipart/report whose
//        delivery-status part names nobody (recipients come from the text)
//   '3'  the text is the returned headers (text/rfc822-headers) of a
//        one-recipient report: Subject, Content-Language, Accept-Language
enum class Frame { whole_message, plain_bounce, report_text, returned_headers };

inline Frame frame_of(std::uint8_t selector) { return static_cast<Frame>(selector % 4); }

inline std::string framed_message(Frame frame, std::string_view text) {
  constexpr std::string_view report_headers =
      "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
      "To: sender@example.org\n"
      "Subject: Undelivered Mail Returned to Sender\n"
      "MIME-Version: 1.0\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"fuzz-7Qx\"\n"
      "\n";
  constexpr std::string_view status_part =
      "--fuzz-7Qx\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mx.example.net\n"
      "\n";
  constexpr std::string_view one_recipient =
      "Final-Recipient: rfc822; user@example.com\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "Diagnostic-Code: smtp; 550 5.1.1 user unknown\n"
      "\n";
  std::string message;
  switch (frame) {
    case Frame::whole_message:
      return std::string(text);
    case Frame::plain_bounce:
      message = "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.org\nSubject: failure notice\n\n";
      message += text;
      return message;
    case Frame::report_text:
      message = std::string(report_headers) + "--fuzz-7Qx\nContent-Type: text/plain; charset=utf-8\n\n";
      message += text;
      message += "\n";
      message += status_part;
      message += "--fuzz-7Qx--\n";
      return message;
    case Frame::returned_headers:
      message = std::string(report_headers) + "--fuzz-7Qx\nContent-Type: text/plain\n\nDelivery failed.\n";
      message += status_part;
      message += one_recipient;
      message += "--fuzz-7Qx\nContent-Type: text/rfc822-headers\n\n";
      message += text;
      message += "\n--fuzz-7Qx--\n";
      return message;
  }
  return std::string(text);
}

}  // namespace clearbounce::fuzz
