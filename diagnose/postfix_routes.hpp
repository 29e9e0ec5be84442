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
    std::string why_unknown;
  };
  Route route(std::string_view domain, std::chrono::steady_clock::time_point deadline) const;

  PostfixRoutes(const PostfixRoutes& other);
  PostfixRoutes& operator=(const PostfixRoutes&) = delete;

 private:
  PostfixRoutes() = default;
  // The entry's value; nullopt: no entry. A failed lookup sets `failure`.
  std::optional<std::string> transport_entry(std::string_view domain, std::chrono::steady_clock::time_point deadline,
                                             std::string& failure) const;

  std::string config_directory_;
  std::vector<std::string> transport_maps_;
  std::optional<NextHop> relayhost_;
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
