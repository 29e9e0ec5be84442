// dsn::layout_of: which part of a parsed message is the report, the text a
// person reads, the delivery-status parts and the returned message.
#include <gtest/gtest.h>

#include <string>

#include "dsn/layout.hpp"
#include "dsn/mime.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::dsn::HumanForm;
using clearbounce::dsn::layout_of;
using clearbounce::dsn::MimeMessage;
using clearbounce::dsn::parse_mime;

// A delivery report with `returned_part` (headers and body of the third
// part) as the returned message, inside boundary "R".
std::string report_part(std::string_view returned_part) {
  std::string m =
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n"
      "\n"
      "--R\n"
      "Content-Type: text/plain\n"
      "\n"
      "The mail system could not deliver your message.\n"
      "--R\n"
      "Content-Type: message/delivery-status\n"
      "\n"
      "Reporting-MTA: dns; mx.example.net\n"
      "\n"
      "Final-Recipient: rfc822; bob@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "--R\n";
  m += returned_part;
  m += "\n--R--\n";
  return m;
}

std::string top(std::string_view content) {
  return "From: MAILER-DAEMON@example.net\nTo: Alice <alice@example.com>\nSubject: Undelivered\nMIME-Version: 1.0\n" +
         std::string(content);
}

constexpr std::string_view kReturnedMessage =
    "Content-Type: message/rfc822\n"
    "\n"
    "From: alice@example.com\n"
    "To: bob@example.org\n"
    "Subject: Quarterly figures\n"
    "\n"
    "Hello Bob.";

MimeMessage parsed(const std::string& message) {
  auto mime = parse_mime(message);
  EXPECT_TRUE(mime);
  return mime ? std::move(*mime) : MimeMessage{};
}

TEST(ReportLayout, FindsEveryPartOfAPlainReport) {
  const std::string message = top(report_part(kReturnedMessage));
  const MimeMessage mime = parsed(message);
  const auto layout = layout_of(mime.root);
  ASSERT_EQ(layout.report, &mime.root);
  EXPECT_TRUE(layout.report_ancestors.empty());
  ASSERT_EQ(layout.human_form, HumanForm::plain);
  EXPECT_EQ(layout.human, &mime.root.children[0]);
  EXPECT_EQ(human_text(layout), "The mail system could not deliver your message.");
  ASSERT_EQ(layout.delivery_status.size(), 1u);
  EXPECT_EQ(layout.delivery_status[0], &mime.root.children[1]);
  EXPECT_EQ(layout.feedback, nullptr);
  EXPECT_EQ(layout.returned, &mime.root.children[2]);
  ASSERT_NE(layout.returned_headers(), nullptr);
  EXPECT_EQ(layout.returned_headers()->header_text("Subject"), "Quarterly figures");
  EXPECT_FALSE(layout.has_marker_field);
}

TEST(ReportLayout, FindsAReportInsideNestedMultipartMixed) {
  // A gateway wrapped the report twice, with its own text in front.
  const std::string message = top(
      "Content-Type: multipart/mixed; boundary=\"OUTER\"\n\n"
      "--OUTER\n"
      "Content-Type: multipart/mixed; boundary=\"INNER\"\n\n"
      "--INNER\n" +
      report_part(kReturnedMessage) +
      "--INNER--\n"
      "--OUTER--\n");
  const MimeMessage mime = parsed(message);
  const auto layout = layout_of(mime.root);
  const auto& inner = mime.root.children.at(0);
  ASSERT_EQ(layout.report, &inner.children.at(0));
  ASSERT_EQ(layout.report_ancestors.size(), 2u);
  EXPECT_EQ(layout.report_ancestors[0], &mime.root);
  EXPECT_EQ(layout.report_ancestors[1], &inner);
  EXPECT_EQ(layout.delivery_status.size(), 1u);
  EXPECT_EQ(human_text(layout), "The mail system could not deliver your message.");
  ASSERT_NE(layout.returned_headers(), nullptr);
  EXPECT_EQ(layout.returned_headers()->header_text("Subject"), "Quarterly figures");
}

