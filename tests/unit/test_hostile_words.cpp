// Attacker text stays a quote, never our sentence, and the rendered output
// stays bounded (issue 9: P1-P4, L1, D4, D6).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "classifier/classifier.hpp"
#include "templates/catalogue.hpp"
#include "templates/locale.hpp"
#include "templates/render.hpp"

namespace {

using clearbounce::classifier::Classification;
using clearbounce::dsn::RecipientReport;
using namespace clearbounce::templates;

class HostileWords : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    classifier = clearbounce::classifier::Classifier::builtin(error);
    ASSERT_TRUE(classifier) << error;
    std::vector<std::string> errors;
    catalogues = CatalogueSet::load("", errors);
    ASSERT_TRUE(catalogues) << (errors.empty() ? "" : errors.front());
  }

  static RecipientReport recipient(std::string address, std::string action, std::string diagnostic) {
    RecipientReport r;
    r.recipient = std::move(address);
    r.action = std::move(action);
    r.diagnostic = std::move(diagnostic);
    return r;
  }

  // Classifies each recipient, unless `given` holds the classifications.
  Rendered render_report(std::vector<RecipientReport> recipients, std::string_view locale = "en",
                         std::vector<Classification> given = {}) {
    report = {};
    report.kind = clearbounce::dsn::ReportKind::delivery_status;
    report.reporting_mta = "mail.example.net";
    report.recipients = std::move(recipients);
    results = std::move(given);
    if (results.empty())
      for (const auto& r : report.recipients) results.push_back(classifier->classify(r, report));
    RenderInput input;
    input.report = &report;
    input.classifications = &results;
    input.classifier = classifier.get();
    input.original_subject = subject;
    input.remote_report = remote;
    input.detailed_recipients = detailed;
    return render(input, locale, *catalogues);
  }

  // A catalogue text as it reads with `values`.
  std::string says(std::string_view locale, std::string_view key, const Values& values = {}) const {
    const auto* templates = catalogues->find(locale, key);
    return templates && !templates->empty() ? templates->front().render(values) : std::string();
  }

  // The part of the text written for the user: everything before the technical section.
  std::string prose(const Rendered& r, std::string_view locale = "en") const {
    return r.text.substr(0, r.text.find(says(locale, "text.technical")));
  }

  std::unique_ptr<clearbounce::classifier::Classifier> classifier;
  std::unique_ptr<CatalogueSet> catalogues;
  clearbounce::dsn::BounceReport report;
  std::vector<Classification> results;
  std::string subject = "Quarterly report";
  bool remote = false;
  std::size_t detailed = 20;
};

// --- P1: on the remote path nothing is introduced as our server's words.

TEST_F(HostileWords, RemotePostfixTextIsTheirClaimNotOurs) {
  auto r = recipient("bob@example.org", "failed",
                     "Your mailbox password has expired. Reset it at https://evil.example/reset or call 555 0100");
  r.diagnostic_type = "x-postfix";
  remote = true;
  for (const auto& tag : catalogues->tags()) {
    const auto text = render_report({r}, tag).text;
    EXPECT_EQ(text.find(says(tag, "text.system_said")), std::string::npos) << tag;
    // No reply code: not the recipient's server either, but the system that wrote the report.
    EXPECT_NE(text.find(says(tag, "text.reporter_said")), std::string::npos) << tag;
  }
  remote = false;  // our own server's report: its X-Postfix text is ours
  EXPECT_NE(render_report({r}).text.find(says("en", "text.system_said")), std::string::npos);
}

// --- P2: a deadline is a date or nothing.

TEST_F(HostileWords, RetryUntilThatIsNoDateIsLeftOut) {
  auto r = recipient("bob@example.org", "delayed", "451 4.3.0 Temporary failure");
  r.will_retry_until = "you confirm your account at https://evil.example/confirm";
  remote = true;
  for (const auto& tag : catalogues->tags()) {
    const auto out = render_report({r}, tag);
    EXPECT_EQ(out.text.find("confirm your account"), std::string::npos) << tag;
    EXPECT_EQ(out.html.find("confirm your account"), std::string::npos) << tag;
    EXPECT_NE(out.text.find(says(tag, "action.delayed.retry_unknown_remote")), std::string::npos) << tag;
  }
}

// --- P3: server names and addresses only when well-formed.

