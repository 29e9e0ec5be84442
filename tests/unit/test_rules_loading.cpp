// Loading and validating rule files (Classifier::load_text / load_file):
// every mistake an admin can make is refused with "name:line: what".
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::classifier::Classifier;
using clearbounce::classifier::WhoCanFix;

// The smallest category table the loader accepts.
const std::string kCategories = R"([[category]]
id = "delivery.expired"
reason = "expired"
who_can_fix = "recipient-admin"

[[category]]
id = "unknown"
reason = "undefined"
who_can_fix = "sender-admin"

[[category]]
id = "recipient.unknown"
reason = "userunknown"
who_can_fix = "sender"
)";
constexpr int kCategoryLines = 14;  // lines in kCategories

const std::string kOneRule = R"(
[[rule]]
category = "recipient.unknown"
patterns = ['user unknown', 'no such user']
)";

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::unique_ptr<Classifier> load(const std::string& toml, std::string& error, const std::string& name = "test.toml") {
  return Classifier::load_text(toml, name, error);
}

// A delivery report, and a recipient of it whose delivery failed.
clearbounce::dsn::BounceReport delivery_report() {
  clearbounce::dsn::BounceReport report;
  report.kind = clearbounce::dsn::ReportKind::delivery_status;
  return report;
}
clearbounce::dsn::RecipientReport failed_recipient(std::string diagnostic) {
  clearbounce::dsn::RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "failed";
  r.diagnostic = std::move(diagnostic);
  return r;
}

}  // namespace

TEST(RulesLoading, BuiltinLoads) {
  std::string error;
  const auto classifier = Classifier::builtin(error);
  ASSERT_NE(classifier, nullptr) << error;
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_NE(classifier->find_category("unknown"), nullptr);
  EXPECT_NE(classifier->find_category("delivery.expired"), nullptr);
}

TEST(RulesLoading, BadTomlNamesFileAndLine) {
  std::string error;
  const auto classifier = load(
      "[[category]]\n"
      "id = \"unknown\"\n"
      "reason = = \"undefined\"\n"
      "who_can_fix = \"sender-admin\"\n",
      error, "site-rules.toml");
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "site-rules.toml:3")) << error;
}

TEST(RulesLoading, UnclosedStringNamesFileAndLine) {
  std::string error;
  const auto classifier = load(kCategories + "\n[[rule]]\ncategory = \"recipient.unknown\n", error, "my.toml");
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "my.toml:" + std::to_string(kCategoryLines + 3))) << error;
}

TEST(RulesLoading, UnknownCategoryInRuleNamesTheLine) {
  std::string error;
  // [[rule]] on line kCategoryLines + 1, its category on the line after.
  const auto classifier = load(kCategories +
                                   "[[rule]]\n"
                                   "category = \"recipient.nonexistent\"\n"
                                   "patterns = ['whatever']\n",
                               error, "rules.toml");
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "recipient.nonexistent")) << error;
  const bool line_of_rule = has(error, "rules.toml:" + std::to_string(kCategoryLines + 1) + ":") ||
                            has(error, "rules.toml:" + std::to_string(kCategoryLines + 2) + ":");
  EXPECT_TRUE(line_of_rule) << error;
}

TEST(RulesLoading, UnknownCategoryInStatusTable) {
  std::string error;
  const auto classifier = load(kCategories + kOneRule +
                                   "\n[status]\n"
                                   "\"x.1.1\" = \"recipient.unkown\"\n",
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "test.toml:")) << error;
  EXPECT_TRUE(has(error, "recipient.unkown")) << error;
}

TEST(RulesLoading, BadRe2PatternIsRefused) {
  std::string error;
  const auto classifier = load(kCategories +
                                   "[[rule]]\n"
                                   "category = \"recipient.unknown\"\n"
                                   "patterns = ['user (unknown']\n",
                               error, "rules.toml");
  EXPECT_EQ(classifier, nullptr);
  // The line of the pattern itself.
  EXPECT_TRUE(has(error, "rules.toml:" + std::to_string(kCategoryLines + 3) + ":")) << error;
  EXPECT_TRUE(has(error, "pattern")) << error;
}

