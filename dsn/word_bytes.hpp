// Eight bytes read as one 64-bit word and tested all at once: the bit tricks
// that the scanners of dsn/, classifier/ and engine/ share, written once.
//
// Each test returns the high bit of every byte it marks. A borrow or carry
// can mark a byte after a marked one wrongly, never one before it and never
// miss one: the first mark is exact, and so is "no byte is marked" (== 0).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace clearbounce::dsn::word {

inline constexpr std::uint64_t kEveryByte = 0x0101010101010101ull;
inline constexpr std::uint64_t kHighBits = 0x8080808080808080ull;

// The eight bytes at `p`, the first in the lowest byte on any machine, so
// that first_marked() counts from `p`.
inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t x;
  std::memcpy(&x, p, sizeof x);
  if constexpr (std::endian::native == std::endian::big) x = __builtin_bswap64(x);
  return x;
}

// Bytes below `n` (n at most 0x80).
constexpr std::uint64_t bytes_below(std::uint64_t x, std::uint8_t n) noexcept {
  return (x - kEveryByte * n) & ~x & kHighBits;
}

// Bytes above `n` (n below 0x80), bytes from 0x80 up included.
constexpr std::uint64_t bytes_above(std::uint64_t x, std::uint8_t n) noexcept {
  return ((x + kEveryByte * (0x7F - n)) | x) & kHighBits;
}

// Bytes equal to `c`.
constexpr std::uint64_t bytes_equal(std::uint64_t x, std::uint8_t c) noexcept {
  return bytes_below(x ^ (kEveryByte * c), 1);
}

// Bytes from 0x80 up: not ASCII.
constexpr std::uint64_t non_ascii_bytes(std::uint64_t x) noexcept { return x & kHighBits; }

// Where the first marked byte is, counted in bytes from the word's first.
constexpr std::size_t first_marked(std::uint64_t marks) noexcept {
  return static_cast<std::size_t>(std::countr_zero(marks)) / 8;
}

}  // namespace clearbounce::dsn::word
