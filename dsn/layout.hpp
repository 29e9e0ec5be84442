// Where the parts of a report are. One walk over a parsed message finds
// them, and the analysis, the engine, the rewriter and the marker all read
// its result, so that they cannot disagree about which part is the report,
// which is the text a person reads and which is the returned message.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/mime.hpp"

namespace clearbounce::dsn {

// The media types a report's readers tell apart, named once: layout_of()
// sorts parts by them, and the reading of raw text that the parser could
// not split into parts (a boundary that never occurs) looks for them.
namespace media_types {
inline constexpr std::string_view report = "multipart/report";
inline constexpr std::array<std::string_view, 2> delivery_status = {"message/delivery-status",
                                                                    "message/global-delivery-status"};
inline constexpr std::string_view feedback = "message/feedback-report";
// The returned message whole (the parser reads its header section and body
// as children), or only its header section (layout_of() parses it).
inline constexpr std::array<std::string_view, 2> returned_message = {"message/rfc822", "message/global"};
inline constexpr std::array<std::string_view, 2> returned_headers = {"text/rfc822-headers", "message/global-headers"};
}  // namespace media_types

// How the human-readable text is read from ReportLayout::human.
enum class HumanForm {
  none,           // the message has no text a person would read
  plain,          // text/plain (or a part without a media type): its decoded body
  html,           // text/html, when no plain part exists: its decoded body without markup
  unparsed_body,  // a multipart whose boundary never occurs: its raw body is all there is
};

// The parts of a message that matter to a report, found once.
//
// Lifetime: the layout does not own the message. Its pointers point into
// the MimePart tree it was made from (and its views into that tree's
// bytes), so it is valid only while that tree and the message bytes live
// and stay where they are: make it again after parsing again. The one
// thing it owns is the parsed returned-headers part (returned_headers()),
// reached anew at each call, so the layout itself may be moved or copied.
struct ReportLayout {
  const MimePart* root = nullptr;  // the part the layout was made from
  // The first multipart/report reached through multiparts only, or null:
  // a report inside an attached message belongs to that message.
  const MimePart* report = nullptr;
  // The multiparts enclosing `report`, outermost first (the rewriter needs
  // their boundaries); empty when the report is the root.
  std::vector<const MimePart*> report_ancestors;
  // The text a person reads first: the first text/plain part outside any
  // attached message, else the first text/html; see human_form.
  const MimePart* human = nullptr;
  HumanForm human_form = HumanForm::none;
  // Every delivery-status part outside the returned message, in order.
  std::vector<const MimePart*> delivery_status;
  const MimePart* feedback = nullptr;  // the first message/feedback-report
  // The first part that returns the original message or its headers
  // (media_types::returned_message or returned_headers), outside any
  // attached message; null when none.
  const MimePart* returned = nullptr;
  // True when the top header section has an X-Clearbounce field (also one
  // the parser left out): a marker to verify, or a reason not to rewrite.
  bool has_marker_field = false;

  // The returned message's header section as a part: the encapsulated
  // message of message/rfc822 and message/global, or text/rfc822-headers and
  // message/global-headers parsed. Null when there is none, or when it
  // cannot be read (an encoded message/rfc822, headers without any field).
  const MimePart* returned_headers() const;

  // text/rfc822-headers and message/global-headers parsed; views point into
  // the message bytes. Held in the layout so that it lives as long.
  std::optional<MimeMessage> parsed_returned_headers;
};

// The layout of the message whose (parsed) top part is `root`.
ReportLayout layout_of(const MimePart& root);

// The human-readable text of `layout`, decoded to UTF-8 (text/html without
// its markup); empty when there is none.
std::string human_text(const ReportLayout& layout);

}  // namespace clearbounce::dsn
