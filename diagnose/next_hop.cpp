#include "diagnose/next_hop.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include "diagnose/address_policy.hpp"

namespace clearbounce::diagnose {
namespace {

// The transports that speak SMTP to the next hop: Postfix's smtp(8) under
// its usual master.cf names.
constexpr std::array kSmtpTransports = {std::string_view("smtp"), std::string_view("relay")};

// Port numbers and the service names of /etc/services that a next hop
// for mail uses.
std::optional<std::uint16_t> port_of(std::string_view text) {
  if (text == "smtp") return 25;
  if (text == "submission") return 587;
  if (text == "submissions" || text == "smtps") return 465;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

bool plausible_host(std::string_view host) { return IpAddress::parse(host) || is_plain_domain(host); }

// "host", "host:port", "[host]", "[host]:port", "[ipv6]:port"; an IPv6
// address is always bracketed (or written "ipv6:..." inside them).
std::optional<NextHop> parse_destination(std::string_view text) {
  NextHop hop;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    hop.host = std::string(text.substr(1, close - 1));
    if (hop.host.starts_with("ipv6:") || hop.host.starts_with("IPv6:")) hop.host.erase(0, 5);
    hop.mx_lookup = false;
    rest = text.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return std::nullopt;
  } else {
    const auto colon = text.find(':');
    hop.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (!rest.empty()) {
    const auto port = port_of(rest.substr(1));
    if (!port) return std::nullopt;
    hop.port = *port;
  }
  if (!plausible_host(hop.host)) return std::nullopt;
  hop.destination = std::string(text);
  return hop;
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool is_plain_domain(std::string_view name) {
  if (name.empty() || name.size() > 253 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
      return false;
  return true;
}

std::optional<NextHop> transport_next_hop(std::string_view value, std::string_view domain) {
  value = trimmed(value);
  const auto colon = value.find(':');
  const std::string_view transport = value.substr(0, colon);
  const std::string_view destination = colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1);
  // An empty transport keeps the default one (smtp, as Postfix ships).
  const bool smtp = transport.empty() ||
                    std::find(kSmtpTransports.begin(), kSmtpTransports.end(), transport) != kSmtpTransports.end();
  if (!smtp) return std::nullopt;
  if (destination.empty()) return parse_destination(domain);
  return parse_destination(destination);
}

std::optional<NextHop> relayhost_next_hop(std::string_view value) {
  value = trimmed(value);
  if (value.empty()) return std::nullopt;
  // Postfix allows a list ("[a], [b]"): the first is tried first.
  const auto separator = value.find_first_of(", ");
  return parse_destination(value.substr(0, separator));
}

}  // namespace clearbounce::diagnose
