// The whole pipeline: bytes in, rewritten bytes (or the reason why not) out.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "dsn/encoding.hpp"
#include "dsn/mime.hpp"
#include "engine/engine.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

std::string dsn(std::string_view diagnostic, std::string_view returned_headers, std::string_view status = "5.1.1",
                std::string_view action = "failed") {
  std::string m =
      "Return-Path: <>\r\n"
      "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "To: alice@example.com\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status;\r\n"
      "\tboundary=\"B0UND.1/mail.example.com\"\r\n"
      "\r\n"
      "This is a MIME-encapsulated message.\r\n"
      "\r\n"
      "--B0UND.1/mail.example.com\r\n"
      "Content-Description: Notification\r\n"
      "Content-Type: text/plain; charset=us-ascii\r\n"
      "\r\n"
      "This is the mail system at host mail.example.com.\r\n"
      "\r\n"
      "--B0UND.1/mail.example.com\r\n"
      "Content-Description: Delivery report\r\n"
      "Content-Type: message/delivery-status\r\n"
      "\r\n"
      "Reporting-MTA: dns; mail.example.com\r\n"
      "Arrival-Date: Mon, 23 Nov 2026 10:02:11 +0100 (CET)\r\n"
      "\r\n"
      "Final-Recipient: rfc822; bob@example.org\r\n"
      "Action: ";
  m += action;
  m += "\r\nStatus: ";
  m += status;
  m += "\r\nRemote-MTA: dns; mx.example.org\r\nDiagnostic-Code: smtp; ";
  m += diagnostic;
  m +=
      "\r\n\r\n"
      "--B0UND.1/mail.example.com\r\n"
      "Content-Description: Undelivered Message Headers\r\n"
      "Content-Type: text/rfc822-headers\r\n"
      "\r\n";
  m += returned_headers;
  m += "\r\n--B0UND.1/mail.example.com--\r\n";
  return m;
}

constexpr std::string_view kReturned =
    "From: Alice <alice@example.com>\r\nTo: Bob <bob@example.org>\r\nSubject: Quarterly report\r\n";

class EngineTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> load(clearbounce::config::Config config = {}) {
    std::vector<std::string> errors;
    auto engine = Engine::load(config, errors);
    EXPECT_TRUE(engine) << (errors.empty() ? "" : errors.front());
    return engine;
  }
  static std::string header_section(const std::string& message) {
    return message.substr(0, message.find("\r\n\r\n") + 2);
  }
};

