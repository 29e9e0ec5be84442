// Which of many literal strings occur in a text: the string matching that
// RE2's FilteredRE2 leaves to its caller. Atoms are filed by the three bytes
// they start with, so a text is read once, with one look per byte, and an
// index of a thousand atoms is built in microseconds: no automaton to grow
// in each process.
#pragma once

#include <cstdint>
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

 private:
  static constexpr std::size_t kLead = 3;            // bytes an atom is filed by
  static constexpr std::size_t kBuckets = 1 << 16;  // for some thousands of atoms, few share one
  static constexpr std::size_t kPairWords = (1 << 16) / 64;
  static std::size_t bucket_of(const char* lead) {
    const auto byte = [lead](int i) { return static_cast<std::size_t>(static_cast<unsigned char>(lead[i])); };
    return (byte(0) * 0x9E37 ^ byte(1) * 0x3C6B ^ byte(2) * 0x1F5D) & (kBuckets - 1);
  }

  // An atom's first eight bytes (fewer if it is shorter) and their mask: most
  // candidates are told apart by one comparison of words.
  struct Entry {
    std::uint64_t head = 0;
    std::uint64_t mask = 0;
    int atom = 0;
  };
  static std::uint64_t head_word(std::string_view s);  // the first eight bytes or fewer, zero-padded

  // One bit for each pair of bytes that some atom of kLead bytes or more
  // starts with: most places in a text start no atom, and one look at this
  // table (8 KB) tells so before the three-byte bucket is worked out.
  static std::size_t pair_of(const char* lead) {
    return static_cast<unsigned char>(lead[0]) | static_cast<std::size_t>(static_cast<unsigned char>(lead[1])) << 8;
  }
  static bool may_start_atom(const std::uint64_t* lead_pairs, const char* lead) {
    const std::size_t pair = pair_of(lead);
    return (lead_pairs[pair / 64] >> (pair % 64)) & 1;
  }
  void scan_long_atoms(std::string_view text, std::vector<int>& found) const;

  std::vector<std::string> atoms_;
  std::vector<std::uint64_t> lead_pairs_ = std::vector<std::uint64_t>(kPairWords, 0);
  std::vector<Entry> by_lead_;               // atoms of kLead bytes or more, by bucket
  std::vector<std::uint32_t> bucket_start_;  // kBuckets + 1 offsets into by_lead_
  std::vector<int> short_;                   // atoms of fewer than kLead bytes
};

}  // namespace clearbounce::classifier
