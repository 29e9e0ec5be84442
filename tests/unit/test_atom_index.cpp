// AtomIndex: which literal atoms occur in a text, each once.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "classifier/atom_index.hpp"

namespace {

using clearbounce::classifier::AtomIndex;

std::vector<int> found_in(const AtomIndex& index, std::string_view text) {
  std::vector<int> found{99};  // find() starts from an empty list
  index.find(text, found);
  return found;
}

TEST(AtomIndex, FindsAtomsAtTheStartInsideAndAtTheEnd) {
  const AtomIndex index({"user", "unknown", "mailbox", "quota exceeded"});
  EXPECT_EQ(found_in(index, "user unknown"), (std::vector<int>{0, 1}));
  EXPECT_EQ(found_in(index, "550 the mailbox quota exceeded"), (std::vector<int>{2, 3}));
  // Fewer than eight bytes left after the atom's start.
  EXPECT_EQ(found_in(index, "no such mailbox"), (std::vector<int>{2}));
  EXPECT_EQ(found_in(index, "mailbox"), (std::vector<int>{2}));
}

TEST(AtomIndex, ReportsEachAtomOnceInIncreasingOrder) {
  const AtomIndex index({"denied", "access"});
  EXPECT_EQ(found_in(index, "denied: access denied, access denied"), (std::vector<int>{0, 1}));
}

TEST(AtomIndex, WantsTheWholeAtomNotItsFirstBytes) {
  const AtomIndex index({"timeout while connecting", "time"});
  EXPECT_EQ(found_in(index, "timeout while conn"), (std::vector<int>{1}));
  EXPECT_EQ(found_in(index, "a timeout while connecting to"), (std::vector<int>{0, 1}));
  EXPECT_TRUE(found_in(index, "tim").empty());
}

TEST(AtomIndex, AtomsSharingTheirLeadingBytesAreToldApart) {
  const AtomIndex index({"not found", "not accepted", "not allowed", "nothing"});
  EXPECT_EQ(found_in(index, "relay not allowed"), (std::vector<int>{2}));
  EXPECT_EQ(found_in(index, "nothing was not accepted"), (std::vector<int>{1, 3}));
}

TEST(AtomIndex, AtomsShorterThanTheLeadAreFoundToo) {
  const AtomIndex index({"ab", "x", "abc"});
  EXPECT_EQ(found_in(index, "xab"), (std::vector<int>{0, 1}));
  EXPECT_EQ(found_in(index, "abc"), (std::vector<int>{0, 2}));
}

TEST(AtomIndex, BytesBeyondAsciiAreComparedAsTheyAre) {
  const AtomIndex index({"überschritten", "délai"});
  EXPECT_EQ(found_in(index, "kontingent überschritten"), (std::vector<int>{0}));
  EXPECT_EQ(found_in(index, "le délai"), (std::vector<int>{1}));
  EXPECT_TRUE(found_in(index, "le delai").empty());
}

TEST(AtomIndex, PlacesWhoseFirstTwoBytesStartNoAtomAreSkippedOthersAreNot) {
  // "no" starts two atoms; "o " and " n" start none.
  const AtomIndex index({"no such user", "not found", "échec"});
  EXPECT_EQ(found_in(index, "nnno such user, not found"), (std::vector<int>{0, 1}));
  EXPECT_EQ(found_in(index, "un échec"), (std::vector<int>{2}));
  EXPECT_TRUE(found_in(index, "nono such use, not foun").empty());
}

TEST(AtomIndex, AHugeTextOfNearMissesIsReadOnce) {
  // Every place starts the leading bytes of an atom and none holds one: a
  // scan that went back over the text for each place would not end in time.
  const AtomIndex index({"no such user", "not found", "nothing"});
  std::string text;
  for (int i = 0; i < 1 << 20; ++i) text += "not ";
  text += "not found";
  EXPECT_EQ(found_in(index, text), (std::vector<int>{1}));
}

// The plain way: each atom looked for on its own.
std::vector<int> found_by_search(const std::vector<std::string>& atoms, std::string_view text) {
  std::vector<int> found;
  for (std::size_t i = 0; i < atoms.size(); ++i)
    if (text.find(atoms[i]) != std::string_view::npos) found.push_back(static_cast<int>(i));
  return found;
}

TEST(AtomIndex, AtomsSharingTheirFirstEightOrSixteenBytesAreToldApart) {
  const std::vector<std::string> atoms{"message too big", "message rejected", "message rejected as spam by policy",
                                       "message rejected as spam by content", "message ", "messag", "mes"};
  const AtomIndex index(atoms);
  for (const std::string_view text :
       {"the message rejected as spam by policy", "message rejected as spam by polic", "a message too bi",
        "message rejected as spam by content!", "message", "messages", "mes"})
    EXPECT_EQ(found_in(index, text), found_by_search(atoms, text)) << text;
}

TEST(AtomIndex, AtomsEndingAtTheLastByteOfTextsOfEveryLength) {
  // The last seven places are read from a padded copy; an atom running past
  // the end must not be found there, one ending exactly there must.
  const std::vector<std::string> atoms{"ip[", "no ", "full", "quota exceeded", "over quota now", "box"};
  const AtomIndex index(atoms);
  for (const std::string& ending : {std::string("ip["), std::string("no "), std::string("full"),
                                    std::string("quota exceeded"), std::string("over quota no"), std::string("bo")}) {
    for (std::size_t lead = 0; lead < 20; ++lead) {
      const std::string text = std::string(lead, 'x') + ending;
      EXPECT_EQ(found_in(index, text), found_by_search(atoms, text)) << text;
    }
  }
}

TEST(AtomIndex, AgreesWithSearchingEachAtomOnRandomTexts) {
  // Few letters, so that atoms and near misses are frequent; bytes with the
  // high bit and zero bytes among them.
  std::vector<std::string> atoms{"aab", "abc", "b a", "aaaa", "abca", "cab a", "aabbaab", "abcabcab",
                                 "abcabcabc", "aabbaabbaabb", "abcabcabcabcabca", "abcabcabcabcabcab",
                                 "\xc3\xa9" "ab", std::string("a\0b", 3), "ab", "c"};
  const AtomIndex index(atoms);
  std::mt19937 random(12345);
  const std::string letters = std::string("abc \xc3\xa9", 6) + std::string(1, '\0');
  for (int round = 0; round < 3000; ++round) {
    std::string text(random() % 40, ' ');
    for (char& c : text) c = letters[random() % letters.size()];
    EXPECT_EQ(found_in(index, text), found_by_search(atoms, text)) << text;
  }
}

TEST(AtomIndex, EachPlaceListsTheAtomsAsOftenAsTheyOccur) {
  const AtomIndex index({"denied", "access"});
  std::vector<int> found;
  index.find_each_place("denied: access denied", found);
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found, (std::vector<int>{0, 0, 1}));
}

TEST(AtomIndex, EmptyIndexAndEmptyText) {
  EXPECT_TRUE(found_in(AtomIndex(std::vector<std::string>{}), "anything").empty());
  EXPECT_TRUE(found_in(AtomIndex({"user"}), "").empty());
  EXPECT_TRUE(found_in(AtomIndex(), "user").empty());
}

}  // namespace
