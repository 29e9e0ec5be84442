// Finding the failed recipients of a free-text bounce, and the lines that
// explain each one.
//
// Every byte of the text is the sender's (often an attacker's), so the
// reading is linear in the text and its output bounded: the text is split
// once, every scan of a line for addresses looks at each of
// its bytes a bounded number of times, and no recipient gathers more than
// kMaxRecipientTextBytes, however many recipients share an explanation.
#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "dsn/byte_regex.hpp"
#include "dsn/fields.hpp"
#include "dsn/plain.hpp"
#include "dsn/quoted_header_lines.hpp"

namespace clearbounce::dsn::detail {
namespace {

// What one recipient's explanation may hold. Real explanations are a few
// lines; the renderer quotes at most 4000 bytes of one.
constexpr std::size_t kMaxRecipientTextBytes = 4096;
// What all recipients' explanations together may hold, so that the work of
// classifying them stays bounded; each keeps at least the minimum (its own
// line and the start of a shared explanation).
constexpr std::size_t kMaxTotalTextBytes = 1u << 20;
constexpr std::size_t kMinRecipientTextBytes = 256;
// The explanation shared by recipients whose own lines say nothing.
constexpr std::size_t kMaxSharedExplanationBytes = 2048;
// Of a line longer than this, only this much around the mention is kept.
constexpr std::size_t kMaxLineBytes = 1024;
// A label before a listed recipient ("Recipient address:") is short.
constexpr std::size_t kMaxLabelBytes = 80;

// Addresses are compared without regard to ASCII case (CaselessHash and
// CaselessEqual, dsn/ascii.hpp): the lists and the index of them hold views
// of the text and of the caller's lists, not lower-cased copies.

// Orders by length first: most addresses looked up then differ from an
// entry without a byte being read.
bool caseless_less(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return a.size() < b.size();
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(ascii_lower(a[i]));
    const auto y = static_cast<unsigned char>(ascii_lower(b[i]));
    if (x != y) return x < y;
  }
  return false;
}

// The caller's lists of addresses (known recipients, excluded senders): a
// handful as a rule, so a sorted vector (the reader's, see ReaderLists),
// where a lookup compares a few bytes of a few entries (no hashing, no node
// per entry).
class AddressList {
 public:
  AddressList(const std::vector<std::string>& addresses, std::vector<std::string_view>& sorted) : sorted_(sorted) {
    sorted_.assign(addresses.begin(), addresses.end());
    std::sort(sorted_.begin(), sorted_.end(), caseless_less);
  }
  bool contains(std::string_view address) const {
    return std::binary_search(sorted_.begin(), sorted_.end(), address, caseless_less);
  }
  bool empty() const { return sorted_.empty(); }
  void clear() { sorted_.clear(); }

 private:
  std::vector<std::string_view>& sorted_;
};

// An address at `begin` that follows a sender marker ("MAIL FROM:<a>", "F=<a>").
// The 24 bytes before the address are lower-cased once, and the markers
// (lower-case already) searched for in them as they are.
bool is_sender_mention(std::string_view line, std::size_t begin) {
  constexpr std::size_t kWindow = 24;
  const auto before = line.substr(begin > kWindow ? begin - kWindow : 0, std::min(begin, kWindow));
  std::array<char, kWindow> lowered;
  std::transform(before.begin(), before.end(), lowered.begin(), ascii_lower);
  const std::string_view window(lowered.data(), before.size());
  for (const std::string_view marker : {"mail from", "from:<", "f=[", "f=<", "envelope-from"})
    if (window.find(marker) != std::string_view::npos) return true;
  return false;
}

bool is_ascii_letter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// True when `text` holds more than 8 letters (any non-ASCII byte counts as
// one) besides those of `address`: it says something besides the address.
// Counting stops once that many are seen: most texts tell after a few words,
// and this is asked of every recipient's text, up to kMaxRecipientTextBytes.
bool substantive(std::string_view text, std::string_view address) {
  std::size_t wanted = 9;
  for (const char ch : address) wanted += is_ascii_letter(static_cast<unsigned char>(ch)) ? 1 : 0;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((is_ascii_letter(c) || c >= 0x80) && --wanted == 0) return true;
  }
  return false;
}

