// A minimal JSON writer for one-object-per-line output. It appends to a
// std::string so that a whole run's output can be written with few syscalls.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace clearbounce::cli {

// Appends `text` as a JSON string literal. Control characters become \u00XX,
// invalid UTF-8 becomes U+FFFD: whatever a remote server wrote, the line
// stays valid JSON. U+2028/U+2029 are escaped too, for JavaScript consumers.
void append_json_string(std::string& out, std::string_view text);

// Writes the members of one flat object. The method names differ by type on
// purpose: an overload set taking bool and string_view would silently turn a
// string literal into `true`.
class JsonObjectWriter {
 public:
  explicit JsonObjectWriter(std::string& out);
  JsonObjectWriter(const JsonObjectWriter&) = delete;
  JsonObjectWriter& operator=(const JsonObjectWriter&) = delete;

  JsonObjectWriter& string(std::string_view key, std::string_view value);
  JsonObjectWriter& boolean(std::string_view key, bool value);
  JsonObjectWriter& null(std::string_view key);
  JsonObjectWriter& string_map(std::string_view key, const std::map<std::string, std::string>& values);
  // Closes the object and ends the line.
  void finish();

 private:
  void key(std::string_view name);

  std::string& out_;
  bool first_ = true;
};

}  // namespace clearbounce::cli
