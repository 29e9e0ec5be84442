// The command line of clearbounce-milter.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace clearbounce::milter {

struct CommandLine {
  std::string config_path = "/etc/clearbounce/clearbounce.toml";
  bool foreground = false;  // -f
  bool check_only = false;  // -n
  // -b: the largest piece of a new body per SMFIR_REPLBODY packet; 0 means
  // LibmilterMta's kBodyPieceBytes (63 KiB, what MTAs get). Only for
  // protocol test tools: miltertest reads each reply into a 1 KiB buffer
  // and crashes on a larger one, so tests/milter runs the daemon with -b 1000.
  std::size_t body_piece_bytes = 0;
};

// The options, or, when the program has nothing more to do (-V, -h, a
// mistake, said on standard output or error), the exit status.
struct ParsedCommandLine {
  std::optional<CommandLine> options;
  int exit_status = 0;
};
ParsedCommandLine parse_command_line(int argc, char** argv, const char* version);

}  // namespace clearbounce::milter