TEST(ReportLayout, AReportInsideAnAttachedMessageIsNotTaken) {
  // A person forwards an old report: it belongs to the forwarded message.
  const std::string message =
      "From: carol@example.com\nTo: dave@example.com\nSubject: Fwd: bounce\nMIME-Version: 1.0\n"
      "Content-Type: multipart/mixed; boundary=\"F\"\n\n"
      "--F\n"
      "Content-Type: text/plain\n\n"
      "Look at this.\n"
      "--F\n"
      "Content-Type: message/rfc822\n\n" +
      top(report_part(kReturnedMessage)) + "--F--\n";
  const MimeMessage mime = parsed(message);
  const auto layout = layout_of(mime.root);
  EXPECT_EQ(layout.report, nullptr);
  EXPECT_TRUE(layout.delivery_status.empty());
  EXPECT_EQ(human_text(layout), "Look at this.");
  // The forwarded message is the attached one; its own parts are not ours.
  EXPECT_EQ(layout.returned, &mime.root.children.at(1));
  ASSERT_NE(layout.returned_headers(), nullptr);
  EXPECT_EQ(layout.returned_headers()->header_text("Subject"), "Undelivered");
}

TEST(ReportLayout, ReadsTextRfc822HeadersIntoAnOwnedPart) {
  const std::string message = top(report_part(
      "Content-Type: text/rfc822-headers\n\n"
      "From: alice@example.com\n"
      "Subject: Headers only\n"
      "Content-Language: de"));
  const MimeMessage mime = parsed(message);
  auto layout = layout_of(mime.root);
  EXPECT_EQ(layout.returned, &mime.root.children.at(2));
  // Moved, the layout still reaches the headers it parsed.
  const auto moved = std::move(layout);
  const auto* headers = moved.returned_headers();
  ASSERT_NE(headers, nullptr);
  EXPECT_EQ(headers->header_text("Subject"), "Headers only");
  EXPECT_EQ(headers->header_text("Content-Language"), "de");
}

TEST(ReportLayout, ReadsMessageGlobalAndGlobalDeliveryStatus) {
  const std::string message = top(
      "Content-Type: multipart/report; report-type=global-delivery-status; boundary=\"G\"\n\n"
      "--G\n"
      "Content-Type: text/html; charset=utf-8\n\n"
      "<p>Zustellung fehlgeschlagen</p>\n"
      "--G\n"
      "Content-Type: message/global-delivery-status\n\n"
      "Final-Recipient: utf-8; bob@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n"
      "--G\n"
      "Content-Type: message/global\n\n"
      "From: alice@example.com\n"
      "Subject: Grüße\n\n"
      "Hallo.\n"
      "--G--\n");
  const MimeMessage mime = parsed(message);
  const auto layout = layout_of(mime.root);
  EXPECT_EQ(layout.report, &mime.root);
  ASSERT_EQ(layout.human_form, HumanForm::html);
  EXPECT_EQ(human_text(layout), " Zustellung fehlgeschlagen ");
  ASSERT_EQ(layout.delivery_status.size(), 1u);
  EXPECT_EQ(layout.delivery_status[0]->media_type(), "message/global-delivery-status");
  ASSERT_NE(layout.returned_headers(), nullptr);
  EXPECT_EQ(layout.returned_headers()->header_text("Subject"), "Grüße");
}

TEST(ReportLayout, OrdinaryMailHasNoReport) {
  const std::string message =
      "From: a@example.com\nTo: b@example.org\nSubject: hi\nX-Clearbounce: category=x; mac=y\n\nHello\n";
  const MimeMessage mime = parsed(message);
  const auto layout = layout_of(mime.root);
  EXPECT_EQ(layout.report, nullptr);
  EXPECT_TRUE(layout.delivery_status.empty());
  EXPECT_EQ(layout.feedback, nullptr);
  EXPECT_EQ(layout.returned, nullptr);
  EXPECT_EQ(layout.returned_headers(), nullptr);
  EXPECT_EQ(human_text(layout), "Hello\n");
  EXPECT_TRUE(layout.has_marker_field);
}

