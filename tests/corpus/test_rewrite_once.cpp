// Never rewrite twice, over the shared corpus: every report the engine
// rewrites, read again, is recognised by its marker and left as it is; in
// every locale, whatever the report's charset and encoding.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "corpus_support.hpp"
#include "engine/engine.hpp"

namespace {

namespace fs = std::filesystem;

TEST(RewriteOnce, EveryRewrittenReportVerifiesAndPassesTheSecondTime) {
  const auto dir = clearbounce::testing::shared_dir() / "corpus" / "sisimai" / "eml";
  CLEARBOUNCE_REQUIRE_DIR(dir);
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load(clearbounce::config::Config{}, errors);
  ASSERT_TRUE(engine) << (errors.empty() ? "" : errors.front());
  const std::vector<std::string> locales = {"en", "de", "fr", "es", "it", "pt", "nl",
                                            "pl", "sv", "ru", "ja", "zh-Hans"};
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::size_t rewritten = 0;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto message = clearbounce::testing::read_file(files[i]);
    clearbounce::engine::Options options;
    options.locale = locales[i % locales.size()];
    const auto first = engine->process(message, options);
    if (!first.rewritten) continue;
    ++rewritten;
    const auto second = engine->process(first.result.message, options);
    EXPECT_FALSE(second.rewritten) << files[i].filename() << " (" << options.locale << ") was rewritten twice";
    EXPECT_EQ(second.verified_marker, 1u) << files[i].filename() << " (" << options.locale << "): " << second.reason;
  }
  EXPECT_GT(rewritten, 150u);
}

}  // namespace
