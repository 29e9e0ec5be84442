#include "classifier/atom_index.hpp"

#include <algorithm>

namespace clearbounce::classifier {

namespace {

constexpr std::size_t kWord = 8;
constexpr std::size_t kTwelve = 12;

}  // namespace

AtomIndex::AtomIndex(std::vector<std::string> atoms)
    : atoms_(std::move(atoms)), lead_kinds_(std::size_t{1} << kLeadsLog, 0) {
  std::vector<std::size_t> fours, eights, twelves;
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    const std::string_view atom = atoms_[i];
    if (atom.size() < kLead) {
      short_.push_back(static_cast<int>(i));
      continue;
    }
    const std::uint8_t kind = atom.size() == kLead     ? kThreeByteLead
                              : atom.size() < kWord    ? kFourByteLead
                              : atom.size() < kTwelve ? kEightByteLead
                                                       : kTwelveByteLead;
    lead_kinds_[lead_hash(head_word(atom))] |= kind;
    if (kind == kThreeByteLead) {
      threes_heads_.push_back(head_of(atom));
      threes_tails_.push_back(tail_of(atom, static_cast<int>(i)));
    } else {
      (kind == kFourByteLead ? fours : kind == kEightByteLead ? eights : twelves).push_back(i);
    }
  }
  by_four_.key = kFirstFour;
  by_four_.file(atoms_, fours);
  by_eight_.key = kAllEight;
  by_eight_.file(atoms_, eights);
  by_twelve_.key = kAllEight;
  by_twelve_.twelve = true;
  by_twelve_.file(atoms_, twelves);
}

std::size_t AtomIndex::Buckets::bucket_of_atom(std::string_view atom) const {
  return twelve ? twelve_bucket_of(head_word(atom), head_word(atom.substr(kWord))) : bucket_of(head_word(atom), key);
}

// A counting sort by bucket.
void AtomIndex::Buckets::file(const std::vector<std::string>& atoms, const std::vector<std::size_t>& numbers) {
  start.assign((std::size_t{1} << kBucketsLog) + 1, 0);
  for (const std::size_t i : numbers) ++start[bucket_of_atom(atoms[i]) + 1];
  for (std::size_t b = 0; b + 1 < start.size(); ++b) start[b + 1] += start[b];
  heads.resize(start.back());
  tails.resize(start.back());
  std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
  for (const std::size_t i : numbers) {
    const std::uint32_t k = next[bucket_of_atom(atoms[i])]++;
    heads[k] = head_of(atoms[i]);
    tails[k] = tail_of(atoms[i], static_cast<int>(i));
  }
}

std::uint64_t AtomIndex::head_word(std::string_view s) {
  std::uint64_t word = 0;
  std::memcpy(&word, s.data(), std::min(s.size(), sizeof word));
  return word;
}

std::uint64_t AtomIndex::mask_of(std::size_t bytes) {
  constexpr std::string_view kOnes = "\xff\xff\xff\xff\xff\xff\xff\xff";
  return head_word(kOnes.substr(0, bytes));
}

AtomIndex::Head AtomIndex::head_of(std::string_view atom) {
  return Head{head_word(atom), mask_of(std::min(atom.size(), kWord))};
}

AtomIndex::Tail AtomIndex::tail_of(std::string_view atom, int number) {
  const std::string_view second = atom.substr(std::min(atom.size(), kWord), kWord);
  return Tail{head_word(second), mask_of(second.size()),
              atom.data() + std::min(atom.size(), 2 * kWord), static_cast<std::uint32_t>(atom.size()), number};
}

void AtomIndex::find(std::string_view text, std::vector<int>& found) const {
  find_each_place(text, found);
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
}

void AtomIndex::find_each_place(std::string_view text, std::vector<int>& found) const {
  found.clear();
  for (const int i : short_)
    if (text.find(atoms_[static_cast<std::size_t>(i)]) != std::string_view::npos) found.push_back(i);
  if (atoms_.size() > short_.size()) scan_places(text.data(), text.size(), found);
}

// Every place of the text is looked at: eight bytes are read there, and the
// hash of the first three looked up. Where fewer than eight bytes are left,
// they are read from a copy padded with zeros; an atom is still only found
// whole within the text (Tail::size against the bytes left).
void AtomIndex::scan_places(const char* text, std::size_t size, std::vector<int>& found) const {
  if (size < kLead) return;
  // Plain pointers: `found` grows in the loop, and through the vectors the
  // compiler would reload the tables' addresses at every place.
  const std::uint8_t* const lead_kinds = lead_kinds_.data();
  const std::uint32_t* const four_start = by_four_.start.data();
  const std::uint32_t* const eight_start = by_eight_.start.data();
  const std::uint32_t* const twelve_start = by_twelve_.start.data();
  const auto look = [&](std::uint64_t word, std::size_t at) {
    const std::uint8_t kinds = lead_kinds[lead_hash(word)];
    if (kinds == 0) return;
    // Many places that pass have no atom filed under their four or eight bytes.
    if (kinds & kEightByteLead)
      if (const std::size_t b = bucket_of(word, kAllEight); eight_start[b] != eight_start[b + 1])
        check_bucket(by_eight_, b, word, text + at, size - at, found);
    if ((kinds & kTwelveByteLead) && size - at >= kTwelve)
      if (const std::size_t b = twelve_bucket_of(word, second_word(text + at, size - at));
          twelve_start[b] != twelve_start[b + 1])
        check_bucket(by_twelve_, b, word, text + at, size - at, found);
    if (kinds & kFourByteLead)
      if (const std::size_t b = bucket_of(word, kFirstFour); four_start[b] != four_start[b + 1])
        check_bucket(by_four_, b, word, text + at, size - at, found);
    if (kinds & kThreeByteLead) check_threes(word, size - at, found);
  };
  const std::size_t read_whole = size >= kWord ? size - (kWord - 1) : 0;  // places with eight bytes to read
  for (std::size_t at = 0; at < read_whole; ++at) look(word_at(text + at), at);
  char padded[2 * kWord] = {};
  std::memcpy(padded, text + read_whole, size - read_whole);  // at most seven bytes
  for (std::size_t at = read_whole; at + kLead <= size; ++at) look(word_at(padded + (at - read_whole)), at);
}

// A place whose first bytes may start an atom filed in `buckets`: the
// atoms of its bucket.
void AtomIndex::check_bucket(const Buckets& buckets, std::size_t bucket, std::uint64_t word, const char* at,
                             std::size_t left, std::vector<int>& found) {
  const Head* const heads = buckets.heads.data();
  bool have_second = false;
  std::uint64_t second = 0;
  for (std::uint32_t k = buckets.start[bucket], end = buckets.start[bucket + 1]; k < end; ++k) {
    if ((word & heads[k].mask) != heads[k].head) continue;
    if (!have_second) {
      second = second_word(at, left);
      have_second = true;
    }
    if (tail_holds(buckets.tails[k], second, at, left)) found.push_back(buckets.tails[k].atom);
  }
}

void AtomIndex::check_threes(std::uint64_t word, std::size_t left, std::vector<int>& found) const {
  for (std::size_t k = 0; k < threes_heads_.size(); ++k)
    if ((word & threes_heads_[k].mask) == threes_heads_[k].head && threes_tails_[k].size <= left)
      found.push_back(threes_tails_[k].atom);
}

}  // namespace clearbounce::classifier
