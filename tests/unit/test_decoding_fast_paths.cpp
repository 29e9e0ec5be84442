// The decoders' fast paths (memchr over runs, ASCII skipped a word at a
// time, table-driven single-byte charsets) against plain byte-at-a-time
// readings of the same rules, over every short string of the bytes that
// matter and over tricky longer ones.
#include <gtest/gtest.h>
#include <iconv.h>

#include <array>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/encoding.hpp"
#include "tests/unit/every_string.hpp"

namespace {

using clearbounce::test::for_each_string;
using clearbounce::dsn::decode_quoted_printable;
using clearbounce::dsn::HeaderValueWithParams;
using clearbounce::dsn::parse_header_params;
using clearbounce::dsn::sanitize_utf8;
using clearbounce::dsn::to_utf8;
using clearbounce::dsn::detail::parse_header_params_gathered;


// ---------------------------------------------------------------- quoted-printable

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_blank(char c) { return c == ' ' || c == '\t'; }

// RFC 2045 6.7 read a byte at a time, as the decoder did before it searched
// for runs: '=' + padding + line end (or the end) is a soft break, "=XX" an
// escape, any other '=' literal; white space is dropped only when a CRLF, an
// LF or the end of the input follows it.
std::string reference_quoted_printable(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  while (i < in.size()) {
    const char c = in[i];
    if (c == '=') {
      std::size_t j = i + 1;
      while (j < in.size() && is_blank(in[j])) ++j;
      if (j == in.size()) {
        i = j;
      } else if (in[j] == '\n') {
        i = j + 1;
      } else if (in[j] == '\r') {
        i = (j + 1 < in.size() && in[j + 1] == '\n') ? j + 2 : j + 1;
      } else if (i + 2 < in.size() && hex_digit(in[i + 1]) >= 0 && hex_digit(in[i + 2]) >= 0) {
        out.push_back(static_cast<char>(hex_digit(in[i + 1]) * 16 + hex_digit(in[i + 2])));
        i += 3;
      } else {
        out.push_back('=');
        ++i;
      }
    } else if (is_blank(c)) {
      std::size_t j = i;
      while (j < in.size() && is_blank(in[j])) ++j;
      const bool line_end =
          j == in.size() || in[j] == '\n' || (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n');
      if (!line_end) out.append(in.substr(i, j - i));
      i = j;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  return out;
}

TEST(DecodingFastPaths, QuotedPrintableMatchesTheByteReadingOnEveryShortString) {
  // Soft breaks, '=' at the end, invalid hex, CRLF against LF and bare CR,
  // padding, an 8-bit byte.
  std::size_t checked = 0;
  std::optional<std::string> first_difference;
  for_each_string("= \t\r\nA4g\xE9", 7, [&](const std::string& s) {
    if (!first_difference && decode_quoted_printable(s) != reference_quoted_printable(s)) first_difference = s;
    ++checked;
  });
  EXPECT_EQ(first_difference, std::nullopt);
  EXPECT_EQ(checked, 5380840u);  // 9^0 + ... + 9^7: every string was decoded
}

TEST(DecodingFastPaths, QuotedPrintableMatchesTheByteReadingOnLongerLines) {
  const std::vector<std::string> inputs = {
      "Your message to <user@example.com> could not be delivered. =\r\nThe server said:  \r\n\r\n",
      "<td style=3D\"color: red\">caf=C3=A9 =E2=80=94 na=C3=AFve</td>=\n<p>\t \n=3d=3D==3D=\r\n",
      "trailing blanks before a bare CR \t\r still text\r\n and =  \r\n padding  =\t\r\nend  \t",
      "=41=42=43=4=4G=G4==\r\n=\r=\n=  x=ZZ%=\xC3\xA9 \xE9\t\r\n\r\n  \n\t\n=",
      std::string(200, ' ') + "\r\n" + std::string(200, '=') + "\n" + std::string(100, 'x') + " \t",
  };
  for (const std::string& s : inputs) EXPECT_EQ(decode_quoted_printable(s), reference_quoted_printable(s)) << s;
}

// ---------------------------------------------------------------- parameters

bool same_params(const HeaderValueWithParams& a, const HeaderValueWithParams& b) {
  return a.value == b.value && a.params == b.params;
}

TEST(DecodingFastPaths, PlainParametersGoStraightInAsIfGathered) {
  // Separators, quotes, escapes, comments, RFC 2231 stars and digits,
  // an 8-bit byte: a list without an RFC 2231 parameter takes the shortcut.
  std::size_t checked = 0;
  std::optional<std::string> first_difference;
  for_each_string(";= \"(\\a*1\xE9", 6, [&](const std::string& s) {
    if (!first_difference && !same_params(parse_header_params(s), parse_header_params_gathered(s)))
      first_difference = s;
    ++checked;
  });
  EXPECT_EQ(first_difference, std::nullopt);
  EXPECT_EQ(checked, 1111111u);  // 10^0 + ... + 10^6
}

TEST(DecodingFastPaths, ParametersBeforeAndAfterAnRfc2231OneAsIfGathered) {
  std::string many = "text/plain";
  for (int k = 0; k < 70; ++k) many += "; p" + std::to_string(k) + "=\"v" + std::to_string(k) + "\"";
  const std::vector<std::string> inputs = {
      "text/plain; charset=\"utf-8\"; format=flowed (comment; with semicolon) ; delsp=yes",
      "multipart/report; report-type=delivery-status;\r\n\tboundary=\"----=_Part_1\\\"x\"",
      "application/x; name=plain; name*=utf-8''%C3%A9t%C3%A9; title*0=a; title*1*=%41; name=again",
      "text/plain; a=1; a=2; \"junk\"; =x; b; c=\"\xE9\xFF\"; d*2=two; d*0=zero",
      many,
      many + "; late*=utf-8''x",
  };
  for (const std::string& s : inputs) {
    EXPECT_TRUE(same_params(parse_header_params(s), parse_header_params_gathered(s))) << s;
  }
  EXPECT_EQ(parse_header_params(many).params.size(), 64u);  // the bound on parameters holds on the shortcut too
}

// ---------------------------------------------------------------- UTF-8

// Unicode's well-formed sequences read a byte at a time; each maximal
// ill-formed subpart becomes one U+FFFD.
std::string reference_sanitize(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 < 0x80) {
      len = 1;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      len = 3;
      if (b0 == 0xE0) lo = 0xA0;
      if (b0 == 0xED) hi = 0x9F;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      len = 4;
      if (b0 == 0xF0) lo = 0x90;
      if (b0 == 0xF4) hi = 0x8F;
    }
    std::size_t k = 1;
    while (len > 1 && k < len && i + k < s.size()) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      const unsigned char min = k == 1 ? lo : static_cast<unsigned char>(0x80);
      const unsigned char max = k == 1 ? hi : static_cast<unsigned char>(0xBF);
      if (b < min || b > max) break;
      ++k;
    }
    if (len > 0 && k == len) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append("\xEF\xBF\xBD");
      i += len == 0 ? 1 : k;
    }
  }
  return out;
}

