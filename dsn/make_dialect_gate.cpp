// Build-time tool: works out the free-text readers' gate from the wording
// tables (GateBuild, dialect_gate.hpp) and writes it as a C++ source
// defining kBuiltinGate.
//
//   make_dialect_gate OUTPUT.cpp
#include <cstdint>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "dsn/cpp_literal.hpp"
#include "dsn/dialect_gate.hpp"

namespace {

using clearbounce::dsn::detail::cpp_literal;
using clearbounce::dsn::detail::GateBuild;
using clearbounce::dsn::detail::GateTables;
using clearbounce::dsn::detail::GateWordSet;

std::string word_set(const GateWordSet& set) {
  std::ostringstream out;
  out << "{{" << set.bits[0] << "u, " << set.bits[1] << "u, " << set.bits[2] << "u}}";
  return out.str();
}

// `name`'s elements, `per_line` to a line.
template <typename Range, typename Write>
void write_array(std::ostream& out, std::string_view type, std::string_view name, const Range& items, int per_line,
                 Write write) {
  out << "constexpr " << type << ' ' << name << "[] = {";
  int on_line = 0;
  for (const auto& item : items) {
    out << (on_line++ % per_line == 0 ? "\n    " : " ") << write(item) << ',';
  }
  out << "\n};\n\n";
}

std::string source(const GateTables& gate) {
  std::ostringstream out;
  out << "// Written at build time by make_dialect_gate from dsn/dialect_table.hpp.\n"
         "#include \"dsn/dialect_gate.hpp\"\n\n"
         "namespace clearbounce::dsn::detail {\n"
         "namespace {\n\n"
         "using namespace std::string_view_literals;\n\n";
  write_array(out, "std::uint8_t", "kColumnOfArray", *gate.column_of, 16,
              [](std::uint8_t c) { return std::to_string(c); });
  out << "constexpr std::array<std::uint8_t, 256> kColumnOf = std::to_array(kColumnOfArray);\n\n";
  write_array(out, "std::uint16_t", "kNext", gate.next, 16, [](std::uint16_t n) { return std::to_string(n); });
  write_array(out, "GateWordSet", "kEnds", gate.ends, 2, word_set);
  write_array(out, "GateAlternative", "kAlternatives", gate.alternatives, 1, [](const auto& a) {
    std::ostringstream entry;
    entry << '{' << a.dialect << ", " << cpp_literal(a.pattern) << ", " << cpp_literal(a.phrases) << '}';
    return entry.str();
  });
  write_array(out, "GateSpelling", "kSpellings", gate.spellings, 1, [](const auto& s) {
    std::ostringstream entry;
    entry << '{' << s.alternative << ", " << s.longest_word << ", " << word_set(s.words) << ", "
          << (s.needs_non_ascii ? "true" : "false") << '}';
    return entry.str();
  });
  out << "}  // namespace\n\n"
      << "const GateTables kBuiltinGate{&kColumnOf, " << gate.columns << ", kNext, " << gate.first_accepting_row
      << ", kEnds, " << gate.longest_word << ", kAlternatives, kSpellings, " << gate.without_words << "u, "
      << gate.only_non_ascii << "u, "
      << word_set(gate.banner) << ", " << word_set(gate.challenge) << ", " << word_set(gate.delay) << ", "
      << word_set(gate.ascii_case_variants) << "};\n\n"
      << "}  // namespace clearbounce::dsn::detail\n";
  return out.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_dialect_gate OUTPUT.cpp\n";
    return 2;
  }
  try {
    const GateBuild gate;
    std::ofstream out(argv[1], std::ios::binary);
    out << source(gate.tables());
    if (!out.flush()) {
      std::cerr << "make_dialect_gate: cannot write " << argv[1] << '\n';
      return 1;
    }
  } catch (const std::exception& e) {
    std::cerr << "make_dialect_gate: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
