// The rewriter splices new bytes into the original message instead of
// re-serialising a tree: the parser's parts are views into the input, so
// everything outside the replaced first part and the two edited header fields
// is copied through untouched. That is what keeps the machine-readable parts
// byte for byte as the MTA wrote them.
#include "dsn/rewrite.hpp"
#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <initializer_list>
#include <random>

namespace clearbounce::dsn {
namespace {

// RFC 5322 2.1.1: lines SHOULD stay within 78 characters; RFC 2047 2: an
// encoded word is at most 75 characters; RFC 2045 6.7/6.8: encoded body
// lines at most 76 characters.
constexpr std::size_t kFoldWidth = 78;
constexpr std::size_t kMaxEncodedWord = 75;
constexpr std::size_t kBodyLineWidth = 76;
// "=?UTF-8?B?" + "?=".
constexpr std::size_t kEncodedWordOverhead = 12;
// X-Clearbounce is written on as few lines as its spaces allow; this cap keeps
// even an unfoldable value far below the 998-byte line limit.
constexpr std::size_t kMaxXClearbounce = 900;

using detail::ascii_lower;
using detail::iequals;

// Where `inner` starts inside `whole`, or nullopt when it is not a view into
// it. Compared as addresses through std::less so that unrelated buffers are
// well-defined to compare.
std::optional<std::size_t> offset_in(std::string_view whole, std::string_view inner) noexcept {
  const std::less_equal<const char*> le;
  if (!le(whole.data(), inner.data()) || !le(inner.data() + inner.size(), whole.data() + whole.size())) {
    return std::nullopt;
  }
  return static_cast<std::size_t>(inner.data() - whole.data());
}

// The message's own line ending, judged by the first line of its header
// section, so that new lines match the old ones.
std::string_view detect_line_end(std::string_view header_block) noexcept {
  const std::size_t nl = header_block.find('\n');
  if (nl != std::string_view::npos && nl > 0 && header_block[nl - 1] == '\r') return "\r\n";
  return "\n";
}

std::size_t utf8_sequence_length(unsigned char lead) noexcept {
  if (lead < 0x80) return 1;
  if ((lead & 0xE0) == 0xC0) return 2;
  if ((lead & 0xF0) == 0xE0) return 3;
  if ((lead & 0xF8) == 0xF0) return 4;
  return 1;  // not reached for sanitised input
}

// A code point that must never reach a header: C0 controls (CR, LF, TAB,
// NUL, ...), DEL, C1 controls and the Unicode line/paragraph separators.
bool is_control_sequence(std::string_view cp) noexcept {
  const auto b0 = static_cast<unsigned char>(cp[0]);
  if (cp.size() == 1) return b0 < 0x20 || b0 == 0x7F;
  const auto b1 = static_cast<unsigned char>(cp[1]);
  if (cp.size() == 2) return b0 == 0xC2 && b1 >= 0x80 && b1 <= 0x9F;
  if (cp.size() == 3) {
    const auto b2 = static_cast<unsigned char>(cp[2]);
    return b0 == 0xE2 && b1 == 0x80 && (b2 == 0xA8 || b2 == 0xA9);
  }
  return false;
}

// Header text as it may be written: valid UTF-8, every run of control
// characters turned into one space (so "\r\nBcc: x" stays inside the value
// and can never start a field of its own), trimmed.
std::string clean_header_text(std::string_view utf8) {
  const std::string valid = sanitize_utf8(utf8);
  std::string out;
  out.reserve(valid.size());
  bool in_control_run = false;
  for (std::size_t i = 0; i < valid.size();) {
    const std::size_t len = std::min(utf8_sequence_length(static_cast<unsigned char>(valid[i])), valid.size() - i);
    const std::string_view cp(valid.data() + i, len);
    if (is_control_sequence(cp)) {
      if (!in_control_run) out.push_back(' ');
      in_control_run = true;
    } else {
      out.append(cp);
      in_control_run = false;
    }
    i += len;
  }
  const std::size_t first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  const std::size_t last = out.find_last_not_of(' ');
  return out.substr(first, last - first + 1);
}

// Splits text (without leading spaces) into segments that each start with
// their run of spaces: "a  b c" -> "a", "  b", " c". A fold goes before a
// segment, so the spaces become the continuation line's white space.
std::vector<std::string_view> space_segments(std::string_view text) {
  std::vector<std::string_view> segments;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && text[j] == ' ') ++j;
    while (j < text.size() && text[j] != ' ') ++j;
    segments.push_back(text.substr(i, j - i));
    i = j;
  }
  return segments;
}

