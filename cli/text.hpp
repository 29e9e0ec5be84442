// Text helpers for the command line: the library hands us UTF-8, but remote
// servers write what they like, so everything printed is checked again here.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "dsn/encoding.hpp"

namespace clearbounce::cli {

// The library's decoder (dsn/encoding.hpp), used here to check what is printed.
using dsn::decode_utf8;
using dsn::kReplacementChar;

void append_utf8(std::string& out, char32_t cp);

// One line for a terminal: invalid UTF-8 becomes U+FFFD, control characters
// (which could move the cursor or recolour the screen) and runs of white space
// become one space, and the result is cut to `max_chars` code points with
// "..." at the end when it was longer.
std::string display_text(std::string_view text, std::size_t max_chars);

// Number of code points, our approximation of the width on screen.
std::size_t display_width(std::string_view utf8);

}  // namespace clearbounce::cli
