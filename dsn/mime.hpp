// A zero-copy MIME structure parser. Parts refer to the caller's buffer, so
// the rewriter can keep every part it does not replace byte for byte.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/encoding.hpp"

namespace clearbounce::dsn {

// Bounds that keep hostile input cheap. Past a bound the parser stops
// descending and records a warning; it never fails because of one.
// The root is at depth 0 and counts as one part. Whatever max_depth says,
// the parser never nests deeper than 256 levels.
struct MimeLimits {
  std::size_t max_depth = 32;          // nested multiparts / message/rfc822
  std::size_t max_parts = 2000;        // parts in the whole tree
  std::size_t max_header_fields = 1000;  // per part
};

struct HeaderField {
  std::string_view name;       // as written, e.g. "Content-Type"
  std::string_view raw_value;  // after the colon, folded as written, no final line break
};

// raw == header_block + separator + body, where the separator is the blank
// line ("\r\n", "\n") or nothing when the header section ends without one.
// A body part's raw is exactly the bytes between its delimiter lines; the
// line break before a delimiter belongs to the delimiter (RFC 2046).
struct MimePart {
  std::vector<HeaderField> headers;
  std::string_view raw;      // the whole part as in the input: headers, separator, body
  // Header lines including their line breaks. At the top level (and in an
  // encapsulated message) it also holds skipped lines before the first field,
  // such as an mbox "From " line, so that the root's raw is the whole input.
  std::string_view header_block;
  std::string_view body;     // after the blank line, still transfer-encoded
  HeaderValueWithParams content_type;  // defaulted to text/plain (or message/rfc822 in multipart/digest)
  std::string transfer_encoding;       // lower-cased, "7bit" when absent
  // Parts of a multipart; for message/rfc822 and message/global the
  // encapsulated message (not when it is base64 or quoted-printable encoded:
  // views cannot point into decoded bytes, so decode and parse it again).
  std::vector<MimePart> children;
  std::string_view preamble;           // multipart only: text before the first boundary (all of the body when none is found)

  // First header field called `name` (case-insensitive), raw and folded.
  std::optional<std::string_view> header(std::string_view name) const;
  // Same, unfolded and RFC 2047-decoded to UTF-8; empty when absent.
  std::string header_text(std::string_view name) const;
  const std::string& media_type() const { return content_type.value; }
  bool is_multipart() const;
  // Body with the transfer encoding removed; for text/* converted to UTF-8
  // from the charset parameter (us-ascii when absent).
  std::string decoded_body() const;
};

struct MimeMessage {
  MimePart root;
  std::vector<std::string> warnings;  // what was malformed or cut off
};

// Parses an RFC 5322 message (CRLF or LF line ends, even mixed). Throws
// only std::bad_alloc; returns std::nullopt only when the input has no header section at
// all (empty, binary, or no "Name: value" line before the first blank line).
std::optional<MimeMessage> parse_mime(std::string_view message, const MimeLimits& limits = {});

}  // namespace clearbounce::dsn