// Folds plain ASCII text at its spaces: a line break is inserted before a
// space wherever the line would pass 78 columns. Unfolding gives back the
// text exactly. `first_column` is where the value starts ("Name: ").
std::string fold_plain(std::string_view text, std::size_t first_column, std::string_view line_end) {
  std::string out;
  std::size_t column = first_column;
  for (const std::string_view segment : space_segments(text)) {
    if (!out.empty() && column + segment.size() > kFoldWidth) {
      out.append(line_end);
      column = 0;
    }
    out.append(segment);
    column += segment.size();
  }
  return out;
}

// Plain folding is enough when the text is ASCII, has nothing a decoder
// would take for an encoded word, and every segment fits on a line.
bool fits_plain(std::string_view text, std::size_t first_column) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  if (text.find("=?") != std::string_view::npos) return false;
  bool first = true;
  for (const std::string_view segment : space_segments(text)) {
    const std::size_t column = first ? first_column : 0;
    if (column + segment.size() > kFoldWidth) return false;
    first = false;
  }
  return true;
}

// RFC 2047 5(3): the safest set of characters that may stand for themselves
// in a Q-encoded word, valid in any header context.
bool q_literal(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' || c == '*' ||
         c == '+' || c == '-' || c == '/';
}

constexpr std::string_view kHex = "0123456789ABCDEF";
constexpr std::string_view kBase64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::size_t q_cost(std::string_view bytes) noexcept {
  std::size_t cost = 0;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    cost += (q_literal(u) || u == ' ') ? 1 : 3;
  }
  return cost;
}

std::size_t base64_length(std::size_t bytes) noexcept { return (bytes + 2) / 3 * 4; }

void append_q(std::string& out, std::string_view bytes) {
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (q_literal(u)) {
      out.push_back(c);
    } else if (u == ' ') {
      out.push_back('_');
    } else {
      out.push_back('=');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0x0F]);
    }
  }
}

// Base64 without line breaks.
std::string base64(std::string_view bytes) {
  std::string out;
  out.reserve(base64_length(bytes.size()));
  out.resize(bytes.size() / 3 * 4);
  std::size_t i = 0;
  for (char* o = out.data(); i + 3 <= bytes.size(); i += 3, o += 4) {
    const std::uint32_t n = (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16) |
                            (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                            static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 2]));
    o[0] = kBase64Alphabet[(n >> 18) & 63];
    o[1] = kBase64Alphabet[(n >> 12) & 63];
    o[2] = kBase64Alphabet[(n >> 6) & 63];
    o[3] = kBase64Alphabet[n & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t n = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Encoded words for the whole text, each holding whole UTF-8 sequences only
// (RFC 2047 5: a word must not split a character). The first word is sized
// to fit after "Name: "; the others fit after the folding space.
std::vector<std::string> encoded_words(std::string_view text, std::size_t first_column) {
  const bool use_q = q_cost(text) <= base64_length(text.size());
  const std::size_t full_capacity = kMaxEncodedWord - kEncodedWordOverhead;
  // A very long field name would leave no room: then the first line gets a
  // small word and may pass 78 columns (never 998 for any sensible name).
  const std::size_t first_room = first_column + kEncodedWordOverhead + 12 <= kFoldWidth
                                     ? kFoldWidth - first_column - kEncodedWordOverhead
                                     : 12;
  std::size_t capacity = std::min(full_capacity, first_room);

  std::vector<std::string> words;
  std::size_t chunk_start = 0;
  std::size_t chunk_cost = 0;
  auto flush = [&](std::size_t end) {
    const std::string_view chunk = text.substr(chunk_start, end - chunk_start);
    std::string word = use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?";
    if (use_q) {
      append_q(word, chunk);
    } else {
      word += base64(chunk);
    }
    word += "?=";
    words.push_back(std::move(word));
    chunk_start = end;
    chunk_cost = 0;
    capacity = full_capacity;
  };
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t len = std::min(utf8_sequence_length(static_cast<unsigned char>(text[i])), text.size() - i);
    const std::size_t cost_after = use_q ? chunk_cost + q_cost(text.substr(i, len))
                                         : base64_length(i + len - chunk_start);
    if (cost_after > capacity && i > chunk_start) {
      flush(i);
      continue;  // re-measure this character against the fresh word
    }
    chunk_cost = use_q ? cost_after : 0;
    i += len;
  }
  if (chunk_start < text.size()) flush(text.size());
  return words;
}

