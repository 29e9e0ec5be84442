// Free-text bounce dialects: how MTAs that do not write RFC 3464 reports (or
// write them next to a text part) say which recipient failed and why.
//
// One generic reader serves every dialect (plain_recipients.cpp): the
// dialect table below only names each MTA family by the wording that
// identifies it.
#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsn/byte_regex.hpp"
#include "dsn/fields.hpp"
#include "dsn/literal_automaton.hpp"
#include "dsn/plain.hpp"

namespace clearbounce::dsn::detail {
namespace {

struct Dialect {
  const char* name;
  const char* signature;  // RE2, case-insensitive, searched in the human text and Subject
};

// Wording that identifies each MTA family. Order matters only where two
// families share a phrase: the first match names the bounce.
constexpr Dialect kDialects[] = {
    {"postfix", R"(this is the (postfix program|mail system) at host|postfix smtp server: errors from)"},
    {"qmail", R"(this is the qmail-send program|i'm afraid i wasn't able to deliver your message)"},
    {"dragonfly", R"(this is the dragonfly mail agent)"},
    {"opensmtpd", R"(this is the mailer-daemon, please do not reply|an error has occurred while attempting to deliver|a message is delayed for more than)"},
    {"exim", R"(this message was created automatically by (mail delivery software|the smtp relay)|a message that you (have )?sent (could not be delivered|has not yet been delivered|contained one or more recipient addresses))"},
    {"sendmail", R"(the following addresses had (permanent fatal|permanent delivery|delivery) (errors|problems)|-+ ?transcript of session follows|the original message was received at)"},
    {"gmail", R"(delivery to the following recipients? (failed|has been delayed)|technical details of (permanent|temporary) failure|\*\* (message|address) not (delivered|found) \*\*)"},
    {"googlegroups", R"(googlegroups|the group you tried to contact)"},
    {"yahoo", R"(sorry, we were unable to deliver your message to the following address)"},
    {"exchange", R"(did not reach the following recipient|delivery has failed to these recipients|your message (couldn't|could not|wasn't|was not) be(en)? delivered|diagnostic information for administrators)"},
    {"domino", R"(was not delivered to:|-+ ?failure reasons ?-+)"},
    {"amazonses", R"re(an error occurred while trying to deliver the mail to the following recipients|"notificationtype"\s*:\s*"(bounce|delivery)"|the following message to .* was undeliverable)re"},
    {"messagingserver", R"(this report relates to a message you sent with the following header fields)"},
    {"mailru", R"(это письмо создано автоматически)"},
    {"x2", R"(unable to deliver message to the following address\(es\))"},
    {"x4", R"(your mail message to the following address\(es\) could not be delivered)"},
    {"x6", R"(we had trouble delivering your message|returned permanent errors)"},
    {"imailserver", R"(body of message generated response|delivery failed \d+ attempts|user mailbox exceeds allowed size|undeliverable to )"},
    {"kddi", R"(could not be delivered to:)"},
    {"mailfoundry", R"(unable to deliver message to:|delivery failed for the following reason)"},
    {"verizon", R"(message could not be delivered to mobile)"},
    {"mailinglist", R"(you are not a member of this (mailing )?list|duplicated message-id)"},
    {"ezweb", R"(each of the following recipients was rejected by a remote mail server|送信できませんでした|the user\(s\) account is disabled)"},
    {"mfilter", R"(m-filter)"},
};

// Servers wrap and indent their wording as they like: a space in a
// signature stands for any run of white space, line breaks included.
std::string spacing_tolerant(std::string_view signature) {
  std::string out;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    if (signature[i] != ' ') {
      out.push_back(signature[i]);
    } else if (i + 1 < signature.size() && signature[i + 1] == '?') {
      out.append(R"(\s*)");
      ++i;
    } else {
      out.append(R"(\s+)");
    }
  }
  return out;
}

// All signatures in one set: a text is scanned once, whatever the number
// of dialects (a hostile text of megabytes must not be read 25 times).
const RE2::Set& signatures() {
  static const RE2::Set compiled = [] {
    RE2::Options options;
    options.set_case_sensitive(false);
    options.set_log_errors(false);
    RE2::Set set(options, RE2::UNANCHORED);
    for (const auto& d : kDialects) set.Add(spacing_tolerant(d.signature), nullptr);
    set.Compile();
    return set;
  }();
  return compiled;
}

constexpr std::size_t kNoDialect = std::size(kDialects);

// The first dialect, in table order, whose signature occurs in `text`; or
// kNoDialect. The set reads the whole text: it cannot stop at a match.
std::size_t first_dialect_by_set(std::string_view text) {
  std::vector<int> matched;
  if (text.empty() || !signatures().Match(text, &matched)) return kNoDialect;
  return static_cast<std::size_t>(*std::min_element(matched.begin(), matched.end()));
}

// The alternatives of a signature: its parts separated by a '|' outside
// groups.
std::vector<std::string_view> top_level_alternatives(std::string_view signature) {
  std::vector<std::string_view> out;
  int depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < signature.size(); ++i) {
    const char c = signature[i];
    if (c == '\\') ++i;
    else if (c == '(') ++depth;
    else if (c == ')') --depth;
    else if (c == '|' && depth == 0) {
      out.push_back(signature.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(signature.substr(start));
  return out;
}

// What a signature's regex can match, spelled out as plain texts, for
// the gate: a ' ' stands for white space, '\x01' for anything else the
// regex may match there (a class, a repetition). Every match of the
// regex holds, ASCII case ignored, each word of at least one spelling.
// Groups and '?' are spelled out (at most kMaxSpellings spellings).
class Spellings {
 public:
  static constexpr std::size_t kMaxSpellings = 64;
  // Spellings of `pattern`; one without words when it cannot tell.
  static std::vector<std::string> of(std::string_view pattern) {
    Spellings parser{pattern};
    auto out = parser.alternation();
    if (parser.too_many_ || parser.at_ != pattern.size()) return {"\x01"};
    return out;
  }

  // The one spelling of `pattern`, lower case, when it is exactly what the
  // pattern matches once spacing_tolerant() made each space a run of white
  // space: ASCII characters that stand for themselves, single spaces
  // between them. Empty for any other pattern (groups, '?', classes...).
  static std::string exact(std::string_view pattern) {
    Spellings parser{pattern};
    auto out = parser.alternation();
    if (parser.too_many_ || !parser.exact_ || parser.at_ != pattern.size() || out.size() != 1) return {};
    if (out[0].empty() || out[0].front() == ' ' || out[0].find("  ") != std::string::npos) return {};
    return to_lower(out[0]);
  }

 private:
  explicit Spellings(std::string_view pattern) : pattern_(pattern) {}

  bool more() const { return at_ < pattern_.size(); }
  char peek(std::size_t ahead = 0) const { return at_ + ahead < pattern_.size() ? pattern_[at_ + ahead] : '\0'; }

  std::vector<std::string> alternation() {
    std::vector<std::string> out = sequence();
    while (peek() == '|') {
      ++at_;
      for (auto& s : sequence()) out.push_back(std::move(s));
    }
    return out;
  }

  std::vector<std::string> sequence() {
    std::vector<std::string> out{""};
    while (more() && peek() != '|' && peek() != ')') {
      std::vector<std::string> item = atom();
      bool quantified = true;
      if (peek() == '?') {
        item.emplace_back();
      } else if (peek() == '*' || peek() == '+') {
        item = {"\x01"};
        exact_ = false;
      } else if (peek() == '{') {
        at_ = std::min(pattern_.find('}', at_), pattern_.size() - 1);
        item = {"\x01"};
        exact_ = false;
      } else {
        quantified = false;
      }
      if (quantified && ++at_ < pattern_.size() && peek() == '?') ++at_;  // lazy: matches what greedy does
      if (item.size() == 1) {  // most atoms: one character, appended in place
        for (auto& head : out) head += item.front();
        continue;
      }
      std::vector<std::string> joined;
      for (const auto& head : out)
        for (const auto& tail : item) joined.push_back(head + tail);
      if (joined.size() > kMaxSpellings) too_many_ = true, joined.resize(1, "\x01");
      out = std::move(joined);
    }
    return out;
  }

  // One character, escape or group; a space (" ?" too) is white space.
  std::vector<std::string> atom() {
    const char c = pattern_[at_++];
    // Not spelled exactly: white space that may be absent, a non-ASCII
    // letter (caseless), anything but a character that stands for itself.
    if (static_cast<unsigned char>(c) >= 0x80 || c == '.' || c == '^' || c == '$' || (c == ' ' && peek() == '?'))
      exact_ = false;
    if ((c == '(' && peek() == '?') || c == '[') {
      too_many_ = true;  // flags, named groups and classes are not spelled out: no words
      return {"\x01"};
    }
    if (c == '(') {
      auto inner = alternation();
      if (peek() == ')') ++at_;
      return inner;
    }
    if (c == '\\' && more()) {
      const char escaped = pattern_[at_++];
      if (std::isalnum(static_cast<unsigned char>(escaped)) || static_cast<unsigned char>(escaped) >= 0x80) exact_ = false;
      if (escaped == 's') return {" "};
      if (std::isalnum(static_cast<unsigned char>(escaped))) return {"\x01"};
      return {std::string(1, escaped)};
    }
    if (c == ' ') {
      if (peek() == '?') ++at_;
      return {" "};
    }
    if (c == '.' || c == '^' || c == '$') return {"\x01"};
    return {std::string(1, c)};
  }

  std::string_view pattern_;
  std::size_t at_ = 0;
  bool too_many_ = false;
  bool exact_ = true;  // no character class, repetition, optional white space
};

// Whether `phrase` (an exact spelling: lower case, a ' ' for a run of
// RE2's white space, never two) starts at text[at], ASCII case ignored.
// A run is taken whole: the phrase goes on with a character that is not
// white space, so no shorter run could do.
bool phrase_at(std::string_view text, std::size_t at, std::string_view phrase) {
  for (const char wanted : phrase) {
    if (at >= text.size()) return false;
    if (wanted != ' ') {
      if (ascii_lower(text[at++]) != wanted) return false;
      continue;
    }
    if (!is_pattern_space(text[at])) return false;
    while (at < text.size() && is_pattern_space(text[at])) ++at;
  }
  return true;
}

// Whether `phrase` (as for phrase_at) occurs in `text`: what its caseless
// regex answers for a text without U+017F or U+212A, without the regex's
// fixed cost of about a thousand instructions a call. Its first character
// is looked for in either case with memchr.
bool holds_phrase(std::string_view text, std::string_view phrase) {
  const char* const end = text.data() + text.size();
  const auto next = [end](const char* from, char byte) {
    const void* found = from < end ? std::memchr(from, byte, static_cast<std::size_t>(end - from)) : nullptr;
    return found ? static_cast<const char*>(found) : end;
  };
  const char lower = phrase.front(), upper = ascii_upper(lower);
  const char* at_lower = next(text.data(), lower);
  const char* at_upper = lower == upper ? end : next(text.data(), upper);
  while (at_lower != end || at_upper != end) {
    const char* at = std::min(at_lower, at_upper);
    if (phrase_at(text, static_cast<std::size_t>(at - text.data()), phrase)) return true;
    if (at == at_lower) at_lower = next(at + 1, lower);
    else at_upper = next(at + 1, upper);
  }
  return false;
}

// Whether every character of `word` lies in U+3000-U+9FFF (kana, CJK
// ideographs: three bytes each in UTF-8, led by 0xE3-0xE9), which have no
// other case: a caseless regex matches them only as they are
// (test_dialect_gate.cpp checks the block).
bool caseless_script(std::string_view word) {
  if (word.empty() || word.size() % 3 != 0) return false;
  for (std::size_t i = 0; i < word.size(); i += 3) {
    const auto lead = static_cast<unsigned char>(word[i]);
    if (lead < 0xE3 || lead > 0xE9) return false;
    for (std::size_t k = 1; k < 3; ++k)
      if ((static_cast<unsigned char>(word[i + k]) & 0xC0) != 0x80) return false;
  }
  return true;
}

// The words of a spelling the gate looks for: runs of four bytes or more
// between white space and '\x01', or shorter ones that hold a mark ("**",
// "to:"): short words are in every text. A word of other non-ASCII letters
// (Cyrillic) is not looked for as written, since its letters have other
// cases: the spelling then needs some non-ASCII byte in the text, as
// caseless regexes fold such letters only to other non-ASCII ones
// (test_dialect_gate.cpp checks the table's).
struct GateWords {
  std::vector<std::string> words;
  bool needs_non_ascii = false;
};

GateWords gate_words(std::string_view spelling) {
  GateWords out;
  const auto is_letter = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
  for (std::size_t start = 0; start < spelling.size();) {
    std::size_t end = spelling.find_first_of(" \x01", start);
    if (end == std::string_view::npos) end = spelling.size();
    const std::string_view word = spelling.substr(start, end - start);
    const bool non_ascii = std::any_of(word.begin(), word.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    if (non_ascii && caseless_script(word)) out.words.emplace_back(word);
    else if (non_ascii) out.needs_non_ascii = true;
    else if (word.size() >= 4 || (word.size() >= 2 && !std::all_of(word.begin(), word.end(), is_letter)))
      out.words.emplace_back(word);
    start = end + 1;
  }
  return out;
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// The wording that readers search a whole text for. Each regex has a gate:
// literals one of which every match of the regex holds (each list says
// why), found for all regexes in one pass by scan_wording(). A regex none
// of whose literals occur is not run.
constexpr std::string_view kBannerPattern =
    R"((?i)((scanned|checked|filtered|protected|swept|screened) (for|by|with|against)[^\n]{0,80}(virus|malware|spam|anti-?virus|threats|security|protection|filter)|(virus|malware|spam)[- ](free|scanned|checked)|mailscanner|believed to be clean|report (this|it) (message |e-?mail )?as spam))";
// The first alternative ends in one of its last group's words ("anti-virus"
// holds "virus"), the second starts with one, "report ... as spam" ends with one.
constexpr std::string_view kBannerLiterals[] = {"virus",  "malware", "spam",        "threats",
                                                "security", "protection", "filter", "mailscanner",
                                                "believed to be clean"};
constexpr std::string_view kFailurePhrasePattern =
    R"((?i)(could not be delivered|couldn't be delivered|undeliverable|delivery (to .{1,80} )?(has )?failed|failed permanently|permanent (error|failure)|not delivered|unable to deliver|user unknown|unknown user|no such (user|mailbox|address)|mailbox (unavailable|full|not found)|does not exist|address rejected))";
// No gate for the phrase: almost every bounce holds "deliver", which most
// of its alternatives share. The code is looked for only where it matched.
constexpr std::string_view kFailureCodePattern = R"((?:^|[^\d.])(?:[45]\.\d{1,3}\.\d{1,3}|[45][0-5]\d[ -]))";
// Challenge-response and whitelist systems ask the sender to prove
// itself; the message is held, not refused.
constexpr std::string_view kChallengePattern =
    R"((?i)(confirm|prove|verify) (that )?you are (a )?(real )?(human|person|sender)|(held|quarantined|pending|waiting) (until|unless) you (verify|confirm|reply|respond)|awaiting (your )?(verification|confirmation)|to complete (the )?delivery,? (please )?(click|reply|visit)|(click|reply|respond)[^.\n]{0,60}(verify|confirm) (yourself|your (message|e-?mail|address|identity))|to release your message|has not been verified|please confirm your (message|e-?mail|request)|\b(tmda|boxbe|spamarrest|spam arrest|mailblocks|choicemail)\b)";
// A literal of each alternative in turn ("confirm your" serves two).
constexpr std::string_view kChallengeLiterals[] = {
    "you are ",    "until you ",   "unless you ",           "awaiting ",
    "to complete ", "verify your", "confirm your",          "to release your message",
    "has not been verified", "tmda", "boxbe",               "spamarrest",
    "spam arrest", "mailblocks",   "choicemail"};
// Free-text warnings say they keep trying, or that delivery has not
// happened yet, in English and in the languages mail systems write them in.
constexpr std::string_view kDelayPattern =
    R"((?i)this is a warning|has not yet been delivered|still being retried|will be retried|will keep trying|delivery attempts will continue|is delayed|delayed for more than|only a temporary failure|noch nicht zugestellt|nur eine warnung|versuchen weiterhin|simple avertissement|pas encore été (remis|distribué|livré)|todavía no ha sido entregado|seguiremos intentando|non è ancora stato consegnato|ainda não foi entregue|nog niet (afgeleverd|bezorgd))";
// An ASCII literal of each alternative in turn (the gate's automaton is
// kept to ASCII: other bytes would multiply its table).
constexpr std::string_view kDelayLiterals[] = {
    "this is a warning",       "has not yet been delivered", "still being retried",
    "will be retried",         "will keep trying",           "delivery attempts will continue",
    "is delayed",              "delayed for more than",      "only a temporary failure",
    "noch nicht zugestellt",   "nur eine warnung",           "versuchen weiterhin",
    "simple avertissement",    "pas encore ",                "no ha sido entregado",
    "seguiremos intentando",   "ancora stato consegnato",    "foi entregue",
    "nog niet "};
// The same in Russian, Chinese and Japanese, looked for only in a text
// with such characters.
constexpr std::string_view kDelayPatternBeyondLatin =
    R"(ещё не доставлено|еще не доставлено|尚未(投递|送达)|まだ配送されていません)";

// A signature's alternative, each with its own regex: one alternative's
// regex starts with a literal, which RE2 skips to, and stops at its first
// match; a set of alternatives does neither. Most alternatives are plain
// phrases and never need their regex; the others build it the first time
// a text makes them a candidate, so a short-lived process pays for the few
// its texts need (a regex costs about 250,000 instructions to build).
struct GatedAlternative {
  GatedAlternative(std::size_t family, std::string_view alternative)
      : dialect(family), pattern(spacing_tolerant(alternative)), phrase(Spellings::exact(alternative)) {}

  std::size_t dialect;
  std::string pattern;  // spacing_tolerant()
  std::string phrase;   // Spellings::exact(): the regex need not run

  bool matches(std::string_view text) const {
    return phrase.empty() ? RE2::PartialMatch(text, regex()) : holds_phrase(text, phrase);
  }

 private:
  const RE2& regex() const {
    // std::call_once sets up thread-local state on every call, even long
    // after the flag was set; a built regex is one load.
    if (const RE2* built = ready.load(std::memory_order_acquire)) return *built;
    std::call_once(build_once, [this] {
      RE2::Options options = regex_options(pattern);
      options.set_case_sensitive(false);
      holder = std::make_unique<RE2>(pattern, options);
      ready.store(holder.get(), std::memory_order_release);
    });
    return *holder;
  }
  mutable std::once_flag build_once;
  mutable std::unique_ptr<RE2> holder;
  mutable std::atomic<const RE2*> ready{nullptr};
};

// A spelling of alternative `alternative`: it may match only where all its
// words occur. Looked at only once its longest word (the likeliest to be
// rare) is found.
struct GatedSpelling {
  std::size_t alternative;
  LiteralAutomaton::Found words;
  bool needs_non_ascii = false;
};

// Every alternative of every signature in table order, and one automaton
// for all their words and the wording gates' literals: a text is read once
// for both (scan_wording).
struct DialectGate {
  static constexpr std::size_t kMaxAlternatives = 64;  // candidates are bits of a word
  std::deque<GatedAlternative> alternatives;  // a deque: a once_flag does not move
  std::uint64_t without_words = 0;  // the alternatives a spelling with no word makes candidates in every text
  std::uint64_t only_non_ascii = 0;  // those a spelling needing only a non-ASCII byte makes candidates
  // By word number: the spellings that word is the longest of; and those words.
  std::vector<std::vector<GatedSpelling>> by_longest_word{LiteralAutomaton::kMaxLiterals};
  LiteralAutomaton::Found longest_words;
  LiteralAutomaton::Found banner, challenge, delay;  // each wording gate's literals
  // U+017F and U+212A, which caseless regexes read as 's' and 'k': a text
  // with one is left to the regexes.
  LiteralAutomaton::Found ascii_case_variants;
  std::unique_ptr<LiteralAutomaton> words;

  DialectGate() {
    std::vector<std::string> all_words;
    const auto word_number = [&all_words](const std::string& word) {
      const std::string lower = to_lower(word);
      auto at = std::find(all_words.begin(), all_words.end(), lower);
      if (at == all_words.end()) at = all_words.insert(all_words.end(), lower);
      return static_cast<std::size_t>(at - all_words.begin());
    };
    const auto add_literals = [&](const auto& list, LiteralAutomaton::Found& bits) {
      for (const std::string_view literal : list) bits.set(word_number(std::string(literal)));
    };
    add_literals(kBannerLiterals, banner);
    add_literals(kChallengeLiterals, challenge);
    add_literals(kDelayLiterals, delay);
    add_literals(std::array<std::string_view, 2>{"\xC5\xBF", "\xE2\x84\xAA"}, ascii_case_variants);
    for (std::size_t d = 0; d < std::size(kDialects); ++d) {
      for (const std::string_view alternative : top_level_alternatives(kDialects[d].signature)) {
        for (const std::string& spelling : Spellings::of(alternative)) {
          const auto [needed, needs_non_ascii] = gate_words(spelling);
          GatedSpelling gated{alternatives.size(), {}, needs_non_ascii};
          for (const std::string& word : needed) gated.words.set(word_number(word));
          const std::uint64_t bit = std::uint64_t{1} << alternatives.size();
          if (needed.empty()) (needs_non_ascii ? only_non_ascii : without_words) |= bit;
          else file(word_number(*std::max_element(needed.begin(), needed.end(), shorter)), gated);
        }
        alternatives.emplace_back(d, alternative);
      }
    }
    if (alternatives.size() > kMaxAlternatives) throw std::logic_error("too many signature alternatives");
    words = std::make_unique<LiteralAutomaton>(all_words);
  }

  // The alternatives (bit i: alternatives[i]) whose words all occur in a
  // text the automaton found `found` in: `sure` those that need no more,
  // `non_ascii` those that also need a non-ASCII byte in the text.
  struct Candidates {
    std::uint64_t sure = 0, non_ascii = 0;
  };
  Candidates candidates(const LiteralAutomaton::Found& found) const {
    Candidates out{without_words, only_non_ascii};
    // Only the longest words found are looked at, 64 at a time.
    const LiteralAutomaton::Found triggered = found & longest_words;
    const LiteralAutomaton::Found low_64(~std::uint64_t{0});
    for (std::size_t base = 0; base < LiteralAutomaton::kMaxLiterals; base += 64) {
      for (std::uint64_t bits = ((triggered >> base) & low_64).to_ullong(); bits != 0; bits &= bits - 1) {
        for (const GatedSpelling& spelling : by_longest_word[base + static_cast<std::size_t>(std::countr_zero(bits))])
          if ((found & spelling.words) == spelling.words)
            (spelling.needs_non_ascii ? out.non_ascii : out.sure) |= std::uint64_t{1} << spelling.alternative;
      }
    }
    return out;
  }

 private:
  static bool shorter(const std::string& a, const std::string& b) { return a.size() < b.size(); }

  void file(std::size_t word, const GatedSpelling& spelling) {
    by_longest_word.at(word).push_back(spelling);
    longest_words.set(word);
  }
};

const DialectGate& dialect_gate() {
  static const DialectGate gate;
  return gate;
}

// What first_dialect_by_set(text) gives when that is below `below`, else
// `below` or more. The gate's automaton tells which alternatives' words all
// occur; those are tried in table order, each stopping at its first match.
// Past eight that do not match, the set reads the text once instead: the
// cost stays a few reads of the text. Eight, not fewer: free-text reports
// whose words several families share (Courier's) fail five or six, and
// the set costs some 11 million instructions to build, more than a short
// process spends on all its other texts' dialects. `scanned`: the
// automaton's answer for `text`, when scan_wording() gave it.
std::size_t first_dialect(std::string_view text, std::size_t below = kNoDialect,
                          const std::optional<LiteralAutomaton::Found>& scanned = std::nullopt) {
  constexpr int kMaxFailedTries = 8;
  if (text.empty() || below == 0) return kNoDialect;
  // The words are compared as ASCII: a text that may spell one with a
  // letter that a caseless regex folds to ASCII (U+017F, U+212A) is left
  // to the set (scan_wording gives no words for such a text).
  const DialectGate& gate = dialect_gate();
  const LiteralAutomaton::Found found = scanned ? *scanned : gate.words->find(text);
  if ((found & gate.ascii_case_variants).any()) return first_dialect_by_set(text);
  int failed = 0;
  const auto [sure, if_non_ascii] = gate.candidates(found);
  std::optional<bool> non_ascii;  // looked for only when a candidate needs it
  for (std::uint64_t candidates = sure | if_non_ascii; candidates != 0; candidates &= candidates - 1) {
    const auto index = static_cast<std::size_t>(std::countr_zero(candidates));
    const GatedAlternative& alternative = gate.alternatives[index];
    if (alternative.dialect >= below) break;
    if ((sure >> index & 1) == 0 && !(non_ascii ? *non_ascii : *(non_ascii = has_non_ascii(text)))) continue;
    if (alternative.matches(text)) return alternative.dialect;
    if (++failed == kMaxFailedTries) return first_dialect_by_set(text);
  }
  return kNoDialect;
}

// Words that open the returned message in free-text bounces, in lower case.
constexpr std::string_view kReturnedMessageOpenings[] = {
    "original message",          "below this line is a copy",       "this is a copy of the message",
    "the header of the original message", "returned message",       "original mail as follows",
    "unsent message follows",    "message headers follow",          "headers of the original message",
    "original message follows",  "a copy of the original message",  "the original message headers",
    "included is a copy",
};

// For each letter, the openings that start with it (bit i for
// kReturnedMessageOpenings[i]): most lines are ruled out by their first
// letter, and the others are compared with those openings only.
constexpr std::array<std::uint16_t, 256> kOpeningsByInitial = [] {
  static_assert(std::size(kReturnedMessageOpenings) <= 16);
  std::array<std::uint16_t, 256> by_initial{};
  for (std::size_t i = 0; i < std::size(kReturnedMessageOpenings); ++i)
    by_initial[static_cast<unsigned char>(kReturnedMessageOpenings[i][0])] |= static_cast<std::uint16_t>(1u << i);
  return by_initial;
}();

// Whether `line` opens the returned message: "Content-Type: message/rfc822"
// at its start, or one of the openings after optional blanks and an
// optional rule of two or more '-', '=' or '*' ("----- Original message").
// A scanner, not a regex: it runs on every bounce's whole human text.
bool opens_returned_message(std::string_view line) {
  if (istarts_with(line, "content-type: message/rfc822")) return true;
  std::size_t i = 0;
  while (i < line.size() && is_wsp(line[i])) ++i;
  if (i < line.size() && (line[i] == '-' || line[i] == '=' || line[i] == '*')) {
    const std::size_t rule_start = i;
    while (i < line.size() && line[i] == line[rule_start]) ++i;
    if (i - rule_start < 2) return false;
    while (i < line.size() && is_wsp(line[i])) ++i;
  }
  const std::string_view rest = line.substr(i);
  if (rest.empty()) return false;
  for (unsigned openings = kOpeningsByInitial[static_cast<unsigned char>(ascii_lower(rest[0]))]; openings != 0;
       openings &= openings - 1)
    if (istarts_with(rest, kReturnedMessageOpenings[std::countr_zero(openings)])) return true;
  return false;
}

// A run of at least this many header fields in the human text is the
// returned message's header section, quoted without a marker line.
constexpr std::size_t kMinQuotedHeaderFields = 3;

// The header fields that report texts never write of their own, then
// those they may write, lower-case; also "list-" and "x-" followed by a
// name (the first strong, the second not).
constexpr std::string_view kStrongFieldNames[] = {
    "return-path",  "received",    "message-id",   "mime-version", "dkim-signature",
    "in-reply-to",  "references",  "delivered-to", "x-mailer",     "x-mailman-version"};
constexpr std::string_view kOtherFieldNames[] = {"content-type", "from",   "to",        "cc",        "subject",
                                                 "date",         "reply-to", "sender", "errors-to", "precedence"};

// `name` is `prefix` then one or more ASCII letters, '-' or (when
// `digits`) digits.
bool is_prefixed_name(std::string_view name, std::string_view prefix, bool digits) {
  if (name.size() <= prefix.size() || !istarts_with(name, prefix)) return false;
  return std::all_of(name.begin() + static_cast<std::ptrdiff_t>(prefix.size()), name.end(), [digits](char c) {
    const char l = ascii_lower(c);
    return (l >= 'a' && l <= 'z') || c == '-' || (digits && c >= '0' && c <= '9');
  });
}

bool is_one_of_names(std::string_view name, const auto& names) {
  return std::any_of(std::begin(names), std::end(names), [name](std::string_view n) { return iequals(name, n); });
}

// "(?:a|b|c)" for the names, which are letters and '-' only.
std::string alternatives(const auto& names, std::string_view more) {
  std::string out = "(?:";
  for (const std::string_view name : names) out.append(name).push_back('|');
  return out.append(more).append(")");
}

// The same test as a regex, made from the same names, for names with
// non-ASCII bytes: a caseless regex takes some non-ASCII letters for ASCII
// ones (U+017F for 's'). The first group holds the fields that report
// texts never write.
bool is_message_header_field_by_regex(std::string_view head, bool* strong) {
  static const RE2 field("(?i)^(?:(" + alternatives(kStrongFieldNames, "list-[a-z-]+") + ")|" +
                         alternatives(kOtherFieldNames, "x-[a-z0-9-]+") + "):(?:[ \t\r]|$)");
  re2::StringPiece strong_name;
  if (!RE2::PartialMatch(head, field, &strong_name)) return false;
  *strong = !strong_name.empty();
  return true;
}

// A field of a message's header section ("Received:", "List-Post:",
// "X-Mailer:") in the first 40 bytes of `line`: a known name, a colon, then
// a blank, a CR or the end of those 40 bytes. `strong` when report texts
// never write it of their own. A scanner: it runs on many lines of every
// bounce's human text.
bool is_message_header_field(std::string_view line, bool* strong) {
  const auto head = line.substr(0, 40);
  if (head.empty() || ascii_lower(head[0]) < 'a' || ascii_lower(head[0]) > 'z') return false;  // an ASCII letter
  const auto colon = head.find(':');
  if (colon == std::string_view::npos) return false;
  if (colon + 1 < head.size() && !is_wsp(head[colon + 1]) && head[colon + 1] != '\r') return false;
  const auto name = head.substr(0, colon);
  if (std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; }))
    return is_message_header_field_by_regex(head, strong);
  // The strong names first: "X-Mailer" is also an "x-" name.
  if (is_one_of_names(name, kStrongFieldNames) || is_prefixed_name(name, "list-", false)) {
    *strong = true;
    return true;
  }
  *strong = false;
  return is_one_of_names(name, kOtherFieldNames) || is_prefixed_name(name, "x-", true);
}

// Where a header section quoted without a marker starts: the first run of
// kMinQuotedHeaderFields fields (with their continuation lines) that holds
// a field report texts never write. Fed the text's lines in order.
class QuotedHeaderRun {
 public:
  // `line` starts at `pos`; returns where the run starts once it is one,
  // else npos.
  std::size_t add(std::string_view line, std::size_t pos) {
    bool strong_field = false;
    if (is_message_header_field(line, &strong_field)) {
      if (fields_ == 0) start_ = pos;
      ++fields_;
      strong_ = strong_ || strong_field;
      if (fields_ >= kMinQuotedHeaderFields && strong_) return start_;
    } else if (fields_ == 0 || line.empty() || (line[0] != ' ' && line[0] != '\t')) {
      fields_ = 0;
      strong_ = false;
    }
    return std::string_view::npos;
  }

 private:
  std::size_t start_ = std::string_view::npos;
  std::size_t fields_ = 0;
  bool strong_ = false;
};

const RE2& bounce_from() {
  static const RE2 re = byte_regex(R"((?i)mailer-daemon|mailer_daemon|postmaster|post_master|mail delivery|mail administrator|ndr administrator|mail deliver system|MAILER-DAEMON)");
  return re;
}

const RE2& bounce_subject() {
  static const RE2 re = byte_regex(
      R"((?i)undeliver|delivery (status|failure|failed|notification|problem|delay)|returned mail|failure notice|failed delivery|failure delivery|mail delivery failed|non-?deliver|delivery has failed|could not be delivered|error sending your mail|not delivered|mail system error|delayed (mail|delivery)|returned to sender|unzustellbar|nicht zustellbar|non remis|non distribu|no entregado|non recapitat|non consegnat|onbestelbaar|niet afgeleverd|(message|mail|e-?mail)( you sent)? (was |has been )?(blocked|rejected))");
  return re;
}

// How much of a text is searched for the wording that says what it is: the
// opening paragraphs say it.
constexpr std::size_t kMaxWordingBytes = 8192;

}  // namespace

bool is_dialect_wording(std::string_view text) { return first_dialect(text) < kNoDialect; }

std::string_view before_original_message(std::string_view text) {
  // One pass over the lines: the returned message starts at a line that
  // opens it, or, in bounces that paste its headers without a line that
  // says so, where they start.
  QuotedHeaderRun headers;
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    if (opens_returned_message(line)) return text.substr(0, pos);
    if (const std::size_t start = headers.add(line, pos); start != std::string_view::npos) return text.substr(0, start);
    pos = end + 1;
  }
  return text;
}

TextWording scan_wording(std::string_view text) {
  // A caseless regex also takes U+017F for 's' and U+212A for 'k': a text
  // that holds either gets no gates.
  const DialectGate& gate = dialect_gate();
  const LiteralAutomaton::Found found = gate.words->find(text);
  if ((found & gate.ascii_case_variants).any()) return {};
  TextWording wording;
  wording.may_have_banner = (found & gate.banner).any();
  wording.may_ask_challenge = (found & gate.challenge).any();
  wording.may_say_delayed = (found & gate.delay).any();
  wording.words = found;
  return wording;
}

std::string detect_dialect(std::string_view text, std::string_view subject, std::string_view failed_recipients,
                           const TextWording& text_wording, const TextWording& subject_wording) {
  // The first family in table order that any of the three names: the
  // Subject and X-Failed-Recipients only for families before the text's.
  std::size_t found = first_dialect(text, kNoDialect, text_wording.words);
  found = std::min(found, first_dialect(subject, found, subject_wording.words));
  found = std::min(found, first_dialect(failed_recipients, found));
  return found < kNoDialect ? kDialects[found].name : std::string();
}

std::string detect_dialect_by_set(std::string_view text, std::string_view subject, std::string_view failed_recipients) {
  const std::size_t found =
      std::min({first_dialect_by_set(text), first_dialect_by_set(subject), first_dialect_by_set(failed_recipients)});
  return found < kNoDialect ? kDialects[found].name : std::string();
}

bool from_mail_system(std::string_view from) { return RE2::PartialMatch(from, bounce_from()); }

bool has_failure_wording(std::string_view text) {
  // A failure phrase and a code: what a delivery failure says, and what a
  // person's reply (or an out-of-office note) does not.
  static const RE2 phrase = byte_regex(kFailurePhrasePattern);
  static const RE2 code = byte_regex(kFailureCodePattern);
  const auto head = text.substr(0, kMaxWordingBytes);
  return RE2::PartialMatch(head, phrase) && RE2::PartialMatch(head, code);
}

bool is_challenge_request(std::string_view subject, const TextWording& subject_wording, std::string_view text,
                          const TextWording& wording) {
  // The Subject passes the same gate as the text: the regex (3.8 million
  // instructions to build) is built only for a message that may need it.
  const bool subject_may_ask = !subject.empty() && subject_wording.may_ask_challenge;
  if (!subject_may_ask && !wording.may_ask_challenge) return false;
  static const RE2 request = byte_regex(kChallengePattern);
  return (subject_may_ask && RE2::PartialMatch(subject, request)) ||
         (wording.may_ask_challenge && RE2::PartialMatch(text.substr(0, kMaxWordingBytes), request));
}

bool says_delayed(std::string_view text, const TextWording& wording) {
  static const RE2 delay = byte_regex(kDelayPattern);
  if (wording.may_say_delayed && RE2::PartialMatch(text, delay)) return true;
  if (!has_non_ascii(text)) return false;
  static const RE2 beyond_latin = byte_regex(kDelayPatternBeyondLatin);
  return RE2::PartialMatch(text, beyond_latin);
}

// The paragraph (lines between blank lines, the blank line after it
// included) that holds `text[at]`, not starting before `floor`, looked for
// within `limit` bytes either side; end is npos when it reaches further.
std::pair<std::size_t, std::size_t> paragraph_around(std::string_view text, std::size_t at, std::size_t floor,
                                                     std::size_t limit) {
  const std::size_t lo = std::max(floor, at > limit ? at - limit : 0);
  const std::size_t hi = std::min(text.size(), at + limit);
  const auto blank = [&](std::size_t start, std::size_t stop) { return trim(text.substr(start, stop - start)).empty(); };
  // Backwards, line by line, until a blank line or `floor`.
  std::size_t begin = at;
  while (begin > lo && text[begin - 1] != '\n') --begin;
  while (begin > lo) {
    std::size_t previous = begin - 1;  // the line break that ends the line before
    while (previous > lo && text[previous - 1] != '\n') --previous;
    if (previous == lo && lo > floor && lo > 0 && text[lo - 1] != '\n') return {begin, std::string_view::npos};
    if (blank(previous, begin)) break;
    begin = previous;
  }
  // Forwards, line by line, through the first blank line.
  std::size_t end = at;
  bool first = true;
  while (end < hi) {
    std::size_t next = end;
    while (next < hi && text[next] != '\n') ++next;
    if (next == hi && hi < text.size()) return {begin, std::string_view::npos};
    next = std::min(next + 1, text.size());
    const bool was_blank = !first && blank(end, next);
    first = false;
    end = next;
    if (was_blank) break;
  }
  if (end == hi && hi < text.size()) return {begin, std::string_view::npos};
  return {begin, end};
}

std::string without_banners(std::string_view text, const TextWording& wording) {
  // "This email has been scanned for viruses by ...", "Scanned by ... anti-
  // spam": a gateway's banner. A paragraph that reports a finding is kept.
  if (!wording.may_have_banner) return std::string(text);
  // Built by the first text that may need it. UTF-8 regexes, unlike the
  // other wording's: a banner with a long s ("viru\u017Fes") reads as a
  // banner and goes, as a reader sees it.
  static const RE2 banner(re2::StringPiece(kBannerPattern.data(), kBannerPattern.size()));
  static const RE2 finding(
      R"((?i)(found|detected|infected|contains? (a )?(virus|malware)|contained|rejected|blocked|refused|quarantined|identified as|classified as|deleted|removed|not delivered|[45]\.\d{1,3}\.\d{1,3}|\b[45][0-5]\d\b))");
  static const RE2 clean(
      R"((?i)no (virus|viruses|threats?|malware) (was |were )?(found|detected)|virus-free|believed to be clean)");
  // One search over the text; only the paragraphs around its first few
  // matches are looked at, each within a bounded distance: linear however
  // many banners a hostile text holds.
  constexpr std::size_t kMaxBannerBytes = 600;
  constexpr int kMaxBanners = 16;
  std::string out;
  std::size_t copied = 0;
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece hit;
  for (int found = 0; found < kMaxBanners && RE2::FindAndConsume(&input, banner, &hit); ++found) {
    const auto at = static_cast<std::size_t>(hit.data() - text.data());
    if (at < copied) continue;
    const auto [begin, end] = paragraph_around(text, at, copied, kMaxBannerBytes);
    if (end == std::string_view::npos) continue;  // too long to be a banner
    const auto paragraph = text.substr(begin, end - begin);
    if (!RE2::PartialMatch(paragraph, clean) && RE2::PartialMatch(paragraph, finding)) continue;
    out.append(text.substr(copied, begin - copied));
    copied = end;
    input = re2::StringPiece(text.data() + end, text.size() - end);
  }
  if (copied == 0) return std::string(text);
  out.append(text.substr(copied));
  return out;
}

// The same in the languages mail systems write their Subjects in with
// characters beyond ASCII; tried only on a Subject that has such bytes
// (the words written in ASCII are in bounce_subject()).
const RE2& bounce_subject_beyond_ascii() {
  static const RE2 re = byte_regex(
      R"(配信できません|配信エラー|配信不能|未配達|送信エラー|退信|退回|未送达|无法投递|無法投遞|не доставлен|недоставлен|não entregue)");
  return re;
}

bool looks_like_bounce_headers(std::string_view from, std::string_view subject) {
  return RE2::PartialMatch(from, bounce_from()) || RE2::PartialMatch(subject, bounce_subject()) ||
         (has_non_ascii(subject) && RE2::PartialMatch(subject, bounce_subject_beyond_ascii()));
}

}  // namespace clearbounce::dsn::detail