// First lines with which MTAs open a bounce; seen again inside a text,
// they start a second copy (bounces written in two languages).
bool starts_a_bounce(std::string_view line) {
  static const RE2 opening = byte_regex(
      R"((?i)^\s*(this message was created automatically by|this is the (mail system|postfix program|qmail-send program|dragonfly mail agent)|hi\. this is the|this is an automatically generated delivery status notification))");
  // Every opening starts with "this" or "hi.": most lines need no regex.
  std::string_view words = line.substr(0, 200);
  while (!words.empty() && is_pattern_space(words.front())) words.remove_prefix(1);
  if (!iequals(words.substr(0, 4), "this") && !iequals(words.substr(0, 3), "hi.")) return false;
  return RE2::PartialMatch(line.substr(0, 200), opening);
}

bool is_transcript_line(std::string_view line) {
  const auto t = trim(line);
  return t.size() > 4 && (t.substr(0, 4) == ">>> " || t.substr(0, 4) == "<<< ");
}

// "----- Transcript of session follows -----", "=========": a new section,
// shared by all recipients, starts.
bool is_section_banner(std::string_view line) {
  const auto t = trim(line);
  return t.size() >= 3 && (t.substr(0, 3) == "---" || t.substr(0, 3) == "===" || t.substr(0, 3) == "***");
}

// "please contact <support@...>", "send mail to <postmaster@...>".
bool is_contact_mention(std::string_view line) {
  static const RE2 re = byte_regex(R"((?i)contact|send mail to|assistance|questions|help at|reply to|write to)");
  return RE2::PartialMatch(line, re);
}

// What the label pattern below ends with: a colon, then only RE2's \s, '<'
// or '"'. The words before most addresses ("Your message to <") fail this
// check and need no regex.
bool ends_like_label(std::string_view s) {
  while (!s.empty() && (is_pattern_space(s.back()) || s.back() == '<' || s.back() == '"')) s.remove_suffix(1);
  return !s.empty() && s.back() == ':';
}

bool is_list_punctuation(char c) {
  return c == ' ' || c == '\t' || c == '<' || c == '"' || c == '>' || c == '\'' || c == '*' || c == '-';
}

// One line of the text, with what every address scan of it needs, worked
// out once per scan (not kept per line: a text of empty lines must not cost
// tens of bytes a line).
struct Line {
  explicit Line(std::string_view line) : text(line) {
    while (punctuation < text.size() && is_list_punctuation(text[punctuation])) ++punctuation;
    while (blanks < text.size() && is_space(text[blanks])) ++blanks;
  }

  std::string_view text;
  std::size_t punctuation = 0;    // length of the leading list punctuation
  std::size_t blanks = 0;         // length of the leading blanks
  bool contact_asked = false;     // is_contact_mention, asked once
  bool contact = false;

  // Only list punctuation before `begin`, or a label that introduces a
  // recipient ("Recipient address:", "RCPT TO:").
  bool starts_with_address_at(std::size_t begin) const {
    static const RE2 label(R"((?i)^[a-z][a-z _-]{0,30}(recipient|rcpt|address|addressee)[a-z _-]{0,10}:[\s<"]*$)");
    if (begin <= punctuation) return true;
    if (begin <= blanks || begin - blanks > kMaxLabelBytes) return false;
    const auto before = text.substr(blanks, begin - blanks);
    return ends_like_label(before) && RE2::FullMatch(before, label);
  }
  bool is_contact() {
    if (!contact_asked) contact = is_contact_mention(text);
    contact_asked = true;
    return contact;
  }
};

// An address found in a line: where its word starts (after the nearest
// delimiter) and the address itself.
struct Found {
  std::size_t word_begin;
  std::string_view address;
};

// Where the word holding the '@' at `at` starts: after the nearest
// delimiter (space, '<', '"', '(', '[', ':' or tab), not before `floor`.
// (A plain test: string_view::find calls memchr once per byte.)
bool is_word_delimiter(char c) {
  return c == ' ' || c == '<' || c == '"' || c == '(' || c == '[' || c == ':' || c == '\t';
}
std::size_t word_start(std::string_view line, std::size_t at, std::size_t floor) {
  std::size_t begin = at;
  while (begin > floor && !is_word_delimiter(line[begin - 1])) --begin;
  return begin;
}

// Where the word that holds `from` ends: the next space, '>', '"', ')' or
// ']', or the end of the line. (A plain loop: find_first_of calls memchr
// once per byte.)
std::size_t end_of_word(std::string_view line, std::size_t from) {
  for (std::size_t i = from; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '>' || c == '"' || c == ')' || c == ']') return i;
  }
  return line.size();
}

