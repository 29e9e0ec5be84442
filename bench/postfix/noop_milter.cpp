/*
 * noop_milter: the do-nothing libmilter milter of the Postfix benchmark
 * (bench/postfix/run.py). It measures what the milter protocol itself costs.
 *
 * By default it negotiates the steps and actions that clearbounce-milter
 * negotiated when the benchmark was written: no CONNECT, HELO, RCPT, DATA
 * or unknown commands; may add and change headers and replace the body. It
 * accepts a message with a non-empty envelope sender at MAIL FROM, and reads
 * a message with the null sender (a delivery report) to the end: every
 * header, the end of headers, every body chunk, then accepts it unchanged.
 *
 * With -r it is the benchmark's "floor" milter instead: the least that a
 * rewrite of a report can cost the MTA. It reads a report the same way, then
 * at the end of the message changes its Subject and replaces its body with
 * BYTES of text in one smfi_replacebody() call (one packet), and accepts it.
 * run.py sets BYTES to the size of the body clearbounce writes for the
 * benchmark's report, so that the floor and clearbounce send Postfix the
 * same amount.
 *
 *   noop_milter -p SOCKET [-s] [-d] [-n] [-r BYTES] [-q]
 *     -p SOCKET  libmilter notation: unix:/path or inet:PORT@127.0.0.1
 *     -s         take the DATA step (answer "continue") instead of asking
 *                the MTA to leave it out. Over TCP this avoids the stall
 *                described in README.md: Postfix's smtpd then ends with a
 *                command that is answered before it hands the message
 *                content over to cleanup, instead of with macros that are
 *                not.
 *     -d         TCP only: set TCP_NODELAY on the listening socket after
 *                smfi_opensocket(); Linux copies it to every accepted
 *                connection, so the milter's own writes are not held back
 *                by Nagle's algorithm (this does not change Postfix's side).
 *     -n         ask the MTA not to wait for an answer to each header field
 *                (SMFIP_NR_HDR), as clearbounce-milter does
 *     -r BYTES   the floor milter: new Subject and a body of BYTES bytes
 *                (1 to 65535, one packet) for every report
 *     -q         print the counters on exit (SIGTERM)
 *
 * SIGTERM, SIGINT or SIGHUP stop it (libmilter's own handling).
 */
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

std::atomic<unsigned long> ordinary{0};
std::atomic<unsigned long> reports{0};
std::atomic<unsigned long> bytes{0};
bool take_data = false;
bool no_header_reply = false;
/* -r: the body every report gets (lines of 'x' ending in CRLF), or empty. */
std::string replacement_body;

std::string make_body(std::size_t size) {
  std::string body;
  body.reserve(size);
  while (body.size() < size) {
    const std::size_t line = std::min<std::size_t>(76, size - body.size());
    if (line <= 2) {
      body.append(line, '\n');
    } else {
      body.append(line - 2, 'x');
      body.append("\r\n");
    }
  }
  return body;
}

/* The floor's rewrite: what clearbounce-milter does at the least, one
 * header change (the Subject; SMFIP_HDR_LEADSPC is negotiated, so the value
 * carries its leading blank) and the whole body in one packet. */
sfsistat rewrite(SMFICTX* ctx) {
  char name[] = "Subject";
  char value[] = " Not delivered: Minutes of Friday's meeting";
  if (smfi_chgheader(ctx, name, 1, value) != MI_SUCCESS) return SMFIS_ACCEPT;
  auto* body = reinterpret_cast<unsigned char*>(replacement_body.data());
  smfi_replacebody(ctx, body, static_cast<int>(replacement_body.size()));
  return SMFIS_ACCEPT;
}

sfsistat on_negotiate(SMFICTX* ctx, unsigned long actions, unsigned long steps,
                             unsigned long unused2, unsigned long unused3,
                             unsigned long* want_actions, unsigned long* want_steps,
                             unsigned long* want2, unsigned long* want3) {
  static_cast<void>(ctx);
  static_cast<void>(unused2);
  static_cast<void>(unused3);
  *want_actions = (SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY) & actions;
  unsigned long skipped = SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOUNKNOWN;
  skipped |= SMFIP_NORCPT;
  if (!take_data) skipped |= SMFIP_NODATA;
  if (no_header_reply) skipped |= SMFIP_NR_HDR;
  *want_steps = (skipped | SMFIP_HDR_LEADSPC) & steps;
  *want2 = 0;
  *want3 = 0;
  return SMFIS_CONTINUE;
}

sfsistat on_envfrom(SMFICTX* ctx, char** argv) {
  static_cast<void>(ctx);
  const char* sender = argv != nullptr && argv[0] != nullptr ? argv[0] : "";
  if (std::strcmp(sender, "<>") != 0 && sender[0] != '\0') {
    ordinary += 1;
    return SMFIS_ACCEPT;
  }
  return SMFIS_CONTINUE;
}

