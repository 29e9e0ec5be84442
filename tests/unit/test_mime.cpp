#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <string_view>

#include "dsn/mime.hpp"

namespace {

using clearbounce::dsn::MimeMessage;
using clearbounce::dsn::MimePart;
using clearbounce::dsn::parse_mime;

std::string crlf(std::string_view lf_text) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

bool contains_warning(const MimeMessage& m, std::string_view needle) {
  return std::any_of(m.warnings.begin(), m.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

// True when `inner` is a subrange of `outer` (same memory, not a copy).
bool is_within(std::string_view outer, std::string_view inner) {
  const auto* o = outer.data();
  const auto* i = inner.data();
  return std::less_equal<const char*>()(o, i) && std::less_equal<const char*>()(i + inner.size(), o + outer.size());
}

// raw is exactly header_block, then the separator (a blank line or nothing),
// then body, all inside the input.
void expect_layout(const MimePart& part, std::string_view input) {
  ASSERT_TRUE(is_within(input, part.raw));
  EXPECT_EQ(part.header_block.data(), part.raw.data());
  EXPECT_EQ(part.body.data() + part.body.size(), part.raw.data() + part.raw.size());
  ASSERT_LE(part.header_block.size(), part.raw.size() - part.body.size());
  const std::string_view separator = part.raw.substr(
      part.header_block.size(), part.raw.size() - part.body.size() - part.header_block.size());
  EXPECT_TRUE(separator.empty() || separator == "\n" || separator == "\r\n") << "separator: [" << separator << "]";
  for (const auto& field : part.headers) {
    EXPECT_TRUE(is_within(part.header_block, field.name));
    EXPECT_TRUE(is_within(part.header_block, field.raw_value));
  }
  if (!part.preamble.empty()) {
    EXPECT_TRUE(is_within(part.body, part.preamble));
  }
  for (const auto& child : part.children) {
    EXPECT_TRUE(is_within(part.body, child.raw));
    expect_layout(child, input);
  }
}

constexpr std::string_view kBounce =
    "From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\n"
    "To: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"B1.1700000000/mx.example.org\"\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--B1.1700000000/mx.example.org\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "--B1.1700000000/mx.example.org\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.org\n"
    "\n"
    "Final-Recipient: rfc822; user@example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "\n"
    "--B1.1700000000/mx.example.org\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: sender@example.com\n"
    "To: user@example.net\n"
    "Subject: Hello\n"
    "\n"
    "Original body.\n"
    "\n"
    "--B1.1700000000/mx.example.org--\n"
    "epilogue\n";

void expect_bounce_structure(const MimeMessage& m, std::string_view nl) {
  const MimePart& root = m.root;
  EXPECT_EQ(root.media_type(), "multipart/report");
  EXPECT_EQ(root.content_type.param("report-type"), "delivery-status");
  EXPECT_EQ(root.content_type.param("boundary"), "B1.1700000000/mx.example.org");
  EXPECT_TRUE(root.is_multipart());
  ASSERT_EQ(root.children.size(), 3u);
  EXPECT_EQ(root.preamble, std::string("This is a MIME-encapsulated message.") + std::string(nl));

  const MimePart& text = root.children[0];
  EXPECT_EQ(text.media_type(), "text/plain");
  EXPECT_EQ(text.header_text("Content-Description"), "Notification");
  // The line break before the next boundary belongs to the boundary, so the
  // blank line at the end of the text leaves exactly one line break.
  EXPECT_EQ(text.body, std::string("I'm sorry to have to inform you that your message could not") + std::string(nl) +
                           "be delivered to one or more recipients." + std::string(nl));

  const MimePart& status = root.children[1];
  EXPECT_EQ(status.media_type(), "message/delivery-status");
  EXPECT_TRUE(status.children.empty());

  const MimePart& original = root.children[2];
  EXPECT_EQ(original.media_type(), "message/rfc822");
  ASSERT_EQ(original.children.size(), 1u);
  EXPECT_EQ(original.children[0].header_text("Subject"), "Hello");
  EXPECT_EQ(original.children[0].body, std::string("Original body.") + std::string(nl));
  EXPECT_TRUE(m.warnings.empty()) << m.warnings.front();
}

TEST(MimeParse, LfLineEnds) {
  const auto m = parse_mime(kBounce);
  ASSERT_TRUE(m.has_value());
  expect_bounce_structure(*m, "\n");
  expect_layout(m->root, kBounce);
  EXPECT_EQ(m->root.header_text("subject"), "Undelivered Mail Returned to Sender");
}

TEST(MimeParse, CrlfLineEnds) {
  const std::string input = crlf(kBounce);
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  expect_bounce_structure(*m, "\r\n");
  expect_layout(m->root, input);
  // Header values end before the CR.
  EXPECT_EQ(*m->root.header("To"), " sender@example.com");
}

TEST(MimeParse, MixedLineEnds) {
  const std::string input =
      "Subject: mixed\r\n"
      "Content-Type: multipart/mixed; boundary=xx\n"
      "\r\n"
      "--xx\r\n"
      "Content-Type: text/plain\n"
      "\n"
      "one\r\n"
      "--xx\n"
      "\r\n"
      "two\n"
      "--xx--\r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  EXPECT_EQ(m->root.children[0].body, "one");
  EXPECT_EQ(m->root.children[1].body, "two");
  EXPECT_TRUE(m->root.children[1].headers.empty());
  expect_layout(m->root, input);
}

TEST(MimeParse, RawIsExactlyTheBytesBetweenBoundaries) {
  const std::string input =
      "Content-Type: multipart/mixed; boundary=sep\r\n"
      "\r\n"
      "--sep\r\n"
      "X-Part: 1\r\n"
      "\r\n"
      "first\r\n"
      "\r\n"
      "--sep\r\n"
      "X-Part: 2\r\n"
      "\r\n"
      "second\r\n"
      "--sep--\r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.raw, input);
  EXPECT_EQ(m->root.raw.data(), input.data());
  ASSERT_EQ(m->root.children.size(), 2u);
  const MimePart& first = m->root.children[0];
  EXPECT_EQ(first.raw, "X-Part: 1\r\n\r\nfirst\r\n");
  EXPECT_EQ(first.header_block, "X-Part: 1\r\n");
  EXPECT_EQ(first.body, "first\r\n");
  const MimePart& second = m->root.children[1];
  EXPECT_EQ(second.raw, "X-Part: 2\r\n\r\nsecond");
  EXPECT_EQ(second.header_block, "X-Part: 2\r\n");
  EXPECT_EQ(second.body, "second");
  expect_layout(m->root, input);
}

TEST(MimeParse, HeaderFoldingKeptRawAndUnfoldedInText) {
  const std::string input =
      "Subject: a long\r\n"
      "  subject line\r\n"
      "X-Empty:\r\n"
      "\r\n"
      "body\r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.headers.size(), 2u);
  EXPECT_EQ(m->root.headers[0].name, "Subject");
  EXPECT_EQ(m->root.headers[0].raw_value, " a long\r\n  subject line");
  EXPECT_EQ(m->root.header_text("SUBJECT"), "a long  subject line");
  EXPECT_EQ(m->root.header("x-empty"), std::optional<std::string_view>(""));
  EXPECT_EQ(m->root.header_text("X-Missing"), "");
  EXPECT_FALSE(m->root.header("X-Missing").has_value());
  EXPECT_EQ(m->root.body, "body\r\n");
}

TEST(MimeParse, HeaderLookupIsCaseInsensitiveAndFirstWins) {
  const auto m = parse_mime("received: one\nReceived: two\nSubject: =?utf-8?Q?caf=C3=A9?=\n\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.header("RECEIVED"), std::optional<std::string_view>(" one"));
  EXPECT_EQ(m->root.header_text("subject"), "caf\xC3\xA9");
}

TEST(MimeParse, DefaultsWithoutMimeHeaders) {
  const auto m = parse_mime("From: a@example.com\n\nhello\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.media_type(), "text/plain");
  EXPECT_EQ(m->root.content_type.param("charset"), "us-ascii");
  EXPECT_EQ(m->root.transfer_encoding, "7bit");
  EXPECT_FALSE(m->root.is_multipart());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_EQ(m->root.decoded_body(), "hello\n");
}

TEST(MimeParse, InvalidContentTypeFallsBackToDefault) {
  const auto m = parse_mime("Content-Type: garbage\nContent-Transfer-Encoding: BASE64 (yes)\n\naGk=\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.media_type(), "text/plain");
  EXPECT_EQ(m->root.transfer_encoding, "base64");
  EXPECT_EQ(m->root.decoded_body(), "hi");
  EXPECT_TRUE(contains_warning(*m, "Content-Type"));
}

TEST(MimeParse, HeadersOnlyMessage) {
  const std::string input = "Subject: no body";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.header_block, input);
  EXPECT_TRUE(m->root.body.empty());
  expect_layout(m->root, input);
}

TEST(MimeParse, MboxFromLineIsSkipped) {
  const std::string input =
      "From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n"
      "Subject: bounce\n"
      "\n"
      "body\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.header_text("Subject"), "bounce");
  ASSERT_EQ(m->root.headers.size(), 1u);
  EXPECT_EQ(m->root.raw, input);
  EXPECT_EQ(m->root.body, "body\n");
  EXPECT_TRUE(m->warnings.empty());
  expect_layout(m->root, input);
}

TEST(MimeParse, UnindentedContinuationOfParameterList) {
  const std::string input =
      "Content-Type: multipart/alternative;\n"
      "boundary=\"inner\"\n"
      "\n"
      "--inner\n"
      "\n"
      "text\n"
      "--inner--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.content_type.param("boundary"), "inner");
  ASSERT_EQ(m->root.children.size(), 1u);
  EXPECT_EQ(m->root.children[0].body, "text");
}

TEST(MimeParse, NonHeaderLineEndsHeaderSection) {
  const std::string input =
      "Subject: x\n"
      "this is body text\n"
      "\n"
      "more\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.headers.size(), 1u);
  EXPECT_EQ(m->root.body, "this is body text\n\nmore\n");
  EXPECT_TRUE(contains_warning(*m, "blank line"));
  expect_layout(m->root, input);
}

TEST(MimeMultipart, Preamble) {
  const std::string input =
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "preamble line 1\n"
      "preamble line 2\n"
      "--b\n"
      "\n"
      "part\n"
      "--b--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.preamble, "preamble line 1\npreamble line 2");
  ASSERT_EQ(m->root.children.size(), 1u);
  EXPECT_EQ(m->root.children[0].body, "part");
}

TEST(MimeMultipart, NoPreambleWhenBoundaryStartsTheBody) {
  const auto m = parse_mime("Content-Type: multipart/mixed; boundary=b\n\n--b\n\npart\n--b--\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.preamble.empty());
  ASSERT_EQ(m->root.children.size(), 1u);
}

TEST(MimeMultipart, BoundaryWithTrailingWhitespace) {
  const std::string input =
      "Content-Type: multipart/mixed; boundary=\"b b\"\r\n"
      "\r\n"
      "--b b \t\r\n"
      "\r\n"
      "one\r\n"
      "--b b\t\r\n"
      "\r\n"
      "two\r\n"
      "--b b--  \r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  EXPECT_EQ(m->root.children[0].body, "one");
  EXPECT_EQ(m->root.children[1].body, "two");
  EXPECT_TRUE(m->warnings.empty());
}

TEST(MimeMultipart, BoundaryFollowedByOtherTextIsNotADelimiter) {
  const auto m = parse_mime(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\n"
      "--bx is not a boundary\n"
      "--b-- neither is this\n"
      "--b--\n");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  EXPECT_EQ(m->root.children[0].body, "--bx is not a boundary\n--b-- neither is this");
}

TEST(MimeMultipart, BoundaryThatIsAPrefixOfAnother) {
  // The inner boundary starts with the outer one; neither may cut the other.
  const std::string input =
      "Content-Type: multipart/mixed; boundary=\"frontier\"\n"
      "\n"
      "--frontier\n"
      "Content-Type: multipart/alternative; boundary=\"frontier-inner\"\n"
      "\n"
      "--frontier-inner\n"
      "\n"
      "alt one\n"
      "--frontier-inner\n"
      "\n"
      "alt two\n"
      "--frontier-inner--\n"
      "--frontier\n"
      "\n"
      "last\n"
      "--frontier--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  const MimePart& alternative = m->root.children[0];
  EXPECT_EQ(alternative.media_type(), "multipart/alternative");
  ASSERT_EQ(alternative.children.size(), 2u);
  EXPECT_EQ(alternative.children[0].body, "alt one");
  EXPECT_EQ(alternative.children[1].body, "alt two");
  EXPECT_EQ(m->root.children[1].body, "last");
  EXPECT_TRUE(m->warnings.empty());
  expect_layout(m->root, input);
}

TEST(MimeMultipart, OuterBoundaryIsAPrefixOfInner) {
  // Outer "abc-1" never matches a line "--abc"; inner "abc" never matches "--abc-1".
  const std::string input =
      "Content-Type: multipart/mixed; boundary=abc-1\n"
      "\n"
      "--abc-1\n"
      "Content-Type: multipart/mixed; boundary=abc\n"
      "\n"
      "--abc\n"
      "\n"
      "inner\n"
      "--abc--\n"
      "--abc-1--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  ASSERT_EQ(m->root.children[0].children.size(), 1u);
  EXPECT_EQ(m->root.children[0].children[0].body, "inner");
}

TEST(MimeMultipart, NestedReportInsideMixed) {
  const std::string input = std::string(
                                "From: postmaster@example.org\n"
                                "Content-Type: multipart/mixed; boundary=outer\n"
                                "\n"
                                "--outer\n"
                                "Content-Type: text/plain\n"
                                "\n"
                                "A footer added by a gateway.\n"
                                "--outer\n"
                                "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B1.1700000000/mx.example.org\"\n"
                                "\n") +
                            std::string(kBounce.substr(kBounce.find("This is a MIME"))) + "--outer--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  EXPECT_EQ(m->root.children[0].body, "A footer added by a gateway.");
  const MimePart& report = m->root.children[1];
  EXPECT_EQ(report.media_type(), "multipart/report");
  ASSERT_EQ(report.children.size(), 3u);
  EXPECT_EQ(report.children[1].media_type(), "message/delivery-status");
  ASSERT_EQ(report.children[2].children.size(), 1u);
  EXPECT_EQ(report.children[2].children[0].header_text("Subject"), "Hello");
  expect_layout(m->root, input);
}

TEST(MimeMultipart, EmptyPartsAndHeaderlessParts) {
  const auto m = parse_mime(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n"
      "--b\n"
      "\n"
      "no headers\n"
      "--b\n"
      "text without a header section\n"
      "--b--\n");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 3u);
  EXPECT_TRUE(m->root.children[0].raw.empty());
  EXPECT_EQ(m->root.children[1].body, "no headers");
  EXPECT_TRUE(m->root.children[1].headers.empty());
  EXPECT_EQ(m->root.children[2].body, "text without a header section");
  EXPECT_EQ(m->root.children[2].media_type(), "text/plain");
}

TEST(MimeMultipart, MissingCloseBoundary) {
  const std::string input =
      "Content-Type: multipart/mixed; boundary=b\n"
      "\n"
      "--b\n"
      "\n"
      "one\n"
      "--b\n"
      "\n"
      "two, cut off";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  EXPECT_EQ(m->root.children[1].body, "two, cut off");
  EXPECT_EQ(m->root.children[1].raw.data() + m->root.children[1].raw.size(), input.data() + input.size());
  EXPECT_TRUE(contains_warning(*m, "never closed"));
}

TEST(MimeMultipart, MissingBoundaryParameter) {
  const std::string input =
      "Content-Type: multipart/mixed\n"
      "\n"
      "--b\n"
      "\n"
      "one\n"
      "--b--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_EQ(m->root.body, "--b\n\none\n--b--\n");
  EXPECT_TRUE(contains_warning(*m, "boundary parameter"));
}

TEST(MimeMultipart, BoundaryNeverFound) {
  const auto m = parse_mime("Content-Type: multipart/mixed; boundary=zzz\n\n--b\n\none\n--b--\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_TRUE(contains_warning(*m, "never found"));
}

TEST(MimeMultipart, DigestDefaultsToMessageRfc822) {
  const std::string input =
      "Content-Type: multipart/digest; boundary=d\n"
      "\n"
      "--d\n"
      "\n"
      "Subject: first\n"
      "\n"
      "one\n"
      "--d\n"
      "Content-Type: text/plain\n"
      "\n"
      "plain\n"
      "--d--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  const MimePart& digest_item = m->root.children[0];
  EXPECT_EQ(digest_item.media_type(), "message/rfc822");
  ASSERT_EQ(digest_item.children.size(), 1u);
  EXPECT_EQ(digest_item.children[0].header_text("Subject"), "first");
  EXPECT_EQ(digest_item.children[0].body, "one");
  EXPECT_EQ(m->root.children[1].media_type(), "text/plain");
  EXPECT_TRUE(m->root.children[1].children.empty());
}

TEST(MimeMultipart, DigestDefaultDoesNotLeakIntoNestedMultipart) {
  const auto m = parse_mime(
      "Content-Type: multipart/digest; boundary=d\n\n"
      "--d\n"
      "Content-Type: multipart/mixed; boundary=m\n\n"
      "--m\n\ninner text\n--m--\n"
      "--d--\n");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  ASSERT_EQ(m->root.children[0].children.size(), 1u);
  EXPECT_EQ(m->root.children[0].children[0].media_type(), "text/plain");
}

TEST(MimeMessageParts, Rfc822ChildWithLeadingBlankLine) {
  const std::string input =
      "Content-Type: message/rfc822\n"
      "\n"
      "\n"
      "From: a@example.com\n"
      "Subject: =?ISO-8859-1?Q?r=E9sum=E9?=\n"
      "\n"
      "inner body\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  const MimePart& inner = m->root.children[0];
  EXPECT_EQ(inner.header_text("Subject"), "r\xC3\xA9sum\xC3\xA9");
  EXPECT_EQ(inner.body, "inner body\n");
  EXPECT_EQ(inner.raw, m->root.body);
  expect_layout(m->root, input);
}

TEST(MimeMessageParts, MessageGlobalIsParsed) {
  const auto m = parse_mime(
      "Content-Type: message/global\n\n"
      "Subject: caf\xC3\xA9\n\nbody\n");
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  EXPECT_EQ(m->root.children[0].header_text("Subject"), "caf\xC3\xA9");
}

TEST(MimeMessageParts, Rfc822HeadersHaveNoChildren) {
  const auto m = parse_mime(
      "Content-Type: text/rfc822-headers\n\n"
      "From: a@example.com\nSubject: x\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_EQ(m->root.decoded_body(), "From: a@example.com\nSubject: x\n");
}

TEST(MimeMessageParts, EncodedMessageIsNotParsedInPlace) {
  const auto m = parse_mime(
      "Content-Type: message/global\nContent-Transfer-Encoding: base64\n\n"
      "U3ViamVjdDogaGkKCmJvZHkK\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_TRUE(contains_warning(*m, "base64"));
  // The caller can decode and parse again.
  const std::string inner = m->root.decoded_body();
  const auto again = parse_mime(inner);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->root.header_text("Subject"), "hi");
}

TEST(MimeDecodedBody, QuotedPrintableLatin1) {
  const auto m = parse_mime(
      "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
      "Content-Transfer-Encoding: quoted-printable\n"
      "\n"
      "caf=E9 au lait, soft=\n"
      "break\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.decoded_body(), "caf\xC3\xA9 au lait, softbreak\n");
}

TEST(MimeDecodedBody, Base64Utf8) {
  const auto m = parse_mime(
      "Content-Type: text/plain; charset=UTF-8\r\n"
      "Content-Transfer-Encoding: Base64\r\n"
      "\r\n"
      "Y2Fmw6kg4oKs\r\n"
      "IGRlbGl2ZXJ5\r\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.transfer_encoding, "base64");
  EXPECT_EQ(m->root.decoded_body(), "caf\xC3\xA9 \xE2\x82\xAC delivery");
}

TEST(MimeDecodedBody, Base64ShiftJis) {
  const auto m = parse_mime(
      "Content-Type: text/plain; charset=Shift_JIS\n"
      "Content-Transfer-Encoding: base64\n"
      "\n"
      "g2WDWINn\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.decoded_body(), "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");
}

TEST(MimeDecodedBody, EightBitLatin1WithoutTransferEncoding) {
  const auto m = parse_mime("Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n\xE9t\xE9\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.decoded_body(), "\xC3\xA9t\xC3\xA9\n");
}

TEST(MimeDecodedBody, NonTextBodiesAreNotConverted) {
  const auto m = parse_mime(
      "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAP8=\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.decoded_body(), std::string("\x00\xFF", 2));
}

TEST(MimeDecodedBody, TextWithoutCharsetIsTreatedAsAscii) {
  const auto m = parse_mime("Content-Type: text/plain\n\nok \xFF\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.decoded_body(), "ok \xEF\xBF\xBD\n");
}

}  // namespace