// Calls `on_address(Found)` for each address of `line` in order; stops when
// it returns false. After an address, the scan goes on at the next
// delimiter, and no backward scan crosses a previous '@': linear in the line.
template <typename OnAddress>
void scan_addresses(const Line& line, OnAddress&& on_address) {
  const std::string_view text = line.text;
  std::size_t offset = 0;
  while (offset < text.size()) {
    const auto at = text.find('@', offset);
    if (at == std::string_view::npos) return;
    const std::size_t begin = word_start(text, at, offset);
    const auto address = address_in_text_at(text, at);
    offset = end_of_word(text, at);
    if (address.empty()) continue;
    if (!on_address(Found{begin, address})) return;
  }
}

// Appends `line` and a line break to `out`, within `limit` bytes. Of an
// overlong line, the part around `focus` (a byte offset) is kept.
void append_bounded(std::string& out, std::string_view line, std::size_t limit, std::size_t focus = 0) {
  if (out.size() >= limit) return;
  if (line.size() > kMaxLineBytes) {
    const std::size_t half = kMaxLineBytes / 2;
    const std::size_t start = focus > half ? std::min(focus - half, line.size() - kMaxLineBytes) : 0;
    line = line.substr(start, kMaxLineBytes);
  }
  out.append(line.substr(0, limit - out.size() - 1));  // one byte left for the line break
  out.push_back('\n');
}

// A recipient's first mention: the address (in the text), its line, and
// where it starts in that line.
struct Mention {
  std::string_view address;
  std::size_t line;
  std::size_t column;
};
// A line that names a recipient, and where in it.
struct Place {
  std::size_t line;
  std::size_t column;
};
// A line that lists a recipient at its start.
struct Listed {
  std::size_t line;
  std::size_t recipient;
};

// The reader's working lists. Each thread keeps one set from text to text,
// so that reading a text allocates none of them once warm; a reader that
// starts while another reads on the same thread gets a set of its own. A
// list that grew past kMaxKeptEntries is freed when the reading ends, so
// that what a thread keeps stays small however large a text was.
struct ReaderLists {
  static constexpr std::size_t kMaxKeptEntries = 4096;

  std::vector<std::string_view> lines;
  std::vector<std::size_t> at_lines;
  std::vector<std::string_view> excluded;
  std::vector<std::string_view> wanted;
  std::vector<Mention> firsts;
  std::vector<std::vector<Place>> mentioned_on;  // entries past firsts.size() are spare
  std::vector<Listed> listed;
  bool in_use = false;

  // Empties every list, keeping what it holds room for only below the bound.
  void release() {
    const auto empty = [](auto& list) {
      if (list.capacity() > kMaxKeptEntries) {
        std::remove_reference_t<decltype(list)>().swap(list);
      } else {
        list.clear();
      }
    };
    empty(lines);
    empty(at_lines);
    empty(excluded);
    empty(wanted);
    empty(firsts);
    empty(listed);
    if (mentioned_on.size() > kMaxKeptEntries) mentioned_on = {};
    for (auto& places : mentioned_on) empty(places);
  }
};

// The thread's ReaderLists for one reading, or a set of its own when the
// thread's are taken.
class ListsLease {
 public:
  ListsLease() {
    thread_local ReaderLists thread_lists;
    lists_ = thread_lists.in_use ? &own_.emplace() : &thread_lists;
    lists_->in_use = true;
  }
  ~ListsLease() {
    lists_->release();
    lists_->in_use = false;
  }
  ListsLease(const ListsLease&) = delete;
  ListsLease& operator=(const ListsLease&) = delete;
  ReaderLists& lists() { return *lists_; }

 private:
  std::optional<ReaderLists> own_;
  ReaderLists* lists_ = nullptr;
};

class PlainReader {
 public:
  PlainReader(std::string_view text, const std::vector<std::string>& exclude, const std::vector<std::string>& known,
              std::size_t max_recipients);
  std::vector<PlainRecipient> read();

