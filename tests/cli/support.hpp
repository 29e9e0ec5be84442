// Helpers for the CLI tests: run the built program with files as its
// standard streams, and read its JSON lines with a small strict parser that
// shares no code with the writer under test.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace cbtest {

struct RunResult {
  int exit_code = -1;  // -1 when the program did not exit normally
  std::string out;
  std::string err;
};

// Runs `program` with `args`. Standard input comes from `stdin_file`
// (/dev/null when empty). Output goes through files, not pipes, so a
// chatty program can never dead-lock the test.
RunResult run(const std::string& program, const std::vector<std::string>& args,
              const std::filesystem::path& work_dir, const std::string& stdin_file = {});

std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);
std::vector<std::string> split_lines(std::string_view text);

struct Json {
  enum class Type { null, boolean, number, string, array, object };
  Type type = Type::null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> items;         // array elements, or object values
  std::vector<std::string> keys;   // object keys, parallel to `items`

  bool has(std::string_view key) const;
  // The member `key`; a null value when absent.
  const Json& operator[](std::string_view key) const;
  bool is_null() const { return type == Type::null; }
};

// Parses one JSON text strictly (RFC 8259, UTF-8 checked). On error returns
// false and says where in `error`.
bool parse_json(std::string_view text, Json& value, std::string& error);

}  // namespace cbtest
