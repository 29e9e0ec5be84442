#include "diagnose/blocklists.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <stdexcept>

#include <toml++/toml.h>

#include "diagnose/data_file.hpp"

namespace clearbounce {
extern const std::string_view builtin_blocklists_toml;  // diagnose/blocklists.toml, embedded at build time
}

namespace clearbounce::diagnose {
namespace {

constexpr std::size_t kMaxZone = 180;  // with 64 nibbles and dots before it, a name stays under 253
constexpr std::size_t kMaxName = 64;
constexpr std::size_t kMaxPage = 200;

struct DataError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(std::string_view source, const toml::node& node, const std::string& what) {
  throw DataError(std::string(source) + ":" + std::to_string(node.source().begin.line) + ": " + what);
}

// Lower-case labels of letters, digits and hyphens, at least two of them.
bool is_zone(std::string_view zone) {
  if (zone.empty() || zone.size() > kMaxZone || zone.find('.') == std::string_view::npos) return false;
  std::size_t label = 0;
  for (std::size_t i = 0; i <= zone.size(); ++i) {
    if (i == zone.size() || zone[i] == '.') {
      if (label == 0 || label > 63 || zone[i - 1] == '-' || zone[i - label] == '-') return false;
      label = 0;
      continue;
    }
    const char c = zone[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    ++label;
  }
  return true;
}

// What a notice may print: no control characters, and none of the marks
// that separate the lists in a sentence ("Name <page>, Name <page>").
bool is_display_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxName && name.front() != ' ' && name.back() != ' ' &&
         std::none_of(name.begin(), name.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte < 0x20 || byte == 0x7f || c == ',' || c == '<' || c == '>';
         });
}

// An http or https URL of printable ASCII, without white space or the
// marks that end a URL in running text.
bool is_page(std::string_view page) {
  const bool scheme = page.starts_with("https://") || page.starts_with("http://");
  const auto host_at = page.find("//") + 2;
  return scheme && page.size() <= kMaxPage && page.size() > host_at && page[host_at] != '/' &&
         std::all_of(page.begin(), page.end(), [](char c) {
           const auto byte = static_cast<unsigned char>(c);
           return byte > 0x20 && byte < 0x7f && c != '<' && c != '>' && c != '"' && c != '\\';
         });
}

std::string string_key(std::string_view source, const toml::table& t, std::string_view key) {
  const auto* node = t.get(key);
  if (node == nullptr) fail(source, t, "missing key '" + std::string(key) + "'");
  const auto* value = node->as_string();
  if (value == nullptr) fail(source, *node, "'" + std::string(key) + "' must be a string");
  return value->get();
}

Blocklist read_entry(std::string_view source, const toml::table& t) {
  for (const auto& [key, node] : t)
    if (key != "zone" && key != "name" && key != "page" && key != "ipv6")
      fail(source, node, "unknown key '" + std::string(key.str()) + "' (zone, name, page, ipv6)");
  Blocklist list;
  list.zone = string_key(source, t, "zone");
  if (!is_zone(list.zone)) fail(source, t, "zone \"" + list.zone + "\" is not a lower-case DNS name");
  list.name = string_key(source, t, "name");
  if (!is_display_name(list.name))
    fail(source, t, "name \"" + list.name + "\": 1 to 64 characters, no control character, comma, < or >");
  list.removal_page = string_key(source, t, "page");
  if (!is_page(list.removal_page))
    fail(source, t, "page \"" + list.removal_page + "\" is not an http or https URL (at most 200 characters)");
  if (const auto* ipv6 = t.get("ipv6")) {
    if (!ipv6->is_boolean()) fail(source, *ipv6, "'ipv6' must be true or false");
    list.ipv6 = ipv6->as_boolean()->get();
  }
  return list;
}

std::vector<Blocklist> read_entries(std::string_view text, std::string_view source) {
  toml::table root;
  try {
    root = toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw DataError(std::string(source) + ":" + std::to_string(e.source().begin.line) + ": " +
                    std::string(e.description()));
  }
  for (const auto& [key, node] : root)
    if (key != "blocklist") fail(source, node, "unknown key '" + std::string(key.str()) + "' ([[blocklist]] tables only)");
  std::vector<Blocklist> entries;
  const auto* array = root["blocklist"].as_array();
  if (array == nullptr) return entries;
  for (const auto& node : *array) {
    const auto* table = node.as_table();
    if (table == nullptr) fail(source, node, "[[blocklist]] must be a table");
    auto entry = read_entry(source, *table);
    if (std::any_of(entries.begin(), entries.end(), [&](const Blocklist& b) { return b.zone == entry.zone; }))
      fail(source, *table, "zone \"" + entry.zone + "\" is listed twice");
    entries.push_back(std::move(entry));
  }
  return entries;
}

bool is_refusal_code(const IpAddress& a) {
  const auto& b = a.bytes();
  return b[12] == 127 && b[13] == 255 && b[14] == 255;
}

bool is_listing_code(const IpAddress& a) { return a.is_v4() && a.bytes()[12] == 127 && !is_refusal_code(a); }

// For the log: why a list's answer says nothing ("127.255.255.254", "timed out").
std::string why_unknown(const DnsAnswer& answer) {
  if (answer.outcome != DnsOutcome::answered || answer.addresses.empty()) return std::string(to_string(answer.outcome));
  std::string codes;
  for (const auto& a : answer.addresses) codes += (codes.empty() ? "" : " ") + a.to_string();
  return "answered " + codes;
}

// The admin's list, when it names the server's own address; else the first
// address of the remote server's family; else the first.
std::optional<IpAddress> stated_choice(const std::vector<IpAddress>& stated, const std::optional<IpAddress>& client,
                                       const std::optional<IpAddress>& remote) {
  if (stated.empty()) return std::nullopt;
  if (client && std::find(stated.begin(), stated.end(), *client) != stated.end()) return client;
  if (remote)
    for (const auto& address : stated)
      if (address.is_v4() == remote->is_v4()) return address;
  return stated.front();
}

}  // namespace

