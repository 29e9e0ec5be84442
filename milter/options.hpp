// The command line of clearbounce-milter.
#pragma once

#include <optional>
#include <string>

namespace clearbounce::milter {

struct CommandLine {
  std::string config_path = "/etc/clearbounce/clearbounce.toml";
  bool foreground = false;  // -f
  bool check_only = false;  // -n
};

// The options, or, when the program has nothing more to do (-V, -h, a
// mistake, said on standard output or error), the exit status.
struct ParsedCommandLine {
  std::optional<CommandLine> options;
  int exit_status = 0;
};
ParsedCommandLine parse_command_line(int argc, char** argv, const char* version);

}  // namespace clearbounce::milter
