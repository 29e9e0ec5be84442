// Which of many literal strings occur in a text: the string matching that
// RE2's FilteredRE2 leaves to its caller. A text is read once, with one look
// at a table per byte, and an index of a thousand atoms is built in
// microseconds: no automaton to grow in each process.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace clearbounce::classifier {

class AtomIndex {
 public:
  AtomIndex() = default;
  explicit AtomIndex(std::vector<std::string> atoms);

  // The numbers (positions in the constructor's vector) of the atoms that
  // occur in `text`, each once, in increasing order. Bytes are compared as
  // they are: lower-case the text if the atoms are lower case.
  void find(std::string_view text, std::vector<int>& found) const;
  // The same atoms in the order they are found, an atom once for each place
  // it occurs (its caller tells repeats apart more cheaply than a sort).
  void find_each_place(std::string_view text, std::vector<int>& found) const;
  std::size_t size() const { return atoms_.size(); }

 private:
  // An atom of three bytes or more is filed by the hash of its first three
  // bytes, which most places of a text miss: `lead_kinds_` says for each
  // hash which atoms start so. Those of three bytes are few (`threes_`);
  // those of four to seven are filed by their first four bytes
  // (`by_four_`), those of eight to eleven by their first eight
  // (`by_eight_`), longer ones by their first twelve (`by_twelve_`): dozens
  // of atoms start with "not " or "mess", and dozens with "message " or
  // "mailbox " (a pattern's spellings), few share twelve bytes.
  static constexpr std::size_t kLead = 3;
  static constexpr int kLeadsLog = 16;    // 64 KB: a few hundred leads set, 0.6% of places pass by chance
  static constexpr int kBucketsLog = 14;  // some hundreds of buckets used in each table
  static constexpr std::uint8_t kThreeByteLead = 1, kFourByteLead = 2, kEightByteLead = 4, kTwelveByteLead = 8;
  // The first three and four bytes of a word read from memory, on either
  // kind of machine (atoms' heads are read the same way as the text).
  static constexpr bool kLittle = std::endian::native == std::endian::little;
  static constexpr std::uint64_t kFirstThree = kLittle ? 0xFFFFFFu : 0xFFFFFFull << 40;
  static constexpr std::uint64_t kFirstFour = kLittle ? 0xFFFFFFFFu : 0xFFFFFFFFull << 32;
  static constexpr std::uint64_t kAllEight = ~std::uint64_t{0};
  static constexpr std::size_t lead_hash(std::uint64_t word) {
    return ((word & kFirstThree) * 0x9E3779B97F4A7C15ull) >> (64 - kLeadsLog);
  }
  static constexpr std::size_t bucket_of(std::uint64_t word, std::uint64_t key) {
    return ((word & key) * 0xC2B2AE3D27D4EB4Full) >> (64 - kBucketsLog);
  }
  // By twelve bytes: the first eight (`word`) and the next four (of `second`).
  static constexpr std::size_t twelve_bucket_of(std::uint64_t word, std::uint64_t second) {
    return (((word * 0xC2B2AE3D27D4EB4Full) ^ (second & kFirstFour)) * 0x9E3779B97F4A7C15ull) >> (64 - kBucketsLog);
  }
  // The eight bytes at `at`.
  static std::uint64_t word_at(const char* at) {
    std::uint64_t word;
    std::memcpy(&word, at, sizeof word);
    return word;
  }
  static std::uint64_t head_word(std::string_view s);  // the first eight bytes or fewer, zero-padded
  static std::uint64_t mask_of(std::size_t bytes);     // keeps a head_word()'s first `bytes` (at most eight)

  // An atom's first eight bytes (fewer if it is shorter) and their mask:
  // most entries looked at are told apart by them. Many atoms share their
  // first eight bytes ("message ", "does not", "recipien"), so the next
  // eight are compared as a word too, and only what is left of an atom
  // longer than sixteen bytes by memcmp (Tail).
  struct Head {
    std::uint64_t head = 0;
    std::uint64_t mask = 0;
  };
  struct Tail {
    std::uint64_t second = 0;  // bytes 8 to 15 of the atom, zero-padded
    std::uint64_t second_mask = 0;
    const char* rest = nullptr;  // the bytes after the sixteenth
    std::uint32_t size = 0;
    int atom = 0;
  };
  static Head head_of(std::string_view atom);
  static Tail tail_of(std::string_view atom, int number);
  // Bytes 8 to 15 of the `left` bytes at `at` (zero-padded where fewer),
  // read when some atom's first eight agree.
  static std::uint64_t second_word(const char* at, std::size_t left) {
    if (left >= 16) return word_at(at + 8);
    return left > 8 ? head_word(std::string_view(at + 8, left - 8)) : 0;
  }
  static bool tail_holds(const Tail& tail, std::uint64_t second, const char* at, std::size_t left) {
    return tail.size <= left && (second & tail.second_mask) == tail.second &&
           (tail.size <= 16 || std::memcmp(tail.rest, at + 16, tail.size - 16) == 0);
  }
  // Atoms filed by the hash of some of their first bytes (`key`):
  // heads[start[b] .. start[b + 1]) and their tails are bucket b.
  struct Buckets {
    std::uint64_t key = 0;  // ~0 with `twelve`: filed by twelve_bucket_of()
    bool twelve = false;
    std::vector<Head> heads;
    std::vector<Tail> tails;
    std::vector<std::uint32_t> start;  // (1 << kBucketsLog) + 1 offsets
    void file(const std::vector<std::string>& atoms, const std::vector<std::size_t>& numbers);
    std::size_t bucket_of_atom(std::string_view atom) const;
  };
  void scan_places(const char* text, std::size_t size, std::vector<int>& found) const;
  static void check_bucket(const Buckets& buckets, std::size_t bucket, std::uint64_t word, const char* at,
                           std::size_t left, std::vector<int>& found);
  void check_threes(std::uint64_t word, std::size_t left, std::vector<int>& found) const;

  std::vector<std::string> atoms_;
  std::vector<std::uint8_t> lead_kinds_;  // k...ByteLead bits for each lead hash
  Buckets by_four_;                       // atoms of four to seven bytes
  Buckets by_eight_;                      // atoms of eight to eleven bytes
  Buckets by_twelve_;                     // atoms of twelve bytes or more
  std::vector<Head> threes_heads_;        // atoms of three bytes
  std::vector<Tail> threes_tails_;
  std::vector<int> short_;                // atoms of fewer than kLead bytes
};

}  // namespace clearbounce::classifier
