// text_for_matching() finds runs of ordinary bytes and single spaces sixteen
// bytes at a time (where the machine has SSE2); it must give what a
// byte-at-a-time reading gives, at every alignment and around every byte
// its vector tests look for.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

#include "classifier/text.hpp"
#include "every_string.hpp"

namespace {

using clearbounce::classifier::text_for_matching;

bool is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
// The rule read one byte at a time, for texts without a reply code (no
// digit '2' to '5'), where dropping repeated codes changes nothing. The
// extent of an address is the library's own (tested in
// test_text_for_matching.cpp); this reference checks the runs around it.
std::string byte_by_byte(std::string_view in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
      continue;
    }
    if ((c == '<' || c == '>') && i + 2 < in.size() && in[i + 1] == in[i] && in[i + 2] == in[i] &&
        (i + 3 == in.size() || is_space(static_cast<unsigned char>(in[i + 3])))) {
      i += 2;
      continue;
    }
    if (c == '@') {
      const std::size_t local = clearbounce::classifier::detail::local_part_before(out);
      const std::size_t end = clearbounce::classifier::detail::domain_end(in, i + 1);
      if (local > 0 && end > i + 1) {
        out.resize(out.size() - local);
        out += "<address>";
        i = end - 1;
        continue;
      }
    }
    out.push_back(static_cast<char>(c));
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Bytes at the edges of the vector tests (0x20/0x21, '<' 0x3C, '=' 0x3D,
// '>' 0x3E, '?' 0x3F, '@' 0x40, 'A' 0x41, control bytes, bytes from 0x80).
constexpr char kEdgeBytes[] = "a ! \t\n\r\f\v<=>?@A.9x\x01\x1f\x7f\x80\xbc\xc0\xff";
const std::string kBytes = std::string(kEdgeBytes, sizeof kEdgeBytes);  // the final zero byte too

TEST(TextForMatchingRuns, EveryShortTextAtEveryAlignmentAsByteByByte) {
  const std::string alphabet = "a <>@\n!";
  std::size_t checked = 0;
  clearbounce::test::for_each_string(alphabet, 6, [&](const std::string& s) {
    for (const std::string& pad :
         {std::string("w"), std::string("wxyz q"), std::string("abcdefghi"), std::string("abcdefghijklmnopqrs")}) {
      const std::string text = pad + s + "tail words and more";
      ASSERT_EQ(text_for_matching(text), byte_by_byte(text)) << "'" << text << "'";
      ++checked;
    }
  });
  EXPECT_GT(checked, 400000u);
}

TEST(TextForMatchingRuns, RandomTextsAsByteByByte) {
  std::mt19937 random(4242);
  for (int round = 0; round < 200000; ++round) {
    std::string text(random() % 48, 'a');
    // Mostly letters and single spaces, as in real replies, now and then anything.
    for (char& c : text) c = random() % 3 ? "ab c"[random() % 4] : kBytes[random() % kBytes.size()];
    ASSERT_EQ(text_for_matching(text), byte_by_byte(text)) << "'" << text << "'";
  }
}

}  // namespace
