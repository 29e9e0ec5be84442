#include "dsn/mime.hpp"
#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

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
using detail::find_first_in;
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
  return word::bytes_below(word, 33) | word::bytes_above(word, 126) | word::bytes_equal(word, ':');
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
    if (const std::uint64_t stop = non_name_bytes(word::load(s.data() + i)); stop != 0)
      return i + word::first_marked(stop);
  }
  while (i < end && kNameChar[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

// The name of a field that starts at s[pos] ends at `end`, and its colon is
// at `colon`: "Name:" or "Name  :" (RFC 5322 ftext, tolerating white space
// before the colon as obsolete syntax does). No colon (npos): no field. A
// line end stops both scans, so the line's end need not be known first.
struct FieldName {
  std::size_t end = 0;
  std::size_t colon = std::string_view::npos;
};

FieldName field_name_at(std::string_view s, std::size_t pos) noexcept {
  FieldName name;
  name.end = first_non_name_byte(s, pos, s.size());
  if (name.end == pos) return name;
  std::size_t i = name.end;
  while (i < s.size() && is_wsp(s[i])) ++i;
  if (i < s.size() && s[i] == ':') name.colon = i;
  return name;
}

// True when `name`, made of header-name characters, is `lower` (lower-case
// letters and '-') in any case. Setting bit 5 makes a capital letter small
// and leaves '-' as it is, and of the header-name characters only a letter
// and its capital come out as that letter: eight bytes compare at once.
bool is_field_named(std::string_view name, std::string_view lower) noexcept {
  constexpr std::uint64_t kBit5 = 0x2020202020202020ULL;
  if (name.size() != lower.size()) return false;
  std::size_t i = 0;
  for (; i + 8 <= name.size(); i += 8) {
    std::uint64_t have = 0;
    std::uint64_t want = 0;
    std::memcpy(&have, name.data() + i, sizeof have);
    std::memcpy(&want, lower.data() + i, sizeof want);
    if ((have | kBit5) != want) return false;
  }
  for (; i < name.size(); ++i)
    if (static_cast<char>(name[i] | 0x20) != lower[i]) return false;
  return true;
}

// The length of the name of the field on `line`, 0 if it is not a field.
std::size_t header_name_length(std::string_view s, const Line& line) noexcept {
  const FieldName name = field_name_at(s, line.start);
  return name.colon == std::string_view::npos ? 0 : name.end - line.start;
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

// Start of the line after the one at s[pos], or s.size().
std::size_t next_line(std::string_view s, std::size_t pos) noexcept {
  const void* nl = std::memchr(s.data() + pos, '\n', s.size() - pos);
  return nl == nullptr ? s.size() : static_cast<std::size_t>(static_cast<const char*>(nl) - s.data()) + 1;
}

// Finds the line starts where "--boundary" begins. Horspool's search: the
// byte under the end of the window says how far the window may move, and
// mail text seldom holds a boundary's bytes, so it mostly moves by nearly
// the delimiter's length instead of stopping at every line. The window is
// compared only at line starts, and a boundary holds no line break (one
// that does is refused), so a comparison never reads past the line it
// starts: the bytes compared never outgrow the body.
class DelimiterSearch {
 public:
  explicit DelimiterSearch(std::string_view boundary) noexcept : boundary_(boundary), length_(boundary.size() + 2) {
    const auto most = static_cast<std::uint8_t>(std::min<std::size_t>(length_, 255));
    skip_.fill(most);
    for (std::size_t k = 0; k + 1 < length_; ++k) {
      const auto c = static_cast<unsigned char>(k < 2 ? '-' : boundary[k - 2]);
      skip_[c] = static_cast<std::uint8_t>(std::min<std::size_t>(length_ - 1 - k, most));
    }
  }

  // The first line start at or after `pos` (itself a line start) where
  // "--boundary" begins, or body.size().
  std::size_t next(std::string_view body, std::size_t pos) const noexcept {
    const std::size_t n = body.size();
    const auto last = static_cast<unsigned char>(boundary_.back());
    while (n - pos >= length_) {
      const auto end_byte = static_cast<unsigned char>(body[pos + length_ - 1]);
      if (end_byte == last && (pos == 0 || body[pos - 1] == '\n') && starts_delimiter(body, pos)) return pos;
      pos += skip_[end_byte];
    }
    return n;
  }

 private:
  bool starts_delimiter(std::string_view body, std::size_t pos) const noexcept {
    return body[pos] == '-' && body[pos + 1] == '-' && body.compare(pos + 2, boundary_.size(), boundary_) == 0;
  }

  std::string_view boundary_;
  std::size_t length_;  // of "--boundary"
  std::array<std::uint8_t, 256> skip_;
};

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
    std::size_t pos = 0;
    if (mode != Mode::body_part) {
      pos = skip_leading_lines(raw);
      if (pos == std::string_view::npos) {
        if (mode == Mode::top_level) return false;
        // An encapsulated "message" without headers: all of it is body.
        part.header_block = raw.substr(0, 0);
        part.body = raw;
        return true;
      }
    }
    // A message's header section has dozens of fields, a body part's a few:
    // room for them up front saves most of the vector's regrowth.
    part.headers.reserve(mode == Mode::body_part ? 4 : 32);
    read_fields(part, raw, pos);
    return true;
  }

  // Skips what may come before a message's header section: blank or
  // white-space-only lines (some mailers and tools add them), an mbox "From "
  // line, other text. Returns where the first field starts, npos when a blank
  // line or the end comes first. Skipped lines stay in header_block, so that
  // raw is still the whole input.
  std::size_t skip_leading_lines(std::string_view raw) {
    const std::size_t n = raw.size();
    std::size_t pos = 0;
    Line line;
    while (pos < n && is_blank_or_space(raw, line = line_at(raw, pos))) pos = line.next;
    bool skipped_other = false;
    while (pos < n) {
      line = line_at(raw, pos);
      if (line.blank() || header_name_length(raw, line) > 0) break;
      if (raw.substr(pos, 5) != "From ") skipped_other = true;
      pos = line.next;
    }
    if (pos >= n || line.blank()) return std::string_view::npos;
    if (skipped_other) warn("lines before the first header field were skipped");
    return pos;
  }

  // Reads the fields from raw[pos] on and sets header_block and body. Every
  // line of every header section passes here: a line is told blank, folded
  // or a field by its first bytes, and only then is its end searched for.
  void read_fields(MimePart& part, std::string_view raw, std::size_t pos) {
    const std::size_t n = raw.size();
    bool in_field = false;    // continuation lines belong to the last field
    bool field_kept = false;  // ... which was stored (not dropped by the limit)
    std::size_t value_start = 0;
    bool limit_warned = false;
    while (pos < n) {
      const char first = raw[pos];
      if (first == '\n' || (first == '\r' && pos + 1 < n && raw[pos + 1] == '\n')) {  // the blank line
        part.header_block = raw.substr(0, pos);
        part.body = raw.substr(pos + (first == '\n' ? 1 : 2));
        return;
      }
      if (is_wsp(first) && in_field) {
        const Line line = line_at(raw, pos);
        if (field_kept) part.headers.back().raw_value = raw.substr(value_start, line.content_end - value_start);
        pos = line.next;
        continue;
      }
      // The name is read up to its colon first, a word at a time: of the
      // line only the value is then searched for its end.
      const FieldName name = field_name_at(raw, pos);
      if (name.colon == std::string_view::npos) {
        if (!unindented_continuation(part, raw, pos, in_field, field_kept, value_start)) return;
        continue;
      }
      const Line line = line_at(raw, name.colon);  // the colon holds no CR: the line's end is found as from its start
      in_field = true;
      field_kept = part.headers.size() < limits_.max_header_fields;
      if (field_kept) {
        value_start = name.colon + 1;
        part.headers.push_back(HeaderField{raw.substr(pos, name.end - pos), raw.substr(value_start, line.content_end - value_start)});
      } else if (!limit_warned) {
        warn("more than " + std::to_string(limits_.max_header_fields) + " header fields in a part; the rest are ignored");
        limit_warned = true;
      }
      pos = line.next;
    }
    // Headers only, no body.
    part.header_block = raw;
    part.body = raw.substr(n);
  }

  // A line at raw[pos] that is neither a field, nor folded, nor blank. Some
  // mailers (and some anonymisers) fold without indenting: a run of such
  // lines is a continuation when header fields follow it, or when it is
  // short and the field before it ends with ';' (a parameter list). Returns
  // true with `pos` after the run then; otherwise the header section (if
  // any) ends here, header_block and body are set and it returns false.
  bool unindented_continuation(MimePart& part, std::string_view raw, std::size_t& pos, bool in_field, bool field_kept,
                               std::size_t value_start) {
    if (part.headers.empty() && !in_field) {
      // A body part that starts with text: it has no header section.
      part.header_block = raw.substr(0, 0);
      part.body = raw;
      return false;
    }
    const std::string_view current = field_kept ? detail::trim(part.headers.back().raw_value) : std::string_view{};
    const UnindentedRun run = scan_unindented_run(raw, line_at(raw, pos));
    if (run.followed_by_field || (run.lines <= 2 && !current.empty() && current.back() == ';')) {
      if (field_kept) part.headers.back().raw_value = raw.substr(value_start, run.last_content_end - value_start);
      pos = run.next;
      return true;
    }
    warn("header section ends without a blank line");
    part.header_block = raw.substr(0, pos);
    part.body = raw.substr(pos);
    return false;
  }

  void classify(MimePart& part, bool digest_child) {
    // Both fields in one pass (header() would make two): every part is classified.
    std::optional<std::string_view> ct;
    std::optional<std::string_view> cte;
    for (const HeaderField& field : part.headers) {
      if (!ct && is_field_named(field.name, "content-type")) ct = field.raw_value;
      if (!cte && is_field_named(field.name, "content-transfer-encoding")) cte = field.raw_value;
    }
    if (ct) {
      part.content_type = parse_header_params(*ct);
      if (!valid_media_type(part.content_type.value)) {
        warn("invalid Content-Type \"" + std::string(detail::trim(*ct).substr(0, 80)) + "\"; using the default");
        part.content_type = default_content_type(digest_child);
      }
    } else {
      part.content_type = default_content_type(digest_child);
    }
    if (cte) {
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

  // The multipart's boundary, a view into the part's own parameters (which
  // no child's parse moves); empty, with a warning, when there is none that
  // can be used.
  std::string_view usable_boundary(const MimePart& part) {
    const std::string_view boundary = part.content_type.param("boundary");
    if (boundary.empty()) {
      warn(part.media_type() + " without a boundary parameter; body kept as one part");
      return {};
    }
    // RFC 2046 allows no line break in a boundary, and the search relies on
    // it: a delimiter is then matched within one line, so the bytes compared
    // at line starts never outgrow the body. A boundary with a line break
    // (RFC 2231's "%0A") could make every short line compare the whole
    // boundary again.
    if (find_first_in(boundary, "\r\n") != std::string_view::npos) {
      warn(part.media_type() + " with a line break in its boundary; body kept as one part");
      return {};
    }
    return boundary;
  }

  void parse_multipart(MimePart& part, std::size_t depth) {
    const std::string_view boundary = usable_boundary(part);
    if (boundary.empty()) return;
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
    const DelimiterSearch search(boundary);
    while ((pos = search.next(body, pos)) < n) {
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
      pos = next_line(body, pos);
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