 private:
  bool collect(bool line_start_only);
  bool wanted_here(Line& line, const Found& found, bool line_start_only) const;
  void index_mentions();
  std::size_t end_of_section(std::size_t r) const;
  struct OwnText {
    std::string text;
    bool substantive;  // says more than the address (substantive())
  };
  OwnText own_text(std::size_t r, std::size_t end) const;
  const std::string& shared_explanation();
  // What lines [first, stop) take in the text, line breaks included.
  std::size_t bytes_spanned(std::size_t first, std::size_t stop) const {
    if (first >= stop) return 0;
    const std::string_view last = lines_[stop - 1];
    return static_cast<std::size_t>(last.data() + last.size() - lines_[first].data()) + 1;
  }

  ListsLease lease_;  // first: the lists below are its
  std::vector<std::string_view>& lines_;
  // The lines that hold an '@', ascending: only they can name an address,
  // and most lines of a bounce hold none.
  std::vector<std::size_t>& at_lines_;
  AddressList excluded_;
  AddressList wanted_;
  std::size_t max_recipients_;

  // Which recipient `address` is (an index into firsts_), or npos; and
  // taking in a new one. A few recipients are compared one by one, which
  // costs less than hashing; past kFewRecipients a hash index answers, so
  // that a text naming many stays linear.
  static constexpr std::size_t kFewRecipients = 8;
  std::size_t recipient_of(std::string_view address) const;
  void add_recipient(const Mention& first);

  std::vector<Mention>& firsts_;  // each recipient's first mention, in order
  std::unordered_map<std::string_view, std::size_t, CaselessHash, CaselessEqual> recipient_index_;  // into firsts_, past kFewRecipients
  // Where firsts_[r] is named: line and column of its first mention on each
  // line, lines ascending. The column is kept so that no line is searched
  // again for each recipient it names.
  std::vector<std::vector<Place>>& mentioned_on_;
  // The lines that list a recipient at their start, lines ascending.
  std::vector<Listed>& listed_;
  std::size_t text_limit_ = kMaxRecipientTextBytes;  // per recipient, set once the recipients are known
  std::optional<std::string> shared_;
  bool shared_before_list_ = false;
};

PlainReader::PlainReader(std::string_view text, const std::vector<std::string>& exclude,
                         const std::vector<std::string>& known, std::size_t max_recipients)
    : lines_(lease_.lists().lines),
      at_lines_(lease_.lists().at_lines),
      excluded_(exclude, lease_.lists().excluded),
      wanted_(known, lease_.lists().wanted),
      max_recipients_(max_recipients),
      firsts_(lease_.lists().firsts),
      mentioned_on_(lease_.lists().mentioned_on),
      listed_(lease_.lists().listed) {
  // A text without an '@' names nobody.
  if (text.find('@') == std::string_view::npos) return;
  // Bounce lines are seldom shorter than this: one allocation mostly suffices.
  lines_.reserve(text.size() / 32 + 1);
  const char* const text_end = text.data() + text.size();
  for (const char* start = text.data();;) {
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', static_cast<std::size_t>(text_end - start)));
    const char* const end = newline != nullptr ? newline : text_end;
    const std::size_t length = static_cast<std::size_t>(end - start);
    lines_.emplace_back(start, length > 0 && end[-1] == '\r' ? length - 1 : length);
    if (newline == nullptr) break;  // the last line, empty after a final line break
    start = newline + 1;
  }
  // The '@'s are found over the whole text, and each one's line by moving
  // forward through the lines: both are read once.
  std::size_t line = 0;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    while (line + 1 < lines_.size() && lines_[line + 1].data() <= text.data() + at) ++line;
    if (at_lines_.empty() || at_lines_.back() != line) at_lines_.push_back(line);
  }
}

// An address that opens `line` but ends the sentence of the line before,
// which asks the reader to write to someone ("... contact the postmaster
// at" / "postmaster@example.org."): that line ends in a word, not in a colon
// or a full stop, and is a contact mention.
bool continues_a_contact(std::string_view before, const Line& line, const Found& found) {
  if (found.word_begin > line.punctuation) return false;
  while (!before.empty() && is_pattern_space(before.back())) before.remove_suffix(1);
  return !before.empty() && is_ascii_alnum(before.back()) && is_contact_mention(before);
}

// Bounces list failed recipients at the start of a line ("<a@b>:", "  a@b",
// ">>> a@b"); addresses inside sentences are often contacts or senders.
bool PlainReader::wanted_here(Line& line, const Found& found, bool line_start_only) const {
  if (!wanted_.empty()) return wanted_.contains(found.address);
  if (excluded_.contains(found.address)) return false;
  if (is_sender_mention(line.text, found.word_begin)) return false;
  if (line_start_only) return line.starts_with_address_at(found.word_begin);
  return !line.is_contact();
}

