// What the diagnosis costs a report, with the real components of the tests
// on loopback: dnsmasq serving the zones, an SMTP peer with an expired
// certificate. Prints, for a Postfix report "Server certificate not
// verified":
//   cold     a destination not yet in the cache: DNS, connection, EHLO,
//            STARTTLS, handshake (the probe's latency), one per domain
//   warm     the same destination again: the engine's whole rewrite with
//            the answer from the cache (the issue's goal: p99 < 2 ms)
//   none     the same report without a diagnosis, for comparison
//   silent   a DNS server that never answers: the report waits no longer
//            than its deadline
//   ordinary a message that is no report, with and without the diagnosis
//            configured: no question is asked, the cost is the same
// Run by hand (bench/README.md): build/bench/clearbounce_bench_diagnosis [rounds]
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include "engine/diagnosis.hpp"
#include "engine/engine.hpp"
#include "tests/diagnose/dns_server.hpp"
#include "tests/diagnose/test_tls.hpp"
#include "tests/support/postfix_reports.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using clearbounce::diagnose::DiagnoseSettings;
using clearbounce::diagnose::Diagnoser;
using clearbounce::engine::Engine;
using clearbounce::engine::Options;

constexpr int kDomains = 20;  // cold looks, one destination each

std::string postfix_report(const std::string& recipient) {
  return clearbounce::testing::postfix_report({{recipient, "Server certificate not verified", "4.7.5"}});
}

const std::string kOrdinary =
    "From: bob@example.org\r\nTo: alice@example.com\r\nSubject: Lunch\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\nShall we meet at noon?\r\n";

struct Timings {
  std::vector<double> ms;
  std::string categories;
  void print(const char* name) {
    std::sort(ms.begin(), ms.end());
    const auto at = [&](double q) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(q * static_cast<double>(ms.size())))]; };
    std::printf("%-9s n=%-6zu p50=%8.3f ms  p99=%8.3f ms  max=%8.3f ms  %s\n", name, ms.size(), at(0.5), at(0.99),
                ms.back(), categories.c_str());
  }
};

// Times `engine.process` of each message; keeps the first outcome's categories.
Timings time_process(const Engine& engine, const std::vector<std::string>& messages, const Options& options) {
  Timings t;
  for (const auto& message : messages) {
    const auto start = Clock::now();
    const auto outcome = engine.process(message, options);
    t.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    if (t.categories.empty())
      for (const auto& c : outcome.categories) t.categories += c + " ";
  }
  return t;
}

DiagnoseSettings settings_for(const std::string& resolver, int port, const std::string& ca_file) {
  DiagnoseSettings s;
  s.resolvers = {resolver};
  s.allow_networks = {"127.0.0.0/8"};
  s.smtp_port = static_cast<std::uint16_t>(port);
  s.ca_file = ca_file;
  s.helo_name = "bench.clearbounce.test";
  s.deadline = std::chrono::milliseconds(2000);
  return s;
}

Options with_diagnosis(Diagnoser& diagnoser, std::chrono::milliseconds deadline) {
  Options options;
  options.locale = "en";
  // A new deadline per report, as the milter gives each one.
  options.diagnose = [&diagnoser, deadline](const std::vector<clearbounce::diagnose::Question>& questions) {
    return diagnoser.diagnose(questions, Clock::now() + deadline);
  };
  return options;
}

int run(int rounds) {
  const auto directory = std::filesystem::temp_directory_path() / ("clearbounce-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  clearbounce::testing::TestPki pki(directory.string());
  const auto expired = pki.issue("expired", {"mx.expired.test", -10 * 86400, -2 * 86400});
  clearbounce::testing::SmtpPeer peer({clearbounce::testing::SmtpPeer::Behaviour::starttls, expired, false, ""});
  std::vector<std::string> zone = {"host-record=mx.expired.test,127.0.0.1"};
  for (int i = 0; i < kDomains; ++i) zone.push_back("mx-host=d" + std::to_string(i) + ".test,mx.expired.test,10");
  clearbounce::testing::DnsServer dns(zone, {"test"});
  if (!dns.unavailable().empty()) {
    std::fprintf(stderr, "skipped: %s\n", dns.unavailable().c_str());
    return 77;
  }
  std::vector<std::string> errors;
  const auto engine = Engine::load({}, errors);
  std::string error;
  auto diagnoser = Diagnoser::start(settings_for(dns.address(), peer.port(), pki.ca_file()), error);
  if (!engine || !diagnoser) {
    std::fprintf(stderr, "cannot start: %s\n", errors.empty() ? error.c_str() : errors.front().c_str());
    return 1;
  }
  const auto options = with_diagnosis(*diagnoser, std::chrono::milliseconds(2000));
  Options plain;
  plain.locale = "en";
  std::vector<std::string> cold_reports;
  for (int i = 0; i < kDomains; ++i) cold_reports.push_back(postfix_report("carol@d" + std::to_string(i) + ".test"));
  time_process(*engine, cold_reports, options).print("cold");
  const std::vector<std::string> warm(static_cast<std::size_t>(rounds), cold_reports.front());
  time_process(*engine, warm, options).print("warm");
  time_process(*engine, warm, plain).print("none");

  clearbounce::testing::StubDnsServer silent(clearbounce::testing::StubDnsServer::Behaviour::silent);
  auto waiting = Diagnoser::start(settings_for(silent.address(), peer.port(), pki.ca_file()), error);
  const auto deadline = std::chrono::milliseconds(500);
  std::vector<std::string> silent_reports;
  for (int i = 0; i < 5; ++i) silent_reports.push_back(postfix_report("carol@s" + std::to_string(i) + ".test"));
  auto bounded = time_process(*engine, silent_reports, with_diagnosis(*waiting, deadline));
  bounded.categories += "(deadline 500 ms)";
  bounded.print("silent");

  const std::vector<std::string> ordinary(static_cast<std::size_t>(rounds), kOrdinary);
  time_process(*engine, ordinary, options).print("ordinary+");
  time_process(*engine, ordinary, plain).print("ordinary");
  const auto counters = diagnoser->counters();
  std::printf("counters: questions=%llu cache_hits=%llu lookups=%llu probes=%llu refined=%llu timed_out=%llu\n",
              static_cast<unsigned long long>(counters.questions), static_cast<unsigned long long>(counters.cache_hits),
              static_cast<unsigned long long>(counters.lookups), static_cast<unsigned long long>(counters.probes),
              static_cast<unsigned long long>(counters.refined), static_cast<unsigned long long>(counters.timed_out));
  std::filesystem::remove_all(directory);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  return run(argc > 1 ? std::max(1, std::atoi(argv[1])) : 10000);
}
