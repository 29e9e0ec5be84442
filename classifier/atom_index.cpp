#include "classifier/atom_index.hpp"

#include <algorithm>
#include <cstring>

namespace clearbounce::classifier {

AtomIndex::AtomIndex(std::vector<std::string> atoms) : atoms_(std::move(atoms)), bucket_start_(kBuckets + 1, 0) {
  // A counting sort by bucket: by_lead_[bucket_start_[b] .. bucket_start_[b + 1]) is bucket b.
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    if (atoms_[i].size() < kLead) {
      short_.push_back(static_cast<int>(i));
    } else {
      ++bucket_start_[bucket_of(atoms_[i].data()) + 1];
    }
  }
  for (std::size_t b = 0; b < kBuckets; ++b) bucket_start_[b + 1] += bucket_start_[b];
  by_lead_.resize(bucket_start_[kBuckets]);
  std::vector<std::uint32_t> next(bucket_start_.begin(), bucket_start_.end() - 1);
  for (std::size_t i = 0; i < atoms_.size(); ++i) {
    const std::string_view atom = atoms_[i];
    if (atom.size() < kLead) continue;
    const std::size_t pair = pair_of(atom.data());
    lead_pairs_[pair / 64] |= std::uint64_t{1} << (pair % 64);
    const std::string mask_bytes(std::min<std::size_t>(atom.size(), 8), '\xff');
    by_lead_[next[bucket_of(atom.data())]++] = {head_word(atom), head_word(mask_bytes), static_cast<int>(i)};
  }
}

std::uint64_t AtomIndex::head_word(std::string_view s) {
  std::uint64_t word = 0;
  if (s.size() >= sizeof word) {
    std::memcpy(&word, s.data(), sizeof word);  // a fixed size: one load, no call
  } else {
    std::memcpy(&word, s.data(), s.size());
  }
  return word;
}

void AtomIndex::find(std::string_view text, std::vector<int>& found) const {
  found.clear();
  for (const int i : short_)
    if (text.find(atoms_[static_cast<std::size_t>(i)]) != std::string_view::npos) found.push_back(i);
  if (!by_lead_.empty()) scan_long_atoms(text, found);
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
}

// Appends the atoms of kLead bytes or more found in `text`, once for each place.
void AtomIndex::scan_long_atoms(std::string_view text, std::vector<int>& found) const {
  // Plain pointers: `found` grows in the loop, and through a vector's own
  // members the compiler would reload the tables at every place.
  const std::uint64_t* const lead_pairs = lead_pairs_.data();
  const std::uint32_t* const bucket_start = bucket_start_.data();
  const Entry* const by_lead = by_lead_.data();
  const char* const bytes = text.data();
  for (std::size_t at = 0; at + kLead <= text.size(); ++at) {
    if (!may_start_atom(lead_pairs, bytes + at)) continue;
    const std::size_t bucket = bucket_of(bytes + at);
    const std::uint32_t end = bucket_start[bucket + 1];
    if (bucket_start[bucket] == end) continue;
    const std::string_view rest = text.substr(at);
    const std::uint64_t word = head_word(rest.substr(0, 8));
    for (std::uint32_t k = bucket_start[bucket]; k < end; ++k) {
      const Entry& entry = by_lead[k];
      if ((word & entry.mask) != entry.head) continue;
      const std::string& atom = atoms_[static_cast<std::size_t>(entry.atom)];
      if (atom.size() <= 8 ||
          (atom.size() <= rest.size() && std::memcmp(atom.data() + 8, rest.data() + 8, atom.size() - 8) == 0))
        found.push_back(entry.atom);
    }
  }
}

}  // namespace clearbounce::classifier
