// The notice's last sentence says what really follows it: the returned
// message, only its header lines, or the technical report alone.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "dsn/encoding.hpp"
#include "engine/engine.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using clearbounce::engine::Engine;
using clearbounce::engine::Options;

// One report, attaching the returned message in the three ways.
struct Variants {
  std::string headers, message, nothing;
};

Variants variants() {
  Variants v;
  v.headers = clearbounce::testing::postfix_report(
      {{"bob@example.org", "host mx.example.org[192.0.2.25] said: 550 5.1.1 User unknown", "5.1.1"}});
  v.message = v.headers;
  const std::string headers_type = "Content-Type: text/rfc822-headers";
  v.message.replace(v.message.find(headers_type), headers_type.size(), "Content-Type: message/rfc822");
  v.nothing = v.headers;
  const auto last_part = v.nothing.find("--B\r\n" + headers_type);
  v.nothing.replace(last_part, v.nothing.find("--B--") - last_part, "");
  return v;
}

class AttachedSentence : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::string> errors;
    engine_ = Engine::load({}, errors);
    ASSERT_NE(engine_, nullptr) << (errors.empty() ? "" : errors.front());
  }
  // The plain-text notice's last paragraph.
  std::string last_paragraph(const std::string& report, const std::string& locale) const {
    Options options;
    options.locale = locale;
    const auto outcome = engine_->process(report, options);
    EXPECT_TRUE(outcome.rewritten) << outcome.reason;
    const auto& text = outcome.result.notification.text_plain;
    const auto end = text.find_last_not_of("\n");
    const auto start = text.rfind("\n\n", end);
    return text.substr(start == std::string::npos ? 0 : start + 2, end + 1 - (start == std::string::npos ? 0 : start + 2));
  }
  std::unique_ptr<Engine> engine_;
};

TEST_F(AttachedSentence, SaysWhatFollowsInEnglish) {
  const auto v = variants();
  EXPECT_NE(last_paragraph(v.headers, "en").find("header lines of your message"), std::string::npos)
      << last_paragraph(v.headers, "en");
  const auto message = last_paragraph(v.message, "en");
  EXPECT_NE(message.find("your message follow"), std::string::npos) << message;
  EXPECT_EQ(message.find("header"), std::string::npos) << message;
  const auto nothing = last_paragraph(v.nothing, "en");
  EXPECT_NE(nothing.find("report follows"), std::string::npos) << nothing;
  EXPECT_EQ(nothing.find("your message"), std::string::npos) << nothing;
}

TEST_F(AttachedSentence, EveryLocaleTellsTheThreeApart) {
  const auto v = variants();
  for (const std::string locale : {"en", "de", "fr", "es", "it", "nl", "pl", "pt", "ru", "sv", "ja", "zh-Hans"}) {
    const std::set<std::string> said = {last_paragraph(v.headers, locale), last_paragraph(v.message, locale),
                                        last_paragraph(v.nothing, locale)};
    EXPECT_EQ(said.size(), 3u) << locale;
  }
}

}  // namespace
