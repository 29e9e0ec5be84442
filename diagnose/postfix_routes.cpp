#include "diagnose/postfix_routes.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>

extern char** environ;

namespace clearbounce::diagnose {
namespace {

// postmap answers in milliseconds; postconf, once at start, may first look
// up this host's name when main.cf does not set myhostname.
constexpr std::chrono::milliseconds kToolLimit{2000};
constexpr std::chrono::milliseconds kPostconfLimit{10000};
constexpr std::size_t kMaxOutputBytes = 64 * 1024;
constexpr std::size_t kMaxRemembered = 4096;
// Postfix reads a changed table at once; a route known for longer than
// this is asked again.
constexpr std::chrono::minutes kRememberFor{5};

using Clock = std::chrono::steady_clock;

// The lines postconf -h prints, one value each.
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// transport_maps is a list separated by commas and white space (a map's
// own name holds a colon: "hash:/etc/postfix/transport").
std::vector<std::string> maps_of(std::string_view value) { return split_list(value, ", \t"); }

}  // namespace

namespace {

// Reads both pipes until the program closes them, `give_up` passes or it
// writes too much. True when both ended by themselves.
bool read_both(int out, int err, ProgramRun& run, std::chrono::steady_clock::time_point give_up) {
  std::array<pollfd, 2> fds = {pollfd{out, POLLIN, 0}, pollfd{err, POLLIN, 0}};
  std::array<std::string*, 2> into = {&run.output, &run.errors};
  int open = 2;
  while (open > 0) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(fds.data(), fds.size(), static_cast<int>(left.count())) <= 0) return false;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      std::array<char, 4096> buffer{};
      const auto got = ::read(fds[i].fd, buffer.data(), buffer.size());
      if (got < 0) return false;
      if (got == 0) {
        fds[i].fd = -1;  // poll skips it
        --open;
        continue;
      }
      into[i]->append(buffer.data(), static_cast<std::size_t>(got));
      if (into[i]->size() > kMaxOutputBytes) return false;
    }
  }
  return true;
}

// The keys Postfix looks a domain up with: itself, then each parent as
// ".parent" (transport(5), and smtp_tls_policy_maps for a domain).
std::vector<std::string> domain_and_parents(std::string_view domain) {
  std::vector<std::string> keys = {std::string(domain)};
  for (auto dot = domain.find('.', 1); dot != std::string_view::npos; dot = domain.find('.', dot + 1))
    keys.emplace_back(domain.substr(dot));
  return keys;
}
}  // namespace

ProgramRun run_program(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  ProgramRun run;
  int out[2];
  int err[2];
  if (argv.empty() || ::pipe2(out, O_CLOEXEC) != 0) return run;
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return run;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err[1], STDERR_FILENO);
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (auto& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  const bool complete = spawned == 0 && read_both(out[0], err[0], run, std::chrono::steady_clock::now() + limit);
  ::close(out[0]);
  ::close(err[0]);
  if (spawned != 0) return run;
  if (!complete) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  run.finished = complete && WIFEXITED(status);
  if (run.finished) run.exit_status = WEXITSTATUS(status);
  return run;
}

std::optional<PostfixRoutes> PostfixRoutes::read(const std::string& config_directory, std::string& error) {
  // postconf -h prints the values in the order asked for, one a line.
  const auto values = run_program({"/usr/sbin/postconf", "-c", config_directory, "-h", "relayhost", "transport_maps",
                                   "smtp_tls_security_level", "smtp_tls_policy_maps", "smtp_tls_verify_cert_match",
                                   "smtp_tls_secure_cert_match", "smtp_tls_CAfile", "smtp_tls_CApath",
                                   "tls_append_default_CA"},
                                  kPostconfLimit);
  auto lines = lines_of(values.output);
  if (!values.finished || values.exit_status != 0 || lines.size() != 9) {
    error = "postconf -c " + config_directory + " could not read relayhost, transport_maps and the TLS settings" +
            (values.errors.empty() ? "" : ": " + lines_of(values.errors).front());
    return std::nullopt;
  }
  PostfixRoutes routes;
  routes.config_directory_ = config_directory;
  routes.relayhost_ = relayhost_next_hop(lines[0]);
  routes.transport_maps_ = maps_of(lines[1]);
  // Postfix's own default level is none: no certificate is checked.
  routes.default_tls_.level = lines[2].empty() ? TlsLevel::none : tls_level_named(lines[2]).value_or(TlsLevel::none);
  routes.tls_policy_maps_ = maps_of(lines[3]);
  routes.verify_cert_match_ = split_list(lines[4]);
  routes.secure_cert_match_ = split_list(lines[5]);
  routes.trust_ = TrustAnchors{lines[6], lines[7], lines[8] == "yes"};
  return routes;
}

