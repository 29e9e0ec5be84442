// The free-text recipient reader tells which recipient an address is by
// comparing it with each one found so far while there are few, and by a
// hash index past that. Both ways must say the same: a recipient named
// again (in any case) is the same recipient, and its later lines explain it.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "dsn/plain.hpp"

namespace {

using clearbounce::dsn::detail::find_plain_recipients;

// `before`, k and `after` run together ("r", 7, "@example.net"), appended a
// piece at a time: GCC 12 warns wrongly about chains of operator+ at -O3.
std::string numbered(std::string_view before, int k, std::string_view after) {
  std::string joined(before);
  joined += std::to_string(k);
  joined += after;
  return joined;
}

// "<r1@example.net>: see below" ... then each named again in capitals with
// its own reason, as bounces in two parts (a list, then the answers) do.
std::string listed_then_answered(int count) {
  std::string text = "Delivery failed for these recipients:\n";
  for (int k = 1; k <= count; ++k) text += numbered("<r", k, "@example.net>: see below\n");
  text += "\n";  // no words between: the last one's own lines say nothing either
  for (int k = 1; k <= count; ++k)
    text += numbered("<R", k, "@EXAMPLE.NET>: ") + numbered("no such user r", k, " here\n");
  return text;
}

TEST(PlainRecipientIndex, ARecipientNamedAgainIsTheSameOneWhateverTheirNumber) {
  // From one recipient to well past the number compared one by one.
  for (int count = 1; count <= 40; ++count) {
    const std::string text = listed_then_answered(count);
    const auto found = find_plain_recipients(text, {}, {}, 100);
    ASSERT_EQ(found.size(), static_cast<std::size_t>(count)) << count;
    for (int k = 1; k <= count; ++k) {
      const auto& r = found[static_cast<std::size_t>(k - 1)];
      EXPECT_EQ(r.address, numbered("r", k, "@example.net")) << count;
      EXPECT_NE(r.text.find(numbered("no such user r", k, " here")), std::string::npos) << count << " " << k;
      const int other = k == count ? 1 : k + 1;
      if (other != k) {
        EXPECT_EQ(r.text.find(numbered("no such user r", other, " here")), std::string::npos) << count;
      }
    }
  }
}

TEST(PlainRecipientIndex, KnownRecipientsAreMatchedWhateverTheirNumber) {
  for (int count = 1; count <= 40; ++count) {
    std::vector<std::string> known;
    for (int k = count; k >= 1; --k) known.push_back(numbered("R", k, "@Example.Net"));
    const auto found = find_plain_recipients(listed_then_answered(count), {}, known, known.size());
    ASSERT_EQ(found.size(), static_cast<std::size_t>(count)) << count;
    for (int k = 1; k <= count; ++k)
      EXPECT_EQ(found[static_cast<std::size_t>(k - 1)].address, numbered("r", k, "@example.net")) << count;
  }
}

}  // namespace