// Joins encoded words: several per line while they fit, otherwise one per
// continuation line. White space between encoded words is dropped by
// decoders, so the spaces of the text live inside the words.
std::string join_words(const std::vector<std::string>& words, std::size_t first_column, std::string_view line_end) {
  std::string out;
  std::size_t column = first_column;
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::string& word = words[k];
    if (k == 0) {
      out += word;
      column += word.size();
    } else if (column + 1 + word.size() <= kFoldWidth) {
      out += ' ';
      out += word;
      column += 1 + word.size();
    } else {
      out.append(line_end);
      out += ' ';
      out += word;
      column = 1 + word.size();
    }
  }
  return out;
}

// ---- body encodings -------------------------------------------------------

// The renderer's text uses '\n'; a stray CR (or CRLF) is folded into that so
// that the body can be written with the message's own line ending only.
std::string normalize_newlines(std::string text) {
  if (text.find('\r') == std::string::npos) return text;  // the usual case: no copy
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// Bytes that a quoted-printable line may carry as they are: printable ASCII
// but '=' (RFC 2045 6.7 rule 2), and space and tab, which rule 3 allows
// everywhere except at the end of a line (the caller stops short of that).
constexpr std::array<bool, 256> kQpLiteral = [] {
  std::array<bool, 256> table{};
  for (int c = 33; c <= 126; ++c) table[static_cast<std::size_t>(c)] = c != '=';
  table[' '] = table['\t'] = true;
  return table;
}();

bool qp_literal(char c) noexcept { return kQpLiteral[static_cast<unsigned char>(c)]; }

// Whether all eight bytes at `p` are printable ASCII or space, none '=':
// bytes that quoted-printable writes as they are (a tab is left to the byte
// by byte path). Ordinary text is then read a word at a time, not a byte.
bool eight_qp_literals(const char* p) noexcept {
  const std::uint64_t x = word::load(p);
  return (word::bytes_below(x, 0x20) | word::bytes_above(x, 0x7E) | word::bytes_equal(x, '=')) == 0;
}


// The encoding of line[i] into `token`, where it starts an output line when
// `at_line_start`; returns its length. `literal_end`: where the bytes that
// may be written as they are stop (before a final space or tab).
std::size_t qp_token(std::string_view line, std::size_t i, std::size_t literal_end, bool at_line_start,
                     char (&token)[3]) {
  const auto c = static_cast<unsigned char>(line[i]);
  bool literal = i < literal_end && qp_literal(line[i]);
  if (at_line_start && (c == '.' || (c == 'F' && line.substr(i).starts_with("From ")) ||
                        (c == '-' && line.substr(i).starts_with("--")))) {
    literal = false;
  }
  if (literal) {
    token[0] = static_cast<char>(c);
    return 1;
  }
  token[0] = '=';
  token[1] = kHex[c >> 4];
  token[2] = kHex[c & 0x0F];
  return 3;
}

// One line of text (without its line break), encoded into `out` with soft
// breaks where it is longer than an output line. `outside_literals` counts
// its bytes that are no qp_literal().
void encode_qp_line(std::string& out, std::string_view line, std::string_view line_end,
                    std::size_t& outside_literals) {
  const bool ends_in_blank = !line.empty() && (line.back() == ' ' || line.back() == '\t');
  const std::size_t literal_end = line.size() - (ends_in_blank ? 1 : 0);
  std::size_t column = 0;
  char token[3];
  for (std::size_t i = 0; i < line.size();) {
    // Inside an output line, a run of bytes written as they are goes in at
    // once, as far as the line has room; read eight at a time while it lasts.
    if (column > 0) {
      const std::size_t limit = std::min(literal_end, i + (kBodyLineWidth - 1 - column));
      std::size_t run = i;
      while (run + 8 <= limit && eight_qp_literals(line.data() + run)) run += 8;
      while (run < limit && qp_literal(line[run])) ++run;
      if (run > i) {
        out.append(line.data() + i, run - i);
        column += run - i;
        i = run;
        continue;
      }
    }
    outside_literals += qp_literal(line[i]) ? 0 : 1;
    std::size_t length = qp_token(line, i, literal_end, column == 0, token);
    if (column + length > kBodyLineWidth - 1) {
      out += '=';
      out.append(line_end);
      column = 0;
      length = qp_token(line, i, literal_end, true, token);
    }
    out.append(token, length);
    column += length;
    ++i;
  }
}

// Quoted-printable (RFC 2045 6.7), lines at most 76 characters including the
// soft-break '='. At the start of an output line "From " is written as
// "=46rom " (mbox readers would otherwise quote it) and "--" as "=2D-", so
// that no line of the new part can ever look like a boundary delimiter of
// this message, whatever its boundaries are.
// Nullopt as soon as more than `max_outside_literals` bytes are no
// qp_literal() (line breaks aside): the text is then written in base64.
std::optional<std::string> encode_quoted_printable(std::string_view text, std::string_view line_end,
                                                   std::size_t max_outside_literals) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t line_start = 0;
  std::size_t outside_literals = 0;
  for (;;) {
    const std::size_t nl = text.find('\n', line_start);
    encode_qp_line(out, text.substr(line_start, nl == std::string_view::npos ? std::string_view::npos : nl - line_start),
                   line_end, outside_literals);
    if (outside_literals > max_outside_literals) return std::nullopt;
    if (nl == std::string_view::npos) break;
    out.append(line_end);
    line_start = nl + 1;
  }
  return out;
}

