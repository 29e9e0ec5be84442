#include "diagnose/address_policy.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace clearbounce::diagnose {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

// The blocks no probe may reach, and how a log line names them. IPv4 blocks
// are written as IPv4; Network::parse stores them in the mapped form.
struct RefusedBlock {
  std::string_view network;
  std::string_view kind;
};
constexpr std::array kRefusedBlocks = {
    RefusedBlock{"0.0.0.0/8", "an unspecified address"},
    RefusedBlock{"10.0.0.0/8", "a private address"},
    RefusedBlock{"100.64.0.0/10", "a shared (carrier-grade NAT) address"},
    RefusedBlock{"127.0.0.0/8", "a loopback address"},
    RefusedBlock{"169.254.0.0/16", "a link-local address"},
    RefusedBlock{"172.16.0.0/12", "a private address"},
    RefusedBlock{"192.0.0.0/24", "a reserved address"},
    RefusedBlock{"192.0.2.0/24", "a documentation address"},
    RefusedBlock{"192.168.0.0/16", "a private address"},
    RefusedBlock{"198.18.0.0/15", "a benchmarking address"},
    RefusedBlock{"198.51.100.0/24", "a documentation address"},
    RefusedBlock{"203.0.113.0/24", "a documentation address"},
    RefusedBlock{"224.0.0.0/4", "a multicast address"},
    RefusedBlock{"240.0.0.0/4", "a reserved address"},
    RefusedBlock{"::/128", "an unspecified address"},
    RefusedBlock{"::1/128", "a loopback address"},
    RefusedBlock{"::/96", "a reserved address"},  // IPv4-compatible, deprecated
    RefusedBlock{"64:ff9b:1::/48", "a private address"},  // local-use NAT64
    RefusedBlock{"100::/64", "a reserved address"},       // discard-only
    RefusedBlock{"2001:db8::/32", "a documentation address"},
    RefusedBlock{"3fff::/20", "a documentation address"},
    RefusedBlock{"fc00::/7", "a unique local address"},
    RefusedBlock{"fe80::/10", "a link-local address"},
    RefusedBlock{"ff00::/8", "a multicast address"},
};

const std::vector<std::pair<Network, std::string_view>>& refused_networks() {
  static const auto networks = [] {
    std::vector<std::pair<Network, std::string_view>> parsed;
    for (const auto& block : kRefusedBlocks) parsed.emplace_back(*Network::parse(block.network), block.kind);
    return parsed;
  }();
  return networks;
}

// The IPv4 address that an IPv6 translation or tunnelling address carries,
// which is where a packet to it ends up: NAT64's well-known prefix
// (64:ff9b::/96) and 6to4 (2002::/16).
std::optional<IpAddress> embedded_v4(const IpAddress& address) {
  const auto& b = address.bytes();
  constexpr std::array<std::uint8_t, 12> kNat64 = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::equal(kNat64.begin(), kNat64.end(), b.begin())) return IpAddress::from_v4({b[12], b[13], b[14], b[15]});
  if (b[0] == 0x20 && b[1] == 0x02) return IpAddress::from_v4({b[2], b[3], b[4], b[5]});
  return std::nullopt;
}

std::string_view refused_kind(const IpAddress& address) {
  for (const auto& [network, kind] : refused_networks())
    if (network.contains(address)) return kind;
  return {};
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;  // INET6_ADDRSTRLEN - 1
  const std::string terminated(text);
  std::array<std::uint8_t, 4> v4{};
  if (inet_pton(AF_INET, terminated.c_str(), v4.data()) == 1) return from_v4(v4);
  std::array<std::uint8_t, 16> v6{};
  if (inet_pton(AF_INET6, terminated.c_str(), v6.data()) == 1) return from_v6(v6);
  return std::nullopt;
}

IpAddress IpAddress::from_v4(const std::array<std::uint8_t, 4>& bytes) {
  IpAddress address;
  std::copy(kMappedPrefix.begin(), kMappedPrefix.end(), address.bytes_.begin());
  std::copy(bytes.begin(), bytes.end(), address.bytes_.begin() + 12);
  return address;
}

IpAddress IpAddress::from_v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress address;
  address.bytes_ = bytes;
  return address;
}

bool IpAddress::is_v4() const { return std::equal(kMappedPrefix.begin(), kMappedPrefix.end(), bytes_.begin()); }

std::string IpAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data() + 12, text, sizeof text);
  } else {
    inet_ntop(AF_INET6, bytes_.data(), text, sizeof text);
  }
  return text;
}

std::optional<Network> Network::parse(std::string_view text) {
  const auto slash = text.find('/');
  const auto address = IpAddress::parse(text.substr(0, slash));
  if (!address) return std::nullopt;
  const int offset = address->is_v4() ? 96 : 0;
  Network network{*address, 128};
  if (slash == std::string_view::npos) return network;
  const std::string_view digits = text.substr(slash + 1);
  int length = -1;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), length);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.size() > 3 || length < 0 ||
      length + offset > 128)
    return std::nullopt;
  network.prefix_length = length + offset;
  return network;
}

bool Network::contains(const IpAddress& address) const {
  const auto& want = base.bytes();
  const auto& have = address.bytes();
  const int whole_bytes = prefix_length / 8;
  if (!std::equal(want.begin(), want.begin() + whole_bytes, have.begin())) return false;
  const int rest = prefix_length % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (want[whole_bytes] & mask) == (have[whole_bytes] & mask);
}

std::string Network::to_string() const {
  return base.to_string() + "/" + std::to_string(base.is_v4() ? prefix_length - 96 : prefix_length);
}

std::optional<AddressPolicy> AddressPolicy::make(const std::vector<std::string>& allowed, std::string& error) {
  AddressPolicy policy;
  for (const auto& entry : allowed) {
    const auto network = Network::parse(entry);
    if (!network) {
      error = "diagnose.allow_networks: \"" + entry + "\" is not an address or an address/prefix";
      return std::nullopt;
    }
    policy.allowed_.push_back(*network);
  }
  return policy;
}

std::string_view AddressPolicy::refusal(const IpAddress& address) const {
  const auto inner = embedded_v4(address);
  const auto allowed = [&](const IpAddress& a) {
    return std::any_of(allowed_.begin(), allowed_.end(), [&](const Network& n) { return n.contains(a); });
  };
  if (allowed(address) || (inner && allowed(*inner))) return {};
  if (const auto kind = refused_kind(address); !kind.empty()) return kind;
  if (inner) return refused_kind(*inner);
  return {};
}

}  // namespace clearbounce::diagnose
