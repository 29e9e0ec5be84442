// parse_mime()'s shortcuts against plain readings of the same rules:
// - a multipart's delimiter lines are found with a skipping search, held
//   against looking at every line start, over random bodies full of
//   near-delimiters;
// - Content-Type and Content-Transfer-Encoding are told by comparing eight
//   bytes at once with bit 5 set, held against a caseless comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <random>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "dsn/mime.hpp"
#include "tests/unit/every_string.hpp"

namespace {

using clearbounce::test::for_each_string;
using clearbounce::dsn::parse_mime;

bool blank(char c) { return c == ' ' || c == '\t'; }


// "--boundary[--][WSP]" and a line end (or the end) at body[pos].
bool delimiter_line(std::string_view body, std::size_t pos, std::string_view boundary, bool& close,
                    std::size_t& next) {
  const std::string dashed = "--" + std::string(boundary);
  if (body.substr(pos, dashed.size()) != dashed) return false;
  std::size_t q = pos + dashed.size();
  close = body.substr(q, 2) == "--";
  if (close) q += 2;
  while (q < body.size() && blank(body[q])) ++q;
  if (q == body.size() || body[q] == '\n') {
    next = std::min(q + 1, body.size());
    return true;
  }
  if (body[q] == '\r' && (q + 1 == body.size() || body[q + 1] == '\n')) {
    next = std::min(q + 2, body.size());
    return true;
  }
  return false;
}

struct Split {
  std::string preamble;
  std::vector<std::string> parts;
};

// Every line start is looked at; the line break before a delimiter belongs to it.
Split reference_split(std::string_view body, std::string_view boundary) {
  Split split;
  bool found = false;
  bool open = false;
  bool closed = false;
  std::size_t part_start = 0;
  std::size_t pos = 0;
  while (pos < body.size()) {
    bool close = false;
    std::size_t next = 0;
    if (delimiter_line(body, pos, boundary, close, next)) {
      std::size_t break_start = pos == 0 ? 0 : (pos >= 2 && body[pos - 2] == '\r') ? pos - 2 : pos - 1;
      if (!found) {
        split.preamble = body.substr(0, break_start);
        found = true;
      } else if (open) {
        break_start = std::max(break_start, part_start);
        split.parts.emplace_back(body.substr(part_start, break_start - part_start));
      }
      if (close) {
        closed = true;
        break;
      }
      open = true;
      part_start = pos = next;
      continue;
    }
    const std::size_t nl = body.find('\n', pos);
    pos = nl == std::string_view::npos ? body.size() : nl + 1;
  }
  if (!found) split.preamble = body;
  if (found && open && !closed) split.parts.emplace_back(body.substr(part_start));
  return split;
}

// What parse_mime() makes of `body` under a multipart header with `boundary_param`.
Split parsed_split(const std::string& body, const std::string& boundary_param) {
  const std::string message = "Content-Type: multipart/mixed; " + boundary_param + "\n\n" + body;
  const auto mime = parse_mime(message);
  Split split;
  if (!mime) return split;
  split.preamble = mime->root.preamble;
  for (const auto& child : mime->root.children) split.parts.emplace_back(child.raw);
  return split;
}

void expect_same_split(const std::string& body, const std::string& boundary_param, std::string_view boundary) {
  const Split want = reference_split(body, boundary);
  const Split got = parsed_split(body, boundary_param);
  EXPECT_EQ(got.preamble, want.preamble) << testing::PrintToString(body);
  EXPECT_EQ(got.parts, want.parts) << testing::PrintToString(body);
}

TEST(MimeFastPaths, SplitsRandomBodiesAsEveryLineStartWouldBeRead) {
  // Delimiters, closing ones, ones with padding or a bare CR, near misses
  // (a longer boundary, one not at a line start, dashes), line ends.
  static const std::array<std::string_view, 16> kPieces = {
      "--b-1", "--b-1--", "--b-1 \t", "--b-1x", "x--b-1", "--b-1\r", "-", "--", "b-1", "\r\n",
      "\n",    "\n",      "\r",       "text ", "--b-1-", "1--b-1--b-1"};
  std::mt19937 rng(20261204);
  for (int round = 0; round < 20000; ++round) {
    std::string body;
    const std::size_t pieces = rng() % 24;
    for (std::size_t k = 0; k < pieces; ++k) body += kPieces[rng() % kPieces.size()];
    expect_same_split(body, "boundary=\"b-1\"", "b-1");
    if (HasFailure()) return;
  }
}

TEST(MimeFastPaths, TrickyBodies) {
  const std::string boundary = "----=_Part_933362_1685657572.1416612953379";
  const std::string param = "boundary=\"" + boundary + "\"";
  const std::vector<std::string> bodies = {
      "",
      "--" + boundary,
      "--" + boundary + "--",
      "preamble\r\n--" + boundary + "\r\nContent-Type: text/plain\r\n\r\nHello\r\n--" + boundary + "--\r\nepilogue",
      // Never closed, a boundary quoted inside a part, a longer boundary.
      "--" + boundary + "\nboundary=\"" + boundary + "\"\n--" + boundary + "0\n  --" + boundary + "\nend",
      // Empty parts and nesting-like text.
      "--" + boundary + "\n--" + boundary + "\n\n--" + boundary + "\r\n\r\n--" + boundary + "--",
      std::string(5000, '-') + "\n--" + boundary + "\n" + std::string(3000, 'x') + "\n--" + boundary + "--\n",
  };
  for (const std::string& body : bodies) expect_same_split(body, param, boundary);
}

// Lines that match all of a long boundary but its last byte, where the
// skipping search has to compare at nearly every line start, and lines
// that end where the boundary would go on.
TEST(MimeFastPaths, SplitsLinesThatNearlyMatchALongBoundary) {
  const std::string boundary = std::string(60, 'a') + "b";
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "--" + std::string(60, 'a') + (i % 2 == 0 ? "c\n" : "\n");
  body += "--" + boundary + "\nA part\n--" + boundary + "--\n";
  expect_same_split(body, "boundary=" + boundary, boundary);
  EXPECT_EQ(parsed_split(body, "boundary=" + boundary).parts.size(), 1u);
}

// Every header-name character in every place of the two names, and every
// mix of capitals: a field counts as Content-Type (or -Transfer-Encoding)
// exactly when a caseless comparison says so.
TEST(MimeFastPaths, TellsTheContentFieldsAsACaselessComparisonWould) {
  const auto caseless_equal = [](std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
             return lower(x) == lower(y);
           });
  };
  std::vector<std::string> names;
  for (const std::string base : {"Content-Type", "Content-Transfer-Encoding"}) {
    for (std::size_t k = 0; k < base.size(); ++k) {
      for (int c = 33; c <= 126; ++c) {
        if (c == ':') continue;
        std::string name = base;
        name[k] = static_cast<char>(c);
        names.push_back(name);
      }
    }
    for (unsigned mask = 0; mask < 64; ++mask) {
      std::string name = base;
      for (std::size_t k = 0; k < 6; ++k)
        if (mask & (1u << k)) name[k * 3] = static_cast<char>(name[k * 3] ^ 0x20);
      names.push_back(name);
    }
  }
  for (const std::string& name : names) {
    const std::string input = name + ": text/html\n" + name + ": base64\nX: y\n\nbody\n";  // outlives the views into it
    const auto mime = parse_mime(input);
    ASSERT_TRUE(mime) << name;
    const bool type = caseless_equal(name, "Content-Type");
    const bool encoding = caseless_equal(name, "Content-Transfer-Encoding");
    EXPECT_EQ(mime->root.media_type(), type ? "text/html" : "text/plain") << name;
    EXPECT_EQ(mime->root.transfer_encoding, encoding ? "text/html" : "7bit") << name;
  }
}

