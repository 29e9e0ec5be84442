// Text helpers for the command line: the library hands us UTF-8, but remote
// servers write what they like, so everything printed is checked again here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace clearbounce::cli {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Decodes the code point starting at `text[pos]` into `cp` and returns how many
// bytes it took (at least 1). An invalid or truncated sequence yields U+FFFD
// and consumes its maximal valid prefix, as Unicode recommends, so one bad
// byte never swallows the good text after it.
std::size_t decode_utf8(std::string_view text, std::size_t pos, char32_t& cp);

void append_utf8(std::string& out, char32_t cp);

// One line for a terminal: invalid UTF-8 becomes U+FFFD, control characters
// (which could move the cursor or recolour the screen) and runs of white space
// become one space, and the result is cut to `max_chars` code points with
// "..." at the end when it was longer.
std::string display_text(std::string_view text, std::size_t max_chars);

// Number of code points, our approximation of the width on screen.
std::size_t display_width(std::string_view utf8);

}  // namespace clearbounce::cli
