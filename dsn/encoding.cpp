#include "dsn/encoding.hpp"

#include <iconv.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

namespace clearbounce::dsn {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

using detail::ascii_lower;
using detail::iequals;
using detail::is_space;
using detail::is_wsp;
using detail::trim;

constexpr int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// ---------------------------------------------------------------------------
// UTF-8 validation

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid. Follows
// the Unicode table of well-formed byte sequences (no overlongs, no
// surrogates, nothing above U+10FFFF). `*consumed` receives the length of the
// maximal ill-formed subpart so that each one becomes a single U+FFFD, as
// Unicode recommends.
std::size_t utf8_sequence(std::string_view s, std::size_t i, std::size_t* consumed) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (b0 < 0x80) {
    return 1;
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
  } else {
    *consumed = 1;
    return 0;
  }
  std::size_t k = 1;
  for (; k < len; ++k) {
    if (i + k >= s.size()) break;
    const auto b = static_cast<unsigned char>(s[i + k]);
    const unsigned char min = (k == 1) ? lo : 0x80;
    const unsigned char max = (k == 1) ? hi : 0xBF;
    if (b < min || b > max) break;
  }
  if (k == len) return len;
  *consumed = k;
  return 0;
}


// Index of the first byte at or after `i` that is not ASCII, or s.size().
// Thirty-two bytes at a time, then eight: mail text is mostly ASCII.
std::size_t ascii_run_end(std::string_view s, std::size_t i) noexcept {
  for (; i + 32 <= s.size(); i += 32) {
    std::array<std::uint64_t, 4> words;
    std::memcpy(words.data(), s.data() + i, sizeof words);
    if (word::non_ascii_bytes(words[0] | words[1] | words[2] | words[3]) != 0) break;
  }
  for (; i + 8 <= s.size(); i += 8) {
    if (word::non_ascii_bytes(word::load(s.data() + i)) != 0) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  return i;
}

void append_sanitized(std::string& out, std::string_view bytes) {
  // Valid stretches are appended whole, when an invalid sequence or the end
  // is reached: most texts are valid and cost one append.
  std::size_t valid_start = 0;
  std::size_t i = 0;
  while ((i = ascii_run_end(bytes, i)) < bytes.size()) {
    std::size_t bad = 0;
    // Text in other scripts has its sequences back to back: the next one is
    // read before the ASCII scan is entered again.
    std::size_t len = 0;
    while ((len = utf8_sequence(bytes, i, &bad)) > 0) {
      i += len;
      if (i == bytes.size() || static_cast<unsigned char>(bytes[i]) < 0x80) break;
    }
    if (len > 0) continue;
    out.append(bytes.substr(valid_start, i - valid_start));
    out.append(kReplacement);
    i += bad;
    valid_start = i;
  }
  out.append(bytes.substr(valid_start));
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  std::size_t i = 0;
  while ((i = ascii_run_end(bytes, i)) < bytes.size()) {
    // As in append_sanitized(): sequences back to back are read in a row.
    do {
      std::size_t bad = 0;
      const std::size_t len = utf8_sequence(bytes, i, &bad);
      if (len == 0) return false;
      i += len;
    } while (i < bytes.size() && static_cast<unsigned char>(bytes[i]) >= 0x80);
  }
  return true;
}

// ---------------------------------------------------------------------------
// Charset names

// What a charset label means once its spelling is normalised.
enum class CharsetClass {
  utf8,        // validated, never converted
  ascii_safe,  // ASCII bytes mean ASCII: pure-ASCII input needs no iconv
  other,       // anything else iconv may know (UTF-16, UTF-7, EBCDIC, ...)
  invalid,     // not a plausible charset name
};

struct Charset {
  std::string iconv_name;
  CharsetClass kind = CharsetClass::invalid;
};

// Mail labels that iconv does not know, or where a superset decodes what
// mailers actually send (the WHATWG Encoding Standard makes the same choices).
struct Alias {
  std::string_view label;
  std::string_view iconv_name;
};
constexpr std::array<Alias, 34> kAliases{{
    {"us-ascii", "UTF-8"},
    {"ascii", "UTF-8"},
    {"ansi_x3.4-1968", "UTF-8"},
    {"iso646-us", "UTF-8"},
    {"us", "UTF-8"},
    {"utf-8", "UTF-8"},
    {"utf8", "UTF-8"},
    {"unicode-1-1-utf-8", "UTF-8"},
    // Labels that admit they do not know: UTF-8 is the best guess today.
    {"unknown-8bit", "UTF-8"},
    {"x-unknown", "UTF-8"},
    {"unknown", "UTF-8"},
    {"default", "UTF-8"},
    // Latin-1 labels mean windows-1252 in practice: C1 controls are never
    // intended, curly quotes and the euro sign are.
    {"iso-8859-1", "CP1252"},
    {"iso8859-1", "CP1252"},
    {"iso_8859-1", "CP1252"},
    {"latin1", "CP1252"},
    {"l1", "CP1252"},
    {"windows-1252", "CP1252"},
    {"x-cp1252", "CP1252"},
    {"cp1252", "CP1252"},
    {"x-sjis", "CP932"},
    {"shift_jis", "CP932"},
    {"shift-jis", "CP932"},
    {"sjis", "CP932"},
    {"ms_kanji", "CP932"},
    {"windows-31j", "CP932"},
    {"ks_c_5601-1987", "CP949"},
    {"ks_c_5601", "CP949"},
    {"euc-kr", "CP949"},
    {"gb2312", "GB18030"},
    {"gbk", "GB18030"},
    {"x-gbk", "GB18030"},
    {"iso-2022-jp", "ISO-2022-JP-2"},
    {"iso-8859-8-i", "ISO-8859-8"},
}};

// Prefixes of charsets whose ASCII range is plain ASCII.
// (Not "cp8..": cp875 is EBCDIC.)
constexpr std::array<std::string_view, 16> kAsciiSafePrefixes{{
    "iso-8859", "iso8859", "windows-", "cp125", "cp9", "koi8", "gb", "big5", "euc", "shift", "sjis",
    "ks_c", "iso-2022", "tis-620", "latin", "mac",
}};

Charset classify_charset(std::string_view label) {
  // Most text is labelled one of these two, as they stand: they need no
  // copy in lower case and no look through the aliases.
  if (iequals(label, "us-ascii") || iequals(label, "utf-8")) return Charset{"UTF-8", CharsetClass::utf8};
  label = trim(label);
  if (label.size() >= 2 && label.front() == '"' && label.back() == '"') {
    label = trim(label.substr(1, label.size() - 2));
  }
  // RFC 2231 / RFC 2184 language suffix: "utf-8*en".
  if (const auto star = label.find('*'); star != std::string_view::npos) label = label.substr(0, star);
  Charset cs;
  if (label.empty()) {
    cs.iconv_name = "UTF-8";
    cs.kind = CharsetClass::utf8;
    return cs;
  }
  // Only names made of these characters reach iconv_open: iconv interprets
  // "//" suffixes and we do not want arbitrary bytes in a module lookup.
  if (label.size() > 40) return cs;
  for (char c : label) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.' || c == ':' || c == '+';
    if (!ok) return cs;
  }
  std::string lower = detail::to_lower(label);
  for (const Alias& a : kAliases) {
    if (lower == a.label) {
      cs.iconv_name = a.iconv_name;
      break;
    }
  }
  if (cs.iconv_name.empty()) cs.iconv_name = lower;
  if (cs.iconv_name == "UTF-8") {
    cs.kind = CharsetClass::utf8;
    return cs;
  }
  cs.kind = CharsetClass::other;
  for (std::string_view prefix : kAsciiSafePrefixes) {
    if (lower.starts_with(prefix)) {
      cs.kind = CharsetClass::ascii_safe;
      break;
    }
  }
  return cs;
}