TEST_F(EngineTest, RewritesADsnAndNamesCategoryAndLocale) {
  const auto engine = load();
  const auto out = engine->process(dsn("550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown", kReturned));
  ASSERT_TRUE(out.rewritten) << out.reason;
  EXPECT_EQ(out.locale, "en");
  ASSERT_EQ(out.categories.size(), 1u);
  EXPECT_EQ(out.categories[0], "recipient.unknown");
  const auto headers = header_section(out.result.message);
  // The marker's MAC follows the fields (test_marker.cpp).
  EXPECT_NE(headers.find("X-Clearbounce: category=recipient.unknown; locale=en;"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Subject: Not delivered: Quarterly report"), std::string::npos) << headers;
}

TEST_F(EngineTest, LocaleFromTheReturnedMessageThenDomainThenDefault) {
  clearbounce::config::Config config;
  config.default_locale = "fr";
  config.domain_locales = {{"example.com", "ja"}};
  const auto engine = load(config);
  const std::string german = std::string(kReturned) + "Content-Language: de-AT\r\n";
  EXPECT_EQ(engine->process(dsn("550 5.1.1 unknown", german)).locale.substr(0, 2), "de");
  EXPECT_EQ(engine->process(dsn("550 5.1.1 unknown", kReturned)).locale, "ja");  // alice@example.com
  Options forced;
  forced.locale = "pt-BR";
  EXPECT_EQ(engine->process(dsn("550 5.1.1 unknown", kReturned), forced).locale, "pt");
}

TEST_F(EngineTest, DomainLocaleFollowsAToWithADisplayName) {
  clearbounce::config::Config config;
  config.domain_locales = {{"example.com", "ja"}};
  const auto engine = load(config);
  // The domain is the address's, not the text after the last '@' ("example.com>").
  std::string message = dsn("550 5.1.1 unknown", kReturned);
  const std::string bare_to = "To: alice@example.com\r\n";
  message.replace(message.find(bare_to), bare_to.size(), "To: Alice <alice@example.com>\r\n");
  const auto out = engine->process(message);
  ASSERT_TRUE(out.rewritten) << out.reason;
  EXPECT_EQ(out.locale, "ja");
}

TEST_F(EngineTest, LeavesAloneWhatIsNotForIt) {
  const auto engine = load();
  const auto once = engine->process(dsn("550 5.1.1 unknown", kReturned));
  ASSERT_TRUE(once.rewritten);
  const auto twice = engine->process(once.result.message);
  EXPECT_FALSE(twice.rewritten);
  EXPECT_NE(twice.reason.find("X-Clearbounce"), std::string::npos) << twice.reason;

  const auto ordinary = engine->process("From: a@example.com\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nHello\r\n");
  EXPECT_FALSE(ordinary.rewritten);
  EXPECT_FALSE(ordinary.reason.empty());

  EXPECT_FALSE(engine->process("").rewritten);
  EXPECT_FALSE(engine->process(std::string(5000, '\xff')).rewritten);

  clearbounce::config::Config small;
  small.max_message_bytes = 100;
  const auto capped = load(small)->process(dsn("550 5.1.1 unknown", kReturned));
  EXPECT_FALSE(capped.rewritten);
  EXPECT_NE(capped.reason.find("larger"), std::string::npos);
}

TEST_F(EngineTest, HostileRemoteTextCannotInjectAnything) {
  const auto engine = load();
  const std::string hostile_diagnostic =
      "550 <script>alert('x')</script> <a href=\"http://evil.example/\">click</a> =?utf-8?B?DQpCY2M6IGV2aWxAZXhhbXBsZS5uZXQ=?= \xff\xfe\xc3 " +
      std::string(100000, 'W');
  // The returned Subject decodes to a line break and a Bcc header.
  const std::string returned =
      "From: alice@example.com\r\nSubject: =?utf-8?B?aGkNCkJjYzogZXZpbEBleGFtcGxlLm5ldA==?=\r\n";
  const auto input = dsn(hostile_diagnostic, returned);
  const auto out = engine->process(input);
  ASSERT_TRUE(out.rewritten) << out.reason;
  const auto& message = out.result.message;
  const auto headers = header_section(message);
  EXPECT_EQ(headers.find("\r\nBcc:"), std::string::npos) << headers;
  EXPECT_EQ(headers.find("\nBcc:"), std::string::npos);
  // Every line we wrote within the limit (the report's own lines are kept
  // as they were), no bare CR or LF.
  std::size_t start = 0;
  while (start < message.size()) {
    auto end = message.find("\r\n", start);
    if (end == std::string::npos) end = message.size();
    const auto line = std::string_view(message).substr(start, end - start);
    if (line.size() > 998) {
      EXPECT_NE(input.find(line), std::string::npos) << "a long line we wrote";
    }
    EXPECT_EQ(line.find('\n'), std::string_view::npos);
    EXPECT_EQ(line.find('\r'), std::string_view::npos);
    start = end + 2;
  }
  // The HTML, decoded, carries the remote text only as escaped data.
  const auto parsed = clearbounce::dsn::parse_mime(message);
  ASSERT_TRUE(parsed);
  std::string html;
  std::vector<const clearbounce::dsn::MimePart*> stack{&parsed->root};
  while (!stack.empty()) {
    const auto* part = stack.back();
    stack.pop_back();
    if (part->media_type() == "text/html") html = part->decoded_body();
    for (const auto& child : part->children) stack.push_back(&child);
  }
  ASSERT_FALSE(html.empty());
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<a href"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(clearbounce::dsn::sanitize_utf8(html), html);
}

TEST_F(EngineTest, ReportsFromTheInternetAreQuotedAsClaims) {
  const auto engine = load();
  const auto input = dsn("550 5.1.1 <bob@example.org>: User unknown", kReturned);
  Options remote;
  remote.remote_report = true;
  const auto claimed = engine->process(input, remote);
  const auto ours = engine->process(input);
  ASSERT_TRUE(claimed.rewritten && ours.rewritten);
  const auto text_of = [](const std::string& message) {
    const auto parsed = clearbounce::dsn::parse_mime(message);
    std::vector<const clearbounce::dsn::MimePart*> stack{&parsed->root};
    while (!stack.empty()) {
      const auto* part = stack.back();
      stack.pop_back();
      if (part->media_type() == "text/plain") return part->decoded_body();
      for (const auto& child : part->children) stack.push_back(&child);
    }
    return std::string();
  };
  const auto claimed_text = text_of(claimed.result.message);
  const auto our_text = text_of(ours.result.message);
  EXPECT_NE(claimed_text.find("Another mail system wrote this notice"), std::string::npos) << claimed_text;
  EXPECT_NE(claimed_text.find("That system quotes the recipient's server"), std::string::npos)
      << claimed_text;
  EXPECT_EQ(our_text.find("Another mail system wrote this notice"), std::string::npos);
}

TEST_F(EngineTest, DelayedReportsSayWeKeepTrying) {
  const auto engine = load();
  std::string m = dsn("Server certificate not verified", kReturned, "4.7.5", "delayed");
  m.insert(m.find("Diagnostic-Code"), "Will-Retry-Until: Fri, 27 Nov 2026 14:00:00 +0100\r\n");
  const auto out = engine->process(m);
  ASSERT_TRUE(out.rewritten) << out.reason;
  EXPECT_EQ(out.categories.front(), "tls.certificate_not_verified");
  const auto headers = header_section(out.result.message);
  EXPECT_NE(headers.find("Subject: Not delivered yet"), std::string::npos) << headers;
}

}  // namespace

namespace {

// A folder for an administrator's catalogue files, removed afterwards.
class OverrideFolder {
 public:
  OverrideFolder() : path_(std::filesystem::temp_directory_path() / ("cb-templates-" + std::to_string(::getpid()))) {
    std::filesystem::create_directories(path_);
  }
  ~OverrideFolder() { std::filesystem::remove_all(path_); }
  void write(const std::string& name, const std::string& text) const { std::ofstream(path_ / name) << text; }
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

TEST_F(EngineTest, AdministratorsOverrideSingleEntries) {
  OverrideFolder folder;
  folder.write("en.toml",
               "[locale]\ntag = \"en\"\n[text]\nclosing = \"Call the service desk on 0800 123.\"\n"
               "[category.\"recipient.unknown\"]\nfix = [\"Look the address up in the staff directory.\"]\n");
  clearbounce::config::Config config;
  config.templates_directory = folder.path();
  const auto engine = load(config);
  ASSERT_TRUE(engine);
  const auto out = engine->process(dsn("550 5.1.1 <bob@example.org>: User unknown", kReturned));
  ASSERT_TRUE(out.rewritten) << out.reason;
  EXPECT_NE(out.result.message.find("Call the service desk on 0800 123."), std::string::npos);
  EXPECT_NE(out.result.message.find("staff directory"), std::string::npos);
  // Entries not overridden still come from the shipped catalogue.
  EXPECT_NE(out.result.message.find("Technical details for support staff"), std::string::npos);
}

TEST_F(EngineTest, BadOverrideIsRefusedWithFileAndLine) {
  OverrideFolder folder;
  folder.write("de.toml", "[locale]\ntag = \"de\"\n[text]\n\ngreeting = \"Hallo {vorname}\"\n");
  clearbounce::config::Config config;
  config.templates_directory = folder.path();
  std::vector<std::string> errors;
  EXPECT_FALSE(Engine::load(config, errors));
  ASSERT_FALSE(errors.empty());
  EXPECT_NE(errors.front().find("de.toml:5"), std::string::npos) << errors.front();
  EXPECT_NE(errors.front().find("{vorname}"), std::string::npos) << errors.front();
}

}  // namespace
