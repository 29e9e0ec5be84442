// `clearbounce classify`: reads bounce messages and prints, per reported
// recipient, the category the classifier names, as a table or as JSON lines.
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cstdio>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "classifier/classifier.hpp"
#include "cli/commands.hpp"
#include "cli/heap.hpp"
#include "cli/input.hpp"
#include "cli/json.hpp"
#include "cli/text.hpp"
#include "dsn/report.hpp"

namespace clearbounce::cli {
namespace {

using classifier::Classification;

constexpr std::string_view kUsage =
    "Usage: clearbounce classify [--json] [-r RULES] [-j N] FILE|DIR|- ...\n"
    "\n"
    "Reads bounce messages and names the cause of each reported recipient's\n"
    "failure. A directory is read recursively (hidden files skipped), '-' reads\n"
    "standard input. Input that is not a bounce is reported and skipped.\n"
    "\n"
    "Options:\n"
    "  --json             one JSON object per line and recipient\n"
    "  -r, --rules FILE   use this rule file instead of the built-in rules\n"
    "  -j, --jobs N       read and classify N messages at a time (default: one\n"
    "                     per processor, at most 16); the output keeps the order\n"
    "  -h, --help         show this text\n"
    "\n"
    "Exit status: 0 when the inputs were processed (even if some were not\n"
    "bounces or could not be read), 1 when the rules or the output failed,\n"
    "2 when the command line is wrong.\n";

constexpr unsigned kMaxJobs = 16;

struct Options {
  bool json = false;
  std::string rules_file;  // empty: the built-in rules
  unsigned jobs = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxJobs);
  std::vector<std::string> inputs;
};

// "4" -> 4, within 1..kMaxJobs; anything else is no number of jobs.
std::optional<unsigned> parse_jobs(std::string_view text) {
  unsigned jobs = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), jobs);
  if (error != std::errc() || end != text.data() + text.size() || jobs < 1 || jobs > kMaxJobs) return std::nullopt;
  return jobs;
}

int usage_error(std::string_view message) {
  std::fprintf(stderr, "clearbounce classify: %.*s\n", static_cast<int>(message.size()), message.data());
  std::fwrite(kUsage.data(), 1, kUsage.size(), stderr);
  return kExitUsage;
}

// Returns an exit status when the command is done already (help, usage error).
std::optional<int> parse_options(std::span<const std::string_view> args, Options& options) {
  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (options_done || arg == "-" || !arg.starts_with('-')) {
      options.inputs.emplace_back(arg);
    } else if (arg == "--") {
      options_done = true;
    } else if (arg == "--json") {
      options.json = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      return kExitOk;
    } else if (arg == "-r" || arg == "--rules") {
      if (i + 1 == args.size()) return usage_error(std::string(arg) + " needs a file name");
      options.rules_file = args[++i];
    } else if (arg.starts_with("--rules=")) {
      options.rules_file = arg.substr(8);
    } else if (arg.starts_with("-r")) {
      options.rules_file = arg.substr(2);
    } else if (arg == "--jobs" || arg.starts_with("--jobs=") || arg.starts_with("-j")) {
      // "-j 4", "-j4", "--jobs 4", "--jobs=4", as -r takes its file.
      const std::size_t value_at = arg.starts_with("--jobs=") ? 7 : (arg.starts_with("-j") && arg.size() > 2 ? 2 : 0);
      if (value_at == 0 && i + 1 == args.size()) return usage_error(std::string(arg) + " needs a number");
      const auto jobs = parse_jobs(value_at != 0 ? arg.substr(value_at) : args[++i]);
      if (!jobs) return usage_error("the number of jobs is a whole number from 1 to " + std::to_string(kMaxJobs));
      options.jobs = *jobs;
    } else {
      return usage_error("unknown option '" + std::string(arg) + "'");
    }
  }
  if (options.inputs.empty()) return usage_error("no input given (a file, a directory or - for standard input)");
  return std::nullopt;
}

// Collects output and hands it to stdout in large blocks: far fewer write
// calls than one per line, which matters when a whole maildir is classified.
class StdoutSink {
 public:
  std::string& buffer() { return buffer_; }
  void maybe_flush() {
    if (buffer_.size() >= kFlushAt) flush();
  }
  // False when anything could not be written (a full disk, a closed pipe).
  bool finish() {
    flush();
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) failed_ = true;
    return !failed_;
  }

 private:
  static constexpr std::size_t kFlushAt = 64 * 1024;
  void flush() {
    if (buffer_.empty()) return;
    if (std::fwrite(buffer_.data(), 1, buffer_.size(), stdout) != buffer_.size()) failed_ = true;
    buffer_.clear();
  }
  std::string buffer_;
  bool failed_ = false;
};