// ---------------------------------------------------------------------------
// iconv

// Owns one iconv conversion descriptor.
class Iconv {
 public:
  explicit Iconv(const std::string& from) noexcept : cd_(iconv_open("UTF-8", from.c_str())) {}
  ~Iconv() {
    if (valid()) iconv_close(cd_);
  }
  Iconv(const Iconv&) = delete;
  Iconv& operator=(const Iconv&) = delete;

  bool valid() const noexcept { return cd_ != reinterpret_cast<iconv_t>(-1); }

  // Converts `in` to UTF-8, appending to `out`; undecodable bytes become
  // U+FFFD and conversion resumes after them.
  void convert(std::string_view in, std::string& out) {
    reset();
    if (convert_more(in, out)) flush(out);
  }

  // Back to the initial shift state.
  void reset() noexcept { iconv(cd_, nullptr, nullptr, nullptr, nullptr); }

  // Converts `in` from the state the decoder is in, appending to `out`.
  // Returns false when it gave up on the rest of `in` (the input ends inside
  // a sequence, or iconv failed otherwise): then nothing more is converted.
  bool convert_more(std::string_view in, std::string& out) {
    // iconv's prototype takes char** for input it never writes to.
    char* src = const_cast<char*>(in.data());
    std::size_t src_left = in.size();
    std::array<char, 4096> buffer;  // not cleared: iconv writes what is read back
    for (;;) {
      char* dst = buffer.data();
      std::size_t dst_left = buffer.size();
      const std::size_t rc = iconv(cd_, &src, &src_left, &dst, &dst_left);
      const int err = errno;
      out.append(buffer.data(), static_cast<std::size_t>(dst - buffer.data()));
      if (rc != static_cast<std::size_t>(-1)) return true;
      if (err == E2BIG) continue;
      if (err == EILSEQ && src_left > 0) {
        out.append(kReplacement);
        ++src;
        --src_left;
        // A stateful decoder may be mid-sequence; resume from a clean state.
        reset();
        // Mislabelled text (8-bit bytes under a 7-bit label) fails a byte at
        // a time: a byte the clean decoder refuses on its own is replaced
        // here, as the next call would, without making that call.
        while (src_left > 0 && refuses_alone(static_cast<unsigned char>(*src))) {
          out.append(kReplacement);
          ++src;
          --src_left;
        }
        continue;
      }
      // EINVAL: the input ends inside a sequence. Anything else: give up on
      // the rest rather than loop.
      if (src_left > 0) out.append(kReplacement);
      return false;
    }
  }

  // Emits whatever a stateful decoder still holds.
  void flush(std::string& out) {
    std::array<char, 4096> buffer;
    for (;;) {
      char* dst = buffer.data();
      std::size_t dst_left = buffer.size();
      const std::size_t rc = iconv(cd_, nullptr, nullptr, &dst, &dst_left);
      const int err = errno;
      out.append(buffer.data(), static_cast<std::size_t>(dst - buffer.data()));
      if (rc != static_cast<std::size_t>(-1) || err != E2BIG) return;
    }
  }

