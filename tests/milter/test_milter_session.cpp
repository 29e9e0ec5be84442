// Session in process: a recording Mta in place of libmilter and a Daemon
// of the test's own, so that the message, statistics and drain paths run
// without a socket or an MTA.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "milter/daemon.hpp"
#include "milter/mta.hpp"
#include "milter/session.hpp"
#include "tests/milter/milter_samples.hpp"

namespace {

using namespace clearbounce::milter;
using namespace clearbounce::milter::samples;
using clearbounce::config::Config;
using clearbounce::engine::Engine;

// Records what the session asks of the MTA; refuses every change when told to.
class RecordingMta final : public Mta {
 public:
  struct HeaderEdit {
    std::string action;  // "add", "change", "delete"
    std::string name;
    int index = 0;
    std::string value;
  };

  std::map<std::string, std::string> macros;
  bool refuse = false;
  std::vector<HeaderEdit> header_edits;
  std::optional<std::string> new_body;

  std::optional<std::string> macro(std::string_view name) const override {
    const auto found = macros.find(std::string(name));
    if (found == macros.end()) return std::nullopt;
    return found->second;
  }
  bool add_header(std::string_view name, std::string_view value) override {
    header_edits.push_back({"add", std::string(name), 0, std::string(value)});
    return !refuse;
  }
  bool change_header(std::string_view name, int index, std::string_view value) override {
    header_edits.push_back({"change", std::string(name), index, std::string(value)});
    return !refuse;
  }
  bool delete_header(std::string_view name, int index) override {
    header_edits.push_back({"delete", std::string(name), index, {}});
    return !refuse;
  }
  bool replace_body(std::string_view body) override {
    new_body = std::string(body);
    return !refuse;
  }

  const HeaderEdit* edit_of(std::string_view name) const {
    for (const auto& edit : header_edits) {
      if (edit.name == name) return &edit;
    }
    return nullptr;
  }
};

std::shared_ptr<const Engine> make_engine(const Config& config) {
  std::vector<std::string> errors;
  std::shared_ptr<const Engine> engine = Engine::load(config, errors);
  EXPECT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  return engine;
}

std::size_t open_transactions(const Daemon& daemon) { return daemon.open_transactions(); }

class MilterSession : public ::testing::Test {
 protected:
  void SetUp() override {
    daemon.set_engine(make_engine(config));
    mta.macros["i"] = "7C2D31C0588";
  }
  void use(const Config& changed) { daemon.set_engine(make_engine(changed)); }

  // Header section and body of a sample up to, not including, end of message.
  // The first step that does not answer CONTINUE ends it; its answer is returned.
  sfsistat send_up_to_eom(Session& session, const char* sender, const std::string& sample) {
    const Delivered delivered = deliver(read_sample(sample));
    sfsistat reply = session.envfrom(sender);
    if (reply != SMFIS_CONTINUE) return reply;
    for (const auto& [name, value] : delivered.headers) {
      reply = session.header(name.c_str(), value.c_str());
      if (reply != SMFIS_CONTINUE) return reply;
    }
    reply = session.end_of_headers();
    if (reply != SMFIS_CONTINUE) return reply;
    const auto* bytes = reinterpret_cast<const unsigned char*>(delivered.body.data());
    for (std::size_t offset = 0; offset < delivered.body.size(); offset += 1000) {
      reply = session.body(bytes + offset, std::min<std::size_t>(1000, delivered.body.size() - offset));
      if (reply != SMFIS_CONTINUE) return reply;
    }
    return SMFIS_CONTINUE;
  }

  Config config;
  Daemon daemon;
  RecordingMta mta;
};

TEST_F(MilterSession, RewritesALocalBounceThroughTheMta) {
  Session session(mta, daemon, true, true);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);

