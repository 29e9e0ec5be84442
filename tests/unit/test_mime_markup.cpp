// The text of an HTML-only report: markup is dropped, each tag's end (and
// any stray '>') leaves a space, however '<' and '>' interleave.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/layout.hpp"
#include "dsn/mime.hpp"

namespace {

using clearbounce::dsn::HumanForm;
using clearbounce::dsn::layout_of;
using clearbounce::dsn::parse_mime;

std::string text_of_html(std::string_view html) {
  const std::string raw = "Content-Type: text/html\n\n" + std::string(html);  // the parse refers to it
  const auto message = parse_mime(raw);
  EXPECT_TRUE(message.has_value());
  if (!message) return {};
  const auto layout = layout_of(message->root);
  EXPECT_EQ(layout.human_form, HumanForm::html);
  return human_text(layout);
}

TEST(MimeMarkup, TagsBecomeSpaces) {
  EXPECT_EQ(text_of_html("a<b>c"), "a c");
  EXPECT_EQ(text_of_html("<p>Mail <b>not</b> delivered</p>"), " Mail  not  delivered ");
  EXPECT_EQ(text_of_html("<>"), " ");
  EXPECT_EQ(text_of_html("no markup at all"), "no markup at all");
  EXPECT_EQ(text_of_html(""), "");
}

TEST(MimeMarkup, StrayClosingBracketsBecomeSpaces) {
  EXPECT_EQ(text_of_html("x > y"), "x   y");
  EXPECT_EQ(text_of_html(">>"), "  ");
  EXPECT_EQ(text_of_html("a>b<c>d>e"), "a b d e");
}

TEST(MimeMarkup, OpeningBracketInsideATagIsPartOfIt) {
  EXPECT_EQ(text_of_html("<<a>b>c"), " b c");
  EXPECT_EQ(text_of_html("x<a<b<c>y"), "x y");
}

TEST(MimeMarkup, UnclosedTagHidesTheRest) {
  EXPECT_EQ(text_of_html("keep <unclosed tag"), "keep ");
  EXPECT_EQ(text_of_html("a>b<c"), "a b");
}

// Many '>' before a far '<', and the other way round: both orders are read
// in one pass (a search per bracket from the start would not finish).
TEST(MimeMarkup, LongRunsOfOneBracketStayLinear) {
  const std::string closes(200000, '>');
  EXPECT_EQ(text_of_html(closes + "<end"), std::string(200000, ' '));
  const std::string opens(200000, '<');
  EXPECT_EQ(text_of_html("a" + opens + ">b"), "a b");
}

}  // namespace