 private:
  // True when the decoder, in its initial state, rejects `byte` as an
  // invalid sequence by itself (EILSEQ, not EINVAL for a sequence cut
  // short): then it rejects it whatever follows, having read nothing else.
  // Asked of iconv once per byte value; leaves the decoder in its initial state.
  bool refuses_alone(unsigned char byte) {
    if (lone_byte_[byte] == LoneByte::unknown) {
      char in = static_cast<char>(byte);
      char* src = &in;
      std::size_t src_left = 1;
      std::array<char, 16> buffer;
      char* dst = buffer.data();
      std::size_t dst_left = buffer.size();
      const std::size_t rc = iconv(cd_, &src, &src_left, &dst, &dst_left);
      const bool refused = rc == static_cast<std::size_t>(-1) && errno == EILSEQ && src_left == 1;
      iconv(cd_, nullptr, nullptr, nullptr, nullptr);
      lone_byte_[byte] = refused ? LoneByte::refused : LoneByte::accepted;
    }
    return lone_byte_[byte] == LoneByte::refused;
  }

  enum class LoneByte : unsigned char { unknown, refused, accepted };
  iconv_t cd_;
  std::array<LoneByte, 256> lone_byte_{};
};

// iconv_open is slow (it reads gconv configuration and may dlopen a module),
// so each thread keeps the descriptors it has opened. iconv_t is not
// thread-safe, which a thread-local cache also takes care of. Failed opens are
// cached too so that a message repeating a bogus charset costs one lookup.
class IconvCache {
 public:
  Iconv* get(const std::string& name) {
    for (auto& [key, conv] : entries_) {
      if (key == name) return conv->valid() ? conv.get() : nullptr;
    }
    if (entries_.size() >= kMaxEntries) entries_.erase(entries_.begin());
    entries_.emplace_back(name, std::make_unique<Iconv>(name));
    Iconv* conv = entries_.back().second.get();
    return conv->valid() ? conv : nullptr;
  }

 private:
  static constexpr std::size_t kMaxEntries = 24;
  std::vector<std::pair<std::string, std::unique_ptr<Iconv>>> entries_;
};

Iconv* iconv_for(const std::string& name) {
  thread_local IconvCache cache;
  return cache.get(name);
}

// Used when the charset is unknown: ASCII survives, every other byte is lost.
void append_ascii_or_replacement(std::string& out, std::string_view bytes) {
  for (char c : bytes) {
    if (static_cast<unsigned char>(c) < 0x80) {
      out.push_back(c);
    } else {
      out.append(kReplacement);
    }
  }
}

// ESC, SO and SI switch ISO-2022 decoders; every other byte below 0x80
// means itself in every ASCII-safe charset.
constexpr bool is_plain_ascii(unsigned char c) noexcept { return c < 0x80 && c != 0x1B && c != 0x0E && c != 0x0F; }

// Index of the first byte at or after `i` that is not is_plain_ascii(), or
// s.size(). A word whose bytes are all 0x20 to 0x7F is told apart with a
// few operations; only words with a control byte (line ends, mostly) or an
// 8-bit one are read a byte at a time.
std::size_t plain_ascii_end(std::string_view s, std::size_t i) noexcept {
  for (; i + 8 <= s.size(); i += 8) {
    const std::uint64_t x = word::load(s.data() + i);
    if ((word::bytes_below(x, 0x20) | word::non_ascii_bytes(x)) == 0) continue;  // 0x20 to 0x7F only
    for (std::size_t k = 0; k < 8; ++k)
      if (!is_plain_ascii(static_cast<unsigned char>(s[i + k]))) return i + k;
  }
  while (i < s.size() && is_plain_ascii(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

bool is_plain_ascii_text(std::string_view s) noexcept { return plain_ascii_end(s, 0) == s.size(); }

// ISO-2022-JP mail is mostly ASCII: after "ESC ( B" the decoder is in its
// initial state again, and ASCII bytes up to the next escape (or SO, SI, an
// 8-bit byte) convert to themselves and leave it so. Such runs are copied
// instead of going through iconv a character at a time; the stretches
// between them are converted as they would be in one call, errors and all.
// Not when "ESC ." designates a G2 set, which "ESC ( B" does not undo.
void convert_iso2022jp(Iconv& conv, std::string_view in, std::string& out) {
  constexpr std::string_view kBackToAscii = "\x1b(B";
  constexpr std::size_t kShortestRun = 16;  // a shorter one saves less than an iconv call costs
  if (in.find("\x1b.") != std::string_view::npos) {
    conv.convert(in, out);
    return;
  }
  conv.reset();
  std::size_t done = 0;  // converted or copied up to here
  std::size_t run = 0;   // where an ASCII run may start: the text starts in ASCII
  while (run != std::string_view::npos) {
    const std::size_t run_end = plain_ascii_end(in, run);
    if (run_end - run >= kShortestRun) {
      if (run > done && !conv.convert_more(in.substr(done, run - done), out)) return;
      out.append(in.substr(run, run_end - run));
      done = run_end;
    }
    run = in.find(kBackToAscii, run_end);
    if (run != std::string_view::npos) run += kBackToAscii.size();
  }
  if (conv.convert_more(in.substr(done), out)) conv.flush(out);
}

// True when `bytes` in `cs` are already the UTF-8 that converting them would give.
bool already_utf8(std::string_view bytes, const Charset& cs) noexcept {
  return (cs.kind == CharsetClass::utf8 && is_valid_utf8(bytes)) ||
         (cs.kind == CharsetClass::ascii_safe && is_plain_ascii_text(bytes));
}

void append_utf8(std::string& out, std::string_view bytes, const Charset& cs) {
  switch (cs.kind) {
    case CharsetClass::utf8:
      append_sanitized(out, bytes);
      return;
    case CharsetClass::invalid:
      append_ascii_or_replacement(out, bytes);
      return;
    case CharsetClass::ascii_safe:
      if (is_plain_ascii_text(bytes)) {
        out.append(bytes);
        return;
      }
      break;
    case CharsetClass::other:
      break;
  }
  Iconv* conv = iconv_for(cs.iconv_name);
  if (conv == nullptr) {
    append_ascii_or_replacement(out, bytes);
    return;
  }
  const std::size_t start = out.size();
  if (iequals(cs.iconv_name, "ISO-2022-JP-2")) {
    convert_iso2022jp(*conv, bytes, out);
  } else {
    conv->convert(bytes, out);
  }
  // Trust but verify: a decoder that lets a surrogate or similar through
  // must not break the "always UTF-8" promise.
  if (!is_valid_utf8(std::string_view(out).substr(start))) {
    const std::string converted = out.substr(start);
    out.resize(start);
    append_sanitized(out, converted);
  }
}

void append_utf8(std::string& out, std::string_view bytes, std::string_view charset) {
  append_utf8(out, bytes, classify_charset(charset));
}

// ---------------------------------------------------------------------------
// Quoted-printable

// Decodes the '=' at in[i] onto `out`; returns where decoding resumes.
std::size_t decode_qp_equals(std::string_view in, std::size_t i, std::string& out) {
  // Soft line break: '=' then optional transport padding then a line end.
  std::size_t j = i + 1;
  while (j < in.size() && is_wsp(in[j])) ++j;
  if (j == in.size()) return j;  // '=' at the very end: a soft break with nothing after
  if (in[j] == '\n') return j + 1;
  if (in[j] == '\r') return (j + 1 < in.size() && in[j + 1] == '\n') ? j + 2 : j + 1;
  if (i + 2 < in.size() && hex_value(in[i + 1]) >= 0 && hex_value(in[i + 2]) >= 0) {
    out.push_back(static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2])));
    return i + 3;
  }
  out.push_back('=');  // invalid escape: keep it literally
  return i + 1;
}

