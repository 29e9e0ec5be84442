// What each lookup and probe outcome makes of a report: the category (one
// of the rule set's) and the facts, and nothing where nothing was learned.
#include "diagnose/findings.hpp"

#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include <string>

#include "classifier/classifier.hpp"

namespace {

namespace diagnose = clearbounce::diagnose;
using diagnose::DnsAnswer;
using diagnose::DnsOutcome;
using diagnose::ProbeOutcome;
using diagnose::ProbeResult;
using diagnose::ProbeTarget;

DnsAnswer answer(DnsOutcome outcome, std::vector<diagnose::MxRecord> mx = {}) {
  DnsAnswer a;
  a.outcome = outcome;
  a.mx = std::move(mx);
  return a;
}

const ProbeTarget kTarget{*diagnose::IpAddress::parse("192.0.2.25"), 25, "mx.example.org", {}, {}};
constexpr std::int64_t kCheckedAt = 1796000000;  // Tue, 01 Dec 2026 ...

ProbeResult probe(ProbeOutcome outcome, std::vector<int> errors = {}) {
  ProbeResult r;
  r.outcome = outcome;
  r.tls.verify_errors = std::move(errors);
  diagnose::CertificateFacts cert;
  cert.subject = "mail.other.example";
  cert.names = {"mail.other.example", "other.example"};
  cert.issuer = "Example CA";
  cert.not_before = 1767225600;  // Thu, 01 Jan 2026
  cert.not_after = 1790812800;   // Thu, 01 Oct 2026
  r.tls.certificate = cert;
  r.tls.failure = "tlsv1 alert protocol version";
  return r;
}

TEST(Findings, TheDomainLookupNamesWhatTheDnsSaid) {
  EXPECT_EQ(diagnose::from_domain_lookup("nx.example", answer(DnsOutcome::no_such_name), nullptr, nullptr, kCheckedAt).category,
            "domain.not_found");
  EXPECT_EQ(diagnose::from_domain_lookup("null.example", answer(DnsOutcome::answered, {{0, ""}}), nullptr, nullptr, kCheckedAt)
                .category,
            "domain.no_mail_server");
  const auto none = answer(DnsOutcome::no_records);
  const auto nx = answer(DnsOutcome::no_such_name);
  EXPECT_EQ(diagnose::from_domain_lookup("bare.example", none, &none, &nx, kCheckedAt).category, "domain.no_mail_server");
  EXPECT_EQ(diagnose::from_domain_lookup("lame.example", answer(DnsOutcome::server_failure), nullptr, nullptr, kCheckedAt).category,
            "dns.temporary_failure");
  const auto finding = diagnose::from_domain_lookup("nx.example", nx, nullptr, nullptr, kCheckedAt);
  EXPECT_EQ(finding.facts.at("recipient_domain"), "nx.example");
  EXPECT_EQ(finding.facts.at("checked_at"), diagnose::rfc5322_utc(kCheckedAt));  // the technical section says when
  EXPECT_NE(finding.summary.find("NXDOMAIN"), std::string::npos);
}

TEST(Findings, TheDomainLookupSaysNothingWhenItShowsNothing) {
  const auto one_address = [] {
    DnsAnswer a = answer(DnsOutcome::answered);
    a.addresses.push_back(*diagnose::IpAddress::parse("192.0.2.1"));
    return a;
  }();
  const auto none = answer(DnsOutcome::no_records);
  for (const auto& [mx, a] : std::vector<std::pair<DnsAnswer, const DnsAnswer*>>{
           {answer(DnsOutcome::answered, {{10, "mx.example"}}), nullptr},  // it has mail hosts
           {answer(DnsOutcome::no_records), &one_address},                 // an implicit MX
           {answer(DnsOutcome::no_records), nullptr},                      // the address lookups did not run
           {answer(DnsOutcome::refused), nullptr},                         // our resolver's problem
           {answer(DnsOutcome::timed_out), nullptr},
           {answer(DnsOutcome::failed), nullptr}}) {
    const auto finding = diagnose::from_domain_lookup("example.org", mx, a, &none, kCheckedAt);
    EXPECT_FALSE(finding.learned()) << finding.category << " " << finding.summary;
  }
}

TEST(Findings, EachCertificateProblemHasItsCategory) {
  const auto category = [](std::vector<int> errors) {
    return diagnose::from_probe(kTarget, probe(ProbeOutcome::certificate_not_verified, std::move(errors)), kCheckedAt)
        .category;
  };
  EXPECT_EQ(category({X509_V_ERR_CERT_HAS_EXPIRED}), "tls.certificate_expired");
  EXPECT_EQ(category({X509_V_ERR_HOSTNAME_MISMATCH}), "tls.certificate_name_mismatch");
  EXPECT_EQ(category({X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT}), "tls.certificate_untrusted");
  EXPECT_EQ(category({X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY}), "tls.certificate_untrusted");
  EXPECT_EQ(category({X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN}), "tls.certificate_untrusted");
  // Several at once: the date is the most useful to the reader.
  EXPECT_EQ(category({X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_CERT_HAS_EXPIRED}), "tls.certificate_expired");
  EXPECT_EQ(category({X509_V_ERR_CERT_NOT_YET_VALID}), "tls.certificate_not_yet_valid");
  // Anything else (revoked, a bad signature): the generic one, which claims nothing more.
  EXPECT_EQ(category({X509_V_ERR_CERT_REVOKED}), "tls.certificate_not_verified");
  EXPECT_EQ(category({}), "tls.certificate_not_verified");
}

TEST(Findings, ACertificateFindingCarriesItsFacts) {
  const auto finding =
      diagnose::from_probe(kTarget, probe(ProbeOutcome::certificate_not_verified, {X509_V_ERR_CERT_HAS_EXPIRED}),
                           kCheckedAt);
  EXPECT_EQ(finding.facts.at("certificate_expired_on"), "Thu, 01 Oct 2026 00:00:00 +0000");
  EXPECT_EQ(finding.facts.at("certificate_valid_from"), "Thu, 01 Jan 2026 00:00:00 +0000");
  EXPECT_EQ(finding.facts.at("certificate_names"), "mail.other.example, other.example");
  EXPECT_EQ(finding.facts.at("certificate_issuer"), "Example CA");
  EXPECT_EQ(finding.facts.at("expected_name"), "mx.example.org");
  EXPECT_EQ(finding.facts.at("remote_host"), "mx.example.org");
  EXPECT_EQ(finding.facts.at("remote_ip"), "192.0.2.25");
  EXPECT_EQ(finding.facts.at("checked_at"), diagnose::rfc5322_utc(kCheckedAt));
  EXPECT_NE(finding.summary.find("mx.example.org[192.0.2.25]:25"), std::string::npos) << finding.summary;
  EXPECT_NE(finding.summary.find("certificate has expired"), std::string::npos) << finding.summary;
}

TEST(Findings, TheProbesOtherOutcomes) {
  const auto category = [](ProbeOutcome outcome) { return diagnose::from_probe(kTarget, probe(outcome), kCheckedAt).category; };
  EXPECT_EQ(category(ProbeOutcome::refused), "network.connection_refused");
  EXPECT_EQ(category(ProbeOutcome::connect_timed_out), "network.connect_timeout");
  EXPECT_EQ(category(ProbeOutcome::no_greeting), "network.greeting_timeout");
  EXPECT_EQ(category(ProbeOutcome::no_starttls), "tls.not_offered");
  EXPECT_EQ(category(ProbeOutcome::starttls_refused), "tls.not_offered");
  EXPECT_EQ(category(ProbeOutcome::handshake_failed), "tls.handshake_failed");
  const auto handshake = diagnose::from_probe(kTarget, probe(ProbeOutcome::handshake_failed), kCheckedAt);
  EXPECT_EQ(handshake.facts.at("tls_failure"), "tlsv1 alert protocol version");
  // What shows nothing about the recipient's server: no category, no facts.
  for (auto outcome : {ProbeOutcome::verified, ProbeOutcome::unreachable, ProbeOutcome::greeting_refused,
                       ProbeOutcome::garbled, ProbeOutcome::ehlo_refused, ProbeOutcome::timed_out}) {
    const auto finding = diagnose::from_probe(kTarget, probe(outcome), kCheckedAt);
    EXPECT_FALSE(finding.learned()) << diagnose::to_string(outcome);
    EXPECT_TRUE(finding.facts.empty()) << diagnose::to_string(outcome);
    EXPECT_FALSE(finding.summary.empty());
  }
}

TEST(Findings, EveryCategoryGivenIsInTheRuleSet) {
  std::string error;
  const auto classifier = clearbounce::classifier::Classifier::builtin(error);
  ASSERT_NE(classifier, nullptr) << error;
  for (const char* id : {"domain.not_found", "domain.no_mail_server", "dns.temporary_failure",
                         "network.connection_refused", "network.connect_timeout", "network.greeting_timeout",
                         "tls.not_offered", "tls.handshake_failed", "tls.certificate_expired",
                         "tls.certificate_name_mismatch", "tls.certificate_untrusted", "tls.certificate_not_verified",
                         "tls.certificate_not_yet_valid"})
    EXPECT_NE(classifier->find_category(id), nullptr) << id;
}

}  // namespace
