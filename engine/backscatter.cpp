#include "engine/backscatter.hpp"

#include <algorithm>

#include "dsn/ascii.hpp"

namespace clearbounce::engine::backscatter {
namespace {

using dsn::detail::ascii_lower;

std::string normalised(std::string_view name) {
  std::string out(name);
  for (char& c : out) c = ascii_lower(c);
  while (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

bool same_name(std::string_view a, std::string_view b) { return dsn::detail::iequals(a, b); }

// Where tokens of a Received line end: "from a.example (b.example
// [192.0.2.1]) by c.example with ESMTP id X for <u@d.example>; date".
bool separates(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '(' || c == ')' || c == '[' || c == ']' ||
         c == '<' || c == '>' || c == ';' || c == ',' || c == '=';
}

// Any token of the field's value that names this system (the "by" host of
// a line we added; the "from" host of the line the next server added).
bool received_by_us(std::string_view value, const OwnNames& names) {
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && separates(value[i])) ++i;
    const std::size_t start = i;
    while (i < value.size() && !separates(value[i])) ++i;
    if (i > start && names.covers(value.substr(start, i - start))) return true;
  }
  return false;
}

// "<local@domain>" -> "domain"; empty when there is no '@'.
std::string_view message_id_domain(std::string_view id) {
  const auto at = id.rfind('@');
  if (at == std::string_view::npos) return {};
  std::string_view domain = id.substr(at + 1);
  domain = domain.substr(0, domain.find_first_of("> \t\r\n"));
  return domain;
}

}  // namespace

OwnNames::OwnNames(const std::vector<std::string>& mta_hostnames, const std::vector<std::string>& hostnames,
                   const std::vector<std::string>& domains) {
  const auto add = [this](std::string_view name) {
    std::string n = normalised(name);
    if (!n.empty() && std::find(names_.begin(), names_.end(), n) == names_.end()) names_.push_back(std::move(n));
  };
  for (const auto& host : mta_hostnames) {
    add(host);
    const std::string n = normalised(host);
    const auto dot = n.find('.');
    if (dot != std::string::npos && n.find('.', dot + 1) != std::string::npos) add(n.substr(dot + 1));
  }
  for (const auto& host : hostnames) add(host);
  for (const auto& domain : domains) add(domain);
}

bool OwnNames::covers(std::string_view host) const {
  while (!host.empty() && host.back() == '.') host.remove_suffix(1);
  for (const auto& name : names_) {
    if (host.size() < name.size()) continue;
    const std::string_view tail = host.substr(host.size() - name.size());
    if (!same_name(tail, name)) continue;
    if (host.size() == name.size() || host[host.size() - name.size() - 1] == '.') return true;
  }
  return false;
}

Origin origin_of(const dsn::MimePart* returned, const OwnNames& names) {
  if (returned == nullptr || names.empty()) return Origin::unknown;
  bool any_received = false;
  for (const auto& field : returned->headers) {
    if (!same_name(field.name, "Received")) continue;
    any_received = true;
    if (received_by_us(field.raw_value, names)) return Origin::ours;
  }
  const std::string id = returned->header_text("Message-ID");
  if (const auto domain = message_id_domain(id); !domain.empty() && names.covers(domain)) return Origin::ours;
  // Without any Received line the returned headers say nothing of the path
  // (cut short, or not a header section at all): no claim.
  return any_received ? Origin::elsewhere : Origin::unknown;
}

}  // namespace clearbounce::engine::backscatter