// Decodes the line that starts at in[start] and whose '\n' (or the end of
// the input) is at in[newline]; returns where the next line starts. Text runs
// between '=' are found with memchr and appended whole. Only white space just
// before the line break (CRLF or LF) or the end of the input is dropped: it
// was added in transport (RFC 2045 6.7 rule 3). Before a bare CR it is text.
std::size_t decode_qp_line(std::string_view in, std::size_t start, std::size_t newline, std::string& out) {
  const std::size_t next = newline < in.size() ? newline + 1 : in.size();
  const std::size_t content_end = (newline < in.size() && newline > start && in[newline - 1] == '\r') ? newline - 1
                                                                                                     : newline;
  std::size_t i = start;
  while (i < content_end) {
    if (in[i] == '=') {
      i = decode_qp_equals(in, i, out);
      if (i > content_end) return i;  // a soft line break took the line end with it
      continue;
    }
    const void* eq = std::memchr(in.data() + i, '=', content_end - i);
    if (eq != nullptr) {
      const auto run_end = static_cast<std::size_t>(static_cast<const char*>(eq) - in.data());
      out.append(in.data() + i, run_end - i);
      i = run_end;
      continue;
    }
    // The rest of the line is text; the run began after an '=' or at the
    // line start, so its trailing white space is all that ends the line.
    std::size_t kept_end = content_end;
    while (kept_end > i && is_wsp(in[kept_end - 1])) --kept_end;
    out.append(in.data() + i, kept_end - i);
    break;
  }
  out.append(in.data() + content_end, next - content_end);
  return next;
}

// ---------------------------------------------------------------------------
// RFC 2047

std::string decode_q_word(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_') {
      out.push_back(' ');
    } else if (c == '=' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

struct EncodedWord {
  std::size_t end = 0;  // one past "?="
  std::string_view charset;
  std::string bytes;  // decoded, still in `charset`
};

bool is_charset_char(char c) noexcept {
  return c > 0x20 && c < 0x7F && c != '?' && c != '=' && c != '"' && c != '(' && c != ')';
}

// Parses "=?charset?X?text?=" starting at s[pos] (which is "=?").
bool parse_encoded_word(std::string_view s, std::size_t pos, EncodedWord& word) {
  std::size_t i = pos + 2;
  const std::size_t cs_start = i;
  while (i < s.size() && is_charset_char(s[i]) && i - cs_start < 64) ++i;
  if (i == cs_start || i + 3 > s.size() || s[i] != '?') return false;
  std::string_view charset = s.substr(cs_start, i - cs_start);
  const char enc = ascii_lower(s[i + 1]);
  if ((enc != 'b' && enc != 'q') || s[i + 2] != '?') return false;
  const std::size_t text_start = i + 3;
  // Encoded text never contains '?', so the word ends at the first one. This
  // also keeps a header full of unterminated "=?" linear: each failed
  // attempt scans only up to the next '?'. White space inside the text is
  // tolerated because some mailers write it unencoded.
  const std::size_t close = s.find('?', text_start);
  if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != '=') return false;
  const std::string_view text = s.substr(text_start, close - text_start);
  if (const auto star = charset.find('*'); star != std::string_view::npos) charset = charset.substr(0, star);
  if (charset.empty()) return false;
  word.end = close + 2;
  word.charset = charset;
  word.bytes = (enc == 'b') ? decode_base64(text) : decode_q_word(text);
  return true;
}

