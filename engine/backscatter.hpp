// Backscatter: a remote report about a message that never passed through
// this mail system. Spammers forge senders; the real owner of the address
// then gets reports for mail they never sent. The report is still rewritten,
// and says so.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "dsn/mime.hpp"

namespace clearbounce::engine::backscatter {

// The names this mail system writes into Received lines ("by NAME") and
// Message-IDs ("<...@NAME>"). A name stands for itself and for every name
// under it: "example.com" also covers "mx1.example.com".
class OwnNames {
 public:
  // `mta_hostnames`: what the MTA calls itself (Postfix's {j}); each also
  // brings its parent domain when that has a dot in it (mx1.example.com ->
  // example.com), since the mail may have left through a sibling host.
  // `hostnames` and `domains`: from the configuration, taken as they are.
  OwnNames(const std::vector<std::string>& mta_hostnames, const std::vector<std::string>& hostnames,
           const std::vector<std::string>& domains);

  bool empty() const { return names_.empty(); }
  bool covers(std::string_view host) const;  // host: any case, a final dot allowed

 private:
  std::vector<std::string> names_;  // lower-case
};

enum class Origin {
  unknown,    // no returned headers, no Received line in them, or no names to compare with
  ours,       // a Received line or the Message-ID names this system
  elsewhere,  // Received lines, none of them ours, and a Message-ID not ours
};

// Where the returned message (its header section, as returned in the
// report) came from. `returned` may be null.
Origin origin_of(const dsn::MimePart* returned, const OwnNames& names);

}  // namespace clearbounce::engine::backscatter
