// The rewriter: new human-readable part, every machine-readable byte kept.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/mime.hpp"
#include "dsn/rewrite.hpp"

namespace {

using clearbounce::dsn::decode_header_text;
using clearbounce::dsn::encode_header_value;
using clearbounce::dsn::MimeMessage;
using clearbounce::dsn::MimePart;
using clearbounce::dsn::parse_mime;
using clearbounce::dsn::rewrite_report;
using clearbounce::dsn::RewriteOutcome;
using clearbounce::dsn::RewriteRequest;
using clearbounce::dsn::unfold;

std::string crlf(std::string_view lf_text) {
  std::string out;
  for (char c : lf_text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

// Postfix 3.7 style: text/plain, message/delivery-status, message/rfc822.
constexpr std::string_view kBounce =
    "Return-Path: <>\n"
    "Received: by mx.example.com (Postfix)\n"
    "\tid 4SVq1k0Ctxz9sWd; Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
    "Date: Tue, 14 Nov 2023 22:13:20 +0000 (UTC)\n"
    "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "To: sender@example.com\n"
    "Auto-Submitted: auto-replied\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"4SVq1k0Ctxz9sWd.1700000000/mx.example.com\"\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Message-Id: <4SVq1k0Ctxz9sWd@mx.example.com>\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--4SVq1k0Ctxz9sWd.1700000000/mx.example.com\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "This is the mail system at host mx.example.com.\n"
    "\n"
    "I'm sorry to have to inform you that your message could not\n"
    "be delivered to one or more recipients.\n"
    "\n"
    "<user@example.net>: host mx.example.net[192.0.2.25] said: 550 5.1.1\n"
    "    <user@example.net>: Recipient address rejected: User unknown (in reply to\n"
    "    RCPT TO command)\n"
    "\n"
    "--4SVq1k0Ctxz9sWd.1700000000/mx.example.com\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "X-Postfix-Queue-ID: 4SVq1k0Ctxz9sWd\n"
    "X-Postfix-Sender: rfc822; sender@example.com\n"
    "Arrival-Date: Tue, 14 Nov 2023 22:13:19 +0000 (UTC)\n"
    "\n"
    "Final-Recipient: rfc822; user@example.net\n"
    "Original-Recipient: rfc822;user@example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "Remote-MTA: dns; mx.example.net\n"
    "Diagnostic-Code: smtp; 550 5.1.1 <user@example.net>: Recipient address\n"
    "    rejected: User unknown\n"
    "\n"
    "--4SVq1k0Ctxz9sWd.1700000000/mx.example.com\n"
    "Content-Description: Undelivered Message\n"
    "Content-Type: message/rfc822\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "Return-Path: <sender@example.com>\n"
    "From: sender@example.com\n"
    "To: user@example.net\n"
    "Subject: Quarterly figures\n"
    "Message-ID: <1@example.com>\n"
    "\n"
    "Hello,\n"
    "the figures are attached.\n"
    "\n"
    "--4SVq1k0Ctxz9sWd.1700000000/mx.example.com--\n"
    "\n";

// The same with only the returned headers (Postfix with bounce_size_limit
// exceeded, or DSN RET=HDRS), and an epilogue line.
constexpr std::string_view kHeadersBounce =
    "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
    "Subject: Undelivered Mail Returned to Sender\n"
    "To: sender@example.com\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"B2.1700000001/mx.example.com\"\n"
    "\n"
    "--B2.1700000001/mx.example.com\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Your message is too large for <big@example.net>.\n"
    "\n"
    "--B2.1700000001/mx.example.com\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "\n"
    "Final-Recipient: rfc822; big@example.net\n"
    "Action: failed\n"
    "Status: 5.3.4\n"
    "Diagnostic-Code: X-Postfix; message size 31457280 exceeds size limit 10240000\n"
    "    of server mx.example.net[192.0.2.26]\n"
    "\n"
    "--B2.1700000001/mx.example.com\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n"
    "From: sender@example.com\n"
    "To: big@example.net\n"
    "Subject: Holiday pictures\n"
    "\n"
    "--B2.1700000001/mx.example.com--\n"
    "epilogue stays\n";

// A forwarded bounce: the report sits inside multipart/mixed.
constexpr std::string_view kNestedBounce =
    "From: postmaster@example.com\n"
    "To: sender@example.com\n"
    "Subject: Fwd: failure notice\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=\"outer-1\"\n"
    "\n"
    "--outer-1\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "See the report below.\n"
    "--outer-1\n"
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"inner-2\"\n"
    "\n"
    "--inner-2\n"
    "Content-Type: text/plain\n"
    "\n"
    "Delivery failed.\n"
    "--inner-2\n"
    "Content-Type: message/delivery-status\n"
    "\n"
    "Reporting-MTA: dns; mx.example.com\n"
    "\n"
    "Final-Recipient: rfc822; user@example.net\n"
    "Action: failed\n"
    "Status: 5.1.1\n"
    "--inner-2--\n"
    "--outer-1--\n";

RewriteRequest german_request() {
  RewriteRequest request;
  request.text_plain =
      "Zustellung fehlgeschlagen: Grüße an user@example.net konnten nicht zugestellt werden.\n"
      "\n"
      "Die Adresse existiert beim Empfänger nicht. Bitte prüfen Sie die Schreibweise der Adresse und "
      "senden Sie die Nachricht erneut; eine sehr lange Zeile, damit weiche Zeilenumbrüche nötig werden.\n";
  request.html =
      "<p>Zustellung fehlgeschlagen: Grüße an <b>user@example.net</b> konnten nicht zugestellt werden.</p>\n";
  request.subject = "Zustellung fehlgeschlagen: Grüße";
  request.x_clearbounce = "category=unknown_user; locale=de";
  return request;
}

RewriteRequest japanese_request() {
  RewriteRequest request;
  request.text_plain =
      "配信できませんでした。宛先 user@example.net は存在しません。"
      "アドレスの綴りを確認して、もう一度送信してください。配信できませんでした。配信できませんでした。\n";
  request.html = "<p>配信できませんでした。</p>\n";
  request.subject = "配信できませんでした";
  request.x_clearbounce = "category=unknown_user; locale=ja";
  return request;
}

struct Rewrite {
  std::string original;
  MimeMessage parsed;
  RewriteOutcome outcome;
};

// The tests keep the original alive next to its parse: the parse refers to it.
Rewrite rewrite(std::string_view input, const RewriteRequest& request) {
  Rewrite run;
  run.original = std::string(input);
  auto parsed = parse_mime(run.original);
  if (!parsed) {
    ADD_FAILURE() << "input does not parse";
    return run;
  }
  run.parsed = std::move(*parsed);
  run.outcome = rewrite_report(run.original, run.parsed, request);
  return run;
}

std::vector<std::string_view> split_lines(std::string_view s) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string_view::npos) nl = s.size();
    std::string_view line = s.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

std::string_view header_section(std::string_view message) {
  const auto parsed_end = [&](std::string_view sep) { return message.find(sep); };
  const std::size_t lf = parsed_end("\n\n");
  const std::size_t crlf_end = parsed_end("\r\n\r\n");
  const std::size_t end = std::min(lf == std::string_view::npos ? message.size() : lf + 2,
                                   crlf_end == std::string_view::npos ? message.size() : crlf_end + 4);
  return message.substr(0, end);
}

std::size_t count_lines_starting_with(std::string_view text, std::string_view prefix) {
  std::size_t n = 0;
  for (const std::string_view line : split_lines(text)) {
    if (line.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), line.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
        })) {
      ++n;
    }
  }
  return n;
}

