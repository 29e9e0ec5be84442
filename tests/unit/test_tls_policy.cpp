// Postfix's TLS policy as the probe reads it: which levels check a
// certificate's names, what a policy table entry says, and which names the
// certificate must then hold.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "diagnose/tls_policy.hpp"

namespace {

using clearbounce::diagnose::certificate_names_wanted;
using clearbounce::diagnose::parse_tls_policy;
using clearbounce::diagnose::TlsLevel;
using clearbounce::diagnose::TlsPolicy;
using Names = std::vector<std::string>;

const Names kVerifyDefault = {"hostname"};                 // smtp_tls_verify_cert_match
const Names kSecureDefault = {"nexthop", "dot-nexthop"};   // smtp_tls_secure_cert_match

TEST(TlsPolicy, OnlyVerifyAndSecureCheckNamesAgainstTheTrustStore) {
  using clearbounce::diagnose::checks_certificate_names;
  for (auto level : {TlsLevel::none, TlsLevel::may, TlsLevel::encrypt, TlsLevel::dane, TlsLevel::dane_only,
                     TlsLevel::fingerprint})
    EXPECT_FALSE(checks_certificate_names(level)) << clearbounce::diagnose::to_string(level);
  EXPECT_TRUE(checks_certificate_names(TlsLevel::verify));
  EXPECT_TRUE(checks_certificate_names(TlsLevel::secure));
}

TEST(TlsPolicy, ATableEntryGivesItsLevelAndMatchList) {
  const auto policy = parse_tls_policy("secure match=mx.example.org:.example.net ciphers=high");
  ASSERT_TRUE(policy.has_value());
  EXPECT_EQ(policy->level, TlsLevel::secure);
  EXPECT_EQ(policy->match, (Names{"mx.example.org", ".example.net"}));
  const auto dane = parse_tls_policy("  dane-only\n");
  ASSERT_TRUE(dane.has_value());
  EXPECT_EQ(dane->level, TlsLevel::dane_only);
  EXPECT_TRUE(dane->match.empty());
  EXPECT_EQ(parse_tls_policy("Verify")->level, TlsLevel::verify);  // Postfix takes any case
  EXPECT_FALSE(parse_tls_policy("").has_value());
  EXPECT_FALSE(parse_tls_policy("strict match=example.org").has_value());
}

TEST(TlsPolicy, TheNamesFollowTheLevelsDefaultMatch) {
  TlsPolicy verify;
  verify.level = TlsLevel::verify;
  EXPECT_EQ(certificate_names_wanted(verify, kVerifyDefault, "MX1.Example.ORG", "example.org"),
            (Names{"mx1.example.org"}));
  TlsPolicy secure;
  secure.level = TlsLevel::secure;
  EXPECT_EQ(certificate_names_wanted(secure, kSecureDefault, "mx1.example.net", "example.org"),
            (Names{"example.org", ".example.org"}));
}

TEST(TlsPolicy, AnExplicitMatchListWinsAndIsCleaned) {
  TlsPolicy policy;
  policy.level = TlsLevel::secure;
  policy.match = {"hostname", "Mail.Example.COM", "hostname", ".example.com", "192.0.2.7", "bad name", ""};
  // Keywords resolved, lower case, no duplicates; an address or a name
  // that is no host name asks for nothing.
  EXPECT_EQ(certificate_names_wanted(policy, kSecureDefault, "mx.example.com", "example.com"),
            (Names{"mx.example.com", "mail.example.com", ".example.com"}));
  // A probe of a bare address has no host name to ask for.
  policy.match = {"hostname", "nexthop"};
  EXPECT_EQ(certificate_names_wanted(policy, kSecureDefault, "", "192.0.2.7"), Names{});
}

TEST(TlsPolicy, PostconfListsSplitOnCommasColonsAndSpace) {
  EXPECT_EQ(clearbounce::diagnose::split_list("nexthop, dot-nexthop"), (Names{"nexthop", "dot-nexthop"}));
  EXPECT_EQ(clearbounce::diagnose::split_list("a:b  c,\td"), (Names{"a", "b", "c", "d"}));
  EXPECT_EQ(clearbounce::diagnose::split_list(""), Names{});
}

}  // namespace