BlocklistData BlocklistData::builtin() {
  BlocklistData data;
  std::string error;
  if (!data.add(builtin_blocklists_toml, "blocklists.toml (built in)", error)) throw std::logic_error(error);
  return data;
}

bool BlocklistData::add(std::string_view text, std::string_view source, std::string& error) {
  std::vector<Blocklist> entries;
  try {
    entries = read_entries(text, source);
  } catch (const DataError& e) {
    error = e.what();
    return false;
  }
  for (auto& entry : entries) {
    const auto known = std::find_if(lists_.begin(), lists_.end(), [&](const Blocklist& b) { return b.zone == entry.zone; });
    if (known != lists_.end()) {
      *known = std::move(entry);
    } else {
      lists_.push_back(std::move(entry));
    }
  }
  return true;
}

bool BlocklistData::add_file(const std::string& path, std::string& error) {
  const auto text = read_data_file(path, kMaxFileBytes, error);
  return text && add(*text, path, error);
}

const Blocklist* BlocklistData::find(std::string_view zone) const {
  const auto found = std::find_if(lists_.begin(), lists_.end(), [&](const Blocklist& b) { return b.zone == zone; });
  return found == lists_.end() ? nullptr : &*found;
}

std::optional<std::vector<Blocklist>> configured_blocklists(const std::vector<std::string>& zones,
                                                            const std::string& admin_file, std::string& error) {
  auto data = BlocklistData::builtin();
  if (!admin_file.empty() && !data.add_file(admin_file, error)) {
    error = "diagnose.blocklists_file: " + error;
    return std::nullopt;
  }
  std::vector<Blocklist> chosen;
  for (const auto& zone : zones) {
    const Blocklist* list = data.find(zone);
    if (list == nullptr) {
      error = "diagnose.blocklist_zones: \"" + zone + "\" has no name and page in the block-list data" +
              " (add it to diagnose.blocklists_file)";
      return std::nullopt;
    }
    chosen.push_back(*list);
  }
  return chosen;
}

std::string query_name(const IpAddress& address, std::string_view zone) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto& b = address.bytes();
  std::string name;
  if (address.is_v4()) {
    for (int i = 15; i >= 12; --i) name += std::to_string(b[static_cast<std::size_t>(i)]) + ".";
  } else {
    for (int i = 15; i >= 0; --i) {
      const auto byte = b[static_cast<std::size_t>(i)];
      name += {kHex[byte & 0xf], '.', kHex[byte >> 4], '.'};
    }
  }
  return name + std::string(zone);
}