const MimePart& report_of(const MimeMessage& m) {
  return m.root.media_type() == "multipart/report" ? m.root : m.root.children.at(1);
}

// ---- structure and preservation -------------------------------------------

TEST(RewriteReport, KeepsDeliveryStatusAndRfc822BytesExactly) {
  const Rewrite run = rewrite(kBounce, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  EXPECT_TRUE(run.outcome.reason.empty());
  const std::string& out = run.outcome.rewritten->message;
  const MimePart& report = run.parsed.root;
  ASSERT_EQ(report.children.size(), 3u);
  const std::string_view status = report.children[1].raw;
  const std::string_view returned = report.children[2].raw;
  ASSERT_NE(status.find("Status: 5.1.1"), std::string_view::npos);
  ASSERT_NE(returned.find("Subject: Quarterly figures"), std::string_view::npos);
  EXPECT_NE(out.find(status), std::string::npos);
  EXPECT_NE(out.find(returned), std::string::npos);

  // And the re-parsed parts are those same bytes, not merely somewhere in the output.
  const auto again = parse_mime(out);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->root.children.size(), 3u);
  EXPECT_EQ(again->root.children[1].raw, status);
  EXPECT_EQ(again->root.children[2].raw, returned);
  // The old human-readable text is gone.
  EXPECT_EQ(out.find("I'm sorry to have to inform you"), std::string::npos);
}

