// The block-list check's pieces: the names asked, what an answer means, the
// data file's checks, which address of ours is looked up, and the finding.
#include "diagnose/blocklists.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.hpp"

namespace {

namespace diagnose = clearbounce::diagnose;
using diagnose::AddressPolicy;
using diagnose::Blocklist;
using diagnose::BlocklistData;
using diagnose::DnsAnswer;
using diagnose::DnsOutcome;
using diagnose::IpAddress;
using diagnose::Listing;

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

DnsAnswer answer(DnsOutcome outcome, std::vector<const char*> addresses = {}) {
  DnsAnswer a;
  a.outcome = outcome;
  for (const char* address : addresses) a.addresses.push_back(ip(address));
  return a;
}

AddressPolicy strict_policy() {
  std::string error;
  return *AddressPolicy::make({}, error);
}

TEST(Blocklists, AnIpv4AddressIsAskedWithItsOctetsReversed) {
  EXPECT_EQ(diagnose::query_name(ip("192.0.2.1"), "zen.spamhaus.org"), "1.2.0.192.zen.spamhaus.org");
  EXPECT_EQ(diagnose::query_name(ip("203.0.113.250"), "bl.test"), "250.113.0.203.bl.test");
}

TEST(Blocklists, AnIpv6AddressIsAskedAsNibblesLastFirst) {
  // RFC 5782, section 2.4.
  EXPECT_EQ(diagnose::query_name(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
            "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
}

TEST(Blocklists, AnAnswerInTheLoopbackNetworkMeansListed) {
  EXPECT_EQ(diagnose::listing_of(answer(DnsOutcome::answered, {"127.0.0.2"})), Listing::listed);
  EXPECT_EQ(diagnose::listing_of(answer(DnsOutcome::answered, {"127.0.0.4", "127.0.0.10"})), Listing::listed);
}

TEST(Blocklists, SpamhausStyleErrorCodesAreNotAListing) {
  // An open resolver refused, too many queries, a wrong zone: nothing known.
  for (const char* code : {"127.255.255.254", "127.255.255.255", "127.255.255.252"})
    EXPECT_EQ(diagnose::listing_of(answer(DnsOutcome::answered, {code})), Listing::unknown) << code;
}

TEST(Blocklists, OnlyNxdomainMeansNotListed) {
  EXPECT_EQ(diagnose::listing_of(answer(DnsOutcome::no_such_name)), Listing::not_listed);
  for (auto outcome : {DnsOutcome::timed_out, DnsOutcome::server_failure, DnsOutcome::refused,
                       DnsOutcome::no_records, DnsOutcome::failed})
    EXPECT_EQ(diagnose::listing_of(answer(outcome)), Listing::unknown) << diagnose::to_string(outcome);
  // A resolver that answers NXDOMAIN with an address of its own.
  EXPECT_EQ(diagnose::listing_of(answer(DnsOutcome::answered, {"198.51.100.7"})), Listing::unknown);
}

TEST(Blocklists, TheShippedDataNamesTheDefaultZones) {
  const auto data = BlocklistData::builtin();
  EXPECT_GE(data.lists().size(), 8u);
  const clearbounce::config::Config defaults;
  ASSERT_FALSE(defaults.diagnose.blocklist_zones.empty());
  for (const auto& zone : defaults.diagnose.blocklist_zones) {
    const Blocklist* list = data.find(zone);
    ASSERT_NE(list, nullptr) << zone;
    EXPECT_FALSE(list->name.empty());
    EXPECT_TRUE(list->removal_page.starts_with("https://")) << list->removal_page;
  }
  EXPECT_EQ(data.find("zen.spamhaus.org")->name, "Spamhaus ZEN");
}

std::string error_of(const std::string& text) {
  BlocklistData data;
  std::string error;
  EXPECT_FALSE(data.add(text, "mine.toml", error)) << text;
  EXPECT_TRUE(data.lists().empty());
  return error;
}

TEST(Blocklists, BadDataIsRefusedWithItsFileAndLine) {
  const std::string good = "[[blocklist]]\nzone = \"bl.example.net\"\nname = \"Example BL\"\npage = \"https://bl.example.net/\"\n";
  EXPECT_EQ(error_of(good + "\n[[blocklist]]\nzone = \"BL.example\"\nname = \"x\"\npage = \"https://x.example/\"\n")
                .substr(0, 13),
            "mine.toml:6: ");
  EXPECT_NE(error_of("[[blocklist]]\nzone = \"bl.example.net\"\nname = \"Example\"\n").find("missing key 'page'"),
            std::string::npos);
  EXPECT_NE(error_of(good + good).find("listed twice"), std::string::npos);
  EXPECT_NE(error_of(good + "pages = \"x\"\n").find("mine.toml:5: unknown key 'pages'"), std::string::npos);
  EXPECT_NE(error_of("[[blocklist]]\nzone = \"bl.example.net\"\nname = \"Example\"\npage = \"javascript:alert(1)\"\n")
                .find("not an http or https URL"),
            std::string::npos);
  EXPECT_NE(error_of("[[blocklist]]\nzone = \"bl.example.net\"\nname = \"A, B\"\npage = \"https://x.example/\"\n")
                .find("comma"),
            std::string::npos);
  EXPECT_NE(error_of("[[blocklist]]\nzone = \"bl.example.net\"\nname = \"A\"\npage = \"https://x.example/ a\"\n")
                .find("not an http"),
            std::string::npos);
  EXPECT_EQ(error_of("[[blocklist]]\nzone = \n").substr(0, 12), "mine.toml:2:");
  EXPECT_NE(error_of(good + "ipv6 = \"yes\"\n").find("'ipv6' must be true or false"), std::string::npos);
}

TEST(Blocklists, TheAdministratorsFileAddsAndReplacesZones) {
  const auto path = std::filesystem::temp_directory_path() / ("clearbounce-bl-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(path) << "[[blocklist]]\nzone = \"bl.example.net\"\nname = \"Example BL\"\npage = \"https://bl.example.net/\"\n"
                      << "[[blocklist]]\nzone = \"bl.spamcop.net\"\nname = \"SpamCop (ours)\"\npage = \"https://intranet.example/spamcop\"\n";
  std::string error;
  const auto lists = diagnose::configured_blocklists({"bl.example.net", "bl.spamcop.net"}, path.string(), error);
  std::filesystem::remove(path);
  ASSERT_TRUE(lists.has_value()) << error;
  ASSERT_EQ(lists->size(), 2u);
  EXPECT_EQ((*lists)[0].name, "Example BL");
  EXPECT_EQ((*lists)[1].removal_page, "https://intranet.example/spamcop");
}

TEST(Blocklists, AZoneWithoutDataOrAnUnreadableFileIsAnError) {
  std::string error;
  EXPECT_FALSE(diagnose::configured_blocklists({"bl.nowhere.example"}, "", error).has_value());
  EXPECT_NE(error.find("diagnose.blocklist_zones: \"bl.nowhere.example\""), std::string::npos) << error;
  EXPECT_FALSE(diagnose::configured_blocklists({"zen.spamhaus.org"}, "/nonexistent/bl.toml", error).has_value());
  EXPECT_NE(error.find("diagnose.blocklists_file: /nonexistent/bl.toml"), std::string::npos) << error;
}

// The administrator's file is read as the mail-domains file is: a FIFO or a
// directory is refused before it is opened (opening a FIFO waits for a
// writer, and the milter would never start), and so is an oversized file.
TEST(Blocklists, AnAdministratorsFileMustBeARegularFileOfBoundedSize) {
  std::string error;
  EXPECT_FALSE(diagnose::configured_blocklists({"zen.spamhaus.org"}, "/", error).has_value());
  EXPECT_EQ(error, "diagnose.blocklists_file: /: is not a file");
  const auto fifo = std::filesystem::temp_directory_path() / ("clearbounce-bl-fifo-" + std::to_string(::getpid()));
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(diagnose::configured_blocklists({"zen.spamhaus.org"}, fifo.string(), error).has_value());
  EXPECT_EQ(error, "diagnose.blocklists_file: " + fifo.string() + ": is not a file");
  std::filesystem::remove(fifo);
  const auto big = std::filesystem::temp_directory_path() / ("clearbounce-bl-big-" + std::to_string(::getpid()));
  std::ofstream(big) << std::string(diagnose::BlocklistData::kMaxFileBytes + 1, '#');
  EXPECT_FALSE(diagnose::configured_blocklists({"zen.spamhaus.org"}, big.string(), error).has_value());
  EXPECT_NE(error.find("larger than"), std::string::npos) << error;
  std::filesystem::remove(big);
}

// The kernel stand-in: which remote it was asked about, and its answer.
struct FakeRoute {
  std::optional<IpAddress> source;
  mutable std::vector<std::string> asked;
  std::optional<IpAddress> operator()(const IpAddress& remote) const {
    asked.push_back(remote.to_string());
    return source;
  }
};

TEST(SendingAddress, TheRemoteServersWordsAreUsedOnlyForAPublicAddress) {
  const auto policy = strict_policy();
  FakeRoute none;
  EXPECT_EQ(diagnose::choose_sending_address({}, "8.8.4.4", "", policy, std::cref(none)), ip("8.8.4.4"));
  for (const char* private_one : {"10.1.2.3", "192.168.0.9", "127.0.0.1", "192.0.2.1", "fd00::1", "junk"})
    EXPECT_EQ(diagnose::choose_sending_address({}, private_one, "", policy, std::cref(none)), std::nullopt)
        << private_one;
}

TEST(SendingAddress, TheAdministratorsAddressesComeFirst) {
  const auto policy = strict_policy();
  FakeRoute none;
  const std::vector<IpAddress> stated = {ip("2a00:1450::25"), ip("8.8.4.4"), ip("8.8.8.8")};
  // The remote names one of ours: that one.
  EXPECT_EQ(diagnose::choose_sending_address(stated, "8.8.8.8", "", policy, std::cref(none)), ip("8.8.8.8"));
  // It names another: ours of the remote server's family, else the first.
  EXPECT_EQ(diagnose::choose_sending_address(stated, "9.9.9.9", "1.1.1.1", policy, std::cref(none)), ip("8.8.4.4"));
  EXPECT_EQ(diagnose::choose_sending_address(stated, "9.9.9.9", "", policy, std::cref(none)), ip("2a00:1450::25"));
  // A private address stated by mistake is still never looked up.
  EXPECT_EQ(diagnose::choose_sending_address({ip("10.0.0.25")}, "", "", policy, std::cref(none)), std::nullopt);
  EXPECT_TRUE(none.asked.empty());
}

TEST(SendingAddress, OtherwiseTheKernelsSourceTowardTheRemoteServerIfPublic) {
  const auto policy = strict_policy();
  FakeRoute public_route{ip("8.8.4.4"), {}};
  EXPECT_EQ(diagnose::choose_sending_address({}, "", "1.1.1.1", policy, std::cref(public_route)), ip("8.8.4.4"));
  EXPECT_EQ(public_route.asked, std::vector<std::string>{"1.1.1.1"});
  FakeRoute behind_nat{ip("192.168.1.20"), {}};
  EXPECT_EQ(diagnose::choose_sending_address({}, "10.0.0.1", "1.1.1.1", policy, std::cref(behind_nat)), std::nullopt);
  FakeRoute unused{ip("8.8.4.4"), {}};
  EXPECT_EQ(diagnose::choose_sending_address({}, "", "", policy, std::cref(unused)), std::nullopt);  // no remote
}

TEST(SendingAddress, TheKernelNamesTheSourceOfARouteWithoutSendingAnything) {
  EXPECT_EQ(diagnose::source_address_toward(ip("127.0.0.1")), ip("127.0.0.1"));
}

std::vector<Blocklist> three_lists() {
  return {{"zen.spamhaus.org", "Spamhaus ZEN", "https://check.spamhaus.org/", true},
          {"bl.spamcop.net", "SpamCop", "https://www.spamcop.net/bl.shtml", false},
          {"psbl.surriel.com", "PSBL", "https://psbl.org/", false}};
}

TEST(BlocklistFinding, NamesTheListsThatHoldTheAddressAndTheirPages) {
  const auto finding = diagnose::from_blocklist_answers(
      ip("8.8.4.4"), three_lists(),
      {answer(DnsOutcome::answered, {"127.0.0.2"}), answer(DnsOutcome::timed_out),
       answer(DnsOutcome::answered, {"127.0.0.2"})},
      1796000000);
  EXPECT_EQ(finding.category, "reputation.blocklisted");
  EXPECT_EQ(finding.facts.at("blocklists_listed"), "Spamhaus ZEN, PSBL");
  EXPECT_EQ(finding.facts.at("blocklist_removal"), "https://check.spamhaus.org/ https://psbl.org/");
  EXPECT_EQ(finding.facts.at("listed_address"), "8.8.4.4");
  EXPECT_EQ(finding.facts.count("checked_at"), 1u);
  EXPECT_NE(finding.summary.find("bl.spamcop.net (timed out)"), std::string::npos) << finding.summary;
}

TEST(BlocklistFinding, NoListingIsNothingLearnedAndAnUnansweredListIsNotANotListed) {
  const auto finding = diagnose::from_blocklist_answers(
      ip("8.8.4.4"), three_lists(),
      {answer(DnsOutcome::answered, {"127.255.255.254"}), answer(DnsOutcome::no_such_name),
       answer(DnsOutcome::server_failure)},
      1796000000);
  EXPECT_FALSE(finding.learned());
  EXPECT_TRUE(finding.facts.empty());
  EXPECT_NE(finding.summary.find("not listed by bl.spamcop.net;"), std::string::npos) << finding.summary;
  EXPECT_NE(finding.summary.find("zen.spamhaus.org (answered 127.255.255.254)"), std::string::npos) << finding.summary;
  EXPECT_NE(finding.summary.find("psbl.surriel.com (server failure)"), std::string::npos) << finding.summary;
}

}  // namespace
