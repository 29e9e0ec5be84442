#include "dsn/mime.hpp"
#include "dsn/ascii.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>
#include <exception>
#include <utility>

namespace clearbounce::dsn {
namespace {

// Whatever the caller asks for, recursion stays shallow enough for a small
// thread stack, and the per-level boundary scans stay O(depth x size) with a
// small depth.
constexpr std::size_t kHardMaxDepth = 256;
// Hostile input could otherwise produce a warning per line.
constexpr std::size_t kMaxWarnings = 64;

using detail::ascii_lower;
using detail::iequals;
using detail::is_wsp;

struct Line {
  std::size_t start = 0;
  std::size_t content_end = 0;  // before CR LF / LF
  std::size_t next = 0;         // start of the following line
  bool blank() const noexcept { return content_end == start; }
};

Line line_at(std::string_view s, std::size_t pos) noexcept {
  Line line;
  line.start = pos;
  const void* nl = std::memchr(s.data() + pos, '\n', s.size() - pos);
  if (nl == nullptr) {
    line.content_end = s.size();
    line.next = s.size();
    return line;
  }
  const auto eol = static_cast<std::size_t>(static_cast<const char*>(nl) - s.data());
  line.content_end = (eol > pos && s[eol - 1] == '\r') ? eol - 1 : eol;
  line.next = eol + 1;
  return line;
}

bool is_blank_or_space(std::string_view s, const Line& line) noexcept {
  for (std::size_t i = line.start; i < line.content_end; ++i)
    if (!is_wsp(s[i]) && s[i] != '\r') return false;
  return true;
}

// The high bit of each byte of `word` that is not a header-name character
// (printable ASCII but ':'). Exact up to the first such byte, the lowest:
// the borrows and carries that could flag others start only at one.
constexpr std::uint64_t non_name_bytes(std::uint64_t word) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHighBits = 0x8080808080808080ULL;
  const std::uint64_t below_33 = (word - 33 * kOnes) & ~word;
  const std::uint64_t above_126 = (word + kOnes) | word;
  const std::uint64_t colons = word ^ (':' * kOnes);
  const std::uint64_t colon_bytes = (colons - kOnes) & ~colons;
  return (below_33 | above_126 | colon_bytes) & kHighBits;
}

// Index of the first byte at or after s[i] and before `end` that is not a
// header-name character. Eight bytes at a time: every line of every header
// section starts with this scan.
std::size_t first_non_name_byte(std::string_view s, std::size_t i, std::size_t end) noexcept {
  static constexpr auto kNameChar = [] {
    std::array<bool, 256> table{};
    for (int c = 33; c <= 126; ++c) table[static_cast<std::size_t>(c)] = c != ':';
    return table;
  }();
  for (; i + 8 <= end; i += 8) {
    std::uint64_t word = 0;
    std::memcpy(&word, s.data() + i, sizeof word);
    if (const std::uint64_t stop = non_name_bytes(word); stop != 0)
      return i + static_cast<std::size_t>(std::countr_zero(stop)) / 8;
  }
  while (i < end && kNameChar[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

// "Name:" or "Name  :" (RFC 5322 ftext, tolerating white space before the
// colon as obsolete syntax does). Returns the name length, 0 if not a field.
std::size_t header_name_length(std::string_view s, const Line& line) noexcept {
  std::size_t i = first_non_name_byte(s, line.start, line.content_end);
  const std::size_t name_end = i;
  if (name_end == line.start) return 0;
  while (i < line.content_end && is_wsp(s[i])) ++i;
  if (i >= line.content_end || s[i] != ':') return 0;
  return name_end - line.start;
}

// Consecutive header-section lines that are neither fields, nor indented,
// nor blank.
struct UnindentedRun {
  std::size_t lines = 0;
  std::size_t last_content_end = 0;
  std::size_t next = 0;  // first line after the run
  bool followed_by_field = false;  // a field or an indented line comes next
};

UnindentedRun scan_unindented_run(std::string_view s, Line line) noexcept {
  UnindentedRun run;
  for (;;) {
    ++run.lines;
    run.last_content_end = line.content_end;
    run.next = line.next;
    if (line.next >= s.size()) return run;
    const Line following = line_at(s, line.next);
    if (following.blank()) return run;
    if (is_wsp(s[following.start]) || header_name_length(s, following) > 0) {
      run.followed_by_field = true;
      return run;
    }
    line = following;
  }
}


HeaderValueWithParams default_content_type(bool digest) {
  HeaderValueWithParams ct;
  if (digest) {
    ct.value = "message/rfc822";
  } else {
    ct.value = "text/plain";
    ct.params.emplace_back("charset", "us-ascii");
  }
  return ct;
}

bool valid_media_type(std::string_view v) noexcept {
  const auto slash = v.find('/');
  return slash != std::string_view::npos && slash > 0 && slash + 1 < v.size() &&
         v.find('/', slash + 1) == std::string_view::npos;
}

std::string transfer_encoding_token(std::string_view raw) {
  std::string_view v = detail::trim(raw);
  std::size_t end = 0;
  while (end < v.size() && v[end] != ';' && v[end] != '(' && !is_wsp(v[end]) && v[end] != '\r' && v[end] != '\n') {
    ++end;
  }
  std::string token(v.substr(0, end));
  for (char& c : token) c = ascii_lower(c);
  // Quoted values ("base64") occur in the wild.
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') token = token.substr(1, token.size() - 2);
  if (token.empty()) token = "7bit";
  return token;
}

// How a stretch of bytes is expected to start.
enum class Mode {
  top_level,     // the message itself: leading non-header lines ("From ") are skipped
  encapsulated,  // body of message/rfc822: leading blank and non-header lines are skipped
  body_part,     // a multipart body part: no header section is allowed
};

class Parser {
 public:
  Parser(const MimeLimits& limits, std::vector<std::string>& warnings) noexcept
      : limits_(limits), max_depth_(std::min(limits.max_depth, kHardMaxDepth)), warnings_(warnings) {}

  // Returns false when the top-level message has no header section.
  bool parse_part(MimePart& part, std::string_view raw, std::size_t depth, Mode mode, bool digest_child) {
    ++parts_;
    if (!parse_headers(part, raw, mode)) return false;
    classify(part, digest_child);
    if (part.is_multipart()) {
      parse_multipart(part, depth);
    } else if (part.media_type() == "message/rfc822" || part.media_type() == "message/global") {
      parse_encapsulated(part, depth);
    }
    return true;
  }

 private:
  void warn(std::string message) {
    if (warnings_.size() < kMaxWarnings) {
      warnings_.push_back(std::move(message));
    } else if (warnings_.size() == kMaxWarnings) {
      warnings_.emplace_back("further warnings omitted");
    }
  }

  // Room for one more part in the tree?
  bool room_for_part() {
    if (parts_ < limits_.max_parts) return true;
    if (!parts_warned_) {
      warn("more than " + std::to_string(limits_.max_parts) + " MIME parts; the rest are not parsed");
      parts_warned_ = true;
    }
    return false;
  }

  bool room_for_depth(std::size_t depth) {
    if (depth < max_depth_) return true;
    if (!depth_warned_) {
      warn("MIME nesting deeper than " + std::to_string(max_depth_) + " levels; deeper parts are not parsed");
      depth_warned_ = true;
    }
    return false;
  }

  // Splits `raw` into header fields, header block, separator and body.
  bool parse_headers(MimePart& part, std::string_view raw, Mode mode) {
    part.raw = raw;
    const std::size_t n = raw.size();
    std::size_t pos = 0;

    if (mode != Mode::body_part) {
      // Blank or white-space-only lines before the header section (some
      // mailers and tools add them) are skipped; they stay in header_block,
      // so that raw is still the whole input.
      while (pos < n && is_blank_or_space(raw, line_at(raw, pos))) pos = line_at(raw, pos).next;
      bool skipped_other = false;
      while (pos < n) {
        const Line line = line_at(raw, pos);
        if (line.blank() || header_name_length(raw, line) > 0) break;
        if (raw.substr(pos, 5) != "From ") skipped_other = true;
        pos = line.next;
      }
      if (pos >= n || line_at(raw, pos).blank()) {
        if (mode == Mode::top_level) return false;
        // An encapsulated "message" without headers: all of it is body.
        part.header_block = raw.substr(0, 0);
        part.body = raw;
        return true;
      }
      if (skipped_other) warn("lines before the first header field were skipped");
    }

    // A message's header section has dozens of fields, a body part's a few:
    // room for them up front saves most of the vector's regrowth.
    part.headers.reserve(mode == Mode::body_part ? 4 : 32);
    bool in_field = false;    // continuation lines belong to the last field
    bool field_kept = false;  // ... which was stored (not dropped by the limit)
    std::size_t value_start = 0;
    bool limit_warned = false;
    while (pos < n) {
      const Line line = line_at(raw, pos);
      if (line.blank()) {
        part.header_block = raw.substr(0, pos);
        part.body = raw.substr(line.next);
        return true;
      }
      if (is_wsp(raw[pos]) && in_field) {
        if (field_kept) part.headers.back().raw_value = raw.substr(value_start, line.content_end - value_start);
        pos = line.next;
        continue;
      }
      const std::size_t name_len = header_name_length(raw, line);
      if (name_len == 0) {
        if (part.headers.empty() && !in_field) {
          // A body part that starts with text: it has no header section.
          part.header_block = raw.substr(0, 0);
          part.body = raw;
          return true;
        }
        // Some mailers (and some anonymisers) fold without indenting. A run
        // of such lines is a continuation when header fields follow it, or
        // when it is short and the field before it ends with ';' (a
        // parameter list). Otherwise the body starts here.
        const std::string_view current = field_kept ? detail::trim(part.headers.back().raw_value) : std::string_view{};
        const UnindentedRun run = scan_unindented_run(raw, line);
        const bool continues = run.followed_by_field || (run.lines <= 2 && !current.empty() && current.back() == ';');
        if (continues) {
          if (field_kept) part.headers.back().raw_value = raw.substr(value_start, run.last_content_end - value_start);
          pos = run.next;
          continue;
        }
        warn("header section ends without a blank line");
        part.header_block = raw.substr(0, pos);
        part.body = raw.substr(pos);
        return true;
      }
      in_field = true;
      field_kept = part.headers.size() < limits_.max_header_fields;
      if (field_kept) {
        // header_name_length() saw the colon after the name and any white space.
        std::size_t colon = pos + name_len;
        while (raw[colon] != ':') ++colon;
        value_start = colon + 1;
        part.headers.push_back(
            HeaderField{raw.substr(pos, name_len), raw.substr(value_start, line.content_end - value_start)});
      } else if (!limit_warned) {
        warn("more than " + std::to_string(limits_.max_header_fields) + " header fields in a part; the rest are ignored");
        limit_warned = true;
      }
      pos = line.next;
    }
    // Headers only, no body.
    part.header_block = raw;
    part.body = raw.substr(n);
    return true;
  }

  void classify(MimePart& part, bool digest_child) {
    if (const auto ct = part.header("Content-Type")) {
      part.content_type = parse_header_params(*ct);
      if (!valid_media_type(part.content_type.value)) {
        warn("invalid Content-Type \"" + std::string(detail::trim(*ct).substr(0, 80)) + "\"; using the default");
        part.content_type = default_content_type(digest_child);
      }
    } else {
      part.content_type = default_content_type(digest_child);
    }
    if (const auto cte = part.header("Content-Transfer-Encoding")) {
      part.transfer_encoding = transfer_encoding_token(*cte);
    } else {
      part.transfer_encoding = "7bit";
    }
  }

  void parse_encapsulated(MimePart& part, std::size_t depth) {
    if (part.transfer_encoding == "base64" || part.transfer_encoding == "quoted-printable") {
      // Parts refer to the input, so an encoded message cannot be parsed in
      // place; decoded_body() plus another parse_mime() reads it.
      warn(part.media_type() + " part is " + part.transfer_encoding + "-encoded; not parsed");
      return;
    }
    if (detail::trim(part.body).empty()) return;
    if (!room_for_depth(depth) || !room_for_part()) return;
    MimePart& child = part.children.emplace_back();
    parse_part(child, part.body, depth + 1, Mode::encapsulated, false);
  }

  // Returns true when a delimiter line "--boundary[--][WSP]" starts at
  // body[pos]; `*next` is the start of the following line.
  static bool delimiter_at(std::string_view body, std::size_t pos, std::string_view boundary, bool* close,
                           std::size_t* next) noexcept {
    const std::size_t n = body.size();
    if (n - pos < boundary.size() + 2 || body[pos] != '-' || body[pos + 1] != '-') return false;
    if (body.compare(pos + 2, boundary.size(), boundary) != 0) return false;
    std::size_t q = pos + 2 + boundary.size();
    *close = false;
    if (n - q >= 2 && body[q] == '-' && body[q + 1] == '-') {
      *close = true;
      q += 2;
    }
    while (q < n && is_wsp(body[q])) ++q;
    if (q == n) {
      *next = n;
      return true;
    }
    if (body[q] == '\n') {
      *next = q + 1;
      return true;
    }
    if (body[q] == '\r' && (q + 1 == n || body[q + 1] == '\n')) {
      *next = std::min(q + 2, n);
      return true;
    }
    return false;
  }

  void add_body_part(MimePart& part, std::string_view bytes, std::size_t depth, bool digest) {
    if (part.children.empty()) part.children.reserve(4);  // a report has two to four parts
    MimePart& child = part.children.emplace_back();
    parse_part(child, bytes, depth + 1, Mode::body_part, digest);
  }

  void parse_multipart(MimePart& part, std::size_t depth) {
    // A view into the part's own parameters, which no child's parse moves.
    const std::string_view boundary = part.content_type.param("boundary");
    if (boundary.empty()) {
      warn(part.media_type() + " without a boundary parameter; body kept as one part");
      return;
    }
    // Checked before scanning: each level scans its whole body, so the depth
    // bound is also what keeps deep nesting linear in the input size.
    if (!room_for_depth(depth)) return;
    const bool digest = part.media_type() == "multipart/digest";
    const std::string_view body = part.body;
    const std::size_t n = body.size();

    bool found = false;
    bool open = false;  // a body part has started and not ended yet
    bool closed = false;
    std::size_t part_start = 0;
    std::size_t pos = 0;
    while (pos < n) {
      bool close = false;
      std::size_t next = 0;
      if (delimiter_at(body, pos, boundary, &close, &next)) {
        // The line break before a delimiter belongs to the delimiter (RFC 2046 5.1.1).
        std::size_t break_start = pos;
        if (pos > 0) break_start = (pos >= 2 && body[pos - 2] == '\r') ? pos - 2 : pos - 1;
        if (!found) {
          part.preamble = body.substr(0, break_start);
          found = true;
        } else if (open) {
          if (!room_for_part()) return;
          break_start = std::max(break_start, part_start);
          add_body_part(part, body.substr(part_start, break_start - part_start), depth, digest);
        }
        if (close) {
          closed = true;
          break;
        }
        open = true;
        part_start = next;
        pos = next;
        continue;
      }
      const void* nl = std::memchr(body.data() + pos, '\n', n - pos);
      if (nl == nullptr) break;
      pos = static_cast<std::size_t>(static_cast<const char*>(nl) - body.data()) + 1;
    }

    if (!found) {
      warn("multipart boundary \"" + std::string(boundary.substr(0, 80)) + "\" never found");
      part.preamble = body;
      return;
    }
    if (closed) {
      if (part.children.empty() && !open) warn("multipart with a closing boundary but no parts");
      return;
    }
    if (open) {
      warn("multipart boundary \"" + std::string(boundary.substr(0, 80)) + "\" is never closed");
      if (!room_for_part()) return;
      add_body_part(part, body.substr(part_start), depth, digest);
    }
  }

  const MimeLimits& limits_;
  std::size_t max_depth_;
  std::vector<std::string>& warnings_;
  std::size_t parts_ = 0;
  bool parts_warned_ = false;
  bool depth_warned_ = false;
};

}  // namespace

std::optional<std::string_view> MimePart::header(std::string_view name) const {
  for (const HeaderField& field : headers) {
    if (iequals(field.name, name)) return field.raw_value;
  }
  return std::nullopt;
}

std::string MimePart::header_text(std::string_view name) const {
  const auto value = header(name);
  if (!value) return {};
  return decode_header_text(*value);
}

bool MimePart::is_multipart() const {
  return content_type.value.starts_with("multipart/");
}

std::string MimePart::decoded_body() const {
  const bool text = content_type.value.starts_with("text/");
  std::string_view charset = content_type.param("charset");
  if (charset.empty()) charset = "us-ascii";
  if (transfer_encoding == "base64" || transfer_encoding == "quoted-printable") {
    std::string bytes = transfer_encoding == "base64" ? decode_base64(body) : decode_quoted_printable(body);
    return text ? into_utf8(std::move(bytes), charset) : bytes;
  }
  // 7bit, 8bit, binary and unknown encodings: the body as it is.
  return text ? to_utf8(body, charset) : std::string(body);
}

std::optional<MimeMessage> parse_mime(std::string_view message, const MimeLimits& limits) {
  MimeMessage result;
  Parser parser(limits, result.warnings);
  if (!parser.parse_part(result.root, message, 0, Mode::top_level, false)) return std::nullopt;
  return result;
}

}  // namespace clearbounce::dsn
