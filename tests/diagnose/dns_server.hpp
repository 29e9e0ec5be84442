// A real DNS server for the diagnosis tests: dnsmasq (Debian's dnsmasq-base,
// which installs no service), started on a free loopback port with the
// records a test gives, logging every query it receives. Also the two
// broken servers a real one cannot play: one that answers SERVFAIL to
// everything (the upstream of a zone whose delegation is lame) and one that
// never answers.
#pragma once

#include <string>
#include <thread>
#include <vector>

namespace clearbounce::testing {

// A UDP socket on 127.0.0.1 that answers every query with SERVFAIL, or
// (silent) reads and drops them, or (validating) passes each query on to
// the DNS server on 127.0.0.1:`upstream_port` and its answer back with the
// AD bit set, as a validating resolver does for a signed zone; served by a
// thread until destroyed.
class StubDnsServer {
 public:
  enum class Behaviour { servfail, silent, validating };
  explicit StubDnsServer(Behaviour behaviour, int upstream_port = 0);
  ~StubDnsServer();
  StubDnsServer(const StubDnsServer&) = delete;
  StubDnsServer& operator=(const StubDnsServer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

 private:
  void serve(Behaviour behaviour);
  long ask_upstream(unsigned char* packet, std::size_t length, std::size_t capacity) const;
  int upstream_port_ = 0;
  int socket_ = -1;
  int port_ = 0;
  int stop_pipe_[2] = {-1, -1};
  std::thread thread_;
};

class DnsServer {
 public:
  // `config_lines`: dnsmasq configuration lines (mx-host=, host-record=,
  // dns-rr=, server=, ...) added to a base that serves only them: no
  // upstream, no /etc/hosts, NXDOMAIN for other names under the zones
  // named in `local_zones`.
  DnsServer(const std::vector<std::string>& config_lines, const std::vector<std::string>& local_zones);
  ~DnsServer();
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Empty when the server runs; otherwise why not (dnsmasq missing, ...):
  // the test is then skipped with that message.
  const std::string& unavailable() const { return unavailable_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // The names queried so far, as dnsmasq logged them ("query[MX] a.test").
  std::vector<std::string> queries() const;

 private:
  bool wait_ready();
  std::string directory_;
  std::string log_file_;
  int port_ = 0;
  int pid_ = -1;
  std::string unavailable_;
};

}  // namespace clearbounce::testing
