// The next hop Postfix uses for a domain, found the way Postfix finds it:
// the transport_maps entry for the domain or one of its parents
// (".example.com"), then "*", then relayhost; without any of them, the
// domain's own MX. With it, the TLS policy for that next hop
// (smtp_tls_policy_maps, else smtp_tls_security_level). The values come
// from Postfix's own tools (postconf -h, postmap -q), so every table type
// Postfix reads works.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnose/next_hop.hpp"
#include "diagnose/tls_policy.hpp"

namespace clearbounce::diagnose {

class PostfixRoutes {
 public:
  // Reads relayhost, transport_maps and the TLS settings of the Postfix
  // whose main.cf is in `config_directory` (postconf -c). Null, with
  // `error`, when postconf cannot be run or fails.
  static std::optional<PostfixRoutes> read(const std::string& config_directory, std::string& error);

  // Where mail for `domain` goes. Runs postmap -q, each run bounded by
  // `deadline`; an answer is remembered for a few minutes (the admin may
  // change the tables), a failure is not.
  struct Route {
    enum class Kind {
      mx,         // no entry and no relayhost: the domain's MX
      next_hop,   // a transport_maps entry or relayhost: `hop`
      not_smtp,   // the transport does not speak SMTP (error:, local:, lmtp:, ...)
      unknown,    // a table could not be read in time: nothing may be probed
    };
    Kind kind = Kind::mx;
    NextHop hop;
    TlsPolicy tls;
    std::vector<std::string> certificate_match;  // tls.match, else the level's default
    std::string why_unknown;
  };
  Route route(std::string_view domain, std::chrono::steady_clock::time_point deadline) const;

  // The trust anchors Postfix's SMTP client verifies with: smtp_tls_CAfile
  // and smtp_tls_CApath, and the system's too if tls_append_default_CA.
  // Both empty: Postfix names none (the probe then uses the system's).
  struct TrustAnchors {
    std::string file;
    std::string directory;
    bool with_system_defaults = false;
  };
  const TrustAnchors& trust_anchors() const { return trust_; }

  PostfixRoutes(const PostfixRoutes& other);
  PostfixRoutes& operator=(const PostfixRoutes&) = delete;

 private:
  PostfixRoutes() = default;
  // The first value any of `keys` has in any of `maps`, in that order;
  // nullopt: none. A failed lookup sets `failure`.
  std::optional<std::string> first_entry(const std::vector<std::string>& keys, const std::vector<std::string>& maps,
                                         std::chrono::steady_clock::time_point deadline, std::string& failure) const;
  // The TLS policy for mail to `next_hop` (a domain, or a route's
  // destination as written); false, with route.why_unknown, when a table
  // could not be read or holds a policy that does not parse.
  bool find_tls_policy(std::string_view next_hop, Route& route, std::chrono::steady_clock::time_point deadline) const;

  std::string config_directory_;
  std::vector<std::string> transport_maps_;
  std::optional<NextHop> relayhost_;
  TlsPolicy default_tls_;                       // smtp_tls_security_level
  std::vector<std::string> tls_policy_maps_;    // smtp_tls_policy_maps
  std::vector<std::string> verify_cert_match_;  // smtp_tls_verify_cert_match
  std::vector<std::string> secure_cert_match_;  // smtp_tls_secure_cert_match
  TrustAnchors trust_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::pair<Route, std::chrono::steady_clock::time_point>, std::less<>> remembered_;
};

// How a program run (no shell) ended, and what it wrote.
struct ProgramRun {
  bool finished = false;  // it exited by itself within the limit
  int exit_status = -1;   // when finished
  std::string output;     // standard output
  std::string errors;     // standard error
};
ProgramRun run_program(const std::vector<std::string>& argv, std::chrono::milliseconds limit);

}  // namespace clearbounce::diagnose
