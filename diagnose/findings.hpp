// What a lookup or a probe showed, as a category of the taxonomy
// (classifier/rules.toml) and facts for the texts. Only what was seen is
// said: an answer that shows nothing about the recipient's side (our own
// resolver refusing, a timeout, a certificate that verifies now) gives no
// category, and the report keeps the one it had.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "diagnose/dns.hpp"
#include "diagnose/smtp_probe.hpp"

namespace clearbounce::diagnose {

struct Finding {
  std::string category;  // a refined category id; empty: nothing learned
  // For the texts, under the names the catalogues use: remote_host,
  // remote_ip, checked_at, certificate_expired_on, certificate_valid_from,
  // certificate_names, certificate_issuer, expected_name, tls_failure.
  // Dates are RFC 5322 date-times in UTC, which the renderer localizes.
  std::map<std::string, std::string> facts;
  std::string summary;  // one line for the log: what was checked, what it showed
  std::int64_t checked_at = 0;  // when (seconds since the epoch); 0: nothing was looked at

  bool learned() const { return !category.empty(); }
};

// The recipient's domain, from its MX lookup and (when it has no MX) the
// A and AAAA lookups of the domain itself (RFC 5321 5.1: the implicit MX);
// `checked_at`: when (seconds since the epoch).
Finding from_domain_lookup(const std::string& domain, const DnsAnswer& mx, const DnsAnswer* a,
                           const DnsAnswer* aaaa, std::int64_t checked_at);

// A probe of one of its mail servers; `checked_at`: when (seconds since
// the epoch).
Finding from_probe(const ProbeTarget& target, const ProbeResult& result, std::int64_t checked_at);

// An RFC 5322 date-time in UTC: "Thu, 01 Oct 2026 00:00:00 +0000".
std::string rfc5322_utc(std::int64_t seconds);

}  // namespace clearbounce::diagnose
