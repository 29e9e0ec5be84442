#include "diagnose/address_policy.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using clearbounce::diagnose::AddressPolicy;
using clearbounce::diagnose::IpAddress;
using clearbounce::diagnose::Network;

AddressPolicy policy(const std::vector<std::string>& allowed = {}) {
  std::string error;
  auto made = AddressPolicy::make(allowed, error);
  EXPECT_TRUE(made.has_value()) << error;
  return made.value_or(AddressPolicy{});
}

std::string refusal(const AddressPolicy& p, const char* address) {
  const auto parsed = IpAddress::parse(address);
  EXPECT_TRUE(parsed.has_value()) << address;
  return parsed ? std::string(p.refusal(*parsed)) : "unparsed";
}

TEST(IpAddress, ParsesBothFamiliesAndWritesThemBack) {
  for (const char* text : {"192.0.2.1", "0.0.0.0", "255.255.255.255", "2001:db8::1", "::1", "::", "fe80::1"}) {
    const auto address = IpAddress::parse(text);
    ASSERT_TRUE(address.has_value()) << text;
    EXPECT_EQ(address->to_string(), text);
  }
  EXPECT_TRUE(IpAddress::parse("10.1.2.3")->is_v4());
  EXPECT_FALSE(IpAddress::parse("2001:db8::1")->is_v4());
  // Written as IPv4-mapped IPv6, it is the same IPv4 address.
  EXPECT_EQ(IpAddress::parse("::ffff:10.1.2.3"), IpAddress::parse("10.1.2.3"));
}

TEST(IpAddress, RefusesWhatIsNotAnAddress) {
  for (const char* text : {"", "mx.example.org", "10.1.2", "10.1.2.3.4", "256.1.1.1", "1.2.3.4 ", "::g",
                           "10.0.0.1/8", "01234567890123456789012345678901234567890123456789"})
    EXPECT_FALSE(IpAddress::parse(text).has_value()) << text;
}

TEST(Network, ContainsExactlyItsPrefix) {
  const auto net = Network::parse("172.16.0.0/12");
  ASSERT_TRUE(net.has_value());
  EXPECT_TRUE(net->contains(*IpAddress::parse("172.16.0.0")));
  EXPECT_TRUE(net->contains(*IpAddress::parse("172.31.255.255")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("172.32.0.0")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("172.15.255.255")));
  EXPECT_FALSE(net->contains(*IpAddress::parse("ac10::1")));  // the same leading bits, but IPv6
  EXPECT_EQ(net->to_string(), "172.16.0.0/12");

  const auto v6 = Network::parse("fe80::/10");
  ASSERT_TRUE(v6.has_value());
  EXPECT_TRUE(v6->contains(*IpAddress::parse("febf:ffff::1")));
  EXPECT_FALSE(v6->contains(*IpAddress::parse("fec0::1")));

  const auto one = Network::parse("198.51.100.7");
  ASSERT_TRUE(one.has_value());
  EXPECT_TRUE(one->contains(*IpAddress::parse("198.51.100.7")));
  EXPECT_FALSE(one->contains(*IpAddress::parse("198.51.100.8")));
}

TEST(Network, RefusesBadPrefixes) {
  for (const char* text : {"10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8x", "::/129", "/8", "10/8",
                           "10.0.0.0/0008"})
    EXPECT_FALSE(Network::parse(text).has_value()) << text;
  EXPECT_TRUE(Network::parse("0.0.0.0/0").has_value());
  EXPECT_TRUE(Network::parse("::/0").has_value());
}

TEST(AddressPolicy, RefusesEveryKindOfNonPublicAddress) {
  const auto p = policy();
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"127.0.0.1", "a loopback address"},         {"127.255.0.9", "a loopback address"},
      {"::1", "a loopback address"},               {"10.20.30.40", "a private address"},
      {"172.16.5.4", "a private address"},         {"192.168.1.1", "a private address"},
      {"fd12:3456::1", "a unique local address"},  {"fc00::1", "a unique local address"},
      {"169.254.1.1", "a link-local address"},     {"fe80::1234", "a link-local address"},
      {"224.0.0.251", "a multicast address"},      {"239.1.1.1", "a multicast address"},
      {"ff02::1", "a multicast address"},          {"100.64.0.1", "a shared (carrier-grade NAT) address"},
      {"100.127.255.254", "a shared (carrier-grade NAT) address"},
      {"192.0.2.10", "a documentation address"},   {"198.51.100.10", "a documentation address"},
      {"203.0.113.10", "a documentation address"}, {"2001:db8::25", "a documentation address"},
      {"0.0.0.0", "an unspecified address"},       {"::", "an unspecified address"},
      {"255.255.255.255", "a reserved address"},   {"198.18.0.1", "a benchmarking address"},
  };
  for (const auto& [address, kind] : cases) EXPECT_EQ(refusal(p, address), kind) << address;
}

TEST(AddressPolicy, LetsPublicAddressesThrough) {
  const auto p = policy();
  for (const char* address : {"8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255",
                              "172.32.0.1", "192.169.0.1", "2a00:1450:4001::1b", "2606:4700::1111"})
    EXPECT_EQ(refusal(p, address), "") << address;
}

TEST(AddressPolicy, JudgesTheIpv4AddressInsideTranslationPrefixes) {
  const auto p = policy();
  EXPECT_EQ(refusal(p, "::ffff:127.0.0.1"), "a loopback address");
  EXPECT_EQ(refusal(p, "64:ff9b::10.0.0.1"), "a private address");  // NAT64 well-known prefix
  EXPECT_EQ(refusal(p, "2002:7f00:1::1"), "a loopback address");     // 6to4 of 127.0.0.1
  EXPECT_EQ(refusal(p, "2002:c0a8:101::1"), "a private address");     // 6to4 of 192.168.1.1
  EXPECT_EQ(refusal(p, "64:ff9b::8.8.8.8"), "");
  EXPECT_EQ(refusal(p, "::10.0.0.1"), "a reserved address");          // IPv4-compatible, deprecated
}

TEST(AddressPolicy, AllowNetworksOpensExactlyWhatTheyList) {
  const auto p = policy({"127.0.0.0/8", "fd00:1::/32", "10.1.2.3"});
  EXPECT_EQ(refusal(p, "127.0.0.1"), "");
  EXPECT_EQ(refusal(p, "127.9.9.9"), "");
  EXPECT_EQ(refusal(p, "64:ff9b::127.0.0.1"), "");  // the same host, reached through NAT64
  EXPECT_EQ(refusal(p, "fd00:1:ffff::1"), "");
  EXPECT_EQ(refusal(p, "fd00:2::1"), "a unique local address");
  EXPECT_EQ(refusal(p, "10.1.2.3"), "");
  EXPECT_EQ(refusal(p, "10.1.2.4"), "a private address");
  EXPECT_EQ(refusal(p, "::1"), "a loopback address");  // IPv6 loopback was not listed
}

TEST(AddressPolicy, NamesTheEntryThatDoesNotParse) {
  std::string error;
  EXPECT_FALSE(AddressPolicy::make({"127.0.0.0/8", "localhost"}, error).has_value());
  EXPECT_NE(error.find("\"localhost\""), std::string::npos) << error;
}

}  // namespace
