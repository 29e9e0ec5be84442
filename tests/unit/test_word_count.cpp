// The words a notice's reader reads, counted the same way in every
// locale, and the part of a rendered notice that is theirs.
#include <gtest/gtest.h>

#include <string>

#include "templates/word_count.hpp"

namespace {

using clearbounce::templates::count_words;
using clearbounce::templates::reader_part;

TEST(WordCount, WordsAreRunsBetweenSpacesAndPunctuation) {
  EXPECT_EQ(count_words(""), 0u);
  EXPECT_EQ(count_words("Hello, Alice."), 2u);
  EXPECT_EQ(count_words("  It's   fine;\tthanks!\n"), 3u);
  // An address, a status code and a host are one word each.
  EXPECT_EQ(count_words("bob@example.org got 4.7.5 from mx.example.org"), 5u);
  // Punctuation alone, a list number's dot or a dash is no word.
  EXPECT_EQ(count_words("1. Send it — again - now"), 5u);
  // Letters of other scripts are letters.
  EXPECT_EQ(count_words("Ваше письмо не доставлено"), 4u);
  EXPECT_EQ(count_words("Nachricht für Müller"), 3u);
  // The typographic apostrophe joins as the ASCII one does.
  EXPECT_EQ(count_words("jusqu\u2019au vendredi, n\u2019écrirons qu\u2019en cas d\u2019échec"), 6u);
  EXPECT_EQ(count_words("dell\u2019indirizzo \u2018Quarterly report\u2019"), 3u);
}

TEST(WordCount, ChineseCharactersAndKanaCountOneForEveryTwo) {
  EXPECT_EQ(count_words("邮件"), 1u);
  EXPECT_EQ(count_words("邮件无法"), 2u);
  EXPECT_EQ(count_words("邮件无法送达"), 3u);
  EXPECT_EQ(count_words("送"), 1u);                  // an odd one rounds up
  EXPECT_EQ(count_words("メールは、届きません。"), 5u);  // 4 + 5 characters between the marks: 2 + 3
  EXPECT_EQ(count_words("发给 bob@example.org 的邮件"), 4u);  // 1 + 1 + 2
}

TEST(WordCount, BytesThatAreNoUtf8CountAsLetters) {
  EXPECT_EQ(count_words(std::string("caf\xE9 ok")), 2u);
  EXPECT_EQ(count_words(std::string("\xE4\xB8")), 1u);  // a cut sequence
}

TEST(ReaderPart, EndsBeforeTheTechnicalHeading) {
  const std::string notice =
      "Hello,\n\nYour message could not be delivered.\n\n"
      "Technical details for support staff\n-----------------------------------\n\nbob@example.org\n";
  EXPECT_EQ(reader_part(notice), "Hello,\n\nYour message could not be delivered.\n\n");
  EXPECT_EQ(count_words(reader_part(notice)), 7u);
  EXPECT_EQ(reader_part("No heading here.\n- a list item\n"), "No heading here.\n- a list item\n");
  EXPECT_EQ(reader_part(""), "");
}

}  // namespace