// ---------------------------------------------------------------------------
// RFC 2045 / RFC 2231 parameters

// Skips white space and (nested) comments.
std::size_t skip_cfws(std::string_view s, std::size_t i) noexcept {
  while (i < s.size()) {
    if (is_space(s[i])) {
      ++i;
    } else if (s[i] == '(') {
      int depth = 0;
      while (i < s.size()) {
        if (s[i] == '\\') {
          i += 2;
          continue;
        }
        if (s[i] == '(') ++depth;
        if (s[i] == ')' && --depth == 0) {
          ++i;
          break;
        }
        ++i;
      }
      if (i > s.size()) i = s.size();
    } else {
      break;
    }
  }
  return i;
}

// The characters inside a quoted string that are not text standing for
// itself, looked up rather than compared: boundaries are quoted strings.
constexpr auto kQuotedSpecial = [] {
  std::array<bool, 256> table{};
  for (const char c : {'"', '\\', '\r', '\n'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();
constexpr bool is_quoted_special(char c) noexcept { return kQuotedSpecial[static_cast<unsigned char>(c)]; }

// Reads a quoted string starting at s[i] == '"'; returns the index after the
// closing quote (or the end when unterminated).
std::size_t read_quoted(std::string_view s, std::size_t i, std::string& out) {
  ++i;
  while (i < s.size()) {
    // Plain text up to the next special character is appended at once.
    std::size_t run_end = i;
    while (run_end < s.size() && !is_quoted_special(s[run_end])) ++run_end;
    out.append(s.substr(i, run_end - i));
    i = run_end;
    if (i == s.size()) break;
    const char c = s[i];
    if (c == '"') return i + 1;
    if (c == '\\' && i + 1 < s.size()) {
      out.push_back(s[i + 1]);
      i += 2;
      continue;
    }
    // A backslash at the very end stands for itself. A folded quoted string
    // keeps its white space but not the line break.
    if (c == '\\') out.push_back(c);
    ++i;
  }
  return i;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

struct Rfc2231Section {
  unsigned number = 0;
  bool extended = false;
  std::string value;
};

struct RawParam {
  std::string name;  // without any "*..." suffix
  bool rfc2231 = false;
  std::string value;                       // plain parameters
  std::vector<Rfc2231Section> sections;    // RFC 2231 ones
};

// Continuation numbers beyond this are ignored: nobody splits a value into
// more sections, and a bound keeps hostile numbers from costing anything.
constexpr unsigned kMaxSection = 999;
// Real headers carry a handful of parameters; a bound keeps the
// duplicate-name lookups below cheap on hostile ones.
constexpr std::size_t kMaxParams = 64;

// `bytes` itself when it is valid UTF-8 (no copy), else sanitised.
std::string valid_utf8(std::string bytes) {
  if (is_valid_utf8(bytes)) return bytes;
  return sanitize_utf8(bytes);
}

std::string join_rfc2231(std::vector<Rfc2231Section>& sections) {
  std::stable_sort(sections.begin(), sections.end(),
                   [](const Rfc2231Section& a, const Rfc2231Section& b) { return a.number < b.number; });
  std::string charset;
  std::string bytes;
  for (std::size_t k = 0; k < sections.size(); ++k) {
    const Rfc2231Section& sec = sections[k];
    if (k > 0 && sec.number == sections[k - 1].number) continue;  // duplicate section: first wins
    std::string_view v = sec.value;
    if (sec.extended) {
      if (k == 0) {
        // charset'language'value; tolerate a missing prefix.
        const auto q1 = v.find('\'');
        if (q1 != std::string_view::npos) {
          const auto q2 = v.find('\'', q1 + 1);
          if (q2 != std::string_view::npos) {
            charset = std::string(v.substr(0, q1));
            v = v.substr(q2 + 1);
          }
        }
      }
      bytes += percent_decode(v);
    } else {
      bytes += v;
    }
  }
  std::string out;
  append_utf8(out, bytes, charset);
  return out;
}

// True when `s` is ASCII only; for the short texts of parameters, where a
// call to is_valid_utf8() would cost more than this. Eight bytes at a time.
bool is_ascii(std::string_view s) noexcept {
  std::uint64_t any = 0;
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    any |= word::load(s.data() + i);
  }
  for (; i < s.size(); ++i) any |= static_cast<unsigned char>(s[i]);
  return word::non_ascii_bytes(any) == 0;
}

// What ends an unquoted value or parameter name, looked up rather than
// compared: every part's Content-Type goes through here.
constexpr auto kEndsToken = [] {
  std::array<bool, 256> table{};
  for (const char c : {';', '(', '"', ' ', '\t', '\r', '\n'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

// The high bit of each byte of `word` up to 0x22 (controls, space, '!',
// '"'), or ';' or '(': what ends a token and a little more. Exact at the
// lowest flagged byte, as borrows start only at a flagged one.
constexpr std::uint64_t maybe_token_end(std::uint64_t x) noexcept {
  return word::bytes_below(x, 0x23) | word::bytes_equal(x, ';') | word::bytes_equal(x, '(');
}

// Where the token at s[i] ends. Eight bytes at a time up to the first byte
// that may end it, then a byte at a time (which also steps over a '!').
std::size_t token_end(std::string_view s, std::size_t i) noexcept {
  for (; i + 8 <= s.size(); i += 8) {
    if (const std::uint64_t flagged = maybe_token_end(word::load(s.data() + i)); flagged != 0) {
      i += word::first_marked(flagged);
      break;
    }
  }
  while (i < s.size() && !kEndsToken[static_cast<unsigned char>(s[i])]) ++i;
  return i;
}

// Where read_quoted() would stop, without keeping the text.
std::size_t skip_quoted(std::string_view s, std::size_t i) noexcept {
  ++i;
  while (i < s.size()) {
    if (s[i] == '"') return i + 1;
    i += (s[i] == '\\' && i + 1 < s.size()) ? 2 : 1;
  }
  return i;
}

// The value before the parameters: a token (or, in broken mail, a quoted
// string) up to ';', lower-cased. White space after the value ends it, so
// that a missing ';' ("text/plain charset=x") still yields the parameter.
// Returns where the parameters start.
std::size_t read_main_value(std::string_view s, std::string& value) {
  std::size_t i = skip_cfws(s, 0);
  while (i < s.size() && s[i] != ';') {
    if (s[i] == '"') {
      i = read_quoted(s, i, value);
    } else if (s[i] == '(' || is_space(s[i])) {
      if (!value.empty()) break;
      i = skip_cfws(s, i);
    } else {
      const std::size_t run_end = token_end(s, i);
      const std::size_t old_size = value.size();
      value.append(s.substr(i, run_end - i));
      for (std::size_t k = old_size; k < value.size(); ++k) value[k] = ascii_lower(value[k]);
      i = run_end;
    }
  }
  if (!is_ascii(value) && !is_valid_utf8(value)) value = sanitize_utf8(value);
  return i;
}

// Reads the parameter after s[i] into `name` (lower-cased) and `value`
// (unquoted); returns false when there is none or it is not "name=value".
// `i` ends at the ';' after it or at the end.
bool read_param(std::string_view s, std::size_t& i, std::string& name, std::string& value) {
  // Here s[i] == ';' or junk after a value; skip separators.
  while (i < s.size() && (s[i] == ';' || is_space(s[i]))) ++i;
  i = skip_cfws(s, i);
  if (i >= s.size()) return false;
  const std::size_t name_start = i;
  while (i < s.size() && s[i] != '=' && !kEndsToken[static_cast<unsigned char>(s[i])]) ++i;
  name.assign(s.substr(name_start, i - name_start));
  for (char& c : name) c = ascii_lower(c);
  i = skip_cfws(s, i);
  if (i >= s.size() || s[i] != '=' || name.empty()) {
    // Not "name=value": skip to the next ';', stepping over quoted strings.
    while (i < s.size() && s[i] != ';') i = s[i] == '"' ? skip_quoted(s, i) : i + 1;
    return false;
  }
  i = skip_cfws(s, i + 1);
  value.clear();
  if (i < s.size() && s[i] == '"') {
    i = read_quoted(s, i, value);
  } else {
    const std::size_t v_start = i;
    i = token_end(s, i);
    value.assign(s.substr(v_start, i - v_start));
  }
  // Whatever follows up to the next ';' (comments, junk) is ignored.
  while (i < s.size() && s[i] != ';') {
    if (s[i] == '(') {
      i = skip_cfws(s, i);
    } else {
      i = s[i] == '"' ? skip_quoted(s, i) : i + 1;
    }
  }
  return true;
}

// RFC 2231: "name*", "name*N", "name*N*". Sets `section` (all but its
// value) and returns the base name's length; 0 when `name` is a plain one.
std::size_t rfc2231_base_length(std::string_view name, Rfc2231Section& section) noexcept {
  // A short name is read faster than memchr is called.
  const auto star = static_cast<std::size_t>(std::find(name.begin(), name.end(), '*') - name.begin());
  if (star == name.size() || star == 0) return 0;
  const std::string_view rest = name.substr(star + 1);
  if (rest.empty()) {
    section.number = 0;
    section.extended = true;
    return star;
  }
  std::size_t d = 0;
  unsigned number = 0;
  while (d < rest.size() && rest[d] >= '0' && rest[d] <= '9' && number <= kMaxSection) {
    number = number * 10 + static_cast<unsigned>(rest[d] - '0');
    ++d;
  }
  if (d == 0 || number > kMaxSection || !(d == rest.size() || (d + 1 == rest.size() && rest[d] == '*'))) return 0;
  section.number = number;
  section.extended = d + 1 == rest.size();
  return star;
}

// Adds one parameter to the list that RFC 2231 sections are gathered in.
void add_raw_param(std::vector<RawParam>& raw, std::string& name, std::string& value) {
  Rfc2231Section section;
  const std::size_t base_length = rfc2231_base_length(name, section);
  if (base_length == 0) {
    if (raw.size() >= kMaxParams) return;
    RawParam p;
    p.name = std::move(name);
    p.value = std::move(value);
    raw.push_back(std::move(p));
    return;
  }
  const std::string_view base = std::string_view(name).substr(0, base_length);
  section.value = std::move(value);
  auto it = std::find_if(raw.begin(), raw.end(), [&](const RawParam& p) { return p.rfc2231 && p.name == base; });
  if (it == raw.end()) {
    if (raw.size() >= kMaxParams) return;
    RawParam p;
    p.name = base;
    p.rfc2231 = true;
    raw.push_back(std::move(p));
    it = raw.end() - 1;
  }
  if (it->sections.size() <= kMaxSection) it->sections.push_back(std::move(section));
}

// The parameters once RFC 2231 sections are joined and charset-decoded.
std::vector<std::pair<std::string, std::string>> assemble_params(std::vector<RawParam>& raw) {
  std::vector<std::pair<std::string, std::string>> params;
  params.reserve(raw.size());
  for (RawParam& p : raw) {
    if (p.rfc2231) {
      // The RFC 2231 form replaces a plain parameter of the same name that
      // came first, since only old readers are meant to use the plain one.
      std::string joined = join_rfc2231(p.sections);
      auto plain = std::find_if(params.begin(), params.end(), [&](const auto& kv) { return kv.first == p.name; });
      if (plain != params.end()) {
        plain->second = std::move(joined);
      } else {
        params.emplace_back(std::move(p.name), std::move(joined));
      }
      continue;
    }
    const bool superseded =
        std::any_of(raw.begin(), raw.end(), [&](const RawParam& q) { return q.rfc2231 && q.name == p.name; });
    if (superseded) continue;
    params.emplace_back(std::move(p.name), valid_utf8(std::move(p.value)));
  }
  return params;
}

// What the reading of a simple parameter list stops at, by byte: bytes
// from 0x80 up stop every scan (the list then takes the general reading).
enum SimpleStop : unsigned char {
  kEndOfToken = 1,   // ';', '(', '"', white space, line breaks
  kEndOfName = 2,    // the same, '=' and '*'
  kEndOfQuoted = 4,  // '"', '\\', line breaks
};
constexpr auto kSimpleStops = [] {
  std::array<unsigned char, 256> table{};
  for (const char c : {';', '(', '"', ' ', '\t', '\r', '\n'})
    table[static_cast<unsigned char>(c)] = kEndOfToken | kEndOfName;
  table[static_cast<unsigned char>('=')] = kEndOfName;
  table[static_cast<unsigned char>('*')] = kEndOfName;
  for (const char c : {'"', '\\', '\r', '\n'}) table[static_cast<unsigned char>(c)] |= kEndOfQuoted;
  for (std::size_t c = 0x80; c < 256; ++c) table[c] = kEndOfToken | kEndOfName | kEndOfQuoted;
  return table;
}();

std::size_t simple_scan(std::string_view s, std::size_t i, unsigned char stops) noexcept {
  while (i < s.size() && (kSimpleStops[static_cast<unsigned char>(s[i])] & stops) == 0) ++i;
  return i;
}

std::size_t skip_space(std::string_view s, std::size_t i) noexcept {
  while (i < s.size() && is_space(s[i])) ++i;
  return i;
}

std::string lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

// The common list, read in one go: "type/subtype" and "; name=value" or
// "; name=\"value\"" parameters, ASCII only, with white space and line
// breaks around its parts. It gives what the general reading gives; false
// at anything else (comments, escapes, RFC 2231 names, junk, 8-bit bytes,
// more than kMaxParams parameters), which the general reading then reads.
bool read_simple_params(std::string_view s, HeaderValueWithParams& result) {
  std::size_t i = skip_space(s, 0);
  const std::size_t value_end = simple_scan(s, i, kEndOfToken);
  if (value_end == i) return false;
  result.value = lowered(s.substr(i, value_end - i));
  i = skip_space(s, value_end);
  while (i < s.size()) {
    if (s[i] != ';') return false;
    while (i < s.size() && (s[i] == ';' || is_space(s[i]))) ++i;
    if (i == s.size()) break;
    const std::size_t name_end = simple_scan(s, i, kEndOfName);
    if (name_end == i || name_end == s.size() || s[name_end] != '=') return false;
    if (result.params.size() == kMaxParams) return false;
    std::string name = lowered(s.substr(i, name_end - i));
    i = skip_space(s, name_end + 1);
    std::string_view value;
    if (i < s.size() && s[i] == '"') {
      const std::size_t close = simple_scan(s, i + 1, kEndOfQuoted);
      if (close == s.size() || s[close] != '"') return false;
      value = s.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      const std::size_t end = simple_scan(s, i, kEndOfToken);
      value = s.substr(i, end - i);
      i = end;
    }
    if (result.params.empty()) result.params.reserve(4);  // real values carry one to three parameters
    result.params.emplace_back(std::move(name), std::string(value));
    i = skip_space(s, i);
  }
  return true;
}

// Plain parameters go straight into the result. Only once an RFC 2231 one
// turns up (rare), or from the start when `gather` is set, are they gathered
// as RawParams to be joined and decoded.
HeaderValueWithParams parse_params(std::string_view s, bool gather) {
  if (!gather) {
    HeaderValueWithParams simple;
    if (read_simple_params(s, simple)) return simple;
  }
  HeaderValueWithParams result;
  std::size_t i = read_main_value(s, result.value);
  if (i < s.size()) result.params.reserve(4);  // real values carry one to three parameters
  std::vector<RawParam> raw;
  bool gathering = gather;
  std::string name;
  std::string value;
  Rfc2231Section probe;
  while (i < s.size()) {
    if (!read_param(s, i, name, value)) continue;
    if (!gathering && rfc2231_base_length(name, probe) > 0) {
      gathering = true;
      raw.reserve(result.params.size() + 2);
      for (auto& [plain_name, plain_value] : result.params) add_raw_param(raw, plain_name, plain_value);
      result.params.clear();
    }
    if (gathering) {
      add_raw_param(raw, name, value);
    } else if (result.params.size() < kMaxParams) {
      result.params.emplace_back(std::move(name), std::move(value));
    }
  }
  if (gathering) {
    result.params = assemble_params(raw);
  } else {
    for (auto& kv : result.params)
      if (!is_ascii(kv.second) && !is_valid_utf8(kv.second)) kv.second = sanitize_utf8(kv.second);
  }
  return result;
}

}  // namespace

HeaderValueWithParams parse_header_params(std::string_view s) { return parse_params(s, false); }

HeaderValueWithParams detail::parse_header_params_gathered(std::string_view s) { return parse_params(s, true); }

// ---------------------------------------------------------------------------
// Public API

std::string decode_quoted_printable(std::string_view in) {
  // Decoding never lengthens the text: room for all of it up front, not
  // filled in advance (appending costs less than clearing a buffer first).
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const void* nl = std::memchr(in.data() + i, '\n', in.size() - i);
    const std::size_t newline = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - in.data()) : in.size();
    i = decode_qp_line(in, i, newline, out);
  }
  return out;
}

std::string decode_base64(std::string_view in) {
  static constexpr auto kTable = [] {
    std::array<std::int8_t, 256> t{};
    t.fill(-1);
    constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t k = 0; k < alphabet.size(); ++k) {
      t[static_cast<unsigned char>(alphabet[k])] = static_cast<std::int8_t>(k);
    }
    // base64url spellings cost nothing to accept.
    t[static_cast<unsigned char>('-')] = 62;
    t[static_cast<unsigned char>('_')] = 63;
    return t;
  }();
  std::string out;
  out.reserve(in.size() / 4 * 3 + 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') {
      // Padding ends a quantum: drop its leftover bits so that
      // concatenated encodings ("QQ==QQ==") decode piece by piece.
      acc = 0;
      bits = 0;
      continue;
    }
    const std::int8_t v = kTable[static_cast<unsigned char>(c)];
    if (v < 0) continue;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xFFFFFFu;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFFu));
    }
  }
  return out;
}

