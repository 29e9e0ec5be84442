// The ASCII helpers of dsn/: no locale, no surprises.
#include <gtest/gtest.h>

#include <string>

#include "dsn/ascii.hpp"

namespace {

using clearbounce::dsn::detail::icontains;
using clearbounce::dsn::detail::is_ascii_alnum;
using clearbounce::dsn::detail::istarts_with;

TEST(Ascii, AlnumIsAsciiDigitsAndLettersOnly) {
  for (const char c : std::string("09azAZ")) EXPECT_TRUE(is_ascii_alnum(c)) << c;
  // Latin-1 letters in UTF-8 (\xC3\xA9 is e acute) and a Latin-1 byte on its
  // own are not ASCII letters, whatever the C library's locale says.
  for (const char c : std::string("_-. /:@\xC3\xA9\xE9\x7F")) EXPECT_FALSE(is_ascii_alnum(c)) << c;
}

TEST(Ascii, IcontainsFindsANeedleAnywhereInAnyCase) {
  EXPECT_TRUE(icontains("Content-Type: message/Delivery-Status", "delivery-status"));
  EXPECT_TRUE(icontains("delivery-status", "DELIVERY-STATUS"));
  EXPECT_TRUE(icontains("xdelivery-status", "delivery-status"));
  EXPECT_TRUE(icontains("delivery-statusx", "delivery-status"));
  EXPECT_TRUE(icontains("anything", ""));
  EXPECT_TRUE(icontains("aaab", "aab"));   // a partial match just before the real one
  EXPECT_TRUE(icontains("List-Id: x", "list-"));
  EXPECT_FALSE(icontains("delivery-statu", "delivery-status"));
  EXPECT_FALSE(icontains("delivery status", "delivery-status"));
  EXPECT_FALSE(icontains("", "a"));
  EXPECT_FALSE(icontains("abc", "abcd"));
  // Bytes above ASCII are compared as they are.
  EXPECT_TRUE(icontains("caf\xc3\xa9 CR\xc3\x88ME", "cr\xc3\x88me"));
  EXPECT_FALSE(icontains("CR\xc3\x88ME", "cr\xc3\xa8me"));
}

TEST(Ascii, IstartsWithIgnoresAsciiCaseOnly) {
  EXPECT_TRUE(istarts_with("Content-Type: message/rfc822", "content-type:"));
  EXPECT_TRUE(istarts_with("abc", ""));
  EXPECT_FALSE(istarts_with("ab", "abc"));
  EXPECT_FALSE(istarts_with(" content-type:", "content-type:"));
  EXPECT_FALSE(istarts_with("\xc3\x88me", "\xc3\xa8me"));
}

TEST(Ascii, IcontainsAgreesWithAPlainSearchOnEveryShift) {
  // The skip table must never jump over a match: try the needle at every
  // offset of texts built from the needle's own letters, short texts (read
  // a byte at a time) and long ones (read with the table) alike.
  const std::string needle = "does not like recipient";
  for (std::size_t shift = 0; shift < 320; ++shift) {
    std::string text(shift, 'e');
    text += "DOES NOT LIKE RECIPIENT";
    text += std::string(shift % 7, 't');
    EXPECT_TRUE(icontains(text, needle)) << shift;
    text[shift + 5] = 'X';  // "DOES XOT ..."
    EXPECT_FALSE(icontains(text, needle)) << shift;
  }
}

}  // namespace
