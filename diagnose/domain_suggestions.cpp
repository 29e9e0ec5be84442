#include "diagnose/domain_suggestions.hpp"

#include "diagnose/data_file.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace clearbounce {
extern const std::string_view builtin_mail_domains;  // diagnose/mail_domains.txt, embedded at build time
}

namespace clearbounce::diagnose {
namespace {

constexpr std::size_t kMaxName = 253;
constexpr std::size_t kLengthWindow = 2;  // two insertions or deletions at most (8 quarter edits)
constexpr unsigned kEdit = 4;             // quarter edits
constexpr unsigned kNeighbourKey = 3;
constexpr unsigned kLastLetterLeftOff = 3;
constexpr unsigned kFar = 1000;           // more than any limit

// The limit for a listed domain of this length: one edit for short names,
// where one more would reach many other names; two for long ones.
unsigned limit_for(std::size_t length) {
  if (length <= 7) return kEdit;
  if (length <= 11) return kEdit + kNeighbourKey;
  return 2 * kEdit;
}

// Keys next to each other on a QWERTY keyboard: the same row, and the two
// keys touching from the row above and from the row below (the rows are
// staggered by half a key).
class Keyboard {
 public:
  Keyboard() {
    static constexpr std::array<std::string_view, 4> kRows = {"1234567890-=", "qwertyuiop[]", "asdfghjkl;'",
                                                              "zxcvbnm,./"};
    const auto key = [&](std::size_t row, long column) -> int {
      if (column < 0 || static_cast<std::size_t>(column) >= kRows[row].size()) return -1;
      return static_cast<unsigned char>(kRows[row][static_cast<std::size_t>(column)]);
    };
    for (std::size_t row = 0; row < kRows.size(); ++row)
      for (long column = 0; column < static_cast<long>(kRows[row].size()); ++column) {
        const int here = key(row, column);
        mark(here, key(row, column - 1));
        mark(here, key(row, column + 1));
        if (row > 0) mark(here, key(row - 1, column)), mark(here, key(row - 1, column + 1));
        if (row + 1 < kRows.size()) mark(here, key(row + 1, column - 1)), mark(here, key(row + 1, column));
      }
  }
  bool next_to(char a, char b) const {
    const auto x = static_cast<unsigned char>(a), y = static_cast<unsigned char>(b);
    return x < 128 && y < 128 && near_[x][y];
  }