std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& cp) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(pos);
  if (lead < 0x80) {
    cp = lead;
    return 1;
  }
  std::size_t length = 0;
  char32_t value = 0;
  // The allowed range of the second byte rules out overlong forms, UTF-16
  // surrogates and code points above U+10FFFF (RFC 3629, table 3-7 of Unicode).
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    value = lead & 0x1Fu;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    value = lead & 0x0Fu;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    value = lead & 0x07u;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    cp = kReplacementChar;
    return 1;
  }
  std::size_t i = 1;
  for (; i < length; ++i) {
    if (pos + i >= text.size()) break;
    const unsigned char next = byte(pos + i);
    const unsigned char lo = i == 1 ? low : 0x80;
    const unsigned char hi = i == 1 ? high : 0xBF;
    if (next < lo || next > hi) break;
    value = (value << 6) | (next & 0x3Fu);
  }
  if (i < length) {
    cp = kReplacementChar;
    return i;
  }
  cp = value;
  return length;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  if (is_valid_utf8(bytes)) return std::string(bytes);
  out.reserve(bytes.size() + 8);
  append_sanitized(out, bytes);
  return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset) {
  std::string out;
  out.reserve(bytes.size());
  append_utf8(out, bytes, charset);
  return out;
}

std::string into_utf8(std::string bytes, std::string_view charset) {
  const Charset cs = classify_charset(charset);
  if (already_utf8(bytes, cs)) return bytes;
  std::string out;
  out.reserve(bytes.size());
  append_utf8(out, bytes, cs);
  return out;
}

