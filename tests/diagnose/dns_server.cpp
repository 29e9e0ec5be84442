#include "tests/diagnose/dns_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

extern char** environ;

namespace clearbounce::testing {
namespace {

constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// A UDP socket bound to 127.0.0.1 on a port the kernel picks; -1 on failure.
int bound_udp_socket(int& port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  port = ntohs(address.sin_port);
  return fd;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

StubDnsServer::StubDnsServer(Behaviour behaviour, int upstream_port) : upstream_port_(upstream_port) {
  socket_ = bound_udp_socket(port_);
  if (socket_ < 0 || ::pipe2(stop_pipe_, O_CLOEXEC) != 0) return;
  thread_ = std::thread([this, behaviour] { serve(behaviour); });
}

StubDnsServer::~StubDnsServer() {
  if (thread_.joinable()) {
    const char stop = 's';
    (void)!::write(stop_pipe_[1], &stop, 1);
    thread_.join();
  }
  for (int fd : {socket_, stop_pipe_[0], stop_pipe_[1]})
    if (fd >= 0) ::close(fd);
}

void StubDnsServer::serve(Behaviour behaviour) {
  std::array<unsigned char, 1500> packet{};
  for (;;) {
    std::array<pollfd, 2> fds{{{socket_, POLLIN, 0}, {stop_pipe_[0], POLLIN, 0}}};
    if (::poll(fds.data(), fds.size(), -1) < 0 || fds[1].revents != 0) return;
    sockaddr_in from{};
    socklen_t from_length = sizeof from;
    const auto got = ::recvfrom(socket_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_length);
    if (got < 12 || behaviour == Behaviour::silent) continue;
    long length = got;
    if (behaviour == Behaviour::validating) {
      length = ask_upstream(packet.data(), static_cast<std::size_t>(got), packet.size());
      if (length < 12) continue;
      packet[3] = static_cast<unsigned char>(packet[3] | 0x20);  // AD: "validated"
    } else {
      packet[2] = static_cast<unsigned char>(packet[2] | 0x80);           // a response
      packet[3] = static_cast<unsigned char>((packet[3] & 0xf0) | 0x2);  // RCODE 2: SERVFAIL
    }
    ::sendto(socket_, packet.data(), static_cast<std::size_t>(length), 0, reinterpret_cast<sockaddr*>(&from), from_length);
  }
}

// The upstream's answer to the query in `packet`, in its place; its length,
// or -1 when none came within a second.
long StubDnsServer::ask_upstream(unsigned char* packet, std::size_t length, std::size_t capacity) const {
  const int upstream = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (upstream < 0) return -1;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(upstream_port_));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  long answer = -1;
  pollfd ready{upstream, POLLIN, 0};
  if (::sendto(upstream, packet, length, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) > 0 && ::poll(&ready, 1, 1000) > 0)
    answer = ::recv(upstream, packet, capacity, 0);
  ::close(upstream);
  return answer;
}

DnsServer::DnsServer(const std::vector<std::string>& config_lines, const std::vector<std::string>& local_zones) {
  if (::access(kDnsmasq, X_OK) != 0) {
    unavailable_ = "dnsmasq is not installed (Debian package dnsmasq-base)";
    return;
  }
  std::string pattern = (std::filesystem::temp_directory_path() / "clearbounce-dns-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    unavailable_ = "no temporary directory";
    return;
  }
  directory_ = pattern;
  log_file_ = directory_ + "/queries.log";
  const int probe = bound_udp_socket(port_);
  if (probe >= 0) ::close(probe);  // the port is free now; dnsmasq takes it next

  const std::string config_file = directory_ + "/dnsmasq.conf";
  {
    std::ofstream config(config_file);
    config << "port=" << port_ << "\nlisten-address=127.0.0.1\nbind-interfaces\nno-resolv\nno-hosts\n"
           << "no-negcache\nlog-queries\nlog-facility=" << log_file_ << "\npid-file=" << directory_ << "/pid\n";
    if (::geteuid() == 0) config << "user=root\ngroup=root\n";  // dnsmasq-base has no user of its own
    for (const auto& zone : local_zones) config << "local=/" << zone << "/\n";
    for (const auto& line : config_lines) config << line << "\n";
  }
  std::vector<std::string> args = {kDnsmasq, "--keep-in-foreground", "--conf-file=" + config_file};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  if (::posix_spawn(&pid, kDnsmasq, nullptr, nullptr, argv.data(), environ) != 0) {
    unavailable_ = "dnsmasq could not be started";
    return;
  }
  pid_ = pid;
  if (!wait_ready()) unavailable_ = "dnsmasq did not start: " + read_file(log_file_);
}

bool DnsServer::wait_ready() {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < give_up) {
    if (read_file(log_file_).find("started, version") != std::string::npos) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

DnsServer::~DnsServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  if (!directory_.empty()) {
    std::error_code ignored;  // a leftover temporary directory fails no test
    std::filesystem::remove_all(directory_, ignored);
  }
}

std::vector<std::string> DnsServer::queries() const {
  std::vector<std::string> found;
  std::istringstream log(read_file(log_file_));
  for (std::string line; std::getline(log, line);) {
    const auto at = line.find("query[");
    if (at == std::string::npos) continue;
    const auto from = line.find(" from ", at);
    found.push_back(line.substr(at, from == std::string::npos ? std::string::npos : from - at));
  }
  return found;
}

}  // namespace clearbounce::testing