TEST(RewriteReport, KeepsRfc822HeadersPartAndEpilogue) {
  const Rewrite run = rewrite(kHeadersBounce, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const std::string& out = run.outcome.rewritten->message;
  const MimePart& report = run.parsed.root;
  ASSERT_EQ(report.children.size(), 3u);
  EXPECT_EQ(report.children[2].media_type(), "text/rfc822-headers");

  // Everything after the first part, from the delimiter to the epilogue, is
  // the original's tail.
  const std::size_t first_end =
      static_cast<std::size_t>(report.children[0].raw.data() - run.original.data()) + report.children[0].raw.size();
  const std::string_view tail = std::string_view(run.original).substr(first_end);
  ASSERT_GE(out.size(), tail.size());
  EXPECT_EQ(std::string_view(out).substr(out.size() - tail.size()), tail);
  EXPECT_TRUE(out.ends_with("--B2.1700000001/mx.example.com--\nepilogue stays\n"));
}

TEST(RewriteReport, NewFirstPartIsAlternativeOfPlainAndHtml) {
  const RewriteRequest request = german_request();
  const Rewrite run = rewrite(kBounce, request);
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->warnings.empty()) << again->warnings.front();
  const MimePart& first = again->root.children.at(0);
  EXPECT_EQ(first.media_type(), "multipart/alternative");
  ASSERT_EQ(first.children.size(), 2u);
  const MimePart& plain = first.children[0];
  const MimePart& html = first.children[1];
  EXPECT_EQ(plain.media_type(), "text/plain");
  EXPECT_EQ(plain.content_type.param("charset"), "utf-8");
  EXPECT_EQ(html.media_type(), "text/html");
  EXPECT_EQ(html.content_type.param("charset"), "utf-8");
  EXPECT_EQ(plain.decoded_body(), request.text_plain);
  EXPECT_EQ(html.decoded_body(), request.html);
  // Mostly Latin text is written quoted-printable, readable in the raw message.
  EXPECT_EQ(plain.transfer_encoding, "quoted-printable");
  EXPECT_NE(plain.body.find("Zustellung fehlgeschlagen: Gr=C3=BC=C3=9Fe"), std::string_view::npos);
}

TEST(RewriteReport, CjkTextIsBase64AndDecodes) {
  const RewriteRequest request = japanese_request();
  const Rewrite run = rewrite(kBounce, request);
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  const MimePart& plain = again->root.children.at(0).children.at(0);
  EXPECT_EQ(plain.transfer_encoding, "base64");
  EXPECT_EQ(plain.decoded_body(), request.text_plain);
  EXPECT_EQ(again->root.header_text("Subject"), request.subject);
}

// Quoted-printable is chosen while it is no larger than base64 (escaped
// bytes count three, line breaks aside), base64 as soon as it would be
// larger: the encoder counts as it writes and gives up past that point,
// wherever in the text (here on the first of several lines or the last).
TEST(RewriteReport, QuotedPrintableUpToTheSizeOfBase64ThenBase64) {
  const auto encoding_of = [](const std::string& text) {
    RewriteRequest request = german_request();
    request.text_plain = text;
    const Rewrite run = rewrite(kBounce, request);
    EXPECT_TRUE(run.outcome.rewritten) << run.outcome.reason;
    if (!run.outcome.rewritten) return std::string();
    const auto again = parse_mime(run.outcome.rewritten->message);
    if (!again) return std::string();
    const MimePart& plain = again->root.children.at(0).children.at(0);
    EXPECT_EQ(plain.decoded_body(), text);
    return plain.transfer_encoding;
  };
  // 30 bytes: base64 writes 40; quoted-printable 30 + 2 per '='.
  EXPECT_EQ(encoding_of(std::string(25, 'a') + std::string(5, '=')), "quoted-printable");  // 40: a tie
  EXPECT_EQ(encoding_of(std::string(24, 'a') + std::string(6, '=')), "base64");            // 42
  // 60 bytes over three lines (base64 80, so at most 10 escaped for
  // quoted-printable): the escapes all on the first line, or all on the last.
  const std::string plain_line = std::string(19, 'b') + "\n";
  const std::string eleven = std::string(8, 'c') + std::string(11, '=') + "\n";
  const std::string ten = std::string(9, 'c') + std::string(10, '=') + "\n";
  EXPECT_EQ(encoding_of(eleven + plain_line + plain_line), "base64");
  EXPECT_EQ(encoding_of(plain_line + plain_line + eleven), "base64");
  EXPECT_EQ(encoding_of(ten + plain_line + plain_line), "quoted-printable");
  EXPECT_EQ(encoding_of(plain_line + plain_line + ten), "quoted-printable");
}

TEST(RewriteReport, ReparsedStructureMatchesTheOriginal) {
  for (const std::string_view input : {kBounce, kHeadersBounce, kNestedBounce}) {
    const Rewrite run = rewrite(input, german_request());
    ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
    const auto again = parse_mime(run.outcome.rewritten->message);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->root.media_type(), run.parsed.root.media_type());
    ASSERT_EQ(again->root.children.size(), run.parsed.root.children.size());
    const MimePart& before = report_of(run.parsed);
    const MimePart& after = report_of(*again);
    EXPECT_EQ(after.media_type(), "multipart/report");
    EXPECT_EQ(after.preamble, before.preamble);
    EXPECT_EQ(after.content_type.param("boundary"), before.content_type.param("boundary"));
    ASSERT_EQ(after.children.size(), before.children.size());
    for (std::size_t i = 1; i < before.children.size(); ++i) {
      EXPECT_EQ(after.children[i].media_type(), before.children[i].media_type());
      EXPECT_EQ(after.children[i].raw, before.children[i].raw) << "part " << i;
    }
  }
}

