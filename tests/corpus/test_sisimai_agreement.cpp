// Agreement of the classifier's `reason` with the curated sisimai labels,
// per recipient, over the shared corpus of real bounces.
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <map>
#include <memory>

#include "classifier/classifier.hpp"
#include "corpus_support.hpp"
#include "dsn/report.hpp"

namespace {

using clearbounce::classifier::Classifier;
namespace fs = std::filesystem;

struct Label {
  std::string file;
  int index = 0;
  std::string reason;
};

std::vector<Label> read_labels(const fs::path& path) {
  static const RE2 file_re(R"re("file"\s*:\s*"([^"]+)")re");
  static const RE2 index_re(R"re("index"\s*:\s*(\d+))re");
  static const RE2 reason_re(R"re("reason"\s*:\s*"([^"]*)")re");
  std::vector<Label> labels;
  std::ifstream in(path);
  std::string line;
  std::map<std::pair<std::string, int>, int> seen;  // (file, index) -> labels so far
  while (std::getline(in, line)) {
    Label l;
    if (RE2::PartialMatch(line, file_re, &l.file) && RE2::PartialMatch(line, index_re, &l.index) &&
        RE2::PartialMatch(line, reason_re, &l.reason)) {
      // A few files label two recipients with the same index; a repeated
      // index stands for the recipient after it, in file order.
      l.index += seen[{l.file, l.index}]++;
      labels.push_back(std::move(l));
    }
  }
  return labels;
}

TEST(SisimaiCorpus, ReasonAgreementStaysAtItsFloor) {
  const auto dir = clearbounce::testing::shared_dir() / "corpus" / "sisimai";
  CLEARBOUNCE_REQUIRE_DIR(dir / "eml");
  const auto labels = read_labels(dir / "labels.jsonl");
  ASSERT_GT(labels.size(), 100u) << "labels.jsonl unreadable";

  std::string error;
  const auto classifier = Classifier::builtin(error);
  ASSERT_TRUE(classifier) << error;

  std::map<std::string, std::vector<std::string>> reasons;  // file -> reason per recipient
  std::size_t agree = 0;
  std::string disagreements;
  for (const auto& label : labels) {
    auto it = reasons.find(label.file);
    if (it == reasons.end()) {
      const auto bytes = clearbounce::testing::read_file(dir / "eml" / label.file);
      const auto report = clearbounce::dsn::analyse(bytes);
      std::vector<std::string> per_recipient;
      for (const auto& r : report.recipients) per_recipient.push_back(classifier->classify(r, report).reason);
      it = reasons.emplace(label.file, std::move(per_recipient)).first;
    }
    const auto& got = it->second;
    const auto i = static_cast<std::size_t>(label.index - 1);
    const std::string mine = i < got.size() ? got[i] : "(no recipient #" + std::to_string(label.index) + ")";
    if (mine == label.reason) {
      ++agree;
    } else {
      disagreements += "  " + label.file + " #" + std::to_string(label.index) + ": expected " + label.reason +
                       ", got " + mine + "\n";
    }
  }
  const double agreement = static_cast<double>(agree) / static_cast<double>(labels.size());
  std::printf("reason agreement: %zu of %zu = %.4f\n%s", agree, labels.size(), agreement, disagreements.c_str());
  // 0.970 before recipients stopped being taken from the returned message:
  // two bounces name their failed recipient only in the message they
  // return, and are now left as they are (tests/unit/test_report_patterns.cpp,
  // NoRecipientIsTakenFromTheReturnedMessage). The English wording for
  // giving up after a stated time ("aborted after 5 hours") brought it back
  // to 422 of 435; the floor is issue 10's 0.97.
  EXPECT_GE(agreement, 0.97);
}

TEST(NotBounceCorpus, NothingIsReadAsABounce) {
  const auto dir = clearbounce::testing::shared_dir() / "corpus" / "not-bounce";
  CLEARBOUNCE_REQUIRE_DIR(dir);
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const auto report = clearbounce::dsn::analyse(clearbounce::testing::read_file(entry.path()));
    EXPECT_EQ(report.kind, clearbounce::dsn::ReportKind::not_bounce) << entry.path();
    EXPECT_FALSE(report.error.empty()) << entry.path();
  }
  EXPECT_GT(files, 0u);
}

}  // namespace