TEST(DecodingFastPaths, SanitizingReadsSequencesInARowAsOneAtATime) {
  // Runs of multibyte sequences (read back to back), broken ones, ASCII
  // stretches long enough to be read in words.
  static const std::array<std::string_view, 10> kPieces = {
      "\xE3\x81\x82", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE3\x81", "\x80", "\xED\xA0\x80",
      "\xF4\x90\x80\x80", "a", "plain ascii text, more than 32 bytes.", "\xC0\xAF"};
  std::mt19937 rng(42);
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const std::size_t pieces = rng() % 16;
    for (std::size_t k = 0; k < pieces; ++k) s += kPieces[rng() % kPieces.size()];
    ASSERT_EQ(sanitize_utf8(s), reference_sanitize(s)) << testing::PrintToString(s);
    ASSERT_EQ(to_utf8(s, "utf-8"), reference_sanitize(s)) << testing::PrintToString(s);
  }
}

// ---------------------------------------------------------------- charset labels

// "us-ascii" and "utf-8" as they stand skip the label's normalising; quoted
// or padded they go the long way. Both ways read text alike.
TEST(DecodingFastPaths, CommonCharsetLabelsReadAsTheLongWayReadsThem) {
  const std::string text = "caf\xC3\xA9 \xE9\xFF\x80 ok \xE2\x82";
  for (const std::string label : {"us-ascii", "US-ASCII", "Us-Ascii", "utf-8", "UTF-8", "uTf-8"}) {
    EXPECT_EQ(to_utf8(text, label), to_utf8(text, " \"" + label + "\" ")) << label;
    EXPECT_EQ(to_utf8(text, label), sanitize_utf8(text)) << label;
  }
  EXPECT_EQ(to_utf8(text, "us-ascii2"), to_utf8(text, "\"us-ascii2\""));
}