std::string encode_base64_lines(std::string_view bytes, std::string_view line_end) {
  const std::string flat = base64(bytes);
  std::string out;
  out.reserve(flat.size() + flat.size() / kBodyLineWidth * line_end.size() + line_end.size());
  for (std::size_t i = 0; i < flat.size(); i += kBodyLineWidth) {
    if (i > 0) out.append(line_end);
    out.append(flat, i, kBodyLineWidth);
  }
  return out;
}

struct EncodedBody {
  std::string_view transfer_encoding;
  std::string text;  // without a final line break: the delimiter brings one
};

// The text of a new part as it is written and read back: valid UTF-8 with
// '\n' line breaks.
std::string part_text(std::string_view utf8) { return normalize_newlines(sanitize_utf8(utf8)); }

// Whichever of quoted-printable and base64 is smaller: QP for mostly Latin
// text (readable in the raw message), base64 for CJK and the like.
EncodedBody encode_body(const std::string& text, std::string_view line_end) {
  // The sizes compared, without line breaks: quoted-printable writes three
  // bytes for every byte outside printable ASCII (and '='), base64 four for
  // every three. Quoted-printable wins ties, so it is written while it
  // stays within size + 2 * escaped <= base64 size; the encoder counts the
  // escaped bytes as it goes and gives up past that, which for Latin text
  // (nearly every notice) spares a pass to count them first.
  const std::size_t base64_size = (text.size() + 2) / 3 * 4;
  const std::size_t max_escaped = (base64_size - text.size()) / 2;
  if (auto quoted = encode_quoted_printable(text, line_end, max_escaped)) return {"quoted-printable", std::move(*quoted)};
  return {"base64", encode_base64_lines(text, line_end)};
}

bool identity_encoding(std::string_view cte) noexcept {
  return cte == "7bit" || cte == "8bit" || cte == "binary";
}

// "=_clearbounce_" + 24 random letters and digits. "=_" cannot occur in
// quoted-printable or base64 output, so the new part's own bodies never
// contain it; the original message is checked explicitly, and so are the
// enclosing boundaries (neither may be a prefix of the other, which some
// parsers would match).
std::optional<std::string> fresh_boundary(std::string_view original, const std::vector<std::string_view>& enclosing) {
  // One generator per thread, seeded from one process-wide seed: opening
  // the entropy source costs more than the rest of a rewrite, and libmilter
  // runs each connection in a new thread.
  static const std::uint64_t process_seed = [] {
    std::uint64_t seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    try {
      std::random_device device;
      seed ^= (static_cast<std::uint64_t>(device()) << 32) | device();
    } catch (const std::exception&) {
      // No entropy source: the clock alone still gives a boundary that is
      // then checked against the message like any other.
    }
    return seed;
  }();
  static std::atomic<std::uint64_t> threads_seeded{0};
  thread_local std::mt19937_64 generator(process_seed + 0x9E3779B97F4A7C15ull * ++threads_seeded);
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr std::string_view kPrefix = "=_clearbounce_";
  constexpr std::size_t kLength = kPrefix.size() + 24;
  for (int attempt = 0; attempt < 16; ++attempt) {
    std::string boundary(kPrefix);
    // Six bits a letter, ten letters from each draw; the two values beyond
    // the alphabet are skipped, so that every letter stays equally likely.
    while (boundary.size() < kLength) {
      std::uint64_t bits = generator();
      for (int k = 0; k < 10 && boundary.size() < kLength; ++k, bits >>= 6)
        if ((bits & 63) < kAlphabet.size()) boundary.push_back(kAlphabet[bits & 63]);
    }
    bool clash = original.find(boundary) != std::string_view::npos;
    for (const std::string_view other : enclosing) {
      if (boundary.starts_with(other) || other.starts_with(boundary)) clash = true;
    }
    if (!clash) return boundary;
  }
  return std::nullopt;
}

