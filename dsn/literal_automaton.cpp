#include "dsn/literal_automaton.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <limits>
#include <stdexcept>
#include <utility>

namespace clearbounce::dsn::detail {

namespace {

// The automaton while it is built: a trie of the literals, then its
// failure links, as state numbers (not yet rows).
struct Builder {
  std::uint32_t columns;
  std::vector<int> child;                         // state * columns + column: trie child or -1
  std::vector<LiteralAutomaton::Found> ends;      // by state
  std::vector<std::uint32_t> next;                // state * columns + column: the full transition
  std::vector<std::uint32_t> breadth_first;       // states by depth

  explicit Builder(std::uint32_t column_count) : columns(column_count) { add_state(); }

  std::uint32_t add_state() {
    child.insert(child.end(), columns, -1);
    ends.emplace_back();
    return static_cast<std::uint32_t>(ends.size() - 1);
  }

  void insert(const std::vector<std::uint8_t>& path, std::size_t literal) {
    std::uint32_t state = 0;
    for (const std::uint8_t column : path) {
      if (child[state * columns + column] < 0) {
        const std::uint32_t added = add_state();
        child[state * columns + column] = static_cast<int>(added);
      }
      state = static_cast<std::uint32_t>(child[state * columns + column]);
    }
    ends[state].set(literal);
  }

