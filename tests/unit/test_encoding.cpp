#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/encoding.hpp"

namespace {

using clearbounce::dsn::decode_base64;
using clearbounce::dsn::decode_header_text;
using clearbounce::dsn::decode_quoted_printable;
using clearbounce::dsn::into_utf8;
using clearbounce::dsn::parse_header_params;
using clearbounce::dsn::sanitize_utf8;
using clearbounce::dsn::to_utf8;
using clearbounce::dsn::unfold;

constexpr std::string_view kFffd = "\xEF\xBF\xBD";

// ---------------------------------------------------------------- quoted-printable

TEST(EncodingQuotedPrintable, DecodesEscapes) {
  EXPECT_EQ(decode_quoted_printable("a=3Db"), "a=b");
  EXPECT_EQ(decode_quoted_printable("caf=C3=A9"), "caf\xC3\xA9");
}

TEST(EncodingQuotedPrintable, AcceptsLowercaseHex) {
  EXPECT_EQ(decode_quoted_printable("=3d=c3=a9"), "=\xC3\xA9");
}

TEST(EncodingQuotedPrintable, RemovesSoftLineBreaks) {
  EXPECT_EQ(decode_quoted_printable("long=\r\nline"), "longline");
  EXPECT_EQ(decode_quoted_printable("long=\nline"), "longline");
  // Transport padding between '=' and the line break.
  EXPECT_EQ(decode_quoted_printable("long= \t\r\nline"), "longline");
}

TEST(EncodingQuotedPrintable, KeepsHardLineBreaks) {
  EXPECT_EQ(decode_quoted_printable("one\r\ntwo\nthree"), "one\r\ntwo\nthree");
}

TEST(EncodingQuotedPrintable, KeepsInvalidEscapesLiterally) {
  EXPECT_EQ(decode_quoted_printable("100=ZZ%"), "100=ZZ%");
  EXPECT_EQ(decode_quoted_printable("a=4"), "a=4");
  EXPECT_EQ(decode_quoted_printable("x=G1y"), "x=G1y");
}

TEST(EncodingQuotedPrintable, TrailingEqualsIsASoftBreak) {
  EXPECT_EQ(decode_quoted_printable("end="), "end");
  EXPECT_EQ(decode_quoted_printable("end=  "), "end");
}

TEST(EncodingQuotedPrintable, DropsTrailingWhitespaceOnLines) {
  EXPECT_EQ(decode_quoted_printable("a  \r\nb \t\nc d"), "a\r\nb\nc d");
}

TEST(EncodingQuotedPrintable, EmptyInput) {
  EXPECT_EQ(decode_quoted_printable(""), "");
}

TEST(EncodingQuotedPrintable, EscapeOrWhiteSpaceAtTheVeryEnd) {
  EXPECT_EQ(decode_quoted_printable("ab=41"), "abA");
  EXPECT_EQ(decode_quoted_printable("ab \t"), "ab");
  EXPECT_EQ(decode_quoted_printable("ab=\r"), "ab");
}

TEST(EncodingQuotedPrintable, PaddingNotBeforeALineBreakIsText) {
  EXPECT_EQ(decode_quoted_printable("a= b"), "a= b");
  EXPECT_EQ(decode_quoted_printable("a \t b=20"), "a \t b ");
}

// ---------------------------------------------------------------- base64

TEST(EncodingBase64, DecodesPaddedInput) {
  EXPECT_EQ(decode_base64("SGVsbG8sIFdvcmxkIQ=="), "Hello, World!");
  EXPECT_EQ(decode_base64("YWJj"), "abc");
}

TEST(EncodingBase64, IgnoresLineBreaks) {
  EXPECT_EQ(decode_base64("SGVs\r\nbG8s\nIFdv\r\ncmxk\nIQ=="), "Hello, World!");
}

TEST(EncodingBase64, ToleratesMissingPadding) {
  EXPECT_EQ(decode_base64("SGVsbG8sIFdvcmxkIQ"), "Hello, World!");
  EXPECT_EQ(decode_base64("YWI"), "ab");
  // A lone sixth of a byte encodes nothing.
  EXPECT_EQ(decode_base64("YWJjZ"), "abc");
}

TEST(EncodingBase64, SkipsGarbageCharacters) {
  EXPECT_EQ(decode_base64("SGV*sbG8#sIF\x01\xFF" "dvcmxkIQ=="), "Hello, World!");
  EXPECT_EQ(decode_base64("!!!"), "");
}

TEST(EncodingBase64, DecodesBinaryBytes) {
  EXPECT_EQ(decode_base64("AP8Q"), std::string("\x00\xFF\x10", 3));
}

TEST(EncodingBase64, PaddingEndsAQuantum) {
  // Two encodings glued together decode one after the other.
  EXPECT_EQ(decode_base64("YQ==Yg=="), "ab");
}

// ---------------------------------------------------------------- UTF-8 and charsets

TEST(EncodingUtf8, SanitizeKeepsValidText) {
  const std::string text = "plain ascii, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80";
  EXPECT_EQ(sanitize_utf8(text), text);
}

TEST(EncodingUtf8, SanitizeReplacesInvalidBytes) {
  EXPECT_EQ(sanitize_utf8("a\xFF" "b"), std::string("a") + std::string(kFffd) + "b");
  // Truncated sequence at the end.
  EXPECT_EQ(sanitize_utf8("ab\xE2\x82"), std::string("ab") + std::string(kFffd));
  // Overlong encoding of '/' and a UTF-16 surrogate are not UTF-8.
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), std::string(kFffd) + std::string(kFffd));
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80").find('\xED'), std::string::npos);
  // A lone continuation byte.
  EXPECT_EQ(sanitize_utf8("\x80"), kFffd);
}

