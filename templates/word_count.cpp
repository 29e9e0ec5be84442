#include "templates/word_count.hpp"

#include <cstdint>

namespace clearbounce::templates {
namespace {

// The code point at `i` and its length in bytes; a byte that starts no
// valid sequence is taken as one letter of its own.
std::uint32_t code_point_at(std::string_view text, std::size_t i, std::size_t& length) {
  const auto byte = static_cast<unsigned char>(text[i]);
  length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1;
  if (i + length > text.size()) length = 1;
  for (std::size_t k = 1; k < length; ++k)
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) length = 1;  // not a continuation byte
  if (length == 1) return byte >= 0x80 ? 0xFFFD : byte;  // a stray byte: a letter of its own
  std::uint32_t value = byte & (0x3F >> (length - 1));
  for (std::size_t k = 1; k < length; ++k) value = value << 6 | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  return value;
}

bool is_cjk(std::uint32_t c) {
  return (c >= 0x3040 && c <= 0x30FF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x4E00 && c <= 0x9FFF) ||
         (c >= 0xF900 && c <= 0xFAFF);
}

// ASCII white space and punctuation, the general punctuation block, CJK
// punctuation and full-width forms' punctuation end a word; the
// typographic apostrophe (U+2019) does not, as the ASCII one does not
// ("jusqu’au", "dell’indirizzo" are one word).
bool is_separator(std::uint32_t c) {
  if (c < 0x80) {
    const bool word_char = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '@' ||
                           c == '.' || c == '-' || c == '_' || c == '\'' || c == '/' || c == ':';
    return !word_char;
  }
  if (c == 0x2019) return false;
  return c == 0xA0 || (c >= 0x2000 && c <= 0x206F) || (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF20) ||
         c == 0xAB || c == 0xBB;
}

bool has_letter_or_digit(std::string_view run) {
  for (char ch : run) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')) return true;
  }
  return false;
}

}  // namespace

std::size_t count_words(std::string_view text) {
  std::size_t words = 0, cjk_run = 0, start = 0;
  bool in_word = false;
  const auto end_word = [&](std::size_t at) {
    if (in_word && has_letter_or_digit(text.substr(start, at - start))) ++words;
    in_word = false;
  };
  const auto end_cjk = [&] {
    words += (cjk_run + 1) / 2;
    cjk_run = 0;
  };
  for (std::size_t i = 0, length = 1; i < text.size(); i += length) {
    const auto c = code_point_at(text, i, length);
    if (is_cjk(c)) {
      end_word(i);
      ++cjk_run;
    } else if (is_separator(c)) {
      end_word(i);
      end_cjk();
    } else {
      end_cjk();
      if (!in_word) start = i;
      in_word = true;
    }
  }
  end_word(text.size());
  end_cjk();
  return words;
}

std::string_view reader_part(std::string_view text) {
  for (std::size_t line = 0; line < text.size();) {
    const auto nl = text.find('\n', line);
    if (nl == std::string_view::npos) break;
    const auto next_end = text.find('\n', nl + 1);
    const auto next = text.substr(nl + 1, (next_end == std::string_view::npos ? text.size() : next_end) - nl - 1);
    if (!next.empty() && next.find_first_not_of('-') == std::string_view::npos) return text.substr(0, line);
    line = nl + 1;
  }
  return text;
}

}  // namespace clearbounce::templates