TEST(RewriteReport, NestedReportInsideMultipartMixed) {
  const Rewrite run = rewrite(kNestedBounce, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const std::string& out = run.outcome.rewritten->message;
  // The outer multipart/mixed's first part is not the report's and stays.
  EXPECT_NE(out.find("--outer-1\nContent-Type: text/plain; charset=us-ascii\n\nSee the report below.\n--outer-1\n"),
            std::string::npos);
  EXPECT_EQ(out.find("Delivery failed."), std::string::npos);
  const auto again = parse_mime(out);
  ASSERT_TRUE(again);
  const MimePart& report = again->root.children.at(1);
  EXPECT_EQ(report.media_type(), "multipart/report");
  EXPECT_EQ(report.children.at(0).media_type(), "multipart/alternative");
  EXPECT_EQ(report.children.at(1).raw, run.parsed.root.children.at(1).children.at(1).raw);
  EXPECT_TRUE(out.ends_with("Status: 5.1.1\n--inner-2--\n--outer-1--\n"));
}

TEST(RewriteReport, GlobalDeliveryStatusIsAccepted) {
  std::string input(kNestedBounce);
  input.replace(input.find("report-type=delivery-status"), 27, "report-type=global-delivery-status");
  const Rewrite run = rewrite(input, german_request());
  EXPECT_TRUE(run.outcome.rewritten) << run.outcome.reason;
}

TEST(RewriteReport, EmptyFirstPartStillGetsItsOwnLineBreak) {
  const std::string input =
      "Subject: x\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
      "--b\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n--b--\n";
  const Rewrite run = rewrite(input, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->root.children.size(), 2u);
  EXPECT_EQ(again->root.children[0].media_type(), "multipart/alternative");
  EXPECT_EQ(again->root.children[0].children.size(), 2u);
  EXPECT_EQ(again->root.children[1].raw, run.parsed.root.children[1].raw);
}

TEST(RewriteReport, TextThatLooksLikeABoundaryCannotBreakTheStructure) {
  RewriteRequest request = german_request();
  request.text_plain = "before\n--4SVq1k0Ctxz9sWd.1700000000/mx.example.com--\nFrom here on\n.\nafter\n";
  const Rewrite run = rewrite(kBounce, request);
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  ASSERT_EQ(again->root.children.size(), 3u);
  EXPECT_EQ(again->root.children[0].children.at(0).decoded_body(), request.text_plain);
  EXPECT_TRUE(again->warnings.empty()) << again->warnings.front();
}

TEST(RewriteReport, QuotedPrintableLinesAreShortAndNeverStartLikeALimit) {
  // Long lines whose soft breaks fall on "From ", "--", "." and "=": each
  // offset of the tricky words puts one of them at the start of an output line.
  RewriteRequest request = german_request();
  std::string text;
  for (std::size_t shift = 0; shift < 80; ++shift) {
    text += std::string(shift, 'x') + " From here -- and --x, .dot =sign, tab\there, Grüße " +
            std::string(90, 'y') + " trailing \n";
  }
  request.text_plain = text;
  const Rewrite run = rewrite(kBounce, request);
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  const auto& plain = again->root.children.at(0).children.at(0);
  ASSERT_EQ(plain.transfer_encoding, "quoted-printable");
  EXPECT_EQ(plain.decoded_body(), text);
  std::size_t lines = 0;
  for (std::size_t pos = 0; pos < plain.body.size(); ++lines) {
    auto end = plain.body.find('\n', pos);
    if (end == std::string_view::npos) end = plain.body.size();
    const auto line = plain.body.substr(pos, end - pos);
    EXPECT_LE(line.size(), 76u) << line;
    EXPECT_FALSE(line.starts_with("From ")) << line;
    EXPECT_FALSE(line.starts_with("--")) << line;
    EXPECT_FALSE(line.starts_with(".")) << line;
    EXPECT_FALSE(line.ends_with(" ") || line.ends_with("\t")) << line;
    pos = end + 1;
  }
  EXPECT_GT(lines, 160u);
}

TEST(RewriteReport, FreshBoundaryDoesNotOccurInTheOriginal) {
  // An original that already mentions the generator's prefix.
  std::string input(kBounce);
  input.insert(input.find("Hello,"), "=_clearbounce_ appears in the text\n");
  const Rewrite run = rewrite(input, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  const std::string boundary(again->root.children.at(0).content_type.param("boundary"));
  ASSERT_FALSE(boundary.empty());
  EXPECT_EQ(input.find(boundary), std::string::npos);
  // Two rewrites do not share a boundary.
  const Rewrite second = rewrite(input, german_request());
  ASSERT_TRUE(second.outcome.rewritten);
  EXPECT_EQ(second.outcome.rewritten->message.find(boundary), std::string::npos);
}

// A boundary is the prefix and 24 letters or digits; over many of them each
// of the 62 shows up about equally often.
TEST(RewriteReport, FreshBoundariesUseTheWholeAlphabet) {
  const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<int> seen(256, 0);
  for (int n = 0; n < 200; ++n) {
    const Rewrite run = rewrite(kBounce, german_request());
    ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
    const auto again = parse_mime(run.outcome.rewritten->message);
    ASSERT_TRUE(again);
    const std::string boundary(again->root.children.at(0).content_type.param("boundary"));
    ASSERT_EQ(boundary.size(), std::string("=_clearbounce_").size() + 24) << boundary;
    ASSERT_TRUE(boundary.starts_with("=_clearbounce_")) << boundary;
    for (const char c : boundary.substr(14)) {
      ASSERT_NE(alphabet.find(c), std::string::npos) << boundary;
      ++seen[static_cast<unsigned char>(c)];
    }
  }
  // 4,800 letters: each of the 62 about 77 times; none missing, none twice its share.
  for (const char c : alphabet) {
    EXPECT_GT(seen[static_cast<unsigned char>(c)], 20) << c;
    EXPECT_LT(seen[static_cast<unsigned char>(c)], 160) << c;
  }
}

// ---- headers --------------------------------------------------------------

TEST(RewriteReport, XClearbounceAddedOnceAtTheEndOfTheHeaders) {
  const Rewrite run = rewrite(kBounce, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const std::string_view headers = header_section(run.outcome.rewritten->message);
  EXPECT_EQ(count_lines_starting_with(run.outcome.rewritten->message, "X-Clearbounce:"), 1u);
  EXPECT_TRUE(headers.ends_with("Message-Id: <4SVq1k0Ctxz9sWd@mx.example.com>\n"
                                "X-Clearbounce: category=unknown_user; locale=de\n\n"));
}

TEST(RewriteReport, SubjectDecodesToTheRequestedText) {
  for (const RewriteRequest& request : {german_request(), japanese_request()}) {
    const Rewrite run = rewrite(kBounce, request);
    ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
    const auto again = parse_mime(run.outcome.rewritten->message);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->root.header_text("Subject"), request.subject);
    EXPECT_EQ(count_lines_starting_with(header_section(run.outcome.rewritten->message), "Subject:"), 1u);
  }
}

TEST(RewriteReport, OtherHeadersStayByteIdenticalAndInOrder) {
  const Rewrite run = rewrite(crlf(kBounce), german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  // Drop the Subject field (with its continuation lines) and X-Clearbounce
  // from both header sections; what remains must be equal.
  const auto without = [](std::string_view headers) {
    std::string kept;
    bool skipping = false;
    std::size_t pos = 0;
    while (pos < headers.size()) {
      const std::size_t nl = headers.find('\n', pos);
      const std::string_view line = headers.substr(pos, nl - pos + 1);
      const bool continuation = line.starts_with(" ") || line.starts_with("\t");
      if (!continuation) skipping = line.starts_with("Subject:") || line.starts_with("X-Clearbounce:");
      if (!skipping) kept.append(line);
      pos = nl + 1;
    }
    return kept;
  };
  const std::string before = without(header_section(run.original));
  const std::string after = without(header_section(run.outcome.rewritten->message));
  EXPECT_EQ(after, before);
  EXPECT_NE(before.find("Received: by mx.example.com (Postfix)\r\n\tid 4SVq1k0Ctxz9sWd;"), std::string::npos);
}

TEST(RewriteReport, AddsSubjectWhenThereIsNone) {
  std::string input(kHeadersBounce);
  input.erase(input.find("Subject: Undelivered Mail Returned to Sender\n"), 45);
  ASSERT_EQ(header_section(input).find("Subject:"), std::string_view::npos);
  const Rewrite run = rewrite(input, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto again = parse_mime(run.outcome.rewritten->message);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->root.header_text("Subject"), "Zustellung fehlgeschlagen: Grüße");
  EXPECT_EQ(count_lines_starting_with(header_section(run.outcome.rewritten->message), "Subject:"), 1u);
}

TEST(RewriteReport, ReplacesAFoldedSubjectEntirely) {
  std::string input(kHeadersBounce);
  input.replace(input.find("Subject: Undelivered Mail Returned to Sender\n"), 45,
                "Subject: Undelivered Mail\n Returned to Sender\n");
  const Rewrite run = rewrite(input, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const std::string& out = run.outcome.rewritten->message;
  EXPECT_EQ(out.find("Returned to Sender"), std::string::npos);
  const auto again = parse_mime(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->root.header_text("Subject"), "Zustellung fehlgeschlagen: Grüße");
  EXPECT_TRUE(header_section(out).starts_with("From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\nSubject: "));
}

TEST(RewriteReport, KeepsAnMboxFromLine) {
  const std::string input = "From MAILER-DAEMON  Tue Nov 14 22:13:20 2023\n" + std::string(kBounce);
  const Rewrite run = rewrite(input, german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  EXPECT_TRUE(run.outcome.rewritten->message.starts_with(
      "From MAILER-DAEMON  Tue Nov 14 22:13:20 2023\nReturn-Path: <>\n"));
}

TEST(RewriteReport, HeaderEditsAndBodyMatchTheMessage) {
  const Rewrite run = rewrite(crlf(kBounce), german_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const auto& rewritten = *run.outcome.rewritten;
  ASSERT_EQ(rewritten.headers.size(), 2u);
  EXPECT_EQ(rewritten.headers[0].name, "Subject");
  EXPECT_EQ(rewritten.headers[1].name, "X-Clearbounce");
  EXPECT_EQ(rewritten.headers[1].value, "category=unknown_user; locale=de");
  EXPECT_EQ(decode_header_text(rewritten.headers[0].value), "Zustellung fehlgeschlagen: Grüße");
  const std::string& message = rewritten.message;
  EXPECT_NE(message.find("\r\nSubject: " + rewritten.headers[0].value + "\r\n"), std::string::npos);
  EXPECT_NE(message.find("\r\nX-Clearbounce: " + rewritten.headers[1].value + "\r\n"), std::string::npos);
  const std::size_t blank = message.find("\r\n\r\n");
  ASSERT_NE(blank, std::string::npos);
  EXPECT_EQ(message.substr(blank + 4), rewritten.body);
  EXPECT_TRUE(rewritten.body.starts_with("This is a MIME-encapsulated message.\r\n"));
}

TEST(RewriteReport, SubjectCannotInjectAHeader) {
  RewriteRequest request = german_request();
  for (const std::string& subject :
       {std::string("Delivery failed\r\nBcc: evil@example.net"), std::string("Grüße\r\nBcc: evil@example.net"),
        std::string("x\nBcc: evil@example.net\n\nbody"), std::string("x\rBcc: evil@example.net")}) {
    request.subject = subject;
    for (const std::string& input : {std::string(kBounce), crlf(kBounce)}) {
      const Rewrite run = rewrite(input, request);
      ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
      const std::string_view headers = header_section(run.outcome.rewritten->message);
      EXPECT_EQ(count_lines_starting_with(headers, "Bcc:"), 0u) << headers;
      const auto again = parse_mime(run.outcome.rewritten->message);
      ASSERT_TRUE(again);
      EXPECT_FALSE(again->root.header("Bcc").has_value());
      EXPECT_EQ(again->root.headers.size(), run.parsed.root.headers.size() + 1);
      EXPECT_NE(again->root.header_text("Subject").find("Bcc: evil@example.net"), std::string::npos);
    }
  }
}

// ---- line ends and lengths ------------------------------------------------

TEST(RewriteReport, CrlfInputGivesCrlfOnlyOutput) {
  const Rewrite run = rewrite(crlf(kBounce), japanese_request());
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  const std::string& out = run.outcome.rewritten->message;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      ASSERT_TRUE(i > 0 && out[i - 1] == '\r') << "bare LF at " << i;
    }
    if (out[i] == '\r') {
      ASSERT_TRUE(i + 1 < out.size() && out[i + 1] == '\n') << "bare CR at " << i;
    }
  }
}

TEST(RewriteReport, LfInputGivesLfOnlyOutput) {
  RewriteRequest request = german_request();
  request.text_plain = "line one\r\nline two\rline three\n";  // the renderer's stray CRs must not leak
  const Rewrite run = rewrite(kBounce, request);
  ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
  EXPECT_EQ(run.outcome.rewritten->message.find('\r'), std::string::npos);
}

TEST(RewriteReport, LinesStayShort) {
  RewriteRequest request = german_request();
  request.text_plain = std::string(5000, 'x') + "\n" + std::string(3000, ' ') + "\n" + "配信" + std::string(2000, '=');
  request.subject = std::string(2000, 'y') + " Grüße";
  for (const std::string& input : {std::string(kBounce), crlf(kBounce), std::string(kNestedBounce)}) {
    const Rewrite run = rewrite(input, request);
    ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
    const std::string& out = run.outcome.rewritten->message;
    const auto original_lines = split_lines(run.original);
    for (const std::string_view line : split_lines(out)) {
      EXPECT_LE(line.size(), 998u);
      // New lines (those the original does not have) keep to RFC 5322's 78.
      if (std::find(original_lines.begin(), original_lines.end(), line) == original_lines.end()) {
        EXPECT_LE(line.size(), 78u) << line;
      }
    }
    const auto again = parse_mime(out);
    ASSERT_TRUE(again);
    EXPECT_EQ(report_of(*again).children.at(0).children.at(0).decoded_body(),
              std::string(5000, 'x') + "\n" + std::string(3000, ' ') + "\n" + "配信" + std::string(2000, '='));
  }
}

// ---- refusals ---------------------------------------------------------------

void expect_refused(std::string_view input, std::string_view reason_part, const RewriteRequest& request) {
  const Rewrite run = rewrite(input, request);
  EXPECT_FALSE(run.outcome.rewritten.has_value());
  EXPECT_NE(run.outcome.reason.find(reason_part), std::string::npos) << run.outcome.reason;
}

TEST(RewriteReport, RefusesAMessageThatAlreadyCarriesXClearbounce) {
  std::string input(kBounce);
  input.insert(input.find("MIME-Version:"), "X-Clearbounce: category=unknown_user; locale=en\n");
  expect_refused(input, "X-Clearbounce", german_request());
  std::string lower(kBounce);
  lower.insert(0, "x-clearbounce: category=x\n");
  expect_refused(lower, "X-Clearbounce", german_request());
}

TEST(RewriteReport, RefusesANonReport) {
  expect_refused("From: a@example.com\nSubject: hi\n\nJust a letter.\n", "no multipart/report", german_request());
  expect_refused("From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n"
                 "--x\nContent-Type: text/plain\n\nhi\n--x\nContent-Type: text/plain\n\nho\n--x--\n",
                 "no multipart/report", german_request());
}

TEST(RewriteReport, RefusesOtherReportTypes) {
  std::string input(kBounce);
  input.replace(input.find("report-type=delivery-status"), 27, "report-type=disposition-notification");
  expect_refused(input, "disposition-notification", german_request());
}

TEST(RewriteReport, IgnoresAReportInsideAnAttachedMessage) {
  const std::string input =
      "From: a@example.com\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n"
      "--x\nContent-Type: text/plain\n\nForwarded:\n--x\nContent-Type: message/rfc822\n\n" +
      std::string(kHeadersBounce) + "--x--\n";
  expect_refused(input, "no multipart/report", german_request());
}

TEST(RewriteReport, RefusesAReportWithOnePartOrNoBoundary) {
  expect_refused("Subject: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
                 "--b\nContent-Type: text/plain\n\nonly text\n--b--\n",
                 "fewer than two parts", german_request());
  expect_refused("Subject: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\n\n"
                 "no delimiter anywhere\n",
                 "never found", german_request());
}

TEST(RewriteReport, RefusesBadXClearbounceValues) {
  RewriteRequest request = german_request();
  for (const std::string& value : {std::string("category=x\r\nBcc: evil@example.net"), std::string("locale=dé"),
                                  std::string(""), std::string("a\tb")}) {
    request.x_clearbounce = value;
    expect_refused(kBounce, "X-Clearbounce", request);
  }
}

TEST(RewriteReport, RefusesAParseOfOtherBytes) {
  const std::string original(kBounce);
  const auto parsed = parse_mime(original);
  ASSERT_TRUE(parsed);
  const std::string copy = original;
  const RewriteOutcome outcome = rewrite_report(copy, *parsed, german_request());
  EXPECT_FALSE(outcome.rewritten);
  EXPECT_FALSE(outcome.reason.empty());
}

TEST(RewriteReport, RefusesALayoutOfAnotherParse) {
  const std::string original(kBounce);
  const auto parsed = parse_mime(original);
  const auto other = parse_mime(original);
  ASSERT_TRUE(parsed && other);
  const auto other_layout = clearbounce::dsn::layout_of(other->root);
  const RewriteOutcome outcome = rewrite_report(original, *parsed, other_layout, german_request());
  EXPECT_FALSE(outcome.rewritten);
  EXPECT_NE(outcome.reason.find("does not belong"), std::string::npos) << outcome.reason;
  // Its own layout is accepted.
  EXPECT_TRUE(rewrite_report(original, *parsed, clearbounce::dsn::layout_of(parsed->root), german_request()).rewritten);
}

// ---- independent check with Python's email package -----------------------

TEST(RewriteReport, PythonEmailPackageAcceptsTheResult) {
  if (std::system("python3 -c 'import email' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not available";
  const std::string script = std::string(CLEARBOUNCE_SOURCE_DIR) + "/tests/rewrite/check_rewrite.py";
  if (!std::ifstream(script)) GTEST_SKIP() << script << " not found";
  int n = 0;
  for (const std::string& input : {std::string(kBounce), crlf(kHeadersBounce), std::string(kNestedBounce)}) {
    for (const RewriteRequest& request : {german_request(), japanese_request()}) {
      const Rewrite run = rewrite(input, request);
      ASSERT_TRUE(run.outcome.rewritten) << run.outcome.reason;
      const std::string base = testing::TempDir() + "clearbounce_rewrite_" + std::to_string(n++);
      std::ofstream(base + ".orig", std::ios::binary) << run.original;
      std::ofstream(base + ".new", std::ios::binary) << run.outcome.rewritten->message;
      const std::string command = "python3 '" + script + "' '" + base + ".orig' '" + base + ".new'";
      EXPECT_EQ(std::system(command.c_str()), 0) << command;
      std::remove((base + ".orig").c_str());
      std::remove((base + ".new").c_str());
    }
  }
}

// ---- encode_header_value --------------------------------------------------

// The encoded words of a folded value, checked for RFC 2047's limits.
std::vector<std::string_view> encoded_words_of(std::string_view value) {
  std::vector<std::string_view> words;
  std::size_t pos = 0;
  while ((pos = value.find("=?", pos)) != std::string_view::npos) {
    const std::size_t end = value.find("?=", pos + 10);
    if (end == std::string_view::npos) break;
    words.push_back(value.substr(pos, end + 2 - pos));
    pos = end + 2;
  }
  return words;
}

void expect_well_folded(std::string_view name, std::string_view value, std::string_view line_end) {
  const std::string field = std::string(name) + ": " + std::string(value);
  std::size_t pos = 0;
  while (pos <= field.size()) {
    std::size_t next = field.find(line_end, pos);
    const std::size_t end = next == std::string::npos ? field.size() : next;
    EXPECT_LE(end - pos, 78u) << field.substr(pos, end - pos);
    if (next == std::string::npos) break;
    // Every line break is a fold: a space or tab follows it.
    ASSERT_LT(next + line_end.size(), field.size());
    EXPECT_TRUE(field[next + line_end.size()] == ' ' || field[next + line_end.size()] == '\t');
    pos = next + line_end.size();
  }
  if (line_end == "\n") {
    EXPECT_EQ(field.find('\r'), std::string::npos);
  } else {
    for (std::size_t i = 0; i < field.size(); ++i) {
      if (field[i] == '\n') {
        EXPECT_TRUE(i > 0 && field[i - 1] == '\r');
      }
    }
  }
}

TEST(HeaderEncoding, PlainAsciiIsOnlyFolded) {
  EXPECT_EQ(encode_header_value("Subject", "Undelivered Mail Returned to Sender", "\n"),
            "Undelivered Mail Returned to Sender");
  const std::string long_text =
      "Delivery to the following recipients failed permanently because the remote server rejected them all";
  const std::string folded = encode_header_value("Subject", long_text, "\r\n");
  EXPECT_NE(folded.find("\r\n "), std::string::npos);
  EXPECT_EQ(folded.find("=?"), std::string::npos);
  EXPECT_EQ(unfold(folded), long_text);
  expect_well_folded("Subject", folded, "\r\n");
}

TEST(HeaderEncoding, NonAsciiBecomesEncodedWordsThatDecodeBack) {
  for (const std::string& text :
       {std::string("Zustellung fehlgeschlagen: Grüße"), std::string("配信できませんでした"),
        std::string("Échec de la remise : le destinataire n’existe pas sur le serveur de messagerie distant, "
                    "veuillez vérifier l’adresse"),
        std::string(300, 'a') + "ü"}) {
    for (const std::string_view line_end : {std::string_view("\n"), std::string_view("\r\n")}) {
      const std::string value = encode_header_value("Subject", text, line_end);
      EXPECT_EQ(decode_header_text(value), text) << value;
      expect_well_folded("Subject", value, line_end);
      for (const std::string_view word : encoded_words_of(value)) EXPECT_LE(word.size(), 75u) << word;
    }
  }
}

TEST(HeaderEncoding, EncodedWordsNeverSplitACharacter) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "配信できませんでした😀";
  const std::string value = encode_header_value("Subject", text, "\n");
  const auto words = encoded_words_of(value);
  ASSERT_GT(words.size(), 5u);
  for (const std::string_view word : words) {
    EXPECT_LE(word.size(), 75u);
    // Each word decodes on its own to valid UTF-8: no replacement characters.
    EXPECT_EQ(decode_header_text(word).find("\xEF\xBF\xBD"), std::string::npos) << word;
  }
  EXPECT_EQ(decode_header_text(value), text);
}

TEST(HeaderEncoding, HugeWordIsFoldedIntoShortEncodedWords) {
  const std::string text = std::string(100000, 'w');
  const std::string value = encode_header_value("Subject", text, "\r\n");
  const auto words = encoded_words_of(value);
  ASSERT_GT(words.size(), 1000u);
  for (const std::string_view word : words) ASSERT_LE(word.size(), 75u);
  expect_well_folded("Subject", value, "\r\n");
  EXPECT_EQ(decode_header_text(value), text);
}

TEST(HeaderEncoding, ControlCharactersNeverBreakTheField) {
  for (const std::string& text : {std::string("Failure\r\nBcc: evil@example.net"), std::string("Grüße\nBcc: x"),
                                 std::string("a\x01\x7f" "b\tc"), std::string("a\xC2\x85" "b")}) {
    const std::string value = encode_header_value("Subject", text, "\n");
    expect_well_folded("Subject", value, "\n");
    EXPECT_EQ(value.find('\r'), std::string::npos);
    EXPECT_EQ(value.find('\n'), std::string::npos) << value;  // short: no fold at all
    const std::string decoded = decode_header_text(value);
    for (const char c : decoded) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F) << decoded;
  }
  EXPECT_EQ(encode_header_value("Subject", "Failure\r\nBcc: evil@example.net", "\n"), "Failure Bcc: evil@example.net");
}

TEST(HeaderEncoding, EncodedWordLookalikesAreEncoded) {
  const std::string text = "=?UTF-8?B?SGVsbG8=?= is not a greeting";
  const std::string value = encode_header_value("Subject", text, "\n");
  EXPECT_EQ(decode_header_text(value), text);
}

TEST(HeaderEncoding, InvalidUtf8IsReplacedNotPassedThrough) {
  const std::string value = encode_header_value("Subject", "caf\xE9 au lait", "\n");
  EXPECT_EQ(decode_header_text(value), "caf\xEF\xBF\xBD au lait");
}

}  // namespace
