// "Did you mean bob@gmail.com?": the well-known mail domains close to a
// recipient's domain that does not exist. Pure: the list is read once at
// start (the built-in one, diagnose/mail_domains.txt, and the
// administrator's diagnose.domains_file); the diagnoser then suggests a
// candidate only if the DNS shows it has mail servers now.
//
// A wrong suggestion is worse than none, so the rules are strict:
//  - the distance is Damerau-Levenshtein (optimal string alignment: a swap
//    of two neighbouring letters is one edit), counted in quarter edits:
//    an insertion, deletion, swap or substitution costs 4, a substitution
//    by a key next to it on a QWERTY keyboard 3, and the last letter left
//    off ("gmail.co") 3;
//  - the limit depends on the listed domain's length: 4 (one edit) up to
//    7 characters, 7 (one edit and one slip to a neighbouring key) up to
//    11, 8 (two edits) from 12;
//  - a domain that is itself listed gets no suggestion (gmx.at is not a
//    typing error for gmx.de), nor does one that is not a plain host name;
//  - candidates come ranked by distance, then by the order of the list;
//    where two are equally close the choice is a guess, and neither they
//    nor any farther one is offered.
// The cost is bounded: names over 253 bytes are not looked at, only listed
// domains within two characters of the length are compared, and the
// comparison keeps to the band of two insertions or deletions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace clearbounce::diagnose {

class MailDomains {
 public:
  // The built-in list; null, with the reason, only if the shipped file is
  // broken (a test checks it is not).
  static std::optional<MailDomains> builtin(std::string& error);

  // More domains, one per line, '#' starting a comment. False, with
  // "source:line: what is wrong" in `error`, at the first line that is not
  // a mail domain (letters, digits and '-' in labels, at least two labels,
  // a top-level label of letters), or when the text is too large.
  bool add_text(std::string_view text, std::string_view source, std::string& error);
  // The same for a file; an unreadable file is an error too.
  bool add_file(const std::string& path, std::string& error);

  bool contains(std::string_view domain) const;
  std::size_t size() const { return domains_.size(); }

  // The listed domains close to `domain` (any case, a trailing dot
  // allowed), best first, at most `at_most`. `cells`, if given, is
  // increased by the comparison steps taken (for the tests of the bound).
  std::vector<std::string> suggestions_for(std::string_view domain, std::size_t at_most,
                                           std::size_t* cells = nullptr) const;

  static constexpr std::size_t kMaxDomains = 100000;     // in one list
  static constexpr std::size_t kMaxTextBytes = 4 << 20;  // of one file

 private:
  std::vector<std::string> domains_;                // as listed, lower case, each once
  std::unordered_set<std::string> listed_;          // the same, for contains()
  std::vector<std::vector<std::size_t>> by_length_; // indexes into domains_, by length
};

// The built-in list and, when `extra_file` is not empty, the
// administrator's; null with the reason when either does not load.
std::optional<MailDomains> load_mail_domains(const std::string& extra_file, std::string& error);

}  // namespace clearbounce::diagnose