class Output {
 public:
  virtual ~Output() = default;
  // `results[i]` classifies `report.recipients[i]`.
  virtual void recipients(std::string_view file, const dsn::BounceReport& report,
                          std::span<const Classification> results) = 0;
  // `report` is null when the input could not even be read.
  virtual void error(std::string_view file, std::string_view message, const dsn::BounceReport* report) = 0;
  virtual bool finish() = 0;
};

class JsonOutput final : public Output {
 public:
  void recipients(std::string_view file, const dsn::BounceReport& report,
                  std::span<const Classification> results) override {
    for (std::size_t i = 0; i < results.size(); ++i) {
      const dsn::RecipientReport& recipient = report.recipients[i];
      const Classification& result = results[i];
      JsonObjectWriter json(sink_.buffer());
      json.string("file", file)
          .string("kind", dsn::to_string(report.kind))
          .string("dialect", report.dialect)
          .string("recipient", recipient.recipient)
          .string("action", recipient.action)
          .string("status", recipient.status)
          .string("reply_code", recipient.reply_code)
          .string("remote_mta", recipient.remote_mta);
      if (result.category != nullptr) {
        json.string("category", result.category->id);
      } else {
        json.null("category");  // not a failure: delivered, feedback, auto-reply
      }
      json.string("reason", result.reason);
      if (result.category != nullptr) {
        json.string("who_can_fix", classifier::to_string(result.category->who_can_fix));
      } else {
        json.null("who_can_fix");
      }
      json.boolean("temporary", result.temporary)
          .string_map("facts", result.facts)
          .string("decided_by", result.decided_by)
          .string("diagnostic", recipient.diagnostic);
      json.finish();
    }
    sink_.maybe_flush();
  }

  void error(std::string_view file, std::string_view message, const dsn::BounceReport* report) override {
    JsonObjectWriter json(sink_.buffer());
    json.string("file", file);
    if (report != nullptr) json.string("kind", dsn::to_string(report->kind));
    json.null("category").string("error", message);
    json.finish();
    sink_.maybe_flush();
  }

  bool finish() override { return sink_.finish(); }

 private:
  StdoutSink sink_;
};

// The table needs every row to size its columns, so rows are kept (already
// made safe for a terminal) and printed at the end.
class TableOutput final : public Output {
 public:
  void recipients(std::string_view file, const dsn::BounceReport& report,
                  std::span<const Classification> results) override {
    for (std::size_t i = 0; i < results.size(); ++i) {
      const dsn::RecipientReport& recipient = report.recipients[i];
      const Classification& result = results[i];
      Row row;
      row.cells = {
          display_text(file, kMaxFileChars),
          display_text(recipient.recipient, kMaxRecipientChars),
          result.category != nullptr ? display_text(result.category->id, kMaxWordChars) : "-",
          result.reason.empty() ? "-" : display_text(result.reason, kMaxWordChars),
          recipient.status.empty() ? "-" : display_text(recipient.status, kMaxWordChars),
          display_text(recipient.diagnostic, kMaxDiagnosticChars),
      };
      rows_.push_back(std::move(row));
    }
  }

  void error(std::string_view file, std::string_view message, const dsn::BounceReport* report) override {
    Row row;
    row.cells[0] = display_text(file, kMaxFileChars);
    row.error = display_text(message, kMaxDiagnosticChars);
    if (report == nullptr) {
      // Unreadable input is a problem of the caller's environment: say it
      // where scripts and people look for problems too.
      std::fprintf(stderr, "clearbounce: %s: %s\n", row.cells[0].c_str(), row.error.c_str());
    }
    rows_.push_back(std::move(row));
  }

  bool finish() override {
    print();
    return sink_.finish();
  }

 private:
  static constexpr std::size_t kColumns = 6;
  static constexpr std::size_t kDiagnostic = kColumns - 1;
  static constexpr std::size_t kMaxFileChars = 120;
  static constexpr std::size_t kMaxRecipientChars = 48;
  static constexpr std::size_t kMaxWordChars = 40;
  static constexpr std::size_t kMaxDiagnosticChars = 1000;
  static constexpr std::size_t kDefaultDiagnosticWidth = 60;
  static constexpr std::size_t kMinDiagnosticWidth = 20;
  static constexpr std::string_view kGap = "  ";

  struct Row {
    std::array<std::string, kColumns> cells;
    std::string error;  // non-empty: this input gave no recipients
  };

