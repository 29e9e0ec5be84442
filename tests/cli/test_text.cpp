// The JSON writer and the terminal text helpers, tested directly.
#include <gtest/gtest.h>

#include <string>

#include "cli/json.hpp"
#include "cli/text.hpp"
#include "support.hpp"

namespace {

using clearbounce::cli::append_json_string;
using clearbounce::cli::display_text;
using clearbounce::cli::display_width;
using clearbounce::cli::JsonObjectWriter;

std::string json(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

const std::string kFffd = "\xEF\xBF\xBD";

TEST(JsonString, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(json("plain"), "\"plain\"");
  EXPECT_EQ(json("say \"hi\" \\o/"), R"("say \"hi\" \\o/")");
  EXPECT_EQ(json(std::string_view("a\0b", 3)), R"("a\u0000b")");
  EXPECT_EQ(json("\n\r\t\x1b\x1f\x7f"), R"("\u000a\u000d\u0009\u001b\u001f\u007f")");
  EXPECT_EQ(json("line\xE2\x80\xA8sep\xE2\x80\xA9"), R"("line\u2028sep\u2029")");
}

TEST(JsonString, KeepsValidUtf8) {
  EXPECT_EQ(json("Grüße, 日本, \xF0\x9F\x93\xA7"), "\"Grüße, 日本, \xF0\x9F\x93\xA7\"");
  EXPECT_EQ(json(kFffd), "\"" + kFffd + "\"");
}

TEST(JsonString, ReplacesInvalidUtf8) {
  EXPECT_EQ(json("caf\xE9!"), "\"caf" + kFffd + "!\"");                           // Latin-1
  EXPECT_EQ(json("\x80"), "\"" + kFffd + "\"");                                   // lone continuation
  EXPECT_EQ(json("\xE2\x82"), "\"" + kFffd + "\"");                               // truncated at the end
  EXPECT_EQ(json("\xE2\x82x"), "\"" + kFffd + "x\"");                             // truncated in the middle
  EXPECT_EQ(json("\xC0\xAF"), "\"" + kFffd + kFffd + "\"");                       // overlong '/'
  EXPECT_EQ(json("\xED\xA0\x80"), "\"" + kFffd + kFffd + kFffd + "\"");           // UTF-16 surrogate
  EXPECT_EQ(json("\xF4\x90\x80\x80"), "\"" + kFffd + kFffd + kFffd + kFffd + "\"");  // above U+10FFFF
  EXPECT_EQ(json("\xFF\xFE"), "\"" + kFffd + kFffd + "\"");
}

TEST(JsonString, EscapesWhereverTheByteFallsInALongPlainRun) {
  // Plain text is copied eight bytes at a time: a byte to escape at any
  // place of a long run, first, last or between, is escaped as alone.
  const std::string plain = "abcdefghijklmnopqrstuvwx";
  for (const std::string special : {"\"", "\\", "\n", "\x1f", "\x7f", "\xE2\x80\xA8", "\xC3\xA9", "\x80"}) {
    const std::string alone = json(special);
    for (std::size_t at = 0; at <= plain.size(); ++at) {
      const std::string text = plain.substr(0, at) + special + plain.substr(at);
      const std::string expected =
          '"' + plain.substr(0, at) + alone.substr(1, alone.size() - 2) + plain.substr(at) + '"';
      EXPECT_EQ(json(text), expected) << at;
    }
  }
}

TEST(JsonString, AnyBytesGiveValidJson) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (int i = 255; i >= 0; --i) all.push_back(static_cast<char>(i));
  cbtest::Json value;
  std::string error;
  ASSERT_TRUE(cbtest::parse_json(json(all), value, error)) << error;
  EXPECT_EQ(value.type, cbtest::Json::Type::string);
}

TEST(JsonObjectWriter, WritesOneLine) {
  std::string out;
  JsonObjectWriter object(out);
  object.string("file", "a\"b").null("category").boolean("temporary", true).string_map("facts", {{"k", "v"}, {"a", "\n"}});
  object.finish();
  EXPECT_EQ(out, R"({"file":"a\"b","category":null,"temporary":true,"facts":{"a":"\u000a","k":"v"}})"
                 "\n");
}

TEST(DisplayText, RemovesControlsAndCollapsesSpace) {
  EXPECT_EQ(display_text("  550 5.1.1\r\n\tuser   unknown  ", 100), "550 5.1.1 user unknown");
  EXPECT_EQ(display_text("red\x1b[31malert\x07", 100), "red [31malert");
  EXPECT_EQ(display_text("a\xE2\x80\xAE" "b", 100), "a b");  // right-to-left override
  EXPECT_EQ(display_text("caf\xE9", 100), "caf" + kFffd);
}

TEST(DisplayText, ShortensWithEllipsisOnCharacterBoundaries) {
  EXPECT_EQ(display_text("abcdefghij", 10), "abcdefghij");
  EXPECT_EQ(display_text("abcdefghijk", 10), "abcdefg...");
  EXPECT_EQ(display_text("äöüäöüäöüäöü", 8), "äöüäö...");
  EXPECT_EQ(display_text("abcd efgh", 8), "abcd...");
  EXPECT_EQ(display_width(display_text(std::string(500, 'x'), 60)), 60u);
}

}  // namespace
