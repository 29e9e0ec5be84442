#include "classifier/text.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstring>

#include "dsn/ascii.hpp"
#include "dsn/word_bytes.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace clearbounce::classifier {
namespace {

bool is_local_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == '%' || c == '+' || c == '-' || c == '=' || c == '\'' || c >= 0x80;
}
bool is_domain_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c >= 0x80;
}
// A character of three UTF-8 bytes or more (U+0800 on: CJK, kana,
// full-width punctuation) ends an address: Chinese and Japanese servers
// write their words right against an ASCII address ("没有此用户：bob@example.net
// 不存在"), while the letters of an internationalized address are mostly
// of two bytes (Latin, Cyrillic, Greek) or make up the whole part.
constexpr bool starts_wide_character(unsigned char c) { return c >= 0xE0; }
constexpr bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Whether the three bytes at `at` are a punctuation mark that no address
// holds, whatever script its letters are in: general punctuation
// (U+2000-U+206F), CJK symbols and punctuation (U+3000-U+303F) and the
// full-width forms of ASCII's (U+FF01-U+FF0F, U+FF1A-U+FF20, U+FF3B-U+FF40,
// U+FF5B-U+FF65). A sentence's "（", "。" or "…" ends an address written in
// its script.
bool is_wide_punctuation(std::string_view text, std::size_t at) {
  if (at + 3 > text.size() || (static_cast<unsigned char>(text[at]) & 0xF0) != 0xE0) return false;
  const auto byte = [&](std::size_t k) { return static_cast<char32_t>(static_cast<unsigned char>(text[at + k])); };
  const char32_t c = ((byte(0) & 0x0F) << 12) | ((byte(1) & 0x3F) << 6) | (byte(2) & 0x3F);
  return (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF01 && c <= 0xFF0F) ||
         (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) || (c >= 0xFF5B && c <= 0xFF65);
}

}  // namespace

namespace detail {

std::size_t local_part_before(std::string_view text) {
  std::size_t local = 0;
  bool ascii_seen = false;
  while (local < text.size()) {
    const auto c = static_cast<unsigned char>(text[text.size() - 1 - local]);
    if (!is_local_char(c)) break;
    if (c < 0x80) {
      ascii_seen = true;
      ++local;
      continue;
    }
    // A non-ASCII character: find its first byte.
    std::size_t length = 1;
    while (length < 4 && local + length < text.size() &&
           is_continuation(static_cast<unsigned char>(text[text.size() - local - length])))
      ++length;
    const auto first = static_cast<unsigned char>(text[text.size() - local - length]);
    if (ascii_seen && starts_wide_character(first)) break;
    if (is_wide_punctuation(text, text.size() - local - length)) break;
    local += length;
  }
  return local;
}

std::size_t domain_end(std::string_view text, std::size_t from) {
  const bool ascii_first = from < text.size() && static_cast<unsigned char>(text[from]) < 0x80;
  std::size_t end = from;
  while (end < text.size() && is_domain_char(static_cast<unsigned char>(text[end]))) {
    if (ascii_first && starts_wide_character(static_cast<unsigned char>(text[end]))) break;
    if (is_wide_punctuation(text, end)) break;
    ++end;
  }
  return end;
}

}  // namespace detail

namespace {

constexpr bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Where a reply code may start from `at` on: the first byte '0' to '5', or
// the end. Eight bytes are looked at at once: a byte b is '0' to '5' when
// b ^ '0' is below 6.
std::size_t next_low_digit(std::string_view text, std::size_t at) {
  for (; at + 8 <= text.size(); at += 8) {
    const std::uint64_t x = dsn::word::load(text.data() + at) ^ (dsn::word::kEveryByte * '0');
    if (const std::uint64_t marks = dsn::word::bytes_below(x, 6); marks != 0) {
      at += dsn::word::first_marked(marks);
      break;
    }
  }
  while (at < text.size() && !(text[at] >= '0' && text[at] <= '5')) ++at;
  return at;
}

// Whether text[at] opens a bracketed IP address ("[192.0.2.1]",
// "[IPv6:2001:db8::1]", "[2001:db8::1]"): digits, hex letters, dots and
// colons up to a ']' within the length of an IPv6 address.
bool bracketed_ip_at(std::string_view text, std::size_t at) {
  std::size_t i = at + 1;
  if (text.substr(i, 5) == "IPv6:" || text.substr(i, 5) == "ipv6:") i += 5;
  const std::size_t first = i;
  for (; i < text.size() && i - first <= 45; ++i) {
    const char c = text[i];
    if (c == ']') return i > first;
    const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex && c != '.' && c != ':') return false;
  }
  return false;
}

