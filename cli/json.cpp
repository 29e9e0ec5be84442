#include "cli/json.hpp"

#include <cstdint>

#include "cli/text.hpp"
#include "dsn/word_bytes.hpp"

namespace clearbounce::cli {

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  std::size_t pos = 0;
  while (pos < text.size()) {
    // Copy runs of plain printable ASCII in one go: nearly all of a bounce
    // is. Eight bytes are tested at a time.
    std::size_t run = pos;
    for (; run + 8 <= text.size(); run += 8) {
      const std::uint64_t x = dsn::word::load(text.data() + run);
      const std::uint64_t marks = dsn::word::bytes_below(x, 0x20) | dsn::word::bytes_above(x, 0x7E) |
                                  dsn::word::bytes_equal(x, '"') | dsn::word::bytes_equal(x, '\\');
      if (marks != 0) {
        run += dsn::word::first_marked(marks);
        break;
      }
    }
    while (run < text.size()) {
      const auto c = static_cast<unsigned char>(text[run]);
      if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(text.substr(pos, run - pos));
    pos = run;
    if (pos == text.size()) break;

    char32_t cp = 0;
    const std::size_t length = decode_utf8(text, pos, cp);
    if (cp == '"' || cp == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x20 || cp == 0x7F || cp == 0x2028 || cp == 0x2029) {
      out += "\\u";
      out.push_back(kHex[(cp >> 12) & 0xF]);
      out.push_back(kHex[(cp >> 8) & 0xF]);
      out.push_back(kHex[(cp >> 4) & 0xF]);
      out.push_back(kHex[cp & 0xF]);
    } else if (cp == kReplacementChar) {
      append_utf8(out, cp);  // either a real U+FFFD or a repaired sequence
    } else {
      out.append(text.substr(pos, length));  // valid: copy the bytes as they are
    }
    pos += length;
  }
  out.push_back('"');
}

JsonObjectWriter::JsonObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }

void JsonObjectWriter::key(std::string_view name) {
  if (!first_) out_.push_back(',');
  first_ = false;
  append_json_string(out_, name);
  out_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::string(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(out_, value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::boolean(std::string_view name, bool value) {
  key(name);
  out_ += value ? "true" : "false";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::null(std::string_view name) {
  key(name);
  out_ += "null";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::string_map(std::string_view name,
                                               const std::map<std::string, std::string>& values) {
  key(name);
  out_.push_back('{');
  bool first = true;
  for (const auto& [k, v] : values) {
    if (!first) out_.push_back(',');
    first = false;
    append_json_string(out_, k);
    out_.push_back(':');
    append_json_string(out_, v);
  }
  out_.push_back('}');
  return *this;
}

void JsonObjectWriter::finish() {
  out_ += "}\n";
}

}  // namespace clearbounce::cli