// The replacement for the report's first part. No final line break: the line
// break before the next delimiter belongs to that delimiter.
std::string build_notification_part(const NotificationTexts& texts, std::string_view boundary,
                                    std::string_view line_end) {
  const EncodedBody plain = encode_body(texts.text_plain, line_end);
  const EncodedBody html = encode_body(texts.html, line_end);
  std::string out;
  // The two bodies and a few hundred bytes of headers and delimiters, made
  // in one buffer.
  out.reserve(plain.text.size() + html.text.size() + 400);
  auto line = [&](std::initializer_list<std::string_view> pieces) {
    for (const std::string_view piece : pieces) out.append(piece);
    out.append(line_end);
  };
  line({"Content-Type: multipart/alternative;"});
  line({" boundary=\"", boundary, "\""});
  line({"Content-Description: Notification"});
  line({});
  auto alternative = [&](std::string_view media_type, const EncodedBody& body) {
    line({"--", boundary});
    line({"Content-Type: ", media_type, "; charset=utf-8"});
    line({"Content-Transfer-Encoding: ", body.transfer_encoding});
    line({});
    line({body.text});
  };
  alternative("text/plain", plain);
  alternative("text/html", html);
  out.append("--");
  out.append(boundary);
  out.append("--");
  return out;
}

std::optional<std::string> check_x_clearbounce(std::string_view value) {
  if (value.empty()) return "the X-Clearbounce value is empty";
  if (value.size() > kMaxXClearbounce) return "the X-Clearbounce value is too long";
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) return "the X-Clearbounce value contains control or non-ASCII characters";
  }
  if (value.front() == ' ' || value.back() == ' ') return "the X-Clearbounce value has leading or trailing spaces";
  return std::nullopt;
}

RewriteOutcome refuse(std::string reason) {
  RewriteOutcome outcome;
  outcome.reason = std::move(reason);
  return outcome;
}

// Where the new bytes go, as offsets into the original message.
struct SplicePoints {
  std::size_t header_section_end = 0;       // after the last header line
  std::size_t body_start = 0;               // after the blank line
  std::size_t first_start = 0;              // the report's first part, replaced
  std::size_t first_end = 0;
  std::vector<std::string_view> enclosing;  // boundaries the new part's own must differ from
  // The returned message, replaced by its header section when asked; both 0
  // when it stays as it is.
  std::size_t returned_start = 0;
  std::size_t returned_end = 0;
  std::string returned_part;
};

// Why the message as a whole cannot be rewritten, or nullopt; fills in
// where its header section and body are.
std::optional<std::string> message_refusal(std::string_view original, const MimeMessage& parsed,
                                           const ReportLayout& layout, const RewriteRequest& request,
                                           SplicePoints& at) {
  const MimePart& root = parsed.root;
  if (root.raw.data() != original.data() || root.raw.size() != original.size() || layout.root != &root) {
    return "the parsed message does not belong to the given bytes";
  }
  if (const auto problem = check_x_clearbounce(request.x_clearbounce)) return problem;
  if (layout.has_marker_field) return "the message already carries an X-Clearbounce header";
  for (const std::string& warning : parsed.warnings) {
    // Fields past the parser's limit are invisible to it; editing headers it
    // cannot see could duplicate Subject.
    if (warning.find("header fields in a part") != std::string::npos) {
      return "the message has too many header fields to rewrite safely";
    }
  }
  const auto header_start = offset_in(original, root.header_block);
  const auto body_start = offset_in(original, root.body);
  if (!header_start || !body_start) return "the parsed message does not belong to the given bytes";
  at.header_section_end = *header_start + root.header_block.size();
  at.body_start = *body_start;
  if (root.header_block.empty() || root.header_block.back() != '\n' || at.body_start <= at.header_section_end) {
    return "the header section does not end with a blank line";
  }
  return std::nullopt;
}