// Where the host name that ends at `end` begins: a dotted name of letters,
// digits, '-' and '.', or `end` when there is none.
std::size_t host_name_start(std::string_view text, std::size_t end) {
  std::size_t start = end;
  bool dotted = false;
  while (start > 0) {
    const char c = text[start - 1];
    const bool name_char =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!name_char) break;
    dotted = dotted || c == '.';
    --start;
  }
  if (!dotted || end - start < 3 || text[start] == '.' || text[start] == '-') return end;
  return start;
}

// The name of a server written beside its address ("host
// spamfilter.example.net[192.0.2.1] said:", Exim's "host mx.example.net
// [192.0.2.1]:") says who spoke, not what it said: "spam" in a filtering
// host's name is no spam verdict. Such a name becomes "<host>". One pass.
void name_hosts(std::string& text) {
  std::string out;
  std::size_t copied = 0;
  for (std::size_t at = text.find('['); at != std::string::npos; at = text.find('[', at + 1)) {
    if (!bracketed_ip_at(text, at)) continue;
    const std::size_t name_end = at > 0 && text[at - 1] == ' ' ? at - 1 : at;
    const std::size_t name_start = host_name_start(text, name_end);
    if (name_start == name_end || name_start < copied) continue;
    out.append(text, copied, name_start - copied).append("<host>");
    copied = name_end;
  }
  if (copied == 0) return;
  out.append(text, copied, std::string::npos);
  text = std::move(out);
}

// Multi-line SMTP replies repeat "550-5.7.1 " on every line; unfolded, the
// repeats cut sentences in two. Reply codes and status codes carry no
// wording, so every "ddd-d.d.d " or "ddd d.d.d " after the first is dropped.
// In place: the text only ever gets shorter, and the bytes not yet read
// lie beyond those written.
void drop_reply_codes(std::string& text) {
  const std::size_t size = text.size();
  bool first_kept = false;
  std::size_t kept_from = 0;  // the bytes from here to the token at hand are kept
  std::size_t written = 0;    // the kept bytes moved so far end here
  const auto keep = [&text, &written](std::size_t from, std::size_t to) {
    std::memmove(text.data() + written, text.data() + from, to - from);  // to a place at or before `from`
    written += to - from;
  };
  for (std::size_t i = 0; i < size;) {
    const bool at_token = (i == 0 || text[i - 1] == ' ') && i + 4 <= size && text[i] >= '2' && text[i] <= '5' &&
                          is_digit(text[i + 1]) && is_digit(text[i + 2]) && (text[i + 3] == '-' || text[i + 3] == ' ');
    if (at_token) {
      std::size_t j = i + 4;
      // An enhanced status code may follow: d.ddd.ddd
      std::size_t k = j;
      if (k < size && text[k] >= '2' && text[k] <= '5' && k + 1 < size && text[k + 1] == '.') {
        k += 2;
        while (k < size && (is_digit(text[k]) || text[k] == '.')) ++k;
        if (k == size || text[k] == ' ') j = k + (k < size ? 1 : 0);
      }
      if (first_kept) {
        keep(kept_from, i);
        i = kept_from = j;
        continue;
      }
      first_kept = true;
    }
    // On to the next place that may start a token: a digit '2' to '5'
    // after a space (at i itself the token was looked at above).
    for (i = next_low_digit(text, i + 1); i < size && text[i - 1] != ' '; i = next_low_digit(text, i + 1)) {
    }
  }
  keep(kept_from, size);
  text.resize(written);
  while (!text.empty() && text.back() == ' ') text.pop_back();
}

