// Postfix's TLS policy for a next hop (smtp_tls_security_level, an entry of
// smtp_tls_policy_maps such as "secure match=example.org:.example.org"):
// whether Postfix checks the server's certificate at all, and which names
// it must hold. A probe checks the certificate the way the MTA did, or a
// "name mismatch" could be claimed for a name Postfix never asked for.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::diagnose {

enum class TlsLevel { none, may, encrypt, dane, dane_only, fingerprint, verify, secure };

struct TlsPolicy {
  TlsLevel level = TlsLevel::verify;
  // Postfix's match= list, keywords ("hostname", "nexthop", "dot-nexthop")
  // and names (".example.org": any subdomain) as written; empty: the
  // level's default (smtp_tls_verify_cert_match, smtp_tls_secure_cert_match).
  std::vector<std::string> match;
};

std::optional<TlsLevel> tls_level_named(std::string_view name);
std::string_view to_string(TlsLevel level);

// Whether Postfix checks the certificate against trust anchors and names
// at this level (verify, secure). With DANE it checks TLSA records, with
// fingerprint the listed digests: a look against the trust store would
// judge by other rules than the MTA's.
bool checks_certificate_names(TlsLevel level);

// A policy table value: the level, then attributes. nullopt when it does
// not parse (Postfix then defers the mail as a configuration problem).
std::optional<TlsPolicy> parse_tls_policy(std::string_view value);

// The items of a list as Postfix writes one: names separated by any of
// `delimiters` (for a match list, commas, colons or white space).
std::vector<std::string> split_list(std::string_view value, std::string_view delimiters = ", \t\n:");

// The names the certificate of `mx_host` (empty for an address) must hold,
// any one of them, for mail to `next_hop` (the recipient domain or the
// route's host): the policy's match list with its keywords resolved,
// lower case, without duplicates.
std::vector<std::string> certificate_names_wanted(const TlsPolicy& policy, const std::vector<std::string>& default_match,
                                                  std::string_view mx_host, std::string_view next_hop);

}  // namespace clearbounce::diagnose
