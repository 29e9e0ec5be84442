#include "diagnose/findings.hpp"

#include <openssl/x509_vfy.h>

#include <algorithm>
#include <array>
#include <ctime>

namespace clearbounce::diagnose {
namespace {

constexpr std::size_t kNamesShown = 5;

bool has(const std::vector<int>& errors, std::initializer_list<int> wanted) {
  return std::any_of(errors.begin(), errors.end(),
                     [&](int e) { return std::find(wanted.begin(), wanted.end(), e) != wanted.end(); });
}

std::string joined_names(const std::vector<std::string>& names) {
  std::string text;
  for (std::size_t i = 0; i < names.size() && i < kNamesShown; ++i) text += (i == 0 ? "" : ", ") + names[i];
  if (names.size() > kNamesShown) text += ", ...";
  return text;
}

// Which certificate problem the notice names when there are several: the
// one its reader can act on most directly. An expired certificate is also
// often one whose name no longer matches; the date says more.
std::string certificate_category(const std::vector<int>& errors) {
  // With DANE the TLSA records decide; a certificate they do not match is
  // that, whatever else is wrong with it.
  if (has(errors, {X509_V_ERR_DANE_NO_MATCH})) return "tls.dane_mismatch";
  if (has(errors, {X509_V_ERR_CERT_HAS_EXPIRED})) return "tls.certificate_expired";
  if (has(errors, {X509_V_ERR_CERT_NOT_YET_VALID})) return "tls.certificate_not_yet_valid";
  if (has(errors, {X509_V_ERR_HOSTNAME_MISMATCH})) return "tls.certificate_name_mismatch";
  if (has(errors, {X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT, X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN,
                   X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT, X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                   X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE, X509_V_ERR_CERT_UNTRUSTED}))
    return "tls.certificate_untrusted";
  // Revoked, a bad signature, ...: the generic category, whose text claims
  // nothing more; the facts still carry the dates.
  return "tls.certificate_not_verified";
}

std::string where(const ProbeTarget& target) {
  return (target.host.empty() ? "" : target.host) + "[" + target.address.to_string() + "]:" +
         std::to_string(target.port);
}

}  // namespace

std::string rfc5322_utc(std::int64_t seconds) {
  const auto time = static_cast<std::time_t>(seconds);
  std::tm parts{};
  gmtime_r(&time, &parts);
  std::array<char, 40> text{};
  std::strftime(text.data(), text.size(), "%a, %d %b %Y %H:%M:%S +0000", &parts);  // C locale names
  return text.data();
}

Finding from_domain_lookup(const std::string& domain, const DnsAnswer& mx, const DnsAnswer* a, const DnsAnswer* aaaa,
                           std::int64_t checked_at) {
  Finding finding;
  finding.facts["recipient_domain"] = domain;
  finding.facts["checked_at"] = rfc5322_utc(checked_at);
  finding.checked_at = checked_at;
  const auto no_address = [](const DnsAnswer* answer) {
    return answer != nullptr &&
           (answer->outcome == DnsOutcome::no_records || answer->outcome == DnsOutcome::no_such_name);
  };
  switch (mx.outcome) {
    case DnsOutcome::no_such_name:
      finding.category = "domain.not_found";
      finding.summary = domain + ": the domain does not exist (NXDOMAIN)";
      break;
    case DnsOutcome::answered:
      if (mx.null_mx()) {
        finding.category = "domain.no_mail_server";
        finding.summary = domain + ": the domain says it takes no mail (null MX)";
      }
      break;
    case DnsOutcome::no_records:
      if (no_address(a) && no_address(aaaa)) {
        finding.category = "domain.no_mail_server";
        finding.summary = domain + ": no MX and no address records";
      }
      break;
    case DnsOutcome::server_failure:
      finding.category = "dns.temporary_failure";
      finding.summary = domain + ": its name servers fail (SERVFAIL)";
      break;
    default:  // refused by our resolver, timed out, malformed: about our side or nothing
      finding.summary = domain + ": MX lookup " + std::string(to_string(mx.outcome));
  }
  return finding;
}

Finding from_probe(const ProbeTarget& target, const ProbeResult& result, std::int64_t checked_at) {
  Finding finding;
  if (!target.host.empty()) finding.facts["remote_host"] = target.host;
  finding.facts["remote_ip"] = target.address.to_string();
  finding.facts["checked_at"] = rfc5322_utc(checked_at);
  finding.checked_at = checked_at;
  finding.summary = where(target) + ": " + std::string(to_string(result.outcome));
  switch (result.outcome) {
    case ProbeOutcome::refused: finding.category = "network.connection_refused"; break;
    case ProbeOutcome::connect_timed_out: finding.category = "network.connect_timeout"; break;
    case ProbeOutcome::no_greeting: finding.category = "network.greeting_timeout"; break;
    case ProbeOutcome::no_starttls:
    case ProbeOutcome::starttls_refused: finding.category = "tls.not_offered"; break;
    case ProbeOutcome::handshake_failed:
      finding.category = "tls.handshake_failed";
      finding.facts["tls_failure"] = result.tls.failure;
      finding.summary += " (" + result.tls.failure + ")";
      break;
    case ProbeOutcome::certificate_not_verified: {
      finding.category = certificate_category(result.tls.verify_errors);
      if (const auto& cert = result.tls.certificate) {
        finding.facts["certificate_expired_on"] = rfc5322_utc(cert->not_after);
        finding.facts["certificate_valid_from"] = rfc5322_utc(cert->not_before);
        finding.facts["certificate_names"] = joined_names(cert->names.empty() ? std::vector{cert->subject} : cert->names);
        finding.facts["certificate_issuer"] = cert->issuer;
      }
      // The name asked for: the host's, or the first the MTA's policy names
      // (".example.org" reads as example.org's subdomains: shown bare).
      const std::string& expected = target.names.empty() ? target.host : target.names.front();
      if (!expected.empty()) finding.facts["expected_name"] = expected.substr(expected.starts_with('.') ? 1 : 0);
      std::string problems;
      for (int error : result.tls.verify_errors)
        problems += (problems.empty() ? "" : "; ") + std::string(X509_verify_cert_error_string(error));
      if (!problems.empty()) finding.summary += " (" + problems + ")";
      break;
    }
    default:  // unreachable (maybe our network), a refusal, not SMTP, verified now, timed out
      break;
  }
  if (!finding.learned()) finding.facts.clear();
  return finding;
}

}  // namespace clearbounce::diagnose
