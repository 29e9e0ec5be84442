// The milter's pure parts: the message rebuilt from what the milter
// protocol delivers, header values sent back, which messages are buffered,
// the sender paths, and the latency percentiles.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "engine/engine.hpp"
#include "milter/exit_status.hpp"
#include "milter/message.hpp"
#include "milter/options.hpp"
#include "milter/stats.hpp"
#include "tests/milter/milter_samples.hpp"

namespace {

using namespace clearbounce::milter;
using namespace clearbounce::milter::samples;

std::string strip_leading_blanks(const std::string& value) {
  const auto first = value.find_first_not_of(" \t");
  return first == std::string::npos ? std::string() : value.substr(first);
}

TEST(MilterMessage, RebuildsTheSampleByteForByte) {
  const std::string original = read_sample("dsn-mailbox-full.eml");
  ASSERT_FALSE(original.empty());
  const Delivered delivered = deliver(original);
  std::string rebuilt;
  for (const auto& [name, value] : delivered.headers) append_header(rebuilt, name, value, true);
  rebuilt += "\r\n" + delivered.body;
  EXPECT_EQ(rebuilt, to_crlf(original));
}

TEST(MilterMessage, WithoutLeadingSpaceOneBlankIsPutBack) {
  std::string rebuilt;
  append_header(rebuilt, "Subject", "Undelivered Mail", false);
  append_header(rebuilt, "Content-Type", "multipart/report; report-type=delivery-status;\n\tboundary=\"b\"", false);
  append_header(rebuilt, "X-Empty", "", false);
  EXPECT_EQ(rebuilt,
            "Subject: Undelivered Mail\r\n"
            "Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"b\"\r\n"
            "X-Empty:\r\n");
}

TEST(MilterMessage, FoldsAlreadyInCrlfStayAsTheyAre) {
  std::string rebuilt;
  append_header(rebuilt, "Received", " by mail.example.com\r\n\tid 1; Wed, 5 Jun 2024", true);
  EXPECT_EQ(rebuilt, "Received: by mail.example.com\r\n\tid 1; Wed, 5 Jun 2024\r\n");
}

TEST(MilterMessage, HeaderValuesForTheMta) {
  EXPECT_EQ(header_value_for_mta("Not delivered: Holiday photos", true), " Not delivered: Holiday photos");
  EXPECT_EQ(header_value_for_mta("Not delivered: Holiday photos", false), "Not delivered: Holiday photos");
  EXPECT_EQ(header_value_for_mta("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=", true), " =?UTF-8?Q?a?=\n =?UTF-8?Q?b?=");
  EXPECT_EQ(header_value_for_mta("a\n b", false), "a\n b");
}

TEST(MilterMessage, WhichMessagesAreBuffered) {
  EXPECT_TRUE(is_delivery_report(" multipart/report; report-type=delivery-status;\n\tboundary=\"x\""));
  EXPECT_TRUE(is_delivery_report("Multipart/Report; Report-Type=\"Delivery-Status\"; boundary=x"));
  EXPECT_TRUE(is_delivery_report("multipart/report; report-type=global-delivery-status; boundary=x"));
  EXPECT_TRUE(is_delivery_report("multipart/report;\r\n report-type=delivery-status; boundary=x"));
  EXPECT_FALSE(is_delivery_report("multipart/report; report-type=feedback-report; boundary=x"));
  EXPECT_FALSE(is_delivery_report("multipart/report; report-type=disposition-notification; boundary=x"));
  EXPECT_FALSE(is_delivery_report("multipart/report; boundary=x"));
  EXPECT_FALSE(is_delivery_report("multipart/mixed; boundary=x"));
  EXPECT_FALSE(is_delivery_report("text/plain; charset=us-ascii"));
  EXPECT_FALSE(is_delivery_report(""));
}

TEST(MilterMessage, SenderPaths) {
  EXPECT_EQ(sender_path(""), SenderPath::local_bounce);
  EXPECT_EQ(sender_path(" "), SenderPath::local_bounce);
  EXPECT_EQ(sender_path("<>"), SenderPath::remote_report);
  EXPECT_EQ(sender_path(" <> "), SenderPath::remote_report);
  EXPECT_EQ(sender_path("<alice@example.com>"), SenderPath::ordinary);
  EXPECT_EQ(sender_path("alice@example.com"), SenderPath::ordinary);
  EXPECT_EQ(sender_path("<MAILER-DAEMON@example.com>"), SenderPath::ordinary);
}

TEST(MilterMessage, SameName) {
  EXPECT_TRUE(same_name("X-Clearbounce", "x-clearbounce"));
  EXPECT_TRUE(same_name("CONTENT-TYPE", "Content-Type"));
  EXPECT_FALSE(same_name("Content-Type", "Content-Typ"));
}

// What the milter rebuilds is what the CLI reads: the engine gives the same
// outcome for both.
TEST(MilterMessage, EngineSeesTheSameMessage) {
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load(clearbounce::config::Config{}, errors);
  ASSERT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  const std::string original = read_sample("dsn-mailbox-full.eml");
  const Delivered delivered = deliver(original);
  for (const bool leading_space : {true, false}) {
    std::string rebuilt;
    for (const auto& [name, value] : delivered.headers) {
      append_header(rebuilt, name, leading_space ? value : strip_leading_blanks(value), leading_space);
    }
    rebuilt += "\r\n" + delivered.body;
    const auto from_milter = engine->process(rebuilt);
    const auto from_file = engine->process(to_crlf(original));
    ASSERT_TRUE(from_milter.rewritten) << from_milter.reason;
    ASSERT_TRUE(from_file.rewritten) << from_file.reason;
    EXPECT_EQ(from_milter.categories, from_file.categories);
    EXPECT_EQ(from_milter.locale, from_file.locale);
    ASSERT_EQ(from_milter.result.headers.size(), from_file.result.headers.size());
    for (std::size_t i = 0; i < from_milter.result.headers.size(); ++i) {
      EXPECT_EQ(from_milter.result.headers[i].name, from_file.result.headers[i].name);
      EXPECT_EQ(from_milter.result.headers[i].value, from_file.result.headers[i].value);
    }
    // The body keeps the milter protocol's CRLF.
    EXPECT_EQ(from_milter.result.body.find("\r\n") != std::string::npos, true);
  }
}

TEST(MilterStats, MedianAndP99) {
  Stats stats;
  EXPECT_EQ(stats.latency().samples, 0u);
  for (int ms = 1; ms <= 100; ++ms) stats.record_latency(std::chrono::milliseconds(ms));
  const auto latency = stats.latency();
  EXPECT_EQ(latency.samples, 100u);
  EXPECT_DOUBLE_EQ(latency.median_ms, 50.0);
  EXPECT_DOUBLE_EQ(latency.p99_ms, 99.0);
  EXPECT_DOUBLE_EQ(latency.max_ms, 100.0);
  stats.seen = 7;
  stats.reports = 3;
  stats.rewritten = 2;
  stats.passed = 1;
  const std::string line = stats.summary();
  EXPECT_NE(line.find("seen=7 dsns=3 rewritten=2 passed=1 errors=0 latency_median_ms=50.000 latency_p99_ms=99.000"),
            std::string::npos)
      << line;
}

TEST(MilterStats, WindowKeepsTheLatestSamples) {
  Stats stats;
  for (std::size_t i = 0; i < Stats::kWindow; ++i) stats.record_latency(std::chrono::seconds(1));
  for (std::size_t i = 0; i < Stats::kWindow; ++i) stats.record_latency(std::chrono::microseconds(500));
  const auto latency = stats.latency();
  EXPECT_EQ(latency.samples, Stats::kWindow);
  EXPECT_DOUBLE_EQ(latency.max_ms, 0.5);
}

// -b: the body piece size is the test tools' switch; without it the daemon
// uses LibmilterMta's own (0 here), the one MTAs get.
clearbounce::milter::ParsedCommandLine parse(std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& word : words) argv.push_back(word.data());
  optind = 0;  // getopt starts over
  return clearbounce::milter::parse_command_line(static_cast<int>(argv.size()), argv.data(), "test");
}

TEST(MilterCommandLine, BodyPieceSizeDefaultsToTheMtaOne) {
  const auto parsed = parse({"clearbounce-milter", "-f"});
  ASSERT_TRUE(parsed.options);
  EXPECT_EQ(parsed.options->body_piece_bytes, 0U);
}

TEST(MilterCommandLine, BodyPieceSizeForTestTools) {
  const auto parsed = parse({"clearbounce-milter", "-b", "1000"});
  ASSERT_TRUE(parsed.options);
  EXPECT_EQ(parsed.options->body_piece_bytes, 1000U);
}

TEST(MilterCommandLine, BodyPieceSizeOutsideOnePacketIsRefused) {
  for (const char* bytes : {"0", "65536", "12k", ""}) {
    const auto parsed = parse({"clearbounce-milter", "-b", bytes});
    EXPECT_FALSE(parsed.options) << bytes;
    EXPECT_EQ(parsed.exit_status, clearbounce::milter::kExitUsage) << bytes;
  }
}

}  // namespace
