// A fixed amount of work for instruction counting: N passes over a corpus,
// either parse + classify (what `clearbounce classify` does per message) or
// the whole engine (what the milter does per message). Unlike the timed
// benchmarks its figure does not move with the machine's load: run it under
// `valgrind --tool=callgrind` with 1 and 3 passes, and the difference over
// two is the work of one warm pass (bench/count_instructions.sh does that).
//
//   clearbounce_bench_passes classify|engine PASSES [CORPUS_DIR]
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "classifier/classifier.hpp"
#include "config/config.hpp"
#include "dsn/report.hpp"
#include "engine/engine.hpp"

namespace fs = std::filesystem;

namespace {

std::vector<std::string> read_corpus(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().filename().string().front() != '.') files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::vector<std::string> messages;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    messages.push_back(std::move(content).str());
  }
  return messages;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: clearbounce_bench_passes classify|engine PASSES [CORPUS_DIR]\n";
    return 2;
  }
  const std::string mode = argv[1];
  const int passes = std::atoi(argv[2]);
  const fs::path dir = argc > 3 ? fs::path(argv[3]) : fs::path(CLEARBOUNCE_CORPUS_DIR);
  const auto messages = read_corpus(dir);
  if (messages.empty() || (mode != "classify" && mode != "engine")) {
    std::cerr << "clearbounce_bench_passes: no messages in " << dir << ", or an unknown mode\n";
    return 2;
  }
  std::string error;
  const auto classifier = clearbounce::classifier::Classifier::builtin(error);
  std::vector<std::string> errors;
  const auto engine = clearbounce::engine::Engine::load(clearbounce::config::Config{}, errors);
  if (!classifier || !engine) {
    std::cerr << "clearbounce_bench_passes: the built-in rules or catalogues did not load\n";
    return 1;
  }
  std::size_t results = 0;  // printed, so that no pass can be left out
  for (int pass = 0; pass < passes; ++pass) {
    for (const auto& message : messages) {
      if (mode == "classify") {
        const auto report = clearbounce::dsn::analyse(message);
        for (const auto& r : report.recipients) results += classifier->classify(r, report).reason.size();
      } else {
        results += engine->process(message).rewritten ? 1 : 0;
      }
    }
  }
  std::cout << messages.size() << " messages, " << passes << " passes, " << results << "\n";
  return 0;
}
