// parse_header_params() reads the common parameter list ("type/subtype;
// name=value; name=\"value\"", ASCII, white space and folding around the
// parts) in one go, and leaves everything else to the general reading.
// Held against the general reading (parse_header_params_gathered, which
// never takes the shortcut) on lists put together from the pieces real and
// broken headers are made of, and on every short string of the bytes that
// decide whether the shortcut is taken.
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "dsn/encoding.hpp"
#include "tests/unit/every_string.hpp"

namespace {

using clearbounce::dsn::HeaderValueWithParams;
using clearbounce::dsn::parse_header_params;
using clearbounce::dsn::detail::parse_header_params_gathered;
using clearbounce::test::for_each_string;

bool same(const HeaderValueWithParams& a, const HeaderValueWithParams& b) {
  return a.value == b.value && a.params == b.params;
}

TEST(SimpleParams, ReadAsTheGeneralReadingReadsThem) {
  static const std::array<std::string_view, 26> kPieces = {
      "text/plain", "Multipart/Report", "message/delivery-status", ";", "; ", " ", "\t", "\r\n\t", "charset",
      "BOUNDARY",   "=",                "\"",                      "us-ascii", "----=_Part_1.2", "*", "*0*",
      "(c)",        "\\",               "\xC3\xA9",                "\xE9",     ",", "/", "report-type=delivery-status",
      "\"a b\"",    "x=\"\"",           "=\"q\\\"q\""};
  std::mt19937 rng(20261204);
  for (int round = 0; round < 300000; ++round) {
    std::string s;
    const std::size_t pieces = rng() % 12;
    for (std::size_t k = 0; k < pieces; ++k) s += kPieces[rng() % kPieces.size()];
    ASSERT_TRUE(same(parse_header_params(s), parse_header_params_gathered(s))) << testing::PrintToString(s);
  }
}

TEST(SimpleParams, EveryShortStringOfTheDecidingBytes) {
  std::optional<std::string> first_difference;
  std::size_t checked = 0;
  for_each_string("a;= \"\r*(\\\x80", 6, [&](const std::string& s) {
    if (!first_difference && !same(parse_header_params(s), parse_header_params_gathered(s))) first_difference = s;
    ++checked;
  });
  EXPECT_EQ(first_difference, std::nullopt);
  EXPECT_EQ(checked, 1111111u);  // 10^0 + ... + 10^6
}

// The lists the shortcut is for give what they say.
TEST(SimpleParams, CommonListsGiveTheirParameters) {
  const auto report = parse_header_params(
      " Multipart/Report; Report-Type=delivery-status;\r\n\tboundary=\"----=_Part_1 2\" ;");
  EXPECT_EQ(report.value, "multipart/report");
  ASSERT_EQ(report.params.size(), 2u);
  EXPECT_EQ(report.params[0], (std::pair<std::string, std::string>{"report-type", "delivery-status"}));
  EXPECT_EQ(report.params[1], (std::pair<std::string, std::string>{"boundary", "----=_Part_1 2"}));
  const auto empty = parse_header_params("text/plain; charset=");
  ASSERT_EQ(empty.params.size(), 1u);
  EXPECT_EQ(empty.params[0].second, "");
}

}  // namespace
