// Catalogues, locale choice, dates and rendering.
#include <gtest/gtest.h>

#include <algorithm>

#include "classifier/classifier.hpp"
#include "dsn/encoding.hpp"
#include "templates/catalogue.hpp"
#include "templates/dates.hpp"
#include "templates/locale.hpp"
#include "templates/render.hpp"

namespace {

using namespace clearbounce::templates;

Template parse_ok(std::string_view text) {
  std::string error;
  auto t = Template::parse(text, error);
  EXPECT_TRUE(t) << error;
  return t ? *t : Template();
}

TEST(Template, ReplacesPlaceholders) {
  const auto t = parse_ok("Mail to {recipient} failed.");
  EXPECT_EQ(t.render({{"recipient", "bob@example.org"}}), "Mail to bob@example.org failed.");
}

TEST(Template, OptionalGroupNeedsEveryValue) {
  const auto t = parse_ok("The server{? {remote_host} ({remote_ip})?} refused.");
  EXPECT_EQ(t.render({{"remote_host", "mx.example.org"}, {"remote_ip", "192.0.2.1"}}),
            "The server mx.example.org (192.0.2.1) refused.");
  EXPECT_EQ(t.render({{"remote_host", "mx.example.org"}}), "The server refused.");
  EXPECT_EQ(t.render({}), "The server refused.");
}

TEST(Template, DoubledBracesAreLiteral) {
  EXPECT_EQ(parse_ok("{{literal}} and }}").render({}), "{literal} and }");
}

TEST(Template, RejectsUnknownPlaceholdersAndBadGroups) {
  std::string error;
  EXPECT_FALSE(Template::parse("Hello {name}", error));
  EXPECT_NE(error.find("{name}"), std::string::npos);
  EXPECT_FALSE(Template::parse("{? open", error));
  EXPECT_FALSE(Template::parse("{? a {? b ?} ?}", error));
  EXPECT_FALSE(Template::parse("stray }", error));
  EXPECT_FALSE(Template::parse("{recipient", error));
}

TEST(Template, EscapesLiteralsAndValuesAlike) {
  const auto t = parse_ok("<b>{recipient}</b>");
  EXPECT_EQ(t.render({{"recipient", "<script>&"}}, escape_html), "&lt;b&gt;&lt;script&gt;&amp;&lt;/b&gt;");
}

// render_into writes after what is already there: a group left out takes
// back only its own text, never the text before the template.
TEST(Template, RenderIntoAppendsAndTakesBackOnlyAnIncompleteGroup) {
  const auto t = parse_ok("server{? {remote_host} <{remote_ip}>?} refused{? at {remote_ip}?}.");
  std::string out = "Before: ";
  t.render_into(out, {{"remote_host", "mx.example.org"}});
  EXPECT_EQ(out, "Before: server refused.");
  out = "<p>";
  t.render_into(out, {{"remote_host", "mx&co"}, {"remote_ip", "192.0.2.1"}}, append_escaped_html);
  EXPECT_EQ(out, "<p>server mx&amp;co &lt;192.0.2.1&gt; refused at 192.0.2.1.");
  // The same text as render() gives, in both forms.
  const Values values = {{"remote_ip", "192.0.2.1"}};
  std::string plain;
  std::string html;
  t.render_into(plain, values);
  t.render_into(html, values, append_escaped_html);
  EXPECT_EQ(plain, t.render(values));
  EXPECT_EQ(html, t.render(values, escape_html));
}

TEST(Template, EscapeHtmlWritesEveryMarkupCharacterAsAnEntity) {
  EXPECT_EQ(escape_html(""), "");
  EXPECT_EQ(escape_html("plain café"), "plain café");
  EXPECT_EQ(escape_html("a&b<c>d\"e'f"), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
  EXPECT_EQ(escape_html("&&"), "&amp;&amp;");
  EXPECT_EQ(escape_html("<x>"), "&lt;x&gt;");
  std::string out = "a<";
  append_escaped_html(out, "b&c");
  EXPECT_EQ(out, "a<b&amp;c");
}

TEST(Dates, ParsesTheUsualForms) {
  auto d = parse_rfc5322_date("Fri, 27 Nov 2026 14:00:00 +0100 (CET)");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->year, 2026);
  EXPECT_EQ(d->month, 11);
  EXPECT_EQ(d->day, 27);
  EXPECT_EQ(d->hour, 14);
  EXPECT_EQ(d->utc_offset_minutes, 60);
  EXPECT_EQ(d->weekday, 4);  // Friday, computed rather than read
  d = parse_rfc5322_date("3 Jan 99 7:05 EST");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->year, 1999);
  EXPECT_EQ(d->utc_offset_minutes, -300);
  EXPECT_FALSE(parse_rfc5322_date("31 Feb 2026 10:00 +0000"));
  EXPECT_FALSE(parse_rfc5322_date("tomorrow"));
}