// The scanner reads ASCII eight bytes at a time: an invalid byte or a
// multibyte character must be found wherever it falls in a word.
TEST(EncodingUtf8, SanitizeFindsInvalidBytesAtEveryOffset) {
  for (std::size_t at = 0; at < 20; ++at) {
    std::string text(20, 'x');
    text[at] = '\xFF';
    const std::string expected = std::string(at, 'x') + std::string(kFffd) + std::string(19 - at, 'x');
    EXPECT_EQ(sanitize_utf8(text), expected) << "invalid byte at " << at;
  }
}

TEST(EncodingUtf8, SanitizeKeepsCharactersAcrossWordBoundaries) {
  for (std::size_t at = 0; at < 18; ++at) {
    const std::string text = std::string(at, 'x') + "\xE2\x82\xAC" + std::string(18 - at, 'y');
    EXPECT_EQ(sanitize_utf8(text), text) << "euro sign at " << at;
  }
  const std::string cut = std::string(15, 'x') + "\xE2\x82" + std::string(9, 'y');
  EXPECT_EQ(sanitize_utf8(cut), std::string(15, 'x') + std::string(kFffd) + std::string(9, 'y'));
}

TEST(EncodingUtf8, SanitizeKeepsNulBytes) {
  const std::string with_nul("a\0b", 3);
  EXPECT_EQ(sanitize_utf8(with_nul), with_nul);
}

TEST(EncodingCharset, Latin1) {
  EXPECT_EQ(to_utf8("caf\xE9 \xE0 \xFC", "ISO-8859-1"), "caf\xC3\xA9 \xC3\xA0 \xC3\xBC");
  EXPECT_EQ(to_utf8("\xE9", "latin1"), "\xC3\xA9");
}

TEST(EncodingCharset, Windows1252) {
  // Euro sign, curly quotes: bytes that Latin-1 proper calls C1 controls.
  EXPECT_EQ(to_utf8("\x80 \x93hi\x94", "windows-1252"), "\xE2\x82\xAC \xE2\x80\x9Chi\xE2\x80\x9D");
  EXPECT_EQ(to_utf8("\x80", "cp1252"), "\xE2\x82\xAC");
}

TEST(EncodingCharset, CaseAndQuotesInTheName) {
  EXPECT_EQ(to_utf8("\xE9", "\"Iso-8859-1\""), "\xC3\xA9");
  EXPECT_EQ(to_utf8("\xE9", " WINDOWS-1252 "), "\xC3\xA9");
}

TEST(EncodingCharset, IntoUtf8GivesWhatToUtf8Gives) {
  const std::string_view cases[][2] = {
      {"plain text\r\n", "us-ascii"},
      {"caf\xC3\xA9 and more than eight bytes", "utf-8"},
      {"bad \xFF byte in UTF-8 text", "utf-8"},
      {"caf\xE9 in Latin-1", "iso-8859-1"},
      {"\x1B$B8\x1B(B shift sequences", "iso-2022-jp"},
      {"abc\xE9", "x-no-such-charset"},
      {"no charset at all", ""},
  };
  for (const auto& [bytes, charset] : cases) {
    EXPECT_EQ(into_utf8(std::string(bytes), charset), to_utf8(bytes, charset)) << charset;
  }
}

