// Postfix's next-hop notation (transport(5), relayhost): which server and
// port a probe must look at, and when there is none to look at.
#include "diagnose/next_hop.hpp"

#include <gtest/gtest.h>

namespace {

using clearbounce::diagnose::relayhost_next_hop;
using clearbounce::diagnose::transport_next_hop;

void expect_hop(const std::optional<clearbounce::diagnose::NextHop>& hop, const std::string& host, int port,
                bool mx_lookup) {
  ASSERT_TRUE(hop.has_value());
  EXPECT_EQ(hop->host, host);
  EXPECT_EQ(hop->port, port);
  EXPECT_EQ(hop->mx_lookup, mx_lookup);
}

TEST(NextHop, TransportEntries) {
  expect_hop(transport_next_hop("smtp:[relay.example.net]:587", "example.org"), "relay.example.net", 587, false);
  expect_hop(transport_next_hop("smtp:[relay.example.net]", "example.org"), "relay.example.net", 25, false);
  expect_hop(transport_next_hop("relay:mail.example.net:2525", "example.org"), "mail.example.net", 2525, true);
  expect_hop(transport_next_hop("smtp:example.net", "example.org"), "example.net", 25, true);
  expect_hop(transport_next_hop("smtp:[192.0.2.7]:submission", "example.org"), "192.0.2.7", 587, false);
  expect_hop(transport_next_hop("smtp:[ipv6:2001:db8::7]:25", "example.org"), "2001:db8::7", 25, false);
  expect_hop(transport_next_hop(":[10.0.0.1]", "example.org"), "10.0.0.1", 25, false);  // the default transport
  // No next hop: the domain itself, by its MX.
  expect_hop(transport_next_hop("smtp:", "example.org"), "example.org", 25, true);
  expect_hop(transport_next_hop("smtp", "example.org"), "example.org", 25, true);
  expect_hop(transport_next_hop("  smtp:[relay.example.net]\n", "example.org"), "relay.example.net", 25, false);
}

TEST(NextHop, TransportsThatAreNotSmtpHaveNothingToProbe) {
  for (const char* value : {"error:5.1.1 no such user", "discard:", "local:", "lmtp:unix:private/dovecot-lmtp",
                             "virtual:", "uucp:gateway", "pipe-filter:"})
    EXPECT_FALSE(transport_next_hop(value, "example.org").has_value()) << value;
}

TEST(NextHop, ValuesThatDoNotParse) {
  for (const char* value : {"smtp:[relay.example.net", "smtp:[relay.example.net]x", "smtp:host:0", "smtp:host:70000",
                            "smtp:host:port", "smtp:bad host", "smtp:[]", "smtp:-host"})
    EXPECT_FALSE(transport_next_hop(value, "example.org").has_value()) << value;
}

TEST(NextHop, Relayhost) {
  expect_hop(relayhost_next_hop("[mail.isp.example]"), "mail.isp.example", 25, false);
  expect_hop(relayhost_next_hop("[mail.isp.example]:submission"), "mail.isp.example", 587, false);
  expect_hop(relayhost_next_hop("smtp.isp.example:587"), "smtp.isp.example", 587, true);
  expect_hop(relayhost_next_hop("[a.example], [b.example]"), "a.example", 25, false);
  EXPECT_FALSE(relayhost_next_hop("").has_value());
  EXPECT_FALSE(relayhost_next_hop("   ").has_value());
}

}  // namespace