TEST(Dates, FormatsWithTheLocalesNames) {
  DateNames names;
  names.months = {"Jänner", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                  "November", "Dezember"};
  names.weekdays = {"Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"};
  names.datetime = "{weekday}, {day}. {month} {year}, {hour}:{minute} (UTC{utc_offset})";
  const auto d = parse_rfc5322_date("Wed, 6 Jan 2027 09:30 +0530");
  ASSERT_TRUE(d);
  EXPECT_EQ(format_date(*d, names), "Mittwoch, 6. Jänner 2027, 09:30 (UTC+5:30)");
  // The short form where the locale has one, the full one where it has not.
  EXPECT_EQ(format_date(*d, names, DateForm::near), "Mittwoch, 6. Jänner 2027, 09:30 (UTC+5:30)");
  names.near = "{weekday}, {hour}:{minute} Uhr";
  EXPECT_EQ(format_date(*d, names, DateForm::near), "Mittwoch, 09:30 Uhr");
}

// A weekday names one day only for a reader between the two dates: up to
// six days apart, in absolute time whatever zones they are written in.
TEST(Dates, SixDaysAreCountedInAbsoluteTime) {
  const auto date = [](const char* text) {
    const auto parsed = parse_rfc5322_date(text);
    EXPECT_TRUE(parsed) << text;
    return parsed.value_or(DateTime{});
  };
  const auto monday = date("Mon, 23 Nov 2026 10:00 +0100");
  EXPECT_TRUE(within_six_days(monday, date("Fri, 27 Nov 2026 14:00 +0100")));
  EXPECT_TRUE(within_six_days(monday, date("Sun, 29 Nov 2026 10:00 +0100")));   // six days exactly
  EXPECT_FALSE(within_six_days(monday, date("Sun, 29 Nov 2026 10:01 +0100")));  // the next Monday is near
  EXPECT_FALSE(within_six_days(monday, date("Mon, 23 Nov 2026 09:59 +0100")));  // already past
  // 09:30 in New York is 15:30 in Berlin: six days and five and a half hours.
  EXPECT_FALSE(within_six_days(monday, date("Sun, 29 Nov 2026 09:30 -0500")));
  EXPECT_TRUE(within_six_days(monday, date("Sun, 29 Nov 2026 09:30 +0100")));
}

// A small set: en complete for the frame, de partial, de-AT only dates.
std::unique_ptr<CatalogueSet> small_set(std::vector<std::string>& errors) {
  const std::string en = R"(
[locale]
tag = "en"
name = "English"
[dates]
months = ["January","February","March","April","May","June","July","August","September","October","November","December"]
weekdays = ["Monday","Tuesday","Wednesday","Thursday","Friday","Saturday","Sunday"]
datetime = "{day} {month} {year}"
[text]
greeting = "Hello,"
)";
  const std::string de = R"(
[locale]
tag = "de"
name = "Deutsch"
[text]
greeting = "Guten Tag,"
)";
  const std::string de_at = R"(