  // The diagnostic column gets what is left of the terminal's width, or a
  // fixed width when the output goes to a file or a pipe.
  static std::size_t diagnostic_width(std::size_t used) {
    winsize size{};
    if (::isatty(STDOUT_FILENO) && ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
      const std::size_t columns = size.ws_col;
      return columns > used + kMinDiagnosticWidth ? columns - used : kMinDiagnosticWidth;
    }
    return kDefaultDiagnosticWidth;
  }

  void append_padded(std::string& out, const std::string& cell, std::size_t width) {
    out += cell;
    const std::size_t shown = display_width(cell);
    if (shown < width) out.append(width - shown, ' ');
    out += kGap;
  }

  void print() {
    static const std::array<std::string, kColumns> kHeader = {"FILE",   "RECIPIENT", "CATEGORY",
                                                              "REASON", "STATUS",    "DIAGNOSTIC"};
    std::array<std::size_t, kColumns> width{};
    bool any_recipient = false;
    for (std::size_t c = 0; c < kDiagnostic; ++c) width[c] = display_width(kHeader[c]);
    for (const Row& row : rows_) {
      width[0] = std::max(width[0], display_width(row.cells[0]));
      if (!row.error.empty()) continue;
      any_recipient = true;
      for (std::size_t c = 1; c < kDiagnostic; ++c) width[c] = std::max(width[c], display_width(row.cells[c]));
    }
    std::size_t used = 0;
    for (std::size_t c = 0; c < kDiagnostic; ++c) used += width[c] + kGap.size();
    const std::size_t diagnostic_chars = diagnostic_width(used);

    std::string& out = sink_.buffer();
    const auto print_row = [&](const std::array<std::string, kColumns>& cells) {
      for (std::size_t c = 0; c < kDiagnostic; ++c) append_padded(out, cells[c], width[c]);
      out += display_text(cells[kDiagnostic], diagnostic_chars);
      while (!out.empty() && out.back() == ' ') out.pop_back();
      out += '\n';
    };
    if (any_recipient) print_row(kHeader);
    for (const Row& row : rows_) {
      if (row.error.empty()) {
        print_row(row.cells);
      } else {
        append_padded(out, row.cells[0], width[0]);
        out += "error: ";
        out += row.error;
        out += '\n';
      }
      sink_.maybe_flush();
    }
  }

  std::vector<Row> rows_;
  StdoutSink sink_;
};

// One input, read, analysed and classified by any thread; written out by
// the main thread, in the order of the inputs.
struct Classified {
  std::string name;
  std::string error;  // set: what to say instead of recipients
  bool analysed = false;  // `report` holds the analysis (also of a non-bounce)
  dsn::BounceReport report;
  std::vector<Classification> results;
};

// The rules inputs are classified with: loaded, or still loading on a
// thread of their own. Null once loading has failed (and said why). Only
// the main thread waits on it.
using Rules = std::shared_future<std::shared_ptr<const classifier::Classifier>>;

// Reads and analyses one input; `message` is the thread's reused buffer.
void analyse_source(const Source& source, const dsn::AnalyseLimits& limits, std::string& message, Classified& out) {
  out.name = source.name;
  if (!source.error.empty()) {
    out.error = source.error;
    return;
  }
  if (!read_source(source, limits.max_message_bytes, message, out.error)) return;
  try {
    out.report = dsn::analyse(message, limits);
    out.analysed = true;
    if (out.report.kind == dsn::ReportKind::not_bounce) {
      out.error = out.report.error.empty() ? "not a bounce message" : out.report.error;
    } else if (out.report.recipients.empty()) {
      out.error = out.report.error.empty()
                      ? "a " + std::string(dsn::to_string(out.report.kind)) + " message that names no recipient"
                      : out.report.error;
    }
  } catch (const std::exception& e) {
    // The library promises not to throw on bad input; if it does anyway
    // (a bug, memory), the other files still get their answer.
    out.analysed = false;
    out.error = std::string("internal error: ") + e.what();
  }
}

// Classifies the recipients of an analysed input that names some.
void classify_analysed(const classifier::Classifier& classifier, Classified& out) {
  if (!out.error.empty()) return;
  try {
    for (const dsn::RecipientReport& recipient : out.report.recipients)
      out.results.push_back(classifier.classify(recipient, out.report));
  } catch (const std::exception& e) {
    out.results.clear();
    out.error = std::string("internal error: ") + e.what();
  }
}

void write_classified(const Classified& classified, Output& output) {
  if (classified.error.empty()) {
    output.recipients(classified.name, classified.report, classified.results);
  } else {
    output.error(classified.name, classified.error, classified.analysed ? &classified.report : nullptr);
  }
}