std::string unfold(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  // Line breaks in a header value are always folding: a decoded header
  // must not contain one, so every CR and LF goes, not just CRLF + WSP.
  // The text between them is copied a line at a time.
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\r' || value[i] == '\n') {
      out.append(value.substr(line_start, i - line_start));
      line_start = i + 1;
    }
  }
  out.append(value.substr(line_start));
  return out;
}

std::string decode_header_text(std::string_view raw) {
  std::string out;
  // Most values are not folded: they need no unfolded copy.
  const bool folded = raw.find('\n') != std::string_view::npos || raw.find('\r') != std::string_view::npos;
  const std::string text = folded ? unfold(raw) : std::string();
  const std::string_view s = trim(folded ? std::string_view(text) : raw);
  out.reserve(s.size());

  // Adjacent encoded words in one charset are decoded together: mailers
  // split multibyte characters (and ISO-2022 escape sequences) across them.
  std::string pending_bytes;
  std::string_view pending_charset;
  bool have_pending = false;
  auto flush = [&] {
    if (have_pending) append_utf8(out, pending_bytes, pending_charset);
    pending_bytes.clear();
    have_pending = false;
  };

  std::size_t literal_start = 0;  // start of text not yet copied to `out`
  bool last_was_word = false;
  std::size_t i = 0;
  EncodedWord word;
  while (i < s.size()) {
    const std::size_t next = s.find("=?", i);
    if (next == std::string_view::npos) break;
    if (!parse_encoded_word(s, next, word)) {
      i = next + 1;
      continue;
    }
    const std::string_view between = s.substr(literal_start, next - literal_start);
    const bool only_space = trim(between).empty();
    if (!(last_was_word && only_space)) {
      flush();
      append_sanitized(out, between);
    }
    if (have_pending && !iequals(pending_charset, word.charset)) flush();
    pending_charset = word.charset;
    pending_bytes += word.bytes;
    have_pending = true;
    last_was_word = true;
    i = word.end;
    literal_start = word.end;
  }
  flush();
  append_sanitized(out, s.substr(literal_start));
  return out;
}

std::string_view HeaderValueWithParams::param(std::string_view name) const {
  for (const auto& [key, param_value] : params) {
    if (iequals(key, name)) return param_value;
  }
  return {};
}

}  // namespace clearbounce::dsn
