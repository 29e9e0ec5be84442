#include "milter/options.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "milter/exit_status.hpp"

namespace clearbounce::milter {
namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: clearbounce-milter [-c FILE] [-f] [-n]\n"
               "  -c FILE  configuration file (default /etc/clearbounce/clearbounce.toml)\n"
               "  -f       stay in the foreground, log to standard error as well as syslog\n"
               "  -n       check the configuration and templates, then exit\n"
               "  -b BYTES largest body piece per reply packet (default 64511; protocol\n"
               "           test tools such as miltertest need 1000 or less)\n"
               "  -V       print the version and exit\n");
}

ParsedCommandLine finished(int status) { return {std::nullopt, status}; }

// 1 to 65535: one SMFIR_REPLBODY packet's data (MILTER_CHUNK_SIZE).
bool parse_piece_bytes(const char* text, std::size_t& bytes) {
  char* end = nullptr;
  const unsigned long value = std::strtoul(text, &end, 10);
  if (end == text || *end != '\0' || value < 1 || value > 65535) return false;
  bytes = value;
  return true;
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv, const char* version) {
  CommandLine options;
  int option;
  opterr = 0;
  while ((option = getopt(argc, argv, "c:fnb:Vh")) != -1) {
    switch (option) {
      case 'c': options.config_path = optarg; break;
      case 'f': options.foreground = true; break;
      case 'n': options.check_only = true; break;
      case 'b':
        if (!parse_piece_bytes(optarg, options.body_piece_bytes)) {
          std::fprintf(stderr, "clearbounce-milter: -b wants a number of bytes from 1 to 65535: %s\n", optarg);
          return finished(kExitUsage);
        }
        break;
      case 'V': std::printf("clearbounce-milter %s\n", version); return finished(0);
      case 'h': usage(stdout); return finished(0);
      default:
        std::fprintf(stderr, "clearbounce-milter: unknown option or missing argument: -%c\n", optopt);
        usage(stderr);
        return finished(kExitUsage);
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "clearbounce-milter: unexpected argument: %s\n", argv[optind]);
    usage(stderr);
    return finished(kExitUsage);
  }
  return {options, 0};
}

}  // namespace clearbounce::milter
