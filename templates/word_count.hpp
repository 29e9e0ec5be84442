// How long a notice is to read: the words of its part for the sender (what
// comes before the technical section), counted the same way in every
// locale. The targets are in templates/FORMAT.md; `clearbounce lint`
// reports the figures against them.
#pragma once

#include <cstddef>
#include <string_view>

namespace clearbounce::templates {

// The words of a text: runs of letters or digits between spaces and
// punctuation count one each ("bob@example.org" and "4.7.5" are one); a run
// of Chinese characters or Japanese kana counts one for every two of them,
// about what a reader takes in as a word. Bytes that are not valid UTF-8
// count as letters.
std::size_t count_words(std::string_view text);

// The part of a rendered plain-text notice that the sender reads: all of it
// before the technical section's heading (the line above a line of '-').
std::string_view reader_part(std::string_view text);

}  // namespace clearbounce::templates
