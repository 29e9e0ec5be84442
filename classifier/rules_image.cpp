#include "classifier/rules_image.hpp"

#include <utility>

namespace clearbounce::classifier {

// An image is "CBR1", then the root table as a node. A node is a kind byte,
// the line where it began (LEB128), then by kind:
//   'T' table: the number of entries, then each key (length, bytes) and node;
//   'A' array: the number of elements, then each node;
//   'S' string: length, bytes;   'B' boolean: one byte;
//   'I' integer: zigzag LEB128.
namespace {

constexpr std::string_view kMagic = "CBR1";
// The rule file nests three deep; an image deeper than this is not ours.
constexpr int kMaxDepth = 16;

void put_number(std::string& out, std::uint64_t n) {
  while (n >= 0x80) {
    out += static_cast<char>((n & 0x7F) | 0x80);
    n >>= 7;
  }
  out += static_cast<char>(n);
}

void put_bytes(std::string& out, std::string_view bytes) {
  put_number(out, bytes.size());
  out += bytes;
}

bool put_node(std::string& out, const toml::node& node, std::string& error) {
  const auto line = static_cast<std::uint64_t>(node.source().begin.line);
  if (const auto* table = node.as_table()) {
    out += 'T';
    put_number(out, line);
    put_number(out, table->size());
    for (const auto& [key, value] : *table) {
      put_bytes(out, key.str());
      if (!put_node(out, value, error)) return false;
    }
  } else if (const auto* array = node.as_array()) {
    out += 'A';
    put_number(out, line);
    put_number(out, array->size());
    for (const auto& element : *array)
      if (!put_node(out, element, error)) return false;
  } else if (const auto* text = node.as_string()) {
    out += 'S';
    put_number(out, line);
    put_bytes(out, text->get());
  } else if (const auto* flag = node.as_boolean()) {
    out += 'B';
    put_number(out, line);
    out += flag->get() ? '\1' : '\0';
  } else if (const auto* integer = node.as_integer()) {
    out += 'I';
    put_number(out, line);
    const auto n = static_cast<std::uint64_t>(integer->get());
    put_number(out, (n << 1) ^ (integer->get() < 0 ? ~std::uint64_t{0} : 0));
  } else {
    error = "line " + std::to_string(line) + ": a value of a kind the rule loader does not read";
    return false;
  }
  return true;
}

// Reads an image front to back; every read checks what is left.
class Reader {
 public:
  explicit Reader(std::string_view image) : rest_(image) {}

  bool magic() {
    if (rest_.substr(0, kMagic.size()) != kMagic) return false;
    rest_.remove_prefix(kMagic.size());
    return true;
  }
  bool at_end() const { return rest_.empty(); }

  std::optional<char> byte() {
    if (rest_.empty()) return std::nullopt;
    const char c = rest_.front();
    rest_.remove_prefix(1);
    return c;
  }
  std::optional<std::uint64_t> number() {
    std::uint64_t n = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      const auto c = byte();
      if (!c) return std::nullopt;
      const auto b = static_cast<unsigned char>(*c);
      n |= static_cast<std::uint64_t>(b & 0x7F) << shift;
      if (b < 0x80) return n;
    }
    return std::nullopt;
  }
  std::optional<std::string_view> bytes() {
    const auto size = number();
    if (!size || *size > rest_.size()) return std::nullopt;
    const auto out = rest_.substr(0, *size);
    rest_.remove_prefix(*size);
    return out;
  }

 private:
  std::string_view rest_;
};

class TreeBuilder {
 public:
  TreeBuilder(Reader& reader, TableLines& lines) : reader_(reader), lines_(lines) {}

  // Reads the entries of a table (after its kind and line) into `table`.
  bool table(toml::table& table, int depth) {
    const auto count = reader_.number();
    if (!count || depth > kMaxDepth) return false;
    for (std::uint64_t i = 0; i < *count; ++i) {
      const auto key = reader_.bytes();
      if (!key) return false;
      const auto insert = [&](auto&& value) -> toml::node* {
        auto [it, added] = table.insert(*key, std::forward<decltype(value)>(value));
        return added ? &it->second : nullptr;
      };
      if (!node(insert, depth)) return false;
    }
    return true;
  }

 private:
  bool array(toml::array& array, int depth) {
    const auto count = reader_.number();
    if (!count || depth > kMaxDepth) return false;
    for (std::uint64_t i = 0; i < *count; ++i) {
      const auto append = [&](auto&& value) -> toml::node* {
        array.push_back(std::forward<decltype(value)>(value));
        return &array.back();
      };
      if (!node(append, depth)) return false;
    }
    return true;
  }

  // Reads one node and adds it with `add` (which returns the node added, or
  // null when it cannot be); a table's or array's entries follow.
  template <typename Add>
  bool node(Add&& add, int depth) {
    const auto kind = reader_.byte();
    const auto line = reader_.number();
    if (!kind || !line) return false;
    switch (*kind) {
      case 'S': {
        const auto text = reader_.bytes();
        return text && add(std::string(*text));
      }
      case 'B': {
        const auto flag = reader_.byte();
        return flag && (*flag == '\0' || *flag == '\1') && add(*flag == '\1');
      }
      case 'I': {
        const auto n = reader_.number();
        return n && add(static_cast<std::int64_t>((*n >> 1) ^ (~(*n & 1) + 1)));
      }
      case 'A': {
        toml::node* added = add(toml::array{});
        return added && array(*added->as_array(), depth + 1);
      }
      case 'T': {
        toml::node* added = add(toml::table{});
        if (!added) return false;
        lines_[added] = static_cast<std::uint32_t>(*line);
        return table(*added->as_table(), depth + 1);
      }
      default:
        return false;
    }
  }

  Reader& reader_;
  TableLines& lines_;
};

}  // namespace

std::optional<std::string> encode_rules_image(const toml::table& root, std::string& error) {
  std::string out(kMagic);
  if (!put_node(out, root, error)) return std::nullopt;
  return out;
}

std::optional<RulesTree> decode_rules_image(std::string_view image) {
  Reader reader(image);
  RulesTree tree;
  if (!reader.magic() || reader.byte() != 'T') return std::nullopt;
  // The root's line is left out: the root moves with the tree returned.
  TreeBuilder builder(reader, tree.table_lines);
  if (!reader.number() || !builder.table(tree.root, 0) || !reader.at_end()) return std::nullopt;
  return tree;
}

}  // namespace clearbounce::classifier
