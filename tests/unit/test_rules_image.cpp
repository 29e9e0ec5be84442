// The shipped rules' build-time image (classifier/rules_image.hpp): the tree
// it rebuilds is the tree the rule file parses to, rules keep their lines,
// and bytes that are not a whole image are refused.
#include <gtest/gtest.h>

#include <string>

#include "classifier/classifier.hpp"
#include "classifier/rules_image.hpp"
#include "tests/test_files.hpp"

namespace clearbounce::classifier {
extern const std::string_view builtin_rules_image;
}

namespace {

using clearbounce::classifier::decode_rules_image;
using clearbounce::classifier::encode_rules_image;
using clearbounce::testing::read_file;

toml::table parse(std::string_view text) { return toml::parse(text, std::string_view("test.toml")); }

std::string image_of(std::string_view text) {
  std::string error;
  const auto image = encode_rules_image(parse(text), error);
  EXPECT_TRUE(image) << error;
  return image.value_or("");
}

TEST(RulesImage, TheProgramsImageIsTheShippedRuleFile) {
  const toml::table file = parse(read_file(CLEARBOUNCE_SOURCE_DIR "/classifier/rules.toml"));
  const auto tree = decode_rules_image(clearbounce::classifier::builtin_rules_image);
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root, file);
  // Every rule keeps the line its table began on: decided_by names it.
  const auto* parsed = file["rule"].as_array();
  const auto* rebuilt = tree->root["rule"].as_array();
  ASSERT_TRUE(parsed && rebuilt);
  ASSERT_EQ(parsed->size(), rebuilt->size());
  for (std::size_t i = 0; i < parsed->size(); ++i) {
    const auto line = tree->table_lines.find(rebuilt->get(i));
    ASSERT_NE(line, tree->table_lines.end()) << "rule " << i;
    EXPECT_EQ(line->second, parsed->get(i)->source().begin.line) << "rule " << i;
  }
}

TEST(RulesImage, KeepsEveryKindOfValueTheLoaderReads) {
  const std::string text =
      "name = 'x'\ncount = -42\nbig = 9007199254740993\non = true\noff = false\n"
      "[table]\nlist = ['a', \"b\\u00e9\", '']\nnested = { inner = [1, 2, { deep = true }] }\n"
      "[[rows]]\nid = 1\n[[rows]]\nid = 2\n";
  const auto tree = decode_rules_image(image_of(text));
  ASSERT_TRUE(tree);
  EXPECT_EQ(tree->root, parse(text));
}

TEST(RulesImage, RefusesAValueItDoesNotKeep) {
  std::string error;
  EXPECT_FALSE(encode_rules_image(parse("ratio = 0.5\n"), error));
  EXPECT_NE(error.find("line 1"), std::string::npos) << error;
  EXPECT_FALSE(encode_rules_image(parse("when = 2026-12-05\n"), error));
}

TEST(RulesImage, RefusesBytesThatAreNotAWholeImage) {
  const std::string image = image_of("a = 'text'\n[b]\nc = [1, 2]\nd = true\n");
  ASSERT_TRUE(decode_rules_image(image));
  for (std::size_t size = 0; size < image.size(); ++size)
    EXPECT_FALSE(decode_rules_image(image.substr(0, size))) << "cut to " << size << " bytes";
  EXPECT_FALSE(decode_rules_image(image + "T"));
  EXPECT_FALSE(decode_rules_image("CBR0" + image.substr(4)));
  EXPECT_FALSE(decode_rules_image(""));
}

TEST(RulesImage, RefusesAKeyTwiceAndNestingTooDeep) {
  // "CBR1", root table at line 1 with two entries, both key "k" (strings).
  const std::string twice = std::string("CBR1T\1\2") + "\1kS\1\1x" + "\1kS\1\1y";
  EXPECT_FALSE(decode_rules_image(twice));
  const std::string once = std::string("CBR1T\1\1") + "\1kS\1\1x";
  EXPECT_TRUE(decode_rules_image(once));
  std::string deep = "CBR1T\1\1";
  for (int i = 0; i < 40; ++i) deep += "\1kT\1\1";
  deep += "\1kS\1\1x";
  EXPECT_FALSE(decode_rules_image(deep));
}

TEST(RulesImage, TheBuiltInRulesDecideAsTheFileDoes) {
  std::string error;
  const auto builtin = clearbounce::classifier::Classifier::builtin(error);
  ASSERT_NE(builtin, nullptr) << error;
  const auto file = clearbounce::classifier::Classifier::load_file(CLEARBOUNCE_SOURCE_DIR "/classifier/rules.toml", error);
  ASSERT_NE(file, nullptr) << error;
  clearbounce::dsn::BounceReport report;
  clearbounce::dsn::RecipientReport recipient;
  recipient.recipient = "bob@example.net";
  recipient.action = "failed";
  recipient.diagnostic = "552 5.2.2 <bob@example.net>: Mailbox full";
  const auto from_image = builtin->classify(recipient, report);
  const auto from_file = file->classify(recipient, report);
  ASSERT_NE(from_image.category, nullptr);
  EXPECT_EQ(from_image.category->id, "recipient.mailbox_full");
  // The same rule at the same line, named after where it came from.
  const auto line_of = [](const std::string& decided_by) { return decided_by.substr(decided_by.rfind(':')); };
  EXPECT_NE(from_image.decided_by.find("rules.toml (built in):"), std::string::npos) << from_image.decided_by;
  EXPECT_EQ(line_of(from_image.decided_by), line_of(from_file.decided_by));
}

}  // namespace