 private:
  void mark(int a, int b) {
    if (a >= 0 && b >= 0) near_[a][b] = near_[b][a] = true;
  }
  std::array<std::array<bool, 128>, 128> near_{};
};

const Keyboard& keyboard() {
  static const Keyboard instance;
  return instance;
}

// The weighted optimal-string-alignment distance of what was typed from a
// listed domain, or more than `limit` (then it stops early). Only cells
// within kLengthWindow of the diagonal are computed; `cells` counts them.
unsigned distance(std::string_view typed, std::string_view listed, unsigned limit, std::size_t& cells) {
  const std::size_t n = typed.size(), m = listed.size();
  std::vector<unsigned> before(m + 1, kFar), previous(m + 1, kFar), row(m + 1, kFar);
  for (std::size_t j = 0; j <= std::min(m, kLengthWindow); ++j) previous[j] = static_cast<unsigned>(j) * kEdit;
  for (std::size_t i = 1; i <= n; ++i) {
    std::fill(row.begin(), row.end(), kFar);
    const std::size_t first = i > kLengthWindow ? i - kLengthWindow : 0, last = std::min(m, i + kLengthWindow);
    unsigned best = kFar;
    for (std::size_t j = first; j <= last; ++j) {
      ++cells;
      unsigned cost = previous[j] + kEdit;  // a letter too many
      if (j > 0) {
        const char a = typed[i - 1], b = listed[j - 1];
        const unsigned change = a == b ? 0 : keyboard().next_to(a, b) ? kNeighbourKey : kEdit;
        const unsigned missing = i == n && j == m ? kLastLetterLeftOff : kEdit;
        cost = std::min({cost, previous[j - 1] + change, row[j - 1] + missing});
        if (i > 1 && j > 1 && a == listed[j - 2] && typed[i - 2] == b) cost = std::min(cost, before[j - 2] + kEdit);
      }
      row[j] = std::min(cost, kFar);
      best = std::min(best, row[j]);
    }
    // A swap reaches back two rows: stop when neither of the last two can
    // lead to a distance within the limit.
    if (best > limit && *std::min_element(previous.begin(), previous.end()) > limit) return kFar;
    std::swap(before, previous);
    std::swap(previous, row);
  }
  return previous[m];
}

// Lower case without a trailing dot; empty when it is no plain name
// (letters, digits, '-', '.'), or longer than a DNS name can be.
std::string normalized(std::string_view domain) {
  if (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  if (domain.empty() || domain.size() > kMaxName) return {};
  std::string name(domain);
  for (auto& c : name) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) return {};
  }
  return name;
}

// A domain as it may be listed: LDH labels of 1 to 63 characters, at least
// two, the last of letters (or an IDN "xn--" label).
bool is_mail_domain(std::string_view name) {
  if (name.empty() || normalized(name) != name || name.back() == '.') return false;
  std::size_t labels = 0;
  std::string_view label;
  for (std::size_t start = 0; start <= name.size(); start += label.size() + 1) {
    label = name.substr(start, name.find('.', start) - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
    ++labels;
  }
  const bool letters = std::all_of(label.begin(), label.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return labels >= 2 && label.size() >= 2 && (letters || label.substr(0, 4) == "xn--");
}

// What a refused line said, fit for an error message.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 80)) out += c >= 0x20 && c < 0x7F ? c : '?';
  return text.size() > 80 ? out + "..." : out;
}

}  // namespace

std::optional<MailDomains> MailDomains::builtin(std::string& error) {
  MailDomains list;
  if (!list.add_text(builtin_mail_domains, "mail_domains.txt (built in)", error)) return std::nullopt;
  return list;
}

bool MailDomains::add_text(std::string_view text, std::string_view source, std::string& error) {
  if (text.size() > kMaxTextBytes) {
    error = std::string(source) + ": larger than " + std::to_string(kMaxTextBytes >> 20) + " MB";
    return false;
  }
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end).substr(0, text.substr(0, end).find('#'));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const auto first = line.find_first_not_of(" \t\r"), last = line.find_last_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    line = line.substr(first, last - first + 1);
    const std::string name = normalized(line);
    const std::string at = std::string(source) + ":" + std::to_string(number) + ": ";
    if (name.empty() || !is_mail_domain(name)) {
      error = at + "\"" + shown(line) + "\" is not a mail domain (one domain a line, such as example.com)";
      return false;
    }
    if (domains_.size() >= kMaxDomains) {
      error = at + "more than " + std::to_string(kMaxDomains) + " domains";
      return false;
    }
    if (!listed_.insert(name).second) continue;  // listed already
    if (by_length_.size() <= name.size()) by_length_.resize(name.size() + 1);
    by_length_[name.size()].push_back(domains_.size());
    domains_.push_back(name);
  }
  return true;
}

bool MailDomains::add_file(const std::string& path, std::string& error) {
  const auto text = read_data_file(path, kMaxTextBytes, error);
  return text && add_text(*text, path, error);
}

bool MailDomains::contains(std::string_view domain) const {
  const std::string name = normalized(domain);
  return !name.empty() && listed_.count(name) > 0;
}

std::vector<std::string> MailDomains::suggestions_for(std::string_view domain, std::size_t at_most,
                                                      std::size_t* cells) const {
  const std::string typed = normalized(domain);
  if (typed.empty() || listed_.count(typed) > 0) return {};
  std::size_t steps = 0;
  std::vector<std::pair<unsigned, std::size_t>> close;  // distance, place in the list
  const std::size_t shortest = typed.size() > kLengthWindow ? typed.size() - kLengthWindow : 0;
  for (std::size_t length = shortest; length <= typed.size() + kLengthWindow && length < by_length_.size(); ++length)
    for (std::size_t index : by_length_[length]) {
      const unsigned limit = limit_for(length);
      if (const unsigned d = distance(typed, domains_[index], limit, steps); d <= limit) close.emplace_back(d, index);
    }
  if (cells) *cells += steps;
  std::sort(close.begin(), close.end());
  std::vector<std::string> ranked;
  for (std::size_t i = 0; i < close.size() && ranked.size() < at_most; ++i) {
    if (i + 1 < close.size() && close[i + 1].first == close[i].first) break;  // a tie: a guess
    ranked.push_back(domains_[close[i].second]);
  }
  return ranked;
}

std::optional<MailDomains> load_mail_domains(const std::string& extra_file, std::string& error) {
  auto list = MailDomains::builtin(error);
  if (list && !extra_file.empty() && !list->add_file(extra_file, error)) return std::nullopt;
  return list;
}

}  // namespace clearbounce::diagnose
