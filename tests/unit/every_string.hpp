// Exhaustive inputs for tests that hold a fast path against a plain reading
// of the same rule: every short string over the bytes that matter.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::test {

// Calls `check` with every string of length 0 to `max_length` over `alphabet`.
inline void for_each_string(std::string_view alphabet, std::size_t max_length,
                            const std::function<void(const std::string&)>& check) {
  std::vector<std::size_t> digits;
  std::string s;
  for (std::size_t length = 0; length <= max_length; ++length) {
    digits.assign(length, 0);
    s.assign(length, alphabet[0]);
    for (;;) {
      check(s);
      std::size_t k = 0;
      while (k < length && ++digits[k] == alphabet.size()) {
        digits[k] = 0;
        s[k] = alphabet[0];
        ++k;
      }
      if (k == length) break;
      s[k] = alphabet[digits[k]];
    }
  }
}

}  // namespace clearbounce::test
