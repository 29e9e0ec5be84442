// The X-Clearbounce marker (engine/marker.hpp): only a marker whose MAC
// verifies means "already rewritten"; anything else is removed and the
// report rewritten.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "dsn/mime.hpp"
#include "engine/engine.hpp"
#include "engine/marker.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

// A remote report (MAIL FROM:<> over SMTP) about bob@example.org; `top`
// goes into its header section, `returned` is the returned message's header
// section (text/rfc822-headers).
std::string report(std::string_view top, std::string_view returned) {
  std::string m =
      "From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "To: alice@example.com\r\n";
  m += top;
  m +=
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"XB\"\r\n"
      "\r\n"
      "--XB\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "Your password expires today: log in at https://evil.example/ to keep your mail.\r\n"
      "\r\n"
      "--XB\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mx.example.org\r\n"
      "\r\n"
      "Final-Recipient: rfc822; bob@example.org\r\n"
      "Action: failed\r\n"
      "Status: 5.1.1\r\n"
      "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.org>: User unknown\r\n"
      "\r\n"
      "--XB\r\n"
      "Content-Type: text/rfc822-headers\r\n"
      "\r\n";
  m += returned;
  m += "\r\n--XB--\r\n";
  return m;
}

constexpr std::string_view kReturned =
    "Received: from pc.example.com (pc.example.com [192.0.2.7])\r\n"
    "\tby mail.example.com (Postfix) with ESMTPSA id 4QxYz1\r\n"
    "\tfor <bob@example.org>; Mon, 23 Nov 2026 10:02:10 +0100 (CET)\r\n"
    "Message-ID: <1234@example.com>\r\n"
    "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Quarterly report\r\n";

std::unique_ptr<Engine> load(clearbounce::config::Config config = {}) {
  std::vector<std::string> errors;
  auto engine = Engine::load(config, errors);
  EXPECT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  return engine;
}

Options remote() {
  Options options;
  options.remote_report = true;
  return options;
}

