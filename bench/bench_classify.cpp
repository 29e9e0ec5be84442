// Throughput of the core engine on a corpus of real bounces: the corpus is
// read into memory once, so the numbers are parsing and classification only.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "classifier/classifier.hpp"
#include "dsn/report.hpp"
#include "engine/engine.hpp"

namespace {

namespace fs = std::filesystem;

struct Corpus {
  std::string dir;
  std::vector<std::string> messages;
  std::size_t bytes = 0;
  std::string error;  // why there is nothing to measure
};

const Corpus& corpus() {
  static const Corpus loaded = [] {
    Corpus c;
    const char* from_env = std::getenv("CLEARBOUNCE_CORPUS");
    c.dir = from_env != nullptr && *from_env != '\0' ? from_env : CLEARBOUNCE_CORPUS_DIR;
    std::error_code ec;
    if (!fs::is_directory(c.dir, ec)) {
      c.error = "corpus directory " + c.dir + " not found; set CLEARBOUNCE_CORPUS to a directory of bounces";
      return c;
    }
    std::vector<fs::path> files;
    for (fs::recursive_directory_iterator it(c.dir, ec), end; !ec && it != end; it.increment(ec)) {
      if (it->is_regular_file(ec) && it->path().filename().string().front() != '.') files.push_back(it->path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
      std::ifstream in(file, std::ios::binary);
      std::ostringstream content;
      content << in.rdbuf();
      c.messages.push_back(std::move(content).str());
      c.bytes += c.messages.back().size();
    }
    if (c.messages.empty()) c.error = "corpus directory " + c.dir + " holds no files";
    return c;
  }();
  return loaded;
}

const clearbounce::classifier::Classifier* classifier(std::string& error) {
  static std::string load_error;
  static const std::unique_ptr<clearbounce::classifier::Classifier> rules =
      clearbounce::classifier::Classifier::builtin(load_error);
  error = "cannot load the built-in rules: " + load_error;
  return rules.get();
}

void report_rates(benchmark::State& state, const Corpus& c) {
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(c.messages.size()));
  state.SetBytesProcessed(iterations * static_cast<std::int64_t>(c.bytes));
  state.counters["messages"] = static_cast<double>(c.messages.size());
}

void BM_ParseClassifyCorpus(benchmark::State& state) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  std::string error;
  const auto* rules = classifier(error);
  if (rules == nullptr) {
    static std::string message;
    message = error;
    state.SkipWithError(message.c_str());
    return;
  }
  for ([[maybe_unused]] auto _ : state) {
    for (const std::string& message : c.messages) {
      const clearbounce::dsn::BounceReport report = clearbounce::dsn::analyse(message);
      for (const clearbounce::dsn::RecipientReport& recipient : report.recipients) {
        clearbounce::classifier::Classification result = rules->classify(recipient, report);
        benchmark::DoNotOptimize(result);
      }
    }
  }
  report_rates(state, c);
}
BENCHMARK(BM_ParseClassifyCorpus)->Unit(benchmark::kMillisecond);

void BM_Parse(benchmark::State& state) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  for ([[maybe_unused]] auto _ : state) {
    for (const std::string& message : c.messages) {
      clearbounce::dsn::BounceReport report = clearbounce::dsn::analyse(message);
      benchmark::DoNotOptimize(report);
    }
  }
  report_rates(state, c);
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond);

}  // namespace

// The whole rewrite of each DSN the corpus holds (parse, classify, choose
// the locale, render text and HTML, rebuild the message): what the milter
// does per bounce. Messages the engine leaves unchanged are not counted.
void BM_RewriteCorpusDsns(benchmark::State& state) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return;
  }
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load(clearbounce::config::Config{}, errors);
  if (!engine) {
    state.SkipWithError(errors.empty() ? "engine did not load" : errors.front().c_str());
    return;
  }
  std::vector<const std::string*> dsns;
  std::int64_t bytes = 0;
  for (const auto& message : c.messages) {
    if (engine->process(message).rewritten) {
      dsns.push_back(&message);
      bytes += static_cast<std::int64_t>(message.size());
    }
  }
  for (auto _ : state) {
    for (const auto* message : dsns) {
      auto outcome = engine->process(*message);
      benchmark::DoNotOptimize(outcome);
    }
  }
  const auto iterations = static_cast<std::int64_t>(state.iterations());
  state.SetItemsProcessed(iterations * static_cast<std::int64_t>(dsns.size()));
  state.SetBytesProcessed(iterations * bytes);
  state.counters["dsns"] = static_cast<double>(dsns.size());
}
BENCHMARK(BM_RewriteCorpusDsns)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