TEST_F(HostileWords, ServerNameAndAddressOnlyWhenWellFormed) {
  // A failure whose notice names the server and its address (`why`).
  auto r = recipient("bob@example.org", "failed", "No route to host");
  r.remote_mta = "call 555 0100 or visit https://evil.example/help";
  r.remote_ip = "reset your password at evil.example";
  remote = true;
  for (const auto& tag : catalogues->tags()) {
    const auto out = render_report({r}, tag);
    ASSERT_EQ(results.front().category->id, "network.no_route");
    const auto words = prose(out, tag);
    EXPECT_EQ(words.find("555 0100"), std::string::npos) << tag;
    EXPECT_EQ(words.find("evil.example"), std::string::npos) << tag;
    EXPECT_EQ(words.find("()"), std::string::npos) << tag;  // no empty group left behind
    EXPECT_EQ(words.find("（）"), std::string::npos) << tag;
    // Support staff still see what the report said, as a quote.
    EXPECT_NE(out.text.find("555 0100"), std::string::npos) << tag;
  }
  r.remote_mta = "mx.example.org";
  r.remote_ip = "192.0.2.10";
  auto words = prose(render_report({r}));
  EXPECT_NE(words.find("mx.example.org"), std::string::npos) << words;
  EXPECT_NE(words.find("192.0.2.10"), std::string::npos) << words;
  // An address literal: no host name, the address written plainly.
  r.remote_mta = "[IPv6:2001:DB8::1]";
  r.remote_ip = "IPv6:2001:DB8::1";
  words = prose(render_report({r}));
  EXPECT_NE(words.find("(2001:db8::1)"), std::string::npos) << words;
  EXPECT_EQ(words.find("[IPv6"), std::string::npos) << words;
}

TEST_F(HostileWords, OtherFactsOnlyWhenWellFormed) {
  const auto* blocklisted = classifier->find_category("reputation.blocklisted");
  const auto* too_large = classifier->find_category("message.too_large");
  ASSERT_TRUE(blocklisted && too_large);
  const auto r = recipient("bob@example.org", "failed", "550 rejected");
  const auto facts_of = [&](const clearbounce::classifier::Category* category, std::string name, std::string value) {
    Classification c;
    c.category = category;
    c.facts[std::move(name)] = std::move(value);
    return std::vector<Classification>{c};
  };
  EXPECT_EQ(prose(render_report({r}, "en", facts_of(blocklisted, "blocklist", "evil.example/reset?call=5550100")))
                .find("5550100"),
            std::string::npos);
  EXPECT_NE(prose(render_report({r}, "en", facts_of(blocklisted, "blocklist", "zen.spamhaus.org"))).find("(zen.spamhaus.org)"),
            std::string::npos);
  EXPECT_EQ(prose(render_report({r}, "en", facts_of(too_large, "size_limit", "10 MB; call 555 0100"))).find("555"),
            std::string::npos);
  EXPECT_NE(prose(render_report({r}, "en", facts_of(too_large, "size_limit", "10485760"))).find("of 10 MB"),
            std::string::npos);
}

TEST_F(HostileWords, FactsThatMayBeLeftOutSitInOptionalGroups) {
  std::vector<std::string> errors;
  catalogues->check_optional_facts(errors);
  for (const auto& e : errors) ADD_FAILURE() << e;

  const std::string en = R"(
[locale]
tag = "en"
[dates]
months = ["1","2","3","4","5","6","7","8","9","10","11","12"]
weekdays = ["1","2","3","4","5","6","7"]
datetime = "{day}"
[text]
remote_said = "The server {remote_host} answered:"
)";
  const auto bare = CatalogueSet::from_texts({{"en.toml", en}}, errors);
  ASSERT_TRUE(bare) << (errors.empty() ? "" : errors.front());
  bare->check_optional_facts(errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors.front().find("en.toml:9"), std::string::npos) << errors.front();
  EXPECT_NE(errors.front().find("{remote_host}"), std::string::npos) << errors.front();
}

// --- P4: no invisible direction or zero-width characters copied out.

