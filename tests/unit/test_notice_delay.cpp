// A delay asks nothing of the sender (issue 12): its headline gives the
// cause in a few words, the next line says that nothing needs doing and
// until when it is retried (by weekday and time when that is less than a
// week away), and the server's words are for support staff.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tests/support/notice_test.hpp"

namespace {

using clearbounce::templates::Values;
using clearbounce::testing::ReportedRecipient;

constexpr std::string_view kArrival = "Arrival-Date: Mon, 23 Nov 2026 10:02:11 +0100\r\n";

class NoticeDelay : public clearbounce::testing::NoticeTest {};

ReportedRecipient greylisted(std::string more_fields = {}) {
  return {"bob@example.org", "host mx.example.org[192.0.2.25] said: 451 4.7.1 Greylisted, please try again later",
          "4.7.1", "delayed", "smtp", "mx.example.org", std::move(more_fields)};
}

TEST_F(NoticeDelay, TheHeadlineGivesTheCauseAndTheServersWordsAreForSupportStaff) {
  const Values facts{{"recipient", "bob@example.org"}, {"recipient_domain", "example.org"}};
  for (const auto& tag : catalogues->tags()) {
    const std::string text = notice(greylisted(), tag);
    const std::string user_part = prose(text, tag);
    const std::string label = says(tag, "category.throttle.greylisted.label");
    ASSERT_FALSE(label.empty()) << tag;
    const auto headline_end = user_part.find("\n\n", user_part.find("bob@example.org"));
    EXPECT_NE(user_part.substr(0, headline_end).find(label), std::string::npos) << tag << "\n" << user_part;
    // The cause once: no sentence that explains it again.
    EXPECT_EQ(user_part.find(says(tag, "category.throttle.greylisted.what", facts)), std::string::npos) << tag;
    EXPECT_EQ(user_part.find("Greylisted"), std::string::npos) << tag << "\n" << user_part;
    const std::string details = technical(text, tag);
    EXPECT_NE(details.find(says(tag, "text.technical_answer")), std::string::npos) << tag << "\n" << details;
    EXPECT_NE(details.find("451 4.7.1 Greylisted, please try again later"), std::string::npos) << tag;
  }
}

TEST_F(NoticeDelay, ANearDeadlineIsItsWeekdayAndTimeAndTheTechnicalSectionHasTheDate) {
  const std::string text = notice(greylisted("Will-Retry-Until: Fri, 27 Nov 2026 14:00:00 +0100\r\n"), "en", kArrival);
  EXPECT_NE(prose(text, "en").find("until Friday 14:00 and"), std::string::npos) << text;
  EXPECT_NE(technical(text, "en").find("Retrying until: Friday, 27 November 2026, 14:00 (UTC+1)"), std::string::npos)
      << text;
  const std::string german =
      notice(greylisted("Will-Retry-Until: Fri, 27 Nov 2026 14:00:00 +0100\r\n"), "de", kArrival);
  EXPECT_EQ(prose(german, "de").find("2026"), std::string::npos) << german;
  EXPECT_NE(prose(german, "de").find("Freitag"), std::string::npos) << german;
}

TEST_F(NoticeDelay, TheLastAttemptAlsoDatesTheReport) {
  const std::string text = notice(greylisted("Last-Attempt-Date: Thu, 26 Nov 2026 09:00:00 +0100\r\n"
                                             "Will-Retry-Until: Mon, 30 Nov 2026 08:00:00 +0100\r\n"));
  EXPECT_NE(prose(text, "en").find("until Monday 08:00 and"), std::string::npos) << text;
}

TEST_F(NoticeDelay, AFarOrUnplacedDeadlineIsWrittenInFull) {
  // A week or more after the message arrived: "Monday" could be two days.
  const std::string far =
      notice(greylisted("Will-Retry-Until: Mon, 30 Nov 2026 14:00:00 +0100\r\n"), "en", kArrival);
  EXPECT_NE(prose(far, "en").find("until Monday, 30 November 2026, 14:00 (UTC+1) and"), std::string::npos) << far;
  // No date of the report to count from.
  const std::string unplaced = notice(greylisted("Will-Retry-Until: Fri, 27 Nov 2026 14:00:00 +0100\r\n"));
  EXPECT_NE(prose(unplaced, "en").find("until Friday, 27 November 2026, 14:00 (UTC+1) and"), std::string::npos)
      << unplaced;
}

}  // namespace