  // Fills `next` in breadth-first order: a state's failure state is
  // shallower, so its row is complete when the state's own is filled.
  void link() {
    next.assign(child.size(), 0);
    std::vector<std::uint32_t> failure(ends.size(), 0);
    std::deque<std::uint32_t> queue{0};
    while (!queue.empty()) {
      const std::uint32_t state = queue.front();
      queue.pop_front();
      breadth_first.push_back(state);
      for (std::uint32_t column = 0; column < columns; ++column) {
        const int to = child[state * columns + column];
        if (to < 0) {
          next[state * columns + column] = state == 0 ? 0 : next[failure[state] * columns + column];
          continue;
        }
        const auto target = static_cast<std::uint32_t>(to);
        failure[target] = state == 0 ? 0 : next[failure[state] * columns + column];
        ends[target] |= ends[failure[target]];  // a literal that ends where a longer one does
        next[state * columns + column] = target;
        queue.push_back(target);
      }
    }
  }
};

}  // namespace

// ceil(2^32 / columns): a row, a multiple of columns below 2^16, times it
// and shifted right by 32 is the row's state, with no division in the loop.
std::uint64_t LiteralAutomaton::reciprocal(std::uint32_t columns) {
  return ((std::uint64_t{1} << 32) + columns - 1) / columns;
}

unsigned char LiteralAutomaton::folded(unsigned char byte) {
  return (byte >= 'A' && byte <= 'Z') ? static_cast<unsigned char>(byte - 'A' + 'a') : byte;
}

LiteralAutomaton::LiteralAutomaton(const std::vector<std::string>& literals) {
  if (literals.size() > kMaxLiterals) throw std::invalid_argument("LiteralAutomaton: too many literals");
  // One column for each byte the literals hold (as compared), one for all others.
  std::array<std::uint8_t, 256> column_of_folded{};
  for (const std::string& literal : literals) {
    if (literal.empty()) throw std::invalid_argument("LiteralAutomaton: an empty literal");
    for (const char c : literal) {
      auto& column = column_of_folded[folded(static_cast<unsigned char>(c))];
      if (column == 0) column = static_cast<std::uint8_t>(columns_++);
    }
  }
  for (std::size_t byte = 0; byte < 256; ++byte) column_of_[byte] = column_of_folded[folded(static_cast<unsigned char>(byte))];
  Builder builder(columns_);
  for (const std::string& literal : literals)
    longest_literal_ = std::max(longest_literal_, static_cast<std::uint32_t>(literal.size()));
  for (std::size_t i = 0; i < literals.size(); ++i) {
    std::vector<std::uint8_t> path;
    for (const char c : literals[i]) path.push_back(column_of_[static_cast<unsigned char>(c)]);
    builder.insert(path, i);
  }
  builder.link();
  // Rows: states that end no literal first, then the others, so that one
  // comparison per byte tells whether a literal ended.
  const std::size_t states = builder.ends.size();
  if (states * columns_ > std::numeric_limits<std::uint16_t>::max())
    throw std::invalid_argument("LiteralAutomaton: too large a table");
  std::vector<std::uint32_t> order;
  for (const bool accepting : {false, true})
    for (const std::uint32_t state : builder.breadth_first)
      if (builder.ends[state].any() == accepting) order.push_back(state);
  std::vector<std::uint32_t> row_of(states);
  for (std::size_t i = 0; i < states; ++i) row_of[order[i]] = static_cast<std::uint32_t>(i) * columns_;
  built_next_.resize(states * columns_);
  for (std::size_t i = 0; i < states; ++i) {
    const std::uint32_t state = order[i];
    for (std::uint32_t column = 0; column < columns_; ++column)
      built_next_[i * columns_ + column] = static_cast<std::uint16_t>(row_of[builder.next[state * columns_ + column]]);
    if (builder.ends[state].any()) {
      if (ends_.empty()) first_accepting_row_ = static_cast<std::uint32_t>(i) * columns_;
      ends_.push_back(builder.ends[state]);
    }
  }
  if (ends_.empty()) first_accepting_row_ = static_cast<std::uint32_t>(states * columns_);
  next_ = built_next_;
  state_of_row_ = reciprocal(columns_);
}

LiteralAutomaton::LiteralAutomaton(const std::array<std::uint8_t, 256>& column_of, std::uint32_t columns,
                                   std::span<const std::uint16_t> next, std::uint32_t first_accepting_row,
                                   std::vector<Found> ends, std::uint32_t longest_literal)
    : column_of_(column_of), columns_(columns), next_(next), first_accepting_row_(first_accepting_row),
      ends_(std::move(ends)), longest_literal_(longest_literal), state_of_row_(reciprocal(columns)) {}

LiteralAutomaton::Found LiteralAutomaton::find(std::string_view text) const {
  Found found;
  find_in_lanes(text, found);
  return found;
}

// Each step waits for the one before it (its row is the next load's
// index), so one pass over a text runs at the speed of a load, not of the
// processor. Four stretches of the text read side by side keep four loads
// in flight. The stretches are of one length, the first at the text's
// start, the last at its end, the others spread between, and each
// overlaps the next by at least longest_literal_ - 1 bytes: an occurrence
// across a border lies whole in one stretch. Each stretch is read from the
// root and is a piece of the text, so what it finds occurs in the text.
void LiteralAutomaton::find_in_lanes(std::string_view text, Found& found) const {
  constexpr std::size_t kLanes = 4;
  // Plain pointers: the loop is the whole cost, one load of each table a byte.
  const std::uint16_t* const next = next_.data();
  const std::uint8_t* const column_of = column_of_.data();
  const std::uint32_t first_accepting = first_accepting_row_;
  const std::uint64_t per_row = state_of_row_;
  const auto step = [&](std::uint32_t& row, char c) {
    row = next[row + column_of[static_cast<unsigned char>(c)]];
    if (row >= first_accepting) [[unlikely]]
      found |= ends_[((row - first_accepting) * per_row) >> 32];
  };
  const std::size_t overlap = longest_literal_ > 0 ? longest_literal_ - 1 : 0;
  // One length for all: together they cover the text with the overlaps.
  const std::size_t length = (text.size() + (kLanes - 1) * overlap) / kLanes + kLanes;
  if (length + overlap >= text.size()) {  // too short a text to be worth it: one lane
    std::uint32_t row = 0;
    for (const char c : text) step(row, c);
    return;
  }
  std::array<const char*, kLanes> at{};
  for (std::size_t lane = 0; lane < kLanes; ++lane)
    at[lane] = text.data() + lane * (text.size() - length) / (kLanes - 1);
  std::array<std::uint32_t, kLanes> row{};  // each lane from the root
  for (std::size_t i = 0; i < length; ++i) {
    for (std::size_t lane = 0; lane < kLanes; ++lane) step(row[lane], at[lane][i]);
  }
}

}  // namespace clearbounce::dsn::detail