  const auto* marker = mta.edit_of("X-Clearbounce");
  ASSERT_NE(marker, nullptr);
  EXPECT_EQ(marker->action, "add");  // the sample has none
  const auto* subject = mta.edit_of("Subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->action, "change");  // the sample has one: changed in place
  EXPECT_EQ(subject->index, 1);
  EXPECT_EQ(subject->value.substr(0, 1), " ");  // SMFIP_HDR_LEADSPC: the blank after the colon is ours
  ASSERT_TRUE(mta.new_body.has_value());
  EXPECT_NE(*mta.new_body, deliver(read_sample("dsn-mailbox-full.eml")).body);

  auto& stats = daemon.stats();
  EXPECT_EQ(stats.seen, 1u);
  EXPECT_EQ(stats.reports, 1u);
  EXPECT_EQ(stats.rewritten, 1u);
  EXPECT_EQ(stats.passed, 0u);
  EXPECT_EQ(stats.errors, 0u);
  EXPECT_EQ(stats.latency().samples, 1u);
  EXPECT_EQ(open_transactions(daemon), 0u);
}

// diagnose.enabled: our own MTA's report whose cause is open is put to the
// diagnosis (here its name server refuses at once, so nothing is learned);
// the same report arriving over SMTP never is.
TEST_F(MilterSession, OnlyOurOwnReportsAreDiagnosed) {
  Config with_diagnosis = config;
  with_diagnosis.diagnose.enabled = true;
  with_diagnosis.diagnose.resolvers = {"127.0.0.1:9"};  // the discard port: nothing answers
  with_diagnosis.diagnose.timeout_ms = 500;
  use(with_diagnosis);
  const auto diagnoser = daemon.diagnoser();
  ASSERT_NE(diagnoser, nullptr);
  const std::string sample = "../../packaging/samples/postfix-certificate-delayed.eml";
  {
    Session session(mta, daemon, true, true);
    ASSERT_EQ(send_up_to_eom(session, "<>", sample), SMFIS_CONTINUE);  // over SMTP
    EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  }
  EXPECT_EQ(diagnoser->counters().questions, 0u);
  EXPECT_EQ(daemon.stats().rewritten, 1u);
  {
    Session session(mta, daemon, true, true);
    ASSERT_EQ(send_up_to_eom(session, "", sample), SMFIS_CONTINUE);  // the MTA's own
    EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  }
  EXPECT_EQ(diagnoser->counters().questions, 1u);
  EXPECT_EQ(daemon.stats().rewritten, 2u);  // nothing learned: rewritten as without it
}

TEST_F(MilterSession, WithoutLeadingSpaceTheMtaAddsTheBlank) {
  Session session(mta, daemon, false, true);
  ASSERT_EQ(send_up_to_eom(session, "<>", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  session.end_of_message();
  const auto* subject = mta.edit_of("Subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_NE(subject->value.substr(0, 1), " ");
  EXPECT_EQ(daemon.stats().rewritten, 1u);
}

TEST_F(MilterSession, OrdinarySenderIsNotBuffered) {
  Session session(mta, daemon, true, true);
  EXPECT_EQ(session.envfrom("<frank@example.com>"), SMFIS_ACCEPT);
  EXPECT_EQ(daemon.stats().seen, 1u);
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST_F(MilterSession, NullSenderWithoutAReportPassesAtEndOfHeaders) {
  Session session(mta, daemon, true, true);
  EXPECT_EQ(send_up_to_eom(session, "", "not-a-report.eml"), SMFIS_ACCEPT);
  EXPECT_EQ(daemon.stats().reports, 0u);
  EXPECT_TRUE(mta.header_edits.empty());
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST_F(MilterSession, PathTurnedOffIsNotBuffered) {
  config.milter.handle_remote_dsns = false;
  use(config);
  Session session(mta, daemon, true, true);
  EXPECT_EQ(session.envfrom("<>"), SMFIS_ACCEPT);
  EXPECT_EQ(session.envfrom(""), SMFIS_CONTINUE);  // the local path is still on
  EXPECT_EQ(open_transactions(daemon), 1u);
}

TEST_F(MilterSession, BufferingStopsAtTheCap) {
  config.max_message_bytes = 1500;  // the sample's header section fits, the body does not
  use(config);
  Session session(mta, daemon, true, true);
  EXPECT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_ACCEPT);
  EXPECT_EQ(daemon.stats().passed, 1u);
  EXPECT_EQ(daemon.stats().rewritten, 0u);
  EXPECT_TRUE(mta.header_edits.empty());
  EXPECT_FALSE(mta.new_body.has_value());
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST_F(MilterSession, DryRunOnlyMarks) {
  config.milter.dry_run = true;
  use(config);
  Session session(mta, daemon, true, true);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  session.end_of_message();
  ASSERT_EQ(mta.header_edits.size(), 1u);
  EXPECT_EQ(mta.header_edits[0].name, "X-Clearbounce");
  EXPECT_FALSE(mta.new_body.has_value());
  EXPECT_EQ(daemon.stats().rewritten, 1u);  // counted as handled: marked
}

TEST_F(MilterSession, RefusedChangeCountsAsAnError) {
  mta.refuse = true;
  Session session(mta, daemon, true, true);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  EXPECT_EQ(mta.header_edits.size(), 1u);  // stops at the first refusal
  EXPECT_EQ(daemon.stats().errors, 1u);
  EXPECT_EQ(daemon.stats().rewritten, 0u);
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST_F(MilterSession, MtaThatAllowsNoChangesGetsNone) {
  Session session(mta, daemon, true, false);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  EXPECT_TRUE(mta.header_edits.empty());
  EXPECT_FALSE(mta.new_body.has_value());
  EXPECT_EQ(daemon.stats().passed, 1u);
}

// The MTA stops waiting milter.timeout_seconds after end of message: with
// no time at all, the engine's run is already too late and the report
// passes unchanged.
TEST_F(MilterSession, EngineStopsWhenTheMtaNoLongerWaits) {
  config.milter.timeout_seconds = 0;
  use(config);
  Session session(mta, daemon, true, true);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  EXPECT_TRUE(mta.header_edits.empty());
  EXPECT_FALSE(mta.new_body.has_value());
  EXPECT_EQ(daemon.stats().passed, 1u);
  EXPECT_EQ(daemon.stats().rewritten, 0u);
}

TEST_F(MilterSession, SeveralMessagesOnOneConnection) {
  Session session(mta, daemon, true, true);
  ASSERT_EQ(send_up_to_eom(session, "", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  session.end_of_message();
  EXPECT_EQ(session.envfrom("<frank@example.com>"), SMFIS_ACCEPT);
  ASSERT_EQ(send_up_to_eom(session, "<>", "dsn-mailbox-full.eml"), SMFIS_CONTINUE);
  session.end_of_message();
  EXPECT_EQ(daemon.stats().seen, 3u);
  EXPECT_EQ(daemon.stats().reports, 2u);
  EXPECT_EQ(daemon.stats().rewritten, 2u);
}

// ---- Memory bound: reports buffered at once ---------------------------------

TEST(MilterSessionReports, PastTheBoundReportsPassUnchangedAndPlacesComeBack) {
  Daemon daemon("", 1);  // one byte: only a report alone is read
  daemon.set_engine(make_engine(Config{}));
  const Delivered delivered = deliver(read_sample("dsn-mailbox-full.eml"));
  const auto up_to_body = [&](Session& session) {
    EXPECT_EQ(session.envfrom(""), SMFIS_CONTINUE);
    for (const auto& [name, value] : delivered.headers) session.header(name.c_str(), value.c_str());
    return session.end_of_headers();
  };
  RecordingMta first_mta;
  RecordingMta second_mta;
  Session first(first_mta, daemon, true, true);
  Session second(second_mta, daemon, true, true);
  ASSERT_EQ(up_to_body(first), SMFIS_CONTINUE);
  EXPECT_EQ(up_to_body(second), SMFIS_ACCEPT);  // the one place is taken
  EXPECT_EQ(daemon.stats().passed, 1u);
  EXPECT_EQ(open_transactions(daemon), 1u);     // the second one's transaction ended with it

  first.abort();  // gives the place back
  EXPECT_EQ(up_to_body(second), SMFIS_CONTINUE);
  second.body(reinterpret_cast<const unsigned char*>(delivered.body.data()), delivered.body.size());
  EXPECT_EQ(second.end_of_message(), SMFIS_ACCEPT);
  EXPECT_TRUE(second_mta.new_body.has_value());
  EXPECT_EQ(up_to_body(first), SMFIS_CONTINUE);  // and end of message gave it back again
}

// The bound counts bytes, not reports: a burst of ordinary reports (the
// MTA may run a hundred connections) is read in full, none passed over.
TEST(MilterSessionReports, ABurstOfSmallReportsIsAllRead) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  const Delivered delivered = deliver(read_sample("dsn-mailbox-full.eml"));
  std::vector<std::unique_ptr<RecordingMta>> mtas;
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < 100; ++i) {
    mtas.push_back(std::make_unique<RecordingMta>());
    sessions.push_back(std::make_unique<Session>(*mtas.back(), daemon, true, true));
    Session& session = *sessions.back();
    ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
    for (const auto& [name, value] : delivered.headers) session.header(name.c_str(), value.c_str());
    ASSERT_EQ(session.end_of_headers(), SMFIS_CONTINUE) << "report " << i;
    ASSERT_EQ(session.body(reinterpret_cast<const unsigned char*>(delivered.body.data()), delivered.body.size()),
              SMFIS_CONTINUE) << "report " << i;
  }
  for (auto& session : sessions) session->end_of_message();
  EXPECT_EQ(daemon.stats().rewritten, 100u);
  EXPECT_EQ(daemon.stats().passed, 0u);
}

TEST(MilterSessionReports, NonReportsTakeNoPlace) {
  Daemon daemon("", 1);
  daemon.set_engine(make_engine(Config{}));
  const Delivered not_report = deliver(read_sample("not-a-report.eml"));
  RecordingMta mta;
  Session session(mta, daemon, true, true);
  ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  for (const auto& [name, value] : not_report.headers) session.header(name.c_str(), value.c_str());
  EXPECT_EQ(session.end_of_headers(), SMFIS_ACCEPT);
  EXPECT_TRUE(daemon.reserve_report_bytes(2, 0));  // nothing was counted: the bound is free
}

// ---- Drain: what a stop waits for ------------------------------------------

TEST_F(MilterSession, TransactionOpenFromMailFromToEndOfMessage) {
  Session session(mta, daemon, true, true);
  ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  EXPECT_EQ(open_transactions(daemon), 1u);
}

TEST(MilterSessionDrain, AbortEndsTheTransaction) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  RecordingMta mta;
  Session session(mta, daemon, true, true);
  ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  EXPECT_EQ(session.abort(), SMFIS_CONTINUE);
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST(MilterSessionDrain, ClosedConnectionEndsTheTransaction) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  RecordingMta mta;
  {
    Session session(mta, daemon, true, true);
    ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  }
  EXPECT_EQ(open_transactions(daemon), 0u);
}

TEST(MilterSessionDrain, NewMailFromEndsTheUnfinishedOne) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  RecordingMta mta;
  Session session(mta, daemon, true, true);
  ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  ASSERT_EQ(session.envfrom("<>"), SMFIS_CONTINUE);
  EXPECT_EQ(open_transactions(daemon), 1u);
}

TEST(MilterSessionDrain, AbandonedMessageEndsTheTransaction) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  RecordingMta mta;
  Session session(mta, daemon, true, true);
  ASSERT_EQ(session.envfrom(""), SMFIS_CONTINUE);
  session.abandon();  // what the callbacks do after an exception
  EXPECT_EQ(open_transactions(daemon), 0u);
  EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);  // nothing left to rewrite
}

TEST(MilterSessionDrain, StoppingDaemonPassesNewMessagesAndWaitsForTheOpenOne) {
  Daemon daemon;
  daemon.set_engine(make_engine(Config{}));
  RecordingMta first_mta;
  RecordingMta second_mta;
  Session in_progress(first_mta, daemon, true, true);
  Session arriving(second_mta, daemon, true, true);
  ASSERT_EQ(in_progress.envfrom(""), SMFIS_CONTINUE);
  EXPECT_EQ(daemon.stop_and_drain(std::chrono::milliseconds(0), nullptr), 1u);
  EXPECT_EQ(arriving.envfrom(""), SMFIS_ACCEPT);  // stopping: not buffered
  // The one in progress still finishes, and the drain sees it done.
  const Delivered delivered = deliver(read_sample("dsn-mailbox-full.eml"));
  for (const auto& [name, value] : delivered.headers) in_progress.header(name.c_str(), value.c_str());
  in_progress.end_of_headers();
  in_progress.body(reinterpret_cast<const unsigned char*>(delivered.body.data()), delivered.body.size());
  EXPECT_EQ(in_progress.end_of_message(), SMFIS_ACCEPT);
  EXPECT_TRUE(first_mta.new_body.has_value());
  EXPECT_EQ(daemon.stop_and_drain(std::chrono::seconds(5), nullptr), 0u);
}

}  // namespace