TEST_F(HostileWords, InvisibleFormatCharactersAreRemoved) {
  const std::vector<std::string> invisible = {
      "\u202A", "\u202B", "\u202C", "\u202D", "\u202E", "\u2066", "\u2067", "\u2068", "\u2069", "\u200B",
      "\u200C", "\u200D", "\u200E", "\u200F", "\u061C", "\uFEFF", "\u2060", "\u2061", "\u2062", "\u2063",
      "\u2064", "\u00AD", "\U000E0041"};
  std::string hidden;
  for (const auto& c : invisible) hidden += c + "x";
  subject = "Invoice " + hidden;
  auto r = recipient("bob" + invisible[9] + "@example.org", "failed", "550 5.1.1 user unknown " + hidden);
  r.remote_mta = "mx" + invisible[4] + ".example.org";
  r.status = "5.1.1" + invisible[13];
  remote = true;
  const auto out = render_report({r});
  for (std::size_t i = 0; i < invisible.size(); ++i) {
    EXPECT_EQ(out.subject.find(invisible[i]), std::string::npos) << "character " << i;
    EXPECT_EQ(out.text.find(invisible[i]), std::string::npos) << "character " << i;
    EXPECT_EQ(out.html.find(invisible[i]), std::string::npos) << "character " << i;
  }
  // What is left of the quote is still there.
  EXPECT_NE(out.text.find("user unknown xxxx"), std::string::npos) << out.text;
}

// --- A long answer is quoted up to its limit and marked as cut; a shorter
// one whole (the technical section's short copy is cut either way).

TEST_F(HostileWords, LongAnswerIsCutAndMarked) {
  const std::string long_answer = "550 " + std::string(3990, 'a') + "TAILMARK" + std::string(1000, 'b');
  const auto cut = render_report({recipient("bob@example.org", "failed", long_answer)});
  EXPECT_EQ(cut.text.find("TAILMARK"), std::string::npos);
  EXPECT_NE(cut.text.find("…"), std::string::npos);
  const std::string short_answer = "550 " + std::string(3000, 'a') + " ENDMARK";
  const auto whole = render_report({recipient("bob@example.org", "failed", short_answer)});
  EXPECT_NE(whole.text.find("ENDMARK"), std::string::npos);
}

// --- L1: a dropped character is not a cut.

TEST_F(HostileWords, DroppedControlCharacterIsNotTruncation) {
  subject = "\x7f" "café";
  const auto out = render_report({recipient("bob@example.org", "failed", "550 5.1.1 User unknown")});
  EXPECT_EQ(out.subject, says("en", "subject.failed", {{"subject", "café"}}));
  subject = std::string(2000, 'x');  // a real cut is still marked
  EXPECT_NE(render_report({recipient("bob@example.org", "failed", "550")}).subject.find("…"), std::string::npos);
}

// --- D6 and the work budget: the first recipients in detail, the rest counted.

// The bound stated in render.cpp: 64 KB of frame and 96 KB per recipient
// explained (text and HTML together), whatever the number of recipients.
constexpr std::size_t kFrameBytes = 64 * 1024;
constexpr std::size_t kPerRecipientBytes = 96 * 1024;

std::string address(std::size_t n) {
  const auto digits = std::to_string(n);
  return "user" + std::string(4 - digits.size(), '0') + digits + "@example.net";
}

TEST_F(HostileWords, ManyRecipientsAreCountedNotRepeated) {
  std::vector<RecipientReport> recipients;
  for (std::size_t n = 0; n < 2500; ++n) {
    const bool full = n % 25 == 0;  // 100 full mailboxes, 2,400 unknown addresses
    std::string diagnostic = full ? "552 5.2.2 Mailbox full:" : "550 5.1.1 User unknown:";
    // 4 KB, its own, and no part of it repeats.
    for (int part = 0; diagnostic.size() < 4096; ++part) {
      diagnostic += ' ';  // appended piecewise: GCC 12's -Wrestrict misreads "literal" + std::string&& at -O3
      diagnostic += address(n);
      diagnostic += '/';
      diagnostic += std::to_string(part);
    }
    recipients.push_back(recipient(address(n), "failed", diagnostic));
  }
  detailed = 20;
  const auto out = render_report(recipients);
  EXPECT_LT(out.text.size() + out.html.size(), kFrameBytes + detailed * kPerRecipientBytes);

  // Exactly `detailed` recipients are explained, each quote once in full per
  // format (its middle part: the quote itself is cut at 4,000 bytes, and
  // the technical section does not repeat it); the overview at the top
  // names three addresses of each of the two causes besides.
  std::size_t explained = 0, named = 0;
  for (const auto& r : report.recipients) {
    if (out.text.find(r.recipient) == std::string::npos) continue;
    ++named;
    const auto middle = r.diagnostic.substr(300, 3000);
    const auto count = [&](const std::string& in) {
      std::size_t n = 0;
      for (auto at = in.find(middle); at != std::string::npos; at = in.find(middle, at + 1)) ++n;
      return n;
    };
    if (count(out.text) == 0) continue;
    ++explained;
    EXPECT_EQ(count(out.text), 1u) << r.recipient;
    EXPECT_EQ(count(out.html), 1u) << r.recipient;
  }
  EXPECT_EQ(explained, detailed);
  EXPECT_LE(named, detailed + 2 * 3);

  // The others: their number and their causes, by each category's label.
  const auto* unknown = classifier->find_category("recipient.unknown");
  const auto* full = classifier->find_category("recipient.mailbox_full");
  ASSERT_TRUE(unknown && full);
  const bool full_first = full->severity > unknown->severity;
  const auto cause = [&](const clearbounce::classifier::Category* category, const char* count) {
    return says("en", "text.more_cause", {{"cause", says("en", "category." + category->id + ".label")}, {"number", count}});
  };
  const auto words = prose(out);
  EXPECT_NE(words.find("2,480"), std::string::npos) << words.substr(words.size() - 600);
  EXPECT_NE(words.find(cause(unknown, full_first ? "2,400" : "2,380")), std::string::npos);
  EXPECT_NE(words.find(cause(full, full_first ? "80" : "100")), std::string::npos);
  EXPECT_NE(out.text.find(says("en", "text.technical_more", {{"number", "2,480"}})), std::string::npos);
  EXPECT_NE(render_report(recipients, "de").text.find("2.480"), std::string::npos);
}

