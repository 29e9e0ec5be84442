// Privacy options, opt-in (issue 12): the returned message goes back as its
// header section only, and addresses an alias or forward expanded to are
// shown nowhere in the notice.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/config.hpp"
#include "dsn/layout.hpp"
#include "dsn/mime.hpp"
#include "dsn/rewrite.hpp"
#include "engine/engine.hpp"

namespace {

using clearbounce::config::Config;
using clearbounce::engine::Engine;

// A Postfix report that returns the whole message (message/rfc822, or
// message/global), its recipient expanded from an alias.
std::string full_report(std::string_view returned_type = "message/rfc822",
                        std::string_view returned_encoding = "") {
  std::string m =
      "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\r\n"
      "Subject: Undelivered Mail Returned to Sender\r\n"
      "To: alice@example.com\r\n"
      "MIME-Version: 1.0\r\n"
      "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
      "\r\n"
      "--B\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nThis is the mail system at host mail.example.com.\r\n"
      "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.com\r\n\r\n"
      "Final-Recipient: rfc822; bob.private@internal.example.org\r\n"
      "Original-Recipient: rfc822; team@example.org\r\n"
      "Action: failed\r\nStatus: 5.2.2\r\n"
      "Diagnostic-Code: smtp; 552 5.2.2 <bob.private@internal.example.org>: Mailbox full\r\n"
      "\r\n--B\r\nContent-Type: ";
  m += returned_type;
  m += "\r\n";
  if (!returned_encoding.empty()) m += "Content-Transfer-Encoding: " + std::string(returned_encoding) + "\r\n";
  m += "\r\nFrom: alice@example.com\r\nTo: team@example.org\r\nSubject: Salary review\r\n\r\n"
       "The confidential figures are attached.\r\n"
       "\r\n--B--\r\n";
  return m;
}

std::unique_ptr<Engine> engine_with(bool headers_only, bool hide_expanded) {
  Config config;
  config.return_headers_only = headers_only;
  config.hide_expanded_recipients = hide_expanded;
  std::vector<std::string> errors;
  auto engine = Engine::load(config, errors);
  EXPECT_NE(engine, nullptr);
  return engine;
}

TEST(Privacy, TheConfigurationKeysAreRead) {
  std::string error;
  const auto config = clearbounce::config::load_text(
      "[rewrite]\nreturn_headers_only = true\nhide_expanded_recipients = true\n", "t.toml", error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_TRUE(config->return_headers_only);
  EXPECT_TRUE(config->hide_expanded_recipients);
  EXPECT_FALSE(clearbounce::config::load_text("[rewrite]\nreturn_headers_only = \"yes\"\n", "t.toml", error));
  EXPECT_EQ(Config{}.return_headers_only, false);  // off unless asked for
}

TEST(Privacy, TheReturnedMessageGoesBackAsItsHeadersOnly) {
  const std::string report = full_report();
  const auto plain = engine_with(false, false)->process(report, {});
  ASSERT_TRUE(plain.rewritten) << plain.reason;
  EXPECT_NE(plain.result.message.find("The confidential figures"), std::string::npos);

  const auto outcome = engine_with(true, false)->process(report, {});
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  const std::string& message = outcome.result.message;
  EXPECT_EQ(message.find("The confidential figures"), std::string::npos) << message;
  EXPECT_EQ(message.find("message/rfc822"), std::string::npos);
  // The header section stays, as written, in a text/rfc822-headers part.
  EXPECT_NE(message.find("Content-Type: text/rfc822-headers\r\n\r\nFrom: alice@example.com\r\nTo: team@example.org\r\n"
                         "Subject: Salary review\r\n"),
            std::string::npos)
      << message;
  // The delivery-status part is untouched, and the report still reads.
  const std::string status_part = report.substr(report.find("--B\r\nContent-Type: message/delivery-status"),
                                                report.find("--B\r\nContent-Type: message/rfc822") -
                                                    report.find("--B\r\nContent-Type: message/delivery-status"));
  EXPECT_NE(message.find(status_part), std::string::npos);
  const auto reparsed = clearbounce::dsn::parse_mime(message);
  ASSERT_TRUE(reparsed);
  const auto layout = clearbounce::dsn::layout_of(reparsed->root);
  ASSERT_NE(layout.returned, nullptr);
  EXPECT_EQ(layout.returned->media_type(), "text/rfc822-headers");
  ASSERT_NE(layout.returned_headers(), nullptr);
  EXPECT_EQ(layout.returned_headers()->header_text("Subject"), "Salary review");
  // The notice says truly what follows: the header lines, not the message.
  EXPECT_NE(outcome.result.notification.text_plain.find("header lines of your message"), std::string::npos)
      << outcome.result.notification.text_plain;
}

TEST(Privacy, AGlobalMessageGoesBackAsGlobalHeaders) {
  const auto outcome = engine_with(true, false)->process(full_report("message/global"), {});
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_NE(outcome.result.message.find("Content-Type: message/global-headers\r\n\r\nFrom: alice@example.com"),
            std::string::npos)
      << outcome.result.message;
  EXPECT_EQ(outcome.result.message.find("The confidential figures"), std::string::npos);
}

// A returned message that is transfer-encoded has no header lines to copy as
// they are: it stays whole, and the notice says so.
TEST(Privacy, AnEncodedReturnedMessageStaysAsItIs) {
  const auto outcome = engine_with(true, false)->process(full_report("message/rfc822", "quoted-printable"), {});
  ASSERT_TRUE(outcome.rewritten) << outcome.reason;
  EXPECT_NE(outcome.result.message.find("The confidential figures"), std::string::npos);
  EXPECT_NE(outcome.result.notification.text_plain.find("your message follow"), std::string::npos)
      << outcome.result.notification.text_plain;
}

TEST(Privacy, AnExpandedAddressIsShownNowhereWhenAsked) {
  const std::string report = full_report();
  const auto shown = engine_with(false, false)->process(report, {});
  ASSERT_TRUE(shown.rewritten) << shown.reason;
  EXPECT_NE(shown.result.notification.text_plain.find("bob.private@internal.example.org"), std::string::npos);

  const auto hidden = engine_with(false, true)->process(report, {});
  ASSERT_TRUE(hidden.rewritten) << hidden.reason;
  for (const std::string* text : {&hidden.result.notification.text_plain, &hidden.result.notification.html}) {
    EXPECT_EQ(text->find("bob.private@internal.example.org"), std::string::npos) << *text;
    EXPECT_EQ(text->find("BOB.private"), std::string::npos);
    EXPECT_NE(text->find("team@example.org"), std::string::npos);  // the address the sender used
  }
  // The server's words are still quoted, the expanded address left out.
  EXPECT_NE(hidden.result.notification.text_plain.find("552 5.2.2 <\u2026>: Mailbox full"), std::string::npos)
      << hidden.result.notification.text_plain;
}

// The address is found wherever it stands, in any ASCII case, also right
// after a start that looked like it ("bob.bob.private@..."), and the text
// around it stays as it was.
TEST(Privacy, AnExpandedAddressIsLeftOutWhereverItStands) {
  std::string report = full_report();
  const std::string diagnostic = "552 5.2.2 <bob.private@internal.example.org>: Mailbox full";
  report.replace(report.find(diagnostic), diagnostic.size(),
                 "552 5.2.2 bob.bob.private@internal.example.org, BOB.PRIVATE@INTERNAL.EXAMPLE.ORG"
                 "bob.private@internal.example.org; bob.private@internal.example.or: full");
  const auto hidden = engine_with(false, true)->process(report, {});
  ASSERT_TRUE(hidden.rewritten) << hidden.reason;
  EXPECT_NE(hidden.result.notification.text_plain.find(
                "552 5.2.2 bob.\u2026, \u2026\u2026; bob.private@internal.example.or: full"),
            std::string::npos)
      << hidden.result.notification.text_plain;
}

}  // namespace