// Why the layout's report cannot be rewritten, or nullopt; fills in where
// its first part is and the boundaries around it.
std::optional<std::string> report_refusal(std::string_view original, const ReportLayout& layout, SplicePoints& at) {
  const MimePart* report = layout.report;
  if (report == nullptr) return "the message has no multipart/report part";
  const std::string_view report_type = report->content_type.param("report-type");
  if (!iequals(report_type, "delivery-status") && !iequals(report_type, "global-delivery-status")) {
    return "the report-type is \"" + std::string(report_type.substr(0, 60)) +
           "\", not delivery-status or global-delivery-status";
  }
  std::vector<const MimePart*> multiparts = layout.report_ancestors;
  multiparts.push_back(report);
  for (const MimePart* multipart : multiparts) {
    if (!identity_encoding(multipart->transfer_encoding)) {
      return "a multipart has Content-Transfer-Encoding " + multipart->transfer_encoding;
    }
    at.enclosing.push_back(multipart->content_type.param("boundary"));
  }
  if (report->children.empty()) return "the multipart/report boundary was never found";
  if (report->children.size() < 2) return "the multipart/report has fewer than two parts";
  const MimePart& first = report->children.front();
  const auto first_start = offset_in(original, first.raw);
  if (!first_start || *first_start < at.body_start) return "the report's first part lies outside the body";
  at.first_start = *first_start;
  at.first_end = *first_start + first.raw.size();
  return std::nullopt;
}