PostfixRoutes::PostfixRoutes(const PostfixRoutes& other)
    : config_directory_(other.config_directory_),
      transport_maps_(other.transport_maps_),
      relayhost_(other.relayhost_),
      default_tls_(other.default_tls_),
      tls_policy_maps_(other.tls_policy_maps_),
      verify_cert_match_(other.verify_cert_match_),
      secure_cert_match_(other.secure_cert_match_),
      trust_(other.trust_) {}

// The first entry that answers, each key in every map, in order. postmap
// exits with 1 both when a key is not there and on a fatal error; only the
// latter says why on its standard error.
std::optional<std::string> PostfixRoutes::first_entry(const std::vector<std::string>& keys,
                                                      const std::vector<std::string>& maps, Clock::time_point deadline,
                                                      std::string& failure) const {
  for (const auto& key : keys)
    for (const auto& map : maps) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        failure = "no time left for postmap -q " + key + " " + map;
        return std::nullopt;
      }
      const auto run =
          run_program({"/usr/sbin/postmap", "-c", config_directory_, "-q", key, map}, std::min(left, kToolLimit));
      if (run.finished && run.exit_status == 0) return lines_of(run.output).empty() ? "" : lines_of(run.output).front();
      if (!run.finished || run.exit_status != 1 || run.errors.find("fatal:") != std::string::npos) {
        failure = "postmap -q " + key + " " + map + ": " +
                  (!run.finished          ? std::string("no answer in time")
                   : run.errors.empty() ? "exit status " + std::to_string(run.exit_status)
                                        : lines_of(run.errors).front());
        return std::nullopt;
      }
    }
  return std::nullopt;
}


bool PostfixRoutes::find_tls_policy(std::string_view next_hop, Route& route, Clock::time_point deadline) const {
  route.tls = default_tls_;
  // A route's "[host]:port" or "host:port" is looked up as written, a
  // domain with its parents (Postfix's smtp_tls_policy.c does the same).
  const auto keys = is_plain_domain(next_hop) ? domain_and_parents(next_hop) : std::vector{std::string(next_hop)};
  std::string failure;
  if (const auto entry = first_entry(keys, tls_policy_maps_, deadline, failure)) {
    const auto policy = parse_tls_policy(*entry);
    if (!policy) failure = "smtp_tls_policy_maps: " + std::string(next_hop) + " has a policy that does not parse";
    if (policy) route.tls = *policy;
  }
  if (!failure.empty()) {
    route.kind = Route::Kind::unknown;
    route.why_unknown = failure;
    return false;
  }
  route.certificate_match = !route.tls.match.empty()                ? route.tls.match
                            : route.tls.level == TlsLevel::secure ? secure_cert_match_
                                                                  : verify_cert_match_;
  return true;
}

PostfixRoutes::Route PostfixRoutes::route(std::string_view domain, Clock::time_point deadline) const {
  Route found;
  if (!is_plain_domain(domain)) {  // a table key, never an option to a tool
    found.kind = Route::Kind::not_smtp;
    return found;
  }
  {
    std::lock_guard lock(mutex_);
    if (const auto known = remembered_.find(domain); known != remembered_.end() && known->second.second > Clock::now())
      return known->second.first;
  }
  std::string failure;
  auto keys = domain_and_parents(domain);
  keys.emplace_back("*");
  if (const auto entry = first_entry(keys, transport_maps_, deadline, failure)) {
    const auto hop = transport_next_hop(*entry, domain);
    found.kind = hop ? Route::Kind::next_hop : Route::Kind::not_smtp;
    if (hop) found.hop = *hop;
  } else if (!failure.empty()) {
    found.kind = Route::Kind::unknown;
    found.why_unknown = failure;
    return found;
  } else if (relayhost_) {
    found.kind = Route::Kind::next_hop;
    found.hop = *relayhost_;
  }
  if (found.kind != Route::Kind::not_smtp &&
      !find_tls_policy(found.kind == Route::Kind::next_hop ? std::string_view(found.hop.destination) : domain, found,
                       deadline))
    return found;
  std::lock_guard lock(mutex_);
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  remembered_.insert_or_assign(std::string(domain), std::pair{found, Clock::now() + kRememberFor});
  return found;
}

}  // namespace clearbounce::diagnose
