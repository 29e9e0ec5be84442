// Input built to hurt: truncation, garbage, huge lines, deep nesting, part
// floods. The parser must stay total, keep its views inside the input and
// honour MimeLimits. Sizes are chosen so that a quadratic or recursive
// implementation would be visibly slow or crash; the tests themselves make no
// timing assertions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "dsn/mime.hpp"

namespace {

using clearbounce::dsn::decode_header_text;
using clearbounce::dsn::MimeLimits;
using clearbounce::dsn::MimeMessage;
using clearbounce::dsn::MimePart;
using clearbounce::dsn::parse_header_params;
using clearbounce::dsn::parse_mime;

bool contains_warning(const MimeMessage& m, std::string_view needle) {
  return std::any_of(m.warnings.begin(), m.warnings.end(),
                     [&](const std::string& w) { return w.find(needle) != std::string::npos; });
}

bool is_within(std::string_view outer, std::string_view inner) {
  return std::less_equal<const char*>()(outer.data(), inner.data()) &&
         std::less_equal<const char*>()(inner.data() + inner.size(), outer.data() + outer.size());
}

// Depth of the tree below `part` (a leaf has depth 0). Only called on trees
// the parser has already bounded.
std::size_t tree_depth(const MimePart& part) {
  std::size_t deepest = 0;
  for (const MimePart& child : part.children) deepest = std::max(deepest, tree_depth(child) + 1);
  return deepest;
}

std::size_t count_parts(const MimePart& part) {
  std::size_t n = 1;
  for (const MimePart& child : part.children) n += count_parts(child);
  return n;
}

// Structural invariants every parse must satisfy; also exercises the
// decoders on every part.
void check_part(const MimePart& part, std::string_view input) {
  ASSERT_TRUE(is_within(input, part.raw));
  ASSERT_EQ(part.header_block.data(), part.raw.data());
  ASSERT_EQ(part.body.data() + part.body.size(), part.raw.data() + part.raw.size());
  ASSERT_LE(part.header_block.size() + part.body.size(), part.raw.size());
  ASSERT_LE(part.raw.size() - part.header_block.size() - part.body.size(), 2u);  // "", "\n" or "\r\n"
  for (const auto& field : part.headers) {
    ASSERT_TRUE(is_within(part.header_block, field.name));
    ASSERT_TRUE(is_within(part.header_block, field.raw_value));
  }
  ASSERT_FALSE(part.media_type().empty());
  ASSERT_FALSE(part.transfer_encoding.empty());
  (void)part.decoded_body();
  (void)part.header_text("Subject");
  for (const MimePart& child : part.children) {
    ASSERT_TRUE(is_within(part.body, child.raw));
    check_part(child, input);
  }
}

constexpr std::string_view kReport =
    "From: MAILER-DAEMON@mx.example.org\r\n"
    "Subject: =?utf-8?B?VW5kZWxpdmVyZWQ=?= Mail\r\n"
    "Content-Type: multipart/report; report-type=delivery-status;\r\n"
    "  boundary=\"=_outer\"\r\n"
    "\r\n"
    "--=_outer\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Delivery failed: caf=E9=\r\n"
    " unreachable\r\n"
    "--=_outer\r\n"
    "Content-Type: message/delivery-status\r\n"
    "\r\n"
    "Final-Recipient: rfc822; user@example.net\r\n"
    "Status: 5.1.1\r\n"
    "--=_outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: original\r\n"
    "Content-Type: multipart/alternative; boundary=inner\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "PGI+aGk8L2I+\r\n"
    "--inner--\r\n"
    "--=_outer--\r\n";

TEST(HostileMime, EveryTruncationParses) {
  for (std::size_t len = 0; len <= kReport.size(); ++len) {
    const std::string_view prefix = kReport.substr(0, len);
    const auto m = parse_mime(prefix);
    // "From" alone has no colon yet: no header section.
    if (len < std::string_view("From:").size()) {
      EXPECT_FALSE(m.has_value()) << len;
      continue;
    }
    ASSERT_TRUE(m.has_value()) << len;
    check_part(m->root, prefix);
  }
  // The full message for reference: all parts found, no complaints.
  const auto full = parse_mime(kReport);
  ASSERT_TRUE(full.has_value());
  EXPECT_EQ(count_parts(full->root), 6u);
  EXPECT_TRUE(full->warnings.empty());
}

TEST(HostileMime, TruncatedInsidePartHeaders) {
  const std::string_view cut = kReport.substr(0, kReport.find("Content-Transfer-Encoding: quoted"));
  const auto m = parse_mime(cut);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 1u);
  const MimePart& part = m->root.children[0];
  EXPECT_EQ(part.media_type(), "text/plain");
  EXPECT_TRUE(part.body.empty());
  EXPECT_TRUE(contains_warning(*m, "never closed"));
}

