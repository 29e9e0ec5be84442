// Build-time tool: works out the filter plan of every pattern of the
// shipped rule set that PatternSet filters (filtered_fold_case) and writes
// them as a C++ source defining builtin_plan_table() (filter_plan.hpp). A
// bad pattern fails the build, so
// the program can take the shipped patterns without compiling them first.
//
//   make_filter_plan RULES.toml OUTPUT.cpp
#include "classifier/filter_plan.hpp"
#include "dsn/cpp_literal.hpp"

#include <re2/filtered_re2.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

namespace {

using clearbounce::dsn::detail::cpp_literal;
using clearbounce::classifier::FilterPlan;
using clearbounce::classifier::RulePattern;

// The rule file's patterns that PatternSet filters, as it takes them
// (filtered_fold_case), each once, in the table's order (it is looked up by
// binary search).
std::vector<RulePattern> filtered_patterns(const std::vector<RulePattern>& rule_patterns) {
  std::vector<RulePattern> patterns;
  for (const RulePattern& pattern : rule_patterns)
    if (const auto fold_case = clearbounce::classifier::filtered_fold_case(pattern.text, pattern.fold_case))
      patterns.push_back({pattern.text, *fold_case});
  std::sort(patterns.begin(), patterns.end());
  patterns.erase(std::unique(patterns.begin(), patterns.end()), patterns.end());
  return patterns;
}

struct Table {
  std::vector<std::string> atoms;
  std::map<std::string, std::uint32_t> atom_ids;
  std::vector<std::uint32_t> clause_start{0};
  std::vector<std::uint32_t> clause_atoms;
  std::vector<std::string> rows;  // one PlannedPattern initialiser a pattern

  void add(const RulePattern& pattern, const FilterPlan& plan) {
    const auto first = static_cast<std::uint32_t>(clause_start.size() - 1);
    for (const auto& clause : plan.clauses) {
      for (const int i : clause) {
        const std::string& atom = plan.atoms[static_cast<std::size_t>(i)];
        const auto [it, added] = atom_ids.try_emplace(atom, static_cast<std::uint32_t>(atoms.size()));
        if (added) atoms.push_back(atom);
        clause_atoms.push_back(it->second);
      }
      clause_start.push_back(static_cast<std::uint32_t>(clause_atoms.size()));
    }
    std::ostringstream row;
    row << '{' << cpp_literal(pattern.text) << ", " << (pattern.fold_case ? "true" : "false") << ", " << first << ", "
        << plan.clauses.size() << ", " << (plan.literal ? "true" : "false") << '}';
    rows.push_back(row.str());
  }
};

template <typename T, typename Format>
void write_array(std::ostream& out, std::string_view type, std::string_view name, const std::vector<T>& items,
                 Format format) {
  out << "constexpr std::array<" << type << ", " << items.size() << "> " << name << "{{\n";
  for (const auto& item : items) out << "    " << format(item) << ",\n";
  out << "}};\n";
}

void write_source(std::ostream& out, const Table& table) {
  out << "// Written by make_filter_plan from classifier/rules.toml at build time: do not edit.\n"
         "#include \"classifier/filter_plan.hpp\"\n\n#include <array>\n#include <cstdint>\n\n"
         "namespace clearbounce::classifier {\n\nnamespace {\n\nusing namespace std::string_view_literals;\n\n";
  const auto number = [](std::uint32_t n) { return std::to_string(n); };
  write_array(out, "std::string_view", "kAtoms", table.atoms, [](const std::string& a) { return cpp_literal(a); });
  write_array(out, "std::uint32_t", "kClauseStart", table.clause_start, number);
  write_array(out, "std::uint32_t", "kClauseAtoms", table.clause_atoms, number);
  write_array(out, "PlannedPattern", "kPatterns", table.rows, [](const std::string& row) { return row; });
  out << "\n}  // namespace\n\nconst PlanTable& builtin_plan_table() {\n"
         "  static const PlanTable table{kPatterns, kClauseStart, kClauseAtoms, kAtoms};\n"
         "  return table;\n}\n\n}  // namespace clearbounce::classifier\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_filter_plan RULES.toml OUTPUT.cpp\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream rules;
  rules << in.rdbuf();
  std::string error;
  const auto patterns = clearbounce::classifier::patterns_in_rules(rules.str(), error);
  if (!in || !error.empty()) {
    std::cerr << argv[1] << ": " << (error.empty() ? "cannot read" : error) << "\n";
    return 1;
  }
  Table table;
  for (const RulePattern& pattern : filtered_patterns(patterns)) {
    const auto filter = clearbounce::classifier::checked_pattern(pattern.text, pattern.fold_case, error);
    if (!filter) {
      std::cerr << argv[1] << ": bad pattern '" << pattern.text << "': " << error << "\n";
      return 1;
    }
    table.add(pattern, clearbounce::classifier::plan_of(*filter));
  }
  std::ostringstream source;
  write_source(source, table);
  std::ofstream out(argv[2], std::ios::binary);
  out << source.str();
  if (!out.flush()) {
    std::cerr << "make_filter_plan: cannot write " << argv[2] << "\n";
    return 1;
  }
  return 0;
}
