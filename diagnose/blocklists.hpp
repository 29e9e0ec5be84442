// The block-list check: when a remote server turned our mail away because
// of a DNS block list, which of the configured lists hold OUR sending
// address, and where our administrators ask for removal. The lists are
// data (diagnose/blocklists.toml, built in, and the administrator's own
// file); the look is a DNS query of type A per list, never a connection.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "diagnose/address_policy.hpp"
#include "diagnose/dns.hpp"
#include "diagnose/findings.hpp"

namespace clearbounce::diagnose {

// One DNS block list.
struct Blocklist {
  std::string zone;          // "zen.spamhaus.org"
  std::string name;          // "Spamhaus ZEN", what the notice calls it
  std::string removal_page;  // "https://check.spamhaus.org/"
  bool ipv6 = false;         // whether it lists IPv6 addresses too
};

// The lists known, in file order: the shipped ones, then the
// administrator's (an entry for a zone already known replaces it).
class BlocklistData {
 public:
  static constexpr std::size_t kMaxFileBytes = 1 << 20;  // of the administrator's file
  static BlocklistData builtin();  // the shipped file; checked by the tests, never fails
  // Adds the entries of `text`; false, with "source:line: what" in `error`,
  // when an entry is not well-formed (and nothing is added).
  bool add(std::string_view text, std::string_view source, std::string& error);
  bool add_file(const std::string& path, std::string& error);

  const Blocklist* find(std::string_view zone) const;
  const std::vector<Blocklist>& lists() const { return lists_; }

 private:
  std::vector<Blocklist> lists_;
};

// The lists to ask: diagnose.blocklist_zones, looked up in the shipped data
// and `admin_file` (diagnose.blocklists_file, may be empty). Null, with the
// reason in `error`, for a file that does not load or a zone no data names.
std::optional<std::vector<Blocklist>> configured_blocklists(const std::vector<std::string>& zones,
                                                            const std::string& admin_file, std::string& error);

// The name asked for `address` under `zone`: "1.2.0.192.zen.spamhaus.org"
// for 192.0.2.1; an IPv6 address as 32 nibbles, last first.
std::string query_name(const IpAddress& address, std::string_view zone);

// What one list's answer says about the address.
enum class Listing {
  listed,      // A records in 127.0.0.0/8, other than 127.255.255.x
  not_listed,  // NXDOMAIN
  unknown,     // refused (127.255.255.x), timed out, SERVFAIL, no records, another address
};
Listing listing_of(const DnsAnswer& answer);

// Which address of ours to look up, in this order:
//   1. the addresses the administrator states (diagnose.sending_addresses):
//      the one the remote server names (`client_ip`) if it is one of them,
//      else the first of the remote server's family, else the first;
//   2. `client_ip`, the remote server's words ("client [192.0.2.1]");
//   3. the address the kernel would send from toward `remote_ip` (the
//      remote server's, as reported), found by `source_toward`.
// Each must pass `policy` (no private, loopback, documentation address,
// ...): nullopt when none does. The remote's words only choose a name to
// ask under our own configured zones.
using SourceFinder = std::function<std::optional<IpAddress>(const IpAddress& remote)>;
std::optional<IpAddress> choose_sending_address(const std::vector<IpAddress>& stated, std::string_view client_ip,
                                                std::string_view remote_ip, const AddressPolicy& policy,
                                                const SourceFinder& source_toward);

// The local address the kernel picks for a packet to `remote`: a connected
// UDP socket and getsockname(), no packet sent. Nullopt without a route.
std::optional<IpAddress> source_address_toward(const IpAddress& remote);

// The finding of one check: category reputation.blocklisted with the facts
// listed_address, blocklists_listed (the names, ", " between them),
// blocklist_removal (their pages, in the same order, " " between them) and
// checked_at when a list holds the address; otherwise nothing learned (the
// report's own claim stands). `answers[i]` is `lists[i]`'s; a list not
// asked has an answer with outcome `failed`.
Finding from_blocklist_answers(const IpAddress& address, const std::vector<Blocklist>& lists,
                               const std::vector<DnsAnswer>& answers, std::int64_t checked_at);

}  // namespace clearbounce::diagnose
