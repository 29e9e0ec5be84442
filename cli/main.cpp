// clearbounce: the command-line face of the library. Subcommands live in a
// table so that later ones (rewrite, preview, lint) are one line each here.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <span>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/heap.hpp"
#include "cli/sanitizers.hpp"

#ifndef CLEARBOUNCE_VERSION
#error "CLEARBOUNCE_VERSION must come from the CMake project version"
#endif

namespace {

using clearbounce::cli::kExitFailure;
using clearbounce::cli::kExitOk;
using clearbounce::cli::kExitUsage;

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(std::span<const std::string_view> args);
};

constexpr Command kCommands[] = {
    {"classify", "name the cause of each failed recipient in bounce messages",
     clearbounce::cli::run_classify},
    {"rewrite", "print a bounce as the milter would pass it on", clearbounce::cli::run_rewrite},
    {"preview", "show the text of one category in one locale", clearbounce::cli::run_preview},
    {"lint", "check the configuration, the rule set and the catalogues", clearbounce::cli::run_lint},
};

void print_usage(std::FILE* to) {
  std::fputs(
      "Usage: clearbounce COMMAND [OPTIONS] [ARGS...]\n"
      "       clearbounce --help | --version\n"
      "\n"
      "Commands:\n",
      to);
  for (const Command& command : kCommands) {
    std::fprintf(to, "  %-10.*s %.*s\n", static_cast<int>(command.name.size()), command.name.data(),
                 static_cast<int>(command.summary.size()), command.summary.data());
  }
  std::fputs("\nRun 'clearbounce COMMAND --help' for the options of a command.\n", to);
}

int run(std::span<const std::string_view> args) {
  if (args.empty()) {
    std::fputs("clearbounce: no command given\n", stderr);
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string_view first = args.front();
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(stdout);
    return kExitOk;
  }
  if (first == "--version") {
    std::fputs("clearbounce " CLEARBOUNCE_VERSION "\n", stdout);
    return kExitOk;
  }
  for (const Command& command : kCommands) {
    if (command.name == first) return command.run(args.subspan(1));
  }
  std::fprintf(stderr, "clearbounce: unknown %s '%.*s'\n", first.starts_with('-') ? "option" : "command",
               static_cast<int>(first.size()), first.data());
  print_usage(stderr);
  return kExitUsage;
}

// Ends the process with `status` once what was written is out. Static
// objects are not taken apart: the rules and automata a run built (the
// built-in rules are kept to the end, see classify.cpp) go back to the
// kernel at once, where running their destructors would cost a few million
// instructions, a tenth of a short run. A sanitizer build exits normally,
// so that its leak check runs.
int finish(int status) {
  if (std::fflush(nullptr) != 0 && status == kExitOk) {
    std::fputs("clearbounce: could not write the output\n", stderr);
    status = kExitFailure;
  }
#if CLEARBOUNCE_ADDRESS_SANITIZER
  return status;
#else
  std::_Exit(status);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  clearbounce::cli::prepare_heap_for_short_run();
  try {
    const std::vector<std::string_view> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    return finish(run(args));
  } catch (const std::exception& e) {
    // Per-file problems are handled by the commands; this is only for the
    // unexpected (out of memory, a bug), which must still not look like success.
    std::fprintf(stderr, "clearbounce: internal error: %s\n", e.what());
    return finish(kExitFailure);
  }
}