// Bytes that text_for_matching() copies as they are, by table: it looks at
// every byte of every diagnostic.
constexpr std::array<bool, 256> kOrdinary = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[static_cast<std::size_t>(c)] = !is_space(static_cast<unsigned char>(c)) && c != '<' && c != '>' && c != '@';
  return table;
}();
bool is_ordinary(unsigned char c) { return kOrdinary[c]; }

#if defined(__SSE2__)
// The bytes of `b` that are not ordinary, or may not be: white space (and,
// to be safe, the other control bytes), '<', '>' (0x3C and 0x3E, equal but
// for bit 1) and '@'.
__m128i maybe_special(__m128i b) {
  const __m128i control = _mm_cmpeq_epi8(_mm_min_epu8(b, _mm_set1_epi8(0x20)), b);
  const __m128i arrow = _mm_cmpeq_epi8(_mm_or_si128(b, _mm_set1_epi8(0x02)), _mm_set1_epi8('>'));
  return _mm_or_si128(_mm_or_si128(control, arrow), _mm_cmpeq_epi8(b, _mm_set1_epi8('@')));
}

// How many of the sixteen bytes at `at` (seventeen must be there) surely go
// on a plain run: up to the first that maybe_special(), unless it is a
// space before a byte that is not.
std::size_t plain_bytes_at(std::string_view in, std::size_t at) {
  const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.data() + at));
  const __m128i next = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in.data() + at + 1));
  const __m128i spaces = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(' '));
  const __m128i enders = _mm_or_si128(_mm_andnot_si128(spaces, maybe_special(bytes)),
                                      _mm_and_si128(spaces, maybe_special(next)));
  const auto marks = static_cast<unsigned>(_mm_movemask_epi8(enders));
  return marks == 0 ? 16 : static_cast<std::size_t>(std::countr_zero(marks));
}
#endif

// The end of the run of bytes from `start` that text_for_matching() copies
// as they are: ordinary bytes, and single spaces between them (which it
// would keep as they are as well). Where the machine has SSE2, sixteen
// bytes past the first are looked at at once; a byte that may end the run
// is then looked at alone.
std::size_t end_of_plain_run(std::string_view in, std::size_t start) {
  std::size_t run = start;
  while (run < in.size()) {
#if defined(__SSE2__)
    if (run > start && run + 17 <= in.size()) {
      const std::size_t plain = plain_bytes_at(in, run);
      run += plain;
      if (plain == 16) continue;
    }
#endif
    const auto c = static_cast<unsigned char>(in[run]);
    if (is_ordinary(c) ||
        (c == ' ' && run > start && run + 1 < in.size() && is_ordinary(static_cast<unsigned char>(in[run + 1])))) {
      ++run;
    } else {
      break;
    }
  }
  return run;
}

// Where the first sentence of `text` ends (after its '.', '!' or '?', or
// the ideographic full stop), or its first clause (after a ';'), or npos.
// A full stop ends a sentence only after a word of two letters or more, or
// a closing bracket or quote, and before a space or the end: "5.1.1",
// "e.g." and "i.e." end none.
std::size_t first_sentence_end(std::string_view text) {
  const auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\xE3' && text.substr(i, 3) == "\xE3\x80\x82") return i + 3;  // 。
    if (c != '.' && c != '!' && c != '?' && c != ';') continue;
    if (i + 1 < text.size() && text[i + 1] != ' ') continue;
    const char before = text[i - 1];
    const bool after_word = is_letter(before) && i >= 2 && is_letter(text[i - 2]);
    if (c == ';' || after_word || before == ')' || before == ']' || before == '>' || before == '"' ||
        before == '\'')
      return i + 1;
  }
  return std::string_view::npos;
}

