// Where Postfix sends mail for a domain, so that a probe looks at the
// server the MTA really used: Postfix's report of a certificate failure
// names no host. Postfix takes the transport_maps entry for the domain
// (such as "smtp:[relay.example.net]:587"), else relayhost, else the
// domain's MX (transport(5), postconf(5)). This file reads those values;
// the lookups in the tables are the caller's (postmap -q).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace clearbounce::diagnose {

struct NextHop {
  std::string host;         // a host or domain name, or an address (without brackets)
  std::uint16_t port = 25;
  bool mx_lookup = true;    // "host" is a domain whose MX records are looked up; "[host]": no MX lookup
  std::string destination;  // as written ("[mail.example.net]:587"): the key of smtp_tls_policy_maps
};

// A transport_maps value ("smtp:[mail.example.net]:587", "relay:example.net",
// "smtp:", ":[10.0.0.1]") for mail to `domain`. Null when the transport does
// not deliver over SMTP to a host (error:, discard:, local:, lmtp:, ...,
// or a value that does not parse): nothing to probe. An empty next hop
// means the domain itself.
std::optional<NextHop> transport_next_hop(std::string_view value, std::string_view domain);

// A host or domain name as Postfix's tables and tools take it: letters,
// digits, '-' and '.', at most 253 bytes, starting with neither '.' nor '-'
// (nothing a tool could take for an option).
bool is_plain_domain(std::string_view name);

// A relayhost value ("[mail.isp.example]", "[mail.isp.example]:submission",
// "smtp.isp.example:587"); null when it is empty or does not parse.
std::optional<NextHop> relayhost_next_hop(std::string_view value);

}  // namespace clearbounce::diagnose