TEST(HostileMime, InnerMultipartNeverClosed) {
  // The inner part runs until the outer boundary, not to the end.
  const std::string input =
      "Content-Type: multipart/mixed; boundary=outer\n\n"
      "--outer\n"
      "Content-Type: multipart/mixed; boundary=inner\n\n"
      "--inner\n\n"
      "inner text\n"
      "--outer\n\n"
      "second outer part\n"
      "--outer--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.children.size(), 2u);
  ASSERT_EQ(m->root.children[0].children.size(), 1u);
  EXPECT_EQ(m->root.children[0].children[0].body, "inner text");
  EXPECT_EQ(m->root.children[1].body, "second outer part");
  EXPECT_TRUE(contains_warning(*m, "never closed"));
}

TEST(HostileMime, MissingBoundariesEverywhere) {
  const std::string input =
      "Content-Type: multipart/mixed; boundary=\"\"\n\n"
      "--\n\nbody\n----\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_TRUE(contains_warning(*m, "boundary"));
  check_part(m->root, input);
}

TEST(HostileMime, RandomEightBitGarbage) {
  std::mt19937 rng(20240611u);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 3000);
  std::size_t parsed = 0;
  for (int round = 0; round < 300; ++round) {
    std::string input;
    // Some rounds get a plausible start so that the garbage reaches the
    // multipart and header code rather than stopping at "no headers".
    if (round % 3 == 1) input = "Content-Type: multipart/mixed; boundary=x\n\n--x\n";
    if (round % 3 == 2) input = "Subject: =?utf-8?B?\n";
    const std::size_t n = length(rng);
    for (std::size_t i = 0; i < n; ++i) {
      input.push_back(static_cast<char>(byte(rng)));
      if (round % 3 == 1 && byte(rng) < 8) input += "\n--x\n";
      if (round % 3 == 1 && byte(rng) < 4) input += "\nContent-Type: message/rfc822\n\n";
    }
    const auto m = parse_mime(input);
    (void)decode_header_text(input);
    (void)parse_header_params(input);
    if (!m) continue;
    ++parsed;
    check_part(m->root, input);
  }
  // The plausible starts always parse.
  EXPECT_GE(parsed, 200u);
}

TEST(HostileMime, BinaryWithoutHeaderSectionIsRejected) {
  std::mt19937 rng(7u);
  std::string input;
  for (int i = 0; i < 4096; ++i) {
    char c = static_cast<char>(rng() & 0xFFu);
    if (c == ':') c = ';';  // no "Name:" anywhere
    input.push_back(c);
  }
  EXPECT_FALSE(parse_mime(input).has_value());
}

TEST(HostileMime, OneMegabyteHeaderLine) {
  const std::string long_value(1u << 20, 'a');
  const std::string input = "Subject: " + long_value + "\r\nX-After: yes\r\n\r\nbody\r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.headers.size(), 2u);
  EXPECT_EQ(m->root.header("Subject")->size(), long_value.size() + 1);
  EXPECT_EQ(m->root.header_text("Subject"), long_value);
  EXPECT_EQ(m->root.header_text("X-After"), "yes");
  EXPECT_EQ(m->root.body, "body\r\n");
}

TEST(HostileMime, OneMegabyteFoldedHeader) {
  std::string value;
  while (value.size() < (1u << 20)) value += " word\r\n";
  const std::string input = "X-Long:" + value + "Subject: s\r\n\r\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  ASSERT_EQ(m->root.headers.size(), 2u);
  EXPECT_EQ(m->root.header_text("Subject"), "s");
}

