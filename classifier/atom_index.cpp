#include "classifier/atom_index.hpp"

#include <algorithm>

namespace clearbounce::classifier {

AtomIndex::AtomIndex(std::vector<std::string> atoms)
    : atoms_(std::move(atoms)), lead_kinds_(std::size_t{1} << kLeadsLog, 0),
      bucket_start_((std::size_t{1} << kBucketsLog) + 1, 0) {
  const auto head_of = [](std::string_view atom) {
    return Head{head_word(atom), head_word(std::string(std::min<std::size_t>(atom.size(), 8), '\xff'))};
  };
  const auto tail_at = [this](std::size_t i) { return tail_of(atoms_[i], static_cast<int>(i)); };
  // A counting sort by bucket: by_four_*[bucket_start_[b] .. bucket_start_[b + 1]) is bucket b.
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    const std::string_view atom = atoms_[i];
    if (atom.size() < kLead) {
      short_.push_back(static_cast<int>(i));
      continue;
    }
    lead_kinds_[lead_hash(head_word(atom))] |= atom.size() == kLead ? kThreeByteLead : kLongerLead;
    if (atom.size() == kLead) {
      threes_heads_.push_back(head_of(atom));
      threes_tails_.push_back(tail_at(i));
    } else {
      ++bucket_start_[bucket_of(head_word(atom)) + 1];
    }
  }
  for (std::size_t b = 0; b + 1 < bucket_start_.size(); ++b) bucket_start_[b + 1] += bucket_start_[b];
  by_four_heads_.resize(bucket_start_.back());
  by_four_tails_.resize(bucket_start_.back());
  std::vector<std::uint32_t> next(bucket_start_.begin(), bucket_start_.end() - 1);
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    if (atoms_[i].size() <= kLead) continue;
    const std::uint32_t k = next[bucket_of(head_word(atoms_[i]))]++;
    by_four_heads_[k] = head_of(atoms_[i]);
    by_four_tails_[k] = tail_at(i);
  }
}

std::uint64_t AtomIndex::head_word(std::string_view s) {
  std::uint64_t word = 0;
  std::memcpy(&word, s.data(), std::min(s.size(), sizeof word));
  return word;
}

AtomIndex::Tail AtomIndex::tail_of(std::string_view atom, int number) {
  const std::string_view second = atom.substr(std::min<std::size_t>(atom.size(), 8), 8);
  return Tail{head_word(second), head_word(std::string(second.size(), '\xff')),
              atom.data() + std::min<std::size_t>(atom.size(), 16), static_cast<std::uint32_t>(atom.size()), number};
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
  if (!by_four_heads_.empty() || !threes_heads_.empty()) scan_places(text.data(), text.size(), found);
}

// Every place of the text is looked at: eight bytes are read there, and the
// hash of the first three looked up. Where fewer than eight bytes are left,
// they are read from a copy padded with zeros; an atom is still only found
// whole within the text (Tail::size against the bytes left).
void AtomIndex::scan_places(const char* text, std::size_t size, std::vector<int>& found) const {
  if (size < kLead) return;
  // A plain pointer: `found` grows in the loop, and through the vector the
  // compiler would reload the table's address at every place.
  const std::uint8_t* const lead_kinds = lead_kinds_.data();
  const std::uint32_t* const bucket_start = bucket_start_.data();
  const auto look = [&](std::uint64_t word, std::size_t at) {
    const std::uint8_t kinds = lead_kinds[lead_hash(word)];
    if (kinds == 0) return;
    // Half the places that pass have no atom filed under their four bytes.
    if (const std::size_t bucket = bucket_of(word);
        (kinds & kLongerLead) && bucket_start[bucket] != bucket_start[bucket + 1])
      check_longer(bucket, word, text + at, size - at, found);
    if (kinds & kThreeByteLead) check_threes(word, size - at, found);
  };
  const std::size_t read_whole = size >= 8 ? size - 7 : 0;  // places with eight bytes to read
  for (std::size_t at = 0; at < read_whole; ++at) look(word_at(text + at), at);
  char padded[16] = {};
  std::memcpy(padded, text + read_whole, size - read_whole);  // at most seven bytes
  for (std::size_t at = read_whole; at + kLead <= size; ++at) look(word_at(padded + (at - read_whole)), at);
}

// A place whose first four bytes may start an atom of four bytes or more:
// the atoms filed under them (`bucket`).
void AtomIndex::check_longer(std::size_t bucket, std::uint64_t word, const char* at, std::size_t left,
                             std::vector<int>& found) const {
  const Head* const heads = by_four_heads_.data();
  bool have_second = false;
  std::uint64_t second = 0;
  for (std::uint32_t k = bucket_start_[bucket], end = bucket_start_[bucket + 1]; k < end; ++k) {
    if ((word & heads[k].mask) != heads[k].head) continue;
    if (!have_second) {
      second = second_word(at, left);
      have_second = true;
    }
    if (tail_holds(by_four_tails_[k], second, at, left)) found.push_back(by_four_tails_[k].atom);
  }
}

void AtomIndex::check_threes(std::uint64_t word, std::size_t left, std::vector<int>& found) const {
  for (std::size_t k = 0; k < threes_heads_.size(); ++k)
    if ((word & threes_heads_[k].mask) == threes_heads_[k].head && threes_tails_[k].size <= left)
      found.push_back(threes_tails_[k].atom);
}

}  // namespace clearbounce::classifier