TEST(RulesLoading, BackreferenceIsNotRe2) {
  std::string error;
  const auto classifier = load(kCategories +
                                   "[[rule]]\n"
                                   "category = \"recipient.unknown\"\n"
                                   "patterns = ['(a)\\1']\n",
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(RulesLoading, FactPatternWithoutCaptureGroup) {
  std::string error;
  const auto classifier = load(kCategories + kOneRule +
                                   "\n[[fact]]\n"
                                   "name = \"blocklist\"\n"
                                   "pattern = 'blocked using [a-z.]+'\n",
                               error);
  EXPECT_EQ(classifier, nullptr);
  // kOneRule takes 4 lines, then a blank line, [[fact]], name, pattern.
  bool line_of_fact = false;
  for (int line = kCategoryLines + 6; line <= kCategoryLines + 8; ++line)
    line_of_fact = line_of_fact || has(error, "test.toml:" + std::to_string(line) + ":");
  EXPECT_TRUE(line_of_fact) << error;
  EXPECT_TRUE(has(error, "capture group")) << error;
}

TEST(RulesLoading, FactPatternWithTwoCaptureGroups) {
  std::string error;
  const auto classifier = load(kCategories + kOneRule +
                                   "\n[[fact]]\n"
                                   "name = \"blocklist\"\n"
                                   "pattern = '(blocked) using ([a-z.]+)'\n",
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "capture group")) << error;
}

TEST(RulesLoading, FactPatternThatDoesNotCompile) {
  std::string error;
  const auto classifier = load(kCategories + kOneRule +
                                   "\n[[fact]]\n"
                                   "name = \"blocklist\"\n"
                                   "pattern = 'blocked using ([a-z.]+'\n",
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(RulesLoading, MissingUnknownCategory) {
  std::string error;
  const auto classifier = load(R"([[category]]
id = "delivery.expired"
reason = "expired"
who_can_fix = "recipient-admin"

[[category]]
id = "recipient.unknown"
reason = "userunknown"
who_can_fix = "sender"
)" + kOneRule,
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "'unknown'")) << error;
}

TEST(RulesLoading, MissingExpiredCategory) {
  std::string error;
  const auto classifier = load(R"([[category]]
id = "unknown"
reason = "undefined"
who_can_fix = "sender-admin"

[[category]]
id = "recipient.unknown"
reason = "userunknown"
who_can_fix = "sender"
)" + kOneRule,
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "delivery.expired")) << error;
}

TEST(RulesLoading, NoCategoriesAtAll) {
  std::string error;
  const auto classifier = load(kOneRule, error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(RulesLoading, DuplicateCategory) {
  std::string error;
  const auto classifier = load(kCategories +
                                   "\n[[category]]\n"
                                   "id = \"unknown\"\n"
                                   "reason = \"undefined\"\n"
                                   "who_can_fix = \"sender-admin\"\n" +
                                   kOneRule,
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "twice")) << error;
}

TEST(RulesLoading, BadWhoCanFix) {
  std::string error;
  const auto classifier = load(kCategories +
                                   "\n[[category]]\n"
                                   "id = \"recipient.moved\"\n"
                                   "reason = \"hasmoved\"\n"
                                   "who_can_fix = \"the-recipient\"\n" +
                                   kOneRule,
                               error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "who_can_fix")) << error;
}

TEST(RulesLoading, RuleWithoutPatterns) {
  std::string error;
  const auto classifier = load(kCategories + "[[rule]]\ncategory = \"recipient.unknown\"\npatterns = []\n", error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_FALSE(error.empty());
}

TEST(RulesLoading, MissingFileIsAnError) {
  std::string error;
  const auto classifier = Classifier::load_file("/nonexistent-dir.example/rules.toml", error);
  EXPECT_EQ(classifier, nullptr);
  EXPECT_TRUE(has(error, "/nonexistent-dir.example/rules.toml")) << error;
}

TEST(RulesLoading, MinimalFileLoadsAndClassifies) {
  std::string error;
  const auto classifier = load(kCategories + kOneRule + R"(
[status]
"x.1.1" = "recipient.unknown"

[[fact]]
name = "mailbox"
pattern = 'mailbox ([a-z]+) unknown'
)",
                               error);
  ASSERT_NE(classifier, nullptr) << error;
  EXPECT_TRUE(error.empty()) << error;
  EXPECT_EQ(classifier->categories().size(), 3u);
  const auto* unknown_user = classifier->find_category("recipient.unknown");
  ASSERT_NE(unknown_user, nullptr);
  EXPECT_EQ(unknown_user->who_can_fix, WhoCanFix::sender);
  EXPECT_EQ(unknown_user->reason, "userunknown");

  clearbounce::dsn::BounceReport report;
  report.kind = clearbounce::dsn::ReportKind::delivery_status;
  clearbounce::dsn::RecipientReport r;
  r.recipient = "bob@example.net";
  r.action = "failed";
  r.smtp_command = "RCPT";

  // By wording, case-insensitively.
  r.diagnostic = "550 No Such User here";
  auto c = classifier->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "recipient.unknown");
  EXPECT_EQ(c.reason, "userunknown");

  // By status code alone.
  r.diagnostic = "550 computer says no";
  r.status = "5.1.1";
  c = classifier->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "recipient.unknown");

  // Neither: unknown.
  r.status.clear();
  c = classifier->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "unknown");

  // A fact from the one capture group.
  r.diagnostic = "550 mailbox zed unknown";
  c = classifier->classify(r, report);
  ASSERT_EQ(c.facts.count("mailbox"), 1u);
  EXPECT_EQ(c.facts.at("mailbox"), "zed");
}