sfsistat on_envrcpt(SMFICTX* ctx, char** argv) {
  static_cast<void>(ctx);
  static_cast<void>(argv);
  return SMFIS_CONTINUE;
}

sfsistat on_data(SMFICTX* ctx) {
  static_cast<void>(ctx);
  return SMFIS_CONTINUE;
}

sfsistat on_header(SMFICTX* ctx, char* name, char* value) {
  static_cast<void>(ctx);
  bytes += std::strlen(name) + std::strlen(value) + 4;
  return no_header_reply ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

sfsistat on_eoh(SMFICTX* ctx) {
  static_cast<void>(ctx);
  return SMFIS_CONTINUE;
}

sfsistat on_body(SMFICTX* ctx, unsigned char* chunk, size_t size) {
  static_cast<void>(ctx);
  static_cast<void>(chunk);
  bytes += size;
  return SMFIS_CONTINUE;
}

sfsistat on_eom(SMFICTX* ctx) {
  reports += 1;
  if (!replacement_body.empty()) return rewrite(ctx);
  return SMFIS_ACCEPT;
}

/* The listening socket libmilter opened: the one listening descriptor bound
 * to a TCP address (the process has no other). */
int set_nodelay_on_listener() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int done = -1;
  struct dirent* entry;
  while ((entry = readdir(dir)) != nullptr) {
    char* end;
    const long number = std::strtol(entry->d_name, &end, 10);
    if (*end != '\0' || number < 0) continue;
    const int fd = static_cast<int>(number);
    int listening = 0;
    socklen_t length = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) continue;
    struct sockaddr_storage address;
    socklen_t address_length = sizeof address;
    if (getsockname(fd, reinterpret_cast<struct sockaddr*>(&address), &address_length) != 0) continue;
    if (address.ss_family != AF_INET && address.ss_family != AF_INET6) continue;
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == 0) done = 0;
  }
  closedir(dir);
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  char* socket_spec = nullptr;
  int nodelay = 0;
  int quiet_report = 0;
  int option;
  while ((option = getopt(argc, argv, "p:sdnr:q")) != -1) {
    switch (option) {
      case 'p': socket_spec = optarg; break;
      case 's': take_data = true; break;
      case 'n': no_header_reply = true; break;
      case 'd': nodelay = 1; break;
      case 'q': quiet_report = 1; break;
      case 'r': {
        const long size = std::strtol(optarg, nullptr, 10);
        if (size < 1 || size > 65535) {
          std::fprintf(stderr, "noop_milter: -r wants 1 to 65535 bytes\n");
          return 64;
        }
        replacement_body = make_body(static_cast<std::size_t>(size));
        break;
      }
      default:
        std::fprintf(stderr, "usage: noop_milter -p SOCKET [-s] [-d] [-n] [-r BYTES] [-q]\n");
        return 64;
    }
  }
  if (socket_spec == nullptr) {
    std::fprintf(stderr, "usage: noop_milter -p SOCKET [-s] [-d] [-n] [-r BYTES] [-q]\n");
    return 64;
  }

  struct smfiDesc desc;
  std::memset(&desc, 0, sizeof desc);
  desc.xxfi_name = const_cast<char*>("noop");
  desc.xxfi_version = SMFI_VERSION;
  desc.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY;
  desc.xxfi_envfrom = on_envfrom;
  desc.xxfi_envrcpt = on_envrcpt;
  desc.xxfi_data = on_data;
  desc.xxfi_header = on_header;
  desc.xxfi_eoh = on_eoh;
  desc.xxfi_body = on_body;
  desc.xxfi_eom = on_eom;
  desc.xxfi_negotiate = on_negotiate;

  umask(0);
  if (smfi_setconn(socket_spec) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS ||
      smfi_opensocket(true) != MI_SUCCESS) {
    std::fprintf(stderr, "noop_milter: cannot listen on %s\n", socket_spec);
    return 71;
  }
  if (nodelay && set_nodelay_on_listener() != 0) {
    std::fprintf(stderr, "noop_milter: no TCP listening socket to set TCP_NODELAY on\n");
    return 71;
  }
  std::fprintf(stderr, "noop_milter: listening on %s%s%s%s\n", socket_spec,
               take_data ? " (DATA step taken)" : "", nodelay ? " (TCP_NODELAY)" : "",
               replacement_body.empty() ? "" : " (floor: rewrites every report)");
  int result = smfi_main();
  if (quiet_report) {
    std::fprintf(stderr, "noop_milter: ordinary=%lu reports=%lu bytes=%lu\n", ordinary.load(), reports.load(),
                 bytes.load());
  }
  return result == MI_SUCCESS ? 0 : 1;
}
