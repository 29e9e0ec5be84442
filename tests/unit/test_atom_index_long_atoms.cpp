// AtomIndex files atoms of twelve bytes or more by their first twelve: many
// long atoms sharing their first eight bytes (a pattern's spellings, such as
// "mailbox is full" and "mailbox is over quota") must each still be found
// exactly where they occur whole, up to the text's last byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "classifier/atom_index.hpp"

namespace {

using clearbounce::classifier::AtomIndex;

std::vector<int> found_in(const AtomIndex& index, std::string_view text) {
  std::vector<int> found;
  index.find(text, found);
  return found;
}

std::vector<int> found_by_search(const std::vector<std::string>& atoms, std::string_view text) {
  std::vector<int> found;
  for (std::size_t i = 0; i < atoms.size(); ++i)
    if (text.find(atoms[i]) != std::string_view::npos) found.push_back(static_cast<int>(i));
  return found;
}

TEST(AtomIndexLongAtoms, SpellingsSharingTheirFirstEightBytesAreToldApart) {
  const std::vector<std::string> atoms{"mailbox full",         "mailbox is full",  "mailbox is over quota",
                                       "mailbox over quota",   "mailbox overquota", "mailbox exceed",
                                       "mailbox is exceed",    "mailbox ",          "mailbox is ov"};
  const AtomIndex index(atoms);
  for (const std::string_view text :
       {"your mailbox is over quota", "mailbox is over quot", "mailbox is ov", "mailbox is o", "mailbox overquota.",
        "mailbox full", "a mailbox exceeds", "mailbox is exceed", "mailbox is excee", "mailbox"})
    EXPECT_EQ(found_in(index, text), found_by_search(atoms, text)) << text;
}

// Random atoms of 3 to 24 bytes over two letters share long beginnings; the
// texts over the same letters hold many of them and many near misses.
TEST(AtomIndexLongAtoms, AgreesWithSearchingEachAtomOnRandomAtomsAndTexts) {
  std::mt19937 random(1212);
  std::size_t long_atoms_found = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> atoms;
    for (int a = 0, count = 1 + static_cast<int>(random() % 40); a < count; ++a) {
      std::string atom(3 + random() % 22, 'a');
      for (char& c : atom) c = "ab"[random() % 5 == 0];
      atoms.push_back(atom);
    }
    const AtomIndex index(atoms);
    for (int t = 0; t < 40; ++t) {
      std::string text(random() % 64, 'a');
      for (char& c : text) c = "ab"[random() % 5 == 0];
      const auto expected = found_by_search(atoms, text);
      ASSERT_EQ(found_in(index, text), expected) << "round " << round << ", text '" << text << "'";
      long_atoms_found += static_cast<std::size_t>(std::count_if(
          expected.begin(), expected.end(), [&](int i) { return atoms[static_cast<std::size_t>(i)].size() >= 12; }));
    }
  }
  EXPECT_GT(long_atoms_found, 1000u);  // the comparison is about atoms filed by twelve bytes
}

}  // namespace