TEST(RulesLoading, FirstListedRuleWins) {
  std::string error;
  const auto classifier = load(kCategories + R"(
[[category]]
id = "recipient.mailbox_full"
reason = "mailboxfull"
who_can_fix = "recipient"

[[rule]]
category = "recipient.mailbox_full"
patterns = ['mailbox full']

[[rule]]
category = "recipient.unknown"
patterns = ['mailbox']
)",
                               error);
  ASSERT_NE(classifier, nullptr) << error;
  const auto report = delivery_report();
  auto r = failed_recipient("552 Mailbox full");
  auto c = classifier->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "recipient.mailbox_full");
  r.diagnostic = "550 Mailbox not found";
  c = classifier->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "recipient.unknown");
}

TEST(RulesLoading, TheCauseOutsideTheAsidesDecides) {
  // "spam" comes first in the rule file, but only an advice sentence and a
  // link's path name it: the reply's own cause decides, and says so.
  const std::string rules = kCategories + R"(
[[category]]
id = "message.spam"
reason = "spamdetected"
who_can_fix = "sender"

[[rule]]
category = "message.spam"
patterns = ['spam']
)" + kOneRule;
  std::string error;
  const auto with_asides = load(rules + "[evidence]\nasides = [\"if \"]\n", error);
  ASSERT_NE(with_asides, nullptr) << error;
  const auto report = delivery_report();
  auto r = failed_recipient("550 No such user. If you think this is spam, write to us.");
  auto c = with_asides->classify(r, report);
  ASSERT_NE(c.category, nullptr);
  EXPECT_EQ(c.category->id, "recipient.unknown");
  EXPECT_TRUE(has(c.decided_by, "without its asides")) << c.decided_by;
  r.diagnostic = "550 No such user - https://help.example.net/spam-faq";
  c = with_asides->classify(r, report);
  EXPECT_EQ(c.category->id, "recipient.unknown");
  // Only an aside names a cause: then it is the reply's own.
  r.diagnostic = "550 Rejected - https://help.example.net/spam-faq";
  c = with_asides->classify(r, report);
  EXPECT_EQ(c.category->id, "message.spam");
  // Without the opener listed, the advice sentence is no aside.
  const auto without = load(rules, error);
  ASSERT_NE(without, nullptr) << error;
  r.diagnostic = "550 No such user. If you think this is spam, write to us.";
  c = without->classify(r, report);
  EXPECT_EQ(c.category->id, "message.spam");
}

TEST(RulesLoading, AsidesMustBeSentenceOpenings) {
  for (const std::string list : {"asides = [1]", "asides = [\"\"]"}) {
    std::string error;
    EXPECT_EQ(load(kCategories + kOneRule + "[evidence]\n" + list + "\n", error), nullptr) << list;
    EXPECT_TRUE(has(error, "test.toml:")) << error;
    EXPECT_TRUE(has(error, "evidence.asides must list sentence openings")) << error;
  }
}

TEST(RulesLoading, NamesThePatternsThatAreRunOnEveryText) {
  std::string error;
  const auto classifier = load(kCategories + R"(
[[rule]]
category = "recipient.unknown"
patterns = ['user unknown', '\d+ h', 'no such (user|mailbox)']
)",
                               error);
  ASSERT_NE(classifier, nullptr) << error;
  EXPECT_EQ(classifier->patterns_tried_on_every_text(), std::vector<std::string>{R"(\d+ h)"});
}

// Every shipped pattern names a word the filter can look for: none of them
// costs every message a search of its own.
TEST(RulesLoading, EveryShippedPatternHasALiteralToLookFor) {
  std::string error;
  const auto classifier = Classifier::builtin(error);
  ASSERT_NE(classifier, nullptr) << error;
  EXPECT_EQ(classifier->patterns_tried_on_every_text(), std::vector<std::string>{});
}
