// Preparing remote text for pattern matching.
#pragma once

#include <string>
#include <string_view>

namespace clearbounce::classifier {

// Collapses runs of white space (including line breaks) to one space and
// replaces e-mail addresses with "<address>": an address says who, never
// why, and local parts such as "mailboxfull@" must not look like a cause.
std::string text_for_matching(std::string_view diagnostic);

namespace detail {
// The address rule of text_for_matching(), for its tests: how many bytes at
// the end of `text` are the local part of an address whose '@' follows,
// and where the domain that starts at `from` ends. A character of three
// UTF-8 bytes or more (CJK, kana, full-width punctuation) ends an ASCII
// part; a part that begins with one is taken whole.
std::size_t local_part_before(std::string_view text);
std::size_t domain_end(std::string_view text, std::size_t from);
}  // namespace detail

}  // namespace clearbounce::classifier
