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

// transport_maps is a list separated by commas and white space.
std::vector<std::string> maps_of(std::string_view value) {
  std::vector<std::string> maps;
  std::size_t start = 0;
  while (start < value.size()) {
    const auto end = value.find_first_of(", \t", start);
    if (end != start) maps.emplace_back(value.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return maps;
}

}  // namespace

std::optional<std::string> run_program(const std::vector<std::string>& argv, std::chrono::milliseconds limit) {
  int out[2];
  if (argv.empty() || ::pipe2(out, O_CLOEXEC) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (auto& a : args) pointers.push_back(a.data());
  pointers.push_back(nullptr);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, args[0].c_str(), &actions, nullptr, pointers.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  if (spawned != 0) {
    ::close(out[0]);
    return std::nullopt;
  }
  std::string output;
  bool complete = false;
  const auto give_up = std::chrono::steady_clock::now() + limit;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
    pollfd readable{out[0], POLLIN, 0};
    if (left.count() <= 0 || ::poll(&readable, 1, static_cast<int>(left.count())) <= 0) break;
    std::array<char, 4096> buffer{};
    const auto got = ::read(out[0], buffer.data(), buffer.size());
    if (got <= 0) {
      complete = got == 0;
      break;
    }
    output.append(buffer.data(), static_cast<std::size_t>(got));
    if (output.size() > kMaxOutputBytes) break;
  }
  ::close(out[0]);
  if (!complete) ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!complete || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return output;
}

std::optional<PostfixRoutes> PostfixRoutes::read(const std::string& config_directory, std::string& error) {
  const auto values =
      run_program({"/usr/sbin/postconf", "-c", config_directory, "-h", "relayhost", "transport_maps"}, kPostconfLimit);
  if (!values) {
    error = "postconf -c " + config_directory + " could not read relayhost and transport_maps";
    return std::nullopt;
  }
  const auto lines = lines_of(*values);
  PostfixRoutes routes;
  routes.config_directory_ = config_directory;
  if (!lines.empty()) routes.relayhost_ = relayhost_next_hop(lines[0]);
  if (lines.size() > 1) routes.transport_maps_ = maps_of(lines[1]);
  return routes;
}

PostfixRoutes::PostfixRoutes(const PostfixRoutes& other)
    : config_directory_(other.config_directory_), transport_maps_(other.transport_maps_), relayhost_(other.relayhost_) {}

// The first entry that answers, in Postfix's order: the domain, each
// parent as ".parent", then "*"; each key in every map, in order.
std::optional<std::string> PostfixRoutes::transport_entry(std::string_view domain) const {
  std::vector<std::string> keys = {std::string(domain)};
  for (auto dot = domain.find('.', 1); dot != std::string_view::npos; dot = domain.find('.', dot + 1))
    keys.emplace_back(domain.substr(dot));
  keys.emplace_back("*");
  for (const auto& key : keys)
    for (const auto& map : transport_maps_)
      if (auto value = run_program({"/usr/sbin/postmap", "-c", config_directory_, "-q", key, map}, kToolLimit))
        return lines_of(*value).empty() ? std::string() : lines_of(*value).front();
  return std::nullopt;
}

std::optional<NextHop> PostfixRoutes::route(std::string_view domain, bool& nothing_to_probe) const {
  nothing_to_probe = false;
  if (!is_plain_domain(domain)) {  // a table key, never an option to a tool
    nothing_to_probe = true;
    return std::nullopt;
  }
  {
    std::lock_guard lock(mutex_);
    if (const auto known = remembered_.find(domain); known != remembered_.end()) {
      nothing_to_probe = known->second.nothing_to_probe;
      return known->second.hop;
    }
  }
  Route found;
  if (const auto entry = transport_entry(domain)) {
    found.hop = transport_next_hop(*entry, domain);
    found.nothing_to_probe = !found.hop.has_value();
  } else {
    found.hop = relayhost_;
  }
  std::lock_guard lock(mutex_);
  if (remembered_.size() >= kMaxRemembered) remembered_.clear();
  remembered_.emplace(std::string(domain), found);
  nothing_to_probe = found.nothing_to_probe;
  return found.hop;
}

}  // namespace clearbounce::diagnose