TEST(EncodingCharset, UnknownCharsetKeepsAsciiOnly) {
  EXPECT_EQ(to_utf8("abc\xE9", "x-no-such-charset"), std::string("abc") + std::string(kFffd));
  EXPECT_EQ(to_utf8("\xE9\xE9", "bad charset//TRANSLIT"), std::string(kFffd) + std::string(kFffd));
}

TEST(EncodingCharset, Utf8IsValidatedNotConverted) {
  EXPECT_EQ(to_utf8("caf\xC3\xA9", "utf-8"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8("caf\xC3\xA9", "UTF8"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8("bad\xC3", "utf-8"), std::string("bad") + std::string(kFffd));
}

TEST(EncodingCharset, AsciiLabelWithEightBitBytes) {
  // Mislabelled UTF-8 survives; bytes that are not UTF-8 do not.
  EXPECT_EQ(to_utf8("caf\xC3\xA9", "us-ascii"), "caf\xC3\xA9");
  EXPECT_EQ(to_utf8("caf\xE9", "us-ascii"), std::string("caf") + std::string(kFffd));
}

TEST(EncodingCharset, Aliases) {
  EXPECT_EQ(to_utf8("\x83\x65\x83\x58\x83\x67", "x-sjis"), "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");  // テスト
  EXPECT_EQ(to_utf8("\xC7\xD1\xB1\xB9", "ks_c_5601-1987"), "\xED\x95\x9C\xEA\xB5\xAD");              // 한국
  EXPECT_EQ(to_utf8("\xC4\xE3\xBA\xC3", "gb2312"), "\xE4\xBD\xA0\xE5\xA5\xBD");                      // 你好
}

TEST(EncodingCharset, Iso2022Jp) {
  EXPECT_EQ(to_utf8("\x1B$B%F%9%H\x1B(B ok", "iso-2022-jp"), "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88 ok");
}

TEST(EncodingCharset, InvalidBytesInMultibyteCharset) {
  const std::string out = to_utf8("a\x83", "shift_jis");  // lead byte without its trail byte
  EXPECT_EQ(out.substr(0, 1), "a");
  EXPECT_NE(out.find(kFffd), std::string::npos);
}

TEST(EncodingCharset, Utf16ViaIconv) {
  EXPECT_EQ(to_utf8(std::string_view("\x00h\x00i", 4), "utf-16be"), "hi");
}

// ---------------------------------------------------------------- unfold

TEST(EncodingUnfold, RemovesLineBreaksKeepsWhitespace) {
  EXPECT_EQ(unfold("a\r\n b"), "a b");
  EXPECT_EQ(unfold("a\n\tb"), "a\tb");
  EXPECT_EQ(unfold("one\r\n  two\r\n three"), "one  two three");
  EXPECT_EQ(unfold("no folding"), "no folding");
}

TEST(EncodingUnfold, RemovesStrayBreaksAnywhere) {
  EXPECT_EQ(unfold("\r\nlead"), "lead");
  EXPECT_EQ(unfold("a\rb\nc"), "abc");
  EXPECT_EQ(unfold("trail\r\n"), "trail");
  EXPECT_EQ(unfold("\r\n\r\n"), "");
}

TEST(EncodingHeaderText, ABareLineBreakLeavesNoTrace) {
  EXPECT_EQ(decode_header_text("Mail\rDelivery"), "MailDelivery");
  EXPECT_EQ(decode_header_text(" \r\n Subject text \t"), "Subject text");
  EXPECT_EQ(decode_header_text("  plain, not folded  "), "plain, not folded");
}

// ---------------------------------------------------------------- RFC 2047

TEST(EncodingRfc2047, BEncoding) {
  EXPECT_EQ(decode_header_text("=?UTF-8?B?Y2Fmw6k=?="), "caf\xC3\xA9");
  EXPECT_EQ(decode_header_text("=?utf-8?b?Y2Fmw6k=?="), "caf\xC3\xA9");
}

TEST(EncodingRfc2047, QEncodingWithUnderscores) {
  EXPECT_EQ(decode_header_text("=?utf-8?Q?caf=C3=A9_au_lait?="), "caf\xC3\xA9 au lait");
  EXPECT_EQ(decode_header_text("=?utf-8?q?a=5Fb?="), "a_b");
}

TEST(EncodingRfc2047, Iso88591Word) {
  EXPECT_EQ(decode_header_text("=?ISO-8859-1?Q?Andr=E9?= Pirard"), "Andr\xC3\xA9 Pirard");
}

TEST(EncodingRfc2047, Iso2022JpWord) {
  // "テスト" in ISO-2022-JP, base64-encoded, as Japanese mailers send it.
  EXPECT_EQ(decode_header_text("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?="), "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");
}

TEST(EncodingRfc2047, ShiftJisWord) {
  EXPECT_EQ(decode_header_text("=?Shift_JIS?B?g2WDWINn?="), "\xE3\x83\x86\xE3\x82\xB9\xE3\x83\x88");
}

TEST(EncodingRfc2047, AdjacentWordsAreJoined) {
  EXPECT_EQ(decode_header_text("=?utf-8?Q?a?= =?utf-8?Q?b?="), "ab");
  EXPECT_EQ(decode_header_text("=?utf-8?Q?a?=\r\n =?iso-8859-1?Q?b?=\r\n\t=?utf-8?B?Yw==?="), "abc");
}

TEST(EncodingRfc2047, MultibyteCharacterSplitAcrossWords) {
  // "é" is C3 A9; the mailer split it between two words.
  EXPECT_EQ(decode_header_text("=?utf-8?B?w6?= =?utf-8?Q?=A9?="), "\xC3\xA9");
  EXPECT_EQ(decode_header_text("=?utf-8?Q?=C3?= =?utf-8?Q?=A9?="), "\xC3\xA9");
}

TEST(EncodingRfc2047, WhitespaceBetweenWordAndTextIsKept) {
  EXPECT_EQ(decode_header_text("Re: =?utf-8?Q?caf=C3=A9?= now"), "Re: caf\xC3\xA9 now");
  EXPECT_EQ(decode_header_text("=?utf-8?Q?a?= b =?utf-8?Q?c?="), "a b c");
}

TEST(EncodingRfc2047, MalformedWordsStayLiteral) {
  EXPECT_EQ(decode_header_text("=?utf-8?X?abc?="), "=?utf-8?X?abc?=");
  EXPECT_EQ(decode_header_text("=?utf-8?Q?unterminated"), "=?utf-8?Q?unterminated");
  EXPECT_EQ(decode_header_text("=??Q?abc?="), "=??Q?abc?=");
  EXPECT_EQ(decode_header_text("price =? 3"), "price =? 3");
  // A broken word next to a good one: only the good one is decoded.
  EXPECT_EQ(decode_header_text("=?utf-8?Q?bad =?utf-8?Q?good?="), "=?utf-8?Q?bad good");
}

TEST(EncodingRfc2047, LanguageSuffix) {
  EXPECT_EQ(decode_header_text("=?utf-8*en?Q?hello?="), "hello");
  EXPECT_EQ(decode_header_text("=?ISO-8859-1*fr?Q?=E9t=E9?="), "\xC3\xA9t\xC3\xA9");
}

TEST(EncodingRfc2047, UnfoldsAndTrims) {
  EXPECT_EQ(decode_header_text(" Undelivered\r\n Mail Returned to Sender\r\n"), "Undelivered Mail Returned to Sender");
}

TEST(EncodingRfc2047, RawEightBitTextIsSanitised) {
  EXPECT_EQ(decode_header_text("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(decode_header_text("caf\xE9"), std::string("caf") + std::string(kFffd));
}

TEST(EncodingRfc2047, UnknownCharsetWord) {
  EXPECT_EQ(decode_header_text("=?x-nope?Q?ok=E9?="), std::string("ok") + std::string(kFffd));
}

// ---------------------------------------------------------------- RFC 2045 / 2231 parameters

TEST(EncodingParams, ValueAndParams) {
  const auto ct = parse_header_params(" Multipart/Report; report-type=delivery-status;\r\n\tboundary=\"abc def\"");
  EXPECT_EQ(ct.value, "multipart/report");
  ASSERT_EQ(ct.params.size(), 2u);
  EXPECT_EQ(ct.params[0].first, "report-type");
  EXPECT_EQ(ct.params[0].second, "delivery-status");
  EXPECT_EQ(ct.param("boundary"), "abc def");
  EXPECT_EQ(ct.param("missing"), "");
}

TEST(EncodingParams, NamesLowerCasedValuesNot) {
  const auto ct = parse_header_params("text/plain; CharSet=UTF-8; Format=Flowed");
  EXPECT_EQ(ct.param("charset"), "UTF-8");
  EXPECT_EQ(ct.param("format"), "Flowed");
  EXPECT_EQ(ct.params[0].first, "charset");
}

TEST(EncodingParams, QuotedStringEscapes) {
  const auto cd = parse_header_params(R"(attachment; filename="say \"hi\"; now.txt"; size=10)");
  EXPECT_EQ(cd.value, "attachment");
  EXPECT_EQ(cd.param("filename"), "say \"hi\"; now.txt");
  EXPECT_EQ(cd.param("size"), "10");
}

TEST(EncodingParams, CommentsTolerated) {
  const auto ct = parse_header_params("text/plain (body text); charset=us-ascii (Plain text)");
  EXPECT_EQ(ct.value, "text/plain");
  EXPECT_EQ(ct.param("charset"), "us-ascii");
  ASSERT_EQ(ct.params.size(), 1u);
}

TEST(EncodingParams, FirstWins) {
  const auto ct = parse_header_params("text/plain; charset=utf-8; charset=latin1");
  EXPECT_EQ(ct.param("charset"), "utf-8");
}

TEST(EncodingParams, MissingSemicolonAndJunk) {
  const auto ct = parse_header_params("text/plain charset=utf-8; ; junk; =x; name=v");
  EXPECT_EQ(ct.value, "text/plain");
  EXPECT_EQ(ct.param("charset"), "utf-8");
  EXPECT_EQ(ct.param("name"), "v");
}

TEST(EncodingParams, Rfc2231Continuations) {
  const auto cd = parse_header_params("attachment; filename*0=\"long\"; filename*1=\"-name\"; filename*2=.txt");
  EXPECT_EQ(cd.param("filename"), "long-name.txt");
}

TEST(EncodingParams, Rfc2231ContinuationsOutOfOrder) {
  const auto cd = parse_header_params("attachment; filename*1=b; filename*0=a");
  EXPECT_EQ(cd.param("filename"), "ab");
}

TEST(EncodingParams, Rfc2231CharsetAndPercentEncoding) {
  const auto cd = parse_header_params("attachment; filename*=iso-8859-1'fr'caf%E9.txt");
  EXPECT_EQ(cd.param("filename"), "caf\xC3\xA9.txt");
  const auto utf = parse_header_params("attachment; filename*=UTF-8''%E2%82%AC%20rates.txt");
  EXPECT_EQ(utf.param("filename"), "\xE2\x82\xAC rates.txt");
}

TEST(EncodingParams, Rfc2231MixedExtendedAndPlainSections) {
  const auto cd = parse_header_params(
      "attachment; filename*0*=utf-8''%E2%82%AC%20; filename*1=\"a%20b\"; filename*2*=%C3%A9");
  // Section 1 is not extended, so its "%20" is literal.
  EXPECT_EQ(cd.param("filename"), "\xE2\x82\xAC a%20b\xC3\xA9");
}

TEST(EncodingParams, Rfc2231MixedWithOrdinaryParams) {
  const auto ct = parse_header_params(
      "application/x-stuff; size=42; title*0*=us-ascii'en'This%20is%20; title*1*=%2A%2A%2Afun%2A%2A%2A; "
      "charset=\"us-ascii\"");
  EXPECT_EQ(ct.value, "application/x-stuff");
  EXPECT_EQ(ct.param("size"), "42");
  EXPECT_EQ(ct.param("title"), "This is ***fun***");
  EXPECT_EQ(ct.param("charset"), "us-ascii");
  ASSERT_EQ(ct.params.size(), 3u);
  EXPECT_EQ(ct.params[1].first, "title");
}

TEST(EncodingParams, Rfc2231WinsOverPlainParameter) {
  const auto cd = parse_header_params("attachment; filename=\"fallback.txt\"; filename*=utf-8''r%C3%A9el.txt");
  EXPECT_EQ(cd.param("filename"), "r\xC3\xA9" "el.txt");
  ASSERT_EQ(cd.params.size(), 1u);
}

TEST(EncodingParams, EmptyAndValueOnly) {
  EXPECT_EQ(parse_header_params("").value, "");
  EXPECT_TRUE(parse_header_params("").params.empty());
  EXPECT_EQ(parse_header_params(" 7BIT ").value, "7bit");
}

TEST(EncodingParams, UnterminatedQuote) {
  const auto ct = parse_header_params("multipart/mixed; boundary=\"abc");
  EXPECT_EQ(ct.param("boundary"), "abc");
}

TEST(EncodingParams, UnterminatedQuoteEndingInABackslash) {
  const auto ct = parse_header_params("multipart/mixed; boundary=\"abc\\");
  EXPECT_EQ(ct.param("boundary"), "abc\\");
}

TEST(EncodingParams, FoldedQuotedStringLosesOnlyItsLineBreaks) {
  const auto ct = parse_header_params("text/plain; name=\"long\r\n name\rhere\n\"; x=1");
  EXPECT_EQ(ct.param("name"), "long namehere");
  EXPECT_EQ(ct.param("x"), "1");
}

}  // namespace
