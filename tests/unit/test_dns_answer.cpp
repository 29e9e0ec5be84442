// parse_answer() over DNS messages built here byte by byte: what each record
// type gives, and that a short, truncated or lying message is read within
// its length.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "diagnose/dns.hpp"

namespace {

using clearbounce::diagnose::DnsOutcome;
using clearbounce::diagnose::kMaxRecords;
using clearbounce::diagnose::parse_answer;
using clearbounce::diagnose::RecordType;
using Bytes = std::vector<unsigned char>;

void put16(Bytes& out, unsigned value) {
  out.push_back(static_cast<unsigned char>(value >> 8));
  out.push_back(static_cast<unsigned char>(value & 0xff));
}

void put_name(Bytes& out, const std::string& name) {
  std::size_t start = 0;
  while (start < name.size()) {
    const auto dot = name.find('.', start);
    const auto end = dot == std::string::npos ? name.size() : dot;
    out.push_back(static_cast<unsigned char>(end - start));
    out.insert(out.end(), name.begin() + static_cast<long>(start), name.begin() + static_cast<long>(end));
    start = end + 1;
  }
  out.push_back(0);
}

struct Record {
  std::string name;
  unsigned type;
  Bytes data;
};

// A response to one question with the given answer records.
Bytes response(const std::string& question, unsigned type, const std::vector<Record>& answers, unsigned rcode = 0) {
  Bytes out;
  put16(out, 0x1234);
  put16(out, 0x8180 | rcode);  // response, recursion desired and available
  put16(out, 1);
  put16(out, static_cast<unsigned>(answers.size()));
  put16(out, 0);
  put16(out, 0);
  put_name(out, question);
  put16(out, type);
  put16(out, 1);
  for (const auto& r : answers) {
    put_name(out, r.name);
    put16(out, r.type);
    put16(out, 1);
    put16(out, 0);
    put16(out, 300);  // TTL
    put16(out, static_cast<unsigned>(r.data.size()));
    out.insert(out.end(), r.data.begin(), r.data.end());
  }
  return out;
}

Record mx(const std::string& owner, unsigned preference, const std::string& host) {
  Bytes data;
  put16(data, preference);
  put_name(data, host);
  return {owner, 15, data};
}

Record tlsa(const std::string& owner, Bytes data) { return {owner, 52, std::move(data)}; }

clearbounce::diagnose::DnsAnswer parse(RecordType type, const Bytes& message) {
  return parse_answer(type, message.data(), static_cast<int>(message.size()));
}

TEST(DnsAnswer, MxRecordsComeByPreference) {
  const auto answer = parse(RecordType::mx, response("example.org", 15,
                                                     {mx("example.org", 20, "mx2.example.org"),
                                                      mx("example.org", 10, "mx1.example.org")}));
  ASSERT_EQ(answer.outcome, DnsOutcome::answered);
  ASSERT_EQ(answer.mx.size(), 2u);
  EXPECT_EQ(answer.mx[0].host, "mx1.example.org");
  EXPECT_EQ(answer.mx[0].preference, 10);
  EXPECT_EQ(answer.mx[1].host, "mx2.example.org");
  EXPECT_FALSE(answer.null_mx());
}

TEST(DnsAnswer, TellsANullMx) {
  const auto answer = parse(RecordType::mx, response("example.org", 15, {mx("example.org", 0, "")}));
  ASSERT_EQ(answer.outcome, DnsOutcome::answered);
  EXPECT_TRUE(answer.null_mx());
  // Preference 0 to a real host is an ordinary MX.
  EXPECT_FALSE(parse(RecordType::mx, response("example.org", 15, {mx("example.org", 0, "mx.example.org")})).null_mx());
}

TEST(DnsAnswer, ReadsTlsaRecordsAndSkipsOtherTypes) {
  const Record cname{"_25._tcp.mx.example.org", 5, [] {
                       Bytes b;
                       put_name(b, "tlsa.example.net");
                       return b;
                     }()};
  const auto answer = parse(RecordType::tlsa, response("_25._tcp.mx.example.org", 52,
                                                       {cname, tlsa("tlsa.example.net", {3, 1, 1, 0xaa, 0xbb})}));
  ASSERT_EQ(answer.outcome, DnsOutcome::answered);
  ASSERT_EQ(answer.tlsa.size(), 1u);
  EXPECT_EQ(answer.tlsa[0].usage, 3);
  EXPECT_EQ(answer.tlsa[0].selector, 1);
  EXPECT_EQ(answer.tlsa[0].matching_type, 1);
  EXPECT_EQ(answer.tlsa[0].data, (std::vector<std::uint8_t>{0xaa, 0xbb}));
  EXPECT_EQ(parse(RecordType::tlsa, response("_25._tcp.mx.example.org", 52, {cname})).outcome, DnsOutcome::no_records);
}

TEST(DnsAnswer, TakesAtMostTheRecordLimit) {
  std::vector<Record> many;
  for (unsigned i = 0; i < kMaxRecords + 10; ++i) many.push_back(tlsa("x.example", {3, 1, 1, static_cast<unsigned char>(i)}));
  EXPECT_EQ(parse(RecordType::tlsa, response("x.example", 52, many)).tlsa.size(), kMaxRecords);
  std::vector<Record> exchangers;
  for (unsigned i = 0; i < kMaxRecords + 10; ++i) exchangers.push_back(mx("x.example", i, "mx.x.example"));
  EXPECT_EQ(parse(RecordType::mx, response("x.example", 15, exchangers)).mx.size(), kMaxRecords);
}

TEST(DnsAnswer, ReadsAddressesAndJoinsTheStringsOfOneTxtRecord) {
  const auto a = parse(RecordType::a, response("mx.example.org", 1, {{"mx.example.org", 1, {192, 0, 2, 25}}}));
  ASSERT_EQ(a.outcome, DnsOutcome::answered);
  ASSERT_EQ(a.addresses.size(), 1u);
  EXPECT_EQ(a.addresses[0].to_string(), "192.0.2.25");

  Bytes v6(16, 0);
  v6[0] = 0x20, v6[1] = 0x01, v6[2] = 0x0d, v6[3] = 0xb8, v6[15] = 0x25;
  const auto aaaa = parse(RecordType::aaaa, response("mx.example.org", 28, {{"mx.example.org", 28, v6}}));
  ASSERT_EQ(aaaa.addresses.size(), 1u);
  EXPECT_EQ(aaaa.addresses[0].to_string(), "2001:db8::25");

  const Bytes strings = {5, 'L', 'i', 's', 't', 'e', 3, 'd', ' ', 'x'};
  const auto txt = parse(RecordType::txt, response("2.0.0.127.bl.example", 16,
                                                   {{"2.0.0.127.bl.example", 16, strings},
                                                    {"2.0.0.127.bl.example", 16, {2, 'o', 'k'}}}));
  ASSERT_EQ(txt.outcome, DnsOutcome::answered);
  EXPECT_EQ(txt.texts, (std::vector<std::string>{"Listed x", "ok"}));
}

TEST(DnsAnswer, AMessageThatLiesAboutItsLengthFails) {
  auto message = response("_25._tcp.mx.example.org", 52, {tlsa("_25._tcp.mx.example.org", {3, 1, 1, 1, 2, 3})});
  for (std::size_t cut = 0; cut < message.size(); ++cut) {
    const Bytes shorter(message.begin(), message.begin() + static_cast<long>(cut));
    for (auto type : {RecordType::tlsa, RecordType::mx, RecordType::a, RecordType::txt})
      EXPECT_NE(parse(type, shorter).outcome, DnsOutcome::answered) << "cut at " << cut;
  }
  // A record claiming more data than the message holds.
  message[message.size() - 7] = 0xff;
  EXPECT_EQ(parse(RecordType::tlsa, message).outcome, DnsOutcome::failed);
}

TEST(DnsAnswer, RandomBytesAreReadWithinTheirLength) {
  std::mt19937 random(7);
  const auto base = response("x.example", 52, {tlsa("x.example", {3, 1, 1, 9, 9}), mx("x.example", 5, "m.x.example")});
  for (int round = 0; round < 20000; ++round) {
    Bytes message = base;
    const int flips = 1 + static_cast<int>(random() % 8);
    for (int i = 0; i < flips; ++i) message[random() % message.size()] = static_cast<unsigned char>(random());
    message.resize(random() % (message.size() + 1));
    for (auto type : {RecordType::tlsa, RecordType::mx, RecordType::a, RecordType::aaaa, RecordType::txt}) {
      const auto answer = parse(type, message);  // ASan in the sanitizer build checks every read
      EXPECT_LE(answer.tlsa.size() + answer.mx.size() + answer.addresses.size() + answer.texts.size(), kMaxRecords);
    }
  }
}

}  // namespace
