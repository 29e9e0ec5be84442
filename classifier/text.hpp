// Preparing remote text for pattern matching.
#pragma once

#include <string>
#include <string_view>

namespace clearbounce::classifier {

// Collapses runs of white space (including line breaks) to one space and
// replaces e-mail addresses with "<address>": an address says who, never
// why, and local parts such as "mailboxfull@" must not look like a cause.
std::string text_for_matching(std::string_view diagnostic);

}  // namespace clearbounce::classifier
