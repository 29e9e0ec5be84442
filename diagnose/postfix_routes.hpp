// The next hop Postfix uses for a domain, found the way Postfix finds it:
// the transport_maps entry for the domain or one of its parents
// (".example.com"), then "*", then relayhost; without any of them, the
// domain's own MX. The values come from Postfix's own tools (postconf -h,
// postmap -q), so every table type Postfix reads works.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnose/next_hop.hpp"

namespace clearbounce::diagnose {

class PostfixRoutes {
 public:
  // Reads relayhost and transport_maps of the Postfix whose main.cf is in
  // `config_directory` (postconf -c). Null, with `error`, when postconf
  // cannot be run or fails.
  static std::optional<PostfixRoutes> read(const std::string& config_directory, std::string& error);

  // Where mail for `domain` goes: a next hop from transport_maps or
  // relayhost, or nullopt for the domain's MX. `nothing_to_probe` is set
  // when the transport does not speak SMTP (error:, local:, lmtp:, ...).
  // Runs postmap -q, at most once per domain (remembered).
  std::optional<NextHop> route(std::string_view domain, bool& nothing_to_probe) const;

  PostfixRoutes(const PostfixRoutes& other);
  PostfixRoutes& operator=(const PostfixRoutes&) = delete;

 private:
  PostfixRoutes() = default;
  std::optional<std::string> transport_entry(std::string_view domain) const;

  std::string config_directory_;
  std::vector<std::string> transport_maps_;
  std::optional<NextHop> relayhost_;
  struct Route {
    std::optional<NextHop> hop;
    bool nothing_to_probe = false;
  };
  mutable std::mutex mutex_;
  mutable std::map<std::string, Route, std::less<>> remembered_;
};

// Runs a program (no shell) and returns what it wrote to standard output,
// or nullopt when it could not run, failed, or took longer than `limit`.
// Exposed for the tests.
std::optional<std::string> run_program(const std::vector<std::string>& argv, std::chrono::milliseconds limit);

}  // namespace clearbounce::diagnose