[locale]
tag = "de-AT"
fallback = "de"
[text]
signature = "Servus"
)";
  return CatalogueSet::from_texts({{"en.toml", en}, {"de.toml", de}, {"de-AT.toml", de_at}}, errors);
}

TEST(Catalogues, FallBackAlongTheChain) {
  std::vector<std::string> errors;
  const auto set = small_set(errors);
  ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front());
  EXPECT_EQ(set->find("de-AT", "text.greeting")->front().render({}), "Guten Tag,");
  EXPECT_EQ(set->find("de-AT", "text.signature")->front().render({}), "Servus");
  EXPECT_EQ(set->find("de", "text.signature"), nullptr);
  ASSERT_NE(set->dates("de-AT"), nullptr);
  EXPECT_EQ(set->dates("de-AT")->months[0], "January");  // from en: neither de nor de-AT has [dates]
}

// One locale's entries, found once, answer as find(tag, key) does: along
// the chain, and for a tag without a catalogue from English.
TEST(Catalogues, EntriesOfATagAnswerAsFind) {
  std::vector<std::string> errors;
  const auto set = small_set(errors);
  ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front());
  for (const std::string_view tag : {"de-AT", "de", "en", "fr"}) {
    const auto entries = set->entries(tag);
    for (const std::string_view key : {"text.greeting", "text.signature", "text.none"})
      EXPECT_EQ(entries.find(key), set->find(tag, key)) << tag << " " << key;
  }
  EXPECT_EQ(set->entries("de-AT").find("text.signature")->front().render({}), "Servus");
  EXPECT_EQ(set->entries("de").find("text.greeting")->front().render({}), "Guten Tag,");
  EXPECT_NE(set->entries("fr").find("text.greeting"), nullptr);  // English
}

TEST(Catalogues, ReportFileAndLine) {
  std::vector<std::string> errors;
  const auto set = CatalogueSet::from_texts(
      {{"en.toml", "[locale]\ntag = \"en\"\n[dates]\nmonths=[]\n[text]\ngreeting = \"Hi {nobody}\"\n"}}, errors);
  EXPECT_FALSE(set);
  bool found = false;
  for (const auto& e : errors) found = found || (e.find("en.toml:6") != std::string::npos && e.find("{nobody}") != std::string::npos);
  EXPECT_TRUE(found) << (errors.empty() ? "no error" : errors.front());
}

TEST(Catalogues, TagMustMatchFileName) {
  std::vector<std::string> errors;
  EXPECT_FALSE(CatalogueSet::from_texts({{"en.toml", "[locale]\ntag = \"fr\"\n"}}, errors));
  EXPECT_FALSE(errors.empty());
}