std::size_t PlainReader::recipient_of(std::string_view address) const {
  if (firsts_.size() > kFewRecipients) {
    const auto it = recipient_index_.find(address);
    return it == recipient_index_.end() ? std::string_view::npos : it->second;
  }
  for (std::size_t r = 0; r < firsts_.size(); ++r)
    if (iequals(firsts_[r].address, address)) return r;
  return std::string_view::npos;
}

void PlainReader::add_recipient(const Mention& first) {
  firsts_.push_back(first);
  if (firsts_.size() == kFewRecipients + 1) {
    for (std::size_t r = 0; r < firsts_.size(); ++r) recipient_index_.emplace(firsts_[r].address, r);
  } else if (firsts_.size() > kFewRecipients + 1) {
    recipient_index_.emplace(first.address, firsts_.size() - 1);
  }
}

// Fills firsts_ and recipient_index_ with the recipients named; false when
// there are none.
bool PlainReader::collect(bool line_start_only) {
  firsts_.clear();
  recipient_index_.clear();
  // Known recipients are taken wherever they are named; others not from
  // quoted header fields.
  // Only the lines with an '@' are read; whether a quoted field is open
  // before one is read back from it (field_open_before).
  std::size_t last_read = std::string_view::npos;
  bool in_header_field = false;
  for (const std::size_t i : at_lines_) {
    if (firsts_.size() >= max_recipients_) break;
    if (wanted_.empty()) {
      in_header_field = field_open_before(lines_, i, last_read, in_header_field);
      last_read = i;
      if (is_quoted_header_line(lines_[i], in_header_field)) continue;
    }
    Line line(lines_[i]);
    scan_addresses(line, [&](const Found& found) {
      if (recipient_of(found.address) != std::string_view::npos || !wanted_here(line, found, line_start_only))
        return true;
      if (wanted_.empty() && i > 0 && continues_a_contact(lines_[i - 1], line, found)) return true;
      const auto column = static_cast<std::size_t>(found.address.data() - line.text.data());
      add_recipient({found.address, i, column});
      return firsts_.size() < max_recipients_;
    });
  }
  return !firsts_.empty();
}

// Every line that names a recipient, by recipient: transcripts name each
// recipient again further down, and a list repeated in a second language
// lists them again at the start of a line.
void PlainReader::index_mentions() {
  // The thread's lists keep their entries' room: only the first
  // firsts_.size() are used, emptied first.
  if (mentioned_on_.size() < firsts_.size()) mentioned_on_.resize(firsts_.size());
  for (std::size_t r = 0; r < firsts_.size(); ++r) mentioned_on_[r].clear();
  // Every section starts after the first recipient's line: the lines up to
  // it are never asked about.
  const auto after_first = std::upper_bound(at_lines_.begin(), at_lines_.end(), firsts_.front().line);
  for (auto at_line = after_first; at_line != at_lines_.end(); ++at_line) {
    const std::size_t i = *at_line;
    const Line line(lines_[i]);
    scan_addresses(line, [&](const Found& found) {
      const std::size_t r = recipient_of(found.address);
      if (r == std::string_view::npos) return true;
      auto& where = mentioned_on_[r];
      const auto column = static_cast<std::size_t>(found.address.data() - line.text.data());
      if (where.empty() || where.back().line != i) where.push_back({i, column});
      const bool listed = !listed_.empty() && listed_.back().line == i;
      if (!listed && line.starts_with_address_at(column)) listed_.push_back({i, r});
      return true;
    });
  }
}

// Where recipient r's own lines end: at the next recipient's line, or
// earlier where the bounce starts again (a second language), a new section
// starts, or another recipient is listed again.
std::size_t PlainReader::end_of_section(std::size_t r) const {
  const std::size_t first = firsts_[r].line;
  std::size_t end = r + 1 < firsts_.size() ? firsts_[r + 1].line : lines_.size();
  // The first line before `end` that lists another recipient.
  std::size_t other_listed = end;
  auto listed = std::lower_bound(listed_.begin(), listed_.end(), first + 1,
                                 [](const Listed& l, std::size_t line) { return l.line < line; });
  for (; listed != listed_.end() && listed->line < end; ++listed) {
    if (listed->recipient != r) {
      other_listed = listed->line;
      break;
    }
  }
  for (std::size_t i = first + 1; i < other_listed; ++i)
    if (starts_a_bounce(lines_[i]) || is_section_banner(lines_[i])) return i;
  if (other_listed < end) return other_listed;
  if (end == first && r + 1 < firsts_.size()) end = first + 1;  // two recipients on one line
  return end;
}