Listing listing_of(const DnsAnswer& answer) {
  if (answer.outcome == DnsOutcome::no_such_name) return Listing::not_listed;
  if (answer.outcome != DnsOutcome::answered) return Listing::unknown;
  const bool listed = std::any_of(answer.addresses.begin(), answer.addresses.end(), is_listing_code);
  return listed ? Listing::listed : Listing::unknown;
}

std::optional<IpAddress> choose_sending_address(const std::vector<IpAddress>& stated, std::string_view client_ip,
                                                std::string_view remote_ip, const AddressPolicy& policy,
                                                const SourceFinder& source_toward) {
  const auto client = IpAddress::parse(client_ip);
  const auto remote = IpAddress::parse(remote_ip);
  if (!stated.empty()) {
    const auto chosen = stated_choice(stated, client, remote);
    return policy.may_probe(*chosen) ? chosen : std::nullopt;
  }
  if (client && policy.may_probe(*client)) return client;
  if (remote && source_toward)
    if (const auto source = source_toward(*remote); source && policy.may_probe(*source)) return source;
  return std::nullopt;
}

std::optional<IpAddress> source_address_toward(const IpAddress& remote) {
  sockaddr_storage to{};
  socklen_t length = 0;
  const auto& b = remote.bytes();
  if (remote.is_v4()) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&to);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(25);
    std::memcpy(&v4->sin_addr, b.data() + 12, 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&to);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(25);
    std::memcpy(&v6->sin6_addr, b.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  const int fd = ::socket(to.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_storage from{};
  socklen_t from_length = sizeof from;
  // A UDP connect only picks the route and the source address: nothing is sent.
  const bool found = ::connect(fd, reinterpret_cast<const sockaddr*>(&to), length) == 0 &&
                     ::getsockname(fd, reinterpret_cast<sockaddr*>(&from), &from_length) == 0;
  ::close(fd);
  if (!found) return std::nullopt;
  if (from.ss_family == AF_INET) {
    std::array<std::uint8_t, 4> bytes{};
    std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in*>(&from)->sin_addr, 4);
    return IpAddress::from_v4(bytes);
  }
  std::array<std::uint8_t, 16> bytes{};
  std::memcpy(bytes.data(), &reinterpret_cast<const sockaddr_in6*>(&from)->sin6_addr, 16);
  return IpAddress::from_v6(bytes);
}

Finding from_blocklist_answers(const IpAddress& address, const std::vector<Blocklist>& lists,
                               const std::vector<DnsAnswer>& answers, std::int64_t checked_at) {
  std::string names, pages, not_listed, not_asked;
  for (std::size_t i = 0; i < lists.size() && i < answers.size(); ++i) {
    const auto& list = lists[i];
    switch (listing_of(answers[i])) {
      case Listing::listed:
        names += (names.empty() ? "" : ", ") + list.name;
        pages += (pages.empty() ? "" : " ") + list.removal_page;
        break;
      case Listing::not_listed: not_listed += (not_listed.empty() ? "" : ", ") + list.zone; break;
      case Listing::unknown: not_asked += (not_asked.empty() ? "" : ", ") + list.zone + " (" + why_unknown(answers[i]) + ")"; break;
    }
  }
  Finding finding;
  finding.checked_at = checked_at;
  finding.summary = "block lists, " + address.to_string() + ": listed by " + (names.empty() ? "none" : names) + "; not listed by " +
                    (not_listed.empty() ? "none" : not_listed) + "; no answer from " +
                    (not_asked.empty() ? "none" : not_asked);
  if (names.empty()) return finding;  // the report's own claim stands, without our facts
  finding.category = "reputation.blocklisted";
  finding.facts = {{"listed_address", address.to_string()},
                   {"blocklists_listed", names},
                   {"blocklist_removal", pages},
                   {"checked_at", rfc5322_utc(checked_at)}};
  return finding;
}

}  // namespace clearbounce::diagnose
