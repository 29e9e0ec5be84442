// The free-text recipient reader keeps its working lists per thread from
// one text to the next. What it finds in a text must not depend on what
// the thread read before: each text read after every other one (a large
// one among them, whose lists are freed again) gives what a thread that
// never read anything else gives.
#include <gtest/gtest.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "dsn/plain.hpp"

namespace {

using clearbounce::dsn::detail::find_plain_recipients;
using clearbounce::dsn::detail::PlainRecipient;

// `before`, k and `after` run together, appended a piece at a time: GCC 12
// warns wrongly about chains of operator+ at -O3.
std::string numbered(std::string_view before, int k, std::string_view after) {
  std::string joined(before);
  joined += std::to_string(k);
  joined += after;
  return joined;
}

struct Reading {
  std::string text;
  std::vector<std::string> exclude;
  std::vector<std::string> known;
};

std::vector<Reading> readings() {
  std::string many;  // more lines and recipients than the lists keep room for
  for (int k = 0; k < 6000; ++k) many += numbered("<user", k % 50, "@example.net>: mailbox unavailable\n");
  std::string transcript = "Delivery failed:\n";
  for (int k = 0; k < 12; ++k) transcript += numbered("<r", k, "@example.org>: see below\n");
  transcript += "\n";
  for (int k = 11; k >= 0; --k) transcript += numbered(">>> RCPT TO:<R", k, "@EXAMPLE.ORG>\n<<< 550 no user\n");
  return {
      {"<bob@example.net>:\nThe mailbox is full and accepts no more mail.\n", {}, {}},
      {many, {"user3@example.net"}, {}},
      {transcript, {}, {}},
      {"To: alice@example.com,\n  carol@example.com\n\n<dave@example.net>: no such user here at all\n",
       {"alice@example.com"}, {}},
      {transcript, {}, {"r3@example.org", "R7@Example.Org"}},
      {"Your message to x@example.com failed: please contact postmaster@example.com\n", {"sender@example.com"}, {}},
      {"", {}, {}},
  };
}

bool same(const std::vector<PlainRecipient>& a, const std::vector<PlainRecipient>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].address != b[i].address || a[i].text != b[i].text) return false;
  return true;
}

std::vector<PlainRecipient> read(const Reading& r) { return find_plain_recipients(r.text, r.exclude, r.known, 100); }

TEST(PlainReaderLists, WhatATextGivesDoesNotDependOnWhatTheThreadReadBefore) {
  const std::vector<Reading> all = readings();
  // Each text on a thread of its own: lists never used before.
  std::vector<std::vector<PlainRecipient>> fresh(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) std::thread([&] { fresh[i] = read(all[i]); }).join();
  ASSERT_EQ(fresh[1].size(), 49u);  // 50 named, one of them excluded
  // Every text after every other one, on this thread.
  for (std::size_t before = 0; before < all.size(); ++before) {
    for (std::size_t i = 0; i < all.size(); ++i) {
      read(all[before]);
      EXPECT_TRUE(same(read(all[i]), fresh[i])) << "text " << i << " after text " << before;
    }
  }
}

}  // namespace
