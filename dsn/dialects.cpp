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
#include <bit>
#include <cstdint>
#include <cstring>
#include <deque>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dsn/byte_regex.hpp"
#include "dsn/dialect_gate.hpp"
#include "dsn/dialect_table.hpp"
#include "dsn/fields.hpp"
#include "dsn/lazy_regex.hpp"
#include "dsn/literal_automaton.hpp"
#include "dsn/plain.hpp"

namespace clearbounce::dsn::detail {
namespace {

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

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// The wording that readers search a whole text for. Each regex has a gate:
// literals one of which every match of the regex holds (each list says
// why), found for all regexes in one pass by scan_wording(). A regex none
// of whose literals occur is not run.
constexpr std::string_view kFailurePhrasePattern =
    R"((?i)(could not be delivered|couldn't be delivered|undeliverable|delivery (to .{1,80} )?(has )?failed|failed permanently|permanent (error|failure)|not delivered|unable to deliver|user unknown|unknown user|no such (user|mailbox|address)|mailbox (unavailable|full|not found)|does not exist|address rejected))";
// No gate for the phrase: almost every bounce holds "deliver", which most
// of its alternatives share. The code is looked for only where it matched.
constexpr std::string_view kFailureCodePattern = R"((?:^|[^\d.])(?:[45]\.\d{1,3}\.\d{1,3}|[45][0-5]\d[ -]))";
// A signature's alternative, each with its own regex: one alternative's
// regex starts with a literal, which RE2 skips to, and stops at its first
// match; a set of alternatives does neither. Most alternatives are plain
// phrases, or a few, and never need their regex; the others build it the first time
// a text makes them a candidate, so a short-lived process pays for the few
// its texts need (a regex costs about 250,000 instructions to build).
struct GatedAlternative {
  explicit GatedAlternative(const GateAlternative& alternative)
      : dialect(alternative.dialect), regex(std::string(alternative.pattern), caseless_options(alternative.pattern)) {
    for (std::string_view rest = alternative.phrases; !rest.empty();) {
      const std::size_t end = std::min(rest.find('\n'), rest.size());
      phrases.emplace_back(rest.substr(0, end));
      rest.remove_prefix(std::min(end + 1, rest.size()));
    }
  }

  std::size_t dialect;
  LazyRegex regex;                   // spacing_tolerant()'s pattern
  std::vector<std::string> phrases;  // where the regex matches: the regex need not run

  bool matches(std::string_view text) const {
    if (phrases.empty()) return RE2::PartialMatch(text, regex.get());
    return std::any_of(phrases.begin(), phrases.end(), [text](const std::string& p) { return holds_phrase(text, p); });
  }

 private:
  static RE2::Options caseless_options(std::string_view pattern) {
    RE2::Options options = regex_options(pattern);
    options.set_case_sensitive(false);
    return options;
  }
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

  explicit DialectGate(const GateTables& tables)
      : without_words(tables.without_words),
        only_non_ascii(tables.only_non_ascii),
        banner(tables.banner.found()),
        challenge(tables.challenge.found()),
        delay(tables.delay.found()),
        ascii_case_variants(tables.ascii_case_variants.found()) {
    for (const GateAlternative& alternative : tables.alternatives) alternatives.emplace_back(alternative);
    if (alternatives.size() > kMaxAlternatives) throw std::logic_error("too many signature alternatives");
    for (const GateSpelling& spelling : tables.spellings)
      file(spelling.longest_word, {spelling.alternative, spelling.words.found(), spelling.needs_non_ascii});
    std::vector<LiteralAutomaton::Found> ends;
    ends.reserve(tables.ends.size());
    for (const GateWordSet& set : tables.ends) ends.push_back(set.found());
    words = std::make_unique<LiteralAutomaton>(*tables.column_of, tables.columns, tables.next,
                                               tables.first_accepting_row, std::move(ends), tables.longest_word);
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
  void file(std::size_t word, const GatedSpelling& spelling) {
    by_longest_word.at(word).push_back(spelling);
    longest_words.set(word);
  }
};

const DialectGate& dialect_gate() {
  static const DialectGate gate(kBuiltinGate);
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
