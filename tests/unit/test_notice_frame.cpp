// The frame every notice shares (issue 12): a failure says how to fix it
// under a heading that names who can, a delay asks for nothing, the
// server's words are quoted once and attributed to whoever wrote them, and
// the technical section speaks the locale's words.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/notice_test.hpp"

namespace {

using clearbounce::engine::Options;
using clearbounce::templates::Values;
using clearbounce::testing::occurrences;
using clearbounce::testing::postfix_report;
using clearbounce::testing::ReportedRecipient;

class NoticeFrame : public clearbounce::testing::NoticeTest {};

const ReportedRecipient kUnknownUser{"bob@example.org",
                                     "host mx.example.org[192.0.2.25] said: 550 5.1.1 <bob@example.org>: "
                                     "Recipient address rejected: User unknown",
                                     "5.1.1", "failed", "smtp", "mx.example.org"};

TEST_F(NoticeFrame, AFailureSaysHowToFixItUnderAHeadingThatNamesWhoCan) {
  for (const auto& tag : catalogues->tags()) {
    const std::string text = notice(kUnknownUser, tag);
    const std::string user_part = prose(text, tag);
    // Only the sender can correct an address: the heading says so, and no
    // separate sentence repeats it.
    const auto heading = user_part.find(says(tag, "fix.sender"));
    ASSERT_NE(heading, std::string::npos) << tag << "\n" << text;
    EXPECT_LT(heading, user_part.find("  1. ")) << tag;
    EXPECT_EQ(user_part.find(says(tag, "who.sender")), std::string::npos) << tag;
    // The server's words once, in the text the user reads, not again below.
    EXPECT_EQ(occurrences(text, "Recipient address rejected: User unknown"), 1u) << tag << "\n" << text;
    EXPECT_EQ(technical(text, tag).find(says(tag, "text.technical_answer")), std::string::npos) << tag;
  }
}

// Steps are numbered when there are several; a single one is not ("1."
// would promise an order, and is one more word to read).
TEST_F(NoticeFrame, StepsAreNumberedOnlyWhenThereAreSeveral) {
  const ReportedRecipient full{"bob@example.org", "host mx.example.org[192.0.2.25] said: 552 5.2.2 Mailbox full",
                               "5.2.2", "failed", "smtp", "mx.example.org"};
  for (const auto& tag : catalogues->tags()) {
    const std::string one_step = prose(notice(full, tag), tag);
    ASSERT_NE(one_step.find(says(tag, "fix.recipient")), std::string::npos) << tag << "\n" << one_step;
    EXPECT_EQ(one_step.find("  1. "), std::string::npos) << tag << "\n" << one_step;
    const std::string two_steps = prose(notice(kUnknownUser, tag), tag);
    EXPECT_LT(two_steps.find("  1. "), two_steps.find("  2. ")) << tag << "\n" << two_steps;
    EXPECT_NE(two_steps.find("  2. "), std::string::npos) << tag;
  }
  const std::string en = prose(notice(full), "en");
  EXPECT_NE(en.find("\n  " + says("en", "category.recipient.mailbox_full.fix") + "\n"), std::string::npos) << en;
  Options options;
  options.locale = "en";
  const auto outcome = engine->process(postfix_report({kUnknownUser}), options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_NE(outcome.result.notification.html.find("<ol aria-labelledby=\"fix-1\">"), std::string::npos);
}

TEST_F(NoticeFrame, ADelayAsksForNothingAndSaysUntilWhenItIsRetried) {
  ReportedRecipient delayed{"bob@example.org",
                            "host mx.example.org[192.0.2.25] said: 451 4.7.1 Please try again later", "4.7.1",
                            "delayed", "smtp", "mx.example.org"};
  for (const auto& tag : catalogues->tags()) {
    const std::string user_part = prose(notice(delayed, tag), tag);
    const auto no_action = user_part.find(says(tag, "action.delayed.retry_unknown"));
    ASSERT_NE(no_action, std::string::npos) << tag << "\n" << user_part;
    // Right after the outcome; the server's words are for support staff.
    EXPECT_EQ(user_part.find("Please try again later"), std::string::npos) << tag << "\n" << user_part;
    for (const char* who : {"sender", "sender-admin", "recipient", "recipient-admin", "nobody"}) {
      EXPECT_EQ(user_part.find(says(tag, std::string("fix.") + who)), std::string::npos) << tag << " " << who;
      EXPECT_EQ(user_part.find(says(tag, std::string("who.") + who)), std::string::npos) << tag << " " << who;
    }
    EXPECT_EQ(user_part.find("  1. "), std::string::npos) << tag;
    EXPECT_EQ(user_part.find(says(tag, "text.forward")), std::string::npos) << tag;
    // One line for what cannot wait.
    const auto* urgent = catalogues->find(tag, "text.urgent");
    ASSERT_TRUE(urgent && !urgent->empty()) << tag;
    EXPECT_NE(user_part.find(urgent->front().render({{"recipient", "bob@example.org"}})), std::string::npos) << tag;
  }
}

TEST_F(NoticeFrame, TheServersWordsAreAttributedToWhoeverWroteThem) {
  // A reply code: the recipient's server answered, and is named.
  const std::string answered = notice(kUnknownUser);
  EXPECT_NE(answered.find("The recipient's server mx.example.org answered:"), std::string::npos) << answered;
  // No reply code: our own Postfix wrote it, whatever the Diagnostic-Code's type.
  for (const char* type : {"X-Postfix", "smtp"}) {
    const std::string reported = notice({"bob@example.org",
                                         "Host or domain name not found. Name service error for "
                                         "name=example.org type=MX: Host not found",
                                         "5.4.4", "failed", type});
    EXPECT_NE(reported.find(says("en", "text.system_said")), std::string::npos) << type << "\n" << reported;
    EXPECT_EQ(reported.find("The recipient's server"), std::string::npos) << type << "\n" << reported;
  }
}

// A timeout may be the network's fault as much as the other side's: the
// heading says who most likely can fix it, not who alone can.
TEST_F(NoticeFrame, ATimeoutSaysWhoMostLikelyCanFixIt) {
  const ReportedRecipient timed_out{"bob@example.org",
                                    "connect to mx.example.org[192.0.2.25]:25: Connection timed out", "5.4.1",
                                    "failed", "X-Postfix"};
  const Values domain{{"recipient_domain", "example.org"}};
  for (const auto& tag : catalogues->tags()) {
    const std::string user_part = prose(notice(timed_out, tag), tag);
    const auto* likely = catalogues->find(tag, "fix_likely.recipient-admin");
    ASSERT_TRUE(likely && !likely->empty()) << tag;
    EXPECT_NE(user_part.find(likely->front().render(domain)), std::string::npos) << tag << "\n" << user_part;
    const auto* sure = catalogues->find(tag, "fix.recipient-admin");
    ASSERT_TRUE(sure && !sure->empty()) << tag;
    EXPECT_EQ(user_part.find(sure->front().render(domain)), std::string::npos) << tag;
  }
}

// In a report from the internet our server did nothing: the texts that
// would speak of it take their "_remote" form.
TEST_F(NoticeFrame, AReportFromTheInternetDoesNotSpeakOfOurServer) {
  const std::string report = postfix_report(
      {{"bob@example.org",
        "host mx.example.org[192.0.2.25] said: 554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked "
        "using zen.spamhaus.org",
        "5.7.1", "failed", "smtp", "mx.example.org"}});
  for (const auto& tag : catalogues->tags()) {
    Options options;
    options.locale = tag;
    options.remote_report = true;
    const auto remote = engine->process(report, options);
    ASSERT_TRUE(remote.rewritten) << remote.reason;
    const std::string user_part = prose(remote.result.notification.text_plain, tag);
    EXPECT_NE(user_part.find(says(tag, "category.reputation.blocklisted.why_remote")), std::string::npos)
        << tag << "\n" << user_part;
    EXPECT_EQ(user_part.find(says(tag, "category.reputation.blocklisted.why")), std::string::npos) << tag;
    // The block list names the other system's address: our administrators
    // are the way to its administrators, not the ones who can fix it.
    EXPECT_NE(user_part.find(says(tag, "fix.sender-admin_remote")), std::string::npos) << tag << "\n" << user_part;
    EXPECT_EQ(user_part.find(says(tag, "fix.sender-admin")), std::string::npos) << tag;
    if (tag == "en") {
      EXPECT_EQ(user_part.find("our server"), std::string::npos) << user_part;
      EXPECT_NE(user_part.find("refused that system"), std::string::npos) << user_part;
    }
    // Our own report keeps its own words.
    options.remote_report = false;
    const auto own = engine->process(report, options);
    ASSERT_TRUE(own.rewritten) << own.reason;
    const std::string own_part = prose(own.result.notification.text_plain, tag);
    EXPECT_NE(own_part.find(says(tag, "category.reputation.blocklisted.why")), std::string::npos) << tag;
    EXPECT_NE(own_part.find(says(tag, "fix.sender-admin")), std::string::npos) << tag << "\n" << own_part;
  }
}

TEST_F(NoticeFrame, TheTechnicalSectionSpeaksTheLocalesWords) {
  for (const auto& tag : catalogues->tags()) {
    const std::string details = technical(notice(kUnknownUser, tag), tag);
    const std::string failed = says(tag, "action.failed.technical");
    ASSERT_FALSE(failed.empty()) << tag;
    EXPECT_NE(details.find("5.1.1 (" + failed + ")"), std::string::npos) << tag << "\n" << details;
    if (tag != "en") {
      EXPECT_EQ(details.find("(failed)"), std::string::npos) << tag;
    }
  }
}

TEST_F(NoticeFrame, TheTechnicalSectionGivesTheReportsDateInTheLocalesWords) {
  for (const std::string_view tag : {"en", "de"}) {
    const std::string details =
        technical(notice(kUnknownUser, tag, "Arrival-Date: Mon, 23 Nov 2026 10:02:11 +0100\r\n"), tag);
    EXPECT_EQ(details.find("Mon, 23 Nov 2026"), std::string::npos) << tag << "\n" << details;
    EXPECT_NE(details.find(tag == "en" ? "Monday, 23 November 2026, 10:02" : "23. November 2026"), std::string::npos)
        << tag << "\n" << details;
  }
}

// The dashes under the technical heading are as wide as the heading looks
// in a fixed-width font, where a Japanese or Chinese character takes two
// columns.
TEST_F(NoticeFrame, TheHeadingsUnderlineCountsColumnsNotBytes) {
  for (const std::string_view tag : {"ja", "zh-Hans"}) {
    const std::string heading = says(tag, "text.technical");
    std::size_t characters = 0;
    for (const char c : heading) characters += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    ASSERT_TRUE(std::all_of(heading.begin(), heading.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
        << tag << ": the check below assumes a heading of wide characters only";
    const std::string text = notice(kUnknownUser, tag);
    const auto line = text.find(heading + "\n");
    ASSERT_NE(line, std::string::npos) << tag;
    const auto dashes_at = line + heading.size() + 1;
    const auto dashes = text.substr(dashes_at, text.find('\n', dashes_at) - dashes_at);
    EXPECT_EQ(dashes, std::string(std::min<std::size_t>(2 * characters, 60), '-')) << tag;
  }
}

// HTML: the outcome and "How to fix it" are headings, the steps a list
// labelled by its heading, words are never split mid-word, and the server's
// quote looks unlike the sentence to forward.
TEST_F(NoticeFrame, TheHtmlVersionIsStructured) {
  Options options;
  options.locale = "en";
  const auto outcome = engine->process(
      postfix_report({{"bob@example.org", "host mx.example.org[192.0.2.25] said: 552 5.2.2 Mailbox full", "5.2.2",
                       "failed", "smtp", "mx.example.org"}}),
      options);
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  const std::string& html = outcome.result.notification.html;
  EXPECT_NE(html.find("<h2 style=\"font-size:1.15em\">Your message"), std::string::npos) << html;
  const auto heading = html.find("<h3 style=\"font-size:1em\" id=\"fix-1\">");
  ASSERT_NE(heading, std::string::npos) << html;
  // A full mailbox has one step: a list without numbers.
  EXPECT_NE(html.find("<ul aria-labelledby=\"fix-1\" style=\"list-style:none", heading), std::string::npos) << html;
  EXPECT_EQ(html.find("<ol"), std::string::npos) << html;
  EXPECT_EQ(html.find("break-all"), std::string::npos);
  const auto quote = html.find("<blockquote style=\"", html.find("Mailbox full") - 200);
  const auto forward = html.rfind("<blockquote style=\"");
  ASSERT_NE(quote, std::string::npos);
  ASSERT_NE(forward, quote) << "the notice has both a quote and a sentence to forward";
  const auto style_at = [&](std::size_t at) { return html.substr(at, html.find('>', at) - at); };
  EXPECT_NE(style_at(quote), style_at(forward));
  EXPECT_EQ(html.find("http://"), std::string::npos);  // still no external resources
  EXPECT_EQ(html.find("https://"), std::string::npos);
}

}  // namespace
