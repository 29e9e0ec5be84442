// Which IP addresses a probe may reach. A delivery report's remote host and
// the DNS answers about it point wherever their authors like; without this
// check a report could make us connect to our own loopback services or to
// the private network behind us.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::diagnose {

// An IPv4 or IPv6 address. IPv4 is kept as its IPv4-mapped IPv6 form
// (::ffff:a.b.c.d), so that one comparison serves both families.
class IpAddress {
 public:
  static std::optional<IpAddress> parse(std::string_view text);  // "192.0.2.1", "2001:db8::1"
  static IpAddress from_v4(const std::array<std::uint8_t, 4>& bytes);
  static IpAddress from_v6(const std::array<std::uint8_t, 16>& bytes);

  bool is_v4() const;  // an IPv4 address (stored as ::ffff:a.b.c.d)
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }
  std::string to_string() const;  // "192.0.2.1", "2001:db8::1"

  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  std::array<std::uint8_t, 16> bytes_{};
};

// An address block: "10.0.0.0/8", "fd00::/8", or one address.
struct Network {
  IpAddress base;
  int prefix_length = 128;  // over the 128-bit form: an IPv4 /8 is stored as /104

  static std::optional<Network> parse(std::string_view text);
  bool contains(const IpAddress& address) const;
  std::string to_string() const;
};

class AddressPolicy {
 public:
  // `allowed`: diagnose.allow_networks, each "address/prefix" or one
  // address. Empty `error` and a policy, or the first entry that does not
  // parse, named in `error`.
  static std::optional<AddressPolicy> make(const std::vector<std::string>& allowed, std::string& error);

  // Why an address may not be probed ("a loopback address", ...), or an
  // empty view when it may.
  std::string_view refusal(const IpAddress& address) const;
  bool may_probe(const IpAddress& address) const { return refusal(address).empty(); }

 private:
  std::vector<Network> allowed_;
};

}  // namespace clearbounce::diagnose
