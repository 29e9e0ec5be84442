// Session and the X-Clearbounce marker: an X-Clearbounce field that does not
// verify is removed and the report rewritten; one that verifies is kept and
// the report passes. The MTA's own name ({j}) reaches the engine, which
// marks a report about mail that never passed through it forged=yes.
#include <gtest/gtest.h>

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

// Records the changes asked of the MTA, in order ("add X", "change X 1",
// "delete X 2", "body").
class ChangeLog final : public Mta {
 public:
  std::vector<std::string> changes;
  std::vector<std::string> added_values;
  std::string j;

  std::optional<std::string> macro(std::string_view name) const override {
    if (name == "j" && !j.empty()) return j;
    if (name == "i") return std::string("A02161C0622");
    return std::nullopt;
  }
  bool add_header(std::string_view name, std::string_view value) override {
    changes.push_back("add " + std::string(name));
    added_values.emplace_back(value);
    return true;
  }
  bool change_header(std::string_view name, int index, std::string_view) override {
    changes.push_back("change " + std::string(name) + " " + std::to_string(index));
    return true;
  }
  bool delete_header(std::string_view name, int index) override {
    changes.push_back("delete " + std::string(name) + " " + std::to_string(index));
    return true;
  }
  bool replace_body(std::string_view) override {
    changes.push_back("body");
    return true;
  }
};

class MilterMarker : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = clearbounce::engine::Engine::load(clearbounce::config::Config{}, errors);
    ASSERT_TRUE(engine_) << (errors.empty() ? "" : errors.front());
    daemon_.set_engine(engine_);
  }

  // A remote report (MAIL FROM:<>) through a session, up to and with end of message.
  void deliver_remote(const std::string& message) {
    Session session(mta_, daemon_, true, true);
    const Delivered delivered = deliver(message);
    ASSERT_EQ(session.envfrom("<>"), SMFIS_CONTINUE);
    for (const auto& [name, value] : delivered.headers) session.header(name.c_str(), value.c_str());
    ASSERT_EQ(session.end_of_headers(), SMFIS_CONTINUE);
    session.body(reinterpret_cast<const unsigned char*>(delivered.body.data()), delivered.body.size());
    EXPECT_EQ(session.end_of_message(), SMFIS_ACCEPT);
  }

  // The sample as this engine rewrites it: a marker that verifies.
  std::string rewritten_sample() const {
    clearbounce::engine::Options remote;
    remote.remote_report = true;
    const auto out = engine_->process(read_sample("dsn-mailbox-full.eml"), remote);
    EXPECT_TRUE(out.rewritten) << out.reason;
    return out.result.message;
  }

  std::shared_ptr<const clearbounce::engine::Engine> engine_;
  Daemon daemon_;
  ChangeLog mta_;
};

TEST_F(MilterMarker, AMarkerThatDoesNotVerifyIsRemovedAndTheReportRewritten) {
  deliver_remote(read_sample("dsn-already-rewritten.eml"));
  const std::vector<std::string> expected = {"delete X-Clearbounce 1", "change Subject 1", "add X-Clearbounce",
                                             "body"};
  EXPECT_EQ(mta_.changes, expected);
  EXPECT_EQ(daemon_.stats().rewritten, 1u);
}

TEST_F(MilterMarker, SeveralAreRemovedLastFirst) {
  std::string two = read_sample("dsn-already-rewritten.eml");
  two.insert(two.find("MIME-Version:"), "X-Clearbounce: category=x; locale=de; mac=AAAA\n");
  deliver_remote(two);
  ASSERT_GE(mta_.changes.size(), 2u);
  EXPECT_EQ(mta_.changes[0], "delete X-Clearbounce 2");
  EXPECT_EQ(mta_.changes[1], "delete X-Clearbounce 1");
  EXPECT_EQ(mta_.changes.back(), "body");
}

TEST_F(MilterMarker, AMarkerThatVerifiesIsKeptAndTheReportPasses) {
  deliver_remote(rewritten_sample());
  EXPECT_TRUE(mta_.changes.empty());
  EXPECT_EQ(daemon_.stats().passed, 1u);
  EXPECT_EQ(daemon_.stats().rewritten, 0u);
}

TEST_F(MilterMarker, BesideAVerifiedMarkerAnotherIsRemoved) {
  std::string both = rewritten_sample();
  both.insert(both.find("MIME-Version:"), "X-Clearbounce: category=recipient.unknown; locale=en\n");
  deliver_remote(both);  // the inserted one is the first X-Clearbounce field; ours, the last field, the second
  const std::vector<std::string> expected = {"delete X-Clearbounce 1"};
  EXPECT_EQ(mta_.changes, expected);
  EXPECT_EQ(daemon_.stats().passed, 1u);
}

TEST_F(MilterMarker, TheMtasNameDecidesWhetherTheSenderWasForged) {
  // The returned message went through mail.example.com.
  mta_.j = "mail.example.com";
  deliver_remote(read_sample("dsn-mailbox-full.eml"));
  ASSERT_EQ(mta_.added_values.size(), 1u);
  EXPECT_EQ(mta_.added_values[0].find("forged=yes"), std::string::npos) << mta_.added_values[0];

  mta_.added_values.clear();
  mta_.j = "mx.example.net";
  deliver_remote(read_sample("dsn-mailbox-full.eml"));
  ASSERT_EQ(mta_.added_values.size(), 1u);
  EXPECT_NE(mta_.added_values[0].find("forged=yes"), std::string::npos) << mta_.added_values[0];

  // Without {j} (and nothing configured), never.
  mta_.added_values.clear();
  mta_.j.clear();
  deliver_remote(read_sample("dsn-mailbox-full.eml"));
  ASSERT_EQ(mta_.added_values.size(), 1u);
  EXPECT_EQ(mta_.added_values[0].find("forged=yes"), std::string::npos) << mta_.added_values[0];
}

}  // namespace
