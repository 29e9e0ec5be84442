// Content decoders used by the MIME parser: transfer encodings, RFC 2047
// encoded words, RFC 2045/2231 header parameters, charset conversion.
// Every function is total: malformed input is decoded as far as it goes,
// and nothing reads outside its argument. The only exception is
// std::bad_alloc, which goes up to the engine's fail-open point: a partial
// decoding must never pass for the whole one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace clearbounce::dsn {

// Content-Transfer-Encoding: quoted-printable (RFC 2045 6.7). Soft line
// breaks are removed (a '=' at the very end counts as one), trailing white
// space on a line is dropped, invalid escapes are kept literally.
std::string decode_quoted_printable(std::string_view encoded);

// Content-Transfer-Encoding: base64. Characters outside the alphabet are
// skipped; a truncated final quantum yields the bytes it fully encodes; '='
// ends a quantum, so concatenated encodings decode one after the other.
std::string decode_base64(std::string_view encoded);

// Converts `bytes` in `charset` (any name iconv knows, case-insensitive) to
// UTF-8. Unknown charsets and invalid sequences become U+FFFD (with an
// unknown charset, ASCII bytes are kept); US-ASCII and UTF-8 input are
// validated rather than converted. As in the WHATWG Encoding Standard, common
// mail labels map to the superset mailers really use: ISO-8859-1 is read as
// windows-1252, Shift_JIS as CP932, EUC-KR/ks_c_5601-1987 as CP949, GB2312
// as GB18030.
std::string to_utf8(std::string_view bytes, std::string_view charset);

// Same as to_utf8, for bytes the caller no longer needs: text that is
// already valid UTF-8 (or ASCII in an ASCII-compatible charset) is returned
// as it came, without a copy.
std::string into_utf8(std::string bytes, std::string_view charset);

// Replaces bytes that are not valid UTF-8 with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at `text[pos]` into `cp` and returns how many
// bytes it took (at least 1). An invalid or truncated sequence yields U+FFFD
// and consumes its maximal valid prefix, as Unicode recommends, so one bad
// byte never swallows the good text after it.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& cp);

// Removes CRLF/LF followed by white space (RFC 5322 unfolding). The white
// space stays; so that a header value can never carry a line break, any
// other CR or LF is removed as well.
std::string unfold(std::string_view header_value);

// Unfolds a header value and decodes RFC 2047 encoded words (B and Q, any
// charset, RFC 2231 language suffix allowed) to UTF-8; white space between
// adjacent encoded words is dropped, malformed words stay literal, raw 8-bit
// text is sanitised, and the result is trimmed.
std::string decode_header_text(std::string_view raw_header_value);

// A parsed Content-Type / Content-Disposition style value.
struct HeaderValueWithParams {
  std::string value;  // lower-cased token before the first ';', e.g. "multipart/report"
  // Parameter names lower-cased; values unquoted, RFC 2231 continuations
  // joined and charset-decoded to UTF-8 (an RFC 2231 value replaces a plain
  // one of the same name); all values are valid UTF-8. In header order,
  // first wins on lookup.
  std::vector<std::pair<std::string, std::string>> params;

  // Value of parameter `name` (lower-case), or empty when absent.
  std::string_view param(std::string_view name) const;
};

HeaderValueWithParams parse_header_params(std::string_view raw_header_value);

namespace detail {
// parse_header_params() without its shortcut for lists that hold no RFC 2231
// parameter: every parameter is gathered as if one did. For tests that hold
// the two ways to the same results.
HeaderValueWithParams parse_header_params_gathered(std::string_view raw_header_value);
}  // namespace detail

}  // namespace clearbounce::dsn