// Runs `work` on up to `jobs` threads (the calling one included); each
// takes items from a counter it shares with the others, so should a thread
// not start, the others do its share.
template <typename Work>
void run_jobs(unsigned jobs, std::size_t items, const Work& work) {
  std::vector<std::jthread> helpers;
  const std::size_t wanted = std::min<std::size_t>(jobs, items);
  for (std::size_t t = 1; t < wanted; ++t) {
    try {
      helpers.emplace_back([&work] {
        prepare_thread_heap();
        work();
      });
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "clearbounce: classify: %zu of %u jobs run (%s)\n", t, jobs, e.what());
      break;
    }
  }
  work();
}  // the helpers are joined here

// Reads, analyses and classifies a batch of inputs on `jobs` threads: all
// are analysed before any is classified, so that the first batch's analysis
// runs while the built-in rules are still loading. Nothing is classified
// when the rules could not be loaded.
std::vector<Classified> classify_batch(const Rules& rules, std::span<const Source> sources,
                                       const dsn::AnalyseLimits& limits, unsigned jobs) {
  std::vector<Classified> classified(sources.size());
  std::atomic<std::size_t> next{0};
  run_jobs(jobs, sources.size(), [&] {
    std::string message;  // reused: one allocation per thread in the common case
    for (std::size_t i = next++; i < sources.size(); i = next++)
      analyse_source(sources[i], limits, message, classified[i]);
  });
  const std::shared_ptr<const classifier::Classifier> classifier = rules.get();
  if (!classifier) return classified;
  next = 0;
  run_jobs(jobs, sources.size(), [&] {
    for (std::size_t i = next++; i < sources.size(); i = next++) classify_analysed(*classifier, classified[i]);
  });
  return classified;
}

std::shared_ptr<const classifier::Classifier> load_rules(const std::string& rules_file) {
  prepare_thread_heap();
  std::string error;
  std::shared_ptr<const classifier::Classifier> loaded = rules_file.empty()
                                                             ? classifier::Classifier::builtin(error)
                                                             : classifier::Classifier::load_file(rules_file, error);
  if (!loaded) {
    const std::string what = rules_file.empty() ? "the built-in rules" : rules_file;
    std::fprintf(stderr, "clearbounce: cannot load %s: %s\n", what.c_str(), error.c_str());
  }
  return loaded;
}

// A rule file of the administrator's is loaded before any input is read: a
// broken one is a configuration error, reported before stdin is consumed.
// The built-in rules, checked when the program was built, load on a thread
// of their own while the first inputs are read and analysed (a short run
// spends a fifth of its time loading them).
Rules start_loading_builtin_rules() {
  try {
    return std::async(std::launch::async, load_rules, std::string()).share();
  } catch (const std::system_error&) {
    // No thread to spare: loaded by the first input that needs them.
    return std::async(std::launch::deferred, load_rules, std::string()).share();
  }
}

Rules start_loading_rules(const std::string& rules_file) {
  if (rules_file.empty()) {
    // Loaded once and kept to the end of the process, which ends right
    // after the run without taking them apart (main.cpp).
    static const Rules builtin = start_loading_builtin_rules();
    return builtin;
  }
  std::promise<std::shared_ptr<const classifier::Classifier>> loaded;
  loaded.set_value(load_rules(rules_file));
  return loaded.get_future().share();
}

}  // namespace

int run_classify(std::span<const std::string_view> args) {
  Options options;
  if (const std::optional<int> done = parse_options(args, options)) return *done;

  const Rules rules = start_loading_rules(options.rules_file);
  if (!options.rules_file.empty() && !rules.get()) return kExitFailure;

  std::unique_ptr<Output> output;
  if (options.json) {
    output = std::make_unique<JsonOutput>();
  } else {
    output = std::make_unique<TableOutput>();
  }

  // Inputs are classified a batch at a time: memory stays bounded by the
  // batch, whatever the number of files.
  const dsn::AnalyseLimits limits;
  const std::size_t batch_size = std::size_t{64} * options.jobs;
  std::vector<Source> batch;
  // False when the rules could not be loaded: nothing is written then.
  const auto classify_and_write = [&] {
    std::vector<Classified> classified = classify_batch(rules, batch, limits, options.jobs);
    batch.clear();
    if (!rules.get()) return false;
    for (const Classified& one : classified) write_classified(one, *output);
    return true;
  };
  bool rules_loaded = true;
  for (const std::string& input : options.inputs) {
    expand_argument(input, [&](const Source& source) {
      if (!rules_loaded) return;
      batch.push_back(source);
      if (batch.size() == batch_size) rules_loaded = classify_and_write();
    });
  }
  if (rules_loaded) rules_loaded = classify_and_write();
  if (!rules_loaded) return kExitFailure;
  if (!output->finish()) {
    std::fputs("clearbounce: could not write the output\n", stderr);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace clearbounce::cli
