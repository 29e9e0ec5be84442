// Our own phrasing set (tests/phrasings/phrasings.txt): how servers word
// each cause, in several languages, with the code and SMTP stage each comes
// with. Every line is classified as one recipient of a delivery report;
// every mismatch is listed, with the pass rate per category and language.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::classifier::Classifier;
using clearbounce::dsn::BounceReport;
using clearbounce::dsn::RecipientReport;
using clearbounce::dsn::ReportKind;

struct Phrasing {
  int line = 0;
  std::string category, language;
  RecipientReport recipient;
};

std::string trimmed(const std::string& s) {
  const auto begin = s.find_first_not_of(' ');
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(' ') - begin + 1);
}

// "a | b | c" -> {"a", "b", "c"}; the last field keeps any further " | ".
std::vector<std::string> fields(const std::string& line, std::size_t count) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (out.size() + 1 < count) {
    const auto bar = line.find(" | ", pos);
    if (bar == std::string::npos) break;
    out.push_back(trimmed(line.substr(pos, bar - pos)));
    pos = bar + 3;
  }
  out.push_back(trimmed(line.substr(pos)));
  for (auto& f : out)
    if (f == "-") f.clear();
  return out;
}

std::vector<Phrasing> read_phrasings(const std::string& path) {
  std::vector<Phrasing> out;
  std::ifstream in(path);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (trimmed(line).empty() || line[0] == '#') continue;
    const auto f = fields(line, 7);
    if (f.size() != 7) {
      ADD_FAILURE() << path << ":" << number << ": needs 7 fields";
      continue;
    }
    Phrasing p;
    p.line = number;
    p.category = f[0];
    p.language = f[1];
    p.recipient.recipient = "bob@example.net";
    p.recipient.action = f[2];
    p.recipient.status = f[3];
    p.recipient.reply_code = f[4];
    p.recipient.smtp_command = f[5];
    p.recipient.diagnostic_type = "smtp";
    p.recipient.diagnostic = f[6];
    out.push_back(std::move(p));
  }
  return out;
}

BounceReport report_of(const RecipientReport& r) {
  BounceReport report;
  report.kind = ReportKind::delivery_status;
  report.dialect = "rfc3464";
  report.reporting_mta = "mail.example.com";
  report.recipients.push_back(r);
  return report;
}

class Phrasings : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string error;
    classifier_ = Classifier::builtin(error);
    ASSERT_NE(classifier_, nullptr) << error;
    // CLEARBOUNCE_PHRASINGS names another file of the same form: a way to
    // try new phrasings before they join the set.
    const char* other = std::getenv("CLEARBOUNCE_PHRASINGS");
    phrasings_ = std::make_unique<std::vector<Phrasing>>(
        read_phrasings(other != nullptr ? other : CLEARBOUNCE_SOURCE_DIR "/tests/phrasings/phrasings.txt"));
  }
  static void TearDownTestSuite() {
    classifier_.reset();
    phrasings_.reset();
  }
  static std::unique_ptr<Classifier> classifier_;
  static std::unique_ptr<std::vector<Phrasing>> phrasings_;
};

std::unique_ptr<Classifier> Phrasings::classifier_;
std::unique_ptr<std::vector<Phrasing>> Phrasings::phrasings_;

TEST_F(Phrasings, EveryCategoryHasSeveralPhrasings) {
  std::map<std::string, int> per_category;
  for (const auto& p : *phrasings_) {
    EXPECT_NE(classifier_->find_category(p.category), nullptr) << "line " << p.line << ": " << p.category;
    ++per_category[p.category];
  }
  for (const auto& c : classifier_->categories()) EXPECT_GE(per_category[c.id], 2) << c.id;
}

