// The block-list check through the engine (Options::diagnose is a stand-in):
// asked for our own report of a block-list refusal with the addresses the
// report gives, never for a report from the internet; the notice names the
// lists and their removal pages, and only those of the configured data.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dsn/encoding.hpp"
#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::diagnose::Finding;
using clearbounce::diagnose::Question;
using clearbounce::engine::Engine;
using clearbounce::engine::Options;

// Our Postfix's report: the remote server refused us, naming a block list.
std::string blocklisted_report() {
  return clearbounce::testing::postfix_report(
      {{"carol@example.org",
        "554 5.7.1 Service unavailable; Client host [8.8.4.4] blocked using\r\n"
        " zen.spamhaus.org; https://www.spamhaus.example/query/ip/8.8.4.4",
        "5.7.1", "failed", "smtp", "mx.example.org"}});
}

Finding listed_on(std::string names, std::string pages) {
  Finding f;
  f.category = "reputation.blocklisted";
  f.summary = "block lists, 8.8.4.4";
  f.checked_at = 1796378400;
  f.facts = {{"listed_address", "8.8.4.4"},
             {"blocklists_listed", std::move(names)},
             {"blocklist_removal", std::move(pages)},
             {"checked_at", "Fri, 04 Dec 2026 10:00:00 +0000"}};
  return f;
}

class EngineBlocklists : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);  // the default zones and the shipped data
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  Options with(Finding finding, bool remote = false) {
    Options options;
    options.locale = "en";
    options.remote_report = remote;
    options.diagnose = clearbounce::engine::ask_each([this, finding](const Question& q) {
      asked_.push_back(q);
      return finding;
    });
    return options;
  }
  static std::string text_of(const clearbounce::engine::Outcome& outcome) {
    return clearbounce::dsn::decode_quoted_printable(outcome.result.body);
  }
  std::unique_ptr<Engine> engine_;
  std::vector<Question> asked_;
};

TEST_F(EngineBlocklists, OurReportAsksAboutOurAddressAndTheNoticeNamesTheListAndItsPage) {
  const auto outcome = engine_->process(
      blocklisted_report(),
      with(listed_on("Spamhaus ZEN, SpamCop", "https://check.spamhaus.org/ https://www.spamcop.net/bl.shtml")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  ASSERT_EQ(asked_.size(), 1u);
  EXPECT_EQ(asked_[0].look, Question::Look::blocklists);
  EXPECT_EQ(asked_[0].client_ip, "8.8.4.4");  // the remote's words, to choose our address with
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"reputation.blocklisted"}));
  const std::string text = text_of(outcome);
  EXPECT_NE(text.find("our address 8.8.4.4 was on: Spamhaus ZEN, SpamCop"), std::string::npos) << text;
  EXPECT_NE(text.find("Spamhaus ZEN <https://check.spamhaus.org/>, SpamCop <https://www.spamcop.net/bl.shtml>"),
            std::string::npos)
      << text;
}

TEST_F(EngineBlocklists, APageThatIsNotTheConfiguredListsOwnNeverReachesTheNotice) {
  const auto outcome = engine_->process(
      blocklisted_report(), with(listed_on("Spamhaus ZEN, SpamCop", "https://evil.example/remove https://www.spamcop.net/bl.shtml")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  const std::string text = text_of(outcome);
  EXPECT_EQ(text.find("evil.example"), std::string::npos) << text;
  EXPECT_NE(text.find("was on: SpamCop."), std::string::npos) << text;
  // A list that the configuration does not ask (here UCEPROTECT) is not named either.
  const auto other = engine_->process(
      blocklisted_report(), with(listed_on("UCEPROTECT Level 1", "https://www.uceprotect.net/en/rblcheck.php")));
  ASSERT_TRUE(other.rewritten) << other.reason;
  EXPECT_EQ(text_of(other).find("UCEPROTECT"), std::string::npos);
  EXPECT_EQ(text_of(other).find("Where to ask for removal"), std::string::npos);
}

TEST_F(EngineBlocklists, NothingLearnedKeepsTheReportsOwnClaim) {
  Finding nothing;
  nothing.summary = "block lists, 8.8.4.4: listed by none";
  const auto outcome = engine_->process(blocklisted_report(), with(nothing));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_EQ(outcome.categories, (std::vector<std::string>{"reputation.blocklisted"}));
  const std::string text = text_of(outcome);
  EXPECT_NE(text.find("on a block list (zen.spamhaus.org)"), std::string::npos) << text;
  EXPECT_EQ(text.find("Where to ask for removal"), std::string::npos) << text;
}

TEST_F(EngineBlocklists, AReportArrivingOverSmtpMakesNoLook) {
  const auto outcome = engine_->process(
      blocklisted_report(), with(listed_on("Spamhaus ZEN", "https://check.spamhaus.org/"), /*remote=*/true));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_TRUE(asked_.empty());
  EXPECT_EQ(text_of(outcome).find("check.spamhaus.org"), std::string::npos);
}

TEST_F(EngineBlocklists, TheOffSwitchLeavesTheListsUnnamed) {
  clearbounce::config::Config config;
  config.diagnose.check_blocklists = false;
  std::vector<std::string> errors;
  const auto engine = Engine::load(config, errors);
  ASSERT_NE(engine, nullptr);
  const auto outcome = engine->process(blocklisted_report(), with(listed_on("Spamhaus ZEN", "https://check.spamhaus.org/")));
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_TRUE(asked_.empty());
  EXPECT_EQ(text_of(outcome).find("check.spamhaus.org"), std::string::npos);
}

TEST_F(EngineBlocklists, ABadBlocklistFileStopsTheConfigurationFromLoading) {
  clearbounce::config::Config config;
  config.diagnose.blocklists_file = "/nonexistent/blocklists.toml";
  std::vector<std::string> errors;
  EXPECT_EQ(Engine::load(config, errors), nullptr);
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().find("diagnose.blocklists_file"), std::string::npos) << errors.front();
}

}  // namespace