// A header line is a field when it starts with header-name characters,
// then white space, then ':' (the name is read a word at a time up to the
// first byte that cannot be in it). Every short line over the bytes that matter,
// between two fields: the parser keeps exactly the fields this rule names.
TEST(MimeFastPaths, TellsFieldLinesAsTheRuleReadsThem) {
  const auto expected_field = [](const std::string& line) -> std::optional<std::pair<std::string, std::string>> {
    std::size_t end = 0;
    while (end < line.size() && line[end] >= 33 && line[end] <= 126 && line[end] != ':') ++end;
    std::size_t colon = end;
    while (colon < line.size() && (line[colon] == ' ' || line[colon] == '\t')) ++colon;
    if (end == 0 || colon == line.size() || line[colon] != ':') return std::nullopt;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value.back() == '\r') value.pop_back();
    return std::make_pair(line.substr(0, end), value);
  };
  std::size_t checked = 0;
  std::optional<std::string> first_difference;
  const auto check = [&](const std::string& line) {
    if (first_difference || line.empty() || line == "\r" || line[0] == ' ' || line[0] == '\t') return;
    const std::string message = "X: y\n" + line + "\nZ: w\n\nbody";
    const auto mime = parse_mime(message);
    std::vector<std::pair<std::string, std::string>> fields;
    if (mime)
      for (const auto& field : mime->root.headers) fields.emplace_back(field.name, field.raw_value);
    std::vector<std::pair<std::string, std::string>> want = {{"X", " y"}};
    if (const auto field = expected_field(line)) {
      want.push_back(*field);
    } else {
      want[0].second = " y\n" + (line.back() == '\r' ? line.substr(0, line.size() - 1) : line);  // an unindented fold
    }
    want.emplace_back("Z", " w");
    if (fields != want) first_difference = line;
    ++checked;
  };
  for_each_string("ab:- \t\r\x01\x7f\x80", 6, [&](const std::string& line) {
    check(line);
    // Longer names, so that the odd bytes also fall in words read at once.
    if (line.size() <= 5) {
      check("Long-Name-Prefix" + line);
      check(line + "-Long-Name-Suffix:");
    }
  });
  EXPECT_EQ(first_difference, std::nullopt);
  EXPECT_GT(checked, 500000u);
}

}  // namespace