TEST_F(Phrasings, EachIsClassifiedAsWritten) {
  ASSERT_FALSE(phrasings_->empty());  // the shipped set has two or more a category (above)
  struct Tally {
    int total = 0, right = 0;
  };
  std::map<std::string, Tally> by_category, by_language;
  for (const auto& p : *phrasings_) {
    const auto report = report_of(p.recipient);
    const auto c = classifier_->classify(report.recipients[0], report);
    const std::string got = c.category ? c.category->id : "(none)";
    const bool right = got == p.category;
    for (auto* tally : {&by_category[p.category], &by_language[p.language]}) {
      ++tally->total;
      tally->right += right ? 1 : 0;
    }
    EXPECT_TRUE(right) << "phrasings.txt:" << p.line << " [" << p.language << "] \"" << p.recipient.diagnostic
                       << "\": expected " << p.category << ", got " << got << " (" << c.decided_by << ")";
  }
  for (const auto* table : {&by_category, &by_language})
    for (const auto& [name, t] : *table) std::printf("  %-32s %3d of %3d\n", name.c_str(), t.right, t.total);
}

// The diagnostic without its reply code and status ("550 5.1.1 ...",
// "(#5.1.1)"), as free-text bounces often give it; nullopt when a code is
// left inside the text, which then is no test of the words alone.
std::optional<std::string> without_codes(std::string text) {
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  const auto code_at = [&](const std::string& t, std::size_t i) {  // "d.d.d", each part 1-3 digits
    std::size_t at = i;
    for (int part = 0; part < 3; ++part) {
      const std::size_t start = at;
      while (at < t.size() && is_digit(t[at]) && at - start < 3) ++at;
      if (at == start) return std::string::npos;
      if (part < 2) {
        if (at >= t.size() || t[at] != '.') return std::string::npos;
        ++at;
      }
    }
    return (at < t.size() && is_digit(t[at])) ? std::string::npos : at;
  };
  if (text.size() >= 4 && is_digit(text[0]) && is_digit(text[1]) && is_digit(text[2]) &&
      (text[3] == ' ' || text[3] == '-'))
    text.erase(0, 4);
  if (const std::size_t end = code_at(text, 0); end != std::string::npos) text.erase(0, end);
  if (const std::size_t open = text.find("(#"); open != std::string::npos) {
    const std::size_t end = code_at(text, open + 2);
    if (end != std::string::npos && end < text.size() && text[end] == ')') text.erase(open, end + 1 - open);
  }
  text = trimmed(text);
  for (std::size_t i = 0; i < text.size(); ++i)
    if ((i == 0 || !is_digit(text[i - 1])) && (text[i] == '4' || text[i] == '5') && code_at(text, i) != std::string::npos)
      return std::nullopt;
  if (text.empty()) return std::nullopt;
  return text;
}

// Free-text bounces often carry no code: the words alone must name the
// cause. A floor, not every line: a few wordings only mean something with
// their code ("Temporary lookup failure" is the remote's tables at 451).
TEST_F(Phrasings, TheWordsAloneNameTheCauseWithoutCodes) {
  int tried = 0, right = 0;
  for (const auto& p : *phrasings_) {
    const std::optional<std::string> words = without_codes(p.recipient.diagnostic);
    if (!words) continue;
    RecipientReport r = p.recipient;
    r.status.clear();
    r.reply_code.clear();
    r.diagnostic = *words;
    const auto report = report_of(r);
    const auto c = classifier_->classify(report.recipients[0], report);
    const std::string got = c.category ? c.category->id : "(none)";
    ++tried;
    if (got == p.category) {
      ++right;
    } else {
      std::printf("  phrasings.txt:%d [%s] \"%s\": %s without codes, %s with them\n", p.line, p.language.c_str(),
                  words->c_str(), got.c_str(), p.category.c_str());
    }
  }
  ASSERT_GT(tried, 0);
  const double share = static_cast<double>(right) / tried;
  std::printf("  the words alone: %d of %d = %.4f\n", right, tried, share);
  EXPECT_GE(share, 0.99);
}

// A queue that gave up on a known cause says so beside the cause.
TEST_F(Phrasings, GivingUpIsAFactBesideTheCause) {
  for (const auto& p : *phrasings_) {
    if (p.category.rfind("network.", 0) != 0 || p.recipient.action == "delayed") continue;
    const auto report = report_of(p.recipient);
    const auto c = classifier_->classify(report.recipients[0], report);
    ASSERT_EQ(c.facts.count("gave_up"), 1u) << "phrasings.txt:" << p.line;
    EXPECT_EQ(c.facts.at("gave_up"), "yes");
    EXPECT_EQ(c.reason, "expired") << "phrasings.txt:" << p.line;
  }
}

}  // namespace
