// RE2 options for the fixed patterns of dsn/ and the layers built on it.
// Internal to the project, like ascii.hpp.
#pragma once

#include <re2/re2.h>

#include <algorithm>
#include <string_view>

namespace clearbounce::dsn::detail {

// A pattern written in ASCII alone is read as Latin-1, byte by byte: over
// UTF-8 text it matches what the UTF-8 reading does (its literals are
// ASCII, so a multi-byte character is never part of one), and RE2 builds
// it in about half the instructions, more where a class repeats ("[^\n]{0,80}"
// is 80 copies of a class that UTF-8 spells as byte sequences). Two
// differences, both wanted: a counted class counts bytes, not characters,
// and a caseless letter never matches a non-ASCII one (UTF-8's 's' also
// matches U+017F, 'k' U+212A). A pattern with other bytes keeps UTF-8.
inline RE2::Options regex_options(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  if (std::all_of(pattern.begin(), pattern.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    options.set_encoding(RE2::Options::EncodingLatin1);
  return options;
}

// A regex built with regex_options().
inline RE2 byte_regex(std::string_view pattern) {
  return RE2(re2::StringPiece(pattern.data(), pattern.size()), regex_options(pattern));
}

}  // namespace clearbounce::dsn::detail