PlainReader::OwnText PlainReader::own_text(std::size_t r, std::size_t end) const {
  const Mention& m = firsts_[r];
  // A transcript exchange (">>> MAIL From:", "<<< 550 ...") right above
  // the line that names the recipient is what the server answered.
  std::size_t start = m.line;
  const std::size_t previous = r > 0 ? firsts_[r - 1].line + 1 : 0;
  while (start > previous && is_transcript_line(lines_[start - 1])) --start;
  const std::size_t stop = std::min(std::max(end, m.line + 1), lines_.size());
  // The lines are views of one text: the bytes they span are known before
  // they are copied, so the text grows once.
  std::string text;
  text.reserve(std::min(bytes_spanned(start, stop), text_limit_));
  for (std::size_t i = start; i < stop; ++i) {
    append_bounded(text, lines_[i], text_limit_, i == m.line ? m.column : 0);
    if (text.size() >= text_limit_) break;
  }
  if (substantive(text, m.address)) return {std::move(text), true};
  // Lists of addresses followed by one explanation each further down
  // (transcripts): gather the later lines that name this address.
  const std::size_t own_bytes = text.size();
  for (const auto& place : mentioned_on_[r]) {
    if (place.line < end) continue;
    if (text.size() >= text_limit_) break;
    append_bounded(text, lines_[place.line], text_limit_, place.column);
  }
  const bool says_more = text.size() != own_bytes && substantive(text, m.address);
  return {std::move(text), says_more};
}

// For recipients whose own lines say nothing: the text after the list, or
// else the paragraph before it. Worked out once, shared by all.
const std::string& PlainReader::shared_explanation() {
  if (shared_) return *shared_;
  std::string found;
  for (std::size_t i = firsts_.back().line + 1; i < lines_.size() && found.size() < kMaxSharedExplanationBytes; ++i)
    append_bounded(found, lines_[i], kMaxSharedExplanationBytes);
  if (substantive(found, "")) return shared_.emplace(std::move(found));
  found.clear();
  shared_before_list_ = true;
  std::size_t i = firsts_.front().line;
  while (i > 0 && trim(lines_[i - 1]).empty()) --i;
  std::size_t paragraph = i;
  while (paragraph > 0 && !trim(lines_[paragraph - 1]).empty()) --paragraph;
  for (std::size_t k = paragraph; k < i; ++k) append_bounded(found, lines_[k], kMaxSharedExplanationBytes);
  // The bounce's own opening words explain nothing.
  if (is_dialect_wording(found)) found.clear();
  return shared_.emplace(std::move(found));
}

std::vector<PlainRecipient> PlainReader::read() {
  bool found = collect(true);
  if (!found && wanted_.empty()) found = collect(false);
  if (!found && wanted_.empty() && !excluded_.empty()) {
    // Bounces of mail one sent to oneself name the sender as recipient.
    excluded_.clear();
    found = collect(true);
  }
  if (!found) return {};
  text_limit_ = std::clamp(kMaxTotalTextBytes / firsts_.size(), kMinRecipientTextBytes, kMaxRecipientTextBytes);
  index_mentions();

  std::vector<PlainRecipient> out;
  out.reserve(firsts_.size());
  for (std::size_t r = 0; r < firsts_.size(); ++r) {
    auto [text, says_something] = own_text(r, end_of_section(r));
    PlainRecipient pr{std::string(firsts_[r].address), std::move(text)};
    // Still nothing: the explanation is shared, after or before the list.
    if (!says_something) {
      const auto& explanation = shared_explanation();
      pr.text = shared_before_list_ ? explanation + pr.text : pr.text + explanation;
      if (pr.text.size() > text_limit_) pr.text.resize(text_limit_);
    }
    out.push_back(std::move(pr));
  }
  return out;
}

}  // namespace

std::vector<PlainRecipient> find_plain_recipients(std::string_view text, const std::vector<std::string>& exclude,
                                                  const std::vector<std::string>& known, std::size_t max_recipients) {
  return PlainReader(text, exclude, known, max_recipients).read();
}

}  // namespace clearbounce::dsn::detail