// The marker search reads only the header block after the last field the
// parser kept: a field left out past the limit is still found there.
TEST(ReportLayout, FindsAMarkerFieldPastTheFieldLimit) {
  clearbounce::dsn::MimeLimits limits;
  limits.max_header_fields = 3;
  const std::string folded = "From: a@example.com\nTo: b@example.org\nSubject: hi\n\tthere\n";
  // The parsed message points into its input: each input outlives it.
  const std::string marked_input = folded + "Received: x\nx-clearbounce  : category=x\n\nHello\n";
  const auto marked = parse_mime(marked_input, limits);
  ASSERT_TRUE(marked);
  ASSERT_EQ(marked->root.headers.size(), 3u);
  EXPECT_FALSE(marked->root.header("X-Clearbounce"));
  EXPECT_TRUE(layout_of(marked->root).has_marker_field);

  const std::string unmarked_input = folded + "Received: x\nX-Clearbounced: no\n X-Clearbounce: no\n\nHello\n";
  const auto unmarked = parse_mime(unmarked_input, limits);
  ASSERT_TRUE(unmarked);
  EXPECT_FALSE(layout_of(unmarked->root).has_marker_field);

  // Within the limit the kept field is what tells.
  const std::string kept_input = folded + "X-Clearbounce: category=x\n\nHello\n";
  const auto kept = parse_mime(kept_input, limits);
  ASSERT_TRUE(kept);
  EXPECT_TRUE(layout_of(kept->root).has_marker_field);
}

// A part put together by hand, whose fields do not point into its header
// block, has the whole block read.
TEST(ReportLayout, FindsAMarkerFieldInAHeaderBlockOfItsOwn) {
  const std::string fields = "Subject: hi\n";
  const std::string block = "Subject: hi\nX-Clearbounce: category=x\n";
  clearbounce::dsn::MimePart part;
  part.headers.push_back({std::string_view(fields).substr(0, 7), std::string_view(fields).substr(8, 3)});
  part.header_block = block;
  EXPECT_TRUE(layout_of(part).has_marker_field);
  part.header_block = std::string_view(block).substr(0, 12);
  EXPECT_FALSE(layout_of(part).has_marker_field);
}

TEST(ReportLayout, FindsTheFeedbackPartAndAnUnparsedBody) {
  const std::string arf = top(
      "Content-Type: multipart/report; report-type=feedback-report; boundary=\"A\"\n\n"
      "--A\nContent-Type: text/plain\n\nA complaint.\n"
      "--A\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\n"
      "--A--\n");
  const MimeMessage mime = parsed(arf);
  const auto layout = layout_of(mime.root);
  ASSERT_NE(layout.feedback, nullptr);
  EXPECT_EQ(layout.feedback, &mime.root.children.at(1));

  // A boundary that never occurs leaves the body as the only text.
  const std::string broken = top("Content-Type: multipart/report; boundary=\"NEVER\"\n\nJust text.\n");
  const MimeMessage broken_mime = parsed(broken);
  const auto broken_layout = layout_of(broken_mime.root);
  EXPECT_EQ(broken_layout.human_form, HumanForm::unparsed_body);
  EXPECT_EQ(human_text(broken_layout), "Just text.\n");
}

// The raw-text reading of a report whose parts the parser could not find
// looks for the same media types as layout_of().
TEST(ReportLayout, AReportWhoseBoundaryNeverOccursIsReadFromItsText) {
  const std::string fields =
      "Content-Type: message/delivery-status\n\n"
      "Final-Recipient: rfc822; bob@example.org\n"
      "Action: failed\n"
      "Status: 5.1.1\n";
  const std::string broken = top("Content-Type: multipart/report; report-type=delivery-status; boundary=\"NEVER\"\n\n"
                                 "--OTHER\n" + fields + "--OTHER--\n");
  const auto report = clearbounce::dsn::analyse(broken);
  EXPECT_EQ(report.kind, clearbounce::dsn::ReportKind::delivery_status);
  ASSERT_EQ(report.recipients.size(), 1u) << report.error;
  EXPECT_EQ(report.recipients[0].recipient, "bob@example.org");

  // The same fields after the returned message's start are that message's
  // report, not this one (whatever the free-text reading makes of them).
  const std::string returned = top("Content-Type: multipart/report; report-type=delivery-status; boundary=\"NEVER\"\n\n"
                                   "--OTHER\nContent-Type: text/rfc822-headers\n\nSubject: x\n--OTHER\n" + fields +
                                   "--OTHER--\n");
  EXPECT_NE(clearbounce::dsn::analyse(returned).kind, clearbounce::dsn::ReportKind::delivery_status);
}

}  // namespace