// Values of the X-Clearbounce fields of the top header section, unfolded.
std::vector<std::string> markers(const std::string& message) {
  std::vector<std::string> out;
  const auto parsed = clearbounce::dsn::parse_mime(message);
  if (!parsed) return out;
  for (const auto& field : parsed->root.headers) {
    if (field.name != "X-Clearbounce") continue;
    std::string value;
    for (const char c : field.raw_value) {
      if (c != '\r' && c != '\n') value.push_back(c);
    }
    out.push_back(value.substr(value.find_first_not_of(" \t")));
  }
  return out;
}

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// A key file of its own per test, removed afterwards.
class KeyFile {
 public:
  explicit KeyFile(std::string_view bytes)
      : path_(std::filesystem::temp_directory_path() /
              ("clearbounce-marker-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++) + ".key")) {
    std::ofstream(path_, std::ios::binary) << bytes;
  }
  ~KeyFile() { std::filesystem::remove(path_); }
  std::string path() const { return path_.string(); }

 private:
  static inline int counter_ = 0;
  std::filesystem::path path_;
};

TEST(Marker, TheEnginesOwnMarkerVerifiesAndStopsASecondRewrite) {
  const auto engine = load();
  const auto once = engine->process(report("", kReturned), remote());
  ASSERT_TRUE(once.rewritten) << once.reason;
  const auto values = markers(once.result.message);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_TRUE(values[0].starts_with("category=recipient.unknown; locale=en; mac=")) << values[0];
  EXPECT_EQ(values[0].size(), std::string("category=recipient.unknown; locale=en; mac=").size() + 43);

  const auto twice = engine->process(once.result.message, remote());
  EXPECT_FALSE(twice.rewritten);
  EXPECT_EQ(twice.verified_marker, 1u) << twice.reason;
}

TEST(Marker, SurvivesLineEndConversionAndRefolding) {
  const auto engine = load();
  const auto once = engine->process(report("", kReturned), remote());
  ASSERT_TRUE(once.rewritten) << once.reason;
  std::string unix_style;
  for (const char c : once.result.message) {
    if (c != '\r') unix_style.push_back(c);
  }
  // Another MTA folds the header at its spaces.
  const auto refolded = replace_once(unix_style, "; locale=", ";\n\tlocale=");
  EXPECT_EQ(engine->process(refolded, remote()).verified_marker, 1u);
}

TEST(Marker, AForgedMarkerNoLongerStopsTheRewriteAndIsReplaced) {
  const auto engine = load();
  const auto forged = report("X-Clearbounce: category=recipient.unknown; locale=en\r\n", kReturned);
  const auto out = engine->process(forged, remote());
  ASSERT_TRUE(out.rewritten) << out.reason;
  EXPECT_EQ(out.verified_marker, 0u);
  const auto values = markers(out.result.message);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_NE(values[0].find("; mac="), std::string::npos) << values[0];
  EXPECT_EQ(engine->process(out.result.message, remote()).verified_marker, 1u);
}

TEST(Marker, AMarkerCopiedFromAnotherNoticeDoesNotVerify) {
  const auto engine = load();
  const auto genuine = engine->process(report("", kReturned), remote());
  ASSERT_TRUE(genuine.rewritten) << genuine.reason;
  const std::string copied = "X-Clearbounce: " + markers(genuine.result.message).at(0) + "\r\n";
  // The same marker on a report with another text (the phishing one).
  const auto replayed = engine->process(report(copied, kReturned), remote());
  EXPECT_TRUE(replayed.rewritten) << replayed.reason;
  EXPECT_EQ(replayed.verified_marker, 0u);
}

TEST(Marker, ChangedFieldsSubjectOrMacDoNotVerify) {
  const auto engine = load();
  Options options = remote();
  options.local_hostnames = {"mx.example.net"};  // the returned message is not ours: forged=yes
  const auto once = engine->process(report("", kReturned), options);
  ASSERT_TRUE(once.rewritten) << once.reason;
  const std::string& message = once.result.message;
  ASSERT_NE(markers(message).at(0).find("; forged=yes; mac="), std::string::npos) << markers(message).at(0);

  const auto unforged = replace_once(message, "; forged=yes", "");
  const auto other_category = replace_once(message, "category=recipient.unknown", "category=recipient.mailbox_full");
  const auto subject = replace_once(message, "Subject: Not delivered", "Subject: Delivered");
  const std::string mac = markers(message).at(0).substr(markers(message).at(0).find("mac=") + 4);
  std::string wrong_mac = mac;
  wrong_mac[0] = wrong_mac[0] == 'A' ? 'B' : 'A';
  const auto tampered = replace_once(message, "mac=" + mac, "mac=" + wrong_mac);
  for (const auto* variant : {&unforged, &other_category, &subject, &tampered}) {
    const auto out = engine->process(*variant, options);
    EXPECT_EQ(out.verified_marker, 0u) << out.reason;
    EXPECT_TRUE(out.rewritten) << out.reason;
  }
}

TEST(Marker, EveryMarkerThatDoesNotVerifyIsRemoved) {
  const auto engine = load();
  const auto forged = report(
      "X-Clearbounce: category=recipient.unknown; locale=en; mac=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
      "X-Clearbounce : locale=de;\r\n\tforged=no\r\n",
      kReturned);
  const auto out = engine->process(forged, remote());
  ASSERT_TRUE(out.rewritten) << out.reason;
  const auto values = markers(out.result.message);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].find("forged=no"), std::string::npos);
  EXPECT_EQ(out.result.message.find("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), std::string::npos);
}

TEST(Marker, TheVerifiedOneIsNamedAmongSeveral) {
  const auto engine = load();
  const auto once = engine->process(report("", kReturned), remote());
  ASSERT_TRUE(once.rewritten) << once.reason;
  // An older, unsigned marker above ours.
  const auto both = replace_once(once.result.message, "To: alice@example.com\r\n",
                                 "To: alice@example.com\r\nX-Clearbounce: category=x; locale=en\r\n");
  EXPECT_EQ(engine->process(both, remote()).verified_marker, 2u);
}

TEST(Marker, AKeyFileIsSharedByEnginesAndAnotherKeyDoesNotVerify) {
  const KeyFile first(std::string(32, 'k'));
  const KeyFile second(std::string(32, 'q'));
  clearbounce::config::Config config;
  config.marker_key_file = first.path();
  const auto signer = load(config);
  const auto same_key = load(config);
  config.marker_key_file = second.path();
  const auto other_key = load(config);
  const auto no_key = load();
  ASSERT_TRUE(signer && same_key && other_key && no_key);

  const auto once = signer->process(report("", kReturned), remote());
  ASSERT_TRUE(once.rewritten) << once.reason;
  EXPECT_EQ(same_key->process(once.result.message, remote()).verified_marker, 1u);
  EXPECT_EQ(other_key->process(once.result.message, remote()).verified_marker, 0u);
  EXPECT_EQ(no_key->process(once.result.message, remote()).verified_marker, 0u);
}

TEST(Marker, AKeyFileThatCannotServeIsAConfigurationError) {
  const KeyFile short_key("0123456789");
  clearbounce::config::Config config;
  config.marker_key_file = short_key.path();
  std::vector<std::string> errors;
  EXPECT_FALSE(Engine::load(config, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().find("marker.key_file"), std::string::npos) << errors.front();

  config.marker_key_file = "/nonexistent/clearbounce/marker.key";
  errors.clear();
  EXPECT_FALSE(Engine::load(config, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().find("cannot open"), std::string::npos) << errors.front();
}

}  // namespace

namespace {

// The MAC is HMAC-SHA-256 itself (RFC 4231, test case 1), in base64url
// without padding, from every thread alike.
TEST(Marker, MacIsHmacSha256) {
  const KeyFile file(std::string(20, '\x0b'));
  std::string error;
  const auto key = clearbounce::engine::marker::Key::load_file(file.path(), error);
  ASSERT_TRUE(key) << error;
  const std::string expected = "sDRMYdjbOFNcqK_OrwvxK4gdwgDJgz2nJuk3bC4yz_c";  // b0344c61...2e32cff7
  EXPECT_EQ(key->mac("Hi There"), expected);
  EXPECT_EQ(key->mac("Hi There"), expected);  // the keyed state is not used up
  std::vector<std::thread> threads;
  std::atomic<int> right{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) right += key->mac("Hi There") == expected;
    });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(right, 800);
}

}  // namespace
