#include "cli/text.hpp"

namespace clearbounce::cli {

void append_utf8(std::string& out, char32_t cp) {
  const auto put = [&](char32_t bits) { out.push_back(static_cast<char>(bits)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xC0 | (cp >> 6));
    put(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    put(0xE0 | (cp >> 12));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  } else {
    put(0xF0 | (cp >> 18));
    put(0x80 | ((cp >> 12) & 0x3F));
    put(0x80 | ((cp >> 6) & 0x3F));
    put(0x80 | (cp & 0x3F));
  }
}

namespace {

// Characters that must not reach a terminal as they are: C0/C1 controls
// (escape sequences), line and paragraph separators, and the invisible
// formatting marks that can reorder or hide text on screen.
bool is_unsafe_for_terminal(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0x200B && cp <= 0x200F) ||
         (cp >= 0x2028 && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF;
}

}  // namespace

std::string display_text(std::string_view text, std::size_t max_chars) {
  std::string out;
  // Cut a little earlier than `max_chars` so that the "..." still fits.
  const bool ellipsis = max_chars > 3;
  const std::size_t room = ellipsis ? max_chars - 3 : max_chars;
  std::size_t cut_at = 0;  // byte length of `out` when it held `room` code points
  std::size_t chars = 0;
  bool pending_space = false;
  for (std::size_t pos = 0; pos < text.size();) {
    char32_t cp = 0;
    pos += decode_utf8(text, pos, cp);
    if (cp == ' ' || is_unsafe_for_terminal(cp)) {
      pending_space = chars > 0;
      continue;
    }
    const std::size_t needed = pending_space ? 2 : 1;
    if (chars + needed > max_chars) {
      out.resize(cut_at);
      while (!out.empty() && out.back() == ' ') out.pop_back();
      if (ellipsis) out += "...";
      return out;
    }
    if (pending_space) {
      out.push_back(' ');
      if (++chars <= room) cut_at = out.size();
      pending_space = false;
    }
    append_utf8(out, cp);
    if (++chars <= room) cut_at = out.size();
  }
  return out;
}

std::size_t display_width(std::string_view utf8) {
  std::size_t width = 0;
  for (std::size_t pos = 0; pos < utf8.size();) {
    char32_t cp = 0;
    pos += decode_utf8(utf8, pos, cp);
    ++width;
  }
  return width;
}

}  // namespace clearbounce::cli