// The returned message's part as its header section alone: the part's own
// type becomes the headers' type, and the encapsulated message's header
// lines follow as they were. nullopt when that cannot be done safely.
std::optional<std::string> headers_only_part(std::string_view original, const ReportLayout& layout,
                                             std::string_view line_end, SplicePoints& at) {
  if (!can_return_headers_only(layout)) return std::nullopt;
  const MimePart& returned = *layout.returned;
  const auto start = offset_in(original, returned.raw);
  if (!start || *start < at.first_end) return std::nullopt;
  const std::string_view headers = returned.children.front().header_block;
  const bool global = iequals(returned.media_type(), "message/global");
  std::string part = "Content-Type: ";
  part += global ? "message/global-headers" : "text/rfc822-headers";
  part += line_end;
  if (std::any_of(headers.begin(), headers.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    part += "Content-Transfer-Encoding: 8bit";
    part += line_end;
  }
  part += line_end;
  part += headers;
  at.returned_start = *start;
  at.returned_end = *start + returned.raw.size();
  return part;
}

// The new body: bytes before the first part, the new part, bytes up to the
// returned message, its header section or itself, and the rest.
std::string spliced_body(std::string_view original, const SplicePoints& at, std::string part,
                         std::string_view line_end) {
  const bool headers_only = at.returned_end > at.returned_start;
  const std::size_t middle_end = headers_only ? at.returned_start : original.size();
  const std::string_view after = original.substr(at.first_end, middle_end - at.first_end);
  // A first part with no bytes at all is directly followed by the next
  // delimiter; the new part then needs its own line break before it.
  if (!after.starts_with("\n") && !after.starts_with("\r\n")) part.append(line_end);
  std::string body;
  body.reserve(original.size() - at.body_start + part.size());
  body.append(original.substr(at.body_start, at.first_start - at.body_start));
  body.append(part);
  body.append(after);
  if (headers_only) {
    body.append(at.returned_part);
    body.append(original.substr(at.returned_end));
  }
  return body;
}

// A value already made by clean_header_text(), encoded and folded as
// encode_header_value() does.
std::string encode_clean_header_value(std::string_view name, std::string_view text, std::string_view line_end) {
  const std::size_t first_column = name.size() + 2;  // "Name: "
  if (fits_plain(text, first_column)) return fold_plain(text, first_column, line_end);
  return join_words(encoded_words(text, first_column), first_column, line_end);
}

// The whole new message into result.message: the original header section
// with the first Subject field's bytes replaced and X-Clearbounce appended
// at its end, then result.body. False when the Subject field lies outside
// the header section.
bool write_message(std::string_view original, const MimePart& root, const SplicePoints& at,
                   std::string_view subject_field, std::string_view line_end, Rewritten& result) {
  const std::string& x_value = result.headers.back().value;
  std::string& message = result.message;
  message.reserve(at.body_start + result.body.size() + subject_field.size() + x_value.size() + 64);
  std::size_t copied = 0;
  if (const auto subject = std::find_if(root.headers.begin(), root.headers.end(),
                                        [](const HeaderField& f) { return iequals(f.name, "Subject"); });
      subject != root.headers.end()) {
    const auto start = offset_in(original, subject->name);
    const auto value_start = offset_in(original, subject->raw_value);
    if (!start || !value_start || *value_start + subject->raw_value.size() > at.header_section_end) return false;
    message.append(original.substr(0, *start));
    message.append(subject_field);
    copied = *value_start + subject->raw_value.size();
  } else {
    message.append(original.substr(0, at.header_section_end));
    message.append(subject_field);
    message.append(line_end);
    copied = at.header_section_end;
  }
  message.append(original.substr(copied, at.header_section_end - copied));
  message.append("X-Clearbounce: ");
  message.append(x_value);
  message.append(line_end);
  message.append(original.substr(at.header_section_end, at.body_start - at.header_section_end));
  message.append(result.body);
  return true;
}

RewriteOutcome rewrite_unchecked(std::string_view original, const MimeMessage& parsed, const ReportLayout& layout,
                                 const RewriteRequest& request) {
  SplicePoints at;
  if (auto problem = message_refusal(original, parsed, layout, request, at)) return refuse(std::move(*problem));
  if (auto problem = report_refusal(original, layout, at)) return refuse(std::move(*problem));
  const std::string_view line_end = detect_line_end(parsed.root.header_block);
  const auto boundary = fresh_boundary(original, at.enclosing);
  if (!boundary) return refuse("no fresh MIME boundary could be found");

  Rewritten result;
  result.notification = {clean_header_text(request.subject), part_text(request.text_plain), part_text(request.html)};
  // The subject is clean already: not cleaned a second time.
  const std::string subject_value = encode_clean_header_value("Subject", result.notification.subject, line_end);
  const std::string x_value = fold_plain(request.x_clearbounce, std::string_view("X-Clearbounce: ").size(), line_end);
  result.headers.push_back(HeaderEdit{"Subject", subject_value});
  result.headers.push_back(HeaderEdit{"X-Clearbounce", x_value});  // last: write_message reads it there
  const std::string subject_field = subject_value.empty() ? "Subject:" : "Subject: " + subject_value;
  if (request.returned_headers_only)
    if (auto part = headers_only_part(original, layout, line_end, at)) at.returned_part = std::move(*part);
  result.body = spliced_body(original, at, build_notification_part(result.notification, *boundary, line_end), line_end);
  if (!write_message(original, parsed.root, at, subject_field, line_end, result))
    return refuse("the Subject field lies outside the header section");

  RewriteOutcome outcome;
  outcome.rewritten = std::move(result);
  return outcome;
}

}  // namespace

std::string encode_header_value(std::string_view name, std::string_view utf8_value, std::string_view line_end) {
  return encode_clean_header_value(name, clean_header_text(utf8_value), line_end);
}

bool can_return_headers_only(const ReportLayout& layout) {
  const MimePart* returned = layout.returned;
  if (returned == nullptr || layout.report == nullptr || returned->children.empty()) return false;
  if (std::find_if(layout.report->children.begin(), layout.report->children.end(),
                   [&](const MimePart& part) { return &part == returned; }) == layout.report->children.end())
    return false;
  const auto& types = media_types::returned_message;
  if (std::find(types.begin(), types.end(), returned->media_type()) == types.end()) return false;
  // Its header lines are copied as they are: they must be there as written.
  return identity_encoding(returned->transfer_encoding) && !returned->children.front().header_block.empty();
}

RewriteOutcome rewrite_report(std::string_view original, const MimeMessage& parsed, const RewriteRequest& request) {
  return rewrite_unchecked(original, parsed, layout_of(parsed.root), request);
}

RewriteOutcome rewrite_report(std::string_view original, const MimeMessage& parsed, const ReportLayout& layout,
                              const RewriteRequest& request) {
  return rewrite_unchecked(original, parsed, layout, request);
}

}  // namespace clearbounce::dsn