TEST_F(HostileWords, FewRecipientsAreAllExplained) {
  detailed = 3;
  const auto out = render_report({recipient("a@example.org", "failed", "550 5.1.1 User unknown"),
                                  recipient("b@example.org", "delayed", "452 4.2.2 Mailbox full"),
                                  recipient("c@example.org", "delivered", "")});
  for (const char* who : {"a@example.org", "b@example.org", "c@example.org"})
    EXPECT_NE(out.text.find(who), std::string::npos) << who;
  EXPECT_NE(out.text.find(says("en", "text.intro", {{"count", "3"}})), std::string::npos);
  EXPECT_EQ(out.text.find(says("en", "text.intro_limited", {{"count", "3"}})), std::string::npos);
}

// --- D4: locale choice is bounded, whatever the headers hold.

TEST_F(HostileWords, HugeLanguageTagIsNoLanguage) {
  // 300 KB: the fallback dropped one subtag at a time, lower-casing the whole
  // tag at each step, and took minutes to come down to "de".
  std::string tag = "de";
  for (int i = 0; i < 100000; ++i) tag += "-xx";
  EXPECT_EQ(choose_locale({tag, "", ""}, {}, "en", *catalogues), "en");
  EXPECT_EQ(match_locale(tag, *catalogues), "");
  EXPECT_EQ(choose_locale({"de-AT-x-private", "", ""}, {}, "en", *catalogues), "de-AT");
}

TEST_F(HostileWords, OnlyTheFirstLanguagesOfAHeaderCount) {
  std::string header;
  for (int i = 0; i < 100000; ++i) header += "xx, ";
  header += "de";
  EXPECT_EQ(choose_locale({"", header, ""}, {}, "en", *catalogues), "en");
  EXPECT_EQ(choose_locale({"", "xx, yy, de", ""}, {}, "en", *catalogues), "de");
}

TEST_F(HostileWords, QualityThatIsNoNumberBetweenZeroAndOneIsIgnored) {
  EXPECT_EQ(choose_locale({"", "de;q=oops, fr;q=0.5", ""}, {}, "en", *catalogues), "fr");
  EXPECT_EQ(choose_locale({"", "de;q=0.5x, fr;q=0.4", ""}, {}, "en", *catalogues), "fr");
  EXPECT_EQ(choose_locale({"", "de;q=7, fr;q=0.4", ""}, {}, "en", *catalogues), "fr");
  EXPECT_EQ(choose_locale({"", "de;q=0.3, fr;q=0.4", ""}, {}, "en", *catalogues), "fr");
}

TEST_F(HostileWords, SenderDomainTooLongForADomainIsNone) {
  const std::map<std::string, std::string> domains{{"example.at", "de-AT"}};
  std::string domain;
  for (int i = 0; i < 200000; ++i) domain += "a.";
  domain += "example.at";
  EXPECT_EQ(choose_locale({"", "", domain}, domains, "en", *catalogues), "en");
  EXPECT_EQ(choose_locale({"", "", "Mail.Example.AT"}, domains, "en", *catalogues), "de-AT");
}

}  // namespace