TEST(Catalogues, ShippedOnesAreCompleteForEveryCategory) {
  std::string error;
  const auto classifier = clearbounce::classifier::Classifier::builtin(error);
  ASSERT_TRUE(classifier) << error;
  std::vector<std::string> errors;
  const auto set = CatalogueSet::load("", errors);
  ASSERT_TRUE(set) << (errors.empty() ? "" : errors.front());
  std::vector<std::string> ids;
  for (const auto& c : classifier->categories()) ids.push_back(c.id);
  set->check_complete(ids, {}, errors);
  set->check_same_keys_as_english(errors);
  for (const auto& e : errors) ADD_FAILURE() << e;
  for (const char* tag : {"en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "ru", "ja", "zh-Hans"})
    EXPECT_TRUE(set->has_locale(tag)) << tag;
}

// A category whose fault may lie between the servers says who most likely
// can fix it: a catalogue without those headings is incomplete.
TEST(Catalogues, TheHeadingsTheRuleSetAsksForAreRequired) {
  std::vector<std::string> errors;
  const auto set = small_set(errors);
  ASSERT_TRUE(set);
  errors.clear();
  set->check_complete({}, {"fix_likely.recipient-admin"}, errors);
  EXPECT_TRUE(std::any_of(errors.begin(), errors.end(), [](const std::string& e) {
    return e.find("has no \"fix_likely.recipient-admin\"") != std::string::npos;
  })) << (errors.empty() ? "no error" : errors.front());
}

TEST(Locale, ContentLanguageThenAcceptLanguageThenDomainThenDefault) {
  std::vector<std::string> errors;
  const auto set = small_set(errors);
  ASSERT_TRUE(set);
  const std::map<std::string, std::string> domains{{"example.at", "de-AT"}};
  EXPECT_EQ(choose_locale({"de-AT", "", ""}, {}, "en", *set), "de-AT");
  EXPECT_EQ(choose_locale({"de-CH", "", ""}, {}, "en", *set), "de");  // region we lack: its language
  EXPECT_EQ(choose_locale({"", "fr;q=0.9, de;q=0.8", ""}, {}, "en", *set), "de");
  EXPECT_EQ(choose_locale({"", "en;q=0.2, de-AT;q=0.9", ""}, {}, "en", *set), "de-AT");
  EXPECT_EQ(choose_locale({"", "", "mail.example.at"}, domains, "en", *set), "de-AT");
  EXPECT_EQ(choose_locale({"", "", "example.com"}, domains, "de", *set), "de");
  EXPECT_EQ(choose_locale({"xx", "yy", ""}, {}, "zz", *set), "en");
}

TEST(Locale, ChineseByScript) {
  std::vector<std::string> errors;
  const auto set = CatalogueSet::load("", errors);
  ASSERT_TRUE(set);
  EXPECT_EQ(match_locale("zh-CN", *set), "zh-Hans");
  EXPECT_EQ(match_locale("zh", *set), "zh-Hans");
  EXPECT_EQ(match_locale("pt-BR", *set), "pt");
  EXPECT_EQ(match_locale("JA-jp", *set), "ja");
  EXPECT_EQ(match_locale("tlh", *set), "");
}

TEST(Locale, TagSpelledIgnoresAsciiCaseInBothSpellings) {
  std::vector<std::string> errors;
  const auto set = CatalogueSet::load("", errors);
  ASSERT_TRUE(set);
  EXPECT_EQ(set->tag_spelled("zh-hans"), "zh-Hans");
  EXPECT_EQ(set->tag_spelled("ZH-HANS"), "zh-Hans");
  EXPECT_EQ(set->tag_spelled("DE"), "de");
  EXPECT_EQ(set->tag_spelled("zh"), "");
}

class Rendering : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    classifier = clearbounce::classifier::Classifier::builtin(error);
    ASSERT_TRUE(classifier) << error;
    std::vector<std::string> errors;
    catalogues = CatalogueSet::load("", errors);
    ASSERT_TRUE(catalogues) << (errors.empty() ? "" : errors.front());
  }
  clearbounce::dsn::RecipientReport recipient(std::string address, std::string action, std::string diagnostic) {
    clearbounce::dsn::RecipientReport r;
    r.recipient = std::move(address);
    r.action = std::move(action);
    r.diagnostic = std::move(diagnostic);
    return r;
  }
  Rendered render_with(std::vector<clearbounce::dsn::RecipientReport> recipients, std::string_view locale = "en") {
    report.kind = clearbounce::dsn::ReportKind::delivery_status;
    report.reporting_mta = "mail.example.com";
    report.recipients = std::move(recipients);
    results.clear();
    for (const auto& r : report.recipients) results.push_back(classifier->classify(r, report));
    RenderInput input;
    input.report = &report;
    input.classifications = &results;
    input.classifier = classifier.get();
    input.original_subject = "Quarterly <report>";
    input.support = "helpdesk@example.com";
    return render(input, locale, *catalogues);
  }
  std::unique_ptr<clearbounce::classifier::Classifier> classifier;
  std::unique_ptr<CatalogueSet> catalogues;
  clearbounce::dsn::BounceReport report;
  std::vector<clearbounce::classifier::Classification> results;
};