// An unquoted value is read eight bytes at a time up to the first byte that
// may end it: every byte value, at every offset within and across words.
TEST(DecodingFastPaths, UnquotedValuesEndWhereAByteAtATimeReadingEnds) {
  const std::string ends_token = std::string(";(\" \t\r\n");
  for (std::size_t length = 1; length < 20; ++length) {  // a value, then the byte
    for (int c = 0; c < 256; ++c) {
      const std::string run(length, 'v');
      const char byte = static_cast<char>(c);
      const std::string raw = "text/plain; n=" + run + byte + "w; m=1";
      const bool ends = ends_token.find(byte) != std::string::npos;
      const std::string want = ends ? run : sanitize_utf8(run + byte + "w");
      EXPECT_EQ(parse_header_params(raw).param("n"), want) << length << " " << c;
      EXPECT_EQ(parse_header_params(run + byte + "/x").value.substr(0, length), run) << length << " " << c;
    }
  }
}

// ---------------------------------------------------------------- iconv

// Converts as the decoder did before it skipped bytes the reset decoder
// refuses by themselves: one iconv call after each invalid byte.
std::string reference_iconv(std::string_view in, const char* from) {
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return "(no converter)";
  std::string out;
  char* src = const_cast<char*>(in.data());
  std::size_t src_left = in.size();
  std::array<char, 4096> buffer;
  bool flushing = false;
  for (;;) {
    char* dst = buffer.data();
    std::size_t dst_left = buffer.size();
    const std::size_t rc =
        flushing ? iconv(cd, nullptr, nullptr, &dst, &dst_left) : iconv(cd, &src, &src_left, &dst, &dst_left);
    const int err = errno;
    out.append(buffer.data(), static_cast<std::size_t>(dst - buffer.data()));
    if (rc != static_cast<std::size_t>(-1)) {
      if (flushing) break;
      flushing = true;
      continue;
    }
    if (err == E2BIG) continue;
    if (flushing) break;
    if (err == EILSEQ && src_left > 0) {
      out.append("\xEF\xBF\xBD");
      ++src;
      --src_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);
      continue;
    }
    if (src_left > 0) out.append("\xEF\xBF\xBD");
    break;
  }
  iconv_close(cd);
  return sanitize_utf8(out);
}

// Random text made of pieces that stress a decoder: escape sequences, JIS
// pairs, runs of 8-bit bytes (mislabelled Shift_JIS or UTF-8), ASCII.
std::string random_mail_bytes(std::mt19937& rng) {
  static const std::array<std::string_view, 12> kPieces = {
      "\x1b$B", "\x1b(B", "\x1b(J", "\x1b$@", "\x30\x21\x34\x6b", "\x82\xa0\x82\xa2", "\xe3\x81\x82",
      "\xff\xfe\x80", "Delivery failed.\r\n", " ", "\x1b", "\x0e\x0f"};
  std::string s;
  const std::size_t pieces = rng() % 12;
  for (std::size_t k = 0; k < pieces; ++k) s += kPieces[rng() % kPieces.size()];
  return s;
}

TEST(DecodingFastPaths, BytesTheDecoderRefusesAloneAreReplacedAsIconvWould) {
  // Labels and the converters they stand for (see to_utf8).
  const std::array<std::pair<const char*, const char*>, 4> charsets = {
      {{"iso-2022-jp", "ISO-2022-JP-2"}, {"shift_jis", "CP932"}, {"euc-kr", "CP949"}, {"utf-7", "utf-7"}}};
  std::mt19937 rng(20261204);
  for (int round = 0; round < 3000; ++round) {
    const std::string bytes = random_mail_bytes(rng);
    for (const auto& [label, iconv_name] : charsets) {
      ASSERT_EQ(to_utf8(bytes, label), reference_iconv(bytes, iconv_name)) << label << ": " << testing::PrintToString(bytes);
    }
  }
  // A long mislabelled text, byte after byte refused.
  const std::string shift_jis(3000, '\x82');
  EXPECT_EQ(to_utf8(shift_jis + "ok", "iso-2022-jp"), reference_iconv(shift_jis + "ok", "ISO-2022-JP-2"));
}

}  // namespace