TEST(HostileMime, OneMegabyteLineWithoutColon) {
  // One huge non-header line: no header section.
  EXPECT_FALSE(parse_mime(std::string(1u << 20, 'x') + "\n\nbody").has_value());
}

TEST(HostileMime, OneMegabyteOfUnterminatedEncodedWords) {
  std::string value;
  while (value.size() < (1u << 20)) value += "=?a?q?x";
  const std::string decoded = decode_header_text(value);
  EXPECT_EQ(decoded, value);  // nothing is a valid encoded word: all literal
  std::string words;
  while (words.size() < (1u << 20)) words += "=?utf-8?Q?ab?= ";
  EXPECT_EQ(decode_header_text(words).size(), words.size() / 15 * 2);
}

TEST(HostileMime, OneMegabyteContentType) {
  std::string ct = "Content-Type: multipart/mixed";
  while (ct.size() < (1u << 20)) ct += "; p*1*=%41; q=\"x\\\"y\"; boundary*0=b";
  const std::string input = ct + "\n\n--b\n\npart\n--b--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.media_type(), "multipart/mixed");
  ASSERT_EQ(m->root.children.size(), 1u);
  EXPECT_EQ(m->root.children[0].body, "part");
}

std::string nested_multiparts(std::size_t depth) {
  std::string open;
  std::string close;
  for (std::size_t i = 0; i < depth; ++i) {
    const std::string b = "b" + std::to_string(i);
    open += "Content-Type: multipart/mixed; boundary=" + b + "\n\n--" + b + "\n";
    close.insert(0, "\n--" + b + "--\n");
  }
  return open + "Content-Type: text/plain\n\ninnermost\n" + close;
}

TEST(HostileMime, TenThousandNestedMultiparts) {
  const std::string input = nested_multiparts(10000);
  const MimeLimits limits;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_LE(tree_depth(m->root), limits.max_depth);
  EXPECT_EQ(tree_depth(m->root), limits.max_depth);
  EXPECT_TRUE(contains_warning(*m, "deeper"));
  check_part(m->root, input);
}

TEST(HostileMime, NestingWithSmallDepthLimit) {
  const std::string input = nested_multiparts(10000);
  MimeLimits limits;
  limits.max_depth = 3;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(tree_depth(m->root), 3u);
  EXPECT_TRUE(contains_warning(*m, "deeper"));
}

TEST(HostileMime, HugeDepthLimitStillBounded) {
  // A careless caller cannot turn the limit into a stack overflow.
  const std::string input = nested_multiparts(10000);
  MimeLimits limits;
  limits.max_depth = 1000000;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_LT(tree_depth(m->root), 10000u);
  EXPECT_TRUE(contains_warning(*m, "deeper"));
}

TEST(HostileMime, TenThousandNestedMessages) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "Content-Type: message/rfc822\n\n";
  input += "Subject: bottom\n\nbody\n";
  const MimeLimits limits;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(tree_depth(m->root), limits.max_depth);
  EXPECT_TRUE(contains_warning(*m, "deeper"));
  check_part(m->root, input);
}

TEST(HostileMime, SameBoundaryAtEveryLevel) {
  std::string input;
  for (int i = 0; i < 10000; ++i) input += "Content-Type: multipart/mixed; boundary=x\n\n--x\n";
  input += "\ntext\n--x--\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_LE(tree_depth(m->root), MimeLimits{}.max_depth);
  check_part(m->root, input);
}

// A boundary with line breaks (RFC 2231 lets "%0A" through) matching the
// start of every short line: each line start would compare the whole
// boundary again, 200,000 lines times 250 KB. Such a boundary is refused.
TEST(HostileMime, BoundaryWithLineBreaksIsRefused) {
  std::string boundary_param;
  for (int i = 0; i < 50000; ++i) boundary_param += "%0A--x";
  std::string input = "Content-Type: multipart/mixed; boundary*=us-ascii''x" + boundary_param + "\n\n";
  for (int i = 0; i < 200000; ++i) input += "--x\n";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_TRUE(contains_warning(*m, "line break in its boundary"));
  check_part(m->root, input);
}

