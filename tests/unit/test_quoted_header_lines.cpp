// The free-text recipient reader reads only the lines that hold an '@', and
// whether a quoted header field is open before one of them is read
// backwards from it (field_open_before). Held here against the forward
// reading, is_quoted_header_line() over every line, on every sequence of
// up to six lines of the kinds that matter.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/quoted_header_lines.hpp"

namespace {

using clearbounce::dsn::detail::field_open_before;
using clearbounce::dsn::detail::is_header_like_line;
using clearbounce::dsn::detail::is_quoted_header_line;

// Fields, indented fields, continuations, text, indented text, blank and
// white-space lines, a colon too far in to make a field.
constexpr std::array<std::string_view, 9> kLines = {
    "To: a@example.com,", "  b@example.com", "\tCc: c@example.com", "Your message to d@example.com failed",
    " indented text",     "",                " ",                  "Subject: x",
    "0123456789012345678901234567890123456789 to: e@example.com"};

// The state the forward reading leaves before each line, and after the last.
std::vector<bool> open_before_each(const std::vector<std::string_view>& lines) {
  std::vector<bool> open;
  bool in_field = false;
  for (const std::string_view line : lines) {
    open.push_back(in_field);
    is_quoted_header_line(line, in_field);
  }
  open.push_back(in_field);
  return open;
}

// Reads the lines marked in `asked` in ascending order as the reader does,
// each from the last one asked about; false when one disagrees.
bool backward_agrees(const std::vector<std::string_view>& lines, const std::vector<bool>& expected, unsigned asked) {
  std::size_t last = std::string_view::npos;
  bool in_field = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if ((asked & (1u << i)) == 0) continue;
    in_field = field_open_before(lines, i, last, in_field);
    if (in_field != expected[i]) return false;
    is_quoted_header_line(lines[i], in_field);
    last = i;
  }
  return true;
}

TEST(QuotedHeaderLines, BackwardReadingAgreesWithTheForwardOneOnEverySequence) {
  std::size_t sequences = 0;
  std::vector<std::size_t> kinds;
  for (std::size_t length = 1; length <= 6; ++length) {
    kinds.assign(length, 0);
    for (;;) {
      std::vector<std::string_view> lines;
      for (const std::size_t k : kinds) lines.push_back(kLines[k]);
      const std::vector<bool> expected = open_before_each(lines);
      // Every line asked about alone, from the text's start.
      for (std::size_t i = 0; i < length; ++i)
        ASSERT_EQ(field_open_before(lines, i, std::string_view::npos, false), expected[i]) << sequences << " " << i;
      // Every subset of the lines asked about in order, each from the last.
      for (unsigned asked = 1; asked < (1u << length); asked += (length > 4 ? 7 : 1))
        ASSERT_TRUE(backward_agrees(lines, expected, asked)) << sequences << " " << asked;
      ++sequences;
      std::size_t k = 0;
      while (k < length && ++kinds[k] == kLines.size()) kinds[k++] = 0;
      if (k == length) break;
    }
  }
  EXPECT_EQ(sequences, 597870u);  // 9 + 9^2 + ... + 9^6: every sequence was read
}

// The field names a quoted header line starts with, compared the plain way:
// the line's first 40 bytes hold a colon, and, trimmed and lower-cased,
// start with one of the names.
bool reference_header_like(std::string_view line) {
  static const std::array<std::string_view, 21> kNames = {
      "from:",     "to:",          "subject:", "sent:",     "date:",         "message-id:",    "reply-to:",
      "cc:",       "bcc:",         "return-path:", "received:", "in-reply-to:", "references:",   "sender:",
      "errors-to:", "list-",       "delivered-to:", "x-original-to:", "resent-", "disposition-notification-to:",
      "return-receipt-to:"};
  std::string head(line.substr(0, 40));
  if (head.find(':') == std::string::npos) return false;
  const auto first = head.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return false;
  head.erase(0, first);
  for (char& c : head) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  for (const std::string_view name : kNames)
    if (std::string_view(head).starts_with(name)) return true;
  return false;
}

TEST(QuotedHeaderLines, FieldNamesAreToldAsAPlainComparisonTellsThem) {
  // Every name, in random cases, after random blanks, cut short, with its
  // first byte changed, and followed by a colon near the 40th byte.
  const std::vector<std::string> names = {
      "From:", "To:", "Subject:", "Sent:", "Date:", "Message-ID:", "Reply-To:", "Cc:", "Bcc:", "Return-Path:",
      "Received:", "In-Reply-To:", "References:", "Sender:", "Errors-To:", "List-Id:", "Delivered-To:",
      "X-Original-To:", "Resent-From:", "Disposition-Notification-To:", "Return-Receipt-To:", "Tx:", "Data:"};
  std::mt19937 rng(7);
  std::size_t header_like = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string name = names[rng() % names.size()];
    for (char& c : name)
      if (rng() % 2 == 0) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    if (rng() % 8 == 0) name = name.substr(0, rng() % name.size());
    if (rng() % 8 == 0 && !name.empty()) name[0] = static_cast<char>("@[`{ -:xz"[rng() % 9]);
    std::string line(rng() % 4, " \t"[rng() % 2]);
    line += name;
    line.append(rng() % 40, 'x');
    line += rng() % 2 == 0 ? ": a@example.com" : " a@example.com";
    ASSERT_EQ(is_header_like_line(line), reference_header_like(line)) << line;
    header_like += reference_header_like(line) ? 1 : 0;
  }
  EXPECT_GT(header_like, 50000u);  // the names themselves were among them
}

// Linear: a million indented lines, each asked about from the one before.
// A walk that went back past the last line asked about would read some
// 5 * 10^11 lines, and ctest's timeout would end it.
TEST(QuotedHeaderLines, LongRunsOfContinuationLinesAreReadOnce) {
  std::vector<std::string_view> lines = {"To: a@example.com,"};
  lines.insert(lines.end(), 1'000'000, "  b@example.com,");
  std::size_t last = std::string_view::npos;
  bool in_field = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    in_field = field_open_before(lines, i, last, in_field);
    ASSERT_EQ(in_field, i > 0) << i;
    ASSERT_TRUE(is_quoted_header_line(lines[i], in_field));
    last = i;
  }
}

}  // namespace
