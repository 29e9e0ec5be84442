// The eight-bytes-at-once tests of dsn/word_bytes.hpp against the same
// questions asked of each byte in turn: the first marked byte and "none
// marked" must agree, on every byte value at every place of a word and on
// random words.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <random>

#include "dsn/word_bytes.hpp"

namespace {

namespace word = clearbounce::dsn::word;

using Bytes = std::array<char, 8>;

// Where the first byte that `marked` says yes to is, if any.
std::optional<std::size_t> first_by_bytes(const Bytes& bytes, const std::function<bool(unsigned char)>& marked) {
  for (std::size_t i = 0; i < bytes.size(); ++i)
    if (marked(static_cast<unsigned char>(bytes[i]))) return i;
  return std::nullopt;
}

std::optional<std::size_t> first_by_word(std::uint64_t marks) {
  if (marks == 0) return std::nullopt;
  return word::first_marked(marks);
}

void expect_all_tests_agree(const Bytes& bytes) {
  const std::uint64_t x = word::load(bytes.data());
  for (const unsigned n : {1u, 6u, 0x20u, 0x21u, 0x23u, 33u, 0x80u}) {
    EXPECT_EQ(first_by_word(word::bytes_below(x, static_cast<std::uint8_t>(n))),
              first_by_bytes(bytes, [n](unsigned char c) { return c < n; }))
        << "below " << n;
  }
  for (const unsigned n : {0u, 0x20u, 0x7Eu, 126u, 0x7Fu - 1}) {
    EXPECT_EQ(first_by_word(word::bytes_above(x, static_cast<std::uint8_t>(n))),
              first_by_bytes(bytes, [n](unsigned char c) { return c > n; }))
        << "above " << n;
  }
  for (const unsigned c : {0u, unsigned{'='}, unsigned{':'}, unsigned{';'}, unsigned{'('}, 0x7Fu, 0xFFu}) {
    EXPECT_EQ(first_by_word(word::bytes_equal(x, static_cast<std::uint8_t>(c))),
              first_by_bytes(bytes, [c](unsigned char b) { return b == c; }))
        << "equal " << c;
  }
  EXPECT_EQ(first_by_word(word::non_ascii_bytes(x)), first_by_bytes(bytes, [](unsigned char b) { return b >= 0x80; }));
}

TEST(WordBytes, EveryByteValueAtEveryPlace) {
  for (std::size_t place = 0; place < 8; ++place) {
    for (unsigned value = 0; value < 256; ++value) {
      for (const char filler : {'a', ' ', '\0', '\x80', '\xFF'}) {
        Bytes bytes;
        bytes.fill(filler);
        bytes[place] = static_cast<char>(value);
        expect_all_tests_agree(bytes);
        if (testing::Test::HasFailure()) return;
      }
    }
  }
}

TEST(WordBytes, RandomWords) {
  std::mt19937_64 rng(20261204);
  // Bytes near the thresholds the tests use, so that borrows and carries
  // between neighbours happen often.
  static constexpr std::array<unsigned char, 16> kNear = {0, 1, 5, 6, 0x1F, 0x20, 0x21, 0x22,
                                                          0x23, ':', '=', 0x7E, 0x7F, 0x80, 0x81, 0xFF};
  for (int round = 0; round < 200000; ++round) {
    Bytes bytes;
    const std::uint64_t r = rng();
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      const auto pick = static_cast<unsigned>(r >> (i * 8)) & 0xFF;
      bytes[i] = static_cast<char>(pick < 128 ? kNear[pick % kNear.size()] : pick);
    }
    expect_all_tests_agree(bytes);
    if (HasFailure()) return;
  }
}

}  // namespace