TEST(MimeBoundary, CarriageReturnInBoundaryIsRefusedToo) {
  const auto m = parse_mime("Content-Type: multipart/mixed; boundary*=''a%0Db\n\n--a\rb\n\none\n--a\rb--\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->root.children.empty());
  EXPECT_TRUE(contains_warning(*m, "line break in its boundary"));
}

TEST(HostileMime, HundredThousandParts) {
  std::string input = "Content-Type: multipart/mixed; boundary=p\n\n";
  for (int i = 0; i < 100000; ++i) input += "--p\n\nx\n";
  input += "--p--\n";
  const MimeLimits limits;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_LE(count_parts(m->root), limits.max_parts);
  EXPECT_EQ(count_parts(m->root), limits.max_parts);
  EXPECT_TRUE(contains_warning(*m, "parts"));
  EXPECT_EQ(m->root.children.back().body, "x");
}

TEST(HostileMime, PartLimitCountsTheWholeTree) {
  std::string input = "Content-Type: multipart/mixed; boundary=outer\n\n";
  for (int i = 0; i < 10; ++i) {
    input += "--outer\nContent-Type: multipart/mixed; boundary=inner\n\n";
    for (int j = 0; j < 10; ++j) input += "--inner\n\ny\n";
    input += "--inner--\n";
  }
  input += "--outer--\n";
  MimeLimits limits;
  limits.max_parts = 25;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(count_parts(m->root), 25u);
  EXPECT_TRUE(contains_warning(*m, "parts"));
}

TEST(HostileMime, HeaderFieldLimit) {
  std::string input;
  for (int i = 0; i < 5000; ++i) input += "X-Field-" + std::to_string(i) + ": v\n";
  input += "\nbody\n";
  const MimeLimits limits;
  const auto m = parse_mime(input, limits);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.headers.size(), limits.max_header_fields);
  EXPECT_EQ(m->root.body, "body\n");
  EXPECT_TRUE(contains_warning(*m, "header fields"));
}

TEST(HostileMime, WarningsAreBounded) {
  std::string input = "Content-Type: multipart/mixed; boundary=w\n\n";
  for (int i = 0; i < 1000; ++i) {
    input += "--w\nContent-Type: multipart/mixed; boundary=never" + std::to_string(i) + "\n\nx\n";
  }
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_LE(m->warnings.size(), 100u);
  EXPECT_FALSE(m->warnings.empty());
}

TEST(HostileMime, EmptyInput) {
  EXPECT_FALSE(parse_mime("").has_value());
  EXPECT_FALSE(parse_mime("\n").has_value());
  EXPECT_FALSE(parse_mime(" \r\n\t\n").has_value());
  EXPECT_FALSE(parse_mime("just text\n\nmore text").has_value());
  EXPECT_FALSE(parse_mime("\n\njust text\n\nSubject: after the text\n").has_value());
  // Leading blank lines are skipped (and kept in the header block).
  const auto m = parse_mime("\r\n\r\nSubject: after the blank line\n");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->root.header_text("Subject"), "after the blank line");
  EXPECT_EQ(m->root.header_block, "\r\n\r\nSubject: after the blank line\n");
}

TEST(HostileMime, NulBytes) {
  constexpr char kRaw[] = "Subject: a\0b\nContent-Type: text/plain\n\nbo\0dy\0";
  const std::string input(kRaw, sizeof kRaw - 1);
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m->root.header("Subject"), std::string_view(" a\0b", 4));
  EXPECT_EQ(m->root.decoded_body(), std::string("bo\0dy\0", 6));
  EXPECT_EQ(m->root.header_text("Subject"), std::string("a\0b", 3));
  EXPECT_FALSE(parse_mime(std::string(100, '\0')).has_value());
}

TEST(HostileMime, LoneCarriageReturns) {
  const std::string input = "Subject: a\rb\r\rContent-Type: text/plain\r\n\r\nbody\r";
  const auto m = parse_mime(input);
  ASSERT_TRUE(m.has_value());
  check_part(m->root, input);
}

}  // namespace
