// Where a returned message's header section, pasted into a bounce's text
// without a line that announces it, starts: a run of three header fields,
// one of them a field that report texts never write of their own.
#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "dsn/plain.hpp"

namespace {

using clearbounce::dsn::detail::before_original_message;

const std::string kReport = "Delivery to bob@example.org failed:\n550 5.1.1 User unknown\n\n";

bool cut_before(const std::string& fields) { return before_original_message(kReport + fields) == kReport; }

}  // namespace

TEST(QuotedHeaderSection, ThreeFieldsWithOneOnlyAMessageWritesStartIt) {
  EXPECT_TRUE(cut_before("Received: from mx.example.com\nFrom: a@example.com\nTo: b@example.org\n"));
  EXPECT_TRUE(cut_before("FROM: a@example.com\nSUBJECT: hi\nMESSAGE-ID: <1@example.com>\n"));
  EXPECT_TRUE(cut_before("From: a@example.com\nTo: b@example.org\nList-Unsubscribe: <mailto:u@example.com>\n"));
  // "X-Mailer" is an "x-" field too, but one that only messages write.
  EXPECT_TRUE(cut_before("From: a@example.com\nTo: b@example.org\nX-Mailer: Example 1.0\n"));
  // A field whose value starts on the next line, or after a tab or CR.
  EXPECT_TRUE(cut_before("Received:\n\tfrom mx.example.com\nFrom:\ta@example.com\r\nTo: b@example.org\n"));
}

TEST(QuotedHeaderSection, FieldsThatReportsWriteThemselvesDoNot) {
  // Only fields a report may write: no strong one.
  EXPECT_FALSE(cut_before("From: a@example.com\nTo: b@example.org\nSubject: hi\n"));
  EXPECT_FALSE(cut_before("From: a@example.com\nTo: b@example.org\nX-Mailer-Id: 7\n"));
}

TEST(QuotedHeaderSection, WhatOnlyLooksLikeAFieldIsNone) {
  for (const std::string line : {"Received:from mx.example.com",  // no blank after the colon
                                 "List-: x",                      // "list-" needs a name after it
                                 "X-: x",                          // so does "x-"
                                 "X_Mailer: x",                    // not a name of letters, digits and '-'
                                 "Reason: unknown user",           // not a message's field
                                 " Received: indented"}) {
    EXPECT_FALSE(cut_before(line + "\nFrom: a@example.com\nTo: b@example.org\n")) << line;
    EXPECT_FALSE(cut_before("From: a@example.com\n" + line + "\nTo: b@example.org\n")) << line;
  }
}

TEST(QuotedHeaderSection, OnlyTheFirstFortyBytesOfALineAreLookedAt) {
  // A colon that ends the 40 bytes counts as followed by a blank.
  const std::string long_name = "X-" + std::string(37, 'a');  // 39 bytes, then the colon
  EXPECT_TRUE(cut_before(long_name + ":value\nReceived: x\nFrom: a@example.com\n"));
  const std::string longer_name = "X-" + std::string(38, 'a');  // the colon is past the 40 bytes
  EXPECT_FALSE(cut_before(longer_name + ": value\nReceived: x\nTo: b@example.org\n"));
}

TEST(QuotedHeaderSection, NamesWithNonAsciiLettersAreReadCaselessLikeTheRegex) {
  // "Me\u017F\u017Fage-ID": a caseless regex takes the long s for an 's'.
  EXPECT_TRUE(cut_before("From: a@example.com\nTo: b@example.org\nMe\xC5\xBF\xC5\xBF" "age-ID: <1@example.com>\n"));
  EXPECT_FALSE(cut_before("From: a@example.com\nTo: b@example.org\nMe\xC3\xBC\xC3\xBC" "age-ID: <1@example.com>\n"));
}
