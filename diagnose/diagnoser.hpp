// The diagnosis service: questions from any thread, answered by one event
// loop thread that runs the DNS lookups and SMTP probes (non-blocking), with
// a cache per destination, a limit on concurrent probes and a deadline per
// question. A question's asker waits at most until its deadline and then
// goes on with "nothing learned"; the loop finishes the work in the
// background within its own bound, and the cache keeps the result for the
// next report to that destination.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "diagnose/blocklists.hpp"
#include "diagnose/domain_suggestions.hpp"
#include "diagnose/findings.hpp"
#include "diagnose/postfix_routes.hpp"

namespace clearbounce::diagnose {

struct DiagnoseSettings {
  std::chrono::milliseconds deadline{5000};    // diagnose.timeout_ms: per report
  std::chrono::seconds cache_ttl{600};         // diagnose.cache_seconds: findings, and "nothing learned"
  std::size_t max_concurrent_probes = 8;       // diagnose.max_probes
  std::string helo_name = "localhost";         // diagnose.helo_name: what probes say in EHLO
  // The trust anchors: diagnose.ca_file, else those Postfix's SMTP client
  // uses (smtp_tls_CAfile, smtp_tls_CApath), else the system's; a probe
  // trusting other anchors than the MTA would judge its certificates wrongly.
  std::string ca_file;
  std::string ca_directory;
  bool with_system_cas = false;  // also the system's, beside ca_file or ca_directory
  std::vector<std::string> resolvers;          // diagnose.resolvers: empty = /etc/resolv.conf
  std::vector<std::string> allow_networks;     // diagnose.allow_networks
  std::uint16_t smtp_port = 25;                // the port probed when no route names one
  // Where the MTA sends each domain (transport_maps, relayhost); null: to
  // the domain's MX. A routed domain's own DNS is not looked at: the MTA
  // did not use it either.
  std::shared_ptr<const PostfixRoutes> routes;
  // The block-list check (diagnose.check_blocklists): the lists asked
  // (diagnose.blocklist_zones with their names and pages) and the
  // addresses we send from (diagnose.sending_addresses), if stated.
  bool check_blocklists = true;
  std::vector<Blocklist> blocklists;
  std::vector<IpAddress> sending_addresses;
  // "Did you mean bob@gmail.com?" for a recipient domain that does not
  // exist (diagnose.suggest_domains, diagnose.domains_file): the
  // well-known mail domains; null: no suggestions. A candidate is
  // suggested only when its MX lookup finds mail servers now.
  std::shared_ptr<const MailDomains> mail_domains;
};

// What is open about one failed recipient.
struct Question {
  // The domain's DNS only, or also its mail server; or the block lists
  // that may hold our own sending address (blocklists.hpp).
  enum class Look { domain, server, blocklists };
  Look look = Look::server;
  std::string domain;       // the recipient's domain
  std::string remote_host;  // the server the report names; empty: the domain's first MX
  // Look::blocklists: the address the remote server says we came from
  // ("client [192.0.2.1]", its words), and the remote server's address as
  // reported; they only choose our address (choose_sending_address).
  std::string client_ip{};
  std::string remote_ip{};
  std::string our_address{};  // filled in by the service: the address it chose from these
};

struct DiagnoseCounters {
  std::uint64_t questions = 0;
  std::uint64_t cache_hits = 0;        // answered from the cache, or joined a look under way
  std::uint64_t lookups = 0;           // DNS queries sent
  std::uint64_t probes = 0;            // SMTP connections made
  std::uint64_t refined = 0;           // questions answered with a category
  std::uint64_t timed_out = 0;         // askers that gave up at their deadline
  std::uint64_t refused_by_policy = 0; // addresses not probed (AddressPolicy)
};

class Diagnoser {
 public:
  // Null, with the reason in `error`, when the settings are wrong (a
  // network or resolver that does not parse, an unreadable CA file) or the
  // loop thread cannot start.
  static std::unique_ptr<Diagnoser> start(const DiagnoseSettings& settings, std::string& error);
  ~Diagnoser();  // stops the loop; open questions end with nothing learned
  Diagnoser(const Diagnoser&) = delete;
  Diagnoser& operator=(const Diagnoser&) = delete;

  // Thread-safe. Waits until the finding or `deadline`, whichever is first.
  Finding diagnose(const Question& question, std::chrono::steady_clock::time_point deadline);
  // Several at once (a report's recipients at different domains): all are
  // looked at together, each answered by `deadline`; in the same order.
  std::vector<Finding> diagnose(const std::vector<Question>& questions,
                                std::chrono::steady_clock::time_point deadline);
  DiagnoseCounters counters() const;
  // For the log at start: which server a look probes (the MTA's routes,
  // or the domains' MX where there are none) and the trust anchors.
  std::string describe() const;

 private:
  struct Loop;
  explicit Diagnoser(std::unique_ptr<Loop> loop);
  std::unique_ptr<Loop> loop_;
};

}  // namespace clearbounce::diagnose