// A token such as "RBL-20240312-0042" or "spam-blocked-eu4-7f3a2c": letters
// and digits in three pieces or more joined by '-' or '_', with a digit. A
// server's reference or ticket number, whose pieces are not words.
bool is_reference_token(std::string_view token) {
  std::size_t joins = 0;
  bool digit = false;
  for (const char c : token) {
    if (c == '-' || c == '_') {
      ++joins;
    } else if (is_digit(c)) {
      digit = true;
    } else if (!dsn::detail::is_ascii_alnum(c)) {
      return false;
    }
  }
  return joins >= 2 && digit;
}

// The token at `at` (to the next space), trimmed of the brackets and
// punctuation around it.
std::string_view bare_token(std::string_view text, std::size_t at, std::size_t end) {
  std::string_view token = text.substr(at, end - at);
  const auto punctuation = [](char c) { return dsn::detail::is_one_of(c, "()[]{}<>,;:.!?\"'"); };
  while (!token.empty() && punctuation(token.front())) token.remove_prefix(1);
  while (!token.empty() && punctuation(token.back())) token.remove_suffix(1);
  return token;
}

bool opens_with_any(std::string_view sentence, std::span<const std::string> openers) {
  return std::any_of(openers.begin(), openers.end(),
                     [&](const std::string& opener) { return dsn::detail::istarts_with(sentence, opener); });
}

// `sentence` onto `out`, its links cut to their host and its reference
// tokens left out, then a space; of an aside only the links' hosts.
void append_without_links_and_references(std::string& out, std::string_view sentence, bool aside) {
  for (std::size_t at = 0; at < sentence.size();) {
    std::size_t token_end = sentence.find(' ', at);
    if (token_end == std::string_view::npos) token_end = sentence.size();
    std::string_view token = sentence.substr(at, token_end - at);
    if (const std::size_t scheme = token.find("://"); scheme != std::string_view::npos) {
      const std::size_t path = token.find_first_of("/?#", scheme + 3);
      if (path != std::string_view::npos) token = token.substr(0, path);
    } else if (aside || is_reference_token(bare_token(sentence, at, token_end))) {
      token = {};
    }
    if (!token.empty()) out.append(token).push_back(' ');
    at = token_end + 1;
  }
}

}  // namespace

std::string without_asides(std::string_view matched, std::span<const std::string> openers) {
  std::string out;
  out.reserve(matched.size());
  bool first = true;
  for (std::string_view rest = matched; !rest.empty(); first = false) {
    const std::string_view sentence = rest.substr(0, first_sentence_end(rest));
    rest.remove_prefix(std::min(rest.size(), sentence.size() + 1));
    append_without_links_and_references(out, sentence, !first && opens_with_any(sentence, openers));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out == matched) out.clear();
  return out;
}

std::string text_for_matching(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    // Words go over a run at a time; only runs of spaces, arrows and '@' need a look.
    const std::size_t run = end_of_plain_run(in, i);
    if (run > i) {
      out.append(in.substr(i, run - i));
      i = run - 1;
      continue;
    }
    const auto c = static_cast<unsigned char>(in[i]);
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    // Transcript arrows (">>> DATA", "<<< 550 ...") are layout, not words.
    if ((c == '<' || c == '>') && i + 2 < in.size() && in[i + 1] == in[i] && in[i + 2] == in[i] &&
        (i + 3 == in.size() || is_space(static_cast<unsigned char>(in[i + 3])))) {
      i += 2;
      continue;
    }
    if (c == '@') {
      // Take back the local part already copied, skip the domain.
      const std::size_t local = detail::local_part_before(out);
      const std::size_t end = detail::domain_end(in, i + 1);
      if (local > 0 && end > i + 1) {
        out.resize(out.size() - local);
        out += "<address>";
        i = end - 1;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  name_hosts(out);
  drop_reply_codes(out);
  return out;
}

}  // namespace clearbounce::classifier
