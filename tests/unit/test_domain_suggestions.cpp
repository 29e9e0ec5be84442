// Typo suggestions (diagnose/domain_suggestions.hpp): which well-known mail
// domains are offered for a domain that does not exist, which never are,
// the cost bound, and the errors of a list file.
#include "diagnose/domain_suggestions.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

namespace {

using clearbounce::diagnose::load_mail_domains;
using clearbounce::diagnose::MailDomains;
using Names = std::vector<std::string>;

MailDomains builtin() {
  std::string error;
  auto list = MailDomains::builtin(error);
  EXPECT_TRUE(list.has_value()) << error;
  return list ? std::move(*list) : MailDomains{};
}

MailDomains listing(std::string_view text) {
  MailDomains list;
  std::string error;
  EXPECT_TRUE(list.add_text(text, "test", error)) << error;
  return list;
}

TEST(DomainSuggestions, TheBuiltInListLoads) {
  const auto list = builtin();
  EXPECT_GE(list.size(), 150u);
  EXPECT_TRUE(list.contains("gmail.com"));
  EXPECT_TRUE(list.contains("GMX.De."));
}

TEST(DomainSuggestions, ASwappedPairOfLettersIsOneEdit) {
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("gmial.com", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("hotmial.com", 2), (Names{"hotmail.com"}));
  EXPECT_EQ(list.suggestions_for("Gamil.Com.", 1), (Names{"gmail.com"}));
}

TEST(DomainSuggestions, ANeighbouringKeyCostsLessThanAnyOther) {
  // gmail.com (9 characters) takes one edit and one slip to a neighbouring
  // key, or two such slips; n and m are neighbours, x and m are not.
  const auto list = listing("gmail.com\n");
  EXPECT_EQ(list.suggestions_for("gnail.con", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("gxail.con", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("gxail.cox", 1), Names{});
}

TEST(DomainSuggestions, ANeighbouringKeyRanksBeforeAFarOne) {
  // "gmaip" is one substitution from both: l is next to p, k is not.
  const auto list = listing("gmaik.example\ngmail.example\n");
  EXPECT_EQ(list.suggestions_for("gmaip.example", 2), (Names{"gmail.example", "gmaik.example"}));
}

TEST(DomainSuggestions, CommonSlipsInTheTopLevelDomain) {
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("gmail.con", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("gmail.cmo", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("gmail.co", 1), (Names{"gmail.com"}));
  EXPECT_EQ(list.suggestions_for("gmailcom", 1), (Names{"gmail.com"}));
  // hotmail.ca is one letter from "hotmail.co" too; a last letter left off
  // is the likelier slip.
  EXPECT_EQ(list.suggestions_for("hotmail.co", 1), (Names{"hotmail.com"}));
  EXPECT_EQ(list.suggestions_for("yahoo.co", 1), (Names{"yahoo.com"}));
}

TEST(DomainSuggestions, NeverBetweenTwoListedDomains) {
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("gmx.at", 2), Names{});
  EXPECT_EQ(list.suggestions_for("gmx.de", 2), Names{});
  EXPECT_EQ(list.suggestions_for("hotmail.fr", 2), Names{});
  EXPECT_EQ(list.suggestions_for("gmail.com", 2), Names{});
}

TEST(DomainSuggestions, NothingWhenTwoAreEquallyClose) {
  // "hotmail.fe": hotmail.fr and hotmail.de are each one neighbouring key away.
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("hotmail.fe", 2), Names{});
  const auto two = listing("abcd.example\nabce.example\n");
  EXPECT_EQ(two.suggestions_for("abcq.example", 2), Names{});
}

TEST(DomainSuggestions, NothingWhenFar) {
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("example.org", 2), Names{});
  EXPECT_EQ(list.suggestions_for("gmaiiil.coom", 2), Names{});  // three edits
  EXPECT_EQ(list.suggestions_for("gxm.dd", 2), Names{});        // two edits in a short name
  EXPECT_EQ(list.suggestions_for("mail.gmail.com", 2), Names{});
  EXPECT_EQ(list.suggestions_for("", 2), Names{});
  EXPECT_EQ(list.suggestions_for("gmail.com\n", 2), Names{});  // no plain name
  EXPECT_EQ(list.suggestions_for("gmäil.com", 2), Names{});
}

TEST(DomainSuggestions, TwoEditsOnlyForLongNames) {
  const auto list = builtin();
  EXPECT_EQ(list.suggestions_for("googlemial.con", 1), (Names{"googlemail.com"}));  // 14 characters
  EXPECT_EQ(list.suggestions_for("gmial.cpm", 1), (Names{"gmail.com"}));            // a swap and a neighbour
  EXPECT_EQ(list.suggestions_for("gmial.cxm", 1), Names{});                         // a swap and a far key
}

TEST(DomainSuggestions, RankedByDistanceThenByTheListsOrder) {
  const auto list = listing("abcdefgh.example\nabcdefgx.example\n");
  // One edit from the second, a neighbouring key from the first.
  EXPECT_EQ(list.suggestions_for("abcdefgj.example", 2), (Names{"abcdefgh.example", "abcdefgx.example"}));
  EXPECT_EQ(list.suggestions_for("abcdefgj.example", 1), (Names{"abcdefgh.example"}));
}

// The cost is bounded: a huge name is not looked at, and for the longest
// names only a band of each comparison is computed.
TEST(DomainSuggestions, TheCostIsBounded) {
  const auto list = builtin();
  std::size_t cells = 0;
  EXPECT_EQ(list.suggestions_for(std::string(100 * 1024, 'a') + ".com", 2, &cells), Names{});
  EXPECT_EQ(cells, 0u);

  MailDomains many;
  std::string text, error;
  const std::string label(60, 'a');
  for (int i = 0; i < 2000; ++i)
    text += label + "." + label + "." + label + "." + std::to_string(100000 + i) + "x.example\n";
  ASSERT_TRUE(many.add_text(text, "many", error)) << error;
  const std::string typed = label + "." + label + "." + label + ".100000y.example";
  cells = 0;
  EXPECT_EQ(many.suggestions_for(typed, 1, &cells), (Names{label + "." + label + "." + label + ".100000x.example"}));
  // Each comparison covers at most five cells a row, not a whole row.
  EXPECT_LE(cells, 2000u * typed.size() * 5);
  EXPECT_GT(cells, 0u);
}

TEST(DomainSuggestions, AListFileIsCheckedLineByLine) {
  MailDomains list;
  std::string error;
  EXPECT_TRUE(list.add_text("# ours\n\n  example.org  # the main one\r\nMail.Example.NET\n", "extra", error)) << error;
  EXPECT_TRUE(list.contains("example.org"));
  EXPECT_TRUE(list.contains("mail.example.net"));
  EXPECT_EQ(list.size(), 2u);
  for (const auto& [text, line] : std::vector<std::pair<std::string, std::string>>{
           {"example.org\nexample\n", "extra:2: "},
           {"example.org example.net\n", "extra:1: "},
           {"ok.example\n\nexa_mple.org\n", "extra:3: "},
           {"-a.example\n", "extra:1: "},
           {"example.123\n", "extra:1: "},
           {"a..example\n", "extra:1: "},
       }) {
    MailDomains bad;
    error.clear();
    EXPECT_FALSE(bad.add_text(text, "extra", error)) << text;
    EXPECT_EQ(error.substr(0, line.size()), line) << error;
  }
}

TEST(DomainSuggestions, AnUnreadableFileIsAnError) {
  std::string error;
  EXPECT_FALSE(load_mail_domains("/nonexistent/domains.txt", error).has_value());
  EXPECT_NE(error.find("/nonexistent/domains.txt"), std::string::npos) << error;
  error.clear();
  EXPECT_FALSE(load_mail_domains("/", error).has_value());
  EXPECT_EQ(error, "/: is not a file");
  // A FIFO is refused before it is opened: opening it would wait for a writer.
  const auto fifo = std::filesystem::temp_directory_path() / ("clearbounce-fifo-" + std::to_string(::getpid()));
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(load_mail_domains(fifo.string(), error).has_value());
  EXPECT_EQ(error, fifo.string() + ": is not a file");
  std::filesystem::remove(fifo);
}

TEST(DomainSuggestions, TheAdministratorsFileExtendsTheBuiltInList) {
  const auto path = std::filesystem::temp_directory_path() / ("clearbounce-domains-" + std::to_string(::getpid()));
  std::ofstream(path) << "# our partners\nmail.partner.example\n";
  std::string error;
  const auto list = load_mail_domains(path.string(), error);
  ASSERT_TRUE(list.has_value()) << error;
  EXPECT_TRUE(list->contains("gmail.com"));
  EXPECT_EQ(list->suggestions_for("mail.partnr.example", 1), (Names{"mail.partner.example"}));
  std::ofstream(path) << "mail.partner.example\nnot a domain\n";
  EXPECT_FALSE(load_mail_domains(path.string(), error).has_value());
  EXPECT_EQ(error, path.string() + ":2: \"not a domain\" is not a mail domain (one domain a line, such as example.com)");
  std::filesystem::remove(path);
}

}  // namespace