TEST_F(Rendering, MostSevereFirstAndOneSectionEach) {
  const auto r = render_with({recipient("late@example.net", "delayed", "421 4.4.2 timeout"),
                              recipient("gone@example.org", "failed", "550 5.1.1 User unknown")});
  const auto gone = r.text.find("gone@example.org");
  const auto late = r.text.find("late@example.net");
  ASSERT_NE(gone, std::string::npos);
  ASSERT_NE(late, std::string::npos);
  EXPECT_LT(gone, late);
  EXPECT_EQ(r.categories.front(), "recipient.unknown");
  EXPECT_EQ(r.subject.rfind("Not delivered:", 0), 0u) << r.subject;
}

TEST_F(Rendering, HostileRemoteTextStaysData) {
  const std::string hostile =
      "550 <script>alert(1)</script>\r\nSubject: injected\r\n=?utf-8?B?PHNjcmlwdD4=?= \x01\x7f\xff\xfe " +
      std::string(100000, 'A');
  const auto r = render_with({recipient("bob@example.org", "failed", hostile)});
  EXPECT_EQ(r.html.find("<script>"), std::string::npos);
  EXPECT_NE(r.html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_EQ(r.text.find('\r'), std::string::npos);
  EXPECT_EQ(r.text.find('\x01'), std::string::npos);
  EXPECT_EQ(r.subject.find('\n'), std::string::npos);
  EXPECT_LT(r.text.size(), 30000u);  // quoted text is bounded; the original stays attached
  // The output is valid UTF-8.
  EXPECT_EQ(clearbounce::dsn::sanitize_utf8(r.text), r.text);
  EXPECT_EQ(clearbounce::dsn::sanitize_utf8(r.html), r.html);
}

TEST_F(Rendering, DelayTellsUntilWhenInTheLocalesWords) {
  auto r = recipient("bob@example.org", "delayed", "4.7.5 Server certificate not verified");
  r.will_retry_until = "Fri, 27 Nov 2026 14:00:00 +0100";
  const auto en = render_with({r});
  EXPECT_NE(en.text.find("Friday, 27 November 2026, 14:00"), std::string::npos) << en.text;
  const auto de = render_with({r}, "de");
  EXPECT_NE(de.text.find("November 2026"), std::string::npos) << de.text;
  EXPECT_EQ(de.text.find("Friday"), std::string::npos);
}

// A server's address goes into our sentence only as an address, written
// canonically: IPv4 as its four numbers, IPv6 in its short lower-case form.
TEST_F(Rendering, RemoteAddressesAreWrittenCanonicallyOrLeftOut) {
  const auto sentence_with = [&](std::string_view ip) {
    auto r = recipient("bob@example.org", "failed", "connect to mx.example.org: No route to host");
    r.status = "4.4.1";
    r.remote_ip = std::string(ip);
    return render_with({r}).text;
  };
  EXPECT_NE(sentence_with("192.0.2.7").find("(192.0.2.7)"), std::string::npos) << sentence_with("192.0.2.7");
  EXPECT_NE(sentence_with("255.0.10.100").find("(255.0.10.100)"), std::string::npos);
  EXPECT_NE(sentence_with("IPv6:2001:DB8:0:0::1").find("(2001:db8::1)"), std::string::npos);
  for (const std::string_view bad : {"192.0.2.256", "192.0.2", "192.0.2.7.1", "1.2.3.4x"})
    EXPECT_EQ(sentence_with(bad).find("(" + std::string(bad) + ")"), std::string::npos) << bad;
}

TEST_F(Rendering, NoPlaceholderSurvivesInAnyLocale) {
  for (const auto& tag : catalogues->tags()) {
    const auto r = render_with({recipient("bob@example.org", "failed", "550 5.7.1 blocked using zen.spamhaus.org")}, tag);
    EXPECT_EQ(r.text.find("{"), std::string::npos) << tag;
    EXPECT_EQ(r.html.find("{"), std::string::npos) << tag;
    EXPECT_FALSE(r.subject.empty()) << tag;
  }
}

}  // namespace
