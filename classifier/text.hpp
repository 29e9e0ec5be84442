// Preparing remote text for pattern matching.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace clearbounce::classifier {

// Collapses runs of white space (including line breaks) to one space and
// replaces e-mail addresses with "<address>": an address says who, never
// why, and local parts such as "mailboxfull@" must not look like a cause.
std::string text_for_matching(std::string_view diagnostic);

// A text_for_matching() text without what is said beside the reply's
// cause: the words of the sentences (and clauses after a ';') after the
// first that open with one of `openers` (advice such as "If you believe
// you were blocked as spam...", pointers to help, a signature's "-- ";
// ASCII letters of an opener match either case), links' paths (a link's
// host may name a block list, its path names what the page is about), and
// reference tokens ("ref: RBL-20240312-0042"). Empty when nothing was
// left out.
std::string without_asides(std::string_view matched, std::span<const std::string> openers);

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
