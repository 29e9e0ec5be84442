// The X-Clearbounce marker (engine/marker.hpp): only a marker whose MAC
// verifies means "already rewritten"; anything else is removed and the
// report rewritten.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "dsn/layout.hpp"
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

// ---- what the MAC covers --------------------------------------------------

// The MAC's input as the marker's first version made it (three copies of
// the notice without white space), kept here as the reference that the
// one-pass form must match byte for byte: a marker verifies exactly when it
// verified before.
std::string former_canonical(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7f) out.push_back(c);
  }
  return out;
}

void former_piece(std::string& out, std::string_view piece) {
  out += std::to_string(piece.size());
  out += ':';
  out.append(piece);
}

std::string former_mac_input(std::string_view fields, std::string_view subject, std::string_view text_plain,
                             std::string_view html) {
  std::string content;
  former_piece(content, former_canonical(subject));
  former_piece(content, former_canonical(text_plain));
  former_piece(content, former_canonical(html));
  std::string input;
  former_piece(input, "clearbounce-marker-1");
  former_piece(input, former_canonical(fields));
  return input + content;
}

TEST(Marker, MacInputKeepsItsFormerFormOnEveryByte) {
  using clearbounce::engine::marker::detail::mac_input;
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  // A deterministic jumble of bytes, white space and controls among them.
  std::string jumble;
  std::uint32_t state = 12345;
  for (int i = 0; i < 5000; ++i) {
    state = state * 1103515245u + 12345u;
    jumble.push_back(static_cast<char>(state >> 24));
  }
  const std::vector<std::string> texts = {
      "",
      " \t\r\n\x7f\x01",
      every_byte,
      jumble,
      "Your message \xe2\x80\x9cMinutes\xe2\x80\x9d could not be\r\n delivered to bob@example.net.\n\n",
      "<p>The address\n\tbob@example.net does not exist.</p>\r\n<li>Check   it.</li>",
      "category=recipient.unknown;\r\n\tlocale=en; forged=yes",
  };
  for (const auto& fields : texts)
    for (const auto& text : texts) {
      EXPECT_EQ(mac_input(fields, text, text, text), former_mac_input(fields, text, text, text));
      EXPECT_EQ(mac_input(fields, "", text, every_byte), former_mac_input(fields, "", text, every_byte));
    }
}

// The texts of a rewritten message's notification, as verify() reads them.
struct Notification {
  std::string subject;
  std::string text_plain;
  std::string html;
};

Notification notification_of(const std::string& message) {
  Notification out;
  const auto parsed = clearbounce::dsn::parse_mime(message);
  EXPECT_TRUE(parsed);
  if (!parsed) return out;
  const auto layout = clearbounce::dsn::layout_of(parsed->root);
  EXPECT_TRUE(layout.report != nullptr);
  if (layout.report == nullptr) return out;
  const auto& alternative = layout.report->children.at(0);
  out.subject = parsed->root.header_text("Subject");
  out.text_plain = alternative.children.at(0).decoded_body();
  out.html = alternative.children.at(1).decoded_body();
  return out;
}

// What seal() signs is the former input over the texts as a reader decodes
// them: the MAC in the message is HMAC-SHA-256 of exactly that.
TEST(Marker, TheSealSignsTheFormerInputOfTheDecodedNotice) {
  const KeyFile file(std::string(32, 'z'));
  clearbounce::config::Config config;
  config.marker_key_file = file.path();
  const auto engine = load(config);
  std::string error;
  const auto key = clearbounce::engine::marker::Key::load_file(file.path(), error);
  ASSERT_TRUE(engine && key) << error;
  Options options = remote();
  options.local_hostnames = {"mx.example.net"};  // forged=yes: one field more
  const auto out = engine->process(report("", kReturned), options);
  ASSERT_TRUE(out.rewritten) << out.reason;
  const std::string value = markers(out.result.message).at(0);
  const auto last = value.rfind(';');
  const std::string fields = value.substr(0, last);
  const std::string mac = value.substr(value.find("mac=", last) + 4);
  const auto texts = notification_of(out.result.message);
  ASSERT_FALSE(texts.text_plain.empty());
  EXPECT_EQ(key->mac(former_mac_input(fields, texts.subject, texts.text_plain, texts.html)), mac);
}

// In transit the notice may be re-encoded and reflowed: soft line breaks
// dropped or moved, spaces turned into line breaks, lines broken between
// tags. The marker still verifies; a changed word does not.
TEST(Marker, VerifiesAfterTheNoticeIsReflowedOrReencoded) {
  const auto engine = load();
  const auto once = engine->process(report("", kReturned), remote());
  ASSERT_TRUE(once.rewritten) << once.reason;
  const std::string& message = once.result.message;
  // Soft breaks ("=" at a line end) gone: the same decoded text on longer lines.
  std::string unbroken;
  for (std::size_t i = 0; i < message.size(); ++i) {
    if (message.compare(i, 3, "=\r\n") == 0) {
      i += 2;
      continue;
    }
    unbroken.push_back(message[i]);
  }
  ASSERT_NE(unbroken, message);
  // A space of the plain text and a place between two HTML tags become line breaks.
  const auto reflowed = replace_once(replace_once(message, "Hello,", "Hello,\r\n"), "</p>\r\n<p>", "</p>\r\n\r\n<p>");
  const auto tabbed = replace_once(message, "was not delivered", "was\tnot\r\n delivered");
  for (const std::string* variant : std::initializer_list<const std::string*>{&unbroken, &reflowed, &tabbed}) {
    EXPECT_EQ(engine->process(*variant, remote()).verified_marker, 1u);
  }
  const auto changed = replace_once(message, "was not delivered", "was now delivered");
  EXPECT_EQ(engine->process(changed, remote()).verified_marker, 0u);
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

// Keys of every length a key file may have: shorter than SHA-256's 64-byte
// block, exactly one block, one byte more, and far longer (hashed first).
// RFC 4231 test case 6; the others computed with Python's hmac module.
TEST(Marker, MacIsHmacSha256ForKeysOfAnyLength) {
  const auto mac = [](const std::string& secret, std::string_view data) {
    const KeyFile file(secret);
    std::string error;
    const auto key = clearbounce::engine::marker::Key::load_file(file.path(), error);
    EXPECT_TRUE(key) << error;
    return key ? key->mac(data) : std::string();
  };
  const auto bytes = [](std::size_t count) {
    std::string out;
    for (std::size_t i = 0; i < count; ++i) out.push_back(static_cast<char>(i % 256));
    return out;
  };
  EXPECT_EQ(mac(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First"),
            "YOQxWR7gtn8Niiaqy_W3f44LxiE3KMUUBUYEDw7jf1Q");  // 60e43159...0ee37f54
  EXPECT_EQ(mac(bytes(64), "sixty-four"), "3ciZcv1oA3_quouGRjy26ZPclwcr-jk72H7wv6moICg");
  EXPECT_EQ(mac(bytes(65), "sixty-five"), "Okvmc8Fte19ekb8TQRfVQ41WrsQYDS__smtBntYm918");
  EXPECT_EQ(mac(bytes(4096), ""), "F__F7iaAZrvy2YTXRAi7RIo7ozmWVrblrfbAachGxCk");
}

}  // namespace
